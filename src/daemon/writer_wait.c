/*
 * writer_wait.c - submit a writer job and wait for its done() (see writer_wait.h).
 */
#include "daemon/writer_wait.h"

int writer_run_wait(struct writer *w, struct writer_job *job, struct writer_wait *ww)
{
	int rc;

	ww->finished = 0;
	ww->rc = 0;
	pthread_mutex_init(&ww->lock, NULL);
	pthread_cond_init(&ww->cond, NULL);
	rc = writer_submit(w, job);
	if (rc == 0) {
		pthread_mutex_lock(&ww->lock);
		while (!ww->finished)
			pthread_cond_wait(&ww->cond, &ww->lock);
		rc = ww->rc;
		pthread_mutex_unlock(&ww->lock);
	}
	pthread_cond_destroy(&ww->cond);
	pthread_mutex_destroy(&ww->lock);
	return rc;
}

void writer_wait_done(struct writer_wait *ww, int rc)
{
	pthread_mutex_lock(&ww->lock);
	ww->rc = rc;
	ww->finished = 1;
	pthread_cond_signal(&ww->cond);
	pthread_mutex_unlock(&ww->lock);
}
