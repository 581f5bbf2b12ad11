/*
 * writer.h - the one thread that writes to the store, committing in groups.
 *
 * Every change the daemon makes (a webhook's events, a reply sent) is a job handed to the
 * writer. The writer takes whatever jobs are waiting (up to WRITER_BATCH_MAX), runs each
 * in its own savepoint inside one transaction, commits once, and only then tells each
 * job's owner (done callback): so a webhook is acknowledged only when its effects are
 * durable, while one fsync covers hundreds of events. A job that fails is undone alone.
 *
 * When the store allows it (store_defer_sync), the commit is in two stages: the writer
 * commits without waiting for the disk and hands the batch to a syncer thread, which
 * fdatasyncs the log and only then calls done(); the writer meanwhile prepares the next
 * batch. Either way a job is reported done only once its effects are durable.
 *
 * After a batch that erased someone, the store's log is purged (for SQLite a TRUNCATE
 * checkpoint, at most once a second), so no old copy of the address is left in the WAL
 * file. Given a second connection to the store, a checkpointer thread does that and
 * keeps the log short (checkpointer.h), and the writer never copies the log itself;
 * otherwise the writer purges, and the store checkpoints as it commits.
 */
#ifndef BANDITORE_WRITER_H
#define BANDITORE_WRITER_H

#include <stdint.h>

#include "store/store.h"

#define WRITER_BATCH_MAX 2048

struct writer;

struct writer_job {
	/* Runs in the writer thread inside the batch's transaction; returns 0 or a
	 * BANDITORE_E* code. Sets job->erased to 1 when it erased an address. A batch is
	 * first run without savepoints; if one of its jobs fails, all is rolled back and
	 * the batch runs again with one savepoint per job, so that only the failed job is
	 * undone: apply may therefore run twice, and must change nothing but the store and
	 * its own job's fields. */
	int (*apply)(struct store *st, struct writer_job *job);
	/* Called in the writer's (or syncer's) thread once the batch is durable (rc 0) or
	 * has failed; the job's memory may be released from here on. Must not block. */
	void (*done)(struct writer_job *job, int rc);
	void *arg;
	int erased;
	int rc;                  /* the writer's: what apply returned */
	struct writer_job *next; /* the writer's */
};

/* A periodic task run inside its own transaction every `period` seconds (expiry of old
 * event ids, kept messages, auto-reply marks). */
typedef int (*writer_tick_fn)(struct store *st, int64_t now, void *arg);

/* Starts the writer over `st` (borrowed; the writer thread is its only user until
 * writer_stop returns). `log_st`, another connection to the same store (borrowed
 * likewise, for the checkpointer), may be NULL. `tick` may be NULL. */
int writer_start(struct store *st, struct store *log_st, writer_tick_fn tick, void *tick_arg,
		 int period, struct writer **out);

/* Hands `job` to the writer (the caller keeps ownership of its memory until done() is
 * called). BANDITORE_ESTOPPED once the writer is stopping. */
int writer_submit(struct writer *w, struct writer_job *job);

/* Called after every durable batch (e.g. to wake the sender when replies were queued),
 * from the writer's or the syncer's thread. */
void writer_on_commit(struct writer *w, void (*fn)(void *arg), void *arg);

/* Finishes the jobs already submitted, purges if needed, stops the thread. Accepts NULL. */
void writer_stop(struct writer *w);

/* Counters since start, for statistics. */
void writer_stats(struct writer *w, uint64_t *jobs, uint64_t *batches, uint64_t *failures);

#endif
