/*
 * store_sqlite_kept.c - private messages kept sealed in SQLite until staff answer them
 * or they expire (keep-until-answered).
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

int store_sqlite_kept_add(struct store *s, const struct store_kept_message *m, int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!m || m->sealed_addr_len == 0 || m->sealed_addr_len > sizeof(m->sealed_addr) ||
	    m->sealed_text_len > sizeof(m->sealed_text))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_KEPT_ADD,
			       "INSERT INTO kept_messages (platform, addr_hash, sealed_addr,"
			       " sealed_text, received_at, expires_at)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!st)
		return BANDITORE_ESTORE;
	/* sealed_text is an array, never NULL: an empty text is a zero-length BLOB. */
	if (sqlite3_bind_int(st, 1, m->platform) ||
	    sqlite3_bind_blob(st, 2, m->addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 3, m->sealed_addr, (int)m->sealed_addr_len, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 4, m->sealed_text, (int)m->sealed_text_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, m->received_at) || sqlite3_bind_int64(st, 6, m->expires_at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "kept add: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "kept add");
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(q->db);
	return rc;
}

static int read_kept(struct store_sqlite *q, sqlite3_stmt *st, struct store_kept_message *m)
{
	size_t len = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->platform = sqlite3_column_int(st, 1);
	rc = store_sqlite_blob(q, st, 2, m->addr_hash, sizeof(m->addr_hash), &len);
	if (!rc)
		rc = store_sqlite_blob(q, st, 3, m->sealed_addr, sizeof(m->sealed_addr),
				       &m->sealed_addr_len);
	if (!rc)
		rc = store_sqlite_blob(q, st, 4, m->sealed_text, sizeof(m->sealed_text),
				       &m->sealed_text_len);
	m->received_at = sqlite3_column_int64(st, 5);
	m->expires_at = sqlite3_column_int64(st, 6);
	return rc;
}

int store_sqlite_kept_list(struct store *s, int64_t after_id, struct store_kept_message *out,
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
	st = store_sqlite_stmt(q, SQ_KEPT_LIST,
			       "SELECT id, platform, addr_hash, sealed_addr, sealed_text,"
			       " received_at, expires_at FROM kept_messages"
			       " WHERE id > ?1 ORDER BY id LIMIT ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, after_id) || sqlite3_bind_int(st, 2, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "kept list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "kept list", step);
			break;
		}
		rc = read_kept(q, st, &out[got]);
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

int store_sqlite_kept_remove(struct store *s, int64_t id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_KEPT_REMOVE,
					     "DELETE FROM kept_messages WHERE id = ?1");
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "kept remove: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "kept remove");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

/* A message is kept until its expiry time, and gone from that second on. */
int store_sqlite_kept_expire(struct store *s, int64_t now, int64_t *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_KEPT_EXPIRE,
					     "DELETE FROM kept_messages WHERE expires_at <= ?1");
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, now)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "kept expire: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "kept expire");
	if (!rc && removed)
		*removed = sqlite3_changes64(q->db);
	return rc;
}
