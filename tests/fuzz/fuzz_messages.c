/* fuzz_messages.c - libFuzzer target: a message sent to the API as JSON (any bytes), and
 * the RFC 3339 parser on the same bytes as a string. Whatever is accepted must satisfy
 * the limits the rest of Banditore relies on. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "messages/messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_message m;
	struct messages_error err;
	char *s;
	int64_t t;

	if (messages_parse_json((const char *)data, size, NULL, 1780000000, &m, &err) == 0) {
		size_t len = strlen(m.text);
		if (len == 0 || len > STORE_TEXT_MAX || strlen(m.title) > STORE_TITLE_MAX ||
		    strlen(m.category) == 0 || strlen(m.link) > STORE_LINK_MAX ||
		    m.state != STORE_MSG_DRAFT ||
		    (m.expires_at && m.expires_at <= 1780000000))
			__builtin_trap();
		store_message_clear(&m);
	} else if (strlen(err.field) >= sizeof(err.field) || !err.message[0] || !err.message_en[0]) {
		__builtin_trap();
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (messages_time_parse(s, &t) == 0 && t < 0)
		__builtin_trap();
	free(s);
	return 0;
}
