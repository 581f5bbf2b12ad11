/*
 * test_checkpointer.c - the store's log kept short and purged by the checkpointer thread
 * (daemon/checkpointer.h), on a real SQLite file with two connections: the writing one,
 * which no longer checkpoints by itself, and the checkpointer's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "daemon/checkpointer.h"
#include "store/store.h"

#define THRESHOLD 200 /* pages: a pass starts once the log holds this many */

struct fixture {
	char dir[64], path[96];
	struct store *st, *ck;
	struct checkpointer *c;
	int pages; /* the log size the writing connection's last commit reported */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* The log size each commit reports, passed on to the checkpointer. */
static void watch(void *arg, int pages)
{
	struct fixture *f = arg;

	f->pages = pages;
	if (f->c)
		checkpointer_pages(f->c, pages);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-ckpt-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
	assert_int_equal(store_open(f->path, &f->st), 0);
	assert_int_equal(store_open(f->path, &f->ck), 0);
	assert_int_equal(checkpointer_start(f->ck, THRESHOLD, &f->c), 0);
	assert_int_equal(store_log_watch(f->st, watch, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	checkpointer_stop(f->c);
	store_free(f->ck);
	store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* One transaction of `n` kept messages of 3000 bytes (about a page each), filled with
 * `fill`; the id of the last one in *last. */
static void write_kept(struct fixture *f, int n, uint8_t fill, int64_t *last)
{
	struct store_kept_message *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->platform = 0;
	memset(m->addr_hash, fill, sizeof(m->addr_hash));
	m->sealed_addr_len = 40;
	memset(m->sealed_addr, fill, m->sealed_addr_len);
	m->sealed_text_len = 3000;
	memset(m->sealed_text, fill, m->sealed_text_len);
	m->received_at = 1000;
	m->expires_at = 2000;
	assert_int_equal(store_begin(f->st), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_kept_add(f->st, m, last), 0);
	assert_int_equal(store_commit(f->st), 0);
	free(m);
}

/* How many times `needle` (len bytes) occurs in the file at `path` (0 when missing). */
static int occurrences(const char *path, const uint8_t *needle, size_t len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long size;
	int found = 0;

	if (!fp)
		return 0;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	for (long i = 0; i + (long)len <= size; i++)
		if (memcmp(buf + i, needle, len) == 0) {
			found++;
			i += (long)len - 1;
		}
	free(buf);
	return found;
}

static void wait_for(struct checkpointer *c, unsigned long want_restarts,
		     unsigned long want_purges)
{
	unsigned long passes, purges, restarts;

	for (int i = 0; i < 300; i++) {
		checkpointer_stats(c, &passes, &purges, &restarts);
		if (restarts >= want_restarts && purges >= want_purges)
			return;
		sleep_ms(10);
	}
	fail_msg("checkpointer: %lu restarts, %lu purges; waited for %lu and %lu", restarts,
		 purges, want_restarts, want_purges);
}

/* The writing connection's log grows past the threshold and the checkpointer starts it
 * over: later commits report a short log again. Without the checkpointer (the hook
 * replaced SQLite's own checkpoint) it would only grow: 1,200 pages and more. */
static void test_log_kept_short(void **state)
{
	struct fixture *f = *state;
	unsigned long passes, purges, restarts;
	int64_t last = 0;

	for (int round = 0; round < 4; round++) {
		while (f->pages < THRESHOLD)
			write_kept(f, 20, (uint8_t)(0x10 + round), &last);
		wait_for(f->c, (unsigned long)round + 1, 0);
		write_kept(f, 20, 0x40, &last); /* the first commit after the restart */
		assert_in_range(f->pages, 1, THRESHOLD / 2);
	}
	checkpointer_stats(f->c, &passes, &purges, &restarts);
	assert_int_equal(restarts, 4);
	assert_int_equal(purges, 0);
	/* Given back, the connection reports nothing more (and checkpoints by itself). */
	assert_int_equal(store_log_watch(f->st, NULL, NULL), 0);
	f->pages = -1;
	write_kept(f, 20, 0x41, &last);
	assert_int_equal(f->pages, -1);
	{
		int64_t after = 0;
		int got = 0;
		/* Everything written is there, read through the other connection. */
		struct store_kept_message *m = calloc(1, sizeof(*m));
		assert_non_null(m);
		while (store_kept_list(f->ck, after, m, 1, &got) == 0 && got == 1)
			after = m->id;
		assert_int_equal(after, last);
		free(m);
	}
}

/* A reader that holds an old snapshot keeps the log from starting over: the restart is
 * not claimed, the log goes on growing and nothing is lost; once the reader lets go, the
 * next pass restarts it. */
static void test_reader_holds_the_log(void **state)
{
	struct fixture *f = *state;
	unsigned long passes = 0, purges, restarts;
	sqlite3 *reader;
	int64_t last = 0;

	write_kept(f, 5, 0x11, &last);
	assert_int_equal(sqlite3_open(f->path, &reader), SQLITE_OK);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM kept_messages;", NULL,
				      NULL, NULL), SQLITE_OK);
	while (f->pages < THRESHOLD)
		write_kept(f, 20, 0x12, &last);
	for (int i = 0; i < 300 && passes < 3; i++) {
		sleep_ms(10);
		checkpointer_stats(f->c, &passes, &purges, &restarts);
	}
	assert_true(passes >= 3); /* tried, and tried again */
	assert_int_equal(restarts, 0);
	write_kept(f, 20, 0x13, &last); /* commits go on meanwhile */
	assert_true(f->pages > THRESHOLD);
	assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(reader);
	write_kept(f, 1, 0x14, &last); /* tells the checkpointer the log is still long */
	wait_for(f->c, 1, 0);
	write_kept(f, 1, 0x15, &last);
	assert_in_range(f->pages, 1, THRESHOLD / 2);
}

/* An erasure reported is purged within a second by the thread, and one reported right
 * before the checkpointer stops is purged by the stop: afterwards neither the database
 * file nor its WAL holds the erased bytes. */
static void test_erasure_purged(void **state)
{
	struct fixture *f = *state;
	char wal[128];
	uint8_t marker[64];
	int64_t id1 = 0, id2 = 0, last = 0;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	memset(marker, 0xA7, sizeof(marker));
	write_kept(f, 1, 0xA7, &id1);
	write_kept(f, 5, 0x21, &last);
	assert_true(occurrences(wal, marker, sizeof(marker)) > 0);
	assert_int_equal(store_kept_remove(f->st, id1), 0); /* secure_delete zeroes it */
	checkpointer_erased(f->c);
	wait_for(f->c, 0, 1);
	assert_int_equal(occurrences(wal, marker, sizeof(marker)), 0);
	assert_int_equal(occurrences(f->path, marker, sizeof(marker)), 0);

	memset(marker, 0xB8, sizeof(marker));
	write_kept(f, 1, 0xB8, &id2);
	assert_true(occurrences(wal, marker, sizeof(marker)) > 0);
	assert_int_equal(store_kept_remove(f->st, id2), 0);
	checkpointer_erased(f->c); /* within a second of the last purge: the stop's turn */
	checkpointer_stop(f->c);
	f->c = NULL;
	assert_int_equal(occurrences(wal, marker, sizeof(marker)), 0);
	assert_int_equal(occurrences(f->path, marker, sizeof(marker)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_kept_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_holds_the_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erasure_purged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
