/*
 * whatsapp_answer.c - messages[0].id of a Cloud API answer by one pass over its bytes
 * (see whatsapp_answer.h). Every function returns 0 when it consumed a well-formed
 * piece and -1 when the answer is malformed or not certain; -1 anywhere sends the
 * caller to jansson.
 */
#include "connectors/whatsapp_answer.h"

#include <string.h>

#define NUMBER_DIGITS_MAX 15 /* beyond, jansson may refuse what it cannot represent */

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int at(struct scan *s, char c)
{
	skip_ws(s);
	return s->p < s->end && *s->p == c;
}

/* A string: [*b, *e) is its raw content; *plain is 0 when it holds an escape. A \u
 * escape (jansson refuses \u0000 and lone surrogates) or any byte outside printable
 * ASCII is not certain. */
static int string(struct scan *s, const char **b, const char **e, int *plain)
{
	if (!at(s, '"'))
		return -1;
	*b = ++s->p;
	*plain = 1;
	for (; s->p < s->end; s->p++) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			*e = s->p++;
			return 0;
		}
		if (c < 0x20 || c >= 0x7f)
			return -1;
		if (c == '\\') {
			if (++s->p >= s->end || !strchr("\"\\/bfnrt", *s->p) || *s->p == '\0')
				return -1;
			*plain = 0;
		}
	}
	return -1;
}

static int digits(struct scan *s, int *count)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	*count += (int)(s->p - start);
	return s->p > start ? 0 : -1;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)? with at most NUMBER_DIGITS_MAX digits; no exponent. */
static int number(struct scan *s)
{
	int n = 0;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
		n++;
	} else if (digits(s, &n) != 0) {
		return -1;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s, &n) != 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E' || (*s->p >= '0' && *s->p <= '9')))
		return -1;
	return n <= NUMBER_DIGITS_MAX ? 0 : -1;
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* At `open`: 1 when items follow, 0 when `close` comes at once (both consumed), -1
 * when `open` is not there. */
static int open_items(struct scan *s, char open, char close)
{
	if (!at(s, open))
		return -1;
	s->p++;
	if (!at(s, close))
		return 1;
	s->p++;
	return 0;
}

/* After an item: 1 when another follows (its ',' consumed), 0 at `close` (consumed), -1
 * otherwise. */
static int next_item(struct scan *s, char close)
{
	if (at(s, ',')) {
		s->p++;
		return 1;
	}
	if (!at(s, close))
		return -1;
	s->p++;
	return 0;
}

/* A member's key (plain: no escape) and its ':'. */
static int key(struct scan *s, const char **b, const char **e)
{
	int plain;

	if (string(s, b, e, &plain) != 0 || !plain || !at(s, ':'))
		return -1;
	s->p++;
	return 0;
}

static int value(struct scan *s, int depth);

/* The members of an object (at its '{'), each value skipped. */
static int object(struct scan *s, int depth)
{
	const char *b, *e;
	int more = depth > WA_ANSWER_DEPTH_MAX ? -1 : open_items(s, '{', '}');

	while (more > 0) {
		if (key(s, &b, &e) != 0 || value(s, depth) != 0)
			return -1;
		more = next_item(s, '}');
	}
	return more;
}

/* The elements of an array (at its '['); the first one by `first` when given. */
static int array(struct scan *s, int depth, int (*first)(struct scan *, void *), void *arg)
{
	int more = depth > WA_ANSWER_DEPTH_MAX ? -1 : open_items(s, '[', ']');

	for (int i = 0; more > 0; i++) {
		if ((i == 0 && first ? first(s, arg) : value(s, depth)) != 0)
			return -1;
		more = next_item(s, ']');
	}
	return more;
}

static int value(struct scan *s, int depth)
{
	const char *b, *e;
	int plain;

	skip_ws(s);
	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{': return object(s, depth + 1);
	case '[': return array(s, depth + 1, NULL, NULL);
	case '"': return string(s, &b, &e, &plain);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return number(s);
	}
}

struct found {
	char *out;
	size_t cap;
	int have;
};

static int key_is(const char *b, const char *e, const char *name)
{
	return (size_t)(e - b) == strlen(name) && memcmp(b, name, (size_t)(e - b)) == 0;
}

/* messages[0]: an object whose "id" (once, a plain string of id characters) is kept. */
static int first_message(struct scan *s, void *arg)
{
	struct found *f = arg;
	const char *b, *e;
	int plain, seen = 0;
	int more = open_items(s, '{', '}'); /* not an object: jansson says what it means */

	while (more > 0) {
		if (key(s, &b, &e) != 0)
			return -1;
		if (key_is(b, e, "id")) {
			const char *vb, *ve;
			size_t n;
			if (seen++ || string(s, &vb, &ve, &plain) != 0 || !plain)
				return -1;
			n = (size_t)(ve - vb);
			if (n == 0 || n >= f->cap || strspn(vb, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						   "0123456789._=+/-") < n)
				return -1;
			memcpy(f->out, vb, n);
			f->out[n] = '\0';
			f->have = 1;
		} else if (value(s, 3) != 0) {
			return -1;
		}
		more = next_item(s, '}');
	}
	return more;
}

int whatsapp_answer_id(const char *body, size_t len, char *out, size_t cap)
{
	struct scan s = { body, body + len };
	struct found f = { out, cap, 0 };
	const char *b, *e;
	int messages = 0, more;

	if (!body || !out || cap == 0)
		return 0;
	out[0] = '\0';
	more = open_items(&s, '{', '}');
	while (more > 0) {
		if (key(&s, &b, &e) != 0)
			goto unsure;
		if (key_is(b, e, "messages")) {
			if (messages++ || array(&s, 2, first_message, &f) != 0)
				goto unsure;
		} else if (value(&s, 1) != 0) {
			goto unsure;
		}
		more = next_item(&s, '}');
	}
	if (more < 0)
		goto unsure;
	skip_ws(&s);
	if (s.p != s.end || !f.have)
		goto unsure;
	return 1;
unsure:
	out[0] = '\0';
	return 0;
}
