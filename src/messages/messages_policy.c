/*
 * messages_policy.c - the comune's policy (src/policy) applied to a composed message:
 * the editor's notes (justification, overridden warnings), the check, and the verdicts
 * as JSON, the same objects for `banditore policy check --json` and the API's 422.
 */
#include "messages/messages.h"

#include "common/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int messages_policy_check(const struct messages_rules *rules, const struct store_message *m,
			  const struct messages_notes *notes, const struct policy_history *history,
			  int64_t now, struct policy_result *out)
{
	struct policy_override overrides[MESSAGES_OVERRIDES_MAX];
	struct policy_message pm;
	struct media_info media;
	struct policy_attachment att;

	if (!m || !out)
		return BANDITORE_EINVAL;
	if (!rules || !rules->policy) {
		memset(out, 0, offsetof(struct policy_result, verdicts));
		out->disclaimer[0] = '\0';
		out->allowed = 1;
		out->send_at = m->scheduled_at > now ? m->scheduled_at : now;
		return 0;
	}
	memset(&pm, 0, sizeof(pm));
	pm.title = m->title[0] ? m->title : NULL;
	pm.text = m->text;
	pm.link = m->link[0] ? m->link : NULL;
	pm.category = m->category;
	pm.emergency = m->priority == STORE_PRIORITY_EMERGENCY;
	pm.requested_at = m->scheduled_at;
	if (m->media_sha256[0]) {
		/* The facts from the bytes again (the row holds no facts); without the folder,
		 * what the row says (programs and macros were refused when it was stored). */
		memset(&att, 0, sizeof(att));
		att.name = m->media_name;
		att.mime = m->media_type;
		att.size = m->media_size;
		if (rules->data_dir) {
			int rc = media_lookup(rules->data_dir, m->media_sha256, m->media_name, &media);
			if (rc == BANDITORE_ENOMEM)
				return rc;
			if (rc == 0)
				att = media.facts;
		}
		pm.attachments = &att;
		pm.n_attachments = 1;
	}
	if (notes) {
		pm.justification = notes->justification;
		for (int i = 0; i < notes->n_overrides && i < MESSAGES_OVERRIDES_MAX; i++) {
			overrides[i].rule = notes->overrides[i].rule;
			overrides[i].reason = notes->overrides[i].reason;
		}
		pm.overrides = overrides;
		pm.n_overrides = notes->n_overrides;
	}
	return policy_check(rules->policy, &pm, history, now, out);
}

int messages_policy_history(struct store *st, int64_t *times, int cap, int *n)
{
	struct store_message *list;
	int got = 0, rc;

	*n = 0;
	list = calloc(MESSAGES_HISTORY_MAX, sizeof(*list));
	if (!list)
		return BANDITORE_ENOMEM;
	rc = store_message_list(st, 0, list, MESSAGES_HISTORY_MAX, &got);
	for (int i = 0; rc == 0 && i < got && *n < cap; i++) {
		const struct store_message *m = &list[i];
		if (m->priority != STORE_PRIORITY_NORMAL || m->state == STORE_MSG_DRAFT ||
		    m->state == STORE_MSG_CANCELLED || m->state == STORE_MSG_EXPIRED)
			continue;
		times[(*n)++] = m->started_at ? m->started_at
				: m->scheduled_at > m->approved_at ? m->scheduled_at : m->approved_at;
	}
	for (int i = 0; i < got; i++)
		store_message_clear(&list[i]);
	free(list);
	return rc;
}

int messages_policy_apply(const struct policy_result *r, struct store_message *m, int64_t now)
{
	if (r->send_at > now + MESSAGES_PAST_TOLERANCE && r->send_at > m->scheduled_at)
		m->scheduled_at = r->send_at;
	if (r->disclaimer[0] && m->text) {
		size_t a = strlen(m->text), b = strlen(r->disclaimer);
		char *t;
		if (a + 2 + b > STORE_TEXT_MAX)
			return 0; /* the verdict told the editor; the text stays as written */
		t = malloc(a + 2 + b + 1);
		if (!t)
			return BANDITORE_ENOMEM;
		memcpy(t, m->text, a);
		memcpy(t + a, "\n\n", 2);
		memcpy(t + a + 2, r->disclaimer, b + 1);
		free(m->text);
		m->text = t;
	}
	return 0;
}

void *messages_verdicts_json(const struct policy_result *r)
{
	json_t *list = json_array();

	for (int i = 0; list && i < r->n_verdicts; i++) {
		const struct policy_verdict *v = &r->verdicts[i];
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b}",
				      "level", policy_level_name(v->level), "rule", v->rule,
				      "source", v->source, "reason", v->reason, "reason_en", v->reason_en,
				      "field", v->field, "start", (json_int_t)v->start,
				      "length", (json_int_t)v->len, "overridden", v->overridden);
		if (!o || json_array_append_new(list, o) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

void *messages_policy_json(const struct policy_result *r)
{
	char when[MESSAGES_TIME_MAX];
	json_t *verdicts = messages_verdicts_json(r);

	if (!verdicts)
		return NULL;
	messages_time_format(r->send_at, when);
	return json_pack("{s:b, s:s, s:o}", "allowed", r->allowed, "send_at", when, "verdicts", verdicts);
}

char *messages_notes_to_json(const struct messages_notes *notes)
{
	json_t *o, *list;
	char *text;

	list = json_array();
	for (int i = 0; list && notes && i < notes->n_overrides; i++)
		json_array_append_new(list, json_pack("{s:s, s:s}", "rule", notes->overrides[i].rule,
						      "reason", notes->overrides[i].reason));
	o = json_pack("{s:s, s:o}", "justification", notes ? notes->justification : "",
		      "overrides", list);
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int messages_notes_from_json(const char *text, struct messages_notes *out)
{
	json_t *o, *list, *item;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return 0;
	o = json_loads(text, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return BANDITORE_EINVAL;
	}
	if (json_is_string(json_object_get(o, "justification")))
		snprintf(out->justification, sizeof(out->justification), "%s",
			 json_string_value(json_object_get(o, "justification")));
	list = json_object_get(o, "overrides");
	json_array_foreach(list, i, item) {
		const char *rule = json_string_value(json_object_get(item, "rule"));
		const char *reason = json_string_value(json_object_get(item, "reason"));
		if (out->n_overrides == MESSAGES_OVERRIDES_MAX)
			break;
		if (!rule || !reason)
			continue;
		snprintf(out->overrides[out->n_overrides].rule, POLICY_RULE_MAX, "%s", rule);
		snprintf(out->overrides[out->n_overrides].reason, MESSAGES_OVERRIDE_REASON_MAX + 1, "%s", reason);
		out->n_overrides++;
	}
	json_decref(o);
	return 0;
}
