/*
 * webpush_subscription.c - reading a browser's PushSubscription strictly, and the form
 * it is sealed in.
 *
 * The JSON comes from anyone on the Internet (POST /push/subscribe), and the endpoint is
 * a URL Banditore will later POST to: so the endpoint must be https to a DNS name that is
 * not local (a push service; never an IP literal, which is how an internal address would
 * be smuggled in), and the keys must be exactly what a browser makes.
 *
 * Also here: the connector's capabilities and the JSON payload the service worker shows.
 */
#include "connectors/webpush.h"
#include "common/crypto.h"
#include "common/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strncasecmp(s + n - m, suffix, m) == 0;
}

/* A public DNS name: letters, digits, '-' and '.', at least one dot, a last label that
 * is not all digits (so no dotted IPv4 or decimal address), not localhost. */
static int public_name(const char *h, size_t n)
{
	size_t last = 0;
	int dots = 0, alpha_tld = 0;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-' || h[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!host_char(h[i]))
			return 0;
		if (h[i] == '.') {
			if (i > 0 && h[i - 1] == '.')
				return 0;
			dots++;
			last = i + 1;
		}
	}
	for (size_t i = last; i < n; i++)
		if ((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z'))
			alpha_tld = 1;
	if (!dots || !alpha_tld)
		return 0;
	if (ends_with(h, n, ".localhost") || ends_with(h, n, ".local") ||
	    ends_with(h, n, ".internal") || ends_with(h, n, ".localdomain"))
		return 0;
	return 1;
}

int webpush_endpoint_ok(const char *e, int flags)
{
	const char *host, *end, *p;
	size_t len;

	if (!e)
		return 0;
	len = strlen(e);
	if (len < 12 || len >= WEBPUSH_ENDPOINT_MAX)
		return 0;
	for (p = e; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\' || *p == '#' || *p == '<' ||
		    *p == '>')
			return 0;
	if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else if ((flags & WEBPUSH_ALLOW_INSECURE) && strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else
		return 0;
	end = host + strcspn(host, ":/?");
	if (strchr(host, '@') && strchr(host, '@') < host + strcspn(host, "/?"))
		return 0; /* no user information */
	if (*end == ':') {
		/* a port: digits only, 1..65535 */
		const char *q = end + 1;
		long port = 0;
		if (!(*q >= '0' && *q <= '9'))
			return 0;
		while (*q >= '0' && *q <= '9' && port <= 65535)
			port = port * 10 + (*q++ - '0');
		if (port < 1 || port > 65535 || (*q != '/' && *q != '\0'))
			return 0;
	}
	if (flags & WEBPUSH_ALLOW_INSECURE)
		return end > host;
	return public_name(host, (size_t)(end - host));
}

int webpush_origin(const char *endpoint, char *out, size_t out_cap)
{
	const char *host;
	size_t n;

	if (strncmp(endpoint, "https://", 8) == 0)
		host = endpoint + 8;
	else if (strncmp(endpoint, "http://", 7) == 0)
		host = endpoint + 7;
	else
		return BANDITORE_EINVAL;
	n = (size_t)(host - endpoint) + strcspn(host, "/?#");
	if (n + 1 > out_cap)
		return BANDITORE_ETOOBIG;
	memcpy(out, endpoint, n);
	out[n] = '\0';
	return 0;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return BANDITORE_EINVAL;
}

int webpush_subscription_parse(const char *json, size_t len, int flags,
			       struct webpush_subscription *out, const char **why)
{
	json_error_t jerr;
	json_t *root, *keys, *v;
	const char *key, *s;
	int rc = BANDITORE_EINVAL;

	memset(out, 0, sizeof(*out));
	if (why)
		*why = NULL;
	if (!json || len == 0 || len > 4096)
		return fail(why, "empty or too long");
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return fail(why, "not JSON");
	if (!json_is_object(root)) {
		fail(why, "not an object");
		goto out;
	}
	json_object_foreach(root, key, v) {
		if (strcmp(key, "endpoint") && strcmp(key, "keys") && strcmp(key, "expirationTime")) {
			fail(why, "unknown member");
			goto out;
		}
	}
	v = json_object_get(root, "expirationTime");
	if (v && !json_is_null(v) && !json_is_integer(v) && !json_is_real(v)) {
		fail(why, "expirationTime is not a number");
		goto out;
	}
	v = json_object_get(root, "endpoint");
	s = json_string_value(v);
	if (!s || json_string_length(v) != strlen(s) || !webpush_endpoint_ok(s, flags)) {
		fail(why, "endpoint is not an https URL of a push service");
		goto out;
	}
	memcpy(out->endpoint, s, strlen(s) + 1);
	keys = json_object_get(root, "keys");
	if (!json_is_object(keys) || json_object_size(keys) != 2) {
		fail(why, "keys must hold p256dh and auth only");
		goto out;
	}
	v = json_object_get(keys, "p256dh");
	s = json_string_value(v);
	if (!s || webpush_unb64url(s, strlen(s), out->p256dh, WEBPUSH_P256_PUBLIC_LEN) ||
	    !webpush_point_ok(out->p256dh)) {
		fail(why, "p256dh is not a base64url P-256 public key");
		goto out;
	}
	v = json_object_get(keys, "auth");
	s = json_string_value(v);
	if (!s || webpush_unb64url(s, strlen(s), out->auth, WEBPUSH_AUTH_LEN)) {
		fail(why, "auth is not 16 bytes of base64url");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	if (rc)
		crypto_wipe(out, sizeof(*out));
	return rc;
}

int webpush_subscription_format(const struct webpush_subscription *sub, char *out, size_t out_cap)
{
	char p[WEBPUSH_PUBLIC_B64_LEN + 1], a[WEBPUSH_AUTH_B64_LEN + 1];
	int n;

	webpush_b64url(sub->p256dh, WEBPUSH_P256_PUBLIC_LEN, p);
	webpush_b64url(sub->auth, WEBPUSH_AUTH_LEN, a);
	n = snprintf(out, out_cap, "%s %s %s", p, a, sub->endpoint);
	crypto_wipe(a, sizeof(a));
	if (n < 0 || (size_t)n >= out_cap)
		return BANDITORE_ETOOBIG;
	return 0;
}

int webpush_subscription_read(const char *text, int flags, struct webpush_subscription *out)
{
	const char *sp1, *sp2;

	memset(out, 0, sizeof(*out));
	sp1 = strchr(text, ' ');
	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2 || webpush_unb64url(text, (size_t)(sp1 - text), out->p256dh, WEBPUSH_P256_PUBLIC_LEN) ||
	    webpush_unb64url(sp1 + 1, (size_t)(sp2 - sp1 - 1), out->auth, WEBPUSH_AUTH_LEN) ||
	    !webpush_endpoint_ok(sp2 + 1, flags)) {
		crypto_wipe(out, sizeof(*out));
		return BANDITORE_EINVAL;
	}
	memcpy(out->endpoint, sp2 + 1, strlen(sp2 + 1) + 1);
	return 0;
}

/* --- capabilities and the payload the service worker shows --- */

const struct connector_caps *webpush_caps(void)
{
	static const struct connector_caps caps = {
		.platform = "webpush",
		.text_max = WEBPUSH_TEXT_MAX,
		.media_types = 0,
		.messages_per_second = 1000,
		.holds_addresses = 1,
	};
	return &caps;
}

/* The byte length of the first `chars` UTF-8 characters of s (s is valid UTF-8). */
static size_t utf8_prefix(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

static char *dump(const char *title, const char *body, size_t body_len, int cut, const char *url,
		  int emergency)
{
	json_t *o = json_object();
	char *text = malloc(body_len + 4), *out = NULL;

	if (!o || !text)
		goto out;
	memcpy(text, body, body_len);
	if (cut)
		memcpy(text + body_len, "\xe2\x80\xa6", 3); /* … */
	text[body_len + (cut ? 3 : 0)] = '\0';
	if (json_object_set_new(o, "title", json_string(title)) ||
	    json_object_set_new(o, "body", json_string(text)) ||
	    json_object_set_new(o, "url", json_string(url)) ||
	    json_object_set_new(o, "emergency", json_boolean(emergency)))
		goto out;
	out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	free(text);
	json_decref(o);
	return out;
}

int webpush_build_payload(const char *title, const char *body, const char *url, int emergency,
			  char **out)
{
	size_t len, full;
	json_t *check;

	*out = NULL;
	if (!title || !body || !url || strlen(title) > 256 || strlen(url) > 1024)
		return BANDITORE_EINVAL;
	/* jansson refuses strings that are not UTF-8: check all three at once. */
	check = json_pack("{s:s, s:s, s:s}", "t", title, "b", body, "u", url);
	if (!check)
		return BANDITORE_EINVAL;
	json_decref(check);
	full = strlen(body);
	len = utf8_prefix(body, WEBPUSH_TEXT_MAX);
	for (;;) {
		char *j = dump(title, body, len, len < full, url, emergency);
		if (!j)
			return BANDITORE_ENOMEM;
		if (strlen(j) <= WEBPUSH_PAYLOAD_MAX) {
			*out = j;
			return 0;
		}
		free(j);
		if (len == 0)
			return BANDITORE_EINVAL;
		/* Too long once escaped: drop a tenth of the text and try again. */
		{
			size_t chars = 0;
			for (size_t i = 0; i < len; i++)
				chars += (body[i] & 0xc0) != 0x80;
			len = utf8_prefix(body, chars - chars / 10 - 1);
		}
	}
}
