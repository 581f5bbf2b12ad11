/*
 * cmd_email.c - banditore email bounce: reads a delivery status notification (RFC 3464)
 * on standard input, as a relay's pipe transport hands it over (Postfix: a `pipe` service
 * for the bounce address), and counts one permanent failure against each subscriber it
 * reports as failed with a 5.x.x status. Prints how many were counted, never addresses.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "store/store.h"
#include "subscribers/email_optin.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DSN_MAX (1024 * 1024) /* a DSN with the returned headers; larger input is refused */

static void usage(FILE *f)
{
	fprintf(f, T("uso: banditore email bounce [--config FILE] [--data-dir DIR] < messaggio\n",
		     "usage: banditore email bounce [--config FILE] [--data-dir DIR] < message\n"));
}

int cmd_email(int argc, char **argv)
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
	struct buf in;
	char chunk[8192];
	size_t n;
	int c, rc, counted = 0;

	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "bounce")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	buf_init(&in, DSN_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (buf_append(&in, chunk, n) != 0) {
			fprintf(stderr, T("Messaggio troppo grande.\n", "Message too large.\n"));
			buf_free(&in);
			return 1;
		}
	}
	rc = cli_env_load(&env, config, data_dir, 0, 1);
	if (rc) {
		buf_free(&in);
		return rc;
	}
	rc = store_open(env.db_path, &st);
	if (!rc)
		rc = store_begin(st);
	if (!rc) {
		rc = email_optin_bounce(st, &env.keys, buf_cstr(&in), in.len, &counted);
		if (rc)
			store_rollback(st);
		else
			rc = store_commit(st);
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", env.db_path, banditore_strerror(rc));
	else
		printf(T("Mancate consegne permanenti contate: %d\n", "Permanent failures counted: %d\n"),
		       counted);
	store_free(st);
	cli_env_clear(&env);
	buf_free(&in);
	return rc ? EXIT_INTERNAL : 0;
}
