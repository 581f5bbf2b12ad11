/*
 * keyfile.h - the comune's master key, and the keys derived from it.
 *
 * `banditore init` writes 32 random bytes, hex-encoded, to a file of mode 0600. Every
 * other key is derived from it with HKDF under its own label, so one file holds all
 * there is to protect and to back up. Losing it makes stored addresses unreadable.
 */
#ifndef BANDITORE_KEYFILE_H
#define BANDITORE_KEYFILE_H

#include "common/crypto.h"

struct keyfile_keys {
	uint8_t seal[CRYPTO_KEY_LEN];   /* AES-256-GCM for addresses and kept messages */
	uint8_t index[CRYPTO_KEY_LEN];  /* HMAC to find an address without decrypting */
	uint8_t pseudo[CRYPTO_KEY_LEN]; /* HMAC for pseudonyms in logs */
	uint8_t event[CRYPTO_KEY_LEN];  /* HMAC of platform event ids, for deduplication */
	uint8_t audit[CRYPTO_KEY_LEN];  /* HMAC of the audit log's chain (audit.h) */
	uint8_t block[CRYPTO_KEY_LEN];  /* HMAC of expelled addresses (blocklist) */
	uint8_t vapid[CRYPTO_KEY_LEN];  /* seed of the web push VAPID key (webpush.h): derived,
					 * so it lives exactly as long as the sealed
					 * subscriptions it signs for */
	uint8_t email[CRYPTO_KEY_LEN];  /* HMAC of e-mail unsubscribe tokens and confirmations */
};

/* Creates a new key file at `path` (O_EXCL, mode 0600). BANDITORE_EEXIST if present. */
int keyfile_create(const char *path);

/* Reads the key file at `path` and derives the keys. Refuses (BANDITORE_EPERM) a file
 * that others may read. */
int keyfile_load(const char *path, struct keyfile_keys *keys);

#endif
