/*
 * config_internal.h - what the files of src/config/ share, and nobody else.
 *
 * config_ini.c drives inih over a file already in memory, with a reader that counts
 * lines, so every value, every unknown key and every syntax error carries its line.
 * config.c turns the collected values into a struct config and validates them.
 */
#ifndef BANDITORE_CONFIG_INTERNAL_H
#define BANDITORE_CONFIG_INTERNAL_H

#include "common/buf.h"
#include "config/config.h"

#include <stddef.h>
#include <sys/stat.h>

#define CONFIG_FILE_MAX (1024 * 1024) /* a comune's configuration is a few KiB */
#define CONFIG_SECRETS_MAX (64 * 1024)
#define CONFIG_VALUE_MAX 16384         /* one value, continuation lines included */

/* Flags of a key. */
#define CONFIG_KEY_SECRET 1 /* a secret: refused where it appears (the main file) */
#define CONFIG_KEY_TIGHT 2  /* continuation lines are joined without a space (tokens) */

struct config_key {
	const char *section;
	const char *name;
	int flags;
};

/* The value of one key as found in the file (escapes not yet processed). */
struct config_value {
	struct buf text; /* joined continuation lines; owned */
	int line;        /* where the key was set, 0 when absent */
	int set;
};

/* Appends one problem (line 0: not on one line). Returns 0 or BANDITORE_ENOMEM. */
int config_error_add(struct config_errors *errs, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reads at most `max` bytes of `path` into a new NUL-terminated buffer (*data, caller
 * frees); *st receives its fstat. Returns 0, BANDITORE_ETOOBIG when larger, or
 * BANDITORE_EIO / BANDITORE_ENOTFOUND with errno set. */
int config_read_file(const char *path, size_t max, char **data, size_t *len, struct stat *st);

/* Parses `len` bytes of INI text named `file` against the `n_keys` keys in `keys`:
 * vals[i] receives the value of keys[i] (vals initialised by the caller with
 * buf_init(CONFIG_VALUE_MAX)). Every problem found (syntax, unknown section or key,
 * duplicate, secret, line too long, invalid UTF-8) goes to `errs` with its line.
 * Returns 0 (even with problems reported) or BANDITORE_ENOMEM. */
int config_ini_parse(const char *file, const char *data, size_t len,
		     const struct config_key *keys, size_t n_keys, struct config_value *vals,
		     struct config_errors *errs);

#endif
