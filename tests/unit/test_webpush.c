/*
 * test_webpush.c - unit tests of the web push connector: the RFC 8291 appendix A vector
 * reproduced byte for byte, fresh keys and salts per message, the VAPID JWT verified with
 * OpenSSL, the deterministic VAPID key, strict reading of PushSubscription JSON and
 * endpoints, and the classification of push services' answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "connectors/connector.h"
#include "connectors/webpush.h"

/* RFC 8291 section 5 and appendix A. */
#define RFC_PLAINTEXT "When I grow up, I want to be a watermelon"
#define RFC_AS_PRIVATE "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define RFC_AS_PUBLIC \
	"BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
#define RFC_UA_PUBLIC \
	"BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define RFC_AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define RFC_SALT "DGv6ra1nlYgDCS1FRnbzlw"
#define RFC_BODY \
	"DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocIn" \
	"mYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNW" \
	"QexSgSxsj_Qulcy4a-fN"

/* A fictitious push service. */
#define ENDPOINT "https://push.example.net/wpush/v2/gAAAAABfictitious0001"

static void unb64(const char *s, uint8_t *out, size_t n)
{
	assert_int_equal(webpush_unb64url(s, strlen(s), out, n), 0);
}

static size_t b64_decoded_len(const char *s)
{
	return strlen(s) * 3 / 4;
}

static void test_base64url(void **state)
{
	uint8_t b[3];
	char out[8];
	(void)state;

	webpush_b64url((const uint8_t *)"\xfb\xff", 2, out);
	assert_string_equal(out, "-_8");
	assert_int_equal(webpush_unb64url("-_8", 3, b, 2), 0);
	assert_memory_equal(b, "\xfb\xff", 2);
	/* padding, the standard alphabet, wrong lengths and non-canonical bits refused */
	assert_int_equal(webpush_unb64url("-_8=", 4, b, 2), BANDITORE_EINVAL);
	assert_int_equal(webpush_unb64url("+/8", 3, b, 2), BANDITORE_EINVAL);
	assert_int_equal(webpush_unb64url("-_", 2, b, 2), BANDITORE_EINVAL);
	assert_int_equal(webpush_unb64url("-_9", 3, b, 2), BANDITORE_EINVAL);
}

static void test_rfc8291_vector(void **state)
{
	uint8_t as_priv[32], ua_pub[65], auth[16], salt[16];
	uint8_t expected[256], out[256];
	size_t elen = b64_decoded_len(RFC_BODY), olen = 0;
	(void)state;

	unb64(RFC_AS_PRIVATE, as_priv, 32);
	unb64(RFC_UA_PUBLIC, ua_pub, 65);
	unb64(RFC_AUTH, auth, 16);
	unb64(RFC_SALT, salt, 16);
	assert_int_equal(webpush_unb64url(RFC_BODY, strlen(RFC_BODY), expected, elen), 0);
	assert_int_equal(webpush_encrypt_with(as_priv, ua_pub, auth, salt, RFC_PLAINTEXT,
					      strlen(RFC_PLAINTEXT), out, sizeof(out), &olen), 0);
	assert_int_equal(olen, elen);
	assert_int_equal(olen, WEBPUSH_HEADER_LEN + strlen(RFC_PLAINTEXT) + 1 + WEBPUSH_TAG_LEN);
	assert_memory_equal(out, expected, elen);

	/* A changed auth secret gives another body: the vector is not matched by chance. */
	auth[0] ^= 1;
	assert_int_equal(webpush_encrypt_with(as_priv, ua_pub, auth, salt, RFC_PLAINTEXT,
					      strlen(RFC_PLAINTEXT), out, sizeof(out), &olen), 0);
	assert_memory_not_equal(out + WEBPUSH_HEADER_LEN, expected + WEBPUSH_HEADER_LEN,
				elen - WEBPUSH_HEADER_LEN);
}

static void test_encrypt_fresh_each_time(void **state)
{
	uint8_t ua_pub[65], auth[16], as_pub[65];
	uint8_t a[WEBPUSH_BODY_MAX], b[WEBPUSH_BODY_MAX];
	char big[WEBPUSH_PAYLOAD_MAX + 1];
	size_t alen = 0, blen = 0;
	(void)state;

	unb64(RFC_UA_PUBLIC, ua_pub, 65);
	unb64(RFC_AUTH, auth, 16);
	unb64(RFC_AS_PUBLIC, as_pub, 65);
	assert_int_equal(webpush_encrypt(ua_pub, auth, "ciao", 4, a, sizeof(a), &alen), 0);
	assert_int_equal(webpush_encrypt(ua_pub, auth, "ciao", 4, b, sizeof(b), &blen), 0);
	assert_int_equal(alen, WEBPUSH_HEADER_LEN + 4 + 1 + WEBPUSH_TAG_LEN);
	assert_int_equal(alen, blen);
	/* rs = 4096, idlen = 65, keyid an uncompressed point */
	assert_memory_equal(a + 16, "\x00\x00\x10\x00\x41\x04", 6);
	assert_memory_not_equal(a, b, 16);            /* salt */
	assert_memory_not_equal(a + 21, b + 21, 65);  /* ephemeral key */
	assert_true(webpush_point_ok(a + 21));
	assert_memory_not_equal(a + 21, as_pub, 65);

	/* limits: 3993 bytes fit in 4096, one more does not; a bad point is refused */
	memset(big, 'x', sizeof(big));
	assert_int_equal(webpush_encrypt(ua_pub, auth, big, WEBPUSH_PAYLOAD_MAX, a, sizeof(a), &alen), 0);
	assert_int_equal(alen, WEBPUSH_BODY_MAX);
	assert_int_equal(webpush_encrypt(ua_pub, auth, big, WEBPUSH_PAYLOAD_MAX + 1, a, sizeof(a), &alen),
			 BANDITORE_ETOOBIG);
	assert_int_equal(webpush_encrypt(ua_pub, auth, "x", 1, a, 50, &alen), BANDITORE_ETOOBIG);
	ua_pub[64] ^= 1;
	assert_false(webpush_point_ok(ua_pub));
	assert_int_equal(webpush_encrypt(ua_pub, auth, "x", 1, a, sizeof(a), &alen), BANDITORE_EINVAL);
}

/* Verifies an ES256 JWT with OpenSSL against the 65-byte public key. */
static int verify_es256(const char *jwt, const uint8_t pub[65])
{
	const char *dot2 = strrchr(jwt, '.');
	uint8_t raw[64];
	unsigned char *der = NULL;
	int der_len, ok = 0;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r, *s;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char group[] = "prime256v1";
	OSSL_PARAM params[3];

	assert_non_null(dot2);
	if (webpush_unb64url(dot2 + 1, strlen(dot2 + 1), raw, 64) != 0)
		goto out;
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	ECDSA_SIG_set0(sig, r, s);
	der_len = i2d_ECDSA_SIG(sig, &der);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, 65);
	params[2] = OSSL_PARAM_construct_end();
	assert_true(EVP_PKEY_fromdata_init(pc) > 0);
	assert_true(EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) > 0);
	assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pk, NULL), 1);
	ok = EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)jwt,
			      (size_t)(dot2 - jwt)) == 1;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(pc);
	return ok;
}

static json_t *jwt_part(const char *jwt, int index)
{
	const char *p = jwt, *end;
	char buf[1024];
	uint8_t dec[768];
	size_t n;
	json_error_t e;

	for (int i = 0; i < index; i++)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	n = (size_t)(end - p);
	assert_true(n < sizeof(buf));
	memcpy(buf, p, n);
	buf[n] = '\0';
	assert_int_equal(webpush_unb64url(buf, n, dec, n * 3 / 4), 0);
	return json_loadb((const char *)dec, n * 3 / 4, 0, &e);
}

static void test_vapid_jwt(void **state)
{
	uint8_t seed[32], pub[65], pub2[65];
	struct webpush_vapid *v = NULL, *v2 = NULL;
	char jwt[WEBPUSH_JWT_MAX], b64[WEBPUSH_PUBLIC_B64_LEN + 1];
	json_t *h, *c;
	(void)state;

	memset(seed, 0x42, sizeof(seed));
	assert_int_equal(webpush_vapid_from_seed(seed, &v), 0);
	assert_int_equal(webpush_vapid_from_seed(seed, &v2), 0);
	webpush_vapid_public(v, pub);
	webpush_vapid_public(v2, pub2);
	assert_memory_equal(pub, pub2, 65); /* deterministic */
	assert_true(webpush_point_ok(pub));
	webpush_vapid_public_b64(v, b64);
	assert_int_equal(strlen(b64), WEBPUSH_PUBLIC_B64_LEN);
	webpush_vapid_free(v2);
	seed[0] ^= 1;
	assert_int_equal(webpush_vapid_from_seed(seed, &v2), 0);
	webpush_vapid_public(v2, pub2);
	assert_memory_not_equal(pub, pub2, 65);

	assert_int_equal(webpush_vapid_jwt(v, "https://push.example.net", "mailto:urp@comune.example.org",
					   1900000000, jwt, sizeof(jwt)), 0);
	assert_true(verify_es256(jwt, pub));
	assert_false(verify_es256(jwt, pub2)); /* another key does not verify it */
	h = jwt_part(jwt, 0);
	c = jwt_part(jwt, 1);
	assert_non_null(h);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(c, "aud")), "https://push.example.net");
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "mailto:urp@comune.example.org");
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1900000000);
	json_decref(h);
	json_decref(c);
	/* a tampered claim no longer verifies */
	{
		char *p = strchr(jwt, '.') + 3;
		*p = *p == 'A' ? 'B' : 'A';
		assert_false(verify_es256(jwt, pub));
	}
	/* subject and audience are checked */
	assert_int_equal(webpush_vapid_jwt(v, "https://push.example.net", "urp@comune.example.org",
					   1900000000, jwt, sizeof(jwt)), BANDITORE_EINVAL);
	assert_int_equal(webpush_vapid_jwt(v, "push.example.net", "mailto:a@example.org", 1900000000,
					   jwt, sizeof(jwt)), BANDITORE_EINVAL);
	assert_int_equal(webpush_vapid_jwt(v, "https://push.example.net", "mailto:a\"@example.org",
					   1900000000, jwt, sizeof(jwt)), BANDITORE_EINVAL);
	webpush_vapid_free(v);
	webpush_vapid_free(v2);
}

static void test_origin(void **state)
{
	char o[64];
	(void)state;

	assert_int_equal(webpush_origin("https://push.example.net/wpush/v2/x", o, sizeof(o)), 0);
	assert_string_equal(o, "https://push.example.net");
	assert_int_equal(webpush_origin("https://push.example.net:8443/x?y", o, sizeof(o)), 0);
	assert_string_equal(o, "https://push.example.net:8443");
	assert_int_equal(webpush_origin("http://127.0.0.1:9/a", o, sizeof(o)), 0);
	assert_string_equal(o, "http://127.0.0.1:9");
	assert_int_equal(webpush_origin("ftp://x/", o, sizeof(o)), BANDITORE_EINVAL);
}

static void test_endpoints(void **state)
{
	static const char *const bad[] = {
		"http://push.example.net/x",          /* not https */
		"https://localhost/x",
		"https://push.localhost/x",
		"https://127.0.0.1/x",
		"https://10.0.0.8/x",
		"https://2130706433/x",                /* 127.0.0.1 as a number */
		"https://[::1]/x",
		"https://intranet/x",                  /* no dot */
		"https://user@push.example.net/x",
		"https://push.example.net:0/x",
		"https://push.example.net:99999/x",
		"https://push.example.net/a b",
		"https://push.example.net/a\"b",
		"https://push..example.net/x",
		"https://printer.local/x",
		"javascript:alert(1)",
		"",
	};
	char longurl[WEBPUSH_ENDPOINT_MAX + 10];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (webpush_endpoint_ok(bad[i], 0))
			fail_msg("accepted %s", bad[i]);
	assert_true(webpush_endpoint_ok(ENDPOINT, 0));
	assert_true(webpush_endpoint_ok("https://fcm.googleapis.com/fcm/send/abc:def", 0));
	assert_true(webpush_endpoint_ok("https://web.push.apple.com:443/QG9", 0));
	/* the test setting lets a local push service in */
	assert_false(webpush_endpoint_ok("http://127.0.0.1:8099/push/1", 0));
	assert_true(webpush_endpoint_ok("http://127.0.0.1:8099/push/1", WEBPUSH_ALLOW_INSECURE));
	memset(longurl, 'a', sizeof(longurl));
	memcpy(longurl, "https://push.example.net/", 25);
	longurl[WEBPUSH_ENDPOINT_MAX] = '\0';
	assert_false(webpush_endpoint_ok(longurl, 0));
	longurl[WEBPUSH_ENDPOINT_MAX - 1] = '\0';
	assert_true(webpush_endpoint_ok(longurl, 0));
}

static char *subscription_json(const char *endpoint, const char *p256dh, const char *auth,
			       const char *extra)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"endpoint\":\"%s\",\"expirationTime\":null,\"keys\":{\"p256dh\":\"%s\",\"auth\":\"%s\"}%s}",
		 endpoint, p256dh, auth, extra);
	return buf;
}

static void test_subscription_parse(void **state)
{
	struct webpush_subscription sub, back;
	uint8_t ua_pub[65];
	char text[1024], bad_point[WEBPUSH_PUBLIC_B64_LEN + 1];
	const char *why = NULL, *j;
	(void)state;

	j = subscription_json(ENDPOINT, RFC_UA_PUBLIC, RFC_AUTH, "");
	assert_int_equal(webpush_subscription_parse(j, strlen(j), 0, &sub, &why), 0);
	assert_string_equal(sub.endpoint, ENDPOINT);
	unb64(RFC_UA_PUBLIC, ua_pub, 65);
	assert_memory_equal(sub.p256dh, ua_pub, 65);

	/* the sealed form reads back to the same subscription */
	assert_int_equal(webpush_subscription_format(&sub, text, sizeof(text)), 0);
	assert_int_equal(webpush_subscription_read(text, 0, &back), 0);
	assert_memory_equal(&sub, &back, sizeof(sub));
	assert_int_equal(webpush_subscription_format(&sub, text, 60), BANDITORE_ETOOBIG);

	/* refused: each with its reason */
	memcpy(bad_point, RFC_UA_PUBLIC, sizeof(bad_point));
	bad_point[80] = bad_point[80] == 'A' ? 'B' : 'A'; /* no longer on the curve */
	{
		struct { const char *json; } cases[8];
		char c[8][2048];
		snprintf(c[0], sizeof(c[0]), "%s", subscription_json("http://push.example.net/x", RFC_UA_PUBLIC, RFC_AUTH, ""));
		snprintf(c[1], sizeof(c[1]), "%s", subscription_json("https://127.0.0.1/x", RFC_UA_PUBLIC, RFC_AUTH, ""));
		snprintf(c[2], sizeof(c[2]), "%s", subscription_json(ENDPOINT, bad_point, RFC_AUTH, ""));
		snprintf(c[3], sizeof(c[3]), "%s", subscription_json(ENDPOINT, RFC_UA_PUBLIC, "BTBZMqHH6r4Tts7J_aSI", ""));
		snprintf(c[4], sizeof(c[4]), "%s", subscription_json(ENDPOINT, RFC_UA_PUBLIC, "BTBZMqHH6r4Tts7J_aSIgg==", ""));
		snprintf(c[5], sizeof(c[5]), "%s", subscription_json(ENDPOINT, RFC_UA_PUBLIC, RFC_AUTH, ",\"name\":\"Mario\""));
		snprintf(c[6], sizeof(c[6]), "{\"endpoint\":\"%s\",\"keys\":{\"p256dh\":\"%s\"}}", ENDPOINT, RFC_UA_PUBLIC);
		snprintf(c[7], sizeof(c[7]), "[\"%s\"]", ENDPOINT);
		for (int i = 0; i < 8; i++) {
			cases[i].json = c[i];
			why = NULL;
			if (webpush_subscription_parse(cases[i].json, strlen(cases[i].json), 0, &sub, &why) !=
			    BANDITORE_EINVAL)
				fail_msg("accepted case %d: %s", i, cases[i].json);
			assert_non_null(why);
			assert_null(strstr(why, "example")); /* reasons never quote the input */
		}
	}
	assert_int_equal(webpush_subscription_parse("{", 1, 0, &sub, &why), BANDITORE_EINVAL);
	assert_int_equal(webpush_subscription_parse("", 0, 0, &sub, &why), BANDITORE_EINVAL);
	j = "{\"endpoint\":\"https://push.example.net/a\",\"endpoint\":\"https://push.example.net/b\"}";
	assert_int_equal(webpush_subscription_parse(j, strlen(j), 0, &sub, &why), BANDITORE_EINVAL);
	/* the test setting lets a loopback endpoint in */
	j = subscription_json("http://127.0.0.1:9999/push/1", RFC_UA_PUBLIC, RFC_AUTH, "");
	assert_int_equal(webpush_subscription_parse(j, strlen(j), 0, &sub, &why), BANDITORE_EINVAL);
	assert_int_equal(webpush_subscription_parse(j, strlen(j), WEBPUSH_ALLOW_INSECURE, &sub, &why), 0);
}

static void test_classify(void **state)
{
	struct connector_result r;
	(void)state;

	assert_int_equal(webpush_classify(201, 0, &r), 0);
	assert_int_equal(r.outcome, CONNECTOR_OK);
	assert_false(webpush_result_gone(&r));

	assert_int_equal(webpush_classify(410, 0, &r), BANDITORE_EPERM);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_true(webpush_result_gone(&r));
	assert_int_equal(webpush_classify(404, 0, &r), BANDITORE_EPERM);
	assert_true(webpush_result_gone(&r));

	assert_int_equal(webpush_classify(429, 30, &r), BANDITORE_ETEMP);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	assert_int_equal(r.retry_after, 30);
	assert_false(webpush_result_gone(&r));
	assert_int_equal(webpush_classify(503, 0, &r), BANDITORE_ETEMP);
	assert_int_equal(webpush_classify(408, 0, &r), BANDITORE_ETEMP);

	assert_int_equal(webpush_classify(413, 0, &r), BANDITORE_EPERM);
	assert_false(webpush_result_gone(&r));
	assert_int_equal(webpush_classify(403, 0, &r), BANDITORE_EPERM);
	assert_int_equal(webpush_classify(400, 0, &r), BANDITORE_EPERM);
	assert_false(webpush_result_gone(&r));
}

static void test_new_and_refused_send(void **state)
{
	uint8_t seed[32];
	struct webpush *w = NULL;
	struct webpush_settings ws = { .vapid_seed = seed, .subject = "mailto:urp@comune.example.org" };
	struct webpush_subscription sub;
	struct connector_result r;
	const char *j = subscription_json(ENDPOINT, RFC_UA_PUBLIC, RFC_AUTH, "");
	char big[WEBPUSH_PAYLOAD_MAX + 1];
	(void)state;

	memset(seed, 7, sizeof(seed));
	ws.subject = "urp@comune.example.org";
	assert_int_equal(webpush_new(&ws, &w), BANDITORE_EINVAL);
	assert_null(w);
	ws.subject = "mailto:urp@comune.example.org";
	assert_int_equal(webpush_new(&ws, &w), 0);
	assert_int_equal(webpush_subscription_parse(j, strlen(j), 0, &sub, NULL), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(webpush_send(w, &sub, big, sizeof(big), 60, 0, &r), BANDITORE_EINVAL);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_int_equal(webpush_send(w, &sub, "x", 1, WEBPUSH_TTL_MAX + 1, 0, &r), BANDITORE_EINVAL);
	assert_null(strstr(r.error, "example"));
	/* a loopback endpoint is refused at connect time without the test setting, even if
	 * it slipped through (here it is put in the struct directly) */
	snprintf(sub.endpoint, sizeof(sub.endpoint), "https://localhost.example.net.invalid./x");
	assert_int_equal(webpush_send(w, &sub, "x", 1, 60, 0, &r), BANDITORE_EINVAL);
	webpush_free(w);
	webpush_free(NULL);
}

static void test_caps_and_payload(void **state)
{
	const struct connector_caps *c = webpush_caps();
	char *p = NULL, body[8000];
	json_t *j;
	json_error_t e;
	(void)state;

	assert_string_equal(c->platform, "webpush");
	assert_int_equal(c->text_max, WEBPUSH_TEXT_MAX);
	assert_int_equal(c->media_types, 0);
	assert_true(c->holds_addresses);

	assert_int_equal(webpush_build_payload("Allerta meteo", "Scuole chiuse \"domani\".", "/archivio/42", 1,
					       &p), 0);
	j = json_loads(p, 0, &e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Allerta meteo");
	assert_string_equal(json_string_value(json_object_get(j, "body")), "Scuole chiuse \"domani\".");
	assert_string_equal(json_string_value(json_object_get(j, "url")), "/archivio/42");
	assert_true(json_is_true(json_object_get(j, "emergency")));
	json_decref(j);
	free(p);

	/* a long text is cut at a character boundary, with an ellipsis, within 3993 bytes */
	for (size_t i = 0; i + 2 < sizeof(body); i += 2)
		memcpy(body + i, "\xc3\xa8", 2); /* è */
	body[sizeof(body) - 2] = '\0';
	assert_int_equal(webpush_build_payload("Avviso", body, "/a/1", 0, &p), 0);
	assert_true(strlen(p) <= WEBPUSH_PAYLOAD_MAX);
	j = json_loads(p, 0, &e);
	assert_non_null(j);
	{
		const char *b = json_string_value(json_object_get(j, "body"));
		size_t n = strlen(b);
		assert_true(n > 3 && memcmp(b + n - 3, "\xe2\x80\xa6", 3) == 0);
		assert_int_equal(n - 3, 2 * WEBPUSH_TEXT_MAX); /* 1000 characters of 2 bytes */
	}
	json_decref(j);
	free(p);
	/* quotes double when escaped: still made to fit */
	memset(body, '"', 3000);
	body[3000] = '\0';
	assert_int_equal(webpush_build_payload("Avviso", body, "/a/1", 0, &p), 0);
	assert_true(strlen(p) <= WEBPUSH_PAYLOAD_MAX);
	free(p);
	/* not UTF-8 */
	assert_int_equal(webpush_build_payload("Avviso", "\xff\xfe", "/a/1", 0, &p), BANDITORE_EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64url),
		cmocka_unit_test(test_rfc8291_vector),
		cmocka_unit_test(test_encrypt_fresh_each_time),
		cmocka_unit_test(test_vapid_jwt),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_subscription_parse),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_new_and_refused_send),
		cmocka_unit_test(test_caps_and_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
