/* fuzz_whatsapp_payload.c - libFuzzer target: the WhatsApp webhook body parser and the
 * signature check, on arbitrary bytes (invalid UTF-8, deep nesting, huge arrays). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/webhook_whatsapp.h"
#include "inbound/whatsapp_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_payload p;

	if (wa_payload_parse((const char *)data, size, &p) == 0) {
		for (int i = 0; i < p.count; i++) {
			/* every string the parser hands out is bounded and terminated */
			if (strlen(p.events[i].text) > WA_TEXT_MAX || strlen(p.events[i].from) >= sizeof(p.events[i].from))
				__builtin_trap();
		}
		wa_payload_free(&p);
	}
	(void)webhook_whatsapp_verify_signature("secret", (const char *)"sha256=00", (const char *)data, size);
	return 0;
}
