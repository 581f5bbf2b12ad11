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

/* A key of `section`. A section written "category *" is a pattern: the file may hold any
 * number of sections "[category ID]", each an instance with its own values. */
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

#define CONFIG_INSTANCES_MAX 128 /* sections of the patterns ([category ...], [area ...]) */
#define CONFIG_INSTANCE_NAME_MAX 64

/* One section of a pattern, "[category viabilita]": pattern "category *", name
 * "viabilita", and the values of the pattern's keys (vals has one entry per key of the
 * table, only the pattern's are used). */
struct config_instance {
	const char *pattern;                   /* the key table's section, static */
	char name[CONFIG_INSTANCE_NAME_MAX];
	int line;
	struct config_value *vals;             /* owned */
};

struct config_instances {
	struct config_instance items[CONFIG_INSTANCES_MAX];
	int count;
	size_t n_keys;
};

void config_instances_free(struct config_instances *inst);

/* Appends one problem (line 0: not on one line). Returns 0 or BANDITORE_ENOMEM. */
int config_error_add(struct config_errors *errs, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reads at most `max` bytes of `path` into a new NUL-terminated buffer (*data, caller
 * frees); *st receives its fstat. Returns 0, BANDITORE_ETOOBIG when larger, or
 * BANDITORE_EIO / BANDITORE_ENOTFOUND with errno set. */
int config_read_file(const char *path, size_t max, char **data, size_t *len, struct stat *st);

/* Parses `len` bytes of INI text named `file` against the `n_keys` keys in `keys`:
 * vals[i] receives the value of keys[i] (vals initialised by the caller with
 * buf_init(CONFIG_VALUE_MAX)); sections of a pattern go to `inst` (zeroed by the caller,
 * freed with config_instances_free; NULL when the table has no patterns). Every problem found (syntax, unknown section or key,
 * duplicate, secret, line too long, invalid UTF-8) goes to `errs` with its line.
 * Returns 0 (even with problems reported) or BANDITORE_ENOMEM. */
int config_ini_parse(const char *file, const char *data, size_t len,
		     const struct config_key *keys, size_t n_keys, struct config_value *vals,
		     struct config_instances *inst, struct config_errors *errs);

/* --- the policy's sections (config_policy.c) --- */

struct policy;

/* The fixed keys of the policy's sections; the content keys follow (one per kind, then
 * extra_<kind> per lexicon kind), config_policy_n_keys in all. */
enum {
	CP_SHORT_NAME, CP_CATEGORIES_ARTICLE,
	CP_CAT_LABEL, CP_CAT_EMERGENCY, CP_CAT_ELECTORAL, CP_CAT_APPROVERS,
	CP_HOURS_OPEN, CP_HOURS_NATIONAL, CP_HOURS_HOLIDAYS, CP_HOURS_ARTICLE,
	CP_EL_PERIODS, CP_EL_NAMES, CP_EL_NAMES_LEVEL, CP_EL_POLITICAL_LEVEL, CP_EL_ARTICLE,
	CP_LEXICON_DIR, CP_OFFICIAL_PHONES, CP_OFFICIAL_EMAILS,
	CP_LINKS_HTTP, CP_LINKS_DOMAINS, CP_LINKS_EXTERNAL, CP_LINKS_ARTICLE,
	CP_DISC_TEXT, CP_DISC_WHEN, CP_DISC_ARTICLE,
	CP_FREQ_DAY, CP_FREQ_WEEK, CP_FREQ_LEVEL, CP_FREQ_ARTICLE,
	CP_ATT_MAX, CP_ATT_TYPES, CP_ATT_GPS, CP_ATT_ARTICLE, CP_ATT_STRIP_GPS,
	CP_FIXED_COUNT
};
extern const struct config_key config_policy_keys[];
extern const size_t config_policy_n_keys;

/* What building the policy reads; every pointer borrowed. */
struct config_policy_input {
	const char *path;                       /* the main file, for errors */
	const char *dir;                        /* its folder with '/', or "" */
	const struct config_value *vals;        /* config_policy_n_keys values */
	const struct config_instances *instances; /* [category ...] sections */
	size_t inst_base;                       /* where the policy keys start in an
						   * instance's vals */
	const char *comune_name, *website, *pec, *helpdesk_email, *helpdesk_phone;
	const char *controller_email, *dpo_email, *display_number;
	struct config_errors *errs;
	int *lexicon_missing;                   /* set to 1 when the default folder is absent */
};

/* Builds the policy (*out, free with policy_clear + free) and adds every problem to
 * in->errs. Returns 0 (also with problems reported) or BANDITORE_ENOMEM. */
int config_policy_build(const struct config_policy_input *in, struct policy **out);

/* --- areas and the choosing keywords (config_audience.c) --- */

enum { CA_AREA_NAME, CA_AREA_POLYGON, CA_KW_AREAS, CA_KW_CATEGORIES, CA_COUNT };
extern const struct config_key config_audience_keys[];
extern const size_t config_audience_n_keys;

/* What building the areas reads; every pointer borrowed. */
struct config_audience_input {
	const char *path;                         /* the main file, for errors */
	const struct config_value *vals;          /* config_audience_n_keys values */
	const struct config_instances *instances; /* [area ...] sections among others */
	size_t inst_base;                         /* where these keys start in an
						     * instance's vals */
	struct config_errors *errs;
	int *rc;                                  /* set to BANDITORE_ENOMEM */
};

/* Fills cfg's areas and choosing keywords (after the keywords and platforms were read)
 * and adds every problem to in->errs. Returns 0 or BANDITORE_ENOMEM. */
int config_audience_build(const struct config_audience_input *in, struct config *cfg);
void config_audience_free(struct config *cfg);

#endif
