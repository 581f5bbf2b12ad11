/* webpush_subscribers.c - push subscriptions sealed, hashed, joined and erased. */
#include "subscribers/webpush_subscribers.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/platform.h"
#include "subscribers/subscribers.h"

#include <string.h>

#define SEALED_TEXT_MAX (WEBPUSH_PUBLIC_B64_LEN + WEBPUSH_AUTH_B64_LEN + WEBPUSH_ENDPOINT_MAX + 4)

int webpush_subscribers_hash(const struct keyfile_keys *keys, const char *endpoint,
			     uint8_t hash[CRYPTO_HASH_LEN])
{
	return subscribers_hash(keys, PLATFORM_WEBPUSH, endpoint, hash);
}

int webpush_subscribers_prepare(const struct keyfile_keys *keys,
				const struct webpush_subscription *sub,
				uint8_t hash[CRYPTO_HASH_LEN], uint8_t *sealed, size_t *sealed_len)
{
	char text[SEALED_TEXT_MAX];
	int rc;

	rc = webpush_subscribers_hash(keys, sub->endpoint, hash);
	if (!rc)
		rc = webpush_subscription_format(sub, text, sizeof(text));
	if (!rc)
		rc = subscribers_seal(keys, PLATFORM_WEBPUSH, text, sealed, sealed_len);
	crypto_wipe(text, sizeof(text));
	return rc;
}

int webpush_subscribers_join(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN],
			     const uint8_t *sealed, size_t sealed_len, const char *policy_version,
			     int64_t now, int *joined)
{
	return subscribers_join_sealed(st, PLATFORM_WEBPUSH, hash, sealed, sealed_len, "push",
				       policy_version, now, joined);
}

int webpush_subscribers_gone(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN], int64_t now,
			     int *left)
{
	return subscribers_leave_hash(st, PLATFORM_WEBPUSH, hash, now, left);
}

int webpush_subscribers_open(const struct keyfile_keys *keys, const uint8_t *sealed,
			     size_t sealed_len, int flags, struct webpush_subscription *out)
{
	char text[SEALED_TEXT_MAX];
	int rc;

	rc = subscribers_unseal(keys, PLATFORM_WEBPUSH, sealed, sealed_len, text, sizeof(text));
	if (!rc)
		rc = webpush_subscription_read(text, flags, out);
	crypto_wipe(text, sizeof(text));
	return rc;
}
