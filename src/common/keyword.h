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

/* Normalises `len` bytes of `in` into `out` (NUL-terminated). Invalid UTF-8 gives
 * BANDITORE_EINVAL; text normalising to more than out_cap-1 bytes gives BANDITORE_ETOOBIG. */
int keyword_normalize(const char *in, size_t len, char *out, size_t out_cap);

/* 1 when `text` (raw) normalises to the already normalised `keyword`, else 0. */
int keyword_matches(const char *text, size_t len, const char *keyword);

#endif
