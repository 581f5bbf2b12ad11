/*
 * server.c - libmicrohttpd set-up, bodies within limits, routing, and the faults that
 * act on the connection itself (latency, holding a request, dropping it).
 */
#include "sim/server.h"

#include "common/err.h"
#include "common/log.h"
#include "sim/cloud_api.h"
#include "sim/control_api.h"
#include "sim/page.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define INBOUND_BODY_MAX (2 * 1024 * 1024) /* /sim/inbound may carry a 1 MiB "raw" body */
#define HOST_MAX 256

struct sim_server {
	struct MHD_Daemon *mhd;
	struct sim *sim;
	int fd;
};

/* Per-request state, kept between libmicrohttpd's calls for one request. */
struct request {
	struct buf body;
	int too_big;
};

static const char *query_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct sim_reply *reply,
				  int is_page)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len = reply->body.len;
	char *data = buf_steal(&reply->body);

	if (data)
		r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (is_page)
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'none'; script-src 'unsafe-inline'; "
					"style-src 'unsafe-inline'; connect-src 'self'; "
					"base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	ret = MHD_queue_response(conn, reply->status, r);
	MHD_destroy_response(r);
	return ret;
}

static size_t body_limit(const char *url)
{
	size_t n = strlen(url);
	if (n >= 6 && !strcmp(url + n - 6, "/media"))
		return SIM_MEDIA_MAX;
	if (!strcmp(url, "/sim/inbound"))
		return INBOUND_BODY_MAX;
	return SIM_BODY_MAX;
}

static enum MHD_Result route(struct sim_server *srv, struct MHD_Connection *conn,
			     const char *url, const char *method, struct request *req)
{
	struct sim_request rq;
	struct sim_reply reply;
	enum MHD_Result ret;
	struct sim_faults f;
	int rc = 0, is_page = 0;

	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = url;
	rq.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_AUTHORIZATION);
	rq.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.body = buf_cstr(&req->body);
	rq.body_len = req->body.len;
	rq.arg = query_arg;
	rq.arg_ctx = conn;
	sim_reply_init(&reply);

	if (sim_cloud_owns(url)) {
		sim_state_get_faults(srv->sim->state, &f);
		if (f.latency_ms > 0 && sim_state_sleep_ms(srv->sim->state, f.latency_ms)) {
			sim_reply_free(&reply);
			return MHD_NO; /* shutting down */
		}
		if (req->too_big) {
			reply.status = 413;
			rc = buf_appends(&reply.body, "{\"error\":{\"message\":\"Request body too "
						      "large\",\"type\":\"OAuthException\",\"code\":1}}");
		} else {
			rc = sim_cloud_handle(srv->sim, &rq, &reply);
		}
	} else if (req->too_big) {
		reply.status = 413;
		rc = buf_appends(&reply.body, "{\"error\":\"body too large\"}");
	} else if (sim_control_owns(url)) {
		rc = sim_control_handle(srv->sim, &rq, &reply);
	} else if (!strcmp(url, "/") && (!strcmp(method, "GET") || !strcmp(method, "HEAD"))) {
		reply.content_type = "text/html; charset=utf-8";
		rc = buf_append(&reply.body, sim_page_html(), sim_page_len());
		is_page = 1;
	} else if (!strcmp(url, "/healthz")) {
		reply.content_type = "text/plain";
		rc = buf_appends(&reply.body, "ok\n");
	} else {
		reply.status = 404;
		rc = buf_appends(&reply.body, "{\"error\":\"not found\"}");
	}

	if (rc) {
		log_error("sim-request-failed", "path=%s error=\"%s\"", url, banditore_strerror(rc));
		reply.status = 500;
		reply.content_type = "application/json";
		reply.action = SIM_ACTION_ANSWER;
		buf_reset(&reply.body);
		buf_appends(&reply.body, "{\"error\":\"internal error\"}");
	}
	switch (reply.action) {
	case SIM_ACTION_DROP:
		ret = MHD_NO; /* libmicrohttpd closes the connection without an answer */
		break;
	case SIM_ACTION_HOLD:
		sim_state_sleep_ms(srv->sim->state, reply.hold_ms);
		ret = MHD_NO;
		break;
	default:
		ret = send_reply(conn, &reply, is_page);
		break;
	}
	sim_reply_free(&reply);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct sim_server *srv = cls;
	struct request *req = *con_cls;
	(void)version;

	if (!req) { /* first call: only the headers are in */
		const char *cl;
		size_t max = body_limit(url);
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		buf_init(&req->body, max);
		*con_cls = req;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > max)
			req->too_big = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!req->too_big && buf_append(&req->body, upload, *upload_size) != 0)
			req->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	return route(srv, conn, url, method, req);
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

/* libmicrohttpd's own complaints, as one key=value line each. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t i;
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (i = 0; msg[i]; i++)
		if (msg[i] == '"' || msg[i] == '\n' || msg[i] == '\r')
			msg[i] = msg[i] == '"' ? '\'' : ' ';
	log_warn("sim-http", "msg=\"%s\"", msg);
}

/* Binds a listening socket to "HOST:PORT" (IPv6 hosts in brackets); *loopback says
 * whether only this machine can reach it. */
static int bind_listen(const char *listen_at, int *fd_out, int *port_out, int *loopback)
{
	char host[HOST_MAX];
	const char *colon = strrchr(listen_at, ':');
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t hl;
	int fd = -1, one = 1;

	char *end;
	long port;

	if (!colon || !colon[1] || (hl = (size_t)(colon - listen_at)) == 0 || hl >= sizeof(host))
		return BANDITORE_EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return BANDITORE_EINVAL;
	memcpy(host, listen_at, hl);
	host[hl] = '\0';
	if (host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
		return BANDITORE_EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0)
		goto fail;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto fail;
	*loopback = ai->ai_family == AF_INET6
		? IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr)
		: (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
	*port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						    : ((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(ai);
	*fd_out = fd;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return BANDITORE_EIO;
}

int sim_server_start(struct sim *sim, const char *listen_at, struct sim_server **out, int *port)
{
	struct sim_server *srv;
	int rc, loopback = 0;

	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return BANDITORE_ENOMEM;
	srv->sim = sim;
	rc = bind_listen(listen_at, &srv->fd, port, &loopback);
	if (rc) {
		free(srv);
		return rc;
	}
	if (!loopback) /* /sim/ has no authentication: it is a test double */
		log_warn("sim-not-loopback", "listen=%s note=\"the control API is open to "
			 "anyone who can reach this address\"", listen_at);
	srv->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					    MHD_USE_POLL | MHD_USE_ERROR_LOG,
				    0, NULL, NULL, handle, srv,
				    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, /* must be first */
				    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd,
				    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SIM_CONNECTIONS_MAX,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		close(srv->fd);
		free(srv);
		return BANDITORE_EIO;
	}
	*out = srv;
	return 0;
}

void sim_server_stop(struct sim_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->mhd); /* also closes the listening socket it was given */
	free(srv);
}
