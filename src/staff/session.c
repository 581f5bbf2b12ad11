/*
 * session.c - logging in (password, second factor, throttling) and the sessions that
 * follow: a random 256-bit value in an HttpOnly cookie, stored only as its SHA-256,
 * with a CSRF token, ending after STAFF_SESSION_IDLE without use or STAFF_SESSION_ABSOLUTE
 * after login, and at once when the account stops being active.
 *
 * Checking and recording are split so that the daemon runs argon2id in the HTTP thread
 * (staff_login_check, reads only) and hands only the short writes to the writer
 * (staff_login_record, or staff_reauth_record when a session proves itself again).
 */
#include "staff/staff.h"

#include "common/crypto.h"
#include "common/err.h"

#include <stdio.h>
#include <string.h>

#define COOKIE_BYTES 32

void staff_base64url(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
}

/* The throttling key of a label and a value: SHA-256("label:value"). */
static int throttle_key(const char *label, const char *value, uint8_t out[CRYPTO_HASH_LEN])
{
	char buf[STORE_STAFF_NAME_MAX + STAFF_SOURCE_MAX + 16];
	int n = snprintf(buf, sizeof(buf), "%s:%.*s", label, STAFF_SOURCE_MAX, value ? value : "");

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	return crypto_sha256(buf, (size_t)n, out);
}

int staff_login_check(struct store *st, const struct keyfile_keys *keys, const char *name,
		      const char *password, const char *totp, const char *source, int64_t now,
		      struct staff_login *out)
{
	int failures = 0, found = 0, rc;
	int64_t until = 0, until_src = 0;
	uint8_t secret[STAFF_TOTP_SECRET_LEN];

	memset(out, 0, sizeof(*out));
	out->outcome = STAFF_LOGIN_BAD;
	rc = throttle_key("account", name, out->account_key);
	if (!rc)
		rc = throttle_key("source", source, out->source_key);
	if (!rc)
		rc = store_throttle_get(st, out->account_key, &failures, &until);
	if (!rc)
		rc = store_throttle_get(st, out->source_key, &failures, &until_src);
	if (rc)
		return rc;
	if (until_src > until)
		until = until_src;
	if (until > now) {
		out->outcome = STAFF_LOGIN_LOCKED;
		out->retry_after = until - now;
		return 0;
	}
	if (staff_name_valid(name)) {
		rc = store_staff_get(st, name, &out->account);
		if (rc && rc != BANDITORE_ENOTFOUND)
			return rc;
		found = rc == 0;
	}
	rc = staff_password_verify(found ? out->account.password : staff_password_dummy(),
				   password);
	if (rc == BANDITORE_ENOMEM)
		return rc;
	if (rc || !found) {
		memset(&out->account, 0, sizeof(out->account));
		return 0; /* BAD */
	}
	if (out->account.totp_sealed_len > 0) {
		if (!totp || !*totp) {
			out->outcome = STAFF_LOGIN_TOTP_NEEDED;
			return 0;
		}
		rc = staff_totp_open(keys, &out->account, secret);
		if (rc)
			return rc;
		rc = staff_totp_check(secret, sizeof(secret), totp, now, out->account.totp_last_step,
				      &out->totp_step);
		crypto_wipe(secret, sizeof(secret));
		if (rc) {
			out->outcome = STAFF_LOGIN_TOTP_BAD;
			return 0;
		}
	}
	out->outcome = staff_active(&out->account, now) ? STAFF_LOGIN_OK : STAFF_LOGIN_INACTIVE;
	return 0;
}

/* One more failure under `key`: the `limit`th locks it. */
static int count_failure(struct store *st, const uint8_t key[CRYPTO_HASH_LEN], int limit,
			 int64_t now)
{
	int failures = 0;
	int64_t until = 0;
	int rc = store_throttle_get(st, key, &failures, &until);

	if (rc)
		return rc;
	if (until > now) /* locked already: the lock stands as it is */
		return 0;
	if (++failures >= limit)
		return store_throttle_set(st, key, 0, now + STAFF_LOCK_SECONDS, now);
	return store_throttle_set(st, key, failures, 0, now);
}

int staff_login_record(struct store *st, const struct staff_login *l, int64_t now,
		       char cookie[STAFF_COOKIE_MAX], char csrf[65])
{
	struct store_session se;
	struct store_staff a;
	uint8_t raw[COOKIE_BYTES], token[32];
	int rc;

	if (cookie)
		cookie[0] = '\0';
	if (csrf)
		csrf[0] = '\0';
	if (l->outcome == STAFF_LOGIN_BAD || l->outcome == STAFF_LOGIN_TOTP_BAD) {
		rc = count_failure(st, l->account_key, STAFF_LOCK_FAILURES, now);
		if (!rc)
			rc = count_failure(st, l->source_key, STAFF_LOCK_SOURCE_FAILURES, now);
		return rc;
	}
	if (l->outcome != STAFF_LOGIN_OK || !cookie || !csrf)
		return 0;
	/* Re-read in this transaction: revoked, or the same code used, since the check. */
	rc = store_staff_get_id(st, l->account.id, &a);
	if (rc)
		return rc;
	if (!staff_active(&a, now) || (l->totp_step && l->totp_step <= a.totp_last_step)) {
		crypto_wipe(&a, sizeof(a));
		return BANDITORE_EAUTH;
	}
	if (l->totp_step) {
		a.totp_last_step = l->totp_step;
		rc = store_staff_update(st, &a);
	}
	crypto_wipe(&a, sizeof(a));
	if (!rc)
		rc = store_throttle_set(st, l->account_key, 0, 0, now);
	if (!rc)
		rc = crypto_random(raw, sizeof(raw));
	if (!rc)
		rc = crypto_random(token, sizeof(token));
	if (rc)
		goto fail;
	memset(&se, 0, sizeof(se));
	staff_base64url(raw, sizeof(raw), cookie);
	crypto_hex(token, sizeof(token), se.csrf);
	rc = staff_session_hash(cookie, se.id_hash);
	if (rc)
		goto fail;
	se.staff_id = l->account.id;
	se.created_at = se.last_seen = now;
	rc = store_session_add(st, &se);
	if (!rc)
		memcpy(csrf, se.csrf, sizeof(se.csrf));
fail:
	crypto_wipe(raw, sizeof(raw));
	crypto_wipe(token, sizeof(token));
	if (rc)
		crypto_wipe(cookie, STAFF_COOKIE_MAX);
	return rc;
}

int staff_reauth_record(struct store *st, const struct staff_login *l, int64_t now)
{
	if (l->outcome == STAFF_LOGIN_OK)
		return store_throttle_set(st, l->account_key, 0, 0, now);
	return staff_login_record(st, l, now, NULL, NULL);
}

int staff_session_hash(const char *cookie, uint8_t out[CRYPTO_HASH_LEN])
{
	return crypto_sha256(cookie, strlen(cookie), out);
}

int staff_session_check(struct store *st, const char *cookie, int64_t now,
			struct store_session *se, struct store_staff *a, int *touch)
{
	uint8_t hash[CRYPTO_HASH_LEN];
	int rc;

	if (touch)
		*touch = 0;
	if (!cookie || strlen(cookie) != 43)
		return BANDITORE_EAUTH;
	rc = staff_session_hash(cookie, hash);
	if (!rc)
		rc = store_session_get(st, hash, se);
	if (rc == BANDITORE_ENOTFOUND)
		return BANDITORE_EAUTH;
	if (rc)
		return rc;
	if (se->last_seen + STAFF_SESSION_IDLE <= now || se->created_at + STAFF_SESSION_ABSOLUTE <= now)
		return BANDITORE_EAUTH;
	rc = store_staff_get_id(st, se->staff_id, a);
	if (rc == BANDITORE_ENOTFOUND)
		return BANDITORE_EAUTH;
	if (rc)
		return rc;
	if (!staff_active(a, now))
		return BANDITORE_EPERM;
	if (touch)
		*touch = now - se->last_seen >= STAFF_SESSION_TOUCH;
	return 0;
}

int staff_csrf_ok(const struct store_session *se, const char *presented)
{
	if (!presented || strlen(presented) != 64)
		return 0;
	return crypto_equal(se->csrf, presented, 64);
}
