/*
 * cmd_token.c - `banditore token create|list|revoke`: the API's bearer tokens.
 *
 * The secret is printed once, by create, and never again: the database holds only its
 * SHA-256 (staff/tokens.h). list shows names, scopes and dates, never a secret.
 */
#include "audit/audit.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/i18n.h"
#include "staff/tokens.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LIST_MAX 1000

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore token create NOME [--scope PERMESSO]... --config FILE [--data-dir CARTELLA]\n"
		  "     banditore token list --config FILE [--data-dir CARTELLA]\n"
		  "     banditore token revoke NOME --config FILE [--data-dir CARTELLA]\n"
		  "\n"
		  "create  crea un token per l'API JSON e ne mostra il segreto una sola volta\n"
		  "list    elenca i token (nome, permessi, creazione, revoca; mai il segreto)\n"
		  "revoke  revoca subito il token: le richieste che lo usano sono rifiutate\n"
		  "NOME    chi o cosa lo usa: lettere, cifre, '.', '_' e '-', al massimo 63\n"
		  "--scope uno di: " TOKENS_SCOPES_ALL "\n"
		  "        (ripetibile; predefiniti: messages:read e messages:write; docs/permessi.md)\n",
		  "Usage: banditore token create NAME [--scope SCOPE]... --config FILE [--data-dir FOLDER]\n"
		  "       banditore token list --config FILE [--data-dir FOLDER]\n"
		  "       banditore token revoke NAME --config FILE [--data-dir FOLDER]\n"
		  "\n"
		  "create  make a token for the JSON API and show its secret, once\n"
		  "list    list the tokens (name, scopes, created, revoked; never the secret)\n"
		  "revoke  revoke the token now: requests using it are refused\n"
		  "NAME    who or what uses it: letters, digits, '.', '_' and '-', at most 63\n"
		  "--scope one of: " TOKENS_SCOPES_ALL "\n"
		  "        (repeatable; default: messages:read and messages:write; docs/permessi.md)\n"));
}

static void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(out, 32, "-");
}

/* The audit entry of a token's creation or revocation (object "token:NAME"). */
static int record(struct store *st, const struct audit_keys *ak, const char *action,
		  const char *name, const char *scopes, int64_t now)
{
	char object[80], details[256];

	snprintf(object, sizeof(object), "token:%s", name);
	if (scopes) /* scopes are [a-z:] words and spaces: no escaping needed */
		snprintf(details, sizeof(details), "{\"scopes\":\"%s\"}", scopes);
	else
		snprintf(details, sizeof(details), "{}");
	return audit_append(st, ak, "cli", action, object, details, now, NULL);
}

static int do_create(struct store *st, const struct audit_keys *ak, const char *name,
		     const char *scopes)
{
	char secret[TOKENS_SECRET_MAX];
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (!tokens_name_valid(name)) {
		fprintf(stderr, T("Nome non valido: usare lettere, cifre, '.', '_' e '-' (al massimo 63).\n",
				  "Invalid name: use letters, digits, '.', '_' and '-' (at most 63).\n"));
		return 1;
	}
	rc = store_begin(st);
	if (!rc) {
		rc = tokens_create(st, name, scopes, now, secret, NULL);
		if (!rc)
			rc = record(st, ak, "token.create", name,
				    scopes ? scopes : TOKENS_SCOPES_DEFAULT, now);
		if (!rc)
			rc = store_commit(st);
		if (rc)
			store_rollback(st);
	}
	if (rc == BANDITORE_EEXIST) {
		fprintf(stderr, T("Esiste già un token valido di nome '%s': sceglierne un altro o revocarlo.\n",
				  "A valid token named '%s' exists already: choose another name or revoke it.\n"),
			name);
		return 1;
	}
	if (rc) {
		fprintf(stderr, T("Creazione del token non riuscita: %s\n", "Token creation failed: %s\n"),
			banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
	printf(T("Token '%s' creato, permessi: %s.\n", "Token '%s' created, scopes: %s.\n"), name,
	       scopes ? scopes : TOKENS_SCOPES_DEFAULT);
	printf("%s",
	       T("Il segreto qui sotto è mostrato solo ora e non si può recuperare: conservarlo in un\n"
		 "luogo sicuro (per esempio un gestore di password) e non inviarlo per e-mail.\n"
		 "Chi lo possiede può pubblicare a nome del comune. Se va perso: 'banditore token revoke'.\n",
		 "The secret below is shown only now and cannot be recovered: store it somewhere\n"
		 "safe (for example a password manager) and do not send it by e-mail. Whoever\n"
		 "holds it can publish on the comune's behalf. If it is lost: 'banditore token revoke'.\n"));
	printf("\n%s\n", secret);
	crypto_wipe(secret, sizeof(secret));
	return 0;
}

static int do_list(struct store *st)
{
	struct store_token *t = calloc(LIST_MAX, sizeof(*t));
	int n = 0, rc;

	if (!t)
		return EXIT_INTERNAL;
	rc = tokens_list(st, t, LIST_MAX, &n);
	if (rc) {
		fprintf(stderr, "%s\n", banditore_strerror(rc));
		free(t);
		return EXIT_INTERNAL;
	}
	printf("%-24s %-30s %-17s %s\n", T("nome", "name"), T("permessi", "scopes"),
	       T("creato", "created"), T("revocato", "revoked"));
	for (int i = 0; i < n; i++) {
		char created[32], revoked[32];
		format_time(t[i].created_at, created);
		format_time(t[i].revoked_at, revoked);
		printf("%-24s %-30s %-17s %s\n", t[i].name, t[i].scopes, created, revoked);
	}
	if (n == 0)
		printf("%s", T("(nessun token)\n", "(no tokens)\n"));
	free(t);
	return 0;
}

static int do_revoke(struct store *st, const struct audit_keys *ak, const char *name)
{
	int64_t now = (int64_t)time(NULL);
	int rc = store_begin(st);

	if (!rc) {
		rc = tokens_revoke(st, name, now);
		if (!rc)
			rc = record(st, ak, "token.revoke", name, NULL, now);
		if (!rc)
			rc = store_commit(st);
		if (rc)
			store_rollback(st);
	}

	if (rc == BANDITORE_ENOTFOUND) {
		fprintf(stderr, T("Nessun token valido di nome '%s'.\n", "No valid token named '%s'.\n"), name);
		return 1;
	}
	if (rc) {
		fprintf(stderr, T("Revoca non riuscita: %s\n", "Revocation failed: %s\n"),
			banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
	printf(T("Token '%s' revocato: da ora le richieste che lo usano sono rifiutate.\n",
		 "Token '%s' revoked: requests using it are refused from now on.\n"), name);
	return 0;
}

/* Appends `scope` to the space-separated list `scopes`; -1 when it does not fit. */
static int add_scope(char *scopes, size_t cap, const char *scope)
{
	size_t len = strlen(scopes);
	int n = snprintf(scopes + len, cap - len, "%s%s", len ? " " : "", scope);

	return n < 0 || (size_t)n >= cap - len ? -1 : 0;
}

int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "scope", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *action, *name = NULL;
	char scopes[sizeof(((struct store_token *)0)->scopes)] = "";
	struct cli_env env;
	struct audit_keys ak;
	struct store *st = NULL;
	int c, rc;

	memset(&ak, 0, sizeof(ak));
	while ((c = getopt_long(argc, argv, "c:d:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 's':
			if (add_scope(scopes, sizeof(scopes), optarg) != 0) {
				fprintf(stderr, "%s", T("Troppi permessi.\n", "Too many scopes.\n"));
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	action = argv[optind++];
	if (!strcmp(action, "create") || !strcmp(action, "revoke")) {
		if (optind >= argc) {
			fprintf(stderr, "%s", T("Indicare il nome del token.\n", "Give the token's name.\n"));
			return EXIT_USAGE;
		}
		name = argv[optind++];
	} else if (strcmp(action, "list")) {
		fprintf(stderr, T("Azione sconosciuta: %s\n", "Unknown action: %s\n"), action);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind != argc || (scopes[0] && strcmp(action, "create"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (scopes[0] && !tokens_scopes_valid(scopes)) {
		fprintf(stderr, T("Permesso sconosciuto in '%s': quelli possibili sono %s.\n",
				  "Unknown scope in '%s': the possible ones are %s.\n"),
			scopes, TOKENS_SCOPES_ALL);
		return 1;
	}
	/* create and revoke are recorded in the audit log, under its key */
	rc = cli_env_load(&env, config, data_dir, 0, strcmp(action, "list") != 0);
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
	if (strcmp(action, "list"))
		audit_keys_from(&ak, &env.keys);
	if (!strcmp(action, "create"))
		rc = do_create(st, &ak, name, scopes[0] ? scopes : NULL);
	else if (!strcmp(action, "list"))
		rc = do_list(st);
	else
		rc = do_revoke(st, &ak, name);
	crypto_wipe(&ak, sizeof(ak));
	store_free(st);
	cli_env_clear(&env);
	return rc;
}
