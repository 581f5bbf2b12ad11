/*
 * content_internal.h - what content.c, lexicon.c, links.c and personal_data.c share:
 * the sorted, bounded list of findings a scan fills, and the spans of links and
 * addresses (words inside a link are not read as prose, digits in a URL are not a phone).
 * Not part of the module's interface.
 */
#ifndef BANDITORE_POLICY_CONTENT_INTERNAL_H
#define BANDITORE_POLICY_CONTENT_INTERNAL_H

#include "policy/content.h"

#include <stddef.h>

/* The findings of one scan: at most cap kept, the first ones in text order. */
struct content_out {
	struct policy_finding *out;
	int cap;
	int n;     /* kept, <= cap */
	int count; /* found, may exceed cap */
};

/* Adds a finding, keeping out[] sorted by start (then kind). `detail` may be NULL. */
void content_emit(struct content_out *o, enum policy_kind kind, size_t start, size_t len,
		  const char *detail, size_t detail_len);

#define CONTENT_SPANS_MAX 128 /* links and addresses remembered per scan; more are rare */

/* Byte ranges [start, end) in text order that are links (with or without scheme). */
struct content_spans {
	size_t start[CONTENT_SPANS_MAX];
	size_t end[CONTENT_SPANS_MAX];
	int n;
};

/* 1 when [start, start+1) lies in a span; *cursor (start at 0) moves forward, so calls
 * must come with non-decreasing `pos`. */
int content_spans_cover(const struct content_spans *s, int *cursor, size_t pos);

/* links.c: http/other schemes, shorteners, link text naming another host. Fills spans. */
void content_scan_links(const struct policy_content_rules *rules, const char *text,
			size_t len, struct content_spans *spans, struct content_out *o);

/* lexicon.c: lexicon terms in the words outside spans (shortener terms excepted: they
 * are read on link hosts only). */
void content_scan_words(const struct policy_lexicon *lex, const char *text, size_t len,
			const struct content_spans *spans, struct content_out *o);

/* lexicon.c: 1 when `host` (ASCII or UTF-8, len bytes) or one of its parent domains is a
 * term of `kind` ("www.bit.ly" is "bit.ly"). */
int content_lexicon_has_host(const struct policy_lexicon *lex, enum policy_kind kind,
			     const char *host, size_t len);

/* personal_data.c: codice fiscale, IBAN (anywhere), phone numbers and e-mail addresses
 * (outside links) that are not the comune's. */
void content_scan_personal(const struct policy_content_rules *rules, const char *text,
			   size_t len, const struct content_spans *spans,
			   struct content_out *o);

/* 1 when `host` (len bytes, any case) is one of the official domains or under one. */
int content_host_is_official(const struct policy_content_rules *rules, const char *host,
			     size_t len);

#endif
