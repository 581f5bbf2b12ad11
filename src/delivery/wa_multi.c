/* wa_multi.c - a pool of WhatsApp connectors driven by one libcurl multi handle. */
#include "delivery/wa_multi.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct whatsapp *wa;
	struct buf body;
	uint64_t tag;
	int busy;
};

struct wa_multi {
	CURLM *multi;
	struct slot *slots;
	int n_slots;
	int *free_list; /* indexes of free slots, a stack */
	int n_free;
};

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
	m->slots = calloc((size_t)slots, sizeof(*m->slots));
	m->free_list = calloc((size_t)slots, sizeof(*m->free_list));
	m->multi = curl_multi_init();
	if (!m->slots || !m->free_list || !m->multi)
		goto fail;
	/* Keep every connection alive between sends; multiplex over HTTP/2 when offered. */
	if (curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)slots) ||
	    curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX))
		goto fail;
	m->n_slots = slots;
	for (int i = 0; i < slots; i++) {
		struct slot *s = &m->slots[i];
		rc = whatsapp_new(ws, &s->wa);
		if (rc)
			goto fail;
		buf_init(&s->body, WA_MULTI_BODY_MAX);
		/* Wait for the first connection to say whether it multiplexes rather than
		 * opening one connection per transfer at once. */
		if (curl_easy_setopt(whatsapp_easy(s->wa), CURLOPT_PIPEWAIT, 1L) != CURLE_OK) {
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
	free(m->slots);
	free(m->free_list);
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
	return curl_multi_perform(m->multi, &running) == CURLM_OK ? 0 : BANDITORE_EIO;
}

int wa_multi_poll(struct wa_multi *m, int timeout_ms, int extra_fd, int *extra_ready)
{
	struct curl_waitfd extra;
	int numfds = 0;

	if (extra_ready)
		*extra_ready = 0;
	memset(&extra, 0, sizeof(extra));
	extra.fd = extra_fd;
	extra.events = CURL_WAIT_POLLIN;
	if (curl_multi_poll(m->multi, extra_fd >= 0 ? &extra : NULL, extra_fd >= 0 ? 1 : 0,
			    timeout_ms < 0 ? 0 : timeout_ms, &numfds) != CURLM_OK)
		return BANDITORE_EIO;
	if (extra_fd >= 0 && extra_ready && (extra.revents & CURL_WAIT_POLLIN))
		*extra_ready = 1;
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

void wa_multi_wakeup(struct wa_multi *m)
{
	curl_multi_wakeup(m->multi);
}
