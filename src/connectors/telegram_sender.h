/*
 * telegram_sender.h - a small thread that sends Telegram replies (welcome, goodbye,
 * auto-reply, button answers) after the change that caused them is durable.
 *
 * The outbox (delivery/replies.c) carries WhatsApp bodies today; until it learns other
 * platforms, Telegram's replies go through this in-memory queue: bounded
 * (TELEGRAM_SENDER_QUEUE_MAX, a full queue refuses), paced at the configured rate,
 * honouring 429 retry_after (up to TELEGRAM_SENDER_WAIT_MAX seconds, three tries). The
 * chat ids it holds are wiped as soon as each reply is sent or given up. A reply still
 * queued when the daemon stops gets TELEGRAM_SENDER_DRAIN_MS to go out, then is dropped:
 * a lost welcome is the accepted cost of not persisting chat ids a second time.
 */
#ifndef BANDITORE_TELEGRAM_SENDER_H
#define BANDITORE_TELEGRAM_SENDER_H

#include <stdint.h>

#include "connectors/telegram.h"

#define TELEGRAM_SENDER_QUEUE_MAX 10000
#define TELEGRAM_SENDER_WAIT_MAX 60
#define TELEGRAM_SENDER_DRAIN_MS 5000

struct telegram_sender;

/* Starts the thread with its own connection (settings copied). per_second <= 0: no
 * pacing (tests against a local peer). */
int telegram_sender_start(const struct telegram_settings *ts, int per_second,
			  struct telegram_sender **out);

/* Queues a message (`html`, already escaped) to `chat`, and/or the answer to the button
 * `callback_id` with `notice` (either may be NULL). Copies everything. Returns 0,
 * BANDITORE_ETOOBIG when the queue is full, BANDITORE_ESTOPPED when stopping. */
int telegram_sender_post(struct telegram_sender *s, const char *chat, const char *html,
			 const char *callback_id, const char *notice);

/* The same with an inline keyboard (`markup`, reply_markup JSON, may be NULL) on the
 * message. */
int telegram_sender_post_markup(struct telegram_sender *s, const char *chat, const char *html,
				const char *markup, const char *callback_id, const char *notice);

/* Sends what is queued (for at most TELEGRAM_SENDER_DRAIN_MS) and stops. Accepts NULL. */
void telegram_sender_stop(struct telegram_sender *s);

/* Counts since start: accepted by Telegram, given up. */
void telegram_sender_stats(struct telegram_sender *s, uint64_t *sent, uint64_t *failed);

#endif
