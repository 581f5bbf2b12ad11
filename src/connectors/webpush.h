/*
 * webpush.h - browser push notifications: RFC 8030 (protocol), RFC 8291 (message
 * encryption, aes128gcm of RFC 8188) and RFC 8292 (VAPID), over OpenSSL 3 and libcurl.
 *
 * A citizen's browser subscribes with the comune's VAPID public key and hands Banditore a
 * PushSubscription: an endpoint URL at the browser vendor's push service, the browser's
 * P-256 public key (p256dh) and a 16-byte authentication secret. That is all Banditore
 * ever holds about the person: a pseudonymous capability URL and two keys.
 *
 * One send is one POST of an encrypted body to the endpoint:
 *
 *   - the payload is encrypted for the browser alone (the push service relays only
 *     ciphertext): a fresh ephemeral P-256 key pair for every push message, ECDH with
 *     p256dh, HKDF-SHA256 with the auth secret and the "WebPush: info" label, then one
 *     aes128gcm record (header: salt 16, rs 4, idlen 1, keyid 65 = 86 bytes);
 *   - the request carries "Authorization: vapid t=JWT, k=PUBLIC KEY": an ES256 JWT whose
 *     aud is the endpoint's origin, exp at most 24 hours ahead (we use 12) and sub the
 *     comune's contact (mailto: or https:). JWTs are cached per origin and reused while
 *     more than an hour of validity is left, so signing is not per message;
 *   - TTL (seconds the push service may keep the message) and Urgency ("high" for
 *     emergencies, "normal" otherwise).
 *
 * Why a fresh ephemeral key for each message and each subscriber: RFC 8291 3.1 says the
 * application server "generates a new ECDH key pair" when sending a push message, and a
 * push message (RFC 8030) goes to one subscription. Reusing one key across the
 * subscribers of a broadcast would not repeat AES-GCM key/nonce pairs (the salt and the
 * subscriber's keys differ), but the same keyid would then appear on every copy, letting
 * a push service link the subscriptions that received the same message. The cost is one
 * key generation per send (about a third of the ECDH that is needed anyway).
 *
 * Answers (RFC 8030 5, 8.3): 201 (any 2xx) is CONNECTOR_OK; 404 and 410 mean the
 * subscription is gone: CONNECTOR_FAIL with error_code 404/410 and webpush_result_gone()
 * true, and the caller erases the subscriber (webpush_subscribers_gone() in
 * subscribers/webpush_subscribers.h); 429 is RETRY with Retry-After; 408 and 5xx are
 * RETRY; 413 and other 4xx are FAIL. Endpoints are never logged nor put in res->error.
 *
 * A struct webpush is one libcurl easy handle plus the VAPID key and JWT cache: use one
 * per thread (or per transfer in flight), never shared.
 */
#ifndef BANDITORE_WEBPUSH_H
#define BANDITORE_WEBPUSH_H

#include "connectors/connector.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WEBPUSH_P256_PUBLIC_LEN 65   /* uncompressed point: 0x04 | x | y */
#define WEBPUSH_P256_PRIVATE_LEN 32
#define WEBPUSH_AUTH_LEN 16
#define WEBPUSH_SALT_LEN 16
#define WEBPUSH_HEADER_LEN 86        /* salt 16 | rs 4 | idlen 1 | keyid 65 */
#define WEBPUSH_TAG_LEN 16
#define WEBPUSH_BODY_MAX 4096        /* what every push service must accept (RFC 8291 4) */
/* The longest payload one record carries: 4096 - 86 - 16 - 1 (the 0x02 delimiter). */
#define WEBPUSH_PAYLOAD_MAX (WEBPUSH_BODY_MAX - WEBPUSH_HEADER_LEN - WEBPUSH_TAG_LEN - 1)
#define WEBPUSH_ENDPOINT_MAX 500     /* bytes of an endpoint URL with its NUL */
#define WEBPUSH_PUBLIC_B64_LEN 87    /* base64url (unpadded) of 65 bytes */
#define WEBPUSH_AUTH_B64_LEN 22      /* base64url (unpadded) of 16 bytes */
#define WEBPUSH_JWT_MAX 1024
#define WEBPUSH_SUBJECT_MAX 256
#define WEBPUSH_TTL_MAX 2419200      /* four weeks: what push services keep at most */

enum webpush_urgency { WEBPUSH_URGENCY_NORMAL = 0, WEBPUSH_URGENCY_HIGH = 1 };

/* A browser's PushSubscription, validated. */
struct webpush_subscription {
	char endpoint[WEBPUSH_ENDPOINT_MAX];           /* https URL (NUL-terminated) */
	uint8_t p256dh[WEBPUSH_P256_PUBLIC_LEN];       /* a point on P-256 */
	uint8_t auth[WEBPUSH_AUTH_LEN];
};

/* Validation flags. */
#define WEBPUSH_ALLOW_INSECURE 1 /* tests only: http:// and loopback or private hosts */

/* Parses the JSON of a PushSubscription ({"endpoint", "keys": {"p256dh", "auth"}},
 * "expirationTime" allowed and ignored, nothing else at the top level or in keys), as the
 * browser's JSON.stringify(subscription) gives it. Strict: the endpoint an https URL of
 * at most WEBPUSH_ENDPOINT_MAX - 1 printable characters whose host is a name or a
 * public address (not localhost, loopback, private, link-local; unless
 * WEBPUSH_ALLOW_INSECURE), p256dh unpadded base64url of a valid P-256 point, auth of
 * exactly 16 bytes. Returns 0, or BANDITORE_EINVAL (*why, when not NULL, says what in
 * static English text, never quoting the input). */
int webpush_subscription_parse(const char *json, size_t len, int flags,
			       struct webpush_subscription *out, const char **why);

/* Checks an endpoint URL alone, as the parser does. 1 when acceptable. */
int webpush_endpoint_ok(const char *endpoint, int flags);

/* The form sealed in the store: "P256DH AUTH ENDPOINT" (base64url, base64url, URL),
 * NUL-terminated into out[out_cap]; and back. BANDITORE_ETOOBIG / BANDITORE_EINVAL. */
int webpush_subscription_format(const struct webpush_subscription *sub, char *out,
				size_t out_cap);
int webpush_subscription_read(const char *text, int flags, struct webpush_subscription *out);

/* --- the comune's VAPID key (RFC 8292) --- */

struct webpush_vapid; /* opaque: a P-256 signing key and its public point */

/* Derives the VAPID key from a 32-byte seed (keyfile_keys.vapid, itself HKDF of the
 * master key): the seed, or HKDF of it with a counter when it is not a valid scalar
 * (probability 2^-32), is the private scalar. Deterministic: the same key file always
 * gives the same VAPID key, so subscriptions survive restarts and restores, and nothing
 * beside the key file needs a backup. Returns 0 or BANDITORE_ECRYPTO / ENOMEM. */
int webpush_vapid_from_seed(const uint8_t seed[32], struct webpush_vapid **out);
/* From an explicit private scalar and its public point (tests, RFC vectors). */
int webpush_vapid_from_raw(const uint8_t priv[WEBPUSH_P256_PRIVATE_LEN],
			   struct webpush_vapid **out);
void webpush_vapid_free(struct webpush_vapid *v); /* accepts NULL; wipes the key */

/* The public key, 65 bytes, and as base64url (WEBPUSH_PUBLIC_B64_LEN + 1 bytes): the
 * applicationServerKey the page's subscribe button passes to PushManager.subscribe. */
void webpush_vapid_public(const struct webpush_vapid *v, uint8_t out[WEBPUSH_P256_PUBLIC_LEN]);
void webpush_vapid_public_b64(const struct webpush_vapid *v, char out[WEBPUSH_PUBLIC_B64_LEN + 1]);

/* Signs a VAPID JWT for `audience` (an origin: "https://push.example.net[:port]", no
 * path) expiring at `exp` (Unix seconds), with `subject` ("mailto:..." or "https://...").
 * out[out_cap] gets "header.claims.signature" (ES256: raw r||s, 64 bytes). Returns 0,
 * BANDITORE_EINVAL (audience or subject not acceptable), ETOOBIG or ECRYPTO. */
int webpush_vapid_jwt(const struct webpush_vapid *v, const char *audience, const char *subject,
		      int64_t exp, char *out, size_t out_cap);

/* The origin of an endpoint URL ("https://host[:port]") into out[out_cap]. */
int webpush_origin(const char *endpoint, char *out, size_t out_cap);

/* --- payload encryption (RFC 8291 + RFC 8188 aes128gcm, one record) --- */

/* Encrypts `pt` (at most WEBPUSH_PAYLOAD_MAX bytes) for the subscription's keys with a
 * fresh ephemeral key and a random salt. out_cap must be at least pt_len +
 * WEBPUSH_HEADER_LEN + WEBPUSH_TAG_LEN + 1. *out_len gets the body's length. Thread-safe
 * (per-thread contexts). Returns 0, BANDITORE_ETOOBIG, EINVAL (not a P-256 point) or
 * ECRYPTO / ENOMEM. */
int webpush_encrypt(const uint8_t ua_public[WEBPUSH_P256_PUBLIC_LEN],
		    const uint8_t auth[WEBPUSH_AUTH_LEN], const void *pt, size_t pt_len,
		    uint8_t *out, size_t out_cap, size_t *out_len);

/* The same with the application server's ephemeral key pair and the salt given: for the
 * RFC 8291 appendix A test vector only. Never use fixed values to send. */
int webpush_encrypt_with(const uint8_t as_private[WEBPUSH_P256_PRIVATE_LEN],
			 const uint8_t ua_public[WEBPUSH_P256_PUBLIC_LEN],
			 const uint8_t auth[WEBPUSH_AUTH_LEN], const uint8_t salt[WEBPUSH_SALT_LEN],
			 const void *pt, size_t pt_len, uint8_t *out, size_t out_cap,
			 size_t *out_len);

/* 1 when the 65 bytes are an uncompressed point on P-256. */
int webpush_point_ok(const uint8_t pub[WEBPUSH_P256_PUBLIC_LEN]);

/* Unpadded base64url (RFC 4648 5) of n bytes into out (4n/3+1 with NUL, rounded up);
 * and back: exactly `n` bytes expected, padding and other alphabets refused. */
void webpush_b64url(const uint8_t *in, size_t n, char *out);
int webpush_unb64url(const char *in, size_t in_len, uint8_t *out, size_t n);

/* --- sending --- */

struct webpush;

struct webpush_settings {
	const uint8_t *vapid_seed;  /* 32 bytes (keyfile_keys.vapid), copied */
	const char *subject;        /* "mailto:..." or "https://..." */
	int timeout_ms;             /* whole-request limit; <= 0 means 10000 */
	int flags;                  /* WEBPUSH_ALLOW_INSECURE in tests */
};

int webpush_new(const struct webpush_settings *ws, struct webpush **out);
void webpush_free(struct webpush *w); /* accepts NULL */

/* Encrypts `payload` for `sub` and POSTs it with TTL `ttl` (0..WEBPUSH_TTL_MAX seconds)
 * and `urgency`. Fills *res (always); returns 0 when accepted, else as connector.h says
 * (BANDITORE_EINVAL for a payload over WEBPUSH_PAYLOAD_MAX or a bad subscription). */
int webpush_send(struct webpush *w, const struct webpush_subscription *sub, const void *payload,
		 size_t len, int ttl, int urgency, struct connector_result *res);

/* Non-blocking form, for a caller that drives its own curl multi handle (as
 * delivery/wa_multi.c does for WhatsApp): start prepares the request (body encrypted and
 * held by `w` until finish), add webpush_easy(w) to the multi handle, and once curl says
 * the transfer is done with `cc`, finish classifies the answer exactly as webpush_send. */
int webpush_start(struct webpush *w, const struct webpush_subscription *sub, const void *payload,
		  size_t len, int ttl, int urgency, struct connector_result *res);
int webpush_finish(struct webpush *w, CURLcode cc, struct connector_result *res);
CURL *webpush_easy(struct webpush *w);

/* --- what the later wiring uses --- */

/* The capabilities of web push (connector.h): text up to WEBPUSH_TEXT_MAX characters in
 * the notification (the whole message stays in the archive the click opens), no media,
 * 1,000 messages/s as our own pacing (push services publish no bulk limit for one
 * sender; FCM's is far above), one address (the endpoint) held per subscriber. */
#define WEBPUSH_TEXT_MAX 1000
const struct connector_caps *webpush_caps(void);

/* The payload the service worker (web/static/push-sw.js) shows: compact JSON
 * {"title", "body", "url", "emergency"}, at most WEBPUSH_PAYLOAD_MAX bytes. `body` longer
 * than WEBPUSH_TEXT_MAX characters (or than what fits) is cut at a character boundary
 * with "…"; `url` is the message's permalink (a path on the site, or an absolute URL of
 * it). Title and url must fit as they are. *out is NUL-terminated, freed with free().
 * Returns 0, BANDITORE_EINVAL (not UTF-8, title or url too long) or ENOMEM. */
int webpush_build_payload(const char *title, const char *body, const char *url, int emergency,
			  char **out);

/* Classifies an HTTP status (and the Retry-After seconds already parsed). */
int webpush_classify(long http_status, int retry_after, struct connector_result *res);

/* 1 when the push service said the subscription no longer exists (404 or 410): the
 * caller erases it at once. */
int webpush_result_gone(const struct connector_result *res);

#endif
