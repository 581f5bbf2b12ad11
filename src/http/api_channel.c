/*
 * api_channel.c - the posting tasks of a WhatsApp Channel kept by hand ([whatsapp]
 * channel_mode = manual; Siracusa art. 5). Channels have no API: each approved message
 * becomes a task (messages_send_checked adds it), a person copies the text (and the
 * media's link) into the app, publishes, and says so here:
 *
 *   GET  /api/v1/channel/posts               the waiting tasks with copy-ready text, and
 *                                            the latest posted ones
 *   POST /api/v1/channel/posts/{id}/posted   message {id} was published now, by whoever
 *                                            asks; the audit records it (channel.posted)
 *
 * Both need the action channel_post (token scope messages:write). Cancelled or expired
 * messages are not shown as waiting: they must not be published.
 */
#include "http/api_internal.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHANNEL_LIST_MAX 100
#define POST_TEXT_MAX (STORE_TEXT_MAX + STORE_TITLE_MAX + STORE_LINK_MAX + 1024)

/* The text to paste into the Channel, as WhatsApp formats it: the title in bold, the
 * text, the link; the archive's page when there is an attachment to add by hand. */
static json_t *task_json(const struct config *cfg, const struct store_message *m,
			 const struct store_channel_post *p)
{
	struct buf b;
	char permalink[1200];
	json_t *o;

	snprintf(permalink, sizeof(permalink), "%s/archivio/%lld",
		 cfg->public_url ? cfg->public_url : "", (long long)m->id);
	buf_init(&b, POST_TEXT_MAX);
	if (m->title[0])
		buf_appendf(&b, "*%s*\n\n", m->title);
	buf_appendf(&b, "%s", m->text ? m->text : "");
	if (m->link[0])
		buf_appendf(&b, "\n\n%s", m->link);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s*, s:s*, s:s, s:o, s:o, s:o, s:o, s:s}",
		      "message_id", (json_int_t)m->id, "title", m->title, "category", m->category,
		      "copy_text", buf_cstr(&b), "state", messages_state_name(m->state),
		      "media_name", m->media_sha256[0] ? m->media_name : NULL, "media_type",
		      m->media_sha256[0] ? m->media_type : NULL, "permalink", permalink, "approved_at",
		      api_time_json(p->created_at), "scheduled_at", api_time_json(m->scheduled_at), "posted_at",
		      api_time_json(p->posted_at), "emergency", json_boolean(m->priority == STORE_PRIORITY_EMERGENCY),
		      "posted_by", p->posted_by);
	buf_free(&b);
	return o;
}

/* Appends the tasks of `p[n]` (their messages read from r->st) to `arr`; 0 or an error. */
static int add_tasks(struct api_request *r, const struct store_channel_post *p, int n, int waiting,
		     json_t *arr)
{
	const struct config *cfg = r->api->ctx->cfg;
	struct store_message m;
	int rc;

	for (int i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		rc = store_message_get(r->st, p[i].message_id, &m);
		if (rc == BANDITORE_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (!waiting || (m.state != STORE_MSG_CANCELLED && m.state != STORE_MSG_EXPIRED))
			json_array_append_new(arr, task_json(cfg, &m, &p[i]));
		store_message_clear(&m);
	}
	return 0;
}

enum MHD_Result api_channel_list(struct api_request *r)
{
	const struct config *cfg = r->api->ctx->cfg;
	struct store_channel_post *p = calloc(CHANNEL_LIST_MAX, sizeof(*p));
	json_t *waiting = json_array(), *posted = json_array();
	int n = 0, rc;

	if (!p || !waiting || !posted) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = store_channel_post_list(r->st, 1, p, CHANNEL_LIST_MAX, &n);
	if (!rc)
		rc = add_tasks(r, p, n, 1, waiting);
	if (!rc)
		rc = store_channel_post_list(r->st, 0, p, 20, &n);
	if (!rc)
		rc = add_tasks(r, p, n, 0, posted);
	if (rc)
		goto fail;
	free(p);
	return api_respond(r->conn, 200,
			   json_pack("{s:s, s:s, s:o, s:o}", "mode", cfg->wa_channel_manual ? "manual" : "none",
				     "channel_url", cfg->wa_channel_url ? cfg->wa_channel_url : "",
				     "waiting", waiting, "posted", posted),
			   NULL, NULL);
fail:
	free(p);
	json_decref(waiting);
	json_decref(posted);
	return api_internal_error(r, "channel list", rc);
}

static int posted_job(struct store *st, struct api_job *j)
{
	char object[48];
	int rc = store_channel_post_mark(st, j->id, j->actor, j->now);

	if (rc || !j->audit)
		return rc;
	snprintf(object, sizeof(object), "message:%lld", (long long)j->id);
	return audit_append(st, j->audit, j->actor, "channel.posted", object,
			    "{\"platform\":\"whatsapp-channel\"}", j->now, NULL);
}

enum MHD_Result api_channel_posted(struct api_request *r, int64_t id)
{
	struct api_job job;
	char when[MESSAGES_TIME_MAX];
	int rc;

	api_job_init(&job, API_JOB_FN, r);
	job.id = id;
	job.fn = posted_job;
	job.now = (int64_t)time(NULL);
	rc = api_job_run(r->api->ctx->writer, &job);
	if (rc == BANDITORE_ENOTFOUND)
		return api_respond_error(r->conn, 404, "not_found", NULL,
					 "nessun post da pubblicare per questo messaggio",
					 "no posting task for this message");
	if (rc == BANDITORE_ESTATE)
		return api_respond_error(r->conn, 409, "state", NULL,
					 "questo messaggio risulta già pubblicato sul canale",
					 "this message is marked as posted already");
	if (rc)
		return api_internal_error(r, "channel posted", rc);
	log_info("channel-posted", "message=%lld by=%s", (long long)id, r->who);
	messages_time_format(job.now, when);
	return api_respond(r->conn, 200,
			   json_pack("{s:I, s:s, s:s}", "message_id", (json_int_t)id, "posted_at", when,
				     "posted_by", job.actor),
			   NULL, NULL);
}
