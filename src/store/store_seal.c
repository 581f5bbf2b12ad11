/*
 * store_seal.c - the process's seal key for the store, and the sealing of outbox bodies
 * with it (store_seal.h).
 *
 * The key is process-wide rather than per connection: every thread of the daemon opens
 * its own connection (the reply sender among them), and none of them should have to be
 * handed a key to read what another sealed. It is set once at start-up, before the
 * threads exist; the lock only makes a late set or a clear safe.
 */
#include "store/store_seal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/store.h"

#define AAD_LABEL "banditore outbox body v1"
#define AAD_LEN (sizeof(AAD_LABEL) - 1 + 1 + CRYPTO_HASH_LEN)

static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t seal_key[CRYPTO_KEY_LEN];
static int have_key;

void store_seal_key_set(const uint8_t key[CRYPTO_KEY_LEN])
{
	pthread_mutex_lock(&key_lock);
	if (key)
		memcpy(seal_key, key, CRYPTO_KEY_LEN);
	else
		crypto_wipe(seal_key, sizeof(seal_key));
	have_key = key != NULL;
	pthread_mutex_unlock(&key_lock);
}

/* Copies the key into `out`; 0 when there is one. */
static int key_get(uint8_t out[CRYPTO_KEY_LEN])
{
	int ok;

	pthread_mutex_lock(&key_lock);
	ok = have_key;
	if (ok)
		memcpy(out, seal_key, CRYPTO_KEY_LEN);
	pthread_mutex_unlock(&key_lock);
	return ok ? 0 : BANDITORE_ESTATE;
}

static void aad_make(uint8_t aad[AAD_LEN], int platform, const uint8_t addr_hash[CRYPTO_HASH_LEN])
{
	memcpy(aad, AAD_LABEL, sizeof(AAD_LABEL) - 1);
	aad[sizeof(AAD_LABEL) - 1] = (uint8_t)platform;
	memcpy(aad + sizeof(AAD_LABEL), addr_hash, CRYPTO_HASH_LEN);
}

int store_seal_body(int platform, const uint8_t addr_hash[CRYPTO_HASH_LEN], const char *body,
		    size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t key[CRYPTO_KEY_LEN], aad[AAD_LEN], *sealed = NULL;
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = key_get(key);
	if (rc)
		return rc;
	sealed = malloc(len + CRYPTO_SEAL_OVERHEAD);
	if (!sealed) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	aad_make(aad, platform, addr_hash);
	rc = crypto_seal(key, aad, sizeof(aad), body, len, sealed, len + CRYPTO_SEAL_OVERHEAD,
			 out_len);
	if (rc)
		goto fail;
	crypto_wipe(key, sizeof(key));
	*out = sealed;
	return 0;
fail:
	crypto_wipe(key, sizeof(key));
	free(sealed);
	*out_len = 0;
	return rc;
}

int store_open_body(int platform, const uint8_t addr_hash[CRYPTO_HASH_LEN], const uint8_t *in,
		    size_t in_len, char **out)
{
	uint8_t key[CRYPTO_KEY_LEN], aad[AAD_LEN];
	size_t cap, n = 0;
	char *body = NULL;
	int rc;

	*out = NULL;
	if (in_len < CRYPTO_SEAL_OVERHEAD)
		return BANDITORE_ECRYPTO;
	rc = key_get(key);
	if (rc)
		return rc;
	cap = in_len - CRYPTO_SEAL_OVERHEAD;
	body = malloc(cap + 1);
	if (!body) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	aad_make(aad, platform, addr_hash);
	rc = crypto_open(key, aad, sizeof(aad), in, in_len, (uint8_t *)body, cap, &n);
	if (rc)
		goto fail;
	body[n] = '\0';
	crypto_wipe(key, sizeof(key));
	*out = body;
	return 0;
fail:
	crypto_wipe(key, sizeof(key));
	if (body) {
		crypto_wipe(body, cap + 1);
		free(body);
	}
	return rc;
}
