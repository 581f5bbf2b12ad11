/* broadcast_message.c - a message's template parameters and their limits; see the header. */
#include "delivery/broadcast_message.h"

#include "common/err.h"
#include "common/utf8.h"
#include "connectors/whatsapp.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void problem(struct broadcast_problem *why, const char *field, const char *it,
		    const char *en)
{
	if (!why)
		return;
	snprintf(why->field, sizeof(why->field), "%s", field);
	snprintf(why->message, sizeof(why->message), "%s", it);
	snprintf(why->message_en, sizeof(why->message_en), "%s", en);
}

static const char *field_name(int param)
{
	switch (param) {
	case CONFIG_PARAM_TITLE: return "title";
	case CONFIG_PARAM_LINK: return "link";
	default: return "text";
	}
}

static const char *field_value(const struct store_message *m, int param)
{
	switch (param) {
	case CONFIG_PARAM_TITLE: return m->title;
	case CONFIG_PARAM_LINK: return m->link;
	default: return m->text ? m->text : "";
	}
}

void broadcast_params_free(char *params[CONFIG_TEMPLATE_PARAMS_MAX], int n)
{
	for (int i = 0; i < n && i < CONFIG_TEMPLATE_PARAMS_MAX; i++) {
		free(params[i]);
		params[i] = NULL;
	}
}

int broadcast_params(const struct config *cfg, const struct store_message *m,
		     char *params[CONFIG_TEMPLATE_PARAMS_MAX], int *n,
		     struct broadcast_problem *why)
{
	char it[320], en[320];
	long total = 0;
	int rc = 0;

	*n = 0;
	for (int i = 0; i < cfg->wa_n_template_params && i < CONFIG_TEMPLATE_PARAMS_MAX; i++) {
		int param = cfg->wa_template_params[i];
		const char *field = field_name(param);
		char *v = whatsapp_param_normalise(field_value(m, param));
		long chars;

		if (!v) {
			rc = BANDITORE_ENOMEM;
			goto fail;
		}
		params[(*n)++] = v;
		if (!*v) {
			snprintf(it, sizeof(it),
				 "Il modello '%s' del canale richiede il campo '%s' (parametro {{%d}}), che è vuoto.",
				 cfg->wa_template_name, field, i + 1);
			snprintf(en, sizeof(en),
				 "The channel's template '%s' needs the field '%s' (parameter {{%d}}), which is empty.",
				 cfg->wa_template_name, field, i + 1);
			problem(why, field, it, en);
			rc = BANDITORE_EINVAL;
			goto fail;
		}
		chars = utf8_chars(v, UTF8_NO_LIMIT);
		if (chars < 0) {
			problem(why, field, "Il testo contiene caratteri non validi (UTF-8).",
				"The text contains invalid characters (not UTF-8).");
			rc = BANDITORE_EINVAL;
			goto fail;
		}
		total += chars;
		if (total > BROADCAST_BODY_CHARS_MAX) {
			snprintf(it, sizeof(it),
				 "Testo troppo lungo per il modello WhatsApp '%s': %ld caratteri nei parametri, "
				 "al massimo %d. Accorciare '%s' (o mettere il resto in una pagina e usare il link).",
				 cfg->wa_template_name, total, BROADCAST_BODY_CHARS_MAX, field);
			snprintf(en, sizeof(en),
				 "Text too long for the WhatsApp template '%s': %ld characters in its parameters, "
				 "at most %d. Shorten '%s' (or put the rest on a page and use the link).",
				 cfg->wa_template_name, total, BROADCAST_BODY_CHARS_MAX, field);
			problem(why, field, it, en);
			rc = BANDITORE_EINVAL;
			goto fail;
		}
	}
	return 0;
fail:
	broadcast_params_free(params, *n);
	*n = 0;
	return rc;
}

int broadcast_check_message(const struct config *cfg, const struct store_message *m,
			    struct broadcast_problem *why)
{
	char *params[CONFIG_TEMPLATE_PARAMS_MAX] = { NULL };
	struct whatsapp_prepared *p = NULL;
	char opaque[32];
	int n = 0, rc;

	rc = broadcast_params(cfg, m, params, &n, why);
	if (rc)
		return rc;
	/* The connector's own checks, on the very body the sender will post. */
	broadcast_opaque(m->id > 0 ? m->id : 1, opaque);
	rc = whatsapp_prepare_template(cfg->wa_template_name, cfg->wa_template_language,
				       (const char *const *)params, n, opaque, &p);
	whatsapp_prepared_free(p);
	broadcast_params_free(params, n);
	if (rc == BANDITORE_EINVAL)
		problem(why, "text", "Il messaggio non può essere inviato con il modello WhatsApp del canale.",
			"The message cannot be sent with the channel's WhatsApp template.");
	return rc;
}

void broadcast_opaque(int64_t id, char out[32])
{
	snprintf(out, 32, "m=%" PRId64, id);
}

int64_t broadcast_opaque_id(const char *opaque)
{
	int64_t id = 0;
	const char *p;

	if (!opaque || opaque[0] != 'm' || opaque[1] != '=' || !opaque[2])
		return 0;
	for (p = opaque + 2; *p; p++) {
		if (*p < '0' || *p > '9' || id > (INT64_MAX - (*p - '0')) / 10)
			return 0;
		id = id * 10 + (*p - '0');
	}
	return id;
}
