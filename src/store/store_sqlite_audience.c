/*
 * store_sqlite_audience.c - who a message reaches, in SQLite: the stable bit of each
 * category and area name (audience_bits), what each subscriber chose (two INTEGER masks
 * on the subscriber's row, 0 meaning "everything"), a message's target areas and the
 * filter fixed when it was approved (message_audience), and the broadcast's page scan
 * with that filter.
 *
 * Why masks: the broadcast walks the subscribers in rowid order, a page at a time; a
 * choice held on the row itself is tested there at the cost of two AND operations per
 * row, with no join and no second table to read. The bit of a name never changes while
 * the name exists, so a configuration whose sections are reordered keeps its meanings;
 * a name that left the configuration is pruned (its bit cleared from every subscriber)
 * before its bit can mean something else.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

static int name_ok(const char *name)
{
	size_t n = name ? strnlen(name, STORE_AUDIENCE_NAME_MAX) : 0;
	return n > 0 && n < STORE_AUDIENCE_NAME_MAX;
}

int store_sqlite_audience_bit(struct store *s, int kind, const char *name, int assign, int *bit)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int64_t v = -1;
	int rc;

	if (!bit || !name_ok(name) || (kind != STORE_AUDIENCE_CATEGORY && kind != STORE_AUDIENCE_AREA))
		return BANDITORE_EINVAL;
	*bit = -1;
	st = store_sqlite_stmt(q, SQ_AUD_BIT_GET,
			       "SELECT bit FROM audience_bits WHERE kind = ?1 AND name = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, kind) || sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audience bit: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "audience bit", &v);
	if (rc == 0) {
		*bit = (int)v;
		return 0;
	}
	if (rc != BANDITORE_ENOTFOUND || !assign)
		return rc == BANDITORE_ENOTFOUND ? 0 : rc;
	/* The lowest free bit, in one statement (the table holds at most 63 rows). */
	st = store_sqlite_stmt(q, SQ_AUD_BIT_ADD,
			       "INSERT INTO audience_bits (kind, name, bit)"
			       " SELECT ?1, ?2, b.n FROM (WITH RECURSIVE r(n) AS (SELECT 0 UNION ALL"
			       "  SELECT n + 1 FROM r WHERE n < 62) SELECT n FROM r) AS b"
			       " WHERE b.n NOT IN (SELECT bit FROM audience_bits WHERE kind = ?1)"
			       " ORDER BY b.n LIMIT 1 RETURNING bit");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, kind) || sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audience bit add: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "audience bit add", &v);
	if (rc == BANDITORE_ENOTFOUND)
		return BANDITORE_ETOOBIG; /* all 63 taken */
	if (rc)
		return rc;
	*bit = (int)v;
	return 0;
}

int store_sqlite_audience_prune(struct store *s, int kind, const char *const *live, int n,
				int *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *list = NULL, *clear = NULL, *del = NULL, *msgs = NULL;
	int bits[STORE_AUDIENCE_BITS], n_bits = 0, gone = 0, rc = 0;

	if (removed)
		*removed = 0;
	if ((n > 0 && !live) || n < 0 || (kind != STORE_AUDIENCE_CATEGORY && kind != STORE_AUDIENCE_AREA))
		return BANDITORE_EINVAL;
	/* Few rows and a rare call (the daemon's start): prepared here, not cached. */
	if (sqlite3_prepare_v2(q->db, "SELECT name, bit FROM audience_bits WHERE kind = ?1", -1,
			       &list, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db,
			       kind == STORE_AUDIENCE_CATEGORY
				       ? "UPDATE subscribers SET categories = categories & ~(1 << ?1)"
					 " WHERE categories & (1 << ?1)"
				       : "UPDATE subscribers SET areas = areas & ~(1 << ?1)"
					 " WHERE areas & (1 << ?1)",
			       -1, &clear, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(q->db, "DELETE FROM audience_bits WHERE kind = ?1 AND bit = ?2", -1,
			       &del, NULL) != SQLITE_OK ||
	    /* A message whose filter named it (one still waiting or sending): the bit goes
	     * from its filter too, so that a name given the bit later does not narrow it;
	     * a filter left empty lets everyone through (more, never fewer). */
	    sqlite3_prepare_v2(q->db,
			       kind == STORE_AUDIENCE_CATEGORY
				       ? "UPDATE message_audience SET categories_mask ="
					 " categories_mask & ~(1 << ?1) WHERE categories_mask & (1 << ?1)"
				       : "UPDATE message_audience SET areas_mask = areas_mask & ~(1 << ?1)"
					 " WHERE areas_mask & (1 << ?1)",
			       -1, &msgs, NULL) != SQLITE_OK) {
		rc = store_sqlite_fail(q, "audience prune: prepare", sqlite3_errcode(q->db));
		goto out;
	}
	sqlite3_bind_int(list, 1, kind);
	for (;;) {
		int step = sqlite3_step(list), keep = 0;
		const char *name;
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "audience prune: list", step);
			goto out;
		}
		name = (const char *)sqlite3_column_text(list, 0);
		for (int i = 0; name && i < n; i++)
			keep |= live[i] && !strcmp(live[i], name);
		if (!keep && n_bits < STORE_AUDIENCE_BITS)
			bits[n_bits++] = sqlite3_column_int(list, 1);
	}
	for (int i = 0; i < n_bits; i++) {
		sqlite3_reset(clear);
		sqlite3_bind_int(clear, 1, bits[i]);
		sqlite3_reset(del);
		sqlite3_bind_int(del, 1, kind);
		sqlite3_bind_int(del, 2, bits[i]);
		sqlite3_reset(msgs);
		sqlite3_bind_int(msgs, 1, bits[i]);
		if (sqlite3_step(clear) != SQLITE_DONE || sqlite3_step(del) != SQLITE_DONE ||
		    sqlite3_step(msgs) != SQLITE_DONE) {
			rc = store_sqlite_fail(q, "audience prune", sqlite3_errcode(q->db));
			goto out;
		}
		gone++;
	}
	if (removed)
		*removed = gone;
out:
	sqlite3_finalize(list);
	sqlite3_finalize(clear);
	sqlite3_finalize(del);
	sqlite3_finalize(msgs);
	return rc;
}

int store_sqlite_subscriber_set_audience(struct store *s, int platform,
					 const uint8_t hash[CRYPTO_HASH_LEN], uint64_t categories,
					 uint64_t areas)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUD_SUB_SET,
			       "UPDATE subscribers SET categories = ?3, areas = ?4"
			       " WHERE platform = ?1 AND addr_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, (int64_t)categories) ||
	    sqlite3_bind_int64(st, 4, (int64_t)areas)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscriber audience: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "subscriber audience");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

int store_sqlite_subscriber_get_audience(struct store *s, int platform,
					 const uint8_t hash[CRYPTO_HASH_LEN], uint64_t *categories,
					 uint64_t *areas)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash || !categories || !areas)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUD_SUB_GET,
			       "SELECT categories, areas FROM subscribers"
			       " WHERE platform = ?1 AND addr_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscriber audience get: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*categories = (uint64_t)sqlite3_column_int64(st, 0);
		*areas = (uint64_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = BANDITORE_ENOTFOUND;
	} else {
		rc = store_sqlite_fail(q, "subscriber audience get", rc);
	}
	store_sqlite_done(st);
	return rc;
}

/* A filter that lets everyone through is no filter: the broadcast's plain scan. */
static int no_filter(const struct store_audience *aud)
{
	return !aud || (aud->categories == 0 && aud->areas == 0);
}

int store_sqlite_subscribers_page_for(struct store *s, int platform, int64_t after_id,
				      int64_t max_id, int skip_failures,
				      const struct store_audience *aud, struct store_recipient *out,
				      int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (no_filter(aud))
		return store_sqlite_subscribers_page(s, platform, after_id, max_id, skip_failures,
						     out, max, n);
	if (n)
		*n = 0;
	if (!out || !n || max < 0 || skip_failures < 0)
		return BANDITORE_EINVAL;
	if (max == 0 || max_id <= after_id)
		return 0;
	/* The same range scan as store_subscribers_page, with the choice tested per row. */
	st = store_sqlite_stmt(q, SQ_AUD_PAGE,
			       "SELECT id, sealed, failures, last_sent_at FROM subscribers"
			       " WHERE id > ?2 AND id <= ?3 AND +platform = ?1"
			       " AND (?4 = 0 OR failures < ?4)"
			       " AND (?6 = 0 OR categories = 0 OR (categories & ?6) <> 0)"
			       " AND (?7 = 0 OR areas = 0 OR (areas & ?7) <> 0)"
			       " ORDER BY id LIMIT ?5");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, after_id) ||
	    sqlite3_bind_int64(st, 3, max_id) || sqlite3_bind_int(st, 4, skip_failures) ||
	    sqlite3_bind_int(st, 5, max) || sqlite3_bind_int64(st, 6, (int64_t)aud->categories) ||
	    sqlite3_bind_int64(st, 7, (int64_t)aud->areas)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscribers page for: bind", SQLITE_ERROR);
	}
	while (got < max) {
		struct store_recipient *r = &out[got];
		int step = sqlite3_step(st);

		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "subscribers page for", step);
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

int store_sqlite_message_get_audience(struct store *s, int64_t id, struct store_audience *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!out)
		return BANDITORE_EINVAL;
	memset(out, 0, sizeof(*out));
	st = store_sqlite_stmt(q, SQ_AUD_MSG_GET,
			       "SELECT categories_mask, areas_mask FROM message_audience"
			       " WHERE message_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message audience: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->categories = (uint64_t)sqlite3_column_int64(st, 0);
		out->areas = (uint64_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0; /* no row: no filter */
	} else {
		rc = store_sqlite_fail(q, "message audience", rc);
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_message_recipients(struct store *s, int64_t message_id, int platform,
				    int64_t after_id, int64_t max_id, int skip_failures,
				    struct store_recipient *out, int max, int *n)
{
	struct store_audience aud;
	int rc;

	if (n)
		*n = 0;
	/* One primary-key read per page: the filter fixed when the message was approved. */
	rc = store_sqlite_message_get_audience(s, message_id, &aud);
	if (rc)
		return rc;
	return store_sqlite_subscribers_page_for(s, platform, after_id, max_id, skip_failures,
						 &aud, out, max, n);
}

int store_sqlite_message_set_audience(struct store *s, int64_t id, const struct store_audience *aud)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!aud)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUD_MSG_SET,
			       "INSERT INTO message_audience (message_id, categories_mask, areas_mask)"
			       " VALUES (?1, ?2, ?3) ON CONFLICT (message_id) DO UPDATE SET"
			       " categories_mask = excluded.categories_mask,"
			       " areas_mask = excluded.areas_mask");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, (int64_t)aud->categories) ||
	    sqlite3_bind_int64(st, 3, (int64_t)aud->areas)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message audience set: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "message audience set");
}

int store_sqlite_message_set_areas(struct store *s, int64_t id, const char *areas)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	size_t len = areas ? strnlen(areas, STORE_TARGETS_MAX) : 0;

	if (len == STORE_TARGETS_MAX)
		return BANDITORE_ETOOBIG;
	st = store_sqlite_stmt(q, SQ_AUD_MSG_SET_AREAS,
			       "INSERT INTO message_audience (message_id, areas) VALUES (?1, ?2)"
			       " ON CONFLICT (message_id) DO UPDATE SET areas = excluded.areas");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_text(st, 2, len ? areas : "", (int)len, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message areas set: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "message areas set");
}

int store_sqlite_message_get_areas(struct store *s, int64_t id, char *out, size_t cap)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!out || cap == 0)
		return BANDITORE_EINVAL;
	out[0] = '\0';
	st = store_sqlite_stmt(q, SQ_AUD_MSG_GET_AREAS,
			       "SELECT areas FROM message_audience WHERE message_id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message areas: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = store_sqlite_text(q, st, 0, out, cap);
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_sqlite_fail(q, "message areas", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_audience_count(struct store *s, const struct store_audience *aud,
				int64_t *counts, int n_platforms)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct store_audience all = { 0, 0 };
	sqlite3_stmt *st;
	int rc = 0;

	if (!counts || n_platforms <= 0)
		return BANDITORE_EINVAL;
	if (!aud)
		aud = &all;
	for (int i = 0; i < n_platforms; i++)
		counts[i] = 0;
	/* One pass for every platform at once, over the covering index subscribers_audience
	 * (platform, categories, areas): never a row of the table. */
	st = store_sqlite_stmt(q, SQ_AUD_COUNT,
			       "SELECT platform, count(*) FROM subscribers INDEXED BY subscribers_audience"
			       " WHERE (?1 = 0 OR categories = 0 OR (categories & ?1) <> 0)"
			       " AND (?2 = 0 OR areas = 0 OR (areas & ?2) <> 0) GROUP BY platform");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, (int64_t)aud->categories) ||
	    sqlite3_bind_int64(st, 2, (int64_t)aud->areas)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "audience count: bind", SQLITE_ERROR);
	}
	for (;;) {
		int step = sqlite3_step(st), p;
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "audience count", step);
			break;
		}
		p = sqlite3_column_int(st, 0);
		if (p >= 0 && p < n_platforms)
			counts[p] = sqlite3_column_int64(st, 1);
	}
	store_sqlite_done(st);
	return rc;
}
