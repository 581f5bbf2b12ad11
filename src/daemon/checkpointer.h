/*
 * checkpointer.h - the store's log kept short, and purged after erasures, by a thread of
 * its own over a connection of its own, so that the writer never copies the log itself.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses its threshold: the
 * writer copied tens of MB into the database file and fsynced it while every webhook of
 * the next batch waited (at 256 connections, statuses' p99 was 49.5-49.8 ms with it and
 * 23-26 ms without: bench/RESULTS.md). The purge after an erasure (a TRUNCATE
 * checkpoint, at most once a second) did the same in the writer thread.
 *
 * Here, once the log holds CHECKPOINTER_PAGES pages (the writer's commits report its
 * size: store_log_watch), a PASSIVE pass copies it while the writer goes on, then a
 * RESTART (or, when someone was erased since the last purge, the TRUNCATE purge) copies
 * the little that came meanwhile, holding commits for only that long, and the log
 * starts over (a restart is tried only when the pass copied everything, waits a few ms
 * at most for readers, and ever less often while they refuse it). A purge that a reader
 * kept from finishing is tried again 100 ms later, and at stop for up to a second; the
 * writer also asks for one at start, for whatever a stop could not purge.
 */
#ifndef BANDITORE_CHECKPOINTER_H
#define BANDITORE_CHECKPOINTER_H

#include "store/store.h"

#define CHECKPOINTER_PAGES 10000 /* the log's size, in pages, that starts a pass */

struct checkpointer;

/* Starts the thread over `st` (borrowed; only the thread uses it until checkpointer_stop
 * returns). `pages` is the log size that starts a pass (CHECKPOINTER_PAGES but in tests). */
int checkpointer_start(struct store *st, int pages, struct checkpointer **out);

/* The log's size after a commit (store_log_watch's callback; any thread). */
void checkpointer_pages(void *checkpointer, int pages);

/* A commit erased someone: purge within a second (any thread). */
void checkpointer_erased(struct checkpointer *c);

/* Purges once more if an erasure is still pending, then stops. Accepts NULL. */
void checkpointer_stop(struct checkpointer *c);

/* Counters since start (for tests and statistics): passes, purges done, restarts done. */
void checkpointer_stats(struct checkpointer *c, unsigned long *passes, unsigned long *purges,
			unsigned long *restarts);

#endif
