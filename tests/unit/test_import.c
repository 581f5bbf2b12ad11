/*
 * test_import.c - unit tests of the broadcast-list import's CSV reading: columns in any
 * order, ',' or ';', quotes, BOM and CRLF, every kind of bad line reported with its line
 * (numbers without their country, impossible or future dates, missing consent fields,
 * duplicates naming the first line), and the template body of the notice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "subscribers/import.h"

#define NOW 1767225600 /* 2026-01-01 00:00 UTC */

static struct import_result parse(const char *csv)
{
	struct import_result r;

	assert_int_equal(import_csv_parse(csv, strlen(csv), NOW, &r), 0);
	return r;
}

static void test_good(void **state)
{
	struct import_result r;

	(void)state;
	r = parse("\xEF\xBB\xBFpolicy_version;Number;consent_method;consent_date\r\n"
		  "\"v1; 2023\";+39 333 000 0001;\"modulo \"\"A\"\"\";2023-04-12\r\n"
		  "\r\n"
		  "p2 ; 0039 333 000 0002 ; lista broadcast ; 2025-12-31\r\n");
	assert_int_equal(r.n_errors, 0);
	assert_int_equal(r.n_rows, 2);
	assert_int_equal(r.rows[0].line, 2);
	assert_string_equal(r.rows[0].number, "+393330000001");
	assert_string_equal(r.rows[0].method, "modulo \"A\"");
	assert_string_equal(r.rows[0].policy_version, "v1; 2023");
	assert_int_equal(r.rows[0].consented_at, 1681300800); /* 2023-04-12 12:00 UTC */
	assert_int_equal(r.rows[1].line, 4);
	assert_string_equal(r.rows[1].number, "+393330000002");
	assert_string_equal(r.rows[1].method, "lista broadcast");
	assert_string_equal(r.rows[1].policy_version, "p2");
	import_result_clear(&r);
}

static void test_bad_lines(void **state)
{
	static const int want[] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct import_result r;

	(void)state;
	r = parse("number,consent_date,consent_method,policy_version\n"
		  "+393330000001,2023-04-12,lista,v1\n"       /* 2 fine */
		  "3330000003,2023-04-12,lista,v1\n"          /* 3 no country */
		  "+39333,2023-04-12,lista,v1\n"              /* 4 too short */
		  "+393330000005,2023-13-01,lista,v1\n"       /* 5 month 13 */
		  "+393330000006,2024-02-30,lista,v1\n"       /* 6 no such day */
		  "+393330000007,2026-01-03,lista,v1\n"       /* 7 future */
		  "+393330000008,2023-04-12,,v1\n"            /* 8 method */
		  "+393330000009,2023-04-12,lista,\n"         /* 9 policy */
		  "+393330000001,2023-04-12,lista,v1\n"       /* 10 duplicate of 2 */
		  "+393330000011,2023-04-12,lista\n"          /* 11 three columns */
		  "+393330000012,\"2023-04-12,lista,v1\n");   /* 12 unclosed quote */
	assert_int_equal(r.n_errors, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < r.n_errors; i++) {
		assert_int_equal(r.errors[i].line, want[i]);
		assert_null(strstr(r.errors[i].message, "333000"));
	}
	assert_non_null(strstr(r.errors[7].message, "2")); /* the first line of the number */
	assert_int_equal(r.n_rows, 2); /* lines 2 and 10: the duplicate is an error too */
	import_result_clear(&r);

	/* Leap day is a day. */
	r = parse("number,consent_date,consent_method,policy_version\n+393330000001,2024-02-29,a,b\n");
	assert_int_equal(r.n_errors, 0);
	import_result_clear(&r);
	/* A header without the four columns stops there. */
	r = parse("number,date,method,policy\n+393330000001,2023-04-12,a,b\n");
	assert_int_equal(r.n_errors, 1);
	assert_int_equal(r.errors[0].line, 1);
	assert_int_equal(r.n_rows, 0);
	import_result_clear(&r);
	r = parse("number,number,consent_method,policy_version\n");
	assert_int_equal(r.n_errors, 1);
	import_result_clear(&r);
	r = parse("");
	assert_int_equal(r.n_errors, 1);
	assert_int_equal(r.errors[0].line, 0);
	import_result_clear(&r);
	/* A NUL byte in a line is reported, not read past. */
	{
		const char csv[] = "number,consent_date,consent_method,policy_version\n+39333\0000001,2023-04-12,a,b\n";
		assert_int_equal(import_csv_parse(csv, sizeof(csv) - 1, NOW, &r), 0);
		assert_int_equal(r.n_errors, 1);
		assert_int_equal(r.errors[0].line, 2);
		import_result_clear(&r);
	}
}

static void test_template_body(void **state)
{
	const char *params[] = { "Titolo", "Testo \"citato\"" };
	char *body = import_template_body("avviso_comune", "it", params, 2);
	json_t *j;

	(void)state;
	assert_non_null(body);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "template")), "avviso_comune");
	assert_string_equal(json_string_value(json_object_get(j, "language")), "it");
	assert_int_equal(json_array_size(json_object_get(j, "params")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "params"), 1)),
			    "Testo \"citato\"");
	json_decref(j);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_template_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
