/*
 * audit.c - appending to the audit log: checking the fields, the canonical encoding,
 * and the keyed hash that chains each entry to the one before (see audit.h).
 */
#include "audit/audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define ENCODING_MAGIC "banditore-audit-v1"
#define ENCODING_MAGIC_LEN (sizeof(ENCODING_MAGIC) - 1)

void audit_keys_from(struct audit_keys *k, const struct keyfile_keys *keys)
{
	memcpy(k->mac, keys->audit, sizeof(k->mac));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Appends a 4-byte length and the bytes of the string in field[cap]. */
static int put_field(uint8_t *out, size_t cap, size_t *at, const char *field, size_t field_cap)
{
	size_t n = strnlen(field, field_cap);

	if (n == field_cap || cap - *at < 4 + n)
		return BANDITORE_ETOOBIG;
	put_u32(out + *at, (uint32_t)n);
	memcpy(out + *at + 4, field, n);
	*at += 4 + n;
	return 0;
}

int audit_encode(const struct store_audit_entry *e, uint8_t *out, size_t cap, size_t *len)
{
	size_t at = 0;
	int rc;

	if (!e || !out || !len)
		return BANDITORE_EINVAL;
	if (cap < ENCODING_MAGIC_LEN + 16 + CRYPTO_HASH_LEN)
		return BANDITORE_ETOOBIG;
	memcpy(out, ENCODING_MAGIC, ENCODING_MAGIC_LEN);
	at = ENCODING_MAGIC_LEN;
	put_u64(out + at, (uint64_t)e->seq);
	put_u64(out + at + 8, (uint64_t)e->at);
	at += 16;
	if ((rc = put_field(out, cap, &at, e->actor, sizeof(e->actor))) ||
	    (rc = put_field(out, cap, &at, e->action, sizeof(e->action))) ||
	    (rc = put_field(out, cap, &at, e->object, sizeof(e->object))) ||
	    (rc = put_field(out, cap, &at, e->details, sizeof(e->details))))
		return rc;
	if (cap - at < CRYPTO_HASH_LEN)
		return BANDITORE_ETOOBIG;
	memcpy(out + at, e->prev_hash, CRYPTO_HASH_LEN);
	*len = at + CRYPTO_HASH_LEN;
	return 0;
}

int audit_hash(const struct audit_keys *k, const struct store_audit_entry *e,
	       uint8_t out[CRYPTO_HASH_LEN])
{
	uint8_t *enc;
	size_t len = 0;
	int rc;

	if (!k || !e || !out)
		return BANDITORE_EINVAL;
	enc = malloc(AUDIT_ENCODING_MAX);
	if (!enc)
		return BANDITORE_ENOMEM;
	rc = audit_encode(e, enc, AUDIT_ENCODING_MAX, &len);
	if (!rc)
		rc = crypto_hmac_sha256(k->mac, sizeof(k->mac), enc, len, out);
	free(enc);
	return rc;
}

/* 1 when s is 1..cap-1 bytes (0.. with allow_empty) without control characters. */
static int printable(const char *s, size_t cap, int allow_empty)
{
	size_t n = strnlen(s, cap);

	if (n == cap || (n == 0 && !allow_empty))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int action_ok(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* Re-encodes `details` (a JSON object) compact with sorted keys into out[cap]. */
static int canonical_details(const char *details, char *out, size_t cap)
{
	json_error_t jerr;
	json_t *j;
	char *text = NULL;
	size_t n;
	int rc = BANDITORE_EINVAL;

	if (!details) {
		if (cap < 3)
			return BANDITORE_ETOOBIG;
		memcpy(out, "{}", 3);
		return 0;
	}
	if (strnlen(details, cap * 4) >= cap * 4)
		return BANDITORE_ETOOBIG;
	j = json_loads(details, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j))
		goto fail;
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	n = strlen(text);
	if (n >= cap) {
		rc = BANDITORE_ETOOBIG;
		goto fail;
	}
	memcpy(out, text, n + 1);
	rc = 0;
fail:
	free(text);
	json_decref(j);
	return rc;
}

int audit_append(struct store *st, const struct audit_keys *k, const char *actor,
		 const char *action, const char *object, const char *details_json, int64_t now,
		 int64_t *seq)
{
	struct store_audit_entry *e = NULL, *last = NULL;
	int rc;

	if (!st || !k || !actor || !action)
		return BANDITORE_EINVAL;
	if (!object)
		object = "";
	e = calloc(1, sizeof(*e));
	last = calloc(1, sizeof(*last));
	if (!e || !last) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = BANDITORE_EINVAL;
	if (!printable(actor, sizeof(e->actor), 0) || !action_ok(action, sizeof(e->action)) ||
	    !printable(object, sizeof(e->object), 1))
		goto fail;
	memcpy(e->actor, actor, strlen(actor) + 1);
	memcpy(e->action, action, strlen(action) + 1);
	memcpy(e->object, object, strlen(object) + 1);
	rc = canonical_details(details_json, e->details, sizeof(e->details));
	if (rc)
		goto fail;
	rc = store_audit_last(st, last);
	if (rc == 0) {
		e->seq = last->seq + 1;
		memcpy(e->prev_hash, last->hash, CRYPTO_HASH_LEN);
	} else if (rc == BANDITORE_ENOTFOUND) {
		e->seq = 1; /* prev_hash stays 32 zero bytes */
	} else {
		goto fail;
	}
	e->at = now;
	rc = audit_hash(k, e, e->hash);
	if (rc)
		goto fail;
	rc = store_audit_add(st, e);
	if (rc)
		goto fail;
	if (seq)
		*seq = e->seq;
fail:
	free(e);
	free(last);
	return rc;
}
