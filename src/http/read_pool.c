/* read_pool.c - idle store connections for the HTTP threads, under one mutex. */
#include "http/read_pool.h"

#include "common/err.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define READ_POOL_HARD_MAX 16

struct read_pool {
	pthread_mutex_t lock;
	char *url;
	int max_idle;
	int n_idle;
	struct store *idle[READ_POOL_HARD_MAX];
};

int read_pool_new(const char *url, int max_idle, struct read_pool **out)
{
	struct read_pool *p;

	*out = NULL;
	if (!url || max_idle < 0)
		return BANDITORE_EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return BANDITORE_ENOMEM;
	p->url = strdup(url);
	if (!p->url) {
		free(p);
		return BANDITORE_ENOMEM;
	}
	p->max_idle = max_idle < READ_POOL_HARD_MAX ? max_idle : READ_POOL_HARD_MAX;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

int read_pool_get(struct read_pool *p, struct store **out)
{
	*out = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->n_idle > 0)
		*out = p->idle[--p->n_idle];
	pthread_mutex_unlock(&p->lock);
	if (*out)
		return 0;
	/* Opened outside the lock: other threads keep borrowing meanwhile. */
	int rc = store_open(p->url, out);

	/* API reads look up a message or count a few rows: keep each reader small. */
	if (!rc && (rc = store_set_cache(*out, 4096)) != 0) {
		store_free(*out);
		*out = NULL;
	}
	return rc;
}

void read_pool_put(struct read_pool *p, struct store *st, int broken)
{
	if (!st)
		return;
	if (!broken) {
		pthread_mutex_lock(&p->lock);
		if (p->n_idle < p->max_idle) {
			p->idle[p->n_idle++] = st;
			st = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	store_free(st);
}

void read_pool_free(struct read_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_idle; i++)
		store_free(p->idle[i]);
	pthread_mutex_destroy(&p->lock);
	free(p->url);
	free(p);
}
