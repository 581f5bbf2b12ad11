/*
 * webpush.c - one push message per POST to the subscription's endpoint (RFC 8030), over
 * a libcurl easy handle kept alive between sends; VAPID JWTs cached per origin; the
 * answer classified for delivery. Encryption and signatures are in webpush_crypto.c,
 * the subscription's checks in webpush_subscription.c.
 *
 * Endpoints come from browsers, that is from anyone: besides the checks on the URL
 * itself, the socket is refused when the name resolves to a loopback, private or
 * link-local address (so a subscription cannot make Banditore POST into its own
 * network), unless WEBPUSH_ALLOW_INSECURE is set for a test's local push service.
 */
#include "connectors/webpush.h"
#include "common/crypto.h"
#include "common/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef BANDITORE_VERSION
#define BANDITORE_VERSION "0.1.0"
#endif
#define WEBPUSH_USER_AGENT "banditore/" BANDITORE_VERSION
#define WEBPUSH_DEFAULT_TIMEOUT_MS 10000
#define WEBPUSH_CONNECT_TIMEOUT_MS 5000
#define WEBPUSH_RESPONSE_MAX 8192
#define JWT_LIFETIME (12 * 3600)  /* RFC 8292 2: at most 24 hours */
#define JWT_MIN_LEFT 3600         /* sign a new one when less than this is left */
#define JWT_CACHE 8               /* origins remembered (push services are few) */

struct jwt_entry {
	char origin[WEBPUSH_ENDPOINT_MAX];
	char jwt[WEBPUSH_JWT_MAX];
	int64_t exp;
};

struct webpush {
	CURL *curl;
	struct webpush_vapid *vapid;
	char subject[WEBPUSH_SUBJECT_MAX];
	char vapid_b64[WEBPUSH_PUBLIC_B64_LEN + 1];
	int flags;
	struct curl_slist *headers;  /* of the request in flight */
	uint8_t body[WEBPUSH_BODY_MAX];
	size_t body_len;
	size_t response_len;         /* read and dropped: push services' bodies say little */
	int retry_after;
	char location[CONNECTOR_MESSAGE_ID_MAX];
	struct jwt_entry jwts[JWT_CACHE];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webpush *w = arg;
	size_t n = size * nmemb;

	(void)data;
	if (w->response_len + n > WEBPUSH_RESPONSE_MAX)
		return 0; /* a push service has no reason to say this much */
	w->response_len += n; /* counted, not kept */
	return n;
}

static void header_value(const char *line, size_t n, size_t name_len, char *out, size_t cap)
{
	const char *v = line + name_len;
	size_t vlen = n - name_len;

	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= cap)
		vlen = 0; /* too long to be useful: drop it rather than cut it */
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nitems, void *arg)
{
	static const char ra[] = "retry-after:", loc[] = "location:";
	struct webpush *w = arg;
	size_t n = size * nitems;
	char value[64];

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		w->retry_after = 0;
		w->location[0] = '\0';
	} else if (n > sizeof(ra) - 1 && strncasecmp(line, ra, sizeof(ra) - 1) == 0) {
		header_value(line, n, sizeof(ra) - 1, value, sizeof(value));
		w->retry_after = connector_retry_after_parse(value, time(NULL));
	} else if (n > sizeof(loc) - 1 && strncasecmp(line, loc, sizeof(loc) - 1) == 0) {
		header_value(line, n, sizeof(loc) - 1, w->location, sizeof(w->location));
	}
	return n;
}

/* Loopback, private, link-local, unspecified, CGNAT and multicast addresses. */
static int internal_address(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		return a[0] == 0 || a[0] == 10 || a[0] == 127 || (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64) || a[0] >= 224;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			struct sockaddr_in v4;
			memset(&v4, 0, sizeof(v4));
			v4.sin_family = AF_INET;
			memcpy(&v4.sin_addr, a->s6_addr + 12, 4);
			return internal_address((const struct sockaddr *)&v4);
		}
		return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_UNSPECIFIED(a) ||
		       IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_SITELOCAL(a) ||
		       IN6_IS_ADDR_MULTICAST(a) || (a->s6_addr[0] & 0xfe) == 0xfc;
	}
	return 1;
}

static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct webpush *w = arg;

	(void)purpose;
	if (!(w->flags & WEBPUSH_ALLOW_INSECURE) && internal_address(&addr->addr))
		return CURL_SOCKET_BAD; /* curl reports CURLE_COULDNT_CONNECT */
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

int webpush_new(const struct webpush_settings *ws, struct webpush **out)
{
	struct webpush *w = NULL;
	int rc = BANDITORE_EINVAL;

	*out = NULL;
	if (!ws || !ws->vapid_seed || !ws->subject || strlen(ws->subject) >= WEBPUSH_SUBJECT_MAX ||
	    (strncmp(ws->subject, "mailto:", 7) != 0 && strncmp(ws->subject, "https://", 8) != 0) ||
	    strpbrk(ws->subject, " \t\r\n\"\\"))
		return rc;
	rc = BANDITORE_ENOMEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return rc;
	w = calloc(1, sizeof(*w));
	if (!w) {
		curl_global_cleanup();
		return rc;
	}
	w->flags = ws->flags;
	memcpy(w->subject, ws->subject, strlen(ws->subject) + 1);
	rc = webpush_vapid_from_seed(ws->vapid_seed, &w->vapid);
	if (rc)
		goto fail;
	webpush_vapid_public_b64(w->vapid, w->vapid_b64);
	rc = BANDITORE_ENOMEM;
	w->curl = curl_easy_init();
	if (!w->curl)
		goto fail;
	if (curl_easy_setopt(w->curl, CURLOPT_USERAGENT, WEBPUSH_USER_AGENT) ||
	    curl_easy_setopt(w->curl, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS,
			     (long)(ws->timeout_ms > 0 ? ws->timeout_ms : WEBPUSH_DEFAULT_TIMEOUT_MS)) ||
	    curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)WEBPUSH_CONNECT_TIMEOUT_MS) ||
	    curl_easy_setopt(w->curl, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR,
			     (w->flags & WEBPUSH_ALLOW_INSECURE) ? "http,https" : "https") ||
	    curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(w->curl, CURLOPT_OPENSOCKETFUNCTION, open_socket) ||
	    curl_easy_setopt(w->curl, CURLOPT_OPENSOCKETDATA, w) ||
	    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w) ||
	    curl_easy_setopt(w->curl, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(w->curl, CURLOPT_HEADERDATA, w))
		goto fail;
	/* A local test push service is reached directly, never through a proxy. */
	if ((w->flags & WEBPUSH_ALLOW_INSECURE) && curl_easy_setopt(w->curl, CURLOPT_PROXY, ""))
		goto fail;
	*out = w;
	return 0;
fail:
	webpush_free(w);
	return rc;
}

void webpush_free(struct webpush *w)
{
	if (!w)
		return;
	if (w->curl)
		curl_easy_cleanup(w->curl);
	curl_slist_free_all(w->headers);
	webpush_vapid_free(w->vapid);
	crypto_wipe(w, sizeof(*w));
	free(w);
	curl_global_cleanup();
}

/* The cached JWT for `origin`, signing a new one when none has an hour left. */
static const char *jwt_for(struct webpush *w, const char *origin)
{
	int64_t now = (int64_t)time(NULL);
	struct jwt_entry *e = NULL;

	for (int i = 0; i < JWT_CACHE; i++) {
		if (!strcmp(w->jwts[i].origin, origin)) {
			e = &w->jwts[i];
			break;
		}
		if (!e || w->jwts[i].exp < e->exp)
			e = &w->jwts[i]; /* the emptiest or oldest, if none matches */
	}
	if (strcmp(e->origin, origin) == 0 && e->exp - now > JWT_MIN_LEFT)
		return e->jwt;
	memset(e, 0, sizeof(*e));
	if (webpush_vapid_jwt(w->vapid, origin, w->subject, now + JWT_LIFETIME, e->jwt,
			      sizeof(e->jwt)) != 0) {
		memset(e, 0, sizeof(*e));
		return NULL;
	}
	memcpy(e->origin, origin, strlen(origin) + 1);
	e->exp = now + JWT_LIFETIME;
	return e->jwt;
}

int webpush_start(struct webpush *w, const struct webpush_subscription *sub, const void *payload,
		  size_t len, int ttl, int urgency, struct connector_result *res)
{
	char origin[WEBPUSH_ENDPOINT_MAX], line[WEBPUSH_JWT_MAX + 160];
	const char *jwt;
	struct curl_slist *h = NULL, *t;
	int rc;

	connector_result_clear(res);
	curl_slist_free_all(w->headers);
	w->headers = NULL;
	w->response_len = 0;
	w->retry_after = 0;
	w->location[0] = '\0';
	if (len > WEBPUSH_PAYLOAD_MAX || ttl < 0 || ttl > WEBPUSH_TTL_MAX ||
	    !webpush_endpoint_ok(sub->endpoint, w->flags) ||
	    webpush_origin(sub->endpoint, origin, sizeof(origin)) != 0) {
		connector_result_set(res, CONNECTOR_FAIL, 0, "invalid push message (size, TTL or endpoint)");
		return BANDITORE_EINVAL;
	}
	rc = webpush_encrypt(sub->p256dh, sub->auth, payload, len, w->body, sizeof(w->body),
			     &w->body_len);
	if (rc) {
		connector_result_set(res, rc == BANDITORE_ENOMEM ? CONNECTOR_RETRY : CONNECTOR_FAIL, 0,
				     "could not encrypt the payload for this subscription");
		return rc == BANDITORE_ENOMEM ? rc : BANDITORE_EINVAL;
	}
	jwt = jwt_for(w, origin);
	if (!jwt) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not sign the VAPID token");
		return BANDITORE_ENOMEM;
	}
	snprintf(line, sizeof(line), "Authorization: vapid t=%s, k=%s", jwt, w->vapid_b64);
	h = curl_slist_append(NULL, line);
	snprintf(line, sizeof(line), "TTL: %d", ttl);
	if (h && (t = curl_slist_append(h, line)))
		h = t;
	else
		goto nomem;
	if (!(t = curl_slist_append(h, urgency == WEBPUSH_URGENCY_HIGH ? "Urgency: high"
								       : "Urgency: normal")) ||
	    !(t = curl_slist_append(h, "Content-Encoding: aes128gcm")) ||
	    !(t = curl_slist_append(h, "Content-Type: application/octet-stream")) ||
	    !(t = curl_slist_append(h, "Expect:")))
		goto nomem;
	w->headers = h;
	if (curl_easy_setopt(w->curl, CURLOPT_URL, sub->endpoint) ||
	    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->headers) ||
	    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, (const char *)w->body) ||
	    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->body_len)) {
		connector_result_set(res, CONNECTOR_RETRY, 0, "could not prepare the request");
		return BANDITORE_ENOMEM;
	}
	return 0;
nomem:
	curl_slist_free_all(h);
	connector_result_set(res, CONNECTOR_RETRY, 0, "out of memory building the request");
	return BANDITORE_ENOMEM;
}

int webpush_classify(long status, int retry_after, struct connector_result *res)
{
	connector_result_clear(res);
	res->http_status = (status > 0 && status <= 999) ? (int)status : 0;
	if (status >= 200 && status < 300) {
		connector_result_set(res, CONNECTOR_OK, 0, "accepted");
		res->error[0] = '\0';
	} else if (status == 404 || status == 410) {
		connector_result_set(res, CONNECTOR_FAIL, (int)status,
				     "subscription expired or unsubscribed (HTTP %ld)", status);
	} else if (status == 429) {
		connector_result_set(res, CONNECTOR_RETRY, 429, "push service rate limit (HTTP 429)");
		res->retry_after = retry_after;
	} else if (status == 408 || status >= 500) {
		connector_result_set(res, CONNECTOR_RETRY, (int)status, "push service error (HTTP %ld)",
				     status);
		res->retry_after = retry_after;
	} else if (status == 413) {
		connector_result_set(res, CONNECTOR_FAIL, 413, "payload too large for the push service");
	} else if (status == 401 || status == 403) {
		connector_result_set(res, CONNECTOR_FAIL, (int)status,
				     "push service refused our VAPID credentials (HTTP %ld)", status);
	} else {
		connector_result_set(res, CONNECTOR_FAIL, (int)status, "push service refused (HTTP %ld)",
				     status);
	}
	return connector_result_rc(res);
}

int webpush_finish(struct webpush *w, CURLcode cc, struct connector_result *res)
{
	long status = 0;

	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, NULL);
	crypto_wipe(w->body, w->body_len);
	w->body_len = 0;
	if (cc != CURLE_OK) {
		connector_result_clear(res);
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		res->http_status = (status > 0 && status <= 999) ? (int)status : 0;
		if (cc == CURLE_OPERATION_TIMEDOUT)
			connector_result_set(res, CONNECTOR_RETRY, 0, "timed out");
		else if (cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_CONNECT)
			connector_result_set(res, CONNECTOR_RETRY, 0, "could not connect to the push service");
		else if (cc == CURLE_WRITE_ERROR)
			connector_result_set(res, CONNECTOR_RETRY, 0, "answer longer than %d bytes",
					     WEBPUSH_RESPONSE_MAX);
		else
			connector_result_set(res, CONNECTOR_RETRY, 0, "transport error: %s",
					     curl_easy_strerror(cc));
		return connector_result_rc(res);
	}
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
	webpush_classify(status, w->retry_after, res);
	if (res->outcome == CONNECTOR_OK) {
		/* The push message resource (RFC 8030 5: Location), when it fits: its path
		 * names a message, never the subscriber. */
		const char *slash = strrchr(w->location, '/');
		snprintf(res->message_id, sizeof(res->message_id), "%s", slash ? slash + 1 : "");
	}
	return connector_result_rc(res);
}

CURL *webpush_easy(struct webpush *w)
{
	return w->curl;
}

int webpush_send(struct webpush *w, const struct webpush_subscription *sub, const void *payload,
		 size_t len, int ttl, int urgency, struct connector_result *res)
{
	int rc = webpush_start(w, sub, payload, len, ttl, urgency, res);

	if (rc)
		return rc;
	return webpush_finish(w, curl_easy_perform(w->curl), res);
}

int webpush_result_gone(const struct connector_result *res)
{
	return res->outcome == CONNECTOR_FAIL && (res->http_status == 404 || res->http_status == 410);
}
