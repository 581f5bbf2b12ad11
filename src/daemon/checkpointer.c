/* checkpointer.c - log checkpoints and erasure purges in their own thread (checkpointer.h). */
#include "daemon/checkpointer.h"

#include "common/err.h"
#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define PURGE_MIN_INTERVAL_MS 1000 /* at most one purge a second */
#define PASS_GAP_MS 50             /* between passes while the log stays long (a reader) */
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

/* Copies the log, then ends it: the purge when `purge`, a restart otherwise. */
static int pass(struct checkpointer *c, int purge)
{
	int rc = store_checkpoint(c->st, 0);

	if (rc)
		log_warn("checkpoint", "mode=passive error=\"%s\" detail=\"%s\"",
			 banditore_strerror(rc), store_errmsg(c->st));
	rc = purge ? store_purge_log(c->st) : store_checkpoint(c->st, 1);
	if (rc && rc != BANDITORE_ETEMP)
		log_warn(purge ? "writer-purge" : "checkpoint", "mode=%s error=\"%s\" detail=\"%s\"",
			 purge ? "truncate" : "restart", banditore_strerror(rc),
			 store_errmsg(c->st));
	return rc;
}

static void *checkpointer_main(void *arg)
{
	struct checkpointer *c = arg;
	int64_t last_purge = 0, last_pass = 0;

	pthread_setname_np(pthread_self(), "checkpointer"); /* for top -H and perf */
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		int64_t now = now_ms(), wait = IDLE_WAIT_MS;
		int purge = c->erased != c->purged, purge_due, pass_due, rc;
		uint64_t gen = c->erased;

		purge_due = purge && now - last_purge >= PURGE_MIN_INTERVAL_MS;
		pass_due = c->pages >= c->threshold && now - last_pass >= PASS_GAP_MS;
		if (!purge_due && !pass_due) {
			if (purge)
				wait = last_purge + PURGE_MIN_INTERVAL_MS - now;
			if (c->pages >= c->threshold && last_pass + PASS_GAP_MS - now < wait)
				wait = last_pass + PASS_GAP_MS - now;
			wait_ms(c, wait > 0 ? wait : 1);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		rc = pass(c, purge_due);
		pthread_mutex_lock(&c->lock);
		last_pass = now_ms();
		c->passes++;
		if (purge_due)
			last_purge = last_pass;
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
	purge = c->erased != c->purged;
	if (purge && pass(c, 1) == 0) {
		c->purged = c->erased;
		c->purges++;
	}
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
