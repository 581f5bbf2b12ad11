/*
 * writer_wait.h - running a writer job from a request's thread and waiting until it is
 * durable (or has failed): the hand-over every synchronous caller of the writer needs.
 *
 * The job's done() callback calls writer_wait_done() on the same struct writer_wait that
 * writer_run_wait() was given; writer_run_wait() returns the job's result once done() has
 * run, or writer_submit's refusal (BANDITORE_ESTOPPED) without waiting.
 */
#ifndef BANDITORE_WRITER_WAIT_H
#define BANDITORE_WRITER_WAIT_H

#include <pthread.h>

#include "daemon/writer.h"

struct writer_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int rc;
};

/* Submits `job` to `w` and blocks until writer_wait_done(ww, ...) is called for it. */
int writer_run_wait(struct writer *w, struct writer_job *job, struct writer_wait *ww);

/* From the job's done(): records `rc` and wakes the waiter. Never blocks for long: the
 * waiter holds the lock only to test `finished`. */
void writer_wait_done(struct writer_wait *ww, int rc);

#endif
