/*
 * store_sqlite_archive.c - the public archive: messages citizens may read, by category
 * and by words (SQLite FTS5 over title and text: migration 8, kept up to date by
 * store_sqlite_archive_index, which adding and editing a message call).
 *
 * Only ids are selected here; each message is then read through store_sqlite_message_get,
 * so that there is one way of reading a message row.
 */
#include "store/store_sqlite.h"

#include "common/buf.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_WORDS_MAX 8

/* The FTS5 query for what a citizen typed: each word quoted (so no FTS5 syntax gets
 * through), all of them required, the last one as a prefix ("viab" finds "viabilità").
 * Words are runs of letters and digits (any byte >= 0x80 counts as a letter). */
static int fts_query(const char *search, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)search;
	int words = 0, rc = 0;

	while (*p && words < SEARCH_WORDS_MAX) {
		const unsigned char *w;
		while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')))
			p++;
		w = p;
		while (*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z'))
			p++;
		if (p == w)
			break;
		rc |= buf_appends(out, words ? " \"" : "\"");
		rc |= buf_append(out, w, (size_t)(p - w));
		rc |= buf_appends(out, "\"");
		words++;
	}
	if (rc)
		return BANDITORE_ETOOBIG;
	if (words)
		rc = buf_appends(out, "*");
	return words ? rc : BANDITORE_ENOTFOUND;
}

int store_sqlite_archive_list(struct store *s, const struct store_archive_query *aq,
			      struct store_message *out, int max, int *n, int64_t *total)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct buf sql, match;
	sqlite3_stmt *st = NULL;
	int64_t ids[256];
	int got = 0, rc = 0, step, bind = 1, has_match = 0;
	const char *cat = aq && aq->category && *aq->category ? aq->category : NULL;

	if (n)
		*n = 0;
	if (total)
		*total = 0;
	if (!aq || !out || !n || max < 0 || max > 256 || aq->offset < 0)
		return BANDITORE_EINVAL;
	buf_init(&sql, 4096);
	buf_init(&match, 2048);
	if (aq->search && *aq->search) {
		rc = fts_query(aq->search, &match);
		if (rc == BANDITORE_ENOTFOUND)
			rc = 0; /* only punctuation: no search */
		else if (rc)
			goto done;
		else
			has_match = 1;
	}
	rc = buf_appends(&sql, "SELECT id, count(*) OVER () FROM messages WHERE ");
	rc |= buf_appends(&sql, aq->alerts
		? "priority = 1 AND (state IN (3, 4, 5) OR (state IN (6, 7) AND started_at > 0))"
		: "state IN (4, 5)");
	if (cat)
		rc |= buf_appendf(&sql, " AND category = ?%d", bind++);
	if (has_match)
		rc |= buf_appendf(&sql, " AND id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?%d)",
				  bind++);
	rc |= buf_appendf(&sql, " ORDER BY started_at DESC, id DESC LIMIT ?%d OFFSET ?%d", bind, bind + 1);
	if (rc) {
		rc = BANDITORE_ENOMEM;
		goto done;
	}
	if (sqlite3_prepare_v2(q->db, buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
		rc = store_sqlite_fail(q, "archive list: prepare", sqlite3_errcode(q->db));
		goto done;
	}
	bind = 1;
	if (cat && sqlite3_bind_text(st, bind++, cat, -1, SQLITE_STATIC))
		goto bind_fail;
	if (has_match && sqlite3_bind_text(st, bind++, buf_cstr(&match), -1, SQLITE_STATIC))
		goto bind_fail;
	if (sqlite3_bind_int(st, bind, max) || sqlite3_bind_int(st, bind + 1, aq->offset))
		goto bind_fail;
	while (got < max && (step = sqlite3_step(st)) == SQLITE_ROW) {
		ids[got++] = sqlite3_column_int64(st, 0);
		if (total)
			*total = sqlite3_column_int64(st, 1);
	}
	if (got < max && step != SQLITE_DONE) {
		rc = store_sqlite_fail(q, "archive list", step);
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (total && got == 0 && aq->offset > 0) {
		/* past the end: still say how many there are */
		struct store_archive_query first = *aq;
		struct store_message one;
		int none;
		first.offset = 0;
		memset(&one, 0, sizeof(one));
		rc = store_sqlite_archive_list(s, &first, &one, 1, &none, total);
		store_message_clear(&one);
		if (rc)
			goto done;
	}
	for (int i = 0; i < got; i++) {
		rc = store_sqlite_message_get(s, ids[i], &out[i]);
		if (rc) {
			for (int k = 0; k < i; k++)
				store_message_clear(&out[k]);
			goto done;
		}
	}
	*n = got;
	goto done;
bind_fail:
	rc = store_sqlite_fail(q, "archive list: bind", SQLITE_ERROR);
done:
	sqlite3_finalize(st);
	buf_free(&sql);
	buf_free(&match);
	return rc;
}

int store_sqlite_archive_index(struct store_sqlite *q, int64_t id, const char *title,
			       const char *text)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_FTS_DELETE,
					     "DELETE FROM messages_fts WHERE rowid = ?1");
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "archive index: bind", SQLITE_ERROR);
	}
	if ((rc = store_sqlite_exec(q, st, "archive index: delete")))
		return rc;
	st = store_sqlite_stmt(q, SQ_FTS_INSERT,
			       "INSERT INTO messages_fts (rowid, title, text) VALUES (?1, ?2, ?3)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, text ? text : "", -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "archive index: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "archive index: insert");
}
