/*
 * api_joins.c - the front desk and the moderation queue over the JSON API (joins.h says
 * what they are):
 *
 *   POST /api/v1/subscribers/enroll {"number", "form_number", "form_date"}
 *        202: the request waits for the citizen's "Sì" (nothing is subscribed yet);
 *        422 naming the field; 409 not_enabled, already_subscribed, blocked, in_queue,
 *        asked_recently (the same number within 10 minutes: a form posted twice).
 *   GET  /api/v1/joins                 the requests waiting for staff, the oldest 200
 *                                      ("more": true when there are others)
 *   POST /api/v1/joins/{id}/approve    the subscriber is made and welcomed
 *   POST /api/v1/joins/{id}/refuse     the request is erased and the citizen told
 *        404 when the request is not there (decided, withdrawn), 410 when it expired.
 *
 * A refused request changes nothing. Each write is a writer job with its audit entry in
 * the same savepoint; the audit never holds the number (a desk's entry holds the paper
 * form's reference, a decision the queue's random id), nor does the log.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "inbound/joins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_MAX 200

static int run(struct api_request *r, struct api_job *j, int (*fn)(struct store *, struct api_job *),
	       void *arg)
{
	api_job_init(j, API_JOB_FN, r);
	j->fn = fn;
	j->arg = arg;
	j->now = (int64_t)time(NULL);
	return api_job_run(r->api->ctx->writer, j);
}

static json_t *time_json(int64_t t)
{
	char s[MESSAGES_TIME_MAX];

	messages_time_format(t, s);
	return json_string(s);
}

/* ------------------------------------------------------------------ the front desk */

struct enroll_job {
	const struct inbound_ctx *ctx;
	struct joins_enrollment in;
	int result;
	int64_t expires_at;
};

static int enroll_job(struct store *st, struct api_job *j)
{
	struct enroll_job *e = j->arg;
	int rc = joins_enroll(st, e->ctx, &e->in, j->now, &e->result, &e->expires_at);

	if (rc)
		return rc;
	/* The paper form's reference, never the number. */
	return api_job_audit(st, j, "subscriber.enroll", "join-request",
		     json_pack("{s:s, s:s, s:s}", "form_number", e->in.form, "form_date",
			       e->in.form_date, "method", JOINS_METHOD_ASSISTED));
}

enum MHD_Result api_joins_enroll(struct api_request *r)
{
	const struct http_ctx *ctx = r->api->ctx;
	struct enroll_job *e;
	struct api_job job;
	enum MHD_Result ret;
	json_t *o = r->len ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *v;
	const char *number, *form, *date;
	char form_buf[32];
	int problem, rc;

	if (!json_is_object(o)) {
		json_decref(o);
		return api_respond_error(r->conn, 400, "malformed", NULL,
					 "il corpo della richiesta deve essere un oggetto JSON",
					 "the request body must be a JSON object");
	}
	if (!ctx->cfg->assisted_enrollment || !ctx->inbound) {
		json_decref(o);
		return api_respond_error(r->conn, 409, "not_enabled", NULL,
					 "l'iscrizione allo sportello non è attiva (chiave assisted_enrollment "
					 "della sezione [channel])",
					 "front-desk enrollment is not enabled ([channel] assisted_enrollment)");
	}
	number = json_string_value(json_object_get(o, "number"));
	v = json_object_get(o, "form_number");
	if (json_is_integer(v)) { /* a form's number typed as a number */
		snprintf(form_buf, sizeof(form_buf), "%lld", (long long)json_integer_value(v));
		form = form_buf;
	} else {
		form = json_string_value(v);
	}
	date = json_string_value(json_object_get(o, "form_date"));
	e = calloc(1, sizeof(*e));
	if (!e) {
		json_decref(o);
		return api_internal_error(r, "enroll", BANDITORE_ENOMEM);
	}
	problem = joins_enrollment_check(number, form, date, (int64_t)time(NULL), &e->in);
	json_decref(o);
	if (problem) {
		ret = api_respond_error(r->conn, 422, "invalid", joins_problem_field(problem),
					joins_problem_text(problem, 0), joins_problem_text(problem, 1));
		goto out;
	}
	e->ctx = ctx->inbound;
	rc = run(r, &job, enroll_job, e);
	if (rc == BANDITORE_ESTATE && e->result == JOINS_ALREADY_SUBSCRIBED)
		ret = api_respond_error(r->conn, 409, "already_subscribed", "number",
					"il numero è già iscritto: non serve un nuovo modulo",
					"the number is subscribed already: no new form is needed");
	else if (rc == BANDITORE_ESTATE && e->result == JOINS_BLOCKED)
		ret = api_respond_error(r->conn, 409, "blocked", "number",
					"il numero è stato estromesso dal servizio per violazione delle "
					"condizioni d'uso e non può essere iscritto",
					"the number was expelled for breaking the terms of use and cannot be "
					"enrolled");
	else if (rc == BANDITORE_ESTATE && e->result == JOINS_ASKED_RECENTLY)
		ret = api_respond_error(r->conn, 409, "asked_recently", "number",
					"a questo numero è stata inviata la domanda di conferma da pochi minuti: "
					"attenda la risposta del cittadino (si può ripetere dopo 10 minuti)",
					"this number was sent the confirmation question a few minutes ago: wait "
					"for the citizen's answer (it can be repeated after 10 minutes)");
	else if (rc == BANDITORE_ESTATE && e->result == JOINS_IN_QUEUE)
		ret = api_respond_error(r->conn, 409, "in_queue", "number",
					"il numero ha già una richiesta di iscrizione in attesa di approvazione",
					"the number has a join request waiting for approval already");
	else if (rc)
		ret = api_internal_error(r, "enroll", rc);
	else {
		log_info("join-enrolled", "by=%s", r->who);
		ret = api_respond(r->conn, 202,
				  json_pack("{s:b, s:s, s:o}", "queued", 1, "method", JOINS_METHOD_ASSISTED,
					    "expires_at", time_json(e->expires_at)),
				  NULL, NULL);
	}
out:
	crypto_wipe(e, sizeof(*e));
	free(e);
	return ret;
}

/* ------------------------------------------------------------------ the queue */

enum MHD_Result api_joins_list(struct api_request *r)
{
	const struct http_ctx *ctx = r->api->ctx;
	struct store_pending *p = calloc(LIST_MAX + 1, sizeof(*p));
	int full = api_allowed(r, STAFF_SEE_NUMBERS), more;
	int64_t ttl = (int64_t)ctx->cfg->moderate_within_days * 86400;
	json_t *arr;
	int n = 0, rc;

	if (!p)
		return api_internal_error(r, "joins", BANDITORE_ENOMEM);
	rc = store_pending_list(r->st, PLATFORM_WHATSAPP, STORE_PENDING_MODERATE, 0, "", p, LIST_MAX + 1,
				&n);
	if (rc) {
		free(p);
		return api_internal_error(r, "joins", rc);
	}
	more = n > LIST_MAX; /* the oldest LIST_MAX are shown: decide them first */
	if (more)
		n = LIST_MAX;
	arr = json_array();
	for (int i = 0; i < n; i++) {
		char number[SUBSCRIBERS_ADDRESS_MAX], shown[JOINS_MASKED_MAX];
		if (subscribers_unseal(ctx->keys, PLATFORM_WHATSAPP, p[i].sealed, p[i].sealed_len, number,
				       sizeof(number)))
			snprintf(number, sizeof(number), "?");
		if (!full)
			joins_mask(number, shown, sizeof(shown));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o}", "id", p[i].ref,
						     "number", full ? number : shown, "masked", !full,
						     "method", p[i].method, "consent_detail",
						     p[i].consent_detail, "received_at",
						     time_json(p[i].created_at), "expires_at",
						     time_json(p[i].created_at + ttl)));
		crypto_wipe(number, sizeof(number));
	}
	crypto_wipe(p, (LIST_MAX + 1) * sizeof(*p));
	free(p);
	return api_respond(r->conn, 200,
			   json_pack("{s:b, s:b, s:o}", "enabled", ctx->cfg->moderate_joins, "more", more,
				     "requests", arr),
			   NULL, NULL);
}

struct decide_job {
	const struct inbound_ctx *ctx;
	char ref[STORE_PENDING_REF_MAX];
	int approve;
	struct joins_decision d;
};

static int decide_job(struct store *st, struct api_job *j)
{
	struct decide_job *d = j->arg;
	char object[64];
	int rc = joins_decide(st, d->ctx, d->ref, d->approve, j->now, &d->d);

	if (rc)
		return rc;
	if (d->d.expired || !d->approve)
		j->job.erased = 1; /* the request's sealed number went */
	if (d->d.expired)
		return 0;
	snprintf(object, sizeof(object), "join:%s", d->ref);
	return api_job_audit(st, j, d->approve ? "join.approve" : "join.refuse", object,
		     json_pack("{s:s}", "method", d->d.method));
}

/* 1 when `ref` looks like a queue id (hex, 1..32 characters). */
static int ref_valid(const char *ref)
{
	size_t n = strlen(ref);

	if (n == 0 || n >= STORE_PENDING_REF_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((ref[i] >= '0' && ref[i] <= '9') || (ref[i] >= 'a' && ref[i] <= 'f')))
			return 0;
	return 1;
}

enum MHD_Result api_joins_decide(struct api_request *r, const char *ref, int approve)
{
	struct decide_job d;
	struct api_job job;
	int rc;

	if (!ref_valid(ref))
		return api_respond_error(r->conn, 404, "not_found", NULL,
					 "nessuna richiesta di iscrizione con questo identificativo",
					 "no join request with this id");
	memset(&d, 0, sizeof(d));
	d.ctx = r->api->ctx->inbound;
	if (!d.ctx)
		return api_internal_error(r, "decide", BANDITORE_EINVAL);
	snprintf(d.ref, sizeof(d.ref), "%s", ref);
	d.approve = approve;
	rc = run(r, &job, decide_job, &d);
	if (rc == BANDITORE_ENOTFOUND)
		return api_respond_error(r->conn, 404, "not_found", NULL,
					 "la richiesta non c'è più: è già stata decisa o ritirata",
					 "the request is not there any more: decided or withdrawn");
	if (rc)
		return api_internal_error(r, approve ? "join approve" : "join refuse", rc);
	if (d.d.expired)
		return api_respond_error(r->conn, 410, "expired", NULL,
					 "la richiesta era scaduta ed è stata cancellata",
					 "the request had expired and was erased");
	log_info("join-decided", "decision=%s by=%s", approve ? "approve" : "refuse", r->who);
	return api_respond(r->conn, 200,
			   approve ? json_pack("{s:s, s:b, s:b}", "id", ref, "approved", 1, "joined", d.d.joined)
				   : json_pack("{s:s, s:b}", "id", ref, "refused", 1),
			   NULL, NULL);
}
