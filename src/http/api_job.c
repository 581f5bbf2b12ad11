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

#include <string.h>

static int job_apply(struct store *st, struct writer_job *wj)
{
	struct api_job *j = (struct api_job *)wj;

	switch (j->kind) {
	case API_JOB_CREATE: {
		int rc = messages_create(st, j->msg, j->created_by, j->now, &j->id);
		return rc ? rc : messages_keep_notes(st, j->id, j->notes);
	}
	case API_JOB_SEND:
		return messages_send_checked(st, j->id, j->now, j->rules, j->verdicts, &j->approval);
	case API_JOB_CANCEL:
		return messages_cancel(st, j->id, j->now, &j->before);
	}
	return BANDITORE_EINVAL;
}

/* In the writer's (or syncer's) thread: wake the waiting request. Never blocks for
 * long: the waiter holds the lock only to test `finished`. */
static void job_done(struct writer_job *wj, int rc)
{
	struct api_job *j = (struct api_job *)wj;

	pthread_mutex_lock(&j->lock);
	j->rc = rc;
	j->finished = 1;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

void api_job_init(struct api_job *j, enum api_job_kind kind)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->job.apply = job_apply;
	j->job.done = job_done;
	j->before = -1;
}

int api_job_run(struct writer *w, struct api_job *j)
{
	int rc;

	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	rc = writer_submit(w, &j->job);
	if (rc == 0) {
		pthread_mutex_lock(&j->lock);
		while (!j->finished)
			pthread_cond_wait(&j->cond, &j->lock);
		rc = j->rc;
		pthread_mutex_unlock(&j->lock);
	}
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	return rc;
}
