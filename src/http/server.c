/* server.c - libmicrohttpd set-up, request bodies within limits, and the routes. */
#include "http/server.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "http/api.h"
#include "http/api_media.h"
#include "http/console.h"
#include "http/email_http.h"
#include "http/push.h"
#include "http/public.h"
#include "http/webhook_sms.h"
#include "http/webhook_telegram.h"
#include "http/webhook_whatsapp.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_POOL_THREADS 2 /* one per core of the reference machine */
/* Each connection's memory (its request's headers, the response's): libmicrohttpd zeroes
 * all of it after every request on a kept-alive connection, and at its default, 32 KiB,
 * that was 9 % of the daemon's CPU on webhook statuses (5 % at 16 KiB). 16 KiB still takes
 * request headers of up to 8 KiB, the limit of the usual reverse proxies
 * (test_whatsapp_inbound.py checks it). */
#define HTTP_CONNECTION_MEMORY (16 * 1024)

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_ctx ctx;
	int port;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int in_flight; /* webhook jobs the writer has not settled yet */
	int stopping;  /* set at stop: no connection may be suspended any more */
	struct api *api;
	struct webhook_telegram *tg; /* NULL unless Telegram runs in bot mode */
	struct push_site *push;  /* browser push: /push/ (NULL when not configured) */
	struct sms_site *sms;    /* inbound SMS: /webhooks/sms (NULL when not configured) */
	struct email_site *email; /* e-mail opt-in: /email/ (NULL when not a platform) */
	struct public_site *pub; /* the public pages, feeds and assets */
	struct console *console; /* the staff's web console: /console */
};

static enum MHD_Result respond_json_status(struct MHD_Connection *conn, unsigned int status);

/* Per-request state, kept between libmicrohttpd's calls for one request. */
struct request {
	struct buf body;
	int too_big;
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct webhook_job *job; /* while suspended, waiting for the writer */
	int settled;             /* the writer is done: answer on the next call */
	struct tg_job *tg_job;   /* a Telegram update, while suspended */
	struct api_upload *upload; /* POST /api/v1/media: streamed, not kept in `body` */
};

/* In the writer's thread: the job is durable (or failed); wake the connection. */
static void job_settled(void *arg)
{
	struct request *req = arg;
	struct http_server *srv = req->srv;

	(void)srv;
	req->settled = 1;
	MHD_resume_connection(req->conn);
	/* in_flight drops only once the resumed connection has been answered (below): until
	 * then libmicrohttpd still counts it as suspended and must not be stopped. */
}

static void in_flight_done(struct http_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	if (--srv->in_flight == 0)
		pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

/* A complete webhook POST: answer now, or suspend until the writer settles it. The
 * connection is suspended before the job is submitted, so the writer can never resume
 * it before it is suspended. */
static enum MHD_Result webhook_post(struct http_server *srv, struct request *req)
{
	const char *sig;
	int status;

	if (req->settled) {
		status = webhook_whatsapp_finish(req->job);
		req->job = NULL;
		in_flight_done(srv);
		return respond_json_status(req->conn, (unsigned)status);
	}
	if (req->too_big)
		return respond_json_status(req->conn, 413);
	sig = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Hub-Signature-256");
	status = webhook_whatsapp_prepare(&srv->ctx, sig, buf_cstr(&req->body), req->body.len,
					  job_settled, req, &req->job);
	if (status)
		return respond_json_status(req->conn, (unsigned)status);
	buf_free(&req->body); /* parsed: the raw body is no longer needed */
	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) { /* a keep-alive connection's request during shutdown */
		pthread_mutex_unlock(&srv->lock);
		webhook_whatsapp_finish(req->job); /* never submitted: answers 503 */
		req->job = NULL;
		return respond_json_status(req->conn, 503);
	}
	srv->in_flight++;
	pthread_mutex_unlock(&srv->lock);
	MHD_suspend_connection(req->conn);
	if (webhook_whatsapp_submit(&srv->ctx, req->job) != 0) {
		/* in_flight drops when the resumed connection answers 503 */
		MHD_resume_connection(req->conn);
		req->settled = 1; /* finish() answers 503 for a job the writer never took */
	}
	return MHD_YES;
}

/* A complete POST /webhooks/telegram: as webhook_post, with Telegram's secret header. */
static enum MHD_Result telegram_post(struct http_server *srv, struct request *req)
{
	const char *secret;
	int status;

	if (req->settled) {
		status = webhook_telegram_finish(req->tg_job);
		req->tg_job = NULL;
		in_flight_done(srv);
		return respond_json_status(req->conn, (unsigned)status);
	}
	if (!srv->tg)
		return respond_json_status(req->conn, 404);
	if (req->too_big)
		return respond_json_status(req->conn, 413);
	secret = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
					     "X-Telegram-Bot-Api-Secret-Token");
	status = webhook_telegram_prepare(srv->tg, secret, buf_cstr(&req->body), req->body.len,
					  job_settled, req, &req->tg_job);
	if (status)
		return respond_json_status(req->conn, (unsigned)status);
	buf_free(&req->body);
	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->lock);
		webhook_telegram_finish(req->tg_job);
		req->tg_job = NULL;
		return respond_json_status(req->conn, 503);
	}
	srv->in_flight++;
	pthread_mutex_unlock(&srv->lock);
	MHD_suspend_connection(req->conn);
	if (webhook_telegram_submit(srv->tg, req->tg_job) != 0) {
		MHD_resume_connection(req->conn);
		req->settled = 1;
	}
	return MHD_YES;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *type, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json_status(struct MHD_Connection *conn, unsigned int status)
{
	const char *msg;
	switch (status) {
	case 200: msg = "{\"ok\":true}"; break;
	case 400: msg = "{\"error\":\"malformed body\"}"; break;
	case 401: msg = "{\"error\":\"invalid signature\"}"; break;
	case 403: msg = "{\"error\":\"forbidden\"}"; break;
	case 404: msg = "{\"error\":\"not found\"}"; break;
	case 405: msg = "{\"error\":\"method not allowed\"}"; break;
	case 413: msg = "{\"error\":\"body too large\"}"; break;
	case 503: msg = "{\"error\":\"unavailable, retry\"}"; break;
	default: msg = "{\"error\":\"internal error\"}"; break;
	}
	return respond(conn, status, "application/json", msg);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct request *req = *con_cls;
	int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	(void)version;

	if (!req) {
		const char *cl;
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		buf_init(&req->body, HTTP_BODY_MAX);
		req->srv = srv;
		req->conn = conn;
		*con_cls = req;
		if (is_post && !strcmp(url, API_MEDIA_PATH)) {
			/* Authorised on its headers; refused at once, before the body. */
			if (api_media_begin(srv->api, conn, &req->upload) != 0)
				return MHD_NO;
			if (api_media_refused(req->upload))
				return api_media_finish(srv->api, conn, req->upload);
			return MHD_YES;
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (is_post && cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
			req->too_big = 1;
		return MHD_YES;
	}
	if (req->upload) {
		if (*upload_size) {
			api_media_chunk(req->upload, upload, *upload_size);
			*upload_size = 0;
			/* Too large or unwritable midway: answer now, and the connection
			 * closes, rather than reading the rest for nothing. */
			if (api_media_refused(req->upload))
				return api_media_finish(srv->api, conn, req->upload);
			return MHD_YES;
		}
		return api_media_finish(srv->api, conn, req->upload);
	}
	if (is_post && *upload_size) {
		if (!req->too_big && buf_append(&req->body, upload, *upload_size) != 0)
			req->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}

	if (!strcmp(url, "/webhooks/telegram"))
		return is_post ? telegram_post(srv, req) : respond_json_status(conn, 405);
	if (!strcmp(url, "/webhooks/whatsapp")) {
		if (is_post)
			return webhook_post(srv, req);
		if (!strcmp(method, MHD_HTTP_METHOD_GET)) {
			const char *mode = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.mode");
			const char *token = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.verify_token");
			const char *challenge = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub.challenge");
			int status = webhook_whatsapp_verify(&srv->ctx, mode, token, challenge);
			if (status == 200)
				return respond(conn, 200, "text/plain", challenge);
			log_warn("webhook-verify-refused", "platform=whatsapp status=%d", status);
			return respond_json_status(conn, (unsigned)status);
		}
		return respond_json_status(conn, 405);
	}
	if (!strncmp(url, EMAIL_PREFIX, strlen(EMAIL_PREFIX)))
		return email_handle(srv->email, conn, method, url, buf_cstr(&req->body), req->body.len,
				    req->too_big);
	if (!strcmp(url, WEBHOOK_SMS_PATH))
		return sms_site_handle(srv->sms, conn, method, buf_cstr(&req->body), req->body.len,
				       req->too_big);
	if (!strncmp(url, PUSH_PREFIX, strlen(PUSH_PREFIX)))
		return push_handle(srv->push, conn, method, url, buf_cstr(&req->body), req->body.len,
				   req->too_big);
	if (!strncmp(url, API_PREFIX, strlen(API_PREFIX)))
		return api_handle(srv->api, conn, method, url, buf_cstr(&req->body), req->body.len,
				  req->too_big);
	if (srv->console && !strncmp(url, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) &&
	    (url[strlen(CONSOLE_PREFIX)] == '\0' || url[strlen(CONSOLE_PREFIX)] == '/'))
		return console_handle(srv->console, conn, method, url, buf_cstr(&req->body),
				      req->body.len, req->too_big);
	if (req->too_big)
		return respond_json_status(conn, 413);
	if (!strcmp(url, "/healthz"))
		return respond(conn, 200, "text/plain", "ok\n");
	{
		enum MHD_Result ret;
		if (srv->pub && public_handle(srv->pub, conn, method, url, &ret))
			return ret;
	}
	return respond_json_status(conn, 404);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *req = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (req) {
		if (req->job) { /* closed before it was answered: still release the job */
			webhook_whatsapp_finish(req->job);
			in_flight_done(req->srv);
		}
		if (req->tg_job) {
			webhook_telegram_finish(req->tg_job);
			in_flight_done(req->srv);
		}
		api_media_free(req->upload);
		buf_free(&req->body);
		free(req);
		*con_cls = NULL;
	}
}

int http_server_start(const char *address, int port, const struct http_ctx *ctx,
		      struct http_server **out)
{
	struct http_server *srv;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, address, &sa.sin_addr) != 1)
		return BANDITORE_EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return BANDITORE_ENOMEM;
	srv->ctx = *ctx;
	if (api_new(&srv->ctx, &srv->api) != 0) {
		free(srv);
		return BANDITORE_ENOMEM;
	}
	if (webhook_telegram_new(&srv->ctx, &srv->tg) != 0) {
		api_free(srv->api);
		free(srv);
		return BANDITORE_ENOMEM;
	}
	{
		int assets = 0;
		if (public_site_new(ctx->cfg, ctx->store_url, &srv->pub, &assets) != 0) {
			api_free(srv->api);
			free(srv);
			return BANDITORE_ENOMEM;
		}
		if (!assets)
			log_warn("public-assets-missing", "hint=%s",
				 "run scripts/install-deps or set BANDITORE_WEB_DIR: pages are unstyled");
		if (console_new(&srv->ctx, srv->api, srv->pub, &srv->console) != 0) {
			public_site_free(srv->pub);
			api_free(srv->api);
			free(srv);
			return BANDITORE_ENOMEM;
		}
	}
	if (push_site_new(&srv->ctx, &srv->push) != 0 || email_site_new(&srv->ctx, &srv->email) != 0 ||
	    sms_site_new(&srv->ctx, &srv->sms) != 0) {
		email_site_free(srv->email);
		push_site_free(srv->push);
		console_free(srv->console);
		public_site_free(srv->pub);
		api_free(srv->api);
		free(srv);
		return BANDITORE_ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	srv->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
					    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
				    (uint16_t)port, NULL, NULL, handle, srv,
				    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_POOL_THREADS,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
				    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		console_free(srv->console);
		sms_site_free(srv->sms);
		email_site_free(srv->email);
		push_site_free(srv->push);
		public_site_free(srv->pub);
		webhook_telegram_free(srv->tg);
		api_free(srv->api);
		pthread_mutex_destroy(&srv->lock);
		pthread_cond_destroy(&srv->idle);
		free(srv);
		return BANDITORE_EIO;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : port;
	*out = srv;
	return 0;
}

int http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	/* Take no new connection, let the writer settle what it holds (it is still
	 * running), answer those, then stop. */
	MHD_quiesce_daemon(srv->mhd);
	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	while (srv->in_flight > 0)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	MHD_stop_daemon(srv->mhd);
	api_free(srv->api); /* its read connections: every request has been answered */
	webhook_telegram_free(srv->tg); /* sends the replies still queued, then stops */
	console_free(srv->console);
	public_site_free(srv->pub);
	push_site_free(srv->push);
	email_site_free(srv->email);
	sms_site_free(srv->sms); /* replies still queued are dropped */
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->idle);
	free(srv);
}
