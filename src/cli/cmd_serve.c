/* cmd_serve.c - `banditore serve`: run the daemon in the foreground (systemd style). */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/i18n.h"
#include "daemon/daemon.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore serve --config FILE [--data-dir CARTELLA] [--listen HOST:PORTA]\n"
		  "\n"
		  "Avvia il server in primo piano e scrive i log (una riga chiave=valore per evento)\n"
		  "sullo standard error. Si ferma in modo pulito con SIGTERM o Ctrl-C.\n"
		  "I segreti WhatsApp si leggono dal file indicato in [whatsapp] secrets_file o\n"
		  "dall'ambiente (BANDITORE_WHATSAPP_APP_SECRET, _ACCESS_TOKEN, _VERIFY_TOKEN).\n",
		  "Usage: banditore serve --config FILE [--data-dir FOLDER] [--listen HOST:PORT]\n"
		  "\n"
		  "Runs the server in the foreground, logging one key=value line per event to\n"
		  "standard error. Stops cleanly on SIGTERM or Ctrl-C. WhatsApp secrets come from\n"
		  "the file named in [whatsapp] secrets_file or from the environment\n"
		  "(BANDITORE_WHATSAPP_APP_SECRET, _ACCESS_TOKEN, _VERIFY_TOKEN).\n"));
}

/* Splits "HOST:PORT" into its parts; host must fit in host[64]. */
static int parse_listen(const char *s, char host[64], int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (!colon || colon == s || (size_t)(colon - s) >= 64)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	*port = (int)p;
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *listen = NULL;
	struct daemon_options opt;
	struct cli_env env;
	char host[64];
	int c, rc, port = 0;

	while ((c = getopt_long(argc, argv, "c:d:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'l': listen = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (listen && parse_listen(listen, host, &port) != 0) {
		fprintf(stderr, T("--listen vuole HOST:PORTA, per esempio 127.0.0.1:8080\n",
				  "--listen wants HOST:PORT, for example 127.0.0.1:8080\n"));
		return EXIT_USAGE;
	}
	rc = cli_env_load(&env, config, data_dir, 1, 1);
	if (rc)
		return rc;
	memset(&opt, 0, sizeof(opt));
	opt.cfg = env.cfg;
	opt.keys = &env.keys;
	opt.store_url = env.db_path;
	if (listen) {
		opt.listen_address = host;
		opt.listen_port = port;
	}
	rc = daemon_run(&opt) == 0 ? 0 : 1;
	cli_env_clear(&env);
	return rc;
}
