/*
 * store_sqlite_retries.c - the sends of a broadcast to try again later, in SQLite: one
 * row per (message, subscriber) that got a temporary failure, taken back by the sender
 * in not_before order. The cursor of the message has moved past them already, so a
 * retry row is the only thing that remembers them: it is written in the same
 * transaction as the progress that skips them.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

int store_sqlite_retry_put(struct store *s, const struct store_retry *r)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!r || r->attempts < 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_RETRY_PUT,
			       "INSERT INTO retries (message_id, subscriber_id, attempts, not_before)"
			       " VALUES (?1, ?2, ?3, ?4)"
			       " ON CONFLICT (message_id, subscriber_id) DO UPDATE"
			       " SET attempts = excluded.attempts, not_before = excluded.not_before");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, r->message_id) || sqlite3_bind_int64(st, 2, r->subscriber_id) ||
	    sqlite3_bind_int(st, 3, r->attempts) || sqlite3_bind_int64(st, 4, r->not_before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "retry put: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "retry put");
}

/* Earliest first, then by subscriber id: retries_due holds (message_id, not_before) and,
 * the table being WITHOUT ROWID, the rest of its key, so this is read in index order. */
int store_sqlite_retry_due(struct store *s, int64_t message_id, int64_t now,
			   struct store_retry *out, int max, int *n)
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
	st = store_sqlite_stmt(q, SQ_RETRY_DUE,
			       "SELECT message_id, subscriber_id, attempts, not_before FROM retries"
			       " WHERE message_id = ?1 AND not_before <= ?2"
			       " ORDER BY not_before, subscriber_id LIMIT ?3");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int64(st, 2, now) ||
	    sqlite3_bind_int(st, 3, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "retry due: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "retry due", step);
			break;
		}
		out[got].message_id = sqlite3_column_int64(st, 0);
		out[got].subscriber_id = sqlite3_column_int64(st, 1);
		out[got].attempts = sqlite3_column_int(st, 2);
		out[got].not_before = sqlite3_column_int64(st, 3);
		got++;
	}
	store_sqlite_done(st);
	if (rc)
		return rc;
	*n = got;
	return 0;
}

/* 0 also when it is gone already (an erasure may have taken it meanwhile). */
int store_sqlite_retry_remove(struct store *s, int64_t message_id, int64_t subscriber_id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	st = store_sqlite_stmt(q, SQ_RETRY_REMOVE,
			       "DELETE FROM retries WHERE message_id = ?1 AND subscriber_id = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int64(st, 2, subscriber_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "retry remove: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "retry remove");
}

int store_sqlite_retry_pending(struct store *s, int64_t message_id, int64_t *count,
			       int64_t *next)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!count || !next)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_RETRY_PENDING,
			       "SELECT count(*), coalesce(min(not_before), 0) FROM retries"
			       " WHERE message_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "retry pending: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*next = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = store_sqlite_fail(q, "retry pending", rc);
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_retry_clear(struct store *s, int64_t message_id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	st = store_sqlite_stmt(q, SQ_RETRY_CLEAR, "DELETE FROM retries WHERE message_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "retry clear: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "retry clear");
}
