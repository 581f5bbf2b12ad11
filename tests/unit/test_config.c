/* test_config.c - unit tests of src/config and `banditore config check`: values,
 * defaults, every kind of error with its line, secrets, placeholders, keywords, the
 * policy version, and the five example configurations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/err.h"
#include "common/platform.h"
#include "config/config.h"
#include "connectors/telegram.h"

#ifndef SOURCE_ROOT
#error "SOURCE_ROOT must name the source tree (see tests/unit/meson.build)"
#endif

static const char *const examples[] = { "concorezzo", "leini", "seveso", "siracusa", "sesto-calende" };

/* A minimal valid file: only the required keys. */
#define MINIMAL                                   \
	"[comune]\n"                              \
	"name = Comune di Prova\n"                \
	"website = https://www.comune.prova.example.org/\n" \
	"[channel]\n"                             \
	"name = Prova Informa\n"                  \
	"[whatsapp]\n"                            \
	"phone_number_id = 100000000000009\n"     \
	"display_number = +39 370 000 0001\n"

struct fixture {
	char dir[64];
	char path[128];
	struct config *cfg;
	struct config_errors errs;
};

static int unlink_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-test-config-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/comune.ini", f->dir);
	unsetenv("BANDITORE_WHATSAPP_APP_SECRET");
	unsetenv("BANDITORE_WHATSAPP_ACCESS_TOKEN");
	unsetenv("BANDITORE_WHATSAPP_VERIFY_TOKEN");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_free(f->cfg);
	config_errors_free(&f->errs);
	nftw(f->dir, unlink_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	unsetenv("BANDITORE_WHATSAPP_APP_SECRET");
	unsetenv("BANDITORE_WHATSAPP_ACCESS_TOKEN");
	unsetenv("BANDITORE_WHATSAPP_VERIFY_TOKEN");
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Loads `text` as the comune's file; frees what an earlier load left. */
static int load(struct fixture *f, const char *text, int with_secrets)
{
	config_free(f->cfg);
	f->cfg = NULL;
	config_errors_free(&f->errs);
	write_file(f->path, text, 0644);
	return config_load(f->path, with_secrets, &f->cfg, &f->errs);
}

static void dump_errors(const struct config_errors *errs)
{
	for (int i = 0; i < errs->count; i++)
		fprintf(stderr, "  %s:%d: %s\n", errs->items[i].file, errs->items[i].line, errs->items[i].message);
}

/* Asserts that a problem on `line` of a file ending in `file_suffix` mentions `what`. */
static void expect_error_in(const struct config_errors *errs, const char *file_suffix, int line, const char *what)
{
	for (int i = 0; i < errs->count; i++) {
		const struct config_error *e = &errs->items[i];
		size_t fl = strlen(e->file), sl = strlen(file_suffix);
		if (e->line == line && fl >= sl && strcmp(e->file + fl - sl, file_suffix) == 0 &&
		    strstr(e->message, what))
			return;
	}
	fprintf(stderr, "expected an error on line %d mentioning '%s'; got:\n", line, what);
	dump_errors(errs);
	fail();
}

static void expect_error(const struct config_errors *errs, int line, const char *what)
{
	expect_error_in(errs, "comune.ini", line, what);
}

static void expect_ok(struct fixture *f, int rc)
{
	if (rc != 0)
		dump_errors(&f->errs);
	assert_int_equal(rc, 0);
	assert_non_null(f->cfg);
	assert_int_equal(f->errs.count, 0);
}

/* ---- values and defaults ---- */

static void test_full_file_values(void **state)
{
	struct fixture *f = *state;
	char *s;

	expect_ok(f, load(f,
			  "; a comment\n"
			  "# another comment\n"
			  "[comune]\n"
			  "name = Comune di Prova\n"
			  "website = https://www.comune.prova.example.org\n"
			  "pec = protocollo@pec.prova.example.org\n"
			  "helpdesk_email = urp@prova.example.org\n"
			  "helpdesk_phone = 800 000 000\n"
			  "controller = Comune di Prova\n"
			  "controller_email = titolare@prova.example.org\n"
			  "dpo_name = RPD di esempio\n"
			  "dpo_email = dpo@prova.example.org\n"
			  "policy_url = https://prova.example.org/policy\n"
			  "privacy_url = https://prova.example.org/privacy\n"
			  "policy_version = 2026-1\n"
			  "[channel]\n"
			  "name = Prova Informa\n"
			  "description = Avvisi\\ned eventi\n"
			  "platforms = whatsapp, telegram\n"
			  "[whatsapp]\n"
			  "phone_number_id = 100000000000009\n"
			  "display_number = +39 370 000 0001\n"
			  "api_base = http://127.0.0.1:9999/\n"
			  "api_version = v22.0\n"
			  "messages_per_second = 250\n"
			  "template_name = avviso_comune_2\n"
			  "template_language = en_US\n"
			  "template_params = title, text ,link\n"
			  "unreachable_after = 5\n"
			  "max_in_flight = 64\n"
			  "messaging_limit = 10000\n"
			  "secrets_file = secrets.ini\n"
			  "[telegram]\n"
			  "bot_username = ComuneProvaBot\n"
			  "[keywords]\n"
			  "subscribe = Iscrivimi, ATTIVA  Iscrizione!\n"
			  "unsubscribe = Cancellami , STOP\n"
			  "[inbound]\n"
			  "mode = keep-until-answered\n"
			  "keep_days = 30\n"
			  "auto_reply_hours = 48\n"
			  "[texts]\n"
			  "join = Benvenuto in {channel} ; an inline comment\n"
			  "already_subscribed = Già iscritto a {channel}\n"
			  "leave = Dati eliminati\n"
			  "not_subscribed = Non iscritto\n"
			  "auto_reply = Canale non ufficiale: {website}\n"
			  "[server]\n"
			  "listen = 0.0.0.0:9090\n"
			  "public_url = https://banditore.prova.example.org/\n"
			  "data_dir = data\n",
			  0));
	struct config *c = f->cfg;
	assert_string_equal(c->path, f->path);
	assert_string_equal(c->comune_name, "Comune di Prova");
	assert_string_equal(c->website, "https://www.comune.prova.example.org");
	assert_string_equal(c->pec, "protocollo@pec.prova.example.org");
	assert_string_equal(c->helpdesk_email, "urp@prova.example.org");
	assert_string_equal(c->helpdesk_phone, "800 000 000");
	assert_string_equal(c->controller, "Comune di Prova");
	assert_string_equal(c->controller_email, "titolare@prova.example.org");
	assert_string_equal(c->dpo_name, "RPD di esempio");
	assert_string_equal(c->dpo_email, "dpo@prova.example.org");
	assert_string_equal(c->policy_url, "https://prova.example.org/policy");
	assert_string_equal(c->privacy_url, "https://prova.example.org/privacy");
	assert_string_equal(c->policy_text_version, "2026-1");
	assert_string_equal(c->channel_name, "Prova Informa");
	assert_string_equal(c->channel_description, "Avvisi\ned eventi");
	assert_int_equal(c->platforms, (1 << PLATFORM_WHATSAPP) | (1 << PLATFORM_TELEGRAM));
	assert_string_equal(c->wa_phone_number_id, "100000000000009");
	assert_string_equal(c->wa_display_number, "+393700000001");
	assert_string_equal(c->wa_api_base, "http://127.0.0.1:9999");
	assert_string_equal(c->wa_api_version, "v22.0");
	assert_int_equal(c->wa_messages_per_second, 250);
	assert_string_equal(c->wa_template_name, "avviso_comune_2");
	assert_string_equal(c->wa_template_language, "en_US");
	assert_int_equal(c->wa_n_template_params, 3);
	assert_int_equal(c->wa_template_params[0], CONFIG_PARAM_TITLE);
	assert_int_equal(c->wa_template_params[1], CONFIG_PARAM_TEXT);
	assert_int_equal(c->wa_template_params[2], CONFIG_PARAM_LINK);
	assert_int_equal(c->wa_unreachable_after, 5);
	assert_int_equal(c->wa_max_in_flight, 64);
	assert_int_equal(c->wa_messaging_limit, 10000);
	s = NULL;
	assert_true(asprintf(&s, "%s/secrets.ini", f->dir) > 0);
	assert_string_equal(c->wa_secrets_file, s);
	free(s);
	assert_string_equal(c->wa_app_secret, ""); /* not read without with_secrets */
	assert_int_equal(c->n_subscribe, 2);
	assert_string_equal(c->subscribe[0], "iscrivimi");
	assert_string_equal(c->subscribe[1], "attiva iscrizione");
	assert_int_equal(c->n_unsubscribe, 2);
	assert_string_equal(c->unsubscribe[0], "cancellami");
	assert_string_equal(c->unsubscribe[1], "stop");
	assert_string_equal(c->unsubscribe_word, "Cancellami");
	assert_int_equal(c->inbound_mode, CONFIG_INBOUND_KEEP_UNTIL_ANSWERED);
	assert_int_equal(c->keep_days, 30);
	assert_int_equal(c->auto_reply_hours, 48);
	assert_string_equal(c->text_join, "Benvenuto in {channel}");
	assert_string_equal(c->text_already, "Già iscritto a {channel}");
	assert_string_equal(c->text_leave, "Dati eliminati");
	assert_string_equal(c->text_not_subscribed, "Non iscritto");
	assert_string_equal(c->text_auto_reply, "Canale non ufficiale: {website}");
	assert_string_equal(c->listen_address, "0.0.0.0");
	assert_int_equal(c->listen_port, 9090);
	assert_string_equal(c->public_url, "https://banditore.prova.example.org");
	s = NULL;
	assert_true(asprintf(&s, "%s/data", f->dir) > 0);
	assert_string_equal(c->data_dir, s);
	free(s);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	char *text;

	expect_ok(f, load(f, MINIMAL, 0));
	struct config *c = f->cfg;
	assert_string_equal(c->pec, "");
	assert_string_equal(c->policy_url, "");
	assert_int_equal(c->platforms, 1 << PLATFORM_WHATSAPP);
	assert_string_equal(c->wa_api_base, "https://graph.facebook.com");
	assert_string_equal(c->wa_api_version, "v23.0");
	assert_int_equal(c->wa_messages_per_second, 80);
	assert_string_equal(c->wa_template_name, "avviso_comune");
	assert_string_equal(c->wa_template_language, "it");
	assert_int_equal(c->wa_n_template_params, 1);
	assert_int_equal(c->wa_template_params[0], CONFIG_PARAM_TEXT);
	assert_int_equal(c->wa_unreachable_after, 3);
	assert_int_equal(c->wa_max_in_flight, 256);
	assert_int_equal(c->wa_messaging_limit, 0); /* unlimited unless said */
	assert_string_equal(c->wa_secrets_file, "");
	assert_int_equal(c->n_subscribe, 1);
	assert_string_equal(c->subscribe[0], "attiva iscrizione");
	assert_int_equal(c->n_unsubscribe, 2);
	assert_string_equal(c->unsubscribe[0], "disattiva iscrizione");
	assert_string_equal(c->unsubscribe[1], "stop");
	assert_string_equal(c->unsubscribe_word, "DISATTIVA ISCRIZIONE");
	assert_int_equal(c->inbound_mode, CONFIG_INBOUND_AUTO_REPLY);
	assert_int_equal(c->keep_days, 7);
	assert_int_equal(c->auto_reply_hours, 24);
	assert_string_equal(c->listen_address, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_string_equal(c->data_dir, "/var/lib/banditore");
	assert_string_equal(c->public_url, "");

	/* Italian defaults: the channel, one-way, how to leave, the official channels. */
	text = config_expand(c, c->text_join);
	assert_non_null(strstr(text, "Prova Informa"));
	assert_non_null(strstr(text, "senso unico"));
	assert_non_null(strstr(text, "\"DISATTIVA ISCRIZIONE\""));
	assert_null(strstr(text, "{")); /* no link sentence without links */
	assert_null(strstr(text, "privacy"));
	free(text);
	text = config_expand(c, c->text_auto_reply);
	assert_non_null(strstr(text, "ufficial"));
	assert_non_null(strstr(text, "https://www.comune.prova.example.org"));
	assert_null(strstr(text, "scrivi a")); /* no help-desk e-mail set */
	free(text);
	text = config_expand(c, c->text_leave);
	assert_non_null(strstr(text, "eliminato"));
	free(text);
	assert_true(strlen(c->text_already) > 0 && strlen(c->text_not_subscribed) > 0);

	/* With links and a help desk, the defaults mention them. */
	expect_ok(f, load(f, MINIMAL "[comune]\n"
				     "policy_url = https://prova.example.org/policy\n"
				     "privacy_url = https://prova.example.org/privacy\n"
				     "helpdesk_email = urp@prova.example.org\n",
			  0));
	text = config_expand(f->cfg, f->cfg->text_join);
	assert_non_null(strstr(text, "https://prova.example.org/policy"));
	assert_non_null(strstr(text, "https://prova.example.org/privacy"));
	free(text);
	text = config_expand(f->cfg, f->cfg->text_auto_reply);
	assert_non_null(strstr(text, "urp@prova.example.org"));
	free(text);
}

static void test_no_whatsapp_needs_no_whatsapp_keys(void **state)
{
	struct fixture *f = *state;

	expect_ok(f, load(f, "[comune]\nname = C\nwebsite = https://c.example.org\n"
			     "[channel]\nname = N\nplatforms = email\n",
			  1));
	assert_int_equal(f->cfg->platforms, 1 << PLATFORM_EMAIL);
	assert_string_equal(f->cfg->wa_phone_number_id, "");
}

/* ---- errors, each with its line ---- */

static void test_missing_required(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "[comune]\npec = a@b.example.org\n", 0), BANDITORE_ECONFIG);
	assert_null(f->cfg);
	expect_error(&f->errs, 0, "[comune] name");
	expect_error(&f->errs, 0, "[comune] website");
	expect_error(&f->errs, 0, "[channel] name");
	expect_error(&f->errs, 0, "[whatsapp] phone_number_id");
	expect_error(&f->errs, 0, "[whatsapp] display_number");
	assert_int_equal(f->errs.count, 5);

	/* Present but empty is an error on its line. */
	assert_int_equal(load(f, "[comune]\nname =\nwebsite = https://c.example.org\n"
				 "[channel]\nname = N\nplatforms = email\n",
			      0),
			 BANDITORE_ECONFIG);
	expect_error(&f->errs, 2, "name");
	assert_int_equal(f->errs.count, 1);
}

static void test_each_error_on_its_line(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line; /* appended to MINIMAL, in the section that follows */
		const char *what;
	} cases[] = {
		{ "[server]\nlisten = 127.0.0.1:0", "listen" },
		{ "[server]\nlisten = 127.0.0.1:65536", "listen" },
		{ "[server]\nlisten = 127.0.0.1", "listen" },
		{ "[server]\nlisten = localhost:8080", "listen" },
		{ "[server]\nlisten = 127.0.0.1:80x", "listen" },
		{ "[whatsapp]\nmessages_per_second = 0", "messages_per_second" },
		{ "[whatsapp]\nmessages_per_second = 1001", "messages_per_second" },
		{ "[whatsapp]\nmessages_per_second = ten", "messages_per_second" },
		{ "[whatsapp]\nmessages_per_second = -5", "messages_per_second" },
		{ "[whatsapp]\ntemplate_name = Avviso-Comune", "template_name" },
		{ "[whatsapp]\ntemplate_name =", "template_name" },
		{ "[whatsapp]\ntemplate_language = i", "template_language" },
		{ "[whatsapp]\ntemplate_language = it-IT", "template_language" },
		{ "[whatsapp]\ntemplate_params = text, body", "body" },
		{ "[whatsapp]\ntemplate_params = text, text", "text" },
		{ "[whatsapp]\ntemplate_params =", "template_params" },
		{ "[whatsapp]\nunreachable_after = 0", "unreachable_after" },
		{ "[whatsapp]\nunreachable_after = 101", "unreachable_after" },
		{ "[whatsapp]\nmax_in_flight = 0", "max_in_flight" },
		{ "[whatsapp]\nmax_in_flight = 1025", "max_in_flight" },
		{ "[whatsapp]\nmessaging_limit = 100", "messaging_limit" },
		{ "[whatsapp]\nmessaging_limit = unlimted", "messaging_limit" },
		{ "[inbound]\nkeep_days = 91", "keep_days" },
		{ "[inbound]\nkeep_days = 7 days", "keep_days" },
		{ "[inbound]\nauto_reply_hours = 0", "auto_reply_hours" },
		{ "[inbound]\nmode = sometimes", "mode" },
		{ "[whatsapp]\napi_version = 23.0", "api_version" },
		{ "[whatsapp]\napi_base = graph.facebook.com", "api_base" },
		{ "[comune]\npolicy_url = ftp://prova.example.org/policy", "policy_url" },
		{ "[comune]\nprivacy_url = https://prova.example.org/a b", "privacy_url" },
		{ "[server]\npublic_url = banditore.example.org", "public_url" },
		{ "[comune]\npec = protocollo.example.org", "pec" },
		{ "[comune]\nhelpdesk_email = @example.org", "helpdesk_email" },
		{ "[comune]\ndpo_email = dpo@", "dpo_email" },
		{ "[comune]\ncontroller_email = a b@example.org", "controller_email" },
		{ "[comune]\nhelpdesk_phone = chiamateci", "helpdesk_phone" },
		{ "[channel]\nplatforms = whatsapp, fax", "fax" },
		{ "[channel]\nplatforms = whatsapp, whatsapp", "whatsapp" },
		{ "[channel]\nplatforms =", "platforms" },
		{ "[keywords]\nsubscribe = ATTIVA,,ISCRIVIMI", "subscribe" },
		{ "[keywords]\nsubscribe = \xf0\x9f\x99\x82", "subscribe" },
		{ "[keywords]\nunsubscribe = STOP, stop!", "stop" },
		{ "[keywords]\nunsubscribe = ATTIVA ISCRIZIONE", "attiva iscrizione" },
		{ "[texts]\njoin = Ciao {nome}", "{nome}" },
		{ "[texts]\nleave = Scrivi a {helpdesk_email}", "helpdesk_email" },
		{ "[texts]\nauto_reply =", "auto_reply" },
		{ "[server]\ndata_dir =", "data_dir" },
		{ "[comune]\nname = Doppio", "name" },          /* duplicate of MINIMAL's */
		{ "[comune]\ncolour = blu", "colour" },          /* unknown key */
		{ "[comuni]", "[comuni]" },                      /* unknown section */
		{ "[comune", "]" },                              /* broken header */
		{ "[comune]\nsolo testo senza uguale", "key = value" },
		{ "[whatsapp]\napp_secret = x", "secrets" },
		{ "[whatsapp]\naccess_token = x", "secrets" },
		{ "[whatsapp]\nverify_token = x", "secrets" },
		/* the policy's sections */
		{ "[category Viabilità]", "category" },
		{ "[category viabilita]\nemergency = forse", "emergency" },
		{ "[category viabilita]\napprovers = sindaco", "sindaco" },
		{ "[category viabilita]\ncolour = blu", "colour" },
		{ "[hours]\nopen = mon-fri 9-13", "open" },
		{ "[hours]\nopen = fri-mon 09:00-13:00", "open" },
		{ "[hours]\nopen = mon 13:00-09:00", "closing" },
		{ "[hours]\nopen = mon 09:00-13:00, mon 12:00-14:00", "overlaps" },
		{ "[hours]\nholidays = 02-30", "holidays" },
		{ "[hours]\nnational_holidays = forse", "national_holidays" },
		{ "[electoral]\nperiods = 2026-05-31..2026-05-01", "end" },
		{ "[electoral]\nperiods = maggio", "periods" },
		{ "[electoral]\nnames_level = info", "names_level" },
		{ "[content]\ncodice_fiscale = blocca", "codice_fiscale" },
		{ "[content]\nlexicon_dir = /nonexistent/banditore-lexicons", "/nonexistent/banditore-lexicons" },
		{ "[content]\nextra_advertising = nonexistent-extra.txt", "nonexistent-extra.txt" },
		{ "[content]\nofficial_phones = chiamateci", "official_phones" },
		{ "[links]\nofficial_domains = https://comune.example.org", "official_domains" },
		{ "[links]\nexternal = sempre", "external" },
		{ "[disclaimer]\ntext = Avviso\nwhen = spesso", "when" },
		{ "[frequency]\nper_day = molti", "per_day" },
		{ "[frequency]\nlevel = info", "level" },
		{ "[attachments]\nmax_bytes = 200000000", "max_bytes" },
		{ "[attachments]\ntypes = pdf", "types" },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* MINIMAL has 8 lines; the case's section header is line 9, its key line 10
		 * (the last line, for a case of several keys). */
		int line = 9;
		for (const char *c = cases[i].line; (c = strchr(c, '\n')); c++)
			line++;
		snprintf(text, sizeof(text), "%s%s\n", MINIMAL, cases[i].line);
		if (load(f, text, 0) != BANDITORE_ECONFIG || f->errs.count != 1) {
			fprintf(stderr, "case %zu: %s\n", i, cases[i].line);
			dump_errors(&f->errs);
			fail();
		}
		assert_null(f->cfg);
		expect_error(&f->errs, line, cases[i].what);
	}

	/* Wrong values of the keys MINIMAL itself sets, on their own lines. */
	static const struct {
		const char *from, *to;
		int line;
	} repl[] = {
		{ "display_number = +39 370 000 0001", "display_number = 12345", 8 },
		{ "display_number = +39 370 000 0001", "display_number = +39 370 abc 0001", 8 },
		{ "display_number = +39 370 000 0001", "display_number = +39 370 000 0001 2345 6789", 8 },
		{ "phone_number_id = 100000000000009", "phone_number_id = 10000-0000", 7 },
		{ "website = https://www.comune.prova.example.org/", "website = www.comune.prova.example.org", 3 },
		{ "website = https://www.comune.prova.example.org/", "website = https://", 3 },
	};
	for (size_t i = 0; i < sizeof(repl) / sizeof(repl[0]); i++) {
		const char *at = strstr(MINIMAL, repl[i].from);
		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - MINIMAL), MINIMAL, repl[i].to,
			 at + strlen(repl[i].from));
		if (load(f, text, 0) != BANDITORE_ECONFIG || f->errs.count != 1) {
			fprintf(stderr, "replacement %zu: %s\n", i, repl[i].to);
			dump_errors(&f->errs);
			fail();
		}
		{
			char key[40];
			snprintf(key, sizeof(key), "%.*s", (int)strcspn(repl[i].to, " "), repl[i].to);
			expect_error(&f->errs, repl[i].line, key);
		}
	}
}

/* The policy's sections into struct policy. */
static void test_policy_sections(void **state)
{
	struct fixture *f = *state;
	char text[4096], lex[600];
	const struct policy *p;

	snprintf(lex, sizeof(lex), "%s/extra-pubblicita.txt", f->dir);
	write_file(lex, "# termini del comune\nsaldi di fine stagione\n", 0644);
	snprintf(text, sizeof(text), "%s"
		 "[policy]\nshort_name = Prova\n"
		 "[categories]\narticle = art. 2 c. 1\n"
		 "[category emergenze]\nlabel = Emergenze e allerte\nemergency = yes\nelectoral = yes\n"
		 "approvers = responsabile, gestore\n"
		 "[category eventi]\nlabel = Eventi\n"
		 "[hours]\nopen = mon-fri 09:00-13:00, tue 15:00-17:30\nholidays = 06-24, 2026-12-07\n"
		 "article = art. 3\n"
		 "[electoral]\nperiods = 2026-04-10..2026-05-25 amministrative 2026\n"
		 "names = Ernesta Bovolenta, Pietro Cravanzola\narticle = legge 28/2000 art. 9\n"
		 "[content]\nlexicon_dir = %s/data/policy/lexicons/it\ncodice_fiscale = block art. 4 c. 4\n"
		 "advertising = warn art. 2 c. 2\nextra_advertising = extra-pubblicita.txt\n"
		 "official_phones = 039 000 0001\n"
		 "[links]\nofficial_domains = www.prova.example.org\nexternal = warn\n"
		 "[disclaimer]\ntext = Non sostituisce\\nl'Albo Pretorio.\nwhen = link\n"
		 "[frequency]\nper_day = 2\nper_week = 5\nlevel = warn\n"
		 "[attachments]\nmax_bytes = 1000000\ntypes = image/*, application/pdf\n",
		 MINIMAL, SOURCE_ROOT);
	expect_ok(f, load(f, text, 0));
	p = f->cfg->policy;
	assert_non_null(p);
	assert_string_equal(p->short_name, "Prova");
	assert_int_equal(p->n_categories, 2);
	assert_string_equal(p->categories[0].id, "emergenze");
	assert_string_equal(p->categories[0].label, "Emergenze e allerte");
	assert_true(p->categories[0].emergency);
	assert_true(p->categories[0].electoral);
	assert_int_equal(p->categories[0].approvers, POLICY_ROLE_RESPONSABILE | POLICY_ROLE_GESTORE);
	assert_false(p->categories[1].emergency);
	assert_false(p->categories[1].electoral);
	assert_int_equal(p->n_intervals, 6);
	assert_int_equal(p->n_holidays, 2);
	assert_int_equal(p->holidays[0].year, 0);
	assert_string_equal(p->article[POLICY_R_HOURS], "art. 3");
	assert_int_equal(p->n_periods, 1);
	assert_string_equal(p->periods[0].label, "amministrative 2026");
	assert_int_equal(p->periods[0].last.day, 25);
	assert_int_equal(policy_lexicon_count(p->lexicon, POLICY_K_NAME), 2);
	assert_true(policy_lexicon_count(p->lexicon, POLICY_K_ADVERTISING) > 1);
	assert_int_equal(p->content_level[POLICY_K_ADVERTISING], POLICY_WARN);
	assert_string_equal(p->content_article[POLICY_K_CODICE_FISCALE], "art. 4 c. 4");
	/* The comune's own contacts are not personal data. */
	assert_int_equal(p->n_official_phones, 2); /* display_number and 039 000 0001 */
	assert_string_equal(p->official_phones[0], "+393700000001");
	assert_string_equal(p->official_domains[0], "comune.prova.example.org");
	assert_string_equal(p->official_domains[1], "prova.example.org");
	assert_int_equal(p->external_links, POLICY_WARN);
	assert_string_equal(p->disclaimer, "Non sostituisce\nl'Albo Pretorio.");
	assert_true(p->disclaimer_link_only);
	assert_int_equal(p->per_day, 2);
	assert_int_equal(p->frequency_level, POLICY_WARN);
	assert_int_equal(p->attachment_max, 1000000);
	assert_int_equal(p->n_attachment_types, 2);

	/* A category section twice, and a bad line in an extra lexicon (its own file:line). */
	write_file(lex, "ok\n\xff\xfe\n", 0644);
	snprintf(text, sizeof(text), "%s[category eventi]\n[category eventi]\n"
		 "[content]\nlexicon_dir = %s/data/policy/lexicons/it\nextra_advertising = extra-pubblicita.txt\n",
		 MINIMAL, SOURCE_ROOT);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "eventi");
	expect_error_in(&f->errs, "extra-pubblicita.txt", 2, "lexicon");
	/* Periods without any category allowed in them would stop everything. */
	snprintf(text, sizeof(text), "%s[category eventi]\n[electoral]\nperiods = 2026-04-10..2026-05-25\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 11, "electoral = yes");
	/* {hours} in the texts: the hours in words; an error when there are none. */
	snprintf(text, sizeof(text), "%s[hours]\nopen = mon-fri 09:00-13:00\n[texts]\nauto_reply = Aperto {hours}.\n",
		 MINIMAL);
	expect_ok(f, load(f, text, 0));
	{
		char *e = config_expand(f->cfg, f->cfg->text_auto_reply);
		assert_string_equal(e, "Aperto dal lunedì al venerdì dalle 9:00 alle 13:00.");
		free(e);
	}
	snprintf(text, sizeof(text), "%s[texts]\nauto_reply = Aperto {hours}.\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "[hours] open");
	/* Defaults: the short name from the comune's name, no categories, always open. */
	expect_ok(f, load(f, MINIMAL, 0));
	assert_string_equal(f->cfg->policy->short_name, "Prova");
	assert_int_equal(f->cfg->policy->n_categories, 0);
	assert_int_equal(f->cfg->policy->n_intervals, 0);
	assert_int_equal(f->cfg->policy->content_level[POLICY_K_IBAN], POLICY_BLOCK);
}

/* messages_per_second = 0 lifts the limit, for benchmarks against a local peer only. */
static void test_unlimited_rate_only_on_loopback(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	static const char *const loopback[] = { "http://127.0.0.1:18080", "http://localhost:9",
						"http://[::1]:8080" };

	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		snprintf(text, sizeof(text), "%sapi_base = %s\nmessages_per_second = 0\n", MINIMAL,
			 loopback[i]);
		expect_ok(f, load(f, text, 0));
		assert_int_equal(f->cfg->wa_messages_per_second, 0);
		config_free(f->cfg);
		f->cfg = NULL;
	}
	snprintf(text, sizeof(text), "%sapi_base = https://graph.facebook.com\nmessages_per_second = 0\n",
		 MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "127.0.0.1");
}

static void test_secrets_refused_in_main_file(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, MINIMAL "app_secret = shh\naccess_token = EAAfake\nverify_token = v\n", 1),
			 BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "secrets must not be in the configuration file");
	expect_error(&f->errs, 10, "secrets_file or the environment");
	expect_error(&f->errs, 11, "verify_token");
	for (int i = 0; i < f->errs.count; i++) /* and the value is never repeated */
		assert_null(strstr(f->errs.items[i].message, "shh"));
}

static void test_many_errors_all_reported_in_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f,
			      "stray = 1\n"                        /* 1 outside any section */
			      "[comune]\n"
			      "name = Comune di Prova\n"
			      "website = ftp://prova.example.org\n" /* 4 */
			      "name = Ancora\n"                     /* 5 duplicate */
			      "[canale]\n"                          /* 6 unknown section */
			      "name = ignorato\n"                   /* (in an unknown section) */
			      "[channel]\n"
			      "name = Prova\n"
			      "colore = blu\n"                      /* 10 */
			      "[whatsapp]\n"
			      "phone_number_id = abc\n"             /* 12 */
			      "display_number = +39 370 000 0001\n"
			      "messages_per_second = 5000\n"        /* 14 */
			      "[inbound]\n"
			      "mode = boh\n"                        /* 16 */
			      "[texts]\n"
			      "join = {foo} e {bar}\n",             /* 18 twice */
			      0),
			 BANDITORE_ECONFIG);
	expect_error(&f->errs, 1, "stray");
	expect_error(&f->errs, 4, "website");
	expect_error(&f->errs, 5, "line 3");
	expect_error(&f->errs, 6, "[canale]");
	expect_error(&f->errs, 10, "colore");
	expect_error(&f->errs, 12, "phone_number_id");
	expect_error(&f->errs, 14, "messages_per_second");
	expect_error(&f->errs, 16, "boh");
	expect_error(&f->errs, 18, "{foo}");
	expect_error(&f->errs, 18, "{bar}");
	assert_int_equal(f->errs.count, 10);
	for (int i = 1; i < f->errs.count; i++) /* sorted by line */
		assert_true(f->errs.items[i - 1].line <= f->errs.items[i].line);
}

static void test_line_limits_and_encoding(void **state)
{
	struct fixture *f = *state;
	char text[2048], name[300];

	/* 198 bytes is the longest line inih takes whole. */
	memset(name, 'a', sizeof(name));
	snprintf(text, sizeof(text), "%sdescription = %.*s\n", MINIMAL "[channel]\n", 198 - 14, name);
	expect_ok(f, load(f, text, 0));
	assert_int_equal(strlen(f->cfg->channel_description), 198 - 14);
	snprintf(text, sizeof(text), "%sdescription = %.*s\nkeep = 1\n", MINIMAL "[channel]\n", 199 - 14, name);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "line too long");
	expect_error(&f->errs, 11, "keep"); /* and the lines after it are still read */

	/* Invalid UTF-8 and NUL bytes, each on its line. */
	assert_int_equal(load(f, MINIMAL "[channel]\ndescription = caf\xe9\n", 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "UTF-8");
	{
		static const char with_nul[] = MINIMAL "[channel]\ndescription = a\0b\n";
		write_file(f->path, "", 0644);
		int fd = open(f->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		assert_int_equal(write(fd, with_nul, sizeof(with_nul) - 1), (ssize_t)sizeof(with_nul) - 1);
		close(fd);
		config_errors_free(&f->errs);
		assert_int_equal(config_load(f->path, 0, &f->cfg, &f->errs), BANDITORE_ECONFIG);
		expect_error(&f->errs, 10, "NUL");
	}

	/* A byte-order mark and Windows line ends are fine. */
	expect_ok(f, load(f, "\xef\xbb\xbf[comune]\r\nname = Comune di Prova\r\n"
			     "website = https://prova.example.org\r\n[channel]\r\nname = N\r\n"
			     "platforms = email\r\n",
			  0));
	assert_string_equal(f->cfg->comune_name, "Comune di Prova");
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/nope.ini", f->dir);
	assert_int_equal(config_load(path, 0, &f->cfg, &f->errs), BANDITORE_EIO);
	assert_null(f->cfg);
	assert_int_equal(f->errs.count, 1);
	assert_string_equal(f->errs.items[0].file, path);
	assert_int_equal(f->errs.items[0].line, 0);
	/* errors may be NULL */
	assert_int_equal(config_load(path, 0, &f->cfg, NULL), BANDITORE_EIO);
	config_free(NULL);
	config_errors_free(NULL);
}

/* ---- continuation lines, escapes, placeholders ---- */

static void test_continuations_and_escapes(void **state)
{
	struct fixture *f = *state;

	expect_ok(f, load(f, MINIMAL "[texts]\n"
				     "join = Prima riga\n"
				     "  che continua.\\n\n"
				     "\tSeconda riga; con punto e virgola\n"
				     "  e una barra \\\\n letterale\n"
				     "leave = Ciao\n",
			  0));
	assert_string_equal(f->cfg->text_join,
			    "Prima riga che continua.\nSeconda riga; con punto e virgola e una barra \\n letterale");
	assert_string_equal(f->cfg->text_leave, "Ciao");

	/* A duplicate key is not a continuation. */
	assert_int_equal(load(f, MINIMAL "[texts]\njoin = A\njoin = B\n", 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 11, "duplicate");
}

static void test_placeholders_expanded(void **state)
{
	struct fixture *f = *state;
	char *out;

	expect_ok(f, load(f, MINIMAL "[comune]\n"
				     "policy_url = https://prova.example.org/policy\n"
				     "privacy_url = https://prova.example.org/privacy\n"
				     "helpdesk_email = urp@prova.example.org\n"
				     "[keywords]\nunsubscribe = Basta Così, STOP\n"
				     "[texts]\njoin = {channel}|{comune}|{policy_url}|{privacy_url}|{website}|"
				     "{helpdesk_email}|{unsubscribe}|{ non }|{}|{x\n",
			  0));
	out = config_expand(f->cfg, f->cfg->text_join);
	assert_string_equal(out, "Prova Informa|Comune di Prova|https://prova.example.org/policy|"
				 "https://prova.example.org/privacy|https://www.comune.prova.example.org|"
				 "urp@prova.example.org|Basta Così|{ non }|{}|{x");
	free(out);
	/* Unknown names are left alone by config_expand (config_load refuses them). */
	out = config_expand(f->cfg, "a {nope} b {channel}");
	assert_string_equal(out, "a {nope} b Prova Informa");
	free(out);
	out = config_expand(f->cfg, "");
	assert_string_equal(out, "");
	free(out);

	assert_int_equal(load(f, MINIMAL "[texts]\njoin = {Channel} {channel}\nleave = {policy_url}\n", 0),
			 BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "{Channel}");
	expect_error(&f->errs, 11, "policy_url");
	assert_int_equal(f->errs.count, 2);
}

static void test_text_too_long_after_expansion(void **state)
{
	struct fixture *f = *state;
	char text[8192];
	size_t n;

	/* 25 lines of 190 bytes: under the value limit, over WhatsApp's 4096. */
	n = (size_t)snprintf(text, sizeof(text), "%s[texts]\njoin = start\n", MINIMAL);
	for (int i = 0; i < 25; i++) {
		memset(text + n, 'x', 190);
		text[n] = ' ';
		n += 190;
		text[n++] = '\n';
	}
	text[n] = '\0';
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "too long");
}

/* ---- keywords ---- */

static void test_keywords(void **state)
{
	struct fixture *f = *state;

	expect_ok(f, load(f, MINIMAL "[keywords]\nsubscribe =  Attiva   ISCRIZIONE!! , \xef\xbc\xa1\xef\xbc\xa2\n", 0));
	assert_int_equal(f->cfg->n_subscribe, 2);
	assert_string_equal(f->cfg->subscribe[0], "attiva iscrizione");
	assert_string_equal(f->cfg->subscribe[1], "ab"); /* full-width letters */
	assert_int_equal(f->cfg->n_unsubscribe, 2);        /* default kept */

	assert_int_equal(load(f, MINIMAL "[keywords]\nsubscribe = a, b, c, d, e, f, g, h, i\n", 0),
			 BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "at most 8");

	/* A subscribe keyword clashing with a default unsubscribe one. */
	assert_int_equal(load(f, MINIMAL "[keywords]\nsubscribe = Stop\n", 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 10, "both");
}

/* ---- secrets ---- */

static void write_secrets(struct fixture *f, const char *text, mode_t mode)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/secrets.ini", f->dir);
	write_file(path, text, mode);
}

#define WITH_SECRETS_FILE MINIMAL "secrets_file = secrets.ini\n"

static void test_secrets_file(void **state)
{
	struct fixture *f = *state;

	write_secrets(f, "; the WhatsApp secrets\n[whatsapp]\napp_secret = s3cret\n"
			 "access_token = EAAfirstpart\n  secondpart\n"
			 "verify_token = v-token\n",
		      0600);
	expect_ok(f, load(f, WITH_SECRETS_FILE, 1));
	assert_string_equal(f->cfg->wa_app_secret, "s3cret");
	assert_string_equal(f->cfg->wa_access_token, "EAAfirstpartsecondpart"); /* no space */
	assert_string_equal(f->cfg->wa_verify_token, "v-token");

	/* Not read without with_secrets. */
	expect_ok(f, load(f, WITH_SECRETS_FILE, 0));
	assert_string_equal(f->cfg->wa_app_secret, "");

	/* Readable by others: refused, on the secrets_file line. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n", 0640);
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "chmod 600");
	assert_int_equal(f->errs.count, 1);
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n", 0604);
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "other users");

	/* Problems inside the secrets file name that file and line. */
	write_secrets(f, "[whatsapp]\napp_secret = a\npassword = b\naccess_token = b c\n[other]\n", 0600);
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error_in(&f->errs, "secrets.ini", 3, "password");
	expect_error_in(&f->errs, "secrets.ini", 4, "spaces");
	expect_error_in(&f->errs, "secrets.ini", 5, "[other]");

	/* A missing secret, when WhatsApp is configured. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\n", 0600);
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "verify_token");
	assert_int_equal(f->errs.count, 1);
}

static void test_secrets_missing_file_and_env(void **state)
{
	struct fixture *f = *state;

	/* No file: an error naming it, unless the environment holds all three. */
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "does not exist");
	setenv("BANDITORE_WHATSAPP_APP_SECRET", "env-secret", 1);
	setenv("BANDITORE_WHATSAPP_ACCESS_TOKEN", "env-token", 1);
	assert_int_equal(load(f, WITH_SECRETS_FILE, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "verify_token");
	setenv("BANDITORE_WHATSAPP_VERIFY_TOKEN", "env-verify", 1);
	expect_ok(f, load(f, WITH_SECRETS_FILE, 1));
	assert_string_equal(f->cfg->wa_app_secret, "env-secret");

	/* The environment wins over the file. */
	write_secrets(f, "[whatsapp]\napp_secret = file-secret\naccess_token = file-token\n"
			 "verify_token = file-verify\n",
		      0600);
	unsetenv("BANDITORE_WHATSAPP_VERIFY_TOKEN");
	setenv("BANDITORE_WHATSAPP_ACCESS_TOKEN", "", 1); /* empty: not set */
	expect_ok(f, load(f, WITH_SECRETS_FILE, 1));
	assert_string_equal(f->cfg->wa_app_secret, "env-secret");
	assert_string_equal(f->cfg->wa_access_token, "file-token");
	assert_string_equal(f->cfg->wa_verify_token, "file-verify");

	/* Without a secrets_file, the environment alone; nothing at all is an error. */
	unsetenv("BANDITORE_WHATSAPP_APP_SECRET");
	unsetenv("BANDITORE_WHATSAPP_ACCESS_TOKEN");
	assert_int_equal(load(f, MINIMAL, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 0, "app_secret");
	expect_error(&f->errs, 0, "access_token");
	expect_error(&f->errs, 0, "verify_token");
}

/* ---- [telegram] ---- */

static void test_telegram_section(void **state)
{
	struct fixture *f = *state;
	char text[2048];

	unsetenv("BANDITORE_TELEGRAM_BOT_TOKEN");
	unsetenv("BANDITORE_TELEGRAM_WEBHOOK_SECRET");
	/* Bot mode needs the bot's name; both secrets come from the one secrets file. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n"
			 "[telegram]\nbot_token = 123456:ABC-def_GHI\nwebhook_secret = s3cr3t_-X\n", 0600);
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nbot_username = @ComuneProvaBot\napi_base = http://127.0.0.1:9998\n"
		 "messages_per_second = 0\n", WITH_SECRETS_FILE);
	expect_ok(f, load(f, text, 1));
	assert_int_equal(f->cfg->tg_mode, TELEGRAM_MODE_BOT);
	assert_string_equal(f->cfg->tg_bot_username, "ComuneProvaBot");
	assert_string_equal(f->cfg->tg_api_base, "http://127.0.0.1:9998");
	assert_int_equal(f->cfg->tg_messages_per_second, 0);
	assert_string_equal(f->cfg->tg_bot_token, "123456:ABC-def_GHI");
	assert_string_equal(f->cfg->tg_webhook_secret, "s3cr3t_-X");
	/* The environment wins. */
	setenv("BANDITORE_TELEGRAM_WEBHOOK_SECRET", "from-env", 1);
	expect_ok(f, load(f, text, 1));
	assert_string_equal(f->cfg->tg_webhook_secret, "from-env");
	setenv("BANDITORE_TELEGRAM_WEBHOOK_SECRET", "has space", 1);
	assert_int_equal(load(f, text, 1), BANDITORE_ECONFIG);
	unsetenv("BANDITORE_TELEGRAM_WEBHOOK_SECRET");

	/* A missing webhook secret in bot mode is named; a malformed one refused. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n"
			 "[telegram]\nbot_token = 123456:ABC\n", 0600);
	assert_int_equal(load(f, text, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 9, "webhook_secret");
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n"
			 "[telegram]\nbot_token = 123456:ABC\nwebhook_secret = no/slash\n", 0600);
	assert_int_equal(load(f, text, 1), BANDITORE_ECONFIG);
	expect_error(&f->errs, 0, "webhook_secret");

	/* Defaults; no limit only on loopback. */
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nbot_username = ComuneProvaBot\n", MINIMAL);
	expect_ok(f, load(f, text, 0));
	assert_string_equal(f->cfg->tg_api_base, "https://api.telegram.org");
	assert_int_equal(f->cfg->tg_messages_per_second, 30);
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nbot_username = ComuneProvaBot\nmessages_per_second = 0\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 13, "messages_per_second");

	/* Required keys per mode, and their forms. */
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 0, "bot_username");
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = channel\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 0, "channel_id");
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = channel\nchannel_id = @comune_di_prova\n", MINIMAL);
	expect_ok(f, load(f, text, 0));
	assert_int_equal(f->cfg->tg_mode, TELEGRAM_MODE_CHANNEL);
	assert_string_equal(f->cfg->tg_channel_id, "@comune_di_prova");
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = channel\nchannel_id = -1001234567890\n", MINIMAL);
	expect_ok(f, load(f, text, 0));
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = chat\nchannel_id = 12345\nbot_username = Comune\n", MINIMAL);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 12, "mode");
	expect_error(&f->errs, 13, "channel_id");
	expect_error(&f->errs, 14, "bot_username");
	/* Channel mode needs no webhook secret. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n"
			 "[telegram]\nbot_token = 123456:ABC\n", 0600);
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = channel\nchannel_id = @comune_di_prova\n", WITH_SECRETS_FILE);
	expect_ok(f, load(f, text, 1));
	/* One secrets file for the comune. */
	snprintf(text, sizeof(text), "%s[channel]\nplatforms = whatsapp, telegram\n"
		 "[telegram]\nmode = channel\nchannel_id = @comune_di_prova\nsecrets_file = other.ini\n",
		 WITH_SECRETS_FILE);
	assert_int_equal(load(f, text, 0), BANDITORE_ECONFIG);
	expect_error(&f->errs, 15, "secrets_file");
}

/* ---- policy version ---- */

static void version_of(struct fixture *f, const char *text, char out[65])
{
	expect_ok(f, load(f, text, 0));
	config_policy_version(f->cfg, out);
	assert_int_equal(strlen(out), 64);
	assert_int_equal(strspn(out, "0123456789abcdef"), 64);
}

static void test_policy_version(void **state)
{
	struct fixture *f = *state;
	char base[65], again[65], other[65];

	version_of(f, MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n", base);
	version_of(f, MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n", again);
	assert_string_equal(base, again);
	/* What the citizen does not accept leaves it alone. */
	version_of(f, MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n"
			      "leave = Addio\n[server]\nlisten = 127.0.0.1:9000\n",
		   again);
	assert_string_equal(base, again);
	/* Each thing the citizen accepts moves it. */
	static const char *const changes[] = {
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao!\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/b\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\nprivacy_url = https://p.example.org/p\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\npolicy_version = 2\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\ncontroller = Comune\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\ndpo_email = d@example.org\n[texts]\njoin = Ciao\n",
		/* what the public privacy notice and policy pages print (issue 6) */
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\nhelpdesk_phone = 800 000 001\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[inbound]\nmode = keep-until-answered\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[whatsapp]\nchannel_url = https://whatsapp.com/channel/x\n[texts]\njoin = Ciao\n",
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[category avvisi]\nlabel = Avvisi\n[texts]\njoin = Ciao\n",
		/* another platform: the notice says what it keeps and who delivers for it */
		MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n"
			"[channel]\nplatforms = whatsapp, webpush\n[push]\nsubject = mailto:urp@example.org\n",
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		version_of(f, changes[i], other);
		assert_string_not_equal(base, other);
	}
	/* Naming WhatsApp alone, as before other platforms existed, leaves it alone. */
	version_of(f, MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n"
			      "[channel]\nplatforms = whatsapp\n", again);
	version_of(f, MINIMAL "[comune]\npolicy_url = https://p.example.org/a\n[texts]\njoin = Ciao\n", base);
	assert_string_equal(base, again);
	/* No shifting of bytes between fields: "ab"+"" differs from "a"+"b". */
	version_of(f, MINIMAL "[comune]\ncontroller = ab\n", base);
	version_of(f, MINIMAL "[comune]\ncontroller = a\ncontroller_email = b@x\n", other);
	assert_string_not_equal(base, other);
}

/* ---- the five examples ---- */

static void example_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/examples/comuni/%s.ini", SOURCE_ROOT, name);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "re");
	char buf[65536];
	size_t n;
	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	fclose(in);
	buf[n] = '\0';
	write_file(to, buf, mode);
}

static void test_examples_load(void **state)
{
	struct fixture *f = *state;
	char path[512], copy[160], secrets[512];

	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		example_path(path, sizeof(path), examples[i]);
		config_free(f->cfg);
		f->cfg = NULL;
		config_errors_free(&f->errs);
		if (config_load(path, 0, &f->cfg, &f->errs) != 0) {
			fprintf(stderr, "%s:\n", path);
			dump_errors(&f->errs);
			fail();
		}
		assert_true(f->cfg->platforms & (1 << PLATFORM_WHATSAPP));
		assert_string_equal(f->cfg->subscribe[0], "attiva iscrizione");
		assert_string_equal(f->cfg->unsubscribe[0], "disattiva iscrizione");
		assert_string_equal(f->cfg->unsubscribe[1], "stop");
		assert_string_equal(f->cfg->unsubscribe_word, "DISATTIVA ISCRIZIONE");
		assert_non_null(strstr(f->cfg->wa_display_number, "+3936600000")); /* fictitious */
		assert_true(strlen(f->cfg->policy_url) > 0 && strlen(f->cfg->privacy_url) > 0);

		/* With the example secrets beside it, as an operator would set it up. */
		snprintf(copy, sizeof(copy), "%s/%s.ini", f->dir, examples[i]);
		copy_file(path, copy, 0644);
		snprintf(secrets, sizeof(secrets), "%s/examples/comuni/secrets.example.ini", SOURCE_ROOT);
		snprintf(path, sizeof(path), "%s/secrets.ini", f->dir);
		copy_file(secrets, path, 0600);
		config_free(f->cfg);
		f->cfg = NULL;
		if (config_load(copy, 1, &f->cfg, &f->errs) != 0) {
			fprintf(stderr, "%s with secrets:\n", copy);
			dump_errors(&f->errs);
			fail();
		}
		assert_true(strlen(f->cfg->wa_access_token) > 100); /* joined over two lines */
		assert_null(strchr(f->cfg->wa_access_token, ' '));
	}
}

static void test_examples_follow_their_policies(void **state)
{
	struct fixture *f = *state;
	char path[512], *text;

	example_path(path, sizeof(path), "concorezzo");
	assert_int_equal(config_load(path, 0, &f->cfg, &f->errs), 0);
	assert_string_equal(f->cfg->channel_name, "WhatsConcorezzo");
	assert_int_equal(f->cfg->inbound_mode, CONFIG_INBOUND_AUTO_REPLY);
	text = config_expand(f->cfg, f->cfg->text_auto_reply);
	assert_non_null(strstr(text, "valore ufficiale"));
	assert_non_null(strstr(text, "https://www.comune.concorezzo.mb.it"));
	free(text);
	text = config_expand(f->cfg, f->cfg->text_join);
	assert_non_null(strstr(text, "WhatsConcorezzo"));
	assert_non_null(strstr(text, f->cfg->policy_url));
	assert_non_null(strstr(text, f->cfg->privacy_url));
	assert_non_null(strstr(text, "DISATTIVA ISCRIZIONE"));
	free(text);
	config_free(f->cfg);
	f->cfg = NULL;

	example_path(path, sizeof(path), "seveso");
	assert_int_equal(config_load(path, 0, &f->cfg, &f->errs), 0);
	assert_int_equal(f->cfg->inbound_mode, CONFIG_INBOUND_KEEP_UNTIL_ANSWERED);
	config_free(f->cfg);
	f->cfg = NULL;

	example_path(path, sizeof(path), "sesto-calende");
	assert_int_equal(config_load(path, 0, &f->cfg, &f->errs), 0);
	assert_int_equal(f->cfg->inbound_mode, CONFIG_INBOUND_NONE);
	config_free(f->cfg);
	f->cfg = NULL;

	example_path(path, sizeof(path), "siracusa");
	assert_int_equal(config_load(path, 0, &f->cfg, &f->errs), 0);
	assert_string_equal(f->cfg->helpdesk_email, "sportello.cittadino@comune.siracusa.it");
}

/* ---- banditore config check ---- */

/* Runs cmd_config with stdout and stderr captured into out/err. */
static int run_config(struct fixture *f, char *out, size_t out_cap, char *err, size_t err_cap, ...)
{
	char *argv[16];
	int argc = 0, rc, saved_out, saved_err, fd_out, fd_err;
	char out_path[160], err_path[160];
	va_list ap;
	FILE *fp;
	size_t n;

	va_start(ap, err_cap);
	argv[argc++] = (char *)"config";
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/stdout", f->dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", f->dir);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	dup2(fd_out, 1);
	dup2(fd_err, 2);
	rc = cmd_config(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(fd_out);
	close(fd_err);
	fp = fopen(out_path, "re");
	n = fread(out, 1, out_cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
	fp = fopen(err_path, "re");
	n = fread(err, 1, err_cap - 1, fp);
	err[n] = '\0';
	fclose(fp);
	return rc;
}

static void test_config_check_command(void **state)
{
	struct fixture *f = *state;
	char out[8192], err[8192], want[600], path[512];

	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), NULL), EXIT_USAGE);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", NULL), EXIT_USAGE);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "verify", "x.ini", NULL), EXIT_USAGE);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", "--bogus", "x.ini", NULL),
			 EXIT_USAGE);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "--help", NULL), 0);
	assert_non_null(strstr(out, "config check FILE"));
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", "--help", NULL), 0);

	/* Each example passes; its secrets file is not there, which is only a warning. */
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		example_path(path, sizeof(path), examples[i]);
		assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", path, NULL), 0);
		snprintf(want, sizeof(want), "%s: OK\n", path);
		assert_non_null(strstr(out, want));
		assert_non_null(strstr(out, "whatsapp"));
		assert_non_null(strstr(err, "warning"));
	}

	/* With its secrets provisioned (0600), they are checked; no warning. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n", 0600);
	write_file(f->path, WITH_SECRETS_FILE, 0644);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", f->path, NULL), 0);
	assert_non_null(strstr(out, "Comune di Prova"));
	assert_non_null(strstr(out, "Prova Informa"));
	assert_null(strstr(err, "secrets")); /* only the lexicons' warning, when not installed */
	/* ... and a secrets file others can read fails the check. */
	write_secrets(f, "[whatsapp]\napp_secret = a\naccess_token = b\nverify_token = c\n", 0644);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", f->path, NULL), 1);
	snprintf(want, sizeof(want), "%s:9: ", f->path);
	assert_non_null(strstr(err, want));

	/* Every error as FILE:LINE: reason, exit 1. */
	write_file(f->path, MINIMAL "[inbound]\nkeep_days = 0\nmode = x\n", 0644);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", f->path, NULL), 1);
	snprintf(want, sizeof(want), "%s:10: ", f->path);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "%s:11: ", f->path);
	assert_non_null(strstr(err, want));
	assert_null(strstr(out, "OK"));

	/* Secrets in the environment are checked even without a file. */
	write_file(f->path, MINIMAL, 0644);
	setenv("BANDITORE_WHATSAPP_APP_SECRET", "x", 1);
	assert_int_equal(run_config(f, out, sizeof(out), err, sizeof(err), "check", f->path, NULL), 1);
	assert_non_null(strstr(err, "verify_token"));
}

int main(void)
{
	/* Messages are checked in English; the i18n choice is made once, at first use. */
	setenv("BANDITORE_LANG", "en", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_file_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_whatsapp_needs_no_whatsapp_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_error_on_its_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlimited_rate_only_on_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_refused_in_main_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_errors_all_reported_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_limits_and_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continuations_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placeholders_expanded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_too_long_after_expansion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keywords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_missing_file_and_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_telegram_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_examples_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_examples_follow_their_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_check_command, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
