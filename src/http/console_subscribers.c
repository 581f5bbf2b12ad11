/*
 * console_subscribers.c - subscribers: how many per platform, and what the comune holds
 * about one WhatsApp number when its owner asks (GDPR art. 15 and 20: shown, or
 * downloaded as JSON), and removing it on request (art. 17) through the API's erasure,
 * which the audit records without the number. Looking a number up reads one row by its
 * keyed hash; nothing here logs or keeps the number.
 *
 * Misuse of the channel (Leini, Seveso, Siracusa art. 7): a private warning first, then
 * expulsion (erased, and blocked from rejoining). Both ask for a confirmation page
 * before the API's warn or expel runs; the audit records each without the number.
 */
#include "http/console_internal.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/platform.h"
#include "inbound/choices.h"
#include "messages/messages.h"
#include "subscribers/subscribers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *platform_label(int p)
{
	static const char *const names[] = { "", "WhatsApp", "Telegram", "E-mail", "Web push", "SMS" };
	return p >= 1 && p <= PLATFORM_MAX ? names[p] : "?";
}

static json_t *counts(struct console_req *r, int *failed)
{
	struct store *st = console_store(r);
	json_t *arr = json_array();
	int platforms = r->c->ctx->cfg->platforms;

	*failed = !st;
	for (int p = 1; st && p <= PLATFORM_MAX; p++) {
		int64_t n = 0;
		if (!(platforms & (1 << p)))
			continue;
		if (store_subscriber_count(st, p, &n)) {
			*failed = 1;
			break;
		}
		json_array_append_new(arr, json_pack("{s:s, s:I}", "name", platform_label(p), "count", (json_int_t)n));
	}
	if (st)
		console_store_put(r, st, *failed);
	return arr;
}

static enum MHD_Result page_confirm(struct console_req *r, unsigned int status, json_t *found,
				    const char *notice, const char *error, json_t *confirm)
{
	json_t *m = console_model(r, "iscritti", "Iscritti", "Subscribers");
	int failed = 0;
	json_t *c = counts(r, &failed);

	if (!m) {
		json_decref(c);
		json_decref(found);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	json_object_set_new(m, "counts", c);
	json_object_set_new(m, "may_erase", json_boolean(console_may(r, "erase")));
	json_object_set_new(m, "may_warn", json_boolean(console_may(r, "warn")));
	json_object_set_new(m, "may_expel", json_boolean(console_may(r, "expel")));
	if (confirm)
		json_object_set_new(m, "confirm", confirm);
	if (found)
		json_object_set_new(m, "found", found);
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_iscritti", m);
}

static enum MHD_Result page(struct console_req *r, unsigned int status, json_t *found,
			    const char *notice, const char *error)
{
	return page_confirm(r, status, found, notice, error, NULL);
}

/* A private warning ("diffida") or an expulsion ("estromissione") of `canonical`: the
 * confirmation page first, then, with conferma=si, the API's warn or expel. */
static enum MHD_Result misuse(struct console_req *r, const char *what, const char *canonical)
{
	int warn = !strcmp(what, "diffida"), en = console_en(r);
	char text[1024], confirmed[8];
	struct api_result res;
	enum MHD_Result ret;
	const char *code;

	if (!console_may(r, warn ? "warn" : "expel"))
		return console_forbidden(r);
	console_field(r, warn ? "text" : "reason", text, sizeof(text));
	console_field(r, "conferma", confirmed, sizeof(confirmed));
	if (warn && !*text)
		return page(r, 422, NULL, NULL,
			    en ? "Write the warning's text: the citizen receives it privately."
			       : "Scriva il testo della diffida: il cittadino la riceve in privato.");
	if (!warn && !*text)
		return page(r, 422, NULL, NULL,
			    en ? "Write the reason for the expulsion: it goes into the audit log."
			       : "Scriva il motivo dell'estromissione: è annotato nel registro.");
	if (strcmp(confirmed, "si"))
		return page_confirm(r, 200, NULL, NULL, NULL,
				    json_pack("{s:s, s:s, s:s, s:b}", "action", what, "number", canonical,
					      "text", text, "warn", warn));
	if (console_api(r, "POST", warn ? "/api/v1/subscribers/warn" : "/api/v1/subscribers/expel",
			json_pack("{s:s, s:s}", "number", canonical, warn ? "text" : "reason", text), &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	code = json_string_value(json_object_get(res.body, "error"));
	if (res.status == 202 || res.status == 200)
		ret = page(r, 200, NULL,
			   warn ? (en ? "The private warning was sent to the number. The audit log records it, without the number."
				      : "La diffida riservata è stata inviata al numero. Il registro la annota, senza il numero.")
				: (en ? "The number was expelled: its data are erased and it cannot subscribe again. The audit log records it with the reason, without the number."
				      : "Il numero è stato estromesso: i suoi dati sono cancellati e non può iscriversi di nuovo. Il registro lo annota con il motivo, senza il numero."),
			   NULL);
	else if (res.status == 404 || res.status == 409 || res.status == 422 || (code && !strcmp(code, "window_closed")))
		ret = page(r, res.status, NULL, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}

enum MHD_Result console_subscribers(struct console_req *r)
{
	if (!console_may(r, "see_subscribers"))
		return console_forbidden(r);
	return page(r, 200, NULL, NULL, NULL);
}

/* The areas or topics a subscriber chose, as a line to read ("" for all). */
static int chosen_text(struct store *st, const struct config *cfg, const uint8_t hash[CRYPTO_HASH_LEN],
		       int kind, char *out, size_t cap)
{
	struct choices_list *l = malloc(sizeof(*l));
	size_t used = 0;
	int rc;

	out[0] = '\0';
	if (!l)
		return BANDITORE_ENOMEM;
	rc = choices_load(st, cfg, PLATFORM_WHATSAPP, hash, kind, l);
	for (int i = 0; !rc && !l->all && i < l->n; i++) {
		int n;
		if (!l->items[i].chosen)
			continue;
		n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", l->items[i].title);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
	free(l);
	return rc;
}

/* What the comune holds about `canonical` on WhatsApp (new object), or NULL when it is
 * not a subscriber; *rc gets a store error. */
static json_t *lookup(struct console_req *r, const char *canonical, int *rc)
{
	struct store *st = console_store(r);
	uint8_t hash[CRYPTO_HASH_LEN];
	struct store_subscriber sub;
	char joined[MESSAGES_TIME_MAX], last[MESSAGES_TIME_MAX], areas[512], topics[1024];
	json_t *o = NULL;

	*rc = BANDITORE_ESTORE;
	if (!st)
		return NULL;
	*rc = subscribers_hash(r->c->ctx->keys, PLATFORM_WHATSAPP, canonical, hash);
	if (!*rc)
		*rc = store_subscriber_get(st, PLATFORM_WHATSAPP, hash, &sub);
	if (!*rc)
		*rc = chosen_text(st, r->c->ctx->cfg, hash, STORE_AUDIENCE_AREA, areas, sizeof(areas));
	if (!*rc)
		*rc = chosen_text(st, r->c->ctx->cfg, hash, STORE_AUDIENCE_CATEGORY, topics, sizeof(topics));
	if (*rc == BANDITORE_ENOTFOUND) {
		*rc = 0;
	} else if (!*rc) {
		messages_time_format(sub.joined_at, joined);
		if (sub.last_inbound_at > 0)
			messages_time_format(sub.last_inbound_at, last);
		else
			last[0] = '\0';
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "platform", "whatsapp", "number",
			      canonical, "joined_at", joined, "method", sub.method, "policy_version",
			      sub.policy_version, "last_message_at", last, "consent_detail",
			      sub.consent_detail);
		if (o) { /* what they chose to hear about ("" : everything) */
			json_object_set_new(o, "areas", json_string(areas));
			json_object_set_new(o, "topics", json_string(topics));
		}
		crypto_wipe(&sub, sizeof(sub));
	}
	console_store_put(r, st, *rc == BANDITORE_ESTORE);
	return o;
}

enum MHD_Result console_subscribers_post(struct console_req *r, const char *what)
{
	char number[64], canonical[SUBSCRIBERS_ADDRESS_MAX];
	int en = console_en(r), rc;
	json_t *found;
	enum MHD_Result ret;

	if (!console_may(r, "see_subscribers") || !console_may(r, "erase"))
		return console_forbidden(r);
	console_field(r, "number", number, sizeof(number));
	if (subscribers_canonical(PLATFORM_WHATSAPP, number, canonical, sizeof(canonical)))
		return page(r, 422, NULL, NULL,
			    en ? "Not a valid phone number: write it with the country code, e.g. +39 333 000 0000."
			       : "Il numero non è valido: lo scriva con il prefisso internazionale, es. +39 333 000 0000.");
	if (!strcmp(what, "diffida") || !strcmp(what, "estromissione"))
		return misuse(r, what, canonical);
	if (!strcmp(what, "rimuovi")) {
		struct api_result res;
		if (console_api(r, "POST", "/api/v1/subscribers/erase",
				json_pack("{s:s}", "number", canonical), &res))
			return console_error(r, 500, "Errore interno.", "Internal error.");
		if (res.status != 200) {
			ret = console_refused(r, &res);
		} else {
			int erased = json_is_true(json_object_get(res.body, "erased"));
			ret = page(r, 200, NULL,
				   erased ? (en ? "The number was removed: every datum about it is erased. The audit log records one erasure on request, without the number."
						: "Il numero è stato rimosso: ogni dato che lo riguarda è cancellato. Il registro annota una cancellazione su richiesta, senza il numero.")
					  : (en ? "The number was not subscribed: nothing to remove."
						: "Il numero non era iscritto: non c'è nulla da rimuovere."),
				   NULL);
		}
		json_decref(res.body);
		return ret;
	}
	found = lookup(r, canonical, &rc);
	if (rc)
		return console_error(r, 503, "Database non disponibile.", "Database unavailable.");
	if (!found)
		return page(r, 404, NULL, en ? "This number is not subscribed: the comune holds nothing about it."
					     : "Questo numero non è iscritto: il Comune non conserva nulla che lo riguardi.", NULL);
	if (!strcmp(what, "esporta")) {
		char *text = json_dumps(found, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(found);
		if (!text)
			return console_error(r, 500, "Errore interno.", "Internal error.");
		ret = console_raw(r, 200, "application/json; charset=utf-8", text, strlen(text),
				  MHD_HTTP_HEADER_CONTENT_DISPOSITION, "attachment; filename=\"dati-iscritto.json\"");
		free(text);
		return ret;
	}
	return page(r, 200, found, NULL, NULL);
}
