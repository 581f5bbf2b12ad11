/*
 * policy_time.c - Europe/Rome local time, Italian holidays and the comune's service
 * hours, as pure functions.
 *
 * Italy follows the EU rule for summer time (directive 2000/84/EC): clocks go from CET
 * (UTC+1) to CEST (UTC+2) at 01:00 UTC on the last Sunday of March and back at 01:00 UTC
 * on the last Sunday of October. Computing it here keeps the checks independent of the
 * machine's TZ and of the tz database, and makes them testable at any instant. Dates go
 * to days and back with Howard Hinnant's civil-calendar algorithms.
 */
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

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

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

/* 0 = Monday .. 6 = Sunday; 1970-01-01 was a Thursday. */
static int weekday_of_days(int64_t days)
{
	int64_t w = (days + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The day (days since epoch) of the last Sunday of `month` (March or October, both of
 * 31 days) in `year`. */
static int64_t last_sunday(int year, int month)
{
	int64_t last = days_from_civil(year, month, 31);
	return last - ((weekday_of_days(last) + 1) % 7);
}

int policy_rome_offset(int64_t t)
{
	int y, m, d;
	int64_t start, end;

	civil_from_days(floor_div(t, 86400), &y, &m, &d);
	start = last_sunday(y, 3) * 86400 + 3600;
	end = last_sunday(y, 10) * 86400 + 3600;
	return t >= start && t < end ? 7200 : 3600;
}

void policy_rome_local(int64_t t, struct policy_tm *out)
{
	int off = policy_rome_offset(t);
	int64_t local = t + off, days = floor_div(local, 86400), secs = local - days * 86400;

	civil_from_days(days, &out->year, &out->month, &out->day);
	out->hour = (int)(secs / 3600);
	out->min = (int)(secs / 60 % 60);
	out->sec = (int)(secs % 60);
	out->weekday = weekday_of_days(days);
	out->offset = off;
}

int64_t policy_rome_day(int64_t t)
{
	return floor_div(t + policy_rome_offset(t), 86400);
}

int64_t policy_rome_utc(int y, int m, int d, int h, int min)
{
	int64_t local = days_from_civil(y, m, d) * 86400 + (int64_t)h * 3600 + (int64_t)min * 60;

	/* Summer time first: in the autumn overlap both fit and the first one wins. */
	if (policy_rome_offset(local - 7200) == 7200)
		return local - 7200;
	if (policy_rome_offset(local - 3600) == 3600)
		return local - 3600;
	return local - 3600; /* the spring gap: read as standard time */
}

void policy_easter(int year, int *month, int *day)
{
	/* The anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;

	*month = (h + l - 7 * m + 114) / 31;
	*day = (h + l - 7 * m + 114) % 31 + 1;
}

int policy_national_holiday(int y, int m, int d)
{
	static const int fixed[][2] = {
		{ 1, 1 },   /* Capodanno */
		{ 1, 6 },   /* Epifania */
		{ 4, 25 },  /* Festa della Liberazione */
		{ 5, 1 },   /* Festa del Lavoro */
		{ 6, 2 },   /* Festa della Repubblica */
		{ 8, 15 },  /* Ferragosto */
		{ 11, 1 },  /* Ognissanti */
		{ 12, 8 },  /* Immacolata Concezione */
		{ 12, 25 }, /* Natale */
		{ 12, 26 }, /* Santo Stefano */
	};
	int em, ed;
	int64_t easter;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (fixed[i][0] == m && fixed[i][1] == d)
			return 1;
	/* San Francesco, patron saint of Italy: a national holiday again from 2026
	 * (law 151/2025). */
	if (y >= 2026 && m == 10 && d == 4)
		return 1;
	policy_easter(y, &em, &ed);
	easter = days_from_civil(y, em, ed);
	return days_from_civil(y, m, d) == easter || days_from_civil(y, m, d) == easter + 1;
}

int policy_holiday(const struct policy *p, int y, int m, int d)
{
	if (p->national_holidays && policy_national_holiday(y, m, d))
		return 1;
	for (int i = 0; i < p->n_holidays; i++) {
		const struct policy_date *h = &p->holidays[i];
		if ((h->year == 0 || h->year == y) && h->month == m && h->day == d)
			return 1;
	}
	return 0;
}

/* The UTC time of `min` minutes after local midnight of day `days` (1440: the next
 * midnight). */
static int64_t utc_at(int64_t days, int min)
{
	int y, m, d;

	civil_from_days(days + min / 1440, &y, &m, &d);
	min %= 1440;
	return policy_rome_utc(y, m, d, min / 60, min % 60);
}

int policy_hours_open(const struct policy *p, int64_t t)
{
	return p->n_intervals == 0 || policy_hours_next_open(p, t) == t;
}

int64_t policy_hours_next_open(const struct policy *p, int64_t t)
{
	struct policy_tm tm;
	int64_t day0, best = -1;

	if (p->n_intervals == 0)
		return t;
	policy_rome_local(t, &tm);
	day0 = days_from_civil(tm.year, tm.month, tm.day);
	for (int64_t k = 0; k <= 400 && best < 0; k++) {
		int y, m, d, wd = weekday_of_days(day0 + k);
		civil_from_days(day0 + k, &y, &m, &d);
		if (policy_holiday(p, y, m, d))
			continue;
		for (int i = 0; i < p->n_intervals; i++) {
			const struct policy_interval *iv = &p->intervals[i];
			int64_t open, close;
			if (iv->weekday != wd)
				continue;
			open = utc_at(day0 + k, iv->open_min);
			close = utc_at(day0 + k, iv->close_min);
			if (t >= open && t < close)
				return t;
			if (open > t && (best < 0 || open < best))
				best = open;
		}
	}
	return best < 0 ? t : best;
}

/* --- the hours in words --- */

static const char *const day_it[7] = { "lunedì", "martedì", "mercoledì", "giovedì",
				       "venerdì", "sabato", "domenica" };
/* With the article: "il lunedì", "la domenica"; after "dal"/"al": "al lunedì", "alla domenica". */
static const char *const the_day_it[7] = { "il lunedì", "il martedì", "il mercoledì", "il giovedì",
					   "il venerdì", "il sabato", "la domenica" };
static const char *const to_day_it[7] = { "al lunedì", "al martedì", "al mercoledì", "al giovedì",
					  "al venerdì", "al sabato", "alla domenica" };
static const char *const day_en[7] = { "Monday", "Tuesday", "Wednesday", "Thursday",
				       "Friday", "Saturday", "Sunday" };

/* Appends to out at *len (bounded by cap, always NUL-terminated). */
static void put(char *out, size_t cap, size_t *len, const char *fmt, const char *a, const char *b)
{
	int n;

	if (*len + 1 >= cap)
		return;
	n = snprintf(out + *len, cap - *len, fmt, a, b);
	if (n < 0)
		return;
	*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void fmt_time(int min, char out[8])
{
	snprintf(out, 8, "%d:%02d", (min / 60) % 100, min % 60);
}

/* The day's intervals as a key, to group days with the same hours. */
static void day_key(const struct policy *p, int wd, char *key, size_t cap)
{
	size_t len = 0;
	int last = -1;

	key[0] = '\0';
	/* In order of opening time. */
	for (;;) {
		int next = -1;
		for (int i = 0; i < p->n_intervals; i++) {
			const struct policy_interval *iv = &p->intervals[i];
			if (iv->weekday == wd && iv->open_min > last &&
			    (next < 0 || iv->open_min < p->intervals[next].open_min))
				next = i;
		}
		if (next < 0)
			break;
		char a[8], b[8];
		fmt_time(p->intervals[next].open_min, a);
		fmt_time(p->intervals[next].close_min, b);
		put(key, cap, &len, len ? ",%s-%s" : "%s-%s", a, b);
		last = p->intervals[next].open_min;
	}
}

size_t policy_hours_describe(const struct policy *p, int english, char *out, size_t cap)
{
	char keys[7][128];
	size_t len = 0;
	int wd = 0, groups = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (p->n_intervals == 0)
		return 0;
	for (int i = 0; i < 7; i++)
		day_key(p, i, keys[i], sizeof(keys[i]));
	while (wd < 7) {
		int end = wd;
		char *save = NULL, *tok;
		char copy[128];
		int first = 1;
		if (!keys[wd][0]) {
			wd++;
			continue;
		}
		while (end + 1 < 7 && strcmp(keys[end + 1], keys[wd]) == 0)
			end++;
		if (groups++)
			put(out, cap, &len, "%s%s", "; ", "");
		if (end == wd)
			put(out, cap, &len, "%s%s", english ? day_en[wd] : the_day_it[wd], "");
		else if (end == wd + 1)
			put(out, cap, &len, english ? "%s and %s" : "%s e %s",
			    english ? day_en[wd] : the_day_it[wd], english ? day_en[end] : the_day_it[end]);
		else
			put(out, cap, &len, english ? "%s to %s" : "dal %s %s",
			    english ? day_en[wd] : day_it[wd], english ? day_en[end] : to_day_it[end]);
		snprintf(copy, sizeof(copy), "%s", keys[wd]);
		for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char *dash = strchr(tok, '-');
			if (!dash)
				continue;
			*dash = '\0';
			if (!first)
				put(out, cap, &len, "%s%s", english ? " and" : " e", "");
			put(out, cap, &len, english ? " from %s to %s" : " dalle %s alle %s", tok, dash + 1);
			first = 0;
		}
		wd = end + 1;
	}
	return len;
}
