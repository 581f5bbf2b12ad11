/*
 * cloud_api.c - POST /{version}/{phone-number-id}/messages and /media, as Meta answers.
 *
 * The order of the checks follows the Graph API: the path, the access token, the object
 * (phone-number id), then the body. Only a request that passes them all can meet an
 * injected fault or the rate limits, so the 4xx answers stay deterministic.
 */
#include "sim/cloud_api.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "sim/ids.h"
#include "sim/webhook_out.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_BODY_MAX 4096       /* characters, Meta's limit on text['body'] */
#define BIZ_OPAQUE_MAX 512       /* characters, Meta's limit on biz_opaque_callback_data */
#define PATH_SEGMENT_MAX 64

enum endpoint { EP_MESSAGES, EP_MEDIA };

int sim_cloud_owns(const char *path)
{
	return path[0] == '/' && path[1] == 'v' && path[2] >= '0' && path[2] <= '9';
}

/* Meta's error object:
 * {"error":{"message","type","code",["error_subcode"],["error_data"],"fbtrace_id"}}. */
static int meta_error(struct sim_reply *out, unsigned status, int code, int subcode,
		      const char *type, const char *message, const char *details)
{
	char trace[SIM_TRACE_MAX];
	json_t *err, *root;
	char *text;
	int rc;

	sim_new_trace_id(trace);
	err = json_pack("{s:s, s:s, s:i}", "message", message, "type", type, "code", code);
	if (!err)
		return BANDITORE_ENOMEM;
	if (subcode)
		json_object_set_new(err, "error_subcode", json_integer(subcode));
	if (details)
		json_object_set_new(err, "error_data", json_pack("{s:s, s:s}", "messaging_product",
								 "whatsapp", "details", details));
	if (status >= 500)
		json_object_set_new(err, "is_transient", json_true());
	json_object_set_new(err, "fbtrace_id", json_string(trace));
	root = json_pack("{s:o}", "error", err);
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!text)
		return BANDITORE_ENOMEM;
	out->status = status;
	buf_reset(&out->body);
	rc = buf_appends(&out->body, text);
	free(text);
	return rc;
}

/* "(#100) <what>" for a parameter error. */
static int param_error(struct sim *sim, struct sim_reply *out, const char *what,
		       const char *details)
{
	char message[256];
	snprintf(message, sizeof(message), "(#100) %s", what);
	sim_state_count(sim->state, SIM_REJECTED_INVALID);
	return meta_error(out, 400, 100, 0, "OAuthException", message, details);
}

static int unsupported(struct sim_reply *out, const char *method, const char *id)
{
	char message[512];
	char m[8];
	size_t i;

	for (i = 0; i + 1 < sizeof(m) && method[i]; i++)
		m[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32 : method[i]);
	m[i] = '\0';
	snprintf(message, sizeof(message),
		 "Unsupported %s request. Object with ID '%.64s' does not exist, cannot be loaded "
		 "due to missing permissions, or does not support this operation. Please read the "
		 "Graph API documentation at https://developers.facebook.com/docs/graph-api",
		 m, id);
	return meta_error(out, 400, 100, 33, "GraphMethodException", message, NULL);
}

/* Splits "/v23.0/<id>/messages" into its parts; 0 when it has that form. */
static int parse_path(const char *path, char id[PATH_SEGMENT_MAX], enum endpoint *ep)
{
	const char *p = path + 2, *slash;
	size_t n;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '/')
		return -1;
	p++;
	slash = strchr(p, '/');
	if (!slash || slash == p || (n = (size_t)(slash - p)) >= PATH_SEGMENT_MAX)
		return -1;
	memcpy(id, p, n);
	id[n] = '\0';
	if (!strcmp(slash, "/messages"))
		*ep = EP_MESSAGES;
	else if (!strcmp(slash, "/media"))
		*ep = EP_MEDIA;
	else
		return -1;
	return 0;
}

static int token_ok(const struct sim *sim, const char *authorization)
{
	const char *want = sim->cfg.access_token;
	size_t n = strlen(want);

	if (!authorization || strncmp(authorization, "Bearer ", 7) != 0)
		return 0;
	authorization += 7;
	return strlen(authorization) == n && crypto_equal(authorization, want, n);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static const char *str_member(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The values of a template's parameters, in order, as strings. */
/* Media ids this simulator gave at upload (the most recent SIM_UPLOADS_KEPT): a template
 * header naming another id is refused, as Meta refuses an unknown media id. */
#define SIM_UPLOADS_KEPT 1024
static char uploaded[SIM_UPLOADS_KEPT][SIM_MEDIA_ID_MAX];
static unsigned n_uploaded;
static pthread_mutex_t uploads_lock = PTHREAD_MUTEX_INITIALIZER;

static void upload_remember(const char *id)
{
	pthread_mutex_lock(&uploads_lock);
	snprintf(uploaded[n_uploaded++ % SIM_UPLOADS_KEPT], SIM_MEDIA_ID_MAX, "%s", id);
	pthread_mutex_unlock(&uploads_lock);
}

static int upload_known(const char *id)
{
	int found = 0;

	pthread_mutex_lock(&uploads_lock);
	for (unsigned i = 0; i < SIM_UPLOADS_KEPT && i < n_uploaded && !found; i++)
		found = !strcmp(uploaded[i], id);
	pthread_mutex_unlock(&uploads_lock);
	return found;
}

/* The first media id a template's header names that was never uploaded here, or NULL. */
static const char *unknown_header_media(json_t *tmpl)
{
	json_t *comp, *p;
	size_t i, k;

	json_array_foreach(json_object_get(tmpl, "components"), i, comp) {
		if (!str_member(comp, "type") || strcmp(str_member(comp, "type"), "header"))
			continue;
		json_array_foreach(json_object_get(comp, "parameters"), k, p) {
			const char *type = str_member(p, "type");
			const char *id = type ? str_member(json_object_get(p, type), "id") : NULL;
			if (id && !upload_known(id))
				return id;
		}
	}
	return NULL;
}

static json_t *template_params(json_t *tmpl)
{
	json_t *params = json_array(), *comp, *p;
	size_t i, k;

	json_array_foreach(json_object_get(tmpl, "components"), i, comp) {
		json_array_foreach(json_object_get(comp, "parameters"), k, p) {
			const char *type = str_member(p, "type"), *v = NULL;
			json_t *sub;
			if (!type)
				continue;
			if (!strcmp(type, "text"))
				v = str_member(p, "text");
			else if (!strcmp(type, "payload"))
				v = str_member(p, "payload");
			else if ((sub = json_object_get(p, type)) != NULL && json_is_object(sub))
				v = str_member(sub, "fallback_value") ? str_member(sub, "fallback_value")
				  : str_member(sub, "link") ? str_member(sub, "link")
				  : str_member(sub, "id");
			json_array_append_new(params, json_string(v ? v : type));
		}
	}
	return params;
}

/*
 * Checks `msg` as Meta does and, when it passes, fills `record` with what the
 * simulator keeps of it. A refusal is written into `out` (its status is then no longer
 * 200). Returns 0, or a negative code when out of memory.
 */
static int check_message(struct sim *sim, json_t *msg, const char *type, json_t *record,
			 struct sim_reply *out)
{
	json_t *part = json_object_get(msg, type);
	char what[128];

	if (!json_is_object(part)) {
		snprintf(what, sizeof(what), "The parameter %s is required.", type);
		return param_error(sim, out, what, NULL);
	}
	if (!strcmp(type, "text")) {
		const char *body = str_member(part, "body");
		if (!body || !*body)
			return param_error(sim, out, "The parameter text['body'] is required.", NULL);
		if (utf8_chars(body) > TEXT_BODY_MAX)
			return param_error(sim, out,
					   "Param text['body'] must be at most 4096 characters long.",
					   NULL);
		json_object_set_new(record, "text", json_string(body));
	} else if (!strcmp(type, "template")) {
		const char *name = str_member(part, "name");
		json_t *lang = json_object_get(part, "language");
		const char *code = str_member(lang, "code");
		if (!name || !*name)
			return param_error(sim, out, "The parameter template['name'] is required.",
					   NULL);
		if (!code || !*code)
			return param_error(sim, out,
					   "The parameter template['language']['code'] is required.",
					   NULL);
		if (unknown_header_media(part)) {
			sim_state_count(sim->state, SIM_REJECTED_INVALID);
			return meta_error(out, 400, 131009, 0, "OAuthException",
					  "(#131009) Parameter value is not valid",
					  "The media id in the template header was not uploaded");
		}
		json_object_set_new(record, "template",
				    json_pack("{s:s, s:s, s:o}", "name", name, "language", code,
					      "params", template_params(part)));
	} else if (!strcmp(type, "image") || !strcmp(type, "document") || !strcmp(type, "audio") ||
		   !strcmp(type, "video") || !strcmp(type, "sticker")) {
		const char *id = str_member(part, "id"), *link = str_member(part, "link");
		json_t *media = json_object();
		if ((!id || !*id) && (!link || !*link)) {
			json_decref(media);
			sim_state_count(sim->state, SIM_REJECTED_INVALID);
			return meta_error(out, 400, 131008, 0, "OAuthException",
					  "(#131008) Required parameter is missing",
					  "Either the media 'id' or 'link' is required");
		}
		json_object_set_new(media, id && *id ? "id" : "link", json_string(id && *id ? id : link));
		if (str_member(part, "caption")) {
			json_object_set_new(media, "caption", json_string(str_member(part, "caption")));
			json_object_set_new(record, "text", json_string(str_member(part, "caption")));
		}
		if (str_member(part, "filename"))
			json_object_set_new(media, "filename", json_string(str_member(part, "filename")));
		json_object_set_new(record, "media", media);
	} else if (!strcmp(type, "interactive")) {
		json_t *body = json_object_get(part, "body");
		if (!str_member(part, "type"))
			return param_error(sim, out, "The parameter interactive['type'] is required.",
					   NULL);
		if (!json_is_object(json_object_get(part, "action")))
			return param_error(sim, out, "The parameter interactive['action'] is required.",
					   NULL);
		if (!strcmp(str_member(part, "type"), "button")) {
			/* Reply buttons, as the description's ActionObject says: 1 to 3, each
			 * {"type":"reply","reply":{"id" <= 256, "title" 1..20}}, titles and ids
			 * unique, a body text of at most 1,024 characters. */
			json_t *buttons = json_object_get(json_object_get(part, "action"), "buttons");
			const char *bt = str_member(body, "text");
			size_t nb = json_array_size(buttons);
			if (!bt || !*bt || utf8_chars(bt) > 1024)
				return param_error(sim, out,
						   "The parameter interactive['body']['text'] is required and at most 1024 characters long.",
						   NULL);
			if (!json_is_array(buttons) || nb < 1 || nb > 3)
				return param_error(sim, out,
						   "Param interactive['action']['buttons'] must have 1 to 3 items.",
						   NULL);
			for (size_t i = 0; i < nb; i++) {
				json_t *r = json_object_get(json_array_get(buttons, i), "reply");
				const char *bid = str_member(r, "id"), *title = str_member(r, "title");
				const char *btype = str_member(json_array_get(buttons, i), "type");
				if (!btype || strcmp(btype, "reply") || !bid || !*bid ||
				    strlen(bid) > 256 || !title || !*title || utf8_chars(title) > 20)
					return param_error(sim, out,
							   "Each button needs type 'reply' and a reply with an id (at most 256 characters) and a title (at most 20).",
							   NULL);
				for (size_t j = 0; j < i; j++) {
					json_t *o = json_object_get(json_array_get(buttons, j), "reply");
					if (!strcmp(str_member(o, "id"), bid) ||
					    !strcmp(str_member(o, "title"), title))
						return param_error(sim, out,
								   "Button titles and ids must be unique.",
								   NULL);
				}
			}
		}
		if (!strcmp(str_member(part, "type"), "list")) {
			/* A list, as the description's ActionObject says: a button text of 1..20
			 * characters, 1 to 10 sections, 10 rows in all, each row an id of at most
			 * 200 characters (unique) and a title of 1..24, an optional description
			 * of at most 72; a body text of at most 4,096. */
			json_t *action = json_object_get(part, "action");
			json_t *sections = json_object_get(action, "sections");
			const char *bt = str_member(body, "text"), *button = str_member(action, "button");
			size_t ns = json_array_size(sections), total = 0;
			if (!bt || !*bt || utf8_chars(bt) > 4096)
				return param_error(sim, out,
						   "The parameter interactive['body']['text'] is required and at most 4096 characters long.",
						   NULL);
			if (!button || !*button || utf8_chars(button) > 20)
				return param_error(sim, out,
						   "The parameter interactive['action']['button'] is required and at most 20 characters long.",
						   NULL);
			if (!json_is_array(sections) || ns < 1 || ns > 10)
				return param_error(sim, out,
						   "Param interactive['action']['sections'] must have 1 to 10 items.",
						   NULL);
			for (size_t s = 0; s < ns; s++) {
				json_t *rows = json_object_get(json_array_get(sections, s), "rows");
				if (!json_is_array(rows) || json_array_size(rows) < 1)
					return param_error(sim, out, "Each section needs rows.", NULL);
				for (size_t i = 0; i < json_array_size(rows); i++) {
					json_t *row = json_array_get(rows, i);
					const char *rid = str_member(row, "id"), *title = str_member(row, "title");
					const char *desc = str_member(row, "description");
					if (!rid || !*rid || strlen(rid) > 200 || !title || !*title ||
					    utf8_chars(title) > 24 || (desc && utf8_chars(desc) > 72))
						return param_error(sim, out,
								   "Each row needs an id (at most 200 characters), a title (at most 24) and at most a 72-character description.",
								   NULL);
					total++;
				}
			}
			if (total > 10)
				return param_error(sim, out, "A list has at most 10 rows in all.", NULL);
		}
		if (str_member(body, "text"))
			json_object_set_new(record, "text", json_string(str_member(body, "text")));
		json_object_set(record, "interactive", part);
	} else if (!strcmp(type, "location") || !strcmp(type, "contacts") ||
		   !strcmp(type, "reaction")) {
		json_object_set(record, type, part);
	} else {
		return param_error(sim, out,
				   "Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, "
				   "INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO}",
				   NULL);
	}
	return 0;
}

/* Draws the injected faults. Returns 1 when one applies (and fills `out`). */
static int inject_fault(struct sim *sim, struct sim_reply *out)
{
	struct sim_faults f;
	double r;

	sim_state_get_faults(sim->state, &f);
	if (f.drop <= 0 && f.timeout <= 0 && f.error_500 <= 0 && f.error_429 <= 0)
		return 0;
	r = sim_state_draw(sim->state);
	if (r < f.drop) {
		out->action = SIM_ACTION_DROP;
		log_info("sim-fault", "kind=drop");
	} else if ((r -= f.drop) < f.timeout) {
		out->action = SIM_ACTION_HOLD;
		out->hold_ms = f.timeout_hold_ms;
		log_info("sim-fault", "kind=timeout hold_ms=%d", f.timeout_hold_ms);
	} else if ((r -= f.timeout) < f.error_500) {
		/* Meta answers both: its own 131000, and the Graph API's generic 1. */
		if (sim_state_draw(sim->state) < 0.5)
			meta_error(out, 500, 131000, 0, "OAuthException",
				   "(#131000) Something went wrong",
				   "Something went wrong. Message failed to send because of an "
				   "unknown error. Try again later.");
		else
			meta_error(out, 500, 1, 0, "OAuthException", "An unknown error occurred",
				   "Something went wrong");
		log_info("sim-fault", "kind=500");
	} else if ((r -= f.error_500) < f.error_429) {
		meta_error(out, 429, 130429, 0, "OAuthException", "(#130429) Rate limit hit",
			   "Cloud API message throughput has been reached.");
		sim_state_count(sim->state, SIM_REJECTED_429);
		log_info("sim-fault", "kind=429");
	} else {
		return 0;
	}
	sim_state_count(sim->state, SIM_ERRORS_INJECTED);
	return 1;
}

/* {"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id"}]} */
static int success(struct sim_reply *out, const char *input, const char *wa_id,
		   const char *wamid, int is_template)
{
	json_t *root, *m;
	char *text;
	int rc;

	m = json_pack("{s:s}", "id", wamid);
	if (m && is_template) /* templates also say how Meta took them */
		json_object_set_new(m, "message_status", json_string("accepted"));
	root = json_pack("{s:s, s:[{s:s, s:s}], s:[o]}", "messaging_product", "whatsapp",
			 "contacts", "input", input, "wa_id", wa_id, "messages", m);
	text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!text)
		return BANDITORE_ENOMEM;
	out->status = 200;
	rc = buf_appends(&out->body, text);
	free(text);
	return rc;
}

static int send_message(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	json_error_t jerr;
	json_t *msg = NULL, *record = NULL;
	const char *product, *to, *type, *opaque;
	char wa_id[SIM_TO_MAX], wamid[SIM_WAMID_MAX], *text = NULL;
	enum sim_admit verdict;
	struct sim_faults f;
	struct timespec now;
	int rc = 0;

	msg = json_loadb(rq->body, rq->body_len, 0, &jerr);
	if (!json_is_object(msg)) {
		rc = param_error(sim, out, "Invalid parameter", "Request body is not a valid JSON object");
		goto done;
	}
	product = str_member(msg, "messaging_product");
	if (!product) {
		rc = param_error(sim, out, "The parameter messaging_product is required.", NULL);
		goto done;
	}
	if (strcmp(product, "whatsapp") != 0) {
		rc = param_error(sim, out, "Param messaging_product must be one of {WHATSAPP}",
				 NULL);
		goto done;
	}
	to = str_member(msg, "to");
	if (!to) {
		rc = param_error(sim, out, "The parameter to is required.", NULL);
		goto done;
	}
	if (sim_wa_id(to, wa_id) != 0) {
		rc = param_error(sim, out, "Invalid parameter",
				 "Param to is not a valid WhatsApp phone number");
		goto done;
	}
	type = str_member(msg, "type");
	if (!type) {
		rc = param_error(sim, out, "The parameter type is required.", NULL);
		goto done;
	}
	opaque = str_member(msg, "biz_opaque_callback_data");
	if (opaque && utf8_chars(opaque) > BIZ_OPAQUE_MAX) {
		rc = param_error(sim, out,
				 "Param biz_opaque_callback_data must be at most 512 characters long.",
				 NULL);
		goto done;
	}
	record = json_object();
	rc = record ? check_message(sim, msg, type, record, out) : BANDITORE_ENOMEM;
	if (rc || out->status != 200)
		goto done;

	if (inject_fault(sim, out))
		goto done;
	verdict = sim_state_admit(sim->state, wa_id, sim_now_ns());
	if (verdict == SIM_ADMIT_RATE) {
		sim_state_count(sim->state, SIM_REJECTED_429);
		log_info("sim-rejected", "code=130429 to_tail=%s", sim_tail(wa_id));
		rc = meta_error(out, 429, 130429, 0, "OAuthException", "(#130429) Rate limit hit",
				"Cloud API message throughput has been reached.");
		goto done;
	}
	if (verdict == SIM_ADMIT_PAIR) {
		log_info("sim-rejected", "code=131056 to_tail=%s", sim_tail(wa_id));
		rc = meta_error(out, 400, 131056, 0, "OAuthException",
				"(#131056) (Business Account, Consumer Account) pair rate limit hit",
				"Message failed to send because there were too many messages sent "
				"from this phone number to the same phone number in a short period "
				"of time.");
		goto done;
	}

	rc = sim_new_wamid(wamid);
	if (rc)
		goto done;
	clock_gettime(CLOCK_REALTIME, &now);
	json_object_set_new(record, "id", json_string(wamid));
	json_object_set_new(record, "to", json_string(wa_id));
	json_object_set_new(record, "input", json_string(to));
	json_object_set_new(record, "type", json_string(type));
	if (opaque)
		json_object_set_new(record, "biz_opaque_callback_data", json_string(opaque));
	json_object_set_new(record, "time", json_integer((json_int_t)now.tv_sec));
	json_object_set_new(record, "time_ms",
			    json_integer((json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
	text = json_dumps(record, JSON_COMPACT);
	if (!text || !sim_state_record(sim->state, wa_id, text)) {
		rc = BANDITORE_ENOMEM;
		goto done;
	}
	sim_state_count(sim->state, SIM_ACCEPTED);
	log_debug("sim-accepted", "id=%s type=%s to_tail=%s", wamid, type, sim_tail(wa_id));
	rc = success(out, to, wa_id, wamid, !strcmp(type, "template"));
	sim_state_get_faults(sim->state, &f);
	if (!rc && f.statuses)
		sim_webhook_queue_statuses(sim->webhook, wamid, wa_id, opaque,
					   !strcmp(type, "template") ? "utility" : "service");
done:
	free(text);
	json_decref(record);
	json_decref(msg);
	return rc;
}

/* A bounded search for `needle` in the first `len` bytes of `hay`. */
static int contains(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;
	for (i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return 1;
	return 0;
}

/* Enough of the media upload for a sender to get an id to put in a message. */
static int upload_media(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	char id[SIM_MEDIA_ID_MAX];

	if (!rq->content_type || strncmp(rq->content_type, "multipart/form-data", 19) != 0)
		return param_error(sim, out, "Invalid parameter",
				   "The upload must be sent as multipart/form-data");
	if (!contains(rq->body, rq->body_len, "name=\"messaging_product\""))
		return param_error(sim, out, "The parameter messaging_product is required.", NULL);
	if (!contains(rq->body, rq->body_len, "name=\"file\""))
		return param_error(sim, out, "The parameter file is required.", NULL);
	sim_new_media_id(id);
	upload_remember(id);
	sim_state_count(sim->state, SIM_MEDIA_UPLOADED);
	log_info("sim-media-uploaded", "id=%s bytes=%zu", id, rq->body_len);
	out->status = 200;
	return buf_appendf(&out->body, "{\"id\":\"%s\"}", id);
}

int sim_cloud_handle(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	char id[PATH_SEGMENT_MAX];
	enum endpoint ep;

	if (parse_path(rq->path, id, &ep) != 0) {
		char message[256];
		snprintf(message, sizeof(message), "Unknown path components: %.128s", rq->path);
		return meta_error(out, 400, 2500, 0, "OAuthException", message, NULL);
	}
	if (!token_ok(sim, rq->authorization)) {
		sim_state_count(sim->state, SIM_REJECTED_AUTH);
		log_info("sim-rejected", "code=190 reason=%s",
			 rq->authorization ? "wrong-token" : "no-token");
		return meta_error(out, 401, 190, 0, "OAuthException",
				  "Invalid OAuth access token - Cannot parse access token", NULL);
	}
	if (strcmp(id, sim->cfg.phone_number_id) != 0 || strcmp(rq->method, "POST") != 0) {
		sim_state_count(sim->state, SIM_REJECTED_INVALID);
		return unsupported(out, rq->method, id);
	}
	return ep == EP_MESSAGES ? send_message(sim, rq, out) : upload_media(sim, rq, out);
}
