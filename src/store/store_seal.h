/*
 * store_seal.h - sealing what the store would otherwise hold in plaintext (private to
 * src/store/): an outbox row's body, which for a staff reply is what was written to a
 * citizen.
 *
 * The key is the comune's seal key (keyfile_keys.seal), given once per process with
 * store_seal_key_set (store.h). The associated data binds a sealed body to its use, its
 * platform and its recipient's hash, so it cannot be passed off as a sealed address nor
 * moved to another row.
 */
#ifndef BANDITORE_STORE_SEAL_H
#define BANDITORE_STORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"

/* Seals the `len` bytes of `body` for (platform, addr_hash) into a new buffer *out (the
 * caller frees it) of *out_len bytes. BANDITORE_ESTATE when no key was given. */
int store_seal_body(int platform, const uint8_t addr_hash[CRYPTO_HASH_LEN], const char *body,
		    size_t len, uint8_t **out, size_t *out_len);

/* Opens what store_seal_body produced into a new NUL-terminated string *out (the caller
 * wipes and frees it). BANDITORE_ESTATE when no key was given, BANDITORE_ECRYPTO when
 * the bytes were not sealed for this row under this key. */
int store_open_body(int platform, const uint8_t addr_hash[CRYPTO_HASH_LEN], const uint8_t *in,
		    size_t in_len, char **out);

#endif
