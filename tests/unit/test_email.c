/*
 * test_email.c - unit tests of the e-mail connector: address canonical form, the
 * composed message (headers, encoded-words, one recipient only, the list headers of
 * RFC 2369/8058, multipart/alternative with quoted-printable parts that decode back to
 * the text, HTML escaped and free of images), unsubscribe tokens and links, and the
 * classification of SMTP outcomes. Fictitious addresses only (example.org).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/email_addr.h"
#include "common/err.h"
#include "connectors/email.h"

#define FROM "avvisi@comune.example.org"
#define TO "cittadina.uno@example.org"
#define UNSUB "https://comune.example.org/email/unsubscribe?t=abc"

static void test_addr(void **state)
{
	char out[EMAIL_ADDR_MAX + 1];
	(void)state;

	assert_int_equal(email_addr_canonical("  Mario.Rossi@Example.ORG \n", out, sizeof(out)), 0);
	assert_string_equal(out, "mario.rossi@example.org");
	assert_int_equal(email_addr_canonical("a+tag@sub.example.org", out, sizeof(out)), 0);
	assert_string_equal(email_addr_domain(out), "sub.example.org");
	static const char *const bad[] = {
		"", "@example.org", "a@", "a@example", "a@@example.org", "a@b@example.org",
		"a..b@example.org", ".a@example.org", "a.@example.org", "a@-x.example.org",
		"a@x-.example.org", "a@example..org", "a b@example.org", "\"a\"@example.org",
		"a@[127.0.0.1]", "a@1.2.3.4", "àb@example.org", "a@exämple.org",
		"a\r\nBcc: x@example.org", "a@example.org>", "a@example.org\r\nX: y",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(email_addr_canonical(bad[i], out, sizeof(out)), BANDITORE_EINVAL);
	char local65[80];
	memset(local65, 'a', 65);
	snprintf(local65 + 65, sizeof(local65) - 65, "@example.org");
	assert_int_equal(email_addr_canonical(local65, out, sizeof(out)), BANDITORE_EINVAL);
	assert_int_equal(email_addr_canonical(TO, out, 5), BANDITORE_ETOOBIG);
}

/* The value of header `name` (unfolded), or NULL; only the top-level header block. */
static char *header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t nl = strlen(name);
	const char *p = msg;

	while (p && p < end) {
		if (!strncmp(p, name, nl) && p[nl] == ':') {
			struct buf b;
			const char *v = p + nl + 1;
			buf_init(&b, 4096);
			while (*v == ' ')
				v++;
			for (;;) {
				const char *e = strstr(v, "\r\n");
				buf_append(&b, v, (size_t)(e - v));
				if (e[2] == ' ' || e[2] == '\t') {
					v = e + 3;
					continue;
				}
				break;
			}
			return buf_steal(&b);
		}
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return NULL;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes the quoted-printable part that starts after `marker`'s header block up to the
 * next boundary line "--=_b". Lines must be at most 76 characters. */
static char *qp_part(const char *msg, const char *content_type)
{
	const char *p = strstr(msg, content_type), *end;
	struct buf b;

	assert_non_null(p);
	p = strstr(p, "\r\n\r\n");
	assert_non_null(p);
	p += 4;
	end = strstr(p, "\r\n--=_b");
	assert_non_null(end);
	end += 2;
	buf_init(&b, 1 << 20);
	while (p < end) {
		const char *e = strstr(p, "\r\n");
		assert_true(e - p <= 76);
		for (const char *q = p; q < e; q++) {
			assert_true((unsigned char)*q < 0x80);
			if (*q == '=' && q + 1 == e) /* soft break */
				goto next;
			if (*q == '=') {
				char c = (char)(hexval(q[1]) * 16 + hexval(q[2]));
				assert_true(hexval(q[1]) >= 0 && hexval(q[2]) >= 0);
				buf_append(&b, &c, 1);
				q += 2;
			} else {
				buf_append(&b, q, 1);
			}
		}
		buf_append(&b, "\n", 1);
next:
		p = e + 2;
	}
	return buf_steal(&b);
}

static char *compose(const char *subject, const char *text, const char *unsub)
{
	struct email_compose c = {
		.from_address = FROM, .from_name = "Comune di Leinì", .to = TO,
		.subject = subject, .text = text, .unsubscribe_url = unsub, .date = 1741082400,
	};
	struct buf out;
	buf_init(&out, EMAIL_MESSAGE_MAX);
	assert_int_equal(email_compose(&c, &out), 0);
	return buf_steal(&out);
}

static void test_compose_headers(void **state)
{
	char *m = compose("Chiusura scuole: allerta meteo", "Domani le scuole restano chiuse.", UNSUB);
	char *h;
	(void)state;

	h = header(m, "To");
	assert_string_equal(h, "<" TO ">");
	free(h);
	h = header(m, "From");
	/* Non-ASCII display name: an encoded-word of "Comune di Leinì". */
	assert_string_equal(h, "=?UTF-8?B?Q29tdW5lIGRpIExlaW7DrA==?= <" FROM ">");
	free(h);
	h = header(m, "Subject");
	assert_string_equal(h, "Chiusura scuole: allerta meteo");
	free(h);
	h = header(m, "Date");
	assert_string_equal(h, "Tue, 04 Mar 2025 10:00:00 +0000");
	free(h);
	h = header(m, "Message-ID");
	assert_non_null(h);
	assert_true(h[0] == '<' && strstr(h, "@comune.example.org>"));
	free(h);
	h = header(m, "List-Unsubscribe");
	assert_string_equal(h, "<" UNSUB ">");
	free(h);
	h = header(m, "List-Unsubscribe-Post");
	assert_string_equal(h, "List-Unsubscribe=One-Click");
	free(h);
	h = header(m, "MIME-Version");
	assert_string_equal(h, "1.0");
	free(h);
	h = header(m, "Content-Type");
	assert_non_null(strstr(h, "multipart/alternative; boundary=\"=_b"));
	free(h);
	assert_null(header(m, "Cc"));
	assert_null(header(m, "Bcc"));
	/* Every line ends in CRLF; no bare LF anywhere. */
	for (const char *p = strchr(m, '\n'); p; p = strchr(p + 1, '\n'))
		assert_int_equal(p[-1], '\r');
	/* The recipient appears only in To (and nowhere in the bodies). */
	assert_int_equal(count(m, TO), 1);
	/* Exactly two parts and the closing boundary. */
	assert_int_equal(count(m, "\r\n--=_b"), 3);
	assert_int_equal(count(m, "Content-Type: text/plain; charset=utf-8"), 1);
	assert_int_equal(count(m, "Content-Type: text/html; charset=utf-8"), 1);
	free(m);

	/* A confirmation mail has no list headers. */
	m = compose("Conferma", "Apri il link.", NULL);
	assert_null(header(m, "List-Unsubscribe"));
	assert_null(header(m, "List-Unsubscribe-Post"));
	free(m);
}

static void test_compose_encoded_subject(void **state)
{
	/* Long, non-ASCII: several encoded-words, folded, none over 75 characters, never
	 * splitting a character; decoding and joining gives the subject back. */
	const char *subj = "Avviso: è prevista un'interruzione dell'acqua in via Garibaldi — "
			   "lunedì dalle 9 alle 13, perché si rifà la condotta principale";
	char *m = compose(subj, "x", UNSUB), *h = header(m, "Subject");
	struct buf dec;
	(void)state;

	buf_init(&dec, 4096);
	assert_true(count(h, "=?UTF-8?B?") >= 3);
	for (const char *w = strstr(h, "=?UTF-8?B?"); w; w = strstr(w + 1, "=?UTF-8?B?")) {
		const char *e = strstr(w + 10, "?=");
		unsigned char raw[128];
		int k;
		assert_true(e - w + 2 <= 75);
		k = EVP_DecodeBlock(raw, (const unsigned char *)w + 10, (int)(e - w - 10));
		assert_true(k > 0);
		/* EVP_DecodeBlock counts the padding's bytes too. */
		k -= (e[-1] == '=') + (e[-2] == '=');
		buf_append(&dec, raw, (size_t)k);
	}
	assert_string_equal(buf_cstr(&dec), subj);
	buf_free(&dec);
	free(h);
	free(m);

	/* CR LF in a subject cannot inject a header. */
	m = compose("Ciao\r\nBcc: altro@example.org", "x", UNSUB);
	assert_null(header(m, "Bcc"));
	h = header(m, "Subject");
	assert_string_equal(h, "Ciao  Bcc: altro@example.org");
	free(h);
	free(m);
}

static void test_compose_bodies(void **state)
{
	const char *text = "Gentili cittadini,\n\nlunedì 3 marzo l'acqua è sospesa <dalle 9 alle 13> & oltre.\n"
			   ".una riga che inizia con un punto\n"
			   "Dettagli: https://comune.example.org/avvisi/12?a=1&b=2.\n"
			   "Una riga molto lunga che supera abbondantemente i settantasei caratteri ammessi "
			   "dal quoted-printable e va spezzata con un'interruzione morbida, più volte, più volte.";
	char *m = compose("Acqua", text, UNSUB), *plain, *html;
	(void)state;

	plain = qp_part(m, "Content-Type: text/plain");
	assert_true(!strncmp(plain, text, strlen(text)));
	assert_non_null(strstr(plain, "Per non ricevere più questi avvisi:\nTo stop receiving these notices:\n" UNSUB "\n"));
	html = qp_part(m, "Content-Type: text/html");
	assert_non_null(strstr(html, "&lt;dalle 9 alle 13&gt; &amp; oltre."));
	assert_non_null(strstr(html, "<a href=\"https://comune.example.org/avvisi/12?a=1&amp;b=2\">"));
	assert_non_null(strstr(html, "<a href=\"" UNSUB "\">"));
	assert_non_null(strstr(html, "<p>Gentili cittadini,</p>"));
	assert_non_null(strstr(html, "lunedì 3 marzo"));
	/* Nothing fetched when the mail is opened: no image, no style sheet, no script. */
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "url("));
	/* Only the links of the text itself. */
	assert_int_equal(count(html, "<a href="), 2);
	/* No line of the raw message starts with a dot. */
	assert_null(strstr(m, "\r\n."));
	free(plain);
	free(html);
	free(m);
}

static void test_compose_invalid(void **state)
{
	struct email_compose c = {
		.from_address = FROM, .to = TO, .subject = "s", .text = "t", .date = 0,
	};
	struct buf out;
	(void)state;

	buf_init(&out, EMAIL_MESSAGE_MAX);
	c.to = "Cittadina@Example.org"; /* not canonical */
	assert_int_equal(email_compose(&c, &out), BANDITORE_EINVAL);
	c.to = "a@example.org, b@example.org";
	assert_int_equal(email_compose(&c, &out), BANDITORE_EINVAL);
	c.to = TO;
	c.unsubscribe_url = "http://comune.example.org/u"; /* not https */
	assert_int_equal(email_compose(&c, &out), BANDITORE_EINVAL);
	c.unsubscribe_url = "https://x.example.org/u>\r\nBcc: a@example.org";
	assert_int_equal(email_compose(&c, &out), BANDITORE_EINVAL);
	c.unsubscribe_url = NULL;
	c.text = "\xff\xfe";
	assert_int_equal(email_compose(&c, &out), BANDITORE_EINVAL);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_token(void **state)
{
	uint8_t key[CRYPTO_KEY_LEN], key2[CRYPTO_KEY_LEN], hash[CRYPTO_HASH_LEN], back[CRYPTO_HASH_LEN];
	char tok[EMAIL_TOKEN_LEN + 1], tok2[EMAIL_TOKEN_LEN + 1], link[EMAIL_URL_MAX];
	(void)state;

	memset(key, 7, sizeof(key));
	memset(key2, 8, sizeof(key2));
	for (int i = 0; i < CRYPTO_HASH_LEN; i++)
		hash[i] = (uint8_t)(i * 37 + 250);
	assert_int_equal(email_unsub_token(key, hash, tok), 0);
	assert_int_equal(strlen(tok), EMAIL_TOKEN_LEN);
	assert_null(strpbrk(tok, "+/="));
	assert_int_equal(email_unsub_token_check(key, tok, back), 0);
	assert_memory_equal(back, hash, CRYPTO_HASH_LEN);
	/* The same subscriber always gets the same token; another key gives another. */
	assert_int_equal(email_unsub_token(key, hash, tok2), 0);
	assert_string_equal(tok, tok2);
	assert_int_equal(email_unsub_token(key2, hash, tok2), 0);
	assert_string_not_equal(tok, tok2);
	assert_int_equal(email_unsub_token_check(key2, tok, back), BANDITORE_EAUTH);
	/* Any change of the hash part or the tag is refused. */
	for (int i = 0; i < EMAIL_TOKEN_LEN; i += 7) {
		memcpy(tok2, tok, sizeof(tok));
		tok2[i] = tok2[i] == 'A' ? 'B' : 'A';
		assert_int_not_equal(email_unsub_token_check(key, tok2, back), 0);
	}
	assert_int_equal(email_unsub_token_check(key, "short", back), BANDITORE_EINVAL);
	memcpy(tok2, tok, sizeof(tok));
	tok2[3] = '+';
	assert_int_equal(email_unsub_token_check(key, tok2, back), BANDITORE_EINVAL);

	assert_int_equal(email_link("https://comune.example.org/", "/email/unsubscribe", tok, link,
				    sizeof(link)), 0);
	assert_true(!strncmp(link, "https://comune.example.org/email/unsubscribe?t=", 47));
	assert_string_equal(link + 47, tok);
	assert_int_equal(email_link("ftp://x.example.org", "/email/unsubscribe", tok, link, sizeof(link)),
			 BANDITORE_EINVAL);
	assert_int_equal(email_link("https://x.example.org", "/email/unsubscribe", tok, link, 20),
			 BANDITORE_ETOOBIG);
}

static void test_classify(void **state)
{
	struct connector_result r;
	(void)state;

	assert_string_equal(email_caps()->platform, "email");
	assert_int_equal(email_caps()->holds_addresses, 1);
	assert_true(email_caps()->messages_per_second >= 500);

	email_classify(CURLE_OK, 250, &r);
	assert_int_equal(r.outcome, CONNECTOR_OK);
	email_classify(CURLE_SEND_ERROR, 550, &r); /* RCPT refused: no such mailbox */
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	assert_int_equal(r.error_code, 550);
	email_classify(CURLE_WEIRD_SERVER_REPLY, 554, &r); /* DATA refused */
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
	email_classify(CURLE_SEND_ERROR, 451, &r); /* greylisting */
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	email_classify(CURLE_COULDNT_CONNECT, 0, &r);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	email_classify(CURLE_OPERATION_TIMEDOUT, 0, &r);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	email_classify(CURLE_LOGIN_DENIED, 535, &r);
	assert_int_equal(r.outcome, CONNECTOR_FAIL);
}

static void test_sender_settings(void **state)
{
	struct email_settings es = { .smtp_url = "smtp://127.0.0.1:2525", .from_address = FROM };
	struct email_sender *s = NULL;
	struct connector_result r;
	(void)state;

	assert_int_equal(email_sender_new(&es, &s), 0);
	email_sender_free(s);
	es.smtp_url = "http://127.0.0.1:2525";
	assert_int_equal(email_sender_new(&es, &s), BANDITORE_EINVAL);
	es.smtp_url = "smtps://127.0.0.1:465"; /* implicit TLS must be said */
	assert_int_equal(email_sender_new(&es, &s), BANDITORE_EINVAL);
	es.tls = EMAIL_TLS_IMPLICIT;
	assert_int_equal(email_sender_new(&es, &s), 0);
	email_sender_free(s);
	es.smtp_url = "smtp://127.0.0.1:1"; /* nothing listens on port 1 */
	es.tls = EMAIL_TLS_NONE;
	es.from_address = "Avvisi@Comune.example.org";
	assert_int_equal(email_sender_new(&es, &s), BANDITORE_EINVAL);
	es.from_address = FROM;
	assert_int_equal(email_sender_new(&es, &s), 0);
	assert_int_equal(email_send(s, TO, "x\r\n", 3, &r), BANDITORE_ETEMP);
	assert_int_equal(r.outcome, CONNECTOR_RETRY);
	assert_null(strstr(r.error, "example.org"));
	assert_int_equal(email_send(s, "Not@Canonical.example.org", "x\r\n", 3, &r), BANDITORE_EPERM);
	email_sender_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_compose_headers),
		cmocka_unit_test(test_compose_encoded_subject),
		cmocka_unit_test(test_compose_bodies),
		cmocka_unit_test(test_compose_invalid),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_sender_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
