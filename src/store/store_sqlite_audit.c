/*
 * store_sqlite_audit.c - the audit log's rows in SQLite: appended, read back in
 * sequence order, never changed (triggers refuse UPDATE and DELETE, so that only
 * somebody who edits the file on purpose can, and `banditore audit verify` shows it).
 *
 * The store only keeps rows; sequence numbers, times and hashes are computed by
 * src/audit/, which also checks them.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

#define AUDIT_COLUMNS "seq, at, actor, action, object, details, prev_hash, hash"

/* 1 when `s` is NUL-terminated within cap and at least `min` long. */
static int field_ok(const char *s, size_t cap, size_t min, size_t *len)
{
	*len = strnlen(s, cap);
	return *len < cap && *len >= min;
}

int store_sqlite_audit_add(struct store *s, const struct store_audit_entry *e)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t actor_len, action_len, object_len, details_len;
	sqlite3_stmt *st;
	int rc;

	if (!e || e->seq <= 0 || !field_ok(e->actor, sizeof(e->actor), 1, &actor_len) ||
	    !field_ok(e->action, sizeof(e->action), 1, &action_len) ||
	    !field_ok(e->object, sizeof(e->object), 0, &object_len) ||
	    !field_ok(e->details, sizeof(e->details), 2, &details_len))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUDIT_ADD,
			       "INSERT INTO audit_log (" AUDIT_COLUMNS ")"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, e->seq) || sqlite3_bind_int64(st, 2, e->at) ||
	    sqlite3_bind_text(st, 3, e->actor, (int)actor_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, e->action, (int)action_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, e->object, (int)object_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, e->details, (int)details_len, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 7, e->prev_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 8, e->hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audit add: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		store_sqlite_fail(q, "audit add", rc);
		rc = BANDITORE_EEXIST;
	} else {
		rc = store_sqlite_fail(q, "audit add", rc);
	}
	store_sqlite_done(st);
	return rc;
}

static int read_entry(struct store_sqlite *q, sqlite3_stmt *st, struct store_audit_entry *e)
{
	size_t len = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	rc = store_sqlite_text(q, st, 2, e->actor, sizeof(e->actor));
	if (!rc)
		rc = store_sqlite_text(q, st, 3, e->action, sizeof(e->action));
	if (!rc)
		rc = store_sqlite_text(q, st, 4, e->object, sizeof(e->object));
	if (!rc)
		rc = store_sqlite_text(q, st, 5, e->details, sizeof(e->details));
	if (!rc)
		rc = store_sqlite_blob(q, st, 6, e->prev_hash, sizeof(e->prev_hash), &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	if (!rc)
		rc = store_sqlite_blob(q, st, 7, e->hash, sizeof(e->hash), &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	return rc;
}

int store_sqlite_audit_last(struct store *s, struct store_audit_entry *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUDIT_LAST,
			       "SELECT " AUDIT_COLUMNS " FROM audit_log ORDER BY seq DESC LIMIT 1");
	if (!st)
		return BANDITORE_ESTORE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_entry(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "audit last", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_audit_list(struct store *s, int64_t after_seq, int64_t since, int64_t until,
			    struct store_audit_entry *out, int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (n)
		*n = 0;
	if (!out || !n || max < 0)
		return BANDITORE_EINVAL;
	if (max == 0)
		return 0;
	/* A range scan of the primary key; the time filter only skips rows. */
	st = store_sqlite_stmt(q, SQ_AUDIT_LIST,
			       "SELECT " AUDIT_COLUMNS " FROM audit_log"
			       " WHERE seq > ?1 AND at >= ?2 AND at < ?3 ORDER BY seq LIMIT ?4");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, after_seq) || sqlite3_bind_int64(st, 2, since) ||
	    sqlite3_bind_int64(st, 3, until) || sqlite3_bind_int(st, 4, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audit list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "audit list", step);
			break;
		}
		rc = read_entry(q, st, &out[got]);
		if (rc)
			break;
		got++;
	}
	store_sqlite_done(st);
	if (rc)
		return rc;
	*n = got;
	return 0;
}

int store_sqlite_audit_find(struct store *s, const char *action, const char *object,
			    struct store_audit_entry *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!action || !object || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUDIT_FIND,
			       "SELECT " AUDIT_COLUMNS " FROM audit_log"
			       " WHERE action = ?1 AND object = ?2 ORDER BY seq DESC LIMIT 1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, object, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audit find: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_entry(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "audit find", rc);
	store_sqlite_done(st);
	return rc;
}

/* The one day's value of an anonymous counter: what the audit's daily counts record. */
int store_sqlite_counter_day(struct store *s, const char *day, int platform, const char *name,
			     int64_t *value)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!day || !name || !value)
		return BANDITORE_EINVAL;
	*value = 0;
	if (store_sqlite_counters_flush(q))
		return BANDITORE_ESTORE;
	st = store_sqlite_stmt(q, SQ_COUNTER_DAY,
			       "SELECT coalesce(sum(value), 0) FROM counters"
			       " WHERE day = ?1 AND platform = ?2 AND name = ?3");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC) || sqlite3_bind_int(st, 2, platform) ||
	    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "counter day: bind", SQLITE_ERROR);
	}
	return store_sqlite_int64(q, st, "counter day", value);
}
