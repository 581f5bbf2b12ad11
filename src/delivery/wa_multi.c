/*
 * wa_multi.c - a pool of WhatsApp connectors driven by libcurl multi handles on worker
 * threads, so that the caller's thread (the broadcast engine, the replies) only prepares
 * bodies and settles outcomes while the HTTP work runs beside it.
 *
 * Threads: the caller's thread owns the slots' bookkeeping (free list, tags, busy); each
 * worker owns one multi handle and the slots given to it (slot i goes to worker
 * i % workers, so its connection stays in that worker's cache). A send is handed over
 * through the worker's queue and an eventfd; a finished transfer comes back through the
 * done queue and the caller's eventfd. An eventfd is written only when its queue was
 * empty, and read before the queue is emptied, so no hand-over is missed and a busy
 * stream costs few system calls.
 *
 * In each worker, curl is driven through curl_multi_socket_action over epoll: each
 * wake-up touches only the sockets that are ready, instead of polling every connection
 * and walking every transfer as curl_multi_poll/curl_multi_perform do, which costs much
 * with hundreds of connections in flight.
 *
 * A kept-alive connection is given back to curl after every send and taken again for the
 * next one; following curl's "stop watching"/"watch again" literally would cost two
 * epoll_ctl calls per send. So a socket stays registered while it is open (curl's close
 * callback says when it is closed, which also drops it from epoll), and is taken out
 * only if it reports an event while curl is not watching it (the peer closed an idle
 * connection).
 */
#include "delivery/wa_multi.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_MAX 256
/* Up to two workers, one per core on a small server: the HTTP work per send (libcurl's
 * bookkeeping, the answer's parsing, the system calls) is about ten times the caller's
 * (bench/RESULTS.md), so with one worker that thread alone bounds the rate. A one-core
 * machine gets one. */
#define WORKERS_MAX 2

struct slot {
	struct whatsapp *wa;
	struct buf body;
	struct connector_result res; /* written by the worker, read after the hand-back */
	uint64_t tag;                /* the caller's only */
	int busy;                    /* the caller's only */
};

/* What epoll and curl know of one socket. */
struct fd_state {
	uint32_t events;   /* registered with epoll (0: not registered) */
	uint8_t wanted;    /* curl is watching it */
};

#define FD_MAX (1 << 20)

/* A queue of slot indexes (capacity: every slot), under its owner's lock. */
struct queue {
	int *items;
	int head, count, cap;
};

struct worker {
	struct wa_multi *m;
	pthread_t thread;
	int started;
	CURLM *multi;
	struct fd_state *fds;    /* by descriptor */
	int n_fds;
	int epfd;
	int wake_fd;             /* eventfd: sends queued, or stop */
	int64_t timer_ns;        /* when curl wants to be called for its time-outs; -1: never */
	pthread_mutex_t lock;    /* starts, stop */
	struct queue starts;     /* slots to start */
	int stop;
};

struct wa_multi {
	struct worker workers[WORKERS_MAX];
	int worker_count;        /* how many run */
	int n_workers;           /* set up so far */
	int epfd;                /* the caller's: wake_fd and extra_fd */
	int wake_fd;             /* eventfd: transfers done, or wa_multi_wakeup */
	int extra_fd;            /* the caller's fd, once registered */
	struct slot *slots;
	int n_slots;
	int *free_list;          /* indexes of free slots, a stack (the caller's) */
	int n_free;
	pthread_mutex_t lock;    /* done */
	struct queue done;       /* slots finished, to hand back */
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so a wake-up is pending anyway. */
	}
}

static void drain_fd(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending. */
	}
}

/* Adds to a queue; 1 when it was empty (the reader must be woken). */
static int queue_push(struct queue *q, int item)
{
	int was_empty = q->count == 0;

	q->items[(q->head + q->count) % q->cap] = item;
	q->count++;
	return was_empty;
}

static int queue_pop(struct queue *q)
{
	int item = q->items[q->head];

	q->head = (q->head + 1) % q->cap;
	q->count--;
	return item;
}

static struct fd_state *fd_state(struct worker *w, curl_socket_t s)
{
	if (s < 0 || s >= FD_MAX)
		return NULL;
	if (s >= w->n_fds) {
		int n = w->n_fds ? w->n_fds : 256;
		struct fd_state *grown;
		while (n <= s)
			n *= 2;
		grown = realloc(w->fds, (size_t)n * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + w->n_fds, 0, (size_t)(n - w->n_fds) * sizeof(*grown));
		w->fds = grown;
		w->n_fds = n;
	}
	return &w->fds[s];
}

/* curl says which sockets to watch for what. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct fd_state *st = fd_state(w, s);
	struct epoll_event ev;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (st)
			st->wanted = 0; /* stays registered: it is likely to be wanted again */
		else
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	if (st) {
		st->wanted = 1;
		if (st->events == ev.events)
			return 0;
	}
	if (epoll_ctl(w->epfd, st && st->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0 &&
	    epoll_ctl(w->epfd, errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) != 0)
		return -1;
	if (st)
		st->events = ev.events;
	return 0;
}

/* curl closes a socket: epoll forgets it by itself. */
static int on_close(void *userp, curl_socket_t s)
{
	struct worker *w = userp;

	if (s >= 0 && s < w->n_fds)
		memset(&w->fds[s], 0, sizeof(w->fds[s]));
	return close(s);
}

/* curl says when it wants to be called for its own time-outs. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct worker *w = userp;

	(void)multi;
	w->timer_ns = timeout_ms < 0 ? -1 : mono_ns() + (int64_t)timeout_ms * 1000000;
	return 0;
}

static int watch(int epfd, int fd)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : BANDITORE_EIO;
}

static void wipe_body(struct slot *s)
{
	if (s->body.data)
		crypto_wipe(s->body.data, s->body.len);
	buf_reset(&s->body);
}

/* ---- a worker ---- */

/* Starts the transfers queued for this worker. */
static void start_queued(struct worker *w)
{
	struct wa_multi *m = w->m;

	drain_fd(w->wake_fd); /* before emptying the queue: a later push wakes us again */
	pthread_mutex_lock(&w->lock);
	while (w->starts.count > 0) {
		struct slot *s = &m->slots[queue_pop(&w->starts)];
		if (curl_multi_add_handle(w->multi, whatsapp_easy(s->wa)) != CURLM_OK) {
			/* Cannot happen with a valid handle; still, hand it back as a retry. */
			connector_result_clear(&s->res);
			connector_result_set(&s->res, CONNECTOR_RETRY, 0, "could not start the transfer");
			wipe_body(s);
			pthread_mutex_lock(&m->lock);
			if (queue_push(&m->done, (int)(s - m->slots)))
				signal_fd(m->wake_fd);
			pthread_mutex_unlock(&m->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

/* Hands the finished transfers back to the caller's thread. */
static void finish_done(struct worker *w)
{
	struct wa_multi *m = w->m;
	CURLMsg *msg;
	int left = 0;

	while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
		struct slot *s = NULL;
		CURLcode cc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		cc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_multi_remove_handle(w->multi, msg->easy_handle);
		if (!s)
			continue;
		whatsapp_finish(s->wa, cc, &s->res);
		wipe_body(s);
		pthread_mutex_lock(&m->lock);
		if (queue_push(&m->done, (int)(s - m->slots)))
			signal_fd(m->wake_fd);
		pthread_mutex_unlock(&m->lock);
	}
}

static void run_timeouts(struct worker *w)
{
	int running = 0;

	if (w->timer_ns < 0 || w->timer_ns > mono_ns())
		return;
	w->timer_ns = -1; /* curl sets it again when it needs */
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[EVENTS_MAX];

	for (;;) {
		int n, running = 0, timeout_ms = 1000, stop;

		pthread_mutex_lock(&w->lock);
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		if (w->timer_ns >= 0) {
			int64_t left = (w->timer_ns - mono_ns() + 999999) / 1000000;
			timeout_ms = left < 0 ? 0 : left < timeout_ms ? (int)left : timeout_ms;
		}
		n = epoll_wait(w->epfd, evs, EVENTS_MAX, timeout_ms);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, flags = 0;
			if (fd == w->wake_fd) {
				start_queued(w);
				continue;
			}
			if (fd >= 0 && fd < w->n_fds && !w->fds[fd].wanted) {
				/* Idle in curl's cache and something happened (closed by the
				 * peer): stop watching it; curl finds out when it next tries it. */
				epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
				w->fds[fd].events = 0;
				continue;
			}
			if (evs[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				flags |= CURL_CSELECT_ERR;
			curl_multi_socket_action(w->multi, fd, flags, &running);
		}
		run_timeouts(w);
		finish_done(w);
	}
	return NULL;
}

static int worker_init(struct wa_multi *m, struct worker *w, int slots)
{
	w->m = m;
	w->epfd = w->wake_fd = -1;
	w->timer_ns = -1;
	pthread_mutex_init(&w->lock, NULL);
	w->starts.cap = slots;
	w->starts.items = calloc((size_t)slots, sizeof(int));
	w->multi = curl_multi_init();
	if (!w->starts.items || !w->multi)
		return BANDITORE_ENOMEM;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0 || watch(w->epfd, w->wake_fd) != 0)
		return BANDITORE_EIO;
	/* Keep every connection alive between sends; multiplex over HTTP/2 when offered. */
	if (curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)slots) ||
	    curl_multi_setopt(w->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) ||
	    curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w) ||
	    curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w))
		return BANDITORE_ENOMEM;
	return 0;
}

/* Stops the thread, then abandons its transfers in flight. */
static void worker_free(struct wa_multi *m, struct worker *w)
{
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_mutex_unlock(&w->lock);
		signal_fd(w->wake_fd);
		pthread_join(w->thread, NULL);
	}
	for (int i = 0; m->slots && w->multi && i < m->n_slots; i++)
		if (&m->workers[i % m->worker_count] == w && m->slots[i].wa)
			curl_multi_remove_handle(w->multi, whatsapp_easy(m->slots[i].wa));
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w->starts.items);
	free(w->fds);
	pthread_mutex_destroy(&w->lock);
}

/* ---- the caller's side ---- */

int wa_multi_new(const struct whatsapp_settings *ws, int slots, struct wa_multi **out)
{
	struct wa_multi *m;
	int rc = BANDITORE_ENOMEM;

	*out = NULL;
	if (slots < 1 || slots > WA_MULTI_SLOTS_MAX)
		return BANDITORE_EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return BANDITORE_ENOMEM;
	m->epfd = m->wake_fd = m->extra_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	m->slots = calloc((size_t)slots, sizeof(*m->slots));
	m->free_list = calloc((size_t)slots, sizeof(*m->free_list));
	m->done.cap = slots;
	m->done.items = calloc((size_t)slots, sizeof(int));
	if (!m->slots || !m->free_list || !m->done.items)
		goto fail;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->epfd < 0 || m->wake_fd < 0 || watch(m->epfd, m->wake_fd) != 0) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	m->worker_count = sysconf(_SC_NPROCESSORS_ONLN) >= 2 && slots >= 2 ? WORKERS_MAX : 1;
	for (int i = 0; i < m->worker_count; i++) {
		m->n_workers = i + 1;
		rc = worker_init(m, &m->workers[i], slots);
		if (rc)
			goto fail;
	}
	m->n_slots = slots;
	for (int i = 0; i < slots; i++) {
		struct slot *s = &m->slots[i];
		rc = whatsapp_new(ws, &s->wa);
		if (rc)
			goto fail;
		buf_init(&s->body, WA_MULTI_BODY_MAX);
		/* Over https, wait for the first connection to say whether it multiplexes
		 * (HTTP/2) rather than opening one connection per transfer at once. Plain
		 * http is HTTP/1.1: waiting would put every transfer on one connection. */
		if (curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_PIPEWAIT,
				     strncmp(ws->api_base, "https://", 8) == 0 ? 1L : 0L) != CURLE_OK ||
		    curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_CLOSESOCKETFUNCTION, on_close) ||
		    curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_CLOSESOCKETDATA,
				     &m->workers[i % m->worker_count]) ||
		    curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_PRIVATE, (void *)s)) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		m->free_list[m->n_free++] = slots - 1 - i;
	}
	for (int i = 0; i < m->worker_count; i++) {
		if (pthread_create(&m->workers[i].thread, NULL, worker_main, &m->workers[i]) != 0) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		m->workers[i].started = 1;
	}
	*out = m;
	return 0;
fail:
	wa_multi_free(m);
	return rc;
}

void wa_multi_free(struct wa_multi *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n_workers; i++)
		worker_free(m, &m->workers[i]);
	for (int i = 0; m->slots && i < m->n_slots; i++) {
		struct slot *s = &m->slots[i];
		wipe_body(s);
		buf_free(&s->body);
		whatsapp_free(s->wa);
	}
	if (m->epfd >= 0)
		close(m->epfd);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_mutex_destroy(&m->lock);
	free(m->slots);
	free(m->free_list);
	free(m->done.items);
	free(m);
}

int wa_multi_in_flight(const struct wa_multi *m)
{
	return m->n_slots - m->n_free;
}

int wa_multi_free_slots(const struct wa_multi *m)
{
	return m->n_free;
}

int wa_multi_send(struct wa_multi *m, const char *body, size_t len, uint64_t tag)
{
	struct slot *s;
	struct worker *w;
	int rc, i;

	if (m->n_free == 0)
		return BANDITORE_ETEMP;
	i = m->free_list[m->n_free - 1];
	s = &m->slots[i];
	buf_reset(&s->body);
	rc = buf_append(&s->body, body, len);
	if (rc)
		return rc;
	rc = whatsapp_start(s->wa, s->body.data, s->body.len);
	if (rc) {
		wipe_body(s);
		return rc;
	}
	s->tag = tag;
	s->busy = 1;
	m->n_free--;
	w = &m->workers[i % m->worker_count];
	pthread_mutex_lock(&w->lock);
	if (queue_push(&w->starts, i))
		signal_fd(w->wake_fd);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int wa_multi_perform(struct wa_multi *m)
{
	(void)m; /* the workers run curl's time-outs themselves */
	return 0;
}

int wa_multi_poll(struct wa_multi *m, int timeout_ms, int extra_fd, int *extra_ready)
{
	struct epoll_event evs[4];
	int n, pending;

	if (extra_ready)
		*extra_ready = 0;
	if (extra_fd >= 0 && extra_fd != m->extra_fd) {
		if (m->extra_fd >= 0)
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->extra_fd, NULL);
		m->extra_fd = watch(m->epfd, extra_fd) == 0 ? extra_fd : -1;
	}
	pthread_mutex_lock(&m->lock);
	pending = m->done.count;
	pthread_mutex_unlock(&m->lock);
	if (timeout_ms < 0 || pending)
		timeout_ms = 0; /* finished transfers wait: only look at extra_fd in passing */
	n = epoll_wait(m->epfd, evs, 4, timeout_ms);
	if (n < 0 && errno != EINTR)
		return BANDITORE_EIO;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.fd == m->wake_fd)
			drain_fd(m->wake_fd); /* wa_multi_done empties the queue after this */
		else if (evs[i].data.fd == m->extra_fd && extra_ready)
			*extra_ready = 1;
	}
	return 0;
}

int wa_multi_done(struct wa_multi *m, uint64_t *tag, struct connector_result *res)
{
	struct slot *s;
	int i;

	pthread_mutex_lock(&m->lock);
	if (m->done.count == 0) {
		pthread_mutex_unlock(&m->lock);
		return 0;
	}
	i = queue_pop(&m->done);
	pthread_mutex_unlock(&m->lock);
	s = &m->slots[i];
	*res = s->res;
	*tag = s->tag;
	s->busy = 0;
	m->free_list[m->n_free++] = i;
	return 1;
}

int wa_multi_retag(struct wa_multi *m, uint64_t from, uint64_t to)
{
	for (int i = 0; i < m->n_slots; i++) {
		if (m->slots[i].busy && m->slots[i].tag == from) {
			m->slots[i].tag = to;
			return 0;
		}
	}
	return BANDITORE_ENOTFOUND;
}

void wa_multi_wakeup(struct wa_multi *m)
{
	signal_fd(m->wake_fd);
}
