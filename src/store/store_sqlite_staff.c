/*
 * store_sqlite_staff.c - staff accounts, their sessions, login throttling, the blocklist
 * of expelled addresses and the review (approval workflow) of messages, in SQLite.
 *
 * Accounts are never deleted: a revoked account keeps its row (and its name), so that
 * the audit and the messages it wrote still name someone. Sessions are found by the
 * SHA-256 of the cookie's value; nothing here ever sees the value itself.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

#define STAFF_COLUMNS                                                                      \
	"id, name, display_name, role, password, decree, decree_start, decree_end,"        \
	" totp_sealed, totp_last_step, created_at, created_by, revoked_at"

static int bad_text(const char *s, size_t cap)
{
	return !s || strnlen(s, cap) == cap;
}

static int staff_fields_bad(const struct store_staff *a)
{
	return bad_text(a->name, sizeof(a->name)) || !a->name[0] ||
	       bad_text(a->display_name, sizeof(a->display_name)) ||
	       bad_text(a->password, sizeof(a->password)) || !a->password[0] ||
	       bad_text(a->decree, sizeof(a->decree)) ||
	       bad_text(a->created_by, sizeof(a->created_by)) || a->role < 0 || a->role > 3 ||
	       a->totp_sealed_len > sizeof(a->totp_sealed) || a->revoked_at < 0;
}

/* Binds the mutable fields at ?2..?10 (shared by add and update). */
static int bind_mutable(sqlite3_stmt *st, const struct store_staff *a)
{
	return sqlite3_bind_text(st, 2, a->display_name, -1, SQLITE_STATIC) ||
	       sqlite3_bind_int(st, 3, a->role) ||
	       sqlite3_bind_text(st, 4, a->password, -1, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 5, a->decree, -1, SQLITE_STATIC) ||
	       sqlite3_bind_int64(st, 6, a->decree_start) ||
	       sqlite3_bind_int64(st, 7, a->decree_end) ||
	       sqlite3_bind_blob(st, 8, a->totp_sealed, (int)a->totp_sealed_len, SQLITE_STATIC) ||
	       sqlite3_bind_int64(st, 9, a->totp_last_step) ||
	       sqlite3_bind_int64(st, 10, a->revoked_at);
}

int store_sqlite_staff_add(struct store *s, const struct store_staff *a, int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!a || staff_fields_bad(a))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_STAFF_ADD,
			       "INSERT INTO staff (name, display_name, role, password, decree,"
			       " decree_start, decree_end, totp_sealed, totp_last_step, revoked_at,"
			       " created_at, created_by)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC) || bind_mutable(st, a) ||
	    sqlite3_bind_int64(st, 11, a->created_at) ||
	    sqlite3_bind_text(st, 12, a->created_by, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "staff add: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
		if (id)
			*id = sqlite3_last_insert_rowid(q->db);
	} else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		store_sqlite_fail(q, "staff add", rc);
		rc = BANDITORE_EEXIST;
	} else {
		rc = store_sqlite_fail(q, "staff add", rc);
	}
	store_sqlite_done(st);
	return rc;
}

static int read_staff(struct store_sqlite *q, sqlite3_stmt *st, struct store_staff *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	rc = store_sqlite_text(q, st, 1, a->name, sizeof(a->name));
	if (!rc)
		rc = store_sqlite_text(q, st, 2, a->display_name, sizeof(a->display_name));
	a->role = sqlite3_column_int(st, 3);
	if (!rc)
		rc = store_sqlite_text(q, st, 4, a->password, sizeof(a->password));
	if (!rc)
		rc = store_sqlite_text(q, st, 5, a->decree, sizeof(a->decree));
	a->decree_start = sqlite3_column_int64(st, 6);
	a->decree_end = sqlite3_column_int64(st, 7);
	if (!rc)
		rc = store_sqlite_blob(q, st, 8, a->totp_sealed, sizeof(a->totp_sealed),
				       &a->totp_sealed_len);
	a->totp_last_step = sqlite3_column_int64(st, 9);
	a->created_at = sqlite3_column_int64(st, 10);
	if (!rc)
		rc = store_sqlite_text(q, st, 11, a->created_by, sizeof(a->created_by));
	a->revoked_at = sqlite3_column_int64(st, 12);
	return rc;
}

/* Runs a prepared one-row SELECT of STAFF_COLUMNS into *out. */
static int one_staff(struct store_sqlite *q, sqlite3_stmt *st, struct store_staff *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		rc = read_staff(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "staff get", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_staff_get(struct store *s, const char *name, struct store_staff *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!name || !out || bad_text(name, STORE_STAFF_NAME_MAX))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_STAFF_GET,
			       "SELECT " STAFF_COLUMNS " FROM staff WHERE name = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "staff get: bind", SQLITE_ERROR);
	}
	return one_staff(q, st, out);
}

int store_sqlite_staff_get_id(struct store *s, int64_t id, struct store_staff *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_STAFF_GET_ID,
			       "SELECT " STAFF_COLUMNS " FROM staff WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "staff get: bind", SQLITE_ERROR);
	}
	return one_staff(q, st, out);
}

int store_sqlite_staff_update(struct store *s, const struct store_staff *a)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!a || staff_fields_bad(a))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_STAFF_UPDATE,
			       "UPDATE staff SET display_name = ?2, role = ?3, password = ?4,"
			       " decree = ?5, decree_start = ?6, decree_end = ?7, totp_sealed = ?8,"
			       " totp_last_step = ?9, revoked_at = ?10 WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, a->id) || bind_mutable(st, a)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "staff update: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "staff update");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

int store_sqlite_staff_list(struct store *s, struct store_staff *out, int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (!out || !n || max < 0)
		return BANDITORE_EINVAL;
	*n = 0;
	if (max == 0)
		return 0;
	st = store_sqlite_stmt(q, SQ_STAFF_LIST,
			       "SELECT " STAFF_COLUMNS " FROM staff ORDER BY id LIMIT ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "staff list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "staff list", step);
			break;
		}
		rc = read_staff(q, st, &out[got]);
		if (rc)
			break;
		got++;
	}
	store_sqlite_done(st);
	if (!rc)
		*n = got;
	return rc;
}

int store_sqlite_staff_count_delegates(struct store *s, int64_t now, int64_t *count)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!count)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_STAFF_DELEGATES,
			       "SELECT count(*) FROM staff WHERE role = 2 AND revoked_at = 0"
			       " AND (decree_end = 0 OR decree_end > ?1)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, now)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "delegates: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "delegates", count);
	return rc == BANDITORE_ENOTFOUND ? BANDITORE_ESTORE : rc;
}

/* ------------------------------------------------------------------ sessions */

int store_sqlite_session_add(struct store *s, const struct store_session *se)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!se || strnlen(se->csrf, sizeof(se->csrf)) != 64)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_SESSION_ADD,
			       "INSERT INTO staff_sessions (id_hash, staff_id, csrf, created_at,"
			       " last_seen) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, se->id_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, se->staff_id) ||
	    sqlite3_bind_text(st, 3, se->csrf, 64, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, se->created_at) || sqlite3_bind_int64(st, 5, se->last_seen)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "session add: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "session add");
}

int store_sqlite_session_get(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN],
			     struct store_session *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!id_hash || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_SESSION_GET,
			       "SELECT staff_id, csrf, created_at, last_seen FROM staff_sessions"
			       " WHERE id_hash = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, id_hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "session get: bind", SQLITE_ERROR);
	}
	memset(out, 0, sizeof(*out));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memcpy(out->id_hash, id_hash, CRYPTO_HASH_LEN);
		out->staff_id = sqlite3_column_int64(st, 0);
		rc = store_sqlite_text(q, st, 1, out->csrf, sizeof(out->csrf));
		out->created_at = sqlite3_column_int64(st, 2);
		out->last_seen = sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE) {
		rc = BANDITORE_ENOTFOUND;
	} else {
		rc = store_sqlite_fail(q, "session get", rc);
	}
	store_sqlite_done(st);
	return rc;
}

/* Runs a statement with one blob (?1) and one optional integer (?2). */
static int run_blob(struct store_sqlite *q, enum store_sqlite_stmt id, const char *sql,
		    const uint8_t *blob, int with_int, int64_t value, const char *what)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, id, sql);

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, blob, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    (with_int && sqlite3_bind_int64(st, 2, value))) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, what, SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, what);
}

int store_sqlite_session_touch(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], int64_t at)
{
	if (!id_hash)
		return BANDITORE_EINVAL;
	return run_blob(store_sqlite_of(s), SQ_SESSION_TOUCH,
			"UPDATE staff_sessions SET last_seen = max(last_seen, ?2) WHERE id_hash = ?1",
			id_hash, 1, at, "session touch");
}

int store_sqlite_session_remove(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN])
{
	if (!id_hash)
		return BANDITORE_EINVAL;
	return run_blob(store_sqlite_of(s), SQ_SESSION_REMOVE,
			"DELETE FROM staff_sessions WHERE id_hash = ?1", id_hash, 0, 0,
			"session remove");
}

int store_sqlite_session_remove_staff(struct store *s, int64_t staff_id, int64_t *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	st = store_sqlite_stmt(q, SQ_SESSION_REMOVE_STAFF,
			       "DELETE FROM staff_sessions WHERE staff_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, staff_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "sessions remove: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "sessions remove");
	if (!rc && removed)
		*removed = sqlite3_changes(q->db);
	return rc;
}

int store_sqlite_session_expire(struct store *s, int64_t idle_before, int64_t created_before)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	st = store_sqlite_stmt(q, SQ_SESSION_EXPIRE,
			       "DELETE FROM staff_sessions WHERE last_seen < ?1 OR created_at < ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, idle_before) || sqlite3_bind_int64(st, 2, created_before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "sessions expire: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "sessions expire");
}

/* ------------------------------------------------------------------ throttling */

int store_sqlite_throttle_get(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int *failures,
			      int64_t *locked_until)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!key || !failures || !locked_until)
		return BANDITORE_EINVAL;
	*failures = 0;
	*locked_until = 0;
	st = store_sqlite_stmt(q, SQ_THROTTLE_GET,
			       "SELECT failures, locked_until FROM login_throttle WHERE key = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, key, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "throttle get: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(st, 0);
		*locked_until = sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_sqlite_fail(q, "throttle get", rc);
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_throttle_set(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int failures,
			      int64_t locked_until, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!key || failures < 0)
		return BANDITORE_EINVAL;
	if (failures == 0 && locked_until == 0)
		return run_blob(q, SQ_THROTTLE_CLEAR, "DELETE FROM login_throttle WHERE key = ?1",
				key, 0, 0, "throttle clear");
	st = store_sqlite_stmt(q, SQ_THROTTLE_SET,
			       "INSERT OR REPLACE INTO login_throttle (key, failures, locked_until,"
			       " updated_at) VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, key, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, failures) || sqlite3_bind_int64(st, 3, locked_until) ||
	    sqlite3_bind_int64(st, 4, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "throttle set: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "throttle set");
}

/* ------------------------------------------------------------------ blocklist */

int store_sqlite_block_add(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!hash || platform < 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_BLOCK_ADD,
			       "INSERT OR IGNORE INTO blocklist (platform, block_hash, blocked_at)"
			       " VALUES (?1, ?2, ?3)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "block add: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "block add");
}

int store_sqlite_block_check(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			     int *blocked)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int64_t one = 0;
	int rc;

	if (!hash || !blocked)
		return BANDITORE_EINVAL;
	*blocked = 0;
	st = store_sqlite_stmt(q, SQ_BLOCK_CHECK,
			       "SELECT 1 FROM blocklist WHERE platform = ?1 AND block_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "block check: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "block check", &one);
	if (rc == BANDITORE_ENOTFOUND)
		return 0;
	if (!rc)
		*blocked = 1;
	return rc;
}

/* ------------------------------------------------------------------ reviews */

#define REVIEW_COLUMNS                                                                     \
	"message_id, status, proposed_by, proposed_at, reviewed_by, reviewed_at, reason,"  \
	" self_approved"

static int read_review(struct store_sqlite *q, sqlite3_stmt *st, struct store_review *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->message_id = sqlite3_column_int64(st, 0);
	r->status = sqlite3_column_int(st, 1);
	rc = store_sqlite_text(q, st, 2, r->proposed_by, sizeof(r->proposed_by));
	r->proposed_at = sqlite3_column_int64(st, 3);
	if (!rc)
		rc = store_sqlite_text(q, st, 4, r->reviewed_by, sizeof(r->reviewed_by));
	r->reviewed_at = sqlite3_column_int64(st, 5);
	if (!rc)
		rc = store_sqlite_text(q, st, 6, r->reason, sizeof(r->reason));
	r->self_approved = sqlite3_column_int(st, 7);
	return rc;
}

int store_sqlite_review_get(struct store *s, int64_t message_id, struct store_review *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_REVIEW_GET,
			       "SELECT " REVIEW_COLUMNS " FROM message_reviews WHERE message_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "review get: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_review(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "review get", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_review_put(struct store *s, const struct store_review *r)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!r || r->status < 0 || r->status > 3 || bad_text(r->proposed_by, sizeof(r->proposed_by)) ||
	    bad_text(r->reviewed_by, sizeof(r->reviewed_by)) || bad_text(r->reason, sizeof(r->reason)))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_REVIEW_PUT,
			       "INSERT OR REPLACE INTO message_reviews (" REVIEW_COLUMNS ")"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, r->message_id) || sqlite3_bind_int(st, 2, r->status) ||
	    sqlite3_bind_text(st, 3, r->proposed_by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, r->proposed_at) ||
	    sqlite3_bind_text(st, 5, r->reviewed_by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 6, r->reviewed_at) ||
	    sqlite3_bind_text(st, 7, r->reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 8, r->self_approved ? 1 : 0)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "review put: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "review put");
}

int store_sqlite_review_list(struct store *s, int status, struct store_review *out, int max,
			     int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (!out || !n || max < 0)
		return BANDITORE_EINVAL;
	*n = 0;
	if (max == 0)
		return 0;
	st = store_sqlite_stmt(q, SQ_REVIEW_LIST,
			       "SELECT " REVIEW_COLUMNS " FROM message_reviews WHERE status = ?1"
			       " ORDER BY message_id LIMIT ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, status) || sqlite3_bind_int(st, 2, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "review list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "review list", step);
			break;
		}
		rc = read_review(q, st, &out[got]);
		if (rc)
			break;
		got++;
	}
	store_sqlite_done(st);
	if (!rc)
		*n = got;
	return rc;
}
