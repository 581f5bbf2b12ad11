/* cli_util.c - configuration, data folder and keys for the subcommands. */
#include "cli/cli_util.h"

#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_print_config_errors(const struct config_errors *errs)
{
	for (int i = 0; i < errs->count; i++) {
		const struct config_error *e = &errs->items[i];
		if (e->line > 0)
			fprintf(stderr, "%s:%d: %s\n", e->file, e->line, e->message);
		else
			fprintf(stderr, "%s: %s\n", e->file, e->message);
	}
}

static int join_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, CLI_PATH_MAX, "%s/%s", dir, name);
	return n > 0 && n < CLI_PATH_MAX ? 0 : -1;
}

int cli_env_load(struct cli_env *env, const char *config_path, const char *data_dir,
		 int with_secrets, int need_keys)
{
	struct config_errors errs = { 0 };
	int rc, n;

	memset(env, 0, sizeof(*env));
	if (!config_path) {
		fprintf(stderr, "%s\n", T("Manca --config FILE: indicare il file di configurazione del comune.",
					  "Missing --config FILE: name the comune's configuration file."));
		return EXIT_USAGE;
	}
	rc = config_load(config_path, with_secrets, &env->cfg, &errs);
	if (rc) {
		if (errs.count)
			cli_print_config_errors(&errs);
		else
			fprintf(stderr, "%s: %s (%s)\n", config_path,
				T("impossibile leggere la configurazione", "cannot read the configuration"),
				banditore_strerror(rc));
		config_errors_free(&errs);
		return 1;
	}
	config_errors_free(&errs);
	n = snprintf(env->data_dir, sizeof(env->data_dir), "%s", data_dir ? data_dir : env->cfg->data_dir);
	if (n <= 0 || (size_t)n >= sizeof(env->data_dir) ||
	    join_path(env->db_path, env->data_dir, "banditore.db") ||
	    join_path(env->key_path, env->data_dir, "banditore.key")) {
		fprintf(stderr, "%s\n", T("Percorso della cartella dati troppo lungo.", "Data folder path too long."));
		config_free(env->cfg);
		env->cfg = NULL;
		return 1;
	}
	/* --data-dir is the folder for every module that reads the configuration (the
	 * attachments under DATA/media too), not only for the paths above. */
	if (data_dir && (!env->cfg->data_dir || strcmp(env->cfg->data_dir, env->data_dir))) {
		char *copy = strdup(env->data_dir);
		if (!copy) {
			config_free(env->cfg);
			env->cfg = NULL;
			return EXIT_INTERNAL;
		}
		free(env->cfg->data_dir);
		env->cfg->data_dir = copy;
	}
	if (!need_keys)
		return 0;
	rc = keyfile_load(env->key_path, &env->keys);
	if (rc) {
		config_free(env->cfg); /* the caller clears nothing on failure */
		env->cfg = NULL;
	}
	if (rc == BANDITORE_ENOTFOUND) {
		fprintf(stderr, T("Chiave non trovata in %s: eseguire prima 'banditore init --config %s'.\n",
				  "Key not found in %s: run 'banditore init --config %s' first.\n"),
			env->key_path, config_path);
		return 1;
	}
	if (rc == BANDITORE_EPERM) {
		fprintf(stderr, T("%s è leggibile da altri utenti: correggere con 'chmod 600 %s'.\n",
				  "%s is readable by other users: fix with 'chmod 600 %s'.\n"),
			env->key_path, env->key_path);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", env->key_path, banditore_strerror(rc));
		return 1;
	}
	env->have_keys = 1;
	/* Every store this process opens (the daemon's threads, an import) seals outbox
	 * bodies with it. */
	store_seal_key_set(env->keys.seal);
	return 0;
}

void cli_env_clear(struct cli_env *env)
{
	config_free(env->cfg);
	if (env->have_keys)
		store_seal_key_set(NULL);
	crypto_wipe(&env->keys, sizeof(env->keys));
	memset(env, 0, sizeof(*env));
}
