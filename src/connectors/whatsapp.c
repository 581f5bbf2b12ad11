/*
 * whatsapp.c - the WhatsApp Cloud API connection: one POST per message on a libcurl easy
 * handle kept alive (blocking, or driven by the caller's multi handle), bounded answers,
 * Retry-After, transport errors.
 * Bodies and the reading of answers are in whatsapp_message.c.
 */
#include "connectors/whatsapp.h"
#include "common/buf.h"
#include "connectors/http_conn.h"
#include "common/crypto.h"
#include "common/err.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#ifndef BANDITORE_VERSION
#define BANDITORE_VERSION "0.1.0"
#endif
/* The description constrains User-Agent to "product/x.y.z"; Meta sees who is calling. */
#define WHATSAPP_USER_AGENT "banditore/" BANDITORE_VERSION
#define WHATSAPP_DEFAULT_TIMEOUT_MS 10000
#define WHATSAPP_CONNECT_TIMEOUT_MS 5000

struct whatsapp {
	struct http_conn http;      /* the kept-alive handle and the answer being read */
	char *media_url;            /* api_base/version/phone-number-id/media */
	int timeout_ms;
	struct curl_slist *headers; /* Authorization (wiped on free), Content-Type, Expect */
	char *url;                  /* api_base/version/phone-number-id/messages */
};

static int is_http_url(const char *s)
{
	return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
	       !strpbrk(s, " \t\r\n");
}

/* "v23.0": 'v', digits, '.', digits (the description's pattern). */
static int valid_version(const char *s)
{
	const char *p = s;

	if (!s || *p++ != 'v' || !(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p++ != '.' || !(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0' && p - s <= 16;
}

static int valid_id(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return 0;
	return n >= 1 && n <= 64;
}

/* A token is one printable ASCII word: nothing that could end or split a header. */
static int valid_token(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~')
			return 0;
	return n >= 1 && n <= 4096;
}

static void wipe_headers(struct curl_slist *h)
{
	for (; h; h = h->next)
		crypto_wipe(h->data, strlen(h->data));
}

int whatsapp_new(const struct whatsapp_settings *ws, struct whatsapp **out)
{
	struct whatsapp *w = NULL;
	struct buf tmp;
	size_t base_len;
	int rc = BANDITORE_EINVAL;
	int curl_ready = 0;

	*out = NULL;
	buf_init(&tmp, 8192);
	if (!ws || !is_http_url(ws->api_base) || !valid_version(ws->api_version) ||
	    !valid_id(ws->phone_number_id) || !valid_token(ws->access_token))
		goto fail;
	rc = BANDITORE_ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	curl_ready = 1;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto fail;

	base_len = strlen(ws->api_base);
	while (base_len > 0 && ws->api_base[base_len - 1] == '/')
		base_len--;
	if (buf_append(&tmp, ws->api_base, base_len) ||
	    buf_appendf(&tmp, "/%s/%s/messages", ws->api_version, ws->phone_number_id))
		goto fail;
	w->url = buf_steal(&tmp);
	if (!w->url)
		goto fail;
	if (buf_append(&tmp, ws->api_base, base_len) ||
	    buf_appendf(&tmp, "/%s/%s/media", ws->api_version, ws->phone_number_id))
		goto fail;
	w->media_url = buf_steal(&tmp);
	if (!w->media_url)
		goto fail;
	w->timeout_ms = ws->timeout_ms > 0 ? ws->timeout_ms : WHATSAPP_DEFAULT_TIMEOUT_MS;

	if (buf_appendf(&tmp, "Authorization: Bearer %s", ws->access_token))
		goto fail;
	{
		/* curl_slist_append copies; the first element holds the token. */
		struct curl_slist *h = curl_slist_append(NULL, buf_cstr(&tmp));
		struct curl_slist *h2 = h ? curl_slist_append(h, "Content-Type: application/json") : NULL;
		struct curl_slist *h3 = h2 ? curl_slist_append(h2, "Accept: application/json") : NULL;
		/* Bodies are small: no "Expect: 100-continue" round trip. */
		struct curl_slist *h4 = h3 ? curl_slist_append(h3, "Expect:") : NULL;
		/* In the list rather than CURLOPT_USERAGENT, which libcurl formats again for
		 * every request, a character at a time (callgrind: 3 % of a broadcast). */
		struct curl_slist *h5 = h4 ? curl_slist_append(h4, "User-Agent: " WHATSAPP_USER_AGENT) : NULL;
		if (!h5) {
			wipe_headers(h);
			curl_slist_free_all(h);
			goto fail;
		}
		w->headers = h5;
	}

	{
		const struct http_conn_options o = {
			.user_agent = NULL, /* in w->headers */
			.timeout_ms = w->timeout_ms,
			.connect_timeout_ms = WHATSAPP_CONNECT_TIMEOUT_MS,
			.response_max = WHATSAPP_RESPONSE_MAX,
			.url = ws->api_base,
			.post = 1,
		};
		if (http_conn_open(&w->http, &o) ||
		    curl_easy_setopt(w->http.curl, CURLOPT_URL, w->url) ||
		    curl_easy_setopt(w->http.curl, CURLOPT_HTTPHEADER, w->headers))
			goto fail;
	}

	crypto_wipe(tmp.data, tmp.cap);
	buf_free(&tmp);
	*out = w;
	return 0;
fail:
	if (tmp.data)
		crypto_wipe(tmp.data, tmp.cap);
	buf_free(&tmp);
	if (w)
		whatsapp_free(w); /* also balances curl_global_init */
	else if (curl_ready)
		curl_global_cleanup();
	return rc;
}

void whatsapp_free(struct whatsapp *w)
{
	if (!w)
		return;
	http_conn_close(&w->http);
	wipe_headers(w->headers);
	curl_slist_free_all(w->headers);
	free(w->url);
	free(w->media_url);
	free(w);
	curl_global_cleanup();
}

int whatsapp_start(struct whatsapp *w, const char *body, size_t len)
{
	http_conn_begin(&w->http);
	if (curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDS, body) ||
	    curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len))
		return BANDITORE_ENOMEM;
	return 0;
}

int whatsapp_finish(struct whatsapp *w, CURLcode cc, struct connector_result *res)
{
	long status = 0;

	/* The body may hold the recipient's number: do not leave curl pointing at it. */
	curl_easy_setopt(w->http.curl, CURLOPT_POSTFIELDS, NULL);
	if (cc != CURLE_OK) {
		http_conn_transport_error(&w->http, w->http.curl, cc, "the Cloud API", res);
	} else {
		curl_easy_getinfo(w->http.curl, CURLINFO_RESPONSE_CODE, &status);
		whatsapp_parse_response(status, http_conn_answer(&w->http), res);
	}
	if (res->outcome == CONNECTOR_RETRY)
		res->retry_after = w->http.retry_after;
	http_conn_begin(&w->http);
	return connector_result_rc(res);
}

CURL *whatsapp_easy(struct whatsapp *w)
{
	return w->http.curl;
}

static int post(struct whatsapp *w, const char *body, struct connector_result *res)
{
	if (whatsapp_start(w, body, strlen(body)) != 0) {
		connector_result_clear(res);
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not prepare the request");
		return BANDITORE_ENOMEM;
	}
	return whatsapp_finish(w, curl_easy_perform(w->http.curl), res);
}

/* Builds failed: say why without the recipient, and map to the send's return. */
static int build_failed(int rc, struct connector_result *res, const char *what)
{
	connector_result_clear(res);
	if (rc == BANDITORE_ENOMEM) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "out of memory building the %s", what);
		return rc;
	}
	connector_result_set(res, CONNECTOR_FAIL, 0, "invalid %s (recipient, text or limits)", what);
	return BANDITORE_EINVAL;
}

int whatsapp_send_text(struct whatsapp *w, const char *to, const char *text, int preview_url,
		       struct connector_result *res)
{
	char *body = NULL;
	int rc = whatsapp_build_text(to, text, preview_url, &body);

	if (rc)
		return build_failed(rc, res, "text message");
	rc = post(w, body, res);
	crypto_wipe(body, strlen(body));
	free(body);
	return rc;
}

int whatsapp_send_template(struct whatsapp *w, const char *to, const char *template_name,
			   const char *language, const char *const *body_params, int n_params,
			   const char *biz_opaque, struct connector_result *res)
{
	return whatsapp_send_template_header(w, to, template_name, language, NULL, body_params,
					     n_params, biz_opaque, res);
}

/* The upload: its own easy handle (the send handle keeps its JSON headers and options),
 * the token's header shared, a multipart body read from the file by libcurl. */
int whatsapp_upload_media(struct whatsapp *w, const char *path, const char *mime,
			  char media_id[WHATSAPP_MEDIA_ID_MAX], struct connector_result *res)
{
	CURL *c = curl_easy_init();
	curl_mime *form = NULL;
	curl_mimepart *part;
	struct curl_slist auth = { w->headers->data, NULL }; /* Authorization only */
	const struct http_conn_options o = {
		.user_agent = WHATSAPP_USER_AGENT,
		.timeout_ms = w->timeout_ms > 120000 ? w->timeout_ms : 120000, /* files are large */
		.connect_timeout_ms = WHATSAPP_CONNECT_TIMEOUT_MS,
		.response_max = WHATSAPP_RESPONSE_MAX,
		.url = w->media_url,
	};
	long status = 0;
	CURLcode cc;
	int rc;

	connector_result_clear(res);
	media_id[0] = '\0';
	if (!c || !(form = curl_mime_init(c))) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not prepare the upload");
		rc = BANDITORE_ENOMEM;
		goto done;
	}
	if (!(part = curl_mime_addpart(form)) || curl_mime_name(part, "messaging_product") ||
	    curl_mime_data(part, "whatsapp", CURL_ZERO_TERMINATED) ||
	    !(part = curl_mime_addpart(form)) || curl_mime_name(part, "type") ||
	    curl_mime_data(part, mime, CURL_ZERO_TERMINATED) ||
	    !(part = curl_mime_addpart(form)) || curl_mime_name(part, "file") ||
	    curl_mime_filedata(part, path) || curl_mime_type(part, mime) ||
	    curl_easy_setopt(c, CURLOPT_URL, w->media_url) ||
	    curl_easy_setopt(c, CURLOPT_MIMEPOST, form) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, &auth) || http_conn_setup(&w->http, c, &o)) {
		connector_result_set(res, CONNECTOR_FAIL, 0, "could not prepare the upload of the file");
		rc = BANDITORE_EINVAL;
		goto done;
	}
	http_conn_begin(&w->http);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		http_conn_transport_error(&w->http, c, cc, "the Cloud API", res);
		res->retry_after = w->http.retry_after;
		rc = connector_result_rc(res);
		goto done;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status <= 299 && whatsapp_parse_upload(http_conn_answer(&w->http), media_id) == 0) {
		res->http_status = (int)status;
		res->outcome = CONNECTOR_OK;
		rc = 0;
	} else {
		rc = whatsapp_parse_response(status >= 200 && status <= 299 ? 502 : status,
					     http_conn_answer(&w->http), res);
		if (res->outcome == CONNECTOR_RETRY)
			res->retry_after = w->http.retry_after;
	}
done:
	http_conn_begin(&w->http);
	curl_mime_free(form);
	if (c)
		curl_easy_cleanup(c);
	return rc;
}

int whatsapp_send_template_header(struct whatsapp *w, const char *to, const char *template_name,
				  const char *language, const struct whatsapp_header *header,
				  const char *const *body_params, int n_params,
				  const char *biz_opaque, struct connector_result *res)
{
	char *body = NULL;
	int rc = whatsapp_build_template_header(to, template_name, language, header, body_params,
						n_params, biz_opaque, &body);

	if (rc)
		return build_failed(rc, res, "template message");
	rc = post(w, body, res);
	crypto_wipe(body, strlen(body));
	free(body);
	return rc;
}
