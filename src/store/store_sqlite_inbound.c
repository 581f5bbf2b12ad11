/*
 * store_sqlite_inbound.c - what each inbound webhook event touches in SQLite: the event
 * id seen once, the auto-reply mark, the anonymous daily counters.
 *
 * These run for every event, thousands per second, so each is one cached statement and
 * one step: UPSERTs decide "new or seen" and "due or not" inside SQLite, reading back
 * only sqlite3_changes(), instead of a SELECT followed by a write. Counter increments
 * made inside a transaction are folded in memory and written once at its commit.
 */
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

#define COUNTER_NAME_MAX STORE_SQLITE_COUNTER_NAME_MAX

int store_sqlite_event_mark(struct store *s, const uint8_t event_hash[CRYPTO_HASH_LEN],
			    int64_t now)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (!event_hash)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_EVENT_MARK,
			       "INSERT INTO events (event_hash, seen_at) VALUES (?1, ?2)"
			       " ON CONFLICT (event_hash) DO NOTHING");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_blob(st, 1, event_hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "event mark: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "event mark");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_EEXIST;
	return rc;
}

/* Runs a DELETE whose only parameter is a time; *removed (may be NULL) gets the count. */
static int delete_before(struct store_sqlite *q, enum store_sqlite_stmt id, const char *sql,
			 int64_t t, int64_t *removed)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, id, sql);
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, t)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "expire: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, sql);
	if (!rc && removed)
		*removed = sqlite3_changes64(q->db);
	return rc;
}

int store_sqlite_event_expire(struct store *s, int64_t before, int64_t *removed)
{
	return delete_before(store_sqlite_of(s), SQ_EVENT_EXPIRE,
			     "DELETE FROM events WHERE seen_at < ?1", before, removed);
}

/* Inserts a mark, or moves an existing one to `now` only when it is older than the
 * window: one row changed means an auto-reply is due. */
int store_sqlite_autoreply_claim(struct store *s, int platform,
				 const uint8_t hash[CRYPTO_HASH_LEN], int64_t now, int64_t window,
				 int *due)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (due)
		*due = 0;
	if (!hash || !due || window < 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_AUTOREPLY_CLAIM,
			       "INSERT INTO autoreply (platform, addr_hash, last_at)"
			       " VALUES (?1, ?2, ?3)"
			       " ON CONFLICT (platform, addr_hash) DO UPDATE SET last_at = ?3"
			       " WHERE last_at < ?4");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_blob(st, 2, hash, CRYPTO_HASH_LEN, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, now) || sqlite3_bind_int64(st, 4, now - window)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "autoreply claim: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "autoreply claim");
	if (!rc)
		*due = sqlite3_changes(q->db) > 0;
	return rc;
}

int store_sqlite_autoreply_expire(struct store *s, int64_t before)
{
	return delete_before(store_sqlite_of(s), SQ_AUTOREPLY_EXPIRE,
			     "DELETE FROM autoreply WHERE last_at < ?1", before, NULL);
}

/* "YYYY-MM-DD", digits where digits belong. */
static int valid_day(const char *day)
{
	if (!day || strnlen(day, 11) != 10 || day[4] != '-' || day[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (day[i] < '0' || day[i] > '9'))
			return 0;
	return 1;
}

static int valid_name(const char *name, size_t *len)
{
	if (!name)
		return 0;
	*len = strnlen(name, COUNTER_NAME_MAX + 1);
	return *len > 0 && *len <= COUNTER_NAME_MAX;
}

/* One upsert of `delta` into a day's counter. */
static int counter_write(struct store_sqlite *q, const char *day, int platform, const char *name,
			 size_t name_len, int64_t delta)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_COUNTER_ADD,
					     "INSERT INTO counters (day, platform, name, value)"
					     " VALUES (?1, ?2, ?3, ?4)"
					     " ON CONFLICT (day, platform, name) DO UPDATE"
					     " SET value = value + excluded.value");

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_text(st, 1, day, 10, SQLITE_STATIC) || sqlite3_bind_int(st, 2, platform) ||
	    sqlite3_bind_text(st, 3, name, (int)name_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, delta)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "counter add: bind", SQLITE_ERROR);
	}
	return store_sqlite_exec(q, st, "counter add");
}

int store_sqlite_counters_flush(struct store_sqlite *q)
{
	int rc = 0;

	for (int i = 0; i < q->n_counters && !rc; i++) {
		const struct store_sqlite_counter *c = &q->counters[i];
		if (c->delta)
			rc = counter_write(q, c->day, c->platform, c->name, strlen(c->name), c->delta);
	}
	q->n_counters = 0;
	return rc;
}

void store_sqlite_counters_drop(struct store_sqlite *q)
{
	q->n_counters = 0;
}

int store_sqlite_counter_add(struct store *s, const char *day, int platform, const char *name,
			     int64_t delta)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct store_sqlite_counter *c;
	size_t name_len = 0;
	int i, rc;

	if (!valid_day(day) || !valid_name(name, &name_len))
		return BANDITORE_EINVAL;
	if (sqlite3_get_autocommit(q->db)) /* no transaction to fold into */
		return counter_write(q, day, platform, name, name_len, delta);
	for (i = 0; i < q->n_counters; i++) {
		c = &q->counters[i];
		if (c->platform == platform && !memcmp(c->day, day, 10) &&
		    !strcmp(c->name, name)) {
			c->delta += delta;
			return 0;
		}
	}
	if (q->n_counters == STORE_SQLITE_COUNTERS_HELD) {
		rc = store_sqlite_counters_flush(q);
		if (rc)
			return rc;
	}
	c = &q->counters[q->n_counters++];
	memcpy(c->day, day, 10);
	c->day[10] = '\0';
	c->platform = platform;
	memcpy(c->name, name, name_len);
	c->name[name_len] = '\0';
	c->delta = delta;
	return 0;
}

int store_sqlite_counter_sum(struct store *s, int platform, const char *name, int64_t *total)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	size_t name_len = 0;

	if (!total || !valid_name(name, &name_len))
		return BANDITORE_EINVAL;
	if (store_sqlite_counters_flush(q))
		return BANDITORE_ESTORE;
	st = store_sqlite_stmt(q, SQ_COUNTER_SUM,
			       "SELECT coalesce(sum(value), 0) FROM counters"
			       " WHERE platform = ?1 AND name = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int(st, 1, platform) ||
	    sqlite3_bind_text(st, 2, name, (int)name_len, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "counter sum: bind", SQLITE_ERROR);
	}
	return store_sqlite_int64(q, st, "counter sum", total);
}
