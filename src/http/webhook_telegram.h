/*
 * webhook_telegram.h - Telegram's webhook (bot mode): POST /webhooks/telegram.
 *
 * Telegram signs nothing: setWebhook's secret_token comes back in the header
 * X-Telegram-Bot-Api-Secret-Token of every update. It is compared in constant time with
 * [telegram] webhook_secret: missing or wrong → 401 and nothing is stored. A body that is
 * not one well-formed Update → 400, nothing stored. Otherwise the update goes to the
 * writer as one job (deduplicated by update_id, see inbound/telegram_inbound.h) and the
 * answer (200) waits until it is durable; a failed commit answers 500 so that Telegram
 * sends it again. The reply it causes (welcome, goodbye, button answer) is handed to the
 * Telegram sender only after the commit.
 *
 * The waiting is asynchronous, as for WhatsApp (webhook_whatsapp.h): prepare gives a job,
 * the server suspends the connection and submits it, `notify` runs in the writer's thread
 * once settled, and the resumed connection answers with webhook_telegram_finish.
 */
#ifndef BANDITORE_WEBHOOK_TELEGRAM_H
#define BANDITORE_WEBHOOK_TELEGRAM_H

#include <stddef.h>

#include "http/server.h"

struct webhook_telegram; /* the inbound context and the reply sender */
struct tg_job;

/* Creates the handler when [telegram] is configured in bot mode (*out = NULL otherwise,
 * and the route answers 404). Starts the reply sender. */
int webhook_telegram_new(const struct http_ctx *ctx, struct webhook_telegram **out);
void webhook_telegram_free(struct webhook_telegram *wt); /* accepts NULL */

/* 0 when `header` (may be NULL) is exactly `secret`, compared in constant time;
 * BANDITORE_EAUTH otherwise (also for an empty secret). */
int webhook_telegram_check_secret(const char *secret, const char *header);

/* Checks and parses a complete POST. Returns a status to answer at once (200 for an
 * update with nothing to store, 400, 401, 503), or 0 with *job set. */
int webhook_telegram_prepare(struct webhook_telegram *wt, const char *secret_header,
			     const char *body, size_t len, void (*notify)(void *arg), void *arg,
			     struct tg_job **job);

/* Hands the job to the writer; non-zero when it was not taken (notify will not run). */
int webhook_telegram_submit(struct webhook_telegram *wt, struct tg_job *job);

/* After notify (or for a job never submitted): logs, queues the reply when the commit
 * succeeded, frees the job, returns the status (200, or 500/503). */
int webhook_telegram_finish(struct tg_job *job);

#endif
