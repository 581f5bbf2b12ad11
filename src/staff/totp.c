/*
 * totp.c - the optional second factor: time-based one-time passwords (RFC 6238) over
 * HOTP (RFC 4226) with HMAC-SHA1 and 30-second steps, as authenticator apps make them.
 *
 * A code is accepted one step either side of now (clocks drift), and only for a step
 * after the last one accepted, so a code seen over a shoulder cannot be used again. The
 * secret is kept sealed with the data folder's key, bound to the account's name.
 */
#include "staff/staff.h"

#include "common/crypto.h"
#include "common/err.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#define AAD_PREFIX "totp:"

int staff_totp_code(const uint8_t *secret, size_t len, int64_t step, int digits, uint32_t *code)
{
	static const uint32_t mod[] = { 1000000u, 10000000u, 100000000u };
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	uint32_t bin;
	int off;

	if (!secret || !code || digits < 6 || digits > 8 || step < 0 || len == 0 || len > 64)
		return BANDITORE_EINVAL;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(step & 0xff);
		step >>= 8;
	}
	if (!HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), mac, &mac_len) || mac_len < 20)
		return BANDITORE_ECRYPTO;
	off = mac[mac_len - 1] & 0x0f; /* dynamic truncation, RFC 4226 section 5.3 */
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	      ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	*code = bin % mod[digits - 6];
	crypto_wipe(mac, sizeof(mac));
	return 0;
}

int staff_totp_check(const uint8_t *secret, size_t len, const char *code, int64_t now,
		     int64_t last_step, int64_t *step)
{
	uint32_t want = 0, got;
	int64_t t = now / STAFF_TOTP_STEP;
	int ok = 0;

	if (!code || strlen(code) != 6)
		return BANDITORE_EAUTH;
	for (int i = 0; i < 6; i++) {
		if (code[i] < '0' || code[i] > '9')
			return BANDITORE_EAUTH;
		want = want * 10 + (uint32_t)(code[i] - '0');
	}
	/* Every candidate is computed, so the time does not say which one matched. */
	for (int64_t s = t - 1; s <= t + 1; s++) {
		if (s < 0 || staff_totp_code(secret, len, s, 6, &got) != 0)
			continue;
		if (got == want && s > last_step && !ok) {
			ok = 1;
			*step = s;
		}
	}
	return ok ? 0 : BANDITORE_EAUTH;
}

void staff_base32(const uint8_t *in, size_t n, char *out, size_t cap)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5 && o + 1 < cap) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0 && o + 1 < cap)
		out[o++] = alphabet[(acc << (5 - bits)) & 0x1f];
	out[o] = '\0';
}

static int aad_of(const char *name, char *aad, size_t cap, size_t *len)
{
	int n = snprintf(aad, cap, AAD_PREFIX "%s", name);

	if (n < 0 || (size_t)n >= cap)
		return BANDITORE_EINVAL;
	*len = (size_t)n;
	return 0;
}

int staff_totp_seal(const struct keyfile_keys *keys, const char *name, const uint8_t *secret,
		    uint8_t out[STORE_TOTP_SEALED_MAX], size_t *out_len)
{
	char aad[STORE_STAFF_NAME_MAX + 8];
	size_t aad_len;
	int rc = aad_of(name, aad, sizeof(aad), &aad_len);

	if (rc)
		return rc;
	return crypto_seal(keys->seal, aad, aad_len, secret, STAFF_TOTP_SECRET_LEN, out,
			   STORE_TOTP_SEALED_MAX, out_len);
}

int staff_totp_open(const struct keyfile_keys *keys, const struct store_staff *a,
		    uint8_t secret[STAFF_TOTP_SECRET_LEN])
{
	char aad[STORE_STAFF_NAME_MAX + 8];
	size_t aad_len, n = 0;
	int rc = aad_of(a->name, aad, sizeof(aad), &aad_len);

	if (rc)
		return rc;
	rc = crypto_open(keys->seal, aad, aad_len, a->totp_sealed, a->totp_sealed_len, secret,
			 STAFF_TOTP_SECRET_LEN, &n);
	if (!rc && n != STAFF_TOTP_SECRET_LEN)
		rc = BANDITORE_ECRYPTO;
	return rc;
}
