/*
 * e164.h - telephone numbers in E.164 form ("+" and 8 to 15 digits).
 *
 * WhatsApp names a citizen by wa_id (digits, no "+"); staff type "+39 333 …" with spaces.
 * Both are brought to the one canonical form before hashing, so they find the same row.
 */
#ifndef BANDITORE_E164_H
#define BANDITORE_E164_H

#include <stddef.h>

#define E164_MAX 17 /* "+" + 15 digits + NUL */

/* Writes the canonical "+DIGITS" form of `in` into out[E164_MAX]. Accepts an optional
 * leading "+" or "00", and spaces, dots, dashes and parentheses between digits.
 * BANDITORE_EINVAL for anything else, or fewer than 8 or more than 15 digits. */
int e164_normalize(const char *in, char out[E164_MAX]);

#endif
