/* ratelimit.c - the virtual schedule of sends (GCRA); see ratelimit.h for why. */
#include "delivery/ratelimit.h"

#include <string.h>

#define NS_PER_S 1000000000.0

void ratelimit_init(struct ratelimit *rl, int per_second)
{
	rl->tat_ns = 0;
	rl->interval_ns = 0;
	if (per_second > 0)
		rl->interval_ns = (int64_t)(NS_PER_S / ((double)per_second * (1.0 - RATELIMIT_MARGIN)) + 0.5);
}

int64_t ratelimit_wait(const struct ratelimit *rl, int64_t now_ns)
{
	if (rl->interval_ns == 0 || rl->tat_ns == 0 || now_ns >= rl->tat_ns)
		return 0;
	return rl->tat_ns - now_ns;
}

void ratelimit_take(struct ratelimit *rl, int64_t now_ns)
{
	int64_t base = now_ns - RATELIMIT_LATE_NS;

	if (rl->interval_ns == 0)
		return;
	/* Late by a little: keep the schedule, so that wake-up delays cost no rate. Late by
	 * more (nothing to send for a while): a new schedule from now, with no credit saved
	 * up, so that no burst follows an idle time. Either way send k+1 is due at least
	 * T - RATELIMIT_LATE_NS after send k, and any k+1 sends span at least
	 * k*T - RATELIMIT_LATE_NS. */
	if (rl->tat_ns > base)
		base = rl->tat_ns;
	rl->tat_ns = base + rl->interval_ns;
}

void ratelimit_shared_init(struct ratelimit_shared *s, int per_second)
{
	memset(s->waiting, 0, sizeof(s->waiting));
	pthread_mutex_init(&s->lock, NULL);
	ratelimit_init(&s->rl, per_second);
}

void ratelimit_shared_destroy(struct ratelimit_shared *s)
{
	pthread_mutex_destroy(&s->lock);
}

int64_t ratelimit_shared_take(struct ratelimit_shared *s, int64_t now_ns)
{
	return ratelimit_shared_take_class(s, RATELIMIT_EMERGENCY, now_ns);
}

int64_t ratelimit_shared_take_class(struct ratelimit_shared *s, int cls, int64_t now_ns)
{
	int64_t wait;
	int higher = 0;

	pthread_mutex_lock(&s->lock);
	for (int c = 0; c < cls && c < RATELIMIT_CLASSES; c++)
		higher += s->waiting[c];
	wait = ratelimit_wait(&s->rl, now_ns);
	if (higher > 0 && wait < RATELIMIT_YIELD_NS)
		wait = RATELIMIT_YIELD_NS;
	if (wait == 0)
		ratelimit_take(&s->rl, now_ns);
	pthread_mutex_unlock(&s->lock);
	return wait;
}

void ratelimit_shared_waiting(struct ratelimit_shared *s, int cls, int n)
{
	if (cls < 0 || cls >= RATELIMIT_CLASSES)
		return;
	pthread_mutex_lock(&s->lock);
	s->waiting[cls] = n > 0 ? n : 0;
	pthread_mutex_unlock(&s->lock);
}
