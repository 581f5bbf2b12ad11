/*
 * cmd_subscribers.c - `banditore subscribers count|show|remove`.
 *
 * For requests that reach the comune by e-mail or at the front desk (GDPR art. 15 access,
 * art. 17 erasure): show prints everything held about one number, remove erases it at
 * once, exactly as leaving by keyword does. The number is typed by the operator and is
 * never written to the logs.
 */
#include "audit/audit.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "inbound/choices.h"
#include "store/store.h"
#include "subscribers/subscribers.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore subscribers count --config FILE [--data-dir CARTELLA]\n"
		  "     banditore subscribers show NUMERO --config FILE [--data-dir CARTELLA]\n"
		  "     banditore subscribers remove NUMERO --config FILE [--data-dir CARTELLA]\n"
		  "     banditore subscribers import --platform whatsapp FILE.csv --config FILE [--dry-run]\n"
		  "\n"
		  "count   quanti iscritti per piattaforma, e il totale di iscrizioni e cancellazioni\n"
		  "show    tutto ciò che è conservato su un numero (richiesta di accesso, GDPR art. 15)\n"
		  "remove  cancella subito ogni dato su un numero (richiesta di cancellazione, art. 17)\n"
		  "import  importa i numeri di una lista broadcast con il loro consenso (--help per i dettagli)\n"
		  "NUMERO  in formato internazionale, per esempio +39 333 000 0001\n",
		  "Usage: banditore subscribers count --config FILE [--data-dir FOLDER]\n"
		  "       banditore subscribers show NUMBER --config FILE [--data-dir FOLDER]\n"
		  "       banditore subscribers remove NUMBER --config FILE [--data-dir FOLDER]\n"
		  "       banditore subscribers import --platform whatsapp FILE.csv --config FILE [--dry-run]\n"
		  "\n"
		  "count   subscribers per platform, and the total joins and leaves\n"
		  "show    everything held about a number (access request, GDPR art. 15)\n"
		  "remove  erase everything about a number at once (erasure request, art. 17)\n"
		  "import  import the numbers of a broadcast list with their consent (--help for details)\n"
		  "NUMBER  in international form, for example +39 333 000 0001\n"));
}

static void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(out, 32, "-");
		return;
	}
	localtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S %Z", &tm);
}

static int do_count(struct store *st)
{
	printf("%-10s %12s %12s %12s\n", T("piattaforma", "platform"), T("iscritti", "subscribers"),
	       T("iscrizioni", "joins"), T("uscite", "leaves"));
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		int64_t n = 0, joins = 0, leaves = 0;
		if (store_subscriber_count(st, p, &n) || store_counter_sum(st, p, "join", &joins) ||
		    store_counter_sum(st, p, "leave", &leaves))
			return 1;
		printf("%-10s %12lld %12lld %12lld\n", platform_name(p), (long long)n, (long long)joins,
		       (long long)leaves);
	}
	return 0;
}

static int do_show(struct store *st, const struct cli_env *env, const char *canonical)
{
	struct store_subscriber sub;
	uint8_t hash[CRYPTO_HASH_LEN];
	char joined[32], last[32];
	int rc;

	if (subscribers_hash(&env->keys, PLATFORM_WHATSAPP, canonical, hash))
		return EXIT_INTERNAL;
	rc = store_subscriber_get(st, PLATFORM_WHATSAPP, hash, &sub);
	if (rc == BANDITORE_ENOTFOUND) {
		printf(T("Nessun dato conservato su %s.\n", "No data held about %s.\n"), canonical);
		return 0;
	}
	if (rc)
		return EXIT_INTERNAL;
	format_time(sub.joined_at, joined);
	format_time(sub.last_inbound_at, last);
	printf(T("Dati conservati su %s:\n", "Data held about %s:\n"), canonical);
	printf("  %-28s %s\n", T("piattaforma", "platform"), platform_name(sub.platform));
	printf("  %-28s %s\n", T("numero (cifrato a riposo)", "number (encrypted at rest)"), canonical);
	printf("  %-28s %s\n", T("iscritto dal", "subscribed since"), joined);
	/* A consent given elsewhere shows its original method: "import:lista broadcast". */
	printf("  %-28s %s%s%s\n", T("modalità di iscrizione", "how they joined"), sub.method,
	       sub.consent_detail[0] ? ":" : "", sub.consent_detail);
	printf("  %-28s %s\n", T("versione informativa accettata", "policy version accepted"),
	       sub.policy_version);
	printf("  %-28s %s\n", T("ultimo messaggio ricevuto", "last message received"), last);
	/* What they chose to hear about (choices.h): held on the same row, gone with it. */
	for (int kind = STORE_AUDIENCE_AREA; kind >= STORE_AUDIENCE_CATEGORY; kind--) {
		struct choices_list *l = malloc(sizeof(*l));
		const char *sep = "";
		if (!l || choices_load(st, env->cfg, PLATFORM_WHATSAPP, hash, kind, l)) {
			free(l);
			return EXIT_INTERNAL;
		}
		printf("  %-28s ", kind == STORE_AUDIENCE_AREA ? T("zone scelte", "areas chosen")
							      : T("argomenti scelti", "topics chosen"));
		if (l->all)
			printf("%s", T("tutti (nessuna scelta)", "all (no choice)"));
		for (int i = 0; !l->all && i < l->n; i++)
			if (l->items[i].chosen) {
				printf("%s%s", sep, l->items[i].title);
				sep = ", ";
			}
		printf("\n");
		free(l);
	}
	return 0;
}

static int do_remove(struct store *st, const struct cli_env *env, const char *canonical)
{
	int64_t now = (int64_t)time(NULL);
	struct audit_keys ak;
	int left = 0, rc;

	audit_keys_from(&ak, &env->keys);
	rc = store_begin(st);
	if (!rc)
		rc = subscribers_leave(st, &env->keys, PLATFORM_WHATSAPP, canonical, now, &left);
	/* The audit says that one subscriber was erased on request, and by whom: never who. */
	if (!rc)
		rc = audit_append(st, &ak, "cli", "subscriber.erase_on_request", "subscriber",
				  left ? "{\"erased\":1,\"platform\":\"whatsapp\"}"
				       : "{\"erased\":0,\"platform\":\"whatsapp\"}",
				  now, NULL);
	crypto_wipe(&ak, sizeof(ak));
	if (!rc)
		rc = store_commit(st);
	if (rc) {
		store_rollback(st);
		fprintf(stderr, T("Cancellazione non riuscita: %s\n", "Erasure failed: %s\n"),
			banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
	/* Leave no old copy in the write-ahead log; a busy reader only delays it. */
	for (int i = 0; i < 50 && store_purge_log(st) == BANDITORE_ETEMP; i++)
		usleep(100000);
	if (left)
		printf(T("Cancellato: ogni dato su %s è stato eliminato.\n",
			 "Erased: every piece of data about %s was deleted.\n"), canonical);
	else
		printf(T("%s non era iscritto; eventuali dati residui sono stati eliminati.\n",
			 "%s was not subscribed; any remaining data was deleted.\n"), canonical);
	return 0;
}

int cmd_subscribers(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *action, *number = NULL;
	char canonical[SUBSCRIBERS_ADDRESS_MAX];
	struct cli_env env;
	struct store *st = NULL;
	int c, rc;

	if (argc > 1 && !strcmp(argv[1], "import"))
		return cmd_subscribers_import(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	action = argv[optind++];
	if (!strcmp(action, "show") || !strcmp(action, "remove")) {
		if (optind >= argc) {
			fprintf(stderr, T("Indicare il numero, per esempio +39 333 000 0001.\n",
					  "Give the number, for example +39 333 000 0001.\n"));
			return EXIT_USAGE;
		}
		number = argv[optind++];
	} else if (strcmp(action, "count")) {
		fprintf(stderr, T("Azione sconosciuta: %s\n", "Unknown action: %s\n"), action);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (number && subscribers_canonical(PLATFORM_WHATSAPP, number, canonical, sizeof(canonical))) {
		fprintf(stderr, T("Numero non valido: serve il formato internazionale, per esempio +39 333 000 0001.\n",
				  "Invalid number: use the international form, for example +39 333 000 0001.\n"));
		return 1;
	}
	rc = cli_env_load(&env, config, data_dir, 0, number != NULL);
	if (rc)
		return rc;
	if (access(env.db_path, F_OK) != 0) {
		fprintf(stderr, T("Database non trovato in %s: eseguire prima 'banditore init'.\n",
				  "Database not found in %s: run 'banditore init' first.\n"), env.db_path);
		cli_env_clear(&env);
		return 1;
	}
	rc = store_open(env.db_path, &st);
	if (rc) {
		fprintf(stderr, "%s: %s\n", env.db_path, banditore_strerror(rc));
		cli_env_clear(&env);
		return EXIT_INTERNAL;
	}
	if (!strcmp(action, "count"))
		rc = do_count(st);
	else if (!strcmp(action, "show"))
		rc = do_show(st, &env, canonical);
	else
		rc = do_remove(st, &env, canonical);
	crypto_wipe(canonical, sizeof(canonical));
	store_free(st);
	cli_env_clear(&env);
	return rc;
}
