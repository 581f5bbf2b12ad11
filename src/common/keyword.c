/* keyword.c - Unicode-aware keyword normalisation over utf8proc. */
#include "common/keyword.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define KEYWORD_INPUT_MAX 4096 /* a keyword message is short; longer text is not one */

static int is_word_char(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return 1;
	default:
		return 0;
	}
}

int keyword_normalize(const char *in, size_t len, char *out, size_t out_cap)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t mlen, pos = 0;
	size_t o = 0;
	int pending_space = 0, rc = 0;

	if (out_cap == 0)
		return BANDITORE_ETOOBIG;
	out[0] = '\0';
	if (len > KEYWORD_INPUT_MAX)
		return BANDITORE_ETOOBIG;
	mlen = utf8proc_map((const utf8proc_uint8_t *)in, (utf8proc_ssize_t)len, &mapped,
			    UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
				    UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
	if (mlen < 0)
		return BANDITORE_EINVAL;
	while (pos < mlen) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(mapped + pos, mlen - pos, &cp);
		if (n <= 0) {
			rc = BANDITORE_EINVAL;
			goto done;
		}
		if (is_word_char(cp)) {
			size_t need = (size_t)n + (pending_space && o > 0 ? 1 : 0);
			if (o + need >= out_cap) {
				rc = BANDITORE_ETOOBIG;
				goto done;
			}
			if (pending_space && o > 0)
				out[o++] = ' ';
			memcpy(out + o, mapped + pos, (size_t)n);
			o += (size_t)n;
			pending_space = 0;
		} else {
			pending_space = 1;
		}
		pos += n;
	}
done:
	out[rc ? 0 : o] = '\0';
	free(mapped);
	return rc;
}

int keyword_matches(const char *text, size_t len, const char *keyword)
{
	char norm[KEYWORD_MAX];
	if (keyword_normalize(text, len, norm, sizeof(norm)) != 0)
		return 0;
	return norm[0] != '\0' && strcmp(norm, keyword) == 0;
}
