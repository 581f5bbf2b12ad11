/*
 * lifecycle.c - a message's life before and around its broadcast: stored as a draft,
 * approved (which fixes its audience), cancelled; and how its state and progress are
 * named for people.
 *
 * Each operation reads and changes the message on one connection, inside the caller's
 * transaction, so that checking the state and changing it are one step: in the daemon
 * it runs as a writer job, serialised with the broadcast engine's own updates.
 */
#include "messages/messages.h"
#include "messages/messages_audience.h"

#include "common/err.h"
#include "common/platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIER_WINDOW 86400 /* the messaging tier counts unique recipients per rolling 24 h */

const char *messages_state_name(int state)
{
	switch (state) {
	case STORE_MSG_DRAFT: return "draft";
	case STORE_MSG_APPROVED: return "approved";
	case STORE_MSG_SCHEDULED: return "scheduled";
	case STORE_MSG_SENDING: return "sending";
	case STORE_MSG_SENT: return "sent";
	case STORE_MSG_PARTLY_FAILED: return "partly_failed";
	case STORE_MSG_CANCELLED: return "cancelled";
	case STORE_MSG_EXPIRED: return "expired";
	default: return "unknown";
	}
}

const char *messages_priority_name(int priority)
{
	return priority == STORE_PRIORITY_EMERGENCY ? "emergency" : "normal";
}

int messages_cancellable(int state)
{
	return state == STORE_MSG_DRAFT || state == STORE_MSG_APPROVED ||
	       state == STORE_MSG_SCHEDULED || state == STORE_MSG_SENDING;
}

void messages_progress(const struct store_message *m, struct messages_progress *out)
{
	int64_t queued = m->audience - m->sent - m->failed - m->unreachable;

	out->queued = queued > 0 ? queued : 0;
	out->sent = m->sent;
	out->delivered = m->delivered;
	out->read = m->read;
	out->failed = m->failed;
	out->unreachable = m->unreachable;
}

void messages_tier_check(int64_t limit, int64_t contacted, int64_t audience,
			 struct messages_tier *out)
{
	int64_t room;

	memset(out, 0, sizeof(*out));
	out->limit = limit > 0 ? limit : 0;
	out->now = audience;
	if (limit <= 0)
		return;
	room = limit - contacted;
	if (room < 0)
		room = 0;
	if (audience > room) {
		out->exceeded = 1;
		out->now = room;
		out->later = audience - room;
	}
}

int messages_create(struct store *st, const struct store_message *m, const char *created_by,
		    int64_t now, int64_t *id)
{
	struct store_message copy = *m; /* shallow: text stays the caller's */

	copy.id = 0;
	copy.state = STORE_MSG_DRAFT;
	copy.created_at = now;
	copy.approved_at = copy.started_at = copy.finished_at = 0;
	copy.audience_max_id = copy.audience = copy.cursor = 0;
	copy.sent = copy.delivered = copy.read = copy.failed = copy.unreachable = 0;
	snprintf(copy.created_by, sizeof(copy.created_by), "%s", created_by ? created_by : "");
	return store_message_add(st, &copy, id);
}

int messages_check_replaces(struct store *st, const struct store_message *m,
			    struct messages_error *err)
{
	struct store_message old = { 0 };
	int rc;

	if (m->replaces == 0)
		return 0;
	rc = store_message_get(st, m->replaces, &old);
	if (rc == BANDITORE_ENOTFOUND) {
		snprintf(err->field, sizeof(err->field), "replaces");
		snprintf(err->message, sizeof(err->message),
			 "il messaggio da sostituire (n. %lld) non esiste", (long long)m->replaces);
		snprintf(err->message_en, sizeof(err->message_en),
			 "the message to replace (no. %lld) does not exist", (long long)m->replaces);
		return BANDITORE_EINVAL;
	}
	if (rc)
		return rc;
	if (old.state != STORE_MSG_SENT && old.state != STORE_MSG_PARTLY_FAILED) {
		snprintf(err->field, sizeof(err->field), "replaces");
		snprintf(err->message, sizeof(err->message),
			 "si può sostituire solo un messaggio già inviato: il n. %lld non lo è",
			 (long long)m->replaces);
		snprintf(err->message_en, sizeof(err->message_en),
			 "only a message already sent can be replaced: no. %lld was not sent (%s)",
			 (long long)m->replaces, messages_state_name(old.state));
		rc = BANDITORE_EINVAL;
	}
	store_message_clear(&old);
	return rc;
}

int messages_keep_notes(struct store *st, int64_t id, const struct messages_notes *notes)
{
	char *json;
	int rc;

	if (!notes || (!notes->justification[0] && notes->n_overrides == 0))
		return store_message_set_notes(st, id, "");
	json = messages_notes_to_json(notes);
	if (!json)
		return BANDITORE_ENOMEM;
	rc = store_message_set_notes(st, id, json);
	free(json);
	return rc;
}

/* The policy again at approval, on the stored message with its stored notes: EPERM when
 * it refuses now; a later send time is stored as the draft's scheduled_at (and in *m). */
static int recheck(struct store *st, const struct messages_rules *rules, struct store_message *m,
		   int64_t now, struct policy_result *res_out)
{
	int64_t times[MESSAGES_HISTORY_MAX];
	struct policy_history h = { times, 0 };
	struct messages_notes notes;
	struct policy_result *res = res_out ? res_out : malloc(sizeof(*res));
	char *json = NULL;
	int rc;

	if (!res)
		return BANDITORE_ENOMEM;
	rc = store_message_get_notes(st, m->id, &json);
	if (!rc)
		rc = messages_notes_from_json(json, &notes);
	if (!rc)
		rc = messages_policy_history(st, times, MESSAGES_HISTORY_MAX, &h.n);
	if (!rc)
		rc = messages_policy_check(rules, m, &notes, &h, now, res);
	if (!rc && !res->allowed)
		rc = BANDITORE_EPERM;
	if (!rc && res->send_at > now + MESSAGES_PAST_TOLERANCE && res->send_at > m->scheduled_at) {
		m->scheduled_at = res->send_at;
		rc = store_message_update(st, m);
	}
	free(json);
	if (res != res_out)
		free(res);
	return rc;
}

int messages_send(struct store *st, int64_t id, int64_t now, const struct messages_rules *rules,
		  struct messages_approval *out)
{
	return messages_send_checked(st, id, now, rules, NULL, out);
}

int messages_send_checked(struct store *st, int64_t id, int64_t now,
			  const struct messages_rules *rules, struct policy_result *verdicts,
			  struct messages_approval *out)
{
	struct store_message m;
	int64_t max_id = 0, count = 0, contacted = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	rc = store_message_get(st, id, &m);
	if (rc)
		goto fail;
	if (m.state != STORE_MSG_DRAFT) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	if (m.expires_at && m.expires_at <= now) {
		rc = BANDITORE_EINVAL;
		goto fail;
	}
	if (rules && rules->policy) {
		rc = recheck(st, rules, &m, now, verdicts);
		if (rc)
			goto fail;
	}
	/* The audience: every WhatsApp subscriber there is now; those who join later have
	 * higher ids and are left out (store.h, audience_max_id). */
	rc = store_subscribers_extent(st, PLATFORM_WHATSAPP, &max_id, &count);
	if (!rc) {
		/* Among them, those its category and areas reach (messages_audience.h). */
		int64_t reach = -1;
		rc = messages_audience_fix(st, rules ? rules->policy : NULL, &m, &reach);
		if (!rc && reach >= 0)
			count = reach;
	}
	if (!rc)
		rc = store_message_approve(st, id, now, max_id, count);
	if (!rc && rules && rules->channel_posts)
		rc = store_channel_post_add(st, id, now);
	if (!rc && rules && rules->tier_limit > 0)
		rc = store_subscribers_contacted(st, PLATFORM_WHATSAPP, now - TIER_WINDOW, &contacted);
	if (rc)
		goto fail;
	out->state = m.scheduled_at > now ? STORE_MSG_SCHEDULED : STORE_MSG_APPROVED;
	out->audience = count;
	messages_tier_check(rules ? rules->tier_limit : 0, contacted, count, &out->tier);
fail:
	store_message_clear(&m);
	return rc;
}

/* Stops the other platforms of message `m`, which WhatsApp has finished: the lanes still
 * sending it, and a stopped row for each platform of `platforms` that has not begun it
 * yet (a lane busy with an earlier message would take it later: lane next skips a
 * stopped row). BANDITORE_ESTATE when nothing was left to stop. */
static int cancel_lanes(struct store *st, const struct store_message *m, int platforms,
			int64_t now)
{
	struct store_message_platform rows[PLATFORM_MAX];
	int n = 0, stopped = 0, rc;

	if (m->state != STORE_MSG_SENT && m->state != STORE_MSG_PARTLY_FAILED)
		return BANDITORE_ESTATE;
	rc = store_lane_list(st, m->id, rows, PLATFORM_MAX, &n);
	for (int i = 0; !rc && i < n; i++) {
		platforms &= ~(1 << rows[i].platform); /* it has a row: begun already */
		if (rows[i].state != STORE_LANE_SENDING)
			continue;
		rc = store_lane_progress(st, m->id, rows[i].platform, 0, 0, 0, STORE_LANE_STOPPED, now);
		stopped++;
	}
	for (int p = 1; !rc && p <= PLATFORM_MAX; p++) {
		if (p == PLATFORM_WHATSAPP || !(platforms & (1 << p)))
			continue;
		rc = store_lane_start(st, m->id, p, 0, 0, now);
		if (!rc)
			rc = store_lane_progress(st, m->id, p, 0, 0, 0, STORE_LANE_STOPPED, now);
		stopped++;
	}
	if (!rc && stopped == 0)
		rc = BANDITORE_ESTATE;
	return rc;
}

int messages_cancel(struct store *st, const struct messages_rules *rules, int64_t id,
		    int64_t now, int *before)
{
	struct store_message m;
	int rc;

	memset(&m, 0, sizeof(m));
	rc = store_message_get(st, id, &m);
	if (rc)
		goto fail;
	if (before)
		*before = m.state;
	if (!messages_cancellable(m.state)) {
		/* WhatsApp is done, but another platform's lane may still be sending: those
		 * lanes stop (delivery/lane.h) and the message keeps its state. */
		rc = cancel_lanes(st, &m, rules ? rules->platforms : 0, now);
		goto fail;
	}
	rc = store_message_transition(st, id, m.state, STORE_MSG_CANCELLED, now);
	if (!rc)
		rc = store_retry_clear(st, id);
fail:
	store_message_clear(&m);
	return rc;
}
