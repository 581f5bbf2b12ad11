/*
 * store_sqlite_subscribers.c - subscribers in SQLite: the consent receipt, the 24-hour
 * window's last message, and erasure of every row about a person.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

/* Binds (platform, hash) as parameters 1 and 2, which every statement here shares. */
static int bind_key(sqlite3_stmt *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN])
{
	if (sqlite3_bind_int(st, 1, platform) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC) != SQLITE_OK)
		return BANDITORE_ESTORE;
	return 0;
}

int store_sqlite_subscriber_get(struct store *s, int platform,
				const uint8_t hash[CRYPTO_HASH_LEN], struct store_subscriber *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t len = 0;
	sqlite3_stmt *st;
	int rc;

	if (!hash || !out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_SUB_GET,
			       "SELECT id, platform, addr_hash, sealed, joined_at, method,"
			       " policy_version, last_inbound_at, consent_detail FROM subscribers"
			       " WHERE platform = ?1 AND addr_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	rc = bind_key(st, platform, hash);
	if (rc)
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = BANDITORE_ENOTFOUND;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		rc = store_sqlite_fail(q, "subscriber get", rc);
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->platform = sqlite3_column_int(st, 1);
	rc = store_sqlite_blob(q, st, 2, out->addr_hash, sizeof(out->addr_hash), &len);
	if (!rc && len != CRYPTO_HASH_LEN)
		rc = BANDITORE_ESTORE;
	if (!rc)
		rc = store_sqlite_blob(q, st, 3, out->sealed, sizeof(out->sealed), &out->sealed_len);
	out->joined_at = sqlite3_column_int64(st, 4);
	if (!rc)
		rc = store_sqlite_text(q, st, 5, out->method, sizeof(out->method));
	if (!rc)
		rc = store_sqlite_text(q, st, 6, out->policy_version, sizeof(out->policy_version));
	out->last_inbound_at = sqlite3_column_int64(st, 7);
	if (!rc)
		rc = store_sqlite_text(q, st, 8, out->consent_detail, sizeof(out->consent_detail));
out:
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_subscriber_add(struct store *s, const struct store_subscriber *sub,
				int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t method_len, policy_len, detail_len;
	sqlite3_stmt *st;
	int rc;

	if (!sub || sub->sealed_len == 0 || sub->sealed_len > STORE_SEALED_MAX)
		return BANDITORE_EINVAL;
	method_len = strnlen(sub->method, sizeof(sub->method));
	policy_len = strnlen(sub->policy_version, sizeof(sub->policy_version));
	detail_len = strnlen(sub->consent_detail, sizeof(sub->consent_detail));
	if (method_len == sizeof(sub->method) || policy_len == sizeof(sub->policy_version) ||
	    detail_len == sizeof(sub->consent_detail))
		return BANDITORE_EINVAL; /* not NUL-terminated */
	st = store_sqlite_stmt(q, SQ_SUB_ADD,
			       "INSERT INTO subscribers (platform, addr_hash, sealed, joined_at,"
			       " method, policy_version, last_inbound_at, consent_detail)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!st)
		return BANDITORE_ESTORE;
	if (bind_key(st, sub->platform, sub->addr_hash) ||
	    sqlite3_bind_blob(st, 3, sub->sealed, (int)sub->sealed_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, sub->joined_at) ||
	    sqlite3_bind_text(st, 5, sub->method, (int)method_len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, sub->policy_version, (int)policy_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 7, sub->last_inbound_at) ||
	    sqlite3_bind_text(st, 8, sub->consent_detail, (int)detail_len, SQLITE_STATIC)) {
		rc = store_sqlite_fail(q, "subscriber add: bind", SQLITE_ERROR);
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = 0;
		if (id)
			*id = sqlite3_last_insert_rowid(q->db);
	} else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		store_sqlite_fail(q, "subscriber add", rc);
		rc = BANDITORE_EEXIST;
	} else {
		rc = store_sqlite_fail(q, "subscriber add", rc);
	}
out:
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_subscriber_touch(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash)
		return BANDITORE_EINVAL;
	/* max(): webhooks arrive out of order; the window opens at the latest message. */
	st = store_sqlite_stmt(q, SQ_SUB_TOUCH,
			       "UPDATE subscribers SET last_inbound_at = max(last_inbound_at, ?3)"
			       " WHERE platform = ?1 AND addr_hash = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (bind_key(st, platform, hash) || sqlite3_bind_int64(st, 3, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscriber touch: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "subscriber touch");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

/* Three index reads in one statement (a join used to run a touch, a pending lookup and
 * a block check, each its own statement); the touch follows only for a subscriber. */
int store_sqlite_sender_lookup(struct store *s, int platform,
			       const uint8_t hash[CRYPTO_HASH_LEN],
			       const uint8_t block_hash[CRYPTO_HASH_LEN], int64_t at,
			       struct store_sender *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!hash || !block_hash || !out)
		return BANDITORE_EINVAL;
	memset(out, 0, sizeof(*out));
	st = store_sqlite_stmt(q, SQ_SENDER_LOOKUP,
			       "SELECT EXISTS (SELECT 1 FROM subscribers"
			       "  WHERE platform = ?1 AND addr_hash = ?2),"
			       " EXISTS (SELECT 1 FROM pending_joins"
			       "  WHERE platform = ?1 AND addr_hash = ?2),"
			       " EXISTS (SELECT 1 FROM blocklist"
			       "  WHERE platform = ?1 AND block_hash = ?3)");
	if (!st)
		return BANDITORE_ESTORE;
	if (bind_key(st, platform, hash) ||
	    sqlite3_bind_blob(st, 3, block_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) != SQLITE_OK) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "sender lookup: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->subscribed = sqlite3_column_int(st, 0);
		out->pending = sqlite3_column_int(st, 1);
		out->blocked = sqlite3_column_int(st, 2);
		rc = 0;
	} else {
		rc = store_sqlite_fail(q, "sender lookup", rc);
	}
	store_sqlite_done(st);
	if (!rc && out->subscribed)
		rc = store_sqlite_subscriber_touch(s, platform, hash, at);
	return rc;
}

/* One DELETE by (platform, addr_hash), using that table's index on the pair. */
static int erase_from(struct store_sqlite *q, enum store_sqlite_stmt id, const char *sql,
		      int platform, const uint8_t hash[CRYPTO_HASH_LEN], int *changes)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, id, sql);
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (bind_key(st, platform, hash)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "erase: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, sql);
	if (!rc && changes)
		*changes = sqlite3_changes(q->db);
	return rc;
}

/* Which of the tables a person seldom has rows in hold any for (platform, hash): bit 0
 * retries, 1 kept messages, 2 auto-reply marks, 3 pending joins. One statement instead
 * of four DELETEs that find nothing, which is what a leave meets almost every time. */
static int erase_probe(struct store_sqlite *q, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
		       int *which)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_ERASE_PROBE,
		"SELECT EXISTS (SELECT 1 FROM retries WHERE subscriber_id ="
		"  (SELECT id FROM subscribers WHERE platform = ?1 AND addr_hash = ?2))"
		" + 2 * EXISTS (SELECT 1 FROM kept_messages WHERE platform = ?1 AND addr_hash = ?2)"
		" + 4 * EXISTS (SELECT 1 FROM autoreply WHERE platform = ?1 AND addr_hash = ?2)"
		" + 8 * EXISTS (SELECT 1 FROM pending_joins WHERE platform = ?1 AND addr_hash = ?2)");
	int64_t v = 0;
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (bind_key(st, platform, hash)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "erase probe: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "erase probe", &v);
	*which = (int)v;
	return rc;
}

/* Every table that holds something about a person is listed here; the schema keeps an
 * index on (platform, addr_hash) in each, or, for retries, which know the subscriber by
 * id only, on subscriber_id (so they go first, while the id can still be found).
 * Counters and a message's totals are anonymous and stay. The subscriber's row and the
 * outbox (a leave's own reply is queued after this) are always deleted; the four others
 * only when erase_probe finds rows in them, in the same transaction. */
int store_sqlite_subscriber_erase(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], int *erased)
{
	struct store_sqlite *q = store_sqlite_of(s);
	int subs = 0, which = 0, rc;

	if (erased)
		*erased = 0;
	if (!hash)
		return BANDITORE_EINVAL;
	rc = erase_probe(q, platform, hash, &which);
	if (!rc && (which & 1))
		rc = erase_from(q, SQ_ERASE_RETRIES,
			"DELETE FROM retries WHERE subscriber_id ="
			" (SELECT id FROM subscribers WHERE platform = ?1 AND addr_hash = ?2)",
			platform, hash, NULL);
	if (!rc)
		rc = erase_from(q, SQ_ERASE_SUBSCRIBER,
				"DELETE FROM subscribers WHERE platform = ?1 AND addr_hash = ?2",
				platform, hash, &subs);
	if (!rc)
		rc = erase_from(q, SQ_ERASE_OUTBOX,
				"DELETE FROM outbox WHERE platform = ?1 AND addr_hash = ?2",
				platform, hash, NULL);
	if (!rc && (which & 2))
		rc = erase_from(q, SQ_ERASE_KEPT,
				"DELETE FROM kept_messages WHERE platform = ?1 AND addr_hash = ?2",
				platform, hash, NULL);
	if (!rc && (which & 4))
		rc = erase_from(q, SQ_ERASE_AUTOREPLY,
				"DELETE FROM autoreply WHERE platform = ?1 AND addr_hash = ?2",
				platform, hash, NULL);
	if (!rc && (which & 8))
		rc = erase_from(q, SQ_ERASE_PENDING,
				"DELETE FROM pending_joins WHERE platform = ?1 AND addr_hash = ?2",
				platform, hash, NULL);
	if (!rc && erased)
		*erased = subs > 0;
	return rc;
}

int store_sqlite_subscriber_count(struct store *s, int platform, int64_t *count)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!count)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_SUB_COUNT,
			       "SELECT count(*) FROM subscribers WHERE platform = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "subscriber count: bind", SQLITE_ERROR);
	}
	return store_sqlite_int64(q, st, "subscriber count", count);
}
