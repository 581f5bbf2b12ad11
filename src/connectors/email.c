/*
 * email.c - SMTP with libcurl: a multi handle with a few transfers in flight, each an
 * easy handle reused from message to message so that its connection stays open, and the
 * classification of how each transfer ended. Composition is in email_mime.c.
 */
#include "connectors/email.h"

#include "common/crypto.h"
#include "common/err.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMAIL_DEFAULT_TIMEOUT_MS 30000
#define EMAIL_CONNECT_TIMEOUT_MS 10000
#define EMAIL_DEFAULT_CONNECTIONS 8

static const struct connector_caps caps = {
	.platform = "email",
	.text_max = EMAIL_TEXT_MAX,
	.media_types = 0,
	.messages_per_second = 1000,
	.holds_addresses = 1,
};

const struct connector_caps *email_caps(void)
{
	return &caps;
}

/* One transfer slot: its easy handle (kept across messages), what it is sending now. */
struct slot {
	CURL *curl;
	struct curl_slist *rcpt;
	struct email_job *job; /* NULL when idle */
	const char *data;
	size_t len, off;
	char to[EMAIL_ADDR_MAX + 3]; /* "<addr>" */
};

struct email_sender {
	CURLM *multi;
	struct slot *slots;
	int n_slots;
	char *url, *user, *password, *from, *helo_url;
	int tls, timeout_ms;
};

static size_t on_read(char *dest, size_t size, size_t nmemb, void *arg)
{
	struct slot *sl = arg;
	size_t room = size * nmemb, n = sl->len - sl->off;

	if (n > room)
		n = room;
	memcpy(dest, sl->data + sl->off, n);
	sl->off += n;
	return n;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

void email_sender_free(struct email_sender *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_slots; i++) {
		if (s->slots[i].curl) {
			if (s->slots[i].job)
				curl_multi_remove_handle(s->multi, s->slots[i].curl);
			curl_easy_cleanup(s->slots[i].curl);
		}
		curl_slist_free_all(s->slots[i].rcpt);
	}
	free(s->slots);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->url);
	free(s->helo_url);
	wipe_free(s->user);
	wipe_free(s->password);
	free(s->from);
	free(s);
}

static int setup_easy(struct email_sender *s, struct slot *sl)
{
	CURL *c = curl_easy_init();
	long ssl = s->tls == EMAIL_TLS_NONE ? CURLUSESSL_NONE : CURLUSESSL_ALL;

	if (!c)
		return BANDITORE_ENOMEM;
	sl->curl = c;
	if (curl_easy_setopt(c, CURLOPT_URL, s->helo_url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps") ||
	    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) ||
	    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read) ||
	    curl_easy_setopt(c, CURLOPT_READDATA, sl) ||
	    curl_easy_setopt(c, CURLOPT_MAIL_FROM, s->from) ||
	    curl_easy_setopt(c, CURLOPT_USE_SSL, ssl) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)EMAIL_CONNECT_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L))
		return BANDITORE_ENOMEM;
	if (s->user && (curl_easy_setopt(c, CURLOPT_USERNAME, s->user) ||
			curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "")))
		return BANDITORE_ENOMEM;
	return 0;
}

int email_sender_new(const struct email_settings *es, struct email_sender **out)
{
	struct email_sender *s;
	char from[EMAIL_ADDR_MAX + 1];
	const char *helo;
	size_t url_len;
	int rc = BANDITORE_EINVAL, implicit;

	*out = NULL;
	if (!es || !es->smtp_url || !es->from_address)
		return BANDITORE_EINVAL;
	implicit = !strncmp(es->smtp_url, "smtps://", 8);
	if (!implicit && strncmp(es->smtp_url, "smtp://", 7))
		return BANDITORE_EINVAL;
	if (strpbrk(es->smtp_url, " \t\r\n") || (implicit != (es->tls == EMAIL_TLS_IMPLICIT)) ||
	    es->tls < EMAIL_TLS_NONE || es->tls > EMAIL_TLS_IMPLICIT)
		return BANDITORE_EINVAL;
	if (email_addr_canonical(es->from_address, from, sizeof(from)) ||
	    strcmp(from, es->from_address))
		return BANDITORE_EINVAL;
	helo = es->helo_domain && *es->helo_domain ? es->helo_domain : email_addr_domain(from);
	if (strpbrk(helo, " \t\r\n/?#"))
		return BANDITORE_EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return BANDITORE_ENOMEM;
	s->tls = es->tls;
	s->timeout_ms = es->timeout_ms > 0 ? es->timeout_ms : EMAIL_DEFAULT_TIMEOUT_MS;
	s->n_slots = es->connections > 0 ? es->connections : EMAIL_DEFAULT_CONNECTIONS;
	if (s->n_slots > EMAIL_CONNECTIONS_MAX)
		s->n_slots = EMAIL_CONNECTIONS_MAX;
	/* libcurl takes the EHLO name from the URL's path: smtp://host:port/NAME. */
	url_len = strlen(es->smtp_url);
	while (url_len > 0 && es->smtp_url[url_len - 1] == '/')
		url_len--;
	s->helo_url = malloc(url_len + strlen(helo) + 2);
	s->from = malloc(strlen(from) + 3);
	s->user = dup_or_null(es->user);
	s->password = dup_or_null(es->password);
	s->slots = calloc((size_t)s->n_slots, sizeof(*s->slots));
	s->multi = curl_multi_init();
	rc = BANDITORE_ENOMEM;
	if (!s->helo_url || !s->from || !s->slots || !s->multi || (es->user && *es->user && !s->user) ||
	    (es->password && *es->password && !s->password))
		goto fail;
	/* A URL that has a path already keeps it (the operator chose the EHLO name). */
	if (strchr(es->smtp_url + (implicit ? 8 : 7), '/'))
		snprintf(s->helo_url, url_len + strlen(helo) + 2, "%.*s", (int)url_len, es->smtp_url);
	else
		snprintf(s->helo_url, url_len + strlen(helo) + 2, "%.*s/%s", (int)url_len,
			 es->smtp_url, helo);
	snprintf(s->from, strlen(from) + 3, "<%s>", from);
	curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)s->n_slots);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->n_slots);
	for (int i = 0; i < s->n_slots; i++) {
		rc = setup_easy(s, &s->slots[i]);
		if (rc)
			goto fail;
	}
	*out = s;
	return 0;
fail:
	email_sender_free(s);
	return rc;
}

void email_classify(int curl_code, long smtp_code, struct connector_result *res)
{
	connector_result_clear(res);
	res->error_code = (int)smtp_code;
	if (curl_code == CURLE_OK) {
		res->outcome = CONNECTOR_OK;
		return;
	}
	switch (curl_code) {
	case CURLE_LOGIN_DENIED:
		connector_result_set(res, CONNECTOR_FAIL, (int)smtp_code,
				     "smtp authentication refused (%ld)", smtp_code);
		return;
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		/* Usually a configuration problem; retrying lets a fixed server pick it up. */
		connector_result_set(res, CONNECTOR_RETRY, (int)smtp_code, "smtp tls failed");
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		connector_result_set(res, CONNECTOR_FAIL, 0, "smtp url refused by libcurl");
		return;
	default:
		break;
	}
	/* MAIL FROM, RCPT TO or the end of DATA refused: the reply code decides. */
	if (smtp_code >= 500 && smtp_code < 600)
		connector_result_set(res, CONNECTOR_FAIL, (int)smtp_code,
				     "smtp permanent refusal %ld", smtp_code);
	else if (smtp_code >= 400 && smtp_code < 500)
		connector_result_set(res, CONNECTOR_RETRY, (int)smtp_code,
				     "smtp temporary refusal %ld", smtp_code);
	else
		connector_result_set(res, CONNECTOR_RETRY, (int)smtp_code, "smtp transport: %s",
				     curl_easy_strerror((CURLcode)curl_code));
}

static int start(struct email_sender *s, struct slot *sl, struct email_job *job)
{
	char to[EMAIL_ADDR_MAX + 1];
	struct curl_slist *rcpt;

	connector_result_clear(&job->res);
	if (!job->to || email_addr_canonical(job->to, to, sizeof(to)) || strcmp(to, job->to) ||
	    !job->data) {
		connector_result_set(&job->res, CONNECTOR_FAIL, 0, "invalid recipient or message");
		return BANDITORE_EINVAL;
	}
	snprintf(sl->to, sizeof(sl->to), "<%s>", to);
	rcpt = curl_slist_append(NULL, sl->to);
	if (!rcpt) {
		connector_result_set(&job->res, CONNECTOR_RETRY, 0, "out of memory");
		return BANDITORE_ENOMEM;
	}
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = rcpt;
	sl->data = job->data;
	sl->len = job->len;
	sl->off = 0;
	if (curl_easy_setopt(sl->curl, CURLOPT_MAIL_RCPT, sl->rcpt) ||
	    curl_easy_setopt(sl->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)job->len) ||
	    curl_multi_add_handle(s->multi, sl->curl) != CURLM_OK) {
		connector_result_set(&job->res, CONNECTOR_RETRY, 0, "could not start the transfer");
		return BANDITORE_ENOMEM;
	}
	sl->job = job;
	return 0;
}

int email_send_batch(struct email_sender *s, struct email_job *jobs, int n)
{
	int next = 0, active = 0, rc = 0;

	if (!s || (n > 0 && !jobs) || n < 0)
		return BANDITORE_EINVAL;
	while (next < n || active > 0) {
		CURLMsg *msg;
		int left, running;

		/* Fill the idle slots. */
		for (int i = 0; i < s->n_slots && next < n; i++) {
			if (s->slots[i].job)
				continue;
			if (start(s, &s->slots[i], &jobs[next]) == 0)
				active++;
			next++;
		}
		if (curl_multi_perform(s->multi, &running) != CURLM_OK) {
			rc = BANDITORE_EIO;
			break;
		}
		while ((msg = curl_multi_info_read(s->multi, &left))) {
			struct slot *sl = NULL;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			for (int i = 0; i < s->n_slots; i++)
				if (s->slots[i].curl == msg->easy_handle)
					sl = &s->slots[i];
			if (!sl || !sl->job)
				continue;
			curl_easy_getinfo(sl->curl, CURLINFO_RESPONSE_CODE, &code);
			email_classify(msg->data.result, code, &sl->job->res);
			curl_multi_remove_handle(s->multi, sl->curl);
			sl->job = NULL;
			active--;
		}
		if (active > 0 && curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK) {
			rc = BANDITORE_EIO;
			break;
		}
	}
	if (rc) { /* the multi handle broke: settle every transfer still open */
		for (int i = 0; i < s->n_slots; i++) {
			if (!s->slots[i].job)
				continue;
			curl_multi_remove_handle(s->multi, s->slots[i].curl);
			connector_result_set(&s->slots[i].job->res, CONNECTOR_RETRY, 0, "smtp batch failed");
			s->slots[i].job = NULL;
		}
		for (; next < n; next++)
			connector_result_set(&jobs[next].res, CONNECTOR_RETRY, 0, "smtp batch failed");
	}
	return rc;
}

int email_send(struct email_sender *s, const char *to, const char *data, size_t len,
	       struct connector_result *res)
{
	struct email_job job;
	int rc;

	memset(&job, 0, sizeof(job));
	job.to = to;
	job.data = data;
	job.len = len;
	rc = email_send_batch(s, &job, 1);
	*res = job.res;
	if (rc)
		return rc;
	return connector_result_rc(res);
}
