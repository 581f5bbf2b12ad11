/*
 * ratelimit.h - the pace of sends to one WhatsApp number: never more than N a second.
 *
 * Meta (and banditore-sim) count the requests that arrive in any sliding window of one
 * second. An ordinary token bucket allows a burst of its capacity on top of the rate,
 * which a sliding window sees as a violation; so this is a virtual schedule (GCRA):
 * send k is due at t0 + k*T, T = 1 / (rate * (1 - RATELIMIT_MARGIN)), never early.
 *
 * A send that goes late (the thread woke late on a loaded machine, or read its work late)
 * keeps the schedule, up to RATELIMIT_LATE_NS behind it: the sends after it catch up, so
 * lateness costs no rate (with a 2 ms allowance, a busy 80/s drain lost 9% of its slots).
 * Catching up must not break the window, so the last N send times are kept in a ring and
 * send k never goes before send k-N + RATELIMIT_WINDOW_NS: any N+1 sends span at least
 * that, 13 ms more than one second, room for the requests' own jitter on the way to the
 * provider. Further behind than RATELIMIT_LATE_NS (nothing to send for a while) a new
 * schedule starts from now, with no credit saved up beyond that.
 * The measured rate is within RATELIMIT_MARGIN of the configured one.
 *
 * The provider counts arrivals, not sends: a request that waited on the way (a loaded
 * machine: the sending thread, the HTTP worker or the network not scheduled for tens of
 * milliseconds) arrives closer to the one N sends after it. A sender that reports when
 * each answer came (ratelimit_shared_arrived) moves that send's time in the ring by how
 * much longer than the quickest recent answer it took, less the 13 ms the window already
 * leaves: send k+N then goes at least one second after the latest send k can have
 * arrived. A delay costs rate only a window later and only beyond 13 ms; without reports
 * the ring holds send times, and the 13 ms is all the room there is. The ring is first
 * in, first out: a send waits for the one N before it even when that one arrived late,
 * which is what keeps every window (a check of the earliest of the last N would forget
 * a late arrival once it leaves the ring).
 *
 * The WhatsApp number's shared schedule (ratelimit_shared) works this way for replies to
 * citizens; a broadcast's sends keep only RATELIMIT_LATE_ALONE_NS (a short broadcast
 * catching up would go out faster than the rate on average, within the window). A schedule of
 * one thread (ratelimit_init: the Telegram and SMS lanes, whose senders do not report
 * answers) keeps only RATELIMIT_LATE_ALONE_NS of lateness and has no ring: N+1 sends span
 * at least N*T - 2 ms, and the time a late send loses is the margin its window keeps for
 * a request delayed on the way (under ASan a Telegram peer saw 31 sends in 0.7 s when
 * the lane caught up). ratelimit_init_ring gives one thread the shared schedule's way.
 *
 * A rate of 0 means no limit (benchmarks against a local peer only: config allows it
 * only with a loopback api_base). The caller passes the monotonic time; struct ratelimit
 * is for one thread, struct ratelimit_shared for several.
 */
#ifndef BANDITORE_RATELIMIT_H
#define BANDITORE_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define RATELIMIT_MARGIN 0.015           /* 1.5% below the configured rate */
#define RATELIMIT_LATE_NS 250000000LL    /* a send up to 250 ms late keeps the schedule */
#define RATELIMIT_LATE_ALONE_NS 2000000LL /* ...2 ms without the ring (ratelimit_init) */
#define RATELIMIT_WINDOW_NS 1013000000LL /* any rate+1 sends span at least this */
#define RATELIMIT_RING_MAX 1000          /* the highest rate the ring covers (config's) */

struct ratelimit {
	int64_t interval_ns; /* 0: unlimited */
	int64_t tat_ns;      /* theoretical time of the next send; 0 before the first */
	int64_t late_ns;     /* lateness kept: RATELIMIT_LATE_NS with the ring, else 2 ms */
	int ring_on;         /* the ring of the last per_second sends is kept and checked */
	int per_second;
	uint64_t sends;                      /* sends taken so far: the next one's ticket */
	int64_t last_ns;                     /* the last send's time */
	int64_t ring[RATELIMIT_RING_MAX];    /* send k's time (or latest arrival) at k % N */
	int64_t rtt_min[2];                  /* quickest answer now and in the last 10 s */
	int64_t rtt_epoch_ns;
};

/* Sets the rate (sends per second; 0 or less: unlimited), without the ring. */
void ratelimit_init(struct ratelimit *rl, int per_second);
/* The same with the ring and the lateness it allows (the shared schedule's way; above
 * RATELIMIT_RING_MAX a second, as ratelimit_init). */
void ratelimit_init_ring(struct ratelimit *rl, int per_second);

/* 0 when a send may go at `now_ns`, else how many nanoseconds to wait. */
int64_t ratelimit_wait(const struct ratelimit *rl, int64_t now_ns);

/* Takes the slot of one send at `now_ns` (call only when ratelimit_wait() said 0).
 * Returns how far behind its schedule the send was, past what it keeps (0 when none):
 * the time the schedule lost. */
int64_t ratelimit_take(struct ratelimit *rl, int64_t now_ns);

/* One schedule for several threads: the broadcast engine and the reply sender send from
 * the same number, and Meta counts them together.
 *
 * Who goes first when both have work (a launch day: thousands of joins while a routine
 * broadcast drains): an emergency broadcast, then replies to citizens (confirmations),
 * then routine broadcasts. The sender of each class says when it has work waiting;
 * ratelimit_shared_take_class refuses a slot to a class while a higher one is waiting,
 * so the higher class gets the number's full rate, first come first served. */
enum ratelimit_class {
	RATELIMIT_EMERGENCY = 0, /* an emergency broadcast */
	RATELIMIT_REPLIES = 1,   /* replies to citizens */
	RATELIMIT_ROUTINE = 2,   /* a normal broadcast */
	RATELIMIT_CLASSES = 3,
};

/* How long a lower class waits before asking again while a higher one has work. */
#define RATELIMIT_YIELD_NS 5000000LL

/* What the shared schedule did, for the operator's log and the benchmarks. */
struct ratelimit_stats {
	uint64_t taken[RATELIMIT_CLASSES];   /* slots taken by each class */
	uint64_t yielded[RATELIMIT_CLASSES]; /* refusals because a higher class waited */
	uint64_t late_takes;                 /* slots taken past what the schedule keeps... */
	int64_t late_ns;                     /* ...and the time lost that way, while some
					      * class had sends waiting */
	uint64_t arrived;                    /* answers reported (ratelimit_shared_arrived) */
	uint64_t moved;                      /* sends they moved later in the ring... */
	int64_t moved_ns, moved_max_ns;      /* ...by this much in all, at most */
};

struct ratelimit_shared {
	pthread_mutex_t lock;
	struct ratelimit rl;
	int waiting[RATELIMIT_CLASSES]; /* sends each class has ready (guarded by lock) */
	struct ratelimit_stats stats;   /* guarded by lock */
};

void ratelimit_shared_init(struct ratelimit_shared *s, int per_second);
void ratelimit_shared_destroy(struct ratelimit_shared *s);
/* Takes a slot and returns 0 when a send may go at `now_ns`; otherwise takes nothing
 * and returns how many nanoseconds to wait. */
int64_t ratelimit_shared_take(struct ratelimit_shared *s, int64_t now_ns);

/* The same for a sender of class `cls`: also waits (RATELIMIT_YIELD_NS, or until the
 * schedule allows) while a higher class has sends waiting. */
int64_t ratelimit_shared_take_class(struct ratelimit_shared *s, int cls, int64_t now_ns);

/* The same, and when a slot is taken (0 returned) *ticket names it for
 * ratelimit_shared_arrived. */
int64_t ratelimit_shared_take_ticket(struct ratelimit_shared *s, int cls, int64_t now_ns,
				     uint64_t *ticket);

/* The answer to the send of `ticket` came at `done_ns` (monotonic): if it took longer
 * than the quickest recent answer, the send may have arrived that much later than it
 * went, and the sends a window after it wait for that. */
void ratelimit_shared_arrived(struct ratelimit_shared *s, uint64_t ticket, int64_t done_ns);

/* Says how many sends class `cls` has ready now (0 when none). */
void ratelimit_shared_waiting(struct ratelimit_shared *s, int cls, int n);

/* Copies the counters into *out and, when `reset`, sets them back to zero. */
void ratelimit_shared_stats(struct ratelimit_shared *s, struct ratelimit_stats *out, int reset);

#endif
