/*
 * push_send.c - sends one web push payload to every push subscriber of a data folder,
 * erasing those whose push service answers 404 or 410: the connector and the store glue
 * exactly as the broadcast engine will use them, for the integration test (the engine's
 * wiring of web push comes later).
 *
 *   push_send DATA_DIR SUBJECT PAYLOAD [high] [insecure]
 *
 * Prints one line per subscriber: "result=ok|retry|fail status=N gone=0|1 erased=0|1",
 * then "sent=N erased=M". Exit 0 when every send was accepted or erased, 1 otherwise.
 */
#include "common/err.h"
#include "common/keyfile.h"
#include "common/platform.h"
#include "connectors/webpush.h"
#include "store/store.h"
#include "subscribers/webpush_subscribers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 256

int main(int argc, char **argv)
{
	char db[4096], key[4096];
	struct keyfile_keys keys;
	struct store *st = NULL;
	struct webpush *w = NULL;
	struct webpush_settings ws = { 0 };
	struct store_recipient *page = NULL;
	int64_t max_id = 0, count = 0, after = 0;
	int urgency = WEBPUSH_URGENCY_NORMAL, flags = 0, bad = 0, sent = 0, erased = 0, n, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: push_send DATA_DIR SUBJECT PAYLOAD [high] [insecure]\n");
		return 2;
	}
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "high"))
			urgency = WEBPUSH_URGENCY_HIGH;
		else if (!strcmp(argv[i], "insecure"))
			flags |= WEBPUSH_ALLOW_INSECURE;
	}
	snprintf(db, sizeof(db), "%s/banditore.db", argv[1]);
	snprintf(key, sizeof(key), "%s/banditore.key", argv[1]);
	if ((rc = keyfile_load(key, &keys)) || (rc = store_open(db, &st))) {
		fprintf(stderr, "push_send: %s\n", banditore_strerror(rc));
		return 1;
	}
	ws.vapid_seed = keys.vapid;
	ws.subject = argv[2];
	ws.flags = flags;
	page = calloc(PAGE, sizeof(*page));
	if (!page || (rc = webpush_new(&ws, &w)) ||
	    (rc = store_subscribers_extent(st, PLATFORM_WEBPUSH, &max_id, &count))) {
		fprintf(stderr, "push_send: %s\n", banditore_strerror(page ? rc : BANDITORE_ENOMEM));
		bad = 1;
		goto out;
	}
	for (;;) {
		rc = store_subscribers_page(st, PLATFORM_WEBPUSH, after, max_id, 0, page, PAGE, &n);
		if (rc || n == 0)
			break;
		for (int i = 0; i < n; i++) {
			struct webpush_subscription sub;
			struct connector_result res;
			int left = 0;

			after = page[i].id;
			if (webpush_subscribers_open(&keys, page[i].sealed, page[i].sealed_len, flags, &sub)) {
				printf("result=unreadable\n");
				bad = 1;
				continue;
			}
			webpush_send(w, &sub, argv[3], strlen(argv[3]), 3600, urgency, &res);
			if (webpush_result_gone(&res)) {
				uint8_t hash[CRYPTO_HASH_LEN];
				if (webpush_subscribers_hash(&keys, sub.endpoint, hash) == 0 &&
				    store_begin(st) == 0) {
					if (webpush_subscribers_gone(st, hash, (int64_t)time(NULL), &left) == 0)
						store_commit(st);
					else
						store_rollback(st);
				}
				erased += left;
			} else if (res.outcome == CONNECTOR_OK) {
				sent++;
			} else {
				bad = 1;
			}
			printf("result=%s status=%d gone=%d erased=%d retry_after=%d error=\"%s\"\n",
			       connector_outcome_name(res.outcome), res.http_status, webpush_result_gone(&res),
			       left, res.retry_after, res.error);
			memset(&sub, 0, sizeof(sub));
		}
	}
	for (int tries = 0; erased && tries < 50 && store_purge_log(st) == BANDITORE_ETEMP; tries++)
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	printf("sent=%d erased=%d\n", sent, erased);
out:
	webpush_free(w);
	free(page);
	store_free(st);
	return bad;
}
