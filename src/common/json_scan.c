/*
 * json_scan.c - one validating pass over JSON bytes (see json_scan.h). Every function
 * returns 0 when it consumed a well-formed piece and -1 when the bytes are malformed or
 * not certain; -1 anywhere sends the caller to jansson. Where a rule below looks odd, it
 * is jansson's (load.c of 2.14): the lexer's number grammar, its UTF-8 checks, its
 * \u escapes.
 */
#include "common/json_scan.h"

#include <string.h>
#include <utf8proc.h>

#define NUMBER_DIGITS_MAX 15 /* beyond, jansson may refuse what it cannot represent */

void json_scan_init(struct json_scan *s, const char *body, size_t len, int depth_max,
		    unsigned flags)
{
	s->p = body;
	s->end = body + len;
	s->depth = 0;
	s->depth_max = depth_max;
	s->flags = flags;
}

static void skip_ws(struct json_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

int json_scan_at(struct json_scan *s, char c)
{
	skip_ws(s);
	return s->p < s->end && *s->p == c;
}

static int hex4(const char *p, const char *end, long *cp)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v += c - '0';
		else if (c >= 'a' && c <= 'f')
			v += c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v += c - 'A' + 10;
		else
			return -1;
	}
	*cp = v;
	return 0;
}

/* At the 'u' of a \u escape: its code point, joined with the low half that must follow a
 * high surrogate, and *p past both; -1 for what jansson refuses: a lone or reversed
 * surrogate and \u0000 (a NUL, not allowed without JSON_ALLOW_NUL). */
static long unicode_escape(const char **p, const char *end)
{
	const char *q = *p + 1;
	long cp, low;

	if (hex4(q, end, &cp) != 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
		return -1;
	q += 4;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (end - q < 2 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, end, &low) != 0 ||
		    low < 0xDC00 || low > 0xDFFF)
			return -1;
		cp = ((cp - 0xD800) << 10) + (low - 0xDC00) + 0x10000;
		q += 6;
	}
	*p = q;
	return cp;
}

/* The bytes a string's inner loop stops at: its end, an escape, a control character,
 * and DEL and above (then checked one by one). GNU range designators, as gcc and clang
 * take them. */
static const unsigned char string_stop[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f ... 0xff] = 1,
};

int json_scan_string(struct json_scan *s, struct json_scan_str *str)
{
	const char *p;
	int utf8 = (s->flags & JSON_SCAN_UTF8) != 0;

	if (!json_scan_at(s, '"'))
		return -1;
	p = str->b = s->p + 1;
	str->plain = 1;
	for (;;) {
		unsigned char c;
		while (p < s->end && !string_stop[(unsigned char)*p])
			p++;
		if (p >= s->end)
			return -1;
		c = (unsigned char)*p;
		if (c == '"') {
			str->e = p;
			s->p = p + 1;
			return 0;
		}
		if (c < 0x20 || (!utf8 && c >= 0x7f))
			return -1;
		if (c == '\\') {
			str->plain = 0;
			if (++p >= s->end)
				return -1;
			if (utf8 && *p == 'u') {
				if (unicode_escape(&p, s->end) < 0)
					return -1;
				continue;
			}
			if (!memchr("\"\\/bfnrt", *p, 8))
				return -1;
			p++;
		} else if (c >= 0x80) {
			/* utf8proc's check is jansson's: no overlong form, no surrogate,
			 * nothing over U+10FFFF */
			utf8proc_int32_t cp;
			utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p,
							      s->end - p, &cp);
			if (n <= 0 || cp < 0)
				return -1;
			p += n;
		} else {
			p++; /* DEL, which jansson takes in a string */
		}
	}
}

static int digits(struct json_scan *s, int *count)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	*count += (int)(s->p - start);
	return s->p > start ? 0 : -1;
}

int json_scan_number(struct json_scan *s, int64_t *value, int *integer)
{
	const char *whole, *whole_end;
	int n = 0, negative = 0, fraction = 0;

	skip_ws(s);
	if (s->p < s->end && *s->p == '-') {
		s->p++;
		negative = 1;
	}
	whole = s->p;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		n++;
	} else if (digits(s, &n) != 0) {
		return -1;
	}
	whole_end = s->p;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		fraction = 1;
		if (digits(s, &n) != 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E' || (*s->p >= '0' && *s->p <= '9')))
		return -1;
	if (n > NUMBER_DIGITS_MAX)
		return -1;
	if (integer)
		*integer = !fraction;
	if (value && !fraction) {
		int64_t v = 0;
		for (const char *q = whole; q < whole_end; q++)
			v = v * 10 + (*q - '0');
		*value = negative ? -v : v;
	}
	return 0;
}

static int literal(struct json_scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* At `open`, one level deeper: 1 when items follow, 0 when `close` comes at once (both
 * consumed), -1 when `open` is not there or the level is too deep. */
static int open_items(struct json_scan *s, char open, char close)
{
	if (++s->depth > s->depth_max || !json_scan_at(s, open))
		return -1;
	s->p++;
	if (!json_scan_at(s, close))
		return 1;
	s->p++;
	return 0;
}

/* After an item: 1 when another follows (its ',' consumed), 0 at `close` (consumed, one
 * level up), -1 otherwise. */
static int next_item(struct json_scan *s, char close)
{
	if (json_scan_at(s, ',')) {
		s->p++;
		return 1;
	}
	if (!json_scan_at(s, close))
		return -1;
	s->p++;
	return 0;
}

/* The items' end: 0 at a well-formed one (a level up), -1 otherwise. */
static int close_items(struct json_scan *s, int more)
{
	if (more != 0)
		return -1;
	s->depth--;
	return 0;
}

/* A member's key (plain: no escape) and its ':'. */
static int key(struct json_scan *s, struct json_scan_str *k)
{
	if (json_scan_string(s, k) != 0 || !k->plain || !json_scan_at(s, ':'))
		return -1;
	s->p++;
	return 0;
}

static int repeated(const struct json_scan_str *keys, int n, const struct json_scan_str *k)
{
	size_t len = (size_t)(k->e - k->b);

	for (int i = 0; i < n; i++)
		if ((size_t)(keys[i].e - keys[i].b) == len && memcmp(keys[i].b, k->b, len) == 0)
			return 1;
	return 0;
}

/* A callback's answer carried out: the value skipped when it asked. */
static int after(struct json_scan *s, int rc)
{
	if (rc == JSON_SCAN_SKIP)
		rc = json_scan_skip(s);
	return rc == 0 ? 0 : -1;
}

int json_scan_object(struct json_scan *s, json_scan_member_fn member, void *arg)
{
	struct json_scan_str keys[JSON_SCAN_KEYS_MAX], k;
	int n = 0, more = open_items(s, '{', '}');

	while (more > 0) {
		if (key(s, &k) != 0)
			return -1;
		if (s->flags & JSON_SCAN_UNIQUE) {
			if (n == JSON_SCAN_KEYS_MAX || repeated(keys, n, &k))
				return -1;
			keys[n++] = k;
		}
		if (after(s, member ? member(s, &k, arg) : JSON_SCAN_SKIP) != 0)
			return -1;
		more = next_item(s, '}');
	}
	return close_items(s, more);
}

int json_scan_array(struct json_scan *s, json_scan_element_fn element, void *arg)
{
	int more = open_items(s, '[', ']');

	for (int i = 0; more > 0; i++) {
		if (after(s, element ? element(s, i, arg) : JSON_SCAN_SKIP) != 0)
			return -1;
		more = next_item(s, ']');
	}
	return close_items(s, more);
}

int json_scan_skip(struct json_scan *s)
{
	struct json_scan_str str;

	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return json_scan_object(s, NULL, NULL);
	case '[': return json_scan_array(s, NULL, NULL);
	case '"': return json_scan_string(s, &str);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return json_scan_number(s, NULL, NULL);
	}
}

int json_scan_end(struct json_scan *s)
{
	skip_ws(s);
	return s->p == s->end ? 0 : -1;
}

int json_scan_is(const struct json_scan_str *str, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(str->e - str->b) == n && memcmp(str->b, name, n) == 0;
}

/* The byte a one-letter escape stands for. */
static char unescaped(char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return c; /* '"', '\\', '/' */
	}
}

long json_scan_copy(const struct json_scan_str *str, char *out, size_t cap)
{
	const char *p = str->b;
	size_t n = 0;

	while (p < str->e) {
		const char *bs = str->plain ? NULL : memchr(p, '\\', (size_t)(str->e - p));
		size_t run = (size_t)((bs ? bs : str->e) - p);
		utf8proc_uint8_t one[4];
		size_t k = 1;

		if (n + run >= cap)
			return -1;
		memcpy(out + n, p, run);
		n += run;
		if (!bs)
			break;
		/* the string was checked when scanned: the escape is whole and valid */
		p = bs + 1;
		if (*p == 'u') {
			k = (size_t)utf8proc_encode_char((utf8proc_int32_t)unicode_escape(&p, str->e), one);
		} else {
			one[0] = (utf8proc_uint8_t)unescaped(*p);
			p++;
		}
		if (n + k >= cap)
			return -1;
		memcpy(out + n, one, k);
		n += k;
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return (long)n;
}
