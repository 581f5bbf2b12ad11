/*
 * whatsapp_payload.h - read what Meta posts to /webhooks/whatsapp.
 *
 * A webhook body holds entries, each with changes, each with a value that carries inbound
 * messages and/or status updates of messages we sent. This parser turns it into a flat,
 * bounded list of events and nothing else: it decides nothing and touches no storage, so
 * it can be fuzzed alone (tests/fuzz/fuzz_whatsapp_payload.c). The bodies Meta sends are
 * read in one pass over their bytes without a JSON tree, anything else by jansson; both
 * give the same result (whatsapp_payload_internal.h).
 */
#ifndef BANDITORE_WHATSAPP_PAYLOAD_H
#define BANDITORE_WHATSAPP_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define WA_PAYLOAD_MAX_EVENTS 1000 /* more in one body is refused as malformed */
#define WA_TEXT_MAX 4096           /* WhatsApp's own limit on a text body */
#define WA_REPLY_ID_MAX 256        /* a reply button's id, as the Cloud API limits it */

enum wa_event_kind {
	WA_EVENT_MESSAGE = 1, /* a citizen wrote to the comune */
	WA_EVENT_STATUS = 2,  /* sent / delivered / read / failed, for a message we sent */
};

struct wa_event {
	int kind;
	char from[24];        /* wa_id of the citizen (digits), for messages */
	char id[192];         /* the platform's message id (wamid...) */
	char type[24];        /* text, button, interactive, image, ... or the status */
	char text[WA_TEXT_MAX + 1]; /* text of a text/button/interactive message, else "" */
	char reply_id[WA_REPLY_ID_MAX + 1]; /* id of the reply button or list row the citizen
					     * chose (interactive button_reply/list_reply), else "" */
	int64_t timestamp;
	char biz_opaque[256]; /* echoed biz_opaque_callback_data, for statuses */
	int error_code;       /* first error code of a failed status, else 0 */
};

struct wa_payload {
	struct wa_event *events; /* owned */
	int count;
	int cap;
	int ignored;             /* changes of fields we do not handle */
};

/* Parses `len` bytes of JSON. BANDITORE_EINVAL for anything that is not a well-formed
 * WhatsApp Business Account webhook (object != "whatsapp_business_account", wrong types,
 * a message without id or sender). On success the caller frees with wa_payload_free. */
int wa_payload_parse(const char *body, size_t len, struct wa_payload *out);
void wa_payload_free(struct wa_payload *p); /* accepts a zeroed struct */

#endif
