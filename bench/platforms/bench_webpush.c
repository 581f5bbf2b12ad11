/*
 * bench_webpush.c - web push payload encryptions per second on one core (issue 7:
 * target 20,000), with references measured in the same run.
 *
 *   bench_webpush [SECONDS] [PAYLOAD_BYTES] [encrypt]   ("encrypt": that figure only,
 *                                                      for a profiler)
 *
 * Each figure is operations per second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
 * run for SECONDS (default 3) of wall time: the rate of one core, whatever else the
 * shared machine runs meanwhile (`openssl speed` counts CPU time the same way). Run it
 * pinned to one CPU (bench/platforms/webpush.sh does):
 *
 *   webpush_encrypt     the whole RFC 8291 encryption of one payload for one subscriber
 *                       (fresh P-256 key, ECDH, two HKDFs, AES-128-GCM), as every send
 *   aes128gcm           AES-128-GCM of the same payload alone (the symmetric floor)
 *   p256_keygen         one EVP P-256 key generation (the per-message ephemeral key)
 *   p256_ecdh           one EVP ECDH with a subscriber's public key, keys made beforehand
 *   vapid_jwt           one ES256 VAPID signature (cached per push service origin, so
 *                       not per message)
 *
 * Output: one "name rate" line per figure, then a JSON line for bench/RESULTS.md.
 */
#include "connectors/webpush.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `op` in batches of 64 until `seconds` of wall time have passed; returns
 * operations per CPU second of this thread. */
static double rate(const char *name, double seconds, int (*op)(void *), void *arg)
{
	double w0 = clock_s(CLOCK_MONOTONIC), t0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t;
	long n = 0;

	do {
		for (int i = 0; i < 64; i++)
			if (op(arg) != 0) {
				fprintf(stderr, "bench_webpush: %s failed\n", name);
				exit(1);
			}
		n += 64;
	} while (clock_s(CLOCK_MONOTONIC) - w0 < seconds);
	t = clock_s(CLOCK_THREAD_CPUTIME_ID);
	printf("%-16s %10.0f /s\n", name, (double)n / (t - t0));
	fflush(stdout);
	return (double)n / (t - t0);
}

struct ctx {
	uint8_t ua_pub[WEBPUSH_P256_PUBLIC_LEN], auth[WEBPUSH_AUTH_LEN];
	uint8_t payload[WEBPUSH_PAYLOAD_MAX], out[WEBPUSH_BODY_MAX];
	size_t len;
	EVP_CIPHER *gcm;
	EVP_CIPHER_CTX *cctx;
	EVP_PKEY_CTX *kg;
	EVP_PKEY *ours, *theirs;
	struct webpush_vapid *vapid;
};

static int op_encrypt(void *arg)
{
	struct ctx *c = arg;
	size_t olen;
	return webpush_encrypt(c->ua_pub, c->auth, c->payload, c->len, c->out, sizeof(c->out), &olen);
}

static int op_gcm(void *arg)
{
	struct ctx *c = arg;
	static const uint8_t key[16] = { 1 }, iv[12] = { 2 };
	int len, len2;

	if (EVP_EncryptInit_ex2(c->cctx, c->gcm, key, iv, NULL) != 1 ||
	    EVP_EncryptUpdate(c->cctx, c->out, &len, c->payload, (int)c->len) != 1 ||
	    EVP_EncryptFinal_ex(c->cctx, c->out + len, &len2) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c->cctx, EVP_CTRL_GCM_GET_TAG, 16, c->out + len + len2) != 1)
		return 1;
	return 0;
}

static int op_keygen(void *arg)
{
	struct ctx *c = arg;
	EVP_PKEY *k = NULL;
	if (EVP_PKEY_generate(c->kg, &k) <= 0)
		return 1;
	EVP_PKEY_free(k);
	return 0;
}

static int op_ecdh(void *arg)
{
	struct ctx *c = arg;
	EVP_PKEY_CTX *d = EVP_PKEY_CTX_new_from_pkey(NULL, c->ours, NULL);
	uint8_t secret[32];
	size_t len = sizeof(secret);
	int rc = !d || EVP_PKEY_derive_init(d) <= 0 || EVP_PKEY_derive_set_peer_ex(d, c->theirs, 0) <= 0 ||
		 EVP_PKEY_derive(d, secret, &len) <= 0;
	EVP_PKEY_CTX_free(d);
	return rc;
}

static int op_jwt(void *arg)
{
	struct ctx *c = arg;
	char jwt[WEBPUSH_JWT_MAX];
	return webpush_vapid_jwt(c->vapid, "https://push.example.net", "mailto:urp@comune.example.org",
				 1900000000, jwt, sizeof(jwt));
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	struct ctx c;
	uint8_t seed[32];
	size_t publen = 0;
	double enc, gcm, kg, ecdh, jwt;

	memset(&c, 0, sizeof(c));
	c.len = argc > 2 ? (size_t)atol(argv[2]) : 300;
	if (seconds <= 0 || c.len > WEBPUSH_PAYLOAD_MAX) {
		fprintf(stderr, "usage: bench_webpush [SECONDS] [PAYLOAD_BYTES <= %d]\n", WEBPUSH_PAYLOAD_MAX);
		return 2;
	}
	for (size_t i = 0; i < c.len; i++)
		c.payload[i] = (uint8_t)("Avviso del Comune: chiusura scuole per allerta meteo. "[i % 54]);
	/* A subscriber as a browser makes it. */
	c.kg = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!c.kg || EVP_PKEY_keygen_init(c.kg) <= 0 || EVP_PKEY_CTX_set_group_name(c.kg, "prime256v1") <= 0 ||
	    EVP_PKEY_generate(c.kg, &c.theirs) <= 0 || EVP_PKEY_generate(c.kg, &c.ours) <= 0 ||
	    EVP_PKEY_get_octet_string_param(c.theirs, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, c.ua_pub,
					    sizeof(c.ua_pub), &publen) != 1 || publen != 65)
		return 1;
	memset(c.auth, 0x5a, sizeof(c.auth));
	memset(seed, 0x42, sizeof(seed));
	c.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	c.cctx = EVP_CIPHER_CTX_new();
	if (!c.gcm || !c.cctx || webpush_vapid_from_seed(seed, &c.vapid) != 0)
		return 1;
	printf("payload %zu bytes, %.1f s per figure, one thread\n", c.len, seconds);
	enc = rate("webpush_encrypt", seconds, op_encrypt, &c);
	if (argc > 3 && !strcmp(argv[3], "encrypt"))
		return 0;
	gcm = rate("aes128gcm", seconds, op_gcm, &c);
	kg = rate("p256_keygen", seconds, op_keygen, &c);
	ecdh = rate("p256_ecdh", seconds, op_ecdh, &c);
	jwt = rate("vapid_jwt", seconds, op_jwt, &c);
	printf("{\"payload_bytes\":%zu,\"webpush_encrypt\":%.0f,\"aes128gcm\":%.0f,\"p256_keygen\":%.0f,"
	       "\"p256_ecdh\":%.0f,\"vapid_jwt\":%.0f}\n", c.len, enc, gcm, kg, ecdh, jwt);
	webpush_vapid_free(c.vapid);
	EVP_PKEY_free(c.ours);
	EVP_PKEY_free(c.theirs);
	EVP_PKEY_CTX_free(c.kg);
	EVP_CIPHER_CTX_free(c.cctx);
	EVP_CIPHER_free(c.gcm);
	return 0;
}
