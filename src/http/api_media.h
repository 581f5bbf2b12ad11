/*
 * api_media.h - POST /api/v1/media, the one API request whose body is streamed: the
 * server (server.c) calls begin at the request's first call, chunk for each piece of the
 * body, finish to answer, and free when the connection is done with it.
 */
#ifndef BANDITORE_API_MEDIA_H
#define BANDITORE_API_MEDIA_H

#include <stddef.h>

#include <microhttpd.h>

#include "http/api.h"

#define API_MEDIA_PATH "/api/v1/media"

struct api_upload;

/* Authorises the upload on its headers (a bearer token allowed to propose) and opens an
 * unnamed file for it. *out is always set when 0 is returned; a refusal (401, 403, 413,
 * 503) is kept in it and answered by api_media_finish, the body being dropped meanwhile.
 * BANDITORE_ENOMEM when even that cannot be made. */
int api_media_begin(struct api *api, struct MHD_Connection *conn, struct api_upload **out);

/* 1 when the upload was refused on its headers (answer at once with api_media_finish). */
int api_media_refused(const struct api_upload *u);

/* Appends a piece of the body (dropped once the upload is refused or too large). */
void api_media_chunk(struct api_upload *u, const char *data, size_t len);

/* Checks and stores the file (media_intake) and answers: 201 with {sha256, name, type,
 * kind, size, gps_removed}, 400 empty, 413 too large, 422 refused (the policy's
 * verdicts, or the reason), or the refusal found at the start. */
enum MHD_Result api_media_finish(struct api *api, struct MHD_Connection *conn,
				 struct api_upload *u);

void api_media_free(struct api_upload *u); /* accepts NULL */

#endif
