/*
 * console_inbox.c - "Messaggi ricevuti": the private messages citizens sent where the
 * comune keeps them until answered ([inbound] mode = keep-until-answered, Seveso art. 5),
 * each with when it is deleted anyway; a private reply that deletes the message, or a
 * deletion without reply. Everything goes through the API (GET /api/v1/inbox, POST
 * /api/v1/inbox/{id}/reply and /delete): its permission check, CSRF and audit.
 */
#include "http/console_internal.h"

#include "common/err.h"
#include "config/config.h"
#include "messages/messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reply: the API takes 4096 bytes; one more reaches it when the form held more, so
 * that a too long reply is refused rather than cut here. */
#define INBOX_TEXT_MAX (4096 + 2)

/* "2026-11-29T09:30:00Z" (the API's RFC 3339, UTC) as Rome's "2026-11-29 10:30". */
static void local_time(const char *rfc3339, char *out, size_t cap)
{
	int64_t t = 0;

	if (!rfc3339 || messages_time_parse(rfc3339, &t))
		snprintf(out, cap, "%s", rfc3339 ? rfc3339 : "");
	else
		console_time(t, out, cap);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static enum MHD_Result page(struct console_req *r, unsigned int status, const char *notice,
			    const char *error)
{
	const struct config *cfg = r->c->ctx->cfg;
	struct api_result res;
	json_t *m, *arr, *e;
	size_t i;
	char received[32], expires[32], before[32];

	if (console_api(r, "GET", "/api/v1/inbox", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status != 200) {
		enum MHD_Result ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	m = console_model(r, "ricevuti", "Messaggi ricevuti", "Received messages");
	arr = json_array();
	if (!m || !arr) {
		json_decref(m);
		json_decref(arr);
		json_decref(res.body);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	json_array_foreach(json_object_get(res.body, "messages"), i, e) {
		local_time(str(e, "received_at"), received, sizeof(received));
		local_time(str(e, "expires_at"), expires, sizeof(expires));
		local_time(str(e, "reply_before"), before, sizeof(before));
		json_array_append_new(arr, json_pack("{s:O, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
						     json_object_get(e, "id"), "number", str(e, "number"),
						     "text", str(e, "text"), "received", received,
						     "expires", expires, "reply_before", before, "can_reply",
						     json_is_true(json_object_get(e, "can_reply"))));
	}
	json_decref(res.body); /* the opened texts: freed now, the page holds its own copy */
	json_object_set_new(m, "messages", arr);
	json_object_set_new(m, "keep", json_boolean(cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED));
	json_object_set_new(m, "keep_days", json_integer(cfg->keep_days));
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_ricevuti", m);
}

enum MHD_Result console_inbox(struct console_req *r)
{
	const char *done = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "esito");
	int en = console_en(r);

	if (!console_may(r, "inbox"))
		return console_forbidden(r);
	if (done && !strcmp(done, "risposto"))
		return page(r, 200, en ? "The reply was queued for sending and the message was deleted."
				       : "La risposta è in invio e il messaggio è stato cancellato.", NULL);
	if (done && !strcmp(done, "cancellato"))
		return page(r, 200, en ? "The message was deleted without a reply."
				       : "Il messaggio è stato cancellato senza risposta.", NULL);
	return page(r, 200, NULL, NULL);
}

enum MHD_Result console_inbox_act(struct console_req *r, long long id, const char *what)
{
	int reply = !strcmp(what, "rispondi");
	char url[96], *text = NULL;
	struct api_result res;
	json_t *body = NULL;
	enum MHD_Result ret;

	if (!console_may(r, "inbox"))
		return console_forbidden(r);
	if (reply) {
		text = malloc(INBOX_TEXT_MAX);
		if (!text)
			return console_error(r, 500, "Errore interno.", "Internal error.");
		console_field(r, "text", text, INBOX_TEXT_MAX);
		body = json_pack("{s:s}", "text", text);
		free(text);
	}
	snprintf(url, sizeof(url), "/api/v1/inbox/%lld/%s", id, reply ? "reply" : "delete");
	if (console_api(r, "POST", url, body, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 200 || res.status == 202)
		ret = console_redirect(r, reply ? (console_en(r) ? "/console/messaggi-ricevuti?esito=risposto&lang=en"
								  : "/console/messaggi-ricevuti?esito=risposto")
						: (console_en(r) ? "/console/messaggi-ricevuti?esito=cancellato&lang=en"
								 : "/console/messaggi-ricevuti?esito=cancellato"),
				       NULL);
	else if (res.status == 404 || res.status == 409 || res.status == 422)
		ret = page(r, res.status, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}
