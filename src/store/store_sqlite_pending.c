/*
 * store_sqlite_pending.c - joins waiting for their confirmation (the e-mail double
 * opt-in, WhatsApp's two-step joins and front-desk enrollments) or for staff (the
 * moderation queue) in SQLite: the keyed hash of the link's secret (never the secret),
 * the sealed address, when it was asked, and what the receipt will say. One per
 * address: asking again replaces the older one. store_sqlite_subscriber_erase removes
 * them too, and expiry deletes what was never confirmed or decided.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

static int valid_pending(const struct store_pending *p)
{
	return p && p->sealed_len > 0 && p->sealed_len <= sizeof(p->sealed) &&
	       strnlen(p->policy_version, sizeof(p->policy_version)) < sizeof(p->policy_version) &&
	       (p->state == STORE_PENDING_CONFIRM || p->state == STORE_PENDING_MODERATE) &&
	       strnlen(p->method, sizeof(p->method)) < sizeof(p->method) &&
	       strnlen(p->consent_detail, sizeof(p->consent_detail)) < sizeof(p->consent_detail) &&
	       strnlen(p->ref, sizeof(p->ref)) < sizeof(p->ref);
}

int store_sqlite_pending_put(struct store *s, const struct store_pending *p)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!valid_pending(p))
		return BANDITORE_EINVAL;
	/* OR REPLACE: a conflict on the address (UNIQUE) drops the older request, whose
	 * link stops working. */
	st = store_sqlite_stmt(q, SQ_PENDING_PUT,
			       "INSERT OR REPLACE INTO pending_joins (token_hash, platform, addr_hash,"
			       " sealed, policy_version, created_at, state, method, consent_detail, ref)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, p->token_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, p->platform) ||
	    sqlite3_bind_blob(st, 3, p->addr_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 4, p->sealed, (int)p->sealed_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, p->policy_version, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 6, p->created_at) || sqlite3_bind_int(st, 7, p->state) ||
	    sqlite3_bind_text(st, 8, p->method, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 9, p->consent_detail, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 10, p->ref, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending put: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "pending put");
}

static int read_pending(struct store_sqlite *q, sqlite3_stmt *st, struct store_pending *out)
{
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_sqlite_blob(q, st, 0, out->token_hash, CRYPTO_HASH_LEN, &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	out->platform = sqlite3_column_int(st, 1);
	if (!rc)
		rc = store_sqlite_blob(q, st, 2, out->addr_hash, CRYPTO_HASH_LEN, &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	if (!rc)
		rc = store_sqlite_blob(q, st, 3, out->sealed, sizeof(out->sealed), &out->sealed_len);
	if (!rc)
		rc = store_sqlite_text(q, st, 4, out->policy_version, sizeof(out->policy_version));
	out->created_at = sqlite3_column_int64(st, 5);
	out->state = sqlite3_column_int(st, 6);
	if (!rc)
		rc = store_sqlite_text(q, st, 7, out->method, sizeof(out->method));
	if (!rc)
		rc = store_sqlite_text(q, st, 8, out->consent_detail, sizeof(out->consent_detail));
	if (!rc)
		rc = store_sqlite_text(q, st, 9, out->ref, sizeof(out->ref));
	return rc;
}

#define PENDING_COLUMNS                                                                    \
	"token_hash, platform, addr_hash, sealed, policy_version, created_at, state, method," \
	" consent_detail, ref"

int store_sqlite_pending_get_addr(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], struct store_pending *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_PENDING_GET_ADDR,
			       "SELECT " PENDING_COLUMNS " FROM pending_joins"
			       " WHERE platform = ?1 AND addr_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending get: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_pending(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "pending get", rc);
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_pending_take(struct store *s, const uint8_t token_hash[CRYPTO_HASH_LEN],
			      struct store_pending *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!token_hash || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_PENDING_GET_TOKEN,
			       "SELECT " PENDING_COLUMNS " FROM pending_joins WHERE token_hash = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, token_hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending take: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_pending(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "pending take", rc);
	store_sqlite_done(st);
	if (rc)
		return rc;
	st = store_sqlite_stmt(q, SQ_PENDING_DELETE, "DELETE FROM pending_joins WHERE token_hash = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, token_hash, CRYPTO_HASH_LEN, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending take: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "pending take");
}

int store_sqlite_pending_expire(struct store *s, int64_t before, int64_t *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	st = store_sqlite_stmt(q, SQ_PENDING_EXPIRE, "DELETE FROM pending_joins WHERE created_at < ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending expire: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "pending expire");
	if (!rc && removed)
		*removed = sqlite3_changes(q->db);
	return rc;
}

int store_sqlite_pending_expire_platform(struct store *s, int platform, int64_t before,
					 int64_t *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	st = store_sqlite_stmt(q, SQ_PENDING_EXPIRE_PLATFORM,
			       "DELETE FROM pending_joins WHERE platform = ?1 AND state = 0"
			       " AND created_at < ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending expire platform: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "pending expire platform");
	if (!rc && removed)
		*removed = sqlite3_changes(q->db);
	return rc;
}

int store_sqlite_pending_expire_queue(struct store *s, int platform, int64_t before,
				      int64_t *removed)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	st = store_sqlite_stmt(q, SQ_PENDING_EXPIRE_QUEUE,
			       "DELETE FROM pending_joins WHERE platform = ?1 AND state = 1"
			       " AND created_at < ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int64(st, 2, before)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending expire queue: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "pending expire queue");
	if (!rc && removed)
		*removed = sqlite3_changes(q->db);
	return rc;
}

int store_sqlite_pending_list(struct store *s, int platform, int state, int64_t after_at,
			      const char *after_ref, struct store_pending *out, int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc = 0;

	if (!out || !n || max < 0 || !after_ref)
		return BANDITORE_EINVAL;
	*n = 0;
	/* (created_at, ref) orders the queue; the index on (platform, state, created_at)
	 * serves it. */
	st = store_sqlite_stmt(q, SQ_PENDING_LIST,
			       "SELECT " PENDING_COLUMNS " FROM pending_joins"
			       " WHERE platform = ?1 AND state = ?2 AND (created_at > ?3"
			       " OR (created_at = ?3 AND ref > ?4)) ORDER BY created_at, ref LIMIT ?5");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) || sqlite3_bind_int(st, 2, state) ||
	    sqlite3_bind_int64(st, 3, after_at) ||
	    sqlite3_bind_text(st, 4, after_ref, -1, SQLITE_STATIC) || sqlite3_bind_int(st, 5, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending list: bind", SQLITE_ERROR);
	}
	while (*n < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "pending list", step);
			break;
		}
		rc = read_pending(q, st, &out[*n]);
		if (rc)
			break;
		(*n)++;
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_pending_get_ref(struct store *s, const char *ref, struct store_pending *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!ref || !*ref || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_PENDING_GET_REF,
			       "SELECT " PENDING_COLUMNS " FROM pending_joins WHERE ref = ?1 AND ref <> ''");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "pending get ref: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = read_pending(q, st, out);
	else if (rc == SQLITE_DONE)
		rc = BANDITORE_ENOTFOUND;
	else
		rc = store_sqlite_fail(q, "pending get ref", rc);
	store_sqlite_done(st);
	return rc;
}
