/*
 * utf8.h - counting and cutting UTF-8 text by characters (code points), as the platforms
 * count their limits: WhatsApp's template parameters and bodies, Telegram's captions,
 * the previews.
 */
#ifndef BANDITORE_UTF8_H
#define BANDITORE_UTF8_H

#include <stddef.h>

/* The characters of NUL-terminated `s` if it is valid UTF-8 (no surrogates, nothing over
 * U+10FFFF), or -1. Stops counting past `limit` and returns limit + 1 then (pass
 * UTF8_NO_LIMIT to count everything). */
#define UTF8_NO_LIMIT ((long)(((unsigned long)-1) >> 2))
long utf8_chars(const char *s, long limit);

/* The bytes of the first `chars` characters of valid UTF-8 `s` (all of it when shorter). */
size_t utf8_prefix_bytes(const char *s, long chars);

#endif
