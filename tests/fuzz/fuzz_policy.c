/* fuzz_policy.c - libFuzzer target: the content detectors (policy_content_scan) with the
 * shipped Italian lexicons, loaded once, on arbitrary bytes (invalid UTF-8 included), and
 * policy_lexicon_add on the same bytes read as a lexicon file. The findings must keep the
 * scan's promises: in text order, inside the text, at most cap kept, a count at least as
 * large; a lexicon line refused names a line that exists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/content.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct policy_lexicon *shipped;

static void load(void)
{
	shipped = policy_lexicon_new();
	if (!shipped)
		abort();
	for (int k = 0; k < POLICY_K_NAME; k++) {
		char path[1024];
		char *buf;
		long n;
		int bad = 0;
		FILE *f;
		snprintf(path, sizeof(path), "%s/data/policy/lexicons/it/%s.txt", SOURCE_ROOT,
			 policy_kind_name((enum policy_kind)k));
		f = fopen(path, "rb");
		if (!f) {
			fprintf(stderr, "fuzz_policy: cannot open %s\n", path);
			abort();
		}
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc((size_t)n + 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n ||
		    policy_lexicon_add(shipped, (enum policy_kind)k, buf, (size_t)n, &bad) != 0)
			abort();
		free(buf);
		fclose(f);
	}
	if (policy_lexicon_add(shipped, POLICY_K_NAME, "Mario Rossi\nAnna Bianchi\n", 25, NULL) != 0)
		abort();
}

static void check(const struct policy_content_rules *r, const char *text, size_t len, int cap)
{
	struct policy_finding f[8];
	int count = -1;

	if (policy_content_scan(r, text, len, f, cap, &count) != 0 || count < 0)
		__builtin_trap();
	for (int i = 0; i < count && i < cap; i++) {
		if ((int)f[i].kind < 0 || f[i].kind >= POLICY_K_COUNT || f[i].start > len ||
		    f[i].len > len - f[i].start || f[i].len == 0 ||
		    strnlen(f[i].detail, POLICY_DETAIL_MAX) >= POLICY_DETAIL_MAX)
			__builtin_trap();
		if (i > 0 && f[i - 1].start > f[i].start)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const phones[] = { "+39 039 628 0000" };
	static const char *const emails[] = { "protocollo@comune.example.it" };
	static const char *const domains[] = { "comune.example.it" };
	struct policy_content_rules r = { NULL, phones, 1, emails, 1, domains, 1, 0 };
	const char *text = (const char *)data;
	struct policy_lexicon *lex;
	int bad = -1, rc;

	if (!shipped)
		load();
	r.lexicon = shipped;
	r.allow_http = size > 0 && (data[0] & 1);
	check(&r, text, size, 8);
	check(&r, text, size, 1);

	/* The same bytes as a lexicon: refused whole with a line number, or used to scan. */
	lex = policy_lexicon_new();
	if (!lex)
		return 0;
	rc = policy_lexicon_add(lex, (enum policy_kind)(size % POLICY_K_LEXICON_COUNT), text, size, &bad);
	if (rc == BANDITORE_EINVAL) {
		if (bad < 1 || policy_lexicon_count(lex, (enum policy_kind)(size % POLICY_K_LEXICON_COUNT)) != 0)
			__builtin_trap();
	} else if (rc == 0) {
		r.lexicon = lex;
		check(&r, text, size, 8);
	}
	policy_lexicon_free(lex);
	return 0;
}
