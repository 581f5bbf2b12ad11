/*
 * message_time.c - RFC 3339 times, as people give them for scheduled_at and expires_at.
 *
 * Parsed by hand rather than with strptime(): strptime's %z and the local time zone
 * vary between C libraries, and the offset written in the string ("+01:00" in winter,
 * "+02:00" in summer in Italy) is all that matters. The date is turned into days with
 * Howard Hinnant's days_from_civil, which needs no time zone at all.
 */
#include "messages/messages.h"

#include "common/err.h"

#include <stdio.h>
#include <time.h>

/* n decimal digits at s into *out; 0 or -1. */
static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int messages_time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	int64_t t;

	if (!s || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return BANDITORE_EINVAL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') /* RFC 3339 5.6 allows the space */
		return BANDITORE_EINVAL;
	p = s + 11;
	if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi) || p[5] != ':' ||
	    digits(p + 6, 2, &sec))
		return BANDITORE_EINVAL;
	p += 8;
	if (*p == '.') { /* a fraction of a second: at least one digit, then dropped */
		p++;
		if (*p < '0' || *p > '9')
			return BANDITORE_EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
			return BANDITORE_EINVAL;
		p += 6;
	} else {
		return BANDITORE_EINVAL; /* a time without an offset is ambiguous */
	}
	if (*p != '\0')
		return BANDITORE_EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return BANDITORE_EINVAL;
	/* A leap second (:60) is counted as the first second of the next minute. */
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	if (t < 0)
		return BANDITORE_EINVAL;
	*out = t;
	return 0;
}

void messages_time_format(int64_t t, char out[MESSAGES_TIME_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, MESSAGES_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, MESSAGES_TIME_MAX, "1970-01-01T00:00:00Z");
}
