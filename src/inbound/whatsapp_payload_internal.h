/*
 * whatsapp_payload_internal.h - the two readers behind wa_payload_parse and what they
 * share, for whatsapp_payload*.c and the tests that hold them side by side
 * (tests/unit/test_whatsapp_payload.c, tests/fuzz/fuzz_whatsapp_payload.c). Nothing else
 * includes it.
 *
 * wa_payload_parse tries the scanner first (one pass over the bytes, no tree) and hands
 * the body to jansson whenever the scanner is not certain; both fill the same struct
 * wa_payload with the same events.
 */
#ifndef BANDITORE_WHATSAPP_PAYLOAD_INTERNAL_H
#define BANDITORE_WHATSAPP_PAYLOAD_INTERNAL_H

#include "inbound/whatsapp_payload.h"

/* Nesting the scanner follows (jansson's own limit is 2048): Meta's bodies reach 11. */
#define WA_PAYLOAD_SCAN_DEPTH_MAX 16

/* 1 when the scanner read the whole body with certainty into *out (free it with
 * wa_payload_free), 0 when it is not certain: *out is then empty, and jansson decides. */
int wa_payload_scan(const char *body, size_t len, struct wa_payload *out);

/* The jansson reader alone: wa_payload_parse's contract. */
int wa_payload_parse_tree(const char *body, size_t len, struct wa_payload *out);

/* A new zeroed event at the end of p, or NULL past WA_PAYLOAD_MAX_EVENTS or without
 * memory. */
struct wa_event *wa_payload_push(struct wa_payload *p);

/* What a message's "from" must be: one or more ASCII digits. */
int wa_payload_all_digits(const char *s);

/* A timestamp given as a string: its number when the whole string is one, else 0. */
int64_t wa_payload_ts_text(const char *s);

#endif
