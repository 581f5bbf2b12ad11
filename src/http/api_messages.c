/*
 * api_messages.c - the message endpoints: compose, approve (send), cancel, look up.
 *
 * Composition is checked in this thread (messages_parse_json, pure); the change itself
 * is a writer job, and the answer shows the message as stored, read back through the
 * request's read connection once the job is durable.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "messages/messages_cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static enum MHD_Result not_found(struct api_request *r)
{
	return api_respond_error(r->conn, 404, "not_found", NULL, "messaggio inesistente",
				 "no such message");
}

/* An amount as a string with two decimals, or null when a price is missing. */
static json_t *amount_json(const struct messages_amount *a)
{
	char text[MESSAGES_COST_TEXT_MAX];

	messages_cost_format(a, text);
	return a->known ? json_string(text) : json_null();
}

/* "cost": the estimate of the broadcast (audience x price) before sending, what it
 * spent so far, and the month so far; amounts are strings rounded to the cent
 * (messages_cost.h), null when the configuration has no price. */
static json_t *cost_json(struct api_request *r, const struct store_message *m)
{
	struct messages_cost_report c;
	char price[MESSAGES_COST_TEXT_MAX];

	if (messages_cost_report(r->st, r->api->ctx->cfg, m, (int64_t)time(NULL), &c) != 0)
		return NULL;
	messages_cost_format_price(c.price_micros, price);
	return json_pack("{s:s, s:s, s:o, s:I, s:o, s:I, s:o, s:{s:o, s:I, s:I}}", "platform",
			 "whatsapp", "currency", c.currency, "price_per_message",
			 c.price_micros < 0 ? json_null() : json_string(price), "audience",
			 (json_int_t)c.audience, "estimated", amount_json(&c.estimate), "sent",
			 (json_int_t)c.sent, "spent", amount_json(&c.spent), "month_so_far",
			 "amount", amount_json(&c.month), "sent", (json_int_t)c.month_sent,
			 "messages", (json_int_t)c.month_messages);
}

/* Answers `status` with message `id` as stored now; `extra` (taken, may be NULL) is
 * merged into it. */
static enum MHD_Result answer_message(struct api_request *r, unsigned int status, int64_t id,
				      json_t *extra, const char *location)
{
	struct store_message m = { 0 };
	json_t *o;
	int rc;

	rc = store_message_get(r->st, id, &m);
	if (rc) {
		json_decref(extra);
		return rc == BANDITORE_ENOTFOUND ? not_found(r) : api_internal_error(r, "read", rc);
	}
	o = api_render_message(&m);
	if (o)
		json_object_set_new(o, "platforms", api_render_platforms(r->st, r->api->ctx->cfg, &m));
	if (o)
		json_object_set_new(o, "areas", api_audience_areas_json(r->st, id));
	if (o && m.state == STORE_MSG_DRAFT) { /* before sending: who it would reach */
		json_t *reach = api_audience_message_reach(r, &m);
		if (reach)
			json_object_set_new(o, "reach", reach);
	}
	if (o) {
		json_t *cost = cost_json(r, &m);
		if (!cost || json_object_set_new(o, "cost", cost)) {
			json_decref(o);
			o = NULL;
		}
	}
	store_message_clear(&m);
	if (o && extra)
		json_object_update(o, extra);
	json_decref(extra);
	return api_respond(r->conn, status, o, location ? MHD_HTTP_HEADER_LOCATION : NULL, location);
}

/* The comune's policy on a composed message, with what the channel sent lately (read on
 * the request's connection): 0 and *m adjusted (send time, disclaimer) when it may go
 * out; 1 after answering 422 with the verdicts; else an error code (nothing answered). */
static int check_policy(struct api_request *r, struct store_message *m,
			const struct messages_notes *notes, int64_t now, json_t **verdicts,
			enum MHD_Result *answer)
{
	int64_t times[MESSAGES_HISTORY_MAX];
	struct policy_history h = { times, 0 };
	struct policy_result *res = malloc(sizeof(*res));
	int rc;

	*verdicts = NULL;
	if (!res)
		return BANDITORE_ENOMEM;
	rc = messages_policy_history(r->st, times, MESSAGES_HISTORY_MAX, &h.n);
	if (!rc)
		rc = messages_policy_check(&r->api->rules, m, notes, &h, now, res);
	if (!rc && !res->allowed) {
		json_t *o = api_render_error("policy", NULL,
					     "la policy del comune non permette di inviare il messaggio: vedere i verdetti",
					     "the comune's policy does not allow the message: see the verdicts");
		if (o)
			json_object_set_new(o, "verdicts", messages_verdicts_json(res));
		*answer = api_respond(r->conn, 422, o, NULL, NULL);
		free(res);
		return 1;
	}
	if (!rc)
		rc = messages_policy_apply(res, m, now);
	if (!rc)
		*verdicts = messages_verdicts_json(res);
	free(res);
	return rc;
}

enum MHD_Result api_message_create(struct api_request *r)
{
	struct store_message m;
	struct messages_error err;
	struct messages_notes notes;
	struct api_job job;
	char location[64];
	json_t *verdicts = NULL;
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result answer = MHD_NO;
	char areas[STORE_TARGETS_MAX];
	int has_areas = 0;
	int rc;

	rc = messages_parse_json_notes(r->body, r->len, &r->api->rules, now, &m, &notes, &err);
	if (rc == BANDITORE_EINVAL && !err.field[0])
		return api_respond_error(r->conn, 400, "malformed", NULL, err.message, err.message_en);
	if (rc == BANDITORE_EINVAL)
		return api_respond_error(r->conn, 422, "invalid", err.field, err.message, err.message_en);
	if (rc)
		return api_internal_error(r, "compose", rc);
	/* An update names a message already sent: final, so checking it here is enough. */
	rc = messages_check_replaces(r->st, &m, &err);
	if (rc) {
		store_message_clear(&m);
		if (rc == BANDITORE_EINVAL)
			return api_respond_error(r->conn, 422, "invalid", err.field, err.message,
						 err.message_en);
		return api_internal_error(r, "replaces", rc);
	}
	rc = api_audience_parse(r, areas, sizeof(areas), &has_areas, &answer);
	if (rc) {
		store_message_clear(&m);
		return rc == 1 ? answer : api_internal_error(r, "areas", rc);
	}
	rc = check_policy(r, &m, &notes, now, &verdicts, &answer);
	if (rc == 1) {
		store_message_clear(&m);
		return answer;
	}
	if (rc) {
		store_message_clear(&m);
		return api_internal_error(r, "policy", rc);
	}
	api_job_init(&job, API_JOB_CREATE, r);
	job.msg = &m;
	job.notes = &notes;
	job.areas = has_areas ? areas : NULL;
	job.created_by = r->who;
	job.now = (int64_t)time(NULL);
	rc = api_job_run(r->api->ctx->writer, &job);
	store_message_clear(&m);
	if (rc) {
		json_decref(verdicts);
		return api_internal_error(r, "create", rc);
	}
	log_info("message-created", "id=%lld by=%s", (long long)job.id, r->who);
	snprintf(location, sizeof(location), "/api/v1/messages/%lld", (long long)job.id);
	return answer_message(r, 201, job.id, json_pack("{s:o}", "verdicts", verdicts ? verdicts : json_array()),
			      location);
}

/* The tier's warning, when the audience does not fit in this 24-hour window. */
static json_t *warnings(const struct messages_tier *t)
{
	char it[256], en[256];
	json_t *list = json_array();

	if (!list || !t->exceeded)
		return list;
	snprintf(it, sizeof(it),
		 "il limite del numero è %lld destinatari diversi in 24 ore: ne partono %lld ora, "
		 "gli altri %lld nelle finestre successive",
		 (long long)t->limit, (long long)t->now, (long long)t->later);
	snprintf(en, sizeof(en),
		 "the number's limit is %lld unique recipients per 24 hours: %lld go out now, "
		 "the other %lld in the following windows",
		 (long long)t->limit, (long long)t->now, (long long)t->later);
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "code",
					      "messaging_tier", "message", it, "message_en", en,
					      "limit", (json_int_t)t->limit, "now", (json_int_t)t->now,
					      "later", (json_int_t)t->later));
	return list;
}

/* 409 naming the state the message is in. */
static enum MHD_Result state_conflict(struct api_request *r, int64_t id, const char *it,
				      const char *en)
{
	struct store_message m = { 0 };
	json_t *o = api_render_error("state", NULL, it, en);

	if (o && store_message_get(r->st, id, &m) == 0)
		json_object_set_new(o, "state", json_string(messages_state_name(m.state)));
	store_message_clear(&m);
	return api_respond(r->conn, 409, o, NULL, NULL);
}

enum MHD_Result api_message_send(struct api_request *r, int64_t id)
{
	const struct http_ctx *ctx = r->api->ctx;
	struct api_job job;
	int rc;

	api_job_init(&job, API_JOB_SEND, r);
	job.id = id;
	job.now = (int64_t)time(NULL);
	job.rules = &r->api->rules;
	job.verdicts = malloc(sizeof(*job.verdicts));
	if (!job.verdicts)
		return api_internal_error(r, "send", BANDITORE_ENOMEM);
	rc = api_job_run(ctx->writer, &job);
	if (rc == BANDITORE_EPERM) {
		/* The policy, checked again at approval, refuses it now. */
		json_t *o = api_render_error("policy", NULL,
					     "la policy del comune ora non permette di inviare il messaggio: vedere i verdetti",
					     "the comune's policy no longer allows the message: see the verdicts");
		if (o)
			json_object_set_new(o, "verdicts", messages_verdicts_json(job.verdicts));
		free(job.verdicts);
		return api_respond(r->conn, 422, o, NULL, NULL);
	}
	free(job.verdicts);
	if (rc == BANDITORE_ENOTFOUND)
		return not_found(r);
	if (rc == BANDITORE_ESTATE)
		return state_conflict(r, id, "il messaggio è già stato approvato o non è più inviabile",
				      "the message was approved already or can no longer be sent");
	if (rc == BANDITORE_EINVAL)
		return api_respond_error(r->conn, 409, "expired", "expires_at",
					 "la scadenza del messaggio è già passata",
					 "the message's expiry has passed");
	if (rc)
		return api_internal_error(r, "send", rc);
	if (ctx->wake_sender)
		ctx->wake_sender(ctx->wake_sender_arg);
	log_info("message-approved", "id=%lld by=%s state=%s audience=%lld tier_exceeded=%d",
		 (long long)id, r->who, messages_state_name(job.approval.state),
		 (long long)job.approval.audience, job.approval.tier.exceeded);
	return answer_message(r, 202, id, json_pack("{s:o}", "warnings", warnings(&job.approval.tier)),
			      NULL);
}

enum MHD_Result api_message_cancel(struct api_request *r, int64_t id)
{
	const struct http_ctx *ctx = r->api->ctx;
	struct api_job job;
	int rc;

	api_job_init(&job, API_JOB_CANCEL, r);
	job.rules = &r->api->rules; /* the channel's platforms: lanes not begun stop too */
	job.id = id;
	job.now = (int64_t)time(NULL);
	rc = api_job_run(ctx->writer, &job);
	if (rc == BANDITORE_ENOTFOUND)
		return not_found(r);
	if (rc == BANDITORE_ESTATE)
		return state_conflict(r, id, "il messaggio è concluso e non si può più annullare",
				      "the message is finished and can no longer be cancelled");
	if (rc)
		return api_internal_error(r, "cancel", rc);
	/* A broadcast under way stops at its next batch; waking the sender makes that now. */
	if (ctx->wake_sender && job.before == STORE_MSG_SENDING)
		ctx->wake_sender(ctx->wake_sender_arg);
	log_info("message-cancelled", "id=%lld by=%s was=%s", (long long)id, r->who,
		 messages_state_name(job.before));
	return answer_message(r, 200, id, NULL, NULL);
}

enum MHD_Result api_message_get(struct api_request *r, int64_t id)
{
	return answer_message(r, 200, id, NULL, NULL);
}
