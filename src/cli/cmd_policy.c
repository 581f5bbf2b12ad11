/*
 * cmd_policy.c - `banditore policy check`: what the comune's policy says about one
 * message, before anyone publishes it.
 *
 * The message is the API's JSON object (title, text, category, link, priority,
 * scheduled_at, expires_at, justification, overrides); the verdicts are those the API's
 * 422 carries and `publish` prints. No database is opened: the frequency rule, which
 * needs the channel's recent messages, is checked by publish and the API only.
 *
 * Exit status: 0 the message may be sent, 1 it is blocked (a block, or a warning not
 * overridden with a reason), 2 wrong usage, an unreadable file, an invalid configuration
 * or a message that is not well formed.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "config/config.h"
#include "messages/messages.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGE_FILE_MAX (1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore policy check --config FILE [--json] [--at DATA_ORA] MESSAGGIO.json\n"
		  "\n"
		  "Controlla un messaggio con la policy del comune e stampa i verdetti: per ciascuno\n"
		  "la regola, la fonte (articolo della policy), il motivo e il punto del testo.\n"
		  "MESSAGGIO.json è l'oggetto dell'API: title, text, category, link, priority,\n"
		  "scheduled_at, expires_at, justification, overrides [{\"rule\", \"reason\"}]\n"
		  "(- legge lo standard input).\n"
		  "--json      un oggetto JSON: allowed, send_at, verdicts\n"
		  "--at        il momento del controllo (RFC 3339), invece di adesso\n"
		  "\n"
		  "Esce con 0 se il messaggio può partire, 1 se è bloccato, 2 per un uso sbagliato,\n"
		  "un file illeggibile, una configurazione o un messaggio non validi.\n",
		  "Usage: banditore policy check --config FILE [--json] [--at DATE_TIME] MESSAGE.json\n"
		  "\n"
		  "Checks a message against the comune's policy and prints the verdicts: for each,\n"
		  "the rule, the source (the policy's article), the reason and where in the text.\n"
		  "MESSAGE.json is the API's object: title, text, category, link, priority,\n"
		  "scheduled_at, expires_at, justification, overrides [{\"rule\", \"reason\"}]\n"
		  "(- reads standard input).\n"
		  "--json      one JSON object: allowed, send_at, verdicts\n"
		  "--at        the time of the check (RFC 3339), instead of now\n"
		  "\n"
		  "Exits 0 when the message may go out, 1 when it is blocked, 2 on wrong usage,\n"
		  "an unreadable file, an invalid configuration or message.\n"));
}

static int read_all(const char *path, struct buf *b)
{
	char chunk[4096];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(b, chunk, (size_t)n) != 0) {
			fprintf(stderr, T("%s: impossibile leggere il messaggio (%s)\n",
					  "%s: cannot read the message (%s)\n"),
				path, n < 0 ? strerror(errno) : T("file troppo grande", "file too large"));
			if (fd != STDIN_FILENO)
				close(fd);
			return -1;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

static const char *level_word(const struct policy_verdict *v)
{
	if (v->overridden)
		return T("SUPERATO", "OVERRIDDEN");
	switch (v->level) {
	case POLICY_BLOCK: return T("BLOCCO", "BLOCK");
	case POLICY_WARN: return T("AVVISO", "WARNING");
	default: return "INFO";
	}
}

static const char *field_word(const char *field)
{
	static const char *const map[][3] = {
		{ "title", "titolo", "title" }, { "text", "testo", "text" },
		{ "link", "collegamento", "link" }, { "category", "categoria", "category" },
		{ "priority", "priorità", "priority" }, { "scheduled_at", "orario", "time" },
		{ "justification", "motivazione", "justification" },
		{ "attachment", "allegato", "attachment" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], field))
			return T(map[i][1], map[i][2]);
	return field;
}

/* One readable line per verdict, then the outcome. */
void cli_print_verdicts(const struct policy_result *r)
{
	char when[MESSAGES_TIME_MAX];

	for (int i = 0; i < r->n_verdicts; i++) {
		const struct policy_verdict *v = &r->verdicts[i];
		printf("%-10s %s (%s)", level_word(v), v->rule, v->source);
		if (v->field[0] && v->len)
			printf(T(" - %s, byte %zu-%zu", " - %s, bytes %zu-%zu"), field_word(v->field), v->start,
			       v->start + v->len);
		else if (v->field[0])
			printf(" - %s", field_word(v->field));
		printf(": %s\n", T(v->reason, v->reason_en));
	}
	if (r->n_dropped)
		printf(T("... e altri %d verdetti\n", "... and %d more verdicts\n"), r->n_dropped);
	messages_time_format(r->send_at, when);
	if (r->allowed)
		printf(T("Esito: il messaggio può partire (%s UTC).\n", "Outcome: the message may go out (%s UTC).\n"),
		       when);
	else
		printf("%s", T("Esito: il messaggio è bloccato: correggerlo, o superare gli avvisi con una motivazione "
			       "scritta (overrides).\n",
			       "Outcome: the message is blocked: fix it, or override the warnings with a written "
			       "reason (overrides).\n"));
}

static int check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *at = NULL;
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	struct messages_rules rules;
	struct messages_notes notes;
	struct messages_error err;
	struct store_message m;
	struct policy_result *res = NULL;
	struct buf body;
	int64_t now = (int64_t)time(NULL);
	int c, rc, json = 0;

	memset(&m, 0, sizeof(m));
	buf_init(&body, MESSAGE_FILE_MAX);
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': json = 1; break;
		case 'a': at = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (!config || optind + 1 != argc) {
		if (!config)
			fprintf(stderr, "%s", T("Manca --config FILE.\n\n", "Missing --config FILE.\n\n"));
		usage(stderr);
		return EXIT_USAGE;
	}
	if (at && messages_time_parse(at, &now) != 0) {
		fprintf(stderr, T("--at: '%s' non è una data e ora RFC 3339 con fuso orario\n",
				  "--at: '%s' is not an RFC 3339 date and time with an offset\n"), at);
		return EXIT_USAGE;
	}
	rc = config_load(config, 0, &cfg, &errs);
	if (rc) {
		if (errs.count)
			cli_print_config_errors(&errs);
		else
			fprintf(stderr, "%s: %s\n", config, banditore_strerror(rc));
		rc = EXIT_USAGE;
		goto done;
	}
	if (read_all(argv[optind], &body) != 0) {
		rc = EXIT_USAGE;
		goto done;
	}
	messages_rules_from_config(cfg, &rules);
	rc = messages_parse_json_notes(body.data ? body.data : "", body.len, &rules, now, &m, &notes, &err);
	if (rc) {
		if (rc == BANDITORE_EINVAL)
			fprintf(stderr, T("Messaggio non valido%s%s: %s\n", "Invalid message%s%s: %s\n"),
				err.field[0] ? ", " : "", err.field, T(err.message, err.message_en));
		else
			fprintf(stderr, "%s\n", banditore_strerror(rc));
		rc = EXIT_USAGE;
		goto done;
	}
	res = malloc(sizeof(*res));
	if (!res || messages_policy_check(&rules, &m, &notes, NULL, now, res) != 0) {
		rc = EXIT_INTERNAL;
		goto done;
	}
	if (json) {
		json_t *o = messages_policy_json(res);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!s) {
			rc = EXIT_INTERNAL;
			goto done;
		}
		printf("%s\n", s);
		free(s);
	} else {
		cli_print_verdicts(res);
	}
	rc = res->allowed ? 0 : 1;
done:
	free(res);
	store_message_clear(&m);
	buf_free(&body);
	config_free(cfg);
	config_errors_free(&errs);
	return rc;
}

int cmd_policy(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		if (argc >= 2)
			fprintf(stderr, T("Sottocomando sconosciuto: policy %s\n\n", "Unknown subcommand: policy %s\n\n"),
				argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return check(argc - 1, argv + 1);
}
