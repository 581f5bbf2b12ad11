/*
 * cmd_audit.c - `banditore audit verify|export`: the comune's proof of who did what.
 *
 * verify walks the whole hash chain (audit.h) with the key from the data folder and
 * says in one line that it is intact, or names the first entry that was altered,
 * inserted, deleted or moved (exit 1). export writes the entries of a period as JSON or
 * CSV, to standard output or a file.
 */
#include "audit/audit.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/err.h"
#include "common/i18n.h"
#include "store/store.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore audit verify --config FILE [--data-dir CARTELLA]\n"
		  "     banditore audit export [--from DATA] [--to DATA] [--format json|csv]\n"
		  "                            [--output FILE] --config FILE [--data-dir CARTELLA]\n"
		  "\n"
		  "verify  controlla tutta la catena del registro di audit: esce con 0 se è integra,\n"
		  "        con 1 nominando la prima voce alterata, inserita o cancellata\n"
		  "export  scrive le voci di un periodo in JSON (predefinito) o CSV\n"
		  "DATA    AAAA-MM-GG, ora locale; --to comprende tutto quel giorno\n"
		  "        (predefiniti: dall'inizio del registro a oggi)\n"
		  "--output scrive nel FILE (creato con permessi 0600) invece che a schermo\n",
		  "Usage: banditore audit verify --config FILE [--data-dir FOLDER]\n"
		  "       banditore audit export [--from DATE] [--to DATE] [--format json|csv]\n"
		  "                              [--output FILE] --config FILE [--data-dir FOLDER]\n"
		  "\n"
		  "verify  check the audit log's whole chain: exit 0 when intact, 1 naming the\n"
		  "        first entry altered, inserted or deleted\n"
		  "export  write the entries of a period as JSON (default) or CSV\n"
		  "DATE    YYYY-MM-DD, local time; --to includes that whole day\n"
		  "        (defaults: from the log's beginning to today)\n"
		  "--output write to FILE (created with mode 0600) instead of the screen\n"));
}

static void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 32, "-");
}

/* The local midnight starting the day `date` (YYYY-MM-DD) plus `days_after` days. */
static int parse_day(const char *date, int days_after, int64_t *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(date) != 10)
		return -1;
	end = strptime(date, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	tm.tm_mday += days_after;
	tm.tm_hour = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int do_verify(struct store *st, const struct audit_keys *k)
{
	struct audit_report r;
	char first[32], last[32], head[2 * CRYPTO_HASH_LEN + 1];
	int rc = audit_verify(st, k, &r);

	if (rc) {
		fprintf(stderr, T("Verifica non riuscita: %s (%s)\n", "Verification failed: %s (%s)\n"),
			banditore_strerror(rc), store_errmsg(st));
		return EXIT_INTERNAL;
	}
	if (r.problem != AUDIT_INTACT) {
		printf(T("Registro di audit NON integro: voce n. %lld: %s.",
			 "Audit log NOT intact: entry no. %lld: %s."),
		       (long long)r.seq, audit_problem_text(r.problem));
		if (r.last_seq > 0)
			printf(T(" Le voci da 1 a %lld sono integre.\n",
				 " Entries 1 to %lld are intact.\n"),
			       (long long)r.last_seq);
		else
			printf("\n");
		return 1;
	}
	if (r.entries == 0) {
		printf("%s", T("Registro di audit integro: nessuna voce.\n",
			       "Audit log intact: no entries.\n"));
		return 0;
	}
	format_time(r.first_at, first);
	format_time(r.last_at, last);
	crypto_hex(r.last_hash, CRYPTO_HASH_LEN, head);
	printf(T("Registro di audit integro: %lld voci (n. 1-%lld, dal %s al %s), ultima impronta %s\n",
		 "Audit log intact: %lld entries (no. 1-%lld, from %s to %s), last hash %s\n"),
	       (long long)r.entries, (long long)r.last_seq, first, last, head);
	return 0;
}

static int do_export(struct store *st, int64_t since, int64_t until, enum audit_format format,
		     const char *output)
{
	FILE *out = stdout;
	int64_t count = 0;
	int rc, fd;

	if (output) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || !(out = fdopen(fd, "w"))) {
			if (fd >= 0)
				close(fd);
			fprintf(stderr, T("Impossibile scrivere %s\n", "Cannot write %s\n"), output);
			return 1;
		}
	}
	rc = audit_export(st, since, until, format, out, &count);
	if (output && fclose(out) != 0 && !rc)
		rc = BANDITORE_EIO;
	if (rc) {
		fprintf(stderr, T("Esportazione non riuscita: %s\n", "Export failed: %s\n"),
			banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
	if (output)
		printf(T("%lld voci esportate in %s\n", "%lld entries exported to %s\n"),
		       (long long)count, output);
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *from = NULL, *to = NULL, *output = NULL;
	const char *action;
	enum audit_format format = AUDIT_FORMAT_JSON;
	int64_t since = INT64_MIN, until = INT64_MAX;
	struct audit_keys ak;
	struct cli_env env;
	struct store *st = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:d:f:t:F:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'o': output = optarg; break;
		case 'F':
			if (!strcmp(optarg, "json")) {
				format = AUDIT_FORMAT_JSON;
			} else if (!strcmp(optarg, "csv")) {
				format = AUDIT_FORMAT_CSV;
			} else {
				fprintf(stderr, T("Formato sconosciuto: %s (json o csv)\n",
						  "Unknown format: %s (json or csv)\n"), optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	action = argv[optind];
	if (strcmp(action, "verify") && strcmp(action, "export")) {
		fprintf(stderr, T("Azione sconosciuta: %s\n", "Unknown action: %s\n"), action);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(action, "verify") && (from || to || output)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((from && parse_day(from, 0, &since)) || (to && parse_day(to, 1, &until))) {
		fprintf(stderr, "%s", T("Data non valida: usare AAAA-MM-GG.\n",
					"Invalid date: use YYYY-MM-DD.\n"));
		return EXIT_USAGE;
	}
	if (since >= until) {
		fprintf(stderr, "%s", T("--from viene dopo --to.\n", "--from comes after --to.\n"));
		return EXIT_USAGE;
	}
	rc = cli_env_load(&env, config, data_dir, 0, !strcmp(action, "verify"));
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
	if (!strcmp(action, "verify")) {
		audit_keys_from(&ak, &env.keys);
		rc = do_verify(st, &ak);
		crypto_wipe(&ak, sizeof(ak));
	} else {
		rc = do_export(st, since, until, format, output);
	}
	store_free(st);
	cli_env_clear(&env);
	return rc;
}
