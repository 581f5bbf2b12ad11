/*
 * webhook_out.h - what the simulator posts to banditore, as Meta posts it.
 *
 * Every body is signed with X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret,
 * raw body)>. Inbound messages (from the control API) are posted at once and their
 * answer reported back; status updates of accepted messages (sent, then delivered, then
 * read) are queued and posted by worker threads, each retried with a growing delay when
 * banditore does not answer 2xx (Meta retries for days; the simulator a few times).
 */
#ifndef BANDITORE_SIM_WEBHOOK_OUT_H
#define BANDITORE_SIM_WEBHOOK_OUT_H

#include <stddef.h>

#include "common/buf.h"
#include "sim/sim.h"

#define SIM_SIGNATURE_MAX 72   /* "sha256=" + 64 hex + NUL */
#define SIM_WEBHOOK_QUEUE_MAX 200000
#define SIM_WEBHOOK_RETRIES 5  /* after the first attempt: 1 s, 2 s, 4 s, 8 s, 16 s */

/* Starts `workers` posting threads for `sim` (borrowed; must outlive the result).
 * Returns NULL when out of memory or when a thread cannot start. */
struct sim_webhook *sim_webhook_new(struct sim *sim, int workers);
/* Stops the workers (waiting for a post in flight) and drops what is still queued. */
void sim_webhook_free(struct sim_webhook *w); /* accepts NULL */

/* Queues sent -> delivered -> read for message `wamid` to `recipient` (wa_id);
 * `biz_opaque` (may be NULL) is echoed in each; `category` is the pricing category
 * ("utility" for templates, "service" for replies in the 24-hour window). Strings are
 * copied. BANDITORE_ECONFIG without a webhook URL, BANDITORE_ETOOBIG when the queue is
 * full (the status is dropped and counted). */
int sim_webhook_queue_statuses(struct sim_webhook *w, const char *wamid, const char *recipient,
			       const char *biz_opaque, const char *category);

/* Writes "sha256=<hex>" of `body` under `secret` into out. */
int sim_webhook_sign(const char *secret, const void *body, size_t len,
		     char out[SIM_SIGNATURE_MAX]);

/* Appends Meta's webhook for a text message `text` that `from` (wa_id), whose profile
 * name is `name`, sent to the business number at unix time `timestamp`. */
int sim_webhook_inbound_body(const struct sim_config *cfg, const char *from, const char *name,
			     const char *wamid, const char *text, long long timestamp,
			     struct buf *out);

/* Posts `body` once to the webhook URL, signed, or with `signature` as the header value
 * when it is not NULL. Sets *status to the HTTP status (0 when no answer came) and
 * appends the answer's body to `response` when it is not NULL (cut at its limit).
 * Returns 0 when an answer came, whatever its status; BANDITORE_EIO when none came;
 * BANDITORE_ECONFIG without a webhook URL. */
int sim_webhook_post(const struct sim_config *cfg, const char *body, size_t len,
		     const char *signature, long *status, struct buf *response);

#endif
