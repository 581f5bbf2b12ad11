/*
 * control_api.c - /sim/inbound, /sim/messages, /sim/stats and /sim/faults.
 *
 * Errors here are the simulator's own ({"error": "..."}), not Meta's: this API is for
 * whoever drives the simulator, not for the code under test.
 */
#include "sim/control_api.h"

#include "common/err.h"
#include "common/log.h"
#include "sim/ids.h"
#include "sim/webhook_out.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INBOUND_TEXT_MAX 65536 /* what WhatsApp lets a person type in one message */
#define NAME_MAX_LEN 256
#define RESPONSE_KEEP 4096     /* how much of banditore's answer is reported back */

int sim_control_owns(const char *path)
{
	return !strncmp(path, "/sim/", 5);
}

static int fail(struct sim_reply *out, unsigned status, const char *why)
{
	json_t *j = json_pack("{s:s}", "error", why);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc;

	json_decref(j);
	if (!text)
		return BANDITORE_ENOMEM;
	out->status = status;
	buf_reset(&out->body);
	rc = buf_appends(&out->body, text);
	free(text);
	return rc;
}

/* Dumps `j` (taken) as the answer. */
static int answer_json(struct sim_reply *out, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc;

	json_decref(j);
	if (!text)
		return BANDITORE_ENOMEM;
	out->status = status;
	rc = buf_appends(&out->body, text);
	free(text);
	return rc;
}

/* ---- /sim/faults ---- */

enum kind { K_INT, K_PROB, K_BOOL };

struct setting {
	const char *name;
	enum kind kind;
	size_t offset;
	long long max;
};

#define F(field) offsetof(struct sim_faults, field)
static const struct setting settings[] = {
	{ "rate", K_INT, F(rate), 1000000 },
	{ "pair-burst", K_INT, F(pair_burst), 1000000 },
	{ "pair-period-ms", K_INT, F(pair_period_ms), 86400000 },
	{ "latency-ms", K_INT, F(latency_ms), 600000 },
	{ "error-500", K_PROB, F(error_500), 1 },
	{ "error-429", K_PROB, F(error_429), 1 },
	{ "timeout", K_PROB, F(timeout), 1 },
	{ "drop", K_PROB, F(drop), 1 },
	{ "timeout-hold-ms", K_INT, F(timeout_hold_ms), 600000 },
	{ "statuses", K_BOOL, F(statuses), 1 },
};
#undef F

static const struct setting *find_setting(const char *key)
{
	char name[32];
	size_t i;

	for (i = 0; key[i] && i + 1 < sizeof(name); i++)
		name[i] = key[i] == '_' ? '-' : key[i]; /* error_500 is error-500 */
	name[i] = '\0';
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(settings[i].name, name))
			return &settings[i];
	return NULL;
}

/* Applies every member of `obj` over `f`, or none of them. */
static int apply_faults(json_t *obj, struct sim_faults *f, char *why, size_t why_len)
{
	struct sim_faults n = *f;
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const struct setting *s = find_setting(key);
		char *field;
		if (!s) {
			snprintf(why, why_len, "unknown setting: %.64s", key);
			return BANDITORE_EINVAL;
		}
		field = (char *)&n + s->offset;
		if (s->kind == K_PROB) {
			double p = json_number_value(v);
			if (!json_is_number(v) || p < 0 || p > 1) {
				snprintf(why, why_len, "%s must be a number from 0 to 1", s->name);
				return BANDITORE_EINVAL;
			}
			memcpy(field, &p, sizeof(p));
		} else {
			int i;
			if (s->kind == K_BOOL && json_is_boolean(v)) {
				i = json_is_true(v);
			} else if (json_is_integer(v) && json_integer_value(v) >= 0 &&
				   json_integer_value(v) <= s->max) {
				i = (int)json_integer_value(v);
			} else {
				snprintf(why, why_len, "%s must be %s", s->name,
					 s->kind == K_BOOL ? "true or false" : "a whole number >= 0");
				return BANDITORE_EINVAL;
			}
			memcpy(field, &i, sizeof(i));
		}
	}
	*f = n;
	return 0;
}

static int faults_json(const struct sim_faults *f, struct buf *out)
{
	return buf_appendf(out,
			   "{\"rate\":%d,\"pair-burst\":%d,\"pair-period-ms\":%d,\"latency-ms\":%d,"
			   "\"error-500\":%g,\"error-429\":%g,\"timeout\":%g,\"drop\":%g,"
			   "\"timeout-hold-ms\":%d,\"statuses\":%s}",
			   f->rate, f->pair_burst, f->pair_period_ms, f->latency_ms, f->error_500,
			   f->error_429, f->timeout, f->drop, f->timeout_hold_ms,
			   f->statuses ? "true" : "false");
}

static int faults(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	struct sim_faults f;

	sim_state_get_faults(sim->state, &f);
	if (!strcmp(rq->method, "POST")) {
		json_error_t jerr;
		json_t *obj = json_loadb(rq->body, rq->body_len, 0, &jerr);
		char why[128];
		int rc;
		if (!json_is_object(obj)) {
			json_decref(obj);
			return fail(out, 400, "the body must be a JSON object");
		}
		rc = apply_faults(obj, &f, why, sizeof(why));
		json_decref(obj);
		if (rc)
			return fail(out, 400, why);
		sim_state_set_faults(sim->state, &f);
		log_info("sim-faults-set", "rate=%d latency_ms=%d error_500=%g error_429=%g "
			 "timeout=%g drop=%g statuses=%d", f.rate, f.latency_ms, f.error_500,
			 f.error_429, f.timeout, f.drop, f.statuses);
	} else if (strcmp(rq->method, "GET") != 0) {
		return fail(out, 405, "use GET or POST");
	}
	return faults_json(&f, &out->body);
}

/* ---- /sim/messages and /sim/stats ---- */

static int messages(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	const char *to = rq->arg(rq->arg_ctx, "to");
	const char *since = rq->arg(rq->arg_ctx, "since");
	const char *limit = rq->arg(rq->arg_ctx, "limit");
	char wa_id[SIM_TO_MAX];

	if (!strcmp(rq->method, "DELETE")) {
		sim_state_clear_messages(sim->state);
		return buf_appends(&out->body, "{\"ok\":true}");
	}
	if (strcmp(rq->method, "GET") != 0)
		return fail(out, 405, "use GET or DELETE");
	if (to && *to && sim_wa_id(to, wa_id) != 0)
		return fail(out, 400, "to must be a phone number");
	return sim_state_messages_json(sim->state, to && *to ? wa_id : NULL,
				       since ? strtoull(since, NULL, 10) : 0,
				       limit ? (size_t)strtoull(limit, NULL, 10) : 0, &out->body);
}

static int stats(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	if (!strcmp(rq->method, "DELETE")) {
		sim_state_reset_stats(sim->state);
		return buf_appends(&out->body, "{\"ok\":true}");
	}
	if (strcmp(rq->method, "GET") != 0)
		return fail(out, 405, "use GET or DELETE");
	return sim_state_stats_json(sim->state, &out->body);
}

/* ---- /sim/inbound ---- */

static int inbound(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	json_error_t jerr;
	json_t *in = NULL, *result;
	const char *raw, *from, *text, *name, *id, *signature = NULL;
	char wa_id[SIM_TO_MAX], wamid[SIM_WAMID_MAX];
	struct buf body, response;
	long status = 0;
	long long ts;
	int rc;

	buf_init(&body, SIM_BODY_MAX + INBOUND_TEXT_MAX);
	buf_init(&response, RESPONSE_KEEP);
	if (strcmp(rq->method, "POST") != 0) {
		rc = fail(out, 405, "use POST");
		goto done;
	}
	in = json_loadb(rq->body, rq->body_len, 0, &jerr);
	if (!json_is_object(in)) {
		rc = fail(out, 400, "the body must be a JSON object");
		goto done;
	}
	if (json_is_string(json_object_get(in, "signature")))
		signature = json_string_value(json_object_get(in, "signature"));
	wamid[0] = '\0';
	raw = json_string_value(json_object_get(in, "raw"));
	if (raw) { /* an arbitrary body, to test what banditore does with it */
		rc = buf_append(&body, raw, json_string_length(json_object_get(in, "raw")));
		if (rc) {
			rc = fail(out, 413, "raw is too long");
			goto done;
		}
		wa_id[0] = '\0';
	} else {
		from = json_string_value(json_object_get(in, "from"));
		text = json_string_value(json_object_get(in, "text"));
		name = json_string_value(json_object_get(in, "name"));
		id = json_string_value(json_object_get(in, "id"));
		if (!from || sim_wa_id(from, wa_id) != 0) {
			rc = fail(out, 400, "from must be a phone number");
			goto done;
		}
		if (!text || json_string_length(json_object_get(in, "text")) > INBOUND_TEXT_MAX) {
			rc = fail(out, 400, "text must be a string of at most 65536 bytes");
			goto done;
		}
		if (!name || !*name || strlen(name) > NAME_MAX_LEN)
			name = "Cittadino";
		if (id && *id && strlen(id) < sizeof(wamid))
			snprintf(wamid, sizeof(wamid), "%s", id);
		else if ((rc = sim_new_wamid(wamid)) != 0)
			goto done;
		ts = json_is_integer(json_object_get(in, "timestamp"))
			     ? (long long)json_integer_value(json_object_get(in, "timestamp"))
			     : (long long)time(NULL);
		rc = sim_webhook_inbound_body(&sim->cfg, wa_id, name, wamid, text, ts, &body);
		if (rc) {
			rc = fail(out, 400, "text and name must be valid UTF-8");
			goto done;
		}
	}

	rc = sim_webhook_post(&sim->cfg, buf_cstr(&body), body.len, signature, &status, &response);
	if (rc == BANDITORE_ECONFIG) {
		rc = fail(out, 409, "no --webhook-url was given");
		goto done;
	}
	sim_state_count(sim->state, SIM_INBOUND_POSTED);
	log_info("sim-inbound", "from_tail=%s id=%s http=%ld%s", sim_tail(wa_id),
		 wamid[0] ? wamid : "-", status, rc ? " error=no-answer" : "");
	result = json_pack("{s:I, s:s?}", "status", (json_int_t)status,
			   "message_id", wamid[0] ? wamid : NULL);
	if (result) {
		json_t *said = json_stringn(buf_cstr(&response), response.len);
		json_object_set_new(result, "response", said ? said : json_string("(not UTF-8)"));
		if (rc)
			json_object_set_new(result, "error",
					    json_string("no answer from the webhook URL"));
	}
	rc = answer_json(out, rc ? 502 : 200, result);
done:
	buf_free(&body);
	buf_free(&response);
	json_decref(in);
	return rc;
}

int sim_control_handle(struct sim *sim, const struct sim_request *rq, struct sim_reply *out)
{
	const char *p = rq->path + 5;

	if (!strcmp(p, "inbound"))
		return inbound(sim, rq, out);
	if (!strcmp(p, "messages"))
		return messages(sim, rq, out);
	if (!strcmp(p, "stats"))
		return stats(sim, rq, out);
	if (!strcmp(p, "faults"))
		return faults(sim, rq, out);
	return fail(out, 404, "no such control endpoint");
}
