/*
 * state.c - the simulator's memory: fault settings, counters, throughput and pair-rate
 * accounting, and the ring of accepted messages, all behind one mutex.
 *
 * Nothing here does I/O, so the lock is only ever held for short computations.
 */
#include "sim/state.h"

#include "common/crypto.h"
#include "common/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* More arrivals than this in one second are counted as this many: far above any
 * throughput Meta grants (1,000/s), so the verdict is the same. */
#define RATE_WINDOW_CAP 65536
#define PAIR_SLOTS_MIN 1024
#define PAIR_SLOTS_MAX (1u << 20)
#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

struct recorded {
	uint64_t seq;
	char to[SIM_TO_MAX];
	char *json; /* owned: the message as a JSON object, "seq" first */
};

struct pair_slot {
	char to[SIM_TO_MAX]; /* "" when the slot is free */
	double tokens;
	int64_t last_ns;
};

struct sim_state {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled on stop, for sim_state_sleep_ms */
	int stopping;

	struct sim_faults faults;
	uint64_t rng;
	uint64_t counters[SIM_COUNTER_COUNT];
	uint64_t max_rate_1s;

	int64_t *window; /* arrival times, a ring of RATE_WINDOW_CAP */
	size_t win_head; /* index of the oldest */
	size_t win_len;

	struct pair_slot *pairs;
	size_t pair_cap; /* a power of two */
	size_t pair_used;

	struct recorded *ring;
	size_t ring_cap;
	size_t ring_head; /* index of the oldest */
	size_t ring_len;
	uint64_t next_seq;
};

int64_t sim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* splitmix64: small, fast, and reproducible from --seed. */
static uint64_t next_random(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct sim_state *sim_state_new(const struct sim_faults *faults, size_t ring_cap, uint64_t seed)
{
	struct sim_state *s;
	pthread_condattr_t ca;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->faults = *faults;
	s->ring_cap = ring_cap ? ring_cap : SIM_RING_DEFAULT;
	s->ring = calloc(s->ring_cap, sizeof(*s->ring));
	s->window = calloc(RATE_WINDOW_CAP, sizeof(*s->window));
	s->pair_cap = PAIR_SLOTS_MIN;
	s->pairs = calloc(s->pair_cap, sizeof(*s->pairs));
	if (!s->ring || !s->window || !s->pairs)
		goto fail;
	if (!seed && crypto_random(&seed, sizeof(seed)) != 0)
		seed = (uint64_t)sim_now_ns();
	s->rng = seed;
	s->next_seq = 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	return s;
fail:
	free(s->ring);
	free(s->window);
	free(s->pairs);
	free(s);
	return NULL;
}

static void clear_ring(struct sim_state *s)
{
	size_t i;
	for (i = 0; i < s->ring_len; i++) {
		struct recorded *r = &s->ring[(s->ring_head + i) % s->ring_cap];
		free(r->json);
		r->json = NULL;
	}
	s->ring_head = 0;
	s->ring_len = 0;
}

void sim_state_free(struct sim_state *s)
{
	if (!s)
		return;
	clear_ring(s);
	free(s->ring);
	free(s->window);
	free(s->pairs);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sim_state_get_faults(struct sim_state *s, struct sim_faults *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->faults;
	pthread_mutex_unlock(&s->lock);
}

void sim_state_set_faults(struct sim_state *s, const struct sim_faults *in)
{
	pthread_mutex_lock(&s->lock);
	s->faults = *in;
	pthread_mutex_unlock(&s->lock);
}

double sim_state_draw(struct sim_state *s)
{
	uint64_t r;
	pthread_mutex_lock(&s->lock);
	r = next_random(&s->rng);
	pthread_mutex_unlock(&s->lock);
	return (double)(r >> 11) / 9007199254740992.0; /* 53 bits into [0, 1) */
}

void sim_state_count(struct sim_state *s, enum sim_counter c)
{
	pthread_mutex_lock(&s->lock);
	s->counters[c]++;
	pthread_mutex_unlock(&s->lock);
}

/* FNV-1a over the digits. */
static size_t pair_hash(const char *to)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *to; to++)
		h = (h ^ (unsigned char)*to) * 1099511628211ULL;
	return (size_t)h;
}

static struct pair_slot *pair_find(struct pair_slot *slots, size_t cap, const char *to)
{
	size_t i = pair_hash(to) & (cap - 1);
	while (slots[i].to[0] && strcmp(slots[i].to, to) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* Doubles the table; at its maximum size it starts afresh instead, which only forgets
 * some buckets (a more lenient simulator, never a wrong rejection). */
static void pair_grow(struct sim_state *s)
{
	size_t ncap = s->pair_cap * 2, i;
	struct pair_slot *n;

	if (ncap > PAIR_SLOTS_MAX || !(n = calloc(ncap, sizeof(*n)))) {
		memset(s->pairs, 0, s->pair_cap * sizeof(*s->pairs));
		s->pair_used = 0;
		return;
	}
	for (i = 0; i < s->pair_cap; i++)
		if (s->pairs[i].to[0])
			*pair_find(n, ncap, s->pairs[i].to) = s->pairs[i];
	free(s->pairs);
	s->pairs = n;
	s->pair_cap = ncap;
}

/* A token bucket per recipient: `burst` tokens, one more every `period`. */
static int pair_take(struct sim_state *s, const char *to, int64_t now_ns)
{
	struct pair_slot *p;
	double burst = s->faults.pair_burst > 0 ? s->faults.pair_burst : 1;
	double period = s->faults.pair_period_ms > 0 ? s->faults.pair_period_ms : 1;

	if (s->faults.pair_period_ms <= 0)
		return 1; /* pair rate not enforced */
	if ((s->pair_used + 1) * 10 > s->pair_cap * 7)
		pair_grow(s);
	p = pair_find(s->pairs, s->pair_cap, to);
	if (!p->to[0]) {
		snprintf(p->to, sizeof(p->to), "%s", to);
		p->tokens = burst;
		p->last_ns = now_ns;
		s->pair_used++;
	} else {
		p->tokens += (double)(now_ns - p->last_ns) / ((double)period * NS_PER_MS);
		if (p->tokens > burst)
			p->tokens = burst;
		p->last_ns = now_ns;
	}
	if (p->tokens < 1.0)
		return 0;
	p->tokens -= 1.0;
	return 1;
}

enum sim_admit sim_state_admit(struct sim_state *s, const char *to, int64_t now_ns)
{
	enum sim_admit verdict = SIM_ADMIT_OK;

	pthread_mutex_lock(&s->lock);
	while (s->win_len && s->window[s->win_head] <= now_ns - NS_PER_S) {
		s->win_head = (s->win_head + 1) % RATE_WINDOW_CAP;
		s->win_len--;
	}
	if (s->win_len == RATE_WINDOW_CAP) { /* saturated: forget the oldest */
		s->win_head = (s->win_head + 1) % RATE_WINDOW_CAP;
		s->win_len--;
	}
	s->window[(s->win_head + s->win_len) % RATE_WINDOW_CAP] = now_ns;
	s->win_len++;
	if (s->win_len > s->max_rate_1s)
		s->max_rate_1s = s->win_len;
	if (s->faults.rate > 0 && s->win_len > (size_t)s->faults.rate) {
		verdict = SIM_ADMIT_RATE;
		s->counters[SIM_VIOLATIONS_RATE]++;
	} else if (!pair_take(s, to, now_ns)) {
		verdict = SIM_ADMIT_PAIR;
		s->counters[SIM_VIOLATIONS_PAIR]++;
	}
	pthread_mutex_unlock(&s->lock);
	return verdict;
}

uint64_t sim_state_record(struct sim_state *s, const char *to, const char *json)
{
	struct recorded *r;
	const char *members = json[0] == '{' && json[1] ? json + 1 : "}";
	const char *sep = *members != '}' ? "," : "";
	size_t cap = strlen(members) + 32;
	char *text;
	uint64_t seq;

	/* One critical section, so that the ring stays in seq order for "since" polling. */
	pthread_mutex_lock(&s->lock);
	text = malloc(cap);
	if (!text) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	seq = s->next_seq++;
	/* json is "{...}": "seq" goes in front of its members. */
	snprintf(text, cap, "{\"seq\":%llu%s%s", (unsigned long long)seq, sep, members);
	if (s->ring_len == s->ring_cap) { /* full: forget the oldest */
		free(s->ring[s->ring_head].json);
		s->ring[s->ring_head].json = NULL;
		s->ring_head = (s->ring_head + 1) % s->ring_cap;
		s->ring_len--;
	}
	r = &s->ring[(s->ring_head + s->ring_len) % s->ring_cap];
	r->seq = seq;
	snprintf(r->to, sizeof(r->to), "%s", to);
	r->json = text;
	s->ring_len++;
	pthread_mutex_unlock(&s->lock);
	return seq;
}

int sim_state_messages_json(struct sim_state *s, const char *to, uint64_t since, size_t limit,
			    struct buf *out)
{
	size_t i, first = 0, matching = 0, n = 0;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (limit) { /* count the matches to skip all but the newest `limit` */
		for (i = 0; i < s->ring_len; i++) {
			const struct recorded *r = &s->ring[(s->ring_head + i) % s->ring_cap];
			if (r->seq > since && (!to || !strcmp(r->to, to)))
				matching++;
		}
		first = matching > limit ? matching - limit : 0;
	}
	rc = buf_appends(out, "{\"messages\":[");
	for (i = 0; !rc && i < s->ring_len; i++) {
		const struct recorded *r = &s->ring[(s->ring_head + i) % s->ring_cap];
		if (r->seq <= since || (to && strcmp(r->to, to) != 0))
			continue;
		if (n++ < first)
			continue;
		if (n - 1 > first)
			rc = buf_appends(out, ",");
		if (!rc)
			rc = buf_appends(out, r->json);
	}
	pthread_mutex_unlock(&s->lock);
	if (!rc)
		rc = buf_appends(out, "]}");
	return rc;
}

void sim_state_clear_messages(struct sim_state *s)
{
	pthread_mutex_lock(&s->lock);
	clear_ring(s);
	pthread_mutex_unlock(&s->lock);
}

int sim_state_stats_json(struct sim_state *s, struct buf *out)
{
	uint64_t c[SIM_COUNTER_COUNT], max_rate;
	size_t stored;

	pthread_mutex_lock(&s->lock);
	memcpy(c, s->counters, sizeof(c));
	max_rate = s->max_rate_1s;
	stored = s->ring_len;
	pthread_mutex_unlock(&s->lock);
#define U(i) (unsigned long long)c[i]
	return buf_appendf(out,
			   "{\"accepted\":%llu,\"rejected_429\":%llu,\"violations_rate\":%llu,"
			   "\"violations_pair\":%llu,\"errors_injected\":%llu,\"max_rate_1s\":%llu,"
			   "\"rejected_invalid\":%llu,\"rejected_auth\":%llu,\"media_uploaded\":%llu,"
			   "\"inbound_posted\":%llu,\"webhooks_ok\":%llu,\"webhooks_retried\":%llu,"
			   "\"webhooks_failed\":%llu,\"webhooks_dropped\":%llu,\"recorded\":%zu}",
			   U(SIM_ACCEPTED), U(SIM_REJECTED_429), U(SIM_VIOLATIONS_RATE),
			   U(SIM_VIOLATIONS_PAIR), U(SIM_ERRORS_INJECTED), (unsigned long long)max_rate,
			   U(SIM_REJECTED_INVALID), U(SIM_REJECTED_AUTH), U(SIM_MEDIA_UPLOADED),
			   U(SIM_INBOUND_POSTED), U(SIM_WEBHOOKS_OK), U(SIM_WEBHOOKS_RETRIED),
			   U(SIM_WEBHOOKS_FAILED), U(SIM_WEBHOOKS_DROPPED), stored);
#undef U
}

void sim_state_reset_stats(struct sim_state *s)
{
	pthread_mutex_lock(&s->lock);
	memset(s->counters, 0, sizeof(s->counters));
	s->max_rate_1s = 0;
	s->win_len = 0;
	s->win_head = 0;
	memset(s->pairs, 0, s->pair_cap * sizeof(*s->pairs));
	s->pair_used = 0;
	pthread_mutex_unlock(&s->lock);
}

int sim_state_sleep_ms(struct sim_state *s, int ms)
{
	struct timespec until;
	int64_t t = sim_now_ns() + (int64_t)ms * NS_PER_MS;
	int cut;

	until.tv_sec = (time_t)(t / NS_PER_S);
	until.tv_nsec = (long)(t % NS_PER_S);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping &&
	       pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
		;
	cut = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return cut;
}

void sim_state_stop(struct sim_state *s)
{
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

int sim_state_stopping(struct sim_state *s)
{
	int v;
	pthread_mutex_lock(&s->lock);
	v = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return v;
}
