/*
 * webhook_whatsapp.h - Meta's webhook: the verification handshake and signed event posts.
 *
 * GET with hub.mode=subscribe and the configured hub.verify_token answers hub.challenge.
 * POST bodies must carry X-Hub-Signature-256 = "sha256=" HMAC-SHA256(app secret, raw
 * body), compared in constant time: missing or wrong → 401 and nothing is stored.
 * Malformed JSON → 400, nothing stored. Otherwise the events go to the writer as one job
 * and the answer (200) waits until they are durable; a failed commit answers 500 so that
 * Meta sends them again (duplicates are recognised by message id).
 *
 * The waiting is asynchronous: webhook_whatsapp_prepare checks and parses the body and
 * gives back a job; the server suspends the connection and submits the job; when the
 * writer has committed, `notify` runs (in the writer's thread) and the server resumes the
 * connection and answers with webhook_whatsapp_finish.
 */
#ifndef BANDITORE_WEBHOOK_WHATSAPP_H
#define BANDITORE_WEBHOOK_WHATSAPP_H

#include <stddef.h>

#include "http/server.h"

/* Checks `header` (may be NULL) against the body; 0 when valid, BANDITORE_EAUTH else. */
int webhook_whatsapp_verify_signature(const char *app_secret, const char *header,
				      const char *body, size_t len);

struct webhook_job;

/* Checks and parses a complete POST. Returns an HTTP status to answer at once (200 for
 * a body with nothing for us, 400, 401, 503), or 0 with *job set: submit it with
 * webhook_whatsapp_submit. `notify(arg)` is called from the writer thread once the job is
 * settled; it must not block. */
int webhook_whatsapp_prepare(const struct http_ctx *ctx, const char *signature,
			     const char *body, size_t len, void (*notify)(void *arg), void *arg,
			     struct webhook_job **job);

/* Hands the job to the writer; non-zero (BANDITORE_ESTOPPED) when it was not taken, in
 * which case notify will not be called. */
int webhook_whatsapp_submit(const struct http_ctx *ctx, struct webhook_job *job);

/* After notify: logs what happened to each event, frees the job, returns the HTTP status
 * to answer (200, or 500/503 when the commit failed). Also frees a job never submitted. */
int webhook_whatsapp_finish(struct webhook_job *job);

/* Handles the GET handshake: status, and on 200 *challenge points into `challenge`. */
int webhook_whatsapp_verify(const struct http_ctx *ctx, const char *mode, const char *token,
			    const char *challenge);

#endif
