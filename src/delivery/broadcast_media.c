/* broadcast_media.c - a broadcast's attachment uploaded once; see broadcast_media.h. */
#include "delivery/broadcast_media.h"

#include "common/err.h"
#include "common/log.h"
#include "daemon/writer_wait.h"
#include "media/media.h"
#include "policy/attachment.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Storing the id: one writer job, waited for. */
struct media_job {
	struct writer_job job; /* first */
	int64_t id;
	const char *media_id;
	struct writer_wait wait;
};

static int media_apply(struct store *st, struct writer_job *wj)
{
	struct media_job *j = (struct media_job *)wj;
	return store_message_set_media_id(st, j->id, j->media_id);
}

static void media_done(struct writer_job *wj, int rc)
{
	writer_wait_done(&((struct media_job *)wj)->wait, rc);
}

static int store_media_id(struct writer *w, int64_t id, const char *media_id)
{
	struct media_job j;

	memset(&j, 0, sizeof(j));
	j.job.apply = media_apply;
	j.job.done = media_done;
	j.id = id;
	j.media_id = media_id;
	return writer_run_wait(w, &j.job, &j.wait);
}

static int problem(struct broadcast_problem *why, const char *it, const char *en)
{
	if (why) {
		snprintf(why->field, sizeof(why->field), "attachment");
		snprintf(why->message, sizeof(why->message), "%s", it);
		snprintf(why->message_en, sizeof(why->message_en), "%s", en);
	}
	return BANDITORE_EINVAL;
}

void broadcast_media_header(const struct store_message *m, const char *media_id,
			    struct whatsapp_header *h)
{
	h->type = policy_media_kind_name(policy_media_kind(m->media_type));
	h->media_id = media_id;
	h->filename = m->media_name[0] ? m->media_name : NULL;
}

int broadcast_media_ready(const struct broadcast_settings *bs, const struct store_message *m,
			  char media_id[WHATSAPP_MEDIA_ID_MAX], struct broadcast_problem *why)
{
	enum policy_media_kind kind = policy_media_kind(m->media_type);
	struct connector_result res;
	struct whatsapp *w = NULL;
	char path[4200];
	int rc;

	media_id[0] = '\0';
	if (!m->media_sha256[0])
		return 0;
	if (kind != POLICY_MEDIA_IMAGE && kind != POLICY_MEDIA_VIDEO && kind != POLICY_MEDIA_DOCUMENT)
		return problem(why, "l'allegato non può stare in testa al modello WhatsApp (solo immagini, video, documenti)",
			       "the attachment cannot be the WhatsApp template's header (images, videos, documents only)");
	if (m->media_id[0]) {
		snprintf(media_id, WHATSAPP_MEDIA_ID_MAX, "%s", m->media_id);
		log_info("broadcast-media", "id=%" PRId64 " media=reused", m->id);
		return 0;
	}
	if (media_path(bs->cfg->data_dir, m->media_sha256, path, sizeof(path)) != 0)
		return problem(why, "allegato non valido", "invalid attachment");
	rc = whatsapp_new(&bs->whatsapp, &w);
	if (rc)
		return rc == BANDITORE_ENOMEM ? BANDITORE_ETEMP : BANDITORE_EPERM;
	rc = whatsapp_upload_media(w, path, m->media_type, media_id, &res);
	whatsapp_free(w);
	if (rc) {
		log_warn("broadcast-media-failed", "id=%" PRId64 " outcome=%s http=%d code=%d reason=\"%s\"",
			 m->id, connector_outcome_name(res.outcome), res.http_status, res.error_code, res.error);
		media_id[0] = '\0';
		return res.outcome == CONNECTOR_RETRY ? BANDITORE_ETEMP : BANDITORE_EPERM;
	}
	rc = store_media_id(bs->writer, m->id, media_id);
	if (rc) {
		media_id[0] = '\0';
		return BANDITORE_ETEMP;
	}
	log_info("broadcast-media", "id=%" PRId64 " media=uploaded bytes=%" PRId64 " type=%s", m->id,
		 m->media_size, m->media_type);
	return 0;
}
