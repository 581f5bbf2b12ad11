/*
 * cmd_import.c - `banditore subscribers import --platform whatsapp FILE.csv`: the numbers
 * of an existing broadcast list, each with its original consent, in one transaction.
 *
 * Nothing is half-imported: the file is read and checked whole first (every problem
 * listed with its line, exit 1, nothing stored); then every new number is recorded with
 * its consent receipt (method "import", the original method, date and policy version)
 * and ONE notice is queued in the outbox, in the same transaction as the audit entry
 * "subscribers.import" with the counts. A number that is a subscriber already is
 * reported and skipped: its own receipt stands and it gets no notice.
 *
 * The notice is a business-initiated message, so on WhatsApp it is a template
 * ([whatsapp] notice_template, by default the broadcast template, with the parameters
 * template_params names: the notice's title, text and the channel's page); the running
 * daemon's reply sender sends the notices at the number's pace.
 */
#include "audit/audit.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "store/store.h"
#include "subscribers/import.h"
#include "subscribers/subscribers.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOTICE_TITLE "Il canale del Comune si è trasferito"

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore subscribers import --platform whatsapp FILE.csv --config FILE\n"
		  "                                  [--data-dir CARTELLA] [--dry-run]\n"
		  "\n"
		  "Importa i numeri di una lista broadcast esistente. Il file CSV ha una riga di\n"
		  "intestazione con le colonne number, consent_date (AAAA-MM-GG), consent_method\n"
		  "(per esempio \"lista broadcast\", \"modulo cartaceo\") e policy_version\n"
		  "(obbligatorie: senza consenso documentato non si importa), separate da , o ;\n"
		  "\n"
		  "Se anche una sola riga è sbagliata non si importa nulla: ogni problema è\n"
		  "elencato con il numero di riga e il comando esce con 1. I numeri già iscritti\n"
		  "sono segnalati e saltati. --dry-run controlla e conta senza salvare nulla.\n"
		  "\n"
		  "Ogni numero importato riceve UN avviso (il modello notice_template di\n"
		  "[whatsapp]) che dice dove sono ora i suoi dati e come cancellarsi. Gli avvisi\n"
		  "partono dopo l'importazione, al ritmo del numero, quando 'banditore serve' è\n"
		  "in funzione.\n",
		  "Usage: banditore subscribers import --platform whatsapp FILE.csv --config FILE\n"
		  "                                    [--data-dir FOLDER] [--dry-run]\n"
		  "\n"
		  "Imports the numbers of an existing broadcast list. The CSV file has a header\n"
		  "line with the columns number, consent_date (YYYY-MM-DD), consent_method (for\n"
		  "example \"lista broadcast\", \"modulo cartaceo\") and policy_version (required:\n"
		  "nothing is imported without a documented consent), separated by , or ;\n"
		  "\n"
		  "If a single line is wrong nothing is imported: every problem is listed with\n"
		  "its line number and the command exits with 1. Numbers already subscribed are\n"
		  "reported and skipped. --dry-run checks and counts, and stores nothing.\n"
		  "\n"
		  "Each imported number receives ONE notice (the [whatsapp] notice_template)\n"
		  "saying where its data now lives and how to leave. The notices go out after\n"
		  "the import, at the number's pace, while 'banditore serve' runs.\n"));
}

static int read_all(const char *path, char **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	*data = NULL;
	if (fd < 0)
		return BANDITORE_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > IMPORT_FILE_MAX) {
		int too_big = st.st_size > IMPORT_FILE_MAX;
		close(fd);
		return too_big ? BANDITORE_ETOOBIG : BANDITORE_EIO;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return BANDITORE_ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

/* The notice's template body, its parameters filled as template_params says. */
static char *notice_body(const struct config *cfg)
{
	const char *params[CONFIG_TEMPLATE_PARAMS_MAX];
	char *text, *body;
	const char *raw;
	const char *link = *cfg->public_url ? cfg->public_url : cfg->website;
	int privacy = cfg->privacy_url && *cfg->privacy_url;

	raw = privacy ? "{comune}: eri nella lista broadcast di {channel}. Da oggi i messaggi ti "
			"arrivano da questo servizio, che conserva il tuo numero cifrato solo per "
			"inviarti gli avvisi (informativa: {privacy_url}). Per cancellarti in qualsiasi "
			"momento scrivi \"{unsubscribe}\"."
		      : "{comune}: eri nella lista broadcast di {channel}. Da oggi i messaggi ti "
			"arrivano da questo servizio, che conserva il tuo numero cifrato solo per "
			"inviarti gli avvisi. Per cancellarti in qualsiasi momento scrivi "
			"\"{unsubscribe}\".";
	text = config_expand(cfg, raw);
	if (!text)
		return NULL;
	for (int i = 0; i < cfg->wa_n_template_params; i++)
		params[i] = cfg->wa_template_params[i] == CONFIG_PARAM_TITLE  ? NOTICE_TITLE
			    : cfg->wa_template_params[i] == CONFIG_PARAM_LINK ? link
									      : text;
	body = import_template_body(cfg->wa_notice_template, cfg->wa_template_language, params,
				    cfg->wa_n_template_params);
	free(text);
	return body;
}

static int queue_notice(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN],
			const uint8_t *sealed, size_t sealed_len, char *body, int64_t now)
{
	struct store_outbox_item item;

	memset(&item, 0, sizeof(item));
	item.platform = PLATFORM_WHATSAPP;
	memcpy(item.addr_hash, hash, CRYPTO_HASH_LEN);
	memcpy(item.sealed, sealed, sealed_len);
	item.sealed_len = sealed_len;
	snprintf(item.kind, sizeof(item.kind), "notice");
	item.body = body; /* borrowed: store_outbox_add copies it */
	item.not_before = now;
	item.created_at = now;
	return store_outbox_add(st, &item, NULL);
}

/* Stores every row in one transaction (rolled back with --dry-run). */
static int store_rows(struct store *st, const struct cli_env *env, const struct import_result *res,
		      int dry_run, int *imported, int *skipped)
{
	int64_t now = (int64_t)time(NULL);
	uint8_t hash[CRYPTO_HASH_LEN], sealed[STORE_SEALED_MAX];
	struct audit_keys ak;
	char details[160];
	char *body = notice_body(env->cfg);
	int rc;

	*imported = *skipped = 0;
	if (!body)
		return BANDITORE_ENOMEM;
	audit_keys_from(&ak, &env->keys);
	rc = store_begin(st);
	for (int i = 0; !rc && i < res->n_rows; i++) {
		size_t sealed_len = 0;
		int joined = 0;
		rc = import_join(st, &env->keys, PLATFORM_WHATSAPP, &res->rows[i], now, &joined, hash,
				 sealed, &sealed_len);
		if (!rc && joined)
			rc = queue_notice(st, hash, sealed, sealed_len, body, now);
		if (!rc && joined)
			(*imported)++;
		else if (!rc) {
			(*skipped)++;
			printf(T("riga %d: già iscritto, saltato (resta la sua iscrizione)\n",
				 "line %d: already subscribed, skipped (their own receipt stands)\n"),
			       res->rows[i].line);
		}
	}
	crypto_wipe(sealed, sizeof(sealed));
	/* The audit says how many, never who. */
	snprintf(details, sizeof(details), "{\"imported\":%d,\"skipped\":%d,\"platform\":\"whatsapp\"}",
		 *imported, *skipped);
	if (!rc && !dry_run)
		rc = audit_append(st, &ak, "cli", "subscribers.import", "subscribers", details, now, NULL);
	crypto_wipe(&ak, sizeof(ak));
	free(body);
	if (!rc && !dry_run)
		rc = store_commit(st);
	if (rc || dry_run)
		store_rollback(st);
	return rc;
}

int cmd_subscribers_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "platform", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *platform = NULL, *file;
	struct import_result res;
	struct cli_env env;
	struct store *st = NULL;
	char *data = NULL;
	size_t len = 0;
	int c, rc, dry_run = 0, imported = 0, skipped = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:p:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'p': platform = optarg; break;
		case 'n': dry_run = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || !platform) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(platform, "whatsapp")) {
		fprintf(stderr, T("Piattaforma non supportata per l'importazione: %s (solo whatsapp)\n",
				  "Platform not supported for import: %s (whatsapp only)\n"), platform);
		return EXIT_USAGE;
	}
	file = argv[optind];
	rc = read_all(file, &data, &len);
	if (rc) {
		fprintf(stderr, T("Impossibile leggere %s: %s\n", "Cannot read %s: %s\n"), file,
			rc == BANDITORE_ETOOBIG ? T("file troppo grande", "file too big") : banditore_strerror(rc));
		return 1;
	}
	rc = import_csv_parse(data, len, (int64_t)time(NULL), &res);
	crypto_wipe(data, len);
	free(data);
	if (rc) {
		fprintf(stderr, "%s: %s\n", file, banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
	if (res.n_errors) {
		for (int i = 0; i < res.n_errors; i++)
			fprintf(stderr, T("%s:%d: %s\n", "%s:%d: %s\n"), file, res.errors[i].line,
				res.errors[i].message);
		if (res.more_errors)
			fprintf(stderr, T("... e altri %d problemi\n", "... and %d more problems\n"), res.more_errors);
		fprintf(stderr, T("Nessun numero importato: correggere il file e riprovare.\n",
				  "Nothing imported: fix the file and try again.\n"));
		import_result_clear(&res);
		return 1;
	}
	rc = cli_env_load(&env, config, data_dir, 0, 1);
	if (rc) {
		import_result_clear(&res);
		return rc;
	}
	if (access(env.db_path, F_OK) != 0) {
		fprintf(stderr, T("Database non trovato in %s: eseguire prima 'banditore init'.\n",
				  "Database not found in %s: run 'banditore init' first.\n"), env.db_path);
		rc = 1;
		goto out;
	}
	rc = store_open(env.db_path, &st);
	if (!rc)
		rc = store_rows(st, &env, &res, dry_run, &imported, &skipped);
	if (rc) {
		fprintf(stderr, T("Importazione non riuscita, nulla è stato salvato: %s\n",
				  "Import failed, nothing was stored: %s\n"), banditore_strerror(rc));
		rc = EXIT_INTERNAL;
		goto out;
	}
	if (dry_run)
		printf(T("Prova (--dry-run): %d numeri da importare, %d già iscritti; nulla è stato salvato.\n",
			 "Dry run: %d numbers to import, %d already subscribed; nothing was stored.\n"),
		       imported, skipped);
	else
		printf(T("Importati %d numeri (%d già iscritti, saltati). %d avvisi in coda: partono al ritmo del numero con 'banditore serve'.\n",
			 "Imported %d numbers (%d already subscribed, skipped). %d notices queued: they go out at the number's pace with 'banditore serve'.\n"),
		       imported, skipped, imported);
	/* Each notice starts a business-initiated conversation: the number's daily tier
	 * caps how many different people it may reach in 24 hours. */
	if (env.cfg->wa_messaging_limit > 0 && imported > env.cfg->wa_messaging_limit)
		printf(T("Attenzione: il numero può raggiungere %d persone diverse ogni 24 ore (messaging_limit): importare al massimo tanti numeri al giorno, o gli avvisi in più non partiranno.\n",
			 "Warning: the number may reach %d different people per 24 hours (messaging_limit): import at most that many numbers a day, or the extra notices will not go out.\n"),
		       env.cfg->wa_messaging_limit);
out:
	store_free(st);
	cli_env_clear(&env);
	import_result_clear(&res);
	return rc;
}
