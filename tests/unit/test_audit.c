/*
 * test_audit.c - unit tests of src/audit: the canonical encoding, the keyed chain,
 * field checks, the append-only table, verify naming the first altered, inserted,
 * deleted, reordered, forged or spliced entry, and the JSON and CSV exports.
 *
 * Each test has its own database file in a mkdtemp() directory; tampering is done as
 * an attacker would, with a raw SQLite connection that drops the triggers first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct audit_keys k;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-audit-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/banditore.db", f->dir);
	for (size_t i = 0; i < sizeof(f->k.mac); i++)
		f->k.mac[i] = (uint8_t)(i * 7 + 1);
	if (store_open(f->path, &f->st)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static void remove_db(const char *path)
{
	char p[200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_free(f->st);
	remove_db(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Appends `n` entries at times 1000, 1100, ... (message.create of message:1..n). */
static void append_n(struct fx *f, int n)
{
	for (int i = 1; i <= n; i++) {
		char obj[32], details[64];
		int64_t seq = 0;

		snprintf(obj, sizeof(obj), "message:%d", i);
		snprintf(details, sizeof(details), "{\"title\":\"Avviso %d\",\"category\":\"x\"}", i);
		assert_int_equal(store_begin(f->st), 0);
		assert_int_equal(audit_append(f->st, &f->k, "token:ufficio", "message.create", obj,
					      details, 1000 + 100 * (i - 1), &seq),
				 0);
		assert_int_equal(store_commit(f->st), 0);
		assert_int_equal(seq, i);
	}
}

/* Runs SQL on the file as an attacker would: without the append-only triggers. */
static void tamper(struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	store_free(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER IF EXISTS audit_log_no_update;"
				      "DROP TRIGGER IF EXISTS audit_log_no_delete;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tamper: %s", msg ? msg : "?");
	sqlite3_close(db);
	assert_int_equal(store_open(f->path, &f->st), 0);
}

static void expect(struct fx *f, int problem, int64_t seq)
{
	struct audit_report r;

	assert_int_equal(audit_verify(f->st, &f->k, &r), 0);
	if (r.problem != problem || r.seq != seq)
		fail_msg("verify: expected problem %d at %lld, got %d at %lld", problem,
			 (long long)seq, r.problem, (long long)r.seq);
}

/* ------------------------------------------------------------------ encoding */

static void test_encoding_layout(void **state)
{
	struct store_audit_entry e;
	uint8_t buf[AUDIT_ENCODING_MAX];
	size_t len = 0;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.seq = 0x0102;
	e.at = 0x0a0b0c0d;
	snprintf(e.actor, sizeof(e.actor), "cli");
	snprintf(e.action, sizeof(e.action), "token.create");
	e.object[0] = '\0';
	snprintf(e.details, sizeof(e.details), "{}");
	memset(e.prev_hash, 0xee, sizeof(e.prev_hash));
	memset(e.hash, 0x55, sizeof(e.hash)); /* not encoded */
	assert_int_equal(audit_encode(&e, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 18 + 16 + (4 + 3) + (4 + 12) + (4 + 0) + (4 + 2) + 32);
	assert_memory_equal(buf, "banditore-audit-v1", 18);
	assert_memory_equal(buf + 18, "\0\0\0\0\0\0\x01\x02", 8);
	assert_memory_equal(buf + 26, "\0\0\0\0\x0a\x0b\x0c\x0d", 8);
	assert_memory_equal(buf + 34, "\0\0\0\x03" "cli", 7);
	assert_memory_equal(buf + 41, "\0\0\0\x0c" "token.create", 16);
	assert_memory_equal(buf + 57, "\0\0\0\0", 4);
	assert_memory_equal(buf + 61, "\0\0\0\x02{}", 6);
	assert_int_equal(buf[67], 0xee);
	assert_int_equal(buf[len - 1], 0xee);
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(audit_encode(&e, buf, len - 1, &len), BANDITORE_ETOOBIG);
}

static void test_encoding_unambiguous(void **state)
{
	struct store_audit_entry a, b;
	struct audit_keys k;
	uint8_t ha[CRYPTO_HASH_LEN], hb[CRYPTO_HASH_LEN];

	(void)state;
	memset(&k, 3, sizeof(k));
	memset(&a, 0, sizeof(a));
	a.seq = 1;
	snprintf(a.actor, sizeof(a.actor), "ab");
	snprintf(a.action, sizeof(a.action), "c");
	snprintf(a.details, sizeof(a.details), "{}");
	b = a;
	snprintf(b.actor, sizeof(b.actor), "a");
	snprintf(b.action, sizeof(b.action), "bc");
	assert_int_equal(audit_hash(&k, &a, ha), 0);
	assert_int_equal(audit_hash(&k, &b, hb), 0);
	assert_memory_not_equal(ha, hb, CRYPTO_HASH_LEN);
	/* Keyed: another key gives another hash of the same entry. */
	memset(&k, 4, sizeof(k));
	assert_int_equal(audit_hash(&k, &a, hb), 0);
	assert_memory_not_equal(ha, hb, CRYPTO_HASH_LEN);
}

static void test_keys_from_keyfile(void **state)
{
	struct keyfile_keys kk;
	struct audit_keys ak;

	(void)state;
	memset(&kk, 0, sizeof(kk));
	memset(kk.audit, 0x42, sizeof(kk.audit));
	audit_keys_from(&ak, &kk);
	assert_memory_equal(ak.mac, kk.audit, sizeof(ak.mac));
}

/* ------------------------------------------------------------------ append */

static void test_chain(void **state)
{
	struct fx *f = *state;
	struct store_audit_entry *e = calloc(6, sizeof(*e));
	uint8_t zero[CRYPTO_HASH_LEN] = { 0 }, h[CRYPTO_HASH_LEN];
	struct audit_report r;
	int n = 0;

	assert_non_null(e);
	append_n(f, 5);
	assert_int_equal(store_audit_list(f->st, 0, INT64_MIN, INT64_MAX, e, 6, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(e[0].prev_hash, zero, CRYPTO_HASH_LEN);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(e[i].seq, i + 1);
		assert_int_equal(audit_hash(&f->k, &e[i], h), 0);
		assert_memory_equal(h, e[i].hash, CRYPTO_HASH_LEN);
		if (i > 0)
			assert_memory_equal(e[i].prev_hash, e[i - 1].hash, CRYPTO_HASH_LEN);
	}
	/* Details are kept compact with sorted keys. */
	assert_string_equal(e[0].details, "{\"category\":\"x\",\"title\":\"Avviso 1\"}");
	assert_int_equal(audit_verify(f->st, &f->k, &r), 0);
	assert_int_equal(r.problem, AUDIT_INTACT);
	assert_int_equal(r.entries, 5);
	assert_int_equal(r.last_seq, 5);
	assert_int_equal(r.first_at, 1000);
	assert_int_equal(r.last_at, 1400);
	assert_memory_equal(r.last_hash, e[4].hash, CRYPTO_HASH_LEN);
	free(e);
}

static void test_empty_log_is_intact(void **state)
{
	struct fx *f = *state;
	struct audit_report r;

	assert_int_equal(audit_verify(f->st, &f->k, &r), 0);
	assert_int_equal(r.problem, AUDIT_INTACT);
	assert_int_equal(r.entries, 0);
	assert_int_equal(r.last_seq, 0);
}

static void test_many_entries_across_pages(void **state)
{
	struct fx *f = *state;
	struct audit_report r;

	assert_int_equal(store_begin(f->st), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(audit_append(f->st, &f->k, "system", "counts.daily", "day:x", NULL,
					      i, NULL),
				 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(audit_verify(f->st, &f->k, &r), 0);
	assert_int_equal(r.problem, AUDIT_INTACT);
	assert_int_equal(r.entries, 300);
	/* Tampering on the fifth page is found there. */
	tamper(f, "UPDATE audit_log SET at = at + 1 WHERE seq = 260");
	expect(f, AUDIT_ALTERED, 260);
}

static void test_rejects_bad_fields(void **state)
{
	struct fx *f = *state;
	struct store_audit_entry e;
	char long_object[200];

	memset(long_object, 'o', sizeof(long_object) - 1);
	long_object[sizeof(long_object) - 1] = '\0';
	assert_int_equal(audit_append(f->st, &f->k, "", "message.create", "", NULL, 1, NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli\nx", "message.create", "", NULL, 1,
				      NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "Message.Create", "", NULL, 1, NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "message create", "", NULL, 1, NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "message.create", long_object, NULL,
				      1, NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "message.create", "", "[1,2]", 1,
				      NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "message.create", "", "{\"a\":", 1,
				      NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "message.create", "",
				      "{\"a\":1,\"a\":2}", 1, NULL),
			 BANDITORE_EINVAL);
	assert_int_equal(store_audit_last(f->st, &e), BANDITORE_ENOTFOUND);
	/* NULL object and details are "" and {}. */
	assert_int_equal(audit_append(f->st, &f->k, "cli", "config.reload", NULL, NULL, 1, NULL), 0);
	assert_int_equal(store_audit_last(f->st, &e), 0);
	assert_string_equal(e.object, "");
	assert_string_equal(e.details, "{}");
}

static void test_rollback_takes_the_entry_back(void **state)
{
	struct fx *f = *state;
	struct store_audit_entry e;
	int64_t seq = 0;

	append_n(f, 2);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "token.create", "token:x", NULL, 5000,
				      &seq),
			 0);
	assert_int_equal(seq, 3);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_audit_last(f->st, &e), 0);
	assert_int_equal(e.seq, 2);
	/* The next entry takes number 3: no gap. */
	append_n(f, 0);
	assert_int_equal(audit_append(f->st, &f->k, "cli", "token.create", "token:x", NULL, 5000,
				      &seq),
			 0);
	assert_int_equal(seq, 3);
	expect(f, AUDIT_INTACT, 0);
}

static void test_table_is_append_only(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;

	append_n(f, 2);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET details = '{}' WHERE seq = 1",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 2", NULL, NULL,
					  NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	expect(f, AUDIT_INTACT, 0);
}

/* ------------------------------------------------------------------ verify */

static void test_verify_altered(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	tamper(f, "UPDATE audit_log SET details = '{\"title\":\"altro\"}' WHERE seq = 3");
	expect(f, AUDIT_ALTERED, 3);
}

static void test_verify_altered_actor_and_newest(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	tamper(f, "UPDATE audit_log SET actor = 'cli' WHERE seq = 5");
	/* The newest entry has no successor to tell altered from added. */
	expect(f, AUDIT_FORGED, 5);
}

static void test_verify_altered_with_plain_sha256(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	/* An attacker without the key recomputes an unkeyed hash: still caught. */
	tamper(f, "UPDATE audit_log SET object = 'message:99', hash = randomblob(32) WHERE seq = 2");
	expect(f, AUDIT_FORGED, 2);
}

static void test_verify_deleted(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	tamper(f, "DELETE FROM audit_log WHERE seq = 3");
	expect(f, AUDIT_DELETED, 3);
}

static void test_verify_deleted_first(void **state)
{
	struct fx *f = *state;

	append_n(f, 3);
	tamper(f, "DELETE FROM audit_log WHERE seq = 1");
	expect(f, AUDIT_DELETED, 1);
}

static void test_verify_deleted_and_renumbered(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	/* Closing the gap moves the later entries' numbers, which their hashes cover. */
	tamper(f, "DELETE FROM audit_log WHERE seq = 2;"
		  "UPDATE audit_log SET seq = seq - 1 WHERE seq > 2");
	expect(f, AUDIT_DELETED, 2);
	append_n(f, 0);
}

static void test_verify_inserted(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	/* Make room at 3 (through 1003.., so the primary key never collides) and put a
	 * made-up entry there, linked to entry 2. */
	tamper(f, "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 3;"
		  "UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000;"
		  "INSERT INTO audit_log SELECT 3, 1250, 'cli', 'message.cancel', 'message:2',"
		  " '{}', hash, randomblob(32) FROM audit_log WHERE seq = 2");
	expect(f, AUDIT_INSERTED, 3);
}

static void test_verify_inserted_at_end(void **state)
{
	struct fx *f = *state;

	append_n(f, 4);
	tamper(f, "INSERT INTO audit_log SELECT 5, 9999, 'cli', 'message.cancel', 'message:2',"
		  " '{}', hash, randomblob(32) FROM audit_log WHERE seq = 4");
	expect(f, AUDIT_FORGED, 5);
}

static void test_verify_reordered(void **state)
{
	struct fx *f = *state;

	append_n(f, 5);
	tamper(f, "UPDATE audit_log SET seq = 100 WHERE seq = 3;"
		  "UPDATE audit_log SET seq = 3 WHERE seq = 4;"
		  "UPDATE audit_log SET seq = 4 WHERE seq = 100");
	expect(f, AUDIT_REORDERED, 3);
}

static void test_verify_spliced_from_another_log(void **state)
{
	struct fx *f = *state;
	struct store_audit_entry *other = calloc(3, sizeof(*other));
	struct store *st2 = NULL;
	char path2[160], sql[5120], hex[2 * CRYPTO_HASH_LEN + 1], prevhex[2 * CRYPTO_HASH_LEN + 1];
	int n = 0;

	assert_non_null(other);
	/* Another log under the same key (e.g. an older backup taken elsewhere). */
	snprintf(path2, sizeof(path2), "%s/other.db", f->dir);
	assert_int_equal(store_open(path2, &st2), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_append(st2, &f->k, "cli", "token.revoke", "token:b", NULL,
					      50 + i, NULL),
				 0);
	assert_int_equal(store_audit_list(st2, 0, INT64_MIN, INT64_MAX, other, 3, &n), 0);
	store_free(st2);
	remove_db(path2);
	append_n(f, 4);
	/* Its authentic entry 2 replaces ours. */
	crypto_hex(other[1].hash, CRYPTO_HASH_LEN, hex);
	crypto_hex(other[1].prev_hash, CRYPTO_HASH_LEN, prevhex);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM audit_log WHERE seq = 2;"
		 "INSERT INTO audit_log VALUES (2, %lld, '%s', '%s', '%s', '%s', x'%s', x'%s')",
		 (long long)other[1].at, other[1].actor, other[1].action, other[1].object,
		 other[1].details, prevhex, hex);
	tamper(f, sql);
	expect(f, AUDIT_CHAIN_BROKEN, 2);
	free(other);
}

static void test_verify_with_another_key(void **state)
{
	struct fx *f = *state;
	struct audit_report r;

	append_n(f, 3);
	f->k.mac[0] ^= 1;
	assert_int_equal(audit_verify(f->st, &f->k, &r), 0);
	assert_int_not_equal(r.problem, AUDIT_INTACT);
	assert_int_equal(r.seq, 1);
}

static void test_problem_texts(void **state)
{
	(void)state;
	for (int p = AUDIT_INTACT; p <= AUDIT_CHAIN_BROKEN; p++)
		assert_string_not_equal(audit_problem_text(p), "?");
}

/* ------------------------------------------------------------------ daily counts */

static void test_daily_counts_once(void **state)
{
	struct fx *f = *state;
	struct store_audit_entry e;
	int appended = -1;

	assert_int_equal(store_counter_add(f->st, "2026-11-28", 1, "join", 3), 0);
	assert_int_equal(store_counter_add(f->st, "2026-11-28", 1, "leave", 1), 0);
	assert_int_equal(store_counter_add(f->st, "2026-11-28", 1, "auto-reply", 9), 0);
	assert_int_equal(store_counter_add(f->st, "2026-11-27", 1, "join", 5), 0);
	assert_int_equal(audit_daily_counts(f->st, &f->k, "2026-11-28", 5000, &appended), 0);
	assert_int_equal(appended, 1);
	assert_int_equal(store_audit_last(f->st, &e), 0);
	assert_string_equal(e.actor, "system");
	assert_string_equal(e.action, "counts.daily");
	assert_string_equal(e.object, "day:2026-11-28");
	assert_string_equal(e.details,
			    "{\"counts\":{\"whatsapp\":{\"join\":3,\"leave\":1}},\"day\":\"2026-11-28\"}");
	/* Once a day: the second call appends nothing. */
	assert_int_equal(audit_daily_counts(f->st, &f->k, "2026-11-28", 5100, &appended), 0);
	assert_int_equal(appended, 0);
	/* A quiet day is recorded too, with no counts. */
	assert_int_equal(audit_daily_counts(f->st, &f->k, "2026-11-29", 5200, &appended), 0);
	assert_int_equal(appended, 1);
	assert_int_equal(store_audit_last(f->st, &e), 0);
	assert_int_equal(e.seq, 2);
	assert_string_equal(e.details, "{\"counts\":{},\"day\":\"2026-11-29\"}");
	expect(f, AUDIT_INTACT, 0);
}

/* ------------------------------------------------------------------ export */

static char *read_all(FILE *fp)
{
	long n;
	char *s;

	fflush(fp);
	n = ftell(fp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	return s;
}

static void test_export_json(void **state)
{
	struct fx *f = *state;
	FILE *fp = tmpfile();
	json_error_t jerr;
	json_t *arr, *e;
	int64_t count = 0;
	char *text;

	assert_non_null(fp);
	append_n(f, 5);
	/* at 1000..1400: [1100, 1400) is entries 2, 3, 4. */
	assert_int_equal(audit_export(f->st, 1100, 1400, AUDIT_FORMAT_JSON, fp, &count), 0);
	assert_int_equal(count, 3);
	text = read_all(fp);
	arr = json_loads(text, 0, &jerr);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 3);
	e = json_array_get(arr, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 2);
	assert_int_equal(json_integer_value(json_object_get(e, "at")), 1100);
	assert_string_equal(json_string_value(json_object_get(e, "time")), "1970-01-01T00:18:20Z");
	assert_string_equal(json_string_value(json_object_get(e, "actor")), "token:ufficio");
	assert_string_equal(json_string_value(json_object_get(e, "action")), "message.create");
	assert_string_equal(json_string_value(json_object_get(e, "object")), "message:2");
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "details"),
							      "title")),
			    "Avviso 2");
	assert_int_equal(strlen(json_string_value(json_object_get(e, "hash"))), 64);
	json_decref(arr);
	free(text);
	fclose(fp);

	/* An empty period is an empty array. */
	fp = tmpfile();
	assert_non_null(fp);
	assert_int_equal(audit_export(f->st, 5000, 6000, AUDIT_FORMAT_JSON, fp, &count), 0);
	assert_int_equal(count, 0);
	text = read_all(fp);
	arr = json_loads(text, 0, &jerr);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	free(text);
	fclose(fp);
}

static void test_export_csv(void **state)
{
	struct fx *f = *state;
	FILE *fp = tmpfile();
	int64_t count = 0;
	char *text;

	assert_non_null(fp);
	assert_int_equal(audit_append(f->st, &f->k, "=cmd", "message.reject", "message:1",
				      "{\"reason\":\"non \\\"urgente\\\", rinviare\"}", 1000, NULL),
			 0);
	assert_int_equal(audit_export(f->st, 0, 2000, AUDIT_FORMAT_CSV, fp, &count), 0);
	assert_int_equal(count, 1);
	text = read_all(fp);
	assert_non_null(strstr(text, "seq,at,time,actor,action,object,details,prev_hash,hash\r\n"));
	assert_non_null(strstr(text, "\r\n1,1000,1970-01-01T00:16:40Z,'=cmd,message.reject,"
				     "message:1,\"{\"\"reason\"\":\"\"non \\\"\"urgente\\\"\", "
				     "rinviare\"\"}\",0000"));
	free(text);
	fclose(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_layout),
		cmocka_unit_test(test_encoding_unambiguous),
		cmocka_unit_test(test_keys_from_keyfile),
		cmocka_unit_test(test_problem_texts),
		cmocka_unit_test_setup_teardown(test_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_log_is_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_entries_across_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_takes_the_entry_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_altered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_altered_actor_and_newest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_altered_with_plain_sha256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_deleted_and_renumbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_inserted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_inserted_at_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_spliced_from_another_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verify_with_another_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daily_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_csv, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
