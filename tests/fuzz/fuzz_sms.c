/* fuzz_sms.c - libFuzzer target: what the SMS connector and the list import read from
 * outside. The first byte picks the parser: 0 counts and fits a text (the result must be
 * valid UTF-8 within its budget of parts), 1 reads a gateway's answer and a JSON field,
 * 2 reads an import CSV (every valid row an E.164 number, every problem on a real line). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/sms.h"
#include "subscribers/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void text(const char *s, size_t len, int mode)
{
	struct sms_count c, again;
	char *out = NULL;
	int cut = 0;

	if (sms_text_count(s, len, &c) != 0 || strlen(s) != len)
		return;
	if (sms_text_fit(s, mode & 1, 1 + (mode >> 1) % 10, (mode & 4) ? "https://comune.example.org/a/1" : NULL,
			 &out, &c, &cut) != 0)
		return;
	if (sms_text_count(out, strlen(out), &again) != 0 || again.segments != c.segments)
		__builtin_trap();
	if (c.segments > ((mode & 1) ? 1 : 1 + (mode >> 1) % 10) && len > 0)
		__builtin_trap();
	if (!cut && strcmp(out, s))
		__builtin_trap();
	free(out);
}

static void answer(const char *s, size_t len, int mode)
{
	struct sms_settings ss;
	struct connector_result res;
	char v[64];

	memset(&ss, 0, sizeof(ss));
	ss.success_statuses = (mode & 1) ? "200,202" : "2xx";
	ss.status_field = (mode & 2) ? "/result/0/status" : "status";
	ss.status_ok = "OK, 0";
	ss.id_field = (mode & 4) ? "/id" : "id";
	sms_parse_answer(&ss, 200 + (mode & 7), s, &res);
	if (res.outcome != CONNECTOR_OK && res.outcome != CONNECTOR_RETRY && res.outcome != CONNECTOR_FAIL)
		__builtin_trap();
	if (strnlen(res.message_id, sizeof(res.message_id)) == sizeof(res.message_id))
		__builtin_trap();
	if (sms_json_field(s, len, "/a~1b/0", v, sizeof(v)) == 0 && strnlen(v, sizeof(v)) == sizeof(v))
		__builtin_trap();
}

static void csv(const char *s, size_t len)
{
	struct import_result r;
	int lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += s[i] == '\n';
	if (import_csv_parse(s, len, 1767225600, &r) != 0)
		return;
	for (int i = 0; i < r.n_rows; i++)
		if (r.rows[i].number[0] != '+' || r.rows[i].line < 2 || r.rows[i].line > lines)
			__builtin_trap();
	for (int i = 0; i < r.n_errors; i++)
		if (r.errors[i].line < 0 || r.errors[i].line > lines || (i && r.errors[i].line < r.errors[i - 1].line))
			__builtin_trap();
	import_result_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 2 || size > 65536)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 2, size - 2);
	s[size - 2] = '\0';
	switch (data[0] % 3) {
	case 0: text(s, size - 2, data[1]); break;
	case 1: answer(s, size - 2, data[1]); break;
	default: csv(s, size - 2); break;
	}
	free(s);
	return 0;
}
