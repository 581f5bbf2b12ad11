/* test_sim_state.c - unit tests of the simulator's memory: the ring of accepted
 * messages, the throughput window, the pair-rate buckets, the seeded draws, and ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "sim/ids.h"
#include "sim/state.h"

#define MS 1000000LL
#define S 1000000000LL

static struct sim_faults defaults(void)
{
	struct sim_faults f;
	memset(&f, 0, sizeof(f));
	f.rate = 80;
	f.pair_burst = 45;
	f.pair_period_ms = 6000;
	f.timeout_hold_ms = 30000;
	return f;
}

static char *listing(struct sim_state *s, const char *to, uint64_t since, size_t limit)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(sim_state_messages_json(s, to, since, limit, &b), 0);
	return buf_steal(&b);
}

static long long stat(struct sim_state *s, const char *name)
{
	struct buf b;
	char key[64];
	const char *p;
	long long v;

	buf_init(&b, 4096);
	assert_int_equal(sim_state_stats_json(s, &b), 0);
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(buf_cstr(&b), key);
	assert_non_null(p);
	v = strtoll(p + strlen(key), NULL, 10);
	buf_free(&b);
	return v;
}

static void test_ring_keeps_newest_in_order(void **state)
{
	struct sim_faults f = defaults();
	struct sim_state *s = sim_state_new(&f, 3, 1);
	char *l;
	(void)state;

	assert_non_null(s);
	assert_int_equal(sim_state_record(s, "393330000001", "{\"id\":\"a\"}"), 1);
	assert_int_equal(sim_state_record(s, "393330000002", "{\"id\":\"b\"}"), 2);
	assert_int_equal(sim_state_record(s, "393330000001", "{\"id\":\"c\"}"), 3);
	assert_int_equal(sim_state_record(s, "393330000001", "{}"), 4);
	assert_int_equal(sim_state_record(s, "393330000002", "{\"id\":\"e\"}"), 5);

	l = listing(s, NULL, 0, 0); /* a and b were pushed out */
	assert_string_equal(l, "{\"messages\":[{\"seq\":3,\"id\":\"c\"},{\"seq\":4},"
			       "{\"seq\":5,\"id\":\"e\"}]}");
	free(l);
	l = listing(s, "393330000001", 0, 0);
	assert_string_equal(l, "{\"messages\":[{\"seq\":3,\"id\":\"c\"},{\"seq\":4}]}");
	free(l);
	l = listing(s, NULL, 3, 0);
	assert_string_equal(l, "{\"messages\":[{\"seq\":4},{\"seq\":5,\"id\":\"e\"}]}");
	free(l);
	l = listing(s, NULL, 0, 1);
	assert_string_equal(l, "{\"messages\":[{\"seq\":5,\"id\":\"e\"}]}");
	free(l);
	l = listing(s, "393330000009", 0, 0);
	assert_string_equal(l, "{\"messages\":[]}");
	free(l);
	assert_int_equal(stat(s, "recorded"), 3);

	sim_state_clear_messages(s);
	l = listing(s, NULL, 0, 0);
	assert_string_equal(l, "{\"messages\":[]}");
	free(l);
	assert_int_equal(sim_state_record(s, "393330000001", "{\"id\":\"f\"}"), 6);
	sim_state_free(s);
}

static void test_rate_window_slides(void **state)
{
	struct sim_faults f = defaults();
	struct sim_state *s;
	int64_t t0 = 1000 * S;
	int i;
	(void)state;

	f.rate = 3;
	f.pair_period_ms = 0; /* pair rate off */
	s = sim_state_new(&f, 10, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(sim_state_admit(s, "393330000001", t0 + i * MS), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + 3 * MS), SIM_ADMIT_RATE);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + 500 * MS), SIM_ADMIT_RATE);
	/* one second after the first three, they have left the window; the refused
	 * arrivals at +3 ms and +500 ms still count, until they too are a second old */
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + S + 2 * MS), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + S + 3 * MS), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + S + 4 * MS), SIM_ADMIT_RATE);
	assert_int_equal(stat(s, "violations_rate"), 3);
	assert_int_equal(stat(s, "max_rate_1s"), 5);
	assert_int_equal(stat(s, "violations_pair"), 0);

	sim_state_reset_stats(s);
	assert_int_equal(stat(s, "violations_rate"), 0);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + S + 5 * MS), SIM_ADMIT_OK);
	assert_int_equal(stat(s, "max_rate_1s"), 1);
	sim_state_free(s);
}

static void test_pair_bucket(void **state)
{
	struct sim_faults f = defaults();
	struct sim_state *s;
	int64_t t0 = 5000 * S;
	(void)state;

	f.rate = 0; /* throughput unlimited */
	f.pair_burst = 2;
	s = sim_state_new(&f, 10, 1);
	assert_int_equal(sim_state_admit(s, "393330000001", t0), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + MS), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + 2 * MS), SIM_ADMIT_PAIR);
	assert_int_equal(sim_state_admit(s, "393330000002", t0 + 3 * MS), SIM_ADMIT_OK);
	/* one token back every 6 s */
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + 5 * S), SIM_ADMIT_PAIR);
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + 6 * S + 2 * MS), SIM_ADMIT_OK);
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + 6 * S + 3 * MS), SIM_ADMIT_PAIR);
	assert_int_equal(stat(s, "violations_pair"), 3);

	f.pair_period_ms = 0; /* off */
	sim_state_set_faults(s, &f);
	assert_int_equal(sim_state_admit(s, "393330000001", t0 + 6 * S + 4 * MS), SIM_ADMIT_OK);
	sim_state_free(s);
}

static void test_pair_buckets_survive_growth(void **state)
{
	struct sim_faults f = defaults();
	struct sim_state *s;
	char to[SIM_TO_MAX];
	int i;
	(void)state;

	f.rate = 0;
	f.pair_burst = 1;
	s = sim_state_new(&f, 10, 1);
	for (i = 0; i < 5000; i++) {
		snprintf(to, sizeof(to), "3933300%05d", i);
		assert_int_equal(sim_state_admit(s, to, S + i), SIM_ADMIT_OK);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(to, sizeof(to), "3933300%05d", i);
		assert_int_equal(sim_state_admit(s, to, S + 5000 + i), SIM_ADMIT_PAIR);
	}
	assert_int_equal(stat(s, "violations_pair"), 5000);
	sim_state_free(s);
}

static void test_seeded_draws_repeat(void **state)
{
	struct sim_faults f = defaults();
	struct sim_state *a = sim_state_new(&f, 1, 42), *b = sim_state_new(&f, 1, 42);
	struct sim_state *c = sim_state_new(&f, 1, 43);
	int i, same_as_c = 0;
	(void)state;

	for (i = 0; i < 100; i++) {
		double x = sim_state_draw(a), y = sim_state_draw(b), z = sim_state_draw(c);
		assert_true(x >= 0 && x < 1);
		assert_true(x == y);
		same_as_c += x == z;
	}
	assert_true(same_as_c < 5);
	sim_state_free(a);
	sim_state_free(b);
	sim_state_free(c);
}

static void test_faults_and_stop(void **state)
{
	struct sim_faults f = defaults(), g;
	struct sim_state *s = sim_state_new(&f, 1, 1);
	(void)state;

	f.error_500 = 0.5;
	f.statuses = 1;
	sim_state_set_faults(s, &f);
	sim_state_get_faults(s, &g);
	assert_memory_equal(&f, &g, sizeof(f));
	sim_state_count(s, SIM_ERRORS_INJECTED);
	sim_state_count(s, SIM_ERRORS_INJECTED);
	assert_int_equal(stat(s, "errors_injected"), 2);

	assert_int_equal(sim_state_sleep_ms(s, 1), 0);
	assert_false(sim_state_stopping(s));
	sim_state_stop(s);
	assert_true(sim_state_stopping(s));
	assert_int_equal(sim_state_sleep_ms(s, 60000), 1); /* returns at once */
	sim_state_free(s);
	sim_state_free(NULL);
}

static void test_ids(void **state)
{
	char a[SIM_WAMID_MAX], b[SIM_WAMID_MAX], t[SIM_TRACE_MAX], m[SIM_MEDIA_ID_MAX];
	char w[SIM_TO_MAX];
	size_t i;
	(void)state;

	assert_int_equal(sim_new_wamid(a), 0);
	assert_int_equal(sim_new_wamid(b), 0);
	assert_int_equal(strncmp(a, "wamid.HBgM", 10), 0);
	assert_int_equal(strlen(a), 10 + 36);
	assert_string_not_equal(a, b);
	sim_new_trace_id(t);
	assert_int_equal(strlen(t), 23);
	sim_new_media_id(m);
	assert_int_equal(strlen(m), 16);
	for (i = 0; i < 16; i++)
		assert_true(m[i] >= '0' && m[i] <= '9');
	assert_true(m[0] != '0');

	assert_int_equal(sim_wa_id("+39 333 000 0001", w), 0);
	assert_string_equal(w, "393330000001");
	assert_int_equal(sim_wa_id("0039 333-000-0001", w), 0);
	assert_string_equal(w, "393330000001");
	assert_int_equal(sim_wa_id("393330000001", w), 0);
	assert_string_equal(w, "393330000001");
	assert_int_equal(sim_wa_id("not a number", w), BANDITORE_EINVAL);
	assert_int_equal(sim_wa_id("12", w), BANDITORE_EINVAL);
	assert_string_equal(sim_tail("393330000001"), "01");
	assert_string_equal(sim_tail("1"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_keeps_newest_in_order),
		cmocka_unit_test(test_rate_window_slides),
		cmocka_unit_test(test_pair_bucket),
		cmocka_unit_test(test_pair_buckets_survive_growth),
		cmocka_unit_test(test_seeded_draws_repeat),
		cmocka_unit_test(test_faults_and_stop),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
