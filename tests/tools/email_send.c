/*
 * email_send.c - sends one message to every e-mail subscriber of a data folder: the
 * connector and the store glue as the broadcast engine will use them (unseal, compose
 * with the subscriber's own unsubscribe link, send in batches over parallel connections,
 * count permanent failures), for the integration test; the engine's wiring of e-mail
 * comes later.
 *
 *   email_send DATA_DIR SMTP_URL FROM_ADDRESS PUBLIC_URL SUBJECT TEXT
 *
 * Prints "result=ok|retry|fail code=N" per subscriber, then "sent=N failed=M".
 * Exit 0 when every message was accepted.
 */
#include "common/buf.h"
#include "common/err.h"
#include "common/keyfile.h"
#include "common/platform.h"
#include "connectors/email.h"
#include "store/store.h"
#include "subscribers/subscribers.h"

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
	struct email_sender *s = NULL;
	struct email_settings es = { 0 };
	struct store_recipient *page = NULL;
	struct email_job jobs[PAGE];
	struct buf bodies[PAGE];
	char to[PAGE][EMAIL_ADDR_MAX + 1];
	int64_t max_id = 0, count = 0, after = 0;
	int bad = 0, sent = 0, failed = 0, n, rc;

	if (argc < 7) {
		fprintf(stderr, "usage: email_send DATA_DIR SMTP_URL FROM PUBLIC_URL SUBJECT TEXT\n");
		return 2;
	}
	snprintf(db, sizeof(db), "%s/banditore.db", argv[1]);
	snprintf(key, sizeof(key), "%s/banditore.key", argv[1]);
	if ((rc = keyfile_load(key, &keys)) || (rc = store_open(db, &st))) {
		fprintf(stderr, "email_send: %s\n", banditore_strerror(rc));
		return 1;
	}
	for (int i = 0; i < PAGE; i++)
		buf_init(&bodies[i], EMAIL_MESSAGE_MAX);
	es.smtp_url = argv[2];
	es.from_address = argv[3];
	page = calloc(PAGE, sizeof(*page));
	if (!page || (rc = email_sender_new(&es, &s)) ||
	    (rc = store_subscribers_extent(st, PLATFORM_EMAIL, &max_id, &count))) {
		fprintf(stderr, "email_send: %s\n", banditore_strerror(page ? rc : BANDITORE_ENOMEM));
		bad = 1;
		goto out;
	}
	for (;;) {
		int k = 0;
		rc = store_subscribers_page(st, PLATFORM_EMAIL, after, max_id, 0, page, PAGE, &n);
		if (rc || n == 0)
			break;
		for (int i = 0; i < n; i++) {
			uint8_t hash[CRYPTO_HASH_LEN];
			char tok[EMAIL_TOKEN_LEN + 1], url[EMAIL_URL_MAX];
			struct email_compose c = { 0 };

			after = page[i].id;
			if (subscribers_unseal(&keys, PLATFORM_EMAIL, page[i].sealed, page[i].sealed_len,
					       to[k], sizeof(to[k])) ||
			    subscribers_hash(&keys, PLATFORM_EMAIL, to[k], hash) ||
			    email_unsub_token(keys.email, hash, tok) ||
			    email_link(argv[4], "/email/unsubscribe", tok, url, sizeof(url))) {
				printf("result=unreadable\n");
				bad = 1;
				continue;
			}
			c.from_address = argv[3];
			c.from_name = "Comune di Prova";
			c.to = to[k];
			c.subject = argv[5];
			c.text = argv[6];
			c.unsubscribe_url = url;
			c.date = (int64_t)time(NULL);
			buf_reset(&bodies[k]);
			if (email_compose(&c, &bodies[k])) {
				printf("result=uncomposable\n");
				bad = 1;
				continue;
			}
			jobs[k].to = to[k];
			jobs[k].data = bodies[k].data;
			jobs[k].len = bodies[k].len;
			page[k].id = page[i].id;
			k++;
		}
		email_send_batch(s, jobs, k);
		for (int i = 0; i < k; i++) {
			printf("result=%s code=%d\n", connector_outcome_name(jobs[i].res.outcome),
			       jobs[i].res.error_code);
			if (jobs[i].res.outcome == CONNECTOR_OK) {
				sent++;
			} else {
				bad = 1;
				if (jobs[i].res.outcome == CONNECTOR_FAIL) {
					int f = 0;
					failed++;
					if (store_begin(st) == 0) {
						if (store_subscriber_failed(st, page[i].id, &f) == 0)
							store_commit(st);
						else
							store_rollback(st);
					}
				}
			}
		}
	}
	printf("sent=%d failed=%d\n", sent, failed);
out:
	email_sender_free(s);
	for (int i = 0; i < PAGE; i++)
		buf_free(&bodies[i]);
	free(page);
	store_free(st);
	return bad;
}
