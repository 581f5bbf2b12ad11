/*
 * cli_util.h - what several subcommands share: the common options, loading the
 * configuration with readable errors, and finding the data folder's files.
 */
#ifndef BANDITORE_CLI_UTIL_H
#define BANDITORE_CLI_UTIL_H

#include "common/keyfile.h"
#include "config/config.h"

#define CLI_PATH_MAX 4096

struct cli_env {
	struct config *cfg;     /* owned */
	char data_dir[CLI_PATH_MAX];
	char db_path[CLI_PATH_MAX];
	char key_path[CLI_PATH_MAX];
	struct keyfile_keys keys;
	int have_keys;
};

/* Loads the configuration (printing every error to stderr as FILE:LINE: reason) and
 * resolves the data folder (`data_dir` overrides the file's [server] data_dir). With
 * `need_keys`, also loads the key file, explaining what to do when it is missing.
 * Returns 0 or a process exit code (1 or 3); on failure nothing is left to clear. */
int cli_env_load(struct cli_env *env, const char *config_path, const char *data_dir,
		 int with_secrets, int need_keys);
void cli_env_clear(struct cli_env *env);

/* Prints the configuration errors to stderr. */
void cli_print_config_errors(const struct config_errors *errs);

#endif
