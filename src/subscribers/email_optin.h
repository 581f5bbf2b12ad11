/*
 * email_optin.h - e-mail subscriptions: double opt-in, one-click leave, bounces.
 *
 * Joining by e-mail takes two steps, so that nobody can subscribe someone else's
 * address: the request stores a pending join (the address sealed, the link's secret
 * only as a keyed hash) and a confirmation mail carries the link; opening it within
 * EMAIL_OPTIN_TTL makes the subscription, with a consent receipt of method
 * "double-opt-in" and the policy version accepted when asking. A request that is never
 * confirmed is deleted by the daemon's maintenance after EMAIL_OPTIN_TTL, and a link
 * used too late finds nothing (or deletes what it finds): nothing is kept.
 *
 * Leaving (the List-Unsubscribe one-click POST, or the button of the page its GET shows)
 * erases every row about the address at once. Bounces: a delivery status notification
 * (RFC 3464) whose recipients failed permanently (Action: failed, Status 5.x.x) adds one
 * consecutive failure to each of them who is a subscriber, as a WhatsApp "unreachable"
 * does; delivery skips those with [email] unreachable_after failures or more.
 *
 * The *_prepare functions do the crypto outside the store's writer; the others run
 * inside the caller's transaction (a writer job) and return 0 or a BANDITORE_E* code.
 */
#ifndef BANDITORE_EMAIL_OPTIN_H
#define BANDITORE_EMAIL_OPTIN_H

#include <stdint.h>

#include "common/keyfile.h"
#include "store/store.h"

#define EMAIL_OPTIN_TTL (48 * 3600)    /* seconds a confirmation link stays valid */
#define EMAIL_OPTIN_RESEND_MIN 300     /* seconds before another confirmation mail to the
					* same address (no mail bombing through the form) */
#define EMAIL_OPTIN_TOKEN_LEN 43       /* base64url characters of a confirmation secret */
#define EMAIL_OPTIN_METHOD "double-opt-in"
#define EMAIL_DSN_RECIPIENTS_MAX 100

enum email_optin_status {
	EMAIL_OPTIN_STORED = 0,    /* pending join stored: send the confirmation mail */
	EMAIL_OPTIN_SUBSCRIBED,    /* confirmed: the subscription exists now */
	EMAIL_OPTIN_ALREADY,       /* a subscriber already (request: no mail is sent) */
	EMAIL_OPTIN_THROTTLED,     /* asked again too soon: no new mail */
	EMAIL_OPTIN_BLOCKED,       /* expelled (blocklist): nothing stored, no mail */
	EMAIL_OPTIN_EXPIRED,       /* the link is older than EMAIL_OPTIN_TTL: deleted */
	EMAIL_OPTIN_UNKNOWN,       /* no such link (used already, replaced, or never) */
	EMAIL_OPTIN_LEFT,          /* unsubscribed: erased */
	EMAIL_OPTIN_NOT_SUBSCRIBED /* unsubscribe of someone not (or no longer) there */
};

struct email_optin_request {
	char token[EMAIL_OPTIN_TOKEN_LEN + 1]; /* the secret for the confirmation link */
	uint8_t block_hash[CRYPTO_HASH_LEN];
	struct store_pending pending;          /* what email_optin_store keeps */
};

/* Makes a request for `canonical` (an address email_addr_canonical gave): a random
 * secret, its keyed hash, the address's hash and seal. Wipe *out after use. */
int email_optin_prepare(const struct keyfile_keys *keys, const char *canonical,
			const char *policy_version, int64_t now, struct email_optin_request *out);

/* Stores the request unless the address is a subscriber, is blocked, or asked less than
 * EMAIL_OPTIN_RESEND_MIN ago; *status says which (STORED, ALREADY, BLOCKED, THROTTLED). */
int email_optin_store(struct store *st, const struct email_optin_request *r, int64_t now,
		      int *status);

/* The keyed hash of a confirmation secret from a link; BANDITORE_EINVAL when `token` is
 * not a secret's shape. */
int email_optin_token_hash(const struct keyfile_keys *keys, const char *token,
			   uint8_t out[CRYPTO_HASH_LEN]);

/* Confirms the pending join of `token_hash` at `now`: *status SUBSCRIBED, ALREADY (it
 * was confirmed through another link meanwhile: the pending row is gone anyway),
 * EXPIRED (older than EMAIL_OPTIN_TTL: deleted, nothing stored) or UNKNOWN. */
int email_optin_confirm(struct store *st, const uint8_t token_hash[CRYPTO_HASH_LEN], int64_t now,
			int *status);
/* The same, and a new subscriber gets the categories and areas it ticked on the form
 * (masks as in store.h, 0: everything); a confirmation of one already subscribed
 * changes nothing. */
int email_optin_confirm_audience(struct store *st, const uint8_t token_hash[CRYPTO_HASH_LEN],
				 int64_t now, uint64_t categories, uint64_t areas, int *status);

/* Erases the subscriber whose keyed hash is `addr_hash` (from a checked unsubscribe
 * token, email.h) and any pending join of it: *status LEFT or NOT_SUBSCRIBED. */
int email_optin_leave(struct store *st, const uint8_t addr_hash[CRYPTO_HASH_LEN], int64_t now,
		      int *status);

/* Forgets pending joins older than EMAIL_OPTIN_TTL (the maintenance tick). */
int email_optin_expire(struct store *st, int64_t now, int64_t *removed);

/* The recipients a DSN (RFC 3464, the whole message as received) reports as failed
 * permanently: Final-Recipient (or Original-Recipient) "rfc822;" addresses of blocks
 * with Action: failed and a Status of 5.x.x, canonical, at most max. *n how many. */
int email_dsn_failed(const char *dsn, size_t len, char (*out)[256], int max, int *n);

/* Counts one permanent failure against each subscriber the DSN names (those not
 * subscribed are ignored). *counted (may be NULL) how many subscribers were found. */
int email_optin_bounce(struct store *st, const struct keyfile_keys *keys, const char *dsn,
		       size_t len, int *counted);

#endif
