/*
 * test_desk.c - unit tests of the front desk and the moderation queue (issue 8, items 3
 * and 5; src/inbound/joins.c and its part of inbound.c): the three fields staff type and
 * every way they are wrong, the masked number, the template body (one line, parameters
 * as template_params says), the configuration keys, and the journeys on a real store:
 * a desk's request answered "Sì" (receipt "assisted" with the form), refused inputs that
 * store nothing, a keyword queued for staff, approved and refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/platform.h"
#include "inbound/inbound.h"
#include "inbound/joins.h"
#include "store/store.h"

#define NOW 1795000000 /* 2026-11-18 */

static const char *const BASE_INI =
	"[comune]\nname = Comune di Prova\nwebsite = https://www.comune.prova.example.org/\n"
	"policy_url = https://www.comune.prova.example.org/policy\n"
	"[channel]\nname = Prova Informa\n%s\n"
	"[whatsapp]\nphone_number_id = 100000000000009\ndisplay_number = +39 370 000 0001\n"
	"template_name = avviso_prova\ntemplate_params = title, text, link\n"
	"[server]\npublic_url = https://prova.example.org\n";

struct fx {
	char dir[64];
	struct config *cfg;
	struct keyfile_keys keys;
	struct inbound_ctx ctx;
	struct store *st;
};

static int load(const char *channel_keys, struct config **cfg, char *dir, size_t cap)
{
	char path[96], text[2048];
	FILE *f;
	int rc;

	snprintf(dir, cap, "/tmp/banditore-desk-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.ini", dir);
	snprintf(text, sizeof(text), BASE_INI, channel_keys);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	rc = config_load(path, 0, cfg, NULL);
	unlink(path);
	return rc;
}

static int setup_with(void **state, const char *channel_keys)
{
	struct fx *f = calloc(1, sizeof(*f));
	char db[96];

	assert_non_null(f);
	assert_int_equal(load(channel_keys, &f->cfg, f->dir, sizeof(f->dir)), 0);
	for (size_t i = 0; i < sizeof(f->keys.seal); i++) {
		f->keys.seal[i] = (uint8_t)i;
		f->keys.index[i] = (uint8_t)(i + 1);
		f->keys.event[i] = (uint8_t)(i + 2);
		f->keys.block[i] = (uint8_t)(i + 3);
		f->keys.pseudo[i] = (uint8_t)(i + 4);
	}
	assert_int_equal(inbound_ctx_init(&f->ctx, f->cfg, &f->keys), 0);
	store_seal_key_set(f->keys.seal); /* the outbox's bodies, as the daemon does */
	snprintf(db, sizeof(db), "%s/d.db", f->dir);
	assert_int_equal(store_open(db, &f->st), 0);
	*state = f;
	return 0;
}

static int setup_desk(void **state)
{
	return setup_with(state, "assisted_enrollment = yes");
}

static int setup_moderated(void **state)
{
	return setup_with(state, "moderate_joins = yes\nmoderate_within_days = 3");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	store_free(f->st);
	inbound_ctx_clear(&f->ctx);
	config_free(f->cfg);
	for (const char *s = "d.db\0d.db-wal\0d.db-shm\0"; *s; s += strlen(s) + 1) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, s);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A citizen's text message through prepare and apply, as the webhook does. */
static int say(struct fx *f, const char *from, const char *text, int64_t now, int *outcome)
{
	static int seq;
	struct wa_event ev;
	struct inbound_prepared p;
	int erased = 0, rc;

	memset(&ev, 0, sizeof(ev));
	ev.kind = WA_EVENT_MESSAGE;
	snprintf(ev.from, sizeof(ev.from), "%s", from);
	snprintf(ev.id, sizeof(ev.id), "wamid.desk%d", ++seq);
	snprintf(ev.type, sizeof(ev.type), "text");
	snprintf(ev.text, sizeof(ev.text), "%s", text);
	rc = inbound_prepare_whatsapp(&f->ctx, &ev, &p);
	if (!rc)
		rc = inbound_apply_whatsapp(f->st, &f->ctx, &p, now, outcome, &erased);
	inbound_prepared_clear(&p);
	return rc;
}

static int count(struct store *st, int platform, int64_t *n)
{
	return store_subscriber_count(st, platform, n);
}

static int outbox_kinds(struct store *st, char *out, size_t cap)
{
	struct store_outbox_item items[16];
	int n = 0, rc = store_outbox_due(st, INT64_MAX / 2, items, 16, &n);
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", items[i].kind);
		store_outbox_item_clear(&items[i]);
	}
	return rc;
}

/* ------------------------------------------------------------------ pure checks */

static void test_enrollment_check(void **state)
{
	struct joins_enrollment e;
	int64_t now = NOW; /* 2026-11-18 */
	(void)state;

	assert_int_equal(joins_enrollment_check("+39 333 000 6001", "  A-17 ", "2026-11-18", now, &e), 0);
	assert_string_equal(e.canonical, "+393330006001");
	assert_string_equal(e.form, "A-17");
	assert_string_equal(e.form_date, "2026-11-18");
	assert_int_equal(joins_enrollment_check("393330006001", "1", "2020-02-29", now, &e), 0);
	assert_int_equal(joins_enrollment_check(NULL, "A", "2026-11-18", now, &e), JOINS_BAD_NUMBER);
	assert_int_equal(joins_enrollment_check("12", "A", "2026-11-18", now, &e), JOINS_BAD_NUMBER);
	assert_int_equal(joins_enrollment_check("+393330006001", NULL, "2026-11-18", now, &e), JOINS_NO_FORM);
	assert_int_equal(joins_enrollment_check("+393330006001", "   ", "2026-11-18", now, &e), JOINS_NO_FORM);
	assert_int_equal(joins_enrollment_check("+393330006001", "12345678901234567890123456789012345678901",
						"2026-11-18", now, &e), JOINS_BAD_FORM);
	assert_int_equal(joins_enrollment_check("+393330006001", "A\nB", "2026-11-18", now, &e), JOINS_BAD_FORM);
	assert_int_equal(joins_enrollment_check("+393330006001", "A", "", now, &e), JOINS_NO_DATE);
	assert_int_equal(joins_enrollment_check("+393330006001", "A", NULL, now, &e), JOINS_NO_DATE);
	for (const char *bad = "2026-02-30\0" "2026-13-01\0" "2026-00-10\0" "18/11/2026\0" "2026-1-18\0"
			       "2026-11-18T00:00\0" "2025-02-29\0" "1969-12-31\0";
	     *bad; bad += strlen(bad) + 1)
		assert_int_equal(joins_enrollment_check("+393330006001", "A", bad, now, &e), JOINS_BAD_DATE);
	assert_int_equal(joins_enrollment_check("+393330006001", "A", "2026-11-20", now, &e), JOINS_FUTURE_DATE);
	/* tomorrow in Italy is still today in UTC for the last hour or two of the day */
	assert_int_equal(joins_enrollment_check("+393330006001", "A", "2026-11-19", NOW - NOW % 86400 + 86400 - 3600,
						&e), 0);
	for (int p = JOINS_BAD_NUMBER; p <= JOINS_FUTURE_DATE; p++) {
		assert_true(strlen(joins_problem_text(p, 0)) > 20);
		assert_true(strlen(joins_problem_text(p, 1)) > 20);
		assert_true(strlen(joins_problem_field(p)) > 0);
	}
	assert_string_equal(joins_problem_field(JOINS_FUTURE_DATE), "form_date");
	assert_non_null(strstr(joins_problem_text(JOINS_FUTURE_DATE, 0), "futuro"));
}

static void test_mask_and_ref(void **state)
{
	char out[JOINS_MASKED_MAX], a[STORE_PENDING_REF_MAX], b[STORE_PENDING_REF_MAX];
	(void)state;

	joins_mask("+393330006001", out, sizeof(out));
	assert_string_equal(out, "+3933\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
				 "01");
	assert_null(strstr(out, "300060"));
	joins_mask("+39", out, sizeof(out));
	assert_string_equal(out, "+39");
	joins_mask("+393330006001", out, 8); /* bounded */
	assert_true(strlen(out) < 8);
	assert_int_equal(joins_new_ref(a), 0);
	assert_int_equal(joins_new_ref(b), 0);
	assert_int_equal(strlen(a), JOINS_REF_HEX);
	assert_string_not_equal(a, b);
}

/* The key a join request waits under is HMAC(index key, "wa-confirm:" + the address
 * hash in lower-case hex): requests stored before must still be found. */
static void test_pending_key_is_stable(void **state)
{
	struct keyfile_keys keys;
	uint8_t hash[CRYPTO_HASH_LEN], got[CRYPTO_HASH_LEN], want[CRYPTO_HASH_LEN];
	char label[12 + 2 * CRYPTO_HASH_LEN + 1];
	int n;

	(void)state;
	memset(&keys, 0, sizeof(keys));
	for (int i = 0; i < CRYPTO_KEY_LEN; i++)
		keys.index[i] = (uint8_t)(7 * i + 1);
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		hash[i] = (uint8_t)(0xf0 - 9 * i); /* both digits above 9 in places */
	n = snprintf(label, sizeof(label), "wa-confirm:");
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		n += snprintf(label + n, sizeof(label) - (size_t)n, "%02x", hash[i]);
	assert_int_equal(crypto_hmac_sha256(keys.index, CRYPTO_KEY_LEN, label, (size_t)n, want), 0);
	assert_int_equal(joins_pending_key(&keys, hash, got), 0);
	assert_memory_equal(got, want, CRYPTO_HASH_LEN);
}

static void test_config_keys_and_template(void **state)
{
	struct config *cfg = NULL;
	struct config_errors errs;
	char dir[64], path[96];
	char *body;
	json_t *o, *params;
	FILE *f;
	(void)state;

	assert_int_equal(load("", &cfg, dir, sizeof(dir)), 0);
	rmdir(dir);
	assert_int_equal(cfg->assisted_enrollment, 0);
	assert_int_equal(cfg->moderate_joins, 0);
	assert_int_equal(cfg->moderate_within_days, 14);
	assert_non_null(strstr(cfg->text_enroll_ask, "sportello"));
	assert_null(strchr(cfg->text_enroll_ask, '\n')); /* a template's parameter: one line */
	assert_non_null(strstr(cfg->text_join_waiting, "verifica"));
	assert_non_null(strstr(cfg->text_join_refused, "non è stata accolta"));
	/* new lines become spaces, parameters in template_params' order */
	body = joins_template_body(cfg, "Titolo", "riga uno\nriga due");
	o = json_loads(body, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "template")), "avviso_prova");
	params = json_object_get(o, "params");
	assert_int_equal(json_array_size(params), 3);
	assert_string_equal(json_string_value(json_array_get(params, 0)), "Titolo");
	assert_string_equal(json_string_value(json_array_get(params, 1)), "riga uno riga due");
	assert_string_equal(json_string_value(json_array_get(params, 2)), "https://prova.example.org");
	json_decref(o);
	free(body);
	config_free(cfg);

	/* wrong values are reported on their lines */
	snprintf(dir, sizeof(dir), "/tmp/banditore-desk-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[comune]\nname = Comune di Prova\nwebsite = https://www.comune.prova.example.org/\n"
	      "[channel]\nname = Prova\nassisted_enrollment = forse\nmoderate_joins = si\n"
	      "moderate_within_days = 0\n[whatsapp]\nphone_number_id = 100000000000009\n"
	      "display_number = +39 370 000 0001\n[texts]\njoin_refused =\n", f);
	fclose(f);
	memset(&errs, 0, sizeof(errs));
	cfg = NULL;
	assert_int_equal(config_load(path, 0, &cfg, &errs), BANDITORE_ECONFIG);
	unlink(path);
	rmdir(dir);
	assert_true(errs.count >= 4);
	{
		int lines[4] = { 0 };
		for (int i = 0; i < errs.count; i++) {
			if (strstr(errs.items[i].message, "assisted_enrollment"))
				lines[0] = errs.items[i].line;
			if (strstr(errs.items[i].message, "moderate_joins"))
				lines[1] = errs.items[i].line;
			if (strstr(errs.items[i].message, "moderate_within_days"))
				lines[2] = errs.items[i].line;
			if (strstr(errs.items[i].message, "join_refused"))
				lines[3] = errs.items[i].line;
		}
		assert_int_equal(lines[0], 6);
		assert_int_equal(lines[1], 7);
		assert_int_equal(lines[2], 8);
		assert_int_equal(lines[3], 13);
	}
	config_errors_free(&errs);
}

/* ------------------------------------------------------------------ journeys */

static void test_desk_yes_makes_an_assisted_receipt(void **state)
{
	struct fx *f = *state;
	struct joins_enrollment e;
	struct store_subscriber sub;
	struct store_pending pend;
	uint8_t hash[CRYPTO_HASH_LEN];
	char kinds[256];
	int64_t expires = 0, n = -1;
	int result = -1, outcome = 0;

	assert_int_equal(joins_enrollment_check("+393330006001", "A-17", "2026-11-18", NOW, &e), 0);
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW, &result, &expires), 0);
	assert_int_equal(result, JOINS_ENROLLED);
	assert_int_equal(expires, NOW + 48 * 3600);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 0); /* nobody subscribed by staff */
	assert_int_equal(subscribers_hash(&f->keys, PLATFORM_WHATSAPP, "+393330006001", hash), 0);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), 0);
	assert_int_equal(pend.state, STORE_PENDING_CONFIRM);
	assert_string_equal(pend.method, "assisted");
	assert_string_equal(pend.consent_detail, "modulo n. A-17 del 2026-11-18");
	assert_null(memmem(pend.sealed, pend.sealed_len, "3330006001", 10));
	assert_int_equal(outbox_kinds(f->st, kinds, sizeof(kinds)), 0);
	assert_string_equal(kinds, "enroll-ask");

	/* neither yes nor no: help, nothing else */
	assert_int_equal(say(f, "393330006001", "chi siete?", NOW + 60, &outcome), 0);
	assert_int_equal(outcome, INBOUND_CONFIRM_HELP);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 0);
	/* yes: the receipt says how and on which paper */
	assert_int_equal(say(f, "393330006001", "Sì", NOW + 120, &outcome), 0);
	assert_int_equal(outcome, INBOUND_JOINED);
	assert_int_equal(store_subscriber_get(f->st, PLATFORM_WHATSAPP, hash, &sub), 0);
	assert_string_equal(sub.method, "assisted");
	assert_string_equal(sub.consent_detail, "modulo n. A-17 del 2026-11-18");
	assert_string_equal(sub.policy_version, f->ctx.policy_version);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), BANDITORE_ENOTFOUND);

	/* enrolling a subscriber again is refused, and stores nothing */
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW + 200, &result, &expires), BANDITORE_ESTATE);
	assert_int_equal(result, JOINS_ALREADY_SUBSCRIBED);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), BANDITORE_ENOTFOUND);
}

static void test_desk_expired_no_and_blocked(void **state)
{
	struct fx *f = *state;
	struct joins_enrollment e;
	struct store_pending pend;
	uint8_t hash[CRYPTO_HASH_LEN], block[CRYPTO_HASH_LEN];
	int64_t expires = 0, n = -1;
	int result = -1, outcome = 0;

	/* an unanswered request is forgotten: a late "Sì" is an ordinary message */
	assert_int_equal(joins_enrollment_check("+393330006002", "B", "2026-11-18", NOW, &e), 0);
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW, &result, &expires), 0);
	assert_int_equal(say(f, "393330006002", "si", NOW + 49 * 3600, &outcome), 0);
	assert_int_not_equal(outcome, INBOUND_JOINED);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(subscribers_hash(&f->keys, PLATFORM_WHATSAPP, "+393330006002", hash), 0);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), BANDITORE_ENOTFOUND);
	/* and the maintenance sweeps one nobody answered */
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW, &result, &expires), 0);
	assert_int_equal(store_pending_expire_platform(f->st, PLATFORM_WHATSAPP, NOW + 1, &n), 0);
	assert_int_equal(n, 1);
	/* the same form twice within ten minutes: one question only */
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW, &result, &expires), 0);
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW + 599, &result, &expires), BANDITORE_ESTATE);
	assert_int_equal(result, JOINS_ASKED_RECENTLY);
	/* later it may be asked again (replacing the question); "No" forgets */
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW + 600, &result, &expires), 0);
	assert_int_equal(say(f, "393330006002", "NO", NOW + 660, &outcome), 0);
	assert_int_equal(outcome, INBOUND_DECLINED);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), BANDITORE_ENOTFOUND);
	/* an expelled number cannot be enrolled */
	assert_int_equal(subscribers_block_hash(&f->keys, PLATFORM_WHATSAPP, "+393330006002", block), 0);
	assert_int_equal(store_block_add(f->st, PLATFORM_WHATSAPP, block, NOW), 0);
	assert_int_equal(joins_enroll(f->st, &f->ctx, &e, NOW + 100, &result, &expires), BANDITORE_ESTATE);
	assert_int_equal(result, JOINS_BLOCKED);
	assert_int_equal(store_pending_get_addr(f->st, PLATFORM_WHATSAPP, hash, &pend), BANDITORE_ENOTFOUND);
}

static void test_moderation_queue(void **state)
{
	struct fx *f = *state;
	struct store_pending q[4];
	struct store_subscriber sub;
	struct joins_decision d;
	uint8_t hash[CRYPTO_HASH_LEN];
	char ref[STORE_PENDING_REF_MAX], kinds[256];
	int64_t n = -1, queued = -1;
	int outcome = 0, nq = 0;

	/* the keyword waits for staff */
	assert_int_equal(say(f, "393330006101", "ATTIVA ISCRIZIONE", NOW, &outcome), 0);
	assert_int_equal(outcome, INBOUND_QUEUED);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(say(f, "393330006101", "ATTIVA ISCRIZIONE", NOW + 10, &outcome), 0);
	assert_int_equal(outcome, INBOUND_QUEUED);
	assert_int_equal(store_pending_list(f->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", q, 4, &nq), 0);
	assert_int_equal(nq, 1);
	assert_string_equal(q[0].method, "keyword");
	assert_int_equal(q[0].created_at, NOW);
	snprintf(ref, sizeof(ref), "%s", q[0].ref);
	assert_int_equal(outbox_kinds(f->st, kinds, sizeof(kinds)), 0);
	assert_string_equal(kinds, "join-waiting"); /* the second to the same person waits */
	assert_int_equal(store_outbox_count(f->st, &queued), 0);
	assert_int_equal(queued, 2);

	/* approve: the receipt; the welcome is a text inside the window */
	assert_int_equal(joins_decide(f->st, &f->ctx, ref, 1, NOW + 3600, &d), 0);
	assert_int_equal(d.joined, 1);
	assert_string_equal(d.method, "keyword");
	assert_int_equal(subscribers_hash(&f->keys, PLATFORM_WHATSAPP, "+393330006101", hash), 0);
	assert_int_equal(store_subscriber_get(f->st, PLATFORM_WHATSAPP, hash, &sub), 0);
	assert_int_equal(sub.joined_at, NOW + 3600);
	assert_int_equal(sub.last_inbound_at, NOW); /* the window counts from the citizen */
	assert_int_equal(joins_decide(f->st, &f->ctx, ref, 0, NOW + 3600, &d), BANDITORE_ENOTFOUND);

	/* refuse, two days later: the reply is a template, the request is gone */
	assert_int_equal(say(f, "393330006102", "ATTIVA ISCRIZIONE", NOW, &outcome), 0);
	assert_int_equal(store_pending_list(f->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", q, 4, &nq), 0);
	assert_int_equal(nq, 1);
	snprintf(ref, sizeof(ref), "%s", q[0].ref);
	assert_int_equal(joins_decide(f->st, &f->ctx, ref, 0, NOW + 2 * 86400, &d), 0);
	assert_int_equal(d.expired, 0);
	{
		/* each person's replies come one at a time: send (remove) them all */
		struct store_outbox_item items[16];
		int ni = 0, found = 0;
		do {
			assert_int_equal(store_outbox_due(f->st, INT64_MAX / 2, items, 16, &ni), 0);
			for (int i = 0; i < ni; i++) {
				if (!strcmp(items[i].kind, "join-refused")) {
					found = 1;
					assert_non_null(strstr(items[i].body, "\"template\""));
				}
				if (!strcmp(items[i].kind, "join"))
					assert_non_null(strstr(items[i].body, "\"text\""));
				assert_int_equal(store_outbox_remove(f->st, items[i].id), 0);
				store_outbox_item_clear(&items[i]);
			}
		} while (ni > 0);
		assert_true(found);
	}
	assert_int_equal(store_pending_list(f->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", q, 4, &nq), 0);
	assert_int_equal(nq, 0);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 1);

	/* past moderate_within_days (3): erased, not decided */
	assert_int_equal(say(f, "393330006103", "ATTIVA ISCRIZIONE", NOW, &outcome), 0);
	assert_int_equal(store_pending_list(f->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", q, 4, &nq), 0);
	snprintf(ref, sizeof(ref), "%s", q[0].ref);
	assert_int_equal(joins_decide(f->st, &f->ctx, ref, 1, NOW + 4 * 86400, &d), 0);
	assert_int_equal(d.expired, 1);
	assert_int_equal(count(f->st, PLATFORM_WHATSAPP, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(joins_decide(f->st, &f->ctx, ref, 1, NOW + 4 * 86400, &d), BANDITORE_ENOTFOUND);
	/* the maintenance's sweep of the queue */
	assert_int_equal(say(f, "393330006104", "ATTIVA ISCRIZIONE", NOW, &outcome), 0);
	assert_int_equal(store_pending_expire_queue(f->st, PLATFORM_WHATSAPP, NOW + 1, &n), 0);
	assert_int_equal(n, 1);
	/* leaving while waiting erases the request */
	assert_int_equal(say(f, "393330006105", "ATTIVA ISCRIZIONE", NOW, &outcome), 0);
	assert_int_equal(say(f, "393330006105", "DISATTIVA ISCRIZIONE", NOW + 5, &outcome), 0);
	assert_int_equal(store_pending_list(f->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", q, 4, &nq), 0);
	assert_int_equal(nq, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enrollment_check),
		cmocka_unit_test(test_mask_and_ref),
		cmocka_unit_test(test_pending_key_is_stable),
		cmocka_unit_test(test_config_keys_and_template),
		cmocka_unit_test_setup_teardown(test_desk_yes_makes_an_assisted_receipt, setup_desk, teardown),
		cmocka_unit_test_setup_teardown(test_desk_expired_no_and_blocked, setup_desk, teardown),
		cmocka_unit_test_setup_teardown(test_moderation_queue, setup_moderated, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
