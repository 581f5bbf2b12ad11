/*
 * email_http.h - the /email/ routes: double opt-in and one-click unsubscribe.
 *
 *   POST /email/subscribe      form (email=...) or JSON {"email": "..."}: stores a pending
 *                              join and sends the confirmation mail. The answer is the
 *                              same whether the address was new, subscribed already,
 *                              asked a moment ago or blocked, so the form tells nobody
 *                              who is subscribed.
 *   GET|POST /email/confirm?t= the link of the confirmation mail: makes the subscription
 *                              within 48 hours (email_optin.h).
 *   GET /email/unsubscribe?t=  a small page with a button: link scanners GET every URL of
 *                              a mail, so GET never erases.
 *   POST /email/unsubscribe?t= RFC 8058 one-click (body List-Unsubscribe=One-Click, which
 *                              the page's button sends too): erases at once.
 *
 * Writes are writer jobs, answered once durable. Without [email] from_address and
 * smtp_url, or [server] public_url, every route answers 503.
 */
#ifndef BANDITORE_HTTP_EMAIL_H
#define BANDITORE_HTTP_EMAIL_H

#include <microhttpd.h>
#include <stddef.h>

#include "http/server.h"

#define EMAIL_PREFIX "/email/"

struct email_site;

/* *out is NULL (and 0 returned) when e-mail is not among the platforms. `ctx` is
 * borrowed and must outlive the site. */
int email_site_new(const struct http_ctx *ctx, struct email_site **out);
void email_site_free(struct email_site *es); /* accepts NULL */

/* Answers a request under EMAIL_PREFIX (404 when es is NULL). */
enum MHD_Result email_handle(struct email_site *es, struct MHD_Connection *conn,
			     const char *method, const char *url, const char *body, size_t len,
			     int too_big);

#endif
