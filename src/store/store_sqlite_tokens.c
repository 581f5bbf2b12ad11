/*
 * store_sqlite_tokens.c - API tokens in SQLite: the SHA-256 of each secret (never the
 * secret), a name unique among the valid ones, revoked by name (or all of an owner's, when
 * a staff account is revoked) and kept afterwards so that a revoked secret is recognised
 * as revoked rather than unknown.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

int store_sqlite_token_add(struct store *s, const struct store_token *t, int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t name_len, scopes_len;
	sqlite3_stmt *st;
	int rc;

	if (!t || t->revoked_at < 0)
		return BANDITORE_EINVAL;
	name_len = strnlen(t->name, sizeof(t->name));
	scopes_len = strnlen(t->scopes, sizeof(t->scopes));
	if (name_len == 0 || name_len == sizeof(t->name) || scopes_len == sizeof(t->scopes) ||
	    strnlen(t->owner, sizeof(t->owner)) == sizeof(t->owner))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_TOKEN_ADD,
			       "INSERT INTO api_tokens (name, hash, scopes, created_at, revoked_at,"
			       " owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, t->name, (int)name_len, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 2, t->hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, t->scopes, (int)scopes_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, t->created_at) || sqlite3_bind_int64(st, 5, t->revoked_at) ||
	    sqlite3_bind_text(st, 6, t->owner, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "token add: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
		if (id)
			*id = sqlite3_last_insert_rowid(q->db);
	} else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		/* The name among valid tokens, or (never in practice) the same secret. */
		store_sqlite_fail(q, "token add", rc);
		rc = BANDITORE_EEXIST;
	} else {
		rc = store_sqlite_fail(q, "token add", rc);
	}
	store_sqlite_done(st);
	return rc;
}

static int read_token(struct store_sqlite *q, sqlite3_stmt *st, struct store_token *t)
{
	size_t len = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	rc = store_sqlite_text(q, st, 1, t->name, sizeof(t->name));
	if (!rc)
		rc = store_sqlite_blob(q, st, 2, t->hash, sizeof(t->hash), &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	if (!rc)
		rc = store_sqlite_text(q, st, 3, t->scopes, sizeof(t->scopes));
	t->created_at = sqlite3_column_int64(st, 4);
	t->revoked_at = sqlite3_column_int64(st, 5);
	if (!rc)
		rc = store_sqlite_text(q, st, 6, t->owner, sizeof(t->owner));
	return rc;
}

int store_sqlite_token_find(struct store *s, const uint8_t hash[CRYPTO_HASH_LEN],
			    struct store_token *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_TOKEN_FIND,
			       "SELECT id, name, hash, scopes, created_at, revoked_at, owner"
			       " FROM api_tokens WHERE hash = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "token find: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_token(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "token find", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_token_revoke(struct store *s, const char *name, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	size_t name_len;
	int rc;

	/* revoked_at 0 means valid: a revocation needs a real time. */
	if (!name || at <= 0)
		return BANDITORE_EINVAL;
	name_len = strnlen(name, sizeof(((struct store_token *)0)->name));
	if (name_len == 0 || name_len == sizeof(((struct store_token *)0)->name))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_TOKEN_REVOKE,
			       "UPDATE api_tokens SET revoked_at = ?2"
			       " WHERE name = ?1 AND revoked_at = 0");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, name, (int)name_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "token revoke: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "token revoke");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

int store_sqlite_token_list(struct store *s, struct store_token *out, int max, int *n)
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
	st = store_sqlite_stmt(q, SQ_TOKEN_LIST,
			       "SELECT id, name, hash, scopes, created_at, revoked_at, owner"
			       " FROM api_tokens ORDER BY id LIMIT ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "token list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "token list", step);
			break;
		}
		rc = read_token(q, st, &out[got]);
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

int store_sqlite_token_revoke_owner(struct store *s, const char *owner, int64_t at,
				    int64_t *revoked)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!owner || !*owner || at <= 0 ||
	    strnlen(owner, sizeof(((struct store_token *)0)->owner)) ==
		    sizeof(((struct store_token *)0)->owner))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_TOKEN_REVOKE_OWNER,
			       "UPDATE api_tokens SET revoked_at = ?2"
			       " WHERE owner = ?1 AND revoked_at = 0");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC) || sqlite3_bind_int64(st, 2, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "token revoke owner: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "token revoke owner");
	if (!rc && revoked)
		*revoked = sqlite3_changes(q->db);
	return rc;
}
