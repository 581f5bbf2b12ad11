/*
 * webhook_sms.h - inbound SMS: where the comune's SMS gateway forwards what citizens
 * send to the comune's SMS number, so that they join and leave by keyword as on WhatsApp.
 *
 *   POST (or GET) /webhooks/sms   the gateway's forward: a form or JSON body (by its
 *                                 Content-Type) or query parameters, with the sender and
 *                                 the text in the fields [sms] inbound_from_field and
 *                                 inbound_text_field name (keys or JSON pointers), and
 *                                 optionally the gateway's id of the SMS
 *                                 (inbound_id_field: repeated forwards are then done once).
 *
 * The gateway proves itself with the shared secret ([sms] webhook_secret) in the header
 * [sms] webhook_header, or in the query parameter webhook_param when the gateway cannot
 * set headers; it is compared in constant time. 401 when it is missing or wrong, and
 * nothing is stored.
 *
 * A subscribe keyword joins (consent receipt method "keyword", as on WhatsApp), an
 * unsubscribe keyword erases everything about the number at once, and the writer purges
 * the log. Anything else is acknowledged and forgotten: SMS cost money, so there is no
 * auto-reply, and the text is never stored.
 *
 * The confirmation (joined, already subscribed, left, not subscribed, refused) is sent by
 * this module directly, through its own SMS connector on its own thread, after the change
 * is durable and the gateway has been answered: it is not in the outbox (this round), so
 * a confirmation still queued when the daemon stops is lost (the change itself is not).
 * The queue holds the number sealed, at most WEBHOOK_SMS_QUEUE_MAX replies; each is tried
 * up to 5 times when the gateway asks to retry.
 *
 * Only when sms is among the configured platforms and the webhook secret is set;
 * otherwise the route answers 404.
 */
#ifndef BANDITORE_WEBHOOK_SMS_H
#define BANDITORE_WEBHOOK_SMS_H

#include <microhttpd.h>
#include <stddef.h>

#include "http/server.h"

#define WEBHOOK_SMS_PATH "/webhooks/sms"
#define WEBHOOK_SMS_QUEUE_MAX 1024

struct sms_site;

/* *out is NULL (and 0 returned) when SMS is not configured. `ctx` is borrowed. */
int sms_site_new(const struct http_ctx *ctx, struct sms_site **out);
/* Stops the reply thread (replies still queued are dropped, wiped). Accepts NULL. */
void sms_site_free(struct sms_site *site);

/* Answers a request to WEBHOOK_SMS_PATH (`body` the complete request body). */
enum MHD_Result sms_site_handle(struct sms_site *site, struct MHD_Connection *conn,
				const char *method, const char *body, size_t len, int too_big);

#endif
