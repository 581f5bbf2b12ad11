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
#include "subscribers/subscribers.h"

struct inbound_ctx {
	const struct config *cfg;        /* borrowed */
	const struct keyfile_keys *keys; /* borrowed */
	char policy_version[65];
	/* The reply texts, placeholders expanded once at start, and the outbox bodies made
	 * from them (built once: every join and leave queues one). */
	char *text_join, *text_already, *text_leave, *text_not_subscribed, *text_auto_reply;
	char *body_join, *body_already, *body_leave, *body_not_subscribed, *body_auto_reply;
	char *body_refused;      /* to a join from an expelled number */
	/* Two-step joining ([keywords] confirm_join): the question with its buttons, the
	 * help to an answer that is neither yes nor no, the answer to "No" and to a "Sì"
	 * with no request waiting (never asked, or forgotten after confirm_within_hours). */
	char *body_confirm_ask, *body_confirm_help, *body_confirm_declined, *body_confirm_none;
	/* The front desk and the moderation queue (joins.h): the texts expanded, and the
	 * reply "your request waits for the comune". */
	char *text_enroll_ask, *text_join_waiting, *text_join_refused;
	char *body_join_waiting;
	/* The list sent right after a join (the areas, else the categories) as a new
	 * subscriber sees it, nothing chosen yet (choices_fresh): built once, since every
	 * join queues it. NULL when the comune offers nothing to choose. */
	char *body_choices_new;
};

/* The method of the consent receipt of a two-step join (the column holds 15 bytes). */
#define INBOUND_METHOD_CONFIRMED "keyword-confirm"
/* The ids of the question's reply buttons. */
#define INBOUND_BUTTON_YES "banditore:join:yes"
#define INBOUND_BUTTON_NO "banditore:join:no"

/* What an answer to the question says: 1 yes ("Sì", "si", "SI", "sì" and the button),
 * 0 no ("No" and its button), -1 anything else. `reply_id` may be NULL or "". */
int inbound_confirm_answer(const char *text, const char *reply_id);

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
	INBOUND_REFUSED,       /* a join from an expelled number: a polite no */
	INBOUND_ASKED,         /* two-step join: the question was sent, the request waits */
	INBOUND_DECLINED,      /* "No" to the question: the request is forgotten */
	INBOUND_CONFIRM_HELP,  /* neither yes nor no while a request waits */
	INBOUND_NO_REQUEST,    /* "Sì" with no request waiting (or an expired one) */
	INBOUND_QUEUED,        /* moderate_joins: the join waits for staff */
	INBOUND_LISTED,        /* the list of areas or categories was sent (choices.h) */
	INBOUND_CHOSEN,        /* a pick from that list changed the subscriber's choice */
};

/* The body of the canned reply `name` ("join", "leave", "not-subscribed", "auto-reply",
 * "choices-new"...: the outbox rows inbound queues name them, store_outbox_item.canned)
 * built from `ctx` (a struct inbound_ctx, const void * to serve as the reply sender's
 * callback), or NULL when there is none by that name. Borrowed from ctx. */
const char *inbound_canned(const void *ctx, const char *name);

/* Prepares the context (expands texts). Free with inbound_ctx_clear. */
int inbound_ctx_init(struct inbound_ctx *ctx, const struct config *cfg,
		     const struct keyfile_keys *keys);
void inbound_ctx_clear(struct inbound_ctx *ctx);

/* An event made ready outside the writer: everything that needs no storage (the
 * canonical sender, its keyed hash and sealed form, the keyed hash of the event id, what
 * the text asks for) is computed by inbound_prepare_whatsapp in the HTTP thread, so the
 * single writer thread only runs SQL. */
enum inbound_intent {
	INBOUND_INTENT_OTHER = 0, INBOUND_INTENT_JOIN, INBOUND_INTENT_LEAVE,
	INBOUND_INTENT_YES, INBOUND_INTENT_NO, /* answers, only with confirm_join or the
						* front desk (assisted_enrollment) */
};

struct inbound_prepared {
	const struct wa_event *ev;          /* borrowed */
	int valid;                          /* 0: skip (a sender that is not a number) */
	int intent;
	uint8_t event_hash[CRYPTO_HASH_LEN];
	uint8_t hash[CRYPTO_HASH_LEN];      /* of the sender, for messages */
	uint8_t block_hash[CRYPTO_HASH_LEN]; /* of the sender, for the blocklist (joins) */
	uint8_t pending_hash[CRYPTO_HASH_LEN]; /* key of its pending two-step join */
	uint8_t sealed[96];                 /* the sender, sealed (an E.164 number fits) */
	size_t sealed_len;
	uint8_t *sealed_text;               /* owned: the text, sealed, in keep mode */
	size_t sealed_text_len;
	char pseudonym[13];                 /* for the log line */
};

/* Prepares `ev`; returns 0 (also for an invalid event: p->valid is then 0) or an error.
 * Release with inbound_prepared_clear. */
int inbound_prepare_whatsapp(const struct inbound_ctx *ctx, const struct wa_event *ev,
			     struct inbound_prepared *p);
void inbound_prepared_clear(struct inbound_prepared *p);

/* Applies a prepared, valid event at time `now`, inside the caller's transaction.
 * *outcome says what happened; *erased is set to 1 when an address was erased (the
 * caller then purges the log). On failure the caller undoes the partial writes. */
int inbound_apply_whatsapp(struct store *st, const struct inbound_ctx *ctx,
			   const struct inbound_prepared *p, int64_t now, int *outcome,
			   int *erased);

/* Builds the outbox body of a free-text reply (caller frees). */
char *inbound_text_body(const char *text);
/* The same, taking `text` (freed; NULL gives NULL). */
char *inbound_text_body_owned(char *text);

/* Short name of an outcome, for logs. */
const char *inbound_outcome_name(int outcome);

#endif
