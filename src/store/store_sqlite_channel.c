/*
 * store_sqlite_channel.c - the posting tasks of a WhatsApp Channel kept by hand
 * (channel_mode = manual): one row per approved message, waiting until a person marks it
 * posted. No personal data.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

int store_sqlite_channel_post_add(struct store *s, int64_t message_id, int64_t now)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (message_id <= 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_CHANNEL_POST_ADD,
			       "INSERT INTO channel_posts (message_id, created_at) VALUES (?1, ?2)"
			       " ON CONFLICT (message_id) DO UPDATE SET created_at = excluded.created_at,"
			       " posted_at = 0, posted_by = ''");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int64(st, 2, now)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "channel post add: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "channel post add");
}

static void read_post(sqlite3_stmt *st, struct store_channel_post *p)
{
	const unsigned char *by;

	memset(p, 0, sizeof(*p));
	p->message_id = sqlite3_column_int64(st, 0);
	p->created_at = sqlite3_column_int64(st, 1);
	p->posted_at = sqlite3_column_int64(st, 2);
	by = sqlite3_column_text(st, 3);
	snprintf(p->posted_by, sizeof(p->posted_by), "%s", by ? (const char *)by : "");
}

int store_sqlite_channel_post_list(struct store *s, int waiting, struct store_channel_post *out,
				   int max, int *n)
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
	st = waiting ? store_sqlite_stmt(q, SQ_CHANNEL_POST_WAITING,
					 "SELECT message_id, created_at, posted_at, posted_by"
					 " FROM channel_posts WHERE posted_at = 0"
					 " ORDER BY created_at, message_id LIMIT ?1")
		     : store_sqlite_stmt(q, SQ_CHANNEL_POST_POSTED,
					 "SELECT message_id, created_at, posted_at, posted_by"
					 " FROM channel_posts WHERE posted_at > 0"
					 " ORDER BY posted_at DESC, message_id DESC LIMIT ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "channel post list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "channel post list", step);
			break;
		}
		read_post(st, &out[got++]);
	}
	store_sqlite_done(st);
	if (rc)
		return rc;
	*n = got;
	return 0;
}

int store_sqlite_channel_post_get(struct store *s, int64_t message_id,
				  struct store_channel_post *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_CHANNEL_POST_GET,
					     "SELECT message_id, created_at, posted_at, posted_by"
					     " FROM channel_posts WHERE message_id = ?1");
	int step, rc = 0;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "channel post get: bind", SQLITE_ERROR);
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_post(st, out);
	else if (step == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "channel post get", step);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_channel_post_mark(struct store *s, int64_t message_id, const char *by, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct store_channel_post p;
	sqlite3_stmt *st;
	int rc;

	if (!by || !*by || strlen(by) >= sizeof(p.posted_by) || at <= 0)
		return BANDITORE_EINVAL;
	rc = store_sqlite_channel_post_get(s, message_id, &p);
	if (rc)
		return rc;
	if (p.posted_at > 0)
		return BANDITORE_ESTATE;
	st = store_sqlite_stmt(q, SQ_CHANNEL_POST_MARK,
			       "UPDATE channel_posts SET posted_at = ?2, posted_by = ?3"
			       " WHERE message_id = ?1 AND posted_at = 0");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, message_id) || sqlite3_bind_int64(st, 2, at) ||
	    sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "channel post mark: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "channel post mark");
}
