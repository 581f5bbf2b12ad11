/*
 * utf8.c - characters of UTF-8 text (see utf8.h); validation is utf8proc's.
 */
#include "common/utf8.h"

#include <utf8proc.h>

long utf8_chars(const char *s, long limit)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	long n = 0;

	while (*p) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t len = utf8proc_iterate(p, -1, &cp);
		if (len <= 0 || cp < 0)
			return -1;
		p += len;
		if (++n > limit)
			return limit + 1;
	}
	return n;
}

size_t utf8_prefix_bytes(const char *s, long chars)
{
	size_t i = 0;

	while (s[i] && chars > 0) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		chars--;
	}
	return i;
}
