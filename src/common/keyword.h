/*
 * keyword.h - compare what a citizen typed with a configured keyword.
 *
 * Keywords arrive in every form: capitals, doubled spaces, an exclamation mark, an emoji,
 * full-width letters. Both sides are normalised the same way: Unicode NFKC with case
 * folding and accents removed (utf8proc), then only the letters and digits are kept, as
 * words separated by one space. "ATTIVA  Iscrizione! 🙂" becomes "attiva iscrizione".
 */
#ifndef BANDITORE_KEYWORD_H
#define BANDITORE_KEYWORD_H

#include <stddef.h>

#define KEYWORD_MAX 256 /* bytes of normalised text kept; longer input never matches */
#define KEYWORD_WORD_MAX 128 /* bytes of one normalised word kept by keyword_next_word */

/* Normalises `len` bytes of `in` into `out` (NUL-terminated). Invalid UTF-8 gives
 * BANDITORE_EINVAL; text normalising to more than out_cap-1 bytes gives BANDITORE_ETOOBIG. */
int keyword_normalize(const char *in, size_t len, char *out, size_t out_cap);

/* One word of a longer text, folded like a keyword, with where it came from. */
struct keyword_word {
	size_t start;     /* byte offset of the word's first byte in the text */
	size_t end;       /* one past its last byte */
	size_t len;       /* bytes in norm */
	int truncated;    /* 1: the folded word was longer than KEYWORD_WORD_MAX; norm holds
			   * its first bytes (whole code points) */
	char norm[KEYWORD_WORD_MAX + 1]; /* the folded word, NUL-terminated */
};

/* Reads the next word of `len` bytes of `text` at or after *pos: fills *w, moves *pos past
 * it and returns 1; returns 0 when no word is left. Allocates nothing.
 * Folding is keyword_normalize's (NFKC compatibility mapping, case folding, marks and
 * default-ignorable characters removed) applied code point by code point, without the
 * final canonical recomposition, which changes nothing once marks are gone (Hangul jamo
 * stay decomposed on both sides). A code point belongs to a word when its folded form
 * has a letter or digit ("Ⓐ", "ﬁ" and full-width letters do); combining marks and
 * ignorable characters (soft hyphen, zero-width joiner) continue a word without adding
 * to it, so "vo\u0300tate" and "vo\u00adtate" read "votate". Invalid UTF-8 bytes
 * separate words and are skipped; nothing past `len` is read. */
int keyword_next_word(const char *text, size_t len, size_t *pos, struct keyword_word *w);

/* 1 when `text` (raw) normalises to the already normalised `keyword`, else 0. */
int keyword_matches(const char *text, size_t len, const char *keyword);

#endif
