/*
 * crypto.c - AES-256-GCM, HMAC-SHA256, HKDF and randomness over OpenSSL 3.
 *
 * These run for every webhook event, so the algorithms are fetched once per process and
 * each thread reuses its own digest and cipher contexts: OpenSSL 3's one-shot HMAC() and
 * implicit fetches look the algorithm up on every call, which cost more than the hashing.
 * HMAC is written out over SHA-256 (RFC 2104) for the same reason.
 *
 * Sealing runs for every reply queued and every address stored, so each thread keeps one
 * AES-GCM context for sealing and one for opening, each remembering the key it was last
 * set up with: the same key again only takes a new nonce (the key schedule and GCM's
 * table are not computed again), and the nonces come from a per-thread reserve filled by
 * RAND_bytes 512 bytes at a time instead of one call per nonce (measured on joins and
 * leaves: 3.7 % of the daemon's CPU was RAND_bytes, 2.8 % setting the key up). Nonces are
 * public; every other use of randomness (keys, tokens) calls RAND_bytes directly. A
 * process forked from this one drops its copy of the reserve (pthread_atfork).
 */
#include "common/crypto.h"
#include "common/err.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHA256_BLOCK 64
#define NONCE_RESERVE 512 /* bytes of nonces drawn from RAND_bytes at once, per thread */

/* One direction of AES-GCM for one thread, and the key it is set up with. */
struct gcm_side {
	EVP_CIPHER_CTX *ctx;
	uint8_t key[CRYPTO_KEY_LEN];
	int keyed;
};

struct thread_gcm {
	struct gcm_side seal, open;
};

static _Thread_local struct {
	size_t left; /* unused bytes, at the end of `bytes` */
	uint8_t bytes[NONCE_RESERVE];
} nonces;

static EVP_MD *sha256_md;
static EVP_CIPHER *gcm_cipher;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key, cipher_key;

static void free_md_ctx(void *p)
{
	EVP_MD_CTX_free(p);
}

static void free_gcm(void *p)
{
	struct thread_gcm *g = p;

	EVP_CIPHER_CTX_free(g->seal.ctx);
	EVP_CIPHER_CTX_free(g->open.ctx);
	crypto_wipe(g, sizeof(*g));
	free(g);
}

/* In a child of fork(): the reserve is the parent's too, and must not be used twice. */
static void drop_nonces(void)
{
	crypto_wipe(&nonces, sizeof(nonces));
}

static void fetch_all(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	pthread_key_create(&md_key, free_md_ctx);
	pthread_key_create(&cipher_key, free_gcm);
	pthread_atfork(NULL, NULL, drop_nonces);
}

/* This thread's digest context, or NULL when out of memory. */
static EVP_MD_CTX *thread_md(void)
{
	EVP_MD_CTX *c;

	pthread_once(&fetch_once, fetch_all);
	if (!sha256_md)
		return NULL;
	c = pthread_getspecific(md_key);
	if (!c && (c = EVP_MD_CTX_new()) && pthread_setspecific(md_key, c) != 0) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* This thread's sealing or opening context, set up for `key` with `nonce` (NULL when out
 * of memory or when OpenSSL fails). */
static EVP_CIPHER_CTX *thread_gcm(int seal, const uint8_t key[CRYPTO_KEY_LEN],
				  const uint8_t *nonce)
{
	struct thread_gcm *g;
	struct gcm_side *side;
	int same, ok;

	pthread_once(&fetch_once, fetch_all);
	if (!gcm_cipher)
		return NULL;
	g = pthread_getspecific(cipher_key);
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g)
			return NULL;
		g->seal.ctx = EVP_CIPHER_CTX_new();
		g->open.ctx = EVP_CIPHER_CTX_new();
		if (!g->seal.ctx || !g->open.ctx || pthread_setspecific(cipher_key, g) != 0) {
			free_gcm(g);
			return NULL;
		}
	}
	side = seal ? &g->seal : &g->open;
	same = side->keyed && CRYPTO_memcmp(side->key, key, CRYPTO_KEY_LEN) == 0;
	side->keyed = 0;
	if (seal)
		ok = EVP_EncryptInit_ex2(side->ctx, same ? NULL : gcm_cipher, same ? NULL : key,
					 nonce, NULL) == 1;
	else
		ok = EVP_DecryptInit_ex2(side->ctx, same ? NULL : gcm_cipher, same ? NULL : key,
					 nonce, NULL) == 1;
	if (!ok)
		return NULL;
	memcpy(side->key, key, CRYPTO_KEY_LEN);
	side->keyed = 1;
	return side->ctx;
}

/* A fresh nonce from this thread's reserve. */
static int next_nonce(uint8_t out[CRYPTO_NONCE_LEN])
{
	uint8_t *p;

	if (nonces.left < CRYPTO_NONCE_LEN) {
		if (RAND_bytes(nonces.bytes, (int)sizeof(nonces.bytes)) != 1)
			return BANDITORE_ECRYPTO;
		nonces.left = sizeof(nonces.bytes);
	}
	p = nonces.bytes + sizeof(nonces.bytes) - nonces.left;
	memcpy(out, p, CRYPTO_NONCE_LEN);
	crypto_wipe(p, CRYPTO_NONCE_LEN); /* handed out once */
	nonces.left -= CRYPTO_NONCE_LEN;
	return 0;
}

int crypto_random(void *out, size_t n)
{
	if (n > (size_t)0x7fffffff)
		return BANDITORE_EINVAL;
	return RAND_bytes(out, (int)n) == 1 ? 0 : BANDITORE_ECRYPTO;
}

int crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		       uint8_t out[CRYPTO_HASH_LEN])
{
	uint8_t k[SHA256_BLOCK], pad[SHA256_BLOCK], inner[CRYPTO_HASH_LEN];
	EVP_MD_CTX *c = thread_md();
	int rc = BANDITORE_ECRYPTO;

	if (!c)
		return BANDITORE_ENOMEM;
	memset(k, 0, sizeof(k));
	if (key_len > SHA256_BLOCK) {
		if (crypto_sha256(key, key_len, k) != 0)
			return BANDITORE_ECRYPTO;
	} else if (key_len) {
		memcpy(k, key, key_len);
	}
	for (int i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (EVP_DigestInit_ex(c, sha256_md, NULL) != 1 || EVP_DigestUpdate(c, pad, sizeof(pad)) != 1 ||
	    EVP_DigestUpdate(c, msg, msg_len) != 1 || EVP_DigestFinal_ex(c, inner, NULL) != 1)
		goto fail;
	for (int i = 0; i < SHA256_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (EVP_DigestInit_ex(c, sha256_md, NULL) != 1 || EVP_DigestUpdate(c, pad, sizeof(pad)) != 1 ||
	    EVP_DigestUpdate(c, inner, sizeof(inner)) != 1 || EVP_DigestFinal_ex(c, out, NULL) != 1)
		goto fail;
	rc = 0;
fail:
	crypto_wipe(k, sizeof(k));
	crypto_wipe(pad, sizeof(pad));
	crypto_wipe(inner, sizeof(inner));
	return rc;
}

int crypto_sha256(const void *msg, size_t msg_len, uint8_t out[CRYPTO_HASH_LEN])
{
	EVP_MD_CTX *c = thread_md();

	if (!c)
		return BANDITORE_ENOMEM;
	if (EVP_DigestInit_ex(c, sha256_md, NULL) != 1 || EVP_DigestUpdate(c, msg, msg_len) != 1 ||
	    EVP_DigestFinal_ex(c, out, NULL) != 1)
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
	int len;

	if (pt_len > 65536 || aad_len > 65536 || out_cap < pt_len + CRYPTO_SEAL_OVERHEAD)
		return BANDITORE_ETOOBIG;
	if (next_nonce(out))
		return BANDITORE_ECRYPTO;
	ctx = thread_gcm(1, key, out);
	if (!ctx)
		return BANDITORE_ECRYPTO;
	if (aad_len && EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_EncryptUpdate(ctx, out + CRYPTO_NONCE_LEN, &len, pt, (int)pt_len) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_EncryptFinal_ex(ctx, out + CRYPTO_NONCE_LEN + len, &len) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN,
				out + CRYPTO_NONCE_LEN + pt_len) != 1)
		return BANDITORE_ECRYPTO;
	*out_len = pt_len + CRYPTO_SEAL_OVERHEAD;
	return 0;
}

int crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap, size_t *pt_len)
{
	EVP_CIPHER_CTX *ctx;
	int len;
	size_t ct_len;
	uint8_t tag[CRYPTO_TAG_LEN];

	if (in_len < CRYPTO_SEAL_OVERHEAD || aad_len > 65536)
		return BANDITORE_EINVAL;
	ct_len = in_len - CRYPTO_SEAL_OVERHEAD;
	if (pt_cap < ct_len)
		return BANDITORE_ETOOBIG;
	memcpy(tag, in + CRYPTO_NONCE_LEN + ct_len, CRYPTO_TAG_LEN);
	ctx = thread_gcm(0, key, in);
	if (!ctx)
		return BANDITORE_ECRYPTO;
	if (aad_len && EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_DecryptUpdate(ctx, pt, &len, in + CRYPTO_NONCE_LEN, (int)ct_len) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) != 1)
		return BANDITORE_ECRYPTO;
	if (EVP_DecryptFinal_ex(ctx, pt + len, &len) != 1) {
		crypto_wipe(pt, ct_len);
		return BANDITORE_ECRYPTO;
	}
	*pt_len = ct_len;
	return 0;
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
