/*
 * broadcast_message.h - how a message becomes the channel's template, and whether it fits.
 *
 * A broadcast reaches people outside the 24-hour window, so it is sent as the template
 * Meta approved for the channel ([whatsapp] template_name, template_language), whose
 * body parameters are filled, in the order of [whatsapp] template_params, from the
 * message's title, text or link. WhatsApp refuses parameters with new lines, tabs or
 * more than four spaces in a row, so these become one space (a paragraph break reads as
 * a space). The body of a template holds at most BROADCAST_BODY_CHARS_MAX characters in
 * all, so longer parameters are refused here, with a reason staff can act on, instead of
 * by Meta (132005) for every recipient.
 *
 * The API and the CLI call broadcast_check_message() before accepting or approving a
 * message; the sender calls broadcast_params() when it starts one.
 */
#ifndef BANDITORE_BROADCAST_MESSAGE_H
#define BANDITORE_BROADCAST_MESSAGE_H

#include "config/config.h"
#include "store/store.h"

#define BROADCAST_BODY_CHARS_MAX 1024 /* Meta's limit on a template body */

/* Why a message cannot go out: the field at fault ("title", "text", "link") and the
 * reason in Italian and English, ready for the API's error body or the CLI. */
struct broadcast_problem {
	char field[16];
	char message[320];
	char message_en[320];
};

/* 0 when `m` (title, text, link) fills the channel's template; BANDITORE_EINVAL with
 * *why filled in when not. `why` may be NULL. */
int broadcast_check_message(const struct config *cfg, const struct store_message *m,
			    struct broadcast_problem *why);

/* The template's body parameters for `m`, normalised: params[i] (i < *n) are allocated
 * strings the caller releases with broadcast_params_free. Fails as
 * broadcast_check_message (or BANDITORE_ENOMEM). */
int broadcast_params(const struct config *cfg, const struct store_message *m,
		     char *params[CONFIG_TEMPLATE_PARAMS_MAX], int *n,
		     struct broadcast_problem *why);
void broadcast_params_free(char *params[CONFIG_TEMPLATE_PARAMS_MAX], int n);

/* biz_opaque_callback_data of message `id`: "m=<id>", into out[32]. */
void broadcast_opaque(int64_t id, char out[32]);
/* The message id in a biz_opaque_callback_data, or 0 when it is not "m=<digits>". */
int64_t broadcast_opaque_id(const char *opaque);

#endif
