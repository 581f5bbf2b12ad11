/*
 * api.h - the JSON API under /api/v1, for the comune's other systems and for staff.
 *
 *   POST /api/v1/messages              compose a message: 201 with it, as a draft
 *   POST /api/v1/messages/{id}/send    approve it: 202, approved or scheduled, with its
 *                                      audience (and a warning when the messaging tier
 *                                      cannot take it all at once)
 *                                      409 {"error":"state"} when it is not a draft,
 *                                      409 {"error":"expired"} when its expiry has passed
 *   POST /api/v1/messages/{id}/cancel  200 cancelled; 409 when it is finished already
 *   GET  /api/v1/messages/{id}         its state, times (RFC 3339) and progress
 * A message may target areas, "areas": ["fornacino", ...] (422 {"field":"areas"} for one
 * that does not exist); every message shows its "areas", a draft its "reach" per platform.
 *   GET  /api/v1/audience?category=ID&areas=a,b[&priority=emergency]   how many
 *                                      subscribers that target reaches on each platform
 *                                      of the channel, before sending (messages_audience.h)
 *   GET  /api/v1/areas[?lat=&lon=]     the comune's areas, or those holding a point
 *
 * For staff (api_staff.c, api_workflow.c; docs/permessi.md has the whole list):
 *   POST/GET/DELETE /api/v1/session    log in ({name, password, totp} → 201, cookie
 *                                      banditore_session, csrf_token), who am I, log out
 *   GET  /api/v1/messages              the approvals queue (proposed messages)
 *   POST /api/v1/messages/{id}/propose|approve|reject|edit   the workflow (workflow.h)
 *   GET/POST /api/v1/staff, POST /api/v1/staff/{name}/revoke|decree
 *   GET/POST /api/v1/tokens, POST /api/v1/tokens/{name}/revoke
 *   GET  /api/v1/subscribers, POST /api/v1/subscribers/erase|warn|expel
 *   GET  /api/v1/audit
 *   POST /api/v1/policy/check          the policy's verdicts on a message as typed
 * A session request is checked on every request (expired, revoked, decree ended →
 * 401) and, unless GET, must carry the session's CSRF token (X-CSRF-Token or the form
 * field csrf_token) → 403 {"error":"csrf"}. What a role may not do (the matrix of
 * staff/staff.h) is 403 {"error":"forbidden"} and changes nothing; for a token, the
 * scope decides (403 {"error":"scope"}). /send with a token approves as before.
 *
 * Every request carries "Authorization: Bearer <secret>" of a token made with
 * `banditore token create` (staff/tokens.h): missing, unknown or revoked → 401 with
 * WWW-Authenticate; a token without the scope (messages:write for POST,
 * messages:read for GET) → 403. Bodies are JSON, at most API_BODY_MAX bytes (413
 * beyond). Errors are JSON: {"error": "...", "field": "...", "message": Italian,
 * "message_en": English}: a refused field is 422 {"error": "invalid", "field": ...},
 * a body that is not a JSON object 400 {"error": "malformed"}, an unknown id 404, a
 * wrong method 405 with Allow.
 *
 * Reads use a small pool of store connections of their own. Writes are writer jobs:
 * the request's thread waits for its job to be durable (API traffic is light, and a
 * job is one short savepoint in the next group commit), so an answer always means
 * the change is on disk.
 */
#ifndef BANDITORE_API_H
#define BANDITORE_API_H

#include <stddef.h>

#include <jansson.h>

#include <microhttpd.h>

#include "http/server.h"

#define API_BODY_MAX (64 * 1024)
#define API_PREFIX "/api/"

struct api;

/* The API over `ctx` (borrowed; must outlive the API). Without ctx->store_url every
 * request is answered 503. */
int api_new(const struct http_ctx *ctx, struct api **out);
/* Closes the read connections. Call after the HTTP server has stopped. Accepts NULL. */
void api_free(struct api *api);

/* What api_call got: the status, the JSON body (owned: json_decref) and the value of a
 * Set-Cookie header when there was one. */
struct api_result {
	unsigned int status;
	json_t *body;
	char set_cookie[256];
};

/* Runs one API request in this thread as if it had come over `conn` (its session cookie
 * and source address are the request's), with `json` as its body (may be NULL) and
 * `csrf` as its CSRF token (may be NULL), and captures the answer instead of sending it:
 * the staff console uses the API's checks, jobs and audit as they are. 0, or
 * BANDITORE_ENOMEM (nothing captured). */
int api_call(struct api *api, struct MHD_Connection *conn, const char *method, const char *url,
	     const char *json, const char *csrf, struct api_result *out);

/* Answers one complete request under API_PREFIX. `body` (len bytes) is what was
 * received; `too_big` when it was cut at the server's own limit. */
enum MHD_Result api_handle(struct api *api, struct MHD_Connection *conn, const char *method,
			   const char *url, const char *body, size_t len, int too_big);

#endif
