/*
 * api_job.c - the API's writes as writer jobs, waited for by the request's thread.
 *
 * Why wait rather than suspend the connection (as the webhook does): API traffic is a
 * few requests by staff systems, not Meta's stream of events, and a job is one short
 * savepoint in the writer's next group commit; waiting keeps the endpoints straight-line
 * code, and shutdown simple (the server's threads finish their wait before
 * MHD_stop_daemon returns, while the writer still runs).
 */
#include "http/api_internal.h"

#include "common/err.h"

#include "messages/messages_audit.h"

#include <stdio.h>
#include <string.h>

/* The audit entry of what the job did, in the same savepoint: if it cannot be written,
 * the change is undone too. */
static int record(struct store *st, struct api_job *j, const char *action, const char *extra)
{
	if (!j->audit)
		return 0;
	return messages_audit(st, j->audit, j->actor, action, j->id, extra, j->now);
}

int api_job_audit(struct store *st, struct api_job *j, const char *action, const char *object,
		  json_t *details)
{
	char *text = NULL;
	int rc;

	if (!j->audit) {
		json_decref(details);
		return 0;
	}
	if (details) {
		text = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(details);
		if (!text)
			return BANDITORE_ENOMEM;
	}
	rc = audit_append(st, j->audit, j->actor, action, object, text, j->now, NULL);
	free(text);
	return rc;
}

static int job_apply(struct store *st, struct writer_job *wj)
{
	struct api_job *j = (struct api_job *)wj;
	char extra[64];
	int rc = BANDITORE_EINVAL;

	switch (j->kind) {
	case API_JOB_CREATE:
		rc = messages_create(st, j->msg, j->created_by, j->now, &j->id);
		if (!rc)
			rc = messages_keep_notes(st, j->id, j->notes);
		if (!rc && j->areas)
			rc = store_message_set_areas(st, j->id, j->areas);
		if (!rc)
			rc = record(st, j, "message.create", NULL);
		break;
	case API_JOB_SEND:
		rc = messages_send_checked(st, j->id, j->now, j->rules, j->verdicts, &j->approval);
		if (!rc)
			rc = record(st, j, "message.approve", NULL);
		break;
	case API_JOB_CANCEL:
		rc = messages_cancel(st, j->rules, j->id, j->now, &j->before);
		snprintf(extra, sizeof(extra), "{\"was\":\"%s\"}", messages_state_name(j->before));
		if (!rc)
			rc = record(st, j, "message.cancel", extra);
		break;
	case API_JOB_FN:
		rc = j->fn ? j->fn(st, j) : BANDITORE_EINVAL;
		break;
	}
	return rc;
}

/* In the writer's (or syncer's) thread: wake the waiting request. Never blocks for
 * long: the waiter holds the lock only to test `finished`. */
static void job_done(struct writer_job *wj, int rc)
{
	writer_wait_done(&((struct api_job *)wj)->wait, rc);
}

void api_job_init(struct api_job *j, enum api_job_kind kind, const struct api_request *r)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	if (r && r->api->have_audit)
		j->audit = &r->api->audit;
	if (r && r->actor[0])
		snprintf(j->actor, sizeof(j->actor), "%s", r->actor);
	else if (r && r->token)
		snprintf(j->actor, sizeof(j->actor), "token:%s", r->token->name);
	else
		snprintf(j->actor, sizeof(j->actor), "system");
	j->job.apply = job_apply;
	j->job.done = job_done;
	j->before = -1;
}

int api_job_run(struct writer *w, struct api_job *j)
{
	return writer_run_wait(w, &j->job, &j->wait);
}
