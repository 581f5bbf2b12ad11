/*
 * links.c - the links of a message: insecure schemes, URL shorteners, and link text that
 * names one host while the link goes to another (a phishing pattern).
 *
 * What is a link: a scheme and "://" ("https://...", "http://...", "ftp://..."), or an
 * address without scheme that starts with "www." or ends with a common top-level domain
 * ("comune.leini.to.it", "bit.ly/3abc"); Italian abbreviations such as "Sig.ra" or
 * "Dott.ssa" are not, since their endings are not domains we list.
 *
 * Findings:
 * - insecure_link: a link with a scheme other than https (http:// unless allow_http).
 *   An address without scheme is not one: the phone opens it with https where it can.
 * - shortener: a link whose host, or a domain above it, is in the shortener lexicon.
 * - link_mismatch, the rule: a link's text names host A and its target is host B, where
 *   A and B are not the same site (equal once a leading "www." is dropped, or one under
 *   the other) and B is not one of the comune's official domains. The text names a host:
 *   (1) markdown "[... A ...](B)"; (2) an address without scheme followed only by
 *   separators (spaces, ':', '-', '–', '—', '→', '>', '=', '(', '|') and then a link with
 *   a scheme: "www.comune-x.it: https://other.example/..."; (3) HTML
 *   <a href="B">... A ...</a>; (4) a URL whose user part looks like a host:
 *   "https://www.comune.x.it@evil.example/" goes to evil.example.
 *   The finding covers the text and the target; its detail is "A -> B".
 */
#include "policy/content.h"
#include "policy/content_internal.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

#define HOST_MAX 255
#define SCHEME_MAX 16
#define MD_TEXT_MAX 160 /* bytes between a link and the "](" that closes its markdown text */
#define SEP_MAX 12      /* bytes of separators between a host named and its link */

enum scheme { SCHEME_NONE, SCHEME_HTTPS, SCHEME_HTTP, SCHEME_OTHER };

struct link {
	size_t start, end;   /* the link in the text */
	size_t host, host_len;
	size_t user, user_len; /* user part before '@' (0 length: none) */
	enum scheme scheme;
};

/* Top-level domains that make an address without scheme a link. Short on purpose: each
 * one is a word ending that Italian abbreviations do not use. */
static const char *const tlds[] = {
	"it", "com", "org", "net", "eu", "info", "gov", "edu", "int", "ly", "gl", "gd", "co",
	"io", "me", "cc", "ws", "gy", "be", "at", "id", "in", "ru", "uk", "fr", "de", "ch",
	"sm", "va", "link", "page", "app", "site", "online", "biz", "news", "shop", "store",
};

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int same_ci(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	if (al != bl)
		return 0;
	for (size_t i = 0; i < al; i++)
		if (lower((unsigned char)a[i]) != (unsigned char)b[i])
			return 0;
	return 1;
}

/* 1 when the byte at i ends a URL. */
static int url_stops(const unsigned char *t, size_t len, size_t i)
{
	unsigned char c = t[i];
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;

	if (c < 0x80)
		return c <= 0x20 || c == 0x7f || strchr("<>\"`{}|\\^", c) != NULL ||
		       (c == ']' && i + 1 < len && t[i + 1] == '('); /* markdown "[text](url)" */
	n = utf8proc_iterate(t + i, (utf8proc_ssize_t)(len - i), &cp);
	if (n <= 0)
		return 1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND:
		return 0;
	default:
		return 1; /* spaces, quotes, dashes, arrows, emoji */
	}
}

static size_t url_extend(const char *text, size_t len, size_t i)
{
	const unsigned char *t = (const unsigned char *)text;
	while (i < len && !url_stops(t, len, i))
		i++;
	return i;
}

/* Drops what ends a sentence rather than the URL: "vedi https://x.it/a)." Brackets are
 * counted once, so that a URL of a thousand ')' costs a thousand steps, not a million. */
static size_t url_trim(const char *t, size_t start, size_t end)
{
	long paren = 0, bracket = 0; /* closing minus opening */

	for (size_t i = start; i < end; i++) {
		paren += (t[i] == ')') - (t[i] == '(');
		bracket += (t[i] == ']') - (t[i] == '[');
	}
	while (end > start) {
		char c = t[end - 1];
		if (strchr(".,;:!?'*", c) && c) {
			end--;
		} else if (c == ')' && paren > 0) {
			paren--;
			end--;
		} else if (c == ']' && bracket > 0) {
			bracket--;
			end--;
		} else {
			break;
		}
	}
	return end;
}

/* The host part of the authority in [a, end): user part, port and brackets dropped. */
static void split_authority(const char *t, size_t a, size_t end, struct link *l)
{
	size_t e = a, at = (size_t)-1, h, he;

	while (e < end && t[e] != '/' && t[e] != '?' && t[e] != '#')
		e++;
	for (size_t i = a; i < e; i++)
		if (t[i] == '@')
			at = i;
	h = at == (size_t)-1 ? a : at + 1;
	l->user = a;
	l->user_len = at == (size_t)-1 ? 0 : at - a;
	if (h < e && t[h] == '[') { /* [IPv6] */
		he = h;
		while (he < e && t[he] != ']')
			he++;
		if (he < e)
			he++;
	} else {
		he = h;
		while (he < e && (is_alnum((unsigned char)t[he]) || t[he] == '.' || t[he] == '-' ||
				  t[he] == '_' || (unsigned char)t[he] >= 0x80))
			he++;
	}
	while (he > h && t[he - 1] == '.')
		he--;
	l->host = h;
	l->host_len = he - h;
}

/* A link with a scheme starting at i ("https://..."), or 0. */
static int parse_scheme_link(const char *t, size_t len, size_t i, struct link *l)
{
	size_t j = i;

	if (i >= len || !is_alpha((unsigned char)t[i]))
		return 0;
	while (j < len && j - i <= SCHEME_MAX &&
	       (is_alnum((unsigned char)t[j]) || t[j] == '+' || t[j] == '-' || t[j] == '.'))
		j++;
	if (j - i > SCHEME_MAX || len - j < 3 || memcmp(t + j, "://", 3) != 0)
		return 0;
	memset(l, 0, sizeof(*l));
	l->start = i;
	l->scheme = same_ci(t + i, j - i, "https") ? SCHEME_HTTPS
		    : same_ci(t + i, j - i, "http") ? SCHEME_HTTP : SCHEME_OTHER;
	l->end = url_trim(t, i, url_extend(t, len, j + 3));
	if (l->end <= j + 3)
		return 0;
	split_authority(t, j + 3, l->end, l);
	return l->host_len > 0;
}

static int is_tld(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (same_ci(s, n, tlds[i]))
			return 1;
	return 0;
}

/* An address without scheme starting at i ("www.x.it", "bit.ly/abc"), or 0. */
static int parse_bare_link(const char *t, size_t len, size_t i, struct link *l)
{
	size_t e = i, last_dot = (size_t)-1;

	while (e < len && (is_alnum((unsigned char)t[e]) || t[e] == '.' || t[e] == '-'))
		e++;
	while (e > i && (t[e - 1] == '.' || t[e - 1] == '-'))
		e--;
	if (e < len && t[e] == '@')
		return 0; /* the user part of an e-mail address */
	for (size_t k = i; k < e; k++) {
		if (t[k] != '.')
			continue;
		if (k == i || t[k - 1] == '.')
			return 0; /* an empty label */
		last_dot = k;
	}
	if (last_dot == (size_t)-1)
		return 0;
	for (size_t k = last_dot + 1; k < e; k++)
		if (!is_alpha((unsigned char)t[k]))
			return 0; /* a top-level domain is letters */
	if (!(e - i > 4 && same_ci(t + i, 4, "www.")) && !is_tld(t + last_dot + 1, e - last_dot - 1))
		return 0;
	memset(l, 0, sizeof(*l));
	l->start = i;
	l->scheme = SCHEME_NONE;
	l->host = i;
	l->host_len = e - i;
	l->end = e;
	if (e < len && t[e] == '/')
		l->end = url_trim(t, i, url_extend(t, len, e));
	if (l->end < e)
		l->end = e;
	return 1;
}

/* Lower case, trailing dots and a leading "www." dropped, truncated to HOST_MAX. */
static size_t host_key(const char *t, size_t h, size_t n, char out[HOST_MAX + 1])
{
	size_t k = 0;
	if (n > 4 && same_ci(t + h, 4, "www."))
		h += 4, n -= 4;
	while (n > 0 && t[h + n - 1] == '.')
		n--;
	for (size_t i = 0; i < n && k < HOST_MAX; i++)
		out[k++] = (char)lower((unsigned char)t[h + i]);
	out[k] = '\0';
	return k;
}

static int under(const char *a, size_t al, const char *b, size_t bl)
{
	return al > bl && a[al - bl - 1] == '.' && memcmp(a + al - bl, b, bl) == 0;
}

static int same_site(const char *a, size_t al, const char *b, size_t bl)
{
	return (al == bl && memcmp(a, b, al) == 0) || under(a, al, b, bl) || under(b, bl, a, al);
}

/* Reports link text naming host [th, th+thl) whose link goes to `target`; the finding
 * covers [from, to) plus the target. */
static void mismatch(const struct policy_content_rules *rules, const char *t, size_t from,
		     size_t to, size_t th, size_t thl, const struct link *target,
		     struct content_out *o)
{
	char a[HOST_MAX + 1], b[HOST_MAX + 1], detail[POLICY_DETAIL_MAX];
	size_t al = host_key(t, th, thl, a), bl = host_key(t, target->host, target->host_len, b);
	int n;

	if (al == 0 || bl == 0 || same_site(a, al, b, bl) ||
	    content_host_is_official(rules, t + target->host, target->host_len))
		return;
	n = snprintf(detail, sizeof(detail), "%s -> %s", a, b);
	if (target->start < from)
		from = target->start;
	if (target->end > to)
		to = target->end;
	content_emit(o, POLICY_K_LINK_MISMATCH, from, to - from, detail, n < 0 ? 0 : (size_t)n);
}

/* Separators allowed between an address named in the text and its link. */
static size_t skip_separators(const char *t, size_t len, size_t p)
{
	static const char *const wide[] = { "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x86\x92",
					    "\xc2\xbb", "\xc2\xa0" }; /* – — → » nbsp */
	size_t start = p;

	while (p < len && p - start < SEP_MAX) {
		size_t k;
		if (strchr(" \t:-(>=|", t[p]) && t[p] != '\0') {
			p++;
			continue;
		}
		for (k = 0; k < sizeof(wide) / sizeof(wide[0]); k++) {
			size_t wl = strlen(wide[k]);
			if (len - p >= wl && memcmp(t + p, wide[k], wl) == 0) {
				p += wl;
				break;
			}
		}
		if (k == sizeof(wide) / sizeof(wide[0]))
			break;
	}
	return p;
}

/* The link after the markdown text around `l` ("[... l ...](target)"), if any. */
static int markdown_target(const char *t, size_t len, const struct link *l, struct link *target)
{
	size_t p = l->end;

	while (p < len && p - l->end < MD_TEXT_MAX && t[p] != ']' && t[p] != '[' && t[p] != '\n')
		p++;
	if (p + 1 >= len || t[p] != ']' || t[p + 1] != '(')
		return 0;
	return parse_scheme_link(t, len, p + 2, target);
}

static int starts_ci(const char *t, size_t len, size_t p, const char *s)
{
	size_t n = strlen(s);
	return len - p >= n && same_ci(t + p, n, s);
}

/* The first link in [p, end) of the text, if any. */
static int first_link(const char *t, size_t p, size_t end, struct link *l)
{
	for (; p < end; p++) {
		if (!is_alnum((unsigned char)t[p]) || (p > 0 && is_alnum((unsigned char)t[p - 1])))
			continue;
		if ((parse_scheme_link(t, end, p, l) || parse_bare_link(t, end, p, l)) && l->end <= end)
			return 1;
	}
	return 0;
}

/* For a link in <a href="l">TEXT</a>: the link TEXT names, if any. */
static int html_text_link(const char *t, size_t len, const struct link *l, struct link *shown)
{
	size_t p = l->end, text_end;

	if (l->start < 6 || !(same_ci(t + l->start - 6, 6, "href=\"") ||
			      same_ci(t + l->start - 6, 6, "href='")))
		return 0;
	while (p < len && p - l->end < MD_TEXT_MAX && t[p] != '>')
		p++;
	if (p >= len || t[p] != '>')
		return 0;
	text_end = ++p;
	while (text_end < len && text_end - p < MD_TEXT_MAX && !starts_ci(t, len, text_end, "</a"))
		text_end++;
	if (!starts_ci(t, len, text_end, "</a"))
		return 0;
	return first_link(t, p, text_end, shown);
}

static void record_span(struct content_spans *s, size_t start, size_t end)
{
	if (s->n < CONTENT_SPANS_MAX) {
		s->start[s->n] = start;
		s->end[s->n] = end;
		s->n++;
	}
}

void content_scan_links(const struct policy_content_rules *rules, const char *text,
			size_t len, struct content_spans *spans, struct content_out *o)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		struct link l, target;
		int found;

		/* A link starts a token: not after a letter, digit or address character. */
		if (!is_alnum(t[i]) || (i > 0 && (is_alnum(t[i - 1]) || strchr("._%+@-", t[i - 1])))) {
			i++;
			continue;
		}
		/* Most tokens are words: one look at the run of address characters decides. */
		{
			size_t r = i;
			int dot = 0;
			while (r < len && (is_alnum(t[r]) || t[r] == '.' || t[r] == '-' || t[r] == '+')) {
				dot |= t[r] == '.';
				r++;
			}
			if (len - r >= 3 && t[r] == ':' && t[r + 1] == '/' && t[r + 2] == '/')
				found = parse_scheme_link(text, len, i, &l);
			else
				found = dot && parse_bare_link(text, len, i, &l);
			if (!found) {
				i = r;
				continue;
			}
		}
		record_span(spans, l.start, l.end);
		if (l.scheme == SCHEME_OTHER || (l.scheme == SCHEME_HTTP && !rules->allow_http))
			content_emit(o, POLICY_K_INSECURE_LINK, l.start, l.end - l.start,
				     text + l.host, l.host_len);
		if (content_lexicon_has_host(rules->lexicon, POLICY_K_SHORTENER, text + l.host,
					     l.host_len))
			content_emit(o, POLICY_K_SHORTENER, l.start, l.end - l.start,
				     text + l.host, l.host_len);
		if (l.user_len > 0 && memchr(text + l.user, '.', l.user_len))
			mismatch(rules, text, l.start, l.end, l.user, l.user_len, &l, o);
		if (markdown_target(text, len, &l, &target))
			mismatch(rules, text, l.start, l.end, l.host, l.host_len, &target, o);
		else if (l.scheme == SCHEME_NONE &&
			 parse_scheme_link(text, len, skip_separators(text, len, l.end), &target))
			mismatch(rules, text, l.start, l.end, l.host, l.host_len, &target, o);
		else if (html_text_link(text, len, &l, &target))
			mismatch(rules, text, target.start, target.end, target.host,
				 target.host_len, &l, o);
		i = l.end > i ? l.end : i + 1;
	}
}
