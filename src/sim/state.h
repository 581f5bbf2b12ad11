/*
 * state.h - everything the simulator remembers, behind one mutex.
 *
 * The fault settings (changeable at run time through /sim/faults), the counters that
 * /sim/stats reports, the throughput window and the per-recipient pair-rate buckets that
 * decide 130429 and 131056, a seeded random source for fault draws, and a bounded ring
 * of the messages it accepted (the oldest are forgotten once the ring is full).
 * All functions are safe to call from any thread.
 */
#ifndef BANDITORE_SIM_STATE_H
#define BANDITORE_SIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define SIM_TO_MAX 16 /* wa_id: up to 15 digits + NUL */
#define SIM_RING_DEFAULT 100000

/* The knobs of /sim/faults and of the matching command-line flags. */
struct sim_faults {
	int rate;              /* messages per second accepted (sliding 1 s window) */
	int pair_burst;        /* messages one recipient may get in a burst (Meta: 45) */
	int pair_period_ms;    /* then one more every this many ms (Meta: 6000) */
	int latency_ms;        /* added before every Cloud API answer */
	double error_500;      /* probability of an injected 500 */
	double error_429;      /* probability of an injected 429 (130429) */
	double timeout;        /* probability of holding the request unanswered */
	double drop;           /* probability of closing the connection unanswered */
	int timeout_hold_ms;   /* how long a held request is held */
	int statuses;          /* post sent/delivered/read webhooks */
};

enum sim_counter {
	SIM_ACCEPTED,
	SIM_REJECTED_429,      /* every 429 answered, injected or not */
	SIM_VIOLATIONS_RATE,   /* 130429 because the sender went over --rate */
	SIM_VIOLATIONS_PAIR,   /* 131056 */
	SIM_ERRORS_INJECTED,   /* 500, 429, timeout and drop faults */
	SIM_REJECTED_INVALID,  /* 400 for a malformed or invalid request */
	SIM_REJECTED_AUTH,     /* 401 */
	SIM_MEDIA_UPLOADED,
	SIM_INBOUND_POSTED,    /* /sim/inbound webhooks posted */
	SIM_WEBHOOKS_OK,       /* status webhooks answered 2xx */
	SIM_WEBHOOKS_RETRIED,  /* status webhook attempts that will be retried */
	SIM_WEBHOOKS_FAILED,   /* status webhooks given up after the last retry */
	SIM_WEBHOOKS_DROPPED,  /* status webhooks not queued: queue full */
	SIM_COUNTER_COUNT
};

/* Outcome of sim_state_admit. */
enum sim_admit { SIM_ADMIT_OK = 0, SIM_ADMIT_RATE = 1, SIM_ADMIT_PAIR = 2 };

struct sim_state;

/* Creates the state with `faults` as the initial settings (copied), a ring of
 * `ring_cap` recorded messages, and a random source seeded with `seed` (0: from the
 * operating system). Returns NULL when out of memory. */
struct sim_state *sim_state_new(const struct sim_faults *faults, size_t ring_cap, uint64_t seed);
void sim_state_free(struct sim_state *s); /* accepts NULL */

void sim_state_get_faults(struct sim_state *s, struct sim_faults *out);
void sim_state_set_faults(struct sim_state *s, const struct sim_faults *in);

/* A uniform draw in [0, 1) from the seeded source. */
double sim_state_draw(struct sim_state *s);

void sim_state_count(struct sim_state *s, enum sim_counter c);

/* One valid send to `to` (digits) arrives at monotonic time `now_ns`: records it in the
 * throughput window, then decides. SIM_ADMIT_RATE when more than `rate` sends arrived
 * in the last second (this one included), SIM_ADMIT_PAIR when the recipient's bucket is
 * empty; the matching violation counter is incremented. */
enum sim_admit sim_state_admit(struct sim_state *s, const char *to, int64_t now_ns);

/* Records an accepted message: `json` is its compact JSON object without the "seq"
 * member (copied; the state adds "seq"). Returns the sequence number it got (>= 1), or
 * 0 when out of memory. */
uint64_t sim_state_record(struct sim_state *s, const char *to, const char *json);

/* Appends {"messages":[...]} to `out`: recorded messages oldest first, only those to
 * `to` when it is not NULL, only those with seq > `since`, at most the newest `limit`
 * of them when limit > 0. */
int sim_state_messages_json(struct sim_state *s, const char *to, uint64_t since, size_t limit,
			    struct buf *out);
void sim_state_clear_messages(struct sim_state *s);

/* Appends the counters as one JSON object to `out`. */
int sim_state_stats_json(struct sim_state *s, struct buf *out);
void sim_state_reset_stats(struct sim_state *s);

/* Waits up to `ms` milliseconds, or less once sim_state_stop has been called.
 * Returns 1 if it was cut short by the stop. */
int sim_state_sleep_ms(struct sim_state *s, int ms);
void sim_state_stop(struct sim_state *s);
int sim_state_stopping(struct sim_state *s);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t sim_now_ns(void);

#endif
