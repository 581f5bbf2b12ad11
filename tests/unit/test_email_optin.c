/*
 * test_email_optin.c - unit tests of the e-mail double opt-in over a real SQLite store:
 * a request stores only hashes and a sealed address; confirming within 48 hours makes
 * the subscriber with its receipt; later, or with an unknown link, nothing is stored;
 * throttling, blocklist, leave erasing everything, maintenance expiry, and reading
 * delivery status notifications (RFC 3464) into bounce counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/platform.h"
#include "store/store.h"
#include "subscribers/email_optin.h"
#include "subscribers/subscribers.h"

#define ADDR "cittadina.due@example.org"
#define T0 1741082400

struct fix {
	char dir[64];
	char path[128];
	struct store *st;
	struct keyfile_keys keys;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-optin-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db.sqlite", f->dir);
	assert_int_equal(store_open(f->path, &f->st), 0);
	memset(&f->keys, 0x11, sizeof(f->keys));
	memset(f->keys.index, 0x22, sizeof(f->keys.index));
	memset(f->keys.email, 0x33, sizeof(f->keys.email));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char p[160];
	store_free(f->st);
	static const char *const sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void request(struct fix *f, const char *addr, int64_t now, struct email_optin_request *r,
		    int expect)
{
	int status = -1;
	assert_int_equal(email_optin_prepare(&f->keys, addr, "abc123", now, r), 0);
	assert_int_equal(strlen(r->token), EMAIL_OPTIN_TOKEN_LEN);
	assert_int_equal(email_optin_store(f->st, r, now, &status), 0);
	assert_int_equal(status, expect);
}

static int confirm(struct fix *f, const char *token, int64_t now)
{
	uint8_t h[CRYPTO_HASH_LEN];
	int status = -1;
	assert_int_equal(email_optin_token_hash(&f->keys, token, h), 0);
	assert_int_equal(email_optin_confirm(f->st, h, now, &status), 0);
	return status;
}

static void test_request_and_confirm(void **state)
{
	struct fix *f = *state;
	struct email_optin_request r;
	struct store_pending p;
	struct store_subscriber sub;
	uint8_t h[CRYPTO_HASH_LEN];
	char back[256];
	int64_t count = -1;

	request(f, ADDR, T0, &r, EMAIL_OPTIN_STORED);
	/* Stored: the token only as its keyed hash, the address sealed. */
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_EMAIL, r.pending.addr_hash, &p), 0);
	assert_memory_not_equal(p.token_hash, r.token, 32);
	assert_null(memmem(p.sealed, p.sealed_len, ADDR, strlen(ADDR)));
	assert_int_equal(subscribers_unseal(&f->keys, PLATFORM_EMAIL, p.sealed, p.sealed_len, back,
					    sizeof(back)), 0);
	assert_string_equal(back, ADDR);
	assert_int_equal(store_subscriber_count(f->st, PLATFORM_EMAIL, &count), 0);
	assert_int_equal(count, 0);
	/* A second request at once is throttled (no second mail). */
	{
		struct email_optin_request r2;
		request(f, ADDR, T0 + 10, &r2, EMAIL_OPTIN_THROTTLED);
	}
	/* Confirmed 47 hours later: a subscriber with its receipt; the link is used up. */
	assert_int_equal(confirm(f, r.token, T0 + 47 * 3600), EMAIL_OPTIN_SUBSCRIBED);
	assert_int_equal(subscribers_hash(&f->keys, PLATFORM_EMAIL, ADDR, h), 0);
	assert_int_equal(store_subscriber_get(f->st, PLATFORM_EMAIL, h, &sub), 0);
	assert_string_equal(sub.method, EMAIL_OPTIN_METHOD);
	assert_string_equal(sub.policy_version, "abc123");
	assert_int_equal(sub.joined_at, T0 + 47 * 3600);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_EMAIL, h, &p), BANDITORE_ENOTFOUND);
	assert_int_equal(confirm(f, r.token, T0 + 47 * 3600 + 1), EMAIL_OPTIN_UNKNOWN);
	/* Asking again as a subscriber sends nothing. */
	request(f, ADDR, T0 + 50 * 3600, &r, EMAIL_OPTIN_ALREADY);
	/* A malformed token is refused before the store. */
	assert_int_equal(email_optin_token_hash(&f->keys, "abc", h), BANDITORE_EINVAL);
}

static void test_expired(void **state)
{
	struct fix *f = *state;
	struct email_optin_request r, r2;
	struct store_pending p;
	int64_t removed = -1, count = -1;

	request(f, ADDR, T0, &r, EMAIL_OPTIN_STORED);
	/* 48 hours and one second later: expired, deleted, no subscriber. */
	assert_int_equal(confirm(f, r.token, T0 + EMAIL_OPTIN_TTL + 1), EMAIL_OPTIN_EXPIRED);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_EMAIL, r.pending.addr_hash, &p),
			 BANDITORE_ENOTFOUND);
	assert_int_equal(store_subscriber_count(f->st, PLATFORM_EMAIL, &count), 0);
	assert_int_equal(count, 0);
	/* Never confirmed: the maintenance removes it after 48 hours, not before. */
	request(f, "altro@example.org", T0, &r2, EMAIL_OPTIN_STORED);
	assert_int_equal(email_optin_expire(f->st, T0 + EMAIL_OPTIN_TTL - 1, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(email_optin_expire(f->st, T0 + EMAIL_OPTIN_TTL + 1, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(confirm(f, r2.token, T0 + 60), EMAIL_OPTIN_UNKNOWN);
	/* A new request after the throttle replaces the old one, whose link dies. */
	request(f, ADDR, T0, &r, EMAIL_OPTIN_STORED);
	request(f, ADDR, T0 + EMAIL_OPTIN_RESEND_MIN + 1, &r2, EMAIL_OPTIN_STORED);
	assert_int_equal(confirm(f, r.token, T0 + 400), EMAIL_OPTIN_UNKNOWN);
	assert_int_equal(confirm(f, r2.token, T0 + 400), EMAIL_OPTIN_SUBSCRIBED);
}

static void test_leave_and_block(void **state)
{
	struct fix *f = *state;
	struct email_optin_request r, r2;
	struct store_pending p;
	int status = -1;

	request(f, ADDR, T0, &r, EMAIL_OPTIN_STORED);
	assert_int_equal(confirm(f, r.token, T0 + 5), EMAIL_OPTIN_SUBSCRIBED);
	/* A pending request of the same address (asked again after a failed first mail, say)
	 * goes too when the subscriber leaves. */
	assert_int_equal(email_optin_prepare(&f->keys, ADDR, "abc123", T0 + 9999, &r2), 0);
	assert_int_equal(store_pending_put(f->st, &r2.pending), 0);
	assert_int_equal(email_optin_leave(f->st, r.pending.addr_hash, T0 + 10000, &status), 0);
	assert_int_equal(status, EMAIL_OPTIN_LEFT);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_EMAIL, r.pending.addr_hash, &p),
			 BANDITORE_ENOTFOUND);
	assert_int_equal(email_optin_leave(f->st, r.pending.addr_hash, T0 + 10001, &status), 0);
	assert_int_equal(status, EMAIL_OPTIN_NOT_SUBSCRIBED);
	/* An expelled address cannot ask again. */
	assert_int_equal(store_block_add(f->st, PLATFORM_EMAIL, r.block_hash, T0), 0);
	request(f, ADDR, T0 + 20000, &r, EMAIL_OPTIN_BLOCKED);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_EMAIL, r.pending.addr_hash, &p),
			 BANDITORE_ENOTFOUND);
}

static const char dsn[] =
	"From: MAILER-DAEMON@mx.example.org\r\n"
	"To: <bounces@comune.example.org>\r\n"
	"Subject: Undelivered Mail Returned to Sender\r\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
	"\r\n"
	"--B\r\n"
	"Content-Type: text/plain\r\n\r\n"
	"Final-Recipient: rfc822; not-a-field-here@example.org (prose)\r\n"
	"--B\r\n"
	"Content-Type: message/delivery-status\r\n\r\n"
	"Reporting-MTA: dns; mx.example.org\r\n"
	"Arrival-Date: Tue, 4 Mar 2025 10:00:00 +0000\r\n"
	"\r\n"
	"Original-Recipient: rfc822; Cittadina.Due@Example.org\r\n"
	"Final-Recipient: rfc822; cittadina.due@example.org\r\n"
	"Action: failed\r\n"
	"Status: 5.1.1\r\n"
	"Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"
	"\r\n"
	"Final-Recipient: rfc822; piena@example.org\r\n"
	"Action: delayed\r\n"
	"Status: 4.2.2\r\n"
	"\r\n"
	"Final-Recipient: rfc822; altra@example.org\r\n"
	"Action: failed\r\n"
	"Status: 4.4.7\r\n"
	"\r\n"
	"Final-Recipient: rfc822; terza@example.org\r\n"
	"Action: failed\r\n"
	"Status: 5.2.1\r\n"
	"--B--\r\n";

static void test_dsn(void **state)
{
	struct fix *f = *state;
	char addrs[8][256];
	struct email_optin_request r;
	struct store_recipient rec[4];
	int n = -1, counted = -1;
	(void)state;

	assert_int_equal(email_dsn_failed(dsn, strlen(dsn), addrs, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(addrs[0], "cittadina.due@example.org");
	assert_string_equal(addrs[1], "terza@example.org");
	assert_int_equal(email_dsn_failed(dsn, strlen(dsn), addrs, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(email_dsn_failed("", 0, addrs, 8, &n), 0);
	assert_int_equal(n, 0);

	/* Counted against the one who is a subscriber; the other is ignored. */
	request(f, ADDR, T0, &r, EMAIL_OPTIN_STORED);
	assert_int_equal(confirm(f, r.token, T0 + 5), EMAIL_OPTIN_SUBSCRIBED);
	assert_int_equal(email_optin_bounce(f->st, &f->keys, dsn, strlen(dsn), &counted), 0);
	assert_int_equal(counted, 1);
	assert_int_equal(email_optin_bounce(f->st, &f->keys, dsn, strlen(dsn), &counted), 0);
	assert_int_equal(store_subscribers_page(f->st, PLATFORM_EMAIL, 0, INT64_MAX, 0, rec, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rec[0].failures, 2);
	/* Skipped by a delivery that stops at two failures. */
	assert_int_equal(store_subscribers_page(f->st, PLATFORM_EMAIL, 0, INT64_MAX, 2, rec, 4, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_and_confirm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leave_and_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsn, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
