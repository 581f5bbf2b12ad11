/*
 * connector_ops.c - the ops table: each platform's capabilities and the rendering of a
 * composed message into what that platform shows (see "the ops table" in connector.h).
 *
 * Rendering is pure and is what the lanes send and the console previews, so there is
 * exactly one place that decides how a message looks on each platform.
 */
#include "connectors/connector.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/platform.h"
#include "common/utf8.h"
#include "config/config.h"
#include "connectors/email.h"
#include "connectors/sms.h"
#include "connectors/telegram.h"
#include "connectors/webpush.h"
#include "connectors/whatsapp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WA_BODY_CHARS_MAX 1024   /* Meta's limit on a template body (broadcast_message.h) */
#define SUBJECT_CHARS 78         /* RFC 5322's recommended line length, for the subject */
#define PUSH_TITLE_BYTES 200     /* webpush_build_payload accepts up to 256 */
#define EMERGENCY_PREFIX "EMERGENZA - "
#define ELLIPSIS "\xe2\x80\xa6"  /* … */

static const struct connector_caps whatsapp_caps = {
	.platform = "whatsapp",
	.text_max = WA_BODY_CHARS_MAX,
	.media_types = CONNECTOR_MEDIA_IMAGE | CONNECTOR_MEDIA_DOCUMENT | CONNECTOR_MEDIA_AUDIO |
		       CONNECTOR_MEDIA_VIDEO,
	.messages_per_second = 80,
	.holds_addresses = 1,
};

static int has(const char *s)
{
	return s && *s;
}

/* Code points of valid UTF-8 `s`, or -1 when it is not valid UTF-8. */
static long chars_of(const char *s)
{
	return utf8_chars(s, UTF8_NO_LIMIT);
}

/* Bytes of the longest prefix of `s` of at most `max` bytes ending on a character. */
static size_t prefix_within(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && (s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* Appends `s` cut to `chars` code points (then blanks dropped and "…" added) when it has
 * more than that; *cut set to 1 then. `chars` >= 1. */
static int append_cut(struct buf *out, const char *s, long chars, int *cut)
{
	long have = chars_of(s);
	size_t n;
	int rc;

	if (have < 0)
		return BANDITORE_EINVAL;
	if (have <= chars)
		return buf_appends(out, s);
	n = utf8_prefix_bytes(s, chars - 1);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]))
		n--;
	rc = buf_append(out, s, n);
	if (!rc)
		rc = buf_appends(out, ELLIPSIS);
	*cut = 1;
	return rc;
}

static void info_reset(struct connector_rendered *info)
{
	memset(info, 0, sizeof(*info));
	info->parts = 1;
}

/* The link shown: the message's own, else (when the attachment cannot go with it) the
 * permalink, where the attachment is. */
static const char *shown_link(const struct connector_message *m, int drops_media)
{
	if (has(m->link))
		return m->link;
	if (drops_media && m->media_kind && has(m->permalink))
		return m->permalink;
	return NULL;
}

/* --- WhatsApp: the template's body parameters --- */

static const char *wa_field(const struct connector_message *m, int param)
{
	switch (param) {
	case CONFIG_PARAM_TITLE: return m->title ? m->title : "";
	case CONFIG_PARAM_LINK: return m->link ? m->link : "";
	default: return m->text ? m->text : "";
	}
}

static int render_whatsapp(const struct connector_message *m, struct buf *out,
			   struct connector_rendered *info)
{
	static const int text_only[1] = { CONFIG_PARAM_TEXT };
	const int *params = text_only;
	int n = 1, rc = 0;
	long total = 0;

	if (m->cfg && m->cfg->wa_n_template_params > 0) {
		params = m->cfg->wa_template_params;
		n = m->cfg->wa_n_template_params;
		if (n > CONFIG_TEMPLATE_PARAMS_MAX)
			n = CONFIG_TEMPLATE_PARAMS_MAX;
	}
	for (int i = 0; i < n && !rc; i++) {
		char *v = whatsapp_param_normalise(wa_field(m, params[i]));
		long c;

		if (!v)
			return BANDITORE_ENOMEM;
		c = chars_of(v);
		if (c <= 0 || (total += c) > WA_BODY_CHARS_MAX)
			rc = BANDITORE_EINVAL; /* empty, not UTF-8 or too long: not sent at all */
		if (!rc && i > 0)
			rc = buf_appends(out, "\n");
		if (!rc)
			rc = buf_appends(out, v);
		free(v);
	}
	if (!rc)
		info->chars = (size_t)total;
	return rc;
}

/* --- Telegram: HTML, cut to 4,096 visible characters --- */

static int render_telegram(const struct connector_message *m, struct buf *out,
			   struct connector_rendered *info)
{
	const char *link = shown_link(m, 1);
	const char *text = m->text ? m->text : "";
	long fixed = 0, c, room;
	struct buf cut;
	char *html = NULL;
	int rc;

	info->media_dropped = m->media_kind != 0;
	if (has(m->title)) {
		if ((c = chars_of(m->title)) < 0)
			return BANDITORE_EINVAL;
		fixed += c + (*text ? 2 : 0);
	}
	if (link) {
		if ((c = chars_of(link)) < 0)
			return BANDITORE_EINVAL;
		fixed += c + 2;
	}
	room = TELEGRAM_TEXT_MAX - fixed;
	if (*text && room < 16)
		return BANDITORE_EINVAL; /* a title or link that leaves no room for the text */
	buf_init(&cut, CONNECTOR_RENDER_MAX);
	rc = *text ? append_cut(&cut, text, room, &info->cut) : 0;
	if (!rc)
		rc = telegram_render(m->title, buf_cstr(&cut), link, &html);
	if (!rc) {
		c = chars_of(buf_cstr(&cut));
		info->chars = (size_t)(fixed + (c > 0 ? c : 0));
		rc = buf_appends(out, html);
	}
	free(html);
	buf_free(&cut);
	return rc;
}

/* --- e-mail: the subject and the plain-text part --- */

/* The subject: the title, else the text's first line; blanks folded; cut to 78. */
static int email_subject(const struct connector_message *m, char *out, size_t cap, int *cut)
{
	const char *src = has(m->title) ? m->title : (m->text ? m->text : "");
	struct buf b;
	size_t n = 0;
	int rc = 0;

	buf_init(&b, CONNECTOR_TITLE_MAX * 4);
	if (m->emergency)
		rc = buf_appends(&b, EMERGENCY_PREFIX);
	/* The first line only, its blanks as single spaces. */
	while (src[n] == ' ' || src[n] == '\t')
		n++;
	src += n;
	n = strcspn(src, "\r\n");
	if (!rc) {
		char *line = malloc(n + 1);
		if (!line) {
			rc = BANDITORE_ENOMEM;
		} else {
			memcpy(line, src, n);
			line[n] = '\0';
			for (size_t i = 0; i < n; i++)
				if (line[i] == '\t')
					line[i] = ' ';
			rc = append_cut(&b, line, SUBJECT_CHARS, cut);
			free(line);
		}
	}
	if (!rc && b.len == 0)
		rc = BANDITORE_EINVAL;
	if (!rc) {
		size_t k = prefix_within(buf_cstr(&b), cap - 1);
		memcpy(out, buf_cstr(&b), k);
		out[k] = '\0';
	}
	buf_free(&b);
	return rc;
}

static int render_email(const struct connector_message *m, struct buf *out,
			struct connector_rendered *info)
{
	const char *link = shown_link(m, 1);
	const char *text = m->text ? m->text : "";
	int subject_cut = 0, rc;
	long c;

	info->media_dropped = m->media_kind != 0;
	rc = email_subject(m, info->title, sizeof(info->title), &subject_cut);
	if (rc)
		return rc;
	if (chars_of(text) < 0 || (link && (chars_of(link) < 0 || strpbrk(link, " \t\r\n"))))
		return BANDITORE_EINVAL;
	if (strlen(text) + (link ? strlen(link) + 2 : 0) > EMAIL_TEXT_MAX)
		return BANDITORE_EINVAL;
	rc = buf_appends(out, *text ? text : info->title);
	if (!rc && link)
		rc = buf_appendf(out, "\n\n%s", link);
	if (!rc) {
		c = chars_of(buf_cstr(out));
		info->chars = c > 0 ? (size_t)c : 0;
	}
	return rc;
}

/* --- web push: the notification's title and body --- */

static int render_webpush(const struct connector_message *m, struct buf *out,
			  struct connector_rendered *info)
{
	const char *heading = has(m->title) ? m->title
			      : (m->cfg && has(m->cfg->channel_name) ? m->cfg->channel_name
								     : "Comune");
	const char *text = m->text ? m->text : "";
	char title[CONNECTOR_TITLE_MAX];
	size_t k;
	long c;
	int rc;

	info->media_dropped = m->media_kind != 0;
	if (chars_of(heading) < 0)
		return BANDITORE_EINVAL;
	snprintf(title, sizeof(title), "%s%s", m->emergency ? EMERGENCY_PREFIX : "", heading);
	k = prefix_within(title, PUSH_TITLE_BYTES);
	title[k] = '\0';
	memcpy(info->title, title, k + 1);
	if (!*text && !has(m->title))
		return BANDITORE_EINVAL;
	rc = append_cut(out, text, WEBPUSH_TEXT_MAX, &info->cut);
	if (!rc) {
		c = chars_of(buf_cstr(out));
		info->chars = c > 0 ? (size_t)c : 0;
	}
	return rc;
}

/* --- SMS: one text, fitted to the configured segments --- */

static int render_sms(const struct connector_message *m, struct buf *out,
		      struct connector_rendered *info)
{
	int mode = m->cfg ? m->cfg->sms_long_text : SMS_LONG_SPLIT;
	int segments = m->cfg && m->cfg->sms_max_segments > 0 ? m->cfg->sms_max_segments : 3;
	const char *more = has(m->permalink) ? m->permalink : m->link;
	struct sms_count count;
	struct buf whole;
	char *fitted = NULL;
	int rc = 0;

	info->media_dropped = m->media_kind != 0;
	buf_init(&whole, CONNECTOR_RENDER_MAX);
	if (has(m->title))
		rc = buf_appends(&whole, m->title);
	if (!rc && has(m->text))
		rc = buf_appendf(&whole, "%s%s", whole.len ? "\n" : "", m->text);
	if (!rc && has(m->link))
		rc = buf_appendf(&whole, "%s%s", whole.len ? "\n" : "", m->link);
	else if (!rc && m->media_kind && has(m->permalink))
		rc = buf_appendf(&whole, "%s%s", whole.len ? "\n" : "", m->permalink);
	if (!rc && whole.len == 0)
		rc = BANDITORE_EINVAL;
	if (!rc)
		rc = sms_text_fit(buf_cstr(&whole), mode, segments, more, &fitted, &count,
				  &info->cut);
	if (!rc) {
		info->parts = count.segments;
		info->encoding = count.encoding;
		info->chars = count.units;
		rc = buf_appends(out, fitted);
	}
	free(fitted);
	buf_free(&whole);
	return rc;
}

/* Every render starts from empty results, and leaves `out` as it found it on failure. */
#define WRAP(name)                                                                        \
	static int name##_entry(const struct connector_message *m, struct buf *out,      \
				struct connector_rendered *info)                        \
	{                                                                                 \
		struct connector_rendered local;                                          \
		size_t before = out->len;                                                 \
		int rc;                                                                   \
		if (!info)                                                                \
			info = &local;                                                    \
		info_reset(info);                                                         \
		rc = name(m, out, info);                                                  \
		if (rc) {                                                                 \
			out->len = before;                                                \
			if (out->data)                                                    \
				out->data[before] = '\0';                                 \
			info_reset(info);                                                 \
		}                                                                         \
		return rc;                                                                \
	}
WRAP(render_whatsapp)
WRAP(render_telegram)
WRAP(render_email)
WRAP(render_webpush)
WRAP(render_sms)

static struct connector_ops ops_table[PLATFORM_MAX + 1];
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;

/* The table is filled from functions (the connectors' caps), once for the process. */
static void ops_init(void)
{
	ops_table[PLATFORM_WHATSAPP] = (struct connector_ops){ PLATFORM_WHATSAPP, &whatsapp_caps,
								render_whatsapp_entry };
	ops_table[PLATFORM_TELEGRAM] = (struct connector_ops){
		PLATFORM_TELEGRAM, telegram_caps(TELEGRAM_MODE_BOT), render_telegram_entry };
	ops_table[PLATFORM_EMAIL] = (struct connector_ops){ PLATFORM_EMAIL, email_caps(),
							     render_email_entry };
	ops_table[PLATFORM_WEBPUSH] = (struct connector_ops){ PLATFORM_WEBPUSH, webpush_caps(),
							       render_webpush_entry };
	ops_table[PLATFORM_SMS] = (struct connector_ops){ PLATFORM_SMS, sms_caps(),
							   render_sms_entry };
}

const struct connector_ops *connector_ops_for(int platform)
{
	pthread_once(&ops_once, ops_init);
	if (platform < 1 || platform > PLATFORM_MAX)
		return NULL;
	return &ops_table[platform];
}

static int media_kind_of(const char *mime)
{
	if (!has(mime))
		return 0;
	if (!strncmp(mime, "image/", 6))
		return CONNECTOR_MEDIA_IMAGE;
	if (!strncmp(mime, "video/", 6))
		return CONNECTOR_MEDIA_VIDEO;
	if (!strncmp(mime, "audio/", 6))
		return CONNECTOR_MEDIA_AUDIO;
	return CONNECTOR_MEDIA_DOCUMENT;
}

void connector_message_init(struct connector_message *cm, int64_t id, const char *title,
			    const char *text, const char *link, const char *category,
			    int emergency, const char *media_type, const struct config *cfg,
			    char *permalink_buf, size_t permalink_cap)
{
	memset(cm, 0, sizeof(*cm));
	cm->id = id;
	cm->title = title;
	cm->text = text;
	cm->link = link;
	cm->category = category;
	cm->emergency = emergency;
	cm->media_kind = media_kind_of(media_type);
	cm->cfg = cfg;
	if (permalink_buf && permalink_cap > 0) {
		permalink_buf[0] = '\0';
		if (cfg && has(cfg->public_url) && id > 0) {
			size_t n = strlen(cfg->public_url);
			while (n > 0 && cfg->public_url[n - 1] == '/')
				n--;
			if ((size_t)snprintf(permalink_buf, permalink_cap, "%.*s/archivio/%lld",
					     (int)n, cfg->public_url, (long long)id) < permalink_cap)
				cm->permalink = permalink_buf;
			else
				permalink_buf[0] = '\0';
		}
	}
}
