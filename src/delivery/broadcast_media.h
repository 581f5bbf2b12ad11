/*
 * broadcast_media.h - a broadcast's attachment: uploaded once, its id reused.
 *
 * A message with an attachment goes out as the channel's template with a header
 * component naming the media by the id WhatsApp gave at upload (POST .../media). The
 * upload happens once per message, before its first send: the id is then stored with the
 * message through the writer, so every send of the broadcast, and every send after a
 * restart, reuses it (no second upload). The upload blocks the broadcast thread for its
 * duration (at most the upload time-out): an emergency approved meanwhile waits for it.
 *
 * Audio is never a template header (WhatsApp allows image, video and document only):
 * composition refuses it (messages_compose), and a message that carries one anyway is
 * refused here.
 */
#ifndef BANDITORE_BROADCAST_MEDIA_H
#define BANDITORE_BROADCAST_MEDIA_H

#include "connectors/whatsapp.h"
#include "delivery/broadcast.h"
#include "delivery/broadcast_message.h"

/* Makes sure message `m`'s attachment (if any) has a media id, into media_id ("" when
 * it has no attachment): the stored one, or a new upload stored through bs->writer.
 * 0; BANDITORE_EINVAL with *why when the attachment cannot go in a template header (or
 * its file is missing): the message must be refused; BANDITORE_ETEMP when the upload
 * should be tried again later; BANDITORE_EPERM when the platform refused it (a person
 * must look: token, permissions, file). */
int broadcast_media_ready(const struct broadcast_settings *bs, const struct store_message *m,
			  char media_id[WHATSAPP_MEDIA_ID_MAX], struct broadcast_problem *why);

/* The template header for `m` with `media_id` into *h (pointing into m and media_id). */
void broadcast_media_header(const struct store_message *m, const char *media_id,
			    struct whatsapp_header *h);

#endif
