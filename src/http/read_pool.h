/*
 * read_pool.h - a few store connections for reading, shared by the HTTP threads.
 *
 * One struct store is one connection for one thread at a time (store.h); opening one
 * per request would re-run the open checks every time. The pool lends an idle
 * connection, or opens a new one, and keeps at most `max_idle` of them when they come
 * back. Writes never go through these connections: they go to the writer.
 */
#ifndef BANDITORE_READ_POOL_H
#define BANDITORE_READ_POOL_H

#include "store/store.h"

struct read_pool;

/* A pool over the store at `url` (copied). */
int read_pool_new(const char *url, int max_idle, struct read_pool **out);

/* Lends a connection (*out), opening one if none is idle. */
int read_pool_get(struct read_pool *p, struct store **out);

/* Gives `st` back; with `broken` (a store error on it) it is closed instead of kept. */
void read_pool_put(struct read_pool *p, struct store *st, int broken);

/* Closes every idle connection; all lent ones must have come back. Accepts NULL. */
void read_pool_free(struct read_pool *p);

#endif
