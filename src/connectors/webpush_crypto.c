/*
 * webpush_crypto.c - RFC 8291 payload encryption and RFC 8292 VAPID signatures.
 *
 * Encryption runs once per subscriber of every broadcast, so it is written for speed the
 * way common/crypto.c is: the EC and AES-128-GCM algorithms are fetched once, each thread
 * keeps its own key-generation, import and cipher contexts, and the six HMACs of the two
 * HKDFs go through crypto_hmac_sha256 (a reused digest context) rather than OpenSSL's
 * HKDF provider, whose context set-up costs more than the hashing. What remains per
 * message is what RFC 8291 requires: one P-256 key generation and one ECDH.
 */
#include "connectors/webpush.h"
#include "common/crypto.h"
#include "common/err.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- base64url --- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void webpush_b64url(const uint8_t *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int webpush_unb64url(const char *in, size_t in_len, uint8_t *out, size_t n)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	/* Exactly the unpadded length of n bytes: no '=', no extra characters. */
	if (in_len != (n * 4 + 2) / 3)
		return BANDITORE_EINVAL;
	for (size_t i = 0; i < in_len; i++) {
		int v = b64val(in[i]);
		if (v < 0)
			return BANDITORE_EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The leftover bits must be zero (a canonical encoding). */
	if (o != n || (acc & ((1u << bits) - 1)) != 0)
		return BANDITORE_EINVAL;
	return 0;
}

/* --- per-thread contexts --- */

struct thread_ctx {
	EVP_PKEY_CTX *keygen;   /* EC P-256 key generation, initialised once */
	EVP_PKEY_CTX *fromdata; /* imports of the subscriber's public point */
	EVP_CIPHER_CTX *gcm;
};

static EVP_CIPHER *aes128gcm;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;

static void thread_ctx_free(void *p)
{
	struct thread_ctx *t = p;

	if (!t)
		return;
	EVP_PKEY_CTX_free(t->keygen);
	EVP_PKEY_CTX_free(t->fromdata);
	EVP_CIPHER_CTX_free(t->gcm);
	free(t);
}

static void fetch_all(void)
{
	aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	pthread_key_create(&thread_key, thread_ctx_free);
}

static struct thread_ctx *thread_ctx(void)
{
	struct thread_ctx *t;

	pthread_once(&fetch_once, fetch_all);
	if (!aes128gcm)
		return NULL;
	t = pthread_getspecific(thread_key);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->keygen = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	t->fromdata = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	t->gcm = EVP_CIPHER_CTX_new();
	if (!t->keygen || !t->fromdata || !t->gcm || EVP_PKEY_keygen_init(t->keygen) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(t->keygen, "prime256v1") <= 0 ||
	    EVP_PKEY_fromdata_init(t->fromdata) <= 0 || pthread_setspecific(thread_key, t) != 0) {
		thread_ctx_free(t);
		return NULL;
	}
	return t;
}

/* An EVP_PKEY for a P-256 public point (65 bytes, uncompressed); NULL when the bytes are
 * not a point on the curve (OpenSSL checks it on import). */
static EVP_PKEY *import_public(struct thread_ctx *t, const uint8_t pub[WEBPUSH_P256_PUBLIC_LEN])
{
	char group[] = "prime256v1";
	OSSL_PARAM params[3];
	EVP_PKEY *pk = NULL;

	if (pub[0] != 0x04)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      WEBPUSH_P256_PUBLIC_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata(t->fromdata, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		return NULL;
	return pk;
}

/* A P-256 key pair from its private scalar: the public point is computed here (OpenSSL
 * does not derive it on import). */
static EVP_PKEY *import_private(struct thread_ctx *t, const uint8_t priv[WEBPUSH_P256_PRIVATE_LEN],
				uint8_t pub_out[WEBPUSH_P256_PUBLIC_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *q = NULL;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t pub[WEBPUSH_P256_PUBLIC_LEN];

	if (!g)
		return NULL;
	d = BN_bin2bn(priv, WEBPUSH_P256_PRIVATE_LEN, NULL);
	q = EC_POINT_new(g);
	if (!d || !q || BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0 ||
	    EC_POINT_mul(g, q, d, NULL, NULL, NULL) != 1 ||
	    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL) !=
		    sizeof(pub))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params || EVP_PKEY_fromdata(t->fromdata, &pk, EVP_PKEY_KEYPAIR, params) <= 0) {
		pk = NULL;
		goto out;
	}
	memcpy(pub_out, pub, sizeof(pub));
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return pk;
}

/* ECDH of our key with the subscriber's point: the 32-byte x coordinate. */
static int ecdh(EVP_PKEY *ours, EVP_PKEY *theirs, uint8_t out[32])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, ours, NULL);
	size_t len = 32;
	int rc = BANDITORE_ECRYPTO;

	if (!c)
		return BANDITORE_ENOMEM;
	if (EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer_ex(c, theirs, 0) > 0 &&
	    EVP_PKEY_derive(c, out, &len) > 0 && len == 32)
		rc = 0;
	EVP_PKEY_CTX_free(c);
	return rc;
}

/* HKDF-Expand for at most 32 bytes: T(1) = HMAC(prk, info | 0x01). */
static int expand1(const uint8_t prk[32], const uint8_t *info, size_t info_len, uint8_t *out,
		   size_t out_len)
{
	uint8_t msg[WEBPUSH_P256_PUBLIC_LEN * 2 + 32], t[32];
	int rc;

	if (info_len + 1 > sizeof(msg) || out_len > 32)
		return BANDITORE_EINVAL;
	memcpy(msg, info, info_len);
	msg[info_len] = 0x01;
	rc = crypto_hmac_sha256(prk, 32, msg, info_len + 1, t);
	if (!rc)
		memcpy(out, t, out_len);
	crypto_wipe(t, sizeof(t));
	return rc;
}

/* The whole RFC 8291 computation once the two key pairs are known. */
static int seal_record(struct thread_ctx *t, const uint8_t ecdh_secret[32],
		       const uint8_t ua_public[WEBPUSH_P256_PUBLIC_LEN],
		       const uint8_t as_public[WEBPUSH_P256_PUBLIC_LEN],
		       const uint8_t auth[WEBPUSH_AUTH_LEN], const uint8_t salt[WEBPUSH_SALT_LEN],
		       const void *pt, size_t pt_len, uint8_t *out, size_t *out_len)
{
	static const char key_label[] = "WebPush: info";           /* + 0x00 */
	static const char cek_label[] = "Content-Encoding: aes128gcm"; /* + 0x00 */
	static const char nonce_label[] = "Content-Encoding: nonce";   /* + 0x00 */
	uint8_t info[sizeof(key_label) + 2 * WEBPUSH_P256_PUBLIC_LEN];
	uint8_t prk[32], ikm[32], cek[16], nonce[12];
	uint8_t *p = out, *ct;
	int len, rc = BANDITORE_ECRYPTO;

	/* IKM = HKDF(salt = auth, ikm = ecdh, info = "WebPush: info\0" | ua | as, 32). */
	memcpy(info, key_label, sizeof(key_label)); /* with its NUL */
	memcpy(info + sizeof(key_label), ua_public, WEBPUSH_P256_PUBLIC_LEN);
	memcpy(info + sizeof(key_label) + WEBPUSH_P256_PUBLIC_LEN, as_public, WEBPUSH_P256_PUBLIC_LEN);
	if (crypto_hmac_sha256(auth, WEBPUSH_AUTH_LEN, ecdh_secret, 32, prk) ||
	    expand1(prk, info, sizeof(info), ikm, 32))
		goto fail;
	/* RFC 8188: PRK = HMAC(salt, IKM); CEK and NONCE under their labels. */
	if (crypto_hmac_sha256(salt, WEBPUSH_SALT_LEN, ikm, 32, prk) ||
	    expand1(prk, (const uint8_t *)cek_label, sizeof(cek_label), cek, sizeof(cek)) ||
	    expand1(prk, (const uint8_t *)nonce_label, sizeof(nonce_label), nonce, sizeof(nonce)))
		goto fail;

	/* Header: salt | rs (4096, big-endian) | idlen (65) | keyid (as_public). */
	memcpy(p, salt, WEBPUSH_SALT_LEN);
	p += WEBPUSH_SALT_LEN;
	*p++ = 0x00;
	*p++ = 0x00;
	*p++ = 0x10;
	*p++ = 0x00;
	*p++ = WEBPUSH_P256_PUBLIC_LEN;
	memcpy(p, as_public, WEBPUSH_P256_PUBLIC_LEN);
	p += WEBPUSH_P256_PUBLIC_LEN;

	/* One record, sequence number 0 (so the nonce as derived): the payload and the
	 * last-record delimiter 0x02; no padding (a comune's notices are public texts). */
	ct = p;
	if (EVP_EncryptInit_ex2(t->gcm, aes128gcm, cek, nonce, NULL) != 1 ||
	    EVP_EncryptUpdate(t->gcm, ct, &len, pt, (int)pt_len) != 1)
		goto fail;
	{
		static const uint8_t delimiter = 0x02;
		int len2;
		if (EVP_EncryptUpdate(t->gcm, ct + len, &len2, &delimiter, 1) != 1)
			goto fail;
		len += len2;
		if (EVP_EncryptFinal_ex(t->gcm, ct + len, &len2) != 1)
			goto fail;
		len += len2;
	}
	if ((size_t)len != pt_len + 1 ||
	    EVP_CIPHER_CTX_ctrl(t->gcm, EVP_CTRL_GCM_GET_TAG, WEBPUSH_TAG_LEN, ct + len) != 1)
		goto fail;
	*out_len = WEBPUSH_HEADER_LEN + pt_len + 1 + WEBPUSH_TAG_LEN;
	rc = 0;
fail:
	crypto_wipe(prk, sizeof(prk));
	crypto_wipe(ikm, sizeof(ikm));
	crypto_wipe(cek, sizeof(cek));
	crypto_wipe(nonce, sizeof(nonce));
	return rc;
}

static int check_sizes(size_t pt_len, size_t out_cap)
{
	if (pt_len > WEBPUSH_PAYLOAD_MAX)
		return BANDITORE_ETOOBIG;
	if (out_cap < pt_len + WEBPUSH_HEADER_LEN + WEBPUSH_TAG_LEN + 1)
		return BANDITORE_ETOOBIG;
	return 0;
}

int webpush_encrypt_with(const uint8_t as_private[WEBPUSH_P256_PRIVATE_LEN],
			 const uint8_t ua_public[WEBPUSH_P256_PUBLIC_LEN],
			 const uint8_t auth[WEBPUSH_AUTH_LEN], const uint8_t salt[WEBPUSH_SALT_LEN],
			 const void *pt, size_t pt_len, uint8_t *out, size_t out_cap,
			 size_t *out_len)
{
	struct thread_ctx *t = thread_ctx();
	EVP_PKEY *ours = NULL, *theirs = NULL;
	uint8_t as_public[WEBPUSH_P256_PUBLIC_LEN], secret[32];
	int rc = check_sizes(pt_len, out_cap);

	if (rc)
		return rc;
	if (!t)
		return BANDITORE_ENOMEM;
	theirs = import_public(t, ua_public);
	if (!theirs)
		return BANDITORE_EINVAL;
	ours = import_private(t, as_private, as_public);
	rc = ours ? ecdh(ours, theirs, secret) : BANDITORE_EINVAL;
	if (!rc)
		rc = seal_record(t, secret, ua_public, as_public, auth, salt, pt, pt_len, out, out_len);
	crypto_wipe(secret, sizeof(secret));
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return rc;
}

int webpush_encrypt(const uint8_t ua_public[WEBPUSH_P256_PUBLIC_LEN],
		    const uint8_t auth[WEBPUSH_AUTH_LEN], const void *pt, size_t pt_len,
		    uint8_t *out, size_t out_cap, size_t *out_len)
{
	struct thread_ctx *t = thread_ctx();
	EVP_PKEY *ours = NULL, *theirs = NULL;
	uint8_t as_public[WEBPUSH_P256_PUBLIC_LEN], salt[WEBPUSH_SALT_LEN], secret[32];
	size_t publen = 0;
	int rc = check_sizes(pt_len, out_cap);

	if (rc)
		return rc;
	if (!t)
		return BANDITORE_ENOMEM;
	theirs = import_public(t, ua_public);
	if (!theirs)
		return BANDITORE_EINVAL;
	rc = BANDITORE_ECRYPTO;
	/* A fresh ephemeral key pair for this message (RFC 8291 3.1), and a fresh salt. */
	if (EVP_PKEY_generate(t->keygen, &ours) <= 0)
		goto fail;
	if (EVP_PKEY_get_octet_string_param(ours, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, as_public,
					    sizeof(as_public), &publen) != 1 ||
	    publen != sizeof(as_public) || as_public[0] != 0x04)
		goto fail;
	if (crypto_random(salt, sizeof(salt)))
		goto fail;
	rc = ecdh(ours, theirs, secret);
	if (!rc)
		rc = seal_record(t, secret, ua_public, as_public, auth, salt, pt, pt_len, out, out_len);
fail:
	crypto_wipe(secret, sizeof(secret));
	EVP_PKEY_free(ours);
	EVP_PKEY_free(theirs);
	return rc;
}

int webpush_point_ok(const uint8_t pub[WEBPUSH_P256_PUBLIC_LEN])
{
	struct thread_ctx *t = thread_ctx();
	EVP_PKEY *pk;

	if (!t)
		return 0;
	pk = import_public(t, pub);
	if (!pk)
		return 0;
	EVP_PKEY_free(pk);
	return 1;
}

/* --- VAPID --- */

struct webpush_vapid {
	EVP_PKEY *key;
	uint8_t pub[WEBPUSH_P256_PUBLIC_LEN];
};

int webpush_vapid_from_raw(const uint8_t priv[WEBPUSH_P256_PRIVATE_LEN],
			   struct webpush_vapid **out)
{
	struct thread_ctx *t = thread_ctx();
	struct webpush_vapid *v;

	*out = NULL;
	if (!t)
		return BANDITORE_ENOMEM;
	v = calloc(1, sizeof(*v));
	if (!v)
		return BANDITORE_ENOMEM;
	v->key = import_private(t, priv, v->pub);
	if (!v->key) {
		free(v);
		return BANDITORE_ECRYPTO;
	}
	*out = v;
	return 0;
}

int webpush_vapid_from_seed(const uint8_t seed[32], struct webpush_vapid **out)
{
	uint8_t d[32];
	char label[32];
	int rc;

	/* The seed itself first; a seed that is 0 or >= the group order (about 2^-32) is
	 * replaced by HKDF of it under a numbered label, deterministically. */
	memcpy(d, seed, sizeof(d));
	for (int i = 1; i <= 8; i++) {
		rc = webpush_vapid_from_raw(d, out);
		if (rc != BANDITORE_ECRYPTO)
			break;
		snprintf(label, sizeof(label), "banditore vapid retry %d", i);
		if (crypto_hkdf(seed, 32, label, d, sizeof(d))) {
			rc = BANDITORE_ECRYPTO;
			break;
		}
	}
	crypto_wipe(d, sizeof(d));
	return rc;
}

void webpush_vapid_free(struct webpush_vapid *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->key); /* OpenSSL clears private key material on free */
	free(v);
}

void webpush_vapid_public(const struct webpush_vapid *v, uint8_t out[WEBPUSH_P256_PUBLIC_LEN])
{
	memcpy(out, v->pub, WEBPUSH_P256_PUBLIC_LEN);
}

void webpush_vapid_public_b64(const struct webpush_vapid *v, char out[WEBPUSH_PUBLIC_B64_LEN + 1])
{
	webpush_b64url(v->pub, WEBPUSH_P256_PUBLIC_LEN, out);
}

/* A JSON string value needs no escaping when it is printable ASCII without '"' or '\'. */
static int json_plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

int webpush_vapid_jwt(const struct webpush_vapid *v, const char *audience, const char *subject,
		      int64_t exp, char *out, size_t out_cap)
{
	/* {"typ":"JWT","alg":"ES256"} */
	static const char header[] = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9";
	char claims[WEBPUSH_SUBJECT_MAX + WEBPUSH_ENDPOINT_MAX + 64];
	char claims_b64[sizeof(claims) * 4 / 3 + 4];
	uint8_t der[80], raw[64];
	size_t der_len = sizeof(der), pos;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *sig = NULL;
	const unsigned char *dp;
	const BIGNUM *r, *s;
	int n, rc = BANDITORE_EINVAL;

	if (!audience || !subject || strlen(subject) >= WEBPUSH_SUBJECT_MAX ||
	    strlen(audience) >= WEBPUSH_ENDPOINT_MAX || !json_plain(audience) || !json_plain(subject) ||
	    (strncmp(subject, "mailto:", 7) != 0 && strncmp(subject, "https://", 8) != 0) ||
	    (strncmp(audience, "https://", 8) != 0 && strncmp(audience, "http://", 7) != 0))
		return BANDITORE_EINVAL;
	n = snprintf(claims, sizeof(claims), "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", audience,
		     (long long)exp, subject);
	if (n < 0 || (size_t)n >= sizeof(claims))
		return BANDITORE_ETOOBIG;
	webpush_b64url((const uint8_t *)claims, (size_t)n, claims_b64);
	pos = sizeof(header) - 1 + 1 + strlen(claims_b64);
	if (pos + 1 + 86 + 1 > out_cap)
		return BANDITORE_ETOOBIG;
	memcpy(out, header, sizeof(header) - 1);
	out[sizeof(header) - 1] = '.';
	memcpy(out + sizeof(header), claims_b64, strlen(claims_b64));
	out[pos] = '\0';

	rc = BANDITORE_ECRYPTO;
	md = EVP_MD_CTX_new();
	if (!md)
		return BANDITORE_ENOMEM;
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, v->key, NULL) != 1 ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)out, pos) != 1)
		goto fail;
	/* JWS ES256 wants r and s as two 32-byte big-endian numbers, not DER. */
	dp = der;
	sig = d2i_ECDSA_SIG(NULL, &dp, (long)der_len);
	if (!sig)
		goto fail;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		goto fail;
	out[pos] = '.';
	webpush_b64url(raw, sizeof(raw), out + pos + 1);
	rc = 0;
fail:
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}
