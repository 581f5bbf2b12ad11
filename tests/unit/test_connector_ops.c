/*
 * test_connector_ops.c - unit tests of the connector ops table: every platform has an
 * entry with its capabilities, and each render turns one composed message into what
 * that platform shows (WhatsApp's template parameters, Telegram's escaped HTML cut to
 * 4,096 characters, the e-mail subject and plain part, the push title and body, SMS
 * segments), refusing what a platform can never carry and leaving `out` as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/platform.h"
#include "config/config.h"
#include "connectors/connector.h"
#include "connectors/sms.h"
#include "connectors/telegram.h"

static struct config cfg; /* large: not on the stack; only the fields render reads */

static void msg(struct connector_message *m, const char *title, const char *text,
		const char *link)
{
	memset(m, 0, sizeof(*m));
	m->id = 42;
	m->title = title;
	m->text = text;
	m->link = link;
	m->category = "avvisi";
}

static int render(int platform, const struct connector_message *m, struct buf *out,
		  struct connector_rendered *info)
{
	const struct connector_ops *ops = connector_ops_for(platform);

	assert_non_null(ops);
	buf_reset(out);
	return ops->render(m, out, info);
}

/* A string of n copies of the UTF-8 character `ch`. */
static char *repeat(const char *ch, size_t n)
{
	size_t l = strlen(ch);
	char *s = malloc(n * l + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * l, ch, l);
	s[n * l] = '\0';
	return s;
}

static void test_table(void **state)
{
	(void)state;
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		const struct connector_ops *ops = connector_ops_for(p);
		assert_non_null(ops);
		assert_int_equal(ops->platform, p);
		assert_non_null(ops->caps);
		assert_non_null(ops->render);
		assert_string_equal(ops->caps->platform, platform_name(p));
		assert_true(ops->caps->text_max > 0);
		assert_true(ops->caps->messages_per_second > 0);
	}
	assert_null(connector_ops_for(0));
	assert_null(connector_ops_for(PLATFORM_MAX + 1));
	assert_int_equal(connector_ops_for(PLATFORM_TELEGRAM)->caps->messages_per_second,
			 TELEGRAM_RATE);
}

static void test_whatsapp(void **state)
{
	struct connector_message m;
	struct connector_rendered info;
	struct buf out;
	char *longer;

	(void)state;
	buf_init(&out, CONNECTOR_RENDER_MAX);
	/* No configuration: the text alone, new lines as one space, as broadcast sends. */
	msg(&m, "Titolo", "Strada chiusa\n\nin via Roma.", NULL);
	assert_int_equal(render(PLATFORM_WHATSAPP, &m, &out, &info), 0);
	assert_string_equal(buf_cstr(&out), "Strada chiusa in via Roma.");
	assert_int_equal(info.parts, 1);
	assert_int_equal(info.chars, 26);

	/* The configured parameters, in order, one per line. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.wa_template_params[0] = CONFIG_PARAM_TITLE;
	cfg.wa_template_params[1] = CONFIG_PARAM_TEXT;
	cfg.wa_template_params[2] = CONFIG_PARAM_LINK;
	cfg.wa_n_template_params = 3;
	m.cfg = &cfg;
	m.link = "https://example.org/a";
	assert_int_equal(render(PLATFORM_WHATSAPP, &m, &out, &info), 0);
	assert_string_equal(buf_cstr(&out),
			    "Titolo\nStrada chiusa in via Roma.\nhttps://example.org/a");

	/* A parameter that is empty, or a body over 1,024 characters: refused, out empty. */
	m.link = NULL;
	assert_int_equal(render(PLATFORM_WHATSAPP, &m, &out, &info), BANDITORE_EINVAL);
	assert_int_equal(out.len, 0);
	cfg.wa_n_template_params = 1;
	cfg.wa_template_params[0] = CONFIG_PARAM_TEXT;
	longer = repeat("a", 1025);
	m.text = longer;
	assert_int_equal(render(PLATFORM_WHATSAPP, &m, &out, &info), BANDITORE_EINVAL);
	longer[1024] = '\0';
	assert_int_equal(render(PLATFORM_WHATSAPP, &m, &out, &info), 0);
	assert_int_equal(info.chars, 1024);
	free(longer);
	buf_free(&out);
}

static void test_telegram(void **state)
{
	struct connector_message m;
	struct connector_rendered info;
	struct buf out;
	char *longer;
	const char *s;

	(void)state;
	buf_init(&out, CONNECTOR_RENDER_MAX);
	msg(&m, "Lavori <urgenti>", "Acqua & luce \"sospese\"", "https://example.org/?a=1&b=2");
	assert_int_equal(render(PLATFORM_TELEGRAM, &m, &out, &info), 0);
	assert_string_equal(buf_cstr(&out),
			    "<b>Lavori &lt;urgenti&gt;</b>\n\nAcqua &amp; luce &quot;sospese&quot;"
			    "\n\nhttps://example.org/?a=1&amp;b=2");
	assert_int_equal(info.cut, 0);
	assert_int_equal(info.media_dropped, 0);
	/* Visible characters: 16 + 2 + 22 + 2 + 28. */
	assert_int_equal(info.chars, 16 + 2 + 22 + 2 + 28);

	/* 5,000 "è": cut to fit 4,096 visible characters, ending with "…". */
	longer = repeat("\xc3\xa8", 5000);
	msg(&m, "Avviso", longer, NULL);
	assert_int_equal(render(PLATFORM_TELEGRAM, &m, &out, &info), 0);
	assert_int_equal(info.cut, 1);
	assert_int_equal(info.chars, TELEGRAM_TEXT_MAX);
	s = buf_cstr(&out);
	assert_int_equal(strcmp(s + strlen(s) - 3, "\xe2\x80\xa6"), 0);
	free(longer);

	/* An attachment is not sent on Telegram: the permalink carries it. */
	msg(&m, NULL, "Il bando in allegato.", NULL);
	m.media_kind = CONNECTOR_MEDIA_DOCUMENT;
	m.permalink = "https://comune.example.org/archivio/42";
	assert_int_equal(render(PLATFORM_TELEGRAM, &m, &out, &info), 0);
	assert_int_equal(info.media_dropped, 1);
	assert_string_equal(buf_cstr(&out),
			    "Il bando in allegato.\n\nhttps://comune.example.org/archivio/42");

	/* Invalid UTF-8 and nothing at all are refused. */
	msg(&m, NULL, "bad \xff byte", NULL);
	assert_int_equal(render(PLATFORM_TELEGRAM, &m, &out, &info), BANDITORE_EINVAL);
	msg(&m, NULL, "", NULL);
	assert_int_equal(render(PLATFORM_TELEGRAM, &m, &out, NULL), BANDITORE_EINVAL);
	buf_free(&out);
}

static void test_email(void **state)
{
	struct connector_message m;
	struct connector_rendered info;
	struct buf out;

	(void)state;
	buf_init(&out, CONNECTOR_RENDER_MAX);
	msg(&m, "Chiusura scuole", "Domani le scuole restano chiuse.\nRiapertura lunedì.",
	    "https://example.org/scuole");
	assert_int_equal(render(PLATFORM_EMAIL, &m, &out, &info), 0);
	assert_string_equal(info.title, "Chiusura scuole");
	assert_string_equal(buf_cstr(&out), "Domani le scuole restano chiuse.\nRiapertura lunedì."
					    "\n\nhttps://example.org/scuole");

	/* Emergencies say so in the subject; without a title, the first line is the subject,
	 * cut to 78 characters. */
	msg(&m, NULL, "Allerta meteo rossa su tutto il territorio comunale: restare in casa e "
		      "seguire le indicazioni della protezione civile.\nSecondo paragrafo.", NULL);
	m.emergency = 1;
	assert_int_equal(render(PLATFORM_EMAIL, &m, &out, &info), 0);
	assert_int_equal(strncmp(info.title, "EMERGENZA - Allerta meteo rossa", 31), 0);
	assert_null(strchr(info.title, '\n'));
	assert_int_equal(strcmp(info.title + strlen(info.title) - 3, "\xe2\x80\xa6"), 0);
	assert_int_equal(strstr(buf_cstr(&out), "Secondo paragrafo.") != NULL, 1);

	/* A link with blanks is refused and `out` keeps what it held. */
	buf_reset(&out);
	assert_int_equal(buf_appends(&out, "prima"), 0);
	msg(&m, "T", "x", "https://example.org/a b");
	assert_int_equal(connector_ops_for(PLATFORM_EMAIL)->render(&m, &out, &info),
			 BANDITORE_EINVAL);
	assert_string_equal(buf_cstr(&out), "prima");
	buf_free(&out);
}

static void test_webpush(void **state)
{
	struct connector_message m;
	struct connector_rendered info;
	struct buf out;
	char *longer;

	(void)state;
	buf_init(&out, CONNECTOR_RENDER_MAX);
	memset(&cfg, 0, sizeof(cfg));
	cfg.channel_name = (char *)"Comune di Esempio";
	msg(&m, NULL, "Mercato spostato in piazza.", NULL);
	m.cfg = &cfg;
	assert_int_equal(render(PLATFORM_WEBPUSH, &m, &out, &info), 0);
	assert_string_equal(info.title, "Comune di Esempio");
	assert_string_equal(buf_cstr(&out), "Mercato spostato in piazza.");
	m.title = "Mercato";
	m.emergency = 1;
	assert_int_equal(render(PLATFORM_WEBPUSH, &m, &out, &info), 0);
	assert_string_equal(info.title, "EMERGENZA - Mercato");

	longer = repeat("z", 1500);
	m.text = longer;
	assert_int_equal(render(PLATFORM_WEBPUSH, &m, &out, &info), 0);
	assert_int_equal(info.cut, 1);
	assert_int_equal(info.chars, 1000);
	free(longer);
	buf_free(&out);
}

static void test_sms(void **state)
{
	struct connector_message m;
	struct connector_rendered info;
	struct buf out;
	char *longer;
	char permalink[1200];

	(void)state;
	buf_init(&out, CONNECTOR_RENDER_MAX);
	msg(&m, "Avviso", "Acqua sospesa dalle 9 alle 12.", NULL);
	assert_int_equal(render(PLATFORM_SMS, &m, &out, &info), 0);
	assert_string_equal(buf_cstr(&out), "Avviso\nAcqua sospesa dalle 9 alle 12.");
	assert_int_equal(info.parts, 1);
	assert_int_equal(info.encoding, SMS_GSM7);
	assert_int_equal(info.cut, 0);

	/* An emoji makes it UCS-2. */
	msg(&m, NULL, "Festa in piazza \xf0\x9f\x8e\x89", NULL);
	assert_int_equal(render(PLATFORM_SMS, &m, &out, &info), 0);
	assert_int_equal(info.encoding, SMS_UCS2);

	/* 400 GSM characters: three parts (153 each) when split; one, cut with the
	 * permalink, when the channel says shorten. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.public_url = (char *)"https://comune.example.org/";
	cfg.sms_long_text = SMS_LONG_SPLIT;
	cfg.sms_max_segments = 3;
	longer = repeat("a", 400);
	connector_message_init(&m, 42, NULL, longer, NULL, "avvisi", 0, "", &cfg, permalink,
			       sizeof(permalink));
	assert_string_equal(permalink, "https://comune.example.org/archivio/42");
	assert_int_equal(render(PLATFORM_SMS, &m, &out, &info), 0);
	assert_int_equal(info.parts, 3);
	assert_int_equal(info.cut, 0);
	cfg.sms_long_text = SMS_LONG_SHORTEN;
	assert_int_equal(render(PLATFORM_SMS, &m, &out, &info), 0);
	assert_int_equal(info.parts, 1);
	assert_int_equal(info.cut, 1);
	assert_non_null(strstr(buf_cstr(&out), "https://comune.example.org/archivio/42"));
	assert_true(info.chars <= 160);
	free(longer);
	buf_free(&out);
}

static void test_message_init(void **state)
{
	struct connector_message m;
	char permalink[64];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	connector_message_init(&m, 7, "T", "x", NULL, "c", 1, "image/png", &cfg, permalink,
			       sizeof(permalink));
	assert_int_equal(m.media_kind, CONNECTOR_MEDIA_IMAGE);
	assert_int_equal(m.emergency, 1);
	assert_null(m.permalink); /* no public_url */
	cfg.public_url = (char *)"https://comune.example.org";
	connector_message_init(&m, 7, "T", "x", NULL, "c", 0, "application/pdf", &cfg, permalink,
			       sizeof(permalink));
	assert_int_equal(m.media_kind, CONNECTOR_MEDIA_DOCUMENT);
	assert_string_equal(m.permalink, "https://comune.example.org/archivio/7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_whatsapp),
		cmocka_unit_test(test_telegram),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_webpush),
		cmocka_unit_test(test_sms),
		cmocka_unit_test(test_message_init),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
