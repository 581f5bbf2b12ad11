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
#include "http/api.h"
#include "http/read_pool.h"
#include "messages/messages.h"
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
	const struct store_token *token;
	const char *body;
	size_t len;
	int broken;                /* a store error on st: do not keep it */
};

/* --- api_messages.c: each answers the request --- */
enum MHD_Result api_message_create(struct api_request *r);
enum MHD_Result api_message_send(struct api_request *r, int64_t id);
enum MHD_Result api_message_cancel(struct api_request *r, int64_t id);
enum MHD_Result api_message_get(struct api_request *r, int64_t id);

/* --- api_job.c: a write, run by the writer and waited for --- */
enum api_job_kind { API_JOB_CREATE, API_JOB_SEND, API_JOB_CANCEL };

struct api_job {
	struct writer_job job;           /* first: the writer hands it back */
	enum api_job_kind kind;
	int64_t id;                      /* send, cancel: the message; create: the new id */
	int64_t now;
	const struct store_message *msg; /* create: borrowed */
	const char *created_by;          /* create: borrowed */
	const struct messages_notes *notes; /* create: borrowed, may be NULL */
	const struct messages_rules *rules;
	struct messages_approval approval; /* send: what it did */
	struct policy_result *verdicts;  /* send: borrowed, may be NULL; filled on a refusal */
	int before;                      /* cancel: the state it was in */
	const struct audit_keys *audit;  /* borrowed; NULL: nothing is recorded */
	char actor[80];                  /* who, for the audit: "token:NAME" */
	/* the waiting */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int finished;
	int rc;
};

/* Prepares `j` of `kind` for request `r` (the audit's keys and actor come from it;
 * other fields are then filled by the caller). */
void api_job_init(struct api_job *j, enum api_job_kind kind, const struct api_request *r);
/* Hands `j` to the writer and waits until it is durable or failed: returns what the job
 * did (0, or its BANDITORE_E* code), BANDITORE_ESTOPPED when the writer is stopping. */
int api_job_run(struct writer *w, struct api_job *j);

/* --- api_render.c --- */
/* The message as the API shows it (NULL when out of memory). */
json_t *api_render_message(const struct store_message *m);
/* {"error": code, "field": field (when not NULL), "message": it, "message_en": en}. */
json_t *api_render_error(const char *code, const char *field, const char *it, const char *en);
/* Answers `body` (taken: released here) with `status`, and one extra header when
 * `header` is not NULL. */
enum MHD_Result api_respond(struct MHD_Connection *conn, unsigned int status, json_t *body,
			    const char *header, const char *value);
/* api_respond of api_render_error. */
enum MHD_Result api_respond_error(struct MHD_Connection *conn, unsigned int status,
				  const char *code, const char *field, const char *it,
				  const char *en);

#endif
