/*
 * tokens.h - API tokens: the bearer secrets with which the comune's other systems use
 * the JSON API.
 *
 * A secret is "bnd_" followed by 32 random bytes in base64url (43 characters). It is
 * shown once, when made; the store keeps only its SHA-256, so a copy of the database
 * gives no access. A token has a unique name (who or what uses it) and scopes; revoking
 * it takes effect on the next request.
 */
#ifndef BANDITORE_TOKENS_H
#define BANDITORE_TOKENS_H

#include <stdint.h>

#include "store/store.h"

#define TOKENS_PREFIX "bnd_"
#define TOKENS_SECRET_MAX 64   /* room for a secret with its NUL (47 + 1 used) */
#define TOKENS_PRESENTED_MAX 256 /* longer bearer values are refused unread */

#define TOKENS_SCOPE_READ "messages:read"
#define TOKENS_SCOPE_WRITE "messages:write"   /* compose, propose, approve, reject, cancel */
#define TOKENS_SCOPE_SUBSCRIBERS_READ "subscribers:read"   /* counts */
#define TOKENS_SCOPE_SUBSCRIBERS_WRITE "subscribers:write" /* erase, warn, expel */
#define TOKENS_SCOPE_TOKENS "tokens:manage"
#define TOKENS_SCOPE_AUDIT "audit:read"
#define TOKENS_SCOPE_INBOX "inbox:manage"   /* kept private messages: read, answer, delete */
/* Numbers in full where they are otherwise shown masked (the join queue): apart from
 * subscribers:write, so that a desk or moderation tool can act without reading them. */
#define TOKENS_SCOPE_NUMBERS "subscribers:numbers"
#define TOKENS_SCOPES_DEFAULT TOKENS_SCOPE_READ " " TOKENS_SCOPE_WRITE
/* Every scope, for help texts and errors. */
#define TOKENS_SCOPES_ALL                                                                     \
	TOKENS_SCOPE_READ ", " TOKENS_SCOPE_WRITE ", " TOKENS_SCOPE_SUBSCRIBERS_READ ", "         \
	TOKENS_SCOPE_SUBSCRIBERS_WRITE ", " TOKENS_SCOPE_NUMBERS ", " TOKENS_SCOPE_INBOX ", "     \
	TOKENS_SCOPE_TOKENS ", " TOKENS_SCOPE_AUDIT

/* 1 when `name` is a valid token name: 1..63 of [A-Za-z0-9._-]. */
int tokens_name_valid(const char *name);

/* 1 when `scopes` is a space-separated list of known scopes (messages:read,
 * messages:write, subscribers:read, subscribers:write, tokens:manage, audit:read,
 * inbox:manage), at
 * least one, fitting the store. */
int tokens_scopes_valid(const char *scopes);

/* The SHA-256 under which the secret `secret` is stored. */
int tokens_hash(const char *secret, uint8_t out[CRYPTO_HASH_LEN]);

/* Makes a token called `name` with `scopes` (NULL: TOKENS_SCOPES_DEFAULT) at `now`:
 * writes its secret into `secret` (the only time it exists outside the caller's hands;
 * wipe it after use) and stores its hash. BANDITORE_EINVAL for a bad name or scopes,
 * BANDITORE_EEXIST when a valid token has that name. `id` may be NULL. */
int tokens_create(struct store *st, const char *name, const char *scopes, int64_t now,
		  char secret[TOKENS_SECRET_MAX], int64_t *id);

/* tokens_create for staff account `owner` (NULL or "": none): revoking that account, or
 * its decree ending, revokes the token too. */
int tokens_create_owned(struct store *st, const char *name, const char *scopes,
			const char *owner, int64_t now, char secret[TOKENS_SECRET_MAX], int64_t *id);

/* Checks a presented secret: 0 with *out filled when it is a valid (not revoked) token
 * holding `scope` (NULL: any); BANDITORE_EAUTH when it is unknown or revoked;
 * BANDITORE_EPERM when it lacks the scope; other codes for store failures. */
int tokens_verify(struct store *st, const char *secret, const char *scope, struct store_token *out);

/* 1 when token `t` holds `scope`. */
int tokens_has_scope(const struct store_token *t, const char *scope);

/* Revokes the valid token called `name` at `now`; BANDITORE_ENOTFOUND when none. */
int tokens_revoke(struct store *st, const char *name, int64_t now);

/* Up to `max` tokens (revoked ones too), oldest first. */
int tokens_list(struct store *st, struct store_token *out, int max, int *n);

#endif
