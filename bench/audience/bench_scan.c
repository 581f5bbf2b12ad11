/* bench_scan.c - what choosing categories and areas costs the broadcast's page scan.
 *
 * Builds a database of N WhatsApp subscribers (default 1,000,000) among N/10 of another
 * platform, 60-byte sealed addresses, where 30 % chose one category, 25 % one area and
 * 25 % another (the rest chose nothing), then walks every recipient in pages of 1,000, as
 * the broadcast engine does, three ways, and counts one target:
 *   plain       store_subscribers_page (the scan before areas existed)
 *   unfiltered  store_message_recipients of a message without a target (one more
 *               primary-key read per page)
 *   filtered    store_message_recipients of a message of that category in the first
 *               area (the per-row test of the two masks)
 *   count       store_audience_count of that target, every platform at once
 * Each is the best of 3 runs on a warm cache, as wall time and as the process's CPU time
 * (the fairer figure on a machine others are loading).
 *
 * usage: bench_scan DIR [N] */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/platform.h"
#include "store/store.h"

#define PAGE 1000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a loaded machine the fairer measure of the work. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Walks every WhatsApp recipient; mid 0: store_subscribers_page. Returns how many. */
static int64_t walk(struct store *st, int64_t mid, struct store_recipient *page)
{
	int64_t after = 0, total = 0;
	int n = 0;

	do {
		int rc = mid ? store_message_recipients(st, mid, PLATFORM_WHATSAPP, after, INT64_MAX, 3, page, PAGE, &n)
			     : store_subscribers_page(st, PLATFORM_WHATSAPP, after, INT64_MAX, 3, page, PAGE, &n);
		if (rc) {
			fprintf(stderr, "walk: %s\n", store_errmsg(st));
			exit(1);
		}
		if (n)
			after = page[n - 1].id;
		total += n;
	} while (n == PAGE);
	return total;
}

int main(int argc, char **argv)
{
	char path[512], sql[1024];
	int64_t n = argc > 2 ? strtoll(argv[2], NULL, 10) : 1000000, plain_id, target_id, got = 0;
	struct store_recipient *page = calloc(PAGE, sizeof(*page));
	struct store_message m;
	struct store_audience aud = { 1, 1 }; /* category bit 0, area bit 0 */
	int64_t counts[PLATFORM_MAX + 1];
	struct store *st = NULL;
	sqlite3 *db = NULL;
	double t, c, best, best_cpu;

	if (argc < 2 || !page) {
		fprintf(stderr, "usage: bench_scan DIR [N]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench.db", argv[1]);
	if (store_open(path, &st)) {
		fprintf(stderr, "store_open: %s\n", store_errmsg(NULL));
		return 1;
	}
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	t = now_s();
	sqlite3_stmt *q = NULL;
	int have = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM subscribers", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		have = sqlite3_column_int(q, 0) > 0;
	sqlite3_finalize(q);
	if (have)
		sql[0] = '\0'; /* a database from an earlier run: kept */
	else
		snprintf(sql, sizeof(sql),
		 "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %" PRId64 ")"
		 " INSERT INTO subscribers (platform, addr_hash, sealed, joined_at, method, policy_version,"
		 " last_inbound_at, categories, areas) SELECT CASE WHEN x %% 11 = 0 THEN 2 ELSE 1 END,"
		 " randomblob(32), randomblob(60), 0, 'keyword', 'v', 0,"
		 " CASE WHEN x %% 10 < 3 THEN 1 ELSE 0 END, CASE x %% 4 WHEN 0 THEN 1 WHEN 1 THEN 2 ELSE 0 END"
		 " FROM c; COMMIT;", n + n / 10);
	if (sql[0] && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fill: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_close(db);
	printf("filled %" PRId64 " subscribers in %.1f s\n", n + n / 10, now_s() - t);

	memset(&m, 0, sizeof(m));
	m.text = (char *)"x";
	snprintf(m.category, sizeof(m.category), "viabilita");
	if (store_message_add(st, &m, &plain_id) || store_message_add(st, &m, &target_id) ||
	    store_message_set_audience(st, target_id, &aud))
		return 1;

	const char *names[] = { "plain", "unfiltered", "filtered" };
	int64_t mids[] = { 0, plain_id, target_id };
	for (int k = 0; k < 3; k++) {
		best = best_cpu = 1e9;
		for (int r = 0; r < 3; r++) {
			t = now_s();
			c = cpu_s();
			got = walk(st, mids[k], page);
			t = now_s() - t;
			c = cpu_s() - c;
			best = t < best ? t : best;
			best_cpu = c < best_cpu ? c : best_cpu;
		}
		printf("%-10s %8" PRId64 " recipients  wall %.3f s  cpu %.3f s  %.0f recipients/cpu-s\n",
		       names[k], got, best, best_cpu, (double)got / best_cpu);
	}
	best = best_cpu = 1e9;
	for (int r = 0; r < 3; r++) {
		t = now_s();
		c = cpu_s();
		if (store_audience_count(st, &aud, counts, PLATFORM_MAX + 1))
			return 1;
		t = now_s() - t;
		c = cpu_s() - c;
		best = t < best ? t : best;
		best_cpu = c < best_cpu ? c : best_cpu;
	}
	printf("count      %8" PRId64 " on WhatsApp, %" PRId64 " on Telegram  wall %.3f s  cpu %.3f s\n",
	       counts[PLATFORM_WHATSAPP], counts[PLATFORM_TELEGRAM], best, best_cpu);
	store_free(st);
	free(page);
	return 0;
}
