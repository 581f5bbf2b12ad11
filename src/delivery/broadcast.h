/*
 * broadcast.h - the thread that takes an approved message to every subscriber.
 *
 * It works on one message at a time, the one store_message_next() names (emergencies
 * first). Starting costs constant work: the message goes to SENDING (one write) and the
 * subscribers are then read in id order just ahead of their turn (about 200 ms of sends
 * at a time, at most page_size), up to the audience fixed at approval: those who join
 * later are left out, and those who leave before their turn are no longer there when it
 * comes. Each recipient gets the channel's template (broadcast_message.h) carrying
 * "m=<id>", so that status webhooks count for the message. Many sends are in flight at
 * once (wa_multi.h) at the number's pace (ratelimit.h, shared with the reply sender).
 *
 * Progress is durable in checkpoints: once every send of a stretch of recipients is
 * settled, one writer job moves the message's cursor past them and records, together,
 * the counts, the subscribers who were sent it, those who failed and the sends to retry.
 * Nothing is sent more than the window (page_size, 1000) beyond the durable cursor, so a
 * crash (kill -9) repeats at most that many sends and loses none; the window is logged
 * when a broadcast starts or resumes (window=N) and given in broadcast_stats. A send
 * unanswered after a second is settled meanwhile as a retry (parked), so that a provider
 * holding a few requests does not hold the cursor, and with it everything else.
 *
 * After the walk, due retries are sent (outcome.h: backoff with jitter, Retry-After
 * honoured, at most OUTCOME_ATTEMPTS_MAX sends) until none is left, and the message ends
 * SENT, or PARTLY_FAILED when some recipients could not be reached. A failure of the
 * channel itself (token, template, permissions) holds the broadcast instead, with the
 * send kept for later, and resumes after a wait (outcome_hold). Every 50 ms it looks
 * again: an emergency approved meanwhile preempts a normal broadcast (which keeps its
 * cursor and resumes afterwards), a cancelled message stops at once, an expired one ends
 * EXPIRED. When idle it looks for new messages five times a second (the CLI publishes
 * from another process); broadcast_wake() looks at once.
 *
 * A message whose text does not fit the template (broadcast_check_message, which the API
 * and the CLI should call first) is not sent: it ends PARTLY_FAILED, everyone counted
 * failed, and the reason is logged (broadcast-refused).
 */
#ifndef BANDITORE_BROADCAST_H
#define BANDITORE_BROADCAST_H

#include <stdint.h>

#include "common/keyfile.h"
#include "config/config.h"
#include "connectors/whatsapp.h"
#include "daemon/writer.h"
#include "delivery/ratelimit.h"

#define BROADCAST_PAGE_DEFAULT 1000
#define BROADCAST_IN_FLIGHT_DEFAULT 256

struct broadcast;

struct broadcast_settings {
	const char *store_url;             /* the engine opens its own read connection */
	const struct keyfile_keys *keys;   /* borrowed: opens the sealed addresses */
	struct writer *writer;             /* borrowed: every write goes through it */
	const struct config *cfg;          /* borrowed: template, parameters, unreachable_after */
	struct whatsapp_settings whatsapp; /* strings borrowed */
	int messages_per_second;           /* 0: no limit (benchmarks on loopback only) */
	struct ratelimit_shared *pace;     /* borrowed: the number's schedule shared with the
					    * reply sender; NULL: one of its own at the above */
	int max_in_flight;                 /* sends in flight at once (default 256) */
	int page_size;                     /* subscribers read at once, and the most sends
					    * beyond the durable cursor (default 1000) */
};

/* Counters since start, for statistics and tests. */
struct broadcast_stats {
	uint64_t sent, retried, failed, halts, checkpoints, messages_finished;
	int64_t current;  /* the message being sent, 0 when idle */
	int in_flight;
	int window;       /* page_size: the most sends a crash can repeat */
};

int broadcast_start(const struct broadcast_settings *bs, struct broadcast **out);
/* Looks for work now (a message was approved, cancelled...). Safe from any thread. */
void broadcast_wake(void *broadcast);
void broadcast_stats(struct broadcast *b, struct broadcast_stats *out);
/* Stops sending, settles what is in flight (waiting a few seconds at most), stops the
 * thread. The writer must still be running. Accepts NULL. */
void broadcast_stop(struct broadcast *b);

#endif
