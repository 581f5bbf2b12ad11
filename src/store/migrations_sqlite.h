/*
 * migrations_sqlite.h - the SQLite schema's forward-only migrations (private to src/store/).
 *
 * The schema version lives in `PRAGMA user_version`: 0 is an empty file, N means the first
 * N migrations have been applied. Each migration runs in its own transaction together
 * with the version bump, so a crash leaves the database at N or N+1, never in between.
 */
#ifndef BANDITORE_MIGRATIONS_SQLITE_H
#define BANDITORE_MIGRATIONS_SQLITE_H

#include <stddef.h>

#include <sqlite3.h>

/* The number of migrations, which is the newest version this build knows. */
int store_sqlite_migrations_latest(void);

/* Reads the version of `db` into *version. */
int store_sqlite_user_version(sqlite3 *db, int *version);

/* Applies migrations until `db` is at version `target` (0 <= target <= latest). A database
 * already newer than `target` is left untouched and refused with BANDITORE_ESTORE. The
 * reason of a failure goes to err[err_len]. */
int store_sqlite_migrate(sqlite3 *db, int target, char *err, size_t err_len);

/* For tests only: creates (or opens) the file at `path` and brings it to `version`, no
 * further, with none of store_open's settings. Returns 0 or a BANDITORE_E* code. */
int store_sqlite_migrate_to(const char *path, int version);

#endif
