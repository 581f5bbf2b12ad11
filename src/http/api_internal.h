/*
 * api_internal.h - what the files of the JSON API share (not for other modules).
 *
 * api.c: authentication and routing; api_messages.c: the message endpoints;
 * api_job.c: writes as writer jobs, waited for; api_render.c: JSON bodies and answers.
 */
#ifndef BANDITORE_API_INTERNAL_H
#define BANDITORE_API_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "audit/audit.h"
#include "daemon/writer_wait.h"
#include "http/api.h"
#include "http/read_pool.h"
#include "messages/messages.h"
#include "staff/staff.h"
#include "staff/tokens.h"
#include "store/store.h"

#define API_READ_CONNECTIONS 4 /* idle read connections kept: one per HTTP thread, and spare */

struct api {
	const struct http_ctx *ctx;
	struct read_pool *pool; /* NULL without ctx->store_url */
	struct messages_rules rules;
	struct audit_keys audit; /* from ctx->keys; have_audit 0 without them (unit tests) */
	int have_audit;
};

/* One request, as the endpoints see it. */
struct api_request {
	struct api *api;
	struct MHD_Connection *conn;
	struct store *st;          /* a read connection, borrowed from the pool */
	const struct store_token *token;   /* bearer authentication, or NULL */
	const struct store_staff *staff;   /* session authentication (api_staff.c), or NULL */
	const struct store_session *session;
	const char *who;                   /* the token's or the account's name */
	char actor[80];                    /* for the audit: "token:NAME" or "staff:NAME" */
	const char *body;
	size_t len;
	const char *csrf;          /* the console's call (api_call): the CSRF token of its form */
	int broken;                /* a store error on st: do not keep it */
};

/* --- api_messages.c: each answers the request --- */
enum MHD_Result api_message_create(struct api_request *r);
enum MHD_Result api_message_send(struct api_request *r, int64_t id);
enum MHD_Result api_message_cancel(struct api_request *r, int64_t id);
enum MHD_Result api_message_get(struct api_request *r, int64_t id);

/* --- api_audience.c: who a message reaches --- */
/* GET /api/v1/audience; `query` is the URL's query ("category=x&areas=a,b") when the
 * console calls, NULL to read the HTTP request's arguments. */
enum MHD_Result api_audience_reach(struct api_request *r, const char *query);
/* GET /api/v1/areas[?lat=&lon=]: the comune's areas, or those holding a point. */
enum MHD_Result api_audience_areas(struct api_request *r, const char *query);
/* Who draft `m` would reach now on each platform of the channel, {"whatsapp": N, ...}
 * (new reference), or NULL when it cannot be counted. */
json_t *api_audience_message_reach(struct api_request *r, const struct store_message *m);
/* Message `id`'s target areas as a JSON array of ids (new reference; [] when none). */
json_t *api_audience_areas_json(struct store *st, int64_t id);
/* The body's "areas" into out ("a,b"), *present 0 when absent: 0, or 1 after
 * answering 422 (an area that does not exist). */
int api_audience_parse(struct api_request *r, char *out, size_t cap, int *present,
		       enum MHD_Result *answer);

/* --- api_job.c: a write, run by the writer and waited for --- */
enum api_job_kind { API_JOB_CREATE, API_JOB_SEND, API_JOB_CANCEL, API_JOB_FN };

struct api_job {
	struct writer_job job;           /* first: the writer hands it back */
	enum api_job_kind kind;
	int64_t id;                      /* send, cancel: the message; create: the new id */
	int64_t now;
	const struct store_message *msg; /* create: borrowed */
	const char *created_by;          /* create: borrowed */
	const struct messages_notes *notes; /* create: borrowed, may be NULL */
	const char *areas;               /* create, edit: the target areas "a,b" (borrowed;
					  * NULL: leave them as they are) */
	const struct messages_rules *rules;
	struct messages_approval approval; /* send: what it did */
	struct policy_result *verdicts;  /* send: borrowed, may be NULL; filled on a refusal */
	int before;                      /* cancel: the state it was in */
	const struct audit_keys *audit;  /* borrowed; NULL: nothing is recorded */
	char actor[80];                  /* who, for the audit: "token:NAME", "staff:NAME" */
	/* API_JOB_FN: any other write (api_staff.c, api_workflow.c), which appends its own
	 * audit entry; it sets job.erased when it erased an address */
	int (*fn)(struct store *st, struct api_job *j);
	void *arg;
	struct writer_wait wait;
};

/* Prepares `j` of `kind` for request `r` (the audit's keys and actor come from it;
 * other fields are then filled by the caller). */
void api_job_init(struct api_job *j, enum api_job_kind kind, const struct api_request *r);
/* Hands `j` to the writer and waits until it is durable or failed: returns what the job
 * did (0, or its BANDITORE_E* code), BANDITORE_ESTOPPED when the writer is stopping. */
int api_job_run(struct writer *w, struct api_job *j);
/* In a job's fn: appends `action` on `object` to the audit log as the job's actor, with
 * `details` (taken; may be NULL) as compact JSON. 0 when the job records nothing. */
int api_job_audit(struct store *st, struct api_job *j, const char *action, const char *object,
		  json_t *details);

/* --- api_render.c --- */
/* The message as the API shows it (NULL when out of memory). */
json_t *api_render_message(const struct store_message *m);
/* The message's progress on each platform of the channel (api_platforms.c): an array of
 * {platform, state, total, sent, failed}, WhatsApp's from the message's counters. */
json_t *api_render_platforms(struct store *st, const struct config *cfg,
			     const struct store_message *m);
/* A time as RFC 3339, or null when it has not happened (0 or less). */
json_t *api_time_json(int64_t t);
/* Logs `what` failed with `rc` and answers 500 (503 while shutting down); a store error
 * marks the request's read connection broken. */
enum MHD_Result api_internal_error(struct api_request *r, const char *what, int rc);
/* The request's body as a JSON object (duplicate keys refused); NULL when it is empty,
 * not JSON or not an object. */
json_t *api_body_object(const struct api_request *r);
/* A string member of `o`, or NULL when absent, null or not a string. */
const char *api_member(const json_t *o, const char *key);
/* {"error": code, "field": field (when not NULL), "message": it, "message_en": en}. */
json_t *api_render_error(const char *code, const char *field, const char *it, const char *en);
/* Answers `body` (taken: released here) with `status`, and one extra header when
 * `header` is not NULL. */
enum MHD_Result api_respond(struct MHD_Connection *conn, unsigned int status, json_t *body,
			    const char *header, const char *value);
/* While set (by api_call, in the calling thread only), api_respond hands its answer to
 * this instead of queueing it on the connection. */
extern _Thread_local struct api_result *api_capture;
/* api_respond of api_render_error. */
enum MHD_Result api_respond_error(struct MHD_Connection *conn, unsigned int status,
				  const char *code, const char *field, const char *it,
				  const char *en);

/* --- api_staff.c: who is asking, may they, and the staff endpoints --- */
/* Authenticates the request by its session cookie (and, unless GET, its CSRF token):
 * 0 with r->staff, r->session, r->who, r->actor set (se and a hold them); 1 after
 * answering 401 (unknown, expired, revoked, decree ended: the session is ended) or 403
 * (CSRF). */
int api_session_authenticate(struct api_request *r, const char *method, struct store_session *se,
			     struct store_staff *a, enum MHD_Result *answer);
/* The source address of the request, for throttling (staff_login_check): the peer, or
 * the last address of X-Forwarded-For when the peer is the reverse proxy on loopback. */
void api_source_of(struct MHD_Connection *conn, char out[STAFF_SOURCE_MAX]);
/* 429 "locked" with Retry-After: too many failed logins or re-authentications. */
enum MHD_Result api_respond_locked(struct MHD_Connection *conn, int64_t retry_after);
/* --- api.c, for the upload server.c streams (api_media.c) --- */
/* Whether the request's bearer token may do `action`, from its headers alone: 0 when
 * it may; else 401 (no token), 402 (a token refused: answered 401 invalid_token), 403,
 * or 503 (the database). */
int api_upload_allowed(struct api *api, struct MHD_Connection *conn, enum staff_action action);
/* Answers a status from api_upload_allowed. */
enum MHD_Result api_upload_refuse(struct api *api, struct MHD_Connection *conn, int status);

/* 1 when the requester may do `action` (role for a session, scope for a token). */
int api_allowed(const struct api_request *r, enum staff_action action);
/* Answers 403 for `action`. */
enum MHD_Result api_forbidden(struct api_request *r, enum staff_action action);
enum MHD_Result api_session_login(struct api_request *r);
enum MHD_Result api_session_get(struct api_request *r);
enum MHD_Result api_session_logout(struct api_request *r);
enum MHD_Result api_staff_list(struct api_request *r);
enum MHD_Result api_staff_create(struct api_request *r);
enum MHD_Result api_staff_change(struct api_request *r, const char *name, int decree);
enum MHD_Result api_tokens_list(struct api_request *r);
enum MHD_Result api_tokens_create(struct api_request *r);
enum MHD_Result api_tokens_revoke(struct api_request *r, const char *name);
enum MHD_Result api_subscribers_count(struct api_request *r);
/* what: "erase", "warn" or "expel". */
enum MHD_Result api_subscribers_act(struct api_request *r, const char *what);
enum MHD_Result api_audit_list(struct api_request *r);

/* --- api_inbox.c: kept private messages (keep-until-answered) --- */
enum MHD_Result api_inbox_list(struct api_request *r);
/* reply 1: POST /api/v1/inbox/{id}/reply {"text"}; 0: /delete. */
enum MHD_Result api_inbox_act(struct api_request *r, int64_t id, int reply);

/* --- api_channel.c: posting tasks of a WhatsApp Channel kept by hand --- */
enum MHD_Result api_channel_list(struct api_request *r);
enum MHD_Result api_channel_posted(struct api_request *r, int64_t id);

/* --- api_totp.c: one's own second factor; what: "setup", "enable", "disable" --- */
enum MHD_Result api_totp(struct api_request *r, const char *what);

/* --- api_joins.c: the front desk and the moderation queue of joins --- */
/* POST /api/v1/subscribers/enroll {"number", "form_number", "form_date"}. */
enum MHD_Result api_joins_enroll(struct api_request *r);
/* GET /api/v1/joins: the queue (numbers masked without see_numbers). */
enum MHD_Result api_joins_list(struct api_request *r);
/* POST /api/v1/joins/{ref}/approve (approve 1) or /refuse (0). */
enum MHD_Result api_joins_decide(struct api_request *r, const char *ref, int approve);

/* --- api_preview.c --- */
/* How each platform of the channel shows `m`: [{platform, title, body, chars, parts,
 * cut, media_dropped} or {platform, error}] (new reference; NULL when out of memory). */
json_t *api_render_previews(const struct config *cfg, const struct store_message *m);

/* --- api_policy.c --- */
/* POST /api/v1/policy/check: the comune's policy on a message as typed, without storing
 * it (the console shows the verdicts while one writes). */
enum MHD_Result api_policy_check(struct api_request *r);

/* --- api_workflow.c --- */
enum MHD_Result api_message_propose(struct api_request *r, int64_t id);
enum MHD_Result api_message_approve(struct api_request *r, int64_t id);
enum MHD_Result api_message_reject(struct api_request *r, int64_t id);
enum MHD_Result api_message_edit(struct api_request *r, int64_t id);
enum MHD_Result api_message_queue(struct api_request *r);
/* The message as api_render_message shows it, with its place in the workflow. */
json_t *api_render_reviewed(struct store *st, const struct store_message *m);

#endif
