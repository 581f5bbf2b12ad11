/* webhook_whatsapp.c - signature check, parse, hand to the writer, wait until durable. */
#include "http/webhook_whatsapp.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webhook_job {
	struct writer_job job; /* first: the writer hands it back */
	const struct http_ctx *ctx;
	struct wa_payload payload;
	struct inbound_prepared *prepared; /* one per event, made in the HTTP thread */
	int *outcomes;         /* one per event, for the log lines after commit */
	int64_t now;
	void (*notify)(void *arg);
	void *notify_arg;
	int rc;
};

int webhook_whatsapp_verify_signature(const char *app_secret, const char *header,
				      const char *body, size_t len)
{
	uint8_t mac[CRYPTO_HASH_LEN], given[CRYPTO_HASH_LEN];

	if (!app_secret || !*app_secret || !header || strncmp(header, "sha256=", 7) != 0)
		return BANDITORE_EAUTH;
	if (crypto_unhex(header + 7, given, sizeof(given)) != 0)
		return BANDITORE_EAUTH;
	if (crypto_hmac_sha256(app_secret, strlen(app_secret), body, len, mac) != 0)
		return BANDITORE_EAUTH;
	return crypto_equal(mac, given, sizeof(mac)) ? 0 : BANDITORE_EAUTH;
}

/* Runs in the writer's savepoint for this job: if a store error stops one event, the
 * whole webhook is undone and answered 500, and Meta's retry brings it again (events
 * already processed are then recognised as duplicates). Invalid input never fails here:
 * inbound_apply_whatsapp checks an event before it writes anything. */
static int job_apply(struct store *st, struct writer_job *job)
{
	struct webhook_job *w = (struct webhook_job *)job;

	for (int i = 0; i < w->payload.count; i++) {
		int erased = 0;
		int rc;

		if (!w->prepared[i].valid) {
			w->outcomes[i] = -BANDITORE_EINVAL; /* skipped: nothing written */
			continue;
		}
		rc = inbound_apply_whatsapp(st, w->ctx->inbound, &w->prepared[i], w->now,
					    &w->outcomes[i], &erased);
		if (rc)
			return rc;
		if (erased)
			job->erased = 1;
	}
	return 0;
}

static void job_done(struct writer_job *job, int rc)
{
	struct webhook_job *w = (struct webhook_job *)job;

	w->rc = rc;
	w->notify(w->notify_arg);
}

static void log_outcomes(const struct webhook_job *w)
{
	for (int i = 0; i < w->payload.count; i++) {
		const struct wa_event *ev = &w->payload.events[i];
		const char *pseudo = w->prepared[i].pseudonym;

		if (w->outcomes[i] < 0)
			log_warn("inbound-rejected", "platform=whatsapp subscriber=%s error=\"%s\"",
				 pseudo, banditore_strerror(-w->outcomes[i]));
		else if (ev->kind == WA_EVENT_MESSAGE)
			log_info("inbound", "platform=whatsapp subscriber=%s outcome=%s", pseudo,
				 inbound_outcome_name(w->outcomes[i]));
		else
			log_debug("status", "platform=whatsapp status=%s outcome=%s", ev->type,
				  inbound_outcome_name(w->outcomes[i]));
	}
}

static void job_free(struct webhook_job *w)
{
	if (w->prepared)
		for (int i = 0; i < w->payload.count; i++)
			inbound_prepared_clear(&w->prepared[i]);
	free(w->prepared);
	free(w->outcomes);
	wa_payload_free(&w->payload);
	free(w);
}

int webhook_whatsapp_prepare(const struct http_ctx *ctx, const char *signature,
			     const char *body, size_t len, void (*notify)(void *arg), void *arg,
			     struct webhook_job **job)
{
	struct webhook_job *w;

	*job = NULL;
	if (webhook_whatsapp_verify_signature(ctx->cfg->wa_app_secret, signature, body, len)) {
		log_warn("webhook-rejected", "platform=whatsapp reason=signature");
		return 401;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return 503;
	if (wa_payload_parse(body, len, &w->payload) != 0) {
		free(w);
		log_warn("webhook-rejected", "platform=whatsapp reason=malformed");
		return 400;
	}
	if (w->payload.count == 0) {
		wa_payload_free(&w->payload);
		free(w);
		return 200; /* nothing for us (another field): acknowledge */
	}
	w->outcomes = calloc((size_t)w->payload.count, sizeof(int));
	w->prepared = calloc((size_t)w->payload.count, sizeof(*w->prepared));
	if (!w->outcomes || !w->prepared) {
		job_free(w);
		return 503;
	}
	for (int i = 0; i < w->payload.count; i++) {
		if (inbound_prepare_whatsapp(ctx->inbound, &w->payload.events[i], &w->prepared[i])) {
			job_free(w);
			return 503;
		}
	}
	w->ctx = ctx;
	w->now = (int64_t)time(NULL);
	w->job.apply = job_apply;
	w->job.done = job_done;
	w->notify = notify;
	w->notify_arg = arg;
	w->rc = BANDITORE_ESTOPPED;
	*job = w;
	return 0;
}

int webhook_whatsapp_submit(const struct http_ctx *ctx, struct webhook_job *job)
{
	return writer_submit(ctx->writer, &job->job);
}

int webhook_whatsapp_finish(struct webhook_job *w)
{
	int status;

	if (w->rc == 0) {
		log_outcomes(w);
		status = 200;
	} else {
		log_error("webhook-failed", "platform=whatsapp error=\"%s\"", banditore_strerror(w->rc));
		status = w->rc == BANDITORE_ESTOPPED ? 503 : 500;
	}
	job_free(w);
	return status;
}

int webhook_whatsapp_verify(const struct http_ctx *ctx, const char *mode, const char *token,
			    const char *challenge)
{
	const char *want = ctx->cfg->wa_verify_token;

	if (!mode || strcmp(mode, "subscribe") || !token || !challenge || !want || !*want)
		return 403;
	if (strlen(token) != strlen(want) || !crypto_equal(token, want, strlen(want)))
		return 403;
	if (strlen(challenge) > 256)
		return 400;
	return 200;
}
