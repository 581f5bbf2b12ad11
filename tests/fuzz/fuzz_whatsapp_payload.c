/* fuzz_whatsapp_payload.c - libFuzzer target: the WhatsApp webhook body parser and the
 * signature check, on arbitrary bytes (invalid UTF-8, deep nesting, huge arrays).
 *
 * Differential: whenever the one-pass scanner (inbound/whatsapp_payload_scan.c) says it
 * read a body, jansson's reader must accept the same bytes and give the same events,
 * field by field; when the scanner is not certain it must leave nothing behind. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/webhook_whatsapp.h"
#include "inbound/whatsapp_payload.h"
#include "inbound/whatsapp_payload_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_event(const struct wa_event *a, const struct wa_event *b)
{
	return a->kind == b->kind && !strcmp(a->from, b->from) && !strcmp(a->id, b->id) &&
	       !strcmp(a->type, b->type) && !strcmp(a->text, b->text) &&
	       !strcmp(a->reply_id, b->reply_id) && a->timestamp == b->timestamp &&
	       !strcmp(a->biz_opaque, b->biz_opaque) && a->error_code == b->error_code;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct wa_payload fast, tree, p;

	if (wa_payload_scan(body, size, &fast)) {
		if (wa_payload_parse_tree(body, size, &tree) != 0 || tree.count != fast.count ||
		    tree.ignored != fast.ignored)
			__builtin_trap();
		for (int i = 0; i < fast.count; i++)
			if (!same_event(&fast.events[i], &tree.events[i]))
				__builtin_trap();
		wa_payload_free(&tree);
		wa_payload_free(&fast);
	} else if (fast.events || fast.count || fast.ignored) {
		__builtin_trap();
	}
	if (wa_payload_parse(body, size, &p) == 0) {
		for (int i = 0; i < p.count; i++) {
			/* every string the parser hands out is bounded and terminated */
			if (strlen(p.events[i].text) > WA_TEXT_MAX || strlen(p.events[i].from) >= sizeof(p.events[i].from))
				__builtin_trap();
		}
		wa_payload_free(&p);
	}
	(void)webhook_whatsapp_verify_signature("secret", (const char *)"sha256=00", body, size);
	return 0;
}
