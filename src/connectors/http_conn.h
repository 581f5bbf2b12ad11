/*
 * http_conn.h - the libcurl plumbing the HTTP connectors share (WhatsApp, Telegram, the
 * SMS gateway, web push): one easy handle kept alive with the same safe options, the
 * answer read into a bounded buffer, the Retry-After header of the current answer, and
 * transport errors said in our own words.
 *
 * Each connector embeds a struct http_conn and keeps what is its own (URLs, headers with
 * its credentials, how to read the platform's answer). The usual cycle:
 *
 *   http_conn_open(&c, &opts)        once: the handle, callbacks into c, options
 *   http_conn_begin(&c)              before each request: empties the answer
 *   ... curl_easy_setopt(c.curl, CURLOPT_URL / POSTFIELDS ...), perform or multi ...
 *   http_conn_transport_error(...)   when curl itself failed (no HTTP answer to read)
 *   http_conn_close(&c)              once: the handle, and the answer wiped
 *
 * libcurl's global state is the caller's (each connector balances curl_global_init).
 */
#ifndef BANDITORE_HTTP_CONN_H
#define BANDITORE_HTTP_CONN_H

#include "common/buf.h"
#include "connectors/connector.h"

#include <curl/curl.h>
#include <stddef.h>

struct http_conn {
	CURL *curl;
	struct buf response; /* the answer being read, at most response_max bytes */
	size_t response_max;
	int overflow;        /* the answer did not fit: curl stopped with CURLE_WRITE_ERROR */
	int retry_after;     /* seconds, from the Retry-After header of the current answer */
};

struct http_conn_options {
	const char *user_agent;  /* "banditore/x.y.z"; NULL: the caller's headers carry it */
	long timeout_ms;         /* the whole request */
	long connect_timeout_ms;
	size_t response_max;     /* bytes of answer kept */
	const char *protocols;   /* NULL: "http,https" */
	const char *url;         /* the peer (may be NULL): a loopback one is never proxied */
	int post;                /* 1: requests are POSTs */
};

/* Opens the handle with the shared options and the answer callbacks; 0 or
 * BANDITORE_ENOMEM (then c holds nothing to close, but closing is harmless). */
int http_conn_open(struct http_conn *c, const struct http_conn_options *o);

/* Sets the same options and callbacks (answers into c) on another handle `h`, for a
 * one-off request such as a media upload. 0 or BANDITORE_ENOMEM. */
int http_conn_setup(struct http_conn *c, CURL *h, const struct http_conn_options *o);

/* Before a request: the previous answer, overflow and Retry-After forgotten. */
void http_conn_begin(struct http_conn *c);

/* The answer read so far, NUL-terminated ("" when none). */
const char *http_conn_answer(const struct http_conn *c);

/* Fills `res` (cleared first) for a request curl could not complete: a time-out, no
 * connection to `peer` (e.g. "the Bot API"), an answer over response_max, other
 * transport errors; all RETRY. The HTTP status is read from `h` (the handle used). */
void http_conn_transport_error(const struct http_conn *c, CURL *h, CURLcode cc, const char *peer,
			       struct connector_result *res);

/* Cleans the handle and wipes and frees the answer. */
void http_conn_close(struct http_conn *c);

/* 1 when `url` names this machine over plain HTTP (127.x, localhost, [::1]). */
int http_url_is_loopback(const char *url);

#endif
