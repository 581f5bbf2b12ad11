/*
 * console_compose.c - writing a message: category (the policy's categories), title,
 * text, link, when to send it, emergency; the policy's verdicts on it; the reasons that
 * override its warnings; the sent message it replaces, if it is an update ("sostituisce
 * il messaggio": CAP Update and "sostituito da" in the public archive); a preview of the
 * WhatsApp bubble, and of how each platform of the channel shows it (the API's
 * "previews", rendered by each connector). "Proponi" stores it and
 * proposes it for approval; "Invia" (roles that approve) also approves it, which the
 * API allows only where the workflow does (an emergency of a gestore or responsabile);
 * "Verifica" only asks the policy. The areas a message targets are checkboxes (none: the
 * whole territory), and the page says how many subscribers the chosen category and areas
 * reach on each platform (GET /api/v1/audience) before it is sent. With JavaScript (web/static/console.js) the verdicts
 * and the preview follow the typing through POST /api/v1/policy/check.
 */
#include "http/console_internal.h"

#include "messages/messages.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OVERRIDE_RULES_MAX 512
#define REPLACEABLE_MAX 20 /* the latest sent messages offered as "replaces" */

/* "2026-12-01T09:30" (a datetime-local input, Rome's time) → RFC 3339 UTC, or "". */
static void local_to_rfc3339(const char *in, char out[MESSAGES_TIME_MAX])
{
	int y, mo, d, h, mi;
	char tail;

	out[0] = '\0';
	if (sscanf(in, "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) == 5 && y >= 2000 &&
	    mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h >= 0 && h < 24 && mi >= 0 && mi < 60)
		messages_time_format(policy_rome_utc(y, mo, d, h, mi), out);
}

/* The categories for the select: the policy's, with labels, marked as chosen. */
static json_t *categories(const struct console_req *r, const char *chosen)
{
	const struct policy *p = r->c->ctx->cfg->policy;
	json_t *arr = json_array();

	for (int i = 0; p && i < p->n_categories; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:b}", "id", p->categories[i].id,
						     "label", p->categories[i].label[0] ? p->categories[i].label
										      : p->categories[i].id,
						     "emergency", p->categories[i].emergency, "selected",
						     chosen && !strcmp(chosen, p->categories[i].id)));
	return arr;
}

/* The latest sent messages, which an update may replace, with `chosen` (an id in
 * decimal, or "") marked; an empty array when the store cannot be read. */
static json_t *replaceable(struct console_req *r, const char *chosen)
{
	struct store_message *list = calloc(REPLACEABLE_MAX, sizeof(*list));
	struct store_archive_query q;
	struct store *st = console_store(r);
	json_t *arr = json_array();
	int n = 0, rc = -1;

	memset(&q, 0, sizeof(q));
	if (list && st)
		rc = store_archive_list(st, &q, list, REPLACEABLE_MAX, &n, NULL);
	for (int i = 0; rc == 0 && i < n; i++) {
		char id[24], when[32];
		snprintf(id, sizeof(id), "%lld", (long long)list[i].id);
		console_time(list[i].started_at, when, sizeof(when));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "id", id, "title",
						     list[i].title, "when", when, "selected",
						     !strcmp(id, chosen)));
		store_message_clear(&list[i]);
	}
	if (st)
		console_store_put(r, st, rc != 0);
	free(list);
	return arr;
}

/* The comune's areas as checkboxes ("area_ID"), marked as ticked in the form. */
static json_t *areas_model(const struct console_req *r)
{
	const struct config *cfg = r->c->ctx->cfg;
	json_t *arr = json_array();
	char key[80], v[8];

	for (int i = 0; arr && i < cfg->n_areas; i++) {
		snprintf(key, sizeof(key), "area_%s", cfg->areas[i].id);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:b}", "id", cfg->areas[i].id,
						     "field", key, "name", cfg->areas[i].name, "checked",
						     console_field(r, key, v, sizeof(v)) && v[0]));
	}
	return arr;
}

/* The ticked areas, "a,b" into out (ids are [a-z0-9-]: nothing to escape in a URL). */
static void ticked_areas(const struct console_req *r, char *out, size_t cap)
{
	const struct config *cfg = r->c->ctx->cfg;
	size_t used = 0;
	char key[80], v[8];

	out[0] = '\0';
	for (int i = 0; i < cfg->n_areas; i++) {
		snprintf(key, sizeof(key), "area_%s", cfg->areas[i].id);
		if (console_field(r, key, v, sizeof(v)) && v[0]) {
			int n = snprintf(out + used, cap - used, "%s%s", used ? "," : "", cfg->areas[i].id);
			if (n < 0 || (size_t)n >= cap - used)
				break;
			used += (size_t)n;
		}
	}
}

/* "Raggiunge N iscritti": the API's count for the category, areas and priority in the
 * form, with each platform's share; NULL when it cannot say (no category yet, or the
 * API refused: the form's own error says why). */
static json_t *reach_model(struct console_req *r, const char *category, int emergency)
{
	static const struct { const char *id, *label; } names[] = {
		{ "whatsapp", "WhatsApp" }, { "telegram", "Telegram" }, { "email", "E-mail" },
		{ "webpush", "Notifiche" }, { "sms", "SMS" },
	};
	char areas[STORE_TARGETS_MAX], url[STORE_TARGETS_MAX + 160];
	struct api_result res;
	json_t *out = NULL, *reach;
	char detail[160] = "";
	size_t used = 0;

	if (!category[0] || strspn(category, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(category))
		return NULL;
	ticked_areas(r, areas, sizeof(areas));
	snprintf(url, sizeof(url), "/api/v1/audience?category=%s&areas=%s&priority=%s", category,
		 areas, emergency ? "emergency" : "normal");
	if (console_api(r, "GET", url, NULL, &res))
		return NULL;
	reach = json_object_get(res.body, "reach");
	if (res.status == 200 && json_is_object(reach)) {
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			json_t *n = json_object_get(reach, names[k].id);
			int w;
			if (!json_is_integer(n))
				continue;
			w = snprintf(detail + used, sizeof(detail) - used, "%s%s %lld", used ? ", " : "",
				     names[k].label, (long long)json_integer_value(n));
			if (w < 0 || (size_t)w >= sizeof(detail) - used)
				break;
			used += (size_t)w;
		}
		out = json_pack("{s:O, s:s, s:b, s:b}", "total", json_object_get(res.body, "total"),
				"platforms", detail, "targeted", areas[0] != '\0',
				"emergency", json_is_true(json_object_get(res.body, "emergency")));
	}
	json_decref(res.body);
	return out;
}

/* The form's fields as the API's message body (new reference). */
static json_t *message_body(struct console_req *r, int with_notes)
{
	char *text = malloc(CONSOLE_FIELD_MAX), rules[OVERRIDE_RULES_MAX];
	char title[STORE_TITLE_MAX + 8], category[STORE_CATEGORY_MAX + 8], link[STORE_LINK_MAX + 8];
	char when[40], rfc[MESSAGES_TIME_MAX], emergency[8], just[MESSAGES_JUSTIFICATION_MAX + 8];
	char replaces[24];
	json_t *o, *overrides;
	char *save = NULL, *rule;

	if (!text)
		return NULL;
	console_field(r, "text", text, CONSOLE_FIELD_MAX);
	console_field(r, "title", title, sizeof(title));
	console_field(r, "category", category, sizeof(category));
	console_field(r, "link", link, sizeof(link));
	console_field(r, "scheduled_at", when, sizeof(when));
	console_field(r, "emergency", emergency, sizeof(emergency));
	console_field(r, "justification", just, sizeof(just));
	console_field(r, "replaces", replaces, sizeof(replaces));
	local_to_rfc3339(when, rfc);
	o = json_pack("{s:s, s:s, s:s, s:s}", "text", text, "category", category, "priority",
		      emergency[0] ? "emergency" : "normal", "title", title);
	free(text);
	if (!o)
		return NULL;
	if (link[0])
		json_object_set_new(o, "link", json_string(link));
	if (rfc[0])
		json_object_set_new(o, "scheduled_at", json_string(rfc));
	/* Digits only, as the select offers them; anything else goes as it is, and the API
	 * refuses it with its own reason. */
	if (replaces[0] && strspn(replaces, "0123456789") == strlen(replaces) && strlen(replaces) < 19)
		json_object_set_new(o, "replaces", json_integer(strtoll(replaces, NULL, 10)));
	else if (replaces[0])
		json_object_set_new(o, "replaces", json_string(replaces));
	if (r->c->ctx->cfg->n_areas > 0) {
		char areas[STORE_TARGETS_MAX];
		json_t *list = json_array();
		ticked_areas(r, areas, sizeof(areas));
		for (char *p = areas, *save2 = NULL, *a = strtok_r(p, ",", &save2); list && a;
		     a = strtok_r(NULL, ",", &save2))
			json_array_append_new(list, json_string(a));
		json_object_set_new(o, "areas", list ? list : json_array());
	}
	if (!with_notes)
		return o;
	if (just[0])
		json_object_set_new(o, "justification", json_string(just));
	overrides = json_array();
	console_field(r, "override_rules", rules, sizeof(rules));
	for (rule = strtok_r(rules, " ,", &save); rule; rule = strtok_r(NULL, " ,", &save)) {
		char key[POLICY_RULE_MAX + 16], reason[MESSAGES_OVERRIDE_REASON_MAX + 8];
		snprintf(key, sizeof(key), "override_%s", rule);
		if (console_field(r, key, reason, sizeof(reason)) && reason[0])
			json_array_append_new(overrides, json_pack("{s:s, s:s}", "rule", rule, "reason", reason));
	}
	if (json_array_size(overrides))
		json_object_set_new(o, "overrides", overrides);
	else
		json_decref(overrides);
	return o;
}

static const char *str_or(const char *s)
{
	return s ? s : "";
}

/* The verdicts for the page: each with its level's label, and for a warning the reason
 * typed so far (an override field). */
static json_t *verdicts_model(struct console_req *r, json_t *verdicts, json_t **rules_out)
{
	json_t *arr = json_array(), *v;
	char rules[OVERRIDE_RULES_MAX] = "";
	size_t i;
	int en = console_en(r);

	json_array_foreach(verdicts, i, v) {
		const char *level = json_string_value(json_object_get(v, "level"));
		const char *rule = json_string_value(json_object_get(v, "rule"));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "rule", rule ? rule : "",
				      "source", str_or(json_string_value(json_object_get(v, "source"))),
				      "reason", str_or(json_string_value(json_object_get(v, en ? "reason_en" : "reason"))),
				      "level_label", !level ? "" : !strcmp(level, "block") ? (en ? "Blocks" : "Blocca")
					     : !strcmp(level, "warn") ? (en ? "Warning" : "Avviso") : (en ? "Note" : "Nota"),
				      "block", level && !strcmp(level, "block"),
				      "warn", level && !strcmp(level, "warn"),
				      "overridden", json_is_true(json_object_get(v, "overridden")));
		if (o && level && !strcmp(level, "warn") && rule) {
			char key[POLICY_RULE_MAX + 16], reason[MESSAGES_OVERRIDE_REASON_MAX + 8];
			snprintf(key, sizeof(key), "override_%s", rule);
			console_field(r, key, reason, sizeof(reason));
			json_object_set_new(o, "override_value", json_string(reason));
			json_object_set_new(o, "override_name", json_string(key));
			if (strlen(rules) + strlen(rule) + 2 < sizeof(rules)) {
				if (rules[0])
					strncat(rules, ",", sizeof(rules) - strlen(rules) - 1);
				strncat(rules, rule, sizeof(rules) - strlen(rules) - 1);
			}
		}
		json_array_append_new(arr, o);
	}
	*rules_out = json_string(rules);
	return arr;
}

/* How each platform shows the message (the API's "previews"), with labels to read. */
static json_t *previews_model(const struct console_req *r, json_t *previews)
{
	static const struct { const char *id, *it, *en, *title_it, *title_en; } names[] = {
		{ "whatsapp", "WhatsApp (i campi del modello approvato)", "WhatsApp (the approved template's fields)", "", "" },
		{ "telegram", "Telegram", "Telegram", "", "" },
		{ "email", "E-mail (testo semplice)", "E-mail (plain text)", "Oggetto", "Subject" },
		{ "webpush", "Notifica del browser", "Browser notification", "Titolo", "Title" },
		{ "sms", "SMS", "Text message (SMS)", "", "" },
	};
	int en = console_en(r);
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(previews, i, p) {
		const char *id = json_string_value(json_object_get(p, "platform"));
		json_t *o = json_deep_copy(p);
		if (!id || !o) {
			json_decref(o);
			continue;
		}
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (strcmp(id, names[k].id))
				continue;
			json_object_set_new(o, "label", json_string(en ? names[k].en : names[k].it));
			json_object_set_new(o, "title_label", json_string(en ? names[k].title_en : names[k].title_it));
		}
		json_array_append_new(out, o);
	}
	return out;
}

static enum MHD_Result form(struct console_req *r, unsigned int status, json_t *verdicts,
			    int checked, int allowed, const char *error, json_t *previews)
{
	json_t *m = console_model(r, "scrivi", "Scrivi un messaggio", "Compose a message");
	char title[STORE_TITLE_MAX + 8], category[STORE_CATEGORY_MAX + 8], link[STORE_LINK_MAX + 8];
	char when[40], emergency[8], just[MESSAGES_JUSTIFICATION_MAX + 8], replaces[24];
	char *text = malloc(CONSOLE_FIELD_MAX);
	json_t *rules = NULL;

	if (!text || !m) {
		free(text);
		json_decref(m);
		json_decref(verdicts);
		json_decref(previews);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	if (previews) {
		json_object_set_new(m, "previews", previews_model(r, previews));
		json_decref(previews);
	}
	console_field(r, "text", text, CONSOLE_FIELD_MAX);
	console_field(r, "title", title, sizeof(title));
	console_field(r, "category", category, sizeof(category));
	console_field(r, "link", link, sizeof(link));
	console_field(r, "scheduled_at", when, sizeof(when));
	console_field(r, "emergency", emergency, sizeof(emergency));
	console_field(r, "justification", just, sizeof(just));
	console_field(r, "replaces", replaces, sizeof(replaces));
	json_object_set_new(m, "categories", categories(r, category));
	json_object_set_new(m, "replaceable", replaceable(r, replaces));
	json_object_set_new(m, "areas", areas_model(r));
	{
		json_t *reach = reach_model(r, category, emergency[0] != '\0');
		if (reach)
			json_object_set_new(m, "reach", reach);
	}
	json_object_set_new(m, "free_category", json_boolean(!r->c->ctx->cfg->policy ||
							      r->c->ctx->cfg->policy->n_categories == 0));
	json_object_set_new(m, "category", json_string(category));
	json_object_set_new(m, "text", json_string(text));
	json_object_set_new(m, "msg_title", json_string(title));
	json_object_set_new(m, "link", json_string(link));
	json_object_set_new(m, "scheduled_at", json_string(when));
	json_object_set_new(m, "emergency", json_boolean(emergency[0] != '\0'));
	json_object_set_new(m, "justification", json_string(just));
	json_object_set_new(m, "may_emergency", json_boolean(console_may(r, "emergency")));
	json_object_set_new(m, "may_approve", json_boolean(console_may(r, "approve")));
	json_object_set_new(m, "checked", json_boolean(checked));
	json_object_set_new(m, "allowed", json_boolean(allowed));
	if (verdicts) {
		json_object_set_new(m, "verdicts", verdicts_model(r, verdicts, &rules));
		json_object_set_new(m, "override_rules", rules);
		json_decref(verdicts);
	}
	if (error && *error)
		json_object_set_new(m, "error", json_string(error));
	free(text);
	return console_page(r, status, "console_scrivi", m);
}

enum MHD_Result console_compose_page(struct console_req *r)
{
	if (!console_may(r, "propose"))
		return console_forbidden(r);
	return form(r, 200, NULL, 0, 0, NULL, NULL);
}

/* The verdicts of a 422 policy refusal, or of a check (new reference or NULL). */
static json_t *verdicts_of(const struct api_result *res)
{
	json_t *v = json_object_get(res->body, "verdicts");
	return json_is_array(v) ? json_incref(v) : NULL;
}

enum MHD_Result console_compose_post(struct console_req *r)
{
	char action[16], url[96], location[128];
	struct api_result res, step;
	enum MHD_Result ret;
	long long id;
	const char *code;

	if (!console_may(r, "propose"))
		return console_forbidden(r);
	console_field(r, "azione", action, sizeof(action));
	if (!strcmp(action, "verifica")) {
		if (console_api(r, "POST", "/api/v1/policy/check", message_body(r, 1), &res))
			return console_error(r, 500, "Errore interno.", "Internal error.");
		if (res.status == 200)
			ret = form(r, 200, verdicts_of(&res), 1,
				   json_is_true(json_object_get(res.body, "allowed")), NULL,
				   json_incref(json_object_get(res.body, "previews")));
		else if (res.status == 422 || res.status == 400)
			ret = form(r, 422, NULL, 0, 0, console_api_message(r, &res), NULL);
		else
			ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	if (console_api(r, "POST", "/api/v1/messages", message_body(r, 1), &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	code = json_string_value(json_object_get(res.body, "error"));
	if (res.status == 422 && code && !strcmp(code, "policy")) {
		ret = form(r, 422, verdicts_of(&res), 1, 0,
			   console_en(r) ? "The comune's policy does not allow the message as it is: see the verdicts below."
					 : "La policy del comune non permette il messaggio così com'è: veda i verdetti qui sotto.",
			   NULL);
		json_decref(res.body);
		return ret;
	}
	if (res.status == 422 || res.status == 400) {
		ret = form(r, 422, NULL, 0, 0, console_api_message(r, &res), NULL);
		json_decref(res.body);
		return ret;
	}
	if (res.status != 201) {
		ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	id = (long long)json_integer_value(json_object_get(res.body, "id"));
	json_decref(res.body);
	snprintf(url, sizeof(url), "/api/v1/messages/%lld/propose", id);
	if (console_api(r, "POST", url, NULL, &step))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (step.status != 200) {
		ret = console_refused(r, &step);
		json_decref(step.body);
		return ret;
	}
	json_decref(step.body);
	snprintf(location, sizeof(location), "/console/messaggi?proposto=%lld", id);
	if (!strcmp(action, "invia") && console_may(r, "approve")) {
		snprintf(url, sizeof(url), "/api/v1/messages/%lld/approve", id);
		if (console_api(r, "POST", url, NULL, &step))
			return console_error(r, 500, "Errore interno.", "Internal error.");
		if (step.status == 202)
			snprintf(location, sizeof(location), "/console/messaggi?approvato=%lld", id);
		else
			snprintf(location, sizeof(location), "/console/messaggi?proposto=%lld&non_approvato=1", id);
		json_decref(step.body);
	}
	return console_redirect(r, location, NULL);
}
