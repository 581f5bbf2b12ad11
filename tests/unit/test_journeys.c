/*
 * test_journeys.c - unit tests of two-step joining (issue 8 item 1): the yes/no answer
 * folded like keywords, the reply buttons' request body as the Cloud API describes it
 * (and what it refuses), the inbound button_reply parsed with its id, and pending joins
 * expired per platform (WhatsApp's confirm_within_hours never sweeps e-mail's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/platform.h"
#include "connectors/whatsapp.h"
#include "inbound/inbound.h"
#include "inbound/whatsapp_payload.h"
#include "store/store.h"

static void test_confirm_answer(void **state)
{
	static const char *const yes[] = { "Sì", "Si", "SI", "sì", "SÌ", "si!", "  Sì  ", "Sì 🙂" };
	static const char *const no[] = { "No", "NO", "no.", " no " };
	static const char *const other[] = { "forse", "sì sì", "si grazie", "nope", "", "s",
					     "ATTIVA ISCRIZIONE", "\xff\xfe" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(inbound_confirm_answer(yes[i], NULL), 1);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(inbound_confirm_answer(no[i], ""), 0);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(inbound_confirm_answer(other[i], NULL), -1);
	/* the button's id decides, whatever its title says */
	assert_int_equal(inbound_confirm_answer("Sì, mi iscrivo", INBOUND_BUTTON_YES), 1);
	assert_int_equal(inbound_confirm_answer("qualcosa", INBOUND_BUTTON_NO), 0);
	assert_int_equal(inbound_confirm_answer(NULL, "altro-bottone"), -1);
}

/* The question links what the configuration has: with neither policy_url nor
 * privacy_url, the comune's site and no empty "()". */
static void test_question_text(void **state)
{
	static const char *const files[] = {
		"[comune]\nname = Comune di Prova\nwebsite = https://www.comune.prova.example.org/\n"
		"[channel]\nname = Prova Informa\n[whatsapp]\nphone_number_id = 100000000000009\n"
		"display_number = +39 370 000 0001\n[keywords]\nconfirm_join = yes\n",
		"[comune]\nname = Comune di Prova\nwebsite = https://www.comune.prova.example.org/\n"
		"policy_url = https://www.comune.prova.example.org/policy\n"
		"privacy_url = https://www.comune.prova.example.org/privacy\n"
		"[channel]\nname = Prova Informa\n[whatsapp]\nphone_number_id = 100000000000009\n"
		"display_number = +39 370 000 0001\n[keywords]\nconfirm_join = yes\nconfirm_within_hours = 12\n",
	};
	(void)state;
	for (int i = 0; i < 2; i++) {
		char dir[] = "/tmp/banditore-journeys-XXXXXX", path[80];
		struct keyfile_keys keys;
		struct inbound_ctx ctx;
		struct config *cfg = NULL;
		json_t *o;
		const char *text;
		FILE *f;

		assert_non_null(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/c.ini", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i], f);
		fclose(f);
		assert_int_equal(config_load(path, 0, &cfg, NULL), 0);
		unlink(path);
		rmdir(dir);
		memset(&keys, 0, sizeof(keys));
		assert_int_equal(inbound_ctx_init(&ctx, cfg, &keys), 0);
		o = json_loads(ctx.body_confirm_ask, 0, NULL);
		assert_non_null(o);
		text = json_string_value(json_object_get(o, "text"));
		assert_non_null(text);
		assert_non_null(strstr(text, "Rispondi SÌ per confermare l'iscrizione"));
		assert_non_null(strstr(text, "Prova Informa"));
		assert_null(strstr(text, "()"));
		assert_null(strstr(text, "{"));
		assert_int_equal(json_array_size(json_object_get(o, "buttons")), 2);
		if (i == 0) {
			assert_non_null(strstr(text, "(https://www.comune.prova.example.org)"));
			assert_null(strstr(text, "informativa"));
			assert_non_null(strstr(text, "48 ore"));
		} else {
			assert_non_null(strstr(text, "/policy)"));
			assert_non_null(strstr(text, "/privacy)"));
			assert_non_null(strstr(text, "12 ore"));
		}
		json_decref(o);
		inbound_ctx_clear(&ctx);
		config_free(cfg);
	}
}

static void test_buttons_body(void **state)
{
	const char *ids[] = { INBOUND_BUTTON_YES, INBOUND_BUTTON_NO };
	const char *titles[] = { "Sì, mi iscrivo", "No" };
	char *out = NULL, longtext[1100];
	json_t *o, *b;

	(void)state;
	assert_int_equal(whatsapp_build_buttons("+393330000101", "Confermi?", ids, titles, 2, &out), 0);
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "messaging_product")), "whatsapp");
	assert_string_equal(json_string_value(json_object_get(o, "to")), "393330000101");
	assert_string_equal(json_string_value(json_object_get(o, "type")), "interactive");
	b = json_object_get(o, "interactive");
	assert_string_equal(json_string_value(json_object_get(b, "type")), "button");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "body"), "text")), "Confermi?");
	b = json_object_get(json_object_get(b, "action"), "buttons");
	assert_int_equal(json_array_size(b), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(b, 0), "type")), "reply");
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(b, 1), "reply"), "id")),
			    INBOUND_BUTTON_NO);
	json_decref(o);
	free(out);

	/* refused: no buttons, four, a title over 20 characters, duplicates, a body over 1,024 */
	assert_int_equal(whatsapp_build_buttons("+393330000101", "x", ids, titles, 0, &out), BANDITORE_EINVAL);
	assert_int_equal(whatsapp_build_buttons("+393330000101", "x", ids, titles, 4, &out), BANDITORE_EINVAL);
	{
		const char *t2[] = { "Sì, mi iscrivo adesso!!", "No" };
		assert_int_equal(whatsapp_build_buttons("+393330000101", "x", ids, t2, 2, &out), BANDITORE_EINVAL);
		const char *t3[] = { "No", "No" };
		assert_int_equal(whatsapp_build_buttons("+393330000101", "x", ids, t3, 2, &out), BANDITORE_EINVAL);
		const char *i3[] = { " a", "b" };
		assert_int_equal(whatsapp_build_buttons("+393330000101", "x", i3, titles, 2, &out), BANDITORE_EINVAL);
	}
	memset(longtext, 'a', 1025);
	longtext[1025] = '\0';
	assert_int_equal(whatsapp_build_buttons("+393330000101", longtext, ids, titles, 2, &out), BANDITORE_EINVAL);
	longtext[1024] = '\0';
	assert_int_equal(whatsapp_build_buttons("+393330000101", longtext, ids, titles, 2, &out), 0);
	free(out);
	assert_int_equal(whatsapp_build_buttons("not a number", "x", ids, titles, 2, &out), BANDITORE_EINVAL);
	assert_null(out);
}

static void test_payload_button_reply(void **state)
{
	static const char body[] =
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
		"\"messages\",\"value\":{\"messages\":[{\"from\":\"393330000101\",\"id\":\"wamid.B1\","
		"\"type\":\"interactive\",\"interactive\":{\"type\":\"button_reply\",\"button_reply\":"
		"{\"id\":\"banditore:join:yes\",\"title\":\"S\\u00ec, mi iscrivo\"}}},"
		"{\"from\":\"393330000102\",\"id\":\"wamid.T1\",\"type\":\"text\",\"text\":{\"body\":\"si\"}}]}}]}]}";
	static const char bad[] =
		"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"1\",\"changes\":[{\"field\":"
		"\"messages\",\"value\":{\"messages\":[{\"from\":\"393330000101\",\"id\":\"wamid.B2\","
		"\"type\":\"interactive\",\"interactive\":{\"type\":\"button_reply\",\"button_reply\":"
		"{\"id\":7,\"title\":\"x\"}}}]}}]}]}";
	struct wa_payload p;

	(void)state;
	assert_int_equal(wa_payload_parse(body, strlen(body), &p), 0);
	assert_int_equal(p.count, 2);
	assert_string_equal(p.events[0].type, "interactive");
	assert_string_equal(p.events[0].reply_id, "banditore:join:yes");
	assert_string_equal(p.events[0].text, "Sì, mi iscrivo");
	assert_string_equal(p.events[1].reply_id, "");
	assert_int_equal(inbound_confirm_answer(p.events[1].text, p.events[1].reply_id), 1);
	wa_payload_free(&p);
	assert_int_equal(wa_payload_parse(bad, strlen(bad), &p), BANDITORE_EINVAL);
}

static void test_pending_expire_per_platform(void **state)
{
	char dir[] = "/tmp/banditore-journeys-XXXXXX", path[80];
	struct store *st = NULL;
	struct store_pending p, out;
	uint8_t h[CRYPTO_HASH_LEN];
	int64_t removed = -1;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.db", dir);
	assert_int_equal(store_open(path, &st), 0);
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		memset(p.token_hash, 0x10 + i, sizeof(p.token_hash));
		memset(p.addr_hash, 0x20 + i, sizeof(p.addr_hash));
		p.platform = i ? PLATFORM_EMAIL : PLATFORM_WHATSAPP;
		p.sealed[0] = 1;
		p.sealed_len = 1;
		snprintf(p.policy_version, sizeof(p.policy_version), "v1");
		p.created_at = 1000;
		assert_int_equal(store_pending_put(st, &p), 0);
	}
	assert_int_equal(store_pending_expire_platform(st, PLATFORM_WHATSAPP, 1000, &removed), 0);
	assert_int_equal(removed, 0); /* not older than `before` */
	assert_int_equal(store_pending_expire_platform(st, PLATFORM_WHATSAPP, 1001, &removed), 0);
	assert_int_equal(removed, 1);
	memset(h, 0x20, sizeof(h));
	assert_int_equal(store_pending_get_addr(st, PLATFORM_WHATSAPP, h, &out), BANDITORE_ENOTFOUND);
	memset(h, 0x21, sizeof(h));
	assert_int_equal(store_pending_get_addr(st, PLATFORM_EMAIL, h, &out), 0);
	store_free(st);
	for (size_t i = 0; i < 3; i++) {
		static const char *const suffix[] = { "", "-wal", "-shm" };
		snprintf(path, sizeof(path), "%s/b.db%s", dir, suffix[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirm_answer),
		cmocka_unit_test(test_question_text),
		cmocka_unit_test(test_buttons_body),
		cmocka_unit_test(test_payload_button_reply),
		cmocka_unit_test(test_pending_expire_per_platform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
