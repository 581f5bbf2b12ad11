/* ratelimit.c - the virtual schedule of sends (GCRA); see ratelimit.h for why. */
#include "delivery/ratelimit.h"

#include <string.h>

#define NS_PER_S 1000000000.0

void ratelimit_init(struct ratelimit *rl, int per_second)
{
	memset(rl, 0, sizeof(*rl));
	if (per_second <= 0)
		return;
	rl->per_second = per_second;
	rl->interval_ns = (int64_t)(NS_PER_S / ((double)per_second * (1.0 - RATELIMIT_MARGIN)) + 0.5);
	/* Without the ring, hardly any catching up: the schedule alone then keeps every
	 * window (N+1 sends span N*T less 2 ms, 1.3% more than a second). */
	rl->late_ns = RATELIMIT_LATE_ALONE_NS;
}

void ratelimit_init_ring(struct ratelimit *rl, int per_second)
{
	ratelimit_init(rl, per_second);
	if (per_second > 0 && per_second <= RATELIMIT_RING_MAX) {
		rl->ring_on = 1;
		rl->late_ns = RATELIMIT_LATE_NS;
	}
}

int64_t ratelimit_wait(const struct ratelimit *rl, int64_t now_ns)
{
	int64_t due;

	if (rl->interval_ns == 0 || rl->tat_ns == 0)
		return 0;
	due = rl->tat_ns;
	/* Catching up stops where it would put per_second + 1 sends in one window: the
	 * send per_second back is in the slot this one takes. */
	if (rl->ring_on && rl->sends >= (uint64_t)rl->per_second) {
		int64_t window = rl->ring[rl->sends % (uint64_t)rl->per_second] + RATELIMIT_WINDOW_NS;
		if (window > due)
			due = window;
	}
	return now_ns >= due ? 0 : due - now_ns;
}

/* Takes a slot keeping up to `keep_ns` of lateness. */
static int64_t take_keeping(struct ratelimit *rl, int64_t now_ns, int64_t keep_ns)
{
	int64_t lost = 0;

	if (rl->interval_ns == 0)
		return 0;
	if (rl->tat_ns == 0 || now_ns - rl->tat_ns > keep_ns) {
		/* Further behind than the lateness kept (nothing to send for a while): a new
		 * schedule from now, with no credit saved up beyond the 2 ms of the schedule
		 * without the ring. */
		if (rl->tat_ns != 0)
			lost = now_ns - keep_ns - rl->tat_ns;
		rl->tat_ns = now_ns + rl->interval_ns -
			     (keep_ns <= RATELIMIT_LATE_ALONE_NS ? keep_ns : 0);
	} else {
		/* On time, or late by a little: the schedule stays, the next sends catch up. */
		rl->tat_ns += rl->interval_ns;
	}
	if (rl->ring_on) {
		uint64_t n = (uint64_t)rl->per_second;

		/* Threads pass times read before taking the lock: a send recorded a little
		 * later than it went only makes the window stricter. (The last send's own
		 * time, not its place in the ring, which a late answer may have moved.) */
		if (now_ns < rl->last_ns)
			now_ns = rl->last_ns;
		rl->last_ns = now_ns;
		rl->ring[rl->sends % n] = now_ns;
	}
	rl->sends++;
	return lost;
}

int64_t ratelimit_take(struct ratelimit *rl, int64_t now_ns)
{
	return take_keeping(rl, now_ns, rl->late_ns);
}

void ratelimit_shared_init(struct ratelimit_shared *s, int per_second)
{
	memset(s->waiting, 0, sizeof(s->waiting));
	memset(&s->stats, 0, sizeof(s->stats));
	pthread_mutex_init(&s->lock, NULL);
	ratelimit_init_ring(&s->rl, per_second);
}

void ratelimit_shared_destroy(struct ratelimit_shared *s)
{
	pthread_mutex_destroy(&s->lock);
}

int64_t ratelimit_shared_take(struct ratelimit_shared *s, int64_t now_ns)
{
	return ratelimit_shared_take_class(s, RATELIMIT_EMERGENCY, now_ns);
}

int64_t ratelimit_shared_take_ticket(struct ratelimit_shared *s, int cls, int64_t now_ns,
				     uint64_t *ticket)
{
	int64_t wait, lost;
	int higher = 0, any = 0;

	if (cls < 0 || cls >= RATELIMIT_CLASSES)
		cls = RATELIMIT_ROUTINE;
	pthread_mutex_lock(&s->lock);
	for (int c = 0; c < RATELIMIT_CLASSES; c++) {
		if (c < cls)
			higher += s->waiting[c];
		any += s->waiting[c];
	}
	wait = ratelimit_wait(&s->rl, now_ns);
	if (higher > 0 && wait < RATELIMIT_YIELD_NS) {
		wait = RATELIMIT_YIELD_NS;
		s->stats.yielded[cls]++;
	}
	if (wait == 0) {
		if (ticket)
			*ticket = s->rl.sends;
		/* Only replies catch up: a broadcast keeps the schedule it always had (a short
		 * one would otherwise go out faster than the rate on average, within the
		 * window), and its engine wakes on a timer, on time. */
		lost = take_keeping(&s->rl, now_ns, cls == RATELIMIT_REPLIES ? s->rl.late_ns :
						    RATELIMIT_LATE_ALONE_NS);
		s->stats.taken[cls]++;
		if (lost > 0 && any > 0) {
			s->stats.late_takes++;
			s->stats.late_ns += lost;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return wait;
}

int64_t ratelimit_shared_take_class(struct ratelimit_shared *s, int cls, int64_t now_ns)
{
	return ratelimit_shared_take_ticket(s, cls, now_ns, NULL);
}

#define RTT_EPOCH_NS 10000000000LL

void ratelimit_shared_arrived(struct ratelimit_shared *s, uint64_t ticket, int64_t done_ns)
{
	struct ratelimit *rl = &s->rl;
	int64_t *slot, rtt, quickest, late;

	pthread_mutex_lock(&s->lock);
	/* Only while the send is still in the ring (the last per_second sends). */
	if (!rl->ring_on || ticket >= rl->sends || rl->sends - ticket > (uint64_t)rl->per_second)
		goto out;
	slot = &rl->ring[ticket % (uint64_t)rl->per_second];
	rtt = done_ns - *slot;
	if (rtt <= 0)
		goto out;
	/* The quickest answer over the last 10 to 20 s: the way there and back with no
	 * waiting on it. */
	if (done_ns - rl->rtt_epoch_ns > RTT_EPOCH_NS) {
		rl->rtt_min[1] = rl->rtt_min[0];
		rl->rtt_min[0] = 0;
		rl->rtt_epoch_ns = done_ns;
	}
	if (rl->rtt_min[0] == 0 || rtt < rl->rtt_min[0])
		rl->rtt_min[0] = rtt;
	quickest = rl->rtt_min[0];
	if (rl->rtt_min[1] > 0 && rl->rtt_min[1] < quickest)
		quickest = rl->rtt_min[1];
	/* It arrived at the latest when its answer came, less the quickest way back; as
	 * the quickest way back is not known, less the quickest way there and back. The
	 * window's 13 ms over a second cover that much. */
	s->stats.arrived++;
	late = rtt - quickest - (RATELIMIT_WINDOW_NS - 1000000000LL);
	if (late <= 0)
		goto out;
	*slot += late;
	s->stats.moved++;
	s->stats.moved_ns += late;
	if (late > s->stats.moved_max_ns)
		s->stats.moved_max_ns = late;
out:
	pthread_mutex_unlock(&s->lock);
}

void ratelimit_shared_waiting(struct ratelimit_shared *s, int cls, int n)
{
	if (cls < 0 || cls >= RATELIMIT_CLASSES)
		return;
	pthread_mutex_lock(&s->lock);
	s->waiting[cls] = n > 0 ? n : 0;
	pthread_mutex_unlock(&s->lock);
}

void ratelimit_shared_stats(struct ratelimit_shared *s, struct ratelimit_stats *out, int reset)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	if (reset)
		memset(&s->stats, 0, sizeof(s->stats));
	pthread_mutex_unlock(&s->lock);
}
