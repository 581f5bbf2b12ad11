/* api.c - the JSON API's door: who is asking (bearer token), and which endpoint. */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "staff/tokens.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MESSAGES_PATH "/api/v1/messages"

int api_new(const struct http_ctx *ctx, struct api **out)
{
	struct api *api = calloc(1, sizeof(*api));
	int rc;

	*out = NULL;
	if (!api)
		return BANDITORE_ENOMEM;
	api->ctx = ctx;
	messages_rules_from_config(ctx->cfg, &api->rules);
	if (ctx->keys) {
		audit_keys_from(&api->audit, ctx->keys);
		api->have_audit = 1;
	}
	if (ctx->store_url) {
		rc = read_pool_new(ctx->store_url, API_READ_CONNECTIONS, &api->pool);
		if (rc) {
			free(api);
			return rc;
		}
	}
	*out = api;
	return 0;
}

void api_free(struct api *api)
{
	if (!api)
		return;
	read_pool_free(api->pool);
	crypto_wipe(&api->audit, sizeof(api->audit));
	free(api);
}

/* The secret after "Bearer " (RFC 6750; the scheme is case-insensitive), or NULL. */
static const char *bearer(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

static enum MHD_Result unauthorized(struct MHD_Connection *conn, int presented)
{
	json_t *body;

	if (!presented) {
		body = api_render_error("unauthorized", NULL,
					"manca il token: usare l'intestazione Authorization: Bearer <token>",
					"missing token: use the header Authorization: Bearer <token>");
		return api_respond(conn, 401, body, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				   "Bearer realm=\"banditore\"");
	}
	body = api_render_error("unauthorized", NULL, "token sconosciuto o revocato",
				"unknown or revoked token");
	return api_respond(conn, 401, body, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
			   "Bearer realm=\"banditore\", error=\"invalid_token\"");
}

static enum MHD_Result method_not_allowed(struct MHD_Connection *conn, const char *allow)
{
	return api_respond(conn, 405,
			   api_render_error("method", NULL, "metodo non consentito qui",
					    "method not allowed here"),
			   MHD_HTTP_HEADER_ALLOW, allow);
}

static enum MHD_Result route_not_found(struct MHD_Connection *conn)
{
	return api_respond_error(conn, 404, "not_found", NULL, "indirizzo sconosciuto",
				 "unknown address");
}

/* "/{id}" followed by `rest`: the id (1..10^18), or 0 when the path is not that. */
static int64_t parse_id(const char *p, const char **rest)
{
	int64_t id = 0;
	int n = 0;

	if (*p++ != '/')
		return 0;
	while (*p >= '0' && *p <= '9' && n < 18) {
		id = id * 10 + (*p++ - '0');
		n++;
	}
	*rest = p;
	return n > 0 && id > 0 ? id : 0;
}

/* Routes an authenticated request. */
static enum MHD_Result route(struct api_request *r, const char *method, const char *url,
			     int too_big)
{
	int is_get = !strcmp(method, MHD_HTTP_METHOD_GET);
	int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	const char *rest = "";
	const char *scope = is_get ? TOKENS_SCOPE_READ : TOKENS_SCOPE_WRITE;
	enum { CREATE, GET, SEND, CANCEL } what;
	int64_t id = 0;

	if (strncmp(url, MESSAGES_PATH, strlen(MESSAGES_PATH)) != 0)
		return route_not_found(r->conn);
	url += strlen(MESSAGES_PATH);
	if (!*url) {
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		what = CREATE;
	} else {
		id = parse_id(url, &rest);
		if (!id)
			return route_not_found(r->conn);
		if (!*rest && is_get)
			what = GET;
		else if (!*rest)
			return method_not_allowed(r->conn, "GET");
		else if (strcmp(rest, "/send") && strcmp(rest, "/cancel"))
			return route_not_found(r->conn);
		else if (!is_post)
			return method_not_allowed(r->conn, "POST");
		else
			what = !strcmp(rest, "/send") ? SEND : CANCEL;
	}
	if (!tokens_has_scope(r->token, scope))
		return api_respond_error(r->conn, 403, "scope", NULL,
					 is_get ? "il token non ha il permesso messages:read"
						: "il token non ha il permesso messages:write",
					 is_get ? "the token lacks the scope messages:read"
						: "the token lacks the scope messages:write");
	if (too_big || r->len > API_BODY_MAX)
		return api_respond_error(r->conn, 413, "too_large", NULL,
					 "richiesta troppo grande (massimo 64 KiB)",
					 "request too large (at most 64 KiB)");
	switch (what) {
	case CREATE: return api_message_create(r);
	case GET: return api_message_get(r, id);
	case SEND: return api_message_send(r, id);
	case CANCEL: return api_message_cancel(r, id);
	}
	return route_not_found(r->conn);
}

enum MHD_Result api_handle(struct api *api, struct MHD_Connection *conn, const char *method,
			   const char *url, const char *body, size_t len, int too_big)
{
	struct api_request r;
	struct store_token token;
	const char *secret = bearer(conn);
	enum MHD_Result ret;
	int rc;

	memset(&r, 0, sizeof(r));
	r.api = api;
	r.conn = conn;
	r.body = body;
	r.len = len;
	if (!api->pool || !api->ctx->writer)
		return api_respond_error(conn, 503, "unavailable", NULL, "API non disponibile",
					 "API not available");
	if (!secret)
		return unauthorized(conn, 0);
	rc = read_pool_get(api->pool, &r.st);
	if (rc) {
		log_error("api-failed", "step=open error=\"%s\" detail=\"%s\"", banditore_strerror(rc),
			  store_errmsg(NULL));
		return api_respond_error(conn, 503, "unavailable", NULL, "database non disponibile",
					 "database unavailable");
	}
	rc = tokens_verify(r.st, secret, NULL, &token);
	if (rc == BANDITORE_EAUTH) {
		log_warn("api-refused", "reason=token");
		ret = unauthorized(conn, 1);
	} else if (rc) {
		log_error("api-failed", "step=token error=\"%s\"", banditore_strerror(rc));
		r.broken = 1;
		ret = api_respond_error(conn, 500, "internal", NULL, "errore interno", "internal error");
	} else {
		r.token = &token;
		ret = route(&r, method, url, too_big);
	}
	read_pool_put(api->pool, r.st, r.broken);
	return ret;
}
