/*
 * test_writer.c - the writer's group commit on a real SQLite file: every job of a batch
 * is committed together, a failing job is undone alone (its neighbours in the batch still
 * commit), and each job is told how it went only once its batch is durable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/writer.h"
#include "store/store.h"

#define JOBS 200

struct counted {
	struct writer_job job;
	int fail;        /* apply adds its counter, then fails */
	int applied;     /* how many times apply ran */
	int done_rc;
	int done;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;

static int apply(struct store *st, struct writer_job *wj)
{
	struct counted *c = (struct counted *)wj;
	int rc;

	c->applied++;
	rc = store_counter_add(st, "2026-11-29", 0, "test", 1);
	if (!rc && c->fail)
		rc = store_counter_add(st, "2026-11-29", 0, "undone", 1);
	return rc ? rc : (c->fail ? BANDITORE_EINVAL : 0);
}

static void done(struct writer_job *wj, int rc)
{
	struct counted *c = (struct counted *)wj;

	pthread_mutex_lock(&lock);
	c->done_rc = rc;
	c->done = 1;
	finished++;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

/* With `checkpointer`, a second connection checkpoints (checkpointer.h); after
 * writer_stop the first one is the caller's again and commits on its own. */
static void run_with(int fail_every, int checkpointer, int64_t *test, int64_t *undone,
		     struct counted *jobs)
{
	char dir[] = "/tmp/banditore-writer-XXXXXX", path[64];
	struct store *st = NULL, *log_st = NULL;
	struct writer *w = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/db", dir);
	assert_int_equal(store_open(path, &st), 0);
	if (checkpointer)
		assert_int_equal(store_open(path, &log_st), 0);
	assert_int_equal(writer_start(st, log_st, NULL, NULL, 0, &w), 0);
	finished = 0;
	memset(jobs, 0, sizeof(*jobs) * JOBS);
	for (int i = 0; i < JOBS; i++) {
		jobs[i].job.apply = apply;
		jobs[i].job.done = done;
		jobs[i].fail = fail_every && i % fail_every == fail_every - 1;
		assert_int_equal(writer_submit(w, &jobs[i].job), 0);
	}
	pthread_mutex_lock(&lock);
	while (finished < JOBS)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	writer_stop(w);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_counter_add(st, "2026-11-29", 0, "after", 1), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_counter_sum(st, 0, "test", test), 0);
	assert_int_equal(store_counter_sum(st, 0, "undone", undone), 0);
	store_free(log_st);
	store_free(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

static void run(int fail_every, int64_t *test, int64_t *undone, struct counted *jobs)
{
	run_with(fail_every, 0, test, undone, jobs);
}

/* No failure: everything committed, each job applied exactly once. */
static void test_all_committed(void **state)
{
	struct counted *jobs = calloc(JOBS, sizeof(*jobs));
	int64_t test = -1, undone = -1;

	(void)state;
	assert_non_null(jobs);
	run(0, &test, &undone, jobs);
	assert_int_equal(test, JOBS);
	assert_int_equal(undone, 0);
	for (int i = 0; i < JOBS; i++) {
		assert_int_equal(jobs[i].done_rc, 0);
		assert_int_equal(jobs[i].applied, 1);
	}
	free(jobs);
}

/* Every tenth job fails after writing: only its own writes are undone, it alone is told
 * of its failure, and the others of its batch commit. */
static void test_failure_undone_alone(void **state)
{
	struct counted *jobs = calloc(JOBS, sizeof(*jobs));
	int64_t test = -1, undone = -1;
	int failed = 0;

	(void)state;
	assert_non_null(jobs);
	run(10, &test, &undone, jobs);
	for (int i = 0; i < JOBS; i++) {
		if (jobs[i].fail) {
			failed++;
			assert_int_equal(jobs[i].done_rc, BANDITORE_EINVAL);
		} else {
			assert_int_equal(jobs[i].done_rc, 0);
		}
		assert_in_range(jobs[i].applied, 1, 2);
	}
	assert_int_equal(failed, JOBS / 10);
	assert_int_equal(test, JOBS - failed);
	assert_int_equal(undone, 0);
	free(jobs);
}

/* The same with the checkpointer's connection beside the writer's. */
static void test_with_checkpointer(void **state)
{
	struct counted *jobs = calloc(JOBS, sizeof(*jobs));
	int64_t test = -1, undone = -1;

	(void)state;
	assert_non_null(jobs);
	run_with(10, 1, &test, &undone, jobs);
	assert_int_equal(test, JOBS - JOBS / 10);
	assert_int_equal(undone, 0);
	free(jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_committed),
		cmocka_unit_test(test_failure_undone_alone),
		cmocka_unit_test(test_with_checkpointer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
