/*
 * api_workflow.c - the approval workflow over the JSON API: propose, approve (for a
 * session: nobody approves their own message, except a gestore or responsabile for an
 * emergency), reject with a reason, edit (which sends an approved message back for
 * approval), and the queue of proposals. Each change is a writer job that appends its
 * audit entry in the same savepoint.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "messages/workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUEUE_MAX 200

static enum MHD_Result not_found(struct api_request *r)
{
	return api_respond_error(r->conn, 404, "not_found", NULL, "messaggio inesistente",
				 "no such message");
}

static json_t *time_or_null(int64_t t)
{
	char s[MESSAGES_TIME_MAX];

	if (t <= 0)
		return json_null();
	messages_time_format(t, s);
	return json_string(s);
}

/* The message with its place in the workflow: "state" says proposed/rejected for a
 * draft in review, "review" who proposed, who reviewed, the reason, self-approval. */
json_t *api_render_reviewed(struct store *st, const struct store_message *m)
{
	struct store_review rv;
	int has = store_review_get(st, m->id, &rv) == 0;
	json_t *o = api_render_message(m);

	if (!o)
		return NULL;
	json_object_set_new(o, "state", json_string(workflow_state_name(m, has ? &rv : NULL)));
	json_object_set_new(o, "areas", api_audience_areas_json(st, m->id));
	if (has)
		json_object_set_new(o, "review",
				    json_pack("{s:s, s:o, s:s?, s:o, s:s?, s:b}", "proposed_by",
					      rv.proposed_by, "proposed_at", time_or_null(rv.proposed_at),
					      "reviewed_by", rv.reviewed_by[0] ? rv.reviewed_by : NULL,
					      "reviewed_at", time_or_null(rv.reviewed_at), "reason",
					      rv.reason[0] ? rv.reason : NULL, "self_approved",
					      rv.self_approved));
	else
		json_object_set_new(o, "review", json_null());
	return o;
}

static enum MHD_Result answer(struct api_request *r, unsigned int status, int64_t id, json_t *extra)
{
	struct store_message m = { 0 };
	json_t *o;
	int rc = store_message_get(r->st, id, &m);

	if (rc) {
		json_decref(extra);
		return rc == BANDITORE_ENOTFOUND ? not_found(r) : api_internal_error(r, "read", rc);
	}
	o = api_render_reviewed(r->st, &m);
	store_message_clear(&m);
	if (o && extra)
		json_object_update(o, extra);
	json_decref(extra);
	return api_respond(r->conn, status, o, NULL, NULL);
}

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

/* The audit entry of a workflow step on message j->id. */
static int record(struct store *st, struct api_job *j, const char *action, json_t *details)
{
	char object[48];

	snprintf(object, sizeof(object), "message:%lld", (long long)j->id);
	return api_job_audit(st, j, action, object, details);
}

/* What a workflow job needs beyond struct api_job. */
struct flow {
	const char *actor;         /* the account's or token's name */
	int own_only;              /* a proponente: only their own messages */
	int may_self_emergency;
	const char *reason;        /* reject */
	const struct store_message *msg; /* edit */
	int approver_role;         /* enum policy_role bit of the account; 0 for a token */
	int self_approved, reapproval, not_category_approver;
};

static int propose_job(struct store *st, struct api_job *j)
{
	struct flow *f = j->arg;
	int rc = workflow_propose(st, j->id, f->actor, f->own_only, j->now);
	return rc ? rc : record(st, j, "message.propose", NULL);
}

static int approve_job(struct store *st, struct api_job *j)
{
	struct flow *f = j->arg;
	struct store_message m = { 0 };
	int rc = store_message_get(st, j->id, &m);

	/* The category's own approvers (the policy's "who must approve"). */
	if (!rc && !workflow_category_allows(j->rules, m.category, f->approver_role))
		f->not_category_approver = 1;
	store_message_clear(&m);
	if (f->not_category_approver)
		return BANDITORE_EAUTH;
	rc = workflow_approve(st, j->id, f->actor, f->may_self_emergency, j->now, j->rules,
				  j->verdicts, &j->approval, &f->self_approved);
	if (rc)
		return rc;
	return record(st, j, "message.approve",
		      f->self_approved ? json_pack("{s:b, s:s}", "self_approved", 1, "priority",
						   "emergency")
				       : NULL);
}

static int reject_job(struct store *st, struct api_job *j)
{
	struct flow *f = j->arg;
	int rc = workflow_reject(st, j->id, f->actor, f->reason, j->now);
	return rc ? rc : record(st, j, "message.reject", json_pack("{s:s}", "reason", f->reason));
}

static int edit_job(struct store *st, struct api_job *j)
{
	struct flow *f = j->arg;
	int rc = workflow_edit(st, f->msg, f->actor, f->own_only, j->now, &f->reapproval);
	if (!rc && j->areas)
		rc = store_message_set_areas(st, j->id, j->areas);
	return rc ? rc : record(st, j, "message.edit", json_pack("{s:b}", "back_to_approval", f->reapproval));
}

static int run(struct api_request *r, struct api_job *j, int64_t id,
	       int (*fn)(struct store *, struct api_job *), struct flow *f)
{
	f->actor = r->who;
	f->own_only = r->staff && !staff_may(r->staff->role, STAFF_APPROVE);
	f->may_self_emergency = !r->staff || r->staff->role == STORE_ROLE_RESPONSABILE ||
				r->staff->role == STORE_ROLE_GESTORE;
	f->approver_role = !r->staff ? 0
			   : r->staff->role == STORE_ROLE_RESPONSABILE ? POLICY_ROLE_RESPONSABILE
			   : r->staff->role == STORE_ROLE_GESTORE ? POLICY_ROLE_GESTORE
			   : r->staff->role == STORE_ROLE_DELEGATO ? POLICY_ROLE_DELEGATO : 0;
	j->id = id;
	j->fn = fn;
	j->arg = f;
	j->now = (int64_t)time(NULL);
	j->rules = &r->api->rules;
	return api_job_run(r->api->ctx->writer, j);
}

static enum MHD_Result not_yours(struct api_request *r)
{
	return api_respond_error(r->conn, 403, "forbidden", NULL,
				 "si possono proporre o modificare solo i propri messaggi",
				 "one may only propose or edit one's own messages");
}

enum MHD_Result api_message_propose(struct api_request *r, int64_t id)
{
	struct api_job job;
	struct flow f = { 0 };
	int rc;

	api_job_init(&job, API_JOB_FN, r);
	rc = run(r, &job, id, propose_job, &f);
	if (rc == BANDITORE_ENOTFOUND)
		return not_found(r);
	if (rc == BANDITORE_EPERM)
		return not_yours(r);
	if (rc == BANDITORE_ESTATE)
		return state_conflict(r, id, "il messaggio non è una bozza o è già proposto",
				      "the message is not a draft or is proposed already");
	if (rc)
		return api_internal_error(r, "propose", rc);
	log_info("message-proposed", "id=%lld by=%s", (long long)id, r->who);
	return answer(r, 200, id, NULL);
}

enum MHD_Result api_message_approve(struct api_request *r, int64_t id)
{
	const struct http_ctx *ctx = r->api->ctx;
	struct api_job job;
	struct flow f = { 0 };
	int rc;

	api_job_init(&job, API_JOB_FN, r);
	job.verdicts = malloc(sizeof(*job.verdicts));
	if (!job.verdicts)
		return api_internal_error(r, "approve", BANDITORE_ENOMEM);
	rc = run(r, &job, id, approve_job, &f);
	if (rc == BANDITORE_EPERM) {
		json_t *o = api_render_error("policy", NULL,
					     "la policy del comune ora non permette di inviare il messaggio: vedere i verdetti",
					     "the comune's policy no longer allows the message: see the verdicts");
		if (o)
			json_object_set_new(o, "verdicts", messages_verdicts_json(job.verdicts));
		free(job.verdicts);
		return api_respond(r->conn, 422, o, NULL, NULL);
	}
	free(job.verdicts);
	if (rc == BANDITORE_EAUTH && f.not_category_approver) {
		log_warn("api-refused", "reason=category-approvers id=%lld who=%s", (long long)id, r->who);
		return api_respond_error(r->conn, 403, "category_approvers", NULL,
					 "i messaggi di questa categoria li approva solo chi la policy del "
					 "comune indica per essa",
					 "messages of this category are approved only by those the "
					 "comune's policy names for it");
	}
	if (rc == BANDITORE_EAUTH) {
		log_warn("api-refused", "reason=self-approval id=%lld who=%s", (long long)id, r->who);
		return api_respond_error(r->conn, 403, "self_approval", NULL,
					 "nessuno approva un messaggio proposto o scritto da sé (salvo "
					 "un'emergenza, per gestore e responsabile)",
					 "nobody approves a message they proposed or wrote (except an "
					 "emergency, for a gestore or responsabile)");
	}
	if (rc == BANDITORE_ENOTFOUND)
		return not_found(r);
	if (rc == BANDITORE_ESTATE)
		return state_conflict(r, id, "il messaggio non è una bozza da approvare (già approvato, o respinto: va riproposto)",
				      "the message is not a draft to approve (approved already, or rejected: propose it again)");
	if (rc == BANDITORE_EINVAL)
		return api_respond_error(r->conn, 409, "expired", "expires_at",
					 "la scadenza del messaggio è già passata",
					 "the message's expiry has passed");
	if (rc)
		return api_internal_error(r, "approve", rc);
	if (ctx->wake_sender)
		ctx->wake_sender(ctx->wake_sender_arg);
	log_info("message-approved", "id=%lld by=%s self_approved=%d state=%s audience=%lld",
		 (long long)id, r->who, f.self_approved, messages_state_name(job.approval.state),
		 (long long)job.approval.audience);
	return answer(r, 202, id, NULL);
}

enum MHD_Result api_message_reject(struct api_request *r, int64_t id)
{
	json_t *o = r->len ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *reason = json_is_object(o) ? json_object_get(o, "reason") : NULL;
	struct api_job job;
	struct flow f = { 0 };
	enum MHD_Result ret;
	int rc;

	if (!json_is_string(reason) || !*json_string_value(reason) ||
	    strlen(json_string_value(reason)) > 500) {
		json_decref(o);
		return api_respond_error(r->conn, 422, "invalid", "reason",
					 "il motivo del rifiuto è obbligatorio (al massimo 500 byte)",
					 "the reason of the rejection is required (at most 500 bytes)");
	}
	f.reason = json_string_value(reason);
	api_job_init(&job, API_JOB_FN, r);
	rc = run(r, &job, id, reject_job, &f);
	if (rc == BANDITORE_ENOTFOUND)
		ret = not_found(r);
	else if (rc == BANDITORE_ESTATE)
		ret = state_conflict(r, id, "solo un messaggio proposto si può respingere",
				     "only a proposed message can be rejected");
	else if (rc)
		ret = api_internal_error(r, "reject", rc);
	else {
		log_info("message-rejected", "id=%lld by=%s", (long long)id, r->who);
		ret = answer(r, 200, id, NULL);
	}
	json_decref(o);
	return ret;
}

enum MHD_Result api_message_edit(struct api_request *r, int64_t id)
{
	struct store_message m;
	struct messages_error err;
	struct api_job job;
	struct flow f = { 0 };
	char areas[STORE_TARGETS_MAX];
	enum MHD_Result refused = MHD_NO;
	int rc, has_areas = 0;

	rc = messages_parse_json(r->body, r->len, &r->api->rules, (int64_t)time(NULL), &m, &err);
	if (rc == BANDITORE_EINVAL && !err.field[0])
		return api_respond_error(r->conn, 400, "malformed", NULL, err.message, err.message_en);
	if (rc == BANDITORE_EINVAL)
		return api_respond_error(r->conn, 422, "invalid", err.field, err.message, err.message_en);
	if (rc)
		return api_internal_error(r, "compose", rc);
	if (m.priority == STORE_PRIORITY_EMERGENCY && !api_allowed(r, STAFF_EMERGENCY)) {
		store_message_clear(&m);
		return api_forbidden(r, STAFF_EMERGENCY);
	}
	rc = messages_check_replaces(r->st, &m, &err);
	if (rc) {
		store_message_clear(&m);
		if (rc == BANDITORE_EINVAL)
			return api_respond_error(r->conn, 422, "invalid", err.field, err.message,
						 err.message_en);
		return api_internal_error(r, "replaces", rc);
	}
	rc = api_audience_parse(r, areas, sizeof(areas), &has_areas, &refused);
	if (rc) {
		store_message_clear(&m);
		return rc == 1 ? refused : api_internal_error(r, "areas", rc);
	}
	m.id = id;
	f.msg = &m;
	api_job_init(&job, API_JOB_FN, r);
	job.areas = has_areas ? areas : NULL;
	rc = run(r, &job, id, edit_job, &f);
	store_message_clear(&m);
	if (rc == BANDITORE_ENOTFOUND)
		return not_found(r);
	if (rc == BANDITORE_EPERM)
		return not_yours(r);
	if (rc == BANDITORE_ESTATE)
		return state_conflict(r, id, "il messaggio è già in invio o concluso: non si può modificare",
				      "the message is sending or finished: it can no longer be edited");
	if (rc)
		return api_internal_error(r, "edit", rc);
	log_info("message-edited", "id=%lld by=%s back_to_approval=%d", (long long)id, r->who,
		 f.reapproval);
	return answer(r, 200, id, json_pack("{s:b}", "back_to_approval", f.reapproval));
}

enum MHD_Result api_message_queue(struct api_request *r)
{
	struct store_review *rv = calloc(QUEUE_MAX, sizeof(*rv));
	json_t *arr;
	int n = 0, rc;

	if (!rv)
		return api_internal_error(r, "queue", BANDITORE_ENOMEM);
	rc = store_review_list(r->st, STORE_REVIEW_PROPOSED, rv, QUEUE_MAX, &n);
	if (rc) {
		free(rv);
		return api_internal_error(r, "queue", rc);
	}
	arr = json_array();
	for (int i = 0; i < n; i++) {
		struct store_message m = { 0 };
		if (store_message_get(r->st, rv[i].message_id, &m) == 0 && m.state == STORE_MSG_DRAFT)
			json_array_append_new(arr, api_render_reviewed(r->st, &m));
		store_message_clear(&m);
	}
	free(rv);
	return api_respond(r->conn, 200, json_pack("{s:o}", "messages", arr), NULL, NULL);
}
