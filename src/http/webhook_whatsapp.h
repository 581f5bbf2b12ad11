/*
 * webhook_whatsapp.h - Meta's webhook: the verification handshake and signed event posts.
 *
 * GET with hub.mode=subscribe and the configured hub.verify_token answers hub.challenge.
 * POST bodies must carry X-Hub-Signature-256 = "sha256=" HMAC-SHA256(app secret, raw
 * body), compared in constant time: missing or wrong → 401 and nothing is stored.
 * Malformed JSON → 400, nothing stored. Otherwise the events go to the writer as one job
 * and the answer (200) waits until they are durable; a failed commit answers 500 so that
 * Meta sends them again (duplicates are recognised by message id).
 */
#ifndef BANDITORE_WEBHOOK_WHATSAPP_H
#define BANDITORE_WEBHOOK_WHATSAPP_H

#include <stddef.h>

#include "http/server.h"

/* Checks `header` (may be NULL) against the body; 0 when valid, BANDITORE_EAUTH else. */
int webhook_whatsapp_verify_signature(const char *app_secret, const char *header,
				      const char *body, size_t len);

/* Handles a complete POST: returns the HTTP status to answer (200, 400, 401, 500, 503). */
int webhook_whatsapp_post(const struct http_ctx *ctx, const char *signature, const char *body,
			  size_t len);

/* Handles the GET handshake: status, and on 200 *challenge points into `challenge`. */
int webhook_whatsapp_verify(const struct http_ctx *ctx, const char *mode, const char *token,
			    const char *challenge);

#endif
