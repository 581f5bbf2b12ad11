/*
 * store_sqlite.c - the SQLite implementation of store.h: opening a connection with the
 * settings personal data and durability need, the statement cache, transactions, the
 * WAL purge, and the ops table. The operations themselves are in store_sqlite_*.c.
 *
 * Settings, and why:
 * - journal_mode=WAL: readers (the reply sender) never block the writer.
 * - synchronous=FULL: a webhook is acknowledged only after its commit, and a commit is
 *   only a commit once the WAL is fsynced. Group commit makes this affordable.
 * - secure_delete=ON: a deleted row is overwritten with zeros, not just unlinked, so an
 *   erased address leaves no ciphertext in free space; store_purge_log then removes the
 *   old copies from the WAL.
 * - temp_store=MEMORY: savepoints keep the original of each page they change in a
 *   sub-journal; in a temporary file that is a write() per page (most of the cost of a
 *   batch of events, measured) and old page images, sealed addresses included, in an
 *   unlinked file on disk where secure_delete never reaches. In memory, neither.
 * - cache_size 64 MiB (a limit, not an allocation) and wal_autocheckpoint 10000 pages:
 *   a group commit of hundreds of events touches thousands of pages; with SQLite's 2 MiB
 *   default they are evicted and re-read, and checkpointed again at every commit. The
 *   daemon's writer turns the automatic checkpoint off (store_log_watch) and leaves
 *   checkpoints to a thread of their own (daemon/checkpointer.h).
 * - foreign_keys=ON, trusted_schema=OFF, defensive mode: no surprises from the schema.
 * - a busy database is waited for up to 5 s (busy_wait): other connections (the CLI,
 *   the sender) wait rather than fail.
 * - The file is created 0600 before SQLite opens it; SQLite gives the -wal and -shm files
 *   the database file's permissions. An existing file (or -wal, -shm) readable by others
 *   is tightened to 0600. We never open() an existing database ourselves: closing that
 *   descriptor would drop the POSIX locks another connection of this process holds.
 * - SQLITE_OPEN_NOMUTEX: one connection per thread, as store.h says, without SQLite's
 *   per-connection mutex.
 */
#include "store/store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "store/migrations_sqlite.h"

#define BUSY_TIMEOUT_MS 5000
#define AUTOCHECKPOINT_PAGES 10000 /* wal_autocheckpoint, unless store_log_watch */
#define STR(x) #x
#define XSTR(x) STR(x)
/* A purge waits for readers only briefly: the writer thread runs it, and a reader that
 * is still busy only means "try again later" (BANDITORE_ETEMP). */
#define PURGE_BUSY_TIMEOUT_MS 200
/* A restart of the WAL waits this long for readers, holding commits meanwhile. */
#define RESTART_BUSY_MS 5

static const struct store_ops sqlite_ops;

/* ------------------------------------------------------------------ helpers */

int store_sqlite_fail(struct store_sqlite *q, const char *what, int sqlite_rc)
{
	snprintf(q->errmsg, sizeof(q->errmsg), "%s: %s", what, sqlite3_errmsg(q->db));
	return (sqlite_rc & 0xff) == SQLITE_NOMEM ? BANDITORE_ENOMEM : BANDITORE_ESTORE;
}

sqlite3_stmt *store_sqlite_stmt(struct store_sqlite *q, enum store_sqlite_stmt id,
				const char *sql)
{
	int rc;

	if (q->stmt[id])
		return q->stmt[id];
	rc = sqlite3_prepare_v3(q->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		store_sqlite_fail(q, "prepare", rc);
		q->stmt[id] = NULL;
	}
	return q->stmt[id];
}

void store_sqlite_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int store_sqlite_exec(struct store_sqlite *q, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st), ret = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = store_sqlite_fail(q, what, rc);
	store_sqlite_done(st);
	return ret;
}

int store_sqlite_int64(struct store_sqlite *q, sqlite3_stmt *st, const char *what,
		       int64_t *value)
{
	int rc = sqlite3_step(st), ret = 0;

	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*value = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		ret = BANDITORE_ENOTFOUND;
	else
		ret = store_sqlite_fail(q, what, rc);
	store_sqlite_done(st);
	return ret;
}

int store_sqlite_blob(struct store_sqlite *q, sqlite3_stmt *st, int col, uint8_t *out,
		      size_t cap, size_t *len)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (n < 0 || (size_t)n > cap) {
		snprintf(q->errmsg, sizeof(q->errmsg), "stored value %s is %d bytes, over %zu",
			 sqlite3_column_name(st, col), n, cap);
		return BANDITORE_ESTORE;
	}
	if (n > 0)
		memcpy(out, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int store_sqlite_text(struct store_sqlite *q, sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (n < 0 || (size_t)n >= cap) {
		snprintf(q->errmsg, sizeof(q->errmsg), "stored value %s is %d bytes, over %zu",
			 sqlite3_column_name(st, col), n, cap - 1);
		return BANDITORE_ESTORE;
	}
	if (n > 0)
		memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return 0;
}

/* Runs a statement on `q` by slot, for the statements that take no parameters. */
static int run_slot(struct store_sqlite *q, enum store_sqlite_stmt id, const char *sql)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, id, sql);
	return st ? store_sqlite_exec(q, st, sql) : BANDITORE_ESTORE;
}

/* ------------------------------------------------------------------ opening */

/* Makes `path` readable by its owner only. A missing file is fine unless must_exist. */
static int restrict_mode(const char *path, int must_exist, char *err, size_t err_len)
{
	struct stat sb;

	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, err_len, "cannot stat %s: %s", path, strerror(errno));
		return BANDITORE_EIO;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, err_len, "%s is not a regular file", path);
		return BANDITORE_EINVAL;
	}
	if ((sb.st_mode & 077) && chmod(path, sb.st_mode & 0700) != 0) {
		snprintf(err, err_len, "%s is readable by others and chmod failed: %s", path,
			 strerror(errno));
		return BANDITORE_EIO;
	}
	return 0;
}

static int restrict_sidecars(const char *path, char *err, size_t err_len)
{
	static const char *const suffix[] = { "-wal", "-shm", "-journal" };
	char side[PATH_MAX + 16];
	int rc;

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(side, sizeof(side), "%s%s", path, suffix[i]) >= sizeof(side)) {
			snprintf(err, err_len, "database path too long");
			return BANDITORE_EINVAL;
		}
		rc = restrict_mode(side, 0, err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* Creates the database file 0600 if it does not exist (O_EXCL: only a file we created
 * is ever opened and closed here), and tightens the modes of what is already there. */
static int prepare_files(const char *path, char *err, size_t err_len)
{
	int fd, rc;

	if (strlen(path) > PATH_MAX) {
		snprintf(err, err_len, "database path too long");
		return BANDITORE_EINVAL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST) {
		snprintf(err, err_len, "cannot create %s: %s", path, strerror(errno));
		return BANDITORE_EIO;
	}
	rc = restrict_mode(path, 1, err, err_len);
	return rc ? rc : restrict_sidecars(path, err, err_len);
}

/* Runs a PRAGMA; when `want` is not NULL, its first result must equal it. */
static int pragma(struct store_sqlite *q, const char *sql, const char *want, char *err,
		  size_t err_len)
{
	sqlite3_stmt *st = NULL;
	int rc, ok;

	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
	if (ok && want) {
		const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (!got || strcmp(got, want) != 0) {
			snprintf(err, err_len, "%s gave %s, not %s", sql, got ? got : "nothing",
				 want);
			sqlite3_finalize(st);
			return BANDITORE_ESTORE;
		}
	}
	if (!ok)
		snprintf(err, err_len, "%s: %s", sql, sqlite3_errmsg(q->db));
	sqlite3_finalize(st);
	return ok ? 0 : BANDITORE_ESTORE;
}

/* SQLite's own busy timeout sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries: a
 * commit that found a checkpoint holding the log for 3 ms waited 8. Here a connection
 * looks again every 100 us for the first 5 ms, then every ms, up to q->busy_ms in all. */
static int busy_wait(void *arg, int tries)
{
	const struct store_sqlite *q = arg;
	int waited_us = tries < 50 ? tries * 100 : 5000 + (tries - 50) * 1000;
	struct timespec ts = { 0, tries < 50 ? 100000 : 1000000 };

	if (waited_us >= q->busy_ms * 1000)
		return 0;
	nanosleep(&ts, NULL);
	return 1;
}

static void set_busy(struct store_sqlite *q, int ms)
{
	q->busy_ms = ms;
	sqlite3_busy_handler(q->db, busy_wait, q);
}

static int configure(struct store_sqlite *q, int in_memory, char *err, size_t err_len)
{
	int rc;

	sqlite3_extended_result_codes(q->db, 1);
	set_busy(q, BUSY_TIMEOUT_MS);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	rc = pragma(q, "PRAGMA journal_mode=WAL", in_memory ? "memory" : "wal", err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA synchronous=FULL", NULL, err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA secure_delete=ON", "1", err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA foreign_keys=ON", NULL, err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA temp_store=MEMORY", NULL, err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA cache_size=-65536", NULL, err, err_len);
	if (!rc)
		rc = pragma(q, "PRAGMA wal_autocheckpoint=" XSTR(AUTOCHECKPOINT_PAGES),
			    XSTR(AUTOCHECKPOINT_PAGES), err, err_len);
	return rc;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t err_len)
{
	int in_memory = strcmp(path, ":memory:") == 0;
	int latest = store_sqlite_migrations_latest(), version = 0, rc;
	struct store_sqlite *q;

	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, err_len, "out of memory");
		return BANDITORE_ENOMEM;
	}
	q->base.ops = &sqlite_ops;
	if (!in_memory) {
		rc = prepare_files(path, err, err_len);
		if (rc)
			goto fail;
	}
	rc = sqlite3_open_v2(path, &q->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     in_memory ? NULL : store_sqlite_vfs());
	if (rc != SQLITE_OK) {
		snprintf(err, err_len, "cannot open %s: %s", path,
			 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
		rc = rc == SQLITE_NOMEM ? BANDITORE_ENOMEM : BANDITORE_ESTORE;
		goto fail;
	}
	/* A database from a newer build is refused before any setting touches the file. */
	set_busy(q, BUSY_TIMEOUT_MS);
	rc = store_sqlite_user_version(q->db, &version);
	if (rc) {
		snprintf(err, err_len, "cannot read %s: %s", path, sqlite3_errmsg(q->db));
		goto fail;
	}
	if (version > latest) {
		snprintf(err, err_len,
			 "database schema version %d is newer than %d, the newest this build "
			 "knows: refusing to use it (upgrade Banditore)",
			 version, latest);
		rc = BANDITORE_ESTORE;
		goto fail;
	}
	rc = configure(q, in_memory, err, err_len);
	if (rc)
		goto fail;
	rc = store_sqlite_migrate(q->db, latest, err, err_len);
	if (rc)
		goto fail;
	if (!in_memory) {
		rc = restrict_sidecars(path, err, err_len); /* now that WAL mode made them */
		if (rc)
			goto fail;
	}
	*out = &q->base;
	return 0;
fail:
	sqlite3_close(q->db);
	free(q);
	return rc;
}

int store_sqlite_schema_latest(void)
{
	return store_sqlite_migrations_latest();
}

static void sq_free(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);

	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(q->stmt[i]);
	sqlite3_close(q->db);
	free(q);
}

static const char *sq_errmsg(struct store *s)
{
	return store_sqlite_of(s)->errmsg;
}

static int sq_schema_version(struct store *s, int *version)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	if (!version)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_SCHEMA_VERSION, "PRAGMA user_version");
	if (!st)
		return BANDITORE_ESTORE;
	rc = store_sqlite_int64(q, st, "schema version", &v);
	if (rc == BANDITORE_ENOTFOUND)
		rc = BANDITORE_ESTORE;
	if (!rc)
		*version = (int)v;
	return rc;
}

/* ------------------------------------------------------------------ transactions */

/* IMMEDIATE: take the write lock now, so that a transaction that reads and then writes
 * never fails half-way with SQLITE_BUSY_SNAPSHOT. */
static int sq_begin(struct store *s)
{
	return run_slot(store_sqlite_of(s), SQ_BEGIN, "BEGIN IMMEDIATE");
}

int store_sqlite_held_flush(struct store_sqlite *q)
{
	int rc = store_sqlite_counters_flush(q);
	int rc2 = store_sqlite_statuses_flush(q);

	return rc ? rc : rc2;
}

void store_sqlite_held_drop(struct store_sqlite *q)
{
	store_sqlite_counters_drop(q);
	q->n_statuses = 0;
}

/* The counters and statuses folded in memory are written first, inside the transaction. */
static int sq_commit(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);
	int rc = store_sqlite_held_flush(q);

	return rc ? rc : run_slot(q, SQ_COMMIT, "COMMIT");
}

static int sq_rollback(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);

	store_sqlite_held_drop(q);
	if (sqlite3_get_autocommit(q->db))
		return 0; /* nothing open: SQLite may already have rolled back after an error */
	return run_slot(q, SQ_ROLLBACK, "ROLLBACK");
}

/* Savepoints all carry the same name: SQLite resolves a name to the innermost one, so
 * they nest as a stack. ROLLBACK TO keeps the savepoint; RELEASE then drops it. */
static int sq_savepoint(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);
	int rc = store_sqlite_held_flush(q); /* what came before is not this one's */

	return rc ? rc : run_slot(q, SQ_SAVEPOINT, "SAVEPOINT sp");
}

/* Flushes too: releasing the outermost savepoint of a transaction begun by it commits. */
static int sq_release(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);
	int rc = store_sqlite_held_flush(q);

	return rc ? rc : run_slot(q, SQ_RELEASE, "RELEASE sp");
}

static int sq_rollback_to(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);

	store_sqlite_held_drop(q); /* all of them came after this savepoint began */
	return run_slot(q, SQ_ROLLBACK_TO, "ROLLBACK TO sp");
}

/* synchronous=NORMAL in WAL mode: SQLite still syncs the WAL before every checkpoint and
 * the database file after it, so the only thing it stops doing is the fsync at each
 * commit; the writer does that itself, on the WAL file, before it acknowledges. */
static int sq_defer_sync(struct store *s, char *log_path, size_t cap)
{
	struct store_sqlite *q = store_sqlite_of(s);
	const char *file = sqlite3_db_filename(q->db, "main");
	int n;

	if (!file || !*file)
		return BANDITORE_ENOTFOUND; /* in memory: nothing to sync */
	n = snprintf(log_path, cap, "%s-wal", file);
	if (n < 0 || (size_t)n >= cap)
		return BANDITORE_ETOOBIG;
	if (sqlite3_exec(q->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlite_fail(q, "defer sync", sqlite3_errcode(q->db));
	return 0;
}

/* A negative cache_size is in KiB. */
static int sq_set_cache(struct store *s, int kib)
{
	struct store_sqlite *q = store_sqlite_of(s);
	char sql[64];

	if (kib < 64)
		return BANDITORE_EINVAL;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", kib);
	if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlite_fail(q, "cache size", sqlite3_errcode(q->db));
	return 0;
}

/* A TRUNCATE checkpoint copies every committed page into the database file (where
 * secure_delete already zeroed the erased rows) and empties the WAL (overwritten with
 * zeros, keeping its blocks: store_sqlite_vfs.c), so no older copy of a page survives.
 * Its first result column is 1 when a reader kept it from finishing. */
static int sq_purge_log(struct store *s)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!sqlite3_get_autocommit(q->db)) {
		snprintf(q->errmsg, sizeof(q->errmsg), "purge: a transaction is open");
		return BANDITORE_EINVAL;
	}
	st = store_sqlite_stmt(q, SQ_PURGE, "PRAGMA wal_checkpoint(TRUNCATE)");
	if (!st)
		return BANDITORE_ESTORE;
	set_busy(q, PURGE_BUSY_TIMEOUT_MS);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_int(st, 0) != 0) {
			snprintf(q->errmsg, sizeof(q->errmsg), "purge: a reader is busy");
			ret = BANDITORE_ETEMP;
		}
	} else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		store_sqlite_fail(q, "purge", rc);
		ret = BANDITORE_ETEMP;
	} else if (rc != SQLITE_DONE) {
		ret = store_sqlite_fail(q, "purge", rc);
	}
	store_sqlite_done(st);
	set_busy(q, BUSY_TIMEOUT_MS);
	return ret;
}

static int watch_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	const struct store_sqlite *q = arg;

	(void)db;
	(void)name;
	q->watch_fn(q->watch_arg, pages);
	return SQLITE_OK;
}

/* A WAL hook of our own replaces the one sqlite3_wal_autocheckpoint installs, so the
 * connection stops checkpointing at commit. */
static int sq_log_watch(struct store *s, void (*fn)(void *arg, int pages), void *arg)
{
	struct store_sqlite *q = store_sqlite_of(s);
	const char *file = sqlite3_db_filename(q->db, "main");

	if (!fn) { /* the connection's own checkpoints back, as configure() set them */
		q->watch_fn = NULL;
		q->watch_arg = NULL;
		sqlite3_wal_autocheckpoint(q->db, AUTOCHECKPOINT_PAGES);
		return 0;
	}
	if (!file || !*file)
		return BANDITORE_ENOTFOUND; /* in memory: no WAL */
	q->watch_fn = fn;
	q->watch_arg = arg;
	sqlite3_wal_hook(q->db, watch_hook, q);
	return 0;
}

/* PASSIVE copies the frames no reader still needs and never waits. RESTART holds the
 * writer's lock while it copies what is left and then waits for the readers: only
 * RESTART_BUSY_MS for them (a reader that takes longer would hold every commit), so it
 * is worth trying only after a PASSIVE pass copied everything. */
static int sq_checkpoint(struct store *s, int restart)
{
	struct store_sqlite *q = store_sqlite_of(s);
	int rc, log = 0, done = 0;

	if (!sqlite3_get_autocommit(q->db)) {
		snprintf(q->errmsg, sizeof(q->errmsg), "checkpoint: a transaction is open");
		return BANDITORE_EINVAL;
	}
	if (restart)
		set_busy(q, RESTART_BUSY_MS);
	rc = sqlite3_wal_checkpoint_v2(q->db, NULL,
				       restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE,
				       &log, &done);
	if (restart)
		set_busy(q, BUSY_TIMEOUT_MS);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		store_sqlite_fail(q, "checkpoint", rc);
		return BANDITORE_ETEMP;
	}
	if (rc != SQLITE_OK)
		return store_sqlite_fail(q, "checkpoint", rc);
	if (log != done) { /* frames a reader still needs, or committed meanwhile */
		snprintf(q->errmsg, sizeof(q->errmsg), "checkpoint: %d of %d frames copied", done,
			 log);
		return BANDITORE_ETEMP;
	}
	return 0;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.free = sq_free,
	.errmsg = sq_errmsg,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_to = sq_rollback_to,
	.purge_log = sq_purge_log,
	.log_watch = sq_log_watch,
	.checkpoint = sq_checkpoint,
	.defer_sync = sq_defer_sync,
	.set_cache = sq_set_cache,
	.subscriber_get = store_sqlite_subscriber_get,
	.subscriber_add = store_sqlite_subscriber_add,
	.subscriber_touch = store_sqlite_subscriber_touch,
	.sender_lookup = store_sqlite_sender_lookup,
	.subscriber_erase = store_sqlite_subscriber_erase,
	.subscriber_count = store_sqlite_subscriber_count,
	.event_mark = store_sqlite_event_mark,
	.event_expire = store_sqlite_event_expire,
	.autoreply_claim = store_sqlite_autoreply_claim,
	.autoreply_expire = store_sqlite_autoreply_expire,
	.counter_add = store_sqlite_counter_add,
	.counter_sum = store_sqlite_counter_sum,
	.outbox_add = store_sqlite_outbox_add,
	.outbox_due = store_sqlite_outbox_due,
	.outbox_remove = store_sqlite_outbox_remove,
	.outbox_reschedule = store_sqlite_outbox_reschedule,
	.outbox_next_time = store_sqlite_outbox_next_time,
	.outbox_count = store_sqlite_outbox_count,
	.kept_add = store_sqlite_kept_add,
	.kept_list = store_sqlite_kept_list,
	.kept_remove = store_sqlite_kept_remove,
	.kept_expire = store_sqlite_kept_expire,
	.channel_post_add = store_sqlite_channel_post_add,
	.channel_post_list = store_sqlite_channel_post_list,
	.channel_post_get = store_sqlite_channel_post_get,
	.channel_post_mark = store_sqlite_channel_post_mark,
	.message_add = store_sqlite_message_add,
	.message_get = store_sqlite_message_get,
	.media_referenced = store_sqlite_media_referenced,
	.message_update = store_sqlite_message_update,
	.message_transition = store_sqlite_message_transition,
	.message_set_notes = store_sqlite_message_set_notes,
	.message_set_media_id = store_sqlite_message_set_media_id,
	.message_get_notes = store_sqlite_message_get_notes,
	.message_approve = store_sqlite_message_approve,
	.message_next = store_sqlite_message_next,
	.message_next_scheduled = store_sqlite_message_next_scheduled,
	.lane_start = store_sqlite_lane_start,
	.lane_progress = store_sqlite_lane_progress,
	.lane_get = store_sqlite_lane_get,
	.lane_list = store_sqlite_lane_list,
	.lane_next = store_sqlite_lane_next,
	.message_progress = store_sqlite_message_progress,
	.message_status = store_sqlite_message_status,
	.message_list = store_sqlite_message_list,
	.archive_list = store_sqlite_archive_list,
	.pending_put = store_sqlite_pending_put,
	.pending_get_addr = store_sqlite_pending_get_addr,
	.pending_take = store_sqlite_pending_take,
	.pending_expire = store_sqlite_pending_expire,
	.pending_expire_platform = store_sqlite_pending_expire_platform,
	.pending_expire_queue = store_sqlite_pending_expire_queue,
	.pending_list = store_sqlite_pending_list,
	.pending_get_ref = store_sqlite_pending_get_ref,
	.subscribers_extent = store_sqlite_subscribers_extent,
	.subscribers_page = store_sqlite_subscribers_page,
	.subscriber_failed = store_sqlite_subscriber_failed,
	.subscribers_sent = store_sqlite_subscribers_sent,
	.subscribers_contacted = store_sqlite_subscribers_contacted,
	.subscribers_unreachable = store_sqlite_subscribers_unreachable,
	.retry_put = store_sqlite_retry_put,
	.retry_due = store_sqlite_retry_due,
	.retry_remove = store_sqlite_retry_remove,
	.retry_pending = store_sqlite_retry_pending,
	.retry_clear = store_sqlite_retry_clear,
	.token_add = store_sqlite_token_add,
	.token_find = store_sqlite_token_find,
	.token_revoke = store_sqlite_token_revoke,
	.token_list = store_sqlite_token_list,
	.audit_add = store_sqlite_audit_add,
	.audit_last = store_sqlite_audit_last,
	.audit_list = store_sqlite_audit_list,
	.audit_find = store_sqlite_audit_find,
	.counter_day = store_sqlite_counter_day,
	.staff_add = store_sqlite_staff_add,
	.staff_get = store_sqlite_staff_get,
	.staff_get_id = store_sqlite_staff_get_id,
	.staff_update = store_sqlite_staff_update,
	.staff_list = store_sqlite_staff_list,
	.staff_count_delegates = store_sqlite_staff_count_delegates,
	.session_add = store_sqlite_session_add,
	.session_get = store_sqlite_session_get,
	.session_touch = store_sqlite_session_touch,
	.session_remove = store_sqlite_session_remove,
	.session_remove_staff = store_sqlite_session_remove_staff,
	.session_expire = store_sqlite_session_expire,
	.throttle_get = store_sqlite_throttle_get,
	.throttle_set = store_sqlite_throttle_set,
	.block_add = store_sqlite_block_add,
	.block_check = store_sqlite_block_check,
	.review_get = store_sqlite_review_get,
	.review_put = store_sqlite_review_put,
	.review_list = store_sqlite_review_list,
	.token_revoke_owner = store_sqlite_token_revoke_owner,
	.audience_bit = store_sqlite_audience_bit,
	.audience_prune = store_sqlite_audience_prune,
	.subscriber_set_audience = store_sqlite_subscriber_set_audience,
	.subscriber_get_audience = store_sqlite_subscriber_get_audience,
	.subscribers_page_for = store_sqlite_subscribers_page_for,
	.message_recipients = store_sqlite_message_recipients,
	.audience_count = store_sqlite_audience_count,
	.message_set_areas = store_sqlite_message_set_areas,
	.message_get_areas = store_sqlite_message_get_areas,
	.message_set_audience = store_sqlite_message_set_audience,
	.message_get_audience = store_sqlite_message_get_audience,
};
