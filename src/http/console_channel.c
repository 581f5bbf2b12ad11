/*
 * console_channel.c - "Da pubblicare sul canale WhatsApp": where the comune's WhatsApp
 * Channel is posted by hand ([whatsapp] channel_mode = manual), each approved message
 * waits here with its text ready to copy (and the archive's link for an attachment)
 * until a person publishes it in the app and presses "Pubblicato"; who and when go into
 * the audit and the public archive. Through the API: GET /api/v1/channel/posts and
 * POST /api/v1/channel/posts/{id}/posted.
 */
#include "http/console_internal.h"

#include "config/config.h"
#include "messages/messages.h"

#include <stdio.h>
#include <string.h>

/* RFC 3339 (UTC) as Rome's "2026-11-29 10:30"; "" for null. */
static void local_time(json_t *v, char *out, size_t cap)
{
	int64_t t = 0;

	if (!json_is_string(v) || messages_time_parse(json_string_value(v), &t))
		snprintf(out, cap, "%s", "");
	else
		console_time(t, out, cap);
}

/* The API's tasks with times in Rome's time, and the posted_by without its "staff:". */
static json_t *tasks(json_t *arr)
{
	json_t *out = json_array(), *e;
	char approved[32], scheduled[32], posted[32];
	size_t i;

	json_array_foreach(arr, i, e) {
		const char *by = json_string_value(json_object_get(e, "posted_by"));
		json_t *t = json_deep_copy(e);
		if (!t)
			continue;
		local_time(json_object_get(e, "approved_at"), approved, sizeof(approved));
		local_time(json_object_get(e, "scheduled_at"), scheduled, sizeof(scheduled));
		local_time(json_object_get(e, "posted_at"), posted, sizeof(posted));
		json_object_set_new(t, "approved", json_string(approved));
		json_object_set_new(t, "scheduled", json_string(scheduled));
		json_object_set_new(t, "posted", json_string(posted));
		if (by && strchr(by, ':'))
			json_object_set_new(t, "by", json_string(strchr(by, ':') + 1));
		json_array_append_new(out, t);
	}
	return out;
}

static enum MHD_Result page(struct console_req *r, unsigned int status, const char *notice,
			    const char *error)
{
	struct api_result res;
	enum MHD_Result ret;
	json_t *m;

	if (console_api(r, "GET", "/api/v1/channel/posts", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status != 200) {
		ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	m = console_model(r, "canale", "Da pubblicare sul canale WhatsApp", "To post on the WhatsApp Channel");
	if (!m) {
		json_decref(res.body);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	json_object_set_new(m, "manual", json_boolean(r->c->ctx->cfg->wa_channel_manual));
	json_object_set(m, "channel_url", json_object_get(res.body, "channel_url"));
	json_object_set_new(m, "waiting", tasks(json_object_get(res.body, "waiting")));
	json_object_set_new(m, "posted_list", tasks(json_object_get(res.body, "posted")));
	json_decref(res.body);
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_canale", m);
}

enum MHD_Result console_channel(struct console_req *r)
{
	const char *done = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "esito");

	if (!console_may(r, "channel_post"))
		return console_forbidden(r);
	if (done && !strcmp(done, "pubblicato"))
		return page(r, 200, console_en(r) ? "Marked as posted: the audit log and the public archive record who and when."
						  : "Segnato come pubblicato: il registro e l'archivio pubblico annotano chi e quando.",
			    NULL);
	return page(r, 200, NULL, NULL);
}

enum MHD_Result console_channel_posted(struct console_req *r, long long id)
{
	struct api_result res;
	enum MHD_Result ret;
	char url[96];

	if (!console_may(r, "channel_post"))
		return console_forbidden(r);
	snprintf(url, sizeof(url), "/api/v1/channel/posts/%lld/posted", id);
	if (console_api(r, "POST", url, NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 200)
		ret = console_redirect(r, console_en(r) ? "/console/canale-whatsapp?esito=pubblicato&lang=en"
							: "/console/canale-whatsapp?esito=pubblicato",
				       NULL);
	else if (res.status == 404 || res.status == 409)
		ret = page(r, res.status, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}
