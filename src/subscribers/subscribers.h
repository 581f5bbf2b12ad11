/*
 * subscribers.h - who receives the comune's messages, and nothing more about them.
 *
 * A subscriber is an address on one platform (a WhatsApp number now; a Telegram chat, an
 * e-mail, a push endpoint later) plus the receipt of the consent it gave. Addresses are
 * held sealed (AES-256-GCM) and found through a keyed hash (HMAC-SHA256); leaving erases
 * every row about the person, and only anonymous daily counts of joins and leaves remain.
 *
 * These functions work inside the caller's transaction on the store they are given.
 */
#ifndef BANDITORE_SUBSCRIBERS_H
#define BANDITORE_SUBSCRIBERS_H

#include <stdint.h>

#include "common/keyfile.h"
#include "store/store.h"

#define SUBSCRIBERS_ADDRESS_MAX 512 /* bytes of a canonical address */
#define SUBSCRIBERS_PSEUDONYM_LEN 12 /* hex characters of a log pseudonym */

/* Brings `address` to its canonical form for `platform` (E.164 for WhatsApp, given with or
 * without "+"; for e-mail, trimmed and lower-cased as email_addr.h says). BANDITORE_EINVAL when it is not a valid address. */
int subscribers_canonical(int platform, const char *address, char *out, size_t out_cap);

/* The keyed hash that finds a canonical address. */
int subscribers_hash(const struct keyfile_keys *keys, int platform, const char *canonical,
		     uint8_t out[CRYPTO_HASH_LEN]);

/* The keyed hash under which an expelled address is kept on the blocklist: its own key
 * (keys->block), so the blocklist cannot be joined with any other table. */
int subscribers_block_hash(const struct keyfile_keys *keys, int platform, const char *canonical,
			   uint8_t out[CRYPTO_HASH_LEN]);

/* A short pseudonym for logs (12 hex characters + NUL), never reversible to the address. */
void subscribers_pseudonym(const struct keyfile_keys *keys, int platform, const char *canonical,
			   char out[SUBSCRIBERS_PSEUDONYM_LEN + 1]);

/* Seals a canonical address for storage; `out` has STORE_SEALED_MAX bytes. */
int subscribers_seal(const struct keyfile_keys *keys, int platform, const char *canonical,
		     uint8_t *out, size_t *out_len);
/* Opens a sealed address into out[out_cap] (NUL-terminated). */
int subscribers_unseal(const struct keyfile_keys *keys, int platform, const uint8_t *sealed,
		       size_t sealed_len, char *out, size_t out_cap);

/* Records that `canonical` joined on `platform` through `method`, accepting the policy
 * version `policy_version` at time `now`. Idempotent: *joined (may be NULL) is 1 for a new
 * subscriber and 0 when it was one already (its receipt is kept as it was). Counts the
 * join in the anonymous daily counters. */
int subscribers_join(struct store *st, const struct keyfile_keys *keys, int platform,
		     const char *canonical, const char *method, const char *policy_version,
		     int64_t now, int *joined);

/* The same, for a caller that already computed the hash and the sealed address (so that
 * this work is done outside the store's single writer thread). */
int subscribers_join_sealed(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			    const uint8_t *sealed, size_t sealed_len, const char *method,
			    const char *policy_version, int64_t now, int *joined);

/* The same with the receipt's detail (a consent given elsewhere: the paper form of a
 * front-desk enrollment) and the time of the person's last message (the 24-hour window's
 * start: a join approved later by staff is not a message from them). */
int subscribers_join_receipt(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			     const uint8_t *sealed, size_t sealed_len, const char *method,
			     const char *consent_detail, const char *policy_version, int64_t now,
			     int64_t last_inbound_at, int *joined);

/* The same for a caller that has just found, in the same transaction, that the address
 * is not a subscriber (store_subscriber_touch said BANDITORE_ENOTFOUND): adds it and its
 * receipt without looking again, and counts the join. */
int subscribers_join_new(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			 const uint8_t *sealed, size_t sealed_len, const char *method,
			 const char *consent_detail, const char *policy_version, int64_t now,
			 int64_t last_inbound_at);

/* Erases everything about `canonical` on `platform`. Returns 0 also when there was
 * nothing; *left (may be NULL) is 1 when a subscriber was erased. Counts the leave. */
int subscribers_leave(struct store *st, const struct keyfile_keys *keys, int platform,
		      const char *canonical, int64_t now, int *left);

/* The same, by hash. */
int subscribers_leave_hash(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int64_t now, int *left);

/* "YYYY-MM-DD" (UTC) of `t` into out[11]. */
void subscribers_day(int64_t t, char out[11]);

#endif
