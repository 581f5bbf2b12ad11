/*
 * server.h - the daemon's HTTP face (libmicrohttpd), plain HTTP behind a TLS proxy.
 *
 * Routes: GET/POST /webhooks/whatsapp (Meta's webhook), GET /healthz, GET / (a short
 * page naming the channel; the public pages come later). A small pool of epoll threads
 * serves every connection; a webhook's connection is suspended (no thread waits) until
 * the writer has made its events durable, then resumed and answered, so many requests
 * share one commit.
 */
#ifndef BANDITORE_SERVER_H
#define BANDITORE_SERVER_H

#include "common/keyfile.h"
#include "config/config.h"
#include "daemon/writer.h"
#include "inbound/inbound.h"

#define HTTP_BODY_MAX (1024 * 1024) /* larger webhook bodies get 413 */
#define HTTP_CONNECTIONS_MAX 1024

struct http_server;

struct http_ctx {
	const struct config *cfg;         /* borrowed, like everything here */
	const struct keyfile_keys *keys;
	const struct inbound_ctx *inbound;
	struct writer *writer;
	const char *store_url;            /* the API opens its own read connections */
	void (*wake_sender)(void *arg);   /* a message became ready to send (may be NULL) */
	void *wake_sender_arg;
};

/* Listens on address:port (port 0 picks one: see http_server_port). */
int http_server_start(const char *address, int port, const struct http_ctx *ctx,
		      struct http_server **out);
int http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv); /* accepts NULL */

#endif
