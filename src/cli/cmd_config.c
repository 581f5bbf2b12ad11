/*
 * cmd_config.c - `banditore config check FILE...`: is this configuration right?
 *
 * The IT office runs it before starting the server, and after every change. It prints
 * every problem as FILE:LINE: reason (on stderr) and exits 1, or "FILE: OK" with a
 * short summary and exits 0. The secrets are checked too when they are there to check
 * (the secrets file exists, or a BANDITORE_WHATSAPP_* variable is set); a secrets file
 * not yet provisioned is only a warning, so the main file can be checked first.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore config check FILE...\n"
		  "\n"
		  "Controlla il file di configurazione del comune e stampa ogni problema come\n"
		  "FILE:RIGA: motivo. Controlla anche i segreti di WhatsApp quando il secrets_file\n"
		  "esiste o le variabili BANDITORE_WHATSAPP_* sono impostate; un secrets_file che\n"
		  "non c'è ancora dà solo un avviso.\n"
		  "\n"
		  "Esce con 0 se il file è corretto, 1 se ci sono problemi, 2 per un uso sbagliato.\n"
		  "Ogni chiave è descritta in docs/configuration.md.\n",
		  "Usage: banditore config check FILE...\n"
		  "\n"
		  "Checks the comune's configuration file and prints every problem as\n"
		  "FILE:LINE: reason. Also checks the WhatsApp secrets when the secrets_file\n"
		  "exists or the BANDITORE_WHATSAPP_* variables are set; a secrets_file that is\n"
		  "not there yet only gives a warning.\n"
		  "\n"
		  "Exits 0 when the file is right, 1 when there are problems, 2 on wrong usage.\n"
		  "docs/configuration.md describes every key.\n"));
}

static int secrets_in_env(void)
{
	static const char *const vars[] = { "BANDITORE_WHATSAPP_APP_SECRET",
					    "BANDITORE_WHATSAPP_ACCESS_TOKEN",
					    "BANDITORE_WHATSAPP_VERIFY_TOKEN" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return 1;
	}
	return 0;
}

static const char *mode_name(enum config_inbound_mode m)
{
	switch (m) {
	case CONFIG_INBOUND_KEEP_UNTIL_ANSWERED: return "keep-until-answered";
	case CONFIG_INBOUND_NONE: return "none";
	default: return "auto-reply";
	}
}

/* What the policy's sections say, in one line each. */
static void policy_summary(const struct policy *p)
{
	char hours[POLICY_HOURS_TEXT_MAX];
	int terms = 0;

	printf("  %-12s %d", T("categorie:", "categories:"), p->n_categories);
	for (int i = 0; i < p->n_categories; i++)
		printf("%s%s%s", i ? ", " : " (", p->categories[i].id, i + 1 == p->n_categories ? ")" : "");
	policy_hours_describe(p, i18n_english(), hours, sizeof(hours));
	printf("\n  %-12s %s\n", T("orario:", "hours:"), hours[0] ? hours : T("sempre", "always"));
	printf("  %-12s %d\n", T("elezioni:", "elections:"), p->n_periods);
	for (int k = 0; k < POLICY_K_LEXICON_COUNT; k++)
		terms += policy_lexicon_count(p->lexicon, (enum policy_kind)k);
	printf("  %-12s %d %s\n", T("lessici:", "lexicons:"), terms, T("termini", "terms"));
}

static void summary(const char *path, const struct config *cfg, int secrets_checked)
{
	char version[65];
	const char *sep = "";

	printf("%s: OK\n", path);
	printf("  %-12s %s\n", T("comune:", "comune:"), cfg->comune_name);
	printf("  %-12s %s\n", T("canale:", "channel:"), cfg->channel_name);
	printf("  %-12s ", T("piattaforme:", "platforms:"));
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		if (cfg->platforms & (1 << p)) {
			printf("%s%s", sep, platform_name(p));
			sep = ", ";
		}
	}
	printf("\n  %-12s %s\n", T("ricezione:", "inbound:"), mode_name(cfg->inbound_mode));
	if (cfg->platforms & (1 << PLATFORM_WHATSAPP))
		printf("  %-12s %s\n", T("segreti:", "secrets:"),
		       secrets_checked ? T("controllati", "checked") : T("non controllati", "not checked"));
	config_policy_version(cfg, version);
	printf("  %-12s %.12s\n", T("informativa:", "policy:"), version);
	policy_summary(cfg->policy);
	printf("  %-12s %d", T("zone:", "areas:"), cfg->n_areas);
	for (int i = 0; i < cfg->n_areas; i++)
		printf("%s%s%s", i ? ", " : " (", cfg->areas[i].name, i + 1 == cfg->n_areas ? ")" : "");
	printf("\n");
}

static int check_one(const char *path)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	int rc, with_secrets = 0;

	/* First the file alone, then (when there is something to check) with secrets. */
	rc = config_load(path, 0, &cfg, &errs);
	if (rc == 0 && ((cfg->platforms & (1 << PLATFORM_WHATSAPP)) || cfg->wa_secrets_file[0])) {
		int file_there = cfg->wa_secrets_file[0] && access(cfg->wa_secrets_file, F_OK) == 0;
		if (file_there || secrets_in_env()) {
			with_secrets = 1;
		} else if (cfg->wa_secrets_file[0]) {
			fprintf(stderr, T("%s: attenzione: il secrets_file %s non c'è ancora: segreti non controllati "
					  "(il server non partirà senza)\n",
					  "%s: warning: the secrets_file %s is not there yet: secrets not checked "
					  "(the server will not start without them)\n"),
				path, cfg->wa_secrets_file);
		} else {
			fprintf(stderr, T("%s: attenzione: né secrets_file né variabili BANDITORE_WHATSAPP_*: "
					  "segreti non controllati (il server non partirà senza)\n",
					  "%s: warning: neither a secrets_file nor BANDITORE_WHATSAPP_* variables: "
					  "secrets not checked (the server will not start without them)\n"),
				path);
		}
	}
	if (with_secrets) {
		config_free(cfg);
		cfg = NULL;
		rc = config_load(path, 1, &cfg, &errs);
	}
	if (rc == 0 && cfg->lexicon_missing)
		fprintf(stderr, T("%s: attenzione: [content] lexicon_dir non è impostato e i lessici installati non ci "
				  "sono: nessun controllo di propaganda, pubblicità, linguaggio e dati particolari\n",
				  "%s: warning: [content] lexicon_dir is not set and the installed lexicons are "
				  "absent: no checks of propaganda, advertising, language and special data\n"),
			path);
	if (rc == 0)
		summary(path, cfg, with_secrets);
	else if (errs.count)
		cli_print_config_errors(&errs);
	else
		fprintf(stderr, "%s: %s\n", path, banditore_strerror(rc));
	config_free(cfg);
	config_errors_free(&errs);
	if (rc == BANDITORE_ENOMEM)
		return EXIT_INTERNAL;
	return rc ? 1 : 0;
}

int cmd_config(int argc, char **argv)
{
	int status = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2)
			fprintf(stderr, T("Sottocomando sconosciuto: config %s\n\n", "Unknown subcommand: config %s\n\n"),
				argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, T("Opzione sconosciuta: %s\n\n", "Unknown option: %s\n\n"), argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc < 3) {
		fprintf(stderr, "%s\n\n", T("Manca il FILE da controllare.", "Missing the FILE to check."));
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		int r = check_one(argv[i]);
		if (r > status)
			status = r;
	}
	return status;
}
