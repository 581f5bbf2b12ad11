/*
 * subscribers.c - joining, leaving and the sealed, hashed addresses behind them.
 *
 * The associated data of every seal is the platform number, so a sealed WhatsApp number
 * cannot be replayed as another platform's address. The hash input is "platform:address"
 * under the index key, so the same number on two platforms gives unrelated hashes.
 */
#include "subscribers/subscribers.h"

#include "common/e164.h"
#include "common/email_addr.h"
#include "common/err.h"
#include "common/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int subscribers_canonical(int platform, const char *address, char *out, size_t out_cap)
{
	size_t len;

	if (!address)
		return BANDITORE_EINVAL;
	if (platform == PLATFORM_WHATSAPP || platform == PLATFORM_SMS) { /* a telephone number */
		char e[E164_MAX];
		int rc = e164_normalize(address, e);
		if (rc)
			return rc;
		if (strlen(e) + 1 > out_cap)
			return BANDITORE_ETOOBIG;
		memcpy(out, e, strlen(e) + 1);
		return 0;
	}
	if (platform == PLATFORM_EMAIL)
		return email_addr_canonical(address, out, out_cap);
	if (!platform_name(platform))
		return BANDITORE_EINVAL;
	len = strlen(address);
	if (len == 0 || len >= SUBSCRIBERS_ADDRESS_MAX || len + 1 > out_cap)
		return BANDITORE_EINVAL;
	memcpy(out, address, len + 1);
	return 0;
}

static int keyed(const uint8_t key[CRYPTO_KEY_LEN], int platform, const char *canonical,
		 uint8_t out[CRYPTO_HASH_LEN])
{
	char msg[SUBSCRIBERS_ADDRESS_MAX + 8];
	int n = snprintf(msg, sizeof(msg), "%d:%s", platform, canonical);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(msg))
		return BANDITORE_ETOOBIG;
	rc = crypto_hmac_sha256(key, CRYPTO_KEY_LEN, msg, (size_t)n, out);
	crypto_wipe(msg, sizeof(msg));
	return rc;
}

int subscribers_hash(const struct keyfile_keys *keys, int platform, const char *canonical,
		     uint8_t out[CRYPTO_HASH_LEN])
{
	return keyed(keys->index, platform, canonical, out);
}

int subscribers_block_hash(const struct keyfile_keys *keys, int platform, const char *canonical,
			   uint8_t out[CRYPTO_HASH_LEN])
{
	return keyed(keys->block, platform, canonical, out);
}

void subscribers_pseudonym(const struct keyfile_keys *keys, int platform, const char *canonical,
			   char out[SUBSCRIBERS_PSEUDONYM_LEN + 1])
{
	uint8_t h[CRYPTO_HASH_LEN];

	if (keyed(keys->pseudo, platform, canonical, h) != 0) {
		memcpy(out, "????????????", SUBSCRIBERS_PSEUDONYM_LEN + 1);
		return;
	}
	crypto_hex(h, SUBSCRIBERS_PSEUDONYM_LEN / 2, out);
}

int subscribers_seal(const struct keyfile_keys *keys, int platform, const char *canonical,
		     uint8_t *out, size_t *out_len)
{
	uint8_t aad = (uint8_t)platform;
	return crypto_seal(keys->seal, &aad, 1, canonical, strlen(canonical), out, STORE_SEALED_MAX,
			   out_len);
}

int subscribers_unseal(const struct keyfile_keys *keys, int platform, const uint8_t *sealed,
		       size_t sealed_len, char *out, size_t out_cap)
{
	uint8_t aad = (uint8_t)platform;
	size_t n = 0;
	int rc;

	if (out_cap == 0)
		return BANDITORE_ETOOBIG;
	rc = crypto_open(keys->seal, &aad, 1, sealed, sealed_len, (uint8_t *)out, out_cap - 1, &n);
	if (rc)
		return rc;
	out[n] = '\0';
	return 0;
}

void subscribers_day(int64_t t, char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	if (strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		memcpy(out, "0000-00-00", 11);
}

int subscribers_join_sealed(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			    const uint8_t *sealed, size_t sealed_len, const char *method,
			    const char *policy_version, int64_t now, int *joined)
{
	return subscribers_join_receipt(st, platform, hash, sealed, sealed_len, method, "",
					policy_version, now, now, joined);
}

int subscribers_join_receipt(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			     const uint8_t *sealed, size_t sealed_len, const char *method,
			     const char *consent_detail, const char *policy_version, int64_t now,
			     int64_t last_inbound_at, int *joined)
{
	int rc;

	if (joined)
		*joined = 0;
	if (sealed_len > STORE_SEALED_MAX)
		return BANDITORE_ETOOBIG;
	rc = store_subscriber_touch(st, platform, hash, last_inbound_at);
	if (rc == 0)
		return 0; /* already a subscriber: the first receipt stands */
	if (rc != BANDITORE_ENOTFOUND)
		return rc;
	rc = subscribers_join_new(st, platform, hash, sealed, sealed_len, method, consent_detail,
				  policy_version, now, last_inbound_at);
	if (!rc && joined)
		*joined = 1;
	return rc;
}

int subscribers_join_new(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			 const uint8_t *sealed, size_t sealed_len, const char *method,
			 const char *consent_detail, const char *policy_version, int64_t now,
			 int64_t last_inbound_at)
{
	struct store_subscriber sub;
	char day[11];
	int rc;

	if (sealed_len > sizeof(sub.sealed))
		return BANDITORE_ETOOBIG;
	memset(&sub, 0, sizeof(sub));
	sub.platform = platform;
	memcpy(sub.addr_hash, hash, CRYPTO_HASH_LEN);
	memcpy(sub.sealed, sealed, sealed_len);
	sub.sealed_len = sealed_len;
	sub.joined_at = now;
	sub.last_inbound_at = last_inbound_at;
	snprintf(sub.method, sizeof(sub.method), "%s", method);
	snprintf(sub.consent_detail, sizeof(sub.consent_detail), "%s", consent_detail);
	snprintf(sub.policy_version, sizeof(sub.policy_version), "%s", policy_version);
	rc = store_subscriber_add(st, &sub, NULL);
	if (rc)
		return rc;
	subscribers_day(now, day);
	return store_counter_add(st, day, platform, "join", 1);
}

int subscribers_join(struct store *st, const struct keyfile_keys *keys, int platform,
		     const char *canonical, const char *method, const char *policy_version,
		     int64_t now, int *joined)
{
	uint8_t hash[CRYPTO_HASH_LEN], sealed[STORE_SEALED_MAX];
	size_t sealed_len = 0;
	int rc;

	rc = subscribers_hash(keys, platform, canonical, hash);
	if (!rc)
		rc = subscribers_seal(keys, platform, canonical, sealed, &sealed_len);
	if (rc)
		return rc;
	return subscribers_join_sealed(st, platform, hash, sealed, sealed_len, method,
				       policy_version, now, joined);
}

int subscribers_leave_hash(struct store *st, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int64_t now, int *left)
{
	char day[11];
	int erased = 0, rc;

	if (left)
		*left = 0;
	rc = store_subscriber_erase(st, platform, hash, &erased);
	if (rc)
		return rc;
	if (!erased)
		return 0;
	subscribers_day(now, day);
	rc = store_counter_add(st, day, platform, "leave", 1);
	if (rc)
		return rc;
	if (left)
		*left = 1;
	return 0;
}

int subscribers_leave(struct store *st, const struct keyfile_keys *keys, int platform,
		      const char *canonical, int64_t now, int *left)
{
	uint8_t hash[CRYPTO_HASH_LEN];
	int rc = subscribers_hash(keys, platform, canonical, hash);

	if (left)
		*left = 0;
	if (rc)
		return rc;
	return subscribers_leave_hash(st, platform, hash, now, left);
}
