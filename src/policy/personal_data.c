/*
 * personal_data.c - personal data that must never be published: a codice fiscale, an
 * IBAN, a private person's phone number or e-mail address.
 *
 * Hand-written scanners, one pass over the bytes (no pattern library: these shapes are
 * small and the checksums have to be computed anyway):
 * - codice fiscale: 16 letters and digits standing alone, in the shape of the law (six
 *   letters, year, month letter, day 1-31 or 41-71, place, check letter), the digits
 *   possibly replaced by the omocodia letters L M N P Q R S T U V, and the check letter
 *   right. Either case.
 * - IBAN: a country with a registered IBAN length, two check digits, the account; written
 *   in one block or in groups of four separated by one space; ISO 13616 mod-97 equal to 1.
 * - phone: an Italian mobile (3xx, 9-10 digits) or landline (0x, 6-11 digits with +39,
 *   8-11 without) number, with an optional +39 / 0039 / (+39) prefix and single spaces,
 *   dots, dashes or slashes between groups; or any number with an international prefix
 *   (+ or 00 and 8-15 digits). Toll-free and service numbers (800, 803, 1xx...) are not
 *   a person's. Without a prefix, shapes that are rather dates, times or amounts are not
 *   read as phones: "03.12.2025", "08.30-12.30", "350.000.000", "1.234,50", nor eleven
 *   digits in one block (a partita IVA: "02345678901"). Compared in
 *   E.164 with the comune's official numbers. Not looked for inside links.
 * - e-mail: local@domain.tld, not an official address (case-insensitive) and not at one
 *   of the official domains (the comune's offices write from there). Not inside links.
 * The detail of these findings is empty: the text itself is the personal data.
 */
#include "policy/content.h"
#include "policy/content_internal.h"

#include "common/e164.h"

#include <string.h>

#define CF_LEN 16
#define IBAN_MAX 34
#define EMAIL_LOCAL_MAX 64
#define EMAIL_DOMAIN_MAX 253
#define PHONE_GROUPS_MAX 12

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static int upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* ---- codice fiscale ---- */

static const char omocodia[] = "LMNPQRSTUV";

/* A digit of the code, or its omocodia letter: the value 0-9, or -1. */
static int cf_digit(unsigned char c)
{
	const char *p;
	if (is_digit(c))
		return c - '0';
	p = strchr(omocodia, upper(c));
	return p && c ? (int)(p - omocodia) : -1;
}

static int cf_valid(const unsigned char *s)
{
	/* Values of the characters in odd positions (1st, 3rd, ...), for 0-9 and A-Z alike. */
	static const int odd[26] = { 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3,
				     6, 8, 12, 14, 16, 10, 22, 25, 24, 23 };
	static const int digit_pos[] = { 6, 7, 9, 10, 12, 13, 14 };
	int sum = 0, day;

	for (int i = 0; i < 6; i++)
		if (!is_alpha(s[i]))
			return 0;
	for (size_t i = 0; i < sizeof(digit_pos) / sizeof(digit_pos[0]); i++)
		if (cf_digit(s[digit_pos[i]]) < 0)
			return 0;
	if (!is_alpha(s[8]) || !strchr("ABCDEHLMPRST", upper(s[8])) || !is_alpha(s[11]) ||
	    !is_alpha(s[15]))
		return 0;
	day = cf_digit(s[9]) * 10 + cf_digit(s[10]);
	if (!((day >= 1 && day <= 31) || (day >= 41 && day <= 71)))
		return 0;
	for (int i = 0; i < 15; i++) {
		int c = upper(s[i]), v = is_digit((unsigned char)c) ? c - '0' : c - 'A';
		sum += (i % 2 == 0) ? odd[v] : v;
	}
	return upper(s[15]) == 'A' + sum % 26;
}

/* ---- IBAN ---- */

/* ISO 13616 registry: country and IBAN length. */
static const struct {
	char cc[3];
	unsigned char len;
} iban_lengths[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
	{ "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 },
	{ "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 },
	{ "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 },
	{ "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 }, { "GI", 23 },
	{ "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 }, { "IE", 22 },
	{ "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 },
	{ "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
	{ "MN", 20 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 },
	{ "NO", 15 }, { "OM", 23 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 },
	{ "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 }, { "SA", 24 }, { "SC", 31 },
	{ "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "SO", 23 },
	{ "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 },
	{ "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static int iban_length(unsigned char a, unsigned char b)
{
	char cc[3] = { (char)upper(a), (char)upper(b), '\0' };
	for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++)
		if (memcmp(iban_lengths[i].cc, cc, 2) == 0)
			return iban_lengths[i].len;
	return 0;
}

/* mod 97 of the IBAN read from its fifth character on, then the first four. */
static int iban_mod97(const char *s, int n)
{
	int r = 0;
	for (int k = 0; k < n; k++) {
		int c = s[(k + 4) % n];
		if (is_digit((unsigned char)c))
			r = (r * 10 + (c - '0')) % 97;
		else
			r = (r * 100 + (c - 'A' + 10)) % 97;
	}
	return r;
}

/* An IBAN starting at i: its end in *end, or 0. */
static int iban_at(const unsigned char *t, size_t len, size_t i, size_t *end)
{
	char buf[IBAN_MAX];
	size_t last[IBAN_MAX];
	int n = 0, want;
	size_t p = i;

	if (len - i < 15 || !is_alpha(t[i]) || !is_alpha(t[i + 1]) || !is_digit(t[i + 2]) ||
	    !is_digit(t[i + 3]) || (want = iban_length(t[i], t[i + 1])) == 0)
		return 0;
	while (p < len && n < want) {
		if (is_alnum(t[p])) {
			buf[n] = (char)upper(t[p]);
			last[n++] = p++;
		} else if (t[p] == ' ' && n % 4 == 0 && p + 1 < len && is_alnum(t[p + 1])) {
			p++; /* one space between groups of four */
		} else {
			break;
		}
	}
	if (n != want || (last[n - 1] + 1 < len && is_alnum(t[last[n - 1] + 1])))
		return 0;
	if (iban_mod97(buf, n) != 1)
		return 0;
	*end = last[n - 1] + 1;
	return 1;
}

/* ---- phone numbers ---- */

struct phone {
	size_t end;      /* after the number's last digit */
	size_t run_end;  /* after the whole run of digits and separators looked at */
	char digits[16];
	int nd, too_many;
	int groups[PHONE_GROUPS_MAX];
	int ng;
	int plus;        /* written with '+' */
	int only_dots;   /* every separator was '.' */
};

static void phone_collect(const unsigned char *t, size_t len, size_t i, struct phone *ph)
{
	size_t p = i;
	int paren = 0, seps = 0;

	memset(ph, 0, sizeof(*ph));
	ph->only_dots = 1;
	if (p < len && t[p] == '(') {
		paren = 1;
		p++;
	}
	if (p < len && t[p] == '+') {
		ph->plus = 1;
		p++;
	}
	for (;;) {
		size_t q;
		int cur = 0;
		while (p < len && is_digit(t[p])) {
			if (ph->nd < 15)
				ph->digits[ph->nd++] = (char)t[p];
			else
				ph->too_many = 1;
			cur++;
			p++;
		}
		if (ph->ng < PHONE_GROUPS_MAX)
			ph->groups[ph->ng++] = cur;
		else
			ph->too_many = 1;
		ph->end = p;
		/* A separator: ")" closing the prefix, then one of " .-/". */
		q = p;
		if (paren && q < len && t[q] == ')') {
			paren = 0;
			q++;
		}
		if (q < len && t[q] && strchr(" .-/", t[q]))
			q++;
		if (q == p || q >= len || !is_digit(t[q]))
			break;
		if (q - p != 1 || t[p] != '.')
			ph->only_dots = 0;
		seps++;
		p = q;
	}
	ph->run_end = ph->end;
	if (seps == 0)
		ph->only_dots = 0;
}

/* The E.164 form of a phone number starting at i, or 0 when it is not one. */
static int phone_at(const unsigned char *t, size_t len, size_t i, struct phone *ph,
		    char e164[E164_MAX])
{
	const char *nat;
	int nn, prefixed = 0, small = 0;

	phone_collect(t, len, i, ph);
	if (ph->too_many || ph->nd == 0)
		return 0;
	ph->digits[ph->nd] = '\0';
	nat = ph->digits;
	nn = ph->nd;
	if (!ph->plus && nn > 2 && nat[0] == '0' && nat[1] == '0') {
		/* 00: the international prefix, written apart from the number ("0044 20 ...",
		 * "0039 333 ..."), unlike a code that merely starts with zeros ("0012345/2025"). */
		if (ph->ng < 2 || ph->groups[0] < 4 || ph->groups[0] > 5)
			return 0;
		nat += 2;
		nn -= 2;
		prefixed = 1;
	} else if (ph->plus) {
		prefixed = 1;
	}
	if (prefixed && !(nn > 2 && nat[0] == '3' && nat[1] == '9')) {
		/* Another country: any number of a plausible length. */
		if (nn < 8 || nn > 15 || nat[0] == '0')
			return 0;
		e164[0] = '+';
		memcpy(e164 + 1, nat, (size_t)nn + 1);
		return 1;
	}
	if (prefixed) {
		nat += 2;
		nn -= 2;
	}
	if (nat[0] == '3') {
		if (nn < 9 || nn > 10 || nat[1] == '0')
			return 0;
	} else if (nat[0] == '0') {
		if (nn > 11 || nn < (prefixed ? 6 : 8) || nat[1] == '0')
			return 0;
	} else {
		return 0; /* toll-free, service and short numbers are nobody's private number */
	}
	if (!prefixed) {
		/* Dates, times and amounts look like numbers too. */
		for (int g = 0; g < ph->ng; g++)
			small += ph->groups[g] <= 2;
		if (small > 1)
			return 0;
		if (ph->ng == 1 && nn == 11)
			return 0; /* eleven digits in one block: a partita IVA, not a landline */
		if (ph->only_dots) {
			int thousands = 1;
			for (int g = 1; g < ph->ng; g++)
				thousands &= ph->groups[g] == 3;
			if (thousands)
				return 0;
		}
		if (i >= 2 && strchr(".,/:", t[i - 1]) && is_digit(t[i - 2]))
			return 0;
		if (ph->end + 1 < len && strchr(".,", t[ph->end]) && is_digit(t[ph->end + 1]))
			return 0;
	}
	e164[0] = '+';
	e164[1] = '3';
	e164[2] = '9';
	memcpy(e164 + 3, nat, (size_t)nn + 1);
	return 1;
}

static int phone_is_official(const struct policy_content_rules *rules, const char *e164)
{
	for (int k = 0; k < rules->n_official_phones; k++) {
		char o[E164_MAX];
		const char *p = rules->official_phones ? rules->official_phones[k] : NULL;
		if (p && e164_normalize(p, o) == 0 && strcmp(o, e164) == 0)
			return 1;
	}
	return 0;
}

/* ---- e-mail addresses ---- */

static int email_local_char(unsigned char c)
{
	return is_alnum(c) || (c && strchr("._%+-", c));
}

/* The address around the '@' at a: [*start, *end), or 0. */
static int email_at(const unsigned char *t, size_t len, size_t a, size_t *start, size_t *end,
		    size_t *domain)
{
	size_t l = a, r = a + 1, last_dot = 0;

	while (l > 0 && a - l < EMAIL_LOCAL_MAX && email_local_char(t[l - 1]))
		l--;
	while (l < a && t[l] == '.')
		l++;
	if (l == a)
		return 0;
	while (r < len && r - a - 1 < EMAIL_DOMAIN_MAX &&
	       (is_alnum(t[r]) || t[r] == '.' || t[r] == '-'))
		r++;
	while (r > a + 1 && (t[r - 1] == '.' || t[r - 1] == '-'))
		r--;
	for (size_t k = a + 1; k < r; k++) {
		if (t[k] != '.')
			continue;
		if (k == a + 1 || t[k - 1] == '.')
			return 0;
		last_dot = k;
	}
	if (last_dot == 0 || r - last_dot < 3)
		return 0;
	for (size_t k = last_dot + 1; k < r; k++)
		if (!is_alpha(t[k]))
			return 0;
	*start = l;
	*end = r;
	*domain = a + 1;
	return 1;
}

static int email_is_official(const struct policy_content_rules *rules, const char *s,
			     size_t n, size_t domain)
{
	if (content_host_is_official(rules, s + domain, n - domain))
		return 1;
	for (int k = 0; k < rules->n_official_emails; k++) {
		const char *e = rules->official_emails ? rules->official_emails[k] : NULL;
		size_t i;
		if (!e || strlen(e) != n)
			continue;
		for (i = 0; i < n; i++)
			if (upper((unsigned char)s[i]) != upper((unsigned char)e[i]))
				break;
		if (i == n)
			return 1;
	}
	return 0;
}

void content_scan_personal(const struct policy_content_rules *rules, const char *text,
			   size_t len, const struct content_spans *spans,
			   struct content_out *o)
{
	const unsigned char *t = (const unsigned char *)text;
	int phone_cursor = 0, email_cursor = 0;
	size_t i = 0;

	while (i < len) {
		unsigned char c = t[i];
		int start_of_token = i == 0 || !is_alnum(t[i - 1]);

		if (c == '@') {
			size_t s, e, d;
			if (email_at(t, len, i, &s, &e, &d)) {
				if (!content_spans_cover(spans, &email_cursor, s) &&
				    !email_is_official(rules, text + s, e - s, d - s))
					content_emit(o, POLICY_K_EMAIL, s, e - s, NULL, 0);
				i = e;
				continue;
			}
			i++;
			continue;
		}
		if (is_alnum(c) && start_of_token) {
			size_t r = i, end;
			while (r < len && is_alnum(t[r]))
				r++;
			if (r - i == CF_LEN && cf_valid(t + i)) {
				content_emit(o, POLICY_K_CODICE_FISCALE, i, CF_LEN, NULL, 0);
				i = r;
				continue;
			}
			if (iban_at(t, len, i, &end)) {
				content_emit(o, POLICY_K_IBAN, i, end - i, NULL, 0);
				i = end;
				continue;
			}
			if (!is_digit(c)) {
				i = r;
				continue;
			}
		}
		if (start_of_token && (is_digit(c) ||
		    ((c == '+' || c == '(') && i + 1 < len && (is_digit(t[i + 1]) || t[i + 1] == '+')))) {
			struct phone ph;
			char e164[E164_MAX];
			if (phone_at(t, len, i, &ph, e164) &&
			    !content_spans_cover(spans, &phone_cursor, i) &&
			    !phone_is_official(rules, e164))
				content_emit(o, POLICY_K_PHONE, i, ph.end - i, NULL, 0);
			i = ph.run_end > i ? ph.run_end : i + 1;
			continue;
		}
		i++;
	}
}
