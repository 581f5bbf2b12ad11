/*
 * sms.c - the HTTP SMS gateway: building the request the configuration describes,
 * sending it on a kept-alive libcurl handle, and reading the answer by its rules.
 */
#include "connectors/sms.h"
#include "connectors/http_conn.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/e164.h"
#include "common/err.h"
#include "common/i18n.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef BANDITORE_VERSION
#define BANDITORE_VERSION "0.1.0"
#endif
#define SMS_USER_AGENT "banditore/" BANDITORE_VERSION
#define SMS_DEFAULT_TIMEOUT_MS 10000
#define SMS_CONNECT_TIMEOUT_MS 5000
#define SMS_BODY_MAX (64 * 1024)
#define SMS_URL_MAX (32 * 1024)

static const struct connector_caps caps = {
	.platform = "sms",
	.text_max = 67 * SMS_SEGMENTS_MAX, /* the UCS-2 room of the most parts allowed */
	.media_types = 0,
	.messages_per_second = SMS_RATE,
	.holds_addresses = 1,
};

const struct connector_caps *sms_caps(void)
{
	return &caps;
}

const char *sms_default_template(int body_type)
{
	return body_type == SMS_BODY_JSON ? "{\"to\":\"{to}\",\"from\":\"{from}\",\"text\":\"{text}\"}"
					  : "to={to}&from={from}&text={text}";
}

/* ---- answers ---- */

/* Whether `status` is in `list` ("200-299", "200,202", "2xx" forms mixed by commas). */
static int status_listed(const char *list, long status)
{
	const char *p = list && *list ? list : "200-299";

	while (*p) {
		char item[32];
		size_t n = strcspn(p, ",");
		long a, b;
		char *end;
		if (n < sizeof(item)) {
			size_t s = 0, e = n;
			while (s < e && p[s] == ' ')
				s++;
			while (e > s && p[e - 1] == ' ')
				e--;
			memcpy(item, p + s, e - s);
			item[e - s] = '\0';
			if (strlen(item) == 3 && item[0] >= '1' && item[0] <= '5' &&
			    tolower((unsigned char)item[1]) == 'x' && tolower((unsigned char)item[2]) == 'x') {
				if (status / 100 == item[0] - '0')
					return 1;
			} else {
				a = strtol(item, &end, 10);
				b = a;
				if (*end == '-')
					b = strtol(end + 1, &end, 10);
				if (!*end && end != item && status >= a && status <= b)
					return 1;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Checks a status list; 0 when valid. */
static int statuses_valid(const char *list)
{
	const char *p = list;

	if (!list || !*list)
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		char item[32];
		size_t s = 0, e = n;
		long a, b;
		char *end;
		if (n >= sizeof(item))
			return BANDITORE_EINVAL;
		while (s < e && p[s] == ' ')
			s++;
		while (e > s && p[e - 1] == ' ')
			e--;
		memcpy(item, p + s, e - s);
		item[e - s] = '\0';
		if (strlen(item) == 3 && item[0] >= '1' && item[0] <= '5' &&
		    tolower((unsigned char)item[1]) == 'x' && tolower((unsigned char)item[2]) == 'x') {
			/* fine */
		} else {
			if (!isdigit((unsigned char)item[0]))
				return BANDITORE_EINVAL;
			a = strtol(item, &end, 10);
			b = a;
			if (*end == '-') {
				if (!isdigit((unsigned char)end[1]))
					return BANDITORE_EINVAL;
				b = strtol(end + 1, &end, 10);
			}
			if (*end || a < 100 || b > 599 || a > b)
				return BANDITORE_EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Follows an RFC 6901 pointer (or a plain key) in `root`. */
static json_t *json_at(json_t *root, const char *field)
{
	json_t *cur = root;
	const char *p;

	if (!field || !*field)
		return NULL;
	if (field[0] != '/')
		return json_is_object(root) ? json_object_get(root, field) : NULL;
	p = field + 1;
	for (;;) {
		char tok[256];
		size_t n = strcspn(p, "/"), o = 0;
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (c == '~' && i + 1 < n && (p[i + 1] == '0' || p[i + 1] == '1')) {
				c = p[i + 1] == '0' ? '~' : '/';
				i++;
			}
			if (o + 1 >= sizeof(tok))
				return NULL;
			tok[o++] = c;
		}
		tok[o] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long idx = strtoul(tok, &end, 10);
			if (!o || *end || (o > 1 && tok[0] == '0'))
				return NULL;
			cur = json_array_get(cur, idx);
		} else {
			return NULL;
		}
		if (!cur)
			return NULL;
		p += n;
		if (!*p)
			return cur;
		p++;
	}
}

static int value_text(json_t *v, char *out, size_t cap)
{
	int n;

	if (json_is_string(v))
		n = snprintf(out, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		n = snprintf(out, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		n = snprintf(out, cap, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		n = snprintf(out, cap, "%s", json_is_true(v) ? "true" : "false");
	else
		return BANDITORE_ENOTFOUND;
	return n < 0 ? BANDITORE_EINVAL : 0;
}

int sms_json_field(const char *json_text, size_t len, const char *field, char *out, size_t cap)
{
	json_t *root = json_text ? json_loadb(json_text, len, 0, NULL) : NULL;
	json_t *v = root ? json_at(root, field) : NULL;
	int rc = v ? value_text(v, out, cap) : BANDITORE_ENOTFOUND;

	json_decref(root);
	return rc;
}

/* Whether `value` is one of the comma-separated `list` (exact, blanks around trimmed). */
static int value_listed(const char *list, const char *value)
{
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ","), s = 0, e = n;
		while (s < e && p[s] == ' ')
			s++;
		while (e > s && p[e - 1] == ' ')
			e--;
		if (e - s == strlen(value) && !strncmp(p + s, value, e - s))
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Keeps a value for error_code when it is a plain number. */
static int numeric_code(const char *v)
{
	char *end;
	long n = strtol(v, &end, 10);

	return *v && !*end && n > -1000000000 && n < 1000000000 ? (int)n : 0;
}

int sms_parse_answer(const struct sms_settings *ss, long http_status, const char *body,
		     struct connector_result *res)
{
	char value[128];
	size_t len = body ? strlen(body) : 0;

	connector_result_clear(res);
	res->http_status = (http_status > 0 && http_status <= 999) ? (int)http_status : 0;
	if (!status_listed(ss->success_statuses, http_status)) {
		if (http_status == 429 || http_status == 408 || http_status >= 500 || http_status <= 0)
			connector_result_set(res, CONNECTOR_RETRY, (int)http_status,
					     "gateway unavailable or busy (%ld)", http_status);
		else if (http_status == 401 || http_status == 403)
			connector_result_set(res, CONNECTOR_FAIL, (int)http_status,
					     "gateway refused the credentials (%ld)", http_status);
		else
			connector_result_set(res, CONNECTOR_FAIL, (int)http_status,
					     "gateway refused the request (%ld)", http_status);
		return connector_result_rc(res);
	}
	if (ss->status_field && *ss->status_field) {
		if (sms_json_field(body, len, ss->status_field, value, sizeof(value)) != 0) {
			connector_result_set(res, CONNECTOR_FAIL, 0,
					     "gateway answer has no status field");
			return connector_result_rc(res);
		}
		if (!value_listed(ss->status_ok, value)) {
			/* The value is the gateway's code, not ours to echo: only a number is kept. */
			connector_result_set(res, CONNECTOR_FAIL, numeric_code(value),
					     "gateway answered a failure status");
			return connector_result_rc(res);
		}
	}
	if (ss->id_field && *ss->id_field &&
	    sms_json_field(body, len, ss->id_field, value, sizeof(value)) == 0)
		snprintf(res->message_id, sizeof(res->message_id), "%s", value);
	connector_result_set(res, CONNECTOR_OK, 0, "accepted");
	return 0;
}

int sms_settings_check(const struct sms_settings *ss, const char **why)
{
	const char *tmpl;
	struct buf b;
	int rc = 0;

	*why = NULL;
	if (!ss->url || (strncmp(ss->url, "https://", 8) && strncmp(ss->url, "http://", 7)) ||
	    strpbrk(ss->url, " \t\r\n")) {
		*why = T("url deve cominciare con https:// (o http://) e non avere spazi", "url must start with https:// (or http://) and have no spaces");
		return BANDITORE_EINVAL;
	}
	if (ss->method != SMS_METHOD_POST && ss->method != SMS_METHOD_GET) {
		*why = T("method deve essere POST o GET", "method must be POST or GET");
		return BANDITORE_EINVAL;
	}
	if (ss->method == SMS_METHOD_GET && ss->body_type != SMS_BODY_FORM) {
		*why = T("con method GET il modello è la query string: content_type deve essere form", "with method GET the template is a query string: content_type must be form");
		return BANDITORE_EINVAL;
	}
	tmpl = ss->body && *ss->body ? ss->body : sms_default_template(ss->body_type);
	if (!strstr(tmpl, "{to}") || !strstr(tmpl, "{text}")) {
		*why = T("il modello body deve contenere {to} e {text}", "the body template must contain {to} and {text}");
		return BANDITORE_EINVAL;
	}
	if (ss->body_type == SMS_BODY_JSON) {
		/* Values with every character that needs escaping must still give valid JSON. */
		json_t *j;
		buf_init(&b, SMS_BODY_MAX);
		rc = sms_render_template(tmpl, SMS_BODY_JSON, "+390000000000", "a\"b\\c",
					 "x\"y\\z\n\x01 \xE2\x82\xAC", &b);
		j = rc ? NULL : json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
		buf_free(&b);
		if (!j) {
			*why = T("il modello body JSON, una volta riempito, non è JSON valido (i segnaposto vanno tra virgolette)", "the JSON body template is not valid JSON once filled in (placeholders go inside quotes)");
			return BANDITORE_EINVAL;
		}
		json_decref(j);
	}
	if (statuses_valid(ss->success_statuses)) {
		*why = T("success_status deve elencare stati (200,202), intervalli (200-299) o classi (2xx)", "success_status must list statuses (200,202), ranges (200-299) or classes (2xx)");
		return BANDITORE_EINVAL;
	}
	if (ss->status_field && *ss->status_field && (!ss->status_ok || !*ss->status_ok)) {
		*why = T("status_field richiede status_ok, i valori che indicano il successo", "status_field needs status_ok, the value(s) that mean success");
		return BANDITORE_EINVAL;
	}
	if (ss->auth == SMS_AUTH_HEADER &&
	    (!ss->auth_header || !*ss->auth_header ||
	     strspn(ss->auth_header, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
		     strlen(ss->auth_header))) {
		*why = T("auth = header NOME richiede il nome di un'intestazione (lettere, cifre, - e _)", "auth = header NAME needs a header name of letters, digits, - and _");
		return BANDITORE_EINVAL;
	}
	if (ss->auth == SMS_AUTH_BASIC && (!ss->username || !*ss->username || strchr(ss->username, ':'))) {
		*why = T("auth = basic richiede username (senza ':')", "auth = basic needs username (without ':')");
		return BANDITORE_EINVAL;
	}
	return 0;
}

/* ---- the connection ---- */

struct sms {
	struct sms_settings ss;   /* strings point into `strings` */
	char *strings[12];        /* owned copies (the secret wiped on free) */
	struct http_conn http;    /* the kept-alive handle and the answer being read */
	struct curl_slist *headers; /* content type and authentication (holds the secret) */
	struct buf request;       /* the body or URL being sent (wiped after) */
};

static int keep(struct sms *s, int i, const char *v, const char **field)
{
	s->strings[i] = strdup(v ? v : "");
	*field = s->strings[i];
	return s->strings[i] ? 0 : BANDITORE_ENOMEM;
}

int sms_new(const struct sms_settings *ss, struct sms **out)
{
	struct sms *s;
	const char *why;
	struct buf h;
	int rc;

	*out = NULL;
	if (!ss || sms_settings_check(ss, &why) != 0)
		return BANDITORE_EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return BANDITORE_ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s) {
		curl_global_cleanup();
		return BANDITORE_ENOMEM;
	}
	s->ss = *ss;
	buf_init(&s->request, SMS_URL_MAX + SMS_BODY_MAX);
	buf_init(&h, 8192);
	rc = BANDITORE_ENOMEM;
	if (keep(s, 0, ss->url, &s->ss.url) ||
	    keep(s, 1, ss->body && *ss->body ? ss->body : sms_default_template(ss->body_type), &s->ss.body) ||
	    keep(s, 2, ss->auth_header, &s->ss.auth_header) || keep(s, 3, ss->username, &s->ss.username) ||
	    keep(s, 4, ss->secret, &s->ss.secret) || keep(s, 5, ss->sender, &s->ss.sender) ||
	    keep(s, 6, ss->success_statuses, &s->ss.success_statuses) ||
	    keep(s, 7, ss->status_field, &s->ss.status_field) ||
	    keep(s, 8, ss->status_ok, &s->ss.status_ok) || keep(s, 9, ss->id_field, &s->ss.id_field))
		goto fail;
	s->headers = curl_slist_append(NULL, "Expect:");
	if (!s->headers || !curl_slist_append(s->headers, "Accept: application/json, text/plain, */*"))
		goto fail;
	if (ss->method == SMS_METHOD_POST &&
	    !curl_slist_append(s->headers, ss->body_type == SMS_BODY_JSON
						   ? "Content-Type: application/json; charset=utf-8"
						   : "Content-Type: application/x-www-form-urlencoded"))
		goto fail;
	if (ss->auth == SMS_AUTH_BEARER || ss->auth == SMS_AUTH_HEADER) {
		if (ss->auth == SMS_AUTH_BEARER)
			rc = buf_appendf(&h, "Authorization: Bearer %s", s->ss.secret);
		else
			rc = buf_appendf(&h, "%s: %s", s->ss.auth_header, s->ss.secret);
		if (rc || !curl_slist_append(s->headers, h.data)) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		rc = BANDITORE_ENOMEM;
	}
	{
		const struct http_conn_options o = {
			.user_agent = SMS_USER_AGENT,
			.timeout_ms = ss->timeout_ms > 0 ? ss->timeout_ms : SMS_DEFAULT_TIMEOUT_MS,
			.connect_timeout_ms = SMS_CONNECT_TIMEOUT_MS,
			.response_max = SMS_RESPONSE_MAX,
			.url = s->ss.url,
		};
		if (http_conn_open(&s->http, &o) ||
		    curl_easy_setopt(s->http.curl, CURLOPT_HTTPHEADER, s->headers))
			goto fail;
	}
	if (ss->auth == SMS_AUTH_BASIC &&
	    (curl_easy_setopt(s->http.curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) ||
	     curl_easy_setopt(s->http.curl, CURLOPT_USERNAME, s->ss.username) ||
	     curl_easy_setopt(s->http.curl, CURLOPT_PASSWORD, s->ss.secret)))
		goto fail;
	if (h.data)
		crypto_wipe(h.data, h.cap);
	buf_free(&h);
	*out = s;
	return 0;
fail:
	if (h.data)
		crypto_wipe(h.data, h.cap);
	buf_free(&h);
	sms_free(s);
	return rc;
}

static void wipe_buf(struct buf *b)
{
	if (b->data)
		crypto_wipe(b->data, b->cap);
	buf_free(b);
}

void sms_free(struct sms *s)
{
	if (!s)
		return;
	http_conn_close(&s->http);
	for (struct curl_slist *l = s->headers; l; l = l->next)
		crypto_wipe(l->data, strlen(l->data));
	curl_slist_free_all(s->headers);
	for (size_t i = 0; i < sizeof(s->strings) / sizeof(s->strings[0]); i++) {
		if (s->strings[i]) {
			crypto_wipe(s->strings[i], strlen(s->strings[i]));
			free(s->strings[i]);
		}
	}
	wipe_buf(&s->request);
	free(s);
	curl_global_cleanup();
}

int sms_send(struct sms *s, const char *to, const char *text, struct connector_result *res)
{
	char e164[E164_MAX];
	const char *number;
	struct sms_count c;
	long status = 0;
	CURLcode cc;
	int rc;

	connector_result_clear(res);
	if (!to || e164_normalize(to, e164) != 0 || !text || !*text || strlen(text) > SMS_TEXT_MAX ||
	    sms_text_count(text, strlen(text), &c) != 0) {
		connector_result_set(res, CONNECTOR_FAIL, 0, "invalid number or text");
		return BANDITORE_EINVAL;
	}
	number = s->ss.number_plus ? e164 : e164 + 1;
	buf_reset(&s->request);
	http_conn_begin(&s->http);
	if (s->ss.method == SMS_METHOD_GET) {
		rc = buf_appends(&s->request, s->ss.url);
		if (!rc)
			rc = buf_appends(&s->request, strchr(s->ss.url, '?') ? "&" : "?");
		if (!rc)
			rc = sms_render_template(s->ss.body, SMS_BODY_FORM, number, s->ss.sender, text,
						 &s->request);
		if (!rc && (curl_easy_setopt(s->http.curl, CURLOPT_URL, s->request.data) ||
			    curl_easy_setopt(s->http.curl, CURLOPT_HTTPGET, 1L)))
			rc = BANDITORE_ENOMEM;
	} else {
		rc = sms_render_template(s->ss.body, s->ss.body_type, number, s->ss.sender, text,
					 &s->request);
		if (!rc && (curl_easy_setopt(s->http.curl, CURLOPT_URL, s->ss.url) ||
			    curl_easy_setopt(s->http.curl, CURLOPT_POSTFIELDS, s->request.data) ||
			    curl_easy_setopt(s->http.curl, CURLOPT_POSTFIELDSIZE_LARGE,
					     (curl_off_t)s->request.len)))
			rc = BANDITORE_ENOMEM;
	}
	crypto_wipe(e164, sizeof(e164));
	if (rc) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not prepare the request");
		goto out;
	}
	cc = curl_easy_perform(s->http.curl);
	if (cc != CURLE_OK) {
		http_conn_transport_error(&s->http, s->http.curl, cc, "the gateway", res);
	} else {
		curl_easy_getinfo(s->http.curl, CURLINFO_RESPONSE_CODE, &status);
		sms_parse_answer(&s->ss, status, http_conn_answer(&s->http), res);
	}
	if (res->outcome == CONNECTOR_RETRY && res->retry_after == 0)
		res->retry_after = s->http.retry_after;
out:
	/* The request names the recipient: leave nothing of it behind. */
	curl_easy_setopt(s->http.curl, CURLOPT_POSTFIELDS, NULL);
	if (s->request.data)
		crypto_wipe(s->request.data, s->request.cap);
	buf_reset(&s->request);
	http_conn_begin(&s->http);
	return connector_result_rc(res);
}
