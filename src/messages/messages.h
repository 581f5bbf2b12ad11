/*
 * messages.h - what the comune publishes: composing a message and moving it through
 * its lifecycle (draft → approved/scheduled → ... → cancelled), before the broadcast
 * engine (delivery/) takes it.
 *
 * Composition is pure: messages_compose checks every field of a message typed by a
 * person (on the command line, or sent as JSON to the API through messages_parse_json)
 * and says which field is wrong and why, in Italian and in English. The same checks run
 * whichever way a message arrives.
 *
 * The lifecycle operations work on one store connection inside the caller's transaction
 * (a writer job in the daemon, a plain transaction in the CLI); they log nothing.
 */
#ifndef BANDITORE_MESSAGES_H
#define BANDITORE_MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "media/media.h"
#include "policy/policy.h"
#include "store/store.h"

#define MESSAGES_FIELD_MAX 32
#define MESSAGES_REASON_MAX 256
#define MESSAGES_PAST_TOLERANCE 60 /* seconds: a scheduled_at older than this is refused */
#define MESSAGES_TIME_MAX 32       /* an RFC 3339 time as formatted here, with NUL */

/* Why a message was refused. `field` names the field ("" when the body as a whole is
 * not a JSON object); `message` says why in Italian, `message_en` in English. */
struct messages_error {
	char field[MESSAGES_FIELD_MAX];
	char message[MESSAGES_REASON_MAX];
	char message_en[MESSAGES_REASON_MAX];
};

/* What the comune's configuration says about messages: messages_rules_from_config is
 * the one place that reads it. With a policy that has categories, composition leaves the
 * category's membership to the policy's verdict (category.unknown). */
struct messages_rules {
	const char *const *categories; /* borrowed; with none, any well-formed category */
	int n_categories;
	int64_t tier_limit;            /* unique recipients per rolling 24 h; 0: unknown */
	const struct policy *policy;   /* borrowed (the configuration's); NULL: no policy */
	const char *data_dir;          /* attachments are DATA/media/<sha256> (media.h); NULL:
					* a message's attachment is refused (JSON) or not re-read */
	int channel_posts;             /* a WhatsApp Channel posted by hand: each approval
					* makes a posting task (store_channel_post_add) */
	int platforms;                 /* the channel's platforms, bit (1 << PLATFORM_x) */
};

void messages_rules_from_config(const struct config *cfg, struct messages_rules *out);

/* A message as typed: every string borrowed, NULL when absent. */
struct messages_input {
	const char *title;        /* optional, at most STORE_TITLE_MAX bytes, one line */
	const char *text;         /* required, 1..STORE_TEXT_MAX bytes of UTF-8 */
	const char *category;     /* required, [a-z0-9-], at most STORE_CATEGORY_MAX */
	const char *link;         /* optional http:// or https:// URL, at most STORE_LINK_MAX */
	const char *priority;     /* "normal" (default) or "emergency" */
	const char *scheduled_at; /* optional RFC 3339 time, not in the past */
	const char *expires_at;   /* optional RFC 3339 time, after scheduled_at and now */
	int has_attachment;       /* an attachment without `attachment`: refused */
	/* A stored attachment (media_intake, media_lookup), borrowed. Broadcasts are
	 * templates: audio cannot be a template's header, so audio is refused here. */
	const struct media_info *attachment;
};

/* Checks `in` against `rules` (may be NULL: no configured rules) at time `now` and
 * fills *out as a new DRAFT (out->text allocated: release with store_message_clear;
 * ids, audience and counters 0). Returns 0; BANDITORE_EINVAL with *err filled and *out
 * cleared; BANDITORE_ENOMEM. */
int messages_compose(const struct messages_input *in, const struct messages_rules *rules,
		     int64_t now, struct store_message *out, struct messages_error *err);

/* The same from a JSON object with the fields of struct messages_input (strings, or
 * null for absent) and "attachment". Unknown fields, duplicate keys and wrong types are
 * refused. BANDITORE_EINVAL with err->field "" when `body` is not a JSON object. */
int messages_parse_json(const char *body, size_t len, const struct messages_rules *rules,
			int64_t now, struct store_message *out, struct messages_error *err);

/* --- the comune's policy on a composed message (messages_policy.c) --- */

#define MESSAGES_OVERRIDES_MAX 16
#define MESSAGES_JUSTIFICATION_MAX 1000 /* bytes */
#define MESSAGES_OVERRIDE_REASON_MAX 500 /* bytes */

/* What the editor tells the policy besides the message: why it is indispensable during
 * an electoral period, and which warnings are overridden and why. Stored with the
 * message (the reasons are the record the policy asks for). */
struct messages_override {
	char rule[POLICY_RULE_MAX];
	char reason[MESSAGES_OVERRIDE_REASON_MAX + 1];
};
struct messages_notes {
	char justification[MESSAGES_JUSTIFICATION_MAX + 1];
	struct messages_override overrides[MESSAGES_OVERRIDES_MAX];
	int n_overrides;
};

/* messages_parse_json that also fills *notes (may be NULL: they are checked and
 * dropped) from "justification" (string) and "overrides" ([{"rule", "reason"}]). */
int messages_parse_json_notes(const char *body, size_t len, const struct messages_rules *rules,
			      int64_t now, struct store_message *out, struct messages_notes *notes,
			      struct messages_error *err);

/* Runs rules->policy on `m` with `notes` (may be NULL) and the channel's `history` (may
 * be NULL) at `now`, into *out (large: allocate it). Without a policy: allowed, no
 * verdicts. send_at is at least m->scheduled_at and now. Returns 0 or BANDITORE_EINVAL. */
int messages_policy_check(const struct messages_rules *rules, const struct store_message *m,
			  const struct messages_notes *notes, const struct policy_history *history,
			  int64_t now, struct policy_result *out);

/* The verdicts as JSON objects {"level", "rule", "source", "reason", "reason_en",
 * "field", "start", "length", "overridden"}: a new array (NULL when out of memory). The
 * result's JSON adds "allowed" and "send_at" (RFC 3339 UTC): a new object. Returned as
 * void * to keep jansson out of this header: they are json_t *. */
void *messages_verdicts_json(const struct policy_result *r);
void *messages_policy_json(const struct policy_result *r);

#define MESSAGES_HISTORY_MAX 256

/* The send times of the channel's recent normal messages (approved, scheduled, sending
 * or sent; drafts, cancelled and expired ones do not count) from the newest
 * MESSAGES_HISTORY_MAX messages, into times[] (cap entries), *n of them. */
int messages_policy_history(struct store *st, int64_t *times, int cap, int *n);

/* What a message that may go out takes from the check: a later send time (the next
 * opening of service hours) becomes its scheduled_at, and the disclaimer is appended to
 * its text (after a blank line) when it fits. 0, or BANDITORE_ENOMEM. */
int messages_policy_apply(const struct policy_result *r, struct store_message *m, int64_t now);

/* The notes as one JSON text to store with the message (caller frees), and back
 * (an empty or NULL text gives empty notes). */
char *messages_notes_to_json(const struct messages_notes *notes);
int messages_notes_from_json(const char *text, struct messages_notes *out);

/* RFC 3339 date-time ("2026-12-01T09:00:00+01:00", "...Z", optional fraction, which is
 * dropped) into Unix seconds. BANDITORE_EINVAL for anything else, or before 1970. */
int messages_time_parse(const char *s, int64_t *out);
/* Unix seconds as RFC 3339 in UTC ("2026-12-01T08:00:00Z"). */
void messages_time_format(int64_t t, char out[MESSAGES_TIME_MAX]);

/* "draft", "approved", "scheduled", "sending", "sent", "partly_failed", "cancelled",
 * "expired"; "unknown" otherwise. */
const char *messages_state_name(int state);
const char *messages_priority_name(int priority); /* "normal", "emergency" */

/* 1 when a message in `state` can still be cancelled (draft, approved, scheduled, sending). */
int messages_cancellable(int state);

/* Progress of a broadcast as shown to people: queued is audience - sent - failed -
 * unreachable, never negative. */
struct messages_progress {
	int64_t queued, sent, delivered, read, failed, unreachable;
};
void messages_progress(const struct store_message *m, struct messages_progress *out);

/* The messaging tier (unique recipients per rolling 24 h): when the audience does not
 * fit in what is left of the window, `exceeded` is 1, `now` is how many can go out in
 * this window and `later` how many wait for the next ones. `contacted` may count some
 * of the audience already (they do not count twice), so this errs on the side of
 * warning. limit <= 0: no tier known, never exceeded. */
struct messages_tier {
	int exceeded;
	int64_t limit, now, later;
};
void messages_tier_check(int64_t limit, int64_t contacted, int64_t audience,
			 struct messages_tier *out);

/* --- the lifecycle, on a store connection inside the caller's transaction --- */

/* Stores `m` (from messages_compose) as a DRAFT created by `created_by` (an API token's
 * name, or "cli") at `now`; *id gets its id. */
int messages_create(struct store *st, const struct store_message *m, const char *created_by,
		    int64_t now, int64_t *id);
/* Whether m->replaces (0: none) names a message that may be replaced: one that was sent
 * (SENT or PARTLY_FAILED; the deployment has one channel, so it is the same channel).
 * 0; BANDITORE_EINVAL with *err (field "replaces", Italian and English) when there is
 * no such message or it was not sent; another code when the store fails. */
int messages_check_replaces(struct store *st, const struct store_message *m,
			    struct messages_error *err);
/* Keeps `notes` (may be NULL: none) with message `id`, as messages_notes_to_json
 * writes them. ENOTFOUND; ENOMEM. */
int messages_keep_notes(struct store *st, int64_t id, const struct messages_notes *notes);

/* What approving a message did. */
struct messages_approval {
	int state;              /* STORE_MSG_APPROVED or STORE_MSG_SCHEDULED */
	int64_t audience;       /* WhatsApp subscribers at approval */
	struct messages_tier tier;
};

/* Approves draft `id` at `now`: its audience is every WhatsApp subscriber there is now.
 * When rules->policy is set, the comune's policy is checked again first, with the notes
 * stored with the message and what the channel sent lately (an electoral period may have
 * begun, the day's quota may be used up since the draft was written): BANDITORE_EPERM
 * when it now refuses the message (nothing changes); a later send time (service hours)
 * becomes the message's scheduled_at. ENOTFOUND; BANDITORE_ESTATE when it is not a
 * draft; BANDITORE_EINVAL when its expires_at has passed (nothing changes). `rules` may
 * be NULL. */
int messages_send(struct store *st, int64_t id, int64_t now, const struct messages_rules *rules,
		  struct messages_approval *out);
/* The same, with the policy's verdicts at approval written to *verdicts (large: allocate
 * it; may be NULL), so that a refusal can be shown. */
int messages_send_checked(struct store *st, int64_t id, int64_t now,
			  const struct messages_rules *rules, struct policy_result *verdicts,
			  struct messages_approval *out);

/* Cancels `id` at `now` (from draft, approved, scheduled or sending) and forgets its
 * retries; *before (may be NULL) gets the state it was in. A message WhatsApp has
 * finished (sent, partly failed) keeps its state, and its other platforms stop: the
 * lanes still sending it, and those of rules->platforms (may be NULL: none) that have not
 * begun it yet, which then never do (store_lane_*, delivery/lane.h). ENOTFOUND;
 * BANDITORE_ESTATE when it is finished everywhere already. */
int messages_cancel(struct store *st, const struct messages_rules *rules, int64_t id,
		    int64_t now, int *before);

#endif
