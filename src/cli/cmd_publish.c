/*
 * cmd_publish.c - `banditore publish`: compose a message on the command line and
 * approve it for broadcasting (or keep it as a draft).
 *
 * The message passes exactly the checks of the API (messages_compose). It is written
 * to the database on this command's own connection, in one transaction; the running
 * daemon looks for due messages at least once a second, so it needs no signal.
 */
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "media/media.h"
#include "messages/messages.h"
#include "messages/messages_audience.h"
#include "messages/messages_audit.h"
#include "messages/messages_cost.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEXT_FILE_MAX (1024 * 1024) /* read at most this much; the text limit is far lower */

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore publish --config FILE [--data-dir CARTELLA] --category CATEGORIA\n"
		  "       [--title TITOLO] (--text TESTO | --text-file FILE) [--link URL]\n"
		  "       [--emergency] [--at DATA_ORA] [--expires DATA_ORA] [--draft]\n"
		  "       [--justification TESTO] [--override REGOLA=MOTIVO]... [--attachment FILE]\n"
		  "\n"
		  "Registra un messaggio e lo approva per l'invio a tutti gli iscritti di adesso.\n"
		  "Prima lo controlla con la policy del comune (banditore policy check): un messaggio\n"
		  "bloccato non si registra; fuori orario di servizio parte all'apertura successiva.\n"
		  "--justification  perché il messaggio è indispensabile in periodo elettorale\n"
		  "--override       supera l'avviso REGOLA (es. content.advertising) con una motivazione\n"
		  "--attachment     allega FILE (immagine, video o documento; il tipo si riconosce dal\n"
		  "                 contenuto; programmi e documenti con macro sono rifiutati)\n"
		  "--text-file -    legge il testo dallo standard input\n"
		  "--emergency      emergenza: passa davanti agli altri invii\n"
		  "--at             invio programmato, per esempio 2026-12-01T09:00:00+01:00\n"
		  "--expires        oltre questo momento non si invia più (stesso formato)\n"
		  "--draft          registra solo la bozza, senza approvarla\n"
		  "--areas          le zone interessate, es. fornacino,tedeschi (arriva a chi le ha\n"
		  "                 scelte e a chi non ha scelto zone; le emergenze a tutti)\n",
		  "Usage: banditore publish --config FILE [--data-dir FOLDER] --category CATEGORY\n"
		  "       [--title TITLE] (--text TEXT | --text-file FILE) [--link URL]\n"
		  "       [--emergency] [--at DATE_TIME] [--expires DATE_TIME] [--draft]\n"
		  "       [--justification TEXT] [--override RULE=REASON]... [--attachment FILE]\n"
		  "\n"
		  "Stores a message and approves it for sending to every current subscriber.\n"
		  "First checks it against the comune's policy (banditore policy check): a blocked\n"
		  "message is not stored; outside service hours it goes out at the next opening.\n"
		  "--justification  why the message is indispensable in an electoral period\n"
		  "--override       overrides the warning RULE (e.g. content.advertising) with a reason\n"
		  "--attachment     attaches FILE (image, video or document; its type is found from its\n"
		  "                 content; programs and documents with macros are refused)\n"
		  "--text-file -    reads the text from standard input\n"
		  "--emergency      emergency: goes ahead of other sends\n"
		  "--at             scheduled sending, for example 2026-12-01T09:00:00+01:00\n"
		  "--expires        not sent any more after this moment (same format)\n"
		  "--draft          store the draft only, without approving it\n"
		  "--areas          the areas concerned, e.g. fornacino,tedeschi (reaches who chose\n"
		  "                 them and who chose no area; emergencies reach everyone)\n"));
}

/* The command-line option that sets a field, for error messages. */
static const char *option_of(const char *field)
{
	static const char *const map[][2] = {
		{ "title", "--title" }, { "text", "--text" }, { "category", "--category" },
		{ "link", "--link" }, { "scheduled_at", "--at" }, { "expires_at", "--expires" },
		{ "priority", "--emergency" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], field))
			return map[i][1];
	return field;
}

/* Takes the file at `path` in as an attachment (media_intake: checked, stored under the
 * data folder): 0 with *info filled, or an exit code after saying why it was refused. */
static int take_attachment(const char *path, const char *data_dir, const struct policy *p,
			   struct media_info *info)
{
	struct buf b;
	struct media_refusal why;
	struct policy_result *res = malloc(sizeof(*res));
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 1;
	ssize_t n;

	buf_init(&b, (size_t)MEDIA_SIZE_MAX + 1);
	memset(&why, 0, sizeof(why));
	if (!res || fd < 0) {
		fprintf(stderr, "%s: %s\n", path, fd < 0 ? strerror(errno) : "out of memory");
		goto done;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(&b, chunk, (size_t)n) != 0) {
			fprintf(stderr, T("%s: impossibile leggere l'allegato (%s)\n", "%s: cannot read the attachment (%s)\n"),
				path, n < 0 ? strerror(errno) : T("oltre 100 MiB", "over 100 MiB"));
			goto done;
		}
	}
	rc = media_intake(data_dir, p, (const unsigned char *)b.data, b.len, path, info, res, &why);
	if (rc == BANDITORE_EPERM) {
		cli_print_verdicts(res);
		rc = 1;
	} else if (rc == BANDITORE_EINVAL || rc == BANDITORE_ETOOBIG) {
		fprintf(stderr, T("Allegato rifiutato: %s\n", "Attachment refused: %s\n"), T(why.message, why.message_en));
		rc = 1;
	} else if (rc) {
		fprintf(stderr, T("%s: impossibile registrare l'allegato (%s)\n", "%s: cannot store the attachment (%s)\n"),
			path, banditore_strerror(rc));
		rc = EXIT_INTERNAL;
	} else {
		printf("%-14s %s (%s, %lld byte)%s\n", T("allegato", "attachment"), info->name, info->type,
		       (long long)info->size, info->stripped ? T(", posizione GPS rimossa", ", GPS position removed") : "");
	}
done:
	if (fd >= 0)
		close(fd);
	free(res);
	buf_free(&b);
	return rc;
}

/* Reads the text from `path` ("-": standard input) into `b`, dropping trailing new
 * lines (a file usually ends with one). 0, or 1 after saying what went wrong. */
static int read_text(const char *path, struct buf *b)
{
	char chunk[4096];
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || buf_append(b, chunk, (size_t)n) != 0) {
			fprintf(stderr, T("%s: impossibile leggere il testo (%s)\n",
					  "%s: cannot read the text (%s)\n"),
				path, n < 0 ? strerror(errno) : T("file troppo grande", "file too large"));
			if (fd != STDIN_FILENO)
				close(fd);
			return 1;
		}
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (b->len && memchr(b->data, '\0', b->len)) {
		fprintf(stderr, T("Messaggio non valido, %s: il testo contiene un byte NUL\n",
				  "Invalid message, %s: the text contains a NUL byte\n"), "--text-file");
		return 1;
	}
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
		b->data[--b->len] = '\0';
	return 0;
}

/* Prints an amount with its currency, or that the price is not configured. */
static void print_amount(const char *label, const struct messages_amount *a, const char *currency)
{
	char text[MESSAGES_COST_TEXT_MAX];

	messages_cost_format(a, text);
	if (a->known)
		printf("%-14s %s %s\n", label, text, currency);
	else
		printf("%-14s %s\n", label, T("non noto (prezzo non configurato in [costs])",
					     "unknown (no price in [costs])"));
}

/* The estimated cost of message `id` (audience x price per message) and of the month so
 * far (messages_cost.h). */
static void print_cost(struct store *st, const struct config *cfg, int64_t id)
{
	struct messages_cost_report c;
	struct store_message m;
	char price[MESSAGES_COST_TEXT_MAX];

	memset(&m, 0, sizeof(m));
	if (store_message_get(st, id, &m) != 0 ||
	    messages_cost_report(st, cfg, &m, (int64_t)time(NULL), &c) != 0) {
		store_message_clear(&m);
		return;
	}
	store_message_clear(&m);
	messages_cost_format_price(c.price_micros, price);
	if (c.price_micros >= 0)
		printf("%-14s %s %s\n", T("prezzo", "price"), price, c.currency);
	print_amount(T("costo stimato", "estimated cost"), &c.estimate, c.currency);
	print_amount(T("costo del mese", "month so far"), &c.month, c.currency);
}

/* Stores the message and, unless `draft`, approves it, in one transaction with the
 * audit's entries of both. */
static int store_and_approve(struct store *st, const struct config *cfg,
			     const struct audit_keys *ak, const struct store_message *m, const struct messages_notes *notes,
			     const struct messages_rules *rules, int draft, const char *areas)
{
	struct messages_approval a;
	int64_t now = (int64_t)time(NULL), id = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	a.state = STORE_MSG_DRAFT;
	rc = store_begin(st);
	if (!rc)
		rc = messages_create(st, m, "cli", now, &id);
	if (!rc) /* before approval, which checks the policy again with them */
		rc = messages_keep_notes(st, id, notes);
	if (!rc && areas && *areas) /* before approval, which fixes who it reaches */
		rc = store_message_set_areas(st, id, areas);
	if (!rc)
		rc = messages_audit(st, ak, "cli", "message.create", id, NULL, now);
	if (!rc && !draft)
		rc = messages_send(st, id, now, rules, &a);
	if (!rc && !draft)
		rc = messages_audit(st, ak, "cli", "message.approve", id, NULL, now);
	if (!rc)
		rc = store_commit(st);
	if (rc) {
		store_rollback(st);
		fprintf(stderr, T("Registrazione non riuscita: %s (%s)\n", "Could not store it: %s (%s)\n"),
			banditore_strerror(rc), store_errmsg(st));
		return EXIT_INTERNAL;
	}
	printf("%-14s %lld\n", "id", (long long)id);
	printf("%-14s %s\n", T("stato", "state"), messages_state_name(a.state));
	if (!draft)
		printf("%-14s %lld\n", T("destinatari", "audience"), (long long)a.audience);
	print_cost(st, cfg, id);
	if (m->scheduled_at) { /* in the comune's local time, as the operator thinks of it */
		char when[64];
		time_t t = (time_t)m->scheduled_at;
		struct tm tm;
		if (!localtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm))
			messages_time_format(m->scheduled_at, when);
		printf("%-14s %s\n", T("programmato", "scheduled"), when);
	}
	if (a.tier.exceeded)
		fprintf(stderr, T("Attenzione: il limite del numero è %lld destinatari diversi in 24 ore; "
				  "ne partono %lld ora, gli altri %lld nelle finestre successive.\n",
				  "Warning: the number's limit is %lld unique recipients per 24 hours; "
				  "%lld go out now, the other %lld in the following windows.\n"),
			(long long)a.tier.limit, (long long)a.tier.now, (long long)a.tier.later);
	return 0;
}

int cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "category", required_argument, NULL, 'C' },
		{ "title", required_argument, NULL, 'T' },
		{ "text", required_argument, NULL, 't' },
		{ "text-file", required_argument, NULL, 'f' },
		{ "link", required_argument, NULL, 'l' },
		{ "emergency", no_argument, NULL, 'e' },
		{ "at", required_argument, NULL, 'a' },
		{ "expires", required_argument, NULL, 'x' },
		{ "draft", no_argument, NULL, 'D' },
		{ "justification", required_argument, NULL, 'J' },
		{ "override", required_argument, NULL, 'O' },
		{ "attachment", required_argument, NULL, 'A' },
		{ "areas", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *text_file = NULL, *attachment = NULL;
	const char *areas_arg = NULL;
	char areas[STORE_TARGETS_MAX] = "";
	struct media_info media;
	struct messages_input in;
	struct messages_rules rules;
	struct audit_keys ak;
	struct messages_error err;
	struct store_message m;
	struct cli_env env;
	struct store *st = NULL;
	struct buf text;
	struct messages_notes notes;
	struct policy_result *res = NULL;
	int64_t history[MESSAGES_HISTORY_MAX], now = (int64_t)time(NULL);
	struct policy_history hist = { history, 0 };
	int c, rc, draft = 0;

	memset(&in, 0, sizeof(in));
	memset(&notes, 0, sizeof(notes));
	memset(&m, 0, sizeof(m));
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'C': in.category = optarg; break;
		case 'Z': areas_arg = optarg; break;
		case 'T': in.title = optarg; break;
		case 't': in.text = optarg; break;
		case 'f': text_file = optarg; break;
		case 'l': in.link = optarg; break;
		case 'e': in.priority = "emergency"; break;
		case 'a': in.scheduled_at = optarg; break;
		case 'x': in.expires_at = optarg; break;
		case 'D': draft = 1; break;
		case 'A': attachment = optarg; break;
		case 'J':
			if (strlen(optarg) > MESSAGES_JUSTIFICATION_MAX) {
				fprintf(stderr, "%s", T("--justification: al massimo 1000 byte\n",
							"--justification: at most 1000 bytes\n"));
				return EXIT_USAGE;
			}
			snprintf(notes.justification, sizeof(notes.justification), "%s", optarg);
			break;
		case 'O': {
			const char *eq = strchr(optarg, '=');
			struct messages_override *o = &notes.overrides[notes.n_overrides];
			if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof(o->rule) ||
			    strlen(eq + 1) > MESSAGES_OVERRIDE_REASON_MAX || notes.n_overrides == MESSAGES_OVERRIDES_MAX) {
				fprintf(stderr, "%s", T("--override: scrivere REGOLA=MOTIVO (al massimo 16, motivo di al "
							"massimo 500 byte)\n", "--override: write RULE=REASON (at most 16, "
							"a reason of at most 500 bytes)\n"));
				return EXIT_USAGE;
			}
			snprintf(o->rule, sizeof(o->rule), "%.*s", (int)(eq - optarg), optarg);
			snprintf(o->reason, sizeof(o->reason), "%s", eq + 1);
			notes.n_overrides++;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (in.text && text_file)) {
		if (in.text && text_file)
			fprintf(stderr, "%s", T("Usare --text oppure --text-file, non entrambi.\n",
						"Use --text or --text-file, not both.\n"));
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = cli_env_load(&env, config, data_dir, 0, 1); /* the audit's key */
	if (rc)
		return rc;
	buf_init(&text, TEXT_FILE_MAX);
	if (text_file) {
		if (read_text(text_file, &text)) {
			rc = 1;
			goto done;
		}
		in.text = buf_cstr(&text);
	}
	messages_rules_from_config(env.cfg, &rules);
	rules.data_dir = env.data_dir;
	if (areas_arg) {
		char split[STORE_TARGETS_MAX];
		const char *ids[CONFIG_AREAS_MAX];
		int n = 0;
		snprintf(split, sizeof(split), "%s", areas_arg);
		for (char *save = NULL, *a = strtok_r(split, ", ", &save); a && n < CONFIG_AREAS_MAX;
		     a = strtok_r(NULL, ", ", &save))
			ids[n++] = a;
		if (messages_areas_check(env.cfg, ids, n, areas, sizeof(areas), &err) != 0) {
			fprintf(stderr, T("Messaggio non valido, %s: %s\n", "Invalid message, %s: %s\n"),
				"--areas", T(err.message, err.message_en));
			rc = 1;
			goto done;
		}
	}
	if (attachment) {
		rc = take_attachment(attachment, env.data_dir, env.cfg->policy, &media);
		if (rc)
			goto done;
		in.attachment = &media;
	}
	rc = messages_compose(&in, &rules, now, &m, &err);
	if (rc == BANDITORE_EINVAL) {
		fprintf(stderr, T("Messaggio non valido, %s: %s\n", "Invalid message, %s: %s\n"),
			option_of(err.field), T(err.message, err.message_en));
		rc = 1;
		goto done;
	}
	if (rc) {
		rc = EXIT_INTERNAL;
		goto done;
	}
	if (access(env.db_path, F_OK) != 0) {
		fprintf(stderr, T("Database non trovato in %s: eseguire prima 'banditore init'.\n",
				  "Database not found in %s: run 'banditore init' first.\n"), env.db_path);
		rc = 1;
		goto done;
	}
	rc = store_open(env.db_path, &st);
	if (rc) {
		fprintf(stderr, "%s: %s\n", env.db_path, banditore_strerror(rc));
		rc = EXIT_INTERNAL;
		goto done;
	}
	/* The policy, with what the channel sent lately. */
	res = malloc(sizeof(*res));
	if (!res || messages_policy_history(st, history, MESSAGES_HISTORY_MAX, &hist.n) != 0 ||
	    messages_policy_check(&rules, &m, &notes, &hist, now, res) != 0) {
		rc = EXIT_INTERNAL;
		goto done;
	}
	if (res->n_verdicts || !res->allowed)
		cli_print_verdicts(res);
	if (!res->allowed) {
		rc = 1;
		goto done;
	}
	if (messages_policy_apply(res, &m, now) != 0) {
		rc = EXIT_INTERNAL;
		goto done;
	}
	audit_keys_from(&ak, &env.keys);
	rc = store_and_approve(st, env.cfg, &ak, &m, &notes, &rules, draft, areas);
	crypto_wipe(&ak, sizeof(ak));
done:
	free(res);
	store_free(st);
	store_message_clear(&m);
	buf_free(&text);
	cli_env_clear(&env);
	return rc;
}
