/*
 * store_sqlite_lanes.c - a message's delivery on each platform other than WhatsApp: the
 * rows of message_platforms the lanes (delivery/lane.c) start, move and finish, and the
 * choice of the next message a lane has work on.
 *
 * These run once per page of a lane (not per send), so their statements are prepared on
 * each call rather than cached in the connection's slots.
 */
#include "store/store_sqlite.h"

#include "common/err.h"

#include <string.h>

static sqlite3_stmt *prepare(struct store_sqlite *q, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		store_sqlite_fail(q, what, rc);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int store_sqlite_lane_start(struct store *s, int64_t message_id, int platform, int64_t max_id,
			    int64_t total, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (message_id <= 0 || platform < 1 || max_id < 0 || total < 0)
		return BANDITORE_EINVAL;
	st = prepare(q, "INSERT OR IGNORE INTO message_platforms (message_id, platform, state,"
			" cursor, max_id, total, sent, failed, started_at, finished_at)"
			" VALUES (?1, ?2, 1, 0, ?3, ?4, 0, 0, ?5, 0)", "lane start");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int(st, 2, platform) ||
	    sqlite3_bind_int64(st, 3, max_id) || sqlite3_bind_int64(st, 4, total) ||
	    sqlite3_bind_int64(st, 5, at))
		rc = store_sqlite_fail(q, "lane start: bind", SQLITE_ERROR);
	else
		rc = store_sqlite_exec(q, st, "lane start");
	sqlite3_finalize(st);
	return rc;
}

int store_sqlite_lane_progress(struct store *s, int64_t message_id, int platform,
			       int64_t cursor, int64_t d_sent, int64_t d_failed, int state,
			       int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (cursor < 0 || d_sent < 0 || d_failed < 0 || state < 0 || state > STORE_LANE_STOPPED)
		return BANDITORE_EINVAL;
	st = prepare(q, "UPDATE message_platforms SET cursor = max(cursor, ?3),"
			" sent = sent + ?4, failed = failed + ?5,"
			/* stopped is final: a lane's last page settling after a cancel
			 * counts its sends but does not make the row sent again */
			" state = CASE WHEN state = 4 THEN 4 WHEN ?6 > 0 THEN ?6 ELSE state END,"
			" finished_at = CASE WHEN state = 4 THEN finished_at"
			" WHEN ?6 >= 2 THEN ?7 ELSE finished_at END"
			" WHERE message_id = ?1 AND platform = ?2", "lane progress");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int(st, 2, platform) ||
	    sqlite3_bind_int64(st, 3, cursor) || sqlite3_bind_int64(st, 4, d_sent) ||
	    sqlite3_bind_int64(st, 5, d_failed) || sqlite3_bind_int(st, 6, state) ||
	    sqlite3_bind_int64(st, 7, at))
		rc = store_sqlite_fail(q, "lane progress: bind", SQLITE_ERROR);
	else
		rc = store_sqlite_exec(q, st, "lane progress");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	sqlite3_finalize(st);
	return rc;
}

#define ROW_COLUMNS "message_id, platform, state, cursor, max_id, total, sent, failed," \
		    " started_at, finished_at"

static void read_row(sqlite3_stmt *st, struct store_message_platform *out)
{
	memset(out, 0, sizeof(*out));
	out->message_id = sqlite3_column_int64(st, 0);
	out->platform = sqlite3_column_int(st, 1);
	out->state = sqlite3_column_int(st, 2);
	out->cursor = sqlite3_column_int64(st, 3);
	out->max_id = sqlite3_column_int64(st, 4);
	out->total = sqlite3_column_int64(st, 5);
	out->sent = sqlite3_column_int64(st, 6);
	out->failed = sqlite3_column_int64(st, 7);
	out->started_at = sqlite3_column_int64(st, 8);
	out->finished_at = sqlite3_column_int64(st, 9);
}

int store_sqlite_lane_get(struct store *s, int64_t message_id, int platform,
			  struct store_message_platform *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	st = prepare(q, "SELECT " ROW_COLUMNS " FROM message_platforms"
			" WHERE message_id = ?1 AND platform = ?2", "lane get");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int(st, 2, platform)) {
		rc = store_sqlite_fail(q, "lane get: bind", SQLITE_ERROR);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_row(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = BANDITORE_ENOTFOUND;
	} else {
		rc = store_sqlite_fail(q, "lane get", rc);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int store_sqlite_lane_list(struct store *s, int64_t message_id,
			   struct store_message_platform *out, int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc = 0;

	*n = 0;
	if (max <= 0)
		return BANDITORE_EINVAL;
	st = prepare(q, "SELECT " ROW_COLUMNS " FROM message_platforms"
			" WHERE message_id = ?1 ORDER BY platform LIMIT ?2", "lane list");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int(st, 2, max)) {
		rc = store_sqlite_fail(q, "lane list: bind", SQLITE_ERROR);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_row(st, &out[(*n)++]);
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_fail(q, "lane list", rc);
out:
	sqlite3_finalize(st);
	return rc;
}

int store_sqlite_lane_next(struct store *s, int platform, int64_t since, int64_t *message_id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	/* The messages table holds the comune's announcements (a few a day): a scan of the
	 * started ones is cheap. */
	st = prepare(q, "SELECT m.id FROM messages m LEFT JOIN message_platforms p"
			" ON p.message_id = m.id AND p.platform = ?1"
			" WHERE m.state IN (3, 4, 5)"
			" AND ((p.state IS NULL AND m.started_at >= ?2) OR p.state = 1)"
			" ORDER BY m.priority DESC, m.id LIMIT 1", "lane next");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, since))
		rc = store_sqlite_fail(q, "lane next: bind", SQLITE_ERROR);
	else
		rc = store_sqlite_int64(q, st, "lane next", message_id);
	sqlite3_finalize(st);
	return rc;
}
