/*
 * content.h - the policy's detectors: what a message's words and links contain.
 *
 * Pure functions, no I/O. The lexicons (political and electoral terms, advertising,
 * obscene language and blasphemy, defamatory and discriminatory expressions, health and
 * judicial terms, URL shorteners) are data files the comune can extend: the caller reads
 * them and hands their bytes to policy_lexicon_add. Names the configuration lists (the
 * mayor, assessors, candidates) go in the same way, as POLICY_K_NAME terms.
 *
 * policy_content_scan reports findings with their byte position; it does not decide
 * whether a finding blocks or warns (policy.c does that, from the configuration).
 */
#ifndef BANDITORE_POLICY_CONTENT_H
#define BANDITORE_POLICY_CONTENT_H

#include <stddef.h>

/* What a finding is. Lexicon kinds first (each has a data file), then the detectors. */
enum policy_kind {
	POLICY_K_PROPAGANDA = 0, /* electoral propaganda ("vota", "candidato sindaco") */
	POLICY_K_POLITICAL,      /* political content and party terms */
	POLICY_K_ADVERTISING,    /* commercial advertising ("sconto", "offerta imperdibile") */
	POLICY_K_OBSCENE,        /* obscene language */
	POLICY_K_BLASPHEMY,
	POLICY_K_DEFAMATORY,
	POLICY_K_DISCRIMINATORY,
	POLICY_K_HEALTH,         /* health data of a person (GDPR art. 9) */
	POLICY_K_JUDICIAL,       /* criminal convictions and offences (GDPR art. 10) */
	POLICY_K_SHORTENER,      /* a link through a URL shortener (lexicon of hosts) */
	POLICY_K_NAME,           /* a configured person's name (mayor, assessor, candidate) */
	POLICY_K_LEXICON_COUNT,  /* --- kinds below are detectors, not lexicons --- */
	POLICY_K_CODICE_FISCALE = POLICY_K_LEXICON_COUNT, /* checksum valid */
	POLICY_K_IBAN,           /* mod-97 valid */
	POLICY_K_PHONE,          /* a phone number that is not one of the comune's */
	POLICY_K_EMAIL,          /* an e-mail address that is not one of the comune's */
	POLICY_K_INSECURE_LINK,  /* http:// (or another scheme) where https is required */
	POLICY_K_LINK_MISMATCH,  /* link text naming one host, target another */
	POLICY_K_COUNT
};

/* The stable name of a kind, as used in configuration keys and verdict rule ids
 * ("propaganda", "codice_fiscale", ...). Static storage; NULL for an invalid kind. */
const char *policy_kind_name(enum policy_kind kind);
/* The kind named `name`, or -1. */
int policy_kind_from_name(const char *name);

/* A set of terms per lexicon kind. Terms are matched on whole words after the same
 * normalisation as keywords (NFKC, case folding, accents removed), so "Votate", "VOTATE"
 * and "vòtate" match "votate"; a term may be several words, and a final '*' matches any
 * ending ("candidat*"). */
struct policy_lexicon;

struct policy_lexicon *policy_lexicon_new(void);
void policy_lexicon_free(struct policy_lexicon *lex); /* accepts NULL */

/* Adds the terms in `data` (UTF-8, one term per line, '#' starts a comment, blank lines
 * ignored) to `kind`. On a bad line (invalid UTF-8, a term over 128 bytes, or nothing
 * left after normalisation) returns BANDITORE_EINVAL with *bad_line set (1-based) and adds
 * nothing from `data`. */
int policy_lexicon_add(struct policy_lexicon *lex, enum policy_kind kind, const char *data,
		       size_t len, int *bad_line);

/* Number of terms in `kind` (for `config check` and tests). */
int policy_lexicon_count(const struct policy_lexicon *lex, enum policy_kind kind);

/* What the scan needs besides the lexicon; every pointer is borrowed. */
struct policy_content_rules {
	const struct policy_lexicon *lexicon;  /* may be NULL: no lexicon findings */
	const char *const *official_phones;    /* the comune's own numbers, E.164 */
	int n_official_phones;
	const char *const *official_emails;    /* its addresses (exact, case-insensitive) */
	int n_official_emails;
	const char *const *official_domains;   /* "comune.leini.to.it" also matches its subdomains */
	int n_official_domains;
	int allow_http;                        /* 1: http:// links are not findings */
};

#define POLICY_DETAIL_MAX 96

struct policy_finding {
	enum policy_kind kind;
	size_t start;  /* byte offset in the scanned text */
	size_t len;    /* bytes */
	char detail[POLICY_DETAIL_MAX]; /* the lexicon term, or the host, or "" */
};

/* Scans `len` bytes of `text` (untrusted: invalid UTF-8 is skipped over, never read past
 * `len`). Writes at most `cap` findings in text order to `out` and their total number to
 * *count (which may exceed cap). Returns 0, or BANDITORE_EINVAL for a NULL argument. */
int policy_content_scan(const struct policy_content_rules *rules, const char *text,
			size_t len, struct policy_finding *out, int cap, int *count);

#endif
