/*
 * gen_subscribers.c - fills a data folder with fictitious WhatsApp subscribers, fast,
 * for benchmarks and load tests of broadcasting (a million joins through webhooks would
 * measure the webhooks, not the sender).
 *
 *   gen_subscribers DATA_DIR COUNT [FIRST [PLATFORM]]
 *
 * Subscriber k (FIRST <= k < FIRST + COUNT) is +39 370 kkkkkkk (seven digits, so up to
 * 10,000,000): fictitious numbers, sealed and hashed with the folder's own key exactly as
 * a join through the webhook stores them. `banditore init` must have made the folder.
 * PLATFORM (whatsapp by default) may be "email" (utente.kkkkkkk@example.org), "telegram"
 * (chat id 7000kkkkkkk) or "sms" (the same numbers as WhatsApp), for the lanes' tests
 * and bench/platforms.
 */
#include "common/err.h"
#include "common/keyfile.h"
#include "common/platform.h"
#include "store/store.h"
#include "subscribers/subscribers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 20000

static long whole(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return (errno || end == s || *end || n < 0) ? -1 : n;
}

int main(int argc, char **argv)
{
	char db[4096], key[4096], canonical[64];
	struct keyfile_keys keys;
	struct store *st = NULL;
	long count, first = 1;
	int platform = PLATFORM_WHATSAPP;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (argc < 3 || argc > 5 || (count = whole(argv[2])) < 0 ||
	    (argc >= 4 && (first = whole(argv[3])) < 0) || first + count > 10000000 ||
	    (argc == 5 && (platform = platform_from_name(argv[4])) < 0)) {
		fprintf(stderr, "usage: gen_subscribers DATA_DIR COUNT [FIRST [PLATFORM]]"
				" (FIRST + COUNT <= 10000000)\n");
		return 2;
	}
	snprintf(db, sizeof(db), "%s/banditore.db", argv[1]);
	snprintf(key, sizeof(key), "%s/banditore.key", argv[1]);
	rc = keyfile_load(key, &keys);
	if (!rc)
		rc = store_open(db, &st);
	if (rc) {
		fprintf(stderr, "gen_subscribers: %s (%s)\n", banditore_strerror(rc), store_errmsg(st));
		return 1;
	}
	for (long k = first; k < first + count && !rc; k += BATCH) {
		rc = store_begin(st);
		for (long i = k; i < k + BATCH && i < first + count && !rc; i++) {
			if (platform == PLATFORM_EMAIL)
				snprintf(canonical, sizeof(canonical), "utente.%07ld@example.org", i);
			else if (platform == PLATFORM_TELEGRAM)
				snprintf(canonical, sizeof(canonical), "7000%07ld", i);
			else
				snprintf(canonical, sizeof(canonical), "+39370%07ld", i);
			rc = subscribers_join(st, &keys, platform, canonical, "cli",
					      "0000000000000000000000000000000000000000000000000000000000000000",
					      now, NULL);
		}
		if (!rc)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	if (rc)
		fprintf(stderr, "gen_subscribers: %s (%s)\n", banditore_strerror(rc), store_errmsg(st));
	store_free(st);
	return rc ? 1 : 0;
}
