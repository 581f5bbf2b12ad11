/*
 * test_messages_cost.c - unit tests of src/messages/messages_cost.c and the [costs]
 * and confirm_join keys: price parsing, integer arithmetic, rounding to the cent (half
 * away from zero), unknown prices that stay unknown, overflow, and the month's sends
 * counted from a real store in a mkdtemp() directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/platform.h"
#include "config/config.h"
#include "messages/messages_cost.h"
#include "store/store.h"

#define MINIMAL                                   \
	"[comune]\n"                              \
	"name = Comune di Prova\n"                \
	"website = https://www.comune.prova.example.org/\n" \
	"[channel]\n"                             \
	"name = Prova Informa\n"                  \
	"[whatsapp]\n"                            \
	"phone_number_id = 100000000000009\n"     \
	"display_number = +39 370 000 0001\n"

/* Loads MINIMAL + `extra` from a temporary file: 0 or the error of config_load. */
static int load(const char *extra, struct config **cfg)
{
	char dir[] = "/tmp/banditore-cost-XXXXXX", path[64];
	FILE *f;
	int rc;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s%s", MINIMAL, extra);
	fclose(f);
	rc = config_load(path, 0, cfg, NULL);
	unlink(path);
	rmdir(dir);
	return rc;
}

static void test_config_defaults(void **state)
{
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(load("", &cfg), 0);
	assert_string_equal(cfg->cost_currency, "EUR");
	assert_true(cfg->cost_wa_utility < 0);
	assert_true(messages_cost_price(cfg, PLATFORM_WHATSAPP) < 0);
	assert_int_equal(cfg->confirm_join, 0);
	assert_int_equal(cfg->confirm_within_hours, 48);
	config_free(cfg);
}

static void test_config_prices(void **state)
{
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(load("[costs]\ncurrency = CHF\nwhatsapp_utility = 0.0429\n"
			      "whatsapp_marketing = 0,0691\nsms = 0.05\nemail = 0\n"
			      "[keywords]\nconfirm_join = yes\nconfirm_within_hours = 24\n", &cfg), 0);
	assert_string_equal(cfg->cost_currency, "CHF");
	assert_int_equal(messages_cost_price(cfg, PLATFORM_WHATSAPP), 42900);
	assert_int_equal(messages_cost_price(cfg, PLATFORM_SMS), 50000);
	assert_int_equal(messages_cost_price(cfg, PLATFORM_EMAIL), 0);
	assert_true(messages_cost_price(cfg, PLATFORM_TELEGRAM) < 0);
	assert_int_equal(cfg->confirm_join, 1);
	assert_int_equal(cfg->confirm_within_hours, 24);
	config_free(cfg);
	cfg = NULL;
	assert_int_equal(load("[costs]\nwhatsapp_utility = 0.0429\nwhatsapp_marketing = 0.0691\n"
			      "whatsapp_category = marketing\n", &cfg), 0);
	assert_int_equal(messages_cost_price(cfg, PLATFORM_WHATSAPP), 69100);
	config_free(cfg);
}

static void test_config_bad_values(void **state)
{
	static const char *const bad[] = {
		"[costs]\nwhatsapp_utility = -0.04\n", "[costs]\nwhatsapp_utility = 0.0000001\n",
		"[costs]\nwhatsapp_utility = abc\n", "[costs]\nsms = 1.\n",
		"[costs]\nsms = 2000\n", "[costs]\ncurrency = euro\n",
		"[costs]\nwhatsapp_category = service\n", "[costs]\nfax = 1\n",
		"[keywords]\nconfirm_join = forse\n", "[keywords]\nconfirm_within_hours = 0\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *cfg = NULL;
		assert_int_equal(load(bad[i], &cfg), BANDITORE_ECONFIG);
		assert_null(cfg);
	}
	(void)state;
}

static void test_arithmetic_and_rounding(void **state)
{
	struct messages_amount a, b;
	char out[MESSAGES_COST_TEXT_MAX];

	(void)state;
	/* 1,234 x 0.0429 = 52.9386 → 52.94 */
	assert_int_equal(messages_cost_of(1234, 42900, &a), 0);
	assert_true(a.known);
	assert_int_equal(a.micros, 52938600);
	messages_cost_format(&a, out);
	assert_string_equal(out, "52.94");
	/* exactly half a cent rounds up: 1 x 0.005 → 0.01; just under stays: 0.004999 → 0.00 */
	assert_int_equal(messages_cost_of(1, 5000, &a), 0);
	messages_cost_format(&a, out);
	assert_string_equal(out, "0.01");
	assert_int_equal(messages_cost_of(1, 4999, &a), 0);
	messages_cost_format(&a, out);
	assert_string_equal(out, "0.00");
	/* 100,000 x 0.0429 = 4,290.00; no audience costs 0.00 */
	assert_int_equal(messages_cost_of(100000, 42900, &a), 0);
	messages_cost_format(&a, out);
	assert_string_equal(out, "4290.00");
	assert_int_equal(messages_cost_of(0, 42900, &a), 0);
	messages_cost_format(&a, out);
	assert_string_equal(out, "0.00");
	/* sums stay exact: 3 x 0.0429 + 7 x 0.0429 = 0.429 → 0.43, not 0.13 + 0.30 */
	assert_int_equal(messages_cost_of(3, 42900, &a), 0);
	assert_int_equal(messages_cost_of(7, 42900, &b), 0);
	assert_int_equal(messages_cost_add(&a, &b), 0);
	messages_cost_format(&a, out);
	assert_string_equal(out, "0.43");
	/* unknown price: unknown, never 0; and it makes a sum unknown */
	assert_int_equal(messages_cost_of(10, -1, &b), 0);
	assert_false(b.known);
	messages_cost_format(&b, out);
	assert_string_equal(out, "");
	assert_int_equal(messages_cost_add(&a, &b), 0);
	assert_false(a.known);
	/* bad inputs */
	assert_int_equal(messages_cost_of(-1, 42900, &a), BANDITORE_EINVAL);
	assert_int_equal(messages_cost_of(INT64_MAX / 2, 1000000, &a), BANDITORE_ETOOBIG);
	a.known = b.known = 1;
	a.micros = b.micros = INT64_MAX / 2 + 1;
	assert_int_equal(messages_cost_add(&a, &b), BANDITORE_ETOOBIG);
}

static void test_format_price(void **state)
{
	char out[MESSAGES_COST_TEXT_MAX];

	(void)state;
	messages_cost_format_price(42900, out);
	assert_string_equal(out, "0.0429");
	messages_cost_format_price(50000, out);
	assert_string_equal(out, "0.05");
	messages_cost_format_price(1000000, out);
	assert_string_equal(out, "1.00");
	messages_cost_format_price(1, out);
	assert_string_equal(out, "0.000001");
	messages_cost_format_price(-1, out);
	assert_string_equal(out, "");
}

static void test_month_sent(void **state)
{
	char dir[] = "/tmp/banditore-cost-XXXXXX", path[64];
	struct store *st = NULL;
	struct store_message m;
	int64_t now = 1780000000, since = messages_month_start(now), id[3], sent, n;

	(void)state;
	assert_true(since <= now && now - since < 31 * 86400);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.db", dir);
	assert_int_equal(store_open(path, &st), 0);
	for (int i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		m.text = "Avviso di prova.";
		snprintf(m.category, sizeof(m.category), "avvisi");
		m.created_at = since - 40 * 86400;
		assert_int_equal(store_message_add(st, &m, &id[i]), 0);
	}
	/* one sent last month, two this month: only those two count */
	assert_int_equal(store_message_approve(st, id[0], since - 86400, 100, 100), 0);
	assert_int_equal(store_message_transition(st, id[0], STORE_MSG_APPROVED, STORE_MSG_SENDING, since - 86400), 0);
	assert_int_equal(store_message_progress(st, id[0], 100, 100, 0, 0), 0);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(store_message_approve(st, id[i], since + 3600, 50, 50), 0);
		assert_int_equal(store_message_transition(st, id[i], STORE_MSG_APPROVED, STORE_MSG_SENDING, since + 3600), 0);
		assert_int_equal(store_message_progress(st, id[i], 50, 40 + i, 0, 0), 0);
	}
	assert_int_equal(messages_sent_since(st, since, &sent, &n), 0);
	assert_int_equal(sent, 41 + 42);
	assert_int_equal(n, 2);
	store_free(st);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_prices),
		cmocka_unit_test(test_config_bad_values),
		cmocka_unit_test(test_arithmetic_and_rounding),
		cmocka_unit_test(test_format_price),
		cmocka_unit_test(test_month_sent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
