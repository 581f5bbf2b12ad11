/*
 * api_inbox.c - the private messages citizens send where the comune keeps them until
 * answered (Seveso art. 5: "deleted promptly after the reply"; [inbound] mode =
 * keep-until-answered): GET /api/v1/inbox lists them opened for staff allowed the
 * action "inbox" (scope inbox:manage), POST /api/v1/inbox/{id}/reply queues a private
 * reply through the outbox (the replies sender sends it like any other reply) and
 * deletes the kept message in the same savepoint, POST /api/v1/inbox/{id}/delete
 * deletes it unanswered.
 *
 * The audit records who answered or deleted which kept message (its id), never the
 * citizen's number or either text. Kept messages are opened only in memory, for the
 * answer, and wiped after; nothing here logs them.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "inbound/inbound.h"
#include "subscribers/subscribers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INBOX_LIST_MAX 200    /* kept messages shown at once, oldest first */
#define INBOX_REPLY_MAX 4096  /* bytes of a reply (WhatsApp's text limit is 4096 chars) */
#define INBOX_WINDOW 86400    /* WhatsApp: a free-form reply within 24 h of the message */

/* The kept message `id` into *m (in `st`): 0, BANDITORE_ENOTFOUND, or a store error. */
static int kept_get(struct store *st, int64_t id, struct store_kept_message *m)
{
	int n = 0;
	int rc = store_kept_list(st, id - 1, m, 1, &n);

	if (rc)
		return rc;
	return n == 1 && m->id == id ? 0 : BANDITORE_ENOTFOUND;
}

/* Opens `m` into number[] and text[] (NUL-terminated). */
static int kept_open(const struct keyfile_keys *keys, const struct store_kept_message *m,
		     char *number, size_t ncap, char *text, size_t tcap)
{
	int rc = subscribers_unseal(keys, m->platform, m->sealed_addr, m->sealed_addr_len, number, ncap);

	if (!rc)
		rc = subscribers_unseal(keys, m->platform, m->sealed_text, m->sealed_text_len, text, tcap);
	return rc;
}

enum MHD_Result api_inbox_list(struct api_request *r)
{
	const struct config *cfg = r->api->ctx->cfg;
	struct store_kept_message *k = calloc(INBOX_LIST_MAX, sizeof(*k));
	char number[SUBSCRIBERS_ADDRESS_MAX], *text = malloc(STORE_SEALED_MAX * 4);
	int64_t now = (int64_t)time(NULL);
	json_t *arr = json_array();
	int n = 0, rc = 0;

	if (!k || !text || !arr) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = store_kept_list(r->st, 0, k, INBOX_LIST_MAX, &n);
	for (int i = 0; !rc && i < n; i++) {
		int64_t answer_by = k[i].received_at + INBOX_WINDOW;
		rc = kept_open(r->api->ctx->keys, &k[i], number, sizeof(number), text, STORE_SEALED_MAX * 4);
		if (rc)
			break;
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:b}", "id",
						     (json_int_t)k[i].id, "platform",
						     platform_name(k[i].platform), "number", number,
						     "text", text, "received_at", api_time_json(k[i].received_at),
						     "expires_at", api_time_json(k[i].expires_at),
						     "reply_before", api_time_json(answer_by), "can_reply",
						     answer_by > now && k[i].platform == PLATFORM_WHATSAPP));
	}
	crypto_wipe(number, sizeof(number));
	if (rc)
		goto fail;
	crypto_wipe(text, STORE_SEALED_MAX * 4); /* the last citizen's text opened */
	free(text);
	for (int i = 0; i < n; i++)
		crypto_wipe(&k[i], sizeof(k[i]));
	free(k);
	return api_respond(r->conn, 200,
			   json_pack("{s:s, s:i, s:o}", "mode",
				     cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED
					     ? "keep-until-answered"
					     : "other",
				     "keep_days", cfg->keep_days, "messages", arr),
			   NULL, NULL);
fail:
	if (text) {
		crypto_wipe(text, STORE_SEALED_MAX * 4);
		free(text);
	}
	if (k) {
		crypto_wipe(k, INBOX_LIST_MAX * sizeof(*k));
		free(k);
	}
	json_decref(arr);
	return api_internal_error(r, "inbox list", rc);
}

struct inbox_job {
	int reply;             /* 1: reply then delete; 0: delete */
	const char *text;      /* reply: borrowed */
	int window_closed;     /* reply: more than 24 h after the citizen's message */
	int unsupported;       /* reply: a platform without a reply path here */
};

static int audit_kept(struct store *st, struct api_job *j, const char *action)
{
	char details[64];

	if (!j->audit)
		return 0;
	snprintf(details, sizeof(details), "{\"kept_id\":%lld}", (long long)j->id);
	return audit_append(st, j->audit, j->actor, action, "inbox", details, j->now, NULL);
}

static int inbox_job(struct store *st, struct api_job *j)
{
	struct inbox_job *b = j->arg;
	struct store_kept_message *m = calloc(1, sizeof(*m));
	struct store_outbox_item item;
	int rc;

	if (!m)
		return BANDITORE_ENOMEM;
	rc = kept_get(st, j->id, m);
	if (rc)
		goto out;
	if (b->reply) {
		if (m->platform != PLATFORM_WHATSAPP) {
			b->unsupported = 1;
			rc = BANDITORE_EINVAL;
			goto out;
		}
		if (m->received_at + INBOX_WINDOW <= j->now) {
			b->window_closed = 1;
			rc = BANDITORE_ESTATE;
			goto out;
		}
		memset(&item, 0, sizeof(item));
		item.platform = m->platform;
		memcpy(item.addr_hash, m->addr_hash, CRYPTO_HASH_LEN);
		memcpy(item.sealed, m->sealed_addr, m->sealed_addr_len);
		item.sealed_len = m->sealed_addr_len;
		snprintf(item.kind, sizeof(item.kind), "reply");
		item.body = inbound_text_body(b->text);
		if (!item.body) {
			rc = BANDITORE_ENOMEM;
			goto out;
		}
		item.not_before = item.created_at = j->now;
		rc = store_outbox_add(st, &item, NULL);
		free(item.body);
		crypto_wipe(&item, sizeof(item));
		if (rc)
			goto out;
	}
	rc = store_kept_remove(st, j->id);
	if (!rc)
		rc = audit_kept(st, j, b->reply ? "inbox.reply" : "inbox.delete");
	/* The kept text is gone: the writer purges the log so no old page keeps it. */
	if (!rc)
		j->job.erased = 1;
out:
	crypto_wipe(m, sizeof(*m));
	free(m);
	return rc;
}

enum MHD_Result api_inbox_act(struct api_request *r, int64_t id, int reply)
{
	struct inbox_job b;
	struct api_job job;
	json_t *o = NULL, *t;
	enum MHD_Result ret;
	int rc;

	memset(&b, 0, sizeof(b));
	b.reply = reply;
	if (reply) {
		o = r->len ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		if (!json_is_object(o)) {
			json_decref(o);
			return api_respond_error(r->conn, 400, "malformed", NULL,
						 "il corpo della richiesta deve essere un oggetto JSON",
						 "the request body must be a JSON object");
		}
		t = json_object_get(o, "text");
		b.text = json_is_string(t) ? json_string_value(t) : NULL;
		if (!b.text || !*b.text || strlen(b.text) > INBOX_REPLY_MAX) {
			json_decref(o);
			return api_respond_error(r->conn, 422, "invalid", "text",
						 "il testo della risposta è obbligatorio (al massimo 4096 byte)",
						 "the reply's text is required (at most 4096 bytes)");
		}
	}
	api_job_init(&job, API_JOB_FN, r);
	job.id = id;
	job.fn = inbox_job;
	job.arg = &b;
	job.now = (int64_t)time(NULL);
	rc = api_job_run(r->api->ctx->writer, &job);
	if (rc == BANDITORE_ENOTFOUND)
		ret = api_respond_error(r->conn, 404, "not_found", NULL,
					"messaggio non trovato: già risposto, cancellato o scaduto",
					"message not found: answered, deleted or expired already");
	else if (rc == BANDITORE_ESTATE && b.window_closed)
		ret = api_respond_error(r->conn, 409, "window_closed", NULL,
					"WhatsApp permette una risposta libera solo entro 24 ore dal messaggio "
					"del cittadino: la finestra è chiusa. Il messaggio resta finché non lo "
					"cancella o non scade",
					"WhatsApp allows a free-form reply only within 24 hours of the "
					"citizen's message: the window is closed. The message stays until you "
					"delete it or it expires");
	else if (rc == BANDITORE_EINVAL && b.unsupported)
		ret = api_respond_error(r->conn, 422, "unsupported", NULL,
					"la risposta su questa piattaforma non è disponibile",
					"replying on this platform is not available");
	else if (rc)
		ret = api_internal_error(r, reply ? "inbox reply" : "inbox delete", rc);
	else {
		log_info("inbox-action", "action=%s kept_id=%lld by=%s", reply ? "reply" : "delete",
			 (long long)id, r->who);
		ret = api_respond(r->conn, reply ? 202 : 200,
				  json_pack("{s:I, s:b, s:b}", "id", (json_int_t)id, "replied", reply,
					    "deleted", 1),
				  NULL, NULL);
	}
	json_decref(o);
	return ret;
}
