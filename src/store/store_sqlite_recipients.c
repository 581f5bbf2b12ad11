/*
 * store_sqlite_recipients.c - what a broadcast reads and writes of the subscribers in
 * SQLite: the audience's extent at approval, the walk in id order, and each recipient's
 * consecutive failures and last business-initiated send.
 *
 * Cost notes, with what was measured (1,000,000 subscribers of one platform among
 * 1,100,000, 60-byte sealed addresses, file in the OS cache, a fresh connection, 2 busy
 * cores shared with other builds):
 * - The walk is a range scan of the rowid (`id > after AND id <= max`): each page of
 *   recipients is a seek and a short sequential read, however far the broadcast got.
 *   The platform is tested per row with `+platform` so that the planner never takes the
 *   UNIQUE (platform, addr_hash) index, which would visit the whole platform in hash
 *   order and sort it for every page. All 1,000,000 in pages of 1000: about 0.29 s.
 * - store_subscribers_sent is one UPDATE for a whole batch of ids, passed as one JSON
 *   array and looked up by rowid. failures and last_sent_at have no index, so that this
 *   write, done for every recipient of every broadcast, touches the table row only:
 *   batches of 1000 (walk included) ran at about 470,000 recipients/s, and at about
 *   300,000-400,000/s with an index on (platform, last_sent_at).
 * - Hence the counts by failures or last_sent_at (unreachable, contacted) are one scan
 *   of the table, 0.15-0.3 s (0.07-0.09 s for contacted with that index): for the
 *   API's and CLI's figures and the sender's check before a broadcast, not per send.
 *   The extent (max id and count at approval) reads the (platform, addr_hash) index:
 *   about 0.1 s.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

/* The most ids store_subscribers_sent takes at once: its JSON array stays below 24 MB. */
#define SENT_IDS_MAX 1000000

int store_sqlite_subscribers_extent(struct store *s, int platform, int64_t *max_id,
				    int64_t *count)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!max_id || !count)
		return BANDITORE_EINVAL;
	/* Both from the (platform, addr_hash) index, which carries the rowid: one pass. */
	st = store_sqlite_stmt(q, SQ_RCPT_EXTENT,
			       "SELECT coalesce(max(id), 0), count(*) FROM subscribers"
			       " WHERE platform = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscribers extent: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*max_id = sqlite3_column_int64(st, 0);
		*count = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = store_sqlite_fail(q, "subscribers extent", rc);
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_subscribers_page(struct store *s, int platform, int64_t after_id,
				  int64_t max_id, int skip_failures, struct store_recipient *out,
				  int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (n)
		*n = 0;
	if (!out || !n || max < 0 || skip_failures < 0)
		return BANDITORE_EINVAL;
	if (max == 0 || max_id <= after_id)
		return 0;
	st = store_sqlite_stmt(q, SQ_RCPT_PAGE,
			       "SELECT id, sealed, failures, last_sent_at FROM subscribers"
			       " WHERE id > ?2 AND id <= ?3 AND +platform = ?1"
			       " AND (?4 = 0 OR failures < ?4) ORDER BY id LIMIT ?5");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, after_id) ||
	    sqlite3_bind_int64(st, 3, max_id) || sqlite3_bind_int(st, 4, skip_failures) ||
	    sqlite3_bind_int(st, 5, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscribers page: bind", SQLITE_ERROR);
	}
	while (got < max) {
		struct store_recipient *r = &out[got];
		int step = sqlite3_step(st);

		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "subscribers page", step);
			break;
		}
		r->id = sqlite3_column_int64(st, 0);
		rc = store_sqlite_blob(q, st, 1, r->sealed, sizeof(r->sealed), &r->sealed_len);
		if (rc)
			break;
		r->failures = sqlite3_column_int(st, 2);
		r->last_sent_at = sqlite3_column_int64(st, 3);
		got++;
	}
	store_sqlite_done(st);
	if (rc)
		return rc;
	*n = got;
	return 0;
}

int store_sqlite_subscriber_failed(struct store *s, int64_t id, int *failures)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int64_t now_failures = 0;
	int rc;

	st = store_sqlite_stmt(q, SQ_RCPT_FAILED,
			       "UPDATE subscribers SET failures = failures + 1 WHERE id = ?1"
			       " RETURNING failures");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscriber failed: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "subscriber failed", &now_failures);
	if (!rc && failures)
		*failures = now_failures > INT_MAX ? INT_MAX : (int)now_failures;
	return rc;
}

/* Writes ids[0..n) as a JSON array into a new buffer (free() it). */
static char *json_ids(const int64_t *ids, int n)
{
	size_t cap = (size_t)n * 21 + 3, len = 0; /* "-9223372036854775808," is 21 */
	char *out = malloc(cap);

	if (!out)
		return NULL;
	out[len++] = '[';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
		if (w < 0 || (size_t)w >= cap - len) {
			free(out);
			return NULL;
		}
		len += (size_t)w;
	}
	out[len++] = ']';
	out[len] = '\0';
	return out;
}

int store_sqlite_subscribers_sent(struct store *s, const int64_t *ids, int n, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	char *json;
	int rc;

	if (n == 0)
		return 0;
	if (!ids || n < 0)
		return BANDITORE_EINVAL;
	if (n > SENT_IDS_MAX)
		return BANDITORE_ETOOBIG;
	/* max(): batches settle out of order; the tier counts the latest send. */
	st = store_sqlite_stmt(q, SQ_RCPT_SENT,
			       "UPDATE subscribers SET failures = 0,"
			       " last_sent_at = max(last_sent_at, ?1)"
			       " WHERE id IN (SELECT value FROM json_each(?2))");
	if (!st)
		return BANDITORE_ESTORE;
	json = json_ids(ids, n);
	if (!json)
		return BANDITORE_ENOMEM;
	if (sqlite3_bind_int64(st, 1, at) || sqlite3_bind_text(st, 2, json, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		free(json);
		return store_sqlite_fail(q, "subscribers sent: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "subscribers sent"); /* clears the binding of json */
	free(json);
	return rc;
}

/* One count over the table (see the top of the file for why there is no index). */
static int count_where(struct store_sqlite *q, enum store_sqlite_stmt slot, const char *sql,
		       int platform, int64_t value, const char *what, int64_t *count)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, slot, sql);

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, value)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, what, SQLITE_ERROR);
	}
	return store_sqlite_int64(q, st, what, count);
}

int store_sqlite_subscribers_contacted(struct store *s, int platform, int64_t since,
				       int64_t *count)
{
	if (!count)
		return BANDITORE_EINVAL;
	/* last_sent_at 0 is "never": a `since` of 0 or less must not count it. */
	return count_where(store_sqlite_of(s), SQ_RCPT_CONTACTED,
			   "SELECT count(*) FROM subscribers WHERE +platform = ?1"
			   " AND last_sent_at >= ?2 AND last_sent_at > 0",
			   platform, since, "subscribers contacted", count);
}

int store_sqlite_subscribers_unreachable(struct store *s, int platform, int threshold,
					 int64_t *count)
{
	if (!count || threshold < 1)
		return BANDITORE_EINVAL;
	return count_where(store_sqlite_of(s), SQ_RCPT_UNREACHABLE,
			   "SELECT count(*) FROM subscribers WHERE +platform = ?1"
			   " AND failures >= ?2",
			   platform, threshold, "subscribers unreachable", count);
}
