/*
 * email.h - e-mail to subscribers: one message per recipient, over SMTP (libcurl).
 *
 * Every message has exactly one recipient, in the envelope (RCPT TO) and in the To
 * header, so nobody ever sees anybody else's address. A message is multipart/alternative
 * with a text/plain and a text/html part made from the same composed text (the HTML is
 * the text escaped, with paragraphs and links to the very URLs written: no images, no
 * tracking pixels, no redirecting links). Broadcasts carry List-Unsubscribe with an https
 * URL and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 2369, RFC 8058), so the
 * mail client offers a button that erases the subscriber at once.
 *
 * The URL's token names the subscriber without revealing the address: it is the keyed
 * hash the store finds the subscriber by (subscribers_hash), followed by an HMAC of it
 * under the e-mail key (keyfile.h), so nobody can make a valid token for someone else.
 *
 * Sending: a struct email_sender holds a libcurl multi handle and up to `connections`
 * transfers in flight; connections stay open between messages (libcurl's connection
 * cache), so a batch of thousands costs a few TCP (and TLS) handshakes. One sender per
 * thread. SMTP answers are classified into struct connector_result (connector.h): 5xx
 * refusals are CONNECTOR_FAIL with the SMTP code in error_code, 4xx and transport
 * errors CONNECTOR_RETRY; the recipient never appears in res->error.
 */
#ifndef BANDITORE_EMAIL_H
#define BANDITORE_EMAIL_H

#include "common/buf.h"
#include "common/crypto.h"
#include "common/email_addr.h"
#include "connectors/connector.h"

#include <stddef.h>
#include <stdint.h>

#define EMAIL_SUBJECT_MAX 400       /* bytes of a subject (UTF-8) */
#define EMAIL_TEXT_MAX 65536        /* bytes of a body's text (UTF-8) */
#define EMAIL_MESSAGE_MAX (512 * 1024) /* bytes of a whole composed message */
#define EMAIL_URL_MAX 1024          /* bytes of an unsubscribe or confirmation URL */
#define EMAIL_TOKEN_LEN 64          /* characters of an unsubscribe token (base64url) */
#define EMAIL_CONNECTIONS_MAX 64

/* What e-mail carries and how fast (connector.h): text up to EMAIL_TEXT_MAX bytes, no
 * attachments yet, one address held per subscriber; messages_per_second is what
 * bench/platforms/email.sh measured against a local relay with 8 connections, rounded
 * down (a real relay's own limits, set by its operator, come first). */
const struct connector_caps *email_caps(void);

/* --- composing --- */

struct email_compose {
	const char *from_address;    /* the comune's address (canonical), From and envelope */
	const char *from_name;       /* "Comune di Leinì" (UTF-8; NULL or "": none) */
	const char *to;              /* the one recipient (canonical) */
	const char *subject;         /* UTF-8; CR, LF and tabs become spaces */
	const char *text;            /* UTF-8 body, lines separated by "\n" (or "\r\n") */
	const char *unsubscribe_url; /* https://... for List-Unsubscribe and the footer, or
				      * NULL (a confirmation mail: no list headers) */
	int64_t date;                /* Unix seconds, for the Date header */
	const char *message_id;      /* "<...>" as is, or NULL for a random one at the From
				      * address's domain */
};

/* Appends the whole message (headers, CRLF line ends, both parts quoted-printable,
 * non-ASCII subject and display name as RFC 2047 encoded-words) to `out`.
 * BANDITORE_EINVAL for a missing field, an address that is not canonical, invalid UTF-8,
 * an unsubscribe URL that is not https:// or holds blanks or '>'; BANDITORE_ETOOBIG past
 * the limits above or when `out` is full; BANDITORE_ENOMEM. */
int email_compose(const struct email_compose *c, struct buf *out);

/* The unsubscribe token of the subscriber whose keyed hash is `addr_hash`, under
 * `email_key` (keyfile_keys.email): EMAIL_TOKEN_LEN base64url characters and a NUL. */
int email_unsub_token(const uint8_t email_key[CRYPTO_KEY_LEN],
		      const uint8_t addr_hash[CRYPTO_HASH_LEN], char out[EMAIL_TOKEN_LEN + 1]);

/* Checks `token` and gives back the keyed hash it names. BANDITORE_EINVAL when it is not
 * a token's shape, BANDITORE_EAUTH when its HMAC does not verify (compared in constant
 * time). */
int email_unsub_token_check(const uint8_t email_key[CRYPTO_KEY_LEN], const char *token,
			    uint8_t addr_hash[CRYPTO_HASH_LEN]);

/* "PUBLIC_URL/email/unsubscribe?t=TOKEN" (one '/' between them) into out[cap];
 * BANDITORE_EINVAL unless public_url starts with https:// (or http://127. / http://localhost
 * for tests), BANDITORE_ETOOBIG. `path` is "/email/unsubscribe" or "/email/confirm". */
int email_link(const char *public_url, const char *path, const char *token, char *out,
	       size_t cap);

/* --- sending --- */

enum email_tls {
	EMAIL_TLS_NONE = 0,     /* smtp:// in clear (a local relay on loopback) */
	EMAIL_TLS_STARTTLS = 1, /* smtp:// upgraded with STARTTLS, refused if the server
				 * does not offer it */
	EMAIL_TLS_IMPLICIT = 2, /* smtps:// (TLS from the first byte, port 465) */
};

struct email_settings {
	const char *smtp_url;     /* "smtp://host:port" or "smtps://host:port" */
	int tls;                  /* enum email_tls; must agree with the URL's scheme */
	const char *user;         /* NULL or "": no AUTH */
	const char *password;
	const char *from_address; /* envelope sender (MAIL FROM), canonical */
	const char *helo_domain;  /* the EHLO name; NULL: the From address's domain */
	int timeout_ms;           /* per message; <= 0 means 30000 */
	int connections;          /* transfers in flight at once; <= 0 means 8 */
};

struct email_sender;

/* Checks and copies the settings (the password is wiped on free). BANDITORE_EINVAL for
 * a URL that is not smtp:// or smtps://, a scheme that disagrees with `tls`, a From that
 * is not canonical; BANDITORE_ENOMEM. */
int email_sender_new(const struct email_settings *es, struct email_sender **out);
void email_sender_free(struct email_sender *s); /* accepts NULL */

/* One message of a batch: `to` (canonical) and the composed `data` (borrowed until the
 * batch returns). `res` is filled by the batch. */
struct email_job {
	const char *to;
	const char *data;
	size_t len;
	struct connector_result res;
};

/* Sends every job, up to the sender's `connections` at once, and returns when all have
 * an outcome. Returns 0 (each job's own outcome is in its res), or BANDITORE_ENOMEM /
 * BANDITORE_EIO when the batch itself could not run (then every res not yet settled says
 * RETRY). */
int email_send_batch(struct email_sender *s, struct email_job *jobs, int n);

/* One message; returns as connector.h says (0 when the server accepted it). */
int email_send(struct email_sender *s, const char *to, const char *data, size_t len,
	       struct connector_result *res);

/* Classifies how one SMTP transfer ended: libcurl's code and the last SMTP reply code
 * (0 when none). Exposed for tests. */
void email_classify(int curl_code, long smtp_code, struct connector_result *res);

#endif
