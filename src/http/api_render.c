/* api_render.c - the API's JSON: a message with its progress, errors, and answering. */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *api_body_object(const struct api_request *r)
{
	json_t *o;

	if (!r->body || r->len == 0)
		return NULL;
	o = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *api_member(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *api_time_json(int64_t t)
{
	char s[MESSAGES_TIME_MAX];

	if (t <= 0)
		return json_null();
	messages_time_format(t, s);
	return json_string(s);
}

enum MHD_Result api_internal_error(struct api_request *r, const char *what, int rc)
{
	log_error("api-failed", "step=%s error=\"%s\"", what, banditore_strerror(rc));
	if (rc == BANDITORE_ESTORE)
		r->broken = 1; /* the read connection goes back to the pool as broken */
	if (rc == BANDITORE_ESTOPPED)
		return api_respond_error(r->conn, 503, "unavailable", NULL,
					 "servizio in arresto, riprovare", "shutting down, retry");
	return api_respond_error(r->conn, 500, "internal", NULL, "errore interno", "internal error");
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *api_render_message(const struct store_message *m)
{
	struct messages_progress p;
	json_t *o;

	messages_progress(m, &p);
	/* json_pack "o" takes the reference of the time and string values it is given. */
	o = json_pack("{s:I, s:s, s:s, s:o, s:s?, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, "
		      "s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
		      "id", (json_int_t)m->id,
		      "state", messages_state_name(m->state),
		      "priority", messages_priority_name(m->priority),
		      "title", string_or_null(m->title),
		      "text", m->text,
		      "category", m->category,
		      "link", string_or_null(m->link),
		      "scheduled_at", api_time_json(m->scheduled_at),
		      "expires_at", api_time_json(m->expires_at),
		      "created_at", api_time_json(m->created_at),
		      "approved_at", api_time_json(m->approved_at),
		      "started_at", api_time_json(m->started_at),
		      "finished_at", api_time_json(m->finished_at),
		      "created_by", m->created_by,
		      "audience", (json_int_t)m->audience,
		      "progress",
		      "queued", (json_int_t)p.queued,
		      "sent", (json_int_t)p.sent,
		      "delivered", (json_int_t)p.delivered,
		      "read", (json_int_t)p.read,
		      "failed", (json_int_t)p.failed,
		      "unreachable", (json_int_t)p.unreachable);
	/* An update: the message it replaces, and the sent one that replaced it (or null). */
	if (o) {
		json_object_set_new(o, "replaces", m->replaces ? json_integer(m->replaces) : json_null());
		json_object_set_new(o, "replaced_by",
				    m->replaced_by ? json_integer(m->replaced_by) : json_null());
	}
	return o;
}

json_t *api_render_error(const char *code, const char *field, const char *it, const char *en)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "error", json_string(code));
	if (field)
		json_object_set_new(o, "field", json_string(field));
	json_object_set_new(o, "message", json_string(it));
	json_object_set_new(o, "message_en", json_string(en));
	return o;
}

_Thread_local struct api_result *api_capture;

enum MHD_Result api_respond(struct MHD_Connection *conn, unsigned int status, json_t *body,
			    const char *header, const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text;

	if (api_capture) { /* the console's own call: hand the answer over */
		json_decref(api_capture->body);
		api_capture->status = status;
		api_capture->body = body;
		if (header && value && !strcmp(header, MHD_HTTP_HEADER_SET_COOKIE))
			snprintf(api_capture->set_cookie, sizeof(api_capture->set_cookie), "%s", value);
		return MHD_YES;
	}
	text = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(body);
	if (!text) { /* out of memory: a body that needs none */
		status = 500;
		text = strdup("{\"error\":\"internal\"}");
		if (!text)
			return MHD_NO;
	}
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (header)
		MHD_add_response_header(r, header, value);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result api_respond_error(struct MHD_Connection *conn, unsigned int status,
				  const char *code, const char *field, const char *it,
				  const char *en)
{
	return api_respond(conn, status, api_render_error(code, field, it, en), NULL, NULL);
}
