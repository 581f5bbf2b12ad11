/*
 * lane.h - one message, every platform: a thread per configured platform other than
 * WhatsApp that takes each message the broadcast engine has started to that platform's
 * subscribers.
 *
 * The WhatsApp engine (broadcast.h) stays the one that decides when a message goes out:
 * approval, schedule, service hours, emergencies first, cancel and expiry. A lane takes a
 * message once the engine has started it (SENDING, SENT or PARTLY_FAILED, started within
 * the last LANE_CATCHUP_DEFAULT seconds; a lane already under way is resumed however old),
 * emergencies first, and then works alone:
 *
 *   - its audience is fixed when it starts (the platform's subscribers with id <= the
 *     highest id then), its row in message_platforms (store.h, store_lane_*) holds its
 *     state, durable cursor and counts, written through the writer after every page;
 *     after a restart it resumes from its cursor (a crash repeats at most one page);
 *   - it renders the message once with the platform's connector_ops (connector.h: what
 *     the console previews is what goes out) and walks the subscribers in pages, paced
 *     at the platform's rate (Telegram [telegram] messages_per_second, about 30/s, SMS
 *     [sms] messages_per_second; e-mail over [email] connections SMTP connections kept
 *     open; push over LANE_PUSH_PARALLEL requests in flight);
 *   - a temporary refusal is retried within the page with backoff (retry_base_ms,
 *     doubling) up to attempts_max sends, and a 429's retry_after pauses the whole lane
 *     that long (flood control is the bot's, not the recipient's); then the recipient
 *     counts failed. A platform down or slow holds up only its own lane;
 *   - between pages it re-reads the message: CANCELLED or EXPIRED (or expires_at
 *     passed) stop the lane (state STOPPED), and an emergency waiting for this lane
 *     preempts a routine message, which resumes afterwards from its cursor;
 *   - recipients the platform says are gone are erased at once, in the page's writer
 *     job (Telegram: blocked or deleted, TELEGRAM_ERROR_GONE; push: 404/410); other
 *     permanent failures count against the subscriber (store_subscriber_failed), and
 *     e-mail subscribers past [email] unreachable_after are skipped;
 *   - Telegram in channel mode posts once to the comune's channel and walks nobody.
 *
 * Nothing personal is logged: platform, message id and counts only.
 */
#ifndef BANDITORE_LANE_H
#define BANDITORE_LANE_H

#include <stdint.h>

#include "common/keyfile.h"
#include "config/config.h"
#include "daemon/writer.h"

#define LANE_CATCHUP_DEFAULT 86400   /* seconds: older started messages are not begun */
#define LANE_ATTEMPTS_DEFAULT 4      /* sends of one recipient before it counts failed */
#define LANE_RETRY_BASE_MS_DEFAULT 1000
#define LANE_PUSH_PARALLEL 16        /* push requests in flight at once */
#define LANE_TELEGRAM_PARALLEL 8     /* Telegram requests in flight at once (paced) */
#define LANE_FLOOD_WAIT_MAX 60       /* seconds: the longest pause a 429 imposes here */

struct lanes;

struct lane_settings {
	const char *store_url;           /* each lane opens its own read connection */
	const struct keyfile_keys *keys; /* borrowed: opens the sealed addresses */
	struct writer *writer;           /* borrowed: every write goes through it */
	const struct config *cfg;        /* borrowed: platforms, connectors, public_url */
	int attempts_max;                /* <= 0: LANE_ATTEMPTS_DEFAULT */
	int retry_base_ms;               /* <= 0: LANE_RETRY_BASE_MS_DEFAULT */
	int page_size;                   /* <= 0: the platform's own (about 2 s of sends) */
	int push_flags;                  /* WEBPUSH_ALLOW_INSECURE in tests (from cfg too) */
};

/* Counters of one platform's lane since start, for statistics and tests. */
struct lane_stats {
	uint64_t sent, failed, gone, retried, pages, messages_finished;
	int64_t current; /* the message being sent, 0 when idle */
};

/* Starts one lane per platform of cfg->platforms other than WhatsApp whose connector
 * can be built (a platform whose settings are missing is logged and left out). Zero
 * lanes is fine (*out is then a set with none). Returns 0 or BANDITORE_ENOMEM/ESTORE. */
int lanes_start(const struct lane_settings *ls, struct lanes **out);
/* Looks for work now. Safe from any thread; accepts NULL. */
void lanes_wake(void *lanes);
/* The stats of `platform`'s lane; BANDITORE_ENOTFOUND when it has none. */
int lanes_stats(struct lanes *l, int platform, struct lane_stats *out);
/* Stops every lane (sends in flight are abandoned: their page is sent again after a
 * restart) and joins the threads. The writer must still be running. Accepts NULL. */
void lanes_stop(struct lanes *l);

#endif
