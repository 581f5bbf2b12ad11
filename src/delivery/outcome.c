/* outcome.c - from the connector's answer to a broadcast's action; see outcome.h. */
#include "delivery/outcome.h"

/*
 * Permanent errors that belong to the channel, not to the citizen: the Graph API codes
 * (see the table in connectors/whatsapp_message.c) for credentials, permissions, the
 * request or the template, and the business account's own state. Any other permanent
 * error is the recipient's.
 */
static int channel_code(int code)
{
	static const int codes[] = {
		0,      /* authentication */
		3,      /* capability */
		10,     /* permission denied */
		100,    /* invalid parameter: our request is wrong for everyone */
		190,    /* access token expired */
		368,    /* temporarily blocked for policy violations */
		131008, /* required parameter missing */
		131009, /* parameter value not valid */
		131031, /* business account locked */
		131051, /* unsupported message type */
		132000, /* template parameter count mismatch */
		132001, /* template does not exist */
		132005, /* template text too long */
		132007, /* template format policy */
		132012, /* template parameter format */
		132015, /* template paused */
		132016, /* template disabled */
	};

	if (code >= 200 && code <= 299)
		return 1; /* API permission */
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

int outcome_of(const struct connector_result *res)
{
	switch (res->outcome) {
	case CONNECTOR_OK:
		return OUTCOME_SENT;
	case CONNECTOR_RETRY:
		return OUTCOME_RETRY;
	default:
		break;
	}
	if (res->error_code == 0) {
		/* No Graph API code: a refused request (401, 403) is the channel's; anything
		 * else the connector could not classify stays the recipient's. */
		if (res->http_status == 401 || res->http_status == 403)
			return OUTCOME_HALT;
		return OUTCOME_FAILED;
	}
	return channel_code(res->error_code) ? OUTCOME_HALT : OUTCOME_FAILED;
}

const char *outcome_name(int action)
{
	switch (action) {
	case OUTCOME_SENT: return "sent";
	case OUTCOME_RETRY: return "retry";
	case OUTCOME_FAILED: return "failed";
	case OUTCOME_HALT: return "halt";
	default: return "unknown";
	}
}

int64_t outcome_backoff(int attempts, int retry_after, uint32_t random)
{
	int64_t d = OUTCOME_BACKOFF_BASE;

	for (int i = 1; i < attempts && d < OUTCOME_BACKOFF_MAX; i++)
		d *= 2;
	if (d > OUTCOME_BACKOFF_MAX)
		d = OUTCOME_BACKOFF_MAX;
	d += (int64_t)(random % (uint32_t)(d / 2 + 1)); /* so that retries do not come together */
	if (retry_after > d)
		d = retry_after;
	return d;
}

int64_t outcome_hold(int halts)
{
	int64_t d = OUTCOME_HOLD_BASE;

	for (int i = 1; i < halts && d < OUTCOME_HOLD_MAX; i++)
		d *= 2;
	return d > OUTCOME_HOLD_MAX ? OUTCOME_HOLD_MAX : d;
}
