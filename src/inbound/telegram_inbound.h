/*
 * telegram_inbound.h - what the comune does with a Telegram update (bot mode).
 *
 *   /start [payload], or a subscribe keyword   join: the chat id is stored sealed and
 *                                              found by keyed hash; the welcome is sent
 *   /stop, or an unsubscribe keyword           leave: everything about the chat is erased
 *                                              at once; the goodbye is sent
 *   my_chat_member "kicked" (blocked the bot)  erase at once, silently (nothing can reach
 *                                              the person any more)
 *   other text                                 the auto-reply, at most once per window
 *                                              (not with [inbound] mode = none)
 *   callback_query (an inline button)          answered, so the client stops waiting
 *
 * Each update is handled once: its update_id, under a keyed hash, is marked in the same
 * transaction as its effects (Telegram retries a webhook it got no 2xx for).
 *
 * Like inbound.h for WhatsApp, the work splits in two: tg_inbound_prepare (hashes, seal;
 * no storage) in the HTTP thread, tg_inbound_apply (SQL only) in the writer, which may
 * run it twice (see writer.h): it changes nothing but the store and *reply.
 *
 * Replies are not queued in the outbox (its bodies are WhatsApp's today): apply says
 * which reply is due in a struct tg_reply, and the webhook hands it, once the change is
 * durable, to the Telegram sender (connectors/telegram_sender.h). A reply lost to a
 * crash between commit and send is not sent again; the change itself is durable.
 */
#ifndef BANDITORE_TELEGRAM_INBOUND_H
#define BANDITORE_TELEGRAM_INBOUND_H

#include <stdint.h>

#include "common/crypto.h"
#include "common/keyfile.h"
#include "config/config.h"
#include "connectors/telegram_update.h"
#include "store/store.h"

struct tg_inbound_ctx {
	const struct config *cfg;        /* borrowed */
	const struct keyfile_keys *keys; /* borrowed */
	char policy_version[65];
	/* The texts citizens read, placeholders expanded and escaped for parse_mode HTML. */
	char *html_join, *html_already, *html_leave, *html_not_subscribed, *html_auto_reply;
	char *html_refused;
};

int tg_inbound_ctx_init(struct tg_inbound_ctx *ctx, const struct config *cfg,
			const struct keyfile_keys *keys);
void tg_inbound_ctx_clear(struct tg_inbound_ctx *ctx);

enum tg_action {
	TG_ACTION_NONE = 0, /* nothing to store (groups, unblocking, unknown kinds) */
	TG_ACTION_JOIN,
	TG_ACTION_LEAVE,
	TG_ACTION_ERASE,    /* blocked: erase without a reply */
	TG_ACTION_TEXT,
	TG_ACTION_CALLBACK,
};

struct tg_prepared {
	const struct tg_update *up;          /* borrowed */
	int action;                          /* enum tg_action */
	int categories;                      /* a /start payload's valid categories (counted) */
	uint8_t event_hash[CRYPTO_HASH_LEN];
	uint8_t hash[CRYPTO_HASH_LEN];       /* of the chat */
	uint8_t block_hash[CRYPTO_HASH_LEN]; /* of the chat, for the blocklist */
	uint8_t sealed[96];                  /* the chat id, sealed */
	size_t sealed_len;
	char chat[24];                       /* the chat id in decimal (wiped on clear) */
	char pseudonym[13];                  /* for the log line */
};

/* What to send once the update's effects are durable. Texts are borrowed from the
 * context; chat and callback_id are copies (wiped by the webhook after use). */
struct tg_reply {
	const char *html;        /* a message to the chat, or NULL */
	char chat[24];
	char callback_id[TG_CALLBACK_ID_MAX + 1]; /* a button to answer, or "" */
	const char *notice;      /* the short text shown for the button */
	/* Replies made for this chat (choosing areas and categories, choices.h): owned,
	 * freed by tg_reply_clear; html then points at html_owned. */
	char *html_owned;
	char *markup;            /* the message's inline keyboard, or NULL */
};

/* Frees what a reply owns and zeroes it (accepts a zeroed reply). */
void tg_reply_clear(struct tg_reply *r);

int tg_inbound_prepare(const struct tg_inbound_ctx *ctx, const struct tg_update *up,
		       struct tg_prepared *p);
void tg_inbound_prepared_clear(struct tg_prepared *p);

/* Applies a prepared update at `now` inside the caller's transaction. *outcome is an
 * enum inbound_outcome (inbound.h); *erased is 1 when an address was erased (the writer
 * then purges the log); *reply says what to send after commit (zeroed first). */
int tg_inbound_apply(struct store *st, const struct tg_inbound_ctx *ctx,
		     const struct tg_prepared *p, int64_t now, int *outcome, int *erased,
		     struct tg_reply *reply);

#endif
