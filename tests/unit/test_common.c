/* test_common.c - unit tests of src/common: keywords, numbers, crypto, keys, buffers. */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/e164.h"
#include "common/err.h"
#include "common/keyfile.h"
#include "common/keyword.h"
#include "common/utf8.h"

static void norm_is(const char *in, const char *want)
{
	char out[KEYWORD_MAX];
	assert_int_equal(keyword_normalize(in, strlen(in), out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_keyword_variants(void **state)
{
	(void)state;
	norm_is("attiva iscrizione", "attiva iscrizione");
	norm_is("ATTIVA ISCRIZIONE", "attiva iscrizione");
	norm_is("Attiva  Iscrizione!", "attiva iscrizione");
	norm_is("ATTIVA ISCRIZIONE \xf0\x9f\x99\x82", "attiva iscrizione"); /* emoji */
	norm_is("  \t\"attiva\"\n iscrizione... ", "attiva iscrizione");
	norm_is("\xef\xbc\xa1\xef\xbc\xb4\xef\xbc\xb4\xef\xbc\xa9\xef\xbc\xb6\xef\xbc\xa1 iscrizione",
		"attiva iscrizione"); /* full-width ATTIVA */
	norm_is("S\xc3\xac", "si"); /* Sì: accent folded */
	norm_is("STOP", "stop");
	norm_is("\xf0\x9f\x99\x82", ""); /* only an emoji */
}

static void test_keyword_mismatch(void **state)
{
	(void)state;
	assert_true(keyword_matches("Attiva Iscrizione!", 18, "attiva iscrizione"));
	assert_false(keyword_matches("attiva", 6, "attiva iscrizione"));
	assert_false(keyword_matches("vorrei attiva iscrizione", 24, "attiva iscrizione"));
	assert_false(keyword_matches("disattiva iscrizione", 20, "attiva iscrizione"));
	assert_false(keyword_matches("", 0, ""));
}

static void test_keyword_bad_input(void **state)
{
	char out[KEYWORD_MAX];
	char big[5000];
	(void)state;
	assert_int_equal(keyword_normalize("\xff\xfe", 2, out, sizeof(out)), BANDITORE_EINVAL);
	assert_string_equal(out, "");
	memset(big, 'a', sizeof(big));
	assert_int_equal(keyword_normalize(big, sizeof(big), out, sizeof(out)), BANDITORE_ETOOBIG);
	memset(big, 'a', 300);
	assert_int_equal(keyword_normalize(big, 300, out, sizeof(out)), BANDITORE_ETOOBIG);
}

static void test_e164(void **state)
{
	char out[E164_MAX];
	(void)state;
	assert_int_equal(e164_normalize("+39 333 000 0001", out), 0);
	assert_string_equal(out, "+393330000001");
	assert_int_equal(e164_normalize("393330000001", out), 0);
	assert_string_equal(out, "+393330000001");
	assert_int_equal(e164_normalize("0039 (333) 000-0001", out), 0);
	assert_string_equal(out, "+393330000001");
	assert_int_equal(e164_normalize("+39 333 abc", out), BANDITORE_EINVAL);
	assert_int_equal(e164_normalize("+1234567", out), BANDITORE_EINVAL);          /* 7 digits */
	assert_int_equal(e164_normalize("+1234567890123456", out), BANDITORE_EINVAL); /* 16 */
	assert_int_equal(e164_normalize("", out), BANDITORE_EINVAL);
	assert_int_equal(e164_normalize("+0333000001", out), BANDITORE_EINVAL);
}

static void test_seal_open(void **state)
{
	uint8_t key[CRYPTO_KEY_LEN], other[CRYPTO_KEY_LEN], sealed[128], sealed2[128];
	char pt[64];
	size_t n, n2, m;
	(void)state;
	assert_int_equal(crypto_random(key, sizeof(key)), 0);
	assert_int_equal(crypto_random(other, sizeof(other)), 0);
	assert_int_equal(crypto_seal(key, "a", 1, "+393330000001", 13, sealed, sizeof(sealed), &n), 0);
	assert_int_equal(n, 13 + CRYPTO_SEAL_OVERHEAD);
	assert_null(memmem(sealed, n, "3330000001", 10));
	assert_int_equal(crypto_seal(key, "a", 1, "+393330000001", 13, sealed2, sizeof(sealed2), &n2), 0);
	assert_memory_not_equal(sealed, sealed2, n); /* fresh nonce each time */
	assert_int_equal(crypto_open(key, "a", 1, sealed, n, (uint8_t *)pt, sizeof(pt), &m), 0);
	assert_int_equal(m, 13);
	assert_memory_equal(pt, "+393330000001", 13);
	assert_int_equal(crypto_open(other, "a", 1, sealed, n, (uint8_t *)pt, sizeof(pt), &m), BANDITORE_ECRYPTO);
	assert_int_equal(crypto_open(key, "b", 1, sealed, n, (uint8_t *)pt, sizeof(pt), &m), BANDITORE_ECRYPTO);
	sealed[CRYPTO_NONCE_LEN] ^= 1;
	assert_int_equal(crypto_open(key, "a", 1, sealed, n, (uint8_t *)pt, sizeof(pt), &m), BANDITORE_ECRYPTO);
	assert_int_equal(crypto_open(key, "a", 1, sealed, 5, (uint8_t *)pt, sizeof(pt), &m), BANDITORE_EINVAL);
}

/* AES-256-GCM opened by a fresh OpenSSL context, independent of crypto.c's kept ones. */
static int ref_open(const uint8_t *key, const char *aad, const uint8_t *in, size_t in_len,
		    uint8_t *pt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t ct_len = in_len - CRYPTO_SEAL_OVERHEAD;
	uint8_t tag[CRYPTO_TAG_LEN];
	int len, ok;

	memcpy(tag, in + CRYPTO_NONCE_LEN + ct_len, sizeof(tag));
	ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
	     EVP_DecryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) == 1 &&
	     EVP_DecryptUpdate(c, pt, &len, in + CRYPTO_NONCE_LEN, (int)ct_len) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) == 1 &&
	     EVP_DecryptFinal_ex(c, pt + len, &len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* Each thread keeps its GCM contexts set up with the last key and draws nonces from a
 * reserve (crypto.c): with keys alternating, opens failing in between and the reserve
 * refilled many times over, every sealed value is what a fresh context reads, with the
 * nonce it carries, and no nonce comes twice. */
static void test_seal_kept_contexts(void **state)
{
	enum { N = 300 };
	static uint8_t sealed[N][13 + CRYPTO_SEAL_OVERHEAD];
	uint8_t keys[2][CRYPTO_KEY_LEN], pt[32];
	char text[16];
	size_t n, m;
	(void)state;

	assert_int_equal(crypto_random(keys[0], sizeof(keys[0])), 0);
	assert_int_equal(crypto_random(keys[1], sizeof(keys[1])), 0);
	for (int i = 0; i < N; i++) {
		const uint8_t *k = keys[(i / 3) % 2];
		snprintf(text, sizeof(text), "+39333%07d", i);
		assert_int_equal(crypto_seal(k, "a", 1, text, 13, sealed[i], sizeof(sealed[i]), &n), 0);
		assert_int_equal(n, sizeof(sealed[i]));
		if (i % 7 == 0) /* an open that fails, with the other key, in between */
			assert_int_equal(crypto_open(keys[((i / 3) + 1) % 2], "a", 1, sealed[i], n, pt,
						     sizeof(pt), &m), BANDITORE_ECRYPTO);
		assert_int_equal(crypto_open(k, "a", 1, sealed[i], n, pt, sizeof(pt), &m), 0);
		assert_memory_equal(pt, text, 13);
		memset(pt, 0, sizeof(pt));
		assert_true(ref_open(k, "a", sealed[i], n, pt));
		assert_memory_equal(pt, text, 13);
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_memory_not_equal(sealed[i], sealed[j], CRYPTO_NONCE_LEN);
}

static void test_hmac_known_vector(void **state)
{
	/* RFC 4231 test case 2 */
	uint8_t mac[32];
	char hex[65];
	(void)state;
	assert_int_equal(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	crypto_hex(mac, 32, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 6: a key longer than the block is hashed first */
	{
		uint8_t key[131];
		char h6[65];
		const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
		memset(key, 0xaa, sizeof(key));
		assert_int_equal(crypto_hmac_sha256(key, sizeof(key), m, strlen(m), mac), 0);
		crypto_hex(mac, 32, h6);
		assert_string_equal(h6, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
		assert_int_equal(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac), 0);
	}
	assert_int_equal(crypto_unhex(hex, mac, 32), 0);
	assert_int_equal(crypto_unhex("zz", mac, 1), BANDITORE_EINVAL);
	assert_int_equal(crypto_unhex("abc", mac, 1), BANDITORE_EINVAL);
}

static void test_keyfile(void **state)
{
	char dir[] = "/tmp/banditore-test-XXXXXX", path[256];
	struct keyfile_keys a, b;
	struct stat st;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/banditore.key", dir);
	assert_int_equal(keyfile_load(path, &a), BANDITORE_ENOTFOUND);
	assert_int_equal(keyfile_create(path), 0);
	assert_int_equal(keyfile_create(path), BANDITORE_EEXIST);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_load(path, &a), 0);
	assert_int_equal(keyfile_load(path, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_not_equal(a.seal, a.index, CRYPTO_KEY_LEN);
	chmod(path, 0644);
	assert_int_equal(keyfile_load(path, &a), BANDITORE_EPERM);
	unlink(path);
	rmdir(dir);
}

static void test_buf_limit(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 10);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_appends(&b, "hello"), 0);
	assert_int_equal(buf_appendf(&b, "%d", 1234), 0);
	assert_string_equal(buf_cstr(&b), "hello1234");
	assert_int_equal(buf_appends(&b, "xy"), BANDITORE_ETOOBIG);
	assert_string_equal(buf_cstr(&b), "hello1234"); /* unchanged */
	assert_int_equal(buf_appends(&b, "x"), 0);
	assert_int_equal(b.len, 10);
	buf_free(&b);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_int_equal(utf8_chars("", UTF8_NO_LIMIT), 0);
	assert_int_equal(utf8_chars("citt\xc3\xa0 \xf0\x9f\x99\x82", UTF8_NO_LIMIT), 7); /* città 🙂 */
	assert_int_equal(utf8_chars("citt\xc3\xa0", 3), 4);            /* stops past the limit */
	assert_int_equal(utf8_chars("citt\xc3\xa0", 5), 5);
	assert_int_equal(utf8_chars("a\xc3", UTF8_NO_LIMIT), -1);       /* cut in a character */
	assert_int_equal(utf8_chars("\xed\xa0\x80", UTF8_NO_LIMIT), -1); /* a surrogate */
	assert_int_equal(utf8_chars("\xc0\xaf", UTF8_NO_LIMIT), -1);    /* overlong */
	assert_int_equal(utf8_prefix_bytes("citt\xc3\xa0!", 5), 6);    /* whole characters */
	assert_int_equal(utf8_prefix_bytes("citt\xc3\xa0!", 4), 4);
	assert_int_equal(utf8_prefix_bytes("ab", 10), 2);
	assert_int_equal(utf8_prefix_bytes("ab", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyword_variants),
		cmocka_unit_test(test_keyword_mismatch),
		cmocka_unit_test(test_keyword_bad_input),
		cmocka_unit_test(test_e164),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_seal_kept_contexts),
		cmocka_unit_test(test_hmac_known_vector),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
