/*
 * email_optin.c - double opt-in, one-click leave and bounces for e-mail (email_optin.h).
 *
 * The confirmation secret is 32 random bytes in base64url; the store keeps
 * HMAC(keys->email, "confirm v1" | secret), so a copy of the database cannot be turned
 * into working links.
 */
#include "subscribers/email_optin.h"

#include "common/email_addr.h"
#include "common/err.h"
#include "common/platform.h"
#include "subscribers/subscribers.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SECRET_LEN 32

static int token_hash(const struct keyfile_keys *keys, const char *token, uint8_t out[CRYPTO_HASH_LEN])
{
	char msg[16 + EMAIL_OPTIN_TOKEN_LEN];

	memcpy(msg, "confirm v1\0\0\0\0\0\0", 16);
	memcpy(msg + 16, token, EMAIL_OPTIN_TOKEN_LEN);
	return crypto_hmac_sha256(keys->email, CRYPTO_KEY_LEN, msg, sizeof(msg), out);
}

int email_optin_token_hash(const struct keyfile_keys *keys, const char *token,
			   uint8_t out[CRYPTO_HASH_LEN])
{
	if (!token || strnlen(token, EMAIL_OPTIN_TOKEN_LEN + 1) != EMAIL_OPTIN_TOKEN_LEN)
		return BANDITORE_EINVAL;
	for (int i = 0; i < EMAIL_OPTIN_TOKEN_LEN; i++) {
		char c = token[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return BANDITORE_EINVAL;
	}
	return token_hash(keys, token, out);
}

int email_optin_prepare(const struct keyfile_keys *keys, const char *canonical,
			const char *policy_version, int64_t now, struct email_optin_request *out)
{
	uint8_t secret[SECRET_LEN];
	unsigned char enc[48];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!keys || !canonical || !policy_version || strlen(policy_version) >= sizeof(out->pending.policy_version))
		return BANDITORE_EINVAL;
	rc = crypto_random(secret, sizeof(secret));
	if (rc)
		return rc;
	if (EVP_EncodeBlock(enc, secret, SECRET_LEN) != 44) { /* 43 characters and one '=' */
		crypto_wipe(secret, sizeof(secret));
		return BANDITORE_ECRYPTO;
	}
	crypto_wipe(secret, sizeof(secret));
	for (int i = 0; i < EMAIL_OPTIN_TOKEN_LEN; i++)
		out->token[i] = enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i];
	out->token[EMAIL_OPTIN_TOKEN_LEN] = '\0';
	crypto_wipe(enc, sizeof(enc));
	out->pending.platform = PLATFORM_EMAIL;
	out->pending.created_at = now;
	snprintf(out->pending.policy_version, sizeof(out->pending.policy_version), "%s", policy_version);
	rc = token_hash(keys, out->token, out->pending.token_hash);
	if (!rc)
		rc = subscribers_hash(keys, PLATFORM_EMAIL, canonical, out->pending.addr_hash);
	if (!rc)
		rc = subscribers_block_hash(keys, PLATFORM_EMAIL, canonical, out->block_hash);
	if (!rc)
		rc = subscribers_seal(keys, PLATFORM_EMAIL, canonical, out->pending.sealed,
				      &out->pending.sealed_len);
	if (rc)
		crypto_wipe(out, sizeof(*out));
	return rc;
}

int email_optin_store(struct store *st, const struct email_optin_request *r, int64_t now,
		      int *status)
{
	struct store_subscriber sub;
	struct store_pending old;
	int blocked = 0, rc;

	rc = store_block_check(st, PLATFORM_EMAIL, r->block_hash, &blocked);
	if (rc)
		return rc;
	if (blocked) {
		*status = EMAIL_OPTIN_BLOCKED;
		return 0;
	}
	rc = store_subscriber_get(st, PLATFORM_EMAIL, r->pending.addr_hash, &sub);
	if (rc == 0) {
		*status = EMAIL_OPTIN_ALREADY;
		return 0;
	}
	if (rc != BANDITORE_ENOTFOUND)
		return rc;
	rc = store_pending_get_addr(st, PLATFORM_EMAIL, r->pending.addr_hash, &old);
	if (rc == 0 && old.created_at > now - EMAIL_OPTIN_RESEND_MIN && old.created_at <= now) {
		*status = EMAIL_OPTIN_THROTTLED;
		return 0;
	}
	if (rc != 0 && rc != BANDITORE_ENOTFOUND)
		return rc;
	rc = store_pending_put(st, &r->pending);
	if (!rc)
		*status = EMAIL_OPTIN_STORED;
	return rc;
}

int email_optin_confirm(struct store *st, const uint8_t token_hash_[CRYPTO_HASH_LEN], int64_t now,
			int *status)
{
	return email_optin_confirm_audience(st, token_hash_, now, 0, 0, status);
}

int email_optin_confirm_audience(struct store *st, const uint8_t token_hash_[CRYPTO_HASH_LEN],
				 int64_t now, uint64_t categories, uint64_t areas, int *status)
{
	struct store_pending p;
	uint8_t addr_hash[CRYPTO_HASH_LEN];
	int joined = 0, rc;

	rc = store_pending_take(st, token_hash_, &p);
	if (rc == BANDITORE_ENOTFOUND) {
		*status = EMAIL_OPTIN_UNKNOWN;
		return 0;
	}
	if (rc)
		return rc;
	if (p.platform != PLATFORM_EMAIL || now - p.created_at > EMAIL_OPTIN_TTL || p.created_at > now) {
		*status = EMAIL_OPTIN_EXPIRED; /* taken: the row is gone */
		crypto_wipe(&p, sizeof(p));
		return 0;
	}
	rc = subscribers_join_sealed(st, PLATFORM_EMAIL, p.addr_hash, p.sealed, p.sealed_len,
				     EMAIL_OPTIN_METHOD, p.policy_version, now, &joined);
	memcpy(addr_hash, p.addr_hash, sizeof(addr_hash));
	crypto_wipe(&p, sizeof(p));
	if (!rc && joined && (categories || areas))
		rc = store_subscriber_set_audience(st, PLATFORM_EMAIL, addr_hash, categories, areas);
	crypto_wipe(addr_hash, sizeof(addr_hash));
	if (!rc)
		*status = joined ? EMAIL_OPTIN_SUBSCRIBED : EMAIL_OPTIN_ALREADY;
	return rc;
}

int email_optin_leave(struct store *st, const uint8_t addr_hash[CRYPTO_HASH_LEN], int64_t now,
		      int *status)
{
	int left = 0;
	int rc = subscribers_leave_hash(st, PLATFORM_EMAIL, addr_hash, now, &left);

	if (!rc)
		*status = left ? EMAIL_OPTIN_LEFT : EMAIL_OPTIN_NOT_SUBSCRIBED;
	return rc;
}

int email_optin_expire(struct store *st, int64_t now, int64_t *removed)
{
	return store_pending_expire_platform(st, PLATFORM_EMAIL, now - EMAIL_OPTIN_TTL, removed);
}

/* --- delivery status notifications --- */

/* The value of field `name` if the line [s, e) is that field, else NULL (*vlen set). */
static const char *field(const char *s, const char *e, const char *name, size_t *vlen)
{
	size_t n = strlen(name);

	if ((size_t)(e - s) <= n || strncasecmp(s, name, n) != 0 || s[n] != ':')
		return NULL;
	s += n + 1;
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*vlen = (size_t)(e - s);
	return s;
}

/* One per-recipient group of the delivery-status part (RFC 3464 2.3): groups are
 * separated by blank lines, as are the per-message fields before them. */
struct dsn_block {
	char final[EMAIL_ADDR_MAX + 1], original[EMAIL_ADDR_MAX + 1];
	int failed, permanent;
};

static void flush(struct dsn_block *b, char (*out)[256], int max, int *n)
{
	const char *addr = b->final[0] ? b->final : b->original;

	if (addr[0] && b->failed && b->permanent && *n < max) {
		int seen = 0;
		for (int i = 0; i < *n; i++)
			seen |= !strcmp(out[i], addr);
		if (!seen)
			snprintf(out[(*n)++], 256, "%s", addr);
	}
	memset(b, 0, sizeof(*b));
}

/* "rfc822; addr" into out (canonical), or leaves out as it was. */
static void rfc822_addr(const char *v, size_t vlen, char out[EMAIL_ADDR_MAX + 1])
{
	char raw[EMAIL_ADDR_MAX + 3];

	if (vlen <= 7 || strncasecmp(v, "rfc822;", 7) != 0)
		return;
	v += 7;
	vlen -= 7;
	while (vlen > 0 && *v == ' ') {
		v++;
		vlen--;
	}
	if (vlen == 0 || vlen >= sizeof(raw))
		return;
	memcpy(raw, v, vlen);
	raw[vlen] = '\0';
	if (email_addr_canonical(raw, raw, sizeof(raw)) != 0)
		return;
	memcpy(out, raw, strlen(raw) + 1);
}

int email_dsn_failed(const char *dsn, size_t len, char (*out)[256], int max, int *n)
{
	const char *p = dsn, *end = dsn + len;
	struct dsn_block b;

	if (!n)
		return BANDITORE_EINVAL;
	*n = 0;
	if (!dsn || !out || max <= 0)
		return BANDITORE_EINVAL;
	memset(&b, 0, sizeof(b));
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p)), *v;
		size_t vlen = 0;

		if (!e)
			e = end;
		if (e == p || (e == p + 1 && *p == '\r'))
			flush(&b, out, max, n);
		else if ((v = field(p, e, "Final-Recipient", &vlen)))
			rfc822_addr(v, vlen, b.final);
		else if ((v = field(p, e, "Original-Recipient", &vlen)))
			rfc822_addr(v, vlen, b.original);
		else if ((v = field(p, e, "Action", &vlen)))
			b.failed = vlen == 6 && !strncasecmp(v, "failed", 6);
		else if ((v = field(p, e, "Status", &vlen)))
			b.permanent = vlen >= 2 && v[0] == '5' && v[1] == '.';
		p = e + 1;
	}
	flush(&b, out, max, n);
	return 0;
}

int email_optin_bounce(struct store *st, const struct keyfile_keys *keys, const char *dsn,
		       size_t len, int *counted)
{
	char addrs[EMAIL_DSN_RECIPIENTS_MAX][256];
	int n = 0, rc;

	if (counted)
		*counted = 0;
	rc = email_dsn_failed(dsn, len, addrs, EMAIL_DSN_RECIPIENTS_MAX, &n);
	for (int i = 0; i < n && !rc; i++) {
		struct store_subscriber sub;
		uint8_t hash[CRYPTO_HASH_LEN];
		int failures = 0;

		rc = subscribers_hash(keys, PLATFORM_EMAIL, addrs[i], hash);
		if (rc)
			break;
		rc = store_subscriber_get(st, PLATFORM_EMAIL, hash, &sub);
		if (rc == BANDITORE_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (!rc)
			rc = store_subscriber_failed(st, sub.id, &failures);
		if (!rc && counted)
			(*counted)++;
	}
	crypto_wipe(addrs, sizeof(addrs));
	return rc;
}
