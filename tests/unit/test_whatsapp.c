/*
 * test_whatsapp.c - unit tests of src/connectors: the WhatsApp request bodies, the
 * classification of Meta's answers, Retry-After, and the send path against a tiny HTTP
 * server on loopback (headers sent, keep-alive, time-outs, oversized answers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "fake_http.h"
#include "connectors/connector.h"
#include "connectors/whatsapp.h"
#include "connectors/whatsapp_answer.h"

/* Fictitious numbers only (+39 333 000 000x). */
#define TO_PRETTY "+39 333 000 0001"
#define TO_DIGITS "393330000001"

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		fail_msg("not JSON (%s): %s", e.text, s);
	return j;
}

static const char *str_at(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (!v)
		fail_msg("missing string \"%s\"", key);
	return v;
}

/* ---- bodies ---- */

static void check_text_body(const char *body, const char *text, int preview)
{
	json_t *j = parse(body), *t;

	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(str_at(j, "messaging_product"), "whatsapp");
	assert_string_equal(str_at(j, "recipient_type"), "individual");
	assert_string_equal(str_at(j, "to"), TO_DIGITS);
	assert_string_equal(str_at(j, "type"), "text");
	assert_null(json_object_get(j, "biz_opaque_callback_data")); /* refused on text */
	t = json_object_get(j, "text");
	assert_true(json_is_object(t));
	assert_int_equal(json_object_size(t), 2);
	assert_string_equal(str_at(t, "body"), text);
	assert_true(json_is_boolean(json_object_get(t, "preview_url")));
	assert_int_equal(json_is_true(json_object_get(t, "preview_url")), preview);
	json_decref(j);
}

static void test_build_text(void **state)
{
	const char *text = "Iscrizione \"attiva\" \xe2\x9c\x85\n"         /* quotes, U+2705 */
			   "Citt\xc3\xa0 di Concorezzo\t\\ \xf0\x9f\x99\x82\r\n" /* à, emoji */
			   "</script> \x01";
	char *body = NULL;
	(void)state;

	assert_int_equal(whatsapp_build_text(TO_PRETTY, text, 1, &body), 0);
	check_text_body(body, text, 1);
	/* Compact, escaped, UTF-8 kept as is. */
	assert_null(strstr(body, ", "));
	assert_null(strchr(body, '\n'));
	assert_non_null(strstr(body, "\\\"attiva\\\""));
	assert_non_null(strstr(body, "\\n"));
	assert_non_null(strstr(body, "\\t\\\\"));
	assert_non_null(strstr(body, "\\u0001"));
	assert_non_null(strstr(body, "\xf0\x9f\x99\x82"));
	assert_non_null(strstr(body, "\"preview_url\":true"));
	free(body);

	assert_int_equal(whatsapp_build_text("+" TO_DIGITS, "ok", 0, &body), 0);
	check_text_body(body, "ok", 0);
	free(body);
	assert_int_equal(whatsapp_build_text(TO_DIGITS, "ok", 0, &body), 0);
	check_text_body(body, "ok", 0);
	free(body);
}

static void test_build_text_limits(void **state)
{
	char *body = (char *)1;
	char *big = malloc(WHATSAPP_TEXT_MAX * 2 + 2);
	(void)state;

	/* Recipients: nothing that is not an E.164 number. */
	assert_int_equal(whatsapp_build_text(NULL, "x", 0, &body), BANDITORE_EINVAL);
	assert_null(body);
	assert_int_equal(whatsapp_build_text("", "x", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text("abc", "x", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text("+39333", "x", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text("+3933300000012345", "x", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text("+39333000001\",\"x", "x", 0, &body),
			 BANDITORE_EINVAL);
	/* Text: present, valid UTF-8, at most 4096 characters (not bytes). */
	assert_int_equal(whatsapp_build_text(TO_DIGITS, NULL, 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text(TO_DIGITS, "", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text(TO_DIGITS, "a\xc3\x28", 0, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_text(TO_DIGITS, "\xed\xa0\x80", 0, &body),
			 BANDITORE_EINVAL); /* a UTF-16 surrogate */
	assert_int_equal(whatsapp_build_text(TO_DIGITS, "\xc0\xaf", 0, &body),
			 BANDITORE_EINVAL); /* overlong '/' */
	assert_null(body);

	for (int i = 0; i < WHATSAPP_TEXT_MAX; i++)
		memcpy(big + 2 * i, "\xc3\xa8", 2); /* 'è': two bytes, one character */
	big[2 * WHATSAPP_TEXT_MAX] = '\0';
	assert_int_equal(whatsapp_build_text(TO_DIGITS, big, 0, &body), 0);
	check_text_body(body, big, 0);
	free(body);
	memcpy(big + 2 * WHATSAPP_TEXT_MAX, "x", 2);
	assert_int_equal(whatsapp_build_text(TO_DIGITS, big, 0, &body), BANDITORE_EINVAL);
	assert_null(body);
	free(big);
}

static void test_build_template(void **state)
{
	const char *params[] = { "Concorezzo", "luned\xc3\xac 3 marzo \"ore 9\"" };
	char *body = NULL;
	json_t *j, *tpl, *lang, *comps, *c, *ps;
	(void)state;

	assert_int_equal(whatsapp_build_template(TO_PRETTY, "avviso_comune", "it", params, 2,
						 "b=42;v=1", &body), 0);
	j = parse(body);
	assert_string_equal(str_at(j, "messaging_product"), "whatsapp");
	assert_string_equal(str_at(j, "recipient_type"), "individual");
	assert_string_equal(str_at(j, "to"), TO_DIGITS);
	assert_string_equal(str_at(j, "type"), "template");
	assert_string_equal(str_at(j, "biz_opaque_callback_data"), "b=42;v=1");
	tpl = json_object_get(j, "template");
	assert_string_equal(str_at(tpl, "name"), "avviso_comune");
	lang = json_object_get(tpl, "language");
	assert_int_equal(json_object_size(lang), 2);
	assert_string_equal(str_at(lang, "policy"), "deterministic");
	assert_string_equal(str_at(lang, "code"), "it");
	comps = json_object_get(tpl, "components");
	assert_int_equal(json_array_size(comps), 1);
	c = json_array_get(comps, 0);
	assert_string_equal(str_at(c, "type"), "body");
	ps = json_object_get(c, "parameters");
	assert_int_equal(json_array_size(ps), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *p = json_array_get(ps, i);
		assert_int_equal(json_object_size(p), 2);
		assert_string_equal(str_at(p, "type"), "text");
		assert_string_equal(str_at(p, "text"), params[i]);
	}
	json_decref(j);
	free(body);

	/* No parameters: no components; no opaque data: no key. */
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "hello_world", "en_US", NULL, 0, NULL,
						 &body), 0);
	j = parse(body);
	tpl = json_object_get(j, "template");
	assert_null(json_object_get(tpl, "components"));
	assert_null(json_object_get(j, "biz_opaque_callback_data"));
	assert_string_equal(str_at(json_object_get(tpl, "language"), "code"), "en_US");
	json_decref(j);
	free(body);
}

static void test_build_template_invalid(void **state)
{
	const char *ok[] = { "a", "b" };
	const char *nl[] = { "a\nb" };
	const char *tab[] = { "a\tb" };
	const char *spaces[] = { "a     b" }; /* five */
	const char *four[] = { "a    b" };    /* four: allowed */
	const char *empty[] = { "" };
	const char *null_param[] = { NULL };
	char opaque[WHATSAPP_OPAQUE_MAX + 2];
	char *body = (char *)1;
	(void)state;

	assert_int_equal(whatsapp_build_template("x", "t", "it", ok, 2, NULL, &body), BANDITORE_EINVAL);
	assert_null(body);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "Avviso Urgente", "it", ok, 2, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "", "it", ok, 2, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, NULL, "it", ok, 2, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "i", ok, 2, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it\"", ok, 2, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", NULL, ok, 2, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", NULL, 2, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", ok, -1, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", ok, WHATSAPP_PARAMS_MAX + 1,
						 NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", nl, 1, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", tab, 1, NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", spaces, 1, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", empty, 1, NULL, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", null_param, 1, NULL, &body),
			 BANDITORE_EINVAL);
	assert_null(body);

	memset(opaque, 'o', WHATSAPP_OPAQUE_MAX);
	opaque[WHATSAPP_OPAQUE_MAX] = '\0';
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", four, 1, opaque, &body), 0);
	free(body);
	opaque[WHATSAPP_OPAQUE_MAX] = 'o';
	opaque[WHATSAPP_OPAQUE_MAX + 1] = '\0';
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", four, 1, opaque, &body),
			 BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_template(TO_DIGITS, "t", "it", four, 1, "", &body),
			 BANDITORE_EINVAL);
	assert_null(body);
}

/* ---- answers ---- */

static void answer_is(long status, const char *body, int outcome, int code)
{
	struct connector_result res;
	int rc;

	memset(&res, 0x5a, sizeof(res)); /* whatever was there must be overwritten */
	rc = whatsapp_parse_response(status, body, &res);
	if (res.outcome != outcome || res.error_code != code)
		fail_msg("HTTP %ld %s: outcome %s code %d, want %s code %d", status,
			 body ? body : "(null)", connector_outcome_name(res.outcome), res.error_code,
			 connector_outcome_name(outcome), code);
	assert_int_equal(res.http_status, status);
	assert_int_equal(res.retry_after, 0);
	assert_int_equal(rc, outcome == CONNECTOR_OK ? 0 :
			     outcome == CONNECTOR_RETRY ? BANDITORE_ETEMP : BANDITORE_EPERM);
	assert_true(strlen(res.error) < sizeof(res.error));
	if (outcome == CONNECTOR_OK) {
		assert_string_equal(res.error, "");
	} else {
		assert_string_equal(res.message_id, "");
		assert_true(strlen(res.error) > 0);
	}
}

static void graph_error_is(int code, long status, int outcome)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"error\":{\"message\":\"(#%d) title\",\"type\":\"OAuthException\",\"code\":%d,"
		 "\"error_data\":{\"messaging_product\":\"whatsapp\",\"details\":\"d\"},"
		 "\"fbtrace_id\":\"Az8or2yhqkZfEZ\"}}", code, code);
	answer_is(status, body, outcome, code);
}

static void test_parse_ok(void **state)
{
	struct connector_result res;
	(void)state;

	assert_int_equal(whatsapp_parse_response(200,
		"{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"+393330000001\","
		"\"wa_id\":\"393330000001\"}],\"messages\":[{\"id\":\"wamid.HBgLMzkzMzMwMDAwMDAxFQIAERgS\","
		"\"message_status\":\"accepted\"}]}", &res), 0);
	assert_int_equal(res.outcome, CONNECTOR_OK);
	assert_int_equal(res.http_status, 200);
	assert_int_equal(res.error_code, 0);
	assert_string_equal(res.message_id, "wamid.HBgLMzkzMzMwMDAwMDAxFQIAERgS");
	answer_is(201, "{\"messages\":[{\"id\":\"wamid.x\"}]}", CONNECTOR_OK, 0);
}

static void test_parse_codes(void **state)
{
	static const int retry[] = { 130429, 131056, 131049, 80007, 4, 1, 2, 131000, 131016,
				     131048, 131057 };
	static const int fail[] = { 131026, 131047, 131051, 100, 131008, 131009, 132000, 132001,
				    190, 0, 10, 200, 299, 368, 470, 131050, 132015, 132016 };
	(void)state;

	/* The code decides, whatever the HTTP status that carries it. */
	for (size_t i = 0; i < sizeof(retry) / sizeof(retry[0]); i++) {
		graph_error_is(retry[i], 400, CONNECTOR_RETRY);
		graph_error_is(retry[i], 429, CONNECTOR_RETRY);
	}
	for (size_t i = 0; i < sizeof(fail) / sizeof(fail[0]); i++) {
		graph_error_is(fail[i], 400, CONNECTOR_FAIL);
		graph_error_is(fail[i], 500, CONNECTOR_FAIL);
	}
	/* Codes we do not know: the HTTP status decides. */
	graph_error_is(999999, 400, CONNECTOR_FAIL);
	graph_error_is(999999, 401, CONNECTOR_FAIL);
	graph_error_is(999999, 403, CONNECTOR_FAIL);
	graph_error_is(999999, 429, CONNECTOR_RETRY);
	graph_error_is(999999, 500, CONNECTOR_RETRY);
	graph_error_is(999999, 503, CONNECTOR_RETRY);
	graph_error_is(300, 400, CONNECTOR_FAIL); /* just past the 200-299 permission range */
}

static void test_parse_reason(void **state)
{
	struct connector_result res;
	(void)state;

	/* Our own words, with the code: never Meta's text, which may quote the request. */
	whatsapp_parse_response(400,
		"{\"error\":{\"message\":\"(#131026) Message undeliverable to +393330000001\","
		"\"code\":131026,\"error_data\":{\"details\":\"393330000001\"}}}", &res);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_non_null(strstr(res.error, "131026"));
	assert_null(strstr(res.error, "3330000001"));
	whatsapp_parse_response(400, "{\"error\":{\"message\":\"x\",\"code\":131047}}", &res);
	assert_non_null(strstr(res.error, "24-hour"));
}

static void test_parse_malformed(void **state)
{
	(void)state;
	/* 2xx without a readable message id: not a success, and not given up either. */
	answer_is(200, NULL, CONNECTOR_RETRY, 0);
	answer_is(200, "", CONNECTOR_RETRY, 0);
	answer_is(200, "{", CONNECTOR_RETRY, 0);
	answer_is(200, "null", CONNECTOR_RETRY, 0);
	answer_is(200, "[]", CONNECTOR_RETRY, 0);
	answer_is(200, "{\"messages\":[]}", CONNECTOR_RETRY, 0);
	answer_is(200, "{\"messages\":{\"id\":\"x\"}}", CONNECTOR_RETRY, 0);
	answer_is(200, "{\"messages\":[{\"id\":\"\"}]}", CONNECTOR_RETRY, 0);
	answer_is(200, "{\"messages\":[{\"id\":42}]}", CONNECTOR_RETRY, 0);
	answer_is(200, "{\"messages\":[{\"id\":\"a\"}],\"messages\":[]}", CONNECTOR_RETRY, 0);
	{
		char body[400];
		char id[200];
		memset(id, 'w', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		snprintf(body, sizeof(body), "{\"messages\":[{\"id\":\"%s\"}]}", id);
		answer_is(200, body, CONNECTOR_RETRY, 0); /* id longer than message_id holds */
	}
	/* Errors without a usable code: the HTTP status decides. */
	answer_is(400, NULL, CONNECTOR_FAIL, 0);
	answer_is(400, "<html>Bad Request</html>", CONNECTOR_FAIL, 0);
	answer_is(401, "", CONNECTOR_FAIL, 0);
	answer_is(403, "{}", CONNECTOR_FAIL, 0);
	answer_is(404, "{\"error\":\"nope\"}", CONNECTOR_FAIL, 0);
	answer_is(400, "{\"error\":{\"code\":\"131056\"}}", CONNECTOR_FAIL, 0);
	answer_is(400, "{\"error\":{\"code\":-5}}", CONNECTOR_FAIL, 0);
	answer_is(400, "{\"error\":{\"code\":1.5}}", CONNECTOR_FAIL, 0);
	answer_is(400, "{\"error\":{\"code\":99999999999}}", CONNECTOR_FAIL, 0);
	answer_is(408, NULL, CONNECTOR_RETRY, 0);
	answer_is(429, NULL, CONNECTOR_RETRY, 0);
	answer_is(429, "Too Many Requests", CONNECTOR_RETRY, 0);
	answer_is(500, NULL, CONNECTOR_RETRY, 0);
	answer_is(502, "<html>Bad Gateway</html>", CONNECTOR_RETRY, 0);
	answer_is(503, "{\"error\":{}}", CONNECTOR_RETRY, 0);
	answer_is(302, NULL, CONNECTOR_FAIL, 0);
}

static void test_retry_after(void **state)
{
	time_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	char date[64];
	time_t later = now + 90;
	struct tm tm;
	(void)state;

	assert_int_equal(connector_retry_after_parse("120", now), 120);
	assert_int_equal(connector_retry_after_parse(" 5\r\n", now), 5);
	assert_int_equal(connector_retry_after_parse("0", now), 0);
	assert_int_equal(connector_retry_after_parse("100000", now), CONNECTOR_RETRY_AFTER_MAX);
	assert_int_equal(connector_retry_after_parse("99999999999999999999999", now),
			 CONNECTOR_RETRY_AFTER_MAX);
	assert_int_equal(connector_retry_after_parse("-5", now), 0);
	assert_int_equal(connector_retry_after_parse("5s", now), 0);
	assert_int_equal(connector_retry_after_parse("soon", now), 0);
	assert_int_equal(connector_retry_after_parse("", now), 0);
	assert_int_equal(connector_retry_after_parse(NULL, now), 0);

	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	assert_int_equal(connector_retry_after_parse(date, now), 90);
	assert_int_equal(connector_retry_after_parse("Thu, 01 Jan 2026 00:00:30 GMT", now), 30);
	assert_int_equal(connector_retry_after_parse("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
	assert_int_equal(connector_retry_after_parse("Fri, 01 Jan 2100 00:00:00 GMT", now),
			 CONNECTOR_RETRY_AFTER_MAX);
}

/* ---- the send path, against a small HTTP server on loopback ---- */

static struct whatsapp *connect_to(int port, int timeout_ms)
{
	char base[64];
	struct whatsapp *w = NULL;
	struct whatsapp_settings ws = {
		.api_base = base, .api_version = "v23.0", .phone_number_id = "106540352242922",
		.access_token = "EAAtest.token-123", .timeout_ms = timeout_ms,
	};

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port);
	assert_int_equal(whatsapp_new(&ws, &w), 0);
	assert_non_null(w);
	return w;
}

static void test_send_ok_and_keepalive(void **state)
{
	struct fake_http *f = *state;
	struct whatsapp *w = connect_to(f->port, 5000);
	struct connector_result res;
	const char *params[] = { "uno", "due" };
	char *body;
	json_t *j;

	fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "",
		    "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.ok1\"}]}");
	assert_int_equal(whatsapp_send_text(w, TO_PRETTY, "Ciao \xf0\x9f\x99\x82\nriga 2", 1, &res), 0);
	assert_int_equal(res.outcome, CONNECTOR_OK);
	assert_int_equal(res.http_status, 200);
	assert_string_equal(res.message_id, "wamid.ok1");

	pthread_mutex_lock(&f->lock);
	assert_non_null(strstr(f->request, "POST /v23.0/106540352242922/messages HTTP/1.1\r\n"));
	assert_non_null(strstr(f->request, "\r\nAuthorization: Bearer EAAtest.token-123\r\n"));
	assert_non_null(strstr(f->request, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(f->request, "\r\nUser-Agent: banditore/"));
	assert_null(strcasestr(f->request, "Expect:"));
	body = strstr(f->request, "\r\n\r\n") + 4;
	j = parse(body);
	assert_string_equal(str_at(j, "to"), TO_DIGITS);
	assert_string_equal(str_at(json_object_get(j, "text"), "body"), "Ciao \xf0\x9f\x99\x82\nriga 2");
	json_decref(j);
	pthread_mutex_unlock(&f->lock);

	fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "",
		    "{\"messaging_product\":\"whatsapp\",\"messages\":[{\"id\":\"wamid.ok2\"}]}");
	assert_int_equal(whatsapp_send_template(w, TO_DIGITS, "avviso", "it", params, 2, "b=1",
						&res), 0);
	assert_string_equal(res.message_id, "wamid.ok2");
	pthread_mutex_lock(&f->lock);
	assert_int_equal(f->requests, 2);
	assert_int_equal(f->accepts, 1); /* the connection was kept alive */
	assert_non_null(strstr(f->request, "\"biz_opaque_callback_data\":\"b=1\""));
	pthread_mutex_unlock(&f->lock);

	/* A long text (about 12 KB of body) goes in one round trip: no 100-continue. */
	{
		char *big = malloc(3 * WHATSAPP_TEXT_MAX + 1);
		for (int i = 0; i < WHATSAPP_TEXT_MAX; i++)
			memcpy(big + 3 * i, "\xe2\x82\xac", 3); /* the euro sign */
		big[3 * WHATSAPP_TEXT_MAX] = '\0';
		assert_int_equal(whatsapp_send_text(w, TO_DIGITS, big, 0, &res), 0);
		free(big);
	}
	pthread_mutex_lock(&f->lock);
	assert_int_equal(f->requests, 3);
	assert_null(strcasestr(f->request, "Expect:"));
	pthread_mutex_unlock(&f->lock);
	whatsapp_free(w);
}

static void test_send_errors(void **state)
{
	struct fake_http *f = *state;
	struct whatsapp *w = connect_to(f->port, 5000);
	struct connector_result res;

	/* Throughput limit with Retry-After: retry, no sooner than asked. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "429 Too Many Requests", "Retry-After: 7\r\n",
		    "{\"error\":{\"message\":\"(#130429) Rate limit hit\",\"code\":130429}}");
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(res.http_status, 429);
	assert_int_equal(res.error_code, 130429);
	assert_int_equal(res.retry_after, 7);
	assert_null(strstr(res.error, "3330000001"));

	/* The header of one answer does not leak into the next. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "503 Service Unavailable", "", "{}");
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_ETEMP);
	assert_int_equal(res.http_status, 503);
	assert_int_equal(res.retry_after, 0);

	/* A permanent refusal ignores Retry-After. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "400 Bad Request", "retry-after: 30\r\n",
		    "{\"error\":{\"message\":\"(#131026) Message Undeliverable.\",\"code\":131026}}");
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_EPERM);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_int_equal(res.error_code, 131026);
	assert_int_equal(res.retry_after, 0);

	/* An answer over the limit is not read to the end. */
	{
		size_t n = WHATSAPP_RESPONSE_MAX + 100;
		char *big = malloc(n + 1);
		memset(big, ' ', n);
		big[n] = '\0';
		fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "", big);
		free(big);
	}
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_non_null(strstr(res.error, "longer"));

	/* An invalid message never leaves: permanent, and the number is not in the reason. */
	assert_int_equal(whatsapp_send_text(w, "+39 333 000 000x", "x", 0, &res), BANDITORE_EINVAL);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	assert_int_equal(res.http_status, 0);
	assert_null(strstr(res.error, "333"));
	assert_int_equal(whatsapp_send_template(w, TO_DIGITS, "bad name", "it", NULL, 0, NULL, &res),
			 BANDITORE_EINVAL);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	whatsapp_free(w);
}

static void test_send_timeout(void **state)
{
	struct fake_http *f = *state;
	struct whatsapp *w = connect_to(f->port, 300);
	struct connector_result res;

	fake_http_answer(f, FAKE_HTTP_SILENT, "200 OK", "", "{}");
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(res.http_status, 0);
	assert_string_equal(res.error, "timed out");
	whatsapp_free(w);
}

static void test_send_refused(void **state)
{
	struct whatsapp *w;
	struct connector_result res;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	(void)state;

	/* A port that was just free: nobody listens there. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	w = connect_to(ntohs(a.sin_port), 2000);
	assert_int_equal(whatsapp_send_text(w, TO_DIGITS, "x", 0, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(res.http_status, 0);
	assert_non_null(strstr(res.error, "connect"));
	whatsapp_free(w);
}

static void test_new_invalid(void **state)
{
	struct whatsapp *w = (struct whatsapp *)1;
	struct whatsapp_settings ok = {
		.api_base = "https://graph.facebook.com", .api_version = "v23.0",
		.phone_number_id = "106540352242922", .access_token = "EAAtoken",
	};
	struct whatsapp_settings s;
	(void)state;

	assert_int_equal(whatsapp_new(&ok, &w), 0);
	whatsapp_free(w);
	whatsapp_free(NULL);

	s = ok; s.api_base = "ftp://graph.facebook.com";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	assert_null(w);
	s = ok; s.api_base = NULL;
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.api_version = "23.0";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.api_version = "v23";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.phone_number_id = "123/../../me";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.phone_number_id = "";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.access_token = "EAA\r\nX-Evil: 1";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	s = ok; s.access_token = "";
	assert_int_equal(whatsapp_new(&s, &w), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_new(NULL, &w), BANDITORE_EINVAL);
	assert_null(w);
}

/* The scanner reads the id of the answers Meta sends, and says "not sure" for anything
 * else, which then goes to jansson with the same outcome as before. */
static void test_answer_scanner(void **state)
{
	static const char *const unsure[] = {
		"",
		"[]",
		"{}",
		"{\"messages\":[]}",
		"{\"messages\":[{}]}",
		"{\"messages\":[{\"id\":\"\"}]}",
		"{\"messages\":[{\"id\":7}]}",
		"{\"messages\":{\"id\":\"a\"}}",
		"{\"messages\":[{\"id\":\"a\"}],\"messages\":[{\"id\":\"b\"}]}",  /* twice */
		"{\"messages\":[{\"id\":\"a\",\"id\":\"b\"}]}",
		"{\"messages\":[{\"id\":\"w\\u0041\"}]}",       /* an escape in the id */
		"{\"messag\\u0065s\":[{\"id\":\"a\"}]}",        /* or in a key */
		"{\"messages\":[{\"id\":\"a\"}]} x",           /* something after */
		"{\"messages\":[{\"id\":\"a\"}]",              /* cut */
		"{\"n\":12345678901234567890,\"messages\":[{\"id\":\"a\"}]}", /* too big for jansson */
		"{\"n\":1e400,\"messages\":[{\"id\":\"a\"}]}",
		"{\"n\":01,\"messages\":[{\"id\":\"a\"}]}",
		"{\"c\":\"citt\xc3\xa0\",\"messages\":[{\"id\":\"a\"}]}", /* not ASCII */
		"{\"a\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]],\"messages\":[{\"id\":\"a\"}]}", /* deep */
		"{\"messages\":[{\"id\":\"a b\"}]}",          /* not an id's characters */
	};
	char id[CONNECTOR_MESSAGE_ID_MAX];
	struct connector_result res;
	const char *ok = "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"+393330000000\","
			 "\"wa_id\":\"393330000000\"}],\"messages\":[{\"id\":\"wamid.HBgLMzkz=\","
			 "\"message_status\":\"accepted\"}]}";
	(void)state;

	assert_int_equal(whatsapp_answer_id(ok, strlen(ok), id, sizeof(id)), 1);
	assert_string_equal(id, "wamid.HBgLMzkz=");
	assert_int_equal(whatsapp_answer_id(ok, strlen(ok), id, 5), 0); /* does not fit */
	assert_string_equal(id, "");
	ok = " {\n \"a\" : [ 1 , -2.5 , true , false , null , { \"b\" : [ ] } ] ,"
	     " \"messages\" : [ { \"id\" : \"wamid.Y\" } , 3 ] } ";
	assert_int_equal(whatsapp_answer_id(ok, strlen(ok), id, sizeof(id)), 1);
	assert_string_equal(id, "wamid.Y");
	for (size_t i = 0; i < sizeof(unsure) / sizeof(unsure[0]); i++) {
		json_t *root = json_loads(unsure[i], JSON_REJECT_DUPLICATES, NULL);
		const char *want = json_string_value(
			json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id"));
		assert_int_equal(whatsapp_answer_id(unsure[i], strlen(unsure[i]), id, sizeof(id)), 0);
		assert_string_equal(id, "");
		/* and the classification is jansson's, as before the scanner */
		whatsapp_parse_response(200, unsure[i], &res);
		if (want && *want && strlen(want) < sizeof(res.message_id)) {
			assert_int_equal(res.outcome, CONNECTOR_OK);
			assert_string_equal(res.message_id, want);
		} else {
			assert_int_equal(res.outcome, CONNECTOR_RETRY);
		}
		json_decref(root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_text),
		cmocka_unit_test(test_build_text_limits),
		cmocka_unit_test(test_build_template),
		cmocka_unit_test(test_build_template_invalid),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_codes),
		cmocka_unit_test(test_parse_reason),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test_setup_teardown(test_send_ok_and_keepalive, fake_http_setup, fake_http_teardown),
		cmocka_unit_test_setup_teardown(test_send_errors, fake_http_setup, fake_http_teardown),
		cmocka_unit_test_setup_teardown(test_send_timeout, fake_http_setup, fake_http_teardown),
		cmocka_unit_test(test_send_refused),
		cmocka_unit_test(test_new_invalid),
		cmocka_unit_test(test_answer_scanner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
