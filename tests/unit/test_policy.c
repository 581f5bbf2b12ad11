/* test_policy.c - unit tests of the rule engine (src/policy/policy.c, policy_time.c):
 * Europe/Rome time around both summer-time changes, Easter and the holidays, service
 * hours and the next opening, categories, electoral periods, content levels and
 * overrides, links, attachments, frequency and the disclaimer. The detectors are the
 * fake of fake_content.c: a lexicon term is found wherever it occurs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/policy.h"

/* UTC instants (checked with Python's datetime). */
#define T_2026_03_29_005959Z 1774745999LL
#define T_2026_03_29_010000Z 1774746000LL
#define T_2026_10_25_005959Z 1792889999LL
#define T_2026_10_25_010000Z 1792890000LL
#define T_2027_03_28_010000Z 1806195600LL
#define T_2027_10_31_010000Z 1824944400LL

/* Local Rome time, the way a person reads the clock. */
static int64_t rome(int y, int m, int d, int h, int min)
{
	return policy_rome_utc(y, m, d, h, min);
}

/* A policy like Leini's: categories, Mon-Fri 9-13, a patron saint, an electoral period
 * in May 2026, a lexicon with one term of each kind the tests use. */
static struct policy *leini(void)
{
	struct policy *p = malloc(sizeof(*p));
	static const char *const lex[][2] = {
		{ "propaganda", "votate" }, { "political", "partito" }, { "advertising", "sconto" },
		{ "name", "Mario Rossi" }, { "codice_fiscale", "RSSMRA80A01F205X" },
		{ "health", "diabete" }, { "shortener", "bit.ly" },
	};

	assert_non_null(p);
	policy_init(p);
	snprintf(p->short_name, sizeof(p->short_name), "Leini");
	snprintf(p->article[POLICY_R_CATEGORY], POLICY_ARTICLE_MAX, "art. 2 c. 1");
	snprintf(p->article[POLICY_R_HOURS], POLICY_ARTICLE_MAX, "orario del servizio");
	snprintf(p->article[POLICY_R_ELECTORAL], POLICY_ARTICLE_MAX, "art. 2 c. 2");
	snprintf(p->article[POLICY_R_FREQUENCY], POLICY_ARTICLE_MAX, "art. 2 c. 3");
	snprintf(p->article[POLICY_R_DISCLAIMER], POLICY_ARTICLE_MAX, "art. 2 c. 6");
	for (int k = 0; k < POLICY_K_COUNT; k++)
		snprintf(p->content_article[k], POLICY_ARTICLE_MAX, "art. 2 c. 2");
	snprintf(p->content_article[POLICY_K_CODICE_FISCALE], POLICY_ARTICLE_MAX, "art. 4 c. 4");
	struct policy_category cats[] = {
		{ "emergenze", "Emergenze e allerte", 1, 1, POLICY_ROLE_GESTORE },
		{ "viabilita", "Viabilità", 0, 1, POLICY_ROLE_GESTORE },
		{ "eventi", "Iniziative ed eventi", 0, 0, POLICY_ROLE_RESPONSABILE },
	};
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		p->categories[p->n_categories++] = cats[i];
	for (int wd = 0; wd < 5; wd++)
		p->intervals[p->n_intervals++] = (struct policy_interval){ wd, 9 * 60, 13 * 60 };
	p->holidays[p->n_holidays++] = (struct policy_date){ 0, 6, 24 }; /* San Giovanni */
	p->periods[p->n_periods++] = (struct policy_period){ { 2026, 5, 1 }, { 2026, 5, 31 }, "amministrative" };
	p->lexicon = policy_lexicon_new();
	assert_non_null(p->lexicon);
	for (size_t i = 0; i < sizeof(lex) / sizeof(lex[0]); i++) {
		int bad = 0;
		assert_int_equal(policy_lexicon_add(p->lexicon, policy_kind_from_name(lex[i][0]), lex[i][1],
						    strlen(lex[i][1]), &bad), 0);
	}
	snprintf(p->official_domains[p->n_official_domains++], POLICY_OFFICIAL_LEN, "comune.leini.to.it");
	return p;
}

static void leini_free(struct policy *p)
{
	policy_clear(p);
	free(p);
}

static struct policy_result *check(const struct policy *p, const struct policy_message *m,
				   const struct policy_history *h, int64_t now)
{
	struct policy_result *r = malloc(sizeof(*r));
	assert_non_null(r);
	assert_int_equal(policy_check(p, m, h, now, r), 0);
	return r;
}

static const struct policy_verdict *find(const struct policy_result *r, const char *rule)
{
	for (int i = 0; i < r->n_verdicts; i++)
		if (!strcmp(r->verdicts[i].rule, rule))
			return &r->verdicts[i];
	return NULL;
}

/* A weekday morning outside the electoral period. */
#define OPEN_TIME rome(2026, 3, 10, 10, 0) /* Tuesday */

static struct policy_message msg(const char *category, const char *text)
{
	struct policy_message m;
	memset(&m, 0, sizeof(m));
	m.category = category;
	m.text = text;
	return m;
}

/* ---- time ---- */

static void test_dst_spring(void **state)
{
	struct policy_tm tm;
	(void)state;
	assert_int_equal(policy_rome_offset(T_2026_03_29_005959Z), 3600);
	assert_int_equal(policy_rome_offset(T_2026_03_29_010000Z), 7200);
	policy_rome_local(T_2026_03_29_005959Z, &tm);
	assert_int_equal(tm.hour, 1);
	assert_int_equal(tm.min, 59);
	assert_int_equal(tm.weekday, 6); /* Sunday */
	policy_rome_local(T_2026_03_29_010000Z, &tm);
	assert_int_equal(tm.hour, 3);
	assert_int_equal(tm.min, 0);
	assert_int_equal(tm.offset, 7200);
	assert_int_equal(policy_rome_offset(T_2027_03_28_010000Z - 1), 3600);
	assert_int_equal(policy_rome_offset(T_2027_03_28_010000Z), 7200);
	/* 02:30 does not exist that night: read as 03:30 summer time. */
	assert_int_equal(rome(2026, 3, 29, 2, 30), T_2026_03_29_010000Z + 1800);
	assert_int_equal(rome(2026, 3, 29, 1, 59), T_2026_03_29_005959Z - 59);
	assert_int_equal(rome(2026, 3, 29, 3, 0), T_2026_03_29_010000Z);
}

static void test_dst_autumn(void **state)
{
	struct policy_tm tm;
	(void)state;
	assert_int_equal(policy_rome_offset(T_2026_10_25_005959Z), 7200);
	assert_int_equal(policy_rome_offset(T_2026_10_25_010000Z), 3600);
	policy_rome_local(T_2026_10_25_005959Z, &tm);
	assert_int_equal(tm.hour, 2);
	assert_int_equal(tm.min, 59);
	policy_rome_local(T_2026_10_25_010000Z, &tm);
	assert_int_equal(tm.hour, 2); /* 02:00 again, in standard time */
	assert_int_equal(tm.min, 0);
	assert_int_equal(tm.offset, 3600);
	assert_int_equal(policy_rome_offset(T_2027_10_31_010000Z - 1), 7200);
	assert_int_equal(policy_rome_offset(T_2027_10_31_010000Z), 3600);
	/* 02:30 happens twice: the first one (summer time). */
	assert_int_equal(rome(2026, 10, 25, 2, 30), T_2026_10_25_010000Z - 1800);
	assert_int_equal(rome(2026, 10, 25, 3, 0), T_2026_10_25_010000Z + 3600);
	/* Winter and summer noon. */
	assert_int_equal(rome(2026, 1, 15, 12, 0) % 86400, 11 * 3600);
	assert_int_equal(rome(2026, 7, 15, 12, 0) % 86400, 10 * 3600);
	/* The local day changes at local midnight, not UTC's. */
	assert_int_equal(policy_rome_day(rome(2026, 7, 15, 0, 30)), policy_rome_day(rome(2026, 7, 15, 23, 59)));
	assert_int_equal(policy_rome_day(rome(2026, 7, 15, 23, 59)) + 1, policy_rome_day(rome(2026, 7, 16, 0, 0)));
}

static void test_easter(void **state)
{
	static const int cases[][3] = {
		{ 2019, 4, 21 }, { 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 },
		{ 2027, 3, 28 }, { 2038, 4, 25 }, { 2285, 3, 22 }, { 2000, 4, 23 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int m, d;
		policy_easter(cases[i][0], &m, &d);
		assert_int_equal(m, cases[i][1]);
		assert_int_equal(d, cases[i][2]);
	}
}

static void test_holidays(void **state)
{
	struct policy *p = leini();
	(void)state;
	assert_true(policy_national_holiday(2026, 4, 6));   /* Easter Monday */
	assert_false(policy_national_holiday(2026, 4, 7));
	assert_true(policy_national_holiday(2025, 4, 21));  /* Easter Monday 2025 */
	assert_true(policy_national_holiday(2026, 4, 25));
	assert_true(policy_national_holiday(2026, 6, 2));
	assert_true(policy_national_holiday(2026, 12, 26));
	assert_true(policy_national_holiday(2026, 10, 4));  /* again from 2026 */
	assert_false(policy_national_holiday(2025, 10, 4));
	assert_false(policy_national_holiday(2026, 3, 19));
	assert_true(policy_holiday(p, 2027, 6, 24));        /* patron saint, every year */
	assert_false(policy_holiday(p, 2027, 6, 25));
	p->national_holidays = 0;
	assert_false(policy_holiday(p, 2026, 4, 6));
	p->holidays[p->n_holidays++] = (struct policy_date){ 2026, 12, 7 };
	assert_true(policy_holiday(p, 2026, 12, 7));
	assert_false(policy_holiday(p, 2027, 12, 7));
	leini_free(p);
}

static void test_hours(void **state)
{
	struct policy *p = leini();
	(void)state;
	assert_true(policy_hours_open(p, rome(2026, 3, 10, 9, 0)));
	assert_true(policy_hours_open(p, rome(2026, 3, 10, 12, 59)));
	assert_false(policy_hours_open(p, rome(2026, 3, 10, 13, 0)));
	assert_false(policy_hours_open(p, rome(2026, 3, 10, 8, 59)));
	/* Before opening: the same day at 9. */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 3, 10, 7, 0)), rome(2026, 3, 10, 9, 0));
	/* Friday afternoon before the spring change: Monday 9:00 summer time. */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 3, 27, 14, 0)), 1774854000LL);
	/* Friday afternoon before the autumn change: Monday 9:00 standard time. */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 10, 23, 14, 0)), rome(2026, 10, 26, 9, 0));
	assert_int_equal(rome(2026, 10, 26, 9, 0) % 86400, 8 * 3600);
	/* Thursday before Easter: Friday; Saturday before Easter: Tuesday (Monday is a holiday). */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 4, 2, 15, 0)), rome(2026, 4, 3, 9, 0));
	assert_int_equal(policy_hours_next_open(p, rome(2026, 4, 4, 10, 0)), rome(2026, 4, 7, 9, 0));
	/* The patron saint (Wednesday 24 June 2026): Thursday. */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 6, 24, 10, 0)), rome(2026, 6, 25, 9, 0));
	/* Christmas 2026 is a Friday, 26 a Saturday: Monday 28. */
	assert_int_equal(policy_hours_next_open(p, rome(2026, 12, 24, 13, 30)), rome(2026, 12, 28, 9, 0));
	/* No hours: always open. */
	p->n_intervals = 0;
	assert_true(policy_hours_open(p, rome(2026, 4, 6, 3, 0)));
	leini_free(p);
}

static void test_hours_describe(void **state)
{
	struct policy *p = leini();
	char out[POLICY_HOURS_TEXT_MAX];
	(void)state;
	policy_hours_describe(p, 0, out, sizeof(out));
	assert_string_equal(out, "dal lunedì al venerdì dalle 9:00 alle 13:00");
	policy_hours_describe(p, 1, out, sizeof(out));
	assert_string_equal(out, "Monday to Friday from 9:00 to 13:00");
	p->intervals[p->n_intervals++] = (struct policy_interval){ 1, 15 * 60, 17 * 60 + 30 };
	p->intervals[p->n_intervals++] = (struct policy_interval){ 6, 10 * 60, 12 * 60 };
	policy_hours_describe(p, 0, out, sizeof(out));
	assert_string_equal(out, "il lunedì dalle 9:00 alle 13:00; il martedì dalle 9:00 alle 13:00 e dalle "
				 "15:00 alle 17:30; dal mercoledì al venerdì dalle 9:00 alle 13:00; la domenica "
				 "dalle 10:00 alle 12:00");
	/* Truncated, never overrun. */
	assert_int_equal(policy_hours_describe(p, 0, out, 10), 9);
	assert_int_equal(strlen(out), 9);
	p->n_intervals = 0;
	assert_int_equal(policy_hours_describe(p, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	leini_free(p);
}

/* ---- categories and hours in the check ---- */

static void test_allowed_message(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Via Roma chiusa per lavori dal 12 al 14 marzo.");
	struct policy_result *r = check(p, &m, NULL, OPEN_TIME);
	(void)state;
	assert_true(r->allowed);
	assert_int_equal(r->n_verdicts, 0);
	assert_int_equal(r->send_at, OPEN_TIME);
	free(r);
	leini_free(p);
}

static void test_category_unknown(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("saldi", "Testo.");
	struct policy_result *r = check(p, &m, NULL, OPEN_TIME);
	const struct policy_verdict *v = find(r, "category.unknown");
	(void)state;
	assert_false(r->allowed);
	assert_non_null(v);
	assert_int_equal(v->level, POLICY_BLOCK);
	assert_string_equal(v->source, "Leini, art. 2 c. 1");
	assert_string_equal(v->field, "category");
	assert_non_null(strstr(v->reason, "viabilita"));
	free(r);
	/* No categories configured: any category. */
	p->n_categories = 0;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	free(r);
	leini_free(p);
}

static void test_out_of_hours_scheduled(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Via Roma chiusa.");
	struct policy_result *r = check(p, &m, NULL, rome(2026, 3, 13, 18, 0)); /* Friday evening */
	const struct policy_verdict *v = find(r, "hours.outside");
	(void)state;
	assert_true(r->allowed);
	assert_non_null(v);
	assert_int_equal(v->level, POLICY_INFO);
	assert_int_equal(r->send_at, rome(2026, 3, 16, 9, 0));
	assert_non_null(strstr(v->reason, "lunedì 16 marzo 2026 alle 9:00"));
	assert_non_null(strstr(v->reason_en, "Monday 16 March 2026 at 9:00"));
	free(r);
	/* A requested time outside hours moves too; one inside stays. */
	m.requested_at = rome(2026, 3, 17, 7, 0);
	r = check(p, &m, NULL, OPEN_TIME);
	assert_int_equal(r->send_at, rome(2026, 3, 17, 9, 0));
	free(r);
	m.requested_at = rome(2026, 3, 17, 11, 0);
	r = check(p, &m, NULL, OPEN_TIME);
	assert_int_equal(r->send_at, rome(2026, 3, 17, 11, 0));
	assert_null(find(r, "hours.outside"));
	free(r);
	leini_free(p);
}

static void test_emergency(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("emergenze", "Allerta meteo rossa: restate in casa.");
	int64_t night = rome(2026, 3, 14, 2, 0);
	struct policy_result *r = check(p, &m, NULL, night);
	(void)state;
	/* An emergency category goes at once. */
	assert_true(r->allowed);
	assert_int_equal(r->send_at, night);
	assert_null(find(r, "hours.outside"));
	free(r);
	/* The emergency priority on an ordinary category: a warning, and it waits. */
	m = msg("eventi", "Sagra.");
	m.emergency = 1;
	r = check(p, &m, NULL, night);
	assert_false(r->allowed);
	assert_non_null(find(r, "category.not_allowed"));
	assert_int_equal(find(r, "category.not_allowed")->level, POLICY_WARN);
	assert_int_equal(r->send_at, rome(2026, 3, 16, 9, 0));
	free(r);
	/* Overridden with a reason: it goes at once. */
	struct policy_override o = { "category.not_allowed", "Evento annullato per allerta." };
	m.overrides = &o;
	m.n_overrides = 1;
	r = check(p, &m, NULL, night);
	assert_true(r->allowed);
	assert_true(find(r, "category.not_allowed")->overridden);
	assert_int_equal(r->send_at, night);
	free(r);
	leini_free(p);
}

/* ---- electoral periods ---- */

static void test_electoral_boundaries(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Via Roma chiusa.");
	struct policy_result *r;
	(void)state;
	/* 30 April 12:00: before; 1 May 00:00 local: inside (as scheduled time). */
	r = check(p, &m, NULL, rome(2026, 4, 30, 12, 0));
	assert_true(r->allowed);
	free(r);
	m.emergency = 0;
	m.requested_at = rome(2026, 5, 4, 10, 0); /* Monday 4 May */
	r = check(p, &m, NULL, rome(2026, 4, 30, 12, 0));
	assert_false(r->allowed);
	assert_non_null(find(r, "electoral.justification"));
	assert_string_equal(find(r, "electoral.justification")->source, "Leini, art. 2 c. 2");
	free(r);
	/* Last day inside, the day after outside. */
	m.requested_at = rome(2026, 5, 29, 12, 59); /* Friday */
	r = check(p, &m, NULL, rome(2026, 4, 30, 12, 0));
	assert_non_null(find(r, "electoral.justification"));
	free(r);
	m.requested_at = rome(2026, 6, 1, 9, 0); /* Monday 1 June */
	r = check(p, &m, NULL, rome(2026, 4, 30, 12, 0));
	assert_true(r->allowed);
	free(r);
	/* Rescheduled out of hours into the period: the period counts. */
	m.requested_at = 0;
	r = check(p, &m, NULL, rome(2026, 4, 30, 18, 0)); /* Thursday evening; 1 May a holiday */
	assert_int_equal(r->send_at, rome(2026, 5, 4, 9, 0));
	assert_non_null(find(r, "electoral.justification"));
	free(r);
	leini_free(p);
}

static void test_electoral_rules(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("eventi", "Concerto in piazza.");
	int64_t may = rome(2026, 5, 12, 10, 0);
	struct policy_result *r = check(p, &m, NULL, may);
	(void)state;
	/* A category not allowed in the period. */
	assert_false(r->allowed);
	assert_non_null(find(r, "electoral.category"));
	assert_null(find(r, "electoral.justification"));
	free(r);
	/* Allowed category with a justification. */
	m = msg("viabilita", "Via Roma chiusa per una voragine.");
	m.justification = "Sicurezza stradale: chiusura urgente.";
	r = check(p, &m, NULL, may);
	assert_true(r->allowed);
	free(r);
	/* A blank justification is none. */
	m.justification = "  \n";
	r = check(p, &m, NULL, may);
	assert_non_null(find(r, "electoral.justification"));
	free(r);
	/* Names block in the period, not outside. */
	m.justification = "Sicurezza stradale.";
	m.text = "Il sindaco Mario Rossi comunica la chiusura.";
	r = check(p, &m, NULL, may);
	assert_false(r->allowed);
	assert_non_null(find(r, "content.name"));
	assert_int_equal(find(r, "content.name")->level, POLICY_BLOCK);
	assert_int_equal(find(r, "content.name")->start, 11);
	assert_int_equal(find(r, "content.name")->len, 11);
	free(r);
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	assert_null(find(r, "content.name"));
	free(r);
	/* Political terms: a warning outside, a block inside. */
	m.text = "Il partito organizza.";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_int_equal(find(r, "content.political")->level, POLICY_WARN);
	free(r);
	r = check(p, &m, NULL, may);
	assert_int_equal(find(r, "content.political")->level, POLICY_BLOCK);
	free(r);
	leini_free(p);
}

/* ---- content ---- */

static void test_content_levels(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Rivolgersi a RSSMRA80A01F205X per info.");
	struct policy_result *r = check(p, &m, NULL, OPEN_TIME);
	const struct policy_verdict *v = find(r, "content.codice_fiscale");
	(void)state;
	assert_false(r->allowed);
	assert_non_null(v);
	assert_int_equal(v->level, POLICY_BLOCK);
	assert_string_equal(v->source, "Leini, art. 4 c. 4");
	assert_string_equal(v->field, "text");
	assert_int_equal(v->start, 13);
	assert_int_equal(v->len, 16);
	free(r);
	/* Off: not reported. */
	p->content_level[POLICY_K_CODICE_FISCALE] = POLICY_OFF;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	assert_int_equal(r->n_verdicts, 0);
	free(r);
	/* Health data blocks by default, and in the title too. */
	m = msg("viabilita", "Testo.");
	m.title = "Servizio per il diabete";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_string_equal(find(r, "content.health")->field, "title");
	assert_false(r->allowed);
	free(r);
	leini_free(p);
}

static void test_overrides(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Parcheggio gratuito con sconto al mercato.");
	struct policy_override o = { "content.advertising", "" };
	struct policy_result *r = check(p, &m, NULL, OPEN_TIME);
	(void)state;
	/* A warn stops the message until overridden. */
	assert_false(r->allowed);
	assert_int_equal(find(r, "content.advertising")->level, POLICY_WARN);
	assert_false(find(r, "content.advertising")->overridden);
	free(r);
	/* An empty reason is no override. */
	m.overrides = &o;
	m.n_overrides = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_false(r->allowed);
	free(r);
	o.reason = "Sconto deciso dal Comune sulla sosta (delibera 12/2026), non pubblicità.";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	assert_true(find(r, "content.advertising")->overridden);
	free(r);
	/* A block cannot be overridden. */
	m.text = "Sconto per RSSMRA80A01F205X.";
	struct policy_override both[2] = { o, { "content.codice_fiscale", "Lo vuole l'interessato." } };
	m.overrides = both;
	m.n_overrides = 2;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_false(r->allowed);
	assert_false(find(r, "content.codice_fiscale")->overridden);
	free(r);
	leini_free(p);
}

static void test_links(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Dettagli sul sito.");
	struct policy_result *r;
	(void)state;
	m.link = "http://www.comune.leini.to.it/avvisi";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_false(r->allowed);
	assert_non_null(find(r, "content.insecure_link"));
	assert_string_equal(find(r, "content.insecure_link")->field, "link");
	assert_int_equal(find(r, "content.insecure_link")->len, 7);
	/* reported once, not again by the scan of the link */
	int n = 0;
	for (int i = 0; i < r->n_verdicts; i++)
		n += !strcmp(r->verdicts[i].rule, "content.insecure_link");
	assert_int_equal(n, 1);
	free(r);
	p->allow_http = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	free(r);
	p->allow_http = 0;
	/* External links: off by default; when warned, official domains and subdomains pass. */
	p->external_links = POLICY_WARN;
	m.link = "https://servizi.comune.leini.to.it/tari";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	free(r);
	m.link = "https://notcomune.leini.to.it.example.org/x";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_non_null(find(r, "links.external"));
	assert_non_null(strstr(find(r, "links.external")->reason, "notcomune.leini.to.it.example.org"));
	free(r);
	/* A shortener in the link. */
	m.link = "https://bit.ly/abc";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_non_null(find(r, "content.shortener"));
	assert_string_equal(find(r, "content.shortener")->field, "link");
	free(r);
	leini_free(p);
}

static void test_disclaimer(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Avviso.");
	struct policy_result *r;
	(void)state;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_string_equal(r->disclaimer, "");
	free(r);
	snprintf(p->disclaimer, sizeof(p->disclaimer), "Questo canale non sostituisce l'Albo Pretorio.");
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	assert_string_equal(r->disclaimer, "Questo canale non sostituisce l'Albo Pretorio.");
	assert_string_equal(find(r, "links.disclaimer")->source, "Leini, art. 2 c. 6");
	assert_int_equal(find(r, "links.disclaimer")->level, POLICY_INFO);
	free(r);
	/* Only with a link. */
	p->disclaimer_link_only = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_string_equal(r->disclaimer, "");
	free(r);
	m.link = "https://www.comune.leini.to.it/albo";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_string_not_equal(r->disclaimer, "");
	free(r);
	/* Already in the text: not twice. */
	m.text = "Avviso. Questo canale non sostituisce l'Albo Pretorio.";
	r = check(p, &m, NULL, OPEN_TIME);
	assert_string_equal(r->disclaimer, "");
	free(r);
	leini_free(p);
}

/* ---- frequency ---- */

static void test_frequency(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Avviso.");
	int64_t sent[3];
	struct policy_history h = { sent, 0 };
	struct policy_result *r;
	int64_t wed = rome(2026, 3, 11, 10, 0);
	(void)state;
	p->per_day = 2;
	p->per_week = 3;
	/* One already today: fine. Sent yesterday at 23:30 local (22:30 UTC): not today. */
	sent[0] = rome(2026, 3, 11, 9, 5);
	sent[1] = rome(2026, 3, 10, 23, 30);
	h.n = 2;
	r = check(p, &m, &h, wed);
	assert_true(r->allowed);
	free(r);
	/* Two today: the third is blocked. */
	sent[1] = rome(2026, 3, 11, 0, 10);
	r = check(p, &m, &h, wed);
	assert_false(r->allowed);
	assert_non_null(find(r, "frequency.day"));
	assert_string_equal(find(r, "frequency.day")->source, "Leini, art. 2 c. 3");
	assert_null(find(r, "frequency.week"));
	free(r);
	/* Three this week (Monday to Sunday): blocked for the week, not last week's Sunday. */
	sent[0] = rome(2026, 3, 9, 9, 0);   /* Monday */
	sent[1] = rome(2026, 3, 10, 9, 0);
	sent[2] = rome(2026, 3, 8, 12, 0);  /* Sunday before */
	h.n = 3;
	r = check(p, &m, &h, wed);
	assert_true(r->allowed);
	free(r);
	sent[2] = rome(2026, 3, 11, 9, 0);
	r = check(p, &m, &h, wed);
	assert_non_null(find(r, "frequency.week"));
	assert_null(find(r, "frequency.day"));
	free(r);
	/* Scheduled into next week: counted there. */
	m.requested_at = rome(2026, 3, 16, 10, 0);
	r = check(p, &m, &h, wed);
	assert_true(r->allowed);
	free(r);
	/* Emergencies are exempt. */
	m = msg("emergenze", "Allerta.");
	r = check(p, &m, &h, wed);
	assert_true(r->allowed);
	free(r);
	/* Warn instead of block: overridable. */
	p->frequency_level = POLICY_WARN;
	m = msg("viabilita", "Avviso.");
	struct policy_override o = { "frequency.week", "Chiusura straordinaria." };
	m.overrides = &o;
	m.n_overrides = 1;
	r = check(p, &m, &h, wed);
	assert_true(r->allowed);
	free(r);
	leini_free(p);
}

/* ---- attachments, limits, names ---- */

static void test_attachments(void **state)
{
	struct policy *p = leini();
	struct policy_message m = msg("viabilita", "Avviso.");
	struct policy_attachment a[2] = {
		{ "mappa.jpg", "image/jpeg", 1000, 0, 0, 1 },
		{ "avviso.docm", "application/vnd.ms-word.document.macroEnabled.12", 1000, 0, 1, 0 },
	};
	struct policy_result *r;
	(void)state;
	m.attachments = a;
	m.n_attachments = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_int_equal(find(r, "attachment.gps")->level, POLICY_WARN);
	assert_false(r->allowed);
	free(r);
	a[0].gps = 0;
	m.n_attachments = 2;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_non_null(find(r, "attachment.macros"));
	assert_false(r->allowed);
	free(r);
	a[1].macros = 0;
	a[1].executable = 1;
	a[0].size = 17 * 1024 * 1024;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_non_null(find(r, "attachment.executable"));
	assert_non_null(find(r, "attachment.size"));
	free(r);
	a[1].executable = 0;
	a[0].size = 10;
	snprintf(p->attachment_types[p->n_attachment_types++], POLICY_ID_MAX, "image/*");
	snprintf(p->attachment_types[p->n_attachment_types++], POLICY_ID_MAX, "application/pdf");
	r = check(p, &m, NULL, OPEN_TIME);
	assert_non_null(find(r, "attachment.type"));
	assert_non_null(strstr(find(r, "attachment.type")->reason, "avviso.docm"));
	free(r);
	m.n_attachments = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_true(r->allowed);
	free(r);
	leini_free(p);
}

static void test_verdict_overflow(void **state)
{
	struct policy *p = leini();
	char text[1024] = "", term[8];
	struct policy_message m;
	struct policy_result *r;
	(void)state;
	/* 50 warnings: 48 kept, 2 counted as dropped, never allowed even if all overridden. */
	for (int i = 0; i < 50; i++) {
		snprintf(term, sizeof(term), "w%02d", i);
		assert_int_equal(policy_lexicon_add(p->lexicon, POLICY_K_ADVERTISING, term, 3, NULL), 0);
		strcat(text, term);
		strcat(text, " ");
	}
	m = msg("viabilita", text);
	struct policy_override o = { "content.advertising", "Motivo scritto." };
	m.overrides = &o;
	m.n_overrides = 1;
	r = check(p, &m, NULL, OPEN_TIME);
	assert_int_equal(r->n_verdicts, POLICY_VERDICTS_MAX);
	assert_int_equal(r->n_dropped, 2);
	assert_true(r->verdicts[0].overridden);
	assert_false(r->allowed);
	free(r);
	assert_int_equal(policy_check(NULL, &m, NULL, 0, NULL), BANDITORE_EINVAL);
	leini_free(p);
}

static void test_names_and_levels(void **state)
{
	(void)state;
	assert_string_equal(policy_level_name(POLICY_BLOCK), "block");
	assert_int_equal(policy_level_from_name("warn"), POLICY_WARN);
	assert_int_equal(policy_level_from_name("blocco"), -1);
	assert_int_equal(policy_role_from_name("delegato"), POLICY_ROLE_DELEGATO);
	assert_string_equal(policy_role_name(POLICY_ROLE_GESTORE), "gestore");
	assert_int_equal(policy_role_from_name("sindaco"), -1);
	struct policy p;
	policy_init(&p);
	assert_int_equal(p.content_level[POLICY_K_CODICE_FISCALE], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_IBAN], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_HEALTH], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_JUDICIAL], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_PHONE], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_EMAIL], POLICY_BLOCK);
	assert_int_equal(p.content_level[POLICY_K_NAME], POLICY_OFF);
	/* Source without an article, or without a short name. */
	struct policy_message m = msg("x", "sconto");
	p.lexicon = policy_lexicon_new();
	assert_int_equal(policy_lexicon_add(p.lexicon, POLICY_K_ADVERTISING, "sconto", 6, NULL), 0);
	snprintf(p.short_name, sizeof(p.short_name), "Seveso");
	struct policy_result *r = check(&p, &m, NULL, OPEN_TIME);
	assert_string_equal(r->verdicts[0].source, "Seveso");
	free(r);
	p.short_name[0] = '\0';
	snprintf(p.content_article[POLICY_K_ADVERTISING], POLICY_ARTICLE_MAX, "art. 4");
	r = check(&p, &m, NULL, OPEN_TIME);
	assert_string_equal(r->verdicts[0].source, "art. 4");
	free(r);
	policy_clear(&p);
	policy_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dst_spring),
		cmocka_unit_test(test_dst_autumn),
		cmocka_unit_test(test_easter),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_hours_describe),
		cmocka_unit_test(test_allowed_message),
		cmocka_unit_test(test_category_unknown),
		cmocka_unit_test(test_out_of_hours_scheduled),
		cmocka_unit_test(test_emergency),
		cmocka_unit_test(test_electoral_boundaries),
		cmocka_unit_test(test_electoral_rules),
		cmocka_unit_test(test_content_levels),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_disclaimer),
		cmocka_unit_test(test_frequency),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_verdict_overflow),
		cmocka_unit_test(test_names_and_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
