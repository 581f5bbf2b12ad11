/* test_policy_content.c - unit tests of the policy's content detectors: lexicons (folding,
 * whole words, several words, prefixes, exceptions), codice fiscale, IBAN, phone numbers,
 * e-mail addresses, links (insecure, shorteners, text naming another host), positions in
 * bytes, the cap on findings, invalid UTF-8 and long inputs, and the shipped lexicons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/keyword.h"
#include "policy/content.h"

#define MAXF 32

static struct policy_finding found[MAXF];
static int n_found;

static const char *const phones[] = { "+39 039 628 0000", "+390396280001" };
static const char *const emails[] = { "Protocollo@Comune.Example.it" };
static const char *const domains[] = { "comune.example.it" };

static struct policy_content_rules rules_with(const struct policy_lexicon *lex)
{
	struct policy_content_rules r = { lex, phones, 2, emails, 1, domains, 1, 0 };
	return r;
}

static int scan(const struct policy_content_rules *r, const char *text)
{
	memset(found, 0, sizeof(found));
	assert_int_equal(policy_content_scan(r, text, strlen(text), found, MAXF, &n_found), 0);
	return n_found;
}

/* The number of findings of `kind`; the first one's text in *at when asked. */
static int count_kind(const char *text, enum policy_kind kind, const char **at, size_t *at_len)
{
	int n = 0;
	for (int i = 0; i < n_found && i < MAXF; i++) {
		if (found[i].kind != kind)
			continue;
		if (n++ == 0 && at) {
			*at = text + found[i].start;
			*at_len = found[i].len;
		}
	}
	return n;
}

/* Asserts that scanning `text` finds `kind` exactly on `want` (the bytes). */
static void finds(const struct policy_content_rules *r, const char *text, enum policy_kind kind,
		  const char *want)
{
	const char *at = NULL;
	size_t len = 0;
	scan(r, text);
	if (count_kind(text, kind, &at, &len) == 0)
		fail_msg("no %s in \"%s\"", policy_kind_name(kind), text);
	if (len != strlen(want) || memcmp(at, want, len) != 0)
		fail_msg("%s in \"%s\": got \"%.*s\", want \"%s\"", policy_kind_name(kind), text,
			 (int)len, at, want);
}

static void finds_none(const struct policy_content_rules *r, const char *text, enum policy_kind kind)
{
	const char *at = NULL;
	size_t len = 0;
	scan(r, text);
	if (count_kind(text, kind, &at, &len) != 0)
		fail_msg("unexpected %s in \"%s\": \"%.*s\"", policy_kind_name(kind), text, (int)len, at);
}

static struct policy_lexicon *lex_of(enum policy_kind kind, const char *terms)
{
	struct policy_lexicon *lex = policy_lexicon_new();
	int bad = -1;
	assert_non_null(lex);
	assert_int_equal(policy_lexicon_add(lex, kind, terms, strlen(terms), &bad), 0);
	assert_int_equal(bad, 0);
	return lex;
}

static void test_kind_names(void **state)
{
	(void)state;
	for (int k = 0; k < POLICY_K_COUNT; k++) {
		const char *n = policy_kind_name((enum policy_kind)k);
		assert_non_null(n);
		assert_int_equal(policy_kind_from_name(n), k);
	}
	assert_string_equal(policy_kind_name(POLICY_K_CODICE_FISCALE), "codice_fiscale");
	assert_string_equal(policy_kind_name(POLICY_K_LINK_MISMATCH), "link_mismatch");
	assert_null(policy_kind_name(POLICY_K_COUNT));
	assert_null(policy_kind_name((enum policy_kind)-1));
	assert_int_equal(policy_kind_from_name("nope"), -1);
	assert_int_equal(policy_kind_from_name(NULL), -1);
}

static void test_lexicon_add(void **state)
{
	struct policy_lexicon *lex = policy_lexicon_new();
	const char ok[] = "# commento\n\nvota\r\n  Votate  # di nuovo\nvota\ncandidat*\n!si vota\nfai votare";
	const char bad_utf8[] = "sconto\nsc\xc3\x28nto\n";
	const char only_punct[] = "offerta\n?!?\n";
	char long_term[200];
	int bad = 0;
	(void)state;

	assert_int_equal(policy_lexicon_add(lex, POLICY_K_PROPAGANDA, ok, strlen(ok), &bad), 0);
	assert_int_equal(bad, 0);
	/* vota, votate, candidat*, fai votare: the duplicate and the exception do not count. */
	assert_int_equal(policy_lexicon_count(lex, POLICY_K_PROPAGANDA), 4);
	assert_int_equal(policy_lexicon_count(lex, POLICY_K_POLITICAL), 0);

	assert_int_equal(policy_lexicon_add(lex, POLICY_K_ADVERTISING, bad_utf8, strlen(bad_utf8), &bad),
			 BANDITORE_EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(policy_lexicon_count(lex, POLICY_K_ADVERTISING), 0); /* not even line 1 */
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_ADVERTISING, only_punct, strlen(only_punct), &bad),
			 BANDITORE_EINVAL);
	assert_int_equal(bad, 2);
	memset(long_term, 'a', sizeof(long_term));
	long_term[129] = '\0'; /* 129 bytes */
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_ADVERTISING, long_term, 129, &bad), BANDITORE_EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_ADVERTISING, long_term, 128, &bad), 0);
	assert_int_equal(policy_lexicon_count(lex, POLICY_K_ADVERTISING), 1);
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_ADVERTISING, "", 0, &bad), 0);
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_LEXICON_COUNT, "x", 1, &bad), BANDITORE_EINVAL);
	assert_int_equal(policy_lexicon_add(NULL, POLICY_K_OBSCENE, "x", 1, &bad), BANDITORE_EINVAL);
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_OBSCENE, "x", 1, NULL), 0);
	assert_int_equal(policy_lexicon_count(NULL, POLICY_K_OBSCENE), 0);
	policy_lexicon_free(lex);
	policy_lexicon_free(NULL);
}

static void test_lexicon_words(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_PROPAGANDA,
		"vota\nvotate\ncandidato sindaco\ncandidat*\n!si vota\nvota la lista\n");
	struct policy_content_rules r = rules_with(lex);
	(void)state;

	finds(&r, "Domenica VOTATE con fiducia", POLICY_K_PROPAGANDA, "VOTATE");
	finds(&r, "Domenica v\xc3\xb2tate!", POLICY_K_PROPAGANDA, "v\xc3\xb2tate"); /* vòtate */
	finds(&r, "vo\xcc\x80tate ora", POLICY_K_PROPAGANDA, "vo\xcc\x80tate");     /* combining grave */
	finds(&r, "vo\xc2\xadtate ora", POLICY_K_PROPAGANDA, "vo\xc2\xadtate");     /* soft hyphen */
	finds(&r, "\xef\xbd\x96\xef\xbd\x8f\xef\xbd\x94\xef\xbd\x81!", POLICY_K_PROPAGANDA,
	      "\xef\xbd\x96\xef\xbd\x8f\xef\xbd\x94\xef\xbd\x81"); /* full-width "vota" */
	/* Whole words only. */
	finds_none(&r, "La votazione si terr\xc3\xa0 luned\xc3\xac; devota; rivota", POLICY_K_PROPAGANDA);
	/* Several words, whatever lies between them. */
	finds(&r, "Il Candidato,\n  SINDACO arriva", POLICY_K_PROPAGANDA, "Candidato,\n  SINDACO");
	/* A prefix term: any ending, but the start of a word. */
	finds(&r, "Incontro con i candidati", POLICY_K_PROPAGANDA, "candidati");
	finds(&r, "il candidat", POLICY_K_PROPAGANDA, "candidat");
	finds_none(&r, "ricandidati e precandidatura", POLICY_K_PROPAGANDA);
	/* The longest term of a kind at one place, and its detail. */
	scan(&r, "Domenica vota la lista blu");
	assert_int_equal(n_found, 1);
	assert_string_equal(found[0].detail, "vota la lista");
	assert_int_equal(found[0].start, 9);
	assert_int_equal(found[0].len, strlen("vota la lista"));
	scan(&r, "i candidati");
	assert_string_equal(found[0].detail, "candidat*");
	/* An exception hides what lies within it, not what goes beyond it. */
	finds_none(&r, "Domenica si vota dalle 7 alle 23", POLICY_K_PROPAGANDA);
	finds(&r, "Domenica si vota la lista blu", POLICY_K_PROPAGANDA, "vota la lista");
	finds(&r, "Si vota domenica: vota Rossi", POLICY_K_PROPAGANDA, "vota");
	assert_int_equal(found[0].start, strlen("Si vota domenica: "));
	/* Byte positions after multi-byte characters. */
	scan(&r, "\xc3\x88 ora: \xe2\x80\x9cvotate\xe2\x80\x9d");
	assert_int_equal(n_found, 1);
	assert_int_equal(found[0].start, 11);
	assert_int_equal(found[0].len, 6);
	/* Words inside a link are not prose. */
	finds_none(&r, "Vedi https://www.example.org/vota-la-lista/candidati", POLICY_K_PROPAGANDA);
	policy_lexicon_free(lex);
}

/* '+' and '~' terms: a finding only when one of each lies within four words, in one
 * sentence, in either order. */
static void test_lexicon_near(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_DISCRIMINATORY,
		"+stranier*\n+rom\n+donne\n~vietato\n~non agli\n~tornino a casa\n~di solito sono\n"
		"zingari\n!vietato alle donne in gravidanza\n");
	struct policy_content_rules r = rules_with(lex);
	(void)state;

	/* Neither set alone is a finding. */
	finds_none(&r, "Sportello per cittadini stranieri: permessi di soggiorno.", POLICY_K_DISCRIMINATORY);
	finds_none(&r, "Vietato il transito in via Roma dalle 8 alle 18.", POLICY_K_DISCRIMINATORY);
	/* Together, close: from the first byte of one to the last of the other. */
	finds(&r, "Affittasi bilocale, vietato agli stranieri.", POLICY_K_DISCRIMINATORY,
	      "vietato agli stranieri");
	finds(&r, "Case: non agli stranieri!", POLICY_K_DISCRIMINATORY, "non agli stranieri");
	finds(&r, "Gli STRANIERI tornino a casa loro", POLICY_K_DISCRIMINATORY,
	      "STRANIERI tornino a casa");
	finds(&r, "I rom di solito sono ladri", POLICY_K_DISCRIMINATORY, "rom di solito sono");
	/* Four words between them at most. */
	finds(&r, "Vietato entrare al bar agli stranieri", POLICY_K_DISCRIMINATORY,
	      "Vietato entrare al bar agli stranieri");
	finds_none(&r, "Vietato entrare al nostro bar agli stranieri", POLICY_K_DISCRIMINATORY);
	/* Not across a sentence. */
	finds_none(&r, "Sosta vietato. Stranieri: lo sportello apre alle 9.", POLICY_K_DISCRIMINATORY);
	finds_none(&r, "Corso per donne\nvietato fumare in aula", POLICY_K_DISCRIMINATORY);
	/* The detail names both terms. */
	scan(&r, "Vietato alle donne");
	assert_int_equal(n_found, 1);
	assert_string_equal(found[0].detail, "vietato + donne");
	scan(&r, "stranieri tornino a casa");
	assert_int_equal(n_found, 1);
	assert_string_equal(found[0].detail, "stranier* + tornino a casa");
	/* One finding per pair, an ordinary term alongside, and an exception hides a pair. */
	scan(&r, "Vietato agli stranieri e ai rom, e agli zingari");
	assert_int_equal(n_found, 2);
	assert_string_equal(found[1].detail, "zingari");
	finds_none(&r, "Disinfestazione: l'area \xc3\xa8 vietata ai bambini e vietato alle donne in gravidanza.",
		   POLICY_K_DISCRIMINATORY);
	finds(&r, "Vietato alle donne in bici", POLICY_K_DISCRIMINATORY, "Vietato alle donne");
	assert_int_equal(policy_lexicon_count(lex, POLICY_K_DISCRIMINATORY), 8);
	policy_lexicon_free(lex);
}

static void test_lexicon_kinds_and_names(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_ADVERTISING, "sconto\nofferta imperdibile\n");
	struct policy_content_rules r = rules_with(lex);
	int bad;
	(void)state;

	assert_int_equal(policy_lexicon_add(lex, POLICY_K_NAME, "Mario Rossi\nAnna Bianchi\n", 25, &bad), 0);
	assert_int_equal(policy_lexicon_add(lex, POLICY_K_OBSCENE, "sconto\n", 7, &bad), 0);
	scan(&r, "Mario  ROSSI annuncia uno sconto");
	assert_int_equal(n_found, 3);
	assert_int_equal(found[0].kind, POLICY_K_NAME);
	assert_string_equal(found[0].detail, "mario rossi");
	assert_int_equal(found[1].kind, POLICY_K_ADVERTISING); /* same place: by kind */
	assert_int_equal(found[2].kind, POLICY_K_OBSCENE);
	assert_int_equal(found[1].start, found[2].start);
	finds_none(&r, "Mario Bianchi e Anna Rossi", POLICY_K_NAME);
	policy_lexicon_free(lex);
}

static void test_codice_fiscale(void **state)
{
	struct policy_content_rules r = rules_with(NULL);
	(void)state;

	finds(&r, "CF: RSSMRA85T10A562S.", POLICY_K_CODICE_FISCALE, "RSSMRA85T10A562S");
	finds(&r, "cf rssmra85t10a562s", POLICY_K_CODICE_FISCALE, "rssmra85t10a562s");
	finds(&r, "(BNCLRA90A41F205I)", POLICY_K_CODICE_FISCALE, "BNCLRA90A41F205I"); /* day 41: a woman */
	finds(&r, "RSSMRA85T10A56NH", POLICY_K_CODICE_FISCALE, "RSSMRA85T10A56NH");    /* omocodia */
	finds_none(&r, "RSSMRA85T10A562T", POLICY_K_CODICE_FISCALE);  /* wrong check letter */
	finds_none(&r, "RSSMRA85T10A56ZH", POLICY_K_CODICE_FISCALE);  /* Z is no omocodia letter */
	finds_none(&r, "RSSMRA85T99A562S", POLICY_K_CODICE_FISCALE);  /* day 99 */
	finds_none(&r, "RSSMRA85Z10A562S", POLICY_K_CODICE_FISCALE);  /* Z is no month */
	finds_none(&r, "XRSSMRA85T10A562S", POLICY_K_CODICE_FISCALE); /* part of a longer code */
	finds_none(&r, "RSSMRA85T10A562S9", POLICY_K_CODICE_FISCALE);
}

static void test_iban(void **state)
{
	struct policy_content_rules r = rules_with(NULL);
	(void)state;

	finds(&r, "Versate su IT60X0542811101000000123456 entro", POLICY_K_IBAN,
	      "IT60X0542811101000000123456");
	finds(&r, "IBAN: IT60 X054 2811 1010 0000 0123 456.", POLICY_K_IBAN,
	      "IT60 X054 2811 1010 0000 0123 456");
	finds(&r, "iban it60x0542811101000000123456", POLICY_K_IBAN, "it60x0542811101000000123456");
	finds(&r, "DE89 3704 0044 0532 0130 00", POLICY_K_IBAN, "DE89 3704 0044 0532 0130 00");
	finds(&r, "GB82WEST12345698765432", POLICY_K_IBAN, "GB82WEST12345698765432");
	finds(&r, "BE68 5390 0754 7034 ciao", POLICY_K_IBAN, "BE68 5390 0754 7034");
	finds_none(&r, "IT60X0542811101000000123457", POLICY_K_IBAN);  /* mod 97 wrong */
	finds_none(&r, "IT60X054281110100000012345", POLICY_K_IBAN);   /* too short for IT */
	finds_none(&r, "IT60X05428111010000001234567", POLICY_K_IBAN); /* too long */
	finds_none(&r, "IT60  X054 2811 1010 0000 0123 456", POLICY_K_IBAN); /* two spaces */
	finds_none(&r, "ZZ60X0542811101000000123456", POLICY_K_IBAN);  /* no such country */
	/* An IBAN's digits are not a phone number. */
	scan(&r, "IT60 X054 2811 1010 0000 0123 456");
	assert_int_equal(n_found, 1);
}

static void test_phone(void **state)
{
	struct policy_content_rules r = rules_with(NULL);
	(void)state;

	finds(&r, "chiamate il 333 000 1234.", POLICY_K_PHONE, "333 000 1234");
	finds(&r, "cell. +39 333 000 1234", POLICY_K_PHONE, "+39 333 000 1234");
	finds(&r, "tel. 0039 333 0001234", POLICY_K_PHONE, "0039 333 0001234");
	finds(&r, "tel. (+39) 333-000-1234", POLICY_K_PHONE, "(+39) 333-000-1234");
	finds(&r, "3330001234", POLICY_K_PHONE, "3330001234");
	finds(&r, "333.000.1234", POLICY_K_PHONE, "333.000.1234");
	finds(&r, "tel 02 1234 5678", POLICY_K_PHONE, "02 1234 5678");
	finds(&r, "tel 039/6280123", POLICY_K_PHONE, "039/6280123");
	finds(&r, "tel +39 0331 123456", POLICY_K_PHONE, "+39 0331 123456");
	finds(&r, "call +44 20 7946 0000", POLICY_K_PHONE, "+44 20 7946 0000");
	/* The comune's own numbers, however written. */
	finds_none(&r, "Centralino 039 628 0000 o 039.6280001", POLICY_K_PHONE);
	finds_none(&r, "Centralino +39 039-6280000", POLICY_K_PHONE);
	/* Not phones: dates, times, amounts, toll-free, postcodes, years, protocol numbers. */
	finds_none(&r, "dal 03.12.2025 al 04/12/2025", POLICY_K_PHONE);
	finds_none(&r, "orari 08.30-12.30 e 09.00 - 13.00", POLICY_K_PHONE);
	finds_none(&r, "importo di 350.000.000 euro, rata 1.234,50", POLICY_K_PHONE);
	finds_none(&r, "numero verde 800 123 456, emergenze 112", POLICY_K_PHONE);
	finds_none(&r, "20863 Concorezzo, anni 2024-2025, prot. n. 0012345/2025", POLICY_K_PHONE);
	finds_none(&r, "codice 3330001234567890", POLICY_K_PHONE);
	finds_none(&r, "P.IVA 02345678901, C.F. 87001234567, ISTAT 015082", POLICY_K_PHONE);
	finds_none(&r, "D.Lgs. 196/2003, Reg. UE 2016/679, ore 9.30, dal 9/3/2026 al 15/03", POLICY_K_PHONE);
	finds_none(&r, "https://example.org/doc/3330001234", POLICY_K_PHONE);
}

static void test_email(void **state)
{
	struct policy_content_rules r = rules_with(NULL);
	(void)state;

	finds(&r, "Scrivete a mario.rossi@example.org.", POLICY_K_EMAIL, "mario.rossi@example.org");
	finds(&r, "<anna+eventi@mail.example.net>", POLICY_K_EMAIL, "anna+eventi@mail.example.net");
	finds_none(&r, "Scrivete a protocollo@comune.example.it", POLICY_K_EMAIL);
	finds_none(&r, "PROTOCOLLO@COMUNE.EXAMPLE.IT", POLICY_K_EMAIL);
	finds_none(&r, "tributi@servizi.comune.example.it", POLICY_K_EMAIL); /* official domain */
	finds(&r, "tributi@comune.example.it.evil.example", POLICY_K_EMAIL,
	      "tributi@comune.example.it.evil.example");
	finds(&r, "x@falsocomune.example.it", POLICY_K_EMAIL, "x@falsocomune.example.it");
	finds_none(&r, "seguiteci su @ComuneExample e a@b", POLICY_K_EMAIL);
	finds_none(&r, "a@b.c1 e @@ e x@.it", POLICY_K_EMAIL);
}

static void test_links(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_SHORTENER, "bit.ly\ntinyurl.com\n");
	struct policy_content_rules r = rules_with(lex);
	(void)state;

	finds(&r, "Vedi http://www.example.org/avviso.", POLICY_K_INSECURE_LINK,
	      "http://www.example.org/avviso");
	scan(&r, "Vedi http://www.example.org/avviso.");
	assert_string_equal(found[0].detail, "www.example.org");
	finds(&r, "(ftp://files.example.org/a)", POLICY_K_INSECURE_LINK, "ftp://files.example.org/a");
	finds_none(&r, "Vedi https://www.example.org/avviso", POLICY_K_INSECURE_LINK);
	finds_none(&r, "Vedi www.example.org", POLICY_K_INSECURE_LINK);
	r.allow_http = 1;
	finds_none(&r, "Vedi http://www.example.org/avviso", POLICY_K_INSECURE_LINK);
	r.allow_http = 0;

	finds(&r, "Iscriviti: https://bit.ly/3abcDEF", POLICY_K_SHORTENER, "https://bit.ly/3abcDEF");
	finds(&r, "Iscriviti: HTTPS://WWW.BIT.LY/3abc", POLICY_K_SHORTENER, "HTTPS://WWW.BIT.LY/3abc");
	finds(&r, "Iscriviti: bit.ly/3abc", POLICY_K_SHORTENER, "bit.ly/3abc");
	finds(&r, "o tinyurl.com/xyz!", POLICY_K_SHORTENER, "tinyurl.com/xyz");
	finds_none(&r, "Canale: https://t.me/comune e https://bit.ly.example.org/x", POLICY_K_SHORTENER);
	finds_none(&r, "bit ly e bit. ly", POLICY_K_SHORTENER);

	/* Link text naming one host, the link going to another. */
	finds(&r, "Paga su [www.comune.example.it](https://evil.example.com/pay) oggi",
	      POLICY_K_LINK_MISMATCH, "www.comune.example.it](https://evil.example.com/pay");
	scan(&r, "[www.comune.example.it](https://evil.example.com/pay)");
	assert_string_equal(found[0].detail, "comune.example.it -> evil.example.com");
	finds(&r, "[sito https://www.comune.example.it ufficiale](http://evil.example.com)",
	      POLICY_K_LINK_MISMATCH, "https://www.comune.example.it ufficiale](http://evil.example.com");
	finds(&r, "www.comune-x.it: https://other.example/login", POLICY_K_LINK_MISMATCH,
	      "www.comune-x.it: https://other.example/login");
	finds(&r, "www.comune-x.it \xe2\x86\x92 https://other.example/login", POLICY_K_LINK_MISMATCH,
	      "www.comune-x.it \xe2\x86\x92 https://other.example/login");
	finds(&r, "https://www.comune.example.it@evil.example.com/x", POLICY_K_LINK_MISMATCH,
	      "https://www.comune.example.it@evil.example.com/x");
	finds(&r, "<a href=\"https://evil.example.net/x\">www.comune.example.it</a>", POLICY_K_LINK_MISMATCH,
	      "https://evil.example.net/x\">www.comune.example.it");
	/* The same site, a site under it, or a target on the comune's own domain. */
	finds_none(&r, "[www.example.org](https://example.org/a)", POLICY_K_LINK_MISMATCH);
	finds_none(&r, "[example.org](https://servizi.example.org/a)", POLICY_K_LINK_MISMATCH);
	finds_none(&r, "[www.leini.it](https://www.comune.example.it/a)", POLICY_K_LINK_MISMATCH);
	finds_none(&r, "[Clicca qui](https://evil.example.com)", POLICY_K_LINK_MISMATCH);
	finds_none(&r, "Sito: www.example.org - modulo: https://forms.example.net/x", POLICY_K_LINK_MISMATCH);
	finds_none(&r, "https://a.example.org - https://b.example.net", POLICY_K_LINK_MISMATCH);
	/* Italian abbreviations are not addresses. */
	finds_none(&r, "Sig.ra Bianchi e Dott.ssa Verdi: https://evil.example.com", POLICY_K_LINK_MISMATCH);
	policy_lexicon_free(lex);
}

static void test_order_and_cap(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_OBSCENE, "merda\n");
	struct policy_content_rules r = rules_with(lex);
	const char text[] = "merda RSSMRA85T10A562S http://x.example.org 333 000 1234 a@example.org merda";
	struct policy_finding few[2];
	int count = -1;
	(void)state;

	scan(&r, text);
	assert_int_equal(n_found, 6);
	for (int i = 1; i < n_found; i++)
		assert_true(found[i - 1].start <= found[i].start);
	assert_int_equal(found[0].kind, POLICY_K_OBSCENE);
	assert_int_equal(found[1].kind, POLICY_K_CODICE_FISCALE);
	assert_int_equal(found[2].kind, POLICY_K_INSECURE_LINK);
	assert_int_equal(found[3].kind, POLICY_K_PHONE);
	assert_int_equal(found[4].kind, POLICY_K_EMAIL);
	assert_int_equal(found[5].kind, POLICY_K_OBSCENE);
	assert_int_equal(found[5].start, strlen(text) - 5);
	for (int i = 0; i < n_found; i++)
		assert_true(found[i].start + found[i].len <= strlen(text));

	assert_int_equal(policy_content_scan(&r, text, strlen(text), few, 2, &count), 0);
	assert_int_equal(count, 6);
	assert_int_equal(few[0].kind, POLICY_K_OBSCENE);
	assert_int_equal(few[1].kind, POLICY_K_CODICE_FISCALE);
	assert_int_equal(policy_content_scan(&r, text, strlen(text), NULL, 0, &count), 0);
	assert_int_equal(count, 6);

	assert_int_equal(policy_content_scan(NULL, text, 1, few, 2, &count), BANDITORE_EINVAL);
	assert_int_equal(policy_content_scan(&r, NULL, 1, few, 2, &count), BANDITORE_EINVAL);
	assert_int_equal(policy_content_scan(&r, text, 1, few, 2, NULL), BANDITORE_EINVAL);
	assert_int_equal(policy_content_scan(&r, text, 1, NULL, 2, &count), BANDITORE_EINVAL);
	assert_int_equal(policy_content_scan(&r, "", 0, few, 2, &count), 0);
	assert_int_equal(count, 0);
	policy_lexicon_free(lex);
}

static void test_invalid_utf8_and_bounds(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_OBSCENE, "merda\ncazz*\n");
	struct policy_content_rules r = rules_with(lex);
	const char bad[] = "\xff" "merda\xc3" "\xe2\x82" " cazzo\xed\xa0\x80 \xf4\x90\x80\x80merda\xc0\xaf";
	(void)state;

	scan(&r, bad);
	assert_int_equal(n_found, 3);
	assert_int_equal(found[0].start, 1);
	assert_int_equal(found[0].len, 5);
	assert_int_equal(found[1].start, 10);
	assert_int_equal(found[2].start, strlen(bad) - 7);
	/* Never past len: a term cut by the end is not read on. */
	{
		char *cut = malloc(4);
		memcpy(cut, "mer", 3); /* no NUL: ASan catches any read past len */
		assert_int_equal(policy_content_scan(&r, cut, 3, found, MAXF, &n_found), 0);
		assert_int_equal(n_found, 0);
		memcpy(cut, "a@b.", 4);
		assert_int_equal(policy_content_scan(&r, cut, 4, found, MAXF, &n_found), 0);
		assert_int_equal(n_found, 0);
		memcpy(cut, "333", 3);
		assert_int_equal(policy_content_scan(&r, cut, 3, found, MAXF, &n_found), 0);
		free(cut);
	}
	policy_lexicon_free(lex);
}

static void test_long_inputs(void **state)
{
	struct policy_lexicon *lex = lex_of(POLICY_K_OBSCENE, "merda\ncazz*\n");
	struct policy_content_rules r = rules_with(lex);
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	int count;
	(void)state;

	/* A megabyte of words with a term every 100 bytes: every one counted. */
	for (size_t i = 0; i < n; i++)
		big[i] = i % 100 < 5 ? "merda"[i % 100]
			 : (i % 100 == 5 || i % 100 == 99 || i % 7 == 0 ? ' ' : 'a');
	big[n] = '\0';
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	assert_int_equal(count, (int)((n + 99) / 100));
	assert_int_equal(found[0].start, 0);
	assert_int_equal(found[MAXF - 1].start, (MAXF - 1) * 100);
	/* One word of a megabyte: only its start is known, a prefix term still matches. */
	memset(big, 'z', n);
	memcpy(big, "cazzo", 5);
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(found[0].len, n);
	/* Long runs of digits, dots, at signs and links. */
	for (size_t i = 0; i < n; i++)
		big[i] = "3 0.@/:w"[i % 8];
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	/* A URL of a megabyte of closing brackets: trimmed in linear time. */
	memcpy(big, "http://a.it/", 12);
	memset(big + 12, ')', n - 12);
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(found[0].len, 12); /* "http://a.it/": every unbalanced ')' trimmed */
	memset(big, '9', n);
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	assert_int_equal(count, 0);
	for (size_t i = 0; i + 12 < n; i += 12)
		memcpy(big + i, "http://a.it ", 12);
	assert_int_equal(policy_content_scan(&r, big, n, found, MAXF, &count), 0);
	assert_true(count > MAXF);
	free(big);
	policy_lexicon_free(lex);
}

static void test_keyword_next_word(void **state)
{
	const char text[] = "  L'Elezione\xe2\x80\x94 \xe2\x91\xa0 \xef\xac\x81ne ";
	struct keyword_word w;
	size_t pos = 0;
	(void)state;

	assert_int_equal(keyword_next_word(text, strlen(text), &pos, &w), 1);
	assert_string_equal(w.norm, "l");
	assert_int_equal(w.start, 2);
	assert_int_equal(w.end, 3);
	assert_int_equal(keyword_next_word(text, strlen(text), &pos, &w), 1);
	assert_string_equal(w.norm, "elezione");
	assert_int_equal(w.end, 12);
	assert_int_equal(keyword_next_word(text, strlen(text), &pos, &w), 1);
	assert_string_equal(w.norm, "1"); /* circled digit one */
	assert_int_equal(keyword_next_word(text, strlen(text), &pos, &w), 1);
	assert_string_equal(w.norm, "fine"); /* the fi ligature */
	assert_int_equal(keyword_next_word(text, strlen(text), &pos, &w), 0);
	assert_int_equal(pos, strlen(text));
}

/* Every character of U+00C0..U+00FF folds in a word as keyword_normalize folds it alone
 * (keyword_next_word has a table for them). */
static void test_keyword_latin1(void **state)
{
	(void)state;
	for (int cp = 0xC0; cp <= 0xFF; cp++) {
		char in[3] = { (char)0xC3, (char)(0x80 | (cp & 0x3F)), 0 }, want[KEYWORD_MAX];
		struct keyword_word w;
		size_t pos = 0;
		int got;
		assert_int_equal(keyword_normalize(in, 2, want, sizeof(want)), 0);
		got = keyword_next_word(in, 2, &pos, &w);
		if (want[0] == '\0') {
			assert_int_equal(got, 0);
			continue;
		}
		assert_int_equal(got, 1);
		if (strcmp(w.norm, want) != 0)
			fail_msg("U+%04X: word \"%s\", keyword \"%s\"", cp, w.norm, want);
	}
}

/* ---- the shipped lexicons ---- */

static struct policy_lexicon *shipped(void)
{
	struct policy_lexicon *lex = policy_lexicon_new();
	assert_non_null(lex);
	for (int k = 0; k < POLICY_K_NAME; k++) {
		char path[1024], *data;
		FILE *f;
		long size;
		int bad = 0;
		snprintf(path, sizeof(path), "%s/data/policy/lexicons/it/%s.txt", SOURCE_ROOT,
			 policy_kind_name((enum policy_kind)k));
		f = fopen(path, "rb");
		if (!f)
			fail_msg("cannot open %s", path);
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fseek(f, 0, SEEK_SET);
		data = malloc((size_t)size + 1);
		assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
		fclose(f);
		if (policy_lexicon_add(lex, (enum policy_kind)k, data, (size_t)size, &bad) != 0)
			fail_msg("%s: bad line %d", path, bad);
		free(data);
		if (policy_lexicon_count(lex, (enum policy_kind)k) < 30)
			fail_msg("%s: only %d terms", path, policy_lexicon_count(lex, (enum policy_kind)k));
	}
	return lex;
}

static void test_shipped_lexicons(void **state)
{
	struct policy_lexicon *lex = shipped();
	struct policy_content_rules r = rules_with(lex);
	static const char *const ordinary[] = {
		("Domenica 9 giugno si vota per le elezioni europee: i seggi sono aperti dalle 7 alle 23. "
		 "Portate la tessera elettorale e un documento; la scheda elettorale vi sar\xc3\xa0 consegnata al seggio."),
		"Spazi per la propaganda elettorale: la Giunta ha assegnato gli spazi alle liste ammesse.",
		"Dal 3 marzo lavori in via Roma: svoltare a sinistra in via Verdi. Ci scusiamo per il disagio.",
		"Festa patronale della Madonna del Rosario: processione alle 18, ingresso gratuito al concerto.",
		"Allerta meteo arancione: una depressione atlantica porta temporali. Evitate i sottopassi.",
		"Campagna di vaccinazione antinfluenzale per le persone affette da malattie croniche e gli over 65.",
		"Bando per il commercio: requisiti, assenza di condanne penali e certificato del casellario giudiziale.",
		"Truffe agli anziani: i truffatori si presentano come tecnici del gas. Non aprite e chiamate il 112.",
		"Raccolta differenziata: il vetro si conferisce il marted\xc3\xac. Ritiro referti online e servizi per disabili.",
		"Saldi estivi dal 5 luglio; la Pro Loco promuove il territorio con la sagra dei meloni e l'omaggio ai volontari.",
		/* Guards of the generalised lexicons: neutral words, institutions, tax discounts. */
		"Raccolta differenziata: vietato conferire i sacchi neri; sportello stranieri aperto il luned\xc3\xac.",
		"Vietato sostare negli stalli per disabili. Sportello per cittadini stranieri: permessi di soggiorno.",
		"Disinfestazione: l'area \xc3\xa8 vietata alle donne in gravidanza e ai bambini fino a domani.",
		"25 novembre: ancora troppe donne vittime di violenza. Incontro in biblioteca con il centro antiviolenza.",
		"TARI: sconto sulla tariffa per il compostaggio domestico; sconto sulla retta della mensa per il secondo figlio.",
		"Carta d'identit\xc3\xa0 rubata: il furto va denunciato ai carabinieri prima di chiedere il duplicato.",
		"Bando: requisiti l'assenza di precedenti penali e di condanne; un evento che non ha precedenti in citt\xc3\xa0.",
		"La polizia locale informa: il giudice di pace riceve il marted\xc3\xac; il tribunale \xc3\xa8 chiuso sabato.",
		"Gli elettori ricoverati in ospedale possono votare nel luogo di cura; chi \xc3\xa8 malato pu\xc3\xb2 votare a domicilio.",
		"Campagna vaccinale, screening dei tumori, donazione del sangue e giornata mondiale dell'autismo: info all'ASL.",
		"Cerimonia del 2 giugno: la banda suoner\xc3\xa0 l'inno Fratelli d'Italia. La musica che lega le generazioni.",
		"Lega Navale: corso di vela. Lezione della Lega italiana per la lotta contro i tumori in sala civica.",
		"Domenica si vota per le elezioni comunali; chi vota per corrispondenza riceve il plico. Il tuo voto \xc3\xa8 segreto.",
		"Al primo incrocio tenere la destra, poi svoltare a sinistra: il cantiere occupa la corsia di sinistra.",
		"Costruzione cazzuola in mano: il muratore ripara il muretto. Mercato: finocchi, cavoli e palle di Natale.",
		"Infiltrazioni mafiose: requisito di non appartenere ad associazioni di tipo mafioso.",
	};
	static const struct {
		const char *text;
		enum policy_kind kind;
	} violating[] = {
		{ "Domenica vota e fai votare la lista Futuro!", POLICY_K_PROPAGANDA },
		{ "Incontro con il candidato sindaco alle 21.", POLICY_K_PROPAGANDA },
		{ "Il Partito Democratico organizza un incontro.", POLICY_K_POLITICAL },
		{ "Solo oggi SCONTO del 30% nel nostro negozio!", POLICY_K_ADVERTISING },
		{ "Che schifo, \xc3\xa8 una merda.", POLICY_K_OBSCENE },
		{ "Porco Dio, manca l'acqua.", POLICY_K_BLASPHEMY },
		{ "Il titolare della ditta \xc3\xa8 un incompetente.", POLICY_K_DEFAMATORY },
		{ "Fuori gli zingari dal quartiere.", POLICY_K_DISCRIMINATORY },
		{ "Il vigile Rossi \xc3\xa8 ricoverato: \xc3\xa8 positivo al covid.", POLICY_K_HEALTH },
		{ "Il vicino \xc3\xa8 stato arrestato per furto.", POLICY_K_JUDICIAL },
		{ "Modulo su https://tinyurl.com/abc", POLICY_K_SHORTENER },
		{ "Affittasi bilocale, non agli stranieri.", POLICY_K_DISCRIMINATORY },
		{ "Gli extracomunitari di solito sono ladri.", POLICY_K_DISCRIMINATORY },
		{ "Cercasi commessa: donne incinte astenersi.", POLICY_K_DISCRIMINATORY },
		{ "Nel parco troppi immigrati: tornino a casa loro.", POLICY_K_DISCRIMINATORY },
		{ "La signora Bianchi, del terzo piano, ha un tumore.", POLICY_K_HEALTH },
		{ "Il bambino di via Roma, autistico, avr\xc3\xa0 un'assistente.", POLICY_K_HEALTH },
		{ "Sua figlia da mesi fa la dialisi e ora \xc3\xa8 in ospedale.", POLICY_K_HEALTH },
		{ "Il custode \xc3\xa8 stato fermato dai carabinieri ieri sera.", POLICY_K_JUDICIAL },
		{ "Il negoziante, pregiudicato, \xc3\xa8 ai domiciliari.", POLICY_K_JUDICIAL },
		{ "Il PD e la Lega litigano sul bilancio.", POLICY_K_POLITICAL },
		{ "Colpa del governo di destra.", POLICY_K_POLITICAL },
		{ "Leggete il programma elettorale e dai la tua preferenza a Rossi.", POLICY_K_PROPAGANDA },
		{ "Preventivo gratuito e montaggio a met\xc3\xa0 prezzo!", POLICY_K_ADVERTISING },
		{ "Quel millantatore dell'assessore \xc3\xa8 un approfittatore.", POLICY_K_DEFAMATORY },
		{ "Ci avete rotto le palle con questi lavori.", POLICY_K_OBSCENE },
		{ "Porcoddio, ancora il cantiere.", POLICY_K_BLASPHEMY },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(ordinary) / sizeof(ordinary[0]); i++) {
		scan(&r, ordinary[i]);
		if (n_found != 0)
			fail_msg("ordinary text flagged %s (\"%s\"): %s", policy_kind_name(found[0].kind),
				 found[0].detail, ordinary[i]);
	}
	for (size_t i = 0; i < sizeof(violating) / sizeof(violating[0]); i++) {
		scan(&r, violating[i].text);
		if (count_kind(violating[i].text, violating[i].kind, NULL, NULL) == 0)
			fail_msg("no %s in: %s", policy_kind_name(violating[i].kind), violating[i].text);
	}
	policy_lexicon_free(lex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_lexicon_add),
		cmocka_unit_test(test_lexicon_words),
		cmocka_unit_test(test_lexicon_near),
		cmocka_unit_test(test_lexicon_kinds_and_names),
		cmocka_unit_test(test_codice_fiscale),
		cmocka_unit_test(test_iban),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_order_and_cap),
		cmocka_unit_test(test_invalid_utf8_and_bounds),
		cmocka_unit_test(test_long_inputs),
		cmocka_unit_test(test_keyword_next_word),
		cmocka_unit_test(test_keyword_latin1),
		cmocka_unit_test(test_shipped_lexicons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
