/*
 * crypto.h - the few cryptographic operations Banditore needs, over OpenSSL 3.
 *
 * Addresses are sealed with AES-256-GCM (random 96-bit nonce, stored in front of the
 * ciphertext, tag behind it) and found through HMAC-SHA256 under a separate key, so the
 * database never holds an address in plaintext. Comparisons of secrets are constant-time.
 */
#ifndef BANDITORE_CRYPTO_H
#define BANDITORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN 32
#define CRYPTO_HASH_LEN 32
#define CRYPTO_NONCE_LEN 12
#define CRYPTO_TAG_LEN 16
#define CRYPTO_SEAL_OVERHEAD (CRYPTO_NONCE_LEN + CRYPTO_TAG_LEN)

/* Fills `out` with `n` random bytes from the operating system's CSPRNG. */
int crypto_random(void *out, size_t n);

/* out = HMAC-SHA256(key, msg). */
int crypto_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
		       uint8_t out[CRYPTO_HASH_LEN]);

/* out = SHA-256(msg). */
int crypto_sha256(const void *msg, size_t msg_len, uint8_t out[CRYPTO_HASH_LEN]);

/* HKDF-SHA256 of `ikm` with the label `info`, `out_len` bytes. */
int crypto_hkdf(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t *out,
		size_t out_len);

/* 1 when the n bytes at a and b are equal, 0 otherwise, in time independent of content. */
int crypto_equal(const void *a, const void *b, size_t n);

/* Seals `pt` under `key` with `aad` authenticated: out = nonce | ciphertext | tag.
 * `out_cap` must be at least pt_len + CRYPTO_SEAL_OVERHEAD. */
int crypto_seal(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		const void *pt, size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Opens what crypto_seal produced; BANDITORE_ECRYPTO when the tag does not verify. */
int crypto_open(const uint8_t key[CRYPTO_KEY_LEN], const void *aad, size_t aad_len,
		const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap, size_t *pt_len);

/* Lower-case hex of n bytes into out, which has room for 2n+1 characters. */
void crypto_hex(const uint8_t *in, size_t n, char *out);

/* Parses exactly 2n hex digits into n bytes. */
int crypto_unhex(const char *hex, uint8_t *out, size_t n);

/* Overwrites n bytes so the compiler cannot skip it. */
void crypto_wipe(void *p, size_t n);

#endif
