/*
 * connector.h - the words every platform connector uses to say how a send went.
 *
 * A connector (WhatsApp now; Telegram, e-mail and web push later) turns one message for
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

#endif
