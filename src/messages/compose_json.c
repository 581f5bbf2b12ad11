/*
 * compose_json.c - a message sent to the API as JSON, into the same checks as the
 * command line's (compose.c). Strict: unknown fields (a typo such as "schedule_at"
 * would otherwise be silently ignored), duplicate keys and wrong types are refused.
 */
#include "messages/messages.h"

#include "common/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const known_fields[] = {
	"title", "text", "category", "link", "priority", "scheduled_at", "expires_at",
	"attachment", "justification", "overrides", "replaces",
	"areas", /* the target areas: messages_areas_from_json (messages_audience.h) */
};

static int refuse(struct messages_error *err, const char *field, const char *it, const char *en)
{
	snprintf(err->field, sizeof(err->field), "%s", field);
	snprintf(err->message, sizeof(err->message), "%s", it);
	snprintf(err->message_en, sizeof(err->message_en), "%s", en);
	return BANDITORE_EINVAL;
}

/* "attachment": {"sha256": the hash POST /api/v1/media answered, "name": optional} into
 * *media (read back from the data folder) and in->attachment. */
static int get_attachment(json_t *att, const struct messages_rules *rules, struct media_info *media,
			  struct messages_input *in, struct messages_error *err)
{
	json_t *sha = json_object_get(att, "sha256"), *name = json_object_get(att, "name");
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(att) || !json_is_string(sha) || (name && !json_is_string(name) && !json_is_null(name)))
		return refuse(err, "attachment", "allegato: scrivere {\"sha256\": ..., \"name\": ...} come da POST /api/v1/media",
			      "attachment: write {\"sha256\": ..., \"name\": ...} as POST /api/v1/media answered");
	json_object_foreach(att, key, v)
		if (strcmp(key, "sha256") && strcmp(key, "name"))
			return refuse(err, "attachment", "allegato: campo sconosciuto", "attachment: unknown field");
	if (!rules || !rules->data_dir)
		return 0; /* in->attachment stays NULL: refused by messages_compose */
	rc = media_lookup(rules->data_dir, json_string_value(sha), json_string_value(name), media);
	if (rc == BANDITORE_ENOMEM || rc == BANDITORE_EIO)
		return rc;
	if (rc == 0)
		in->attachment = media;
	return 0;
}

/* The string value of `field` into *out (NULL when absent or null). */
static int get_string(json_t *obj, const char *field, const char **out, struct messages_error *err)
{
	json_t *v = json_object_get(obj, field);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err->field, sizeof(err->field), "%s", field);
		snprintf(err->message, sizeof(err->message), "il campo %s deve essere una stringa", field);
		snprintf(err->message_en, sizeof(err->message_en), "the field %s must be a string", field);
		return BANDITORE_EINVAL;
	}
	/* jansson refuses \u0000 unless asked (JSON_ALLOW_NUL), so the string has no
	 * NUL inside and strlen() is its length. */
	*out = json_string_value(v);
	return 0;
}

static int check_known(json_t *obj, struct messages_error *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		size_t i;
		(void)v;
		for (i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
			if (!strcmp(key, known_fields[i]))
				break;
		if (i == sizeof(known_fields) / sizeof(known_fields[0])) {
			/* The name is the client's: bounded by the field buffer. */
			snprintf(err->field, sizeof(err->field), "%s", key);
			snprintf(err->message, sizeof(err->message), "campo sconosciuto");
			snprintf(err->message_en, sizeof(err->message_en), "unknown field");
			return BANDITORE_EINVAL;
		}
	}
	return 0;
}

/* "replaces": the id of the earlier message this one updates (a positive integer; null
 * or absent: none). Whether it names a sent message is messages_check_replaces's. */
static int get_replaces(json_t *obj, int64_t *out, struct messages_error *err)
{
	json_t *v = json_object_get(obj, "replaces");

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return refuse(err, "replaces", "replaces deve essere il numero (id) del messaggio da sostituire",
			      "replaces must be the number (id) of the message to replace");
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* "justification" and "overrides" into *notes. */
static int get_notes(json_t *obj, struct messages_notes *notes, struct messages_error *err)
{
	const char *just = NULL;
	json_t *list = json_object_get(obj, "overrides"), *o;
	size_t i;
	int rc;

	memset(notes, 0, sizeof(*notes));
	rc = get_string(obj, "justification", &just, err);
	if (rc)
		return rc;
	if (just && strlen(just) > MESSAGES_JUSTIFICATION_MAX)
		return refuse(err, "justification", "la motivazione è troppo lunga (al massimo 1000 byte)",
			      "the justification is too long (at most 1000 bytes)");
	snprintf(notes->justification, sizeof(notes->justification), "%s", just ? just : "");
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return refuse(err, "overrides", "overrides deve essere un elenco di {\"rule\", \"reason\"}",
			      "overrides must be a list of {\"rule\", \"reason\"}");
	if (json_array_size(list) > MESSAGES_OVERRIDES_MAX)
		return refuse(err, "overrides", "al massimo 16 avvisi superati", "at most 16 overridden warnings");
	json_array_foreach(list, i, o) {
		json_t *rule = json_object_get(o, "rule"), *reason = json_object_get(o, "reason");
		if (!json_is_object(o) || json_object_size(o) != 2 || !json_is_string(rule) ||
		    !json_is_string(reason))
			return refuse(err, "overrides", "ogni elemento di overrides è {\"rule\": \"...\", \"reason\": \"...\"}",
				      "each item of overrides is {\"rule\": \"...\", \"reason\": \"...\"}");
		if (strlen(json_string_value(rule)) >= POLICY_RULE_MAX)
			return refuse(err, "overrides", "nome di regola troppo lungo", "rule name too long");
		if (strlen(json_string_value(reason)) > MESSAGES_OVERRIDE_REASON_MAX)
			return refuse(err, "overrides", "motivazione troppo lunga (al massimo 500 byte)",
				      "reason too long (at most 500 bytes)");
		snprintf(notes->overrides[i].rule, sizeof(notes->overrides[i].rule), "%s", json_string_value(rule));
		snprintf(notes->overrides[i].reason, sizeof(notes->overrides[i].reason), "%s",
			 json_string_value(reason));
		notes->n_overrides++;
	}
	return 0;
}

int messages_parse_json(const char *body, size_t len, const struct messages_rules *rules,
			int64_t now, struct store_message *out, struct messages_error *err)
{
	return messages_parse_json_notes(body, len, rules, now, out, NULL, err);
}

int messages_parse_json_notes(const char *body, size_t len, const struct messages_rules *rules,
			      int64_t now, struct store_message *out, struct messages_notes *notes,
			      struct messages_error *err)
{
	struct messages_notes scratch;

	if (notes)
		memset(notes, 0, sizeof(*notes));
	struct messages_input in;
	struct media_info media;
	json_t *obj, *att;
	int64_t replaces = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	memset(&in, 0, sizeof(in));
	obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return refuse(err, "", "il corpo della richiesta non è un oggetto JSON valido",
			      "the request body is not a valid JSON object");
	}
	rc = check_known(obj, err);
	if (!rc)
		rc = get_string(obj, "title", &in.title, err);
	if (!rc)
		rc = get_string(obj, "text", &in.text, err);
	if (!rc)
		rc = get_string(obj, "category", &in.category, err);
	if (!rc)
		rc = get_string(obj, "link", &in.link, err);
	if (!rc)
		rc = get_string(obj, "priority", &in.priority, err);
	if (!rc)
		rc = get_string(obj, "scheduled_at", &in.scheduled_at, err);
	if (!rc)
		rc = get_string(obj, "expires_at", &in.expires_at, err);
	if (!rc)
		rc = get_notes(obj, notes ? notes : &scratch, err);
	if (!rc)
		rc = get_replaces(obj, &replaces, err);
	if (!rc) {
		att = json_object_get(obj, "attachment");
		in.has_attachment = att && !json_is_null(att);
		if (in.has_attachment)
			rc = get_attachment(att, rules, &media, &in, err);
		if (!rc)
			rc = messages_compose(&in, rules, now, out, err);
		if (!rc)
			out->replaces = replaces;
	}
	json_decref(obj);
	return rc;
}
