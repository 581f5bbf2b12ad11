/*
 * telegram.c - the Bot API connection: one POST per call on a libcurl easy handle kept
 * alive, the rendering of a composed message as Telegram HTML, and the reading of answers
 * (429 with retry_after, blocked users, the rest).
 */
#include "connectors/telegram.h"
#include "connectors/http_conn.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef BANDITORE_VERSION
#define BANDITORE_VERSION "0.1.0"
#endif
#define TELEGRAM_USER_AGENT "banditore/" BANDITORE_VERSION
#define TELEGRAM_DEFAULT_TIMEOUT_MS 10000
#define TELEGRAM_CONNECT_TIMEOUT_MS 5000
#define TELEGRAM_BODY_MAX (64 * 1024) /* a request body: 4096 characters escaped, a keyboard */

struct telegram {
	struct http_conn http;      /* the kept-alive handle and the answer being read */
	struct curl_slist *headers;
	char *prefix;               /* api_base/bot<token>/ (holds the token: wiped on free) */
	struct buf url;             /* prefix + method of the current call (wiped after) */
};

static const struct connector_caps caps_bot = {
	.platform = "telegram",
	.text_max = TELEGRAM_TEXT_MAX,
	.media_types = 0, /* text only so far: photos and documents are a later step */
	.messages_per_second = TELEGRAM_RATE,
	.holds_addresses = 1,
};
static const struct connector_caps caps_channel = {
	.platform = "telegram",
	.text_max = TELEGRAM_TEXT_MAX,
	.media_types = 0,
	.messages_per_second = TELEGRAM_RATE,
	.holds_addresses = 0,
};

const struct connector_caps *telegram_caps(int mode)
{
	return mode == TELEGRAM_MODE_CHANNEL ? &caps_channel : &caps_bot;
}

int telegram_chat_valid(const char *chat)
{
	size_t n;

	if (!chat)
		return 0;
	if (chat[0] == '@') {
		n = strspn(chat + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		return n >= 5 && n <= 32 && chat[1 + n] == '\0';
	}
	if (chat[0] == '-')
		chat++;
	n = strspn(chat, "0123456789");
	return n >= 1 && n <= 20 && chat[n] == '\0';
}

/* ---- rendering ---- */

int telegram_escape_html(const char *s, struct buf *out)
{
	const char *run = s;
	int rc = 0;

	for (; *s && !rc; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: continue;
		}
		rc = buf_append(out, run, (size_t)(s - run));
		if (!rc)
			rc = buf_appends(out, rep);
		run = s + 1;
	}
	if (!rc)
		rc = buf_append(out, run, strlen(run));
	return rc;
}

/* Characters (code points) of valid UTF-8 `s`, or -1 when it is not valid UTF-8 (overlong
 * forms, surrogates and values past U+10FFFF included). */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;

	while (*p) {
		unsigned c = *p;
		int len;
		unsigned cp;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return -1;
		p += len;
		n++;
	}
	return n;
}

int telegram_render(const char *title, const char *text, const char *link, char **out)
{
	struct buf b;
	long chars = 0, c;
	int has_title = title && *title, has_text = text && *text, has_link = link && *link;
	int rc;

	*out = NULL;
	if (!has_title && !has_text)
		return BANDITORE_EINVAL;
	/* What Telegram counts is the visible text: the parts and the blank lines between. */
	if (has_title) {
		if ((c = utf8_chars(title)) < 0)
			return BANDITORE_EINVAL;
		chars += c;
	}
	if (has_text) {
		if ((c = utf8_chars(text)) < 0)
			return BANDITORE_EINVAL;
		chars += c + (has_title ? 2 : 0);
	}
	if (has_link) {
		if ((c = utf8_chars(link)) < 0 || strpbrk(link, " \t\r\n"))
			return BANDITORE_EINVAL;
		chars += c + 2;
	}
	if (chars > TELEGRAM_TEXT_MAX)
		return BANDITORE_EINVAL;

	buf_init(&b, TELEGRAM_BODY_MAX);
	rc = 0;
	if (has_title) {
		rc = buf_appends(&b, "<b>");
		if (!rc)
			rc = telegram_escape_html(title, &b);
		if (!rc)
			rc = buf_appends(&b, "</b>");
	}
	if (!rc && has_text) {
		if (has_title)
			rc = buf_appends(&b, "\n\n");
		if (!rc)
			rc = telegram_escape_html(text, &b);
	}
	if (!rc && has_link) {
		rc = buf_appends(&b, "\n\n");
		if (!rc)
			rc = telegram_escape_html(link, &b);
	}
	if (!rc) {
		*out = buf_steal(&b);
		if (!*out)
			rc = BANDITORE_ENOMEM;
	}
	buf_free(&b);
	return rc == BANDITORE_ETOOBIG ? BANDITORE_EINVAL : rc;
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

/* chat_id as Telegram wants it: a number for numeric ids, the string for "@name". */
static json_t *chat_json(const char *chat)
{
	if (chat[0] == '@')
		return json_string(chat);
	return json_integer((json_int_t)strtoll(chat, NULL, 10));
}

/* Checks a reply_markup is one JSON object and gives it back parsed (NULL if not). */
static json_t *markup_json(const char *reply_markup)
{
	json_t *m;

	if (strlen(reply_markup) > TELEGRAM_KEYBOARD_MAX)
		return NULL;
	m = json_loads(reply_markup, JSON_REJECT_DUPLICATES, NULL);
	if (m && !json_is_object(m)) {
		json_decref(m);
		return NULL;
	}
	return m;
}

int telegram_build_send(const char *chat, const char *html, const char *reply_markup,
			char **out)
{
	json_t *o, *m = NULL;

	*out = NULL;
	if (!telegram_chat_valid(chat) || !html || !*html || strlen(html) > TELEGRAM_BODY_MAX / 2 ||
	    utf8_chars(html) < 0)
		return BANDITORE_EINVAL;
	if (reply_markup && !(m = markup_json(reply_markup)))
		return BANDITORE_EINVAL;
	o = json_pack("{s:o, s:s, s:s, s:{s:b}}", "chat_id", chat_json(chat), "text", html,
		      "parse_mode", "HTML", "link_preview_options", "is_disabled", 1);
	if (o && m && json_object_set_new(o, "reply_markup", m) == 0)
		m = NULL;
	json_decref(m);
	*out = dump(o);
	return *out ? 0 : BANDITORE_ENOMEM;
}

/* ---- answers ---- */

/* Descriptions that mean the person is gone for good (Telegram's stable English texts). */
static int description_gone(int code, const char *d)
{
	static const char *const gone403[] = { "bot was blocked by the user", "user is deactivated",
					       "bot can't initiate conversation" };
	if (!d)
		return 0;
	if (code == 403) {
		for (size_t i = 0; i < sizeof(gone403) / sizeof(gone403[0]); i++)
			if (strstr(d, gone403[i]))
				return 1;
	}
	return code == 400 && strstr(d, "chat not found") != NULL;
}

int telegram_parse_response(long http_status, const char *body, struct connector_result *res)
{
	json_t *root = NULL, *v;
	int code;
	const char *desc;

	connector_result_clear(res);
	res->http_status = (http_status > 0 && http_status <= 999) ? (int)http_status : 0;
	if (body && *body)
		root = json_loads(body, 0, NULL);
	if (root && json_is_object(root) && json_is_true(json_object_get(root, "ok"))) {
		json_t *mid = json_object_get(json_object_get(root, "result"), "message_id");
		if (json_is_integer(mid))
			snprintf(res->message_id, sizeof(res->message_id), "%lld",
				 (long long)json_integer_value(mid));
		connector_result_set(res, CONNECTOR_OK, 0, "accepted");
		json_decref(root);
		return 0;
	}
	v = root ? json_object_get(root, "error_code") : NULL;
	code = json_is_integer(v) && json_integer_value(v) >= 100 && json_integer_value(v) <= 999
		       ? (int)json_integer_value(v)
		       : (int)http_status;
	v = root ? json_object_get(root, "description") : NULL;
	desc = json_is_string(v) ? json_string_value(v) : NULL;

	if (code == 429) {
		json_t *ra = json_object_get(json_object_get(root, "parameters"), "retry_after");
		long long wait = json_is_integer(ra) ? (long long)json_integer_value(ra) : 0;
		if (wait < 0)
			wait = 0;
		if (wait > CONNECTOR_RETRY_AFTER_MAX)
			wait = CONNECTOR_RETRY_AFTER_MAX;
		res->retry_after = (int)wait;
		connector_result_set(res, CONNECTOR_RETRY, 429, "flood control: retry after %d s",
				     res->retry_after);
	} else if (code >= 500 || code == 408 || code == 0) {
		connector_result_set(res, CONNECTOR_RETRY, code, "Bot API unavailable (%d)", code);
	} else if (description_gone(code, desc)) {
		/* The description is Telegram's fixed English; still, say it in our words. */
		connector_result_set(res, CONNECTOR_FAIL, TELEGRAM_ERROR_GONE,
				     "recipient unreachable for good (blocked, deactivated or no chat)");
	} else if (code == 401 || code == 404) {
		connector_result_set(res, CONNECTOR_FAIL, code, "bot token refused (%d)", code);
	} else if (code == 403) {
		connector_result_set(res, CONNECTOR_FAIL, code, "forbidden: the bot may not write to this chat");
	} else {
		connector_result_set(res, CONNECTOR_FAIL, code, "request refused (%d)", code);
	}
	json_decref(root);
	return connector_result_rc(res);
}

/* ---- the connection ---- */

static int valid_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~' || s[n] == '/' || s[n] == '?' || s[n] == '#' ||
		    s[n] == '%')
			return 0;
	return n >= 3 && n <= 256 && strchr(s, ':') != NULL;
}

int telegram_new(const struct telegram_settings *ts, struct telegram **out)
{
	struct telegram *t = NULL;
	struct buf tmp;
	size_t base_len;
	int rc = BANDITORE_EINVAL;
	int curl_ready = 0;

	*out = NULL;
	buf_init(&tmp, 4096);
	if (!ts || !ts->api_base ||
	    !(strncmp(ts->api_base, "http://", 7) == 0 || strncmp(ts->api_base, "https://", 8) == 0) ||
	    strpbrk(ts->api_base, " \t\r\n") || !valid_token(ts->bot_token))
		goto fail;
	rc = BANDITORE_ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	curl_ready = 1;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto fail;
	buf_init(&t->url, 4096);
	base_len = strlen(ts->api_base);
	while (base_len > 0 && ts->api_base[base_len - 1] == '/')
		base_len--;
	if (buf_append(&tmp, ts->api_base, base_len) || buf_appendf(&tmp, "/bot%s/", ts->bot_token))
		goto fail;
	t->prefix = buf_steal(&tmp);
	if (!t->prefix)
		goto fail;
	{
		struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
		struct curl_slist *h2 = h ? curl_slist_append(h, "Accept: application/json") : NULL;
		struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Expect:") : NULL;
		if (!h3) {
			curl_slist_free_all(h);
			goto fail;
		}
		t->headers = h3;
	}
	{
		const struct http_conn_options o = {
			.user_agent = TELEGRAM_USER_AGENT,
			.timeout_ms = ts->timeout_ms > 0 ? ts->timeout_ms : TELEGRAM_DEFAULT_TIMEOUT_MS,
			.connect_timeout_ms = TELEGRAM_CONNECT_TIMEOUT_MS,
			.response_max = TELEGRAM_RESPONSE_MAX,
			.url = ts->api_base,
			.post = 1,
		};
		if (http_conn_open(&t->http, &o) ||
		    curl_easy_setopt(t->http.curl, CURLOPT_HTTPHEADER, t->headers))
			goto fail;
	}
	crypto_wipe(tmp.data, tmp.cap);
	buf_free(&tmp);
	*out = t;
	return 0;
fail:
	if (tmp.data)
		crypto_wipe(tmp.data, tmp.cap);
	buf_free(&tmp);
	if (t)
		telegram_free(t);
	else if (curl_ready)
		curl_global_cleanup();
	return rc;
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		crypto_wipe(b->data, b->cap);
	buf_free(b);
}

void telegram_free(struct telegram *t)
{
	if (!t)
		return;
	http_conn_close(&t->http);
	curl_slist_free_all(t->headers);
	if (t->prefix) {
		crypto_wipe(t->prefix, strlen(t->prefix));
		free(t->prefix);
	}
	wipe_buf(&t->url);
	free(t);
	curl_global_cleanup();
}

/* Points the handle at `method` with `body` (borrowed until finish). */
static int start_call(struct telegram *t, const char *method, const char *body, size_t len)
{
	http_conn_begin(&t->http);
	buf_reset(&t->url);
	if (buf_appends(&t->url, t->prefix) || buf_appends(&t->url, method))
		return BANDITORE_ENOMEM;
	if (curl_easy_setopt(t->http.curl, CURLOPT_URL, buf_cstr(&t->url)) ||
	    curl_easy_setopt(t->http.curl, CURLOPT_POSTFIELDS, body) ||
	    curl_easy_setopt(t->http.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len))
		return BANDITORE_ENOMEM;
	return 0;
}

int telegram_start(struct telegram *t, const char *body, size_t len)
{
	return start_call(t, "sendMessage", body, len);
}

int telegram_finish(struct telegram *t, CURLcode cc, struct connector_result *res)
{
	long status = 0;

	/* The body names the chat: do not leave curl pointing at it. */
	curl_easy_setopt(t->http.curl, CURLOPT_POSTFIELDS, NULL);
	if (cc != CURLE_OK) {
		http_conn_transport_error(&t->http, t->http.curl, cc, "the Bot API", res);
	} else {
		curl_easy_getinfo(t->http.curl, CURLINFO_RESPONSE_CODE, &status);
		telegram_parse_response(status, http_conn_answer(&t->http), res);
	}
	/* parameters.retry_after is Telegram's own; a Retry-After header only fills a gap. */
	if (res->outcome == CONNECTOR_RETRY && res->retry_after == 0)
		res->retry_after = t->http.retry_after;
	http_conn_begin(&t->http);
	if (t->url.data)
		crypto_wipe(t->url.data, t->url.cap);
	buf_reset(&t->url);
	return connector_result_rc(res);
}

CURL *telegram_easy(struct telegram *t)
{
	return t->http.curl;
}

static int call(struct telegram *t, const char *method, char *body, struct connector_result *res)
{
	int rc;

	if (start_call(t, method, body, strlen(body)) != 0) {
		connector_result_clear(res);
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not prepare the request");
		rc = BANDITORE_ENOMEM;
	} else {
		rc = telegram_finish(t, curl_easy_perform(t->http.curl), res);
	}
	crypto_wipe(body, strlen(body));
	free(body);
	return rc;
}

static int build_failed(int rc, struct connector_result *res, const char *what)
{
	connector_result_clear(res);
	if (rc == BANDITORE_ENOMEM) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "out of memory building the %s", what);
		return rc;
	}
	connector_result_set(res, CONNECTOR_FAIL, 0, "invalid %s (chat, text or limits)", what);
	return BANDITORE_EINVAL;
}

int telegram_send_html(struct telegram *t, const char *chat, const char *html,
		       const char *reply_markup, struct connector_result *res)
{
	char *body = NULL;
	int rc = telegram_build_send(chat, html, reply_markup, &body);

	if (rc)
		return build_failed(rc, res, "message");
	return call(t, "sendMessage", body, res);
}

int telegram_send_message(struct telegram *t, const char *chat, const char *title,
			  const char *text, const char *link, struct connector_result *res)
{
	char *html = NULL;
	int rc = telegram_render(title, text, link, &html);

	if (rc)
		return build_failed(rc, res, "message");
	rc = telegram_send_html(t, chat, html, NULL, res);
	free(html);
	return rc;
}

int telegram_answer_callback(struct telegram *t, const char *callback_id, const char *text,
			     struct connector_result *res)
{
	json_t *o;
	char *body;

	if (!callback_id || !*callback_id || strlen(callback_id) > 64 ||
	    (text && (strlen(text) > 200 || utf8_chars(text) < 0)))
		return build_failed(BANDITORE_EINVAL, res, "callback answer");
	o = json_pack("{s:s}", "callback_query_id", callback_id);
	if (o && text && json_object_set_new(o, "text", json_string(text)) != 0) {
		json_decref(o);
		o = NULL;
	}
	body = dump(o);
	if (!body)
		return build_failed(BANDITORE_ENOMEM, res, "callback answer");
	return call(t, "answerCallbackQuery", body, res);
}

int telegram_edit_keyboard(struct telegram *t, const char *chat, int64_t message_id,
			   const char *reply_markup, struct connector_result *res)
{
	json_t *o, *m;
	char *body;

	if (!telegram_chat_valid(chat) || message_id <= 0 || !reply_markup ||
	    !(m = markup_json(reply_markup)))
		return build_failed(BANDITORE_EINVAL, res, "keyboard edit");
	o = json_pack("{s:o, s:I, s:o}", "chat_id", chat_json(chat), "message_id",
		      (json_int_t)message_id, "reply_markup", m);
	body = dump(o);
	if (!body)
		return build_failed(BANDITORE_ENOMEM, res, "keyboard edit");
	return call(t, "editMessageReplyMarkup", body, res);
}

int telegram_set_webhook(struct telegram *t, const char *url, const char *secret,
			 struct connector_result *res)
{
	size_t n;
	json_t *o;
	char *body;

	n = secret ? strspn(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") : 0;
	if (!url || strncmp(url, "https://", 8) != 0 || strpbrk(url, " \t\r\n") || n < 1 ||
	    n > 256 || secret[n] != '\0')
		return build_failed(BANDITORE_EINVAL, res, "webhook registration");
	o = json_pack("{s:s, s:s, s:[s,s,s], s:i}", "url", url, "secret_token", secret,
		      "allowed_updates", "message", "callback_query", "my_chat_member",
		      "max_connections", 10);
	body = dump(o);
	if (!body)
		return build_failed(BANDITORE_ENOMEM, res, "webhook registration");
	return call(t, "setWebhook", body, res);
}
