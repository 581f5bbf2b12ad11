/*
 * http_conn.c - the libcurl plumbing the HTTP connectors share: safe options, a bounded
 * answer, Retry-After, transport errors (see http_conn.h).
 */
#include "connectors/http_conn.h"
#include "common/crypto.h"
#include "common/err.h"

#include <string.h>
#include <strings.h>
#include <time.h>

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_conn *c = arg;
	size_t n = size * nmemb;

	if (buf_append(&c->response, data, n) != 0) {
		c->overflow = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	return n;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *arg)
{
	static const char name[] = "retry-after:";
	struct http_conn *c = arg;
	size_t n = size * nitems;

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		c->retry_after = 0; /* a new response (after 100 Continue, say) starts */
	} else if (n > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
		char value[64];
		size_t vlen = n - (sizeof(name) - 1);
		if (vlen < sizeof(value)) {
			memcpy(value, line + sizeof(name) - 1, vlen);
			value[vlen] = '\0';
			c->retry_after = connector_retry_after_parse(value, time(NULL));
		}
	}
	return n;
}

int http_url_is_loopback(const char *url)
{
	static const char *const prefixes[] = { "http://127.", "http://localhost", "http://[::1]" };

	if (!url)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(url, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

int http_conn_setup(struct http_conn *c, CURL *h, const struct http_conn_options *o)
{
	if ((o->user_agent && curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent)) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms) ||
	    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, o->protocols ? o->protocols : "http,https") ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, c) ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, c))
		return BANDITORE_ENOMEM;
	if (o->post && curl_easy_setopt(h, CURLOPT_POST, 1L))
		return BANDITORE_ENOMEM;
	/* A proxy from the environment is fine for a platform on the Internet, never for a
	 * local simulator, mock or gateway. */
	if (http_url_is_loopback(o->url) && curl_easy_setopt(h, CURLOPT_PROXY, ""))
		return BANDITORE_ENOMEM;
	return 0;
}

int http_conn_open(struct http_conn *c, const struct http_conn_options *o)
{
	memset(c, 0, sizeof(*c));
	c->response_max = o->response_max;
	buf_init(&c->response, o->response_max);
	c->curl = curl_easy_init();
	if (!c->curl)
		return BANDITORE_ENOMEM;
	return http_conn_setup(c, c->curl, o);
}

void http_conn_begin(struct http_conn *c)
{
	/* An answer may echo the recipient (WhatsApp's contacts[].input): wipe, not just
	 * forget. */
	if (c->response.data)
		crypto_wipe(c->response.data, c->response.len);
	buf_reset(&c->response);
	c->overflow = 0;
	c->retry_after = 0;
}

const char *http_conn_answer(const struct http_conn *c)
{
	return buf_cstr(&c->response);
}

void http_conn_transport_error(const struct http_conn *c, CURL *h, CURLcode cc, const char *peer,
			       struct connector_result *res)
{
	long status = 0;

	connector_result_clear(res);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	res->http_status = (status > 0 && status <= 999) ? (int)status : 0;
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		/* The platform may have accepted the message before the time ran out: a retry
		 * can duplicate it. A duplicate is the lesser harm than a lost notice. */
		connector_result_set(res, CONNECTOR_RETRY, 0, "timed out");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not connect to %s", peer);
		break;
	case CURLE_WRITE_ERROR:
		if (c->overflow) {
			connector_result_set(res, CONNECTOR_RETRY, 0, "answer longer than %zu bytes",
					     c->response_max);
			break;
		}
		/* fall through */
	default:
		/* curl's text is static and generic: no address, token or chat in it. */
		connector_result_set(res, CONNECTOR_RETRY, 0, "transport error: %s",
				     curl_easy_strerror(cc));
		break;
	}
}

void http_conn_close(struct http_conn *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	if (c->response.data)
		crypto_wipe(c->response.data, c->response.cap);
	buf_free(&c->response);
}
