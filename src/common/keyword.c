/* keyword.c - Unicode-aware keyword normalisation over utf8proc, for a whole keyword or
 * word by word through a longer text. */
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

/* The folded form of one code point: how many code points went to out (at most cap),
 * 0 for a mark or an ignorable character. */
static int fold_cp(utf8proc_int32_t cp, utf8proc_int32_t *out, int cap)
{
	int boundclass = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char(cp, out, cap,
		UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
			UTF8PROC_STRIPMARK | UTF8PROC_IGNORE, &boundclass);
	if (n < 0 || n > cap)
		return -1; /* unassigned, or a mapping longer than any Unicode has */
	return (int)n;
}

static void word_append(struct keyword_word *w, const utf8proc_int32_t *cps, int n)
{
	for (int i = 0; i < n; i++) {
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t k;
		if (!is_word_char(cps[i]))
			continue; /* e.g. the fraction slash of a folded "½" */
		k = utf8proc_encode_char(cps[i], enc);
		if (w->truncated || w->len + (size_t)k > KEYWORD_WORD_MAX) {
			w->truncated = 1; /* keep a prefix: nothing after the first cut */
			return;
		}
		memcpy(w->norm + w->len, enc, (size_t)k);
		w->len += (size_t)k;
	}
}

/* The folded form of U+00C0..U+00FF (UTF-8 C3 80..C3 BF) where it is one ASCII letter, as
 * utf8proc gives it (a unit test checks every entry): Italian's accented vowels without a
 * call into utf8proc. 0: ask utf8proc (Æ, ß, ×, ...). */
static const char latin1_fold[64] = {
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
	0, 'n', 'o', 'o', 'o', 'o', 'o', 0, 0, 'u', 'u', 'u', 'u', 'y', 0, 0,
	'a', 'a', 'a', 'a', 'a', 'a', 0, 'c', 'e', 'e', 'e', 'e', 'i', 'i', 'i', 'i',
	0, 'n', 'o', 'o', 'o', 'o', 'o', 0, 0, 'u', 'u', 'u', 'u', 'y', 0, 'y',
};

int keyword_next_word(const char *text, size_t len, size_t *pos, struct keyword_word *w)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i = *pos;
	int in_word = 0;

	w->len = 0;
	w->truncated = 0;
	w->start = w->end = i;
	while (i < len) {
		unsigned char c = t[i];
		utf8proc_int32_t cp, folded[32];
		utf8proc_ssize_t n;
		int nf, word = 0;

		if (c < 0x80) {
			/* ASCII: letters and digits are words, the rest separates them. */
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    (c >= 'A' && c <= 'Z')) {
				if (!in_word) {
					in_word = 1;
					w->start = i;
				}
				if (!w->truncated && w->len < KEYWORD_WORD_MAX)
					w->norm[w->len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
				else
					w->truncated = 1;
				i++;
				continue;
			}
			if (in_word)
				break;
			i++;
			continue;
		}
		if (c == 0xC3 && i + 1 < len && (t[i + 1] & 0xC0) == 0x80 &&
		    latin1_fold[t[i + 1] & 0x3F]) {
			if (!in_word) {
				in_word = 1;
				w->start = i;
			}
			if (!w->truncated && w->len < KEYWORD_WORD_MAX)
				w->norm[w->len++] = latin1_fold[t[i + 1] & 0x3F];
			else
				w->truncated = 1;
			i += 2;
			continue;
		}
		n = utf8proc_iterate(t + i, (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			/* Invalid UTF-8: one byte that separates words. */
			if (in_word)
				break;
			i++;
			continue;
		}
		nf = fold_cp(cp, folded, (int)(sizeof(folded) / sizeof(folded[0])));
		if (nf == 0) {
			/* A mark or an ignorable character: part of the word around it. */
			i += (size_t)n;
			continue;
		}
		for (int k = 0; k < nf; k++)
			if (is_word_char(folded[k]))
				word = 1;
		if (!word) {
			if (in_word)
				break;
			i += (size_t)n;
			continue;
		}
		if (!in_word) {
			in_word = 1;
			w->start = i;
		}
		word_append(w, folded, nf);
		i += (size_t)n;
	}
	if (!in_word) {
		*pos = len;
		w->start = w->end = len;
		w->norm[0] = '\0';
		return 0;
	}
	/* A mark right after the last letter belongs to the word: end is the separator. */
	w->end = i;
	w->norm[w->len] = '\0';
	*pos = i;
	return 1;
}
