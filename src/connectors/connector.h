/*
 * connector.h - the words every platform connector uses to say how a send went.
 *
 * A connector (WhatsApp, Telegram, e-mail, web push, SMS) turns one message for
 * one recipient into one request to a platform and reports the answer as a
 * struct connector_result. Delivery decides what to do from `outcome` alone:
 *
 *   CONNECTOR_OK     the platform accepted the message (message_id names it);
 *   CONNECTOR_RETRY  a temporary refusal: rate limits (HTTP 429, the platform's own
 *                    throughput codes), server errors (5xx), time-outs, connection
 *                    errors. Try again later, no sooner than retry_after seconds when
 *                    the platform asked for a wait;
 *   CONNECTOR_FAIL   a permanent refusal: the recipient cannot be reached, the message
 *                    is invalid, the credentials are wrong. Retrying would not help.
 *
 * The platform's own code is kept in error_code for statistics and for the operator.
 * `error` is a short English reason written by the connector itself, never copied from
 * the platform's answer and never containing the recipient's address, so it is safe to
 * log as it is.
 *
 * Return convention of the send functions of every connector: 0 when the outcome is
 * CONNECTOR_OK; otherwise the negative code connector_result_rc() gives for the
 * outcome (BANDITORE_ETEMP for RETRY, BANDITORE_EPERM for FAIL), or BANDITORE_EINVAL /
 * BANDITORE_ENOMEM for a message the connector could not even build (outcome FAIL or
 * RETRY respectively). The result is always filled in, whatever the return value.
 */
#ifndef BANDITORE_CONNECTOR_H
#define BANDITORE_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum connector_outcome {
	CONNECTOR_OK = 0,    /* accepted */
	CONNECTOR_RETRY = 1, /* temporary: try again later */
	CONNECTOR_FAIL = 2,  /* permanent: give up on this message for this recipient */
};

#define CONNECTOR_MESSAGE_ID_MAX 128
#define CONNECTOR_ERROR_MAX 256
/* The longest wait a platform may impose through retry_after (one day): a larger or
 * absurd value is clamped, so a broken header cannot park a message forever. */
#define CONNECTOR_RETRY_AFTER_MAX 86400

struct connector_result {
	int http_status;  /* the HTTP status of the answer, 0 when none arrived */
	int outcome;      /* enum connector_outcome */
	int error_code;   /* the platform's code (e.g. 130429, 131056, 131026), 0 when none */
	int retry_after;  /* seconds the provider asked to wait, 0 when none */
	char message_id[CONNECTOR_MESSAGE_ID_MAX]; /* the platform's id when OK, else "" */
	char error[CONNECTOR_ERROR_MAX];           /* short English reason, no personal data */
};

/* What a platform can carry and how fast, for the broadcast engine (pacing, splitting)
 * and the console's preview. Each connector exposes one (static storage). */
#define CONNECTOR_MEDIA_IMAGE (1 << 0)
#define CONNECTOR_MEDIA_DOCUMENT (1 << 1)
#define CONNECTOR_MEDIA_AUDIO (1 << 2)
#define CONNECTOR_MEDIA_VIDEO (1 << 3)

struct connector_caps {
	const char *platform;    /* "whatsapp", "telegram", ... (platform_name()) */
	size_t text_max;         /* characters of one message's text, as the platform counts */
	int media_types;         /* CONNECTOR_MEDIA_* the connector can send */
	int messages_per_second; /* the platform's sustained bulk rate (pacing is the caller's) */
	int holds_addresses;     /* 1: Banditore keeps one address per subscriber; 0: the
				  * platform holds the audience (a Telegram channel) */
};

/* Empties `res` (outcome CONNECTOR_FAIL, everything else zero or ""), so that a result
 * nobody filled in never reads as a success. */
void connector_result_clear(struct connector_result *res);

/* Sets outcome, error_code and the reason (printf-style, truncated to fit). */
void connector_result_set(struct connector_result *res, int outcome, int error_code,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The return code that goes with res->outcome: 0, BANDITORE_ETEMP or BANDITORE_EPERM. */
int connector_result_rc(const struct connector_result *res);

/* "ok", "retry", "fail" (static storage, for logs and statistics). */
const char *connector_outcome_name(int outcome);

/* Reads an HTTP Retry-After value (RFC 9110 10.2.3): either delay-seconds or an
 * HTTP-date, compared with `now`. Returns the seconds to wait, clamped to
 * [0, CONNECTOR_RETRY_AFTER_MAX]; 0 for NULL, empty, unreadable or past values.
 * Leading and trailing blanks (and the CR LF of a raw header line) are ignored. */
int connector_retry_after_parse(const char *value, time_t now);

/*
 * --- One message, every platform: the ops table ---
 *
 * A composed message (struct connector_message) is rendered for one platform by that
 * platform's ops->render: what the recipient will see there. The lanes
 * (delivery/lane.c) send exactly what render gives, and the console's preview calls the
 * same function, so the preview cannot drift from what goes out:
 *
 *   const struct connector_ops *ops = connector_ops_for(PLATFORM_TELEGRAM);
 *   struct buf out; struct connector_rendered info;
 *   buf_init(&out, CONNECTOR_RENDER_MAX);
 *   rc = ops->render(&msg, &out, &info);   // out: the body; info: title, parts, cut
 *   ...
 *   buf_free(&out);
 *
 * What each platform's render puts in `out` (always NUL-terminated UTF-8) and `info`:
 *
 *   whatsapp  the broadcast template's body parameters as broadcast sends them (the
 *             channel's [whatsapp] template_params order, each one normalised: new lines
 *             and tabs become one space), one per line; info->title "". Text over the
 *             template's 1,024 characters is refused (BANDITORE_EINVAL), as the engine
 *             refuses it. Media: an attachment goes with the template (not dropped).
 *   telegram  parse_mode HTML: the title in bold, a blank line, the text, the link on its
 *             own line; <, > and & escaped. A text over 4,096 characters (as Telegram
 *             counts them) is cut at a character with "…" and info->cut = 1. Media is
 *             not sent (info->media_dropped): the link or the permalink carries it.
 *   email     the text/plain part: the text, then the link (or the permalink) on its own
 *             line; info->title is the Subject: the title, or else the text's first
 *             line cut to 78 characters, with "EMERGENZA - " in front for emergencies.
 *             List-Unsubscribe and the footer are the connector's (email_compose).
 *   webpush   the notification's body (the text, cut to 1,000 characters with "…");
 *             info->title the notification's title (the title, else the channel's name,
 *             with "EMERGENZA - " in front for emergencies). The click opens the link,
 *             else the permalink (webpush_build_payload makes the JSON).
 *   sms       the text as it is sent: "title: text" fitted by sms_text_fit under the
 *             channel's [sms] long_text and max_segments (a cut text ends with "… " and
 *             the permalink, else the link); info->parts the SMS segments the recipient
 *             is charged for, info->encoding GSM-7 or UCS-2.
 *
 * Returns 0, BANDITORE_EINVAL (no text and no title, invalid UTF-8, a link with blanks,
 * a text the platform can never carry), BANDITORE_ETOOBIG (`out` too small) or
 * BANDITORE_ENOMEM. `info` may be NULL. Pure: no I/O, safe from any thread.
 */
struct buf;
struct config;

#define CONNECTOR_RENDER_MAX (256 * 1024) /* a good `max` for the buf given to render */
#define CONNECTOR_TITLE_MAX 512

struct connector_message {
	int64_t id;              /* the message's id (0 for a preview of a draft) */
	const char *title;       /* NULL or "": none */
	const char *text;        /* UTF-8; NULL is "" */
	const char *link;        /* NULL or "": none */
	const char *category;    /* NULL or "": none (not shown today; for filtering) */
	int emergency;           /* 1 for an emergency */
	int media_kind;          /* CONNECTOR_MEDIA_* of the attachment, 0 for none */
	const char *permalink;   /* the message's page in the public archive, or NULL */
	const struct config *cfg; /* borrowed, may be NULL (defaults: WhatsApp's template
				   * carries the text alone; SMS "split" in 3 parts; push
				   * title "Comune") */
};

struct connector_rendered {
	char title[CONNECTOR_TITLE_MAX]; /* e-mail subject, push title; "" elsewhere */
	size_t chars;       /* characters of `out` as the platform counts them (visible
			     * characters for Telegram's HTML, UTF-16 units for SMS UCS-2) */
	int parts;          /* messages the recipient receives: SMS segments, else 1 */
	int encoding;       /* SMS: enum sms_encoding; 0 elsewhere */
	int cut;            /* 1: the text was shortened to fit the platform */
	int media_dropped;  /* 1: the attachment is not sent on this platform */
};

struct connector_ops {
	int platform;                          /* enum platform */
	const struct connector_caps *caps;     /* static storage (Telegram: bot mode's) */
	int (*render)(const struct connector_message *m, struct buf *out,
		      struct connector_rendered *info);
};

/* The ops of `platform` (enum platform in common/platform.h), static storage; NULL for
 * an unknown platform. */
const struct connector_ops *connector_ops_for(int platform);

/* Fills a struct connector_message from a stored message's fields (every string
 * borrowed from the arguments); `permalink_buf` (at least 1,200 bytes) receives
 * "PUBLIC_URL/archivio/ID" when cfg has a public_url and id > 0. media_type is the
 * MIME type of the attachment ("" for none). */
void connector_message_init(struct connector_message *cm, int64_t id, const char *title,
			    const char *text, const char *link, const char *category,
			    int emergency, const char *media_type, const struct config *cfg,
			    char *permalink_buf, size_t permalink_cap);

#endif
