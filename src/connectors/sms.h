/*
 * sms.h - sends SMS through a generic HTTP gateway, and counts what an SMS can carry.
 *
 * Italian comuni buy SMS from many providers (Aruba, Skebby, Twilio, a regional
 * contract...), each with its own HTTP API. Rather than one connector per provider, the
 * [sms] section of the configuration describes the request and how to read the answer:
 *
 *   - the URL and method (POST, or GET with the template as the query string);
 *   - a body template with the placeholders {to}, {from} and {text}, and its type: form
 *     (application/x-www-form-urlencoded: each value percent-encoded) or JSON (each value
 *     escaped for the inside of a JSON string: the template writes the quotes);
 *   - authentication: none, basic (username + the secret), bearer (the secret) or a
 *     header of the gateway's choosing (NAME: the secret);
 *   - the sender id ({from}): an alphanumeric name of up to 11 characters or a number;
 *   - the answer: which HTTP statuses mean accepted, optionally a field of the JSON answer
 *     (a plain key or an RFC 6901 pointer such as /result/status) and the value(s) that
 *     mean success, and optionally the field holding the gateway's message id.
 *
 * Answers are classified into a struct connector_result (connector.h):
 *   a success status (and, if configured, the success value)  OK, message_id if found;
 *   429, 5xx, 408, time-outs, connection errors                 RETRY (Retry-After read);
 *   a success status whose status field says otherwise          FAIL, error_code the value
 *                                                               when it is a number;
 *   any other status (4xx)                                      FAIL, error_code the status.
 * The recipient's number never appears in res->error, and the secret never in a log.
 *
 * Text limits (sms_text_*): a text made only of characters of the GSM 03.38 alphabet is
 * sent as GSM-7, 160 characters in one SMS, 153 per part of a long SMS; the characters of
 * its extension table (^ { } \ [ ] ~ | €, form feed) take two places. Any other character
 * (accented capitals other than É, curly quotes, emoji...) makes the whole SMS UCS-2:
 * 70 UTF-16 units in one SMS, 67 per part, an emoji taking two. A long SMS is sent as one
 * request: the gateway splits it into parts the phone joins again.
 *
 * Long texts (configuration long_text): "split" sends the text whole as a long SMS of up
 * to max_segments parts; "shorten" keeps it to one SMS. A text over that budget is cut at
 * a word and ends with "… " and the link to its page in the archive (three dots "... "
 * when the text is GSM-7, so that the ellipsis alone does not halve the room by making
 * the SMS UCS-2).
 *
 * A struct sms holds one libcurl easy handle, reused (one struct per thread).
 */
#ifndef BANDITORE_SMS_H
#define BANDITORE_SMS_H

#include "connectors/connector.h"

#include <curl/curl.h>
#include <stddef.h>

struct buf;

#define SMS_TEXT_MAX 4096          /* bytes of text we are willing to send in one request */
#define SMS_SEGMENTS_MAX 10        /* the most parts a configuration may allow */
#define SMS_SENDER_MAX 16          /* bytes of a sender id, with NUL */
#define SMS_RESPONSE_MAX 65536     /* bytes of a gateway's answer we read */
#define SMS_STATUS_VALUES_MAX 8    /* success values of the status field */
#define SMS_RATE 10                /* default messages per second */

/* ---- text: encodings, parts, fitting ---- */

enum sms_encoding { SMS_GSM7 = 0, SMS_UCS2 = 1 };

struct sms_count {
	int encoding;    /* enum sms_encoding */
	size_t units;    /* GSM-7 septets (extension characters count 2) or UTF-16 units */
	size_t chars;    /* code points */
	int segments;    /* SMS parts: 1 up to 160/70 units, then 153/67 per part (a
			  * character's units never straddle two parts); 0 for "" */
};

/* 1 when code point `cp` is in the GSM 03.38 basic set, 2 when in its extension table
 * (sent as escape + character), 0 when GSM-7 cannot carry it. */
int sms_gsm7_units(unsigned int cp);

/* Counts `len` bytes of UTF-8 `text`. BANDITORE_EINVAL for invalid UTF-8. */
int sms_text_count(const char *text, size_t len, struct sms_count *out);

enum sms_long_text { SMS_LONG_SPLIT = 0, SMS_LONG_SHORTEN = 1 };

/* Makes `text` fit: with SMS_LONG_SPLIT at most `max_segments` parts (1..SMS_SEGMENTS_MAX),
 * with SMS_LONG_SHORTEN one SMS. A text that fits is copied unchanged; a longer one is
 * cut at a word (or within one, when the last word is very long), trailing blanks
 * dropped, and ends with "… " + link ("... " + link in GSM-7), or with "…"/"..." alone
 * when `link` is NULL, "" or does not fit. *out is a new string (caller frees); *count
 * (may be NULL) is the count of *out; *cut (may be NULL) is 1 when the text was cut.
 * BANDITORE_EINVAL for invalid UTF-8 or arguments, ENOMEM. Pure: no I/O. */
int sms_text_fit(const char *text, int mode, int max_segments, const char *link, char **out,
		 struct sms_count *count, int *cut);

/* ---- requests and answers ---- */

enum sms_method { SMS_METHOD_POST = 0, SMS_METHOD_GET = 1 };
enum sms_body_type { SMS_BODY_FORM = 0, SMS_BODY_JSON = 1 };
enum sms_auth { SMS_AUTH_NONE = 0, SMS_AUTH_BASIC, SMS_AUTH_BEARER, SMS_AUTH_HEADER };

/* Appends `s` to `out` percent-encoded for application/x-www-form-urlencoded (letters,
 * digits and *-._ kept, space as '+', every other byte %XX). ETOOBIG when full. */
int sms_escape_form(const char *s, struct buf *out);
/* Appends `s` (UTF-8) escaped for the inside of a JSON string (\" \\ and control
 * characters). ETOOBIG when full. */
int sms_escape_json(const char *s, struct buf *out);

/* Renders `tmpl`, replacing {to}, {from} and {text} with the values escaped for `type`
 * (enum sms_body_type); any other brace is copied as it is. */
int sms_render_template(const char *tmpl, int type, const char *to, const char *from,
			const char *text, struct buf *out);

/* What a connector needs; every string borrowed by sms_new, which copies them. */
struct sms_settings {
	const char *url;           /* http(s)://... */
	int method;                /* enum sms_method */
	int body_type;             /* enum sms_body_type */
	const char *body;          /* the template ("" for the type's default) */
	int auth;                  /* enum sms_auth */
	const char *auth_header;   /* SMS_AUTH_HEADER: the header's name */
	const char *username;      /* SMS_AUTH_BASIC */
	const char *secret;        /* the password, token or header value */
	const char *sender;        /* {from} */
	int number_plus;           /* 1: {to} as "+39..." ; 0: digits only "39..." */
	const char *success_statuses; /* "200-299" (default) or a list "200,201,202" */
	const char *status_field;  /* "" none; a key, or a JSON pointer "/a/0/b" */
	const char *status_ok;     /* comma-separated values meaning success */
	const char *id_field;      /* "" none; where the gateway's message id is */
	int timeout_ms;            /* <= 0: 10000 */
};

/* The default template of a body type (static storage). */
const char *sms_default_template(int body_type);

/* Checks settings a configuration gives (template placeholders, JSON validity of a JSON
 * template, statuses). 0 or BANDITORE_EINVAL with *why a static reason (T(): Italian or
 * English, for the configuration's error list). */
int sms_settings_check(const struct sms_settings *ss, const char **why);

/* Reads a value of a JSON document: `field` is a top-level key, or an RFC 6901 pointer
 * when it starts with '/'. Strings as they are, numbers and booleans as text; NULL
 * (json_t *) when absent. Writes it into out[cap] and returns 0, or ENOTFOUND. */
int sms_json_field(const char *json_text, size_t len, const char *field, char *out,
		   size_t cap);

/* Classifies a gateway's answer as the table at the top of this file says, under the
 * answer rules of `ss`. Returns 0 when OK, else as connector.h says. */
int sms_parse_answer(const struct sms_settings *ss, long http_status, const char *body,
		     struct connector_result *res);

struct sms; /* opaque: one gateway connection */

int sms_new(const struct sms_settings *ss, struct sms **out);
void sms_free(struct sms *s); /* accepts NULL; wipes the secret */

/* What the platform can carry (static storage): text_max is the UCS-2 room of
 * SMS_SEGMENTS_MAX parts; holds_addresses 1. */
const struct connector_caps *sms_caps(void);

/* Sends `text` (already fitted: sms_text_fit) to `to` (E.164). Fills *res (always) and
 * returns 0 when accepted, else as connector.h says. */
int sms_send(struct sms *s, const char *to, const char *text, struct connector_result *res);

#endif
