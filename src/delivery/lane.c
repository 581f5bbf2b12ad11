/*
 * lane.c - one thread per platform other than WhatsApp, taking each started message to
 * that platform's subscribers (see lane.h for what a lane does and guarantees).
 *
 * Words used here:
 *   page   up to page_size subscribers read at once in id order after the durable
 *          cursor; every one of them gets an outcome (sent, failed, gone) before one
 *          writer job settles the page: counts, cursor, erasures, failure counts. So a
 *          crash repeats at most the page in progress.
 *   round  one pass over the page's recipients that are due: a temporary refusal puts
 *          a recipient back with a later due time, up to attempts_max sends.
 *   flood  a 429 with retry_after: the platform asks the sender to slow down, so the
 *          whole lane pauses that long and the recipient keeps its attempts.
 */
#include "delivery/lane.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "connectors/connector.h"
#include "connectors/email.h"
#include "connectors/sms.h"
#include "connectors/telegram.h"
#include "daemon/writer_wait.h"
#include "connectors/webpush.h"
#include "delivery/ratelimit.h"
#include "store/store.h"
#include "subscribers/subscribers.h"
#include "subscribers/webpush_subscribers.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define IDLE_NS (250 * NS_PER_MS)     /* between looks for new messages */
#define ERROR_HOLD_NS (5 * NS_PER_S)  /* after a failed read or write */
#define FLOODS_MAX 10                 /* 429 pauses one recipient may cause */
#define PAGE_MAX 1000
#define PARALLEL_MAX 64
#define LANE_CACHE_KIB 2048
#define PERMALINK_MAX 1200

enum item_state { IT_PENDING = 0, IT_FLIGHT, IT_SENT, IT_FAILED, IT_GONE };

struct item {
	int64_t id;
	int state;        /* enum item_state */
	int attempts;     /* sends that ended in a temporary refusal */
	int floods;
	int64_t due_ns;
	char addr[SUBSCRIBERS_ADDRESS_MAX]; /* canonical address; "" for push */
	struct webpush_subscription sub;    /* push only */
	struct buf body;                    /* e-mail: the composed message */
};

/* One connection that can have a transfer in flight (Telegram, push). */
struct slot {
	struct telegram *tg;
	struct webpush *wp;
	char *body;       /* Telegram: the JSON of the sendMessage in flight */
	int item;         /* index in the page, -1 when free */
};

struct lane {
	struct lanes *set;
	int woken;             /* lanes_wake since this lane last looked (the set's lock) */
	int platform;
	pthread_t thread;
	int started;
	struct store *st;
	/* connectors */
	struct slot slots[PARALLEL_MAX];
	int n_slots;
	CURLM *multi;
	struct email_sender *email;
	struct sms *sms;
	struct ratelimit pace;
	int64_t pause_until_ns;   /* a flood pause */
	struct connector_result last_failure; /* of the page, for its log line */
	int page_failures;
	int channel_mode;         /* Telegram posting to the comune's channel */
	int page_size;
	int skip_failures;
	/* the message being sent */
	struct store_message msg;
	struct buf rendered;
	struct connector_rendered info;
	char permalink[PERMALINK_MAX];
	char *push_payload;
	struct item *items;
	int n_items;
	/* stats (guarded by the set's lock) */
	struct lane_stats stats;
};

struct lanes {
	struct lane_settings s;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping;
	struct lane lanes[PLATFORM_MAX + 1];
	int n;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int stopping(struct lane *l)
{
	int s;
	pthread_mutex_lock(&l->set->lock);
	s = l->set->stopping;
	pthread_mutex_unlock(&l->set->lock);
	return s;
}

/* Sleeps up to `ns` or until stopping (1) or woken (when `wake` is 1). */
static int nap(struct lane *l, int64_t ns, int wake)
{
	struct timespec until;
	int s;

	if (ns <= 0)
		return stopping(l);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ns / NS_PER_S);
	until.tv_nsec += (long)(ns % NS_PER_S);
	if (until.tv_nsec >= NS_PER_S) {
		until.tv_sec++;
		until.tv_nsec -= NS_PER_S;
	}
	pthread_mutex_lock(&l->set->lock);
	while (!l->set->stopping && !(wake && l->woken)) {
		if (pthread_cond_timedwait(&l->set->cond, &l->set->lock, &until) == ETIMEDOUT)
			break;
	}
	s = l->set->stopping;
	pthread_mutex_unlock(&l->set->lock);
	return s;
}

static void stat_add(struct lane *l, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&l->set->lock);
	*field += n;
	pthread_mutex_unlock(&l->set->lock);
}

/* ---------------------------------------------------------------- writer jobs */

struct lane_write {
	struct writer_job job; /* first: the writer hands it back */
	struct writer_wait wait;
	/* what to write */
	int start;             /* 1: store_lane_start; 0: progress */
	int platform;
	int64_t message_id, max_id, total, cursor, d_sent, d_failed, at;
	int state;
	int64_t *sent_ids;
	int n_sent;
	int64_t *failed_ids;
	int n_failed;
	uint8_t (*gone)[CRYPTO_HASH_LEN];
	int n_gone;
};

static int write_apply(struct store *st, struct writer_job *job)
{
	struct lane_write *w = (struct lane_write *)job;
	int rc;

	if (w->start)
		return store_lane_start(st, w->message_id, w->platform, w->max_id, w->total, w->at);
	rc = store_lane_progress(st, w->message_id, w->platform, w->cursor, w->d_sent,
				 w->d_failed, w->state, w->at);
	if (!rc && w->n_sent > 0)
		rc = store_subscribers_sent(st, w->sent_ids, w->n_sent, w->at);
	for (int i = 0; !rc && i < w->n_failed; i++) {
		int failures = 0;
		rc = store_subscriber_failed(st, w->failed_ids[i], &failures);
		if (rc == BANDITORE_ENOTFOUND) /* left meanwhile */
			rc = 0;
	}
	for (int i = 0; !rc && i < w->n_gone; i++) {
		int left = 0;
		rc = subscribers_leave_hash(st, w->platform, w->gone[i], w->at, &left);
		if (!rc && left)
			job->erased = 1;
	}
	return rc;
}

static void write_done(struct writer_job *job, int rc)
{
	writer_wait_done(&((struct lane_write *)job)->wait, rc);
}

/* Hands `w` to the writer and waits until it is durable. */
static int write_wait(struct lane *l, struct lane_write *w)
{
	w->job.apply = write_apply;
	w->job.done = write_done;
	w->job.arg = l;
	return writer_run_wait(l->set->s.writer, &w->job, &w->wait);
}

static int write_progress(struct lane *l, int64_t cursor, int64_t d_sent, int64_t d_failed,
			  int state)
{
	struct lane_write w;

	memset(&w, 0, sizeof(w));
	w.platform = l->platform;
	w.message_id = l->msg.id;
	w.cursor = cursor;
	w.d_sent = d_sent;
	w.d_failed = d_failed;
	w.state = state;
	w.at = (int64_t)time(NULL);
	return write_wait(l, &w);
}

/* ---------------------------------------------------------------- connectors */

static int lane_connect(struct lane *l)
{
	const struct config *cfg = l->set->s.cfg;
	int rc = 0;

	switch (l->platform) {
	case PLATFORM_TELEGRAM: {
		struct telegram_settings ts = { .api_base = cfg->tg_api_base,
						.bot_token = cfg->tg_bot_token };
		l->channel_mode = cfg->tg_mode == TELEGRAM_MODE_CHANNEL;
		l->n_slots = l->channel_mode ? 1 : LANE_TELEGRAM_PARALLEL;
		for (int i = 0; i < l->n_slots && !rc; i++)
			rc = telegram_new(&ts, &l->slots[i].tg);
		ratelimit_init(&l->pace, cfg->tg_messages_per_second);
		l->page_size = cfg->tg_messages_per_second > 0 ? cfg->tg_messages_per_second * 2 : 200;
		break;
	}
	case PLATFORM_WEBPUSH: {
		struct webpush_settings ws = {
			.vapid_seed = l->set->s.keys->vapid,
			.subject = cfg->push_subject,
			.flags = l->set->s.push_flags |
				 (cfg->push_allow_insecure ? WEBPUSH_ALLOW_INSECURE : 0),
		};
		l->n_slots = LANE_PUSH_PARALLEL;
		for (int i = 0; i < l->n_slots && !rc; i++)
			rc = webpush_new(&ws, &l->slots[i].wp);
		ratelimit_init(&l->pace, 0);
		l->page_size = 200;
		break;
	}
	case PLATFORM_EMAIL: {
		struct email_settings es = {
			.smtp_url = cfg->email_smtp_url, .tls = cfg->email_tls,
			.user = cfg->email_user, .password = cfg->email_password,
			.from_address = cfg->email_from_address,
			.connections = cfg->email_connections, .timeout_ms = 30000,
		};
		rc = email_sender_new(&es, &l->email);
		l->page_size = 500;
		l->skip_failures = cfg->email_unreachable_after;
		break;
	}
	case PLATFORM_SMS: {
		struct sms_settings ss = {
			.url = cfg->sms_url, .method = cfg->sms_method,
			.body_type = cfg->sms_body_type, .body = cfg->sms_body,
			.auth = cfg->sms_auth, .auth_header = cfg->sms_auth_header,
			.username = cfg->sms_username, .secret = cfg->sms_auth_secret,
			.sender = cfg->sms_sender, .number_plus = cfg->sms_number_plus,
			.success_statuses = cfg->sms_success_status,
			.status_field = cfg->sms_status_field, .status_ok = cfg->sms_status_ok,
			.id_field = cfg->sms_id_field,
		};
		rc = sms_new(&ss, &l->sms);
		ratelimit_init(&l->pace, cfg->sms_messages_per_second);
		l->page_size = cfg->sms_messages_per_second * 3;
		break;
	}
	default:
		return BANDITORE_EINVAL;
	}
	if (!rc && l->n_slots > 0) {
		l->multi = curl_multi_init();
		if (!l->multi)
			rc = BANDITORE_ENOMEM;
	}
	for (int i = 0; i < l->n_slots; i++)
		l->slots[i].item = -1;
	if (l->set->s.page_size > 0)
		l->page_size = l->set->s.page_size;
	if (l->page_size < 1)
		l->page_size = 1;
	if (l->page_size > PAGE_MAX)
		l->page_size = PAGE_MAX;
	return rc;
}

static void lane_disconnect(struct lane *l)
{
	for (int i = 0; i < l->n_slots; i++) {
		if (l->slots[i].item >= 0 && l->multi)
			curl_multi_remove_handle(l->multi, l->slots[i].tg ? telegram_easy(l->slots[i].tg)
									  : webpush_easy(l->slots[i].wp));
		telegram_free(l->slots[i].tg);
		webpush_free(l->slots[i].wp);
		free(l->slots[i].body);
		memset(&l->slots[i], 0, sizeof(l->slots[i]));
	}
	if (l->multi)
		curl_multi_cleanup(l->multi);
	l->multi = NULL;
	email_sender_free(l->email);
	l->email = NULL;
	sms_free(l->sms);
	l->sms = NULL;
}

/* ---------------------------------------------------------------- one page */

static void items_clear(struct lane *l)
{
	for (int i = 0; i < l->n_items; i++) {
		crypto_wipe(l->items[i].addr, sizeof(l->items[i].addr));
		crypto_wipe(&l->items[i].sub, sizeof(l->items[i].sub));
		if (l->items[i].body.data) /* an e-mail for its recipient: it names them */
			crypto_wipe(l->items[i].body.data, l->items[i].body.len);
		buf_free(&l->items[i].body);
	}
	l->n_items = 0;
}

/* What a send's result means for its recipient. */
static void settle(struct lane *l, struct item *it, const struct connector_result *res)
{
	const struct lane_settings *s = &l->set->s;
	int64_t now = mono_ns();

	switch (res->outcome) {
	case CONNECTOR_OK:
		it->state = IT_SENT;
		return;
	case CONNECTOR_RETRY:
		stat_add(l, &l->stats.retried, 1);
		if (res->retry_after > 0 && it->floods < FLOODS_MAX) {
			int wait = res->retry_after < LANE_FLOOD_WAIT_MAX ? res->retry_after
									  : LANE_FLOOD_WAIT_MAX;
			it->floods++;
			if (l->pause_until_ns < now + wait * NS_PER_S)
				l->pause_until_ns = now + wait * NS_PER_S;
			it->due_ns = l->pause_until_ns;
			it->state = IT_PENDING;
			return;
		}
		if (++it->attempts < s->attempts_max) {
			it->due_ns = now + (int64_t)s->retry_base_ms * NS_PER_MS *
						   (1LL << (it->attempts - 1));
			it->state = IT_PENDING;
			return;
		}
		it->state = IT_FAILED;
		l->last_failure = *res;
		l->page_failures++;
		return;
	default:
		if ((l->platform == PLATFORM_TELEGRAM && res->error_code == TELEGRAM_ERROR_GONE) ||
		    (l->platform == PLATFORM_WEBPUSH && webpush_result_gone(res)))
			it->state = IT_GONE;
		else
			it->state = IT_FAILED;
		l->last_failure = *res;
		l->page_failures++;
	}
}

/* The earliest due time among pending items (0 when none is pending: a pending item is
 * always due at 1 or later), and how many are in flight. */
static int64_t next_due(struct lane *l, int *in_flight)
{
	int64_t due = 0;

	*in_flight = 0;
	for (int i = 0; i < l->n_items; i++) {
		int64_t d = l->items[i].due_ns > 0 ? l->items[i].due_ns : 1;
		if (l->items[i].state == IT_FLIGHT)
			(*in_flight)++;
		if (l->items[i].state == IT_PENDING && (due == 0 || d < due))
			due = d;
	}
	return due;
}

/* Telegram and push: many transfers in flight over the multi handle, paced. */
static int start_transfer(struct lane *l, struct slot *sl, struct item *it,
			  struct connector_result *res)
{
	CURL *easy;
	int rc;

	if (l->platform == PLATFORM_TELEGRAM) {
		const char *chat = l->channel_mode ? l->set->s.cfg->tg_channel_id : it->addr;
		if (sl->body) /* the chat id and the text */
			crypto_wipe(sl->body, strlen(sl->body));
		free(sl->body);
		sl->body = NULL;
		rc = telegram_build_send(chat, buf_cstr(&l->rendered), NULL, &sl->body);
		if (!rc)
			rc = telegram_start(sl->tg, sl->body, strlen(sl->body));
		if (rc) {
			connector_result_clear(res);
			connector_result_set(res, CONNECTOR_FAIL, 0, "request not built");
			return rc;
		}
		easy = telegram_easy(sl->tg);
	} else {
		rc = webpush_start(sl->wp, &it->sub, l->push_payload, strlen(l->push_payload),
				   l->set->s.cfg->push_ttl,
				   l->msg.priority == STORE_PRIORITY_EMERGENCY ? WEBPUSH_URGENCY_HIGH
									       : WEBPUSH_URGENCY_NORMAL,
				   res);
		if (rc)
			return rc;
		easy = webpush_easy(sl->wp);
	}
	if (curl_multi_add_handle(l->multi, easy) != CURLM_OK) {
		connector_result_clear(res);
		connector_result_set(res, CONNECTOR_RETRY, 0, "transfer not started");
		return BANDITORE_ETEMP;
	}
	return 0;
}

static int run_multi(struct lane *l)
{
	for (;;) {
		int64_t now = mono_ns(), due, wait = 100 * NS_PER_MS;
		int in_flight, running = 0, msgs = 0;
		CURLMsg *cm;

		if (stopping(l))
			return BANDITORE_ESTOPPED;
		/* Start what is due, while a connection is free and the pace allows. */
		for (int i = 0; i < l->n_items && now >= l->pause_until_ns; i++) {
			struct item *it = &l->items[i];
			struct slot *sl = NULL;
			struct connector_result res;
			int64_t pw;

			if (it->state != IT_PENDING || it->due_ns > now)
				continue;
			for (int k = 0; k < l->n_slots && !sl; k++)
				if (l->slots[k].item < 0)
					sl = &l->slots[k];
			if (!sl)
				break;
			pw = ratelimit_wait(&l->pace, now);
			if (pw > 0) {
				wait = pw < wait ? pw : wait;
				break;
			}
			ratelimit_take(&l->pace, now);
			if (start_transfer(l, sl, it, &res)) {
				settle(l, it, &res);
				continue;
			}
			it->state = IT_FLIGHT;
			sl->item = i;
		}
		due = next_due(l, &in_flight);
		if (in_flight == 0 && due == 0)
			return 0;
		curl_multi_perform(l->multi, &running);
		while ((cm = curl_multi_info_read(l->multi, &msgs))) {
			struct connector_result res;
			struct slot *sl = NULL;

			if (cm->msg != CURLMSG_DONE)
				continue;
			for (int k = 0; k < l->n_slots && !sl; k++) {
				CURL *e = l->slots[k].tg ? telegram_easy(l->slots[k].tg)
							 : webpush_easy(l->slots[k].wp);
				if (l->slots[k].item >= 0 && e == cm->easy_handle)
					sl = &l->slots[k];
			}
			if (!sl)
				continue;
			curl_multi_remove_handle(l->multi, cm->easy_handle);
			if (sl->tg)
				telegram_finish(sl->tg, cm->data.result, &res);
			else
				webpush_finish(sl->wp, cm->data.result, &res);
			settle(l, &l->items[sl->item], &res);
			sl->item = -1;
		}
		due = next_due(l, &in_flight);
		if (in_flight == 0 && due == 0)
			return 0;
		now = mono_ns();
		if (due > now && due - now < wait)
			wait = due - now;
		if (l->pause_until_ns > now && in_flight == 0)
			wait = l->pause_until_ns - now < NS_PER_S ? l->pause_until_ns - now : NS_PER_S;
		if (wait < NS_PER_MS)
			wait = NS_PER_MS;
		if (in_flight > 0)
			curl_multi_poll(l->multi, NULL, 0, (int)(wait / NS_PER_MS), NULL);
		else if (nap(l, wait, 0))
			return BANDITORE_ESTOPPED;
	}
}

/* E-mail: each round is one batch over the sender's connections. */
static int run_email(struct lane *l)
{
	struct email_job *jobs = calloc((size_t)l->n_items, sizeof(*jobs));
	int *which = calloc((size_t)l->n_items, sizeof(*which));
	int rc = 0;

	if (!jobs || !which) {
		rc = BANDITORE_ENOMEM;
		goto out;
	}
	for (;;) {
		int64_t now = mono_ns(), due;
		int n = 0, in_flight;

		if (stopping(l)) {
			rc = BANDITORE_ESTOPPED;
			goto out;
		}
		for (int i = 0; i < l->n_items; i++) {
			struct item *it = &l->items[i];
			if (it->state != IT_PENDING || it->due_ns > now)
				continue;
			jobs[n].to = it->addr;
			jobs[n].data = it->body.data;
			jobs[n].len = it->body.len;
			which[n++] = i;
		}
		if (n > 0) {
			email_send_batch(l->email, jobs, n);
			for (int k = 0; k < n; k++)
				settle(l, &l->items[which[k]], &jobs[k].res);
		}
		due = next_due(l, &in_flight);
		if (due == 0)
			break;
		if (nap(l, due - mono_ns(), 0)) {
			rc = BANDITORE_ESTOPPED;
			goto out;
		}
	}
out:
	free(jobs);
	free(which);
	return rc;
}

/* SMS: one request at a time at the configured pace. */
static int run_sms(struct lane *l)
{
	for (;;) {
		int64_t now = mono_ns(), due;
		int in_flight, sent = 0;

		for (int i = 0; i < l->n_items; i++) {
			struct item *it = &l->items[i];
			struct connector_result res;
			int64_t pw;

			if (stopping(l))
				return BANDITORE_ESTOPPED;
			if (it->state != IT_PENDING || it->due_ns > now)
				continue;
			while ((pw = ratelimit_wait(&l->pace, mono_ns())) > 0)
				if (nap(l, pw, 0))
					return BANDITORE_ESTOPPED;
			ratelimit_take(&l->pace, mono_ns());
			sms_send(l->sms, it->addr, buf_cstr(&l->rendered), &res);
			settle(l, it, &res);
			sent++;
		}
		due = next_due(l, &in_flight);
		if (due == 0)
			return 0;
		if (!sent && nap(l, due - mono_ns(), 0))
			return BANDITORE_ESTOPPED;
	}
}

/* Opens a recipient's address and, for e-mail, composes its own message. */
static int prepare_item(struct lane *l, const struct store_recipient *r, struct item *it)
{
	const struct lane_settings *s = &l->set->s;
	const struct config *cfg = s->cfg;
	int rc;

	memset(it, 0, sizeof(*it));
	it->id = r->id;
	buf_init(&it->body, EMAIL_MESSAGE_MAX);
	if (l->platform == PLATFORM_WEBPUSH)
		return webpush_subscribers_open(s->keys, r->sealed, r->sealed_len,
						s->push_flags | (cfg->push_allow_insecure ?
								 WEBPUSH_ALLOW_INSECURE : 0),
						&it->sub);
	rc = subscribers_unseal(s->keys, l->platform, r->sealed, r->sealed_len, it->addr,
				sizeof(it->addr));
	if (rc || l->platform != PLATFORM_EMAIL)
		return rc;
	{
		uint8_t hash[CRYPTO_HASH_LEN];
		char tok[EMAIL_TOKEN_LEN + 1], url[EMAIL_URL_MAX];
		struct email_compose c;

		rc = subscribers_hash(s->keys, PLATFORM_EMAIL, it->addr, hash);
		if (!rc)
			rc = email_unsub_token(s->keys->email, hash, tok);
		if (!rc)
			rc = email_link(cfg->public_url, "/email/unsubscribe", tok, url, sizeof(url));
		if (rc)
			return rc;
		memset(&c, 0, sizeof(c));
		c.from_address = cfg->email_from_address;
		c.from_name = cfg->email_from_name;
		c.to = it->addr;
		c.subject = l->info.title;
		c.text = buf_cstr(&l->rendered);
		c.unsubscribe_url = url;
		c.date = (int64_t)time(NULL);
		rc = email_compose(&c, &it->body);
	}
	return rc;
}

/* The hash that finds a gone recipient, for its erasure. */
static int gone_hash(struct lane *l, const struct item *it, uint8_t out[CRYPTO_HASH_LEN])
{
	if (l->platform == PLATFORM_WEBPUSH)
		return webpush_subscribers_hash(l->set->s.keys, it->sub.endpoint, out);
	return subscribers_hash(l->set->s.keys, l->platform, it->addr, out);
}

/* Sends one page and settles it. *done is 1 when the walk is over (an empty page). */
static int send_page(struct lane *l, struct store_message_platform *row, int *done)
{
	struct store_recipient *recs = NULL;
	struct lane_write w;
	int64_t *sent_ids = NULL, *failed_ids = NULL;
	uint8_t (*gone)[CRYPTO_HASH_LEN] = NULL;
	int n = 0, rc;

	*done = 0;
	recs = calloc((size_t)l->page_size, sizeof(*recs));
	if (!recs)
		return BANDITORE_ENOMEM;
	/* Only those the message's categories and areas reach (messages_audience.h). */
	rc = store_message_recipients(l->st, l->msg.id, l->platform, row->cursor, row->max_id,
				      l->skip_failures, recs, l->page_size, &n);
	if (rc)
		goto out;
	if (n == 0) {
		*done = 1;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct item *it = &l->items[i];
		if (prepare_item(l, &recs[i], it)) {
			log_warn("lane-unreadable", "platform=%s message=%" PRId64
				 " subscriber=%" PRId64, platform_name(l->platform), l->msg.id,
				 recs[i].id);
			it->state = IT_FAILED;
		}
		it->id = recs[i].id;
		l->n_items = i + 1;
	}
	crypto_wipe(recs, (size_t)l->page_size * sizeof(*recs));
	l->page_failures = 0;
	if (l->platform == PLATFORM_EMAIL)
		rc = run_email(l);
	else if (l->platform == PLATFORM_SMS)
		rc = run_sms(l);
	else
		rc = run_multi(l);
	if (rc)
		goto out;

	sent_ids = calloc((size_t)n, sizeof(*sent_ids));
	failed_ids = calloc((size_t)n, sizeof(*failed_ids));
	gone = calloc((size_t)n, sizeof(*gone));
	if (!sent_ids || !failed_ids || !gone) {
		rc = BANDITORE_ENOMEM;
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.sent_ids = sent_ids;
	w.failed_ids = failed_ids;
	w.gone = gone;
	for (int i = 0; i < n; i++) {
		struct item *it = &l->items[i];
		if (it->state == IT_SENT) {
			sent_ids[w.n_sent++] = it->id;
		} else if (it->state == IT_GONE && gone_hash(l, it, gone[w.n_gone]) == 0) {
			w.n_gone++;
		} else {
			failed_ids[w.n_failed++] = it->id;
		}
	}
	w.platform = l->platform;
	w.message_id = l->msg.id;
	w.cursor = l->items[n - 1].id;
	w.d_sent = w.n_sent;
	w.d_failed = w.n_failed + w.n_gone;
	w.at = (int64_t)time(NULL);
	if (l->page_failures > 0) /* the connector's own words: no address in them */
		log_warn("lane-page-failures", "platform=%s message=%" PRId64 " failed=%d gone=%d"
			 " last_status=%d last_code=%d last_error=\"%s\"", platform_name(l->platform),
			 l->msg.id, w.n_failed, w.n_gone, l->last_failure.http_status,
			 l->last_failure.error_code, l->last_failure.error);
	rc = write_wait(l, &w);
	if (!rc) {
		row->cursor = w.cursor;
		row->sent += w.d_sent;
		row->failed += w.d_failed;
		pthread_mutex_lock(&l->set->lock);
		l->stats.sent += (uint64_t)w.n_sent;
		l->stats.failed += (uint64_t)w.n_failed;
		l->stats.gone += (uint64_t)w.n_gone;
		l->stats.pages++;
		pthread_mutex_unlock(&l->set->lock);
	}
	crypto_wipe(gone, (size_t)n * sizeof(*gone));
out:
	items_clear(l);
	free(recs);
	free(sent_ids);
	free(failed_ids);
	free(gone);
	return rc;
}

/* ---------------------------------------------------------------- one message */

/* 1 when the message must stop (cancelled, expired, or this lane stopped by a cancel
 * that came after WhatsApp had finished: messages_cancel), 2 when an emergency waits for
 * this lane and this message is routine, else 0. */
static int look_again(struct lane *l, int64_t since)
{
	struct store_message m;
	struct store_message_platform row;
	int64_t next = 0;
	int rc, verdict = 0;

	if (store_lane_get(l->st, l->msg.id, l->platform, &row) == 0 &&
	    row.state == STORE_LANE_STOPPED)
		return 1;
	memset(&m, 0, sizeof(m));
	if (store_message_get(l->st, l->msg.id, &m) == 0) {
		if (m.state == STORE_MSG_CANCELLED || m.state == STORE_MSG_EXPIRED ||
		    (m.expires_at > 0 && (int64_t)time(NULL) >= m.expires_at))
			verdict = 1;
		store_message_clear(&m);
	}
	if (verdict || l->msg.priority == STORE_PRIORITY_EMERGENCY)
		return verdict;
	rc = store_lane_next(l->st, l->platform, since, &next);
	if (!rc && next != l->msg.id && store_message_get(l->st, next, &m) == 0) {
		if (m.priority == STORE_PRIORITY_EMERGENCY)
			verdict = 2;
		store_message_clear(&m);
	}
	return verdict;
}

static int render_message(struct lane *l)
{
	const struct connector_ops *ops = connector_ops_for(l->platform);
	struct connector_message cm;
	int rc;

	buf_reset(&l->rendered);
	free(l->push_payload);
	l->push_payload = NULL;
	connector_message_init(&cm, l->msg.id, l->msg.title, l->msg.text, l->msg.link,
			       l->msg.category, l->msg.priority == STORE_PRIORITY_EMERGENCY,
			       l->msg.media_type, l->set->s.cfg, l->permalink,
			       sizeof(l->permalink));
	rc = ops->render(&cm, &l->rendered, &l->info);
	if (!rc && l->platform == PLATFORM_WEBPUSH) {
		char path[64];
		const char *url = l->msg.link[0] ? l->msg.link : cm.permalink;
		if (!url) {
			snprintf(path, sizeof(path), "/archivio/%" PRId64, l->msg.id);
			url = path;
		}
		rc = webpush_build_payload(l->info.title, buf_cstr(&l->rendered), url,
					   cm.emergency, &l->push_payload);
	}
	return rc;
}

static void finish_log(struct lane *l, const struct store_message_platform *row, int state)
{
	static const char *const names[] = { "", "sending", "sent", "partly-failed", "stopped" };

	log_info("lane-finished", "platform=%s message=%" PRId64 " state=%s total=%" PRId64
		 " sent=%" PRId64 " failed=%" PRId64, platform_name(l->platform), l->msg.id,
		 names[state], row->total, row->sent, row->failed);
	stat_add(l, &l->stats.messages_finished, 1);
}

/* Takes message l->msg on this lane from its durable row. */
static int run_message(struct lane *l, int64_t since)
{
	struct store_message_platform row;
	int rc, done = 0, state;

	rc = store_lane_get(l->st, l->msg.id, l->platform, &row);
	if (rc == BANDITORE_ENOTFOUND) {
		struct lane_write w;
		int64_t max_id = 0, count = 0;

		if (!l->channel_mode)
			rc = store_subscribers_extent(l->st, l->platform, &max_id, &count);
		else
			rc = 0, count = 1;
		if (!rc && !l->channel_mode) {
			/* A targeted message: its total is those it reaches (its filter was fixed
			 * at approval). */
			struct store_audience aud;
			int64_t counts[PLATFORM_MAX + 1];
			rc = store_message_get_audience(l->st, l->msg.id, &aud);
			if (!rc && (aud.categories || aud.areas)) {
				rc = store_audience_count(l->st, &aud, counts, PLATFORM_MAX + 1);
				if (!rc && l->platform >= 0 && l->platform <= PLATFORM_MAX)
					count = counts[l->platform];
			} else if (!rc && l->skip_failures > 0) {
				/* Those the walk skips as unreachable ([email] unreachable_after)
				 * are not part of the audience. */
				int64_t unreachable = 0;
				rc = store_subscribers_unreachable(l->st, l->platform, l->skip_failures,
								   &unreachable);
				count = count > unreachable ? count - unreachable : 0;
			}
		}
		if (rc)
			return rc;
		memset(&w, 0, sizeof(w));
		w.start = 1;
		w.platform = l->platform;
		w.message_id = l->msg.id;
		w.max_id = max_id;
		w.total = count;
		w.at = (int64_t)time(NULL);
		rc = write_wait(l, &w);
		if (!rc)
			rc = store_lane_get(l->st, l->msg.id, l->platform, &row);
		if (!rc)
			log_info("lane-started", "platform=%s message=%" PRId64 " total=%" PRId64
				 " page=%d", platform_name(l->platform), l->msg.id, row.total,
				 l->page_size);
	} else if (!rc) {
		log_info("lane-resumed", "platform=%s message=%" PRId64 " cursor=%" PRId64
			 " sent=%" PRId64, platform_name(l->platform), l->msg.id, row.cursor,
			 row.sent);
	}
	if (rc)
		return rc;

	if (look_again(l, since) == 1) {
		rc = write_progress(l, row.cursor, 0, 0, STORE_LANE_STOPPED);
		if (!rc)
			finish_log(l, &row, STORE_LANE_STOPPED);
		return rc;
	}
	if (render_message(l)) {
		/* The platform can never carry it: everyone counted failed, nobody sent to. */
		log_warn("lane-refused", "platform=%s message=%" PRId64
			 " reason=\"the message cannot be rendered for the platform\"",
			 platform_name(l->platform), l->msg.id);
		int64_t rest = row.total - row.sent - row.failed;

		rest = rest > 0 ? rest : 0;
		row.failed += rest;
		rc = write_progress(l, row.max_id, 0, rest, STORE_LANE_PARTLY_FAILED);
		if (!rc)
			finish_log(l, &row, STORE_LANE_PARTLY_FAILED);
		return rc;
	}

	if (l->channel_mode) {
		struct item *it = &l->items[0];
		memset(it, 0, sizeof(*it));
		l->n_items = 1;
		rc = run_multi(l);
		state = it->state == IT_SENT ? STORE_LANE_SENT : STORE_LANE_PARTLY_FAILED;
		l->n_items = 0;
		if (rc)
			return rc;
		row.sent += state == STORE_LANE_SENT;
		row.failed += state != STORE_LANE_SENT;
		rc = write_progress(l, 0, state == STORE_LANE_SENT, state != STORE_LANE_SENT, state);
		if (!rc) {
			stat_add(l, state == STORE_LANE_SENT ? &l->stats.sent : &l->stats.failed, 1);
			finish_log(l, &row, state);
		}
		return rc;
	}

	for (;;) {
		int again = look_again(l, since);
		if (again == 1) {
			rc = write_progress(l, row.cursor, 0, 0, STORE_LANE_STOPPED);
			if (!rc)
				finish_log(l, &row, STORE_LANE_STOPPED);
			return rc;
		}
		if (again == 2) {
			log_info("lane-preempted", "platform=%s message=%" PRId64 " cursor=%" PRId64,
				 platform_name(l->platform), l->msg.id, row.cursor);
			return 0;
		}
		rc = send_page(l, &row, &done);
		if (rc)
			return rc;
		if (done)
			break;
	}
	state = row.failed > 0 ? STORE_LANE_PARTLY_FAILED : STORE_LANE_SENT;
	rc = write_progress(l, row.max_id, 0, 0, state);
	if (!rc)
		finish_log(l, &row, state);
	return rc;
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;

	while (!stopping(l)) {
		int64_t since = (int64_t)time(NULL) - LANE_CATCHUP_DEFAULT, id = 0;
		int rc;

		/* Each lane its own flag: one lane looking must not swallow the wake-up
		 * another has not seen yet (an emergency would wait for its idle nap). */
		pthread_mutex_lock(&l->set->lock);
		l->woken = 0;
		pthread_mutex_unlock(&l->set->lock);
		rc = store_lane_next(l->st, l->platform, since, &id);
		if (rc == BANDITORE_ENOTFOUND) {
			nap(l, IDLE_NS, 1);
			continue;
		}
		if (!rc) {
			store_message_clear(&l->msg);
			rc = store_message_get(l->st, id, &l->msg);
		}
		if (!rc) {
			pthread_mutex_lock(&l->set->lock);
			l->stats.current = id;
			pthread_mutex_unlock(&l->set->lock);
			rc = run_message(l, since);
			pthread_mutex_lock(&l->set->lock);
			l->stats.current = 0;
			pthread_mutex_unlock(&l->set->lock);
		}
		if (rc && rc != BANDITORE_ESTOPPED) {
			log_error("lane-error", "platform=%s message=%" PRId64 " error=\"%s\" store=\"%s\"",
				  platform_name(l->platform), id, banditore_strerror(rc),
				  store_errmsg(l->st));
			nap(l, ERROR_HOLD_NS, 0);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- the set */

static void lane_free(struct lane *l)
{
	lane_disconnect(l);
	items_clear(l);
	free(l->items);
	l->items = NULL;
	store_message_clear(&l->msg);
	buf_free(&l->rendered);
	free(l->push_payload);
	l->push_payload = NULL;
	store_free(l->st);
	l->st = NULL;
}

int lanes_start(const struct lane_settings *ls, struct lanes **out)
{
	struct lanes *set;
	int rc = 0;

	*out = NULL;
	set = calloc(1, sizeof(*set));
	if (!set)
		return BANDITORE_ENOMEM;
	set->s = *ls;
	if (set->s.attempts_max <= 0)
		set->s.attempts_max = LANE_ATTEMPTS_DEFAULT;
	if (set->s.retry_base_ms <= 0)
		set->s.retry_base_ms = LANE_RETRY_BASE_MS_DEFAULT;
	pthread_mutex_init(&set->lock, NULL);
	pthread_cond_init(&set->cond, NULL);
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		struct lane *l = &set->lanes[p];

		if (p == PLATFORM_WHATSAPP || !(ls->cfg->platforms & (1 << p)))
			continue;
		l->set = set;
		l->platform = p;
		buf_init(&l->rendered, CONNECTOR_RENDER_MAX);
		rc = lane_connect(l);
		if (rc) {
			log_warn("lane-not-started", "platform=%s error=\"%s\"", platform_name(p),
				 banditore_strerror(rc));
			lane_free(l);
			l->platform = 0;
			rc = 0;
			continue;
		}
		l->items = calloc((size_t)l->page_size, sizeof(*l->items));
		if (!l->items) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		rc = store_open(ls->store_url, &l->st);
		if (!rc)
			rc = store_set_cache(l->st, LANE_CACHE_KIB);
		if (rc)
			goto fail;
		if (pthread_create(&l->thread, NULL, lane_main, l)) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		l->started = 1;
		set->n++;
		log_info("lane-ready", "platform=%s page=%d%s", platform_name(p), l->page_size,
			 l->channel_mode ? " mode=channel" : "");
	}
	*out = set;
	return 0;
fail:
	lanes_stop(set);
	return rc;
}

void lanes_wake(void *arg)
{
	struct lanes *set = arg;

	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	for (int i = 0; i <= PLATFORM_MAX; i++)
		set->lanes[i].woken = 1;
	pthread_cond_broadcast(&set->cond);
	pthread_mutex_unlock(&set->lock);
}

int lanes_stats(struct lanes *set, int platform, struct lane_stats *out)
{
	if (!set || platform < 1 || platform > PLATFORM_MAX || !set->lanes[platform].started)
		return BANDITORE_ENOTFOUND;
	pthread_mutex_lock(&set->lock);
	*out = set->lanes[platform].stats;
	pthread_mutex_unlock(&set->lock);
	return 0;
}

void lanes_stop(struct lanes *set)
{
	if (!set)
		return;
	pthread_mutex_lock(&set->lock);
	set->stopping = 1;
	pthread_cond_broadcast(&set->cond);
	pthread_mutex_unlock(&set->lock);
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		struct lane *l = &set->lanes[p];
		if (l->started)
			pthread_join(l->thread, NULL);
		if (l->platform)
			lane_free(l);
	}
	pthread_cond_destroy(&set->cond);
	pthread_mutex_destroy(&set->lock);
	free(set);
}
