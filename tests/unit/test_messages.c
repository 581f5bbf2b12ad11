/*
 * test_messages.c - unit tests of src/messages: every field check of composition (from
 * the command line's input and from JSON), RFC 3339 times with Italian summer and
 * winter offsets, progress and tier arithmetic, and the lifecycle (create, approve,
 * cancel) against a real store in a mkdtemp() directory, checking what is stored.
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
#include "messages/messages.h"
#include "store/store.h"
#include "fixtures.h"

#define NOW 1780000000 /* 2026-05-28T20:26:40Z */

/* ------------------------------------------------------------------ helpers */

static struct messages_input base_input(void)
{
	struct messages_input in;

	memset(&in, 0, sizeof(in));
	in.text = "Domani chiusura straordinaria della biblioteca.";
	in.category = "avvisi";
	return in;
}

/* Composes `in` and expects a refusal naming `field`, with both languages filled. */
static void expect_refused(const struct messages_input *in, const struct messages_rules *rules,
			   const char *field)
{
	struct store_message m;
	struct messages_error err;

	assert_int_equal(messages_compose(in, rules, NOW, &m, &err), BANDITORE_EINVAL);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.message) > 5);
	assert_true(strlen(err.message_en) > 5);
	assert_string_not_equal(err.message, err.message_en);
	assert_null(m.text);
}

static void expect_json_refused(const char *json, const char *field)
{
	struct store_message m;
	struct messages_error err;

	assert_int_equal(messages_parse_json(json, strlen(json), NULL, NOW, &m, &err), BANDITORE_EINVAL);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.message) > 0);
	assert_true(strlen(err.message_en) > 0);
	assert_null(m.text);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ------------------------------------------------------------------ composition */

static void test_compose_minimal(void **state)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	(void)state;

	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_string_equal(m.text, in.text);
	assert_string_equal(m.category, "avvisi");
	assert_string_equal(m.title, "");
	assert_string_equal(m.link, "");
	assert_int_equal(m.priority, STORE_PRIORITY_NORMAL);
	assert_int_equal(m.state, STORE_MSG_DRAFT);
	assert_int_equal(m.scheduled_at, 0);
	assert_int_equal(m.expires_at, 0);
	assert_int_equal(m.id, 0);
	assert_string_equal(err.field, "");
	store_message_clear(&m);
}

static void test_compose_full(void **state)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	(void)state;

	in.title = "Biblioteca chiusa – avviso";
	in.text = "Riga uno\nRiga due\tcon tab. Città, perché: ✓ 🙂";
	in.category = "servizi-2026";
	in.link = "https://www.comune.example.org/avvisi?id=12#top";
	in.priority = "emergency";
	in.scheduled_at = "2026-12-01T09:00:00+01:00";
	in.expires_at = "2026-12-02T09:00:00+01:00";
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_string_equal(m.title, in.title);
	assert_string_equal(m.text, in.text);
	assert_string_equal(m.category, "servizi-2026");
	assert_string_equal(m.link, in.link);
	assert_int_equal(m.priority, STORE_PRIORITY_EMERGENCY);
	assert_int_equal(m.scheduled_at, 1796112000);
	assert_int_equal(m.expires_at, 1796112000 + 86400);
	store_message_clear(&m);

	in.priority = "normal";
	in.link = "http://example.org";
	in.scheduled_at = NULL;
	in.expires_at = "2026-05-29T00:00:00Z";
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_int_equal(m.priority, STORE_PRIORITY_NORMAL);
	assert_int_equal(m.scheduled_at, 0);
	store_message_clear(&m);
}

static void test_title_errors(void **state)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	char *t = repeat('a', STORE_TITLE_MAX + 1);
	(void)state;

	in.title = t;
	expect_refused(&in, NULL, "title");
	t[STORE_TITLE_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	store_message_clear(&m);
	in.title = "due\nrighe";
	expect_refused(&in, NULL, "title");
	in.title = "\xc3\x28 bad utf-8";
	expect_refused(&in, NULL, "title");
	free(t);
}

static void test_text_errors(void **state)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	char *t = repeat('x', STORE_TEXT_MAX + 1);
	(void)state;

	in.text = NULL;
	expect_refused(&in, NULL, "text");
	in.text = "";
	expect_refused(&in, NULL, "text");
	in.text = " \n\t ";
	expect_refused(&in, NULL, "text");
	in.text = t;
	expect_refused(&in, NULL, "text");
	t[STORE_TEXT_MAX] = '\0';
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_int_equal(strlen(m.text), STORE_TEXT_MAX);
	store_message_clear(&m);
	/* 4096 bytes means bytes, not characters: 2049 two-byte letters are too many */
	free(t);
	t = malloc(2 * 2049 + 1);
	assert_non_null(t);
	for (int i = 0; i < 2049; i++)
		memcpy(t + 2 * i, "\xc3\xa8", 2);
	t[2 * 2049] = '\0';
	in.text = t;
	expect_refused(&in, NULL, "text");
	in.text = "overlong \xc0\xaf slash";
	expect_refused(&in, NULL, "text");
	in.text = "truncated \xe2\x82";
	expect_refused(&in, NULL, "text");
	in.text = "surrogate \xed\xa0\x80";
	expect_refused(&in, NULL, "text");
	in.text = "bell \x07 inside";
	expect_refused(&in, NULL, "text");
	in.text = "escape \x1b[31m red";
	expect_refused(&in, NULL, "text");
	free(t);
}

static void test_category_errors(void **state)
{
	static const char *const cats[] = { "eventi", "emergenze" };
	struct messages_rules rules = { cats, 2, 0, NULL, NULL, 0, 0 };
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	char *c = repeat('a', STORE_CATEGORY_MAX + 1);
	(void)state;

	in.category = NULL;
	expect_refused(&in, NULL, "category");
	in.category = "";
	expect_refused(&in, NULL, "category");
	in.category = "Avvisi";
	expect_refused(&in, NULL, "category");
	in.category = "avvisi comunali";
	expect_refused(&in, NULL, "category");
	in.category = "città";
	expect_refused(&in, NULL, "category");
	in.category = c;
	expect_refused(&in, NULL, "category");
	/* with configured categories, only those */
	in.category = "avvisi";
	expect_refused(&in, &rules, "category");
	in.category = "eventi";
	assert_int_equal(messages_compose(&in, &rules, NOW, &m, &err), 0);
	store_message_clear(&m);
	free(c);
}

static void test_link_errors(void **state)
{
	static const char *const bad[] = {
		"ftp://example.org/x", "www.example.org", "javascript:alert(1)", "https://",
		"https:///path", "https://exa mple.org", "https://example.org/\"x\"",
		"https://example.org/<script>", "https://esempio.org/città", "https://example.org/\n",
	};
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	char *l = malloc(STORE_LINK_MAX + 2);
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		in.link = bad[i];
		expect_refused(&in, NULL, "link");
	}
	assert_non_null(l);
	snprintf(l, STORE_LINK_MAX + 2, "https://example.org/");
	memset(l + 20, 'a', STORE_LINK_MAX + 1 - 20);
	l[STORE_LINK_MAX + 1] = '\0';
	in.link = l;
	expect_refused(&in, NULL, "link");
	l[STORE_LINK_MAX] = '\0';
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	store_message_clear(&m);
	in.link = "HTTPS://Example.org/Percent%20Encoded";
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	store_message_clear(&m);
	in.link = ""; /* empty is the same as none */
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_string_equal(m.link, "");
	store_message_clear(&m);
	free(l);
}

static void test_priority_and_attachment_errors(void **state)
{
	struct messages_input in = base_input();
	(void)state;

	in.priority = "urgent";
	expect_refused(&in, NULL, "priority");
	in.priority = "Emergency";
	expect_refused(&in, NULL, "priority");
	in.priority = NULL;
	in.has_attachment = 1;
	expect_refused(&in, NULL, "attachment");
}

static void test_time_errors(void **state)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	(void)state;

	in.scheduled_at = "2026-12-01 09:00";
	expect_refused(&in, NULL, "scheduled_at");
	in.scheduled_at = "2026-12-01T09:00:00"; /* no offset */
	expect_refused(&in, NULL, "scheduled_at");
	in.scheduled_at = "2026-05-28T20:20:00Z"; /* six minutes ago */
	expect_refused(&in, NULL, "scheduled_at");
	in.scheduled_at = "2026-05-28T20:26:00Z"; /* 40 s ago: within the tolerance */
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	store_message_clear(&m);

	in.scheduled_at = NULL;
	in.expires_at = "tomorrow";
	expect_refused(&in, NULL, "expires_at");
	in.expires_at = "2026-05-28T20:00:00Z"; /* past */
	expect_refused(&in, NULL, "expires_at");
	in.expires_at = "2026-05-28T22:26:40+02:00"; /* exactly now */
	expect_refused(&in, NULL, "expires_at");
	in.scheduled_at = "2026-12-01T09:00:00+01:00";
	in.expires_at = "2026-12-01T08:00:00Z"; /* the same instant as scheduled */
	expect_refused(&in, NULL, "expires_at");
	in.expires_at = "2026-12-01T08:59:00+01:00";
	expect_refused(&in, NULL, "expires_at");
	in.expires_at = "2026-12-01T09:00:01+01:00";
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	store_message_clear(&m);
}

/* ------------------------------------------------------------------ JSON */

static void test_json_valid(void **state)
{
	const char *json = "{\"title\":\"Allerta meteo\",\"text\":\"Allerta arancione: \\u00e8 vietato "
			   "l'accesso ai parchi.\\nRestate a casa.\",\"category\":\"emergenze\","
			   "\"link\":null,\"priority\":\"emergency\",\"scheduled_at\":null,"
			   "\"expires_at\":\"2026-05-29T20:00:00+02:00\",\"attachment\":null}";
	struct store_message m;
	struct messages_error err;
	(void)state;

	assert_int_equal(messages_parse_json(json, strlen(json), NULL, NOW, &m, &err), 0);
	assert_string_equal(m.title, "Allerta meteo");
	assert_string_equal(m.text, "Allerta arancione: \xc3\xa8 vietato l'accesso ai parchi.\nRestate a casa.");
	assert_string_equal(m.category, "emergenze");
	assert_int_equal(m.priority, STORE_PRIORITY_EMERGENCY);
	assert_int_equal(m.expires_at, 1780077600);
	assert_int_equal(m.state, STORE_MSG_DRAFT);
	store_message_clear(&m);
}

static void test_json_errors(void **state)
{
	(void)state;
	expect_json_refused("{not json", "");
	expect_json_refused("[1,2]", "");
	expect_json_refused("\"text\"", "");
	expect_json_refused("", "");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"colour\":\"red\"}", "colour");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"schedule_at\":\"2026-12-01T09:00:00Z\"}",
			    "schedule_at");
	expect_json_refused("{\"text\":\"a\",\"text\":\"b\",\"category\":\"x\"}", "");
	expect_json_refused("{\"text\":42,\"category\":\"x\"}", "text");
	expect_json_refused("{\"text\":\"a\",\"category\":[\"x\"]}", "category");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"title\":true}", "title");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"priority\":1}", "priority");
	expect_json_refused("{\"category\":\"x\"}", "text");
	expect_json_refused("{\"text\":\"a\"}", "category");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"link\":\"mailto:a@example.org\"}", "link");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"attachment\":{\"url\":\"https://example.org/a.pdf\"}}",
			    "attachment");
	expect_json_refused("{\"text\":\"a\",\"category\":\"x\",\"scheduled_at\":\"2026-13-01T09:00:00Z\"}",
			    "scheduled_at");
	expect_json_refused("{\"text\":\"a\\u0000b\",\"category\":\"x\"}", "");
	expect_json_refused("{\"text\":\"a \\u0007 b\",\"category\":\"x\"}", "text");
	/* invalid UTF-8 in the body is malformed JSON for jansson */
	expect_json_refused("{\"text\":\"\xff\xfe\",\"category\":\"x\"}", "");
}

static void test_json_long_unknown_field_is_bounded(void **state)
{
	char *name = repeat('k', 500);
	char json[700];
	struct store_message m;
	struct messages_error err;
	(void)state;

	snprintf(json, sizeof(json), "{\"%s\":1,\"text\":\"a\",\"category\":\"x\"}", name);
	assert_int_equal(messages_parse_json(json, strlen(json), NULL, NOW, &m, &err), BANDITORE_EINVAL);
	assert_int_equal(strlen(err.field), MESSAGES_FIELD_MAX - 1);
	free(name);
}

/* ------------------------------------------------------------------ RFC 3339 */

static void expect_time(const char *s, int64_t want)
{
	int64_t t = -1;

	assert_int_equal(messages_time_parse(s, &t), 0);
	assert_int_equal(t, want);
}

static void test_time_parse(void **state)
{
	(void)state;
	expect_time("1970-01-01T00:00:00Z", 0);
	expect_time("2026-12-01T09:00:00+01:00", 1796112000);      /* CET, winter */
	expect_time("2026-12-01T08:00:00Z", 1796112000);
	expect_time("2026-12-01T08:00:00.999Z", 1796112000);        /* fraction dropped */
	expect_time("2026-12-01t08:00:00z", 1796112000);
	expect_time("2026-12-01 08:00:00Z", 1796112000);
	expect_time("2026-12-01T03:00:00-05:00", 1796112000);
	expect_time("2026-12-01T13:30:00+05:30", 1796112000);
	expect_time("2026-12-01T08:00:00-00:00", 1796112000);
	expect_time("2026-07-01T09:00:00+02:00", 1782889200);       /* CEST, summer */
	expect_time("2026-07-01T07:00:00Z", 1782889200);
	/* The spring change in Italy (29 March 2026): 01:30 CET and 03:30 CEST are one hour
	 * apart although the clock shows two. */
	expect_time("2026-03-29T01:30:00+01:00", 1774744200);
	expect_time("2026-03-29T03:30:00+02:00", 1774747800);
	/* The autumn change (25 October 2026): 02:30 happens twice; the offset tells which. */
	expect_time("2026-10-25T02:30:00+02:00", 1792888200);
	expect_time("2026-10-25T02:30:00+01:00", 1792891800);
	expect_time("2028-02-29T12:00:00Z", 1835438400);           /* leap year */
	expect_time("2026-12-31T23:59:60Z", 1798761600);           /* leap second */
}

static void test_time_parse_refused(void **state)
{
	static const char *const bad[] = {
		"", "2026", "2026-12-01", "2026-12-01T09:00Z", "2026-12-01T09:00:00",
		"2026-12-01T09:00:00+0100", "2026-12-01T09:00:00+01", "2026-12-01T09:00:00 +01:00",
		"2026-12-01T09:00:00Z ", "2026-12-01T09:00:00ZZ", "2026-12-01T09:00:00.Z",
		"2026-13-01T09:00:00Z", "2026-00-10T09:00:00Z", "2026-02-29T09:00:00Z",
		"2026-04-31T09:00:00Z", "2026-12-00T09:00:00Z", "2026-12-01T24:00:00Z",
		"2026-12-01T09:60:00Z", "2026-12-01T09:00:61Z", "2026-12-01T09:00:00+24:00",
		"2026-12-01T09:00:00+01:60", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00",
		"2026/12/01T09:00:00Z", "２０２６-12-01T09:00:00Z", "2026-12-01X09:00:00Z",
		"+2026-12-01T09:00:00Z", "2026-1-01T09:00:00Z",
	};
	int64_t t = 42;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (messages_time_parse(bad[i], &t) != BANDITORE_EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(t, 42);
	}
	assert_int_equal(messages_time_parse(NULL, &t), BANDITORE_EINVAL);
}

static void test_time_format(void **state)
{
	char out[MESSAGES_TIME_MAX];
	int64_t back = 0;
	(void)state;

	messages_time_format(1796112000, out);
	assert_string_equal(out, "2026-12-01T08:00:00Z");
	assert_int_equal(messages_time_parse(out, &back), 0);
	assert_int_equal(back, 1796112000);
	messages_time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
}

/* ------------------------------------------------------------------ names, progress, tier */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(messages_state_name(STORE_MSG_DRAFT), "draft");
	assert_string_equal(messages_state_name(STORE_MSG_APPROVED), "approved");
	assert_string_equal(messages_state_name(STORE_MSG_SCHEDULED), "scheduled");
	assert_string_equal(messages_state_name(STORE_MSG_SENDING), "sending");
	assert_string_equal(messages_state_name(STORE_MSG_SENT), "sent");
	assert_string_equal(messages_state_name(STORE_MSG_PARTLY_FAILED), "partly_failed");
	assert_string_equal(messages_state_name(STORE_MSG_CANCELLED), "cancelled");
	assert_string_equal(messages_state_name(STORE_MSG_EXPIRED), "expired");
	assert_string_equal(messages_state_name(99), "unknown");
	assert_string_equal(messages_priority_name(STORE_PRIORITY_NORMAL), "normal");
	assert_string_equal(messages_priority_name(STORE_PRIORITY_EMERGENCY), "emergency");
	for (int s = STORE_MSG_DRAFT; s <= STORE_MSG_EXPIRED; s++)
		assert_int_equal(messages_cancellable(s), s <= STORE_MSG_SENDING);
}

static void test_progress(void **state)
{
	struct store_message m;
	struct messages_progress p;
	(void)state;

	memset(&m, 0, sizeof(m));
	m.audience = 100;
	m.sent = 60;
	m.failed = 5;
	m.unreachable = 3;
	m.delivered = 50;
	m.read = 20;
	messages_progress(&m, &p);
	assert_int_equal(p.queued, 32);
	assert_int_equal(p.sent, 60);
	assert_int_equal(p.delivered, 50);
	assert_int_equal(p.read, 20);
	assert_int_equal(p.failed, 5);
	assert_int_equal(p.unreachable, 3);
	/* Those who left after approval are never sent: counts may fall short, or (with
	 * retries counted twice) overshoot; queued never goes negative. */
	m.sent = 99;
	messages_progress(&m, &p);
	assert_int_equal(p.queued, 0);
}

static void test_tier(void **state)
{
	struct messages_tier t;
	(void)state;

	messages_tier_check(0, 500, 1000000, &t);
	assert_int_equal(t.exceeded, 0);
	assert_int_equal(t.now, 1000000);
	messages_tier_check(1000, 200, 800, &t);
	assert_int_equal(t.exceeded, 0);
	messages_tier_check(1000, 200, 801, &t);
	assert_int_equal(t.exceeded, 1);
	assert_int_equal(t.limit, 1000);
	assert_int_equal(t.now, 800);
	assert_int_equal(t.later, 1);
	messages_tier_check(250, 300, 10, &t);
	assert_int_equal(t.exceeded, 1);
	assert_int_equal(t.now, 0);
	assert_int_equal(t.later, 10);
}

/* ------------------------------------------------------------------ lifecycle on a store */

static int setup(void **state)
{
	return fixture_store_setup(state, "messages");
}

static void add_subscribers(struct store *st, int platform, int n, int seed)
{
	for (int i = 0; i < n; i++) {
		struct store_subscriber s;
		memset(&s, 0, sizeof(s));
		s.platform = platform;
		for (int k = 0; k < CRYPTO_HASH_LEN; k++)
			s.addr_hash[k] = (uint8_t)(seed * 37 + i * 11 + k);
		s.sealed_len = 40;
		memset(s.sealed, seed + i, s.sealed_len);
		s.joined_at = NOW - 1000;
		snprintf(s.method, sizeof(s.method), "keyword");
		snprintf(s.policy_version, sizeof(s.policy_version), "%064d", 7);
		assert_int_equal(store_subscriber_add(st, &s, NULL), 0);
	}
}

static int64_t create(struct store *st, const char *scheduled, const char *expires)
{
	struct messages_input in = base_input();
	struct store_message m;
	struct messages_error err;
	int64_t id = 0;

	in.title = "Titolo";
	in.scheduled_at = scheduled;
	in.expires_at = expires;
	assert_int_equal(messages_compose(&in, NULL, NOW, &m, &err), 0);
	assert_int_equal(messages_create(st, &m, "portale", NOW, &id), 0);
	assert_true(id > 0);
	store_message_clear(&m);
	return id;
}

static void test_create_stores_draft(void **state)
{
	struct fixture_store *f = *state;
	struct store_message m;
	int64_t id = create(f->st, "2026-12-01T09:00:00+01:00", NULL);

	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.state, STORE_MSG_DRAFT);
	assert_string_equal(m.title, "Titolo");
	assert_string_equal(m.text, "Domani chiusura straordinaria della biblioteca.");
	assert_string_equal(m.category, "avvisi");
	assert_string_equal(m.created_by, "portale");
	assert_int_equal(m.created_at, NOW);
	assert_int_equal(m.scheduled_at, 1796112000);
	assert_int_equal(m.approved_at, 0);
	assert_int_equal(m.audience, 0);
	store_message_clear(&m);
}

static void test_send_fixes_audience(void **state)
{
	struct fixture_store *f = *state;
	struct messages_approval a;
	struct store_message m;
	int64_t id = create(f->st, NULL, NULL);

	add_subscribers(f->st, PLATFORM_WHATSAPP, 3, 1);
	add_subscribers(f->st, PLATFORM_TELEGRAM, 2, 2); /* not WhatsApp: not counted */
	assert_int_equal(messages_send(f->st, id, NOW + 5, NULL, &a), 0);
	assert_int_equal(a.state, STORE_MSG_APPROVED);
	assert_int_equal(a.audience, 3);
	assert_int_equal(a.tier.exceeded, 0);
	add_subscribers(f->st, PLATFORM_WHATSAPP, 2, 3); /* joined after approval */
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.state, STORE_MSG_APPROVED);
	assert_int_equal(m.approved_at, NOW + 5);
	assert_int_equal(m.audience, 3);
	assert_true(m.audience_max_id > 0);
	store_message_clear(&m);
	/* approving twice is refused, and changes nothing */
	assert_int_equal(messages_send(f->st, id, NOW + 9, NULL, &a), BANDITORE_ESTATE);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.approved_at, NOW + 5);
	assert_int_equal(m.audience, 3);
	store_message_clear(&m);
	assert_int_equal(messages_send(f->st, 9999, NOW, NULL, &a), BANDITORE_ENOTFOUND);
}

static void test_send_scheduled_and_tier(void **state)
{
	struct fixture_store *f = *state;
	struct messages_rules rules = { NULL, 0, 2, NULL, NULL, 0, 0 };
	struct messages_approval a;
	struct store_message m;
	int64_t id = create(f->st, "2026-12-01T09:00:00+01:00", NULL);

	add_subscribers(f->st, PLATFORM_WHATSAPP, 5, 4);
	assert_int_equal(messages_send(f->st, id, NOW, &rules, &a), 0);
	assert_int_equal(a.state, STORE_MSG_SCHEDULED);
	assert_int_equal(a.audience, 5);
	assert_int_equal(a.tier.exceeded, 1);
	assert_int_equal(a.tier.now, 2);
	assert_int_equal(a.tier.later, 3);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.state, STORE_MSG_SCHEDULED);
	store_message_clear(&m);
}

static void test_send_expired_refused(void **state)
{
	struct fixture_store *f = *state;
	struct messages_approval a;
	struct store_message m;
	int64_t id = create(f->st, NULL, "2026-05-28T21:00:00Z");

	assert_int_equal(messages_send(f->st, id, NOW + 3600, NULL, &a), BANDITORE_EINVAL);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.state, STORE_MSG_DRAFT);
	store_message_clear(&m);
}

static void test_cancel(void **state)
{
	struct fixture_store *f = *state;
	struct messages_approval a;
	struct store_message m;
	int64_t draft = create(f->st, NULL, NULL);
	int64_t approved = create(f->st, NULL, NULL);
	int64_t sending = create(f->st, NULL, NULL);
	struct store_retry r = { sending, 1, 1, NOW + 60 };
	int64_t count = -1, next = -1;
	int before = -1;

	add_subscribers(f->st, PLATFORM_WHATSAPP, 1, 5);
	assert_int_equal(messages_cancel(f->st, NULL, draft, NOW + 1, &before), 0);
	assert_int_equal(before, STORE_MSG_DRAFT);
	assert_int_equal(store_message_get(f->st, draft, &m), 0);
	assert_int_equal(m.state, STORE_MSG_CANCELLED);
	store_message_clear(&m);
	assert_int_equal(messages_cancel(f->st, NULL, draft, NOW + 2, &before), BANDITORE_ESTATE);
	assert_int_equal(before, STORE_MSG_CANCELLED);
	assert_int_equal(messages_send(f->st, draft, NOW + 2, NULL, &a), BANDITORE_ESTATE);

	assert_int_equal(messages_send(f->st, approved, NOW, NULL, &a), 0);
	assert_int_equal(messages_cancel(f->st, NULL, approved, NOW + 3, NULL), 0);
	assert_int_equal(store_message_get(f->st, approved, &m), 0);
	assert_int_equal(m.state, STORE_MSG_CANCELLED);
	store_message_clear(&m);

	/* sending: cancelled too, and its retries forgotten */
	assert_int_equal(messages_send(f->st, sending, NOW, NULL, &a), 0);
	assert_int_equal(store_message_transition(f->st, sending, STORE_MSG_APPROVED, STORE_MSG_SENDING,
						  NOW + 1), 0);
	assert_int_equal(store_retry_put(f->st, &r), 0);
	assert_int_equal(messages_cancel(f->st, NULL, sending, NOW + 4, &before), 0);
	assert_int_equal(before, STORE_MSG_SENDING);
	assert_int_equal(store_retry_pending(f->st, sending, &count, &next), 0);
	assert_int_equal(count, 0);

	/* finished messages cannot be cancelled */
	{
		int64_t done = create(f->st, NULL, NULL);
		assert_int_equal(messages_send(f->st, done, NOW, NULL, &a), 0);
		assert_int_equal(store_message_transition(f->st, done, STORE_MSG_APPROVED, STORE_MSG_SENDING,
							  NOW + 1), 0);
		assert_int_equal(store_message_transition(f->st, done, STORE_MSG_SENDING, STORE_MSG_SENT,
							  NOW + 2), 0);
		assert_int_equal(messages_cancel(f->st, NULL, done, NOW + 5, &before), BANDITORE_ESTATE);
		assert_int_equal(before, STORE_MSG_SENT);
		assert_int_equal(store_message_get(f->st, done, &m), 0);
		assert_int_equal(m.state, STORE_MSG_SENT);
		store_message_clear(&m);

		/* ...unless another platform is still sending it: its lane stops, the e-mail
		 * lane that finished stays finished, and the message stays sent */
		struct store_message_platform lp;
		assert_int_equal(store_lane_start(f->st, done, PLATFORM_TELEGRAM, 5, 5, NOW + 2), 0);
		assert_int_equal(store_lane_start(f->st, done, PLATFORM_EMAIL, 5, 5, NOW + 2), 0);
		assert_int_equal(store_lane_progress(f->st, done, PLATFORM_EMAIL, 5, 5, 0, STORE_LANE_SENT,
						     NOW + 3), 0);
		assert_int_equal(messages_cancel(f->st, NULL, done, NOW + 6, &before), 0);
		assert_int_equal(before, STORE_MSG_SENT);
		assert_int_equal(store_lane_get(f->st, done, PLATFORM_TELEGRAM, &lp), 0);
		assert_int_equal(lp.state, STORE_LANE_STOPPED);
		assert_int_equal(lp.finished_at, NOW + 6);
		assert_int_equal(store_lane_get(f->st, done, PLATFORM_EMAIL, &lp), 0);
		assert_int_equal(lp.state, STORE_LANE_SENT);
		assert_int_equal(store_message_get(f->st, done, &m), 0);
		assert_int_equal(m.state, STORE_MSG_SENT);
		store_message_clear(&m);
		assert_int_equal(messages_cancel(f->st, NULL, done, NOW + 7, &before), BANDITORE_ESTATE);
	}
	/* A platform of the channel whose lane has not begun the message yet (busy with an
	 * earlier one) never begins it after a cancel; and a lane's last page settling after
	 * the cancel counts its sends but leaves the row stopped. */
	{
		struct messages_rules rules;
		struct store_message_platform lp;
		int64_t done = create(f->st, NULL, NULL), next_id = 0;

		memset(&rules, 0, sizeof(rules));
		rules.platforms = (1 << PLATFORM_WHATSAPP) | (1 << PLATFORM_TELEGRAM) | (1 << PLATFORM_EMAIL);
		assert_int_equal(messages_send(f->st, done, NOW, NULL, &a), 0);
		assert_int_equal(store_message_transition(f->st, done, STORE_MSG_APPROVED, STORE_MSG_SENDING,
							  NOW + 1), 0);
		assert_int_equal(store_message_transition(f->st, done, STORE_MSG_SENDING, STORE_MSG_SENT,
							  NOW + 2), 0);
		assert_int_equal(store_lane_start(f->st, done, PLATFORM_TELEGRAM, 5, 5, NOW + 2), 0);
		assert_int_equal(store_lane_next(f->st, PLATFORM_EMAIL, NOW - 86400, &next_id), 0);
		assert_int_equal(next_id, done); /* e-mail would take it */
		assert_int_equal(messages_cancel(f->st, &rules, done, NOW + 8, &before), 0);
		assert_int_equal(store_lane_get(f->st, done, PLATFORM_EMAIL, &lp), 0);
		assert_int_equal(lp.state, STORE_LANE_STOPPED);
		assert_int_equal(store_lane_next(f->st, PLATFORM_EMAIL, NOW - 86400, &next_id),
				 BANDITORE_ENOTFOUND);
		assert_int_equal(store_lane_get(f->st, done, PLATFORM_SMS, &lp), BANDITORE_ENOTFOUND);
		/* Telegram's last page settles after the cancel: counted, still stopped. */
		assert_int_equal(store_lane_progress(f->st, done, PLATFORM_TELEGRAM, 5, 3, 0,
						     STORE_LANE_SENT, NOW + 9), 0);
		assert_int_equal(store_lane_get(f->st, done, PLATFORM_TELEGRAM, &lp), 0);
		assert_int_equal(lp.state, STORE_LANE_STOPPED);
		assert_int_equal(lp.sent, 3);
		assert_int_equal(lp.finished_at, NOW + 8);
		assert_int_equal(messages_cancel(f->st, &rules, done, NOW + 10, &before), BANDITORE_ESTATE);
	}
	assert_int_equal(messages_cancel(f->st, NULL, 424242, NOW, NULL), BANDITORE_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_minimal),
		cmocka_unit_test(test_compose_full),
		cmocka_unit_test(test_title_errors),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_category_errors),
		cmocka_unit_test(test_link_errors),
		cmocka_unit_test(test_priority_and_attachment_errors),
		cmocka_unit_test(test_time_errors),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_long_unknown_field_is_bounded),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_parse_refused),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_tier),
		cmocka_unit_test_setup_teardown(test_create_stores_draft, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_send_fixes_audience, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_send_scheduled_and_tier, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_send_expired_refused, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
