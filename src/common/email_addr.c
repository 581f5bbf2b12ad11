/*
 * email_addr.c - checking and canonicalising e-mail addresses (see email_addr.h).
 */
#include "common/email_addr.h"

#include "common/err.h"

#include <string.h>

/* atext of RFC 5322 3.2.3, ASCII letters and digits aside. */
static int is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

static int valid_local(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int valid_domain(const char *s, size_t n)
{
	size_t start = 0, labels = 0;
	int all_digits = 1;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;
			if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-')
				return 0;
			labels++;
			if (i < n)
				all_digits = 1;
			start = i + 1;
			continue;
		}
		if (!is_ldh((unsigned char)s[i]))
			return 0;
		if (!(s[i] >= '0' && s[i] <= '9'))
			all_digits = 0;
	}
	return labels >= 2 && !all_digits;
}

int email_addr_canonical(const char *in, char *out, size_t out_cap)
{
	const char *at, *end;
	size_t n;

	if (!in || !out)
		return BANDITORE_EINVAL;
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	end = in + strlen(in);
	while (end > in && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	n = (size_t)(end - in);
	if (n == 0 || n > EMAIL_ADDR_MAX)
		return BANDITORE_EINVAL;
	at = memchr(in, '@', n);
	if (!at || memchr(at + 1, '@', (size_t)(end - at - 1)))
		return BANDITORE_EINVAL;
	if (!valid_local(in, (size_t)(at - in)) || !valid_domain(at + 1, (size_t)(end - at - 1)))
		return BANDITORE_EINVAL;
	if (n + 1 > out_cap)
		return BANDITORE_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return 0;
}

const char *email_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}
