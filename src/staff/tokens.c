/* tokens.c - make, check, revoke and list API tokens (stored as SHA-256 only). */
#include "staff/tokens.h"

#include "common/crypto.h"
#include "common/err.h"
#include "staff/staff.h"

#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 32

int tokens_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= sizeof(((struct store_token *)0)->name))
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int known_scope(const char *p, size_t len)
{
	static const char *const known[] = {
		TOKENS_SCOPE_READ, TOKENS_SCOPE_WRITE, TOKENS_SCOPE_SUBSCRIBERS_READ,
		TOKENS_SCOPE_SUBSCRIBERS_WRITE, TOKENS_SCOPE_TOKENS, TOKENS_SCOPE_AUDIT,
		TOKENS_SCOPE_INBOX, TOKENS_SCOPE_NUMBERS,
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (len == strlen(known[i]) && !strncmp(p, known[i], len))
			return 1;
	return 0;
}

int tokens_scopes_valid(const char *scopes)
{
	const char *p = scopes;
	int n = 0;

	if (!scopes || strlen(scopes) >= sizeof(((struct store_token *)0)->scopes))
		return 0;
	while (*p) {
		size_t len;
		if (*p == ' ') {
			p++;
			continue;
		}
		len = strcspn(p, " ");
		if (!known_scope(p, len))
			return 0;
		n++;
		p += len;
	}
	return n > 0;
}

int tokens_has_scope(const struct store_token *t, const char *scope)
{
	size_t want = strlen(scope);
	const char *p = t->scopes;

	while (*p) {
		size_t len = strcspn(p, " ");
		if (len == want && !strncmp(p, scope, len))
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

int tokens_hash(const char *secret, uint8_t out[CRYPTO_HASH_LEN])
{
	return crypto_sha256(secret, strlen(secret), out);
}

int tokens_create(struct store *st, const char *name, const char *scopes, int64_t now,
		  char secret[TOKENS_SECRET_MAX], int64_t *id)
{
	return tokens_create_owned(st, name, scopes, NULL, now, secret, id);
}

int tokens_create_owned(struct store *st, const char *name, const char *scopes,
			const char *owner, int64_t now, char secret[TOKENS_SECRET_MAX], int64_t *id)
{
	uint8_t raw[SECRET_BYTES];
	struct store_token t;
	int rc;

	secret[0] = '\0';
	if (!scopes)
		scopes = TOKENS_SCOPES_DEFAULT;
	if (!tokens_name_valid(name) || !tokens_scopes_valid(scopes))
		return BANDITORE_EINVAL;
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.scopes, sizeof(t.scopes), "%s", scopes);
	if (owner && strlen(owner) >= sizeof(t.owner))
		return BANDITORE_EINVAL;
	snprintf(t.owner, sizeof(t.owner), "%s", owner ? owner : "");
	t.created_at = now;
	rc = crypto_random(raw, sizeof(raw));
	if (rc)
		goto fail;
	memcpy(secret, TOKENS_PREFIX, strlen(TOKENS_PREFIX));
	staff_base64url(raw, sizeof(raw), secret + strlen(TOKENS_PREFIX));
	rc = tokens_hash(secret, t.hash);
	if (!rc)
		rc = store_token_add(st, &t, id);
fail:
	crypto_wipe(raw, sizeof(raw));
	if (rc)
		crypto_wipe(secret, TOKENS_SECRET_MAX);
	return rc;
}

int tokens_verify(struct store *st, const char *secret, const char *scope, struct store_token *out)
{
	uint8_t hash[CRYPTO_HASH_LEN];
	int rc;

	if (!secret || !*secret || strlen(secret) >= TOKENS_PRESENTED_MAX)
		return BANDITORE_EAUTH;
	rc = tokens_hash(secret, hash);
	if (rc)
		return rc;
	/* Found by its hash: an attacker cannot steer the lookup towards a prefix of a
	 * real token's hash, so no constant-time comparison is needed here. */
	rc = store_token_find(st, hash, out);
	if (rc == BANDITORE_ENOTFOUND)
		return BANDITORE_EAUTH;
	if (rc)
		return rc;
	if (out->revoked_at != 0)
		return BANDITORE_EAUTH;
	if (scope && !tokens_has_scope(out, scope))
		return BANDITORE_EPERM;
	return 0;
}

int tokens_revoke(struct store *st, const char *name, int64_t now)
{
	if (!tokens_name_valid(name))
		return BANDITORE_ENOTFOUND;
	return store_token_revoke(st, name, now);
}

int tokens_list(struct store *st, struct store_token *out, int max, int *n)
{
	return store_token_list(st, out, max, n);
}
