/*
 * api.c - the JSON API's door: who is asking (a bearer token, or a staff session with
 * its CSRF token: api_staff.c), may they (the permission matrix, staff/staff.h, checked
 * here before any endpoint runs, so a refused request changes nothing), and which
 * endpoint answers.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "staff/tokens.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MESSAGES_PATH "/api/v1/messages"
#define SESSION_PATH "/api/v1/session"
#define STAFF_PATH "/api/v1/staff"
#define TOKENS_PATH "/api/v1/tokens"
#define SUBSCRIBERS_PATH "/api/v1/subscribers"
#define AUDIT_PATH "/api/v1/audit"
#define JOINS_PATH "/api/v1/joins"
#define POLICY_CHECK_PATH "/api/v1/policy/check"
#define INBOX_PATH "/api/v1/inbox"
#define CHANNEL_PATH "/api/v1/channel/posts"
#define AUDIENCE_PATH "/api/v1/audience"
#define AREAS_PATH "/api/v1/areas"

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

/* The name after "/" (1..63 characters up to the next '/') into out[64], and the rest;
 * 0 when there is none. */
static int parse_name(const char *p, char out[64], const char **rest)
{
	size_t n;

	if (*p++ != '/')
		return 0;
	n = strcspn(p, "/");
	if (n == 0 || n >= 64)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	*rest = p + n;
	return 1;
}

/* 1 when the body asks for an emergency ("priority": "emergency"). */
static int asks_emergency(const struct api_request *r)
{
	json_t *o = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	json_t *p = json_is_object(o) ? json_object_get(o, "priority") : NULL;
	int yes = json_is_string(p) && !strcmp(json_string_value(p), "emergency");

	json_decref(o);
	return yes;
}

/* Answers 403 unless the request may do `action`. */
#define NEED(action)                                                                       \
	do {                                                                               \
		if (!api_allowed(r, (action)))                                             \
			return api_forbidden(r, (action));                                 \
	} while (0)

static enum MHD_Result forbidden_read(struct api_request *r)
{
	return api_respond_error(r->conn, 403, "scope", NULL,
				 "il token non ha il permesso messages:read",
				 "the token lacks the scope messages:read");
}

static enum MHD_Result route_messages(struct api_request *r, const char *method, const char *url)
{
	int is_get = !strcmp(method, MHD_HTTP_METHOD_GET);
	int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	int reader = r->staff || tokens_has_scope(r->token, TOKENS_SCOPE_READ);
	const char *rest = "";
	int64_t id;

	if (!*url) {
		if (is_get) {
			if (!reader)
				return forbidden_read(r);
			return api_message_queue(r);
		}
		if (!is_post)
			return method_not_allowed(r->conn, "GET, POST");
		NEED(STAFF_PROPOSE);
		if (asks_emergency(r))
			NEED(STAFF_EMERGENCY);
		return api_message_create(r);
	}
	id = parse_id(url, &rest);
	if (!id)
		return route_not_found(r->conn);
	if (!*rest) {
		if (is_get) {
			if (!reader)
				return forbidden_read(r);
			return api_message_get(r, id);
		}
		return method_not_allowed(r->conn, "GET");
	}
	if (strcmp(rest, "/send") && strcmp(rest, "/approve") && strcmp(rest, "/propose") &&
	    strcmp(rest, "/reject") && strcmp(rest, "/cancel") && strcmp(rest, "/edit"))
		return route_not_found(r->conn);
	if (!is_post)
		return method_not_allowed(r->conn, "POST");
	if (!strcmp(rest, "/propose")) {
		NEED(STAFF_PROPOSE);
		return api_message_propose(r, id);
	}
	if (!strcmp(rest, "/edit")) {
		NEED(STAFF_PROPOSE);
		return api_message_edit(r, id);
	}
	if (!strcmp(rest, "/reject")) {
		NEED(STAFF_REJECT);
		return api_message_reject(r, id);
	}
	if (!strcmp(rest, "/cancel")) {
		NEED(STAFF_CANCEL);
		return api_message_cancel(r, id);
	}
	NEED(STAFF_APPROVE);
	/* A token is another system of the comune: it approves what it composed, as before
	 * accounts existed. A person never approves their own message (workflow.h). */
	return r->token ? api_message_send(r, id) : api_message_approve(r, id);
}

/* Routes an authenticated request. */
static enum MHD_Result route(struct api_request *r, const char *method, const char *url,
			     int too_big)
{
	int is_get = !strcmp(method, MHD_HTTP_METHOD_GET);
	int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	const char *rest = "";
	char name[64];

	if (too_big || r->len > API_BODY_MAX)
		return api_respond_error(r->conn, 413, "too_large", NULL,
					 "richiesta troppo grande (massimo 64 KiB)",
					 "request too large (at most 64 KiB)");
	if (!strncmp(url, SESSION_PATH "/totp/", strlen(SESSION_PATH) + 6)) {
		const char *what = url + strlen(SESSION_PATH) + 6;
		if (strcmp(what, "setup") && strcmp(what, "enable") && strcmp(what, "disable"))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_OWN_TOTP);
		return api_totp(r, what);
	}
	if (!strcmp(url, SESSION_PATH)) {
		if (is_get)
			return api_session_get(r);
		if (!strcmp(method, MHD_HTTP_METHOD_DELETE))
			return api_session_logout(r);
		return method_not_allowed(r->conn, "GET, POST, DELETE");
	}
	if (!strncmp(url, MESSAGES_PATH, strlen(MESSAGES_PATH)) &&
	    (url[strlen(MESSAGES_PATH)] == '\0' || url[strlen(MESSAGES_PATH)] == '/'))
		return route_messages(r, method, url + strlen(MESSAGES_PATH));
	if (!strcmp(url, STAFF_PATH)) {
		NEED(STAFF_MANAGE_STAFF);
		if (is_get)
			return api_staff_list(r);
		if (is_post)
			return api_staff_create(r);
		return method_not_allowed(r->conn, "GET, POST");
	}
	if (!strncmp(url, STAFF_PATH "/", strlen(STAFF_PATH) + 1)) {
		if (!parse_name(url + strlen(STAFF_PATH), name, &rest) ||
		    (strcmp(rest, "/revoke") && strcmp(rest, "/decree")))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_MANAGE_STAFF);
		return api_staff_change(r, name, !strcmp(rest, "/decree"));
	}
	if (!strcmp(url, TOKENS_PATH)) {
		NEED(STAFF_MANAGE_TOKENS);
		if (is_get)
			return api_tokens_list(r);
		if (is_post)
			return api_tokens_create(r);
		return method_not_allowed(r->conn, "GET, POST");
	}
	if (!strncmp(url, TOKENS_PATH "/", strlen(TOKENS_PATH) + 1)) {
		if (!parse_name(url + strlen(TOKENS_PATH), name, &rest) || strcmp(rest, "/revoke"))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_MANAGE_TOKENS);
		return api_tokens_revoke(r, name);
	}
	if (!strcmp(url, SUBSCRIBERS_PATH)) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_SEE_SUBSCRIBERS);
		return api_subscribers_count(r);
	}
	if (!strcmp(url, SUBSCRIBERS_PATH "/enroll")) {
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_ENROLL);
		return api_joins_enroll(r);
	}
	if (!strcmp(url, JOINS_PATH)) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_MODERATE);
		return api_joins_list(r);
	}
	if (!strncmp(url, JOINS_PATH "/", strlen(JOINS_PATH) + 1)) {
		char ref[64];
		if (!parse_name(url + strlen(JOINS_PATH), ref, &rest) ||
		    (strcmp(rest, "/approve") && strcmp(rest, "/refuse")))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_MODERATE);
		return api_joins_decide(r, ref, !strcmp(rest, "/approve"));
	}
	if (!strncmp(url, SUBSCRIBERS_PATH "/", strlen(SUBSCRIBERS_PATH) + 1)) {
		const char *what = url + strlen(SUBSCRIBERS_PATH) + 1;
		enum staff_action a = !strcmp(what, "erase") ? STAFF_ERASE
				      : !strcmp(what, "warn") ? STAFF_WARN
				      : STAFF_EXPEL;
		if (strcmp(what, "erase") && strcmp(what, "warn") && strcmp(what, "expel"))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(a);
		return api_subscribers_act(r, what);
	}
	if (!strcmp(url, AUDIT_PATH)) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_READ_AUDIT);
		return api_audit_list(r);
	}
	if (!strcmp(url, INBOX_PATH)) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_INBOX);
		return api_inbox_list(r);
	}
	if (!strcmp(url, CHANNEL_PATH)) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_CHANNEL_POST);
		return api_channel_list(r);
	}
	if (!strncmp(url, CHANNEL_PATH "/", strlen(CHANNEL_PATH) + 1)) {
		int64_t id = parse_id(url + strlen(CHANNEL_PATH), &rest);
		if (!id || strcmp(rest, "/posted"))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_CHANNEL_POST);
		return api_channel_posted(r, id);
	}
	if (!strncmp(url, INBOX_PATH "/", strlen(INBOX_PATH) + 1)) {
		int64_t id = parse_id(url + strlen(INBOX_PATH), &rest);
		if (!id || (strcmp(rest, "/reply") && strcmp(rest, "/delete")))
			return route_not_found(r->conn);
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_INBOX);
		return api_inbox_act(r, id, !strcmp(rest, "/reply"));
	}
	if (!strncmp(url, AUDIENCE_PATH, strlen(AUDIENCE_PATH)) &&
	    (!url[strlen(AUDIENCE_PATH)] || url[strlen(AUDIENCE_PATH)] == '?')) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_PROPOSE);
		return api_audience_reach(r, url[strlen(AUDIENCE_PATH)] ? url + strlen(AUDIENCE_PATH) + 1 : NULL);
	}
	if (!strncmp(url, AREAS_PATH, strlen(AREAS_PATH)) &&
	    (!url[strlen(AREAS_PATH)] || url[strlen(AREAS_PATH)] == '?')) {
		if (!is_get)
			return method_not_allowed(r->conn, "GET");
		NEED(STAFF_PROPOSE);
		return api_audience_areas(r, url[strlen(AREAS_PATH)] ? url + strlen(AREAS_PATH) + 1 : NULL);
	}
	if (!strcmp(url, POLICY_CHECK_PATH)) {
		if (!is_post)
			return method_not_allowed(r->conn, "POST");
		NEED(STAFF_PROPOSE);
		return api_policy_check(r);
	}
	return route_not_found(r->conn);
}

/* A bearer token made by an account that is no longer active (revoked, decree ended)
 * is refused as if revoked. 0 when usable, BANDITORE_EAUTH when not. */
static int token_owner_active(struct store *st, const struct store_token *t)
{
	struct store_staff a;
	int rc, active;

	if (!t->owner[0])
		return 0;
	rc = store_staff_get(st, t->owner, &a);
	if (rc == BANDITORE_ENOTFOUND)
		return BANDITORE_EAUTH;
	if (rc)
		return rc;
	active = staff_active(&a, (int64_t)time(NULL));
	crypto_wipe(&a, sizeof(a));
	return active ? 0 : BANDITORE_EAUTH;
}

int api_upload_allowed(struct api *api, struct MHD_Connection *conn, enum staff_action action)
{
	struct api_request r;
	struct store_token token;
	const char *secret = bearer(conn);
	int rc, status;

	if (!api->pool)
		return 503;
	if (!secret)
		return 401;
	memset(&r, 0, sizeof(r));
	r.api = api;
	r.conn = conn;
	if (read_pool_get(api->pool, &r.st) != 0)
		return 503;
	rc = tokens_verify(r.st, secret, NULL, &token);
	if (!rc)
		rc = token_owner_active(r.st, &token);
	if (rc == BANDITORE_EAUTH) {
		log_warn("api-refused", "reason=token");
		status = 402; /* presented and refused: answered as 401 invalid_token */
	} else if (rc) {
		r.broken = 1;
		status = 503;
	} else {
		r.token = &token;
		status = api_allowed(&r, action) ? 0 : 403;
	}
	read_pool_put(api->pool, r.st, r.broken);
	crypto_wipe(&token, sizeof(token));
	return status;
}

enum MHD_Result api_upload_refuse(struct api *api, struct MHD_Connection *conn, int status)
{
	(void)api;
	if (status == 401 || status == 402)
		return unauthorized(conn, status == 402);
	if (status == 403)
		return api_respond_error(conn, 403, "forbidden", NULL,
					 "il token non permette di caricare allegati (serve messages:write)",
					 "the token may not upload attachments (messages:write needed)");
	return api_respond_error(conn, 503, "unavailable", NULL, "API non disponibile",
				 "API not available");
}

static enum MHD_Result handle(struct api *api, struct MHD_Connection *conn, const char *method,
			      const char *url, const char *body, size_t len, int too_big,
			      const char *csrf)
{
	struct api_request r;
	struct store_token token;
	struct store_session session;
	struct store_staff account;
	const char *secret = csrf ? NULL : bearer(conn); /* the console: sessions only */
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, STAFF_COOKIE_NAME);
	int login = !strcmp(url, SESSION_PATH) && !strcmp(method, MHD_HTTP_METHOD_POST);
	enum MHD_Result ret;
	int rc;

	memset(&r, 0, sizeof(r));
	r.api = api;
	r.conn = conn;
	r.body = body;
	r.len = len;
	r.csrf = csrf;
	if (!api->pool || !api->ctx->writer)
		return api_respond_error(conn, 503, "unavailable", NULL, "API non disponibile",
					 "API not available");
	if (!secret && !cookie && !login)
		return unauthorized(conn, 0);
	if (login && (too_big || len > API_BODY_MAX))
		return api_respond_error(conn, 413, "too_large", NULL,
					 "richiesta troppo grande (massimo 64 KiB)",
					 "request too large (at most 64 KiB)");
	rc = read_pool_get(api->pool, &r.st);
	if (rc) {
		log_error("api-failed", "step=open error=\"%s\" detail=\"%s\"", banditore_strerror(rc),
			  store_errmsg(NULL));
		return api_respond_error(conn, 503, "unavailable", NULL, "database non disponibile",
					 "database unavailable");
	}
	if (login) {
		r.who = "";
		ret = api_session_login(&r);
	} else if (secret) {
		rc = tokens_verify(r.st, secret, NULL, &token);
		if (!rc)
			rc = token_owner_active(r.st, &token);
		if (rc == BANDITORE_EAUTH) {
			log_warn("api-refused", "reason=token");
			ret = unauthorized(conn, 1);
		} else if (rc) {
			log_error("api-failed", "step=token error=\"%s\"", banditore_strerror(rc));
			r.broken = 1;
			ret = api_respond_error(conn, 500, "internal", NULL, "errore interno", "internal error");
		} else {
			r.token = &token;
			r.who = token.name;
			snprintf(r.actor, sizeof(r.actor), "token:%s", token.name);
			ret = route(&r, method, url, too_big);
		}
	} else if (api_session_authenticate(&r, method, &session, &account, &ret) == 0) {
		ret = route(&r, method, url, too_big);
	}
	crypto_wipe(&account, sizeof(account));
	crypto_wipe(&session, sizeof(session));
	read_pool_put(api->pool, r.st, r.broken);
	return ret;
}

enum MHD_Result api_handle(struct api *api, struct MHD_Connection *conn, const char *method,
			   const char *url, const char *body, size_t len, int too_big)
{
	return handle(api, conn, method, url, body, len, too_big, NULL);
}

int api_call(struct api *api, struct MHD_Connection *conn, const char *method, const char *url,
	     const char *json, const char *csrf, struct api_result *out)
{
	memset(out, 0, sizeof(*out));
	api_capture = out;
	/* A GET carries no token; "" keeps bearer tokens out of the console's calls. */
	(void)handle(api, conn, method, url, json, json ? strlen(json) : 0, 0, csrf ? csrf : "");
	api_capture = NULL;
	if (!out->status)
		return BANDITORE_ENOMEM;
	return 0;
}
