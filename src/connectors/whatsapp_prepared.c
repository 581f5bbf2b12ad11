/*
 * whatsapp_prepared.c - a broadcast's template message, built once and cut around the
 * recipient, so that each send costs two copies and the digits instead of a JSON build.
 *
 * The body is made by whatsapp_build_template() itself for a placeholder recipient; the
 * recipient is the third member of the object ("to", after messaging_product and
 * recipient_type), so its first occurrence is the one to cut at, whatever the
 * parameters contain. The result is therefore exactly what the builder gives.
 */
#include "connectors/whatsapp.h"
#include "common/e164.h"
#include "common/err.h"

#include <stdlib.h>
#include <string.h>

#define PLACEHOLDER "+999999999999999"
#define PLACEHOLDER_MEMBER "\"to\":\"999999999999999\""

struct whatsapp_prepared {
	char *body;       /* owned: the whole body for the placeholder */
	size_t head_len;  /* bytes up to and including "to":" */
	size_t tail_off;  /* where the closing quote of the recipient starts */
	size_t len;
};

int whatsapp_prepare_template(const char *template_name, const char *language,
			      const char *const *body_params, int n_params, const char *biz_opaque,
			      struct whatsapp_prepared **out)
{
	return whatsapp_prepare_template_header(template_name, language, NULL, body_params,
						n_params, biz_opaque, out);
}

int whatsapp_prepare_template_header(const char *template_name, const char *language,
				     const struct whatsapp_header *header,
				     const char *const *body_params, int n_params,
				     const char *biz_opaque, struct whatsapp_prepared **out)
{
	struct whatsapp_prepared *p;
	const char *at;
	int rc;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return BANDITORE_ENOMEM;
	rc = whatsapp_build_template_header(PLACEHOLDER, template_name, language, header, body_params,
					    n_params, biz_opaque, &p->body);
	if (rc)
		goto fail;
	at = strstr(p->body, PLACEHOLDER_MEMBER);
	if (!at) { /* cannot happen with the builder above */
		rc = BANDITORE_EINVAL;
		goto fail;
	}
	p->len = strlen(p->body);
	p->head_len = (size_t)(at - p->body) + strlen("\"to\":\"");
	p->tail_off = (size_t)(at - p->body) + strlen(PLACEHOLDER_MEMBER) - 1;
	*out = p;
	return 0;
fail:
	whatsapp_prepared_free(p);
	return rc;
}

int whatsapp_prepared_body(const struct whatsapp_prepared *p, const char *to, struct buf *out)
{
	char e164[E164_MAX];
	int rc;

	if (!to || e164_normalize(to, e164) != 0)
		return BANDITORE_EINVAL;
	rc = buf_append(out, p->body, p->head_len);
	if (!rc)
		rc = buf_appends(out, e164 + 1); /* WhatsApp's wa_id: the digits */
	if (!rc)
		rc = buf_append(out, p->body + p->tail_off, p->len - p->tail_off);
	return rc;
}

void whatsapp_prepared_free(struct whatsapp_prepared *p)
{
	if (!p)
		return;
	free(p->body);
	free(p);
}
