/*
 * sim.h - what the parts of banditore-sim share: its settings, its state, and the
 * request/reply pair the handlers work on.
 *
 * The handlers (cloud_api.c, control_api.c) know nothing of libmicrohttpd: server.c
 * hands them a struct sim_request and sends back the struct sim_reply they fill, or
 * holds or drops the connection when the reply says so.
 */
#ifndef BANDITORE_SIM_SIM_H
#define BANDITORE_SIM_SIM_H

#include <stddef.h>

#include "common/buf.h"
#include "sim/state.h"

#define SIM_BODY_MAX (1024 * 1024)        /* JSON bodies, as Meta's own limit on webhooks */
#define SIM_MEDIA_MAX (16 * 1024 * 1024)  /* media uploads (Meta allows up to 100 MB) */
#define SIM_REPLY_MAX (512 * 1024 * 1024) /* a full /sim/messages listing */

struct sim_webhook;

/* Fixed for the life of the process (strings borrowed from argv or the environment). */
struct sim_config {
	const char *webhook_url;     /* where Meta would post: banditore's /webhooks/whatsapp */
	const char *app_secret;      /* signs what is posted there */
	const char *access_token;    /* the Bearer token senders must present */
	const char *phone_number_id; /* the business number's id in the Cloud API paths */
	const char *waba_id;         /* the WhatsApp Business Account id in webhook entries */
	char display_number[SIM_TO_MAX]; /* the business number, digits only */
};

struct sim {
	struct sim_config cfg;
	struct sim_state *state;     /* owned by main */
	struct sim_webhook *webhook; /* owned by main */
};

struct sim_request {
	const char *method;
	const char *path;          /* without the query string */
	const char *authorization; /* the Authorization header, or NULL */
	const char *content_type;  /* or NULL */
	const char *body;          /* NUL-terminated; may hold NULs before body_len */
	size_t body_len;
	/* A query-string argument by name, or NULL. */
	const char *(*arg)(void *ctx, const char *name);
	void *arg_ctx;
};

enum sim_action {
	SIM_ACTION_ANSWER = 0, /* send status + body */
	SIM_ACTION_DROP,       /* close the connection without an answer */
	SIM_ACTION_HOLD,       /* hold it for hold_ms (or until shutdown), then close it */
};

struct sim_reply {
	unsigned status;
	struct buf body;          /* owned; released by sim_reply_free */
	const char *content_type; /* static string */
	enum sim_action action;
	int hold_ms;
};

static inline void sim_reply_init(struct sim_reply *r)
{
	r->status = 200;
	buf_init(&r->body, SIM_REPLY_MAX);
	r->content_type = "application/json";
	r->action = SIM_ACTION_ANSWER;
	r->hold_ms = 0;
}

static inline void sim_reply_free(struct sim_reply *r)
{
	buf_free(&r->body);
}

#endif
