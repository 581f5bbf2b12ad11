/* replies.c - send outbox items one by one, settle each through the writer. */
#include "delivery/replies.h"

#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "subscribers/subscribers.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLIES_BATCH 32
#define BACKOFF_BASE 2     /* seconds, doubled per attempt */
#define BACKOFF_MAX 3600

enum settle { SETTLE_SENT, SETTLE_RETRY, SETTLE_GIVE_UP };

struct replies {
	struct replies_settings rs;
	struct store *st;
	struct whatsapp *wa;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int woken, stopping, pending_jobs;
	int64_t last_send_ns;
};

struct settle_job {
	struct writer_job job; /* first: the writer hands it back */
	struct replies *r;
	int64_t id;
	int action;
	int attempts;
	int64_t not_before;
	int platform;
	char kind[16];
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int settle_apply(struct store *st, struct writer_job *job)
{
	struct settle_job *s = (struct settle_job *)job;
	char day[11], name[40];
	int rc;

	if (s->action == SETTLE_RETRY)
		return store_outbox_reschedule(st, s->id, s->attempts, s->not_before);
	rc = store_outbox_remove(st, s->id);
	if (rc)
		return rc;
	job->erased = 1; /* the row held a sealed address */
	subscribers_day((int64_t)time(NULL), day);
	snprintf(name, sizeof(name), "%s-%s", s->action == SETTLE_SENT ? "sent" : "failed", s->kind);
	return store_counter_add(st, day, s->platform, name, 1);
}

static void settle_done(struct writer_job *job, int rc)
{
	struct settle_job *s = (struct settle_job *)job;
	struct replies *r = s->r;

	if (rc)
		log_error("reply-settle", "error=\"%s\"", banditore_strerror(rc));
	free(s);
	pthread_mutex_lock(&r->lock);
	r->pending_jobs--;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

static int64_t backoff(int attempts, int retry_after)
{
	int64_t d = BACKOFF_BASE;
	for (int i = 1; i < attempts && d < BACKOFF_MAX; i++)
		d *= 2;
	if (d > BACKOFF_MAX)
		d = BACKOFF_MAX;
	d += rand() % (d / 2 + 1); /* jitter, so that retries do not arrive together */
	if (retry_after > d)
		d = retry_after;
	return d;
}

static void pace(struct replies *r)
{
	if (r->rs.pace) { /* the number's schedule, shared with broadcasts */
		int64_t wait;
		while ((wait = ratelimit_shared_take_class(r->rs.pace, RATELIMIT_REPLIES,
							   mono_ns())) > 0) {
			struct timespec ts = { (time_t)(wait / 1000000000), (long)(wait % 1000000000) };
			nanosleep(&ts, NULL);
		}
		return;
	}
	int64_t gap = 1000000000 / (r->rs.messages_per_second > 0 ? r->rs.messages_per_second : 80);
	int64_t wait = r->last_send_ns + gap - mono_ns();

	if (r->last_send_ns && wait > 0) {
		struct timespec ts = { (time_t)(wait / 1000000000), (long)(wait % 1000000000) };
		nanosleep(&ts, NULL);
	}
	r->last_send_ns = mono_ns();
}

/* Sends one item; returns what to do with its row. */
static int send_one(struct replies *r, struct store_outbox_item *it, int64_t now,
		    struct settle_job *s)
{
	char to[SUBSCRIBERS_ADDRESS_MAX];
	struct connector_result res;
	json_t *body;
	const char *text;
	int rc;

	memset(&res, 0, sizeof(res));
	if (now - it->created_at > r->rs.max_age || it->attempts >= r->rs.max_attempts)
		return SETTLE_GIVE_UP;
	rc = subscribers_unseal(r->rs.keys, it->platform, it->sealed, it->sealed_len, to, sizeof(to));
	if (rc) {
		log_error("reply-unseal", "id=%lld error=\"%s\"", (long long)it->id,
			  banditore_strerror(rc));
		return SETTLE_GIVE_UP;
	}
	body = json_loads(it->body, 0, NULL);
	text = body ? json_string_value(json_object_get(body, "text")) : NULL;
	if (!text || it->platform != PLATFORM_WHATSAPP) {
		crypto_wipe(to, sizeof(to));
		json_decref(body);
		return SETTLE_GIVE_UP;
	}
	pace(r);
	rc = whatsapp_send_text(r->wa, to, text, 1, &res);
	crypto_wipe(to, sizeof(to));
	json_decref(body);
	s->attempts = it->attempts + 1;
	if (rc == 0 && res.outcome == CONNECTOR_OK) {
		log_info("reply-sent", "kind=%s id=%lld", it->kind, (long long)it->id);
		return SETTLE_SENT;
	}
	log_warn("reply-failed", "kind=%s id=%lld http=%d code=%d outcome=%s reason=\"%s\"",
		 it->kind, (long long)it->id, res.http_status, res.error_code,
		 res.outcome == CONNECTOR_FAIL ? "permanent" : "retry", res.error);
	if (res.outcome == CONNECTOR_FAIL)
		return SETTLE_GIVE_UP;
	s->not_before = now + backoff(s->attempts, res.retry_after);
	return SETTLE_RETRY;
}

static void wait_for_work(struct replies *r, int64_t next_due)
{
	struct timespec ts;
	int64_t now = (int64_t)time(NULL);
	int64_t wait_s = next_due > now ? next_due - now : 1;

	if (wait_s > 1)
		wait_s = 1; /* look again at least once a second */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_s;
	pthread_mutex_lock(&r->lock);
	while (!r->woken && !r->stopping)
		if (pthread_cond_timedwait(&r->wake, &r->lock, &ts) == ETIMEDOUT)
			break;
	r->woken = 0;
	pthread_mutex_unlock(&r->lock);
}

static void *replies_main(void *arg)
{
	struct replies *r = arg;
	struct store_outbox_item items[REPLIES_BATCH];

	for (;;) {
		int n = 0, rc;
		int64_t now = (int64_t)time(NULL), next = 0;

		pthread_mutex_lock(&r->lock);
		if (r->stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		pthread_mutex_unlock(&r->lock);

		rc = store_outbox_due(r->st, now, items, REPLIES_BATCH, &n);
		if (rc) {
			log_error("reply-read", "error=\"%s\"", banditore_strerror(rc));
			n = 0;
		}
		/* Routine broadcasts yield the number's slots while these wait. */
		if (r->rs.pace)
			ratelimit_shared_waiting(r->rs.pace, RATELIMIT_REPLIES, n);
		for (int i = 0; i < n; i++) {
			struct settle_job *s = calloc(1, sizeof(*s));
			if (s) {
				s->r = r;
				s->id = items[i].id;
				s->platform = items[i].platform;
				snprintf(s->kind, sizeof(s->kind), "%s", items[i].kind);
				s->action = send_one(r, &items[i], now, s);
				s->job.apply = settle_apply;
				s->job.done = settle_done;
				pthread_mutex_lock(&r->lock);
				r->pending_jobs++;
				pthread_mutex_unlock(&r->lock);
				if (writer_submit(r->rs.writer, &s->job) != 0) {
					pthread_mutex_lock(&r->lock);
					r->pending_jobs--;
					pthread_mutex_unlock(&r->lock);
					free(s);
				}
			}
			store_outbox_item_clear(&items[i]);
			if (r->rs.pace)
				ratelimit_shared_waiting(r->rs.pace, RATELIMIT_REPLIES, n - i - 1);
		}
		/* Wait until the writer has settled this batch before reading again. */
		pthread_mutex_lock(&r->lock);
		while (r->pending_jobs > 0)
			pthread_cond_wait(&r->wake, &r->lock);
		pthread_mutex_unlock(&r->lock);
		if (n == REPLIES_BATCH)
			continue;
		if (store_outbox_next_time(r->st, &next) != 0)
			next = now + 1;
		if (next > now)
			wait_for_work(r, next);
	}
	return NULL;
}

int replies_start(const struct replies_settings *rs, struct replies **out)
{
	struct replies *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return BANDITORE_ENOMEM;
	r->rs = *rs;
	if (r->rs.max_attempts <= 0)
		r->rs.max_attempts = 12;
	if (r->rs.max_age <= 0)
		r->rs.max_age = 86400;
	rc = store_open(rs->store_url, &r->st);
	if (!rc) /* a few outbox rows at a time */
		rc = store_set_cache(r->st, 2048);
	if (rc)
		goto fail;
	rc = whatsapp_new(&rs->whatsapp, &r->wa);
	if (rc)
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, replies_main, r) != 0) {
		rc = BANDITORE_ENOMEM;
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->wake);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	whatsapp_free(r->wa);
	store_free(r->st);
	free(r);
	return rc;
}

void replies_wake(void *arg)
{
	struct replies *r = arg;
	pthread_mutex_lock(&r->lock);
	r->woken = 1;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void replies_stop(struct replies *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	whatsapp_free(r->wa);
	store_free(r->st);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r);
}
