/*
 * test_telegram.c - unit tests of the Telegram connector: the update parser (every kind
 * it understands, groups ignored, malformed input refused), HTML rendering and escaping,
 * request bodies, the classification of the Bot API's answers (429 retry_after, blocked
 * users), and the send path against a tiny HTTP server on loopback.
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
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "fake_http.h"
#include "connectors/telegram.h"
#include "connectors/telegram_update.h"

/* Fictitious chat ids and token. */
#define CHAT 7000001234567LL
#define CHAT_S "7000001234567"
#define TOKEN "123456:TEST-token_abc"

static struct tg_update up; /* large: not on the stack */

static int parse_str(const char *s)
{
	return tg_update_parse(s, strlen(s), &up);
}

/* ---- the update parser ---- */

#define PRIVATE "\"chat\":{\"id\":" CHAT_S ",\"type\":\"private\",\"first_name\":\"Prova\"}"
#define FROM "\"from\":{\"id\":" CHAT_S ",\"is_bot\":false,\"first_name\":\"Prova\"}"

static void test_parse_start(void **state)
{
	(void)state;
	assert_int_equal(parse_str("{\"update_id\":10,\"message\":{\"message_id\":1," FROM ","
				   PRIVATE ",\"date\":1700000000,\"text\":\"/start\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_START);
	assert_int_equal(up.update_id, 10);
	assert_true(up.chat_id == CHAT);
	assert_string_equal(up.payload, "");

	assert_int_equal(parse_str("{\"update_id\":11,\"message\":{" PRIVATE
				   ",\"text\":\"/start c_lavori-pubblici_scuola\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_START);
	assert_string_equal(up.payload, "c_lavori-pubblici_scuola");

	/* As a client writes it from the menu of a group-aware bot. */
	assert_int_equal(parse_str("{\"update_id\":12,\"message\":{" PRIVATE
				   ",\"text\":\"/start@ComuneProvaBot\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_START);

	/* A payload outside the deep-link alphabet or too long: a plain start. */
	assert_int_equal(parse_str("{\"update_id\":13,\"message\":{" PRIVATE
				   ",\"text\":\"/start <script>\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_START);
	assert_string_equal(up.payload, "");
	assert_int_equal(parse_str("{\"update_id\":13,\"message\":{" PRIVATE ",\"text\":\"/start "
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}"), 0);
	assert_string_equal(up.payload, "");

	/* "/started" is not the command. */
	assert_int_equal(parse_str("{\"update_id\":14,\"message\":{" PRIVATE ",\"text\":\"/started\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_TEXT);
	assert_string_equal(up.text, "/started");
}

static void test_parse_stop_and_text(void **state)
{
	(void)state;
	assert_int_equal(parse_str("{\"update_id\":20,\"message\":{" PRIVATE ",\"text\":\"/stop\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_STOP);
	assert_true(up.chat_id == CHAT);
	assert_int_equal(parse_str("{\"update_id\":21,\"message\":{" PRIVATE
				   ",\"text\":\"/stop@ComuneProvaBot now\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_STOP);

	assert_int_equal(parse_str("{\"update_id\":22,\"message\":{" PRIVATE
				   ",\"text\":\"Buongiorno, orari dell'anagrafe?\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_TEXT);
	assert_string_equal(up.text, "Buongiorno, orari dell'anagrafe?");

	/* A photo without caption: nothing we read. */
	assert_int_equal(parse_str("{\"update_id\":23,\"message\":{" PRIVATE
				   ",\"photo\":[{\"file_id\":\"x\"}]}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
	assert_true(up.chat_id == 0);
	assert_int_equal(up.update_id, 23);
}

static void test_parse_groups_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse_str("{\"update_id\":30,\"message\":{\"chat\":{\"id\":-1001234567890,"
				   "\"type\":\"supergroup\"},\"text\":\"/start\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
	assert_true(up.chat_id == 0);
	assert_int_equal(parse_str("{\"update_id\":31,\"channel_post\":{\"chat\":{\"id\":-100123,"
				   "\"type\":\"channel\"},\"text\":\"x\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
	assert_int_equal(parse_str("{\"update_id\":32,\"edited_message\":{" PRIVATE
				   ",\"text\":\"/stop\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
}

static void test_parse_member(void **state)
{
	(void)state;
	assert_int_equal(parse_str("{\"update_id\":40,\"my_chat_member\":{" PRIVATE "," FROM
				   ",\"date\":1700000000,\"old_chat_member\":{\"status\":\"member\","
				   "\"user\":{\"id\":1}},\"new_chat_member\":{\"status\":\"kicked\","
				   "\"user\":{\"id\":1},\"until_date\":0}}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_BLOCKED);
	assert_true(up.chat_id == CHAT);
	assert_int_equal(parse_str("{\"update_id\":41,\"my_chat_member\":{" PRIVATE
				   ",\"new_chat_member\":{\"status\":\"member\"}}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_UNBLOCKED);
	assert_int_equal(parse_str("{\"update_id\":42,\"my_chat_member\":{" PRIVATE
				   ",\"new_chat_member\":{\"status\":\"administrator\"}}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
	/* The bot removed from a group: not a subscriber's event. */
	assert_int_equal(parse_str("{\"update_id\":43,\"my_chat_member\":{\"chat\":{\"id\":-5,"
				   "\"type\":\"group\"},\"new_chat_member\":{\"status\":\"kicked\"}}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_OTHER);
	/* Malformed: no status. */
	assert_int_equal(parse_str("{\"update_id\":44,\"my_chat_member\":{" PRIVATE
				   ",\"new_chat_member\":{}}}"), BANDITORE_EINVAL);
}

static void test_parse_callback(void **state)
{
	(void)state;
	assert_int_equal(parse_str("{\"update_id\":50,\"callback_query\":{\"id\":\"4382bfdwdsb323b2d9\","
				   FROM ",\"message\":{\"message_id\":77," PRIVATE
				   ",\"text\":\"Scegli\"},\"chat_instance\":\"-1\",\"data\":\"t:scuola\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_CALLBACK);
	assert_true(up.chat_id == CHAT);
	assert_true(up.message_id == 77);
	assert_string_equal(up.callback_id, "4382bfdwdsb323b2d9");
	assert_string_equal(up.callback_data, "t:scuola");

	/* Without the message (too old): the user's own id is the private chat. */
	assert_int_equal(parse_str("{\"update_id\":51,\"callback_query\":{\"id\":\"9\"," FROM
				   ",\"data\":\"done\"}}"), 0);
	assert_int_equal(up.kind, TG_UPDATE_CALLBACK);
	assert_true(up.chat_id == CHAT);
	assert_true(up.message_id == 0);

	/* Data over Telegram's 64 bytes, an id with odd characters, no from: refused. */
	assert_int_equal(parse_str("{\"update_id\":52,\"callback_query\":{\"id\":\"9\"," FROM
				   ",\"data\":\"0123456789012345678901234567890123456789012345678901234567890123X\"}}"),
			 BANDITORE_EINVAL);
	assert_int_equal(parse_str("{\"update_id\":53,\"callback_query\":{\"id\":\"9 9\"," FROM
				   ",\"data\":\"x\"}}"), BANDITORE_EINVAL);
	assert_int_equal(parse_str("{\"update_id\":54,\"callback_query\":{\"id\":\"9\",\"data\":\"x\"}}"),
			 BANDITORE_EINVAL);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"", "null", "[]", "{", "{\"update_id\":\"1\"}", "{\"update_id\":-1}",
		"{\"update_id\":1.5}", "{\"update_id\":4503599627370497}",
		"{\"update_id\":1,\"update_id\":2}",
		"{\"update_id\":1,\"message\":[]}",
		"{\"update_id\":1,\"message\":{\"text\":\"/start\"}}",
		"{\"update_id\":1,\"message\":{\"chat\":{\"id\":\"1\",\"type\":\"private\"},\"text\":\"x\"}}",
		"{\"update_id\":1,\"message\":{\"chat\":{\"id\":1},\"text\":\"x\"}}",
		"{\"update_id\":1,\"message\":{\"chat\":{\"id\":-7,\"type\":\"private\"},\"text\":\"x\"}}",
		"{\"update_id\":1,\"message\":{\"chat\":{\"id\":9007199254740993,\"type\":\"private\"}}}",
		"{\"update_id\":1,\"message\":{" PRIVATE ",\"text\":5}}",
		"{\"update_id\":1,\"message\":{" PRIVATE ",\"text\":\"a\\u0000b\"}}",
		"{\"update_id\":1,\"message\":{" PRIVATE ",\"text\":\"\xff\xfe\"}}",
		"{\"update_id\":1,\"callback_query\":{\"id\":\"1\"," FROM ",\"data\":\"\"}}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse_str(bad[i]);
		if (rc != BANDITORE_EINVAL)
			fail_msg("accepted #%zu: %s (rc %d)", i, bad[i], rc);
		assert_int_equal(up.kind, 0);
		assert_true(up.chat_id == 0);
	}
	assert_int_equal(tg_update_parse(NULL, 0, &up), BANDITORE_EINVAL);
	{
		/* Over the body limit: refused before parsing. */
		size_t n = TG_UPDATE_BODY_MAX + 1;
		char *big = malloc(n);
		assert_non_null(big);
		memset(big, ' ', n);
		assert_int_equal(tg_update_parse(big, n, &up), BANDITORE_ETOOBIG);
		free(big);
	}
	{
		/* Text over 4096 characters. */
		struct buf b;
		buf_init(&b, 1 << 20);
		assert_int_equal(buf_appends(&b, "{\"update_id\":1,\"message\":{" PRIVATE ",\"text\":\""), 0);
		for (int i = 0; i < TG_TEXT_MAX + 1; i++)
			assert_int_equal(buf_appends(&b, "\xc3\xa0"), 0);
		assert_int_equal(buf_appends(&b, "\"}}"), 0);
		assert_int_equal(tg_update_parse(b.data, b.len, &up), BANDITORE_EINVAL);
		buf_free(&b);
	}
	assert_string_equal(tg_update_kind_name(TG_UPDATE_BLOCKED), "blocked");
}

/* ---- rendering ---- */

static void test_escape_and_render(void **state)
{
	struct buf b;
	char *out = NULL;
	(void)state;

	buf_init(&b, 1024);
	assert_int_equal(telegram_escape_html("a<b>&\"c\" > d", &b), 0);
	assert_string_equal(buf_cstr(&b), "a&lt;b&gt;&amp;&quot;c&quot; &gt; d");
	buf_free(&b);

	assert_int_equal(telegram_render("Strade <chiuse> & deviazioni",
					 "Via Roma chiusa dalle 8 alle 12.\nUsare <b>via Verdi</b>.",
					 "https://www.comune.example.org/avvisi?id=1&x=2", &out), 0);
	assert_string_equal(out, "<b>Strade &lt;chiuse&gt; &amp; deviazioni</b>\n\n"
				 "Via Roma chiusa dalle 8 alle 12.\nUsare &lt;b&gt;via Verdi&lt;/b&gt;.\n\n"
				 "https://www.comune.example.org/avvisi?id=1&amp;x=2");
	free(out);
	assert_int_equal(telegram_render(NULL, "Solo testo", NULL, &out), 0);
	assert_string_equal(out, "Solo testo");
	free(out);
	assert_int_equal(telegram_render("Solo titolo", "", "", &out), 0);
	assert_string_equal(out, "<b>Solo titolo</b>");
	free(out);

	assert_int_equal(telegram_render("", "", NULL, &out), BANDITORE_EINVAL);
	assert_null(out);
	assert_int_equal(telegram_render("x", "\xc0\xaf", NULL, &out), BANDITORE_EINVAL);
	assert_int_equal(telegram_render("x", "y", "https://a b", &out), BANDITORE_EINVAL);
	{
		/* 4096 visible characters fit however many bytes escaping adds; 4097 do not. */
		char *text = malloc(TELEGRAM_TEXT_MAX * 2 + 1);
		assert_non_null(text);
		for (int i = 0; i < TELEGRAM_TEXT_MAX; i++)
			memcpy(text + i * 2, i % 2 ? "\xc3\xa8" : "&<", 2);
		text[TELEGRAM_TEXT_MAX * 2] = '\0';
		/* "&<" pairs are two characters; "è" one: count them. */
		{
			char *t2 = strdup(text);
			size_t chars = 0;
			for (const unsigned char *p = (const unsigned char *)t2; *p; p++)
				chars += (*p & 0xC0) != 0x80;
			assert_true(chars > TELEGRAM_TEXT_MAX);
			assert_int_equal(telegram_render(NULL, t2, NULL, &out), BANDITORE_EINVAL);
			/* cut to exactly 4096 characters */
			{
				size_t c = 0, i = 0;
				while (t2[i] && c < TELEGRAM_TEXT_MAX) {
					i++;
					while (((unsigned char)t2[i] & 0xC0) == 0x80)
						i++;
					c++;
				}
				t2[i] = '\0';
			}
			assert_int_equal(telegram_render(NULL, t2, NULL, &out), 0);
			assert_true(strlen(out) > TELEGRAM_TEXT_MAX);
			free(out);
			free(t2);
		}
		free(text);
	}
}

static void test_build_send(void **state)
{
	char *body = NULL;
	json_t *j;
	(void)state;

	assert_int_equal(telegram_build_send(CHAT_S, "<b>Ciao</b>",
					     "{\"inline_keyboard\":[[{\"text\":\"Scuola\",\"callback_data\":\"t:scuola\"}]]}",
					     &body), 0);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "chat_id")) == CHAT);
	assert_string_equal(json_string_value(json_object_get(j, "text")), "<b>Ciao</b>");
	assert_string_equal(json_string_value(json_object_get(j, "parse_mode")), "HTML");
	assert_true(json_is_true(json_object_get(json_object_get(j, "link_preview_options"), "is_disabled")));
	assert_true(json_is_array(json_object_get(json_object_get(j, "reply_markup"), "inline_keyboard")));
	json_decref(j);
	free(body);

	assert_int_equal(telegram_build_send("@comune_prova", "x", NULL, &body), 0);
	j = json_loads(body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "chat_id")), "@comune_prova");
	assert_null(json_object_get(j, "reply_markup"));
	json_decref(j);
	free(body);
	assert_int_equal(telegram_build_send("-1001234567890", "x", NULL, &body), 0);
	free(body);

	assert_int_equal(telegram_build_send("@abc", "x", NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(telegram_build_send("12a", "x", NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(telegram_build_send("", "x", NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(telegram_build_send(CHAT_S, "", NULL, &body), BANDITORE_EINVAL);
	assert_int_equal(telegram_build_send(CHAT_S, "x", "[1]", &body), BANDITORE_EINVAL);
	assert_int_equal(telegram_build_send(CHAT_S, "x", "{not json", &body), BANDITORE_EINVAL);
	assert_null(body);

	assert_true(telegram_chat_valid("@comune_di_prova"));
	assert_false(telegram_chat_valid("@comune-di-prova"));
	assert_false(telegram_chat_valid("--1"));
	assert_false(telegram_chat_valid("123456789012345678901"));
}

static void test_caps(void **state)
{
	const struct connector_caps *c = telegram_caps(TELEGRAM_MODE_BOT);
	(void)state;
	assert_string_equal(c->platform, "telegram");
	assert_int_equal(c->text_max, 4096);
	assert_int_equal(c->messages_per_second, 30);
	assert_int_equal(c->holds_addresses, 1);
	assert_int_equal(telegram_caps(TELEGRAM_MODE_CHANNEL)->holds_addresses, 0);
}

/* ---- answers ---- */

static void test_parse_response(void **state)
{
	struct connector_result r;
	(void)state;

	assert_int_equal(telegram_parse_response(200, "{\"ok\":true,\"result\":{\"message_id\":4242,"
						 "\"chat\":{\"id\":1}}}", &r), 0);
	assert_int_equal(r.outcome, CONNECTOR_OK);
	assert_string_equal(r.message_id, "4242");

	assert_int_equal(telegram_parse_response(429, "{\"ok\":false,\"error_code\":429,\"description\":"
						 "\"Too Many Requests: retry after 35\",\"parameters\":"
						 "{\"retry_after\":35}}", &r), BANDITORE_ETEMP);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	assert_int_equal(r.error_code, 429);
	assert_int_equal(r.retry_after, 35);
	assert_int_equal(r.http_status, 429);
	/* An absurd wait is clamped. */
	telegram_parse_response(429, "{\"ok\":false,\"error_code\":429,\"parameters\":"
				     "{\"retry_after\":99999999999}}", &r);
	assert_int_equal(r.retry_after, CONNECTOR_RETRY_AFTER_MAX);
	telegram_parse_response(429, "{\"ok\":false,\"error_code\":429,\"parameters\":"
				     "{\"retry_after\":-3}}", &r);
	assert_int_equal(r.retry_after, 0);

	assert_int_equal(telegram_parse_response(403, "{\"ok\":false,\"error_code\":403,\"description\":"
						 "\"Forbidden: bot was blocked by the user\"}", &r),
			 BANDITORE_EPERM);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_int_equal(r.error_code, TELEGRAM_ERROR_GONE);
	assert_null(strstr(r.error, "Forbidden")); /* our words, not theirs */
	telegram_parse_response(403, "{\"ok\":false,\"error_code\":403,\"description\":"
				     "\"Forbidden: user is deactivated\"}", &r);
	assert_int_equal(r.error_code, TELEGRAM_ERROR_GONE);
	telegram_parse_response(400, "{\"ok\":false,\"error_code\":400,\"description\":"
				     "\"Bad Request: chat not found\"}", &r);
	assert_int_equal(r.error_code, TELEGRAM_ERROR_GONE);
	/* The bot not admin of the channel: a failure, but nobody to erase. */
	telegram_parse_response(403, "{\"ok\":false,\"error_code\":403,\"description\":"
				     "\"Forbidden: bot is not a member of the channel chat\"}", &r);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_int_equal(r.error_code, 403);
	telegram_parse_response(400, "{\"ok\":false,\"error_code\":400,\"description\":"
				     "\"Bad Request: can't parse entities\"}", &r);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_int_equal(r.error_code, 400);
	telegram_parse_response(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}", &r);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);

	telegram_parse_response(502, "<html>Bad Gateway</html>", &r);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	telegram_parse_response(500, NULL, &r);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	/* 200 without ok:true is no success. */
	telegram_parse_response(200, "{\"ok\":false,\"error_code\":400}", &r);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
}

/* ---- the send path, against a small HTTP server on loopback ---- */

static struct telegram *connect_to(int port)
{
	char base[64];
	struct telegram *t = NULL;
	struct telegram_settings ts = { .api_base = base, .bot_token = TOKEN, .timeout_ms = 5000 };

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port);
	assert_int_equal(telegram_new(&ts, &t), 0);
	assert_non_null(t);
	return t;
}

static void test_send_ok(void **state)
{
	struct fake_http *f = *state;
	struct telegram *t = connect_to(f->port);
	struct connector_result res;
	json_t *j;

	fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "", "{\"ok\":true,\"result\":{\"message_id\":31}}");
	assert_int_equal(telegram_send_message(t, CHAT_S, "Avviso", "Testo & altro", NULL, &res), 0);
	assert_int_equal(res.outcome, CONNECTOR_OK);
	assert_string_equal(res.message_id, "31");
	assert_non_null(strstr(f->request, "POST /bot" TOKEN "/sendMessage HTTP/1.1\r\n"));
	assert_non_null(strcasestr(f->request, "\r\nContent-Type: application/json\r\n"));
	j = json_loads(fake_http_body(f), 0, NULL);
	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "chat_id")) == CHAT);
	assert_string_equal(json_string_value(json_object_get(j, "text")),
			    "<b>Avviso</b>\n\nTesto &amp; altro");
	json_decref(j);

	/* The error never names the chat or the token. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "403 Forbidden", "", "{\"ok\":false,\"error_code\":403,\"description\":"
					  "\"Forbidden: bot was blocked by the user\"}");
	assert_int_equal(telegram_send_html(t, CHAT_S, "x", NULL, &res), BANDITORE_EPERM);
	assert_int_equal(res.error_code, TELEGRAM_ERROR_GONE);
	assert_null(strstr(res.error, CHAT_S));
	assert_null(strstr(res.error, "TEST-token"));

	/* Other methods reach their own paths. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "", "{\"ok\":true,\"result\":true}");
	assert_int_equal(telegram_answer_callback(t, "77", "Fatto", &res), 0);
	assert_non_null(strstr(f->request, "POST /bot" TOKEN "/answerCallbackQuery "));
	assert_int_equal(telegram_edit_keyboard(t, CHAT_S, 5, "{\"inline_keyboard\":[]}", &res), 0);
	assert_non_null(strstr(f->request, "/editMessageReplyMarkup "));
	assert_int_equal(telegram_set_webhook(t, "https://banditore.example.org/webhooks/telegram",
					      "s3cr3t-_X", &res), 0);
	assert_non_null(strstr(fake_http_body(f), "\"secret_token\":\"s3cr3t-_X\""));
	assert_non_null(strstr(fake_http_body(f), "my_chat_member"));
	assert_int_equal(telegram_set_webhook(t, "https://x.example.org/", "bad secret", &res),
			 BANDITORE_EINVAL);
	telegram_free(t);
}

static void test_send_429(void **state)
{
	struct fake_http *f = *state;
	struct telegram *t = connect_to(f->port);
	struct connector_result res;

	/* Telegram's own parameters.retry_after wins. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "429 Too Many Requests", "Retry-After: 3\r\n",
		    "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry "
		    "after 7\",\"parameters\":{\"retry_after\":7}}");
	assert_int_equal(telegram_send_html(t, CHAT_S, "x", NULL, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	assert_int_equal(res.retry_after, 7);
	assert_int_equal(res.http_status, 429);
	/* Without it, the header is used. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "429 Too Many Requests", "Retry-After: 3\r\n", "{\"ok\":false}");
	assert_int_equal(telegram_send_html(t, CHAT_S, "x", NULL, &res), BANDITORE_ETEMP);
	assert_int_equal(res.retry_after, 3);
	/* A success after a 429 carries no wait. */
	fake_http_answer(f, FAKE_HTTP_ANSWER, "200 OK", "", "{\"ok\":true,\"result\":{\"message_id\":1}}");
	assert_int_equal(telegram_send_html(t, CHAT_S, "x", NULL, &res), 0);
	assert_int_equal(res.retry_after, 0);
	telegram_free(t);
}

static void test_new_invalid(void **state)
{
	struct telegram *t = (struct telegram *)1;
	struct telegram_settings ts = { .api_base = "ftp://x", .bot_token = TOKEN };
	struct connector_result res;
	(void)state;

	assert_int_equal(telegram_new(&ts, &t), BANDITORE_EINVAL);
	assert_null(t);
	ts.api_base = "https://api.telegram.org";
	ts.bot_token = "no-colon";
	assert_int_equal(telegram_new(&ts, &t), BANDITORE_EINVAL);
	ts.bot_token = "1:a/b";
	assert_int_equal(telegram_new(&ts, &t), BANDITORE_EINVAL);
	ts.bot_token = TOKEN;
	/* Nobody listens on port 9 of loopback: a transport RETRY. */
	ts.api_base = "http://127.0.0.1:9";
	assert_int_equal(telegram_new(&ts, &t), 0);
	assert_int_equal(telegram_send_html(t, CHAT_S, "x", NULL, &res), BANDITORE_ETEMP);
	assert_int_equal(res.outcome, CONNECTOR_RETRY);
	/* An invalid chat is refused before anything is sent. */
	assert_int_equal(telegram_send_html(t, "not-a-chat", "x", NULL, &res), BANDITORE_EINVAL);
	assert_int_equal(res.outcome, CONNECTOR_FAIL);
	telegram_free(t);
	telegram_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_start),
		cmocka_unit_test(test_parse_stop_and_text),
		cmocka_unit_test(test_parse_groups_ignored),
		cmocka_unit_test(test_parse_member),
		cmocka_unit_test(test_parse_callback),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_escape_and_render),
		cmocka_unit_test(test_build_send),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test_setup_teardown(test_send_ok, fake_http_setup, fake_http_teardown),
		cmocka_unit_test_setup_teardown(test_send_429, fake_http_setup, fake_http_teardown),
		cmocka_unit_test(test_new_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
