/*
 * test_sms.c - unit tests of the SMS connector's pure parts: GSM-7 or UCS-2 and the
 * parts a text needs (extension characters, emoji, characters that may not straddle
 * two parts), fitting a long text to its budget with the archive link, escaping values
 * into form and JSON bodies, the settings check, JSON fields, and reading answers. The
 * send path is tested against a fake gateway in tests/integration/test_sms.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "connectors/sms.h"

#define LINK "https://comune.example.org/archivio/42"

static char *repeat(const char *unit, int n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * (size_t)n + 1);

	assert_non_null(s);
	for (int i = 0; i < n; i++)
		memcpy(s + len * (size_t)i, unit, len);
	s[len * (size_t)n] = '\0';
	return s;
}

/* Concatenates up to three strings into a new one. */
static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static struct sms_count count(const char *s)
{
	struct sms_count c;

	assert_int_equal(sms_text_count(s, strlen(s), &c), 0);
	return c;
}

static void test_gsm7_table(void **state)
{
	(void)state;
	assert_int_equal(sms_gsm7_units('a'), 1);
	assert_int_equal(sms_gsm7_units('@'), 1);
	assert_int_equal(sms_gsm7_units('\n'), 1);
	assert_int_equal(sms_gsm7_units(0x00E8), 1); /* è */
	assert_int_equal(sms_gsm7_units(0x00E0), 1); /* à */
	assert_int_equal(sms_gsm7_units(0x00C9), 1); /* É */
	assert_int_equal(sms_gsm7_units(0x0394), 1); /* Δ */
	assert_int_equal(sms_gsm7_units(0x20AC), 2); /* € */
	assert_int_equal(sms_gsm7_units('{'), 2);
	assert_int_equal(sms_gsm7_units('|'), 2);
	assert_int_equal(sms_gsm7_units('^'), 2);
	assert_int_equal(sms_gsm7_units(0x00C8), 0); /* È */
	assert_int_equal(sms_gsm7_units('`'), 0);
	assert_int_equal(sms_gsm7_units(0x2019), 0); /* ’ */
	assert_int_equal(sms_gsm7_units(0x1F600), 0);
	assert_int_equal(sms_gsm7_units(0x2026), 0); /* … */
}

static void test_count_gsm7(void **state)
{
	struct sms_count c;
	char *s;

	(void)state;
	assert_int_equal(sms_text_count("", 0, &c), 0);
	assert_int_equal(c.segments, 0);
	c = count("Strada chiusa in via Roma: è vietato il transito.");
	assert_int_equal(c.encoding, SMS_GSM7);
	assert_int_equal(c.units, 49);
	assert_int_equal(c.segments, 1);

	s = repeat("a", 160);
	c = count(s);
	assert_int_equal(c.segments, 1);
	free(s);
	s = repeat("a", 161);
	assert_int_equal(count(s).segments, 2);
	free(s);
	s = repeat("a", 306);
	assert_int_equal(count(s).segments, 2);
	free(s);
	s = repeat("a", 307);
	assert_int_equal(count(s).segments, 3);
	free(s);

	/* The euro sign takes two places: 80 fit one SMS, 81 do not (76 per part). */
	s = repeat("\xE2\x82\xAC", 80);
	c = count(s);
	assert_int_equal(c.encoding, SMS_GSM7);
	assert_int_equal(c.units, 160);
	assert_int_equal(c.chars, 80);
	assert_int_equal(c.segments, 1);
	free(s);
	s = repeat("\xE2\x82\xAC", 81);
	assert_int_equal(count(s).segments, 2);
	free(s);

	/* An extension character never straddles two parts: 152 + '{' does not fit 153. */
	{
		char *a = repeat("a", 152);
		s = cat3(a, "{", a);
		c = count(s);
		assert_int_equal(c.units, 306);
		assert_int_equal(c.segments, 3); /* 152 | '{' + 151 | 1 */
		free(s);
		free(a);
	}
}

static void test_count_ucs2(void **state)
{
	struct sms_count c;
	char *s;

	(void)state;
	/* One character outside GSM-7 makes the whole SMS UCS-2. */
	c = count("Èvento in piazza");
	assert_int_equal(c.encoding, SMS_UCS2);
	assert_int_equal(c.units, 16);
	assert_int_equal(c.segments, 1);
	c = count("l\xE2\x80\x99" "avviso");
	assert_int_equal(c.encoding, SMS_UCS2);

	s = repeat("\xC3\x88", 70); /* È */
	assert_int_equal(count(s).segments, 1);
	free(s);
	s = repeat("\xC3\x88", 71);
	assert_int_equal(count(s).segments, 2);
	free(s);
	s = repeat("x\xC3\x88", 67); /* 134 units: 67 + 67 */
	assert_int_equal(count(s).segments, 2);
	free(s);

	/* An emoji is two UTF-16 units: 35 fill one SMS, 36 need two. */
	s = repeat("\xF0\x9F\x98\x80", 35);
	c = count(s);
	assert_int_equal(c.units, 70);
	assert_int_equal(c.chars, 35);
	assert_int_equal(c.segments, 1);
	free(s);
	s = repeat("\xF0\x9F\x98\x80", 36);
	assert_int_equal(count(s).segments, 2);
	free(s);
	/* ... and never straddles two parts: 66 + emoji does not fit 67. */
	{
		char *a = repeat("a", 66);
		s = cat3(a, "\xF0\x9F\x98\x80", a);
		c = count(s);
		assert_int_equal(c.units, 134);
		assert_int_equal(c.segments, 3);
		free(s);
		free(a);
	}
	/* Invalid UTF-8 is refused. */
	assert_int_equal(sms_text_count("a\xC3", 2, &c), BANDITORE_EINVAL);
	assert_int_equal(sms_text_count("\xED\xA0\x80", 3, &c), BANDITORE_EINVAL); /* surrogate */
}

static char *long_words(int words)
{
	return repeat("parola ", words);
}

static void test_fit_unchanged(void **state)
{
	struct sms_count c;
	char *out = NULL;
	int cut = -1;

	(void)state;
	assert_int_equal(sms_text_fit("Breve avviso.", SMS_LONG_SHORTEN, 3, LINK, &out, &c, &cut), 0);
	assert_string_equal(out, "Breve avviso.");
	assert_int_equal(cut, 0);
	assert_int_equal(c.segments, 1);
	free(out);
	/* Exactly three parts with split and max 3: unchanged. */
	{
		char *s = repeat("a", 459);
		assert_int_equal(sms_text_fit(s, SMS_LONG_SPLIT, 3, LINK, &out, &c, &cut), 0);
		assert_string_equal(out, s);
		assert_int_equal(c.segments, 3);
		assert_int_equal(cut, 0);
		free(out);
		free(s);
	}
}

static void test_fit_shorten_gsm(void **state)
{
	struct sms_count c;
	char *s = long_words(60), *out = NULL;
	const char *tail = "... " LINK;
	size_t n;
	int cut = 0;

	(void)state;
	assert_int_equal(sms_text_fit(s, SMS_LONG_SHORTEN, 3, LINK, &out, &c, &cut), 0);
	assert_int_equal(cut, 1);
	assert_int_equal(c.encoding, SMS_GSM7); /* three dots, not the UCS-2 ellipsis */
	assert_int_equal(c.segments, 1);
	assert_true(c.units <= 160);
	n = strlen(out);
	assert_true(n > strlen(tail));
	assert_string_equal(out + n - strlen(tail), tail);
	/* Cut at a word: what is kept is whole words of the original. */
	assert_memory_equal(out, s, n - strlen(tail));
	assert_true(out[n - strlen(tail) - 1] == 'a');
	assert_true(s[n - strlen(tail)] == ' ');
	/* As much as fits: one more word would not. */
	assert_true(c.units + 7 > 160);
	free(out);

	/* Without a link: three dots alone. */
	assert_int_equal(sms_text_fit(s, SMS_LONG_SHORTEN, 3, NULL, &out, &c, &cut), 0);
	n = strlen(out);
	assert_string_equal(out + n - 3, "...");
	assert_true(c.units <= 160 && c.units > 150);
	free(out);
	free(s);
}

static void test_fit_split(void **state)
{
	struct sms_count c;
	char *s = long_words(100), *out = NULL; /* 700 characters: 5 parts */
	int cut = 0;

	(void)state;
	assert_int_equal(count(s).segments, 5);
	assert_int_equal(sms_text_fit(s, SMS_LONG_SPLIT, 3, LINK, &out, &c, &cut), 0);
	assert_int_equal(cut, 1);
	assert_int_equal(c.segments, 3);
	assert_true(c.units > 153 * 2);
	assert_non_null(strstr(out, "... " LINK));
	free(out);
	assert_int_equal(sms_text_fit(s, SMS_LONG_SPLIT, 10, LINK, &out, &c, &cut), 0);
	assert_int_equal(cut, 0);
	assert_string_equal(out, s);
	free(out);
	free(s);
}

static void test_fit_ucs2(void **state)
{
	struct sms_count c;
	char *words = repeat("Èvento ", 30), *out = NULL;
	const char *tail = "\xE2\x80\xA6 " LINK;
	size_t n;
	int cut = 0;

	(void)state;
	assert_int_equal(sms_text_fit(words, SMS_LONG_SHORTEN, 3, LINK, &out, &c, &cut), 0);
	assert_int_equal(cut, 1);
	assert_int_equal(c.encoding, SMS_UCS2);
	assert_true(c.units <= 70);
	n = strlen(out);
	assert_string_equal(out + n - strlen(tail), tail);
	free(out);
	free(words);

	/* A link too long for one SMS is dropped rather than cut: the ellipsis alone. */
	{
		char *big = repeat("x", 200), *link = cat3("https://comune.example.org/", big, "");
		char *text = long_words(40);
		assert_int_equal(sms_text_fit(text, SMS_LONG_SHORTEN, 1, link, &out, &c, &cut), 0);
		assert_null(strstr(out, "https://"));
		n = strlen(out);
		assert_string_equal(out + n - 3, "...");
		assert_int_equal(c.segments, 1);
		free(out);
		free(text);
		free(link);
		free(big);
	}
	/* A single enormous word is cut inside it. */
	{
		char *word = repeat("b", 400);
		assert_int_equal(sms_text_fit(word, SMS_LONG_SHORTEN, 1, LINK, &out, &c, &cut), 0);
		assert_int_equal(c.segments, 1);
		assert_true(c.units == 160);
		free(out);
		free(word);
	}
	/* An emoji is never cut in half. */
	{
		char *emoji = repeat("\xF0\x9F\x98\x80", 100);
		assert_int_equal(sms_text_fit(emoji, SMS_LONG_SHORTEN, 1, NULL, &out, &c, &cut), 0);
		assert_int_equal(sms_text_count(out, strlen(out), &c), 0);
		assert_int_equal(c.segments, 1);
		free(out);
		free(emoji);
	}
	assert_int_equal(sms_text_fit("a\xC3", SMS_LONG_SHORTEN, 1, NULL, &out, &c, &cut), BANDITORE_EINVAL);
	assert_int_equal(sms_text_fit("a", 7, 1, NULL, &out, &c, &cut), BANDITORE_EINVAL);
	assert_int_equal(sms_text_fit("a", SMS_LONG_SPLIT, 0, NULL, &out, &c, &cut), BANDITORE_EINVAL);
	assert_int_equal(sms_text_fit("a", SMS_LONG_SPLIT, 11, NULL, &out, &c, &cut), BANDITORE_EINVAL);
}

static void test_escape(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(sms_escape_form("a b&c=d+\xC3\xA9/~", &b), 0);
	assert_string_equal(buf_cstr(&b), "a+b%26c%3Dd%2B%C3%A9%2F%7E");
	buf_reset(&b);
	assert_int_equal(sms_escape_json("a\"b\\c\nd\x01\t\xE2\x82\xAC", &b), 0);
	assert_string_equal(buf_cstr(&b), "a\\\"b\\\\c\\nd\\u0001\\t\xE2\x82\xAC");
	buf_reset(&b);
	assert_int_equal(sms_render_template(sms_default_template(SMS_BODY_FORM), SMS_BODY_FORM,
					     "+393330000001", "Comune", "Ciao a tutti & benvenuti", &b),
			 0);
	assert_string_equal(buf_cstr(&b), "to=%2B393330000001&from=Comune&text=Ciao+a+tutti+%26+benvenuti");
	buf_reset(&b);
	/* JSON: nested objects' braces are left alone; values come out exactly. */
	{
		const char *text = "Disse \"basta\"\\ e poi\nandò via {text}";
		json_t *j;
		assert_int_equal(sms_render_template("{\"to\":\"{to}\",\"msg\":{\"body\":\"{text}\",\"n\":1},\"x\":\"{other}\"}",
						     SMS_BODY_JSON, "+393330000001", "C", text, &b),
				 0);
		j = json_loads(buf_cstr(&b), 0, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(json_object_get(j, "to")), "+393330000001");
		assert_string_equal(json_string_value(json_object_get(json_object_get(j, "msg"), "body")), text);
		assert_string_equal(json_string_value(json_object_get(j, "x")), "{other}");
		json_decref(j);
	}
	buf_free(&b);
}

static struct sms_settings base_settings(void)
{
	struct sms_settings ss;

	memset(&ss, 0, sizeof(ss));
	ss.url = "https://sms.example.org/send";
	ss.body = "";
	ss.sender = "Comune";
	ss.success_statuses = "";
	ss.status_field = "";
	ss.status_ok = "";
	ss.id_field = "";
	return ss;
}

static void test_settings_check(void **state)
{
	struct sms_settings ss = base_settings();
	const char *why;

	(void)state;
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.body_type = SMS_BODY_JSON;
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.body = "{\"to\":{to},\"text\":\"{text}\"}"; /* a placeholder outside quotes */
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	assert_non_null(why);
	ss.body = "{\"to\":\"{to}\"}";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss = base_settings();
	ss.method = SMS_METHOD_GET;
	ss.body_type = SMS_BODY_JSON;
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss.body_type = SMS_BODY_FORM;
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.success_statuses = "200, 202,2xx,200-204";
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.success_statuses = "ok";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss.success_statuses = "300-200";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss = base_settings();
	ss.status_field = "/status";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL); /* no status_ok */
	ss.status_ok = "OK";
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.auth = SMS_AUTH_BASIC;
	ss.username = "";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss.username = "comune";
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.auth = SMS_AUTH_HEADER;
	ss.auth_header = "X-Api Key";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
	ss.auth_header = "X-Api-Key";
	assert_int_equal(sms_settings_check(&ss, &why), 0);
	ss.url = "ftp://sms.example.org";
	assert_int_equal(sms_settings_check(&ss, &why), BANDITORE_EINVAL);
}

static void test_json_field(void **state)
{
	const char *doc = "{\"a/b\":{\"c\":[1,2,\"x\"]},\"m~n\":true,\"n\":7,\"s\":\"OK\",\"z\":null}";
	char v[64];

	(void)state;
	assert_int_equal(sms_json_field(doc, strlen(doc), "/a~1b/c/2", v, sizeof(v)), 0);
	assert_string_equal(v, "x");
	assert_int_equal(sms_json_field(doc, strlen(doc), "/a~1b/c/0", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(sms_json_field(doc, strlen(doc), "/m~0n", v, sizeof(v)), 0);
	assert_string_equal(v, "true");
	assert_int_equal(sms_json_field(doc, strlen(doc), "n", v, sizeof(v)), 0);
	assert_string_equal(v, "7");
	assert_int_equal(sms_json_field(doc, strlen(doc), "s", v, sizeof(v)), 0);
	assert_string_equal(v, "OK");
	assert_int_equal(sms_json_field(doc, strlen(doc), "z", v, sizeof(v)), BANDITORE_ENOTFOUND);
	assert_int_equal(sms_json_field(doc, strlen(doc), "/a~1b/c/3", v, sizeof(v)), BANDITORE_ENOTFOUND);
	assert_int_equal(sms_json_field(doc, strlen(doc), "/a~1b/c/01", v, sizeof(v)), BANDITORE_ENOTFOUND);
	assert_int_equal(sms_json_field(doc, strlen(doc), "/nope", v, sizeof(v)), BANDITORE_ENOTFOUND);
	assert_int_equal(sms_json_field("not json", 8, "s", v, sizeof(v)), BANDITORE_ENOTFOUND);
}

static void test_parse_answer(void **state)
{
	struct sms_settings ss = base_settings();
	struct connector_result res;

	(void)state;
	assert_int_equal(sms_parse_answer(&ss, 200, "", &res), 0);
	assert_int_equal(res.outcome, CONNECTOR_OK);
	assert_int_equal(sms_parse_answer(&ss, 202, NULL, &res), 0);
	assert_int_equal(sms_parse_answer(&ss, 500, "", &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(res.http_status, 500);
	assert_int_equal(sms_parse_answer(&ss, 429, "", &res), BANDITORE_ETEMP);
	assert_int_equal(sms_parse_answer(&ss, 400, "{\"error\":\"+393330000001 bad\"}", &res), BANDITORE_EPERM);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_int_equal(res.error_code, 400);
	assert_null(strstr(res.error, "3330000001")); /* never the gateway's words */
	assert_int_equal(sms_parse_answer(&ss, 401, "", &res), BANDITORE_EPERM);

	ss.success_statuses = "200,202";
	assert_int_equal(sms_parse_answer(&ss, 201, "", &res), BANDITORE_EPERM);
	ss.success_statuses = "2xx";
	assert_int_equal(sms_parse_answer(&ss, 201, "", &res), 0);

	ss.status_field = "/result/status";
	ss.status_ok = "OK, queued";
	ss.id_field = "/result/id";
	assert_int_equal(sms_parse_answer(&ss, 200, "{\"result\":{\"status\":\"queued\",\"id\":\"abc-1\"}}", &res), 0);
	assert_string_equal(res.message_id, "abc-1");
	assert_int_equal(sms_parse_answer(&ss, 200, "{\"result\":{\"status\":\"ERR\",\"id\":\"abc-1\"}}", &res),
			 BANDITORE_EPERM);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_string_equal(res.message_id, "");
	assert_int_equal(sms_parse_answer(&ss, 200, "{\"result\":{}}", &res), BANDITORE_EPERM);
	assert_int_equal(sms_parse_answer(&ss, 200, "<html>", &res), BANDITORE_EPERM);
	/* Numbers: the gateway's own code is kept. */
	ss.status_field = "code";
	ss.status_ok = "0";
	ss.id_field = "sms_id";
	assert_int_equal(sms_parse_answer(&ss, 200, "{\"code\":0,\"sms_id\":991}", &res), 0);
	assert_string_equal(res.message_id, "991");
	assert_int_equal(sms_parse_answer(&ss, 200, "{\"code\":17}", &res), BANDITORE_EPERM);
	assert_int_equal(res.error_code, 17);
	/* A server error stays a retry even with a status field configured. */
	assert_int_equal(sms_parse_answer(&ss, 503, "{\"code\":0}", &res), BANDITORE_ETEMP);
}

static void test_caps_and_send(void **state)
{
	struct sms_settings ss = base_settings();
	struct connector_result res;
	struct sms *s = NULL;

	(void)state;
	assert_string_equal(sms_caps()->platform, "sms");
	assert_int_equal(sms_caps()->holds_addresses, 1);
	assert_true(sms_caps()->text_max >= 670);
	ss.url = "http://127.0.0.1:9/send"; /* nothing listens: a retry */
	ss.timeout_ms = 2000;
	assert_int_equal(sms_new(&ss, &s), 0);
	assert_int_equal(sms_send(s, "+39 333 000 0001", "Prova", &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(sms_send(s, "not a number", "Prova", &res), BANDITORE_EINVAL);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_int_equal(sms_send(s, "+393330000001", "", &res), BANDITORE_EINVAL);
	sms_free(s);
	sms_free(NULL);
	ss.url = "nope";
	assert_int_equal(sms_new(&ss, &s), BANDITORE_EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gsm7_table),
		cmocka_unit_test(test_count_gsm7),
		cmocka_unit_test(test_count_ucs2),
		cmocka_unit_test(test_fit_unchanged),
		cmocka_unit_test(test_fit_shorten_gsm),
		cmocka_unit_test(test_fit_split),
		cmocka_unit_test(test_fit_ucs2),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_settings_check),
		cmocka_unit_test(test_json_field),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_caps_and_send),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
