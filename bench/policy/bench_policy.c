/* bench_policy.c - content checks per second on one core, for messages of 300 to 2,000
 * bytes built from the policy corpora's sentences, with the shipped lexicons; measured in
 * the same run beside two references over the same texts: memchr over every byte (the
 * memory floor) and keyword_normalize of the whole text (utf8proc's NFKC and case folding,
 * what any Unicode-aware check has to pay).
 *
 * usage: bench_policy LEXICON_DIR SENTENCES_FILE [SECONDS_PER_MEASURE=2]
 * SENTENCES_FILE: one text per line (UTF-8). Prints one line per measure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/keyword.h"
#include "policy/content.h"

#define MESSAGES 1000
#define MIN_LEN 300
#define MAX_LEN 2000

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ull;

static unsigned long long next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct msg {
	char *text;
	size_t len;
};

enum measure { M_MEMCHR, M_NORMALIZE, M_SCAN };

static volatile size_t sink;

static double run(enum measure m, const struct policy_content_rules *r, struct msg *msgs,
		  double seconds, double *bytes_per_s, long *findings)
{
	double t0 = now(), t;
	long checks = 0;
	size_t bytes = 0;
	char norm[4 * MAX_LEN + 16];

	*findings = 0;
	do {
		for (int i = 0; i < MESSAGES; i++) {
			struct policy_finding f[16];
			int count = 0;
			switch (m) {
			case M_MEMCHR:
				sink += memchr(msgs[i].text, '\x01', msgs[i].len) != NULL;
				break;
			case M_NORMALIZE:
				sink += (size_t)keyword_normalize(msgs[i].text, msgs[i].len, norm, sizeof(norm));
				break;
			case M_SCAN:
				policy_content_scan(r, msgs[i].text, msgs[i].len, f, 16, &count);
				*findings += count;
				break;
			}
			bytes += msgs[i].len;
		}
		checks += MESSAGES;
		t = now() - t0;
	} while (t < seconds);
	*bytes_per_s = (double)bytes / t;
	return (double)checks / t;
}

int main(int argc, char **argv)
{
	static const char *const phones[] = { "+39 039 628 0000" };
	static const char *const emails[] = { "protocollo@comune.example.it" };
	static const char *const domains[] = { "comune.example.it" };
	struct policy_content_rules r = { NULL, phones, 1, emails, 1, domains, 1, 0 };
	struct policy_lexicon *lex;
	char *sentences, *line;
	char **lines = NULL;
	size_t slen = 0, total = 0;
	int n_lines = 0, terms = 0;
	double seconds = argc > 3 ? strtod(argv[3], NULL) : 2.0;
	struct msg *msgs;
	static const char *const names[] = { "memchr", "keyword_normalize", "policy_content_scan" };
	double rate[3], bps[3];
	long findings[3];

	if (argc < 3) {
		fprintf(stderr, "usage: %s LEXICON_DIR SENTENCES_FILE [SECONDS]\n", argv[0]);
		return 2;
	}
	lex = policy_lexicon_new();
	for (int k = 0; k < POLICY_K_NAME; k++) {
		char path[4096];
		size_t n = 0;
		char *data;
		int bad = 0;
		snprintf(path, sizeof(path), "%s/%s.txt", argv[1], policy_kind_name((enum policy_kind)k));
		data = read_all(path, &n);
		if (!data || policy_lexicon_add(lex, (enum policy_kind)k, data, n, &bad) != 0) {
			fprintf(stderr, "cannot load %s (line %d)\n", path, bad);
			return 1;
		}
		free(data);
		terms += policy_lexicon_count(lex, (enum policy_kind)k);
	}
	policy_lexicon_add(lex, POLICY_K_NAME, "Mario Rossi\nAnna Bianchi\nGiulia Verdi\n", 37, NULL);
	r.lexicon = lex;

	sentences = read_all(argv[2], &slen);
	if (!sentences) {
		fprintf(stderr, "cannot read %s\n", argv[2]);
		return 1;
	}
	for (line = strtok(sentences, "\n"); line; line = strtok(NULL, "\n")) {
		char **l = realloc(lines, (size_t)(n_lines + 1) * sizeof(*l));
		if (!l)
			return 1;
		lines = l;
		lines[n_lines++] = line;
	}
	if (n_lines == 0)
		return 1;
	/* Messages of uniformly drawn lengths, sentences one after another, cut at a
	 * character boundary. */
	msgs = calloc(MESSAGES, sizeof(*msgs));
	for (int i = 0; i < MESSAGES; i++) {
		size_t want = MIN_LEN + next_rand() % (MAX_LEN - MIN_LEN + 1), n = 0;
		char *t = malloc(want + MAX_LEN + 2);
		while (n < want) {
			const char *s = lines[next_rand() % (unsigned)n_lines];
			size_t sl = strlen(s);
			if (sl > MAX_LEN)
				sl = MAX_LEN;
			memcpy(t + n, s, sl);
			n += sl;
			t[n++] = ' ';
		}
		n = want;
		while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
			n--; /* do not cut a character */
		t[n] = '\0';
		msgs[i].text = t;
		msgs[i].len = n;
		total += n;
	}
	printf("messages: %d, %zu to %d bytes, mean %zu bytes; lexicon terms: %d\n", MESSAGES,
	       (size_t)MIN_LEN, MAX_LEN, total / MESSAGES, terms);
	for (int m = 0; m < 3; m++) {
		rate[m] = run((enum measure)m, &r, msgs, seconds, &bps[m], &findings[m]);
		printf("%-20s %12.0f checks/s %8.1f MB/s\n", names[m], rate[m], bps[m] / 1e6);
	}
	{
		long all = 0;
		for (int i = 0; i < MESSAGES; i++) {
			struct policy_finding f[1];
			int count = 0;
			policy_content_scan(&r, msgs[i].text, msgs[i].len, f, 1, &count);
			all += count;
		}
		printf("findings per message: %.2f\n", (double)all / MESSAGES);
	}
	printf("ratio policy_content_scan / keyword_normalize: %.2f\n", rate[M_SCAN] / rate[M_NORMALIZE]);
	for (int i = 0; i < MESSAGES; i++)
		free(msgs[i].text);
	free(msgs);
	free(lines);
	free(sentences);
	policy_lexicon_free(lex);
	return 0;
}
