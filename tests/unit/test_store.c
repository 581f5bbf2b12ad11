/*
 * test_store.c - unit tests of src/store: the URL, file modes, migrations from every
 * earlier version, refusal of a newer database, transactions and savepoints, every
 * operation of store.h, complete erasure, and that an erased address leaves no byte
 * behind in the database file or its WAL.
 *
 * Each test runs in its own mkdtemp() directory, removed afterwards. Stored state is
 * checked through the store and, where the point is what is on disk, with a separate
 * raw SQLite connection or by reading the files' bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/err.h"
#include "store/migrations_sqlite.h"
#include "store/store.h"
#include "store/store_seal.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

/* ------------------------------------------------------------------ fixtures */

/* The key outbox bodies are sealed with (a daemon's comes from its key file). */
static const uint8_t test_seal_key[CRYPTO_KEY_LEN] = { 0x5e, 0xa1, 0x0b, 0x0d, 0x1e, 0x5 };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/banditore.db", f->dir);
	store_seal_key_set(test_seal_key);
	*state = f;
	return 0;
}

static void remove_dir(const char *dir)
{
	char p[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_free(f->st);
	remove_dir(f->dir);
	free(f);
	return 0;
}

static struct store *open_fx(struct fx *f)
{
	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_non_null(f->st);
	return f->st;
}

/* ------------------------------------------------------------------ helpers */

static void fill_hash(uint8_t h[CRYPTO_HASH_LEN], uint8_t seed)
{
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		h[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static void make_sub(struct store_subscriber *s, int platform, uint8_t seed)
{
	memset(s, 0, sizeof(*s));
	s->platform = platform;
	fill_hash(s->addr_hash, seed);
	s->sealed_len = 60;
	for (size_t i = 0; i < s->sealed_len; i++)
		s->sealed[i] = (uint8_t)(seed + i * 3);
	s->joined_at = 1700000000 + seed;
	snprintf(s->method, sizeof(s->method), "keyword");
	snprintf(s->policy_version, sizeof(s->policy_version), "%064d", seed);
	s->last_inbound_at = s->joined_at;
}

static void make_item(struct store_outbox_item *it, int platform, uint8_t seed, char *body,
		      int64_t not_before)
{
	memset(it, 0, sizeof(*it));
	it->platform = platform;
	fill_hash(it->addr_hash, seed);
	it->sealed_len = 40;
	memset(it->sealed, seed, it->sealed_len);
	snprintf(it->kind, sizeof(it->kind), "join");
	it->body = body;
	it->not_before = not_before;
	it->created_at = not_before - 5;
}

static struct store_kept_message *make_kept(int platform, uint8_t seed, int64_t received,
					    int64_t expires)
{
	struct store_kept_message *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->platform = platform;
	fill_hash(m->addr_hash, seed);
	m->sealed_addr_len = 50;
	memset(m->sealed_addr, seed ^ 0x55, m->sealed_addr_len);
	m->sealed_text_len = 3000;
	for (size_t i = 0; i < m->sealed_text_len; i++)
		m->sealed_text[i] = (uint8_t)(seed + i);
	m->received_at = received;
	m->expires_at = expires;
	return m;
}

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
}

/* The integer answer of `sql` on a fresh connection; an optional blob is bound to ?1. */
static int64_t raw_int(const char *path, const char *sql, const void *blob, int blob_len)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (blob)
		sqlite3_bind_blob(st, 1, blob, blob_len, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void raw_text(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The whole file in a malloc'd buffer (NULL and *len 0 when it does not exist). */
static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rbe");
	uint8_t *data = NULL;
	long n;

	*len = 0;
	if (!fp)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return data;
}

static int file_has(const char *path, const void *needle, size_t n)
{
	size_t len;
	uint8_t *data = read_all(path, &len);
	int found = data && memmem(data, len, needle, n) != NULL;

	free(data);
	return found;
}

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* An emptied WAL: missing, zero bytes long, or (as store_sqlite_vfs.c leaves it,
 * keeping its blocks) nothing but zeros. */
static int wal_empty(const char *path)
{
	size_t len, i;
	uint8_t *data = read_all(path, &len);

	for (i = 0; i < len && data[i] == 0; i++)
		;
	free(data);
	return i == len;
}

static void copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *data = read_all(from, &len);
	FILE *fp = fopen(to, "wbe");

	assert_non_null(data);
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(data);
}

static void side(const struct fx *f, const char *suffix, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", f->path, suffix);
}

static int exists_sub(struct store *st, int platform, uint8_t seed)
{
	struct store_subscriber got, want;
	int rc;

	make_sub(&want, platform, seed);
	rc = store_subscriber_get(st, platform, want.addr_hash, &got);
	if (rc == BANDITORE_ENOTFOUND)
		return 0;
	assert_int_equal(rc, 0);
	return 1;
}

static void add_sub(struct store *st, int platform, uint8_t seed)
{
	struct store_subscriber s;
	make_sub(&s, platform, seed);
	assert_int_equal(store_subscriber_add(st, &s, NULL), 0);
}

/* ------------------------------------------------------------------ opening */

static void test_open_empty(void **state)
{
	struct fx *f = *state;
	char mode[16];
	int version = -1;
	struct store *st;

	assert_int_equal(store_schema_latest(), store_sqlite_migrations_latest());
	assert_true(store_schema_latest() >= 1);
	st = open_fx(f);
	assert_int_equal(store_schema_version(st, &version), 0);
	assert_int_equal(version, store_schema_latest());
	assert_string_equal(store_errmsg(st), "");
	assert_string_equal(store_errmsg(NULL), "");
	/* What is on disk: WAL mode, the version, every table. */
	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "wal");
	assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL, 0), store_schema_latest());
	assert_int_equal(raw_int(f->path,
				 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
				 " ('subscribers', 'events', 'autoreply', 'counters', 'outbox',"
				 " 'kept_messages', 'messages', 'retries', 'api_tokens')",
				 NULL, 0),
			 9);
	store_free(st);
	f->st = NULL;
	/* Opening again changes nothing. */
	st = open_fx(f);
	assert_int_equal(store_schema_version(st, &version), 0);
	assert_int_equal(version, store_schema_latest());
}

static void test_open_urls(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)&st; /* must be reset to NULL on failure */
	char url[160];

	assert_int_equal(store_open("postgresql://db.example.org/banditore", &st),
			 BANDITORE_EINVAL);
	assert_null(st);
	assert_non_null(strstr(store_errmsg(NULL), "not built yet"));
	assert_int_equal(store_open("postgres://db.example.org/banditore", &st), BANDITORE_EINVAL);
	assert_int_equal(store_open("mysql://db.example.org/x", &st), BANDITORE_EINVAL);
	assert_int_equal(store_open("", &st), BANDITORE_EINVAL);
	assert_int_equal(store_open("sqlite:", &st), BANDITORE_EINVAL);
	assert_int_equal(store_open(NULL, &st), BANDITORE_EINVAL);
	assert_int_equal(store_open(f->path, NULL), BANDITORE_EINVAL);
	assert_int_equal(file_size(f->path), -1); /* nothing was created */

	snprintf(url, sizeof(url), "sqlite:%s", f->path);
	assert_int_equal(store_open(url, &st), 0);
	assert_non_null(st);
	add_sub(st, 0, 1);
	store_free(st);
	/* The plain path names the same file. */
	st = open_fx(f);
	assert_true(exists_sub(st, 0, 1));

	/* A directory is not a database. */
	assert_int_equal(store_open(f->dir, &st), BANDITORE_EINVAL);
	assert_null(st);
	assert_string_not_equal(store_errmsg(NULL), "");

	store_free(NULL);
	assert_int_equal(store_begin(NULL), BANDITORE_EINVAL);
}

static void test_open_memory(void **state)
{
	struct store *st = NULL;
	int64_t n = 0;
	(void)state;

	assert_int_equal(store_open(":memory:", &st), 0);
	add_sub(st, 0, 3);
	assert_int_equal(store_subscriber_count(st, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_purge_log(st), 0);
	store_free(st);
}

static void assert_mode_0600(const char *path)
{
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_file_modes(void **state)
{
	struct fx *f = *state;
	char wal[160], shm[160];
	mode_t old = umask(0); /* even with a permissive umask */
	struct store *st;

	st = open_fx(f);
	umask(old);
	assert_int_equal(store_begin(st), 0);
	add_sub(st, 0, 1);
	assert_int_equal(store_commit(st), 0);
	side(f, "-wal", wal, sizeof(wal));
	side(f, "-shm", shm, sizeof(shm));
	assert_mode_0600(f->path);
	assert_mode_0600(wal);
	assert_mode_0600(shm);
	store_free(st);
	f->st = NULL;

	/* A database somebody left readable by others is tightened at open. */
	assert_int_equal(chmod(f->path, 0644), 0);
	st = open_fx(f);
	assert_mode_0600(f->path);
	assert_true(exists_sub(st, 0, 1));
}

/* ------------------------------------------------------------------ migrations */

/* Rows that the tables of migration `v` (1-based) can hold, written with raw SQL as a
 * build of that version would have written them. */
static void seed_version(sqlite3 *db, int v)
{
	struct store_subscriber s;
	uint8_t h[CRYPTO_HASH_LEN];
	sqlite3_stmt *st = NULL;

	make_sub(&s, 0, 11);
	fill_hash(h, 12);
	switch (v) {
	case 1:
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO subscribers (platform, addr_hash, sealed, joined_at,"
				 " method, policy_version, last_inbound_at)"
				 " VALUES (0, ?1, ?2, ?3, 'keyword', ?4, ?3)", -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, s.sealed, (int)s.sealed_len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, s.joined_at);
		sqlite3_bind_text(st, 4, s.policy_version, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		raw_exec(db, "INSERT INTO counters VALUES ('2026-01-05', 0, 'join', 3)");
		break;
	case 2:
		assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1, 1000)", -1,
						    &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, h, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO autoreply VALUES (0, ?1, 1000);"
				 , -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO kept_messages (platform, addr_hash, sealed_addr,"
				 " sealed_text, received_at, expires_at)"
				 " VALUES (0, ?1, x'0102', x'0304', 1000, 9000)", -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		break;
	case 3:
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO outbox (platform, addr_hash, sealed, kind, body,"
				 " attempts, not_before, created_at)"
				 " VALUES (0, ?1, x'0506', 'join', '{\"text\":\"ciao\"}', 2, 1500, 1000)",
				 -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		break;
	case 4:
		/* A broadcast under way to the subscriber of version 1, one retry for them, a
		 * token, and that subscriber's send state. */
		raw_exec(db, "INSERT INTO messages (id, title, text, category, link, media_sha256,"
			 " media_type, media_name, media_size, media_id, priority, state,"
			 " scheduled_at, expires_at, created_at, approved_at, started_at,"
			 " finished_at, created_by, audience_max_id, audience, cursor, sent,"
			 " delivered, read, failed, unreachable) VALUES (7, 'Avviso', 'Strada chiusa',"
			 " 'viabilita', 'https://example.org/a', '', '', '', 0, '', 1, 3, 0, 0, 100,"
			 " 110, 120, 0, 'cli', 50, 40, 20, 18, 9, 4, 2, 1)");
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO retries SELECT 7, id, 2, 3000 FROM subscribers"
				 " WHERE addr_hash = ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_changes(db), 1);
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO api_tokens (name, hash, scopes, created_at)"
				 " VALUES ('ufficio-stampa', ?1, 'messages:write', 500)", -1, &st, NULL),
				 SQLITE_OK);
		sqlite3_bind_blob(st, 1, h, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		assert_int_equal(sqlite3_prepare_v2(db,
				 "UPDATE subscribers SET failures = 2, last_sent_at = 4000"
				 " WHERE addr_hash = ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		break;
	case 5:
		/* The message of version 4 (added here when starting from 4 or later) gets notes. */
		raw_exec(db, "INSERT OR IGNORE INTO messages (id, title, text, category, link,"
			 " media_sha256, media_type, media_name, media_size, media_id, priority,"
			 " state, scheduled_at, expires_at, created_at, created_by) VALUES (7, 'Avviso',"
			 " 'Strada chiusa', 'viabilita', '', '', '', '', 0, '', 1, 3, 0, 0, 100, 'cli')");
		raw_exec(db, "UPDATE messages SET policy_notes = '{\"justification\":\"indispensabile\"}'"
			 " WHERE id = 7");
		break;
	case 6:
		/* An audit entry (the store keeps the row; src/audit/ computes the hashes). */
		raw_exec(db, "INSERT INTO audit_log VALUES (1, 1000, 'cli', 'token.create',"
			 " 'token:ufficio-stampa', '{}', zeroblob(32), randomblob(32))");
		break;
	case 7:
		/* A gestore with a session, a review of the message of version 5, an expelled
		 * address. */
		raw_exec(db, "INSERT INTO staff (id, name, display_name, role, password, decree,"
			 " totp_sealed, created_at, created_by) VALUES (3, 'anna', 'Anna', 1,"
			 " '$argon2id$x', '', x'', 100, 'cli')");
		raw_exec(db, "INSERT INTO staff_sessions VALUES (zeroblob(32), 3,"
			 " '0000000000000000000000000000000000000000000000000000000000000000', 100, 200)");
		raw_exec(db, "INSERT INTO message_reviews VALUES (7, 1, 'anna', 150, '', 0, '', 0)");
		raw_exec(db, "INSERT INTO blocklist VALUES (0, randomblob(32), 300)");
		break;
	case 8:
		/* Rows written raw above, after the index existed, indexed as the store does;
		 * from earlier versions the migration itself indexes message 7. */
		raw_exec(db, "INSERT INTO messages_fts (rowid, title, text) SELECT id, title, text"
			 " FROM messages WHERE id NOT IN (SELECT rowid FROM messages_fts)");
		break;
	case 9:
		/* An e-mail join waiting for its confirmation. */
		raw_exec(db, "INSERT INTO pending_joins (token_hash, platform, addr_hash, sealed,"
			 " policy_version, created_at) VALUES (zeroblob(32), 3, randomblob(32),"
			 " x'0708', 'v1', 5000)");
		break;
	case 10:
		/* An imported subscriber: the original method in consent_detail. */
		raw_exec(db, "INSERT INTO subscribers (platform, addr_hash, sealed, joined_at, method,"
			 " policy_version, last_inbound_at, consent_detail) VALUES (1, zeroblob(32),"
			 " x'0102', 6000, 'import', 'v2', 0, 'lista broadcast')");
		break;
	case 11:
		/* A front-desk enrollment waiting for the citizen, and a request in the
		 * moderation queue. */
		raw_exec(db, "INSERT INTO pending_joins (token_hash, platform, addr_hash, sealed,"
			 " policy_version, created_at, state, method, consent_detail, ref) VALUES"
			 " (x'1100000000000000000000000000000000000000000000000000000000000000', 1, randomblob(32), x'0909', 'v3', 7000, 0,"
			 " 'assisted', 'modulo n. 12 del 2026-11-20', '')");
		raw_exec(db, "INSERT INTO pending_joins (token_hash, platform, addr_hash, sealed,"
			 " policy_version, created_at, state, method, consent_detail, ref) VALUES"
			 " (x'1200000000000000000000000000000000000000000000000000000000000000', 1, randomblob(32), x'0a0a', 'v3', 7100, 1,"
			 " 'keyword', '', 'abcdef0123456789')");
		break;
	case 12:
		/* Message 8, sent, updates message 7 (added here when starting from 12). */
		raw_exec(db, "INSERT OR IGNORE INTO messages (id, title, text, category, link,"
			 " media_sha256, media_type, media_name, media_size, media_id, priority,"
			 " state, scheduled_at, expires_at, created_at, created_by) VALUES (7, 'Avviso',"
			 " 'Strada chiusa', 'viabilita', '', '', '', '', 0, '', 1, 3, 0, 0, 100, 'cli')");
		raw_exec(db, "INSERT INTO messages (id, title, text, category, link, media_sha256,"
			 " media_type, media_name, media_size, media_id, priority, state,"
			 " scheduled_at, expires_at, created_at, created_by, replaces) VALUES (8,"
			 " 'Avviso aggiornato', 'Riaperta', 'viabilita', '', '', '', '', 0, '', 1, 4,"
			 " 0, 0, 200, 'cli', 7)");
		break;
	case 13:
		/* Message 7's e-mail lane, half way. */
		raw_exec(db, "INSERT INTO message_platforms VALUES (7, 3, 1, 40, 90, 80, 30, 2,"
			 " 1000, 0)");
		break;
	case 14:
		/* Area "fornacino" has bit 2; the imported subscriber of version 10 (when
		 * there) chose it; message 7 targets it. */
		raw_exec(db, "INSERT INTO audience_bits VALUES (1, 'fornacino', 2)");
		raw_exec(db, "UPDATE subscribers SET areas = 4 WHERE method = 'import'");
		raw_exec(db, "INSERT INTO message_audience VALUES (7, 'fornacino', 0, 4)");
		break;
	case 15:
		/* Message 7 waits to be posted on the WhatsApp Channel, message 8 was. */
		raw_exec(db, "INSERT INTO channel_posts VALUES (7, 1500, 0, '')");
		raw_exec(db, "INSERT INTO channel_posts VALUES (8, 1400, 1600, 'staff:stampa')");
		break;
	case 16:
		break; /* an index: the rows of 14 are read through it */
	case 17: {
		/* A reply queued with its body sealed, after version 3's plaintext one. */
		static const char body[] = "{\"text\":\"risposta sigillata\"}";
		uint8_t *sealed = NULL;
		size_t sealed_len = 0;
		assert_int_equal(store_seal_body(0, s.addr_hash, body, strlen(body), &sealed,
						 &sealed_len), 0);
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO outbox (platform, addr_hash, sealed, kind, body,"
				 " body_sealed, attempts, not_before, created_at)"
				 " VALUES (0, ?1, x'0708', 'reply', '', ?2, 0, 1600, 1600)",
				 -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, sealed, (int)sealed_len, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		free(sealed);
		break;
	}
	case 18:
		/* A canned confirmation: its name, no body (due later than 17's rows). */
		assert_int_equal(sqlite3_prepare_v2(db,
				 "INSERT INTO outbox (platform, addr_hash, sealed, kind, body,"
				 " body_sealed, attempts, not_before, created_at, canned)"
				 " VALUES (0, ?1, x'0708', 'leave', '', NULL, 0, 5000, 5000,"
				 " 'not-subscribed')", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_blob(st, 1, s.addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
		break;
	default:
		fail_msg("seed_version: add the seed rows of migration %d to this test", v);
	}
}

/* The highest version whose seed rows the database holds (checks of earlier versions
 * allow for what later seeds changed). */
static int seeded_upto;

/* What seed_version(v) wrote, read back through the store after the upgrade. */
static void check_version(struct store *st, int v)
{
	struct store_subscriber s, got;
	struct store_outbox_item it;
	struct store_kept_message *m;
	struct store_message msg;
	struct store_recipient r;
	struct store_retry retry;
	struct store_token tok;
	uint8_t h[CRYPTO_HASH_LEN];
	int64_t total = 0;
	int n = 0, due = 1;

	make_sub(&s, 0, 11);
	fill_hash(h, 12);
	switch (v) {
	case 1:
		assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
		assert_int_equal(got.sealed_len, s.sealed_len);
		assert_memory_equal(got.sealed, s.sealed, s.sealed_len);
		assert_string_equal(got.policy_version, s.policy_version);
		assert_int_equal(got.joined_at, s.joined_at);
		assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
		assert_int_equal(total, 3);
		/* A subscriber from before broadcasting is a recipient with a clean record
		 * (unless the rows of version 4 gave them one). */
		assert_int_equal(store_subscribers_page(st, 0, 0, got.id, 0, &r, 1, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(r.id, got.id);
		assert_int_equal(r.sealed_len, s.sealed_len);
		assert_memory_equal(r.sealed, s.sealed, s.sealed_len);
		assert_int_equal(r.failures, seeded_upto >= 4 ? 2 : 0);
		assert_int_equal(r.last_sent_at, seeded_upto >= 4 ? 4000 : 0);
		break;
	case 2:
		assert_int_equal(store_event_mark(st, h, 2000), BANDITORE_EEXIST);
		assert_int_equal(store_autoreply_claim(st, 0, s.addr_hash, 1500, 3600, &due), 0);
		assert_int_equal(due, 0);
		m = calloc(4, sizeof(*m));
		assert_non_null(m);
		assert_int_equal(store_kept_list(st, 0, m, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(m[0].sealed_text_len, 2);
		assert_int_equal(m[0].expires_at, 9000);
		free(m);
		break;
	case 3:
		assert_int_equal(store_outbox_due(st, 2000, &it, 1, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(it.attempts, 2);
		assert_string_equal(it.body, "{\"text\":\"ciao\"}");
		store_outbox_item_clear(&it);
		break;
	case 4:
		assert_int_equal(store_message_get(st, 7, &msg), 0);
		assert_string_equal(msg.title, "Avviso");
		assert_string_equal(msg.text, "Strada chiusa");
		assert_int_equal(msg.state, STORE_MSG_SENDING);
		assert_int_equal(msg.priority, STORE_PRIORITY_EMERGENCY);
		assert_int_equal(msg.audience_max_id, 50);
		assert_int_equal(msg.cursor, 20);
		assert_int_equal(msg.unreachable, 1);
		store_message_clear(&msg);
		assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
		assert_int_equal(store_retry_due(st, 7, 3000, &retry, 1, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(retry.subscriber_id, got.id);
		assert_int_equal(retry.attempts, 2);
		assert_int_equal(store_token_find(st, h, &tok), 0);
		assert_string_equal(tok.name, "ufficio-stampa");
		assert_int_equal(tok.revoked_at, 0);
		assert_int_equal(store_subscribers_page(st, 0, 0, got.id, 0, &r, 1, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(r.failures, 2);
		assert_int_equal(r.last_sent_at, 4000);
		break;
	case 5: {
		char *notes = NULL;
		assert_int_equal(store_message_get_notes(st, 7, &notes), 0);
		assert_string_equal(notes, "{\"justification\":\"indispensabile\"}");
		free(notes);
		break;
	}
	case 6: {
		struct store_audit_entry *e = calloc(1, sizeof(*e));
		assert_non_null(e);
		assert_int_equal(store_audit_last(st, e), 0);
		assert_int_equal(e->seq, 1);
		assert_string_equal(e->action, "token.create");
		assert_string_equal(e->object, "token:ufficio-stampa");
		free(e);
		break;
	}
	case 7: {
		struct store_staff a;
		struct store_session se;
		struct store_review rv;
		uint8_t zero[CRYPTO_HASH_LEN] = { 0 };
		assert_int_equal(store_staff_get(st, "anna", &a), 0);
		assert_int_equal(a.role, STORE_ROLE_GESTORE);
		assert_int_equal(store_session_get(st, zero, &se), 0);
		assert_int_equal(se.staff_id, 3);
		assert_int_equal(se.last_seen, 200);
		assert_int_equal(store_review_get(st, 7, &rv), 0);
		assert_int_equal(rv.status, STORE_REVIEW_PROPOSED);
		assert_string_equal(rv.proposed_by, "anna");
		break;
	}
	case 8: {
		/* message 7 (an emergency SENDING since version 4) is found by its words */
		struct store_archive_query aq = { .search = "strada", .alerts = 1 };
		struct store_message found;
		int n_found = 0;
		memset(&found, 0, sizeof(found));
		assert_int_equal(store_archive_list(st, &aq, &found, 1, &n_found, NULL), 0);
		assert_int_equal(n_found, seeded_upto >= 4 ? 1 : 0);
		if (n_found)
			assert_int_equal(found.id, 7);
		store_message_clear(&found);
		break;
	}
	case 9: {
		struct store_pending p;
		uint8_t zero[CRYPTO_HASH_LEN] = { 0 };
		int64_t removed = -1;
		if (seeded_upto >= 9) {
			assert_int_equal(store_pending_take(st, zero, &p), 0);
			assert_int_equal(p.platform, 3);
			assert_int_equal(p.created_at, 5000);
			assert_int_equal(store_pending_put(st, &p), 0);
		}
		assert_int_equal(store_pending_expire(st, 4000, &removed), 0);
		assert_int_equal(removed, 0);
		break;
	}
	case 10: {
		uint8_t zero[CRYPTO_HASH_LEN] = { 0 };
		/* Rows from before have no detail; an imported one keeps its own. */
		if (seeded_upto >= 1) {
			assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
			assert_string_equal(got.consent_detail, "");
		}
		if (seeded_upto >= 10) {
			assert_int_equal(store_subscriber_get(st, 1, zero, &got), 0);
			assert_string_equal(got.method, "import");
			assert_string_equal(got.consent_detail, "lista broadcast");
			assert_int_equal(got.joined_at, 6000);
		}
		break;
	}
	case 11: {
		struct store_pending p[4];
		int np = 0;
		/* Rows from before wait for their confirmation, with no method of their own. */
		if (seeded_upto >= 9 && seeded_upto < 11) {
			uint8_t zero[CRYPTO_HASH_LEN] = { 0 };
			assert_int_equal(store_pending_take(st, zero, &p[0]), 0);
			assert_int_equal(p[0].state, STORE_PENDING_CONFIRM);
			assert_string_equal(p[0].method, "");
			assert_string_equal(p[0].ref, "");
			assert_int_equal(store_pending_put(st, &p[0]), 0);
		}
		if (seeded_upto >= 11) {
			assert_int_equal(store_pending_list(st, 1, STORE_PENDING_CONFIRM, 0, "", p, 4, &np), 0);
			assert_int_equal(np, 1);
			assert_string_equal(p[0].method, "assisted");
			assert_string_equal(p[0].consent_detail, "modulo n. 12 del 2026-11-20");
			assert_int_equal(store_pending_get_ref(st, "abcdef0123456789", &p[1]), 0);
			assert_int_equal(p[1].state, STORE_PENDING_MODERATE);
			assert_int_equal(p[1].created_at, 7100);
		}
		break;
	}
	case 12:
		/* Messages from before replace nothing; message 8 updates 7. */
		if (seeded_upto >= 4) {
			assert_int_equal(store_message_get(st, 7, &msg), 0);
			assert_int_equal(msg.replaces, 0);
			assert_int_equal(msg.replaced_by, seeded_upto >= 12 ? 8 : 0);
			store_message_clear(&msg);
		}
		if (seeded_upto >= 12) {
			assert_int_equal(store_message_get(st, 8, &msg), 0);
			assert_int_equal(msg.replaces, 7);
			assert_int_equal(msg.replaced_by, 0);
			store_message_clear(&msg);
		}
		break;
	case 13: {
		struct store_message_platform lp;
		if (seeded_upto >= 13) {
			assert_int_equal(store_lane_get(st, 7, 3, &lp), 0);
			assert_int_equal(lp.state, STORE_LANE_SENDING);
			assert_int_equal(lp.cursor, 40);
			assert_int_equal(lp.max_id, 90);
			assert_int_equal(lp.sent, 30);
		} else {
			assert_int_equal(store_lane_get(st, 7, 3, &lp), BANDITORE_ENOTFOUND);
		}
		break;
	}
	case 14: {
		/* Subscribers from before chose nothing (everything); the seeded rows read back. */
		struct store_audience aud;
		uint64_t cats = 9, areas = 9;
		char targets[64];
		int bit = -1;
		assert_int_equal(store_subscriber_get_audience(st, 0, s.addr_hash, &cats, &areas), 0);
		assert_int_equal(cats, 0);
		assert_int_equal(areas, 0);
		assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_AREA, "fornacino", 0, &bit), 0);
		assert_int_equal(bit, seeded_upto >= 14 ? 2 : -1);
		assert_int_equal(store_message_get_areas(st, 7, targets, sizeof(targets)), 0);
		assert_string_equal(targets, seeded_upto >= 14 ? "fornacino" : "");
		assert_int_equal(store_message_get_audience(st, 7, &aud), 0);
		assert_true(aud.areas == (seeded_upto >= 14 ? 4u : 0u));
		break;
	}
	case 15: {
		/* The posting tasks read back; a task waits, another was posted. */
		struct store_channel_post cp[4];
		int waiting = 0;
		assert_int_equal(store_channel_post_list(st, 1, cp, 4, &waiting), 0);
		assert_int_equal(waiting, seeded_upto >= 15 ? 1 : 0);
		if (seeded_upto >= 15) {
			assert_int_equal(cp[0].message_id, 7);
			assert_int_equal(store_channel_post_get(st, 8, &cp[1]), 0);
			assert_int_equal(cp[1].posted_at, 1600);
			assert_string_equal(cp[1].posted_by, "staff:stampa");
		}
		break;
	}
	case 16: {
		/* The count of version 14's choices goes through the new index. */
		struct store_audience aud = { 0, 4 };
		int64_t counts[3] = { 0, 0, 0 };
		assert_int_equal(store_audience_count(st, &aud, counts, 3), 0);
		assert_true(counts[1] >= (seeded_upto >= 10 ? 1 : 0));
		break;
	}
	case 17: {
		/* Both read back: version 3's body as it was, the sealed one opened. They
		 * are for the same person, so one is due at a time, in the order queued. */
		struct store_outbox_item items[4];
		int found = 0, read_back = 0;
		do {
			assert_int_equal(store_outbox_due(st, 2000, items, 4, &n), 0);
			assert_true(n <= 1);
			for (int i = 0; i < n; i++) {
				assert_string_equal(items[i].canned, "");
				if (!strcmp(items[i].kind, "reply")) {
					assert_string_equal(items[i].body, "{\"text\":\"risposta sigillata\"}");
					assert_int_equal(read_back, seeded_upto >= 3 ? 1 : 0); /* queued last */
					found = 1;
				} else {
					assert_string_equal(items[i].body, "{\"text\":\"ciao\"}");
				}
				assert_int_equal(store_outbox_remove(st, items[i].id), 0);
				store_outbox_item_clear(&items[i]);
				read_back++;
			}
		} while (n > 0);
		assert_int_equal(read_back, seeded_upto >= 3 ? 2 : 1);
		assert_true(found);
		break;
	}
	case 18: {
		/* Every earlier row reads back as not canned (17's were removed above). */
		struct store_outbox_item items[4];
		assert_int_equal(store_outbox_due(st, 6000, items, 4, &n), 0);
		assert_int_equal(n, seeded_upto >= 18 ? 1 : 0);
		for (int i = 0; i < n; i++) {
			assert_string_equal(items[i].canned, "not-subscribed");
			assert_string_equal(items[i].kind, "leave");
			assert_string_equal(items[i].body, "");
			store_outbox_item_clear(&items[i]);
		}
		break;
	}
	default:
		fail_msg("check_version: add the checks of migration %d to this test", v);
	}
}

static void test_migrate_from_every_version(void **state)
{
	struct fx *f = *state;
	int latest = store_schema_latest();

	for (int k = 0; k < latest; k++) {
		struct store *st = NULL;
		int version = -1;
		sqlite3 *db;

		remove_dir(f->dir);
		assert_int_equal(mkdir(f->dir, 0700), 0);
		assert_int_equal(store_sqlite_migrate_to(f->path, k), 0);
		assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL, 0), k);
		db = raw_open(f->path);
		for (int v = 1; v <= k; v++)
			seed_version(db, v);
		seeded_upto = k;
		sqlite3_close(db);

		assert_int_equal(store_open(f->path, &st), 0);
		assert_int_equal(store_schema_version(st, &version), 0);
		assert_int_equal(version, latest);
		for (int v = 1; v <= k; v++)
			check_version(st, v);
		/* And the newer tables work: a full row in each. */
		for (int v = k + 1; v <= latest; v++) {
			store_free(st);
			db = raw_open(f->path);
			seed_version(db, v);
			seeded_upto = v;
			sqlite3_close(db);
			assert_int_equal(store_open(f->path, &st), 0);
			check_version(st, v);
		}
		store_free(st);
	}
}

static void test_migrate_to_bounds(void **state)
{
	struct fx *f = *state;
	int latest = store_schema_latest();

	assert_int_equal(store_sqlite_migrate_to(f->path, latest + 1), BANDITORE_EINVAL);
	assert_int_equal(store_sqlite_migrate_to(f->path, -1), BANDITORE_EINVAL);
	assert_int_equal(store_sqlite_migrate_to(f->path, latest), 0);
	/* Going back is not a thing: forward only. */
	assert_int_equal(store_sqlite_migrate_to(f->path, latest - 1), BANDITORE_ESTORE);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version", NULL, 0), latest);
}

static void test_newer_database_refused(void **state)
{
	struct fx *f = *state;
	struct store *st = (struct store *)&st;
	uint8_t *before, *after;
	size_t len_before, len_after;
	char wal[160], mode[16], sql[64];
	sqlite3 *db;

	assert_int_equal(store_sqlite_migrate_to(f->path, store_schema_latest()), 0);
	db = raw_open(f->path);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_latest() + 1);
	raw_exec(db, sql);
	sqlite3_close(db);
	before = read_all(f->path, &len_before);
	assert_non_null(before);

	assert_int_equal(store_open(f->path, &st), BANDITORE_ESTORE);
	assert_null(st);
	assert_non_null(strstr(store_errmsg(NULL), "newer"));

	after = read_all(f->path, &len_after);
	assert_int_equal(len_after, len_before);
	assert_memory_equal(after, before, len_before);
	side(f, "-wal", wal, sizeof(wal));
	assert_int_equal(file_size(wal), -1); /* not even switched to WAL */
	raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "delete");
	free(before);
	free(after);
}

/* ------------------------------------------------------------------ transactions */

static void test_transactions(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);

	assert_int_equal(store_begin(st), 0);
	add_sub(st, 0, 1);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_begin(st), 0);
	add_sub(st, 0, 2);
	assert_int_equal(store_rollback(st), 0);
	assert_true(exists_sub(st, 0, 1));
	assert_false(exists_sub(st, 0, 2));
	/* Committed means visible to another connection. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM subscribers", NULL, 0), 1);

	assert_int_equal(store_rollback(st), 0); /* nothing open: a no-op */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), BANDITORE_ESTORE); /* no nesting of BEGIN */
	assert_string_not_equal(store_errmsg(st), "");
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_commit(st), BANDITORE_ESTORE); /* nothing to commit */
}

/* A smaller page cache changes nothing a caller can see but memory; too small is refused. */
static void test_set_cache(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);

	assert_int_equal(store_set_cache(st, 63), BANDITORE_EINVAL);
	assert_int_equal(store_set_cache(NULL, 2048), BANDITORE_EINVAL);
	assert_int_equal(store_set_cache(st, 2048), 0);
	assert_int_equal(store_begin(st), 0);
	add_sub(st, 0, 1);
	assert_int_equal(store_commit(st), 0);
	assert_true(exists_sub(st, 0, 1));
}

static void test_savepoints(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	int64_t total = -1;

	/* A batch: the second event fails and is undone alone. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 1);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 2);
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 1), 0);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 3);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_true(exists_sub(st, 0, 1));
	assert_false(exists_sub(st, 0, 2));
	assert_true(exists_sub(st, 0, 3));
	assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
	assert_int_equal(total, 0);

	/* Nested, as the writer's job savepoint holds one per event: the inner one alone. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 4);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 5);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 6);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_release(st), 0);
	/* ... and the outer one takes its released inner ones with it. */
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 7);
	assert_int_equal(store_savepoint(st), 0);
	add_sub(st, 0, 8);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_true(exists_sub(st, 0, 4));
	assert_false(exists_sub(st, 0, 5));
	assert_true(exists_sub(st, 0, 6));
	assert_false(exists_sub(st, 0, 7));
	assert_false(exists_sub(st, 0, 8));
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM subscribers", NULL, 0), 4);

	/* A failed statement inside a savepoint leaves the transaction usable. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	{
		struct store_subscriber dup;
		make_sub(&dup, 0, 1);
		assert_int_equal(store_subscriber_add(st, &dup, NULL), BANDITORE_EEXIST);
	}
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	add_sub(st, 0, 9);
	assert_int_equal(store_commit(st), 0);
	assert_true(exists_sub(st, 0, 9));
}

/* ------------------------------------------------------------------ subscribers */

static void test_subscribers(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_subscriber s, got;
	int64_t id = 0, id2 = 0, n = -1;

	make_sub(&s, 0, 1);
	assert_int_equal(store_subscriber_add(st, &s, &id), 0);
	assert_true(id > 0);
	assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(got.platform, 0);
	assert_memory_equal(got.addr_hash, s.addr_hash, CRYPTO_HASH_LEN);
	assert_int_equal(got.sealed_len, s.sealed_len);
	assert_memory_equal(got.sealed, s.sealed, s.sealed_len);
	assert_int_equal(got.joined_at, s.joined_at);
	assert_string_equal(got.method, "keyword");
	assert_string_equal(got.policy_version, s.policy_version);
	assert_int_equal(got.last_inbound_at, s.last_inbound_at);

	/* The same address twice: EEXIST, and the first receipt stands. */
	s.joined_at += 100;
	assert_int_equal(store_subscriber_add(st, &s, NULL), BANDITORE_EEXIST);
	assert_non_null(strstr(store_errmsg(st), "subscriber add"));
	assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
	assert_int_equal(got.joined_at, s.joined_at - 100);
	/* The same hash on another platform is someone else. */
	s.platform = 1;
	assert_int_equal(store_subscriber_add(st, &s, &id2), 0);
	assert_true(id2 > id);
	make_sub(&s, 0, 2);
	assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), BANDITORE_ENOTFOUND);

	/* touch: forward only, and ENOTFOUND for a non-subscriber. */
	make_sub(&s, 0, 1);
	assert_int_equal(store_subscriber_touch(st, 0, s.addr_hash, s.joined_at + 500), 0);
	assert_int_equal(store_subscriber_touch(st, 0, s.addr_hash, s.joined_at + 100), 0);
	assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
	assert_int_equal(got.last_inbound_at, s.joined_at + 500);
	assert_int_equal(got.joined_at, s.joined_at);
	make_sub(&s, 0, 2);
	assert_int_equal(store_subscriber_touch(st, 0, s.addr_hash, 5), BANDITORE_ENOTFOUND);

	add_sub(st, 0, 3);
	assert_int_equal(store_subscriber_count(st, 0, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_subscriber_count(st, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_subscriber_count(st, 3, &n), 0);
	assert_int_equal(n, 0);

	/* Bad input is refused before SQL. */
	make_sub(&s, 0, 4);
	s.sealed_len = 0;
	assert_int_equal(store_subscriber_add(st, &s, NULL), BANDITORE_EINVAL);
	s.sealed_len = STORE_SEALED_MAX + 1;
	assert_int_equal(store_subscriber_add(st, &s, NULL), BANDITORE_EINVAL);
	make_sub(&s, 0, 4);
	memset(s.method, 'x', sizeof(s.method)); /* no terminating NUL */
	assert_int_equal(store_subscriber_add(st, &s, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_subscriber_add(st, NULL, NULL), BANDITORE_EINVAL);
	/* The longest sealed address fits. */
	make_sub(&s, 0, 5);
	s.sealed_len = STORE_SEALED_MAX;
	memset(s.sealed, 0xab, s.sealed_len);
	assert_int_equal(store_subscriber_add(st, &s, NULL), 0);
	assert_int_equal(store_subscriber_get(st, 0, s.addr_hash, &got), 0);
	assert_int_equal(got.sealed_len, STORE_SEALED_MAX);
}

/* How many rows of every table with an addr_hash column carry (platform, hash): new
 * tables about people are covered without editing this test. */
static int64_t rows_about(const char *path, int platform, const uint8_t hash[CRYPTO_HASH_LEN])
{
	sqlite3 *db = raw_open(path);
	sqlite3_stmt *tables = NULL;
	int64_t total = 0;
	int n_tables = 0;

	assert_int_equal(sqlite3_prepare_v2(db,
			 "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p"
			 " WHERE m.type = 'table' AND p.name = 'addr_hash'", -1, &tables, NULL),
			 SQLITE_OK);
	while (sqlite3_step(tables) == SQLITE_ROW) {
		char sql[160];
		sqlite3_stmt *st = NULL;
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM \"%s\" WHERE platform = ?1 AND addr_hash = ?2",
			 (const char *)sqlite3_column_text(tables, 0));
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int(st, 1, platform);
		sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		total += sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		n_tables++;
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	assert_int_equal(n_tables, 5); /* subscribers, autoreply, kept_messages, outbox,
					* pending_joins */
	return total;
}

/* Everything a person leaves behind: receipt, pending replies, kept messages, marks. */
static void add_person(struct store *st, int platform, uint8_t seed)
{
	struct store_outbox_item it;
	struct store_kept_message *m = make_kept(platform, seed, 100, 100000);
	char body[] = "{\"text\":\"benvenuto\"}";
	int due = 0;

	add_sub(st, platform, seed);
	make_item(&it, platform, seed, body, 10);
	assert_int_equal(store_outbox_add(st, &it, NULL), 0);
	assert_int_equal(store_outbox_add(st, &it, NULL), 0);
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	assert_int_equal(store_autoreply_claim(st, platform, it.addr_hash, 100, 60, &due), 0);
	assert_int_equal(due, 1);
	free(m);
	{ /* a join waiting for its confirmation */
		struct store_pending p;
		memset(&p, 0, sizeof(p));
		p.token_hash[0] = (uint8_t)platform;
		p.token_hash[1] = seed;
		p.platform = platform;
		memcpy(p.addr_hash, it.addr_hash, CRYPTO_HASH_LEN);
		p.sealed[0] = 9;
		p.sealed_len = 1;
		assert_int_equal(store_pending_put(st, &p), 0);
	}
}

static void put_pending(struct store *st, uint8_t seed, int state, int64_t at, const char *ref)
{
	struct store_pending p;

	memset(&p, 0, sizeof(p));
	p.token_hash[0] = seed;
	p.platform = 1;
	fill_hash(p.addr_hash, seed);
	p.sealed[0] = seed;
	p.sealed_len = 1;
	p.created_at = at;
	p.state = state;
	snprintf(p.method, sizeof(p.method), "%s", state ? "keyword" : "assisted");
	snprintf(p.consent_detail, sizeof(p.consent_detail), "modulo %u", seed);
	snprintf(p.ref, sizeof(p.ref), "%s", ref);
	assert_int_equal(store_pending_put(st, &p), 0);
}

/* One look for a join: subscriber (then touched), pending request, blocklist; each
 * answer on its own, for its platform only. */
static void test_sender_lookup(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_sender who;
	struct store_subscriber got;
	uint8_t h5[CRYPTO_HASH_LEN], h6[CRYPTO_HASH_LEN], h7[CRYPTO_HASH_LEN], b[CRYPTO_HASH_LEN];

	fill_hash(h5, 5);
	fill_hash(h6, 6);
	fill_hash(h7, 7);
	fill_hash(b, 99);
	memset(&who, 0x55, sizeof(who));
	assert_int_equal(store_sender_lookup(st, 1, h5, b, 1800000000, &who), 0);
	assert_int_equal(who.subscribed, 0);
	assert_int_equal(who.pending, 0);
	assert_int_equal(who.blocked, 0);

	add_sub(st, 1, 5);
	put_pending(st, 6, STORE_PENDING_CONFIRM, 1000, "");
	assert_int_equal(store_block_add(st, 1, b, 1000), 0);
	assert_int_equal(store_sender_lookup(st, 1, h5, h7, 1800000000, &who), 0);
	assert_int_equal(who.subscribed, 1);
	assert_int_equal(who.pending, 0);
	assert_int_equal(who.blocked, 0);
	/* A subscriber's message opened its window, as store_subscriber_touch does. */
	assert_int_equal(store_subscriber_get(st, 1, h5, &got), 0);
	assert_int_equal(got.last_inbound_at, 1800000000);
	assert_int_equal(store_sender_lookup(st, 1, h5, h7, 1700000000, &who), 0);
	assert_int_equal(store_subscriber_get(st, 1, h5, &got), 0);
	assert_int_equal(got.last_inbound_at, 1800000000); /* never moved back */

	assert_int_equal(store_sender_lookup(st, 1, h6, b, 1800000000, &who), 0);
	assert_int_equal(who.subscribed, 0);
	assert_int_equal(who.pending, 1);
	assert_int_equal(who.blocked, 1);
	/* The other platform knows none of them. */
	assert_int_equal(store_sender_lookup(st, 0, h6, b, 1800000000, &who), 0);
	assert_int_equal(who.subscribed + who.pending + who.blocked, 0);
	assert_int_equal(store_sender_lookup(st, 0, h5, b, 1800000000, &who), 0);
	assert_int_equal(who.subscribed, 0);

	assert_int_equal(store_sender_lookup(st, 1, NULL, b, 1, &who), BANDITORE_EINVAL);
	assert_int_equal(store_sender_lookup(st, 1, h5, NULL, 1, &who), BANDITORE_EINVAL);
	assert_int_equal(store_sender_lookup(st, 1, h5, b, 1, NULL), BANDITORE_EINVAL);
}

/* Front-desk requests and the moderation queue: listed in order, found by their queue
 * id, each state expired on its own clock. */
static void test_pending_queue(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_pending p[8], bad;
	int64_t removed = -1;
	int n = 0;

	put_pending(st, 1, STORE_PENDING_CONFIRM, 100, "");
	put_pending(st, 2, STORE_PENDING_MODERATE, 300, "bbbb");
	put_pending(st, 3, STORE_PENDING_MODERATE, 200, "cccc");
	put_pending(st, 4, STORE_PENDING_MODERATE, 300, "aaaa");
	assert_int_equal(store_pending_list(st, 1, STORE_PENDING_MODERATE, 0, "", p, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(p[0].ref, "cccc");
	assert_string_equal(p[1].ref, "aaaa");
	assert_string_equal(p[2].ref, "bbbb");
	assert_string_equal(p[2].method, "keyword");
	/* pages */
	assert_int_equal(store_pending_list(st, 1, STORE_PENDING_MODERATE, 300, "aaaa", p, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].ref, "bbbb");
	assert_int_equal(store_pending_list(st, 1, STORE_PENDING_CONFIRM, 0, "", p, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].consent_detail, "modulo 1");
	assert_int_equal(store_pending_list(st, 2, STORE_PENDING_MODERATE, 0, "", p, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_pending_get_ref(st, "aaaa", &p[0]), 0);
	assert_int_equal(p[0].token_hash[0], 4);
	assert_int_equal(store_pending_get_ref(st, "zzzz", &p[0]), BANDITORE_ENOTFOUND);
	assert_int_equal(store_pending_get_ref(st, "", &p[0]), BANDITORE_EINVAL);
	/* a state that is none */
	memset(&bad, 0, sizeof(bad));
	bad.token_hash[0] = 9;
	bad.platform = 1;
	bad.sealed_len = 1;
	bad.state = 2;
	snprintf(bad.ref, sizeof(bad.ref), "dddd");
	assert_int_equal(store_pending_put(st, &bad), BANDITORE_EINVAL);
	/* the confirmation's clock leaves the queue alone, and the other way round */
	assert_int_equal(store_pending_expire_platform(st, 1, 1000, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_pending_expire_queue(st, 1, 250, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_pending_list(st, 1, STORE_PENDING_MODERATE, 0, "", p, 8, &n), 0);
	assert_int_equal(n, 2);
}

static void test_erase_everything(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	uint8_t x[CRYPTO_HASH_LEN], y[CRYPTO_HASH_LEN];
	int64_t total = 0;
	int erased = -1;

	fill_hash(x, 1);
	fill_hash(y, 2);
	assert_int_equal(store_begin(st), 0);
	add_person(st, 0, 1);
	add_person(st, 0, 2);
	add_person(st, 1, 1); /* the same hash on another platform is another person */
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 2), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(rows_about(f->path, 0, x), 6);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_subscriber_erase(st, 0, x, &erased), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(erased, 1);
	assert_int_equal(rows_about(f->path, 0, x), 0);
	assert_int_equal(rows_about(f->path, 0, y), 6);
	assert_int_equal(rows_about(f->path, 1, x), 6);
	assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
	assert_int_equal(total, 2); /* anonymous counters stay */

	/* Not a subscriber any more: still 0, and nothing reported erased. */
	assert_int_equal(store_subscriber_erase(st, 0, x, &erased), 0);
	assert_int_equal(erased, 0);
	assert_int_equal(store_subscriber_erase(st, 0, y, NULL), 0);
	assert_int_equal(rows_about(f->path, 0, y), 0);
	assert_int_equal(store_subscriber_erase(st, 0, NULL, &erased), BANDITORE_EINVAL);
}

/* ------------------------------------------------------------------ inbound */

static void test_events(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	uint8_t a[CRYPTO_HASH_LEN], b[CRYPTO_HASH_LEN];
	int64_t removed = -1;

	fill_hash(a, 1);
	fill_hash(b, 2);
	assert_int_equal(store_event_mark(st, a, 1000), 0);
	assert_int_equal(store_event_mark(st, a, 1001), BANDITORE_EEXIST);
	assert_int_equal(store_event_mark(st, b, 2000), 0);
	assert_int_equal(raw_int(f->path, "SELECT seen_at FROM events WHERE event_hash = ?1", a,
				 CRYPTO_HASH_LEN),
			 1000); /* a duplicate does not move the first sighting */
	assert_int_equal(store_event_expire(st, 1000, &removed), 0);
	assert_int_equal(removed, 0); /* "older than": 1000 itself stays */
	assert_int_equal(store_event_expire(st, 1500, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_event_mark(st, a, 3000), 0); /* forgotten, so new again */
	assert_int_equal(store_event_mark(st, b, 3000), BANDITORE_EEXIST);
	assert_int_equal(store_event_expire(st, 5000, NULL), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events", NULL, 0), 0);
	assert_int_equal(store_event_mark(st, NULL, 1), BANDITORE_EINVAL);
}

static void test_autoreply(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	uint8_t h[CRYPTO_HASH_LEN], other[CRYPTO_HASH_LEN];
	const int64_t w = 86400;
	int due = -1;

	fill_hash(h, 1);
	fill_hash(other, 2);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1000, w, &due), 0);
	assert_int_equal(due, 1);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1000 + w - 1, w, &due), 0);
	assert_int_equal(due, 0);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1000 + w, w, &due), 0);
	assert_int_equal(due, 0); /* due when the last one was *before* now - window */
	assert_int_equal(store_autoreply_claim(st, 1, h, 1000 + w, w, &due), 0);
	assert_int_equal(due, 1); /* other platform, other person */
	assert_int_equal(store_autoreply_claim(st, 0, other, 1000 + w, w, &due), 0);
	assert_int_equal(due, 1);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1001 + w, w, &due), 0);
	assert_int_equal(due, 1);
	/* The claim recorded the new time: a day from now, not from the first one. */
	assert_int_equal(store_autoreply_claim(st, 0, h, 1002 + w, w, &due), 0);
	assert_int_equal(due, 0);
	assert_int_equal(raw_int(f->path, "SELECT last_at FROM autoreply WHERE platform = 0 AND"
				 " addr_hash = ?1", h, CRYPTO_HASH_LEN),
			 1001 + w);

	assert_int_equal(store_autoreply_expire(st, 1001 + w), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM autoreply", NULL, 0), 1);
	assert_int_equal(store_autoreply_expire(st, 1002 + w), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM autoreply", NULL, 0), 0);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1003 + w, w, &due), 0);
	assert_int_equal(due, 1);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1, -1, &due), BANDITORE_EINVAL);
	assert_int_equal(store_autoreply_claim(st, 0, h, 1, w, NULL), BANDITORE_EINVAL);
}

static void test_counters(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	char long_name[80];
	int64_t total = -1;

	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 1), 0);
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 2), 0);
	assert_int_equal(store_counter_add(st, "2026-03-02", 0, "join", 4), 0);
	assert_int_equal(store_counter_add(st, "2026-03-02", 1, "join", 100), 0);
	assert_int_equal(store_counter_add(st, "2026-03-02", 0, "leave", 10), 0);
	assert_int_equal(store_counter_add(st, "2026-03-03", 0, "join", -2), 0);
	assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
	assert_int_equal(total, 5);
	assert_int_equal(store_counter_sum(st, 1, "join", &total), 0);
	assert_int_equal(total, 100);
	assert_int_equal(store_counter_sum(st, 0, "leave", &total), 0);
	assert_int_equal(total, 10);
	assert_int_equal(store_counter_sum(st, 0, "auto-reply", &total), 0);
	assert_int_equal(total, 0);
	/* One row per (day, platform, name). */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM counters", NULL, 0), 5);

	assert_int_equal(store_counter_add(st, "2026-3-01", 0, "join", 1), BANDITORE_EINVAL);
	assert_int_equal(store_counter_add(st, "2026-03-011", 0, "join", 1), BANDITORE_EINVAL);
	assert_int_equal(store_counter_add(st, "abcd-ef-gh", 0, "join", 1), BANDITORE_EINVAL);
	assert_int_equal(store_counter_add(st, NULL, 0, "join", 1), BANDITORE_EINVAL);
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "", 1), BANDITORE_EINVAL);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, long_name, 1), BANDITORE_EINVAL);
	long_name[64] = '\0';
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, long_name, 1), 0);
	assert_int_equal(store_counter_sum(st, 0, NULL, &total), BANDITORE_EINVAL);
}

/* Inside a transaction the increments are folded in memory and written at commit: the
 * database holds nothing of them before, every one of them after; what a rollback or a
 * rolled-back savepoint undoes is not written; a read in the transaction sees them. */
static void test_counters_folded(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	char name[16];
	int64_t total = -1;

	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 1), 0);
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "leave", 2), 0);
	assert_int_equal(store_counter_add(st, "2026-03-01", 1, "join", 3), 0);
	/* Nothing of it is visible to another connection before the commit. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM counters", NULL, 0), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT value FROM counters WHERE platform = 0"
				 " AND name = 'join'", NULL, 0), 300);
	assert_int_equal(raw_int(f->path, "SELECT value FROM counters WHERE platform = 0"
				 " AND name = 'leave'", NULL, 0), 2);
	assert_int_equal(raw_int(f->path, "SELECT value FROM counters WHERE platform = 1"
				 " AND name = 'join'", NULL, 0), 3);

	/* A read inside the transaction sees what is held. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-02", 0, "join", 5), 0);
	assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
	assert_int_equal(total, 305);
	assert_int_equal(store_counter_add(st, "2026-03-02", 0, "join", 1), 0);
	assert_int_equal(store_counter_day(st, "2026-03-02", 0, "join", &total), 0);
	assert_int_equal(total, 6);
	assert_int_equal(store_commit(st), 0);

	/* Rolled back: nothing of it. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-01", 0, "join", 1000), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_counter_sum(st, 0, "join", &total), 0);
	assert_int_equal(total, 306);

	/* As the writer does when one job of a batch fails: each in a savepoint, the
	 * failed one undone alone, the others kept. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-03", 0, "join", 1), 0);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-03", 0, "join", 10), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-03", 0, "join", 100), 0);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(store_counter_add(st, "2026-03-03", 0, "join", 1000), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_counter_day(st, "2026-03-03", 0, "join", &total), 0);
	assert_int_equal(total, 1011);

	/* More distinct counters than are held at once: all written. */
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(store_counter_add(st, "2026-03-04", 2, name, i + 1), 0);
		assert_int_equal(store_counter_add(st, "2026-03-04", 2, "all", 1), 0);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM counters WHERE platform = 2",
				 NULL, 0), 41);
	assert_int_equal(raw_int(f->path, "SELECT sum(value) FROM counters WHERE platform = 2"
				 " AND name <> 'all'", NULL, 0), 40 * 41 / 2);
	assert_int_equal(raw_int(f->path, "SELECT value FROM counters WHERE platform = 2"
				 " AND name = 'all'", NULL, 0), 40);

	/* Outside a transaction: written at once. */
	assert_int_equal(store_counter_add(st, "2026-03-05", 0, "leave", 7), 0);
	assert_int_equal(raw_int(f->path, "SELECT value FROM counters WHERE day = '2026-03-05'",
				 NULL, 0), 7);
}

/* ------------------------------------------------------------------ outbox */

static void test_outbox(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_outbox_item it, got[8];
	char b300[] = "{\"text\":\"300\"}", b100[] = "{\"text\":\"100\"}",
	     b200[] = "{\"text\":\"200\"}", b100b[] = "{\"text\":\"100b\"}";
	int64_t id300, id100, id200, id100b, when = 0, count = -1;
	char *big;
	int n = -1;

	assert_int_equal(store_outbox_next_time(st, &when), BANDITORE_ENOTFOUND);
	make_item(&it, 0, 1, b300, 300);
	assert_int_equal(store_outbox_add(st, &it, &id300), 0);
	make_item(&it, 0, 2, b100, 100);
	assert_int_equal(store_outbox_add(st, &it, &id100), 0);
	make_item(&it, 0, 3, b200, 200);
	it.attempts = 1;
	assert_int_equal(store_outbox_add(st, &it, &id200), 0);
	make_item(&it, 0, 4, b100b, 100);
	assert_int_equal(store_outbox_add(st, &it, &id100b), 0);
	assert_true(id300 < id100 && id100 < id200 && id200 < id100b);
	assert_int_equal(store_outbox_count(st, &count), 0);
	assert_int_equal(count, 4);
	assert_int_equal(store_outbox_next_time(st, &when), 0);
	assert_int_equal(when, 100);

	/* Nothing is due before its time. */
	assert_int_equal(store_outbox_due(st, 99, got, 8, &n), 0);
	assert_int_equal(n, 0);
	/* At 150: the two of 100, in the order they were queued. */
	assert_int_equal(store_outbox_due(st, 150, got, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].id, id100);
	assert_int_equal(got[1].id, id100b);
	assert_string_equal(got[0].body, b100);
	assert_string_equal(got[0].kind, "join");
	assert_int_equal(got[0].sealed_len, 40);
	assert_int_equal(got[0].created_at, 95);
	make_item(&it, 0, 2, b100, 100);
	assert_memory_equal(got[0].addr_hash, it.addr_hash, CRYPTO_HASH_LEN);
	assert_memory_equal(got[0].sealed, it.sealed, it.sealed_len);
	for (int i = 0; i < n; i++) {
		store_outbox_item_clear(&got[i]);
		assert_null(got[i].body);
	}
	/* Everything, by not_before, at most `max`. */
	assert_int_equal(store_outbox_due(st, 1000, got, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].id, id100);
	assert_int_equal(got[1].id, id100b);
	assert_int_equal(got[2].id, id200);
	assert_int_equal(got[2].attempts, 1);
	for (int i = 0; i < n; i++)
		store_outbox_item_clear(&got[i]);
	/* The sends in flight are passed over and not counted in `max`: the rows after
	 * them come instead, in the same order. The ids must be ascending. */
	{
		int64_t skip[2] = { id100, id100b }, one[1] = { id100b }, bad[2] = { id100b, id100 };

		assert_int_equal(store_outbox_due_skip(st, 1000, skip, 2, got, 2, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(got[0].id, id200);
		assert_int_equal(got[1].id, id300);
		assert_string_equal(got[1].body, b300);
		for (int i = 0; i < n; i++)
			store_outbox_item_clear(&got[i]);
		assert_int_equal(store_outbox_due_skip(st, 1000, one, 1, got, 2, &n), 0);
		assert_int_equal(n, 2);
		assert_int_equal(got[0].id, id100);
		assert_int_equal(got[1].id, id200);
		for (int i = 0; i < n; i++)
			store_outbox_item_clear(&got[i]);
		assert_int_equal(store_outbox_due_skip(st, 150, skip, 2, got, 8, &n), 0);
		assert_int_equal(n, 0);
		{ /* a repeated id is still passed over once */
			int64_t twice[3] = { id100, id100, id100b };
			assert_int_equal(store_outbox_due_skip(st, 1000, twice, 3, got, 1, &n), 0);
			assert_int_equal(n, 1);
			assert_int_equal(got[0].id, id200);
			store_outbox_item_clear(&got[0]);
		}
		{ /* a long list, as under load, up to the largest id there can be */
			int64_t many[300];
			many[0] = id100;
			many[1] = id100b;
			for (int i = 2; i < 299; i++)
				many[i] = 1000000000000LL + i;
			many[299] = INT64_MAX;
			assert_int_equal(store_outbox_due_skip(st, 1000, many, 300, got, 8, &n), 0);
			assert_int_equal(n, 2);
			assert_int_equal(got[0].id, id200);
			assert_int_equal(got[1].id, id300);
			for (int i = 0; i < n; i++)
				store_outbox_item_clear(&got[i]);
		}
		assert_int_equal(store_outbox_due_skip(st, 1000, bad, 2, got, 8, &n), BANDITORE_EINVAL);
		assert_int_equal(store_outbox_due_skip(st, 1000, NULL, 1, got, 8, &n), BANDITORE_EINVAL);
	}

	/* A failed send goes back in the queue, later, with its attempts counted. */
	assert_int_equal(store_outbox_reschedule(st, id100, 1, 500), 0);
	assert_int_equal(store_outbox_due(st, 400, got, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(got[0].id, id100b);
	assert_int_equal(got[1].id, id200);
	assert_int_equal(got[2].id, id300);
	for (int i = 0; i < n; i++)
		store_outbox_item_clear(&got[i]);
	assert_int_equal(store_outbox_due(st, 500, got, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(got[3].id, id100);
	assert_int_equal(got[3].attempts, 1);
	assert_int_equal(got[3].not_before, 500);
	for (int i = 0; i < n; i++)
		store_outbox_item_clear(&got[i]);

	/* Sent: removed; removing again is fine; rescheduling what is gone is not. */
	assert_int_equal(store_outbox_remove(st, id100b), 0);
	assert_int_equal(store_outbox_remove(st, id100b), 0);
	assert_int_equal(store_outbox_reschedule(st, id100b, 2, 900), BANDITORE_ENOTFOUND);
	assert_int_equal(store_outbox_next_time(st, &when), 0);
	assert_int_equal(when, 200);
	assert_int_equal(store_outbox_count(st, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(store_outbox_due(st, 1000, got, 0, &n), 0);
	assert_int_equal(n, 0);

	/* Limits. */
	big = malloc(STORE_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', STORE_BODY_MAX + 1);
	big[STORE_BODY_MAX + 1] = '\0';
	make_item(&it, 0, 5, big, 10);
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_ETOOBIG);
	big[STORE_BODY_MAX] = '\0'; /* exactly the limit fits, and comes back whole */
	assert_int_equal(store_outbox_add(st, &it, NULL), 0);
	assert_int_equal(store_outbox_due(st, 10, got, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(got[0].body), STORE_BODY_MAX);
	store_outbox_item_clear(&got[0]);
	free(big);
	make_item(&it, 0, 5, NULL, 10);
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_outbox_due(st, 10, NULL, 1, &n), BANDITORE_EINVAL);
	assert_int_equal(store_outbox_reschedule(st, id200, -1, 0), BANDITORE_EINVAL);
}

/* One person's replies go in the order they were queued: the next is not due while an
 * earlier one is in the outbox, even when the earlier one waits for a retry. */
static void test_outbox_order_per_address(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_outbox_item it, got[8];
	char b1[] = "{\"text\":\"benvenuto\"}", b2[] = "{\"text\":\"zone\"}", b3[] = "{\"text\":\"altro\"}";
	int64_t first, second, other;
	int n = -1;

	make_item(&it, 0, 8, b1, 100);
	assert_int_equal(store_outbox_add(st, &it, &first), 0);
	make_item(&it, 0, 8, b2, 100);
	assert_int_equal(store_outbox_add(st, &it, &second), 0);
	make_item(&it, 0, 9, b3, 100);
	assert_int_equal(store_outbox_add(st, &it, &other), 0);
	assert_int_equal(store_outbox_due(st, 150, got, 8, &n), 0);
	assert_int_equal(n, 2); /* the second of address 8 waits for the first */
	assert_int_equal(got[0].id, first);
	assert_int_equal(got[1].id, other);
	for (int i = 0; i < n; i++)
		store_outbox_item_clear(&got[i]);
	{ /* in flight, passed over by the sender, the first still holds the address's turn */
		int64_t skip[1] = { first };
		assert_int_equal(store_outbox_due_skip(st, 150, skip, 1, got, 8, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(got[0].id, other);
		store_outbox_item_clear(&got[0]);
	}
	/* the first must be retried later: the second still waits behind it */
	assert_int_equal(store_outbox_reschedule(st, first, 1, 300), 0);
	assert_int_equal(store_outbox_due(st, 150, got, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].id, other);
	store_outbox_item_clear(&got[0]);
	/* once the first is sent (removed), the second is due */
	assert_int_equal(store_outbox_remove(st, first), 0);
	assert_int_equal(store_outbox_due(st, 150, got, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].id, second);
	assert_int_equal(got[1].id, other);
	for (int i = 0; i < n; i++)
		store_outbox_item_clear(&got[i]);
}

/* A body is what a citizen reads (a staff reply is personal data): sealed at rest, in the
 * database file and its log, and opened only for the row it was sealed for. */
static void test_outbox_sealed(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	static const char secret[] = "Gentile signora, la sua pratica 7Q4-ZANZARA e' pronta";
	static const uint8_t other_key[CRYPTO_KEY_LEN] = { 0x0f };
	char body[160], wal[160];
	struct store_outbox_item it, got;
	int64_t id = 0, count = -1;
	int n = -1;
	sqlite3 *db;

	snprintf(body, sizeof(body), "{\"text\":\"%s\"}", secret);
	make_item(&it, 0, 7, body, 100);
	snprintf(it.kind, sizeof(it.kind), "reply");
	assert_int_equal(store_outbox_add(st, &it, &id), 0);
	side(f, "-wal", wal, sizeof(wal));
	assert_false(file_has(f->path, secret, strlen(secret)));
	assert_false(file_has(wal, secret, strlen(secret)));
	assert_false(file_has(f->path, "7Q4-ZANZARA", 11));
	assert_false(file_has(wal, "7Q4-ZANZARA", 11));
	db = raw_open(f->path);
	{
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT body, length(body_sealed) FROM outbox"
						    " WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_int64(q, 1, id);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(q, 0), "");
		assert_int_equal(sqlite3_column_int(q, 1), (int)strlen(body) + CRYPTO_SEAL_OVERHEAD);
		sqlite3_finalize(q);
	}
	/* Read back whole by the sender. */
	assert_int_equal(store_outbox_due(st, 100, &got, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got.body, body);
	store_outbox_item_clear(&got);

	/* Under another key it does not open, and is not passed off as something else. */
	store_seal_key_set(other_key);
	assert_int_equal(store_outbox_due(st, 100, &got, 1, &n), BANDITORE_ECRYPTO);
	assert_int_equal(n, 0);
	store_seal_key_set(test_seal_key);
	/* Nor once moved to another recipient's row. */
	raw_exec(db, "UPDATE outbox SET addr_hash = zeroblob(32)");
	assert_int_equal(store_outbox_due(st, 100, &got, 1, &n), BANDITORE_ECRYPTO);
	raw_exec(db, "DELETE FROM outbox");
	sqlite3_close(db);

	/* Without a key nothing is queued: never a body in plaintext instead. */
	store_seal_key_set(NULL);
	make_item(&it, 0, 8, body, 100);
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_ESTATE);
	assert_int_equal(store_outbox_count(st, &count), 0);
	assert_int_equal(count, 0);
	store_seal_key_set(test_seal_key);

	/* An empty body seals and opens too. */
	body[0] = '\0';
	assert_int_equal(store_outbox_add(st, &it, NULL), 0);
	assert_int_equal(store_outbox_due(st, 100, &got, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(got.body, "");
	store_outbox_item_clear(&got);
}

/* A canned reply is stored by its name only: no body, sealed or not, even without a
 * seal key; read back with its name and an empty body. A name is lower-case letters
 * and '-', and a canned row carries no body of its own. */
static void test_outbox_canned(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_outbox_item it, got;
	char other[] = "{\"text\":\"x\"}";
	int64_t id = 0;
	int n = -1;

	make_item(&it, 0, 9, NULL, 100);
	snprintf(it.kind, sizeof(it.kind), "leave");
	snprintf(it.canned, sizeof(it.canned), "not-subscribed");
	store_seal_key_set(NULL); /* nothing to seal */
	assert_int_equal(store_outbox_add(st, &it, &id), 0);
	store_seal_key_set(test_seal_key);
	assert_int_equal(raw_int(f->path, "SELECT body_sealed IS NULL AND body = '' FROM outbox"
				 " WHERE canned = 'not-subscribed'", NULL, 0), 1);
	assert_int_equal(store_outbox_due(st, 100, &got, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got.id, id);
	assert_string_equal(got.canned, "not-subscribed");
	assert_string_equal(got.kind, "leave");
	assert_string_equal(got.body, "");
	assert_int_equal(got.sealed_len, 40);
	store_outbox_item_clear(&got);

	snprintf(it.canned, sizeof(it.canned), "Join");
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	snprintf(it.canned, sizeof(it.canned), "join reply");
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	memset(it.canned, 'a', sizeof(it.canned)); /* no room for its end */
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	snprintf(it.canned, sizeof(it.canned), "join");
	it.body = other; /* a name or a body, not both */
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	it.body = NULL;
	it.canned[0] = '\0'; /* neither */
	assert_int_equal(store_outbox_add(st, &it, NULL), BANDITORE_EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox", NULL, 0), 1);
}

/* ------------------------------------------------------------------ kept messages */

static void test_kept(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_kept_message *m, *out = calloc(4, sizeof(*out));
	int64_t ids[3], removed = -1;
	int n = -1;

	assert_non_null(out);
	for (int i = 0; i < 3; i++) {
		m = make_kept(0, (uint8_t)(10 + i), 1000 + i, 2000 + i * 1000);
		assert_int_equal(store_kept_add(st, m, &ids[i]), 0);
		free(m);
	}
	assert_int_equal(store_kept_list(st, 0, out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].id, ids[0]);
	assert_int_equal(out[1].id, ids[1]);
	m = make_kept(0, 10, 1000, 2000);
	assert_memory_equal(out[0].addr_hash, m->addr_hash, CRYPTO_HASH_LEN);
	assert_int_equal(out[0].sealed_addr_len, m->sealed_addr_len);
	assert_memory_equal(out[0].sealed_addr, m->sealed_addr, m->sealed_addr_len);
	assert_int_equal(out[0].sealed_text_len, m->sealed_text_len);
	assert_memory_equal(out[0].sealed_text, m->sealed_text, m->sealed_text_len);
	assert_int_equal(out[0].received_at, 1000);
	assert_int_equal(out[0].expires_at, 2000);
	assert_int_equal(store_kept_list(st, ids[1], out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].id, ids[2]);

	/* Limits: a sealed text of the largest size fits, one byte more does not. */
	m->sealed_text_len = sizeof(m->sealed_text);
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	m->sealed_text_len = sizeof(m->sealed_text) + 1;
	assert_int_equal(store_kept_add(st, m, NULL), BANDITORE_EINVAL);
	m->sealed_text_len = 0; /* an empty text is allowed */
	m->expires_at = 9000;
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	m->sealed_addr_len = 0;
	assert_int_equal(store_kept_add(st, m, NULL), BANDITORE_EINVAL);
	free(m);

	/* Answered: removed; twice is ENOTFOUND. */
	assert_int_equal(store_kept_remove(st, ids[1]), 0);
	assert_int_equal(store_kept_remove(st, ids[1]), BANDITORE_ENOTFOUND);
	/* Expired at 3000: ids[0] (2000); ids[2] expires at 4000; the copy at 2000 too. */
	assert_int_equal(store_kept_expire(st, 3000, &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(store_kept_list(st, 0, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].id, ids[2]);
	assert_int_equal(out[1].sealed_text_len, 0);
	assert_int_equal(store_kept_expire(st, 4000, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(store_kept_list(st, 0, out, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_kept_expire(st, 9000, NULL), 0);
	assert_int_equal(store_kept_list(st, 0, out, 4, &n), 0);
	assert_int_equal(n, 0);
	free(out);
}

/* Posting tasks of a WhatsApp Channel kept by hand: waiting oldest first, marked once,
 * approved again after an edit waits again; posted ones newest first. */
static void test_channel_posts(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_channel_post p[4];
	int n = -1;

	assert_int_equal(store_channel_post_add(st, 0, 100), BANDITORE_EINVAL);
	assert_int_equal(store_channel_post_add(st, 7, 300), 0);
	assert_int_equal(store_channel_post_add(st, 5, 200), 0);
	assert_int_equal(store_channel_post_add(st, 9, 400), 0);
	assert_int_equal(store_channel_post_list(st, 1, p, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(p[0].message_id, 5);
	assert_int_equal(p[1].message_id, 7);
	assert_int_equal(p[2].message_id, 9);
	assert_int_equal(p[0].posted_at, 0);
	assert_string_equal(p[0].posted_by, "");
	assert_int_equal(store_channel_post_list(st, 1, p, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_channel_post_list(st, 0, p, 4, &n), 0);
	assert_int_equal(n, 0);

	/* Marked: by whom and when; a second time is ESTATE, an unknown one ENOTFOUND. */
	assert_int_equal(store_channel_post_mark(st, 7, "staff:stampa", 500), 0);
	assert_int_equal(store_channel_post_mark(st, 7, "staff:altro", 600), BANDITORE_ESTATE);
	assert_int_equal(store_channel_post_mark(st, 8, "staff:stampa", 600), BANDITORE_ENOTFOUND);
	assert_int_equal(store_channel_post_mark(st, 5, "", 600), BANDITORE_EINVAL);
	assert_int_equal(store_channel_post_mark(st, 5, "token:portale", 700), 0);
	assert_int_equal(store_channel_post_get(st, 7, &p[0]), 0);
	assert_int_equal(p[0].posted_at, 500);
	assert_string_equal(p[0].posted_by, "staff:stampa");
	assert_int_equal(store_channel_post_get(st, 8, &p[0]), BANDITORE_ENOTFOUND);
	assert_int_equal(store_channel_post_list(st, 0, p, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(p[0].message_id, 5); /* posted last, shown first */
	assert_int_equal(p[1].message_id, 7);
	assert_int_equal(store_channel_post_list(st, 1, p, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].message_id, 9);

	/* Approved again after an edit: the task waits again, with the new time. */
	assert_int_equal(store_channel_post_add(st, 7, 800), 0);
	assert_int_equal(store_channel_post_get(st, 7, &p[0]), 0);
	assert_int_equal(p[0].posted_at, 0);
	assert_int_equal(p[0].created_at, 800);
	assert_string_equal(p[0].posted_by, "");
	assert_int_equal(store_channel_post_list(st, 1, p, 4, &n), 0);
	assert_int_equal(n, 2);
}

/* ------------------------------------------------------------------ messages */

static void make_msg(struct store_message *m, const char *title, char *text, int priority,
		     int64_t scheduled_at)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->title, sizeof(m->title), "%s", title);
	m->text = text;
	snprintf(m->category, sizeof(m->category), "protezione-civile");
	m->priority = priority;
	m->scheduled_at = scheduled_at;
	m->created_at = 1000;
	snprintf(m->created_by, sizeof(m->created_by), "cli");
}

static int64_t add_msg(struct store *st, const char *title, int priority, int64_t scheduled_at)
{
	struct store_message m;
	char text[] = "Testo di prova";
	int64_t id = 0;

	make_msg(&m, title, text, priority, scheduled_at);
	assert_int_equal(store_message_add(st, &m, &id), 0);
	assert_true(id > 0);
	return id;
}

static int msg_state(struct store *st, int64_t id)
{
	struct store_message m;
	int state;

	assert_int_equal(store_message_get(st, id, &m), 0);
	state = m.state;
	store_message_clear(&m);
	return state;
}

/* Sends message `id` (approved at `at`, started at `at` + 1, finished as `final`). */
static void send_msg(struct store *st, int64_t id, int64_t at, int final)
{
	assert_int_equal(store_message_approve(st, id, at, 0, 0), 0);
	assert_int_equal(store_message_transition(st, id, STORE_MSG_APPROVED, STORE_MSG_SENDING, at + 1), 0);
	if (final != STORE_MSG_SENDING)
		assert_int_equal(store_message_transition(st, id, STORE_MSG_SENDING, final, at + 2), 0);
}

static void archive_is(struct store *st, const struct store_archive_query *q, int64_t want_total,
		       const int64_t *want, int n_want)
{
	struct store_message out[8];
	int64_t total = -1;
	int n = -1;

	memset(out, 0, sizeof(out));
	assert_int_equal(store_archive_list(st, q, out, 8, &n, &total), 0);
	assert_int_equal(total, want_total);
	assert_int_equal(n, n_want);
	for (int i = 0; i < n; i++) {
		assert_int_equal(out[i].id, want[i]);
		assert_non_null(out[i].text);
		store_message_clear(&out[i]);
	}
}

/* An update names the message it replaces; the replaced one learns by whom only once
 * the update was sent (a draft or a cancelled update replaces nothing in public). */
static void test_message_replaces(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message m, got;
	char text[] = "Allerta arancione prorogata a domani.";
	int64_t a, b, c;

	a = add_msg(st, "Allerta meteo", STORE_PRIORITY_EMERGENCY, 0);
	send_msg(st, a, 1000, STORE_MSG_SENT);
	make_msg(&m, "Allerta meteo (aggiornamento)", text, STORE_PRIORITY_EMERGENCY, 0);
	m.replaces = a;
	assert_int_equal(store_message_add(st, &m, &b), 0);
	assert_int_equal(store_message_get(st, b, &got), 0);
	assert_int_equal(got.replaces, a);
	store_message_clear(&got);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.replaced_by, 0); /* a draft replaces nothing yet */
	store_message_clear(&got);

	/* editable in DRAFT: cleared and set again; never negative */
	m.id = b;
	m.replaces = 0;
	assert_int_equal(store_message_update(st, &m), 0);
	assert_int_equal(store_message_get(st, b, &got), 0);
	assert_int_equal(got.replaces, 0);
	store_message_clear(&got);
	m.replaces = -1;
	assert_int_equal(store_message_update(st, &m), BANDITORE_EINVAL);
	assert_int_equal(store_message_add(st, &m, &c), BANDITORE_EINVAL);
	m.replaces = a;
	assert_int_equal(store_message_update(st, &m), 0);

	send_msg(st, b, 2000, STORE_MSG_PARTLY_FAILED);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.replaced_by, b);
	store_message_clear(&got);

	/* a later update cancelled while sending does not hide the one that went out */
	m.replaces = a;
	assert_int_equal(store_message_add(st, &m, &c), 0);
	send_msg(st, c, 3000, STORE_MSG_CANCELLED);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.replaced_by, b);
	store_message_clear(&got);
}

/* A message's lanes: started once (a restart keeps the cursor), moved, finished; the
 * next message a lane works on comes emergencies first, and only once started by the
 * WhatsApp engine, and not again once its lane has finished. */
static void test_lanes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message_platform lp, rows[4];
	int64_t a, b, c, next = 0;
	int n = 0;

	a = add_msg(st, "Avviso", STORE_PRIORITY_NORMAL, 0);
	b = add_msg(st, "Allerta", STORE_PRIORITY_EMERGENCY, 0);
	c = add_msg(st, "Bozza", STORE_PRIORITY_NORMAL, 0);
	assert_int_equal(store_lane_next(st, 2, 0, &next), BANDITORE_ENOTFOUND);
	send_msg(st, a, 1000, STORE_MSG_SENDING);
	assert_int_equal(store_lane_next(st, 2, 0, &next), 0);
	assert_int_equal(next, a);
	assert_int_equal(store_lane_next(st, 2, 1002, &next), BANDITORE_ENOTFOUND); /* too old */
	send_msg(st, b, 1100, STORE_MSG_SENT);
	assert_int_equal(store_lane_next(st, 2, 0, &next), 0);
	assert_int_equal(next, b); /* the emergency first */

	assert_int_equal(store_lane_start(st, b, 2, 50, 10, 1200), 0);
	assert_int_equal(store_lane_progress(st, b, 2, 20, 4, 1, 0, 1210), 0);
	assert_int_equal(store_lane_start(st, b, 2, 99, 99, 1300), 0); /* a restart: kept */
	assert_int_equal(store_lane_get(st, b, 2, &lp), 0);
	assert_int_equal(lp.cursor, 20);
	assert_int_equal(lp.max_id, 50);
	assert_int_equal(lp.total, 10);
	assert_int_equal(lp.sent, 4);
	assert_int_equal(lp.failed, 1);
	assert_int_equal(lp.started_at, 1200);
	assert_int_equal(lp.finished_at, 0);
	assert_int_equal(lp.state, STORE_LANE_SENDING);
	assert_int_equal(store_lane_progress(st, b, 2, 10, 5, 0, STORE_LANE_PARTLY_FAILED, 1400), 0);
	assert_int_equal(store_lane_get(st, b, 2, &lp), 0);
	assert_int_equal(lp.cursor, 20); /* never back */
	assert_int_equal(lp.sent, 9);
	assert_int_equal(lp.state, STORE_LANE_PARTLY_FAILED);
	assert_int_equal(lp.finished_at, 1400);
	assert_int_equal(store_lane_next(st, 2, 0, &next), 0);
	assert_int_equal(next, a); /* b's lane is done */
	assert_int_equal(store_lane_next(st, 3, 0, &next), 0);
	assert_int_equal(next, b); /* but not b's e-mail lane */

	assert_int_equal(store_lane_start(st, b, 3, 50, 3, 1200), 0);
	/* A lane under way is resumed however long ago the message started. */
	assert_int_equal(store_lane_next(st, 3, 99999, &next), 0);
	assert_int_equal(next, b);
	assert_int_equal(store_lane_next(st, 2, 99999, &next), BANDITORE_ENOTFOUND);
	assert_int_equal(store_lane_list(st, b, rows, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].platform, 2);
	assert_int_equal(rows[1].platform, 3);
	assert_int_equal(store_lane_progress(st, c, 2, 1, 1, 0, 0, 1), BANDITORE_ENOTFOUND);
	assert_int_equal(store_lane_progress(st, b, 2, -1, 0, 0, 0, 1), BANDITORE_EINVAL);
	assert_int_equal(store_lane_start(st, b, 0, 1, 1, 1), BANDITORE_EINVAL);
}

/* The public archive: only what was sent, newest first, by category and by words;
 * the CAP view adds emergencies going out and those cancelled after they started. */
static void test_archive(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_archive_query q;
	struct store_message m;
	char text[] = "Via Roma resta chiusa: la viabilità cambia da lunedì.";
	int64_t a, b, c, d, e, g, h;

	memset(&q, 0, sizeof(q));
	make_msg(&m, "Chiusura di via Roma", text, 0, 0);
	snprintf(m.category, sizeof(m.category), "viabilita");
	assert_int_equal(store_message_add(st, &m, &a), 0);
	send_msg(st, a, 2000, STORE_MSG_SENT);
	b = add_msg(st, "Allerta temporali", 1, 0);
	send_msg(st, b, 3000, STORE_MSG_PARTLY_FAILED);
	c = add_msg(st, "Bozza di allerta", 1, 0);                 /* a draft */
	d = add_msg(st, "Evacuazione annullata", 1, 0);
	send_msg(st, d, 4000, STORE_MSG_CANCELLED);                 /* cancelled while sending */
	e = add_msg(st, "Annullato prima di partire", 0, 0);
	assert_int_equal(store_message_approve(st, e, 5000, 0, 0), 0);
	assert_int_equal(store_message_transition(st, e, STORE_MSG_APPROVED, STORE_MSG_CANCELLED, 5001), 0);
	g = add_msg(st, "Programmato", 0, 999999);
	assert_int_equal(store_message_approve(st, g, 5000, 0, 0), 0); /* SCHEDULED */
	/* a draft edited before it is sent is found by its new words, not its old ones */
	h = add_msg(st, "Titolo provvisorio", 0, 0);
	make_msg(&m, "Mercato settimanale spostato", text, 0, 0);
	m.id = h;
	assert_int_equal(store_message_update(st, &m), 0);
	send_msg(st, h, 1000, STORE_MSG_SENT);

	archive_is(st, &q, 3, (int64_t[]){ b, a, h }, 3);
	q.category = "viabilita";
	archive_is(st, &q, 1, (int64_t[]){ a }, 1);
	q.category = NULL;
	q.search = "VIABILITA roma";                                /* accents folded, any case */
	archive_is(st, &q, 2, (int64_t[]){ a, h }, 2);
	q.search = "via chius";                                     /* the last word a prefix */
	archive_is(st, &q, 2, (int64_t[]){ a, h }, 2);
	q.search = "mercato";
	archive_is(st, &q, 1, (int64_t[]){ h }, 1);
	q.search = "provvisorio";
	archive_is(st, &q, 0, NULL, 0);
	q.search = "bozza";                                         /* drafts are not public */
	archive_is(st, &q, 0, NULL, 0);
	q.search = "\"roma\" OR (NEAR* -";                          /* FTS5 syntax is only words */
	archive_is(st, &q, 0, NULL, 0);
	q.search = "?!";                                            /* no words: no search */
	archive_is(st, &q, 3, (int64_t[]){ b, a, h }, 3);
	q.search = NULL;
	q.offset = 2;
	archive_is(st, &q, 3, (int64_t[]){ h }, 1);
	q.offset = 10;                                              /* past the end */
	archive_is(st, &q, 3, NULL, 0);
	q.offset = 0;
	q.alerts = 1;
	archive_is(st, &q, 2, (int64_t[]){ d, b }, 2);
	(void)c;
	(void)e;
	(void)g;
	q.offset = -1;
	assert_int_equal(store_archive_list(st, &q, &m, 1, &(int){ 0 }, NULL), BANDITORE_EINVAL);
}

/* The editor's notes are kept with the message, replaced whole, bounded. */
static void test_message_notes(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	char *notes = NULL, *big = malloc(STORE_NOTES_MAX + 2);
	int64_t id = add_msg(st, "Note", STORE_PRIORITY_NORMAL, 0);

	assert_non_null(big);
	assert_int_equal(store_message_get_notes(st, id, &notes), 0);
	assert_string_equal(notes, "");
	free(notes);
	assert_int_equal(store_message_set_notes(st, id, "{\"justification\":\"allerta\"}"), 0);
	assert_int_equal(store_message_get_notes(st, id, &notes), 0);
	assert_string_equal(notes, "{\"justification\":\"allerta\"}");
	free(notes);
	memset(big, 'x', STORE_NOTES_MAX + 1);
	big[STORE_NOTES_MAX + 1] = '\0';
	assert_int_equal(store_message_set_notes(st, id, big), BANDITORE_ETOOBIG);
	assert_int_equal(store_message_set_notes(st, id + 100, "{}"), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_get_notes(st, id + 100, &notes), BANDITORE_ENOTFOUND);
	assert_null(notes);
	assert_int_equal(store_message_set_notes(st, id, NULL), 0);
	assert_int_equal(store_message_get_notes(st, id, &notes), 0);
	assert_string_equal(notes, ""); /* the too-big one changed nothing; NULL cleared */
	free(notes);
	free(big);
}

static void test_messages(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message m, got, list[4];
	char text[] = "Allerta meteo arancione: scuole chiuse domani.";
	char *big = malloc(STORE_TEXT_MAX + 2);
	int64_t id = 0, id2 = 0, id3 = 0;
	int n = -1;

	assert_non_null(big);
	make_msg(&m, "Allerta meteo", text, STORE_PRIORITY_EMERGENCY, 5000);
	snprintf(m.link, sizeof(m.link), "https://example.org/allerta");
	memset(m.media_sha256, 'a', 64);
	snprintf(m.media_type, sizeof(m.media_type), "application/pdf");
	snprintf(m.media_name, sizeof(m.media_name), "ordinanza.pdf");
	m.media_size = 123456;
	snprintf(m.media_id, sizeof(m.media_id), "media-1");
	m.expires_at = 90000;
	/* What the store owns is not taken from the caller. */
	m.id = 999;
	m.sent = 5;
	m.cursor = 7;
	m.audience_max_id = 9;
	m.approved_at = 11;
	assert_int_equal(store_message_add(st, &m, &id), 0);
	assert_true(id > 0 && id != 999);
	assert_int_equal(store_message_get(st, id, &got), 0);
	assert_int_equal(got.id, id);
	assert_string_equal(got.title, "Allerta meteo");
	assert_non_null(got.text);
	assert_string_equal(got.text, text);
	assert_ptr_not_equal(got.text, text);
	assert_string_equal(got.category, "protezione-civile");
	assert_string_equal(got.link, "https://example.org/allerta");
	assert_int_equal(strlen(got.media_sha256), 64);
	assert_string_equal(got.media_type, "application/pdf");
	assert_string_equal(got.media_name, "ordinanza.pdf");
	assert_int_equal(got.media_size, 123456);
	assert_string_equal(got.media_id, "media-1");
	assert_int_equal(got.priority, STORE_PRIORITY_EMERGENCY);
	assert_int_equal(got.state, STORE_MSG_DRAFT);
	assert_int_equal(got.scheduled_at, 5000);
	assert_int_equal(got.expires_at, 90000);
	assert_int_equal(got.created_at, 1000);
	assert_string_equal(got.created_by, "cli");
	assert_int_equal(got.approved_at, 0);
	assert_int_equal(got.audience_max_id, 0);
	assert_int_equal(got.cursor, 0);
	assert_int_equal(got.sent + got.delivered + got.read + got.failed + got.unreachable, 0);
	store_message_clear(&got);
	assert_null(got.text);
	store_message_clear(&got); /* twice is fine */
	memset(&got, 0, sizeof(got));
	store_message_clear(&got); /* so is a zeroed struct */
	store_message_clear(NULL);
	assert_int_equal(store_message_get(st, id + 100, &got), BANDITORE_ENOTFOUND);
	assert_null(got.text);

	/* The draft is edited; the row is what was given, and nothing else moved. */
	make_msg(&m, "Allerta meteo (aggiornata)", NULL, STORE_PRIORITY_NORMAL, 0);
	m.id = id;
	assert_int_equal(store_message_update(st, &m), 0);
	assert_int_equal(store_message_get(st, id, &got), 0);
	assert_string_equal(got.title, "Allerta meteo (aggiornata)");
	assert_string_equal(got.text, ""); /* NULL text is an empty text */
	assert_string_equal(got.media_sha256, "");
	assert_int_equal(got.priority, STORE_PRIORITY_NORMAL);
	assert_int_equal(got.created_at, 1000);
	store_message_clear(&got);
	m.id = id + 100;
	assert_int_equal(store_message_update(st, &m), BANDITORE_ENOTFOUND);

	/* Limits: the longest text fits and comes back whole; one byte more does not. */
	memset(big, 'x', STORE_TEXT_MAX + 1);
	big[STORE_TEXT_MAX + 1] = '\0';
	make_msg(&m, "lungo", big, 0, 0);
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_ETOOBIG);
	big[STORE_TEXT_MAX] = '\0';
	assert_int_equal(store_message_add(st, &m, &id2), 0);
	assert_int_equal(store_message_get(st, id2, &got), 0);
	assert_int_equal(strlen(got.text), STORE_TEXT_MAX);
	store_message_clear(&got);
	big[STORE_TEXT_MAX] = 'x';
	m.id = id2;
	assert_int_equal(store_message_update(st, &m), BANDITORE_ETOOBIG);
	/* Anything the table would refuse is refused first, with EINVAL. */
	make_msg(&m, "x", text, 2, 0);
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	make_msg(&m, "x", text, 0, 0);
	m.state = STORE_MSG_APPROVED; /* a message starts as a draft */
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	make_msg(&m, "x", text, 0, 0);
	memset(m.title, 't', sizeof(m.title)); /* no terminating NUL */
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	make_msg(&m, "x", text, 0, 0);
	snprintf(m.media_sha256, sizeof(m.media_sha256), "abc");
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	memset(m.media_sha256, 'A', 64); /* lowercase hex only */
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	make_msg(&m, "x", text, 0, 0);
	m.media_size = -1;
	assert_int_equal(store_message_add(st, &m, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_message_add(st, NULL, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_message_get(st, id, NULL), BANDITORE_EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM messages", NULL, 0), 2);

	/* Listing: newest first, without texts, paged by id. */
	id3 = add_msg(st, "terzo", 0, 0);
	assert_int_equal(store_message_list(st, 0, list, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, id3);
	assert_int_equal(list[1].id, id2);
	assert_null(list[0].text);
	assert_null(list[1].text);
	assert_string_equal(list[0].title, "terzo");
	assert_string_equal(list[1].title, "lungo");
	assert_int_equal(store_message_list(st, list[1].id, list, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, id);
	assert_string_equal(list[0].title, "Allerta meteo (aggiornata)");
	assert_int_equal(store_message_list(st, id, list, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_message_list(st, 0, list, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_message_list(st, 0, NULL, 1, &n), BANDITORE_EINVAL);
	free(big);
}

static void test_message_lifecycle(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f), *other = NULL;
	struct store_message m, got;
	char text[] = "Nuovo testo";
	int64_t a, b, c, d;

	a = add_msg(st, "subito", 0, 0);
	b = add_msg(st, "programmato", 0, 5000);
	c = add_msg(st, "programmato ma passato", 0, 1500);

	/* Approval fixes the audience; a future time makes it SCHEDULED. */
	assert_int_equal(store_message_approve(st, a, 2000, 40, 35), 0);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.state, STORE_MSG_APPROVED);
	assert_int_equal(got.approved_at, 2000);
	assert_int_equal(got.audience_max_id, 40);
	assert_int_equal(got.audience, 35);
	assert_int_equal(got.cursor, 0);
	store_message_clear(&got);
	assert_int_equal(store_message_approve(st, b, 2000, 40, 35), 0);
	assert_int_equal(msg_state(st, b), STORE_MSG_SCHEDULED);
	assert_int_equal(store_message_approve(st, c, 2000, 40, 35), 0);
	assert_int_equal(msg_state(st, c), STORE_MSG_APPROVED);
	/* Only once, only from DRAFT, only what exists. */
	assert_int_equal(store_message_approve(st, a, 2100, 50, 45), BANDITORE_ESTATE);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.audience_max_id, 40); /* unchanged */
	assert_int_equal(got.approved_at, 2000);
	store_message_clear(&got);
	assert_int_equal(store_message_approve(st, a + 100, 2000, 1, 1), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_approve(st, a, 2000, -1, 1), BANDITORE_EINVAL);
	/* An approved message is not editable any more. */
	make_msg(&m, "cambiato", text, 0, 0);
	m.id = a;
	assert_int_equal(store_message_update(st, &m), BANDITORE_ESTATE);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_string_equal(got.title, "subito");
	store_message_clear(&got);

	/* Sending: started_at stamped; a wrong `from` changes nothing. */
	assert_int_equal(store_message_transition(st, a, STORE_MSG_SCHEDULED, STORE_MSG_SENDING,
						  2500), BANDITORE_ESTATE);
	assert_int_equal(msg_state(st, a), STORE_MSG_APPROVED);
	assert_int_equal(store_message_transition(st, a, STORE_MSG_APPROVED, STORE_MSG_SENDING,
						  2500), 0);
	assert_int_equal(store_message_transition(st, a, STORE_MSG_SENDING, STORE_MSG_SENT, 2900),
			 0);
	assert_int_equal(store_message_get(st, a, &got), 0);
	assert_int_equal(got.state, STORE_MSG_SENT);
	assert_int_equal(got.approved_at, 2000);
	assert_int_equal(got.started_at, 2500);
	assert_int_equal(got.finished_at, 2900);
	assert_int_equal(got.audience_max_id, 40);
	store_message_clear(&got);
	/* Final states are final. */
	for (int to = STORE_MSG_DRAFT; to <= STORE_MSG_EXPIRED; to++)
		assert_int_equal(store_message_transition(st, a, STORE_MSG_SENT, to, 3000),
				 BANDITORE_ESTATE);
	assert_int_equal(msg_state(st, a), STORE_MSG_SENT);

	/* A draft cannot start without approval (no audience), but can be cancelled. */
	d = add_msg(st, "bozza", 0, 0);
	assert_int_equal(store_message_transition(st, d, STORE_MSG_DRAFT, STORE_MSG_SENDING, 10),
			 BANDITORE_ESTATE);
	assert_int_equal(store_message_transition(st, d, STORE_MSG_DRAFT, STORE_MSG_APPROVED, 10),
			 BANDITORE_ESTATE);
	assert_int_equal(msg_state(st, d), STORE_MSG_DRAFT);
	assert_int_equal(store_message_transition(st, d, STORE_MSG_DRAFT, STORE_MSG_CANCELLED,
						  10), 0);
	assert_int_equal(store_message_get(st, d, &got), 0);
	assert_int_equal(got.state, STORE_MSG_CANCELLED);
	assert_int_equal(got.finished_at, 10);
	assert_int_equal(got.started_at, 0);
	store_message_clear(&got);

	/* SCHEDULED → APPROVED ("send now") keeps the approval; back to DRAFT forgets it. */
	assert_int_equal(store_message_transition(st, b, STORE_MSG_SCHEDULED, STORE_MSG_APPROVED,
						  2600), 0);
	assert_int_equal(store_message_get(st, b, &got), 0);
	assert_int_equal(got.approved_at, 2000);
	store_message_clear(&got);
	assert_int_equal(store_message_transition(st, b, STORE_MSG_APPROVED, STORE_MSG_DRAFT, 2700),
			 0);
	assert_int_equal(store_message_get(st, b, &got), 0);
	assert_int_equal(got.state, STORE_MSG_DRAFT);
	assert_int_equal(got.approved_at, 0);
	assert_int_equal(got.audience_max_id, 0);
	assert_int_equal(got.audience, 0);
	store_message_clear(&got);
	make_msg(&m, "di nuovo modificabile", text, 0, 0);
	m.id = b;
	assert_int_equal(store_message_update(st, &m), 0);
	assert_int_equal(store_message_approve(st, b, 2800, 60, 50), 0);
	assert_int_equal(msg_state(st, b), STORE_MSG_APPROVED);

	/* SENDING cannot go back, nor to itself. */
	assert_int_equal(store_message_transition(st, c, STORE_MSG_APPROVED, STORE_MSG_SENDING, 1),
			 0);
	assert_int_equal(store_message_transition(st, c, STORE_MSG_SENDING, STORE_MSG_APPROVED, 1),
			 BANDITORE_ESTATE);
	assert_int_equal(store_message_transition(st, c, STORE_MSG_SENDING, STORE_MSG_SENDING, 1),
			 BANDITORE_ESTATE);
	assert_int_equal(store_message_transition(st, c, STORE_MSG_SENDING, STORE_MSG_DRAFT, 1),
			 BANDITORE_ESTATE);
	/* Not a state; not a message. */
	assert_int_equal(store_message_transition(st, c, STORE_MSG_SENDING, 8, 1),
			 BANDITORE_EINVAL);
	assert_int_equal(store_message_transition(st, c, -1, STORE_MSG_SENT, 1), BANDITORE_EINVAL);
	assert_int_equal(store_message_transition(st, c + 100, STORE_MSG_SENDING, STORE_MSG_SENT,
						  1), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_transition(st, c + 100, STORE_MSG_SENT, STORE_MSG_DRAFT,
						  1), BANDITORE_ENOTFOUND);

	/* Two processes race to finish the same broadcast: exactly one wins. */
	assert_int_equal(store_open(f->path, &other), 0);
	assert_int_equal(store_message_transition(other, c, STORE_MSG_SENDING,
						  STORE_MSG_PARTLY_FAILED, 3000), 0);
	assert_int_equal(store_message_transition(st, c, STORE_MSG_SENDING, STORE_MSG_CANCELLED,
						  3001), BANDITORE_ESTATE);
	store_free(other);
	assert_int_equal(store_message_get(st, c, &got), 0);
	assert_int_equal(got.state, STORE_MSG_PARTLY_FAILED);
	assert_int_equal(got.finished_at, 3000);
	store_message_clear(&got);
}

static void test_message_next(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message got;
	int64_t normal_old, normal_sending, emergency_later, emergency, draft_emergency, when = 0;

	assert_int_equal(store_message_next(st, 1000, 0, &got), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_next_scheduled(st, &when), BANDITORE_ENOTFOUND);
	normal_old = add_msg(st, "normale, approvato", STORE_PRIORITY_NORMAL, 0);
	normal_sending = add_msg(st, "normale, in invio", STORE_PRIORITY_NORMAL, 0);
	emergency_later = add_msg(st, "emergenza programmata", STORE_PRIORITY_EMERGENCY, 3000);
	emergency = add_msg(st, "emergenza", STORE_PRIORITY_EMERGENCY, 0);
	draft_emergency = add_msg(st, "emergenza in bozza", STORE_PRIORITY_EMERGENCY, 0);
	(void)draft_emergency;
	assert_int_equal(store_message_next(st, 1000, 0, &got), BANDITORE_ENOTFOUND); /* drafts */

	assert_int_equal(store_message_approve(st, normal_old, 1000, 10, 10), 0);
	assert_int_equal(store_message_approve(st, normal_sending, 1000, 10, 10), 0);
	assert_int_equal(store_message_transition(st, normal_sending, STORE_MSG_APPROVED,
						  STORE_MSG_SENDING, 1001), 0);
	/* A broadcast under way goes before an older one that has not started. */
	assert_int_equal(store_message_next(st, 1002, 0, &got), 0);
	assert_int_equal(got.id, normal_sending);
	assert_non_null(got.text);
	assert_string_equal(got.text, "Testo di prova");
	store_message_clear(&got);
	assert_int_equal(store_message_next(st, 1002, 1, &got), BANDITORE_ENOTFOUND);

	/* An approved emergency goes before the normal broadcast that is sending. */
	assert_int_equal(store_message_approve(st, emergency_later, 1003, 10, 10), 0);
	assert_int_equal(store_message_approve(st, emergency, 1003, 10, 10), 0);
	assert_int_equal(msg_state(st, emergency_later), STORE_MSG_SCHEDULED);
	assert_int_equal(store_message_next_scheduled(st, &when), 0);
	assert_int_equal(when, 3000);
	assert_int_equal(store_message_next(st, 1004, 0, &got), 0);
	assert_int_equal(got.id, emergency);
	store_message_clear(&got);
	assert_int_equal(store_message_next(st, 1004, 1, &got), 0);
	assert_int_equal(got.id, emergency);
	store_message_clear(&got);
	/* Its time come, the older emergency goes first (lowest id). */
	assert_int_equal(store_message_next(st, 3000, 1, &got), 0);
	assert_int_equal(got.id, emergency_later);
	store_message_clear(&got);
	/* Until one of them is sending. */
	assert_int_equal(store_message_transition(st, emergency, STORE_MSG_APPROVED,
						  STORE_MSG_SENDING, 3001), 0);
	assert_int_equal(store_message_next(st, 3001, 0, &got), 0);
	assert_int_equal(got.id, emergency);
	store_message_clear(&got);
	assert_int_equal(store_message_transition(st, emergency, STORE_MSG_SENDING, STORE_MSG_SENT,
						  3002), 0);
	assert_int_equal(store_message_transition(st, emergency_later, STORE_MSG_SCHEDULED,
						  STORE_MSG_CANCELLED, 3002), 0);
	assert_int_equal(store_message_next_scheduled(st, &when), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_next(st, 3003, 1, &got), BANDITORE_ENOTFOUND);
	/* Back to the normal one under way, then the other. */
	assert_int_equal(store_message_next(st, 3003, 0, &got), 0);
	assert_int_equal(got.id, normal_sending);
	store_message_clear(&got);
	assert_int_equal(store_message_transition(st, normal_sending, STORE_MSG_SENDING,
						  STORE_MSG_SENT, 3004), 0);
	assert_int_equal(store_message_next(st, 3004, 0, &got), 0);
	assert_int_equal(got.id, normal_old);
	store_message_clear(&got);
	assert_int_equal(store_message_next(st, 3004, 0, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_message_next_scheduled(st, NULL), BANDITORE_EINVAL);
}

/* Inside a transaction the statuses are added up per message and written at the commit
 * (store_sqlite_messages.c): the totals are the same as one by one, a read in the
 * transaction sees them, a rollback to a savepoint drops only what came after it, a
 * message gone before the commit is no error, and more messages than are held at once
 * are all counted. */
static void test_message_status_held(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message got;
	int64_t ids[12];

	for (int i = 0; i < 12; i++)
		ids[i] = add_msg(st, "stati", 0, 0);
	assert_int_equal(store_begin(st), 0);
	for (int n = 0; n < 3; n++)
		for (int i = 0; i < 12; i++) {
			assert_int_equal(store_message_status(st, ids[i], "delivered", 2), 0);
			assert_int_equal(store_message_status(st, ids[i], "read", 1), 0);
		}
	assert_int_equal(store_message_status(st, ids[0], "failed", 5), 0);
	assert_int_equal(store_message_status(st, ids[11] + 100, "read", 1), 0); /* no such */
	/* Not written yet: another connection sees nothing. */
	assert_int_equal(raw_int(f->path, "SELECT sum(delivered) FROM messages", NULL, 0), 0);
	assert_int_equal(store_message_get(st, ids[0], &got), 0); /* this one sees them */
	assert_int_equal(got.delivered, 6);
	assert_int_equal(got.read, 3);
	assert_int_equal(got.failed, 5);
	store_message_clear(&got);
	assert_int_equal(store_savepoint(st), 0);
	assert_int_equal(store_message_status(st, ids[1], "read", 50), 0);
	assert_int_equal(store_rollback_to(st), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_message_status(st, ids[2], "delivered", 10), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT sum(delivered) FROM messages", NULL, 0), 12 * 6 + 10);
	assert_int_equal(raw_int(f->path, "SELECT sum(read) FROM messages", NULL, 0), 12 * 3);
	assert_int_equal(raw_int(f->path, "SELECT sum(failed) FROM messages", NULL, 0), 5);

	/* Rolled back: nothing of it is written. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_message_status(st, ids[3], "read", 9), 0);
	assert_int_equal(store_rollback(st), 0);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT sum(read) FROM messages", NULL, 0), 12 * 3);
}

static void test_message_progress(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_message got;
	int64_t id = add_msg(st, "avanzamento", 0, 0);

	assert_int_equal(store_message_approve(st, id, 10, 1000, 900), 0);
	assert_int_equal(store_message_progress(st, id, 100, 95, 3, 2), 0);
	assert_int_equal(store_message_progress(st, id, 250, 140, 5, 5), 0);
	/* A late batch never moves the cursor back, but its sends count. */
	assert_int_equal(store_message_progress(st, id, 200, 10, 0, 0), 0);
	assert_int_equal(store_message_status(st, id, "delivered", 200), 0);
	assert_int_equal(store_message_status(st, id, "delivered", 30), 0);
	assert_int_equal(store_message_status(st, id, "read", 77), 0);
	assert_int_equal(store_message_status(st, id, "failed", 4), 0);
	assert_int_equal(store_message_get(st, id, &got), 0);
	assert_int_equal(got.cursor, 250);
	assert_int_equal(got.sent, 245);
	assert_int_equal(got.failed, 8 + 4);
	assert_int_equal(got.unreachable, 7);
	assert_int_equal(got.delivered, 230);
	assert_int_equal(got.read, 77);
	assert_int_equal(got.audience, 900);
	store_message_clear(&got);

	assert_int_equal(store_message_status(st, id, "sent", 1), BANDITORE_EINVAL);
	assert_int_equal(store_message_status(st, id, "Delivered", 1), BANDITORE_EINVAL);
	assert_int_equal(store_message_status(st, id, NULL, 1), BANDITORE_EINVAL);
	assert_int_equal(store_message_status(st, id, "read", -1), BANDITORE_EINVAL);
	assert_int_equal(store_message_status(st, id + 1, "read", 1), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_progress(st, id + 1, 1, 1, 0, 0), BANDITORE_ENOTFOUND);
	assert_int_equal(store_message_progress(st, id, -1, 0, 0, 0), BANDITORE_EINVAL);
	assert_int_equal(store_message_progress(st, id, 1, -1, 0, 0), BANDITORE_EINVAL);
	assert_int_equal(store_message_progress(st, id, 1, 0, -1, 0), BANDITORE_EINVAL);
	assert_int_equal(store_message_progress(st, id, 1, 0, 0, -1), BANDITORE_EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT read FROM messages", NULL, 0), 77);
	assert_int_equal(raw_int(f->path, "SELECT cursor FROM messages", NULL, 0), 250);
}

/* ------------------------------------------------------------------ recipients */

static int64_t add_sub_id(struct store *st, int platform, uint8_t seed)
{
	struct store_subscriber s;
	int64_t id = 0;

	make_sub(&s, platform, seed);
	assert_int_equal(store_subscriber_add(st, &s, &id), 0);
	return id;
}

/* Every id a walk of `platform` up to max_id returns, in pages of `page`. */
static int walk(struct store *st, int platform, int64_t max_id, int skip, int page,
		int64_t *ids, int cap)
{
	struct store_recipient r[8];
	int64_t after = 0;
	int total = 0, n;

	assert_true(page <= 8);
	for (;;) {
		assert_int_equal(store_subscribers_page(st, platform, after, max_id, skip, r, page,
							&n), 0);
		assert_true(n <= page);
		if (n == 0)
			return total;
		for (int i = 0; i < n; i++) {
			assert_true(r[i].id > after && r[i].id <= max_id);
			assert_true(total < cap);
			ids[total++] = r[i].id;
			after = r[i].id;
		}
	}
}

static void test_recipients(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_recipient r[4];
	struct store_subscriber want;
	int64_t id0[6], id1[2], late, max_id = -1, count = -1, got[16], msg, big_ids[3000];
	struct store_message m;
	int n = -1, failures = -1;
	uint8_t h[CRYPTO_HASH_LEN];

	assert_int_equal(store_subscribers_extent(st, 0, &max_id, &count), 0);
	assert_int_equal(max_id, 0);
	assert_int_equal(count, 0);
	/* Two platforms, interleaved ids. */
	for (int i = 0; i < 6; i++) {
		id0[i] = add_sub_id(st, 0, (uint8_t)(10 + i));
		if (i % 3 == 0)
			id1[i / 3] = add_sub_id(st, 1, (uint8_t)(10 + i));
	}
	assert_int_equal(store_subscribers_extent(st, 0, &max_id, &count), 0);
	assert_int_equal(max_id, id0[5]);
	assert_int_equal(count, 6);
	assert_int_equal(store_subscribers_extent(st, 1, &max_id, &count), 0);
	assert_int_equal(max_id, id1[1]);
	assert_int_equal(count, 2);

	/* The audience is fixed at approval. */
	msg = add_msg(st, "a tutti", 0, 0);
	assert_int_equal(store_subscribers_extent(st, 0, &max_id, &count), 0);
	assert_int_equal(store_message_approve(st, msg, 100, max_id, count), 0);
	late = add_sub_id(st, 0, 40); /* joins after the approval */
	assert_true(late > max_id);
	assert_int_equal(store_message_get(st, msg, &m), 0);
	assert_int_equal(m.audience_max_id, id0[5]);
	assert_int_equal(m.audience, 6);
	store_message_clear(&m);
	assert_int_equal(walk(st, 0, m.audience_max_id, 0, 4, got, 16), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(got[i], id0[i]);
	/* Those who leave before their turn are not there when it comes. */
	fill_hash(h, 12);
	assert_int_equal(store_subscriber_erase(st, 0, h, NULL), 0);
	assert_int_equal(walk(st, 0, m.audience_max_id, 0, 1, got, 16), 5);
	assert_int_equal(got[1], id0[1]);
	assert_int_equal(got[2], id0[3]); /* id0[2] left */
	/* Mid-walk, from a cursor; and nothing past max_id, nothing of another platform. */
	assert_int_equal(store_subscribers_page(st, 0, id0[3], m.audience_max_id, 0, r, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].id, id0[4]);
	assert_int_equal(r[1].id, id0[5]);
	make_sub(&want, 0, 14);
	assert_int_equal(r[0].sealed_len, want.sealed_len);
	assert_memory_equal(r[0].sealed, want.sealed, want.sealed_len);
	assert_int_equal(r[0].failures, 0);
	assert_int_equal(r[0].last_sent_at, 0);
	assert_int_equal(walk(st, 0, late, 0, 8, got, 16), 6); /* a later audience has them */
	assert_int_equal(got[5], late);
	assert_int_equal(walk(st, 1, late, 0, 8, got, 16), 2);
	assert_int_equal(got[0], id1[0]);
	assert_int_equal(store_subscribers_page(st, 0, id0[5], id0[5], 0, r, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_subscribers_page(st, 0, 0, late, 0, r, 0, &n), 0);
	assert_int_equal(n, 0);

	/* Failures: counted one by one; skip_failures leaves out the unreachable. */
	assert_int_equal(store_subscriber_failed(st, id0[1], &failures), 0);
	assert_int_equal(failures, 1);
	assert_int_equal(store_subscriber_failed(st, id0[1], &failures), 0);
	assert_int_equal(failures, 2);
	assert_int_equal(store_subscriber_failed(st, id0[4], NULL), 0);
	assert_int_equal(store_subscriber_failed(st, id0[2], &failures), BANDITORE_ENOTFOUND);
	assert_int_equal(walk(st, 0, late, 2, 8, got, 16), 5);
	for (int i = 0; i < 5; i++)
		assert_true(got[i] != id0[1]);
	assert_int_equal(walk(st, 0, late, 3, 8, got, 16), 6);
	assert_int_equal(walk(st, 0, late, 1, 8, got, 16), 4);
	assert_int_equal(store_subscribers_unreachable(st, 0, 2, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_subscribers_unreachable(st, 0, 1, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(store_subscribers_unreachable(st, 1, 1, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(store_subscribers_page(st, 0, id0[0], id0[1], 0, r, 1, &n), 0);
	assert_int_equal(r[0].failures, 2);

	/* A successful send: failures back to 0, last_sent_at set, in one call. */
	{
		int64_t batch[] = { id0[1], id0[3], id0[2] /* left: ignored */, id1[0] };
		assert_int_equal(store_subscribers_sent(st, batch, 4, 5000), 0);
	}
	assert_int_equal(store_subscribers_page(st, 0, id0[0], id0[3], 0, r, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].id, id0[1]);
	assert_int_equal(r[0].failures, 0);
	assert_int_equal(r[0].last_sent_at, 5000);
	assert_int_equal(r[1].last_sent_at, 5000);
	assert_int_equal(store_subscribers_unreachable(st, 0, 2, &count), 0);
	assert_int_equal(count, 0);
	/* An older batch settling late does not move last_sent_at back. */
	assert_int_equal(store_subscribers_sent(st, &id0[3], 1, 4000), 0);
	assert_int_equal(store_subscribers_page(st, 0, id0[1], id0[3], 0, r, 1, &n), 0);
	assert_int_equal(r[0].id, id0[3]);
	assert_int_equal(r[0].last_sent_at, 5000);
	assert_int_equal(store_subscribers_sent(st, &id0[4], 1, 7000), 0);
	assert_int_equal(store_subscribers_page(st, 0, id0[3], id0[4], 0, r, 1, &n), 0);
	assert_int_equal(r[0].failures, 0); /* its one failure is forgiven */
	assert_int_equal(store_subscribers_sent(st, NULL, 0, 9000), 0); /* nothing to do */
	assert_int_equal(store_subscribers_sent(st, NULL, 1, 9000), BANDITORE_EINVAL);
	assert_int_equal(store_subscribers_sent(st, id0, -1, 9000), BANDITORE_EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM subscribers WHERE last_sent_at"
				 " = 9000", NULL, 0), 0);

	/* Contacted: unique subscribers of the platform sent to at or after `since`. */
	assert_int_equal(store_subscribers_contacted(st, 0, 5000, &count), 0);
	assert_int_equal(count, 3); /* id0[1], id0[3] at 5000, id0[4] at 7000 */
	assert_int_equal(store_subscribers_contacted(st, 0, 5001, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_subscribers_contacted(st, 0, 0, &count), 0);
	assert_int_equal(count, 3); /* never sent to is not "contacted" */
	assert_int_equal(store_subscribers_contacted(st, 1, 0, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(store_subscribers_contacted(st, 0, 7001, &count), 0);
	assert_int_equal(count, 0);

	/* A big batch is still one call. */
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 3000; i++) {
		struct store_subscriber s;
		make_sub(&s, 2, (uint8_t)i);
		s.addr_hash[0] = (uint8_t)(i >> 8);
		s.addr_hash[1] = (uint8_t)i;
		assert_int_equal(store_subscriber_add(st, &s, &big_ids[i]), 0);
	}
	assert_int_equal(store_subscribers_sent(st, big_ids, 3000, INT64_MAX), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_subscribers_contacted(st, 2, INT64_MAX, &count), 0);
	assert_int_equal(count, 3000);

	/* Bad input. */
	assert_int_equal(store_subscribers_extent(st, 0, NULL, &count), BANDITORE_EINVAL);
	assert_int_equal(store_subscribers_page(st, 0, 0, 10, -1, r, 4, &n), BANDITORE_EINVAL);
	assert_int_equal(store_subscribers_page(st, 0, 0, 10, 0, NULL, 4, &n), BANDITORE_EINVAL);
	assert_int_equal(store_subscribers_unreachable(st, 0, 0, &count), BANDITORE_EINVAL);
	assert_int_equal(store_subscribers_contacted(st, 0, 0, NULL), BANDITORE_EINVAL);
}

/* ------------------------------------------------------------------ retries */

static void put_retry(struct store *st, int64_t msg, int64_t sub, int attempts,
		      int64_t not_before)
{
	struct store_retry r = { .message_id = msg, .subscriber_id = sub, .attempts = attempts,
				 .not_before = not_before };
	assert_int_equal(store_retry_put(st, &r), 0);
}

static void test_retries(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_retry out[8];
	int64_t count = -1, next = -1;
	int n = -1;

	assert_int_equal(store_retry_pending(st, 1, &count, &next), 0);
	assert_int_equal(count, 0);
	assert_int_equal(next, 0);
	put_retry(st, 1, 30, 1, 200);
	put_retry(st, 1, 10, 1, 300);
	put_retry(st, 1, 20, 1, 200);
	put_retry(st, 2, 10, 4, 50); /* another message */
	/* Upsert: the same (message, subscriber) again replaces attempts and time. */
	put_retry(st, 1, 10, 2, 100);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM retries", NULL, 0), 4);
	assert_int_equal(store_retry_pending(st, 1, &count, &next), 0);
	assert_int_equal(count, 3);
	assert_int_equal(next, 100);

	assert_int_equal(store_retry_due(st, 1, 99, out, 8, &n), 0);
	assert_int_equal(n, 0);
	/* Earliest first, then by subscriber id; only this message's. */
	assert_int_equal(store_retry_due(st, 1, 1000, out, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].subscriber_id, 10);
	assert_int_equal(out[0].attempts, 2);
	assert_int_equal(out[0].not_before, 100);
	assert_int_equal(out[0].message_id, 1);
	assert_int_equal(out[1].subscriber_id, 20);
	assert_int_equal(out[2].subscriber_id, 30);
	assert_int_equal(store_retry_due(st, 1, 200, out, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].subscriber_id, 20);
	assert_int_equal(store_retry_due(st, 1, 150, out, 8, &n), 0);
	assert_int_equal(n, 1);

	/* Settled: removed (twice is fine); pending follows. */
	assert_int_equal(store_retry_remove(st, 1, 10), 0);
	assert_int_equal(store_retry_remove(st, 1, 10), 0);
	assert_int_equal(store_retry_pending(st, 1, &count, &next), 0);
	assert_int_equal(count, 2);
	assert_int_equal(next, 200);
	/* A message finished or cancelled: all its retries go, and only its. */
	assert_int_equal(store_retry_clear(st, 1), 0);
	assert_int_equal(store_retry_pending(st, 1, &count, &next), 0);
	assert_int_equal(count, 0);
	assert_int_equal(next, 0);
	assert_int_equal(store_retry_pending(st, 2, &count, &next), 0);
	assert_int_equal(count, 1);
	assert_int_equal(next, 50);
	assert_int_equal(store_retry_due(st, 2, 50, out, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].attempts, 4);

	{
		struct store_retry bad = { .message_id = 1, .subscriber_id = 1, .attempts = -1 };
		assert_int_equal(store_retry_put(st, &bad), BANDITORE_EINVAL);
	}
	assert_int_equal(store_retry_put(st, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_retry_due(st, 1, 1, NULL, 1, &n), BANDITORE_EINVAL);
	assert_int_equal(store_retry_pending(st, 1, NULL, &next), BANDITORE_EINVAL);
}

/* ------------------------------------------------------------------ API tokens */

static void make_token(struct store_token *t, const char *name, uint8_t seed, int64_t at)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	fill_hash(t->hash, seed);
	snprintf(t->scopes, sizeof(t->scopes), "messages:write messages:read");
	t->created_at = at;
}

static void test_tokens(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_token t, got, list[4];
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int n = -1;

	make_token(&t, "ufficio-stampa", 1, 100);
	assert_int_equal(store_token_add(st, &t, &id1), 0);
	make_token(&t, "protezione-civile", 2, 200);
	assert_int_equal(store_token_add(st, &t, &id2), 0);
	assert_true(id2 > id1);

	assert_int_equal(store_token_find(st, t.hash, &got), 0);
	assert_int_equal(got.id, id2);
	assert_string_equal(got.name, "protezione-civile");
	assert_memory_equal(got.hash, t.hash, CRYPTO_HASH_LEN);
	assert_string_equal(got.scopes, "messages:write messages:read");
	assert_int_equal(got.created_at, 200);
	assert_int_equal(got.revoked_at, 0);
	fill_hash(t.hash, 9);
	assert_int_equal(store_token_find(st, t.hash, &got), BANDITORE_ENOTFOUND);

	/* A valid token's name is taken; so is a secret already issued. */
	make_token(&t, "ufficio-stampa", 3, 300);
	assert_int_equal(store_token_add(st, &t, NULL), BANDITORE_EEXIST);
	make_token(&t, "altro", 1, 300);
	assert_int_equal(store_token_add(st, &t, NULL), BANDITORE_EEXIST);

	/* Revoked: still found, as revoked; its name is free again. */
	assert_int_equal(store_token_revoke(st, "ufficio-stampa", 400), 0);
	assert_int_equal(store_token_revoke(st, "ufficio-stampa", 401), BANDITORE_ENOTFOUND);
	assert_int_equal(store_token_revoke(st, "nessuno", 401), BANDITORE_ENOTFOUND);
	fill_hash(t.hash, 1);
	assert_int_equal(store_token_find(st, t.hash, &got), 0);
	assert_int_equal(got.revoked_at, 400);
	make_token(&t, "ufficio-stampa", 3, 500);
	assert_int_equal(store_token_add(st, &t, &id3), 0);
	assert_int_equal(store_token_add(st, &t, NULL), BANDITORE_EEXIST);

	/* Oldest first, at most `max`. */
	assert_int_equal(store_token_list(st, list, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, id1);
	assert_int_equal(list[0].revoked_at, 400);
	assert_int_equal(list[1].id, id2);
	assert_int_equal(list[2].id, id3);
	assert_string_equal(list[2].name, "ufficio-stampa");
	assert_int_equal(list[2].revoked_at, 0);
	assert_int_equal(store_token_list(st, list, 2, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_token_list(st, list, 0, &n), 0);
	assert_int_equal(n, 0);

	/* Bad input. */
	make_token(&t, "", 5, 1);
	assert_int_equal(store_token_add(st, &t, NULL), BANDITORE_EINVAL);
	make_token(&t, "x", 5, 1);
	memset(t.name, 'n', sizeof(t.name)); /* no terminating NUL */
	assert_int_equal(store_token_add(st, &t, NULL), BANDITORE_EINVAL);
	assert_int_equal(store_token_revoke(st, "protezione-civile", 0), BANDITORE_EINVAL);
	assert_int_equal(store_token_revoke(st, NULL, 1), BANDITORE_EINVAL);
	assert_int_equal(store_token_find(st, NULL, &got), BANDITORE_EINVAL);
	assert_int_equal(store_token_list(st, NULL, 1, &n), BANDITORE_EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM api_tokens", NULL, 0), 3);
}

/* Retries know a subscriber by id only: erasing the person takes them too. */
static void test_erase_retries(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	int64_t x, y, count = -1, next = 0;
	uint8_t hx[CRYPTO_HASH_LEN];
	int erased = 0;

	x = add_sub_id(st, 0, 1);
	y = add_sub_id(st, 0, 2);
	put_retry(st, 1, x, 1, 100);
	put_retry(st, 2, x, 3, 100);
	put_retry(st, 1, y, 1, 100);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM retries", NULL, 0), 3);
	fill_hash(hx, 1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_subscriber_erase(st, 0, hx, &erased), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(erased, 1);
	assert_int_equal(store_retry_pending(st, 2, &count, &next), 0);
	assert_int_equal(count, 0);
	assert_int_equal(store_retry_pending(st, 1, &count, &next), 0);
	assert_int_equal(count, 1); /* the neighbour's stays */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM retries", NULL, 0), 1);
	assert_int_equal(raw_int(f->path, "SELECT subscriber_id FROM retries", NULL, 0), y);
	/* The other platform's subscriber with the same hash keeps theirs. */
	{
		int64_t z = add_sub_id(st, 1, 1);
		put_retry(st, 3, z, 1, 100);
		assert_int_equal(store_subscriber_erase(st, 0, hx, &erased), 0);
		assert_int_equal(erased, 0);
		assert_int_equal(store_retry_pending(st, 3, &count, &next), 0);
		assert_int_equal(count, 1);
	}
}

/* Erasure looks first which of retries, kept messages, auto-reply marks and pending joins
 * hold rows for the person: each of them alone, without a subscriber row, still goes,
 * and a neighbour's rows in all of them stay. */
static void test_erase_each_table(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_kept_message *m;
	struct store_pending p;
	uint8_t h[CRYPTO_HASH_LEN], n[CRYPTO_HASH_LEN];
	int due = 0, erased = -1;

	/* The neighbour, with all three. */
	fill_hash(n, 2);
	m = make_kept(0, 2, 10, 99999);
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	free(m);
	assert_int_equal(store_autoreply_claim(st, 0, n, 10, 60, &due), 0);
	memset(&p, 0, sizeof(p));
	p.token_hash[0] = 2;
	memcpy(p.addr_hash, n, CRYPTO_HASH_LEN);
	p.sealed[0] = 2;
	p.sealed_len = 1;
	assert_int_equal(store_pending_put(st, &p), 0);
	assert_int_equal(rows_about(f->path, 0, n), 3);

	/* The person, one table at a time: a kept message, a mark, a pending join. */
	fill_hash(h, 1);
	m = make_kept(0, 1, 10, 99999);
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	free(m);
	assert_int_equal(rows_about(f->path, 0, h), 1);
	assert_int_equal(store_subscriber_erase(st, 0, h, &erased), 0);
	assert_int_equal(erased, 0);
	assert_int_equal(rows_about(f->path, 0, h), 0);

	assert_int_equal(store_autoreply_claim(st, 0, h, 20, 60, &due), 0);
	assert_int_equal(rows_about(f->path, 0, h), 1);
	assert_int_equal(store_subscriber_erase(st, 0, h, &erased), 0);
	assert_int_equal(rows_about(f->path, 0, h), 0);

	p.token_hash[0] = 1;
	memcpy(p.addr_hash, h, CRYPTO_HASH_LEN);
	assert_int_equal(store_pending_put(st, &p), 0);
	assert_int_equal(rows_about(f->path, 0, h), 1);
	assert_int_equal(store_subscriber_erase(st, 0, h, &erased), 0);
	assert_int_equal(rows_about(f->path, 0, h), 0);

	assert_int_equal(rows_about(f->path, 0, n), 3);
}

/* ------------------------------------------------------------------ WAL and bytes */

static void test_purge_log(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	sqlite3 *reader;
	sqlite3_stmt *q = NULL;
	char wal[160];

	side(f, "-wal", wal, sizeof(wal));
	add_sub(st, 0, 1);
	assert_true(file_size(wal) > 0);
	assert_false(wal_empty(wal));
	assert_int_equal(store_purge_log(st), 0);
	/* Emptied, but overwritten rather than truncated: its blocks stay for the next
	 * commits, which write from its start again. */
	assert_true(file_size(wal) > 0);
	assert_true(wal_empty(wal));
	add_sub(st, 0, 4);
	assert_false(wal_empty(wal));
	assert_int_equal(store_purge_log(st), 0);
	assert_true(wal_empty(wal));

	/* A reader in the middle of a read transaction on an older snapshot. */
	add_sub(st, 0, 2);
	reader = raw_open(f->path);
	raw_exec(reader, "BEGIN");
	assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM subscribers", -1, &q,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), 3);
	sqlite3_reset(q);
	add_sub(st, 0, 3);
	assert_int_equal(store_purge_log(st), BANDITORE_ETEMP);
	assert_true(file_size(wal) > 0);
	sqlite3_finalize(q);
	raw_exec(reader, "COMMIT");
	sqlite3_close(reader);
	assert_int_equal(store_purge_log(st), 0);
	assert_true(wal_empty(wal));
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM subscribers", NULL, 0), 4);

	/* A zeroed WAL is an empty one after a crash too: a copy of the files as they are
	 * now (no -shm, so SQLite recovers from the WAL) holds every row. */
	{
		char copy[160], copy_wal[176], ok[16];
		snprintf(copy, sizeof(copy), "%s.copy", f->path);
		snprintf(copy_wal, sizeof(copy_wal), "%s-wal", copy);
		copy_file(f->path, copy);
		copy_file(wal, copy_wal);
		assert_true(file_size(copy_wal) > 0);
		assert_int_equal(raw_int(copy, "SELECT count(*) FROM subscribers", NULL, 0), 4);
		raw_text(copy, "PRAGMA integrity_check", ok, sizeof(ok));
		assert_string_equal(ok, "ok");
		unlink(copy_wal);
		unlink(copy);
	}

	/* Not inside a transaction. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_purge_log(st), BANDITORE_EINVAL);
	assert_int_equal(store_rollback(st), 0);
}

/* store_sqlite_vfs.c gathers a transaction's WAL frames and writes them at its commit: a
 * commit is whole on the file when it returns (for another connection at once, and for
 * recovery after a crash: a copy of the files, without -shm), and a transaction bigger
 * than what is gathered at once, whose pages spill to the WAL and are read back before
 * the commit, is intact. */
static void test_wal_gathered(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_kept_message *m;
	char wal[160], copy[160], copy_wal[176], ok[16];
	uint8_t want[3000];
	char log_path[200];
	int64_t id = 0, first = 0;

	/* As the daemon's writer runs it: no sync of SQLite's own at commit (which would
	 * write what is gathered first), the writer syncs the WAL itself afterwards. */
	assert_int_equal(store_defer_sync(st, log_path, sizeof(log_path)), 0);
	side(f, "-wal", wal, sizeof(wal));
	assert_string_equal(log_path, wal);
	snprintf(copy, sizeof(copy), "%s.copy", f->path);
	snprintf(copy_wal, sizeof(copy_wal), "%s-wal", copy);
	add_sub(st, 0, 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM subscribers", NULL, 0), 1);
	copy_file(f->path, copy);
	copy_file(wal, copy_wal);
	assert_int_equal(raw_int(copy, "SELECT count(*) FROM subscribers", NULL, 0), 1);
	unlink(copy_wal);
	unlink(copy);

	/* 1.5 MB of kept messages in one transaction, through a 64 KiB page cache. */
	assert_int_equal(store_set_cache(st, 64), 0);
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 500; i++) {
		m = make_kept(0, (uint8_t)i, 10, 99999);
		assert_int_equal(store_kept_add(st, m, &id), 0);
		if (i == 0) {
			first = id;
			memcpy(want, m->sealed_text, sizeof(want));
		}
		free(m);
	}
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM kept_messages", NULL, 0), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM kept_messages", NULL, 0), 500);
	{
		int64_t one = first;
		sqlite3 *db = raw_open(f->path);
		sqlite3_stmt *q = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT sealed_text FROM kept_messages"
						    " WHERE id = ?1", -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_int64(q, 1, one);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_bytes(q, 0), (int)sizeof(want));
		assert_memory_equal(sqlite3_column_blob(q, 0), want, sizeof(want));
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	copy_file(f->path, copy);
	copy_file(wal, copy_wal);
	assert_int_equal(raw_int(copy, "SELECT count(*) FROM kept_messages", NULL, 0), 500);
	raw_text(copy, "PRAGMA integrity_check", ok, sizeof(ok));
	assert_string_equal(ok, "ok");
	unlink(copy_wal);
	unlink(copy);
}

static void fill_mark(uint8_t *out, size_t len, const char *mark)
{
	size_t n = strlen(mark);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)mark[i % n];
}

/* The point of secure_delete + TRUNCATE: once erased and purged, the person's sealed
 * address, its keyed hash and their kept message are in neither the database file nor
 * the WAL. Before the erasure the same scan finds them (so the scan can fail). */
static void test_erased_bytes_gone(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_subscriber s;
	struct store_outbox_item it;
	struct store_kept_message *m;
	char wal[160], body[] = "{\"text\":\"ok\"}";
	static const char mark[] = "SEALED-ADDRESS-OF-THE-TEST-CITIZEN-+39-333-000-0001|";
	static const char hash[] = "KEYED-HASH-OF-TEST-CITIZEN-0001|"; /* 32 bytes */
	static const char text[] = "PRIVATE-MESSAGE-KEPT-FOR-STAFF|";
	int erased = 0;

	side(f, "-wal", wal, sizeof(wal));
	/* Neighbours on the same pages, before and after. */
	for (uint8_t i = 20; i < 60; i++)
		add_sub(st, 0, i);
	make_sub(&s, 0, 7);
	memcpy(s.addr_hash, hash, CRYPTO_HASH_LEN);
	s.sealed_len = 600;
	fill_mark(s.sealed, s.sealed_len, mark);
	make_item(&it, 0, 7, body, 10);
	memcpy(it.addr_hash, s.addr_hash, CRYPTO_HASH_LEN);
	memcpy(it.sealed, s.sealed, s.sealed_len);
	it.sealed_len = s.sealed_len;
	m = make_kept(0, 7, 10, 99999);
	memcpy(m->addr_hash, s.addr_hash, CRYPTO_HASH_LEN);
	memcpy(m->sealed_addr, s.sealed, s.sealed_len);
	m->sealed_addr_len = s.sealed_len;
	fill_mark(m->sealed_text, m->sealed_text_len, text);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_subscriber_add(st, &s, NULL), 0);
	assert_int_equal(store_outbox_add(st, &it, NULL), 0);
	assert_int_equal(store_kept_add(st, m, NULL), 0);
	assert_int_equal(store_autoreply_claim(st, 0, s.addr_hash, 10, 60, &erased), 0);
	assert_int_equal(store_commit(st), 0);
	for (uint8_t i = 60; i < 100; i++)
		add_sub(st, 0, i);

	/* Positive control: the bytes are in the WAL, then in the file after a checkpoint. */
	assert_true(file_has(wal, mark, sizeof(mark) - 1));
	assert_int_equal(store_purge_log(st), 0);
	assert_true(file_has(f->path, mark, sizeof(mark) - 1));
	assert_true(file_has(f->path, hash, CRYPTO_HASH_LEN));
	assert_true(file_has(f->path, text, sizeof(text) - 1));

	/* Erase as the daemon does, then purge. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_subscriber_erase(st, 0, s.addr_hash, &erased), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(erased, 1);
	assert_true(file_has(f->path, mark, sizeof(mark) - 1)); /* not purged yet */
	assert_int_equal(store_purge_log(st), 0);

	/* Not the whole value, and not a fragment of any of them, in either file. */
	assert_false(file_has(f->path, mark, sizeof(mark) - 1));
	assert_false(file_has(f->path, mark + 20, 12));
	assert_false(file_has(f->path, hash, 12));
	assert_false(file_has(f->path, hash + 20, 12));
	assert_false(file_has(f->path, text, 12));
	assert_false(file_has(wal, mark + 20, 12));
	assert_false(file_has(wal, hash, 12));
	assert_false(file_has(wal, text, 12));
	assert_true(wal_empty(wal));
	/* The neighbours are intact. */
	assert_true(exists_sub(st, 0, 20));
	assert_true(exists_sub(st, 0, 99));
	store_free(st);
	f->st = NULL;
	assert_false(file_has(f->path, mark + 20, 12));
	assert_false(file_has(f->path, hash, 12));
	free(m);
}

/* How many open descriptors of this process point at SQLite temporary files (named
 * etilqs_*, unlinked as soon as they are opened). */
static int temp_files_open(void)
{
	char link[300], target[512];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		ssize_t len;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "etilqs_"))
			n++;
	}
	closedir(d);
	return n;
}

/* A batch with a savepoint per event keeps its page images in memory: no temporary
 * file on disk ever holds a copy of a page (with somebody's sealed address on it). */
static void test_no_temp_files(void **state)
{
	struct fx *f = *state;
	struct store *st = open_fx(f);
	struct store_outbox_item it;
	char body[600];

	memset(body, 'b', sizeof(body) - 1);
	body[sizeof(body) - 1] = '\0';
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_savepoint(st), 0); /* one job of many events */
	for (int i = 0; i < 250; i++) {
		assert_int_equal(store_savepoint(st), 0); /* each event */
		add_sub(st, 0, (uint8_t)i);
		make_item(&it, 0, (uint8_t)i, body, i);
		assert_int_equal(store_outbox_add(st, &it, NULL), 0);
		if (i % 10 == 0) /* now and then an event fails and is undone */
			assert_int_equal(store_rollback_to(st), 0);
		assert_int_equal(store_release(st), 0);
	}
	assert_int_equal(temp_files_open(), 0);
	assert_int_equal(store_release(st), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM outbox", NULL, 0), 225);
}

/* Two connections on one file, as the writer and the reply sender use it: one opening
 * while the other holds the write lock, and closing one does not disturb the other. */
static void test_two_connections(void **state)
{
	struct fx *f = *state;
	struct store *a = open_fx(f), *b = NULL;
	int64_t n = 0;

	assert_int_equal(store_begin(a), 0);
	add_sub(a, 0, 1);
	assert_int_equal(store_open(f->path, &b), 0);
	assert_int_equal(store_subscriber_count(b, 0, &n), 0);
	assert_int_equal(n, 0); /* not committed yet */
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_subscriber_count(b, 0, &n), 0);
	assert_int_equal(n, 1);
	store_free(b);
	assert_int_equal(store_begin(a), 0);
	add_sub(a, 0, 2);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_purge_log(a), 0);
	assert_int_equal(store_subscriber_count(a, 0, &n), 0);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_every_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_to_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_autoreply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_folded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_order_per_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_canned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_notes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lanes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_next, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_status_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_retries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_each_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_gathered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erased_bytes_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_connections, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
