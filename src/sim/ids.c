/* ids.c - made-up message, trace and media ids; recipients as wa_id. */
#include "sim/ids.h"

#include "common/crypto.h"
#include "common/e164.h"
#include "common/err.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sim_new_wamid(char out[SIM_WAMID_MAX])
{
	uint8_t raw[27]; /* 27 bytes: 36 base64 characters, no padding */
	size_t i, n;
	int rc;

	rc = crypto_random(raw, sizeof(raw));
	if (rc)
		return rc;
	n = (size_t)snprintf(out, SIM_WAMID_MAX, "wamid.HBgM");
	for (i = 0; i < sizeof(raw); i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
		out[n++] = b64[(v >> 18) & 63];
		out[n++] = b64[(v >> 12) & 63];
		out[n++] = b64[(v >> 6) & 63];
		out[n++] = b64[v & 63];
	}
	out[n] = '\0';
	return 0;
}

void sim_new_trace_id(char out[SIM_TRACE_MAX])
{
	uint8_t raw[23];
	size_t i;

	if (crypto_random(raw, sizeof(raw)) != 0)
		memset(raw, 0, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++)
		out[i] = b64url[raw[i] & 63];
	out[sizeof(raw)] = '\0';
}

void sim_new_media_id(char out[SIM_MEDIA_ID_MAX])
{
	uint8_t raw[16];
	size_t i;

	if (crypto_random(raw, sizeof(raw)) != 0)
		memset(raw, 0, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++)
		out[i] = (char)('0' + raw[i] % 10);
	if (out[0] == '0')
		out[0] = '1';
	out[sizeof(raw)] = '\0';
}

int sim_wa_id(const char *in, char out[SIM_TO_MAX])
{
	char e164[E164_MAX];
	int rc = e164_normalize(in, e164);
	if (rc)
		return rc;
	snprintf(out, SIM_TO_MAX, "%s", e164 + 1);
	return 0;
}

const char *sim_tail(const char *wa_id)
{
	size_t n = strlen(wa_id);
	return n > 2 ? wa_id + n - 2 : "";
}
