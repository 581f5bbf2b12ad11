/* webhook_telegram.c - secret header check, parse, hand to the writer, reply after commit. */
#include "http/webhook_telegram.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "connectors/telegram.h"
#include "connectors/telegram_sender.h"
#include "connectors/telegram_update.h"
#include "inbound/inbound.h"
#include "inbound/telegram_inbound.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webhook_telegram {
	const struct http_ctx *ctx;
	struct tg_inbound_ctx inbound;
	struct telegram_sender *sender;
};

struct tg_job {
	struct writer_job job; /* first: the writer hands it back */
	struct webhook_telegram *wt;
	struct tg_update update;
	struct tg_prepared prepared;
	struct tg_reply reply;
	int outcome;
	int64_t now;
	void (*notify)(void *arg);
	void *notify_arg;
	int rc;
};

int webhook_telegram_check_secret(const char *secret, const char *header)
{
	size_t n;

	if (!secret || !*secret || !header)
		return BANDITORE_EAUTH;
	n = strlen(secret);
	/* The length is not secret (Telegram's rules fix its alphabet, not its size). */
	if (strlen(header) != n || !crypto_equal(secret, header, n))
		return BANDITORE_EAUTH;
	return 0;
}

int webhook_telegram_new(const struct http_ctx *ctx, struct webhook_telegram **out)
{
	const struct config *cfg = ctx->cfg;
	struct webhook_telegram *wt;
	struct telegram_settings ts;
	int rc;

	*out = NULL;
	if (!(cfg->platforms & (1 << PLATFORM_TELEGRAM)) || cfg->tg_mode != TELEGRAM_MODE_BOT)
		return 0;
	wt = calloc(1, sizeof(*wt));
	if (!wt)
		return BANDITORE_ENOMEM;
	wt->ctx = ctx;
	rc = tg_inbound_ctx_init(&wt->inbound, cfg, ctx->keys);
	if (rc) {
		free(wt);
		return rc;
	}
	memset(&ts, 0, sizeof(ts));
	ts.api_base = cfg->tg_api_base;
	ts.bot_token = cfg->tg_bot_token;
	rc = telegram_sender_start(&ts, cfg->tg_messages_per_second, &wt->sender);
	if (rc) {
		tg_inbound_ctx_clear(&wt->inbound);
		free(wt);
		return rc;
	}
	*out = wt;
	return 0;
}

void webhook_telegram_free(struct webhook_telegram *wt)
{
	if (!wt)
		return;
	telegram_sender_stop(wt->sender);
	tg_inbound_ctx_clear(&wt->inbound);
	free(wt);
}

static int job_apply(struct store *st, struct writer_job *job)
{
	struct tg_job *j = (struct tg_job *)job;
	int erased = 0, rc;

	rc = tg_inbound_apply(st, &j->wt->inbound, &j->prepared, j->now, &j->outcome, &erased,
			      &j->reply);
	if (!rc && erased)
		job->erased = 1;
	return rc;
}

static void job_done(struct writer_job *job, int rc)
{
	struct tg_job *j = (struct tg_job *)job;

	j->rc = rc;
	j->notify(j->notify_arg);
}

static void job_free(struct tg_job *j)
{
	tg_inbound_prepared_clear(&j->prepared);
	tg_reply_clear(&j->reply);
	crypto_wipe(&j->reply, sizeof(j->reply));
	crypto_wipe(&j->update, sizeof(j->update));
	free(j);
}

int webhook_telegram_prepare(struct webhook_telegram *wt, const char *secret_header,
			     const char *body, size_t len, void (*notify)(void *arg), void *arg,
			     struct tg_job **job)
{
	struct tg_job *j;

	*job = NULL;
	if (webhook_telegram_check_secret(wt->ctx->cfg->tg_webhook_secret, secret_header)) {
		log_warn("webhook-rejected", "platform=telegram reason=secret");
		return 401;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return 503;
	if (tg_update_parse(body, len, &j->update) != 0) {
		free(j);
		log_warn("webhook-rejected", "platform=telegram reason=malformed");
		return 400;
	}
	if (tg_inbound_prepare(&wt->inbound, &j->update, &j->prepared) != 0) {
		job_free(j);
		return 503;
	}
	if (j->prepared.action == TG_ACTION_NONE) {
		log_debug("inbound", "platform=telegram kind=%s outcome=ignored",
			  tg_update_kind_name(j->update.kind));
		job_free(j);
		return 200;
	}
	j->wt = wt;
	j->now = (int64_t)time(NULL);
	j->job.apply = job_apply;
	j->job.done = job_done;
	j->notify = notify;
	j->notify_arg = arg;
	j->rc = BANDITORE_ESTOPPED;
	*job = j;
	return 0;
}

int webhook_telegram_submit(struct webhook_telegram *wt, struct tg_job *job)
{
	return writer_submit(wt->ctx->writer, &job->job);
}

int webhook_telegram_finish(struct tg_job *j)
{
	int status;

	if (j->rc == 0) {
		const struct tg_reply *r = &j->reply;
		log_info("inbound", "platform=telegram subscriber=%s kind=%s outcome=%s%s",
			 j->prepared.pseudonym, tg_update_kind_name(j->update.kind),
			 inbound_outcome_name(j->outcome),
			 j->prepared.categories ? " categories=selected" : "");
		if (r->html || r->callback_id[0]) {
			int rc = telegram_sender_post_markup(j->wt->sender, r->html ? r->chat : NULL,
							     r->html, r->markup,
							     r->callback_id[0] ? r->callback_id : NULL,
							     r->notice);
			if (rc)
				log_warn("telegram-reply-dropped", "subscriber=%s error=\"%s\"",
					 j->prepared.pseudonym, banditore_strerror(rc));
		}
		status = 200;
	} else {
		log_error("webhook-failed", "platform=telegram error=\"%s\"", banditore_strerror(j->rc));
		status = j->rc == BANDITORE_ESTOPPED ? 503 : 500;
	}
	job_free(j);
	return status;
}
