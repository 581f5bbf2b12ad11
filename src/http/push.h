/*
 * push.h - the HTTP face of browser push: the comune's VAPID key, subscribing and
 * unsubscribing, and the two scripts the public page includes.
 *
 *   GET  /push/key          {"publicKey": "<base64url of the 65-byte VAPID key>"}
 *   POST /push/subscribe    the browser's PushSubscription JSON (webpush.h checks it);
 *                           201 {"subscribed": true} when new, 200 when known already
 *   POST /push/unsubscribe  {"endpoint": "..."} (a whole subscription is accepted too):
 *                           the subscriber is erased at once; 200 {"unsubscribed": bool}
 *   GET  /push/sw.js        the service worker (web/static/push-sw.js)
 *   GET  /push/button.js    the subscribe button (web/static/push-button.js)
 *
 * Only when webpush is among the configured platforms; otherwise every /push/ URL is 404.
 * Writes go to the writer as jobs and are answered once durable. Nothing about the
 * request (address, user agent) is stored or logged.
 */
#ifndef BANDITORE_HTTP_PUSH_H
#define BANDITORE_HTTP_PUSH_H

#include <microhttpd.h>
#include <stddef.h>

#include "http/server.h"

#define PUSH_PREFIX "/push/"

struct push_site;

/* *out is NULL (and 0 returned) when web push is not configured. `ctx` is borrowed. */
int push_site_new(const struct http_ctx *ctx, struct push_site **out);
void push_site_free(struct push_site *ps); /* accepts NULL */

/* Answers a request under PUSH_PREFIX (the caller checked the prefix; `body` is the
 * complete request body, `too_big` set when it went over the server's limit). */
enum MHD_Result push_handle(struct push_site *ps, struct MHD_Connection *conn, const char *method,
			    const char *url, const char *body, size_t len, int too_big);

#endif
