/*
 * sql_cost.c - what each SQL statement costs the daemon, for bench/webhook/run (SQL=1).
 *
 * Loaded with LD_PRELOAD into `banditore serve`, it wraps sqlite3_step and adds up, per
 * statement text and per thread, the calls and the thread's CPU time spent in them
 * (CLOCK_THREAD_CPUTIME_ID, so a thread waiting for a lock or preempted by another
 * counts nothing). At exit it writes one line per statement to $SQL_COST_OUT:
 * calls, total µs, µs per call, thread, statement (first 160 characters). The two clock
 * reads add about half a microsecond to each call. Not part of Banditore: a measuring
 * tool, built by the bench script with the system compiler.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SQL_COST_MAX 512 /* distinct (statement, thread) pairs kept; later ones are lumped */
#define THREAD_NAME 16   /* pthread names are at most 15 bytes */

struct sql_cost {
	char *sql;
	char thread[THREAD_NAME];
	long calls;
	long ns;
};

static struct sql_cost table[SQL_COST_MAX];
static char other_sql[] = "(other statements)";
static struct sql_cost other = { .sql = other_sql };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int (*real_step)(sqlite3_stmt *);

static long thread_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void add(const char *sql, const char *thread, long ns)
{
	struct sql_cost *c = &other;

	for (int i = 0; i < SQL_COST_MAX; i++) {
		if (!table[i].sql) {
			table[i].sql = strdup(sql);
			if (!table[i].sql)
				break;
			snprintf(table[i].thread, sizeof(table[i].thread), "%s", thread);
			c = &table[i];
			break;
		}
		if (!strcmp(table[i].sql, sql) && !strcmp(table[i].thread, thread)) {
			c = &table[i];
			break;
		}
	}
	c->calls++;
	c->ns += ns;
}

int sqlite3_step(sqlite3_stmt *st)
{
	char thread[THREAD_NAME] = "";
	const char *sql = sqlite3_sql(st);
	long t0;
	int rc;

	if (!real_step)
		real_step = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
	t0 = thread_ns();
	rc = real_step(st);
	t0 = thread_ns() - t0;
	pthread_getname_np(pthread_self(), thread, sizeof(thread));
	pthread_mutex_lock(&lock);
	add(sql ? sql : "?", thread, t0);
	pthread_mutex_unlock(&lock);
	return rc;
}

__attribute__((destructor)) static void sql_cost_write(void)
{
	const char *path = getenv("SQL_COST_OUT");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	for (int i = 0; i <= SQL_COST_MAX; i++) {
		const struct sql_cost *c = i < SQL_COST_MAX ? &table[i] : &other;

		if (!c->sql || !c->calls)
			continue;
		fprintf(f, "%ld\t%ld\t%.2f\t%s\t%.160s\n", c->calls, c->ns / 1000,
			(double)c->ns / 1000.0 / (double)c->calls, c->thread, c->sql);
	}
	fclose(f);
}
