/* fuzz_whatsapp_answer.c - libFuzzer target: the scanner that reads a Cloud API answer's
 * message id without jansson (connectors/whatsapp_answer.c), checked against jansson on
 * the same bytes: every id it gives must be the one jansson reads at messages[0].id, and
 * whatsapp_parse_response must classify any bytes without crashing. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "connectors/whatsapp.h"
#include "connectors/whatsapp_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	char id[CONNECTOR_MESSAGE_ID_MAX];
	struct connector_result res;

	if (!body)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	if (whatsapp_answer_id(body, strlen(body), id, sizeof(id))) {
		json_t *root = json_loads(body, 0, NULL);
		const char *want = json_string_value(
			json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id"));
		if (!want || strcmp(want, id) != 0 || strlen(id) >= sizeof(id))
			__builtin_trap();
		json_decref(root);
	} else if (id[0] != '\0') {
		__builtin_trap(); /* nothing is left in the output when it is not sure */
	}
	(void)whatsapp_parse_response(200, body, &res);
	(void)whatsapp_parse_response(429, body, &res);
	free(body);
	return 0;
}
