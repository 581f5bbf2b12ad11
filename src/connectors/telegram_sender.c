/* telegram_sender.c - the reply queue and its thread (see telegram_sender.h). */
#include "connectors/telegram_sender.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct item {
	struct item *next;
	char *chat, *html, *callback_id, *notice;
	char *markup;        /* the message's inline keyboard, or NULL */
};

struct telegram_sender {
	struct telegram *tg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item *head, *tail;
	int count;
	int stopping;
	struct timespec deadline; /* when stopping: give up on what is left after it */
	long gap_ns;              /* between two sends */
	uint64_t sent, failed;
};

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

static void wipe_free(char *s)
{
	if (s) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

static void item_free(struct item *it)
{
	wipe_free(it->chat);
	wipe_free(it->html);
	wipe_free(it->callback_id);
	free(it->notice);
	free(it->markup);
	free(it);
}

static int past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Sleeps `ms`, cut short when the drain deadline passes. */
static void pause_ms(struct telegram_sender *s, long ms)
{
	while (ms > 0) {
		long step = ms > 100 ? 100 : ms;
		struct timespec ts = { 0, step * 1000000L };
		int give_up;
		pthread_mutex_lock(&s->lock);
		give_up = s->stopping && past(&s->deadline);
		pthread_mutex_unlock(&s->lock);
		if (give_up)
			return;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static int send_one(struct telegram_sender *s, struct item *it, int *gone)
{
	struct connector_result res;
	int rc = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		if (it->callback_id)
			rc = telegram_answer_callback(s->tg, it->callback_id, it->notice, &res);
		else
			rc = telegram_send_html(s->tg, it->chat, it->html, it->markup, &res);
		if (res.outcome != CONNECTOR_RETRY || res.retry_after > TELEGRAM_SENDER_WAIT_MAX)
			break;
		log_info("telegram-reply-retry", "wait=%d error=\"%s\"", res.retry_after, res.error);
		pause_ms(s, (res.retry_after > 0 ? res.retry_after : 1) * 1000L);
	}
	*gone = res.outcome == CONNECTOR_FAIL && res.error_code == TELEGRAM_ERROR_GONE;
	if (rc)
		log_warn("telegram-reply-failed", "outcome=%s code=%d error=\"%s\"",
			 connector_outcome_name(res.outcome), res.error_code, res.error);
	return rc;
}

static void *sender_main(void *arg)
{
	struct telegram_sender *s = arg;

	for (;;) {
		struct item *it;
		int gone = 0, rc;

		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->head || (s->stopping && past(&s->deadline))) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		it = s->head;
		s->head = it->next;
		if (!s->head)
			s->tail = NULL;
		s->count--;
		pthread_mutex_unlock(&s->lock);

		/* A button's answer and the message it may come with are one item: the answer
		 * first, so the client's spinner stops. */
		rc = 0;
		if (it->callback_id)
			rc = send_one(s, it, &gone);
		if (it->html && it->chat) {
			char *cb = it->callback_id;
			it->callback_id = NULL;
			rc = send_one(s, it, &gone);
			it->callback_id = cb;
		}
		pthread_mutex_lock(&s->lock);
		if (rc)
			s->failed++;
		else
			s->sent++;
		pthread_mutex_unlock(&s->lock);
		item_free(it);
		if (s->gap_ns > 0) {
			struct timespec ts = { s->gap_ns / 1000000000L, s->gap_ns % 1000000000L };
			nanosleep(&ts, NULL);
		}
	}
	/* Past the deadline: drop what is left (wiping the chat ids). */
	pthread_mutex_lock(&s->lock);
	while (s->head) {
		struct item *it = s->head;
		s->head = it->next;
		s->failed++;
		item_free(it);
	}
	s->tail = NULL;
	s->count = 0;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int telegram_sender_start(const struct telegram_settings *ts, int per_second,
			  struct telegram_sender **out)
{
	struct telegram_sender *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return BANDITORE_ENOMEM;
	rc = telegram_new(ts, &s->tg);
	if (rc) {
		free(s);
		return rc;
	}
	s->gap_ns = per_second > 0 ? 1000000000L / per_second : 0;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, sender_main, s) != 0) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->cond);
		telegram_free(s->tg);
		free(s);
		return BANDITORE_ENOMEM;
	}
	*out = s;
	return 0;
}

int telegram_sender_post(struct telegram_sender *s, const char *chat, const char *html,
			 const char *callback_id, const char *notice)
{
	return telegram_sender_post_markup(s, chat, html, NULL, callback_id, notice);
}

int telegram_sender_post_markup(struct telegram_sender *s, const char *chat, const char *html,
				const char *markup, const char *callback_id, const char *notice)
{
	struct item *it;
	int oom = 0;

	if ((!html || !chat) && !callback_id)
		return BANDITORE_EINVAL;
	it = calloc(1, sizeof(*it));
	if (!it)
		return BANDITORE_ENOMEM;
	it->chat = dup_or_null(chat, &oom);
	it->html = dup_or_null(html, &oom);
	it->callback_id = dup_or_null(callback_id, &oom);
	it->notice = dup_or_null(notice, &oom);
	it->markup = html ? dup_or_null(markup, &oom) : NULL;
	if (oom) {
		item_free(it);
		return BANDITORE_ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	if (s->stopping || s->count >= TELEGRAM_SENDER_QUEUE_MAX) {
		int rc = s->stopping ? BANDITORE_ESTOPPED : BANDITORE_ETOOBIG;
		pthread_mutex_unlock(&s->lock);
		item_free(it);
		return rc;
	}
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	s->count++;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void telegram_sender_stop(struct telegram_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += TELEGRAM_SENDER_DRAIN_MS / 1000;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	telegram_free(s->tg);
	free(s);
}

void telegram_sender_stats(struct telegram_sender *s, uint64_t *sent, uint64_t *failed)
{
	pthread_mutex_lock(&s->lock);
	*sent = s->sent;
	*failed = s->failed;
	pthread_mutex_unlock(&s->lock);
}
