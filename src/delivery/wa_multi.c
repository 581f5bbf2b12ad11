/*
 * wa_multi.c - a pool of WhatsApp connectors driven by one libcurl multi handle.
 *
 * curl is driven through curl_multi_socket_action over epoll: each wake-up touches only
 * the sockets that are ready, instead of polling every connection and walking every
 * transfer as curl_multi_poll/curl_multi_perform do, which costs much with hundreds of
 * connections in flight. Wake-ups from other threads come through an eventfd.
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
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_MAX 256

struct slot {
	struct whatsapp *wa;
	struct buf body;
	uint64_t tag;
	int busy;
};

/* What epoll and curl know of one socket. */
struct fd_state {
	uint32_t events;   /* registered with epoll (0: not registered) */
	uint8_t wanted;    /* curl is watching it */
};

#define FD_MAX (1 << 20)

struct wa_multi {
	CURLM *multi;
	struct fd_state *fds;    /* by descriptor */
	int n_fds;
	int epfd;
	int wake_fd;             /* eventfd: wa_multi_wakeup */
	int extra_fd;            /* the caller's fd, once registered */
	int64_t timer_ns;        /* when curl wants to be called for its time-outs; -1: never */
	struct slot *slots;
	int n_slots;
	int *free_list; /* indexes of free slots, a stack */
	int n_free;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct fd_state *fd_state(struct wa_multi *m, curl_socket_t s)
{
	if (s < 0 || s >= FD_MAX)
		return NULL;
	if (s >= m->n_fds) {
		int n = m->n_fds ? m->n_fds : 256;
		struct fd_state *grown;
		while (n <= s)
			n *= 2;
		grown = realloc(m->fds, (size_t)n * sizeof(*grown));
		if (!grown)
			return NULL;
		memset(grown + m->n_fds, 0, (size_t)(n - m->n_fds) * sizeof(*grown));
		m->fds = grown;
		m->n_fds = n;
	}
	return &m->fds[s];
}

/* curl says which sockets to watch for what. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct wa_multi *m = userp;
	struct fd_state *st = fd_state(m, s);
	struct epoll_event ev;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (st)
			st->wanted = 0; /* stays registered: it is likely to be wanted again */
		else
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, s, NULL);
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
	if (epoll_ctl(m->epfd, st && st->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s, &ev) != 0 &&
	    epoll_ctl(m->epfd, errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, s, &ev) != 0)
		return -1;
	if (st)
		st->events = ev.events;
	return 0;
}

/* curl closes a socket: epoll forgets it by itself. */
static int on_close(void *userp, curl_socket_t s)
{
	struct wa_multi *m = userp;

	if (s >= 0 && s < m->n_fds)
		memset(&m->fds[s], 0, sizeof(m->fds[s]));
	return close(s);
}

/* curl says when it wants to be called for its own time-outs. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct wa_multi *m = userp;

	(void)multi;
	m->timer_ns = timeout_ms < 0 ? -1 : mono_ns() + (int64_t)timeout_ms * 1000000;
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
	m->timer_ns = -1;
	m->slots = calloc((size_t)slots, sizeof(*m->slots));
	m->free_list = calloc((size_t)slots, sizeof(*m->free_list));
	m->multi = curl_multi_init();
	if (!m->slots || !m->free_list || !m->multi)
		goto fail;
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->epfd < 0 || m->wake_fd < 0 || watch(m->epfd, m->wake_fd) != 0) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	/* Keep every connection alive between sends; multiplex over HTTP/2 when offered. */
	if (curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)slots) ||
	    curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) ||
	    curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m) ||
	    curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m))
		goto fail;
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
		    curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_CLOSESOCKETDATA, m)) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		m->free_list[m->n_free++] = slots - 1 - i;
	}
	*out = m;
	return 0;
fail:
	wa_multi_free(m);
	return rc;
}

static void wipe_body(struct slot *s)
{
	if (s->body.data)
		crypto_wipe(s->body.data, s->body.len);
	buf_reset(&s->body);
}

void wa_multi_free(struct wa_multi *m)
{
	if (!m)
		return;
	for (int i = 0; m->slots && i < m->n_slots; i++) {
		struct slot *s = &m->slots[i];
		if (s->busy && m->multi)
			curl_multi_remove_handle(m->multi, whatsapp_easy(s->wa));
		wipe_body(s);
		buf_free(&s->body);
		whatsapp_free(s->wa);
	}
	if (m->multi)
		curl_multi_cleanup(m->multi);
	if (m->epfd >= 0)
		close(m->epfd);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	free(m->slots);
	free(m->free_list);
	free(m->fds);
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
	int rc;

	if (m->n_free == 0)
		return BANDITORE_ETEMP;
	s = &m->slots[m->free_list[m->n_free - 1]];
	buf_reset(&s->body);
	rc = buf_append(&s->body, body, len);
	if (rc)
		return rc;
	rc = whatsapp_start(s->wa, s->body.data, s->body.len);
	if (rc)
		goto fail;
	curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_PRIVATE, (void *)s);
	if (curl_multi_add_handle(m->multi, whatsapp_easy(s->wa)) != CURLM_OK) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	s->tag = tag;
	s->busy = 1;
	m->n_free--;
	return 0;
fail:
	wipe_body(s);
	return rc;
}

int wa_multi_perform(struct wa_multi *m)
{
	int running = 0;

	if (m->timer_ns < 0 || m->timer_ns > mono_ns())
		return 0;
	m->timer_ns = -1; /* curl sets it again when it needs */
	return curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running) == CURLM_OK
	       ? 0 : BANDITORE_EIO;
}

int wa_multi_poll(struct wa_multi *m, int timeout_ms, int extra_fd, int *extra_ready)
{
	struct epoll_event evs[EVENTS_MAX];
	int n, running = 0;

	if (extra_ready)
		*extra_ready = 0;
	if (extra_fd >= 0 && extra_fd != m->extra_fd) {
		if (m->extra_fd >= 0)
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->extra_fd, NULL);
		m->extra_fd = watch(m->epfd, extra_fd) == 0 ? extra_fd : -1;
	}
	if (timeout_ms < 0)
		timeout_ms = 0;
	if (m->timer_ns >= 0) {
		int64_t left = (m->timer_ns - mono_ns() + 999999) / 1000000;
		if (left < timeout_ms)
			timeout_ms = left < 0 ? 0 : (int)left;
	}
	n = epoll_wait(m->epfd, evs, EVENTS_MAX, timeout_ms);
	if (n < 0 && errno != EINTR)
		return BANDITORE_EIO;
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd, flags = 0;
		if (fd == m->wake_fd) {
			uint64_t v;
			if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return BANDITORE_EIO;
			continue;
		}
		if (fd == m->extra_fd) {
			if (extra_ready)
				*extra_ready = 1;
			continue;
		}
		if (fd >= 0 && fd < m->n_fds && !m->fds[fd].wanted) {
			/* Idle in curl's cache and something happened (closed by the peer):
			 * stop watching it; curl finds out when it next tries it. */
			epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
			m->fds[fd].events = 0;
			continue;
		}
		if (evs[i].events & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			flags |= CURL_CSELECT_ERR;
		curl_multi_socket_action(m->multi, fd, flags, &running);
	}
	return wa_multi_perform(m);
}

int wa_multi_done(struct wa_multi *m, uint64_t *tag, struct connector_result *res)
{
	CURLMsg *msg;
	int left = 0;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		struct slot *s = NULL;
		CURLcode cc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		cc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_multi_remove_handle(m->multi, msg->easy_handle);
		if (!s)
			continue;
		whatsapp_finish(s->wa, cc, res);
		wipe_body(s);
		*tag = s->tag;
		s->busy = 0;
		m->free_list[m->n_free++] = (int)(s - m->slots);
		return 1;
	}
	return 0;
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
	uint64_t one = 1;

	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so a wake-up is pending anyway. */
	}
}
