/*
 * api_media.c - POST /api/v1/media: an attachment uploaded for a message.
 *
 * The body is the file's bytes (any Content-Type: the type is found in the bytes), up to
 * MEDIA_SIZE_MAX (100 MiB, WhatsApp's largest document); `?name=` gives the name shown
 * to citizens for a document. The request is authorised on its headers, before a byte of
 * the body is taken, so an unauthorised client cannot make the server store anything.
 * The bytes go to an unnamed file in DATA/media while they arrive (never held whole in
 * memory; nothing left behind by a crash), then media_intake checks them against the
 * fixed rules and the comune's policy and stores them under their SHA-256. The answer
 * is what a message's "attachment" names: {"sha256", "name", ...}.
 */
#include "http/api_media.h"
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "media/media.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Uploads taken at once; more get 503 (attachments are rare, and each may be 100 MiB). */
#define API_UPLOADS_MAX 4

static atomic_int uploads;

struct api_upload {
	int fd;        /* the unnamed file, or -1 */
	int64_t len;   /* bytes written so far */
	int status;    /* 0 while accepted; else the status to answer */
	int counted;   /* holds one of API_UPLOADS_MAX */
};

/* An unnamed file in `dir` (O_TMPFILE), or a named one unlinked at once where the file
 * system has no O_TMPFILE. -1 on failure. */
static int unnamed_file(const char *dir)
{
	char path[4200];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if (snprintf(path, sizeof(path), "%s/.upload-XXXXXX", dir) >= (int)sizeof(path))
		return -1;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

int api_media_begin(struct api *api, struct MHD_Connection *conn, struct api_upload **out)
{
	struct api_upload *u = calloc(1, sizeof(*u));
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char dir[4096];

	*out = u;
	if (!u)
		return BANDITORE_ENOMEM;
	u->fd = -1;
	u->status = api_upload_allowed(api, conn, STAFF_PROPOSE);
	if (u->status)
		return 0;
	if (cl && strtoull(cl, NULL, 10) > (unsigned long long)MEDIA_SIZE_MAX) {
		u->status = 413;
		return 0;
	}
	if (!api->rules.data_dir) {
		u->status = 503;
		return 0;
	}
	if (atomic_fetch_add(&uploads, 1) >= API_UPLOADS_MAX) {
		atomic_fetch_sub(&uploads, 1);
		u->status = 503;
		return 0;
	}
	u->counted = 1;
	if (snprintf(dir, sizeof(dir), "%s/media", api->rules.data_dir) >= (int)sizeof(dir) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST) || (u->fd = unnamed_file(dir)) < 0) {
		log_error("api-media-failed", "step=open errno=%d", errno);
		u->status = 500;
	}
	return 0;
}

int api_media_refused(const struct api_upload *u)
{
	return u && u->status != 0;
}

void api_media_chunk(struct api_upload *u, const char *data, size_t len)
{
	if (!u || u->status || u->fd < 0)
		return;
	if (len > (size_t)MEDIA_SIZE_MAX || u->len + (int64_t)len > MEDIA_SIZE_MAX) {
		u->status = 413; /* no Content-Length, or a false one */
		return;
	}
	while (len > 0) {
		ssize_t n = write(u->fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("api-media-failed", "step=write errno=%d", errno);
			u->status = 500;
			return;
		}
		data += n;
		len -= (size_t)n;
		u->len += n;
	}
}

static enum MHD_Result refuse(struct api *api, struct MHD_Connection *conn, int status)
{
	switch (status) {
	case 413:
		return api_respond_error(conn, 413, "too_large", NULL,
					 "allegato troppo grande: al massimo 100 MiB",
					 "attachment too large: at most 100 MiB");
	case 503:
		return api_respond_error(conn, 503, "unavailable", NULL,
					 "troppi caricamenti in corso: riprovare tra poco",
					 "too many uploads at once: try again shortly");
	case 500:
		return api_respond_error(conn, 500, "internal", NULL, "errore interno",
					 "internal error");
	default:
		return api_upload_refuse(api, conn, status);
	}
}

static enum MHD_Result stored(struct MHD_Connection *conn, const struct media_info *m)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "sha256", m->sha256, "name",
			      m->name, "type", m->type, "kind", policy_media_kind_name(m->kind),
			      "size", (json_int_t)m->size, "gps_removed", m->stripped);

	return api_respond(conn, 201, o, NULL, NULL);
}

enum MHD_Result api_media_finish(struct api *api, struct MHD_Connection *conn,
				 struct api_upload *u)
{
	struct media_refusal why;
	struct media_info info;
	struct policy_result *res = NULL;
	const char *name = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
	void *map = MAP_FAILED;
	enum MHD_Result ret;
	int rc;

	if (!u)
		return refuse(api, conn, 500);
	if (u->status)
		return refuse(api, conn, u->status);
	if (u->len == 0)
		return api_respond_error(conn, 400, "empty", NULL,
					 "corpo vuoto: inviare i byte del file",
					 "empty body: send the file's bytes");
	memset(&why, 0, sizeof(why));
	res = malloc(sizeof(*res));
	map = mmap(NULL, (size_t)u->len, PROT_READ, MAP_PRIVATE, u->fd, 0);
	if (!res || map == MAP_FAILED) {
		free(res);
		if (map != MAP_FAILED)
			munmap(map, (size_t)u->len);
		return refuse(api, conn, 500);
	}
	rc = media_intake(api->rules.data_dir, api->rules.policy, map, (size_t)u->len,
			  name ? name : "", &info, res, &why);
	munmap(map, (size_t)u->len);
	if (rc == 0) {
		log_info("api-media-stored", "sha256=%.12s size=%lld kind=%s", info.sha256,
			 (long long)info.size, policy_media_kind_name(info.kind));
		ret = stored(conn, &info);
	} else if (rc == BANDITORE_EPERM) {
		json_t *o = api_render_error("policy", NULL,
					     "la policy del comune non accetta questo allegato: vedere i verdetti",
					     "the comune's policy does not accept this attachment: see the verdicts");
		if (o)
			json_object_set_new(o, "verdicts", messages_verdicts_json(res));
		ret = api_respond(conn, 422, o, NULL, NULL);
	} else if (rc == BANDITORE_EINVAL || rc == BANDITORE_ETOOBIG) {
		ret = api_respond_error(conn, 422, "attachment", NULL, why.message, why.message_en);
	} else {
		log_error("api-media-failed", "step=intake error=\"%s\"", banditore_strerror(rc));
		ret = refuse(api, conn, 500);
	}
	free(res);
	return ret;
}

void api_media_free(struct api_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd); /* unnamed: the bytes go with it */
	if (u->counted)
		atomic_fetch_sub(&uploads, 1);
	free(u);
}
