/* checkpointer.c - log checkpoints and erasure purges in their own thread (checkpointer.h). */
#include "daemon/checkpointer.h"

#include "common/err.h"
#include "common/log.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define PURGE_MIN_INTERVAL_MS 1000 /* at most one purge a second... */
#define PURGE_RETRY_MS 100         /* ...or again soon when a reader kept one from ending */
#define PURGE_STOP_TRIES 10        /* at stop, tries before saying it could not */
#define PASS_GAP_MS 50             /* between passes while the log stays long */
#define RESTART_GAP_MAX_MS 1000    /* restarts a reader refused: tried ever less often */
#define IDLE_WAIT_MS 60000

struct checkpointer {
	struct store *st;
	int threshold;
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t wake;
	int pages;            /* the log's size at the last commit */
	uint64_t erased;      /* erasures reported... */
	uint64_t purged;      /* ...and how many of them the last purge covered */
	int stopping;
	unsigned long passes, purges, restarts;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under c->lock: waits up to `ms` for news. */
static void wait_ms(struct checkpointer *c, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&c->wake, &c->lock, &ts);
}

/* Copies the log while the writer goes on, then ends it: the purge when `purge`
 * (always: an erasure must not stay in the log), otherwise a restart, only when the
 * copy left nothing behind (it then holds commits for as long as readers take to let
 * go, a few ms at most). *restarted tells whether it tried one. 0 when the log was
 * ended, BANDITORE_ETEMP when something kept it from ending. */
static int pass(struct checkpointer *c, int purge, int *restarted)
{
	int rc = store_checkpoint(c->st, 0);

	*restarted = 0;
	if (rc && rc != BANDITORE_ETEMP)
		log_warn("checkpoint", "mode=passive error=\"%s\" detail=\"%s\"",
			 banditore_strerror(rc), store_errmsg(c->st));
	if (purge) {
		rc = store_purge_log(c->st);
	} else if (rc == 0) {
		*restarted = 1;
		rc = store_checkpoint(c->st, 1);
	}
	if (rc && rc != BANDITORE_ETEMP)
		log_warn(purge ? "writer-purge" : "checkpoint", "mode=%s error=\"%s\" detail=\"%s\"",
			 purge ? "truncate" : "restart", banditore_strerror(rc),
			 store_errmsg(c->st));
	return rc;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;
	int64_t last_purge = 0, last_pass = 0, purge_gap = PURGE_MIN_INTERVAL_MS;
	int64_t gap = PASS_GAP_MS;

	pthread_setname_np(pthread_self(), "checkpointer"); /* for top -H and perf */
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		int64_t now = now_ms(), wait = IDLE_WAIT_MS;
		int purge = c->erased != c->purged, purge_due, pass_due, rc, restarted;
		uint64_t gen = c->erased;

		purge_due = purge && now - last_purge >= purge_gap;
		pass_due = c->pages >= c->threshold && now - last_pass >= gap;
		if (!purge_due && !pass_due) {
			if (purge)
				wait = last_purge + purge_gap - now;
			if (c->pages >= c->threshold && last_pass + gap - now < wait)
				wait = last_pass + gap - now;
			wait_ms(c, wait > 0 ? wait : 1);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		rc = pass(c, purge_due, &restarted);
		pthread_mutex_lock(&c->lock);
		last_pass = now_ms();
		c->passes++;
		/* A restart that readers refused held commits for a few ms: the next waits
		 * longer, up to a second. A copy that commits outran is simply run again. */
		gap = restarted && rc ? (gap * 2 < RESTART_GAP_MAX_MS ? gap * 2 : RESTART_GAP_MAX_MS)
				      : PASS_GAP_MS;
		if (purge_due) {
			last_purge = last_pass;
			purge_gap = rc ? PURGE_RETRY_MS : PURGE_MIN_INTERVAL_MS;
		}
		if (rc == 0) {
			c->pages = 0; /* the next commit starts the log over */
			if (purge_due) {
				c->purged = gen; /* erasures reported since wait for the next */
				c->purges++;
			} else {
				c->restarts++;
			}
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int checkpointer_start(struct store *st, int pages, struct checkpointer **out)
{
	struct checkpointer *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	*out = NULL;
	if (!c)
		return BANDITORE_ENOMEM;
	c->st = st;
	c->threshold = pages > 0 ? pages : CHECKPOINTER_PAGES;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_mutex_destroy(&c->lock);
		pthread_cond_destroy(&c->wake);
		free(c);
		return BANDITORE_ENOMEM;
	}
	*out = c;
	return 0;
}

void checkpointer_pages(void *arg, int pages)
{
	struct checkpointer *c = arg;

	pthread_mutex_lock(&c->lock);
	if (pages >= c->threshold && c->pages < c->threshold)
		pthread_cond_signal(&c->wake);
	c->pages = pages;
	pthread_mutex_unlock(&c->lock);
}

void checkpointer_erased(struct checkpointer *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->erased++ == c->purged)
		pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void checkpointer_stop(struct checkpointer *c)
{
	int purge;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	/* Every thread of the daemon has stopped by now; only another process (the CLI)
	 * can still be reading: give it a little time. */
	purge = c->erased != c->purged;
	for (int i = 0; purge && i < PURGE_STOP_TRIES; i++) {
		int restarted;
		if (pass(c, 1, &restarted) == 0) {
			c->purged = c->erased;
			c->purges++;
			purge = 0;
		} else {
			struct timespec ts = { 0, PURGE_RETRY_MS * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	log_info("checkpointer-stopped", "passes=%lu restarts=%lu purges=%lu", c->passes,
		 c->restarts, c->purges);
	if (purge)
		log_warn("purge-incomplete", "reason=\"%s\" what=\"another process kept the WAL "
			 "open: erased data may stay in it until the next start purges it\"",
			 store_errmsg(c->st));
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}

void checkpointer_stats(struct checkpointer *c, unsigned long *passes, unsigned long *purges,
			unsigned long *restarts)
{
	pthread_mutex_lock(&c->lock);
	*passes = c->passes;
	*purges = c->purges;
	*restarts = c->restarts;
	pthread_mutex_unlock(&c->lock);
}
