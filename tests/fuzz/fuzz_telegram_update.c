/* fuzz_telegram_update.c - libFuzzer target: the Telegram Update parser on arbitrary bytes
 * (invalid UTF-8, embedded NULs, huge numbers, deep nesting), checking that every string
 * it hands out is bounded and terminated and that ignored updates carry no chat. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/telegram_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tg_update u;

	if (tg_update_parse((const char *)data, size, &u) == 0) {
		if (strlen(u.payload) > TG_PAYLOAD_MAX ||
		    strlen(u.callback_data) > TG_CALLBACK_DATA_MAX ||
		    strlen(u.callback_id) > TG_CALLBACK_ID_MAX || strlen(u.text) > TG_TEXT_MAX * 4)
			__builtin_trap();
		if (u.update_id < 0 || u.update_id > TG_ID_MAX)
			__builtin_trap();
		if ((u.kind == TG_UPDATE_OTHER) != (u.chat_id == 0))
			__builtin_trap();
		if (u.chat_id < 0 || u.chat_id > TG_ID_MAX)
			__builtin_trap();
		if (u.payload[0] &&
		    strspn(u.payload, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			    strlen(u.payload))
			__builtin_trap();
	}
	return 0;
}
