/*
 * webhook_out.c - signing, building and posting the webhooks Meta would send.
 *
 * Status updates go through a queue ordered by due time (a binary heap) that a few
 * worker threads drain, each with its own curl handle so connections are reused. A
 * status that banditore accepts schedules the next one (sent, delivered, read); one it
 * refuses is tried again later, up to SIM_WEBHOOK_RETRIES times.
 */
#include "sim/webhook_out.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "sim/ids.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000LL
#define WORKERS_MAX 64
#define RESPONSE_KEEP 4096

enum stage { STAGE_SENT, STAGE_DELIVERED, STAGE_READ, STAGE_DONE };

/* How long after the previous step each status is posted. */
static const int stage_delay_ms[] = { 30, 150, 500 };
static const char *const stage_name[] = { "sent", "delivered", "read" };

struct job {
	int64_t due_ns;
	int stage;
	int attempt; /* failed attempts at this stage */
	char wamid[SIM_WAMID_MAX];
	char to[SIM_TO_MAX];
	char category[16];
	char conversation_id[33];
	long long conversation_expires;
	char *biz_opaque; /* owned, or NULL */
};

struct sim_webhook {
	struct sim *sim;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
	struct job **heap; /* min-heap on due_ns */
	size_t len;
	pthread_t threads[WORKERS_MAX];
	int nthreads;
};

static void job_free(struct job *j)
{
	if (j) {
		free(j->biz_opaque);
		free(j);
	}
}

static void heap_push(struct sim_webhook *w, struct job *j)
{
	size_t i = w->len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (w->heap[parent]->due_ns <= j->due_ns)
			break;
		w->heap[i] = w->heap[parent];
		i = parent;
	}
	w->heap[i] = j;
}

static struct job *heap_pop(struct sim_webhook *w)
{
	struct job *top = w->heap[0], *last = w->heap[--w->len];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= w->len)
			break;
		if (c + 1 < w->len && w->heap[c + 1]->due_ns < w->heap[c]->due_ns)
			c++;
		if (last->due_ns <= w->heap[c]->due_ns)
			break;
		w->heap[i] = w->heap[c];
		i = c;
	}
	if (w->len)
		w->heap[i] = last;
	return top;
}

/* Queues `j` (taking ownership). Fails when the queue is full or stopping. */
static int enqueue(struct sim_webhook *w, struct job *j)
{
	int rc = 0;
	pthread_mutex_lock(&w->lock);
	if (w->stopping || w->len == SIM_WEBHOOK_QUEUE_MAX) {
		rc = BANDITORE_ETOOBIG;
	} else {
		heap_push(w, j);
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (rc) {
		sim_state_count(w->sim->state, SIM_WEBHOOKS_DROPPED);
		job_free(j);
	}
	return rc;
}

int sim_webhook_sign(const char *secret, const void *body, size_t len,
		     char out[SIM_SIGNATURE_MAX])
{
	uint8_t mac[CRYPTO_HASH_LEN];
	int rc = crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
	if (rc)
		return rc;
	memcpy(out, "sha256=", 7);
	crypto_hex(mac, sizeof(mac), out + 7);
	return 0;
}

/* The envelope every WhatsApp webhook shares, around one `value`. Takes `value`. */
static int envelope(const struct sim_config *cfg, json_t *value, struct buf *out)
{
	json_t *root;
	char *text;
	int rc;

	root = json_pack("{s:s, s:[{s:s, s:[{s:o, s:s}]}]}",
			 "object", "whatsapp_business_account",
			 "entry", "id", cfg->waba_id, "changes", "value", value, "field", "messages");
	if (!root)
		return BANDITORE_ENOMEM;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!text)
		return BANDITORE_ENOMEM;
	rc = buf_appends(out, text);
	free(text);
	return rc;
}

static json_t *metadata(const struct sim_config *cfg)
{
	return json_pack("{s:s, s:s}", "display_phone_number", cfg->display_number,
			 "phone_number_id", cfg->phone_number_id);
}

int sim_webhook_inbound_body(const struct sim_config *cfg, const char *from, const char *name,
			     const char *wamid, const char *text, long long timestamp,
			     struct buf *out)
{
	char ts[24];
	json_t *value;

	snprintf(ts, sizeof(ts), "%lld", timestamp);
	value = json_pack("{s:s, s:o, s:[{s:{s:s}, s:s}], s:[{s:s, s:s, s:s, s:s, s:{s:s}}]}",
			  "messaging_product", "whatsapp",
			  "metadata", metadata(cfg),
			  "contacts", "profile", "name", name, "wa_id", from,
			  "messages", "from", from, "id", wamid, "timestamp", ts, "type", "text",
			  "text", "body", text);
	if (!value)
		return BANDITORE_EINVAL; /* not valid UTF-8, or out of memory */
	return envelope(cfg, value, out);
}

static int status_body(const struct sim_config *cfg, const struct job *j, struct buf *out)
{
	char ts[24];
	json_t *status, *value;
	int service = !strcmp(j->category, "service");

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	status = json_pack("{s:s, s:s, s:s, s:s}", "id", j->wamid, "status", stage_name[j->stage],
			   "timestamp", ts, "recipient_id", j->to);
	if (!status)
		return BANDITORE_ENOMEM;
	if (j->biz_opaque)
		json_object_set_new(status, "biz_opaque_callback_data", json_string(j->biz_opaque));
	/* As Meta does: conversation and pricing on sent and delivered, not on read; the
	 * conversation's expiry only on sent. */
	if (j->stage != STAGE_READ) {
		json_t *conv = json_pack("{s:s, s:{s:s}}", "id", j->conversation_id,
					 "origin", "type", j->category);
		if (conv && j->stage == STAGE_SENT) {
			char exp[24];
			snprintf(exp, sizeof(exp), "%lld", j->conversation_expires);
			json_object_set_new(conv, "expiration_timestamp", json_string(exp));
		}
		json_object_set_new(status, "conversation", conv ? conv : json_null());
		json_object_set_new(status, "pricing",
				    json_pack("{s:b, s:s, s:s, s:s}", "billable", !service,
					      "pricing_model", "PMP", "category", j->category,
					      "type", service ? "free_customer_service" : "regular"));
	}
	value = json_pack("{s:s, s:o, s:[o]}", "messaging_product", "whatsapp",
			  "metadata", metadata(cfg), "statuses", status);
	if (!value)
		return BANDITORE_ENOMEM;
	return envelope(cfg, value, out);
}

static size_t keep_response(char *data, size_t size, size_t n, void *userdata)
{
	struct buf *b = userdata;
	size_t len = size * n;
	if (b && b->len < b->max)
		buf_append(b, data, len < b->max - b->len ? len : b->max - b->len);
	return len;
}

/* One POST on `curl` (reused for keep-alive). */
static int post_with(CURL *curl, const struct sim_config *cfg, const char *body, size_t len,
		     const char *signature, long *status, struct buf *response)
{
	struct curl_slist *headers = NULL, *h;
	char sig[SIM_SIGNATURE_MAX], line[SIM_SIGNATURE_MAX + 32];
	CURLcode cc;
	int rc;

	*status = 0;
	if (!cfg->webhook_url)
		return BANDITORE_ECONFIG;
	if (!signature) {
		rc = sim_webhook_sign(cfg->app_secret, body, len, sig);
		if (rc)
			return rc;
		signature = sig;
	}
	snprintf(line, sizeof(line), "X-Hub-Signature-256: %s", signature);
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (headers && (h = curl_slist_append(headers, "Expect:")) != NULL &&
	    (h = curl_slist_append(headers, line)) != NULL)
		rc = 0;
	else
		rc = BANDITORE_ENOMEM;
	if (rc) {
		curl_slist_free_all(headers);
		return rc;
	}
	curl_easy_setopt(curl, CURLOPT_URL, cfg->webhook_url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "facebookexternalua");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_response);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return cc == CURLE_OK ? 0 : BANDITORE_EIO;
}

int sim_webhook_post(const struct sim_config *cfg, const char *body, size_t len,
		     const char *signature, long *status, struct buf *response)
{
	CURL *curl;
	int rc;

	*status = 0;
	if (!cfg->webhook_url)
		return BANDITORE_ECONFIG;
	curl = curl_easy_init();
	if (!curl)
		return BANDITORE_ENOMEM;
	rc = post_with(curl, cfg, body, len, signature, status, response);
	curl_easy_cleanup(curl);
	return rc;
}

/* Posts one status; on success schedules the next stage, on failure a retry. */
static void deliver(struct sim_webhook *w, CURL *curl, struct job *j)
{
	struct buf body;
	long status = 0;
	int rc;

	buf_init(&body, SIM_BODY_MAX);
	rc = status_body(&w->sim->cfg, j, &body);
	if (!rc)
		rc = post_with(curl, &w->sim->cfg, buf_cstr(&body), body.len, NULL, &status, NULL);
	buf_free(&body);
	if (!rc && status >= 200 && status < 300) {
		sim_state_count(w->sim->state, SIM_WEBHOOKS_OK);
		log_debug("sim-status-posted", "id=%s status=%s", j->wamid, stage_name[j->stage]);
		j->attempt = 0;
		if (++j->stage == STAGE_DONE) {
			job_free(j);
			return;
		}
		j->due_ns = sim_now_ns() + stage_delay_ms[j->stage] * NS_PER_MS;
		enqueue(w, j);
		return;
	}
	if (j->attempt >= SIM_WEBHOOK_RETRIES) {
		sim_state_count(w->sim->state, SIM_WEBHOOKS_FAILED);
		log_warn("sim-status-given-up", "id=%s status=%s http=%ld attempts=%d",
			 j->wamid, stage_name[j->stage], status, j->attempt + 1);
		job_free(j);
		return;
	}
	sim_state_count(w->sim->state, SIM_WEBHOOKS_RETRIED);
	log_info("sim-status-retry", "id=%s status=%s http=%ld attempt=%d", j->wamid,
		 stage_name[j->stage], status, j->attempt + 1);
	j->due_ns = sim_now_ns() + (1000LL << j->attempt) * NS_PER_MS;
	j->attempt++;
	enqueue(w, j);
}

static void *worker(void *arg)
{
	struct sim_webhook *w = arg;
	CURL *curl = curl_easy_init();

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct job *j;
		int64_t now = sim_now_ns();

		if (!w->len) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		if (w->heap[0]->due_ns > now) {
			struct timespec until;
			until.tv_sec = (time_t)(w->heap[0]->due_ns / 1000000000LL);
			until.tv_nsec = (long)(w->heap[0]->due_ns % 1000000000LL);
			pthread_cond_timedwait(&w->wake, &w->lock, &until);
			continue;
		}
		j = heap_pop(w);
		pthread_mutex_unlock(&w->lock);
		if (curl)
			deliver(w, curl, j);
		else
			job_free(j);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	if (curl)
		curl_easy_cleanup(curl);
	return NULL;
}

struct sim_webhook *sim_webhook_new(struct sim *sim, int workers)
{
	struct sim_webhook *w;
	pthread_condattr_t ca;

	if (workers < 1)
		workers = 1;
	if (workers > WORKERS_MAX)
		workers = WORKERS_MAX;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->heap = calloc(SIM_WEBHOOK_QUEUE_MAX, sizeof(*w->heap));
	if (!w->heap) {
		free(w);
		return NULL;
	}
	w->sim = sim;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	for (; w->nthreads < workers; w->nthreads++) {
		if (pthread_create(&w->threads[w->nthreads], NULL, worker, w) != 0) {
			sim_webhook_free(w);
			return NULL;
		}
	}
	return w;
}

void sim_webhook_free(struct sim_webhook *w)
{
	int i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	while (w->len)
		job_free(heap_pop(w));
	free(w->heap);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int sim_webhook_queue_statuses(struct sim_webhook *w, const char *wamid, const char *recipient,
			       const char *biz_opaque, const char *category)
{
	struct job *j;
	uint8_t conv[16];

	if (!w->sim->cfg.webhook_url)
		return BANDITORE_ECONFIG;
	j = calloc(1, sizeof(*j));
	if (!j)
		return BANDITORE_ENOMEM;
	if (biz_opaque && !(j->biz_opaque = strdup(biz_opaque))) {
		free(j);
		return BANDITORE_ENOMEM;
	}
	snprintf(j->wamid, sizeof(j->wamid), "%s", wamid);
	snprintf(j->to, sizeof(j->to), "%s", recipient);
	snprintf(j->category, sizeof(j->category), "%s", category);
	if (crypto_random(conv, sizeof(conv)) != 0)
		memset(conv, 0, sizeof(conv));
	crypto_hex(conv, sizeof(conv), j->conversation_id);
	j->conversation_expires = (long long)time(NULL) + 24 * 3600;
	j->stage = STAGE_SENT;
	j->due_ns = sim_now_ns() + stage_delay_ms[STAGE_SENT] * NS_PER_MS;
	return enqueue(w, j);
}
