/*
 * ratelimit.h - the pace of sends to one WhatsApp number: never more than N a second.
 *
 * Meta (and banditore-sim) count the requests that arrive in any sliding window of one
 * second. An ordinary token bucket allows a burst of its capacity on top of the rate,
 * which a sliding window sees as a violation; so this is a virtual schedule (GCRA):
 * send k is due at t0 + k*T, T = 1 / (rate * (1 - RATELIMIT_MARGIN)), and may go late
 * without losing its place (up to RATELIMIT_LATE_NS), never early. Any R+1 consecutive
 * sends then span at least R*T - RATELIMIT_LATE_NS, which is more than one second by
 * RATELIMIT_MARGIN minus the lateness allowed: room for the requests' own jitter on the
 * way to the provider. The measured rate is within RATELIMIT_MARGIN of the configured one.
 *
 * A rate of 0 means no limit (benchmarks against a local peer only: config allows it
 * only with a loopback api_base). The caller passes the monotonic time; struct ratelimit
 * is for one thread, struct ratelimit_shared for several.
 */
#ifndef BANDITORE_RATELIMIT_H
#define BANDITORE_RATELIMIT_H

#include <pthread.h>
#include <stdint.h>

#define RATELIMIT_MARGIN 0.015        /* 1.5% below the configured rate */
#define RATELIMIT_LATE_NS 2000000LL   /* a send up to 2 ms late keeps the schedule */

struct ratelimit {
	int64_t interval_ns; /* 0: unlimited */
	int64_t tat_ns;      /* theoretical time of the next send; 0 before the first */
};

/* Sets the rate (sends per second; 0 or less: unlimited). */
void ratelimit_init(struct ratelimit *rl, int per_second);

/* 0 when a send may go at `now_ns`, else how many nanoseconds to wait. */
int64_t ratelimit_wait(const struct ratelimit *rl, int64_t now_ns);

/* Takes the slot of one send at `now_ns` (call only when ratelimit_wait() said 0). */
void ratelimit_take(struct ratelimit *rl, int64_t now_ns);

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

struct ratelimit_shared {
	pthread_mutex_t lock;
	struct ratelimit rl;
	int waiting[RATELIMIT_CLASSES]; /* sends each class has ready (guarded by lock) */
};

void ratelimit_shared_init(struct ratelimit_shared *s, int per_second);
void ratelimit_shared_destroy(struct ratelimit_shared *s);
/* Takes a slot and returns 0 when a send may go at `now_ns`; otherwise takes nothing
 * and returns how many nanoseconds to wait. */
int64_t ratelimit_shared_take(struct ratelimit_shared *s, int64_t now_ns);

/* The same for a sender of class `cls`: also waits (RATELIMIT_YIELD_NS, or until the
 * schedule allows) while a higher class has sends waiting. */
int64_t ratelimit_shared_take_class(struct ratelimit_shared *s, int cls, int64_t now_ns);

/* Says how many sends class `cls` has ready now (0 when none). */
void ratelimit_shared_waiting(struct ratelimit_shared *s, int cls, int n);

#endif
