/*
 * webpush_subscribers.h - browser push subscriptions as subscribers.
 *
 * A push subscriber is stored like every other (subscribers.h): one row of platform
 * PLATFORM_WEBPUSH whose keyed hash is that of the endpoint URL alone (so it is found
 * again from the endpoint, when the browser unsubscribes or the push service answers
 * 404/410), and whose sealed blob holds the whole subscription, endpoint and keys
 * together ("P256DH AUTH ENDPOINT", see webpush_subscription_format). Nothing else about
 * the person exists: no IP address, no browser name, no time beyond the consent receipt.
 *
 * Functions that touch the store run inside the caller's transaction (the writer's job).
 */
#ifndef BANDITORE_WEBPUSH_SUBSCRIBERS_H
#define BANDITORE_WEBPUSH_SUBSCRIBERS_H

#include <stdint.h>

#include "common/keyfile.h"
#include "connectors/webpush.h"
#include "store/store.h"

/* The hash and the sealed blob of `sub` (sealed[STORE_SEALED_MAX]): work done outside
 * the writer thread, before the job. Returns 0 or a BANDITORE_E* code. */
int webpush_subscribers_prepare(const struct keyfile_keys *keys,
				const struct webpush_subscription *sub,
				uint8_t hash[CRYPTO_HASH_LEN], uint8_t *sealed, size_t *sealed_len);

/* The keyed hash of an endpoint (what finds its subscriber). */
int webpush_subscribers_hash(const struct keyfile_keys *keys, const char *endpoint,
			     uint8_t hash[CRYPTO_HASH_LEN]);

/* Joins (idempotent; *joined 1 when new), with method "push" and the policy version the
 * page showed. In the writer's transaction. */
int webpush_subscribers_join(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN],
			     const uint8_t *sealed, size_t sealed_len, const char *policy_version,
			     int64_t now, int *joined);

/* Erases the subscriber of `hash` at once (unsubscribe, or the push service answered 404
 * or 410: webpush_result_gone()). *left (may be NULL) is 1 when one was erased. */
int webpush_subscribers_gone(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN], int64_t now,
			     int *left);

/* Opens a stored subscriber's sealed bytes (store_subscriber.sealed or
 * store_recipient.sealed) into the subscription to send to. `flags` as
 * webpush_subscription_parse (WEBPUSH_ALLOW_INSECURE in tests). */
int webpush_subscribers_open(const struct keyfile_keys *keys, const uint8_t *sealed,
			     size_t sealed_len, int flags, struct webpush_subscription *out);

#endif
