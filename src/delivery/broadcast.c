/*
 * broadcast.c - the broadcast engine: one thread, one event loop, many sends in flight.
 *
 * Words used here:
 *   job         the work on one message in this process (struct job); normally one, but
 *               a preempted or stopped job drains its sends in flight while the next
 *               one starts, so there may be a few at once. Only the current one issues.
 *   item        one recipient of a job: waiting, in flight, or done with an outcome.
 *   ring        a job's items in the order they are sent (for the walk: subscriber id
 *               order). Indexes only grow: head <= ckpt <= issue <= tail, where
 *                 [head, ckpt)  are in a checkpoint submitted to the writer, not durable;
 *                 [ckpt, issue) were sent (in flight or done);
 *                 [issue, tail) are read from the store and waiting.
 *               issue - head never exceeds the window (page_size): that is the bound on
 *               what a crash can repeat.
 *   checkpoint  one writer job settling a done prefix of the ring: cursor, counts,
 *               subscribers sent/failed, retries put/removed, maybe a state change. At
 *               most one per job is pending, so that they are durable in order.
 */
#include "delivery/broadcast.h"
#include "delivery/broadcast_media.h"

#include "audit/audit.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "delivery/broadcast_message.h"
#include "delivery/outcome.h"
#include "delivery/ratelimit.h"
#include "delivery/wa_multi.h"
#include "messages/messages.h"
#include "subscribers/subscribers.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define JOBS_MAX 8
#define HELD_MAX 8
#define ITEM_SEALED_MAX 128            /* a sealed E.164 number is about 45 bytes */
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define TICK_BUSY_NS (50 * NS_PER_MS)  /* look for emergencies, cancels, expiry */
#define TICK_IDLE_NS (200 * NS_PER_MS) /* look for new messages */
#define CHECKPOINT_NS (200 * NS_PER_MS) /* settle at least this often */
#define PROGRESS_LOG_NS (10 * NS_PER_S)
#define BROADCAST_CACHE_KIB 8192       /* the reader's page cache (see store_set_cache) */
#define TIER_WINDOW 86400              /* the messaging limit counts a rolling day */
#define TIER_RECHECK 60                /* seconds between looks at a full window */
#define SHUTDOWN_WAIT_NS (3 * NS_PER_S) /* then sends in flight are abandoned (resent later) */
#define ERROR_HOLD 5                   /* seconds before a job that failed is tried again */
/* Recipients are read just ahead of their turn, about this long before: someone who
 * leaves later than that before their turn is no longer there when it comes. */
#define LOOKAHEAD_NS (200 * NS_PER_MS)
#define FETCH_MIN 16
#define TAG_SHIFT 48
#define TAG_MASK ((1ULL << TAG_SHIFT) - 1)

enum item_state { ITEM_WAITING = 0, ITEM_FLIGHT, ITEM_DONE };
#define ACTION_GONE 100 /* a retry whose subscriber left or became unreachable */
#define ACTION_PARKED 101 /* still in flight after PARK_NS: settled as a retry meanwhile */

struct item {
	int64_t sub_id;
	uint8_t sealed[ITEM_SEALED_MAX];
	size_t sealed_len;
	int attempts;      /* sends made before this one (from the retry table) */
	int retry;         /* 1: taken from the retry table, 0: from the walk */
	int state;         /* enum item_state */
	int action;        /* enum outcome_action, or ACTION_GONE, once done */
	int retry_after;
	int64_t sent_ns;   /* when it was sent */
	uint64_t pace_ticket; /* its slot in the number's schedule (ratelimit_shared_arrived) */
};

/*
 * A send still unanswered after PARK_NS would hold the cursor, and with it the window,
 * for up to the connector's time-out (10 s: at 1,000/s, everything would stop). So it is
 * parked: settled meanwhile as a retry due only after its transfer must have ended
 * (PARK_GUARD), and its answer, when it comes, settles that retry like any other.
 */
struct parked {
	int64_t sub_id;
	int attempts;      /* sends before the parked one */
	int state;         /* ITEM_FLIGHT, then ITEM_DONE; ITEM_WAITING: a free entry */
	int action;
	int retry_after;
};

#define PARK_NS (1000 * 1000000LL)
#define PARK_GUARD 15          /* seconds: more than the connector's time-out */
#define PARKED_MAX 4096
#define PARK_BIT (1ULL << 47)

enum phase { PH_START, PH_WALK, PH_RETRY, PH_FINAL };
enum stop_reason {
	STOP_NONE = 0, STOP_PREEMPTED, STOP_CANCELLED, STOP_EXPIRED, STOP_HALTED, STOP_ERROR,
	STOP_GONE, STOP_SHUTDOWN, STOP_TIER,
};
static const char *const stop_names[] = {
	"none", "preempted", "cancelled", "expired", "halted", "error", "gone", "shutdown",
	"messaging-limit",
};

enum transition { T_NONE = 0, T_START, T_FINISH, T_EXPIRE, T_REFUSE };

struct job;

struct checkpoint {
	struct writer_job job; /* first: the writer hands it back */
	struct broadcast *b;
	struct job *owner;
	struct checkpoint *next;
	int64_t message_id, cursor, at;
	int64_t d_sent, d_failed, d_unreachable;
	uint64_t n_retry_items;
	int threshold;
	uint64_t end;
	int transition, from_state, clear_retries;
	int result_state; /* the state the message ended in (T_FINISH) */
	int64_t *sent_ids;
	int n_sent;
	int64_t *failed_ids;
	int n_failed;
	struct store_retry *puts;
	int n_puts;
	int64_t *removes;
	int n_removes;
	int rc;
};

struct job {
	int slot;
	int64_t id;
	int priority;
	int64_t audience_max_id, audience, expires_at;
	int64_t last_fetched_id;
	struct whatsapp_prepared *tpl;
	int phase;
	int stop;
	int exhausted;
	int broken;               /* a checkpoint failed: record nothing more, end */
	struct item *ring;
	uint64_t cap, head, ckpt, issue, tail;
	int flight;               /* transfers in flight, parked ones included */
	int first_logged;         /* broadcast-first-send written for this job */
	struct parked *parked;
	int n_parked;             /* entries used (free ones have state ITEM_WAITING) */
	struct checkpoint *pending;
	int64_t last_ckpt_ns, started_ns, last_log_ns;
	int64_t retry_next;       /* retry phase: unix time of the next due retry */
	int64_t retry_poll;       /* walk: when to look for due retries again */
	uint64_t retry_items;     /* retries in the ring, not yet settled durably */
	uint64_t sent, failed, retried; /* in this process, for logs */
};

struct held {
	int64_t id;
	int64_t until;            /* unix seconds */
	int halts;
};

struct broadcast {
	struct broadcast_settings bs;
	struct store *st;
	struct wa_multi *net;
	struct ratelimit_shared own_pace;
	struct ratelimit_shared *pace;
	int timer_fd;
	pthread_t thread;
	pthread_mutex_t lock;     /* guards woken, stopping, done_list, stats */
	int woken, stopping;
	struct checkpoint *done_list;
	struct broadcast_stats stats;

	/* The engine thread's own. */
	struct job *jobs[JOBS_MAX];
	struct job *cur;
	struct held held[HELD_MAX];
	struct store_recipient *page;
	struct buf body;
	uint32_t rng;
	int fetch;                /* recipients read at once: about LOOKAHEAD_NS of sends */
	/* The number's messaging limit (unique people per rolling 24 h; 0: none): how many
	 * more sends fit now, counted at each job's start from the recipients' last sends.
	 * Every send counts, even to someone reached already today: it errs on the safe side. */
	int64_t tier_left;
	int shutting, abandon;
	int64_t shutdown_deadline;
	int timer_armed;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static uint32_t next_random(struct broadcast *b)
{
	uint32_t x = b->rng ? b->rng : 0x9e3779b9u; /* xorshift32 */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	b->rng = x;
	return x;
}

static struct item *item_at(struct job *j, uint64_t i)
{
	return &j->ring[i % j->cap];
}

static void stats_add(struct broadcast *b, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&b->lock);
	*field += n;
	pthread_mutex_unlock(&b->lock);
}

/* ---- holds: messages that wait before being tried again ---- */

static struct held *held_find(struct broadcast *b, int64_t id)
{
	for (int i = 0; i < HELD_MAX; i++)
		if (b->held[i].id == id)
			return &b->held[i];
	return NULL;
}

static int is_held(struct broadcast *b, int64_t id, int64_t now)
{
	struct held *h = held_find(b, id);
	return h && h->until > now;
}

static int64_t hold(struct broadcast *b, int64_t id, int64_t now, int halt)
{
	struct held *h = held_find(b, id);
	int64_t secs;

	if (!h) {
		h = &b->held[0];
		for (int i = 0; i < HELD_MAX; i++)
			if (b->held[i].until < h->until)
				h = &b->held[i];
		memset(h, 0, sizeof(*h));
		h->id = id;
	}
	if (halt > 0)
		h->halts++;
	secs = halt > 0 ? outcome_hold(h->halts) : halt < 0 ? -halt : ERROR_HOLD;
	h->until = now + secs;
	return secs;
}

static void unhold(struct broadcast *b, int64_t id)
{
	struct held *h = held_find(b, id);
	if (h)
		memset(h, 0, sizeof(*h));
}

/* ---- checkpoints (the writer's side) ---- */

/* The audit's entry of a broadcast's start or end, by "system", in the checkpoint's
 * transaction. Only on those two transitions: never per batch. Nothing without keys
 * (some unit tests run the engine without them). */
static int record(struct store *st, const struct checkpoint *cp, const char *action,
		  const struct store_message *m, int state)
{
	struct audit_keys ak;
	char object[32], details[256];
	int rc;

	if (!cp->b->bs.keys)
		return 0;
	snprintf(object, sizeof(object), "message:%lld", (long long)cp->message_id);
	snprintf(details, sizeof(details),
		 "{\"audience\":%lld,\"failed\":%lld,\"sent\":%lld,\"state\":\"%s\","
		 "\"unreachable\":%lld}",
		 (long long)m->audience, (long long)m->failed, (long long)m->sent,
		 messages_state_name(state), (long long)m->unreachable);
	audit_keys_from(&ak, cp->b->bs.keys);
	rc = audit_append(st, &ak, "system", action, object, details, cp->at, NULL);
	crypto_wipe(&ak, sizeof(ak));
	return rc;
}

static int checkpoint_start(struct store *st, struct checkpoint *cp)
{
	struct store_message m;
	int rc;

	rc = store_message_transition(st, cp->message_id, cp->from_state, STORE_MSG_SENDING, cp->at);
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	rc = store_message_get(st, cp->message_id, &m);
	if (!rc)
		rc = record(st, cp, "message.send", &m, STORE_MSG_SENDING);
	store_message_clear(&m);
	return rc;
}

static int checkpoint_apply(struct store *st, struct writer_job *wj)
{
	struct checkpoint *cp = (struct checkpoint *)wj;
	struct store_message m;
	int rc;

	cp->d_unreachable = 0;
	if (cp->transition == T_START)
		return checkpoint_start(st, cp);
	for (int i = 0; i < cp->n_failed; i++) {
		int failures = 0;
		rc = store_subscriber_failed(st, cp->failed_ids[i], &failures);
		if (rc == BANDITORE_ENOTFOUND)
			continue; /* left meanwhile */
		if (rc)
			return rc;
		if (failures == cp->threshold)
			cp->d_unreachable++;
	}
	if (cp->n_sent > 0) {
		rc = store_subscribers_sent(st, cp->sent_ids, cp->n_sent, cp->at);
		if (rc)
			return rc;
	}
	for (int i = 0; i < cp->n_puts; i++) {
		rc = store_retry_put(st, &cp->puts[i]);
		if (rc)
			return rc;
	}
	for (int i = 0; i < cp->n_removes; i++) {
		rc = store_retry_remove(st, cp->message_id, cp->removes[i]);
		if (rc && rc != BANDITORE_ENOTFOUND)
			return rc;
	}
	if (cp->cursor > 0 || cp->d_sent || cp->d_failed || cp->d_unreachable) {
		rc = store_message_progress(st, cp->message_id, cp->cursor, cp->d_sent, cp->d_failed,
					    cp->d_unreachable);
		if (rc)
			return rc;
	}
	if (cp->clear_retries) {
		rc = store_retry_clear(st, cp->message_id);
		if (rc)
			return rc;
	}
	if (cp->transition == T_NONE)
		return 0;
	memset(&m, 0, sizeof(m));
	rc = store_message_get(st, cp->message_id, &m);
	if (rc)
		return rc;
	cp->result_state = m.state;
	if (cp->transition == T_FINISH && m.state == STORE_MSG_SENDING) {
		int to = m.failed > 0 || m.unreachable > 0 ? STORE_MSG_PARTLY_FAILED : STORE_MSG_SENT;
		rc = store_message_transition(st, cp->message_id, STORE_MSG_SENDING, to, cp->at);
		cp->result_state = to;
	} else if (cp->transition == T_EXPIRE && m.state == cp->from_state) {
		rc = store_message_transition(st, cp->message_id, cp->from_state, STORE_MSG_EXPIRED, cp->at);
		cp->result_state = STORE_MSG_EXPIRED;
	} else if (cp->transition == T_REFUSE && m.state == cp->from_state) {
		/* Only a message under way can end partly failed. */
		if (cp->from_state != STORE_MSG_SENDING)
			rc = store_message_transition(st, cp->message_id, cp->from_state,
						      STORE_MSG_SENDING, cp->at);
		if (rc == 0)
			rc = store_message_transition(st, cp->message_id, STORE_MSG_SENDING,
						      STORE_MSG_PARTLY_FAILED, cp->at);
		cp->result_state = STORE_MSG_PARTLY_FAILED;
	}
	/* Otherwise someone (a cancel) moved it meanwhile: leave it as it is. */
	if (rc == 0 && cp->result_state != m.state)
		rc = record(st, cp, "message.finished", &m, cp->result_state);
	store_message_clear(&m);
	return rc;
}

static void checkpoint_done(struct writer_job *wj, int rc)
{
	struct checkpoint *cp = (struct checkpoint *)wj;
	struct broadcast *b = cp->b;

	cp->rc = rc;
	pthread_mutex_lock(&b->lock);
	cp->next = b->done_list;
	b->done_list = cp;
	pthread_mutex_unlock(&b->lock);
	wa_multi_wakeup(b->net);
}

static void checkpoint_free(struct checkpoint *cp)
{
	if (!cp)
		return;
	free(cp->sent_ids);
	free(cp->failed_ids);
	free(cp->puts);
	free(cp->removes);
	free(cp);
}

static struct checkpoint *checkpoint_new(struct broadcast *b, struct job *j, int transition, int n)
{
	struct checkpoint *cp = calloc(1, sizeof(*cp));

	if (!cp)
		return NULL;
	cp->b = b;
	cp->owner = j;
	cp->message_id = j->id;
	cp->at = (int64_t)time(NULL);
	cp->threshold = b->bs.cfg->wa_unreachable_after;
	cp->transition = transition;
	cp->end = j->ckpt;
	cp->job.apply = checkpoint_apply;
	cp->job.done = checkpoint_done;
	if (n > 0) {
		cp->sent_ids = malloc((size_t)n * sizeof(*cp->sent_ids));
		cp->failed_ids = malloc((size_t)n * sizeof(*cp->failed_ids));
		cp->puts = malloc((size_t)n * sizeof(*cp->puts));
		cp->removes = malloc((size_t)n * sizeof(*cp->removes));
		if (!cp->sent_ids || !cp->failed_ids || !cp->puts || !cp->removes) {
			checkpoint_free(cp);
			return NULL;
		}
	}
	return cp;
}

static void submit(struct broadcast *b, struct job *j, struct checkpoint *cp)
{
	int rc;

	j->pending = cp;
	j->last_ckpt_ns = mono_ns();
	rc = writer_submit(b->bs.writer, &cp->job);
	if (rc)
		checkpoint_done(&cp->job, rc); /* handled like any failed checkpoint */
}

/* ---- jobs ---- */

static void job_free(struct broadcast *b, struct job *j)
{
	if (!j)
		return;
	if (b->cur == j)
		b->cur = NULL;
	if (j->priority == STORE_PRIORITY_EMERGENCY) /* replies may go again */
		ratelimit_shared_waiting(b->pace, RATELIMIT_EMERGENCY, 0);
	b->jobs[j->slot] = NULL;
	whatsapp_prepared_free(j->tpl);
	free(j->parked);
	if (j->ring) {
		crypto_wipe(j->ring, (size_t)j->cap * sizeof(*j->ring));
		free(j->ring);
	}
	free(j);
}

static struct job *job_for(struct broadcast *b, int64_t id)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (b->jobs[i] && b->jobs[i]->id == id)
			return b->jobs[i];
	return NULL;
}

static void job_stop(struct job *j, int reason)
{
	if (!j->stop)
		j->stop = reason;
}

/* A job that does only its final writer job (expired before it started, refused). */
static struct job *job_new(struct broadcast *b, const struct store_message *m)
{
	struct job *j;
	int slot = -1;

	for (int i = 0; i < JOBS_MAX && slot < 0; i++)
		if (!b->jobs[i])
			slot = i;
	if (slot < 0)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->slot = slot;
	j->id = m->id;
	j->priority = m->priority;
	j->audience_max_id = m->audience_max_id;
	j->audience = m->audience;
	j->expires_at = m->expires_at;
	j->last_fetched_id = m->cursor;
	j->started_ns = j->last_ckpt_ns = j->last_log_ns = mono_ns();
	b->jobs[slot] = j;
	return j;
}

static void log_finished(struct broadcast *b, struct job *j, int state)
{
	double secs = (double)(mono_ns() - j->started_ns) / NS_PER_S;
	const char *name = state == STORE_MSG_SENT ? "sent"
			   : state == STORE_MSG_PARTLY_FAILED ? "partly-failed"
			   : state == STORE_MSG_EXPIRED ? "expired"
			   : state == STORE_MSG_CANCELLED ? "cancelled" : "other";

	log_info("broadcast-finished", "id=%" PRId64 " state=%s sent=%llu failed=%llu retried=%llu "
		 "seconds=%.3f rate=%.1f", j->id, name, (unsigned long long)j->sent,
		 (unsigned long long)j->failed, (unsigned long long)j->retried, secs,
		 secs > 0 ? (double)j->sent / secs : 0.0);
	stats_add(b, &b->stats.messages_finished, 1);
	unhold(b, j->id);
}

/* The final writer job of a message that cannot be sent at all, or has expired. */
static void job_final(struct broadcast *b, struct job *j, int transition, int from_state,
		      int64_t d_failed)
{
	struct checkpoint *cp = checkpoint_new(b, j, transition, 0);

	j->phase = PH_FINAL;
	if (!cp) {
		job_free(b, j);
		return;
	}
	cp->from_state = from_state;
	cp->clear_retries = 1;
	if (transition == T_REFUSE || transition == T_FINISH)
		cp->cursor = j->audience_max_id;
	cp->d_failed = d_failed;
	submit(b, j, cp);
}

static void start_job(struct broadcast *b, const struct store_message *m, int64_t now)
{
	char *params[CONFIG_TEMPLATE_PARAMS_MAX] = { NULL };
	struct broadcast_problem why;
	char opaque[32], media_id[WHATSAPP_MEDIA_ID_MAX];
	struct whatsapp_header header;
	struct job *j = job_new(b, m);
	int n = 0, rc;

	if (!j)
		return;
	b->cur = j;
	if (m->expires_at > 0 && now >= m->expires_at) {
		log_info("broadcast-expired", "id=%" PRId64 " before=start", m->id);
		job_final(b, j, T_EXPIRE, m->state, 0);
		return;
	}
	memset(&why, 0, sizeof(why));
	/* The attachment: uploaded once, before the first send (broadcast_media.h). */
	rc = broadcast_media_ready(&b->bs, m, media_id, &why);
	if (rc == BANDITORE_ETEMP || rc == BANDITORE_EPERM) {
		hold(b, m->id, now, rc == BANDITORE_EPERM);
		job_free(b, j);
		return;
	}
	broadcast_media_header(m, media_id, &header);
	if (rc == 0)
		rc = broadcast_params(b->bs.cfg, m, params, &n, &why);
	broadcast_opaque(m->id, opaque);
	if (rc == 0)
		rc = whatsapp_prepare_template_header(b->bs.cfg->wa_template_name,
						      b->bs.cfg->wa_template_language,
						      media_id[0] ? &header : NULL,
						      (const char *const *)params, n, opaque, &j->tpl);
	broadcast_params_free(params, n);
	if (rc == BANDITORE_ENOMEM) {
		hold(b, m->id, now, 0);
		job_free(b, j);
		return;
	}
	if (rc) {
		int64_t left = m->audience - m->sent - m->failed;
		log_error("broadcast-refused", "id=%" PRId64 " field=%s reason=\"%s\"", m->id,
			  why.field[0] ? why.field : "text",
			  why.message_en[0] ? why.message_en : "the template refuses the message");
		job_final(b, j, T_REFUSE, m->state, left > 0 ? left : 0);
		return;
	}
	if (b->bs.cfg->wa_messaging_limit > 0) {
		int64_t contacted = 0;
		if (store_subscribers_contacted(b->st, PLATFORM_WHATSAPP, now - TIER_WINDOW,
						&contacted) != 0) {
			hold(b, m->id, now, 0);
			job_free(b, j);
			return;
		}
		b->tier_left = b->bs.cfg->wa_messaging_limit - contacted;
		if (b->tier_left <= 0) {
			hold(b, m->id, now, -TIER_RECHECK);
			log_info("broadcast-waiting", "id=%" PRId64 " reason=messaging-limit limit=%d "
				 "contacted=%" PRId64 " retry_in=%ds", m->id,
				 b->bs.cfg->wa_messaging_limit, contacted, TIER_RECHECK);
			job_free(b, j);
			return;
		}
	}
	j->cap = (uint64_t)b->bs.page_size * 2;
	j->ring = calloc((size_t)j->cap, sizeof(*j->ring));
	if (!j->ring) {
		hold(b, m->id, now, 0);
		job_free(b, j);
		return;
	}
	if (m->state == STORE_MSG_SENDING) {
		j->phase = PH_WALK;
		log_info("broadcast-resumed", "id=%" PRId64 " priority=%s audience=%" PRId64
			 " cursor=%" PRId64 " sent=%" PRId64 " window=%d", m->id,
			 m->priority == STORE_PRIORITY_EMERGENCY ? "emergency" : "normal",
			 m->audience, m->cursor, m->sent, b->bs.page_size);
		return;
	}
	{
		struct checkpoint *cp = checkpoint_new(b, j, T_START, 0);
		if (!cp) {
			hold(b, m->id, now, 0);
			job_free(b, j);
			return;
		}
		cp->from_state = m->state;
		j->phase = PH_START;
		submit(b, j, cp);
	}
}

/* ---- reading recipients ---- */

static void take_recipient(struct job *j, const struct store_recipient *r, int attempts, int retry)
{
	struct item *it = item_at(j, j->tail++);

	memset(it, 0, sizeof(*it));
	it->sub_id = r->id;
	it->attempts = attempts;
	it->retry = retry;
	if (r->sealed_len > sizeof(it->sealed)) {
		it->state = ITEM_DONE; /* not an address we could have sealed: cannot be sent */
		it->action = OUTCOME_FAILED;
		return;
	}
	memcpy(it->sealed, r->sealed, r->sealed_len);
	it->sealed_len = r->sealed_len;
	it->state = ITEM_WAITING;
}

static void fetch_page(struct broadcast *b, struct job *j)
{
	uint64_t room = j->cap - (j->tail - j->head);
	int want = (int)(room < (uint64_t)b->fetch ? room : (uint64_t)b->fetch);
	int n = 0, rc;

	if (want < b->fetch)
		return; /* wait for room */
	/* Only those the message's categories and areas reach (messages_audience.h). */
	rc = store_message_recipients(b->st, j->id, PLATFORM_WHATSAPP, j->last_fetched_id,
				      j->audience_max_id, b->bs.cfg->wa_unreachable_after, b->page,
				      want, &n);
	if (rc) {
		log_error("broadcast-read", "id=%" PRId64 " error=\"%s\" detail=\"%s\"", j->id,
			  banditore_strerror(rc), store_errmsg(b->st));
		job_stop(j, STOP_ERROR);
		return;
	}
	for (int i = 0; i < n; i++)
		take_recipient(j, &b->page[i], 0, 0);
	if (n > 0)
		j->last_fetched_id = b->page[n - 1].id;
	for (int i = 0; i < n; i++)
		crypto_wipe(b->page[i].sealed, b->page[i].sealed_len);
	if (n < want)
		j->exhausted = 1;
}

/* Appends up to `max` due retries of the job to the ring; returns how many, or -1 after
 * a read error (the job is then stopped). Those that left, or became unreachable
 * through another message, are settled without a send. */
static int take_due_retries(struct broadcast *b, struct job *j, int64_t now, int max)
{
	struct store_retry *due = NULL;
	int n = 0, rc;

	due = calloc((size_t)max, sizeof(*due));
	if (!due) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = store_retry_due(b->st, j->id, now, due, max, &n);
	if (rc)
		goto fail;
	for (int i = 0; i < n; i++) {
		int got = 0, busy = 0;
		for (int p = 0; p < j->n_parked; p++)
			busy |= j->parked[p].state != ITEM_WAITING && j->parked[p].sub_id == due[i].subscriber_id;
		if (busy)
			continue; /* its parked send has not answered yet */
		rc = store_subscribers_page(b->st, PLATFORM_WHATSAPP, due[i].subscriber_id - 1,
					    due[i].subscriber_id, b->bs.cfg->wa_unreachable_after,
					    b->page, 1, &got);
		if (rc)
			goto fail;
		if (got == 1) {
			take_recipient(j, &b->page[0], due[i].attempts, 1);
			crypto_wipe(b->page[0].sealed, b->page[0].sealed_len);
		} else {
			struct item *it = item_at(j, j->tail++);
			memset(it, 0, sizeof(*it));
			it->sub_id = due[i].subscriber_id;
			it->retry = 1;
			it->state = ITEM_DONE;
			it->action = ACTION_GONE;
		}
		j->retry_items++;
	}
	free(due);
	return n;
fail:
	free(due);
	log_error("broadcast-read", "id=%" PRId64 " what=retries error=\"%s\" detail=\"%s\"", j->id,
		  banditore_strerror(rc), store_errmsg(b->st));
	job_stop(j, STOP_ERROR);
	return -1;
}

/* After the walk: the due retries, a wait for the next one, or the end when none is left. */
static void load_retries(struct broadcast *b, struct job *j, int64_t now)
{
	int64_t count = 0, next = 0;
	int rc = store_retry_pending(b->st, j->id, &count, &next);

	if (rc) {
		log_error("broadcast-read", "id=%" PRId64 " what=retries error=\"%s\" detail=\"%s\"",
			  j->id, banditore_strerror(rc), store_errmsg(b->st));
		job_stop(j, STOP_ERROR);
		return;
	}
	if (count == 0) {
		job_final(b, j, T_FINISH, STORE_MSG_SENDING, 0);
		return;
	}
	if (next > now) {
		j->retry_next = next;
		return;
	}
	if (take_due_retries(b, j, now, b->bs.page_size) == 0)
		j->retry_next = now + 1;
}

/* ---- settling ---- */

/* Records in `cp` what the answer `action` to send number attempts + 1 to `sub_id`
 * means. `row` says whether the recipient has a row in the retry table already. */
static void settle_one(struct broadcast *b, struct job *j, struct checkpoint *cp, int64_t sub_id,
		       int attempts, int row, int action, int retry_after, int64_t now)
{
	int attempt = attempts + 1;
	struct held *h;

	switch (action) {
	case OUTCOME_SENT:
		cp->d_sent++;
		cp->sent_ids[cp->n_sent++] = sub_id;
		if (row)
			cp->removes[cp->n_removes++] = sub_id;
		break;
	case OUTCOME_FAILED:
		cp->d_failed++;
		cp->failed_ids[cp->n_failed++] = sub_id;
		if (row)
			cp->removes[cp->n_removes++] = sub_id;
		break;
	case OUTCOME_RETRY:
		if (attempt >= OUTCOME_ATTEMPTS_MAX) {
			cp->d_failed++; /* not the subscriber's fault: not counted against it */
			if (row)
				cp->removes[cp->n_removes++] = sub_id;
			break;
		}
		cp->puts[cp->n_puts].message_id = j->id;
		cp->puts[cp->n_puts].subscriber_id = sub_id;
		cp->puts[cp->n_puts].attempts = attempt;
		cp->puts[cp->n_puts].not_before = now + outcome_backoff(attempt, retry_after, next_random(b));
		cp->n_puts++;
		break;
	case OUTCOME_HALT:
		h = held_find(b, j->id);
		cp->puts[cp->n_puts].message_id = j->id;
		cp->puts[cp->n_puts].subscriber_id = sub_id;
		cp->puts[cp->n_puts].attempts = attempts; /* not the recipient's fault */
		cp->puts[cp->n_puts].not_before = h && h->until > now ? h->until : now + OUTCOME_HOLD_BASE;
		cp->n_puts++;
		break;
	case ACTION_PARKED:
		cp->puts[cp->n_puts].message_id = j->id;
		cp->puts[cp->n_puts].subscriber_id = sub_id;
		cp->puts[cp->n_puts].attempts = attempt;
		cp->puts[cp->n_puts].not_before = now + PARK_GUARD + outcome_backoff(attempt, 0, next_random(b));
		cp->n_puts++;
		break;
	default: /* ACTION_GONE */
		cp->removes[cp->n_removes++] = sub_id;
		break;
	}
}

/* Parks the send at ring index k (see struct parked); 0 when done. */
static int park(struct broadcast *b, struct job *j, uint64_t k)
{
	struct item *it = item_at(j, k);
	struct parked *p = NULL;
	int idx = -1;

	for (int i = 0; i < j->n_parked && idx < 0; i++)
		if (j->parked[i].state == ITEM_WAITING)
			idx = i;
	if (idx < 0) {
		if (j->n_parked == PARKED_MAX)
			return BANDITORE_ETOOBIG;
		if (!j->parked) {
			j->parked = calloc(PARKED_MAX, sizeof(*j->parked));
			if (!j->parked)
				return BANDITORE_ENOMEM;
		}
		idx = j->n_parked++;
	}
	if (wa_multi_retag(b->net, ((uint64_t)j->slot << TAG_SHIFT) | (k & TAG_MASK),
			   ((uint64_t)j->slot << TAG_SHIFT) | PARK_BIT | (uint64_t)idx) != 0)
		return BANDITORE_ENOTFOUND;
	p = &j->parked[idx];
	memset(p, 0, sizeof(*p));
	p->sub_id = it->sub_id;
	p->attempts = it->attempts;
	p->state = ITEM_FLIGHT;
	it->state = ITEM_DONE;
	it->action = ACTION_PARKED;
	return 0;
}

/* Submits a checkpoint for the done prefix of the ring, and for parked sends that have
 * answered, when it is time (or `force`). */
static void maybe_checkpoint(struct broadcast *b, struct job *j, int64_t now_ns, int force)
{
	struct checkpoint *cp;
	uint64_t k = j->ckpt;
	int64_t now = (int64_t)time(NULL), cursor = 0;
	int late = 0;

	if (j->pending || j->broken || (j->phase != PH_WALK && j->phase != PH_RETRY))
		return;
	while (k < j->issue) {
		struct item *it = item_at(j, k);
		if (it->state == ITEM_FLIGHT && now_ns - it->sent_ns >= PARK_NS && !b->abandon)
			park(b, j, k);
		if (it->state != ITEM_DONE)
			break;
		k++;
	}
	for (int i = 0; i < j->n_parked; i++)
		late += j->parked[i].state == ITEM_DONE;
	if (k == j->ckpt && !late)
		return;
	if (!force && k - j->ckpt < (uint64_t)b->bs.page_size / 4 &&
	    now_ns - j->last_ckpt_ns < CHECKPOINT_NS &&
	    !(k == j->tail && (j->exhausted || j->phase == PH_RETRY)))
		return;
	cp = checkpoint_new(b, j, T_NONE, (int)(k - j->ckpt) + late);
	if (!cp)
		return; /* try again on the next turn */
	for (uint64_t i = j->ckpt; i < k; i++) {
		struct item *it = item_at(j, i);
		if (!it->retry)
			cursor = it->sub_id; /* the walk's items are in id order */
		else
			cp->n_retry_items++;
		settle_one(b, j, cp, it->sub_id, it->attempts, it->retry, it->action, it->retry_after, now);
	}
	for (int i = 0; i < j->n_parked; i++) {
		struct parked *p = &j->parked[i];
		if (p->state != ITEM_DONE)
			continue;
		/* Its retry row was put when it was parked. */
		settle_one(b, j, cp, p->sub_id, p->attempts, 1, p->action, p->retry_after, now);
		p->state = ITEM_WAITING;
	}
	while (j->n_parked > 0 && j->parked[j->n_parked - 1].state == ITEM_WAITING)
		j->n_parked--;
	j->sent += (uint64_t)cp->d_sent;
	j->failed += (uint64_t)cp->d_failed;
	j->retried += (uint64_t)cp->n_puts;
	if (j->phase == PH_WALK && k > j->ckpt)
		cp->cursor = j->exhausted && k == j->tail ? j->audience_max_id : cursor;
	j->ckpt = k;
	cp->end = k;
	submit(b, j, cp);
}

static void checkpoint_settled(struct broadcast *b, struct checkpoint *cp)
{
	struct job *j = cp->owner;
	int64_t now = (int64_t)time(NULL);

	j->pending = NULL;
	stats_add(b, &b->stats.checkpoints, 1);
	if (cp->rc) {
		if (cp->transition == T_START && cp->rc == BANDITORE_ESTATE) {
			log_info("broadcast-skipped", "id=%" PRId64 " reason=\"state changed meanwhile\"",
				 j->id);
		} else {
			log_error("broadcast-checkpoint", "id=%" PRId64 " error=\"%s\" repeat=%" PRIu64,
				  j->id, banditore_strerror(cp->rc), cp->end - j->head);
			hold(b, j->id, now, 0);
		}
		if (j->phase == PH_START || j->phase == PH_FINAL) {
			job_free(b, j);
		} else {
			/* What it covered was not recorded: this job ends, and the next one
			 * resumes from the durable cursor (repeating at most the window). */
			job_stop(j, STOP_ERROR);
			j->broken = 1;
		}
		checkpoint_free(cp);
		return;
	}
	j->head = cp->end;
	j->retry_items -= cp->n_retry_items;
	if (cp->n_removes > 0)
		j->retry_next = 0; /* the retry table changed: look again */
	if (cp->transition == T_START) {
		j->phase = PH_WALK;
		j->started_ns = mono_ns();
		log_info("broadcast-started", "id=%" PRId64 " priority=%s audience=%" PRId64
			 " window=%d rate=%d in_flight_max=%d", j->id,
			 j->priority == STORE_PRIORITY_EMERGENCY ? "emergency" : "normal", j->audience,
			 b->bs.page_size, b->bs.messages_per_second, b->bs.max_in_flight);
	} else if (j->phase == PH_FINAL) {
		log_finished(b, j, cp->result_state);
		job_free(b, j);
	}
	checkpoint_free(cp);
}

/* ---- sending ---- */

static void arm_timer(struct broadcast *b, int64_t at_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at_ns / NS_PER_S);
	its.it_value.tv_nsec = (long)(at_ns % NS_PER_S);
	if (timerfd_settime(b->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		b->timer_armed = 1;
}

static void issue(struct broadcast *b, struct job *j)
{
	char to[SUBSCRIBERS_ADDRESS_MAX];
	int64_t now_ns = mono_ns();

	if (j->stop || (j->phase != PH_WALK && j->phase != PH_RETRY))
		return;
	/* An emergency goes before replies to citizens, which go before routine sends. */
	if (j->priority == STORE_PRIORITY_EMERGENCY)
		ratelimit_shared_waiting(b->pace, RATELIMIT_EMERGENCY, 1);
	while (j->issue < j->tail && j->issue - j->head < (uint64_t)b->bs.page_size &&
	       wa_multi_free_slots(b->net) > 0) {
		struct item *it = item_at(j, j->issue);
		int64_t wait;
		int rc;

		if (it->state == ITEM_DONE) { /* settled without a send */
			j->issue++;
			continue;
		}
		if (b->bs.cfg->wa_messaging_limit > 0 && b->tier_left <= 0) {
			/* The day's window is full: the rest goes out as it frees. */
			int64_t secs = hold(b, j->id, (int64_t)time(NULL), -TIER_RECHECK);
			log_info("broadcast-paused", "id=%" PRId64 " reason=messaging-limit limit=%d "
				 "retry_in=%" PRId64 "s", j->id, b->bs.cfg->wa_messaging_limit, secs);
			job_stop(j, STOP_TIER);
			break;
		}
		/* The slot in the number's schedule first: the request goes out right after. */
		wait = ratelimit_shared_take_ticket(b->pace, j->priority == STORE_PRIORITY_EMERGENCY ?
						    RATELIMIT_EMERGENCY : RATELIMIT_ROUTINE, now_ns,
						    &it->pace_ticket);
		if (wait > 0) {
			arm_timer(b, now_ns + wait);
			break;
		}
		buf_reset(&b->body);
		rc = subscribers_unseal(b->bs.keys, PLATFORM_WHATSAPP, it->sealed, it->sealed_len, to,
					sizeof(to));
		if (rc == 0)
			rc = whatsapp_prepared_body(j->tpl, to, &b->body);
		crypto_wipe(to, sizeof(to));
		if (rc) {
			log_warn("broadcast-bad-address", "id=%" PRId64 " subscriber=%" PRId64
				 " error=\"%s\"", j->id, it->sub_id, banditore_strerror(rc));
			if (b->body.data)
				crypto_wipe(b->body.data, b->body.len);
			it->state = ITEM_DONE;
			it->action = OUTCOME_FAILED;
			j->issue++;
			continue;
		}
		rc = wa_multi_send(b->net, b->body.data, b->body.len,
				   ((uint64_t)j->slot << TAG_SHIFT) | (j->issue & TAG_MASK));
		crypto_wipe(b->body.data, b->body.len);
		if (rc) {
			/* Out of memory: the slot taken is lost, the recipient waits its turn. */
			log_error("broadcast-send", "id=%" PRId64 " error=\"%s\"", j->id,
				  banditore_strerror(rc));
			break;
		}
		it->state = ITEM_FLIGHT;
		it->sent_ns = now_ns;
		j->flight++;
		j->issue++;
		b->tier_left--;
		if (!j->first_logged) {
			/* The operator (and bench/broadcast) read from this how long the plan took. */
			j->first_logged = 1;
			log_info("broadcast-first-send", "id=%" PRId64 " after_start_ms=%.1f", j->id,
				 (double)(now_ns - j->started_ns) / 1e6);
		}
		now_ns = mono_ns();
	}
}

/* Whether the current job could send now (the rate, when it stops it, arms the timer). */
static int can_issue(struct broadcast *b)
{
	struct job *j = b->cur;

	return j && !b->shutting && !b->timer_armed && !j->stop &&
	       (j->phase == PH_WALK || j->phase == PH_RETRY) && j->issue < j->tail &&
	       j->issue - j->head < (uint64_t)b->bs.page_size && wa_multi_free_slots(b->net) > 0;
}

static void collect(struct broadcast *b)
{
	struct connector_result res;
	uint64_t tag, n[4] = { 0, 0, 0, 0 }; /* by action, published once at the end */

	while (wa_multi_done(b->net, &tag, &res)) {
		struct job *j = b->jobs[(tag >> TAG_SHIFT) % JOBS_MAX];
		struct item *it;

		if (!j)
			continue; /* abandoned at shutdown */
		if (tag & PARK_BIT) {
			struct parked *p = &j->parked[(tag & TAG_MASK & ~PARK_BIT) % PARKED_MAX];
			if (p->state != ITEM_FLIGHT)
				continue;
			p->state = ITEM_DONE;
			p->action = outcome_of(&res);
			p->retry_after = res.retry_after;
			j->flight--;
			n[p->action & 3]++;
			continue; /* a halt shows on the sends after it */
		}
		it = item_at(j, tag & TAG_MASK);
		if (it->state != ITEM_FLIGHT)
			continue;
		it->state = ITEM_DONE;
		j->flight--;
		/* When the answer came bounds when the request arrived (ratelimit.h). */
		ratelimit_shared_arrived(b->pace, it->pace_ticket, mono_ns());
		it->action = outcome_of(&res);
		it->retry_after = res.retry_after;
		n[it->action & 3]++;
		if (it->action == OUTCOME_SENT)
			continue;
		log_debug("broadcast-outcome", "id=%" PRId64 " subscriber=%" PRId64 " outcome=%s "
			  "http=%d code=%d reason=\"%s\"", j->id, it->sub_id, outcome_name(it->action),
			  res.http_status, res.error_code, res.error);
		if (it->action == OUTCOME_HALT && !j->stop) {
			int64_t secs = hold(b, j->id, (int64_t)time(NULL), 1);
			log_error("broadcast-halted", "id=%" PRId64 " http=%d code=%d reason=\"%s\" "
				  "retry_in=%" PRId64 "s", j->id, res.http_status, res.error_code,
				  res.error, secs);
			job_stop(j, STOP_HALTED);
		}
	}
	if (n[0] + n[1] + n[2] + n[3] == 0)
		return;
	pthread_mutex_lock(&b->lock);
	b->stats.sent += n[OUTCOME_SENT];
	b->stats.retried += n[OUTCOME_RETRY];
	b->stats.failed += n[OUTCOME_FAILED];
	b->stats.halts += n[OUTCOME_HALT];
	pthread_mutex_unlock(&b->lock);
}

/* Moves one job along: reads, settles, changes phase, ends. */
static void advance(struct broadcast *b, struct job *j, int64_t now_ns)
{
	int64_t now = (int64_t)time(NULL);

	if (j->phase == PH_START || j->phase == PH_FINAL)
		return;
	maybe_checkpoint(b, j, now_ns, j->stop != STOP_NONE);
	if (j->stop) {
		if (j->pending || (j->flight > 0 && !b->abandon))
			return;
		if (j->ckpt < j->issue && !b->abandon && !j->broken)
			return; /* the last done stretch is still to be submitted */
		log_info("broadcast-stopped", "id=%" PRId64 " reason=%s sent=%llu failed=%llu",
			 j->id, stop_names[j->stop], (unsigned long long)j->sent,
			 (unsigned long long)j->failed);
		if (j->stop == STOP_CANCELLED) {
			struct checkpoint *cp = checkpoint_new(b, j, T_NONE, 0);
			if (cp) {
				j->phase = PH_FINAL;
				cp->clear_retries = 1;
				cp->transition = T_FINISH; /* records the final state; no change */
				submit(b, j, cp);
				return;
			}
		} else if (j->stop == STOP_EXPIRED) {
			j->ckpt = j->issue = j->tail = j->head;
			job_final(b, j, T_EXPIRE, STORE_MSG_SENDING, 0);
			return;
		}
		job_free(b, j);
		return;
	}
	if (j->phase == PH_WALK) {
		if (!j->exhausted && j->tail - j->issue < (uint64_t)b->fetch / 2 + 1)
			fetch_page(b, j);
		/* Due retries go out during the walk too, so that a long broadcast does not
		 * keep them waiting until its end: once a second, when none is in the ring
		 * (a retry is read again only after its last send is settled). */
		if (!j->stop && j->retry_items == 0 && now >= j->retry_poll &&
		    j->cap - (j->tail - j->head) >= (uint64_t)b->fetch) {
			take_due_retries(b, j, now, b->fetch);
			j->retry_poll = now + 1;
		}
		if (j->exhausted && j->head == j->tail && !j->pending) {
			log_info("broadcast-walked", "id=%" PRId64 " sent=%llu failed=%llu retries=%llu",
				 j->id, (unsigned long long)j->sent, (unsigned long long)j->failed,
				 (unsigned long long)j->retried);
			j->phase = PH_RETRY;
			j->retry_next = 0;
		}
	}
	if (j->phase == PH_RETRY && j->head == j->tail && !j->pending && now >= j->retry_next)
		load_retries(b, j, now);
	if (now_ns - j->last_log_ns >= PROGRESS_LOG_NS && j->phase != PH_FINAL) {
		double secs = (double)(now_ns - j->started_ns) / NS_PER_S;
		j->last_log_ns = now_ns;
		log_info("broadcast-progress", "id=%" PRId64 " phase=%s sent=%llu failed=%llu "
			 "retries=%llu in_flight=%d rate=%.1f", j->id,
			 j->phase == PH_WALK ? "walk" : "retries", (unsigned long long)j->sent,
			 (unsigned long long)j->failed, (unsigned long long)j->retried, j->flight,
			 secs > 0 ? (double)j->sent / secs : 0.0);
	}
}

/* ---- looking at the store: new messages, emergencies, cancels, expiry ---- */

static void tick(struct broadcast *b)
{
	int64_t now = (int64_t)time(NULL);
	struct store_message m;
	int rc;

	for (int i = 0; i < JOBS_MAX; i++) {
		struct job *j = b->jobs[i];
		if (!j || j->stop || j->phase == PH_START || j->phase == PH_FINAL)
			continue;
		memset(&m, 0, sizeof(m));
		rc = store_message_get(b->st, j->id, &m);
		if (rc == BANDITORE_ENOTFOUND) {
			job_stop(j, STOP_GONE);
		} else if (rc == 0 && m.state == STORE_MSG_CANCELLED) {
			log_info("broadcast-cancelled", "id=%" PRId64, j->id);
			job_stop(j, STOP_CANCELLED);
		} else if (rc == 0 && m.state != STORE_MSG_SENDING) {
			job_stop(j, STOP_GONE);
		} else if (rc == 0 && m.expires_at > 0 && now >= m.expires_at) {
			log_info("broadcast-expired", "id=%" PRId64, j->id);
			job_stop(j, STOP_EXPIRED);
		}
		store_message_clear(&m);
	}
	if (b->cur && b->cur->stop)
		b->cur = NULL; /* it drains; another may start */
	if (b->cur && b->cur->priority != STORE_PRIORITY_EMERGENCY && b->cur->phase != PH_FINAL) {
		memset(&m, 0, sizeof(m));
		rc = store_message_next(b->st, now, STORE_PRIORITY_EMERGENCY, &m);
		if (rc == 0 && m.id != b->cur->id && !is_held(b, m.id, now) && !job_for(b, m.id)) {
			log_info("broadcast-preempted", "id=%" PRId64 " by=%" PRId64, b->cur->id, m.id);
			job_stop(b->cur, STOP_PREEMPTED);
			b->cur = NULL;
		}
		store_message_clear(&m);
	}
	if (b->cur)
		return;
	memset(&m, 0, sizeof(m));
	rc = store_message_next(b->st, now, STORE_PRIORITY_EMERGENCY, &m);
	if (rc == BANDITORE_ENOTFOUND) {
		store_message_clear(&m);
		memset(&m, 0, sizeof(m));
		rc = store_message_next(b->st, now, STORE_PRIORITY_NORMAL, &m);
	}
	if (rc == 0 && !is_held(b, m.id, now) && !job_for(b, m.id))
		start_job(b, &m, now);
	else if (rc && rc != BANDITORE_ENOTFOUND)
		log_error("broadcast-read", "what=next error=\"%s\" detail=\"%s\"",
			  banditore_strerror(rc), store_errmsg(b->st));
	store_message_clear(&m);
}

/* ---- the thread ---- */

static int jobs_left(struct broadcast *b)
{
	for (int i = 0; i < JOBS_MAX; i++)
		if (b->jobs[i])
			return 1;
	return 0;
}

static void *broadcast_main(void *arg)
{
	struct broadcast *b = arg;
	int64_t next_tick = 0;

	for (;;) {
		struct checkpoint *done;
		int64_t now_ns = mono_ns(), wait_ns;
		int woken, stopping, ready = 0;

		pthread_mutex_lock(&b->lock);
		woken = b->woken;
		b->woken = 0;
		stopping = b->stopping;
		done = b->done_list;
		b->done_list = NULL;
		pthread_mutex_unlock(&b->lock);

		/* Oldest first: the list was pushed newest first. */
		{
			struct checkpoint *rev = NULL;
			while (done) {
				struct checkpoint *n = done->next;
				done->next = rev;
				rev = done;
				done = n;
			}
			while (rev) {
				struct checkpoint *n = rev->next;
				checkpoint_settled(b, rev);
				rev = n;
			}
		}
		if (stopping && !b->shutting) {
			b->shutting = 1;
			b->shutdown_deadline = now_ns + SHUTDOWN_WAIT_NS;
			for (int i = 0; i < JOBS_MAX; i++)
				if (b->jobs[i])
					job_stop(b->jobs[i], STOP_SHUTDOWN);
			b->cur = NULL;
		}
		if (b->shutting) {
			if (now_ns >= b->shutdown_deadline)
				b->abandon = 1;
			if (!jobs_left(b))
				break;
		} else if (woken || now_ns >= next_tick) {
			tick(b);
			next_tick = now_ns + (b->cur ? TICK_BUSY_NS : TICK_IDLE_NS);
		}
		collect(b);
		for (int i = 0; i < JOBS_MAX; i++)
			if (b->jobs[i])
				advance(b, b->jobs[i], now_ns);
		if (b->cur && !b->shutting)
			issue(b, b->cur);
		wa_multi_perform(b->net);
		collect(b);
		/* What just finished may complete a stretch to settle (and free the window). */
		for (int i = 0; i < JOBS_MAX; i++)
			if (b->jobs[i])
				maybe_checkpoint(b, b->jobs[i], mono_ns(), b->jobs[i]->stop != STOP_NONE);

		pthread_mutex_lock(&b->lock);
		b->stats.current = b->cur ? b->cur->id : 0;
		b->stats.in_flight = wa_multi_in_flight(b->net);
		pthread_mutex_unlock(&b->lock);

		wait_ns = b->shutting ? 20 * NS_PER_MS : next_tick - mono_ns();
		if (b->cur && b->cur->pending == NULL && b->cur->ckpt < b->cur->issue)
			wait_ns = wait_ns < CHECKPOINT_NS ? wait_ns : CHECKPOINT_NS;
		if (can_issue(b))
			wait_ns = 0; /* slots came free: only look at the network in passing */
		if (wait_ns < 0)
			wait_ns = 0;
		wa_multi_poll(b->net, (int)((wait_ns + NS_PER_MS - 1) / NS_PER_MS),
			      b->timer_armed ? b->timer_fd : -1, &ready);
		if (ready) {
			uint64_t expirations;
			if (read(b->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				log_warn("broadcast-timer", "errno=%d", errno);
			b->timer_armed = 0;
		}
	}
	return NULL;
}

int broadcast_start(const struct broadcast_settings *bs, struct broadcast **out)
{
	struct broadcast *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return BANDITORE_ENOMEM;
	b->bs = *bs;
	b->timer_fd = -1;
	if (b->bs.max_in_flight <= 0)
		b->bs.max_in_flight = BROADCAST_IN_FLIGHT_DEFAULT;
	if (b->bs.max_in_flight > WA_MULTI_SLOTS_MAX)
		b->bs.max_in_flight = WA_MULTI_SLOTS_MAX;
	if (b->bs.page_size <= 0)
		b->bs.page_size = BROADCAST_PAGE_DEFAULT;
	if (b->bs.page_size < 4)
		b->bs.page_size = 4;
	ratelimit_shared_init(&b->own_pace, b->bs.messages_per_second);
	b->pace = b->bs.pace ? b->bs.pace : &b->own_pace;
	buf_init(&b->body, WA_MULTI_BODY_MAX);
	if (crypto_random(&b->rng, sizeof(b->rng)) != 0 || b->rng == 0)
		b->rng = (uint32_t)mono_ns() | 1;
	b->stats.window = b->bs.page_size;
	b->fetch = b->bs.page_size;
	if (b->bs.messages_per_second > 0) {
		int64_t ahead = (int64_t)b->bs.messages_per_second * LOOKAHEAD_NS / NS_PER_S;
		if (ahead < b->fetch)
			b->fetch = ahead < FETCH_MIN ? FETCH_MIN : (int)ahead;
		if (b->fetch > b->bs.page_size)
			b->fetch = b->bs.page_size;
	}
	rc = BANDITORE_ENOMEM;
	b->page = calloc((size_t)b->bs.page_size, sizeof(*b->page));
	if (!b->page)
		goto fail;
	b->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->timer_fd < 0) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	rc = store_open(bs->store_url, &b->st);
	if (!rc) /* it walks the audience once, in id order: a big page cache buys nothing */
		rc = store_set_cache(b->st, BROADCAST_CACHE_KIB);
	if (rc)
		goto fail;
	rc = wa_multi_new(&bs->whatsapp, b->bs.max_in_flight, &b->net);
	if (rc)
		goto fail;
	pthread_mutex_init(&b->lock, NULL);
	if (pthread_create(&b->thread, NULL, broadcast_main, b) != 0) {
		pthread_mutex_destroy(&b->lock);
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	*out = b;
	return 0;
fail:
	wa_multi_free(b->net);
	store_free(b->st);
	if (b->timer_fd >= 0)
		close(b->timer_fd);
	free(b->page);
	buf_free(&b->body);
	ratelimit_shared_destroy(&b->own_pace);
	free(b);
	return rc;
}

void broadcast_wake(void *arg)
{
	struct broadcast *b = arg;

	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->woken = 1;
	pthread_mutex_unlock(&b->lock);
	wa_multi_wakeup(b->net);
}

void broadcast_stats(struct broadcast *b, struct broadcast_stats *out)
{
	pthread_mutex_lock(&b->lock);
	*out = b->stats;
	pthread_mutex_unlock(&b->lock);
}

void broadcast_stop(struct broadcast *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stopping = 1;
	pthread_mutex_unlock(&b->lock);
	wa_multi_wakeup(b->net);
	pthread_join(b->thread, NULL);
	/* Checkpoints still with the writer (at most one per job) were waited for. */
	wa_multi_free(b->net);
	store_free(b->st);
	close(b->timer_fd);
	if (b->page) {
		crypto_wipe(b->page, (size_t)b->bs.page_size * sizeof(*b->page));
		free(b->page);
	}
	if (b->body.data)
		crypto_wipe(b->body.data, b->body.cap);
	buf_free(&b->body);
	pthread_mutex_destroy(&b->lock);
	ratelimit_shared_destroy(&b->own_pace);
	free(b);
}
