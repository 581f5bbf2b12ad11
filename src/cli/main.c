/*
 * main.c - the `banditore` command: dispatch to the subcommands.
 *
 *   banditore init        create the data folder, the key and the database
 *   banditore serve       run the server
 *   banditore config      check a configuration file
 *   banditore subscribers count, show or remove subscribers (requests under GDPR)
 *   banditore publish     compose a message and approve it for broadcasting
 *   banditore policy      check a message against the comune's policy
 *   banditore token       create, list or revoke the JSON API's tokens
 *   banditore staff       create, list, revoke staff accounts; passwords; second factor
 *   banditore audit       verify the audit log's chain, export a period
 *   banditore version     print the version
 */
#include "cli/commands.h"
#include "common/i18n.h"

#include <stdio.h>
#include <string.h>

#ifndef BANDITORE_VERSION
#define BANDITORE_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore COMANDO [OPZIONI]\n"
		  "\n"
		  "Banditore: il canale di messaggistica istituzionale del comune.\n"
		  "\n"
		  "Comandi:\n"
		  "  init         crea la cartella dati, la chiave di cifratura e il database\n"
		  "  serve        avvia il server\n"
		  "  config check controlla un file di configurazione\n"
		  "  subscribers  conta, mostra o cancella iscritti (richieste GDPR art. 15 e 17)\n"
		  "  publish      compone un messaggio e lo approva per l'invio\n"
		  "  policy check controlla un messaggio con la policy del comune\n"
		  "  token        crea, elenca o revoca i token dell'API JSON\n"
		  "  staff        account del personale: crea, elenca, revoca, password, TOTP\n"
		  "  audit        verifica il registro di audit (chi ha fatto cosa) o ne esporta un periodo\n"
		  "  email bounce conta una mancata consegna (DSN su stdin) contro l'iscritto\n"
		  "  version      mostra la versione\n"
		  "\n"
		  "'banditore COMANDO --help' spiega ogni comando. In inglese: LANG=en_US.UTF-8.\n",
		  "Usage: banditore COMMAND [OPTIONS]\n"
		  "\n"
		  "Banditore: the comune's institutional messaging channel.\n"
		  "\n"
		  "Commands:\n"
		  "  init         create the data folder, the encryption key and the database\n"
		  "  serve        run the server\n"
		  "  config check check a configuration file\n"
		  "  subscribers  count, show or remove subscribers (GDPR art. 15 and 17 requests)\n"
		  "  publish      compose a message and approve it for sending\n"
		  "  policy check check a message against the comune's policy\n"
		  "  token        create, list or revoke the JSON API's tokens\n"
		  "  staff        staff accounts: create, list, revoke, password, TOTP\n"
		  "  audit        verify the audit log (who did what) or export a period\n"
		  "  email bounce count a bounce (a DSN on stdin) against the subscriber\n"
		  "  version      print the version\n"
		  "\n"
		  "'banditore COMMAND --help' explains each command.\n"));
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("banditore %s\n", BANDITORE_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "init"))
		return cmd_init(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(argc - 1, argv + 1);
	if (!strcmp(cmd, "config"))
		return cmd_config(argc - 1, argv + 1);
	if (!strcmp(cmd, "subscribers"))
		return cmd_subscribers(argc - 1, argv + 1);
	if (!strcmp(cmd, "publish"))
		return cmd_publish(argc - 1, argv + 1);
	if (!strcmp(cmd, "policy"))
		return cmd_policy(argc - 1, argv + 1);
	if (!strcmp(cmd, "token"))
		return cmd_token(argc - 1, argv + 1);
	if (!strcmp(cmd, "staff"))
		return cmd_staff(argc - 1, argv + 1);
	if (!strcmp(cmd, "audit"))
		return cmd_audit(argc - 1, argv + 1);
	if (!strcmp(cmd, "email"))
		return cmd_email(argc - 1, argv + 1);
	fprintf(stderr, T("Comando sconosciuto: %s\n\n", "Unknown command: %s\n\n"), cmd);
	usage(stderr);
	return EXIT_USAGE;
}
