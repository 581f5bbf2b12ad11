/* crypto.c - AES-256-GCM, HMAC-SHA256, HKDF and randomness over OpenSSL 3. */
#include "common/crypto.h"
#include "common/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

int crypto_random(void *out, size_t n)
{
	if (n > (size_t)0x7fffffff)
		return BANDITORE_EINVAL;
	return RAND_bytes(out, (int)n) == 1 ? 0 : BANDITORE_ECRYPTO;
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		       uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int len = 0;
	if (key_len > (size_t)0x7fffffff)
		return BANDITORE_EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &len) ||
	    len != CRYPTO_HASH_LEN)
		return BANDITORE_ECRYPTO;
	return 0;
}

int crypto_sha256(const void *msg, size_t msg_len, uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int len = 0;
	if (EVP_Digest(msg, msg_len, out, &len, EVP_sha256(), NULL) != 1)
		return BANDITORE_ECRYPTO;
	return 0;
}

int crypto_hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t *out,
		size_t out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	int rc = BANDITORE_ECRYPTO;
	size_t len = out_len;

	if (!ctx)
		return BANDITORE_ENOMEM;
	if (EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) <= 0 ||
	    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info, (int)strlen(info)) <= 0 ||
	    EVP_PKEY_derive(ctx, out, &len) <= 0 || len != out_len)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		const void *pt, size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx;
	int len, rc = BANDITORE_ECRYPTO;

	if (pt_len > 65536 || aad_len > 65536 || out_cap < pt_len + CRYPTO_SEAL_OVERHEAD)
		return BANDITORE_ETOOBIG;
	if (crypto_random(out, CRYPTO_NONCE_LEN))
		return BANDITORE_ECRYPTO;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return BANDITORE_ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, out) != 1)
		goto fail;
	if (aad_len && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
		goto fail;
	if (EVP_EncryptUpdate(ctx, out + CRYPTO_NONCE_LEN, &len, pt, (int)pt_len) != 1)
		goto fail;
	if (EVP_EncryptFinal_ex(ctx, out + CRYPTO_NONCE_LEN + len, &len) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN,
				out + CRYPTO_NONCE_LEN + pt_len) != 1)
		goto fail;
	*out_len = pt_len + CRYPTO_SEAL_OVERHEAD;
	rc = 0;
fail:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	EVP_CIPHER_CTX *ctx;
	int len, rc = BANDITORE_ECRYPTO;
	size_t ct_len;
	uint8_t tag[CRYPTO_TAG_LEN];

	if (in_len < CRYPTO_SEAL_OVERHEAD || aad_len > 65536)
		return BANDITORE_EINVAL;
	ct_len = in_len - CRYPTO_SEAL_OVERHEAD;
	if (pt_cap < ct_len)
		return BANDITORE_ETOOBIG;
	memcpy(tag, in + CRYPTO_NONCE_LEN + ct_len, CRYPTO_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return BANDITORE_ENOMEM;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, in) != 1)
		goto fail;
	if (aad_len && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
		goto fail;
	if (EVP_DecryptUpdate(ctx, pt, &len, in + CRYPTO_NONCE_LEN, (int)ct_len) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) != 1)
		goto fail;
	if (EVP_DecryptFinal_ex(ctx, pt + len, &len) != 1) {
		crypto_wipe(pt, ct_len);
		goto fail;
	}
	*pt_len = ct_len;
	rc = 0;
fail:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

void crypto_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int crypto_unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (!hex[2 * i] || !hex[2 * i + 1])
			return BANDITORE_EINVAL;
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return BANDITORE_EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? 0 : BANDITORE_EINVAL;
}

void crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
