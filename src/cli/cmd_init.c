/* cmd_init.c - `banditore init`: data folder (0700), key file (0600), database; and, with
 * web push configured, the VAPID public key derived from the key file. */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "connectors/webpush.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore init --config FILE [--data-dir CARTELLA]\n"
		  "\n"
		  "Crea la cartella dati (permessi 0700), la chiave che cifra gli indirizzi degli\n"
		  "iscritti (banditore.key, permessi 0600: conservarne una copia di sicurezza) e il\n"
		  "database. Se esistono già, li lascia come sono e aggiorna solo il database.\n",
		  "Usage: banditore init --config FILE [--data-dir FOLDER]\n"
		  "\n"
		  "Creates the data folder (mode 0700), the key that encrypts subscribers' addresses\n"
		  "(banditore.key, mode 0600: keep a backup of it) and the database. Whatever exists\n"
		  "already is kept as it is; only the database schema is brought up to date.\n"));
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL;
	struct cli_env env;
	struct store *st = NULL;
	int c, rc, version = 0;

	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = cli_env_load(&env, config, data_dir, 0, 0);
	if (rc)
		return rc;
	if (mkdir(env.data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, T("Impossibile creare la cartella %s: %s\n", "Cannot create folder %s: %s\n"),
			env.data_dir, strerror(errno));
		rc = 1;
		goto out;
	}
	rc = keyfile_create(env.key_path);
	if (rc == 0) {
		printf(T("Chiave creata: %s (conservarne una copia in un luogo sicuro)\n",
			 "Key created: %s (keep a copy somewhere safe)\n"), env.key_path);
	} else if (rc == BANDITORE_EEXIST) {
		printf(T("Chiave già presente: %s (lasciata com'è)\n", "Key already present: %s (kept)\n"),
		       env.key_path);
	} else {
		fprintf(stderr, T("Impossibile creare la chiave %s: %s\n", "Cannot create key %s: %s\n"),
			env.key_path, banditore_strerror(rc));
		rc = 1;
		goto out;
	}
	if (env.cfg->platforms & (1 << PLATFORM_WEBPUSH)) {
		/* The VAPID key is derived from the key file (keyfile.h): nothing else to keep. */
		struct keyfile_keys keys;
		struct webpush_vapid *v = NULL;
		char pub[WEBPUSH_PUBLIC_B64_LEN + 1];
		if (keyfile_load(env.key_path, &keys) == 0 && webpush_vapid_from_seed(keys.vapid, &v) == 0) {
			webpush_vapid_public_b64(v, pub);
			printf(T("Chiave pubblica VAPID per le notifiche push (GET /push/key): %s\n",
				 "VAPID public key for push notifications (GET /push/key): %s\n"), pub);
		}
		webpush_vapid_free(v);
		crypto_wipe(&keys, sizeof(keys));
	}
	rc = store_open(env.db_path, &st);
	if (rc == 0)
		rc = store_schema_version(st, &version);
	if (rc) {
		fprintf(stderr, T("Impossibile preparare il database %s: %s\n", "Cannot prepare database %s: %s\n"),
			env.db_path, banditore_strerror(rc));
		rc = 1;
		goto out;
	}
	printf(T("Database pronto: %s (schema versione %d)\n", "Database ready: %s (schema version %d)\n"),
	       env.db_path, version);
	printf(T("Per avviare il server: banditore serve --config %s%s%s\n",
		 "To start the server: banditore serve --config %s%s%s\n"),
	       config, data_dir ? " --data-dir " : "", data_dir ? data_dir : "");
	rc = 0;
out:
	store_free(st);
	cli_env_clear(&env);
	return rc;
}
