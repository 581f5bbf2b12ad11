/*
 * console_joins.c - the console's front desk and join queue (inbound/joins.h says what
 * they are):
 *
 *   /console/sportello     staff enter a citizen's number and the signed paper form's
 *                          number and date; the citizen then confirms on WhatsApp
 *   /console/modulo        the consent form to print (A4, one page), made from the
 *                          configuration: comune, channel, the privacy notice's summary
 *                          and the version of policy and notice, fields, signature
 *   /console/richieste     "Richieste di iscrizione": the queue of moderate_joins, with
 *                          approve and refuse
 *
 * Every change goes through the JSON API in-process (api_call): its permission checks,
 * CSRF, Italian errors and audit are the API's own. Nothing here logs a number.
 */
#include "http/console_internal.h"

#include "common/err.h"
#include "common/platform.h"
#include "inbound/joins.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Today in Italy, "YYYY-MM-DD" (the form's date by default). */
static void today(char out[11])
{
	struct policy_tm tm;

	policy_rome_local((int64_t)time(NULL), &tm);
	snprintf(out, 11, "%04d-%02d-%02d", tm.year, tm.month, tm.day);
}

/* ------------------------------------------------------------------ the front desk */

/* The page; `typed` (taken, may be NULL) refills the form after an error. */
static enum MHD_Result desk_page(struct console_req *r, unsigned int status, json_t *typed,
				 const char *notice, const char *error)
{
	const struct config *cfg = r->c->ctx->cfg;
	json_t *m = console_model(r, "sportello", "Iscrizione allo sportello", "Front-desk enrollment");
	char day[11];

	if (!m) {
		json_decref(typed);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	today(day);
	json_object_set_new(m, "today", json_string(day));
	json_object_set_new(m, "hours", json_integer(cfg->confirm_within_hours));
	json_object_set_new(m, "typed", typed ? typed : json_object());
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_sportello", m);
}

enum MHD_Result console_desk(struct console_req *r)
{
	if (!console_may(r, "enroll"))
		return console_forbidden(r);
	if (!r->c->ctx->cfg->assisted_enrollment)
		return console_error(r, 404,
				     "L'iscrizione allo sportello non è attiva per questo canale "
				     "(assisted_enrollment nella sezione [channel] della configurazione).",
				     "Front-desk enrollment is not enabled for this channel "
				     "([channel] assisted_enrollment in the configuration).");
	return desk_page(r, 200, NULL, NULL, NULL);
}

enum MHD_Result console_desk_post(struct console_req *r)
{
	char number[64], form[128], date[32], it[256], en[256];
	struct api_result res;
	enum MHD_Result ret;
	json_t *typed;

	if (!console_may(r, "enroll"))
		return console_forbidden(r);
	console_field(r, "number", number, sizeof(number));
	console_field(r, "form_number", form, sizeof(form));
	console_field(r, "form_date", date, sizeof(date));
	if (console_api(r, "POST", "/api/v1/subscribers/enroll",
			json_pack("{s:s, s:s, s:s}", "number", number, "form_number", form, "form_date",
				  date),
			&res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 202) {
		snprintf(it, sizeof(it),
			 "Richiesta inviata. Il cittadino riceve ora un messaggio WhatsApp: è iscritto solo "
			 "quando risponde SÌ; senza risposta entro %d ore la richiesta è cancellata.",
			 r->c->ctx->cfg->confirm_within_hours);
		snprintf(en, sizeof(en),
			 "Request sent. The citizen now receives a WhatsApp message and is subscribed "
			 "only when they reply SÌ; with no answer within %d hours the request is erased.",
			 r->c->ctx->cfg->confirm_within_hours);
		ret = desk_page(r, 200, NULL, console_en(r) ? en : it, NULL);
	} else if (res.status == 422 || res.status == 409) {
		typed = json_pack("{s:s, s:s, s:s, s:s}", "number", number, "form_number", form,
				  "form_date", date, "field",
				  json_string_value(json_object_get(res.body, "field"))
					  ? json_string_value(json_object_get(res.body, "field"))
					  : "");
		ret = desk_page(r, res.status, typed, NULL, console_api_message(r, &res));
	} else {
		ret = console_refused(r, &res);
	}
	json_decref(res.body);
	return ret;
}

/* ------------------------------------------------------------------ the printable form */

enum MHD_Result console_form(struct console_req *r)
{
	const struct config *cfg = r->c->ctx->cfg;
	json_t *m;
	char version[65];

	if (!console_may(r, "enroll"))
		return console_forbidden(r);
	m = console_model(r, "modulo", "Modulo di consenso", "Consent form");
	if (!m)
		return console_error(r, 500, "Errore interno.", "Internal error.");
	config_policy_version(cfg, version);
	json_object_set_new(m, "version", json_string(version));
	json_object_set_new(m, "version_short", json_stringn(version, 12));
	json_object_set_new(m, "description", json_string(cfg->channel_description));
	json_object_set_new(m, "number", json_string(cfg->wa_display_number));
	json_object_set_new(m, "website", json_string(cfg->website));
	json_object_set_new(m, "controller", json_string(*cfg->controller ? cfg->controller : cfg->comune_name));
	json_object_set_new(m, "controller_email", json_string(cfg->controller_email));
	json_object_set_new(m, "dpo_email", json_string(cfg->dpo_email));
	json_object_set_new(m, "policy_url", json_string(cfg->policy_url));
	json_object_set_new(m, "privacy_url", json_string(cfg->privacy_url));
	json_object_set_new(m, "public_url", json_string(cfg->public_url));
	json_object_set_new(m, "unsubscribe", json_string(cfg->unsubscribe_word));
	json_object_set_new(m, "hours", json_integer(cfg->confirm_within_hours));
	json_object_set_new(m, "enabled", json_boolean(cfg->assisted_enrollment));
	return console_page(r, 200, "console_modulo", m);
}

/* ------------------------------------------------------------------ the queue */

static enum MHD_Result queue_page(struct console_req *r, unsigned int status, const char *notice,
				  const char *error)
{
	json_t *m = console_model(r, "richieste", "Richieste di iscrizione", "Join requests");
	struct api_result res;

	if (!m)
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (console_api(r, "GET", "/api/v1/joins", NULL, &res) || res.status != 200) {
		json_decref(m);
		if (!res.status)
			return console_error(r, 500, "Errore interno.", "Internal error.");
		{
			enum MHD_Result ret = console_refused(r, &res);
			json_decref(res.body);
			return ret;
		}
	}
	json_object_set(m, "requests", json_object_get(res.body, "requests"));
	json_object_set_new(m, "empty", json_boolean(json_array_size(json_object_get(res.body, "requests")) == 0));
	json_object_set_new(m, "more", json_boolean(json_is_true(json_object_get(res.body, "more"))));
	json_object_set_new(m, "days", json_integer(r->c->ctx->cfg->moderate_within_days));
	json_object_set_new(m, "may_see_numbers", json_boolean(console_may(r, "see_numbers")));
	json_decref(res.body);
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_richieste", m);
}

enum MHD_Result console_joins(struct console_req *r)
{
	if (!console_may(r, "moderate"))
		return console_forbidden(r);
	if (!r->c->ctx->cfg->moderate_joins)
		return console_error(r, 404,
				     "La moderazione delle iscrizioni non è attiva per questo canale "
				     "(moderate_joins nella sezione [channel] della configurazione).",
				     "Moderation of joins is not enabled for this channel ([channel] "
				     "moderate_joins in the configuration).");
	return queue_page(r, 200, NULL, NULL);
}

enum MHD_Result console_joins_act(struct console_req *r, const char *ref, const char *what)
{
	char url[128];
	struct api_result res;
	enum MHD_Result ret;
	int approve = !strcmp(what, "approva"), en = console_en(r);

	if (!console_may(r, "moderate"))
		return console_forbidden(r);
	snprintf(url, sizeof(url), "/api/v1/joins/%s/%s", ref, approve ? "approve" : "refuse");
	if (console_api(r, "POST", url, json_object(), &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 200)
		ret = queue_page(r, 200,
				 approve ? (en ? "Request approved: the citizen is subscribed and has been told."
					       : "Richiesta approvata: il cittadino è iscritto ed è stato avvisato.")
					 : (en ? "Request refused: the number is erased and the citizen has been told."
					       : "Richiesta respinta: il numero è cancellato e il cittadino è stato avvisato."),
				 NULL);
	else if (res.status == 404 || res.status == 410)
		ret = queue_page(r, res.status, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}
