/*
 * messages_audit.c - the details of a message's audit entry, built from the message and
 * its notes as stored, shortened so that they fit in one entry (STORE_AUDIT_DETAILS_MAX).
 */
#include "messages/messages_audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "messages/messages.h"

#define DETAILS_ROOM 3800 /* bytes: leaves room for the extra fields */

/* A copy of s cut to at most `max` bytes on a UTF-8 boundary, "…" added when cut. */
static json_t *short_string(const char *s, size_t max)
{
	char buf[MESSAGES_JUSTIFICATION_MAX + 8];
	size_t n = strlen(s);

	if (max > MESSAGES_JUSTIFICATION_MAX)
		max = MESSAGES_JUSTIFICATION_MAX;
	if (n <= max)
		return json_string(s);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	memcpy(buf, s, max);
	memcpy(buf + max, "\xe2\x80\xa6", 4); /* … */
	return json_string(buf);
}

static json_t *details_of(const struct store_message *m, const struct messages_notes *notes,
			  const char *notes_text, size_t limit)
{
	char when[MESSAGES_TIME_MAX], hex[2 * CRYPTO_HASH_LEN + 1];
	uint8_t h[CRYPTO_HASH_LEN];
	json_t *o, *list;

	o = json_pack("{s:o, s:s, s:s, s:s}", "title", short_string(m->title, limit), "category",
		      m->category, "priority", messages_priority_name(m->priority), "state",
		      messages_state_name(m->state));
	if (!o)
		return NULL;
	if (m->scheduled_at > 0) {
		messages_time_format(m->scheduled_at, when);
		json_object_set_new(o, "scheduled_at", json_string(when));
	}
	if (m->approved_at > 0)
		json_object_set_new(o, "audience", json_integer((json_int_t)m->audience));
	if (notes->justification[0])
		json_object_set_new(o, "justification", short_string(notes->justification, limit));
	if (notes->n_overrides > 0) {
		list = json_array();
		for (int i = 0; list && i < notes->n_overrides; i++)
			json_array_append_new(list, json_pack("{s:s, s:o}", "rule",
							      notes->overrides[i].rule, "reason",
							      short_string(notes->overrides[i].reason,
									   limit)));
		json_object_set_new(o, "overrides", list);
	}
	if (notes_text && notes_text[0] &&
	    crypto_sha256(notes_text, strlen(notes_text), h) == 0) {
		crypto_hex(h, CRYPTO_HASH_LEN, hex);
		json_object_set_new(o, "notes_sha256", json_string(hex));
	}
	return o;
}

int messages_audit(struct store *st, const struct audit_keys *k, const char *actor,
		   const char *action, int64_t id, const char *extra_json, int64_t now)
{
	struct store_message m = { 0 };
	struct messages_notes *notes = NULL;
	char *notes_text = NULL, *text = NULL, object[32];
	json_t *details = NULL, *extra = NULL;
	size_t limit = 400;
	int rc;

	rc = store_message_get(st, id, &m);
	if (rc)
		return rc;
	rc = BANDITORE_ENOMEM;
	notes = calloc(1, sizeof(*notes));
	if (!notes)
		goto fail;
	rc = store_message_get_notes(st, id, &notes_text);
	if (!rc)
		rc = messages_notes_from_json(notes_text, notes);
	if (rc)
		goto fail;
	if (extra_json) {
		extra = json_loads(extra_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(extra)) {
			rc = BANDITORE_EINVAL;
			goto fail;
		}
	}
	/* Shorter texts until it fits: 16 overridden warnings with long reasons do not. */
	for (;;) {
		json_decref(details);
		free(text);
		text = NULL;
		details = details_of(&m, notes, notes_text, limit);
		if (details && extra)
			json_object_update(details, extra);
		text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (!text) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		if (strlen(text) <= DETAILS_ROOM || limit <= 16)
			break;
		limit /= 2;
	}
	snprintf(object, sizeof(object), "message:%lld", (long long)id);
	rc = audit_append(st, k, actor, action, object, text, now, NULL);
fail:
	free(text);
	json_decref(details);
	json_decref(extra);
	free(notes_text);
	free(notes);
	store_message_clear(&m);
	return rc;
}
