/*
 * console_messages.c - the approvals queue (proposed messages, each with Approve and
 * Reject-with-a-reason forms) and the list of messages (scheduled, sending, sent, with
 * delivered / read / failed counts, and under each a row per platform of the channel
 * with its own progress bar), and the actions on one message: approve, reject, cancel. The rules (nobody approves their own proposal, a reason for a rejection) are
 * the API's; the page says what it answered.
 */
#include "http/console_internal.h"

#include "http/api_internal.h"
#include "messages/messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 100

/* What the console calls each platform and each state of its delivery. */
static const char *platform_label(struct console_req *r, const char *name)
{
	if (!strcmp(name, "whatsapp"))
		return "WhatsApp";
	if (!strcmp(name, "telegram"))
		return "Telegram";
	if (!strcmp(name, "email"))
		return "E-mail";
	if (!strcmp(name, "webpush"))
		return console_en(r) ? "Browser notifications" : "Notifiche del browser";
	if (!strcmp(name, "sms"))
		return "SMS";
	return name;
}

static const char *platform_state_label(struct console_req *r, const char *state)
{
	static const char *const labels[][3] = {
		{ "waiting", "In attesa", "Waiting" },
		{ "sending", "In invio", "Sending" },
		{ "sent", "Inviato", "Sent" },
		{ "partly-failed", "Inviato in parte", "Partly failed" },
		{ "stopped", "Fermato", "Stopped" },
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (!strcmp(state, labels[i][0]))
			return labels[i][console_en(r) ? 2 : 1];
	return state;
}

json_t *console_platforms_json(struct console_req *r, struct store *st,
			       const struct store_message *m)
{
	json_t *list = api_render_platforms(st, r->c->ctx->cfg, m), *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *name = json_string_value(json_object_get(v, "platform"));
		const char *state = json_string_value(json_object_get(v, "state"));
		json_int_t total = json_integer_value(json_object_get(v, "total"));
		json_int_t done = json_integer_value(json_object_get(v, "sent")) +
				  json_integer_value(json_object_get(v, "failed"));
		int finished = state && (!strcmp(state, "sent") || !strcmp(state, "partly-failed") ||
					 !strcmp(state, "stopped"));
		int pct = total > 0 ? (int)(done * 100 / total) : (finished ? 100 : 0);

		json_object_set_new(v, "label", json_string(platform_label(r, name ? name : "")));
		json_object_set_new(v, "state_label",
				    json_string(platform_state_label(r, state ? state : "")));
		json_object_set_new(v, "percent", json_integer(pct > 100 ? 100 : pct));
		json_object_set_new(v, "message_title", json_string(m->title[0] ? m->title : m->category));
	}
	return list;
}

enum MHD_Result console_approvals(struct console_req *r)
{
	struct api_result res;
	json_t *m, *list, *v, *shown;
	size_t i;

	if (!console_may(r, "approve"))
		return console_forbidden(r);
	if (console_api(r, "GET", "/api/v1/messages", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status != 200) {
		enum MHD_Result ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	m = console_model(r, "approvazioni", "Approvazioni", "Approvals");
	list = json_object_get(res.body, "messages");
	shown = json_array();
	json_array_foreach(list, i, v) {
		json_t *review = json_object_get(v, "review");
		const char *by = json_string_value(json_object_get(review, "proposed_by"));
		json_t *o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:s, s:b, s:b}", "id", json_object_get(v, "id"),
				      "title", json_object_get(v, "title"), "text", json_object_get(v, "text"),
				      "category", json_object_get(v, "category"), "proposed_at",
				      json_object_get(review, "proposed_at"), "proposed_by", by ? by : "",
				      "own", by && r->name && !strcmp(by, r->name),
				      "emergency", !strcmp(json_string_value(json_object_get(v, "priority")) ? json_string_value(json_object_get(v, "priority")) : "", "emergency"));
		if (o)
			json_array_append_new(shown, o);
	}
	json_decref(res.body);
	if (m)
		json_object_set_new(m, "messages", shown);
	else
		json_decref(shown);
	return console_page(r, 200, "console_approvazioni", m);
}

enum MHD_Result console_messages(struct console_req *r)
{
	struct store_message *list = calloc(LIST_MAX, sizeof(*list));
	struct store *st = console_store(r);
	json_t *m = console_model(r, "messaggi", "Messaggi", "Messages"), *arr = json_array();
	const char *proposed = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "proposto");
	const char *approved = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "approvato");
	const char *not_approved = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "non_approvato");
	const char *done = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "fatto");
	int n = 0, rc = -1;
	int may_cancel = console_may(r, "cancel");

	if (list && st)
		rc = store_message_list(st, 0, list, LIST_MAX, &n);
	for (int i = 0; rc == 0 && i < n; i++) {
		struct store_message *x = &list[i];
		char created[32], when[32];
		struct messages_progress pr;
		messages_progress(x, &pr);
		console_time(x->created_at, created, sizeof(created));
		console_time(x->started_at ? x->started_at : x->scheduled_at, when, sizeof(when));
		json_array_append_new(arr, json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b}",
			"id", (json_int_t)x->id, "title", x->title[0] ? x->title : "(senza titolo)",
			"category", x->category, "state", messages_state_name(x->state), "state_label",
			console_state_label(r, x->state), "created", created, "when", when,
			"created_by", x->created_by, "audience", (json_int_t)x->audience,
			"sent", (json_int_t)pr.sent, "delivered", (json_int_t)pr.delivered,
			"read", (json_int_t)pr.read, "failed", (json_int_t)(pr.failed + pr.unreachable),
			"emergency", x->priority == STORE_PRIORITY_EMERGENCY,
			"cancellable", may_cancel && messages_cancellable(x->state),
			"done", x->state >= STORE_MSG_SENT));
		if (x->state >= STORE_MSG_SENDING) { /* a row per platform, once it goes out */
			json_t *row = json_array_get(arr, json_array_size(arr) - 1);
			json_t *plats = console_platforms_json(r, st, x), *q;
			size_t k;

			/* Sent on WhatsApp while another platform still sends: a cancel stops
			 * that platform (messages_cancel). */
			json_array_foreach(plats, k, q)
				if (may_cancel && (x->state == STORE_MSG_SENT ||
						   x->state == STORE_MSG_PARTLY_FAILED) &&
				    !strcmp(json_string_value(json_object_get(q, "state")) ?
						    json_string_value(json_object_get(q, "state")) : "",
					    "sending"))
					json_object_set_new(row, "cancellable", json_true());
			json_object_set_new(row, "platforms", plats);
		}
		store_message_clear(x);
	}
	free(list);
	if (st)
		console_store_put(r, st, 0);
	if (rc) {
		json_decref(m);
		json_decref(arr);
		return console_error(r, 503, "Database non disponibile.", "Database unavailable.");
	}
	if (!m) {
		json_decref(arr);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	json_object_set_new(m, "messages", arr);
	if (proposed)
		json_object_set_new(m, "notice", json_string(
			not_approved ? (console_en(r) ? "The message was proposed; it waits for another person's approval."
						      : "Il messaggio è stato proposto; attende l'approvazione di un'altra persona.")
				     : (console_en(r) ? "The message was proposed for approval."
						      : "Il messaggio è stato proposto per l'approvazione.")));
	else if (approved)
		json_object_set_new(m, "notice", json_string(console_en(r) ? "The message was approved: it goes out now or at its time."
									   : "Il messaggio è stato approvato: parte ora o all'ora prevista."));
	else if (done)
		json_object_set_new(m, "notice", json_string(console_en(r) ? "Done." : "Fatto."));
	return console_page(r, 200, "console_messaggi", m);
}

enum MHD_Result console_message_act(struct console_req *r, long long id, const char *what)
{
	char url[96], reason[512], location[96];
	struct api_result res;
	json_t *body = NULL;
	enum MHD_Result ret;
	const char *verb = !strcmp(what, "approva") ? "approve" : !strcmp(what, "respingi") ? "reject" : "cancel";
	unsigned int ok = !strcmp(verb, "approve") ? 202 : 200;

	if (!strcmp(verb, "reject")) {
		console_field(r, "reason", reason, sizeof(reason));
		body = json_pack("{s:s}", "reason", reason);
	}
	snprintf(url, sizeof(url), "/api/v1/messages/%lld/%s", id, verb);
	if (console_api(r, "POST", url, body, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == ok) {
		snprintf(location, sizeof(location), "%s",
			 !strcmp(verb, "approve") ? "/console/messaggi?approvato=1" : "/console/messaggi?fatto=1");
		ret = console_redirect(r, location, NULL);
	} else if (res.status == 403 && json_string_value(json_object_get(res.body, "error")) &&
		   !strcmp(json_string_value(json_object_get(res.body, "error")), "self_approval")) {
		ret = console_error(r, 403, "Nessuno approva un messaggio proposto o scritto da sé: "
					    "serve l'approvazione di un'altra persona (salvo un'emergenza, per gestore e responsabile).",
				    "Nobody approves a message they proposed or wrote: another person must approve it "
				    "(except an emergency, for a manager or the responsible).");
	} else {
		ret = console_refused(r, &res);
	}
	json_decref(res.body);
	return ret;
}
