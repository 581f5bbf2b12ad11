/*
 * whatsapp_answer.c - messages[0].id of a Cloud API answer by one pass over its bytes
 * (see whatsapp_answer.h), with common/json_scan. Each callback returns 0 when it read
 * its value, JSON_SCAN_SKIP to leave it to the scanner and -1 when the answer is not
 * certain; -1 anywhere sends the caller to jansson.
 */
#include "connectors/whatsapp_answer.h"

#include "common/json_scan.h"

#include <string.h>

#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._=+/-"

struct found {
	char *out;
	size_t cap;
	int have;
	int messages; /* "messages" keys seen at the root */
	int ids;      /* "id" keys seen in messages[0] */
};

/* A member of messages[0]: its "id" (once, a plain string of id characters) is kept. */
static int message_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct found *f = arg;
	struct json_scan_str id;
	size_t n;

	if (!json_scan_is(key, "id"))
		return JSON_SCAN_SKIP;
	if (f->ids++ || json_scan_string(s, &id) != 0 || !id.plain)
		return -1;
	n = (size_t)(id.e - id.b);
	if (n == 0 || n >= f->cap || strspn(id.b, ID_CHARS) < n)
		return -1;
	memcpy(f->out, id.b, n);
	f->out[n] = '\0';
	f->have = 1;
	return 0;
}

/* messages[0] must be an object (anything else: jansson says what it means). */
static int first_message(struct json_scan *s, int index, void *arg)
{
	return index == 0 ? json_scan_object(s, message_member, arg) : JSON_SCAN_SKIP;
}

static int root_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct found *f = arg;

	if (!json_scan_is(key, "messages"))
		return JSON_SCAN_SKIP;
	return f->messages++ ? -1 : json_scan_array(s, first_message, f);
}

int whatsapp_answer_id(const char *body, size_t len, char *out, size_t cap)
{
	struct json_scan s;
	struct found f = { out, cap, 0, 0, 0 };

	if (!body || !out || cap == 0)
		return 0;
	out[0] = '\0';
	/* printable ASCII only, duplicates let through: the rules this scanner was
	 * fuzzed against jansson with */
	json_scan_init(&s, body, len, WA_ANSWER_DEPTH_MAX, 0);
	if (json_scan_object(&s, root_member, &f) != 0 || json_scan_end(&s) != 0 || !f.have) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}
