/* push.c - /push/ routes: VAPID key, subscribe and unsubscribe as writer jobs, scripts. */
#include "http/push.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "connectors/webpush.h"
#include "daemon/writer_wait.h"
#include "subscribers/webpush_subscribers.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PUSH_BODY_MAX 4096 /* a PushSubscription is about 400 bytes */

/* web/static, compiled in by web/embed_js.py */
extern const char push_sw_js[], push_button_js[];
extern const size_t push_sw_js_len, push_button_js_len;

struct push_site {
	const struct http_ctx *ctx;
	char key_json[WEBPUSH_PUBLIC_B64_LEN + 32];
	char policy_version[65];
	int flags;
};

enum push_job_kind { PUSH_JOB_JOIN, PUSH_JOB_LEAVE };

struct push_job {
	struct writer_job job; /* first: the writer hands it back */
	enum push_job_kind kind;
	uint8_t hash[CRYPTO_HASH_LEN];
	uint8_t sealed[STORE_SEALED_MAX];
	size_t sealed_len;
	const char *policy_version;
	int64_t now;
	int changed; /* joined, or left */
	struct writer_wait wait;
};

int push_site_new(const struct http_ctx *ctx, struct push_site **out)
{
	struct push_site *ps;
	struct webpush_vapid *v = NULL;
	char b64[WEBPUSH_PUBLIC_B64_LEN + 1];
	int rc;

	*out = NULL;
	if (!ctx->cfg || !(ctx->cfg->platforms & (1 << PLATFORM_WEBPUSH)) || !ctx->keys)
		return 0;
	ps = calloc(1, sizeof(*ps));
	if (!ps)
		return BANDITORE_ENOMEM;
	rc = webpush_vapid_from_seed(ctx->keys->vapid, &v);
	if (rc) {
		free(ps);
		return rc;
	}
	webpush_vapid_public_b64(v, b64);
	webpush_vapid_free(v);
	snprintf(ps->key_json, sizeof(ps->key_json), "{\"publicKey\":\"%s\"}", b64);
	config_policy_version(ctx->cfg, ps->policy_version);
	ps->ctx = ctx;
	ps->flags = ctx->cfg->push_allow_insecure ? WEBPUSH_ALLOW_INSECURE : 0;
	*out = ps;
	return 0;
}

void push_site_free(struct push_site *ps)
{
	free(ps);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     const char *data, size_t len, const char *cache)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result json(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	return reply(conn, status, "application/json", text, strlen(text), "no-store");
}

static int job_apply(struct store *st, struct writer_job *wj)
{
	struct push_job *j = (struct push_job *)wj;

	j->changed = 0;
	if (j->kind == PUSH_JOB_JOIN)
		return webpush_subscribers_join(st, j->hash, j->sealed, j->sealed_len, j->policy_version,
						j->now, &j->changed);
	wj->erased = 1; /* the writer then purges the log of the old rows */
	return webpush_subscribers_gone(st, j->hash, j->now, &j->changed);
}

static void job_done(struct writer_job *wj, int rc)
{
	writer_wait_done(&((struct push_job *)wj)->wait, rc);
}

/* Hands the job to the writer and waits until it is durable (as api_job.c does: a few
 * requests by citizens' browsers, each one short savepoint in the next group commit). */
static int run_job(struct push_site *ps, struct push_job *j)
{
	j->job.apply = job_apply;
	j->job.done = job_done;
	j->now = (int64_t)time(NULL);
	return writer_run_wait(ps->ctx->writer, &j->job, &j->wait);
}

static enum MHD_Result subscribe(struct push_site *ps, struct MHD_Connection *conn,
				 const char *body, size_t len)
{
	struct webpush_subscription sub;
	struct push_job *j;
	const char *why = NULL;
	char msg[160];
	int rc;

	if (webpush_subscription_parse(body, len, ps->flags, &sub, &why) != 0) {
		snprintf(msg, sizeof(msg), "{\"error\":\"invalid subscription\",\"reason\":\"%s\"}",
			 why ? why : "invalid");
		return json(conn, 400, msg);
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		crypto_wipe(&sub, sizeof(sub));
		return json(conn, 500, "{\"error\":\"internal error\"}");
	}
	j->kind = PUSH_JOB_JOIN;
	j->policy_version = ps->policy_version;
	rc = webpush_subscribers_prepare(ps->ctx->keys, &sub, j->hash, j->sealed, &j->sealed_len);
	crypto_wipe(&sub, sizeof(sub));
	if (!rc)
		rc = run_job(ps, j);
	if (rc) {
		log_warn("push-subscribe-failed", "error=%s", banditore_strerror(rc));
		crypto_wipe(j, sizeof(*j));
		free(j);
		return json(conn, rc == BANDITORE_ESTOPPED ? 503 : 500,
			    "{\"error\":\"could not subscribe, retry later\"}");
	}
	rc = j->changed;
	crypto_wipe(j, sizeof(*j));
	free(j);
	log_info("push-subscribe", "new=%d", rc);
	return rc ? json(conn, 201, "{\"subscribed\":true,\"new\":true}")
		  : json(conn, 200, "{\"subscribed\":true,\"new\":false}");
}

static enum MHD_Result unsubscribe(struct push_site *ps, struct MHD_Connection *conn,
				   const char *body, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *endpoint = root ? json_string_value(json_object_get(root, "endpoint")) : NULL;
	struct push_job *j;
	int rc, left;

	if (!endpoint || !webpush_endpoint_ok(endpoint, ps->flags)) {
		json_decref(root);
		return json(conn, 400, "{\"error\":\"invalid endpoint\"}");
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		json_decref(root);
		return json(conn, 500, "{\"error\":\"internal error\"}");
	}
	j->kind = PUSH_JOB_LEAVE;
	rc = webpush_subscribers_hash(ps->ctx->keys, endpoint, j->hash);
	json_decref(root);
	if (!rc)
		rc = run_job(ps, j);
	left = j->changed;
	free(j);
	if (rc) {
		log_warn("push-unsubscribe-failed", "error=%s", banditore_strerror(rc));
		return json(conn, rc == BANDITORE_ESTOPPED ? 503 : 500,
			    "{\"error\":\"could not unsubscribe, retry later\"}");
	}
	log_info("push-unsubscribe", "erased=%d", left);
	return json(conn, 200, left ? "{\"unsubscribed\":true}" : "{\"unsubscribed\":false}");
}

enum MHD_Result push_handle(struct push_site *ps, struct MHD_Connection *conn, const char *method,
			    const char *url, const char *body, size_t len, int too_big)
{
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);
	const char *path = url + strlen(PUSH_PREFIX);

	if (!ps)
		return json(conn, 404, "{\"error\":\"not found\"}");
	if (!strcmp(path, "key") || !strcmp(path, "sw.js") || !strcmp(path, "button.js")) {
		if (!get)
			return json(conn, 405, "{\"error\":\"method not allowed\"}");
		if (!strcmp(path, "key"))
			return reply(conn, 200, "application/json", ps->key_json, strlen(ps->key_json),
				     "public, max-age=3600");
		if (!strcmp(path, "sw.js"))
			return reply(conn, 200, "text/javascript; charset=utf-8", push_sw_js,
				     push_sw_js_len, "no-cache");
		return reply(conn, 200, "text/javascript; charset=utf-8", push_button_js,
			     push_button_js_len, "no-cache");
	}
	if (!strcmp(path, "subscribe") || !strcmp(path, "unsubscribe")) {
		if (!post)
			return json(conn, 405, "{\"error\":\"method not allowed\"}");
		if (too_big || len > PUSH_BODY_MAX)
			return json(conn, 413, "{\"error\":\"body too large\"}");
		if (!body || len == 0)
			return json(conn, 400, "{\"error\":\"empty body\"}");
		return path[0] == 's' ? subscribe(ps, conn, body, len) : unsubscribe(ps, conn, body, len);
	}
	return json(conn, 404, "{\"error\":\"not found\"}");
}
