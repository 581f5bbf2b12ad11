/*
 * api_platforms.c - a message's progress on each platform of the channel, for the API's
 * "platforms" array and the console's rows: WhatsApp's from the message's own counters
 * (the broadcast engine keeps them), the others' from their lanes (delivery/lane.h,
 * store_lane_*), in the same shape:
 *
 *   {"platform": "telegram", "state": "waiting|sending|sent|partly-failed|stopped",
 *    "total": N, "sent": N, "failed": N}
 *
 * A platform of the channel whose lane has not started yet is "waiting" with zeros.
 */
#include "http/api_internal.h"

#include "common/platform.h"
#include "http/server.h"

static const char *lane_state_name(int state)
{
	switch (state) {
	case STORE_LANE_SENDING: return "sending";
	case STORE_LANE_SENT: return "sent";
	case STORE_LANE_PARTLY_FAILED: return "partly-failed";
	case STORE_LANE_STOPPED: return "stopped";
	default: return "waiting";
	}
}

static const char *whatsapp_state_name(int state)
{
	switch (state) {
	case STORE_MSG_SENDING: return "sending";
	case STORE_MSG_SENT: return "sent";
	case STORE_MSG_PARTLY_FAILED: return "partly-failed";
	case STORE_MSG_CANCELLED:
	case STORE_MSG_EXPIRED: return "stopped";
	default: return "waiting";
	}
}

static json_t *entry(int platform, const char *state, int64_t total, int64_t sent,
		     int64_t failed)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:I}", "platform", platform_name(platform), "state",
			 state, "total", (json_int_t)total, "sent", (json_int_t)sent, "failed",
			 (json_int_t)failed);
}

json_t *api_render_platforms(struct store *st, const struct config *cfg,
			     const struct store_message *m)
{
	struct store_message_platform rows[PLATFORM_MAX];
	int n = 0, platforms = cfg ? cfg->platforms : (1 << PLATFORM_WHATSAPP);
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (store_lane_list(st, m->id, rows, PLATFORM_MAX, &n))
		n = 0;
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		json_t *e = NULL;
		int found = -1;

		for (int i = 0; i < n; i++)
			if (rows[i].platform == p)
				found = i;
		if (p == PLATFORM_WHATSAPP) {
			if (!(platforms & (1 << p)))
				continue;
			e = entry(p, whatsapp_state_name(m->state), m->audience, m->sent,
				  m->failed + m->unreachable);
		} else if (found >= 0) {
			e = entry(p, lane_state_name(rows[found].state), rows[found].total,
				  rows[found].sent, rows[found].failed);
		} else if (platforms & (1 << p)) {
			e = entry(p, "waiting", 0, 0, 0);
		} else {
			continue;
		}
		if (!e || json_array_append_new(a, e)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
