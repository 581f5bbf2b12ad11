/*
 * inbound.h - what the comune does with a message a citizen sends.
 *
 * A subscribe keyword joins (and the confirmation reply is queued), an unsubscribe keyword
 * erases the person (and the confirmation that the data was erased is queued); anything
 * else gets the configured auto-reply at most once per window, and in keep-until-answered
 * mode is kept sealed for staff. Each platform event is handled once, keyed on a keyed
 * hash of its id (Meta retries for days and sends duplicates).
 *
 * inbound_apply runs inside the caller's transaction (the writer's group commit): the
 * reply is persisted in the outbox together with the state change, before the webhook is
 * acknowledged.
 */
#ifndef BANDITORE_INBOUND_H
#define BANDITORE_INBOUND_H

#include <stdint.h>

#include "common/keyfile.h"
#include "config/config.h"
#include "inbound/whatsapp_payload.h"
#include "store/store.h"

struct inbound_ctx {
	const struct config *cfg;        /* borrowed */
	const struct keyfile_keys *keys; /* borrowed */
	char policy_version[65];
	/* The reply texts, placeholders expanded once at start, and the outbox bodies made
	 * from them (built once: every join and leave queues one). */
	char *text_join, *text_already, *text_leave, *text_not_subscribed, *text_auto_reply;
	char *body_join, *body_already, *body_leave, *body_not_subscribed, *body_auto_reply;
};

enum inbound_outcome {
	INBOUND_DUPLICATE = 1, /* seen before: nothing done */
	INBOUND_JOINED,
	INBOUND_ALREADY,       /* joined again: receipt unchanged */
	INBOUND_LEFT,          /* erased */
	INBOUND_NOT_SUBSCRIBED,
	INBOUND_AUTO_REPLIED,
	INBOUND_KEPT,          /* kept for staff (and maybe auto-replied) */
	INBOUND_IGNORED,       /* nothing to do (within the auto-reply window, no text) */
	INBOUND_STATUS,        /* a delivery status, folded into counters */
};

/* Prepares the context (expands texts). Free with inbound_ctx_clear. */
int inbound_ctx_init(struct inbound_ctx *ctx, const struct config *cfg,
		     const struct keyfile_keys *keys);
void inbound_ctx_clear(struct inbound_ctx *ctx);

/* Applies one WhatsApp event at time `now`. *outcome says what happened; *erased is set
 * to 1 when an address was erased (the caller then purges the log). Returns
 * BANDITORE_EINVAL only for an invalid event (a sender that is not a number), and then
 * before writing anything; any other failure may leave partial writes, which the caller
 * undoes with its savepoint. */
int inbound_apply_whatsapp(struct store *st, const struct inbound_ctx *ctx,
			   const struct wa_event *ev, int64_t now, int *outcome, int *erased);

/* Builds the outbox body of a free-text reply (caller frees). */
char *inbound_text_body(const char *text);

/* Short name of an outcome, for logs. */
const char *inbound_outcome_name(int outcome);

#endif
