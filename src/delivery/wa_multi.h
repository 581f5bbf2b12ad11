/*
 * wa_multi.h - many WhatsApp sends in flight on one thread (libcurl's multi interface).
 *
 * A pool of `slots` connectors (connectors/whatsapp.h), each one transfer: a send takes
 * a free slot, copies the body into it and adds it to the multi handle; the multi handle
 * keeps the connections alive between sends and multiplexes them over HTTP/2 when the
 * server offers it (https), or opens up to `slots` HTTP/1.1 connections otherwise.
 * Finished transfers are classified by the connector, exactly as a blocking send.
 *
 * One thread drives it (wa_multi_send, wa_multi_poll, wa_multi_done) while the HTTP
 * work runs on worker threads of its own (two on a machine with two cores or more); wa_multi_wakeup may be called from any thread
 * to end a wa_multi_poll early. Bodies hold recipients' numbers: each slot's copy is
 * wiped when its transfer ends.
 */
#ifndef BANDITORE_WA_MULTI_H
#define BANDITORE_WA_MULTI_H

#include <stddef.h>
#include <stdint.h>

#include "connectors/whatsapp.h"

#define WA_MULTI_SLOTS_MAX 1024
#define WA_MULTI_BODY_MAX 65536

struct wa_multi;

/* `ws` as for whatsapp_new (copied); `slots` 1..WA_MULTI_SLOTS_MAX. */
int wa_multi_new(const struct whatsapp_settings *ws, int slots, struct wa_multi **out);
void wa_multi_free(struct wa_multi *m); /* abandons transfers in flight; accepts NULL */

/* Transfers in flight, and slots free. */
int wa_multi_in_flight(const struct wa_multi *m);
int wa_multi_free_slots(const struct wa_multi *m);

/* Starts posting `body` (copied) tagged `tag`. BANDITORE_ETEMP when no slot is free,
 * ETOOBIG for a body over WA_MULTI_BODY_MAX, ENOMEM. The request is written on the next
 * wa_multi_poll (or wa_multi_perform). */
int wa_multi_send(struct wa_multi *m, const char *body, size_t len, uint64_t tag);

/* Lets curl run its due time-outs now (new transfers start this way), without waiting. */
int wa_multi_perform(struct wa_multi *m);

/* Waits up to timeout_ms (less when curl has a time-out due) for network activity, a
 * wake-up, or `extra_fd` (>= 0: e.g. a timerfd, watched from then on; *extra_ready is
 * set when it became readable), and lets curl handle what is ready. */
int wa_multi_poll(struct wa_multi *m, int timeout_ms, int extra_fd, int *extra_ready);

/* Takes one finished transfer: returns 1 and fills *tag and *res, or 0 when none. */
int wa_multi_done(struct wa_multi *m, uint64_t *tag, struct connector_result *res);

/* Changes the tag of the transfer in flight tagged `from` to `to`. ENOTFOUND when none. */
int wa_multi_retag(struct wa_multi *m, uint64_t from, uint64_t to);

/* Ends a wa_multi_poll now. Safe from any thread. */
void wa_multi_wakeup(struct wa_multi *m);

#endif
