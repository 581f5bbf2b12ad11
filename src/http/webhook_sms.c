/* webhook_sms.c - inbound SMS from the gateway: secret, fields, keyword, writer job, reply. */
#include "http/webhook_sms.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/keyword.h"
#include "common/log.h"
#include "common/platform.h"
#include "connectors/sms.h"
#include "daemon/writer_wait.h"
#include "subscribers/subscribers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define FIELD_MAX 2048       /* bytes of a decoded inbound field */
#define REPLY_ATTEMPTS 5

/* To a join from a number the comune expelled (as inbound.c says it on WhatsApp). */
#define TEXT_REFUSED                                                                       \
	"Non è possibile iscriversi di nuovo a {channel}: l'iscrizione di questo numero è "  \
	"stata chiusa dal Comune per violazione delle condizioni d'uso. Per informazioni: "    \
	"{website}"

enum { INTENT_OTHER, INTENT_JOIN, INTENT_LEAVE };

struct reply {
	uint8_t sealed[96];
	size_t sealed_len;
	const char *text; /* borrowed from the site */
};

struct sms_site {
	const struct http_ctx *ctx;
	struct sms *sms;
	char policy_version[65];
	char *text_refused;
	int long_text, max_segments, per_second;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct reply queue[WEBHOOK_SMS_QUEUE_MAX];
	int head, count, stopping;
};

struct sms_job {
	struct writer_job job; /* first: the writer hands it back */
	int intent;
	int has_event;
	uint8_t event_hash[CRYPTO_HASH_LEN];
	uint8_t hash[CRYPTO_HASH_LEN];
	uint8_t block_hash[CRYPTO_HASH_LEN];
	uint8_t sealed[96];
	size_t sealed_len;
	const char *policy_version;
	int64_t now;
	const char *reply; /* set by apply: which text to send back, NULL for none */
	const char *outcome;
	const struct http_ctx *ctx;
	const struct sms_site *site;
	struct writer_wait wait;
};

/* ---- the reply thread ---- */

static void enqueue(struct sms_site *site, const uint8_t *sealed, size_t len, const char *text)
{
	pthread_mutex_lock(&site->lock);
	if (site->count == WEBHOOK_SMS_QUEUE_MAX || site->stopping) {
		pthread_mutex_unlock(&site->lock);
		log_warn("sms-reply-dropped", "reason=%s", site->stopping ? "stopping" : "queue-full");
		return;
	}
	{
		struct reply *r = &site->queue[(site->head + site->count) % WEBHOOK_SMS_QUEUE_MAX];
		memcpy(r->sealed, sealed, len);
		r->sealed_len = len;
		r->text = text;
	}
	site->count++;
	pthread_cond_signal(&site->wake);
	pthread_mutex_unlock(&site->lock);
}

static void send_reply(struct sms_site *site, struct reply *r)
{
	char to[SUBSCRIBERS_ADDRESS_MAX], *text = NULL;
	struct connector_result res;
	int rc;

	rc = subscribers_unseal(site->ctx->keys, PLATFORM_SMS, r->sealed, r->sealed_len, to, sizeof(to));
	if (!rc)
		rc = sms_text_fit(r->text, site->long_text, site->max_segments, NULL, &text, NULL, NULL);
	if (rc) {
		log_error("sms-reply-failed", "error=\"%s\"", banditore_strerror(rc));
		goto out;
	}
	for (int attempt = 1; attempt <= REPLY_ATTEMPTS; attempt++) {
		sms_send(site->sms, to, text, &res);
		if (res.outcome == CONNECTOR_OK) {
			log_info("sms-reply-sent", "attempt=%d", attempt);
			break;
		}
		log_warn("sms-reply-failed", "attempt=%d http=%d code=%d outcome=%s reason=\"%s\"", attempt,
			 res.http_status, res.error_code, connector_outcome_name(res.outcome), res.error);
		if (res.outcome != CONNECTOR_RETRY || attempt == REPLY_ATTEMPTS)
			break;
		/* Back off 1, 2, 4, 8 s (or what the gateway asked, up to a minute). */
		{
			int wait = res.retry_after > 0 ? res.retry_after : 1 << (attempt - 1);
			if (wait > 60)
				wait = 60;
			for (int i = 0; i < wait * 10; i++) {
				int stop;
				pthread_mutex_lock(&site->lock);
				stop = site->stopping;
				pthread_mutex_unlock(&site->lock);
				if (stop)
					goto out;
				usleep(100000);
			}
		}
	}
out:
	crypto_wipe(to, sizeof(to));
	if (text) {
		crypto_wipe(text, strlen(text));
		free(text);
	}
}

static void *reply_main(void *arg)
{
	struct sms_site *site = arg;

	for (;;) {
		struct reply r;
		pthread_mutex_lock(&site->lock);
		while (!site->count && !site->stopping)
			pthread_cond_wait(&site->wake, &site->lock);
		if (site->stopping) {
			pthread_mutex_unlock(&site->lock);
			break;
		}
		r = site->queue[site->head];
		crypto_wipe(&site->queue[site->head], sizeof(r));
		site->head = (site->head + 1) % WEBHOOK_SMS_QUEUE_MAX;
		site->count--;
		pthread_mutex_unlock(&site->lock);
		send_reply(site, &r);
		crypto_wipe(&r, sizeof(r));
		usleep((useconds_t)(1000000 / site->per_second)); /* the gateway's pace */
	}
	return NULL;
}

int sms_site_new(const struct http_ctx *ctx, struct sms_site **out)
{
	const struct config *cfg = ctx->cfg;
	struct sms_settings ss;
	struct sms_site *site;
	int rc;

	*out = NULL;
	if (!cfg || !(cfg->platforms & (1 << PLATFORM_SMS)) || !ctx->keys || !ctx->inbound ||
	    !cfg->sms_webhook_secret || !*cfg->sms_webhook_secret)
		return 0;
	site = calloc(1, sizeof(*site));
	if (!site)
		return BANDITORE_ENOMEM;
	memset(&ss, 0, sizeof(ss));
	ss.url = cfg->sms_url;
	ss.method = cfg->sms_method;
	ss.body_type = cfg->sms_body_type;
	ss.body = cfg->sms_body;
	ss.auth = cfg->sms_auth;
	ss.auth_header = cfg->sms_auth_header;
	ss.username = cfg->sms_username;
	ss.secret = cfg->sms_auth_secret;
	ss.sender = cfg->sms_sender;
	ss.number_plus = cfg->sms_number_plus;
	ss.success_statuses = cfg->sms_success_status;
	ss.status_field = cfg->sms_status_field;
	ss.status_ok = cfg->sms_status_ok;
	ss.id_field = cfg->sms_id_field;
	rc = sms_new(&ss, &site->sms);
	if (rc)
		goto fail;
	site->text_refused = config_expand(cfg, TEXT_REFUSED);
	if (!site->text_refused) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	site->ctx = ctx;
	site->long_text = cfg->sms_long_text;
	site->max_segments = cfg->sms_max_segments > 0 ? cfg->sms_max_segments : 3;
	site->per_second = cfg->sms_messages_per_second > 0 ? cfg->sms_messages_per_second : SMS_RATE;
	config_policy_version(cfg, site->policy_version);
	pthread_mutex_init(&site->lock, NULL);
	pthread_cond_init(&site->wake, NULL);
	if (pthread_create(&site->thread, NULL, reply_main, site) != 0) {
		pthread_mutex_destroy(&site->lock);
		pthread_cond_destroy(&site->wake);
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	*out = site;
	return 0;
fail:
	sms_free(site->sms);
	free(site->text_refused);
	free(site);
	return rc;
}

void sms_site_free(struct sms_site *site)
{
	if (!site)
		return;
	pthread_mutex_lock(&site->lock);
	site->stopping = 1;
	pthread_cond_broadcast(&site->wake);
	pthread_mutex_unlock(&site->lock);
	pthread_join(site->thread, NULL);
	if (site->count)
		log_warn("sms-replies-dropped", "count=%d reason=stopping", site->count);
	crypto_wipe(site->queue, sizeof(site->queue));
	pthread_mutex_destroy(&site->lock);
	pthread_cond_destroy(&site->wake);
	sms_free(site->sms);
	free(site->text_refused);
	free(site);
}

/* ---- the request ---- */

static enum MHD_Result json(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes n bytes of a form component ('+' is a space, %XX a byte) into out[cap]. */
static int form_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return BANDITORE_EINVAL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return BANDITORE_EINVAL;
			c = (char)(h * 16 + l);
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return BANDITORE_EINVAL;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* The value of `name` in an application/x-www-form-urlencoded body. */
static int form_field(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	const char *p = body, *end = body + len;
	char key[128];

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq && form_decode(p, (size_t)(eq - p), key, sizeof(key)) == 0 && !strcmp(key, name))
			return form_decode(eq + 1, (size_t)(stop - eq - 1), out, cap);
		p = stop + 1;
	}
	return BANDITORE_ENOTFOUND;
}

/* A field from the body (by its type) or, failing that, from the query string. */
static int field(struct MHD_Connection *conn, const char *body, size_t len, int is_json,
		 const char *name, char *out, size_t cap)
{
	const char *q;
	int rc = BANDITORE_ENOTFOUND;

	if (body && len)
		rc = is_json ? sms_json_field(body, len, name, out, cap)
			     : form_field(body, len, name, out, cap);
	if (rc == BANDITORE_ENOTFOUND && name[0] != '/' &&
	    (q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name))) {
		if (strlen(q) >= cap)
			return BANDITORE_EINVAL;
		memcpy(out, q, strlen(q) + 1);
		rc = 0;
	}
	return rc;
}

/* The gateway's secret, from the header or the parameter, compared in constant time
 * (both sides hashed first, so that not even the length is compared directly). */
static int authorised(const struct config *cfg, struct MHD_Connection *conn)
{
	const char *given[2] = { NULL, NULL };
	uint8_t want[CRYPTO_HASH_LEN], got[CRYPTO_HASH_LEN];
	int ok = 0;

	if (*cfg->sms_webhook_header)
		given[0] = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, cfg->sms_webhook_header);
	if (*cfg->sms_webhook_param)
		given[1] = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, cfg->sms_webhook_param);
	if (crypto_sha256(cfg->sms_webhook_secret, strlen(cfg->sms_webhook_secret), want))
		return 0;
	for (int i = 0; i < 2; i++) {
		if (!given[i] || crypto_sha256(given[i], strlen(given[i]), got))
			continue;
		ok |= crypto_equal(want, got, sizeof(want));
	}
	return ok;
}

static int job_apply(struct store *st, struct writer_job *wj)
{
	struct sms_job *j = (struct sms_job *)wj;
	const struct inbound_ctx *in = j->ctx->inbound;
	int rc, done = 0;

	j->reply = NULL;
	j->outcome = "ignored";
	if (j->has_event) {
		rc = store_event_mark(st, j->event_hash, j->now);
		if (rc == BANDITORE_EEXIST) {
			j->outcome = "duplicate";
			return 0;
		}
		if (rc)
			return rc;
	}
	if (j->intent == INTENT_JOIN) {
		int blocked = 0;
		rc = store_block_check(st, PLATFORM_SMS, j->block_hash, &blocked);
		if (rc)
			return rc;
		if (blocked) {
			j->outcome = "refused";
			j->reply = j->site->text_refused;
			return 0;
		}
		rc = subscribers_join_sealed(st, PLATFORM_SMS, j->hash, j->sealed, j->sealed_len,
					     "keyword", j->policy_version, j->now, &done);
		if (rc)
			return rc;
		j->outcome = done ? "joined" : "already-subscribed";
		j->reply = done ? in->text_join : in->text_already;
	} else if (j->intent == INTENT_LEAVE) {
		rc = subscribers_leave_hash(st, PLATFORM_SMS, j->hash, j->now, &done);
		if (rc)
			return rc;
		wj->erased = 1; /* the writer then purges the log of the old rows */
		j->outcome = done ? "left" : "not-subscribed";
		j->reply = done ? in->text_leave : in->text_not_subscribed;
	}
	return 0;
}

static void job_done(struct writer_job *wj, int rc)
{
	writer_wait_done(&((struct sms_job *)wj)->wait, rc);
}

static int run_job(struct sms_site *site, struct sms_job *j)
{
	j->job.apply = job_apply;
	j->job.done = job_done;
	return writer_run_wait(site->ctx->writer, &j->job, &j->wait);
}

static int matches_any(const char *norm, char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] && !strcmp(norm, list[i]))
			return 1;
	return 0;
}

/* Everything but SQL, in the HTTP thread: the number's hashes and seal, the intent. */
static int prepare(struct sms_site *site, const char *from, const char *text, const char *id,
		   struct sms_job *j)
{
	const struct config *cfg = site->ctx->cfg;
	const struct keyfile_keys *keys = site->ctx->keys;
	char canonical[SUBSCRIBERS_ADDRESS_MAX], norm[KEYWORD_MAX];
	int rc;

	if (subscribers_canonical(PLATFORM_SMS, from, canonical, sizeof(canonical)))
		return BANDITORE_EINVAL;
	rc = subscribers_hash(keys, PLATFORM_SMS, canonical, j->hash);
	if (!rc)
		rc = subscribers_block_hash(keys, PLATFORM_SMS, canonical, j->block_hash);
	if (!rc) { /* sealed as subscribers_seal does, into a buffer its own size */
		uint8_t aad = PLATFORM_SMS;
		rc = crypto_seal(keys->seal, &aad, 1, canonical, strlen(canonical), j->sealed,
				 sizeof(j->sealed), &j->sealed_len);
	}
	crypto_wipe(canonical, sizeof(canonical));
	if (rc)
		return rc;
	if (id && *id) {
		char label[FIELD_MAX + 8];
		int n = snprintf(label, sizeof(label), "sms:%s", id);
		if (n < 0 || (size_t)n >= sizeof(label))
			return BANDITORE_EINVAL;
		rc = crypto_hmac_sha256(keys->event, CRYPTO_KEY_LEN, label, (size_t)n, j->event_hash);
		if (rc)
			return rc;
		j->has_event = 1;
	}
	if (keyword_normalize(text, strlen(text), norm, sizeof(norm)) != 0)
		norm[0] = '\0';
	if (norm[0] && matches_any(norm, cfg->subscribe, cfg->n_subscribe))
		j->intent = INTENT_JOIN;
	else if (norm[0] && matches_any(norm, cfg->unsubscribe, cfg->n_unsubscribe))
		j->intent = INTENT_LEAVE;
	else
		j->intent = INTENT_OTHER;
	j->policy_version = site->policy_version;
	j->ctx = site->ctx;
	j->site = site;
	j->now = (int64_t)time(NULL);
	return 0;
}

enum MHD_Result sms_site_handle(struct sms_site *site, struct MHD_Connection *conn,
				const char *method, const char *body, size_t len, int too_big)
{
	const struct config *cfg;
	const char *ctype;
	char *from = NULL, *text = NULL, *id = NULL;
	struct sms_job *j = NULL;
	enum MHD_Result ret;
	int is_json, rc;

	if (!site)
		return json(conn, 404, "{\"error\":\"not found\"}");
	if (strcmp(method, MHD_HTTP_METHOD_POST) && strcmp(method, MHD_HTTP_METHOD_GET))
		return json(conn, 405, "{\"error\":\"method not allowed\"}");
	cfg = site->ctx->cfg;
	if (!authorised(cfg, conn)) {
		log_warn("webhook-rejected", "platform=sms reason=secret");
		return json(conn, 401, "{\"error\":\"invalid secret\"}");
	}
	if (too_big)
		return json(conn, 413, "{\"error\":\"body too large\"}");
	ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	is_json = ctype && !strncasecmp(ctype, "application/json", 16);
	from = calloc(1, FIELD_MAX);
	text = calloc(1, FIELD_MAX);
	id = calloc(1, FIELD_MAX);
	j = calloc(1, sizeof(*j));
	if (!from || !text || !id || !j) {
		ret = json(conn, 503, "{\"error\":\"unavailable, retry\"}");
		goto out;
	}
	if (field(conn, body, len, is_json, cfg->sms_from_field, from, FIELD_MAX) ||
	    field(conn, body, len, is_json, cfg->sms_text_field, text, FIELD_MAX)) {
		log_warn("webhook-rejected", "platform=sms reason=fields");
		ret = json(conn, 400, "{\"error\":\"sender or text missing\"}");
		goto out;
	}
	if (*cfg->sms_id_field_in &&
	    field(conn, body, len, is_json, cfg->sms_id_field_in, id, FIELD_MAX) != 0)
		id[0] = '\0';
	rc = prepare(site, from, text, id, j);
	if (rc == BANDITORE_EINVAL) {
		log_warn("webhook-rejected", "platform=sms reason=sender");
		ret = json(conn, 400, "{\"error\":\"sender is not a number\"}");
		goto out;
	}
	if (!rc && j->intent == INTENT_OTHER && !j->has_event) {
		/* Nothing to store: acknowledged and forgotten. */
		log_info("inbound", "platform=sms outcome=ignored");
		ret = json(conn, 200, "{\"ok\":true}");
		goto out;
	}
	if (!rc)
		rc = run_job(site, j);
	if (rc) {
		log_error("webhook-failed", "platform=sms error=\"%s\"", banditore_strerror(rc));
		ret = json(conn, rc == BANDITORE_ESTOPPED ? 503 : 500, "{\"error\":\"retry later\"}");
		goto out;
	}
	log_info("inbound", "platform=sms outcome=%s", j->outcome);
	if (j->reply)
		enqueue(site, j->sealed, j->sealed_len, j->reply);
	ret = json(conn, 200, "{\"ok\":true}");
out:
	if (from)
		crypto_wipe(from, FIELD_MAX);
	if (text)
		crypto_wipe(text, FIELD_MAX);
	if (j)
		crypto_wipe(j, sizeof(*j));
	free(from);
	free(text);
	free(id);
	free(j);
	return ret;
}
