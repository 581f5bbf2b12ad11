/* writer.c - group commit of store changes in one thread. */
#include "daemon/writer.h"

#include "common/err.h"
#include "common/log.h"
#include "daemon/checkpointer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PURGE_MIN_INTERVAL_MS 1000 /* at most one log truncation a second */

struct writer {
	struct store *st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct writer_job *head, *tail;
	int stopping;
	writer_tick_fn tick;
	void *tick_arg;
	int period;
	void (*on_commit)(void *);
	void *on_commit_arg;
	uint64_t jobs, batches, failures;

	/* Two-stage commit (when the store allows it): the writer commits without waiting
	 * for the disk and hands the batch to the syncer, which fdatasyncs the log and only
	 * then calls the jobs' done(); meanwhile the writer prepares the next batch. */
	int deferred;
	struct checkpointer *ck; /* checkpoints and purges in their own thread, or NULL */
	char log_path[4096];
	int log_fd;
	pthread_t syncer;
	pthread_cond_t sync_wake;
	struct writer_job *sync_head, *sync_tail;
	int sync_stopping;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish_all(struct writer_job *j, int rc)
{
	while (j) {
		struct writer_job *next = j->next;
		j->done(j, rc);
		j = next;
	}
}

/* Tells the owners of a durable (sync_rc 0) batch how each job went. */
static void settle(struct writer *w, struct writer_job *batch, int sync_rc)
{
	void (*on_commit)(void *);
	void *arg;

	pthread_mutex_lock(&w->lock);
	on_commit = w->on_commit;
	arg = w->on_commit_arg;
	pthread_mutex_unlock(&w->lock);
	if (on_commit && sync_rc == 0)
		on_commit(arg);
	while (batch) {
		struct writer_job *next = batch->next;
		batch->done(batch, batch->rc ? batch->rc : sync_rc);
		batch = next;
	}
}

/* Makes every commit so far durable: fdatasync of the store's log file. */
static int sync_log(struct writer *w)
{
	if (w->log_fd < 0) {
		w->log_fd = open(w->log_path, O_RDONLY | O_CLOEXEC);
		if (w->log_fd < 0)
			return BANDITORE_EIO;
	}
	return fdatasync(w->log_fd) == 0 ? 0 : BANDITORE_EIO;
}

static void *syncer_main(void *arg)
{
	struct writer *w = arg;

	pthread_setname_np(pthread_self(), "writer-sync"); /* for top -H and perf */
	for (;;) {
		struct writer_job *batch;
		int rc;

		pthread_mutex_lock(&w->lock);
		while (!w->sync_head && !w->sync_stopping)
			pthread_cond_wait(&w->sync_wake, &w->lock);
		batch = w->sync_head;
		w->sync_head = w->sync_tail = NULL;
		pthread_mutex_unlock(&w->lock);
		if (!batch)
			break; /* stopping, and nothing left */
		rc = sync_log(w);
		if (rc)
			log_error("writer-sync", "error=\"%s\" errno=%d", banditore_strerror(rc), errno);
		settle(w, batch, rc);
	}
	return NULL;
}

/* The common case: every job of the batch applies cleanly, so none needs a savepoint of
 * its own (each costs two statements and a copy of every page it touches again). Returns
 * 0 with the transaction open when all went well; otherwise the transaction is rolled
 * back and the batch must be run again one savepoint per job. */
static int run_optimistic(struct writer *w, struct writer_job *batch)
{
	for (struct writer_job *j = batch; j; j = j->next) {
		j->erased = 0;
		j->rc = j->apply(w->st, j);
		if (j->rc) {
			store_rollback(w->st);
			return j->rc;
		}
	}
	return 0;
}

/* Runs one batch; returns 1 when something was erased. */
static int run_batch(struct writer *w, struct writer_job *batch)
{
	struct writer_job *j;
	int erased = 0, rc;
	uint64_t n = 0, failed = 0;

	rc = store_begin(w->st);
	if (!rc && run_optimistic(w, batch) == 0) {
		for (j = batch; j; j = j->next) {
			n++;
			erased |= j->erased;
		}
		goto commit;
	}
	if (!rc) /* one job failed: again, each in its savepoint, so it is undone alone */
		rc = store_begin(w->st);
	if (rc) {
		log_error("writer-begin", "error=\"%s\" detail=\"%s\"", banditore_strerror(rc),
			  store_errmsg(w->st));
		finish_all(batch, rc);
		return 0;
	}
	for (j = batch; j; j = j->next) {
		n++;
		j->erased = 0;
		j->rc = store_savepoint(w->st);
		if (j->rc == 0) {
			j->rc = j->apply(w->st, j);
			if (j->rc) {
				store_rollback_to(w->st);
				j->erased = 0;
			}
			store_release(w->st);
		}
		if (j->rc)
			failed++;
		else if (j->erased)
			erased = 1;
	}
commit:
	rc = store_commit(w->st);
	if (rc) {
		log_error("writer-commit", "error=\"%s\" detail=\"%s\" jobs=%llu",
			  banditore_strerror(rc), store_errmsg(w->st), (unsigned long long)n);
		store_rollback(w->st);
		finish_all(batch, rc);
		return 0;
	}
	pthread_mutex_lock(&w->lock);
	w->jobs += n;
	w->batches++;
	w->failures += failed;
	if (w->deferred) {
		struct writer_job *last = batch;
		while (last->next)
			last = last->next;
		if (w->sync_tail)
			w->sync_tail->next = batch;
		else
			w->sync_head = batch;
		w->sync_tail = last;
		pthread_cond_signal(&w->sync_wake);
		pthread_mutex_unlock(&w->lock);
		return erased;
	}
	pthread_mutex_unlock(&w->lock);
	settle(w, batch, 0);
	return erased;
}

static void run_tick(struct writer *w)
{
	int rc = store_begin(w->st);
	if (rc)
		return;
	rc = w->tick(w->st, (int64_t)time(NULL), w->tick_arg);
	if (rc) {
		store_rollback(w->st);
		log_warn("writer-tick", "error=\"%s\"", banditore_strerror(rc));
		return;
	}
	if (store_commit(w->st))
		store_rollback(w->st);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int purge_pending = 0;
	int64_t last_purge = 0, next_tick = now_ms() + (int64_t)w->period * 1000;

	pthread_setname_np(pthread_self(), "writer");
	for (;;) {
		struct writer_job *batch = NULL, *last = NULL;
		int n = 0, stopping;

		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stopping) {
			int64_t wait_ms = w->tick ? next_tick - now_ms() : 60000;
			struct timespec ts;
			if (purge_pending) {
				int64_t p = last_purge + PURGE_MIN_INTERVAL_MS - now_ms();
				if (p < wait_ms)
					wait_ms = p;
			}
			if (wait_ms <= 0)
				break;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (wait_ms % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&w->wake, &w->lock, &ts) == ETIMEDOUT)
				break;
		}
		/* Take up to WRITER_BATCH_MAX jobs, in order. */
		batch = last = w->head;
		if (batch) {
			for (n = 1; last->next && n < WRITER_BATCH_MAX; n++)
				last = last->next;
			w->head = last->next;
			if (!w->head)
				w->tail = NULL;
			last->next = NULL;
		}
		stopping = w->stopping && !w->head;
		pthread_mutex_unlock(&w->lock);

		if (batch && run_batch(w, batch)) {
			if (w->ck)
				checkpointer_erased(w->ck);
			else
				purge_pending = 1;
		}
		if (purge_pending && (now_ms() - last_purge >= PURGE_MIN_INTERVAL_MS || stopping)) {
			int rc = store_purge_log(w->st);
			last_purge = now_ms();
			if (rc == 0)
				purge_pending = 0;
			else if (rc != BANDITORE_ETEMP)
				log_warn("writer-purge", "error=\"%s\"", banditore_strerror(rc));
		}
		if (w->tick && now_ms() >= next_tick) {
			run_tick(w);
			next_tick = now_ms() + (int64_t)w->period * 1000;
		}
		if (stopping && !batch)
			break;
	}
	return NULL;
}

int writer_start(struct store *st, struct store *log_st, writer_tick_fn tick, void *tick_arg,
		 int period, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (!w)
		return BANDITORE_ENOMEM;
	/* Before the writer's thread exists: the hook runs in it, at each commit. */
	if (log_st && checkpointer_start(log_st, CHECKPOINTER_PAGES, &w->ck) == 0 &&
	    store_log_watch(st, checkpointer_pages, w->ck) != 0) {
		checkpointer_stop(w->ck); /* no log to keep (in memory): the writer's way */
		w->ck = NULL;
	}
	if (w->ck) /* a purge at start, for whatever the last stop could not purge */
		checkpointer_erased(w->ck);
	w->st = st;
	w->tick = tick;
	w->tick_arg = tick_arg;
	w->period = period > 0 ? period : 3600;
	w->log_fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->sync_wake, NULL);
	w->deferred = store_defer_sync(st, w->log_path, sizeof(w->log_path)) == 0;
	if (w->deferred && pthread_create(&w->syncer, NULL, syncer_main, w) != 0)
		goto fail;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		if (w->deferred) {
			pthread_mutex_lock(&w->lock);
			w->sync_stopping = 1;
			pthread_cond_signal(&w->sync_wake);
			pthread_mutex_unlock(&w->lock);
			pthread_join(w->syncer, NULL);
		}
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (w->ck)
		store_log_watch(st, NULL, NULL);
	checkpointer_stop(w->ck);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->sync_wake);
	free(w);
	return BANDITORE_ENOMEM;
}

int writer_submit(struct writer *w, struct writer_job *job)
{
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return BANDITORE_ESTOPPED;
	}
	job->next = NULL;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

void writer_on_commit(struct writer *w, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&w->lock);
	w->on_commit = fn;
	w->on_commit_arg = arg;
	pthread_mutex_unlock(&w->lock);
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (w->deferred) {
		pthread_mutex_lock(&w->lock);
		w->sync_stopping = 1;
		pthread_cond_signal(&w->sync_wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->syncer, NULL);
	}
	if (w->ck) /* `st` is the caller's again, with its own checkpoints */
		store_log_watch(w->st, NULL, NULL);
	checkpointer_stop(w->ck); /* after the last commit: its purge covers every erasure */
	if (w->log_fd >= 0)
		close(w->log_fd);
	log_info("writer-stopped", "jobs=%llu batches=%llu failures=%llu",
		 (unsigned long long)w->jobs, (unsigned long long)w->batches,
		 (unsigned long long)w->failures);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->sync_wake);
	free(w);
}

void writer_stats(struct writer *w, uint64_t *jobs, uint64_t *batches, uint64_t *failures)
{
	pthread_mutex_lock(&w->lock);
	*jobs = w->jobs;
	*batches = w->batches;
	*failures = w->failures;
	pthread_mutex_unlock(&w->lock);
}
