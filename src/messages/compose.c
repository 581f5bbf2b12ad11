/*
 * compose.c - the checks every message passes before it is stored, whichever way it
 * came (command line or API), each refusal naming the field and saying why.
 */
#include "messages/messages.h"

#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

void messages_rules_from_config(const struct config *cfg, struct messages_rules *out)
{
	/* The categories are the policy's ([category ID] sections): its verdicts say when
	 * one is unknown. The tier is the number's messaging limit. */
	memset(out, 0, sizeof(*out));
	out->policy = cfg ? cfg->policy : NULL;
	out->data_dir = cfg ? cfg->data_dir : NULL;
	out->tier_limit = cfg ? cfg->wa_messaging_limit : 0;
	out->channel_posts = cfg ? cfg->wa_channel_manual : 0;
	out->platforms = cfg ? cfg->platforms : 0;
}

/* Fills *err for `field` and returns BANDITORE_EINVAL. */
static int refuse(struct messages_error *err, const char *field, const char *it, const char *en, ...)
	__attribute__((format(printf, 3, 5)));

static int refuse(struct messages_error *err, const char *field, const char *it, const char *en, ...)
{
	va_list ap;

	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, en);
	vsnprintf(err->message, sizeof(err->message), it, ap);
	va_end(ap);
	va_start(ap, en);
	vsnprintf(err->message_en, sizeof(err->message_en), en, ap);
	va_end(ap);
	return BANDITORE_EINVAL;
}

/* What a text may contain: valid UTF-8 without control characters (with `lines`, new
 * lines and tabs are allowed). 0, or -1 for bad UTF-8, -2 for a control character. */
static int check_utf8(const char *s, size_t len, int lines)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t off = 0;

	while (off < len) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p + off, (utf8proc_ssize_t)(len - off), &cp);
		if (n <= 0 || cp < 0)
			return -1;
		if ((cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) &&
		    !(lines && (cp == '\n' || cp == '\t' || cp == '\r')))
			return -2;
		off += (size_t)n;
	}
	return 0;
}

static int only_space(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r')
			return 0;
	return 1;
}

static int check_title(const char *title, struct messages_error *err)
{
	size_t len = strlen(title);
	int rc;

	if (len > STORE_TITLE_MAX)
		return refuse(err, "title", "il titolo è lungo %zu byte, il massimo è %d",
			      "the title is %zu bytes long, at most %d are allowed", len, STORE_TITLE_MAX);
	rc = check_utf8(title, len, 0);
	if (rc == -1)
		return refuse(err, "title", "il titolo non è testo UTF-8 valido",
			      "the title is not valid UTF-8 text");
	if (rc)
		return refuse(err, "title", "il titolo deve stare su una riga, senza caratteri di controllo",
			      "the title must be one line, without control characters");
	return 0;
}

static int check_text(const char *text, struct messages_error *err)
{
	size_t len;
	int rc;

	if (!text)
		return refuse(err, "text", "manca il testo del messaggio", "the message text is missing");
	len = strlen(text);
	if (len == 0 || only_space(text))
		return refuse(err, "text", "il testo del messaggio è vuoto", "the message text is empty");
	if (len > STORE_TEXT_MAX)
		return refuse(err, "text", "il testo è lungo %zu byte, il massimo è %d",
			      "the text is %zu bytes long, at most %d are allowed", len, STORE_TEXT_MAX);
	rc = check_utf8(text, len, 1);
	if (rc == -1)
		return refuse(err, "text", "il testo non è UTF-8 valido", "the text is not valid UTF-8");
	if (rc)
		return refuse(err, "text", "il testo contiene caratteri di controllo",
			      "the text contains control characters");
	return 0;
}

static int check_category(const char *cat, const struct messages_rules *rules,
			  struct messages_error *err)
{
	size_t len;

	if (!cat || !*cat)
		return refuse(err, "category", "manca la categoria del messaggio",
			      "the message category is missing");
	len = strlen(cat);
	if (len > STORE_CATEGORY_MAX)
		return refuse(err, "category", "la categoria è lunga %zu caratteri, il massimo è %d",
			      "the category is %zu characters long, at most %d are allowed", len,
			      STORE_CATEGORY_MAX);
	for (const char *p = cat; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return refuse(err, "category",
				      "la categoria può contenere solo lettere minuscole, cifre e trattini",
				      "the category may hold only lower-case letters, digits and hyphens");
	if (rules && rules->policy && rules->policy->n_categories > 0)
		return 0; /* the policy's verdict category.unknown names the configured ones */
	if (rules && rules->n_categories > 0) {
		for (int i = 0; i < rules->n_categories; i++)
			if (!strcmp(rules->categories[i], cat))
				return 0;
		return refuse(err, "category", "la categoria '%s' non è tra quelle configurate",
			      "the category '%s' is not one of those configured", cat);
	}
	return 0;
}

static int check_link(const char *link, struct messages_error *err)
{
	size_t len = strlen(link), skip;

	if (len > STORE_LINK_MAX)
		return refuse(err, "link", "il collegamento è lungo %zu caratteri, il massimo è %d",
			      "the link is %zu characters long, at most %d are allowed", len, STORE_LINK_MAX);
	if (!strncasecmp(link, "https://", 8))
		skip = 8;
	else if (!strncasecmp(link, "http://", 7))
		skip = 7;
	else
		return refuse(err, "link", "il collegamento deve iniziare con https:// o http://",
			      "the link must start with https:// or http://");
	if (!link[skip] || strchr("/?#:@", link[skip]))
		return refuse(err, "link", "al collegamento manca il nome del sito",
			      "the link has no host name");
	/* Printable ASCII only, without the characters RFC 3986 never allows: other
	 * characters must be percent-encoded. */
	for (const char *p = link; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"<>\\^`{|}", *p))
			return refuse(err, "link",
				      "il collegamento contiene spazi o caratteri non ammessi in un indirizzo web",
				      "the link contains spaces or characters not allowed in a web address");
	return 0;
}

static int check_time(const char *field, const char *s, int64_t *out, struct messages_error *err)
{
	if (messages_time_parse(s, out) != 0)
		return refuse(err, field,
			      "'%.40s' non è una data e ora RFC 3339 con fuso orario, per esempio 2026-12-01T09:00:00+01:00",
			      "'%.40s' is not an RFC 3339 date and time with an offset, for example 2026-12-01T09:00:00+01:00",
			      s);
	return 0;
}

static int check_times(const struct messages_input *in, int64_t now, struct store_message *m,
		       struct messages_error *err)
{
	int64_t start;

	if (in->scheduled_at) {
		if (check_time("scheduled_at", in->scheduled_at, &m->scheduled_at, err))
			return BANDITORE_EINVAL;
		if (m->scheduled_at < now - MESSAGES_PAST_TOLERANCE)
			return refuse(err, "scheduled_at", "l'orario di invio è già passato",
				      "the scheduled time is in the past");
	}
	if (in->expires_at) {
		if (check_time("expires_at", in->expires_at, &m->expires_at, err))
			return BANDITORE_EINVAL;
		start = m->scheduled_at > now ? m->scheduled_at : now;
		if (m->expires_at <= start && m->scheduled_at > now)
			return refuse(err, "expires_at", "la scadenza deve essere dopo l'orario di invio",
				      "the expiry must be after the scheduled time");
		if (m->expires_at <= start)
			return refuse(err, "expires_at", "la scadenza è già passata",
				      "the expiry is in the past");
	}
	return 0;
}

/* A stored attachment as a broadcast can carry it: the channel's template takes an image,
 * a video or a document in its header, never audio (WhatsApp allows no audio header). */
static int check_attachment(const struct media_info *a, struct messages_error *err)
{
	if (a->kind == POLICY_MEDIA_AUDIO)
		return refuse(err, "attachment",
			      "un audio non può accompagnare un messaggio a tutti gli iscritti: i modelli "
			      "WhatsApp accettano in testa solo immagini, video o documenti",
			      "audio cannot go with a message to every subscriber: WhatsApp templates take "
			      "only an image, a video or a document as their header");
	if (a->kind == POLICY_MEDIA_NONE || strlen(a->sha256) != 64)
		return refuse(err, "attachment", "allegato di un tipo che WhatsApp non accetta (%.60s)",
			      "attachment of a type WhatsApp does not take (%.60s)", a->type);
	return 0;
}

static int check_fields(const struct messages_input *in, const struct messages_rules *rules,
			int64_t now, struct store_message *m, struct messages_error *err)
{
	if (in->attachment && check_attachment(in->attachment, err))
		return BANDITORE_EINVAL;
	if (in->has_attachment && !in->attachment)
		return refuse(err, "attachment", "allegato non trovato: caricarlo prima (POST /api/v1/media)",
			      "attachment not found: upload it first (POST /api/v1/media)");
	if (in->title && check_title(in->title, err))
		return BANDITORE_EINVAL;
	if (check_text(in->text, err) || check_category(in->category, rules, err))
		return BANDITORE_EINVAL;
	if (in->link && *in->link && check_link(in->link, err))
		return BANDITORE_EINVAL;
	if (!in->priority || !strcmp(in->priority, "normal"))
		m->priority = STORE_PRIORITY_NORMAL;
	else if (!strcmp(in->priority, "emergency"))
		m->priority = STORE_PRIORITY_EMERGENCY;
	else
		return refuse(err, "priority", "la priorità deve essere \"normal\" o \"emergency\"",
			      "the priority must be \"normal\" or \"emergency\"");
	return check_times(in, now, m, err);
}

int messages_compose(const struct messages_input *in, const struct messages_rules *rules,
		     int64_t now, struct store_message *out, struct messages_error *err)
{
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (check_fields(in, rules, now, out, err)) {
		memset(out, 0, sizeof(*out));
		return BANDITORE_EINVAL;
	}
	/* Lengths were checked above, so these copies are never cut. */
	snprintf(out->title, sizeof(out->title), "%s", in->title ? in->title : "");
	snprintf(out->category, sizeof(out->category), "%s", in->category);
	snprintf(out->link, sizeof(out->link), "%s", in->link ? in->link : "");
	out->text = strdup(in->text);
	if (!out->text) {
		memset(out, 0, sizeof(*out));
		return BANDITORE_ENOMEM;
	}
	if (in->attachment) {
		const struct media_info *a = in->attachment;
		snprintf(out->media_sha256, sizeof(out->media_sha256), "%s", a->sha256);
		snprintf(out->media_type, sizeof(out->media_type), "%s", a->type);
		snprintf(out->media_name, sizeof(out->media_name), "%s", a->name);
		out->media_size = a->size;
	}
	out->state = STORE_MSG_DRAFT;
	return 0;
}
