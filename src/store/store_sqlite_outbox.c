/*
 * store_sqlite_outbox.c - the outbox in SQLite: replies persisted in the same
 * transaction as the event that caused them, read by the sender in (not_before, id)
 * order, then removed or rescheduled by id.
 *
 * A body is what the citizen will read, and for a staff reply it is personal data: it is
 * kept sealed (body_sealed, store_seal.h) and `body` stays empty. A canned reply (the
 * same words for everyone, from the configuration) has no body here, only its name. Rows queued before
 * bodies were sealed still hold theirs in `body` and are read as they are; they are gone
 * as soon as they are sent, minutes after an upgrade.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/store_seal.h"
#include "store/store_sqlite.h"

/* A canned reply's name: lower-case letters and '-', not empty, bounded. */
static int canned_ok(const char *name, size_t *len)
{
	size_t n = strnlen(name, STORE_CANNED_MAX);

	if (n == 0 || n == STORE_CANNED_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '-'))
			return 0;
	*len = n;
	return 1;
}

int store_sqlite_outbox_add(struct store *s, const struct store_outbox_item *item, int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t kind_len, body_len, sealed_len = 0, canned_len = 0;
	uint8_t *sealed = NULL;
	sqlite3_stmt *st;
	int rc, canned;

	if (!item || item->sealed_len == 0 || item->sealed_len > STORE_SEALED_MAX ||
	    item->attempts < 0)
		return BANDITORE_EINVAL;
	canned = item->canned[0] != '\0';
	if (canned ? !canned_ok(item->canned, &canned_len) || (item->body && *item->body)
		   : !item->body)
		return BANDITORE_EINVAL;
	kind_len = strnlen(item->kind, sizeof(item->kind));
	if (kind_len == sizeof(item->kind))
		return BANDITORE_EINVAL;
	if (!canned) {
		body_len = strnlen(item->body, STORE_BODY_MAX + 1);
		if (body_len > STORE_BODY_MAX)
			return BANDITORE_ETOOBIG;
		/* No key, no row: a body is never written in plaintext instead. */
		rc = store_seal_body(item->platform, item->addr_hash, item->body, body_len,
				     &sealed, &sealed_len);
		if (rc)
			return rc;
	}
	st = store_sqlite_stmt(q, SQ_OUTBOX_ADD,
			       "INSERT INTO outbox (platform, addr_hash, sealed, kind, body,"
			       " body_sealed, attempts, not_before, created_at, canned)"
			       " VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?8, ?9)");
	if (!st) {
		rc = BANDITORE_ESTORE;
		goto out;
	}
	if (sqlite3_bind_int(st, 1, item->platform) ||
	    sqlite3_bind_blob(st, 2, item->addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 3, item->sealed, (int)item->sealed_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, item->kind, (int)kind_len, SQLITE_STATIC) ||
	    (canned ? sqlite3_bind_null(st, 5)
		    : sqlite3_bind_blob(st, 5, sealed, (int)sealed_len, SQLITE_STATIC)) ||
	    sqlite3_bind_int(st, 6, item->attempts) || sqlite3_bind_int64(st, 7, item->not_before) ||
	    sqlite3_bind_int64(st, 8, item->created_at) ||
	    sqlite3_bind_text(st, 9, item->canned, (int)canned_len, SQLITE_STATIC)) {
		store_sqlite_done(st);
		rc = store_sqlite_fail(q, "outbox add: bind", SQLITE_ERROR);
		goto out;
	}
	rc = store_sqlite_exec(q, st, "outbox add");
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(q->db);
out:
	free(sealed); /* ciphertext: nothing to wipe */
	return rc;
}

/* Fills *it from the current row; the body is opened (or, queued before bodies were
 * sealed, copied) into memory the caller frees. */
static int read_item(struct store_sqlite *q, sqlite3_stmt *st, struct store_outbox_item *it)
{
	const unsigned char *body;
	size_t len = 0;
	int n, rc;

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	it->platform = sqlite3_column_int(st, 1);
	rc = store_sqlite_blob(q, st, 2, it->addr_hash, sizeof(it->addr_hash), &len);
	if (!rc)
		rc = store_sqlite_blob(q, st, 3, it->sealed, sizeof(it->sealed), &it->sealed_len);
	if (!rc)
		rc = store_sqlite_text(q, st, 4, it->kind, sizeof(it->kind));
	if (rc)
		return rc;
	it->attempts = sqlite3_column_int(st, 6);
	it->not_before = sqlite3_column_int64(st, 7);
	it->created_at = sqlite3_column_int64(st, 8);
	rc = store_sqlite_text(q, st, 10, it->canned, sizeof(it->canned));
	if (rc)
		return rc;
	if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
		const uint8_t *sealed = sqlite3_column_blob(st, 9);
		n = sqlite3_column_bytes(st, 9);
		if (!sealed)
			return BANDITORE_ENOMEM;
		return store_open_body(it->platform, it->addr_hash, sealed, (size_t)n, &it->body);
	}
	body = sqlite3_column_text(st, 5);
	n = sqlite3_column_bytes(st, 5);
	if (!body && n > 0)
		return BANDITORE_ENOMEM;
	it->body = malloc((size_t)n + 1);
	if (!it->body)
		return BANDITORE_ENOMEM;
	if (n > 0)
		memcpy(it->body, body, (size_t)n);
	it->body[n] = '\0';
	return 0;
}

/* Whether `id` is in skip[0..n) (ascending). */
static int skipped(const int64_t *skip, int n, int64_t id)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (skip[mid] == id)
			return 1;
		if (skip[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int store_sqlite_outbox_due(struct store *s, int64_t now, const int64_t *skip, int n_skip,
			    struct store_outbox_item *items, int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (n)
		*n = 0;
	if (!items || !n || max < 0 || n_skip < 0 || (n_skip > 0 && !skip) ||
	    max > INT_MAX - n_skip)
		return BANDITORE_EINVAL;
	for (int i = 1; i < n_skip; i++)
		if (skip[i - 1] > skip[i])
			return BANDITORE_EINVAL;
	if (max == 0)
		return 0;
	st = store_sqlite_stmt(q, SQ_OUTBOX_DUE,
			       "SELECT id, platform, addr_hash, sealed, kind, body, attempts,"
			       " not_before, created_at, body_sealed, canned FROM outbox o"
			       " WHERE not_before <= ?1 AND NOT EXISTS (SELECT 1 FROM outbox p"
			       "  WHERE p.platform = o.platform AND p.addr_hash = o.addr_hash"
			       "  AND p.id < o.id)"
			       " ORDER BY not_before, id LIMIT ?2");
	if (!st)
		return BANDITORE_ESTORE;
	/* The skipped rows are among the first due, so as many more rows may come before
	 * `max` others have. */
	if (sqlite3_bind_int64(st, 1, now) || sqlite3_bind_int(st, 2, max + n_skip)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "outbox due: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "outbox due", step);
			break;
		}
		if (n_skip && skipped(skip, n_skip, sqlite3_column_int64(st, 0)))
			continue; /* neither read nor opened */
		rc = read_item(q, st, &items[got]);
		if (rc) {
			store_outbox_item_clear(&items[got]);
			break;
		}
		got++;
	}
	store_sqlite_done(st);
	if (rc) {
		while (got > 0)
			store_outbox_item_clear(&items[--got]);
		return rc;
	}
	*n = got;
	return 0;
}

/* Runs a statement that changes the row with id ?1; *changes gets how many it changed. */
static int by_id(struct store_sqlite *q, sqlite3_stmt *st, int64_t id, const char *what,
		 int *changes)
{
	int rc;

	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, what, SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, what);
	if (!rc)
		*changes = sqlite3_changes(q->db);
	return rc;
}

int store_sqlite_outbox_remove(struct store *s, int64_t id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_OUTBOX_REMOVE, "DELETE FROM outbox WHERE id = ?1");
	int changes = 0;

	if (!st)
		return BANDITORE_ESTORE;
	return by_id(q, st, id, "outbox remove", &changes); /* gone already is fine */
}

int store_sqlite_outbox_reschedule(struct store *s, int64_t id, int attempts,
				   int64_t not_before)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int changes = 0, rc;

	if (attempts < 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_OUTBOX_RESCHEDULE,
			       "UPDATE outbox SET attempts = ?2, not_before = ?3 WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 2, attempts) || sqlite3_bind_int64(st, 3, not_before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "outbox reschedule: bind", SQLITE_ERROR);
	}
	rc = by_id(q, st, id, "outbox reschedule", &changes);
	return rc ? rc : changes ? 0 : BANDITORE_ENOTFOUND;
}

int store_sqlite_outbox_next_time(struct store *s, int64_t *when)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!when)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_OUTBOX_NEXT, "SELECT min(not_before) FROM outbox");
	if (!st)
		return BANDITORE_ESTORE;
	return store_sqlite_int64(q, st, "outbox next time", when);
}

int store_sqlite_outbox_count(struct store *s, int64_t *count)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!count)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_OUTBOX_COUNT, "SELECT count(*) FROM outbox");
	if (!st)
		return BANDITORE_ESTORE;
	return store_sqlite_int64(q, st, "outbox count", count);
}
