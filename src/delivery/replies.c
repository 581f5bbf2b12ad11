/*
 * replies.c - send what the outbox holds, many at once, and settle each through the writer.
 *
 * One thread drives a libcurl multi handle (wa_multi.h) with up to REPLIES_SLOTS sends in
 * flight: a platform answers in tens or hundreds of milliseconds, and one send at a time
 * would answer a launch day's thousands of joins at a few a second. The number's pace is
 * the schedule shared with broadcasts (ratelimit.h), in which replies come after an
 * emergency and before routine sends. When the pace refuses a slot the thread sleeps on a
 * timerfd until the slot is due and reads then, only the rows the pace can start (reading
 * every 5 ms and retrying only then lost 9% of the slots at 80/s: bench/RESULTS.md); each
 * answer's time goes back to the schedule, which holds the send a window later if the
 * request may have arrived late. Every 10 s of work a "reply-pace" log line says where
 * the slots and the thread's time went.
 *
 * A row stays in the outbox until its send is settled durably (sent: deleted; retry:
 * rescheduled; given up: deleted and counted), so a crash resends at most what was in
 * flight. Until then its id is "busy" here, so that the next read of due rows skips it.
 */
#include "delivery/replies.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "delivery/wa_multi.h"
#include "subscribers/subscribers.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define REPLIES_SLOTS 64       /* sends in flight at once */
#define REPLIES_READ 256       /* due rows read at once */
#define BUSY_MAX (REPLIES_SLOTS + REPLIES_READ) /* sent or settling, not yet durable */
#define READ_GAP_NS 5000000LL  /* read due rows at most every 5 ms while busy */
#define IDLE_POLL_MS 1000      /* look again at least once a second */
#define STOP_WAIT_NS 3000000000LL /* then sends in flight are abandoned (resent later) */
#define TEMPLATE_PARAMS_MAX 8
#define BACKOFF_BASE 2         /* seconds, doubled per attempt */
#define BACKOFF_MAX 3600
#define STATS_EVERY_NS 10000000000LL /* the pace's figures in the log every 10 s of work */

enum settle { SETTLE_SENT, SETTLE_RETRY, SETTLE_GIVE_UP };

/* A send in flight: what its settlement needs. */
struct flight {
	int used;
	int64_t id;
	int platform;
	int attempts;
	uint64_t ticket; /* its slot in the number's schedule (ratelimit_shared_arrived) */
	char kind[16];
};

struct replies {
	struct replies_settings rs;
	struct store *st;
	struct wa_multi *net;
	struct ratelimit_shared own_pace;
	struct ratelimit_shared *pace;
	pthread_t thread;
	int timer_fd;             /* wakes the thread when the pace's next slot is due */
	int64_t pace_due_ns;      /* that time, 0 when the pace refused nothing (thread only) */
	pthread_mutex_t lock;     /* guards everything below */
	pthread_cond_t settled;
	int woken, stopping, pending_jobs;
	int64_t busy[BUSY_MAX];   /* ids sent or being settled */
	int n_busy;
	struct flight flights[REPLIES_SLOTS];
	/* The due rows of one read, kept for the thread's life: the read runs up to every
	 * commit and every 5 ms, and a fresh zeroed array each time (280 KiB) cost more
	 * than the rows it held. Only the replies thread uses it. */
	struct store_outbox_item items[REPLIES_READ];
	int64_t skip[BUSY_MAX];   /* the busy ids when a read began, ascending (thread only) */
	/* Where the thread's time went since the last "reply-pace" line (thread only). */
	struct {
		int64_t since_ns, db_ns, wait_pace_ns, wait_flight_ns, wait_idle_ns;
		int64_t due_ns;    /* when the pace said the next slot is due, 0: not refused */
		int64_t late_ns;   /* summed lateness of takes after a refusal */
		uint64_t reads, rows, refused, started, late[4]; /* late: <1, <2, <5, >=5 ms */
		uint64_t all_busy; /* reads that found nothing but rows sent or settling */
		int busy_max;
	} ps;
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
	/* The row held a sealed address: unless its owner is still a subscriber (a join's
	 * confirmation), the log must not keep an old copy of it (writer.h). */
	if (strcmp(s->kind, "join") != 0 && strcmp(s->kind, "already") != 0)
		job->erased = 1;
	subscribers_day((int64_t)time(NULL), day);
	snprintf(name, sizeof(name), "%s-%s", s->action == SETTLE_SENT ? "sent" : "failed", s->kind);
	return store_counter_add(st, day, s->platform, name, 1);
}

/* Under r->lock. */
static int is_busy(const struct replies *r, int64_t id)
{
	for (int i = 0; i < r->n_busy; i++)
		if (r->busy[i] == id)
			return 1;
	return 0;
}

/* Under r->lock: the id is no longer sent or settling. */
static void unbusy_locked(struct replies *r, int64_t id)
{
	for (int i = 0; i < r->n_busy; i++)
		if (r->busy[i] == id) {
			r->busy[i] = r->busy[--r->n_busy];
			break;
		}
}

static void unbusy(struct replies *r, int64_t id)
{
	pthread_mutex_lock(&r->lock);
	unbusy_locked(r, id);
	pthread_mutex_unlock(&r->lock);
}

static void settle_done(struct writer_job *job, int rc)
{
	struct settle_job *s = (struct settle_job *)job;
	struct replies *r = s->r;

	if (rc)
		log_error("reply-settle", "error=\"%s\"", banditore_strerror(rc));
	pthread_mutex_lock(&r->lock);
	unbusy_locked(r, s->id);
	r->pending_jobs--;
	pthread_cond_broadcast(&r->settled);
	pthread_mutex_unlock(&r->lock);
	free(s);
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

/* Hands the outcome of row `id` to the writer (the id is busy until it is durable). */
static void settle(struct replies *r, int64_t id, int platform, const char *kind, int action,
		   int attempts, int64_t not_before)
{
	struct settle_job *s = calloc(1, sizeof(*s));

	if (!s) {
		unbusy(r, id); /* stays due: tried again */
		return;
	}
	s->r = r;
	s->id = id;
	s->platform = platform;
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->action = action;
	s->attempts = attempts;
	s->not_before = not_before;
	s->job.apply = settle_apply;
	s->job.done = settle_done;
	pthread_mutex_lock(&r->lock);
	r->pending_jobs++;
	pthread_mutex_unlock(&r->lock);
	if (writer_submit(r->rs.writer, &s->job) != 0) {
		pthread_mutex_lock(&r->lock);
		r->pending_jobs--;
		unbusy_locked(r, id);
		pthread_mutex_unlock(&r->lock);
		free(s);
	}
}

/* The request body for an outbox row: {"text": ...} is a free-form reply (inside the
 * 24-hour window), {"template": NAME, "language": L, "params": [...]} a template (a
 * notice outside it), {"text": T, "buttons": [[id, title]...]} a reply-button message
 * (the question of a two-step join, inside the window). *out is allocated; BANDITORE_EINVAL for anything else. */
static int build_body(const char *to, const char *payload, char **out)
{
	const char *params[TEMPLATE_PARAMS_MAX];
	json_t *body = json_loads(payload, 0, NULL), *list;
	const char *text, *name, *lang;
	int rc = BANDITORE_EINVAL, n = 0;

	*out = NULL;
	if (!json_is_object(body))
		goto done;
	text = json_string_value(json_object_get(body, "text"));
	name = json_string_value(json_object_get(body, "template"));
	list = json_object_get(body, "buttons");
	if (text && json_is_array(list)) {
		/* {"text": T, "buttons": [[id, title]...]}: reply buttons (inside the window). */
		const char *ids[WHATSAPP_BUTTONS_MAX], *titles[WHATSAPP_BUTTONS_MAX];
		size_t nb = json_array_size(list);
		if (nb < 1 || nb > WHATSAPP_BUTTONS_MAX)
			goto done;
		for (size_t i = 0; i < nb; i++) {
			json_t *b = json_array_get(list, i);
			ids[i] = json_string_value(json_array_get(b, 0));
			titles[i] = json_string_value(json_array_get(b, 1));
			if (!ids[i] || !titles[i])
				goto done;
		}
		rc = whatsapp_build_buttons(to, text, ids, titles, (int)nb, out);
		goto done;
	}
	if (text && json_is_object(json_object_get(body, "list"))) {
		/* {"text": T, "list": {"button": B, "rows": [[id, title, description]...]}}: an
		 * interactive list (choosing areas or categories, inside the window). */
		json_t *l = json_object_get(body, "list"), *rows = json_object_get(l, "rows");
		const char *ids[WHATSAPP_LIST_ROWS_MAX], *titles[WHATSAPP_LIST_ROWS_MAX];
		const char *descs[WHATSAPP_LIST_ROWS_MAX];
		size_t nr = json_array_size(rows);
		if (nr < 1 || nr > WHATSAPP_LIST_ROWS_MAX)
			goto done;
		for (size_t i = 0; i < nr; i++) {
			json_t *row = json_array_get(rows, i);
			ids[i] = json_string_value(json_array_get(row, 0));
			titles[i] = json_string_value(json_array_get(row, 1));
			descs[i] = json_string_value(json_array_get(row, 2));
			if (!ids[i] || !titles[i])
				goto done;
		}
		rc = whatsapp_build_list(to, text, json_string_value(json_object_get(l, "button")), ids,
					 titles, descs, (int)nr, out);
		goto done;
	}
	if (text) {
		rc = whatsapp_build_text(to, text, 1, out);
		goto done;
	}
	lang = json_string_value(json_object_get(body, "language"));
	list = json_object_get(body, "params");
	if (!name || !lang || (list && !json_is_array(list)) ||
	    json_array_size(list) > TEMPLATE_PARAMS_MAX)
		goto done;
	for (size_t i = 0; i < json_array_size(list); i++) {
		params[n] = json_string_value(json_array_get(list, i));
		if (!params[n++])
			goto done;
	}
	rc = whatsapp_build_template(to, name, lang, params, n, NULL, out);
done:
	json_decref(body);
	return rc;
}

/* Starts the send of `it` in a free slot, or settles it at once (too old, unreadable).
 * Returns 1 when the row was taken care of, 0 when the pace says not yet. */
static int start_one(struct replies *r, struct store_outbox_item *it, int64_t now)
{
	char to[SUBSCRIBERS_ADDRESS_MAX];
	char *body = NULL;
	int slot = -1, rc;
	uint64_t ticket = 0;

	if (now - it->created_at > r->rs.max_age || it->attempts >= r->rs.max_attempts ||
	    it->platform != PLATFORM_WHATSAPP) {
		settle(r, it->id, it->platform, it->kind, SETTLE_GIVE_UP, it->attempts, 0);
		return 1;
	}
	{
		int64_t t = mono_ns();
		int64_t wait = ratelimit_shared_take_ticket(r->pace, RATELIMIT_REPLIES, t, &ticket);

		if (wait > 0) {
			r->ps.refused++;
			if (!r->ps.due_ns)
				r->ps.due_ns = t + wait;
			r->pace_due_ns = t + wait;
			return 0;
		}
		if (r->ps.due_ns) {
			int64_t late = t - r->ps.due_ns;
			if (late < 0)
				late = 0;
			r->ps.late_ns += late;
			r->ps.late[late < 1000000 ? 0 : late < 2000000 ? 1 : late < 5000000 ? 2 : 3]++;
			r->ps.due_ns = 0;
		}
		r->ps.started++;
	}
	for (int i = 0; i < REPLIES_SLOTS && slot < 0; i++)
		if (!r->flights[i].used)
			slot = i;
	rc = subscribers_unseal(r->rs.keys, it->platform, it->sealed, it->sealed_len, to, sizeof(to));
	if (rc == 0) {
		const char *payload = it->body;
		if (it->canned[0]) /* the same words for everyone: from the configuration */
			payload = r->rs.canned ? r->rs.canned(r->rs.canned_arg, it->canned) : NULL;
		rc = payload ? build_body(to, payload, &body) : BANDITORE_ENOTFOUND;
	}
	crypto_wipe(to, sizeof(to));
	if (rc == 0 && slot >= 0)
		rc = wa_multi_send(r->net, body, strlen(body), (uint64_t)slot);
	if (body) {
		crypto_wipe(body, strlen(body));
		free(body);
	}
	if (rc == BANDITORE_ETEMP || rc == BANDITORE_ENOMEM || slot < 0)
		return 0; /* no slot after all, or no memory: the row stays due */
	if (rc) {
		log_error("reply-unreadable", "id=%lld kind=%s error=\"%s\"", (long long)it->id,
			  it->kind, banditore_strerror(rc));
		settle(r, it->id, it->platform, it->kind, SETTLE_GIVE_UP, it->attempts, 0);
		return 1;
	}
	r->flights[slot].used = 1;
	r->flights[slot].id = it->id;
	r->flights[slot].platform = it->platform;
	r->flights[slot].attempts = it->attempts;
	r->flights[slot].ticket = ticket;
	snprintf(r->flights[slot].kind, sizeof(r->flights[slot].kind), "%s", it->kind);
	return 1;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Reads due rows that are not busy and starts as many as the slots and the pace allow.
 * Returns how many were due and left waiting (for the schedule's priority). */
static int issue(struct replies *r, int64_t now)
{
	struct store_outbox_item *items = r->items;
	int n = 0, n_skip, waiting = 0, blocked = 0, rc, max;

	/* Enough rows to fill the free slots the pace lets start before the next read, past
	 * the busy ones, and one more to know whether any is left waiting (only "some are
	 * waiting" matters, ratelimit.h): at 80/s one slot is due at a time, and reading 64
	 * rows for it (every 5 ms) cost the thread most of its time. */
	max = wa_multi_free_slots(r->net);
	if (r->pace->rl.interval_ns > 0 && max > 1 + READ_GAP_NS / r->pace->rl.interval_ns)
		max = 1 + (int)(READ_GAP_NS / r->pace->rl.interval_ns);
	max += 1;
	if (max > REPLIES_READ)
		max = REPLIES_READ;
	/* The busy rows are passed over unread: most of the rows a read meets are sends in
	 * flight, and reading and opening each again at every read (823 reads a second at a
	 * pace of 1,000) was most of this thread's time. The writer only takes ids away
	 * meanwhile, so a copy taken now covers the read. */
	pthread_mutex_lock(&r->lock);
	n_skip = r->n_busy;
	memcpy(r->skip, r->busy, (size_t)n_skip * sizeof(*r->skip));
	pthread_mutex_unlock(&r->lock);
	qsort(r->skip, (size_t)n_skip, sizeof(*r->skip), id_cmp);
	{
		int64_t t = mono_ns();
		rc = store_outbox_due_skip(r->st, now, r->skip, n_skip, items, max, &n);
		r->ps.db_ns += mono_ns() - t;
		r->ps.reads++;
		r->ps.rows += (uint64_t)(rc ? 0 : n);
	}
	if (rc) {
		log_error("reply-read", "error=\"%s\"", banditore_strerror(rc));
		n = 0;
	}
	pthread_mutex_lock(&r->lock);
	if (r->n_busy > r->ps.busy_max)
		r->ps.busy_max = r->n_busy;
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < n; i++) {
		int busy;

		/* Busy before it is started: start_one may settle it at once (too old, no
		 * body), and the writer may finish that settlement, and take the id away,
		 * before start_one has even returned. */
		pthread_mutex_lock(&r->lock);
		busy = is_busy(r, items[i].id) || r->n_busy == BUSY_MAX;
		if (!busy)
			r->busy[r->n_busy++] = items[i].id;
		pthread_mutex_unlock(&r->lock);
		if (busy) {
			store_outbox_item_clear(&items[i]);
			continue;
		}
		if (blocked || wa_multi_free_slots(r->net) == 0 || !start_one(r, &items[i], now)) {
			blocked = 1;
			waiting++;
			unbusy(r, items[i].id); /* not started: due again at the next read */
		}
		store_outbox_item_clear(&items[i]);
	}
	if (n == 0 && n_skip > 0)
		r->ps.all_busy++;
	/* The rows hold sealed addresses: not left in memory until the next read. */
	crypto_wipe(items, (size_t)n * sizeof(*items));
	return waiting;
}

/* Settles every finished send. */
static void collect(struct replies *r, int64_t now)
{
	struct connector_result res;
	uint64_t tag;

	while (wa_multi_done(r->net, &tag, &res)) {
		struct flight *f = &r->flights[tag % REPLIES_SLOTS];
		int attempts = f->attempts + 1;

		f->used = 0;
		/* When the answer came bounds when the request arrived (ratelimit.h). */
		ratelimit_shared_arrived(r->pace, f->ticket, mono_ns());
		if (res.outcome == CONNECTOR_OK) {
			log_info("reply-sent", "kind=%s id=%lld", f->kind, (long long)f->id);
			settle(r, f->id, f->platform, f->kind, SETTLE_SENT, attempts, 0);
			continue;
		}
		log_warn("reply-failed", "kind=%s id=%lld http=%d code=%d outcome=%s reason=\"%s\"",
			 f->kind, (long long)f->id, res.http_status, res.error_code,
			 res.outcome == CONNECTOR_FAIL ? "permanent" : "retry", res.error);
		if (res.outcome == CONNECTOR_FAIL)
			settle(r, f->id, f->platform, f->kind, SETTLE_GIVE_UP, attempts, 0);
		else
			settle(r, f->id, f->platform, f->kind, SETTLE_RETRY, attempts,
			       now + backoff(attempts, res.retry_after));
	}
}

/* Every STATS_EVERY_NS while there is work: where the slots and the thread's time went
 * (bench/launch reads these lines; an operator sees from them what holds replies back). */
static void log_pace(struct replies *r, int waiting)
{
	struct ratelimit_stats rs;
	int64_t now = mono_ns();

	if (!r->ps.since_ns) {
		r->ps.since_ns = now;
		return;
	}
	if (now - r->ps.since_ns < STATS_EVERY_NS)
		return;
	ratelimit_shared_stats(r->pace, &rs, 1);
	if (r->ps.started || waiting || rs.taken[RATELIMIT_ROUTINE] || rs.taken[RATELIMIT_EMERGENCY])
		log_info("reply-pace", "seconds=%.1f started=%llu waiting=%d slots_emergency=%llu "
			 "slots_replies=%llu slots_routine=%llu routine_yielded=%llu late_takes=%llu "
			 "late_lost_ms=%.1f refused=%llu late_lt1ms=%llu late_lt2ms=%llu "
			 "late_lt5ms=%llu late_ge5ms=%llu late_sum_ms=%.1f reads=%llu rows=%llu "
			 "db_ms=%.1f wait_pace_ms=%.1f wait_flight_ms=%.1f wait_idle_ms=%.1f "
			 "all_busy=%llu busy_max=%d arrived=%llu moved=%llu moved_ms=%.1f moved_max_ms=%.1f",
			 (double)(now - r->ps.since_ns) / 1e9, (unsigned long long)r->ps.started, waiting,
			 (unsigned long long)rs.taken[RATELIMIT_EMERGENCY],
			 (unsigned long long)rs.taken[RATELIMIT_REPLIES],
			 (unsigned long long)rs.taken[RATELIMIT_ROUTINE],
			 (unsigned long long)rs.yielded[RATELIMIT_ROUTINE],
			 (unsigned long long)rs.late_takes, (double)rs.late_ns / 1e6,
			 (unsigned long long)r->ps.refused, (unsigned long long)r->ps.late[0],
			 (unsigned long long)r->ps.late[1], (unsigned long long)r->ps.late[2],
			 (unsigned long long)r->ps.late[3], (double)r->ps.late_ns / 1e6,
			 (unsigned long long)r->ps.reads, (unsigned long long)r->ps.rows,
			 (double)r->ps.db_ns / 1e6, (double)r->ps.wait_pace_ns / 1e6,
			 (double)r->ps.wait_flight_ns / 1e6, (double)r->ps.wait_idle_ns / 1e6,
			 (unsigned long long)r->ps.all_busy, r->ps.busy_max,
			 (unsigned long long)rs.arrived, (unsigned long long)rs.moved,
			 (double)rs.moved_ns / 1e6,
			 (double)rs.moved_max_ns / 1e6);
	memset(&r->ps, 0, sizeof(r->ps));
	r->ps.since_ns = now;
}

static void *replies_main(void *arg)
{
	struct replies *r = arg;
	int64_t last_read = 0, stop_deadline = 0;
	int waiting = 0; /* due rows the last read left unsent (the pace or the slots) */
	int pending_wake = 0; /* a wake-up came while the pace held the thread */

	for (;;) {
		int64_t now_ns = mono_ns(), now = (int64_t)time(NULL), next = 0;
		int stopping, woken, timeout = IDLE_POLL_MS;

		pthread_mutex_lock(&r->lock);
		stopping = r->stopping;
		woken = r->woken;
		r->woken = 0;
		pthread_mutex_unlock(&r->lock);
		if (stopping) {
			if (!stop_deadline)
				stop_deadline = now_ns + STOP_WAIT_NS;
			waiting = 0;
			if (wa_multi_in_flight(r->net) == 0 || now_ns >= stop_deadline)
				break;
		} else if (r->pace_due_ns && now_ns < r->pace_due_ns) {
			/* The pace refused a slot: nothing can start before it is due, and the
			 * timer wakes the thread then (new rows meanwhile wait for it). */
			if (woken)
				pending_wake = 1;
		} else if (wa_multi_free_slots(r->net) > 0 &&
			   (woken || pending_wake || r->pace_due_ns ||
			    now_ns - last_read >= READ_GAP_NS)) {
			/* Right when the slot is due: a slot taken late is time the number's
			 * schedule has to make up (ratelimit.h). */
			r->pace_due_ns = 0;
			pending_wake = 0;
			waiting = issue(r, now);
			last_read = now_ns;
		}
		/* Routine broadcasts yield the number's slots while replies wait or fly. */
		ratelimit_shared_waiting(r->pace, RATELIMIT_REPLIES,
					 waiting + wa_multi_in_flight(r->net));
		if (r->pace_due_ns && !stopping) {
			struct itimerspec its;

			memset(&its, 0, sizeof(its));
			its.it_value.tv_sec = (time_t)(r->pace_due_ns / 1000000000);
			its.it_value.tv_nsec = (long)(r->pace_due_ns % 1000000000);
			if (timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
				timeout = 50;
			else
				timeout = 1;
		} else if (waiting || wa_multi_in_flight(r->net) > 0)
			timeout = waiting ? 1 : 50;
		else if (!stopping && store_outbox_next_time(r->st, &next) == 0 && next <= now)
			timeout = 5; /* due rows that are busy settling: look again soon */
		{
			int64_t t = mono_ns(), *into = waiting ? &r->ps.wait_pace_ns :
				wa_multi_in_flight(r->net) > 0 ? &r->ps.wait_flight_ns : &r->ps.wait_idle_ns;
			int fired = 0;
			uint64_t expirations;

			wa_multi_poll(r->net, timeout, r->timer_fd, &fired);
			if (fired && read(r->timer_fd, &expirations, sizeof(expirations)) < 0)
				expirations = 0; /* EAGAIN: nothing to clear */
			*into += mono_ns() - t;
		}
		collect(r, (int64_t)time(NULL));
		log_pace(r, waiting);
	}
	ratelimit_shared_waiting(r->pace, RATELIMIT_REPLIES, 0);
	/* Sends still in flight are abandoned (their rows stay due); wait for the writer to
	 * settle what was handed to it, since its jobs point here. */
	pthread_mutex_lock(&r->lock);
	while (r->pending_jobs > 0)
		pthread_cond_wait(&r->settled, &r->lock);
	pthread_mutex_unlock(&r->lock);
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
	ratelimit_shared_init(&r->own_pace,
			      r->rs.messages_per_second > 0 ? r->rs.messages_per_second : 80);
	r->pace = r->rs.pace ? r->rs.pace : &r->own_pace;
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd < 0) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	rc = store_open(rs->store_url, &r->st);
	if (!rc) /* a few outbox rows at a time */
		rc = store_set_cache(r->st, 2048);
	if (!rc)
		rc = wa_multi_new(&rs->whatsapp, REPLIES_SLOTS, &r->net);
	if (rc)
		goto fail;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->settled, NULL);
	if (pthread_create(&r->thread, NULL, replies_main, r) != 0) {
		rc = BANDITORE_ENOMEM;
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->settled);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	wa_multi_free(r->net);
	store_free(r->st);
	ratelimit_shared_destroy(&r->own_pace);
	free(r);
	return rc;
}

void replies_wake(void *arg)
{
	struct replies *r = arg;

	pthread_mutex_lock(&r->lock);
	r->woken = 1;
	pthread_mutex_unlock(&r->lock);
	wa_multi_wakeup(r->net);
}

void replies_stop(struct replies *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_mutex_unlock(&r->lock);
	wa_multi_wakeup(r->net);
	pthread_join(r->thread, NULL);
	wa_multi_free(r->net);
	store_free(r->st);
	close(r->timer_fd);
	ratelimit_shared_destroy(&r->own_pace);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->settled);
	free(r);
}
