/* server.c - libmicrohttpd set-up, request bodies within limits, and the routes. */
#include "http/server.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "http/webhook_whatsapp.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_ctx ctx;
	int port;
};

/* Per-request state, kept between libmicrohttpd's calls for one request. */
struct request {
	struct buf body;
	int too_big;
};

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

static enum MHD_Result home_page(struct http_server *srv, struct MHD_Connection *conn)
{
	struct buf b;
	enum MHD_Result ret;

	buf_init(&b, 16384);
	/* The channel's name comes from the configuration file, which the comune writes;
	 * still, it is escaped when the public pages arrive (templates). */
	buf_appendf(&b,
		    "<!doctype html><html lang=\"it\"><head><meta charset=\"utf-8\">"
		    "<title>Banditore</title></head><body><h1>Banditore</h1>"
		    "<p>Il servizio di messaggistica del comune è attivo.</p>"
		    "<p lang=\"en\">The comune's messaging service is running.</p></body></html>");
	(void)srv;
	ret = respond(conn, 200, "text/html; charset=utf-8", buf_cstr(&b));
	buf_free(&b);
	return ret;
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
		*con_cls = req;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (is_post && cl && strtoull(cl, NULL, 10) > HTTP_BODY_MAX)
			req->too_big = 1;
		return MHD_YES;
	}
	if (is_post && *upload_size) {
		if (!req->too_big && buf_append(&req->body, upload, *upload_size) != 0)
			req->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}

	if (!strcmp(url, "/webhooks/whatsapp")) {
		if (is_post) {
			const char *sig;
			if (req->too_big)
				return respond_json_status(conn, 413);
			sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							  "X-Hub-Signature-256");
			return respond_json_status(conn, (unsigned)webhook_whatsapp_post(
								  &srv->ctx, sig, buf_cstr(&req->body),
								  req->body.len));
		}
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
	if (req->too_big)
		return respond_json_status(conn, 413);
	if (!strcmp(url, "/healthz"))
		return respond(conn, 200, "text/plain", "ok\n");
	if (!strcmp(url, "/") && !strcmp(method, MHD_HTTP_METHOD_GET))
		return home_page(srv, conn);
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
	srv->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					    MHD_USE_POLL | MHD_USE_ERROR_LOG,
				    (uint16_t)port, NULL, NULL, handle, srv,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_MAX,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
				    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
				    MHD_OPTION_END);
	if (!srv->mhd) {
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
	MHD_stop_daemon(srv->mhd);
	free(srv);
}
