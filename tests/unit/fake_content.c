/* fake_content.c - a stand-in for the content detectors (src/policy/content.h) in the
 * rule engine's unit tests, so that test_policy.c decides exactly what a text "contains":
 * every term added to a lexicon is found as a plain, case-sensitive substring (its
 * detail is the term), and "http://" is an insecure link unless allow_http. Linked
 * before the core library, it keeps the real content.c out of test_policy. */
#include "policy/content.h"

#include "common/err.h"

#include <stdlib.h>
#include <string.h>

static const char *const names[POLICY_K_COUNT] = {
	"propaganda", "political", "advertising", "obscene", "blasphemy", "defamatory",
	"discriminatory", "health", "judicial", "shortener", "name", "codice_fiscale", "iban",
	"phone", "email", "insecure_link", "link_mismatch",
};

const char *policy_kind_name(enum policy_kind kind)
{
	return (unsigned)kind < POLICY_K_COUNT ? names[kind] : NULL;
}

int policy_kind_from_name(const char *name)
{
	for (int i = 0; name && i < POLICY_K_COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

#define FAKE_TERMS 64

struct policy_lexicon {
	int kind[FAKE_TERMS];
	char term[FAKE_TERMS][64];
	int n;
};

struct policy_lexicon *policy_lexicon_new(void)
{
	return calloc(1, sizeof(struct policy_lexicon));
}

void policy_lexicon_free(struct policy_lexicon *lex)
{
	free(lex);
}

int policy_lexicon_add(struct policy_lexicon *lex, enum policy_kind kind, const char *data,
		       size_t len, int *bad_line)
{
	size_t i = 0;
	int line = 0;

	while (i < len) {
		size_t j = i;
		while (j < len && data[j] != '\n')
			j++;
		line++;
		if (j > i && data[i] != '#') {
			if (j - i >= 64 || lex->n == FAKE_TERMS) {
				if (bad_line)
					*bad_line = line;
				return BANDITORE_EINVAL;
			}
			lex->kind[lex->n] = kind;
			memcpy(lex->term[lex->n], data + i, j - i);
			lex->term[lex->n][j - i] = '\0';
			lex->n++;
		}
		i = j + 1;
	}
	return 0;
}

int policy_lexicon_count(const struct policy_lexicon *lex, enum policy_kind kind)
{
	int n = 0;

	for (int i = 0; lex && i < lex->n; i++)
		n += lex->kind[i] == (int)kind;
	return n;
}

static void found(struct policy_finding *out, int cap, int *count, enum policy_kind kind,
		  size_t start, size_t len, const char *detail)
{
	if (*count < cap) {
		out[*count].kind = kind;
		out[*count].start = start;
		out[*count].len = len;
		strncpy(out[*count].detail, detail, POLICY_DETAIL_MAX - 1);
		out[*count].detail[POLICY_DETAIL_MAX - 1] = '\0';
	}
	(*count)++;
}

int policy_content_scan(const struct policy_content_rules *rules, const char *text,
			size_t len, struct policy_finding *out, int cap, int *count)
{
	const char *p;

	if (!rules || !text || !out || !count)
		return BANDITORE_EINVAL;
	*count = 0;
	for (int i = 0; rules->lexicon && i < rules->lexicon->n; i++)
		if ((p = memmem(text, len, rules->lexicon->term[i], strlen(rules->lexicon->term[i]))))
			found(out, cap, count, rules->lexicon->kind[i], (size_t)(p - text),
			      strlen(rules->lexicon->term[i]), rules->lexicon->term[i]);
	if (!rules->allow_http && (p = memmem(text, len, "http://", 7)))
		found(out, cap, count, POLICY_K_INSECURE_LINK, (size_t)(p - text), 7, "http://");
	return 0;
}
