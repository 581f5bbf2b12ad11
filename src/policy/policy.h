/*
 * policy.h - the comune's policy as rules a machine checks, and the check itself.
 *
 * A struct policy is built once from the configuration (src/config does it, reading the
 * lexicon files: this module does no I/O and logs nothing). policy_check takes one
 * message as the editor wrote it, the send times of the channel's recent normal
 * messages, and "now", and answers with verdicts: each names its rule ("hours.outside",
 * "content.codice_fiscale"), cites its source as the comune's policy numbers it
 * ("Leini, art. 2 c. 2"), says why in Italian and in English, points at the field and
 * bytes concerned, and says whether the editor overrode it with a written reason. It
 * also says when the message may go out (a normal message outside service hours waits
 * for the next opening; emergencies go at once) and which disclaimer to append.
 *
 * Time: every rule that speaks of days (hours, holidays, electoral periods, how many
 * messages a day or a week) counts them in Europe/Rome local time, with the EU rule for
 * summer time (from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
 * Sunday of October), computed here without the C library's time zone database.
 *
 * Every array is bounded; a struct policy holds no pointers except its lexicon, which it
 * owns (policy_clear frees it). Messages, histories and overrides are borrowed.
 */
#ifndef BANDITORE_POLICY_H
#define BANDITORE_POLICY_H

#include "policy/content.h"

#include <stddef.h>
#include <stdint.h>

#define POLICY_ID_MAX 64          /* a category id, with NUL */
#define POLICY_LABEL_MAX 128      /* a label, with NUL */
#define POLICY_ARTICLE_MAX 64     /* "art. 2 c. 2", with NUL */
#define POLICY_SHORT_NAME_MAX 64  /* "Leini", with NUL */
#define POLICY_SOURCE_MAX (POLICY_SHORT_NAME_MAX + POLICY_ARTICLE_MAX + 2)
#define POLICY_RULE_MAX 40        /* "content.discriminatory", with NUL */
#define POLICY_REASON_MAX 320
#define POLICY_FIELD_MAX 16
#define POLICY_DISCLAIMER_MAX 1024
#define POLICY_CATEGORIES_MAX 32
#define POLICY_INTERVALS_MAX 28   /* weekly opening intervals (4 a day) */
#define POLICY_HOLIDAYS_MAX 64    /* configured dates besides the national holidays */
#define POLICY_PERIODS_MAX 16     /* electoral periods */
#define POLICY_OFFICIAL_MAX 16    /* official phones, e-mails, domains (each) */
#define POLICY_OFFICIAL_LEN 256
#define POLICY_TYPES_MAX 16       /* allowed attachment types */
#define POLICY_VERDICTS_MAX 48
#define POLICY_FINDINGS_MAX 64    /* content findings looked at per field */
#define POLICY_HOURS_TEXT_MAX 512 /* policy_hours_describe */

enum policy_level {
	POLICY_OFF = 0,  /* the rule is not checked */
	POLICY_INFO = 1, /* said, changes nothing (a rescheduling, a disclaimer) */
	POLICY_WARN = 2, /* stops the message unless overridden with a written reason */
	POLICY_BLOCK = 3 /* stops the message */
};

/* "off", "info", "warn", "block"; and back (-1 when unknown). */
const char *policy_level_name(enum policy_level level);
int policy_level_from_name(const char *name);

/* Who approves messages of a category (bits). */
enum policy_role {
	POLICY_ROLE_RESPONSABILE = 1, /* the one responsible (the mayor, art. 4 c. 1 Leini) */
	POLICY_ROLE_GESTORE = 2,      /* who manages the channel (press officer) */
	POLICY_ROLE_DELEGATO = 4,     /* a delegate designated by decree */
};
const char *policy_role_name(enum policy_role role); /* "responsabile", ... */
int policy_role_from_name(const char *name);          /* the bit, or -1 */

struct policy_category {
	char id[POLICY_ID_MAX];       /* [a-z0-9-], as messages name it */
	char label[POLICY_LABEL_MAX]; /* "Viabilità" */
	int emergency;                /* may go out at once, outside service hours */
	int electoral;                /* allowed during an electoral period */
	int approvers;                /* bits of enum policy_role; 0: anyone who may publish */
};

/* One weekly opening: `weekday` 0 = Monday .. 6 = Sunday, minutes from local midnight,
 * open <= t < close. */
struct policy_interval {
	int weekday;
	int open_min, close_min;
};

/* A date; year 0 means every year (a patron saint's day). */
struct policy_date {
	int year, month, day;
};

/* An electoral period: from `first` to `last` inclusive, local dates. */
struct policy_period {
	struct policy_date first, last;
	char label[POLICY_LABEL_MAX];
};

/* The rules of this module whose source is configured; content kinds have their own. */
enum policy_rule {
	POLICY_R_CATEGORY = 0, /* categories of art. 2 c. 1 */
	POLICY_R_HOURS,
	POLICY_R_ELECTORAL,
	POLICY_R_FREQUENCY,
	POLICY_R_LINKS,        /* https only, official domains */
	POLICY_R_DISCLAIMER,
	POLICY_R_ATTACHMENT,
	POLICY_R_COUNT
};

/* What a message may carry as attachment (facts found by the caller, e.g. libmagic). */
struct policy_attachment {
	const char *name;      /* as uploaded, borrowed (for reasons only) */
	const char *mime;      /* detected by content, borrowed */
	int64_t size;          /* bytes */
	int executable;        /* an executable or script */
	int macros;            /* a macro-enabled office document */
	int gps;               /* image metadata with a GPS position */
};

struct policy {
	char short_name[POLICY_SHORT_NAME_MAX]; /* "Leini": the first half of every source */
	char article[POLICY_R_COUNT][POLICY_ARTICLE_MAX]; /* the second half, per rule */

	/* Categories; none: any category, no category rules. */
	struct policy_category categories[POLICY_CATEGORIES_MAX];
	int n_categories;

	/* Service hours; no interval: always open. */
	struct policy_interval intervals[POLICY_INTERVALS_MAX];
	int n_intervals;
	int national_holidays;  /* 1: closed on Italy's national holidays */
	struct policy_date holidays[POLICY_HOLIDAYS_MAX];
	int n_holidays;

	/* Electoral periods (law 28/2000 art. 9). */
	struct policy_period periods[POLICY_PERIODS_MAX];
	int n_periods;
	enum policy_level electoral_names;     /* level of content.name in a period (block) */
	enum policy_level electoral_political; /* political and propaganda terms in a period */

	/* Content: level and source article of each kind (policy_check raises names and
	 * political terms during electoral periods as above). */
	enum policy_level content_level[POLICY_K_COUNT];
	char content_article[POLICY_K_COUNT][POLICY_ARTICLE_MAX];
	struct policy_lexicon *lexicon; /* owned; NULL: no lexicon findings */

	/* Links and the comune's own contacts (not personal data). */
	int allow_http;
	enum policy_level external_links; /* a link outside the official domains */
	char official_domains[POLICY_OFFICIAL_MAX][POLICY_OFFICIAL_LEN];
	int n_official_domains;
	char official_phones[POLICY_OFFICIAL_MAX][POLICY_OFFICIAL_LEN]; /* E.164 */
	int n_official_phones;
	char official_emails[POLICY_OFFICIAL_MAX][POLICY_OFFICIAL_LEN];
	int n_official_emails;

	/* The disclaimer appended to messages ("" : none); with `disclaimer_link_only`,
	 * only to messages that carry a link. */
	char disclaimer[POLICY_DISCLAIMER_MAX];
	int disclaimer_link_only;

	/* Frequency (the editorial plan); 0: no limit. Emergencies are exempt. */
	int per_day, per_week;
	enum policy_level frequency_level; /* block (default) or warn */

	/* Attachments. */
	int64_t attachment_max;            /* bytes; 0: no limit */
	char attachment_types[POLICY_TYPES_MAX][POLICY_ID_MAX]; /* "image/jpeg", or "image/" + "*" */
	int n_attachment_types;            /* 0: any type that is not executable */
	enum policy_level attachment_gps;  /* GPS position in an image (warn) */
	int attachment_strip_gps;          /* 1: the position is removed at intake (no verdict) */
};

/* Sets `p` to the defaults: no categories, always open, national holidays on, personal
 * data kinds (codice fiscale, IBAN, phone, e-mail, health, judicial) block, other content
 * kinds warn, insecure links block, names off outside electoral periods and block inside
 * them, at most 16 MiB attachments, no executables or macros. No lexicon. */
void policy_init(struct policy *p);
/* Frees what `p` owns (its lexicon); `p` may be reused after policy_init. NULL is fine. */
void policy_clear(struct policy *p);

/* The category `id`, or NULL. */
const struct policy_category *policy_category_find(const struct policy *p, const char *id);

/* An override the editor wrote: `rule` ("content.advertising") and why. Borrowed. */
struct policy_override {
	const char *rule;
	const char *reason;
};

/* The message as the checker sees it; every pointer borrowed, NULL when absent. */
struct policy_message {
	const char *title;
	const char *text;
	const char *link;
	const char *category;
	int emergency;                 /* priority "emergency" */
	int64_t requested_at;          /* scheduled_at (Unix seconds); 0: as soon as possible */
	const char *justification;     /* why it is indispensable in an electoral period */
	const struct policy_override *overrides;
	int n_overrides;
	const struct policy_attachment *attachments;
	int n_attachments;
};

/* What the channel sent lately: send times (Unix seconds) of its normal messages, in any
 * order, those of the last 8 days at least. Borrowed. */
struct policy_history {
	const int64_t *sent_at;
	int n;
};

struct policy_verdict {
	enum policy_level level;
	char rule[POLICY_RULE_MAX];
	char source[POLICY_SOURCE_MAX];   /* "Leini, art. 2 c. 2" */
	char reason[POLICY_REASON_MAX];   /* Italian */
	char reason_en[POLICY_REASON_MAX];
	char field[POLICY_FIELD_MAX];     /* "title", "text", "link", "category", ... or "" */
	size_t start, len;                /* bytes in `field`; 0, 0 when not about bytes */
	int overridden;                   /* a warn the editor overrode with a reason */
};

struct policy_result {
	int allowed;        /* 1: may be sent (no block, every warn overridden) */
	int64_t send_at;    /* when it may go out (Unix seconds) */
	int n_verdicts;
	int n_dropped;      /* verdicts beyond POLICY_VERDICTS_MAX (counted as blocks) */
	struct policy_verdict verdicts[POLICY_VERDICTS_MAX];
	char disclaimer[POLICY_DISCLAIMER_MAX]; /* to append to the text, or "" */
};

/* Checks `m` against `p` at time `now` with the channel's `history` (may be NULL) and
 * fills *out (large: allocate it, do not put it on a small stack). Verdicts come in the
 * order: category, hours, electoral, content (title, text, link), links, attachments,
 * frequency, disclaimer. Returns 0, or BANDITORE_EINVAL for a NULL argument. */
int policy_check(const struct policy *p, const struct policy_message *m,
		 const struct policy_history *history, int64_t now, struct policy_result *out);

/* --- time in Europe/Rome, and service hours --- */

/* Broken-down local time. weekday: 0 = Monday .. 6 = Sunday. */
struct policy_tm {
	int year, month, day, hour, min, sec, weekday;
	int offset; /* seconds east of UTC: 3600 (CET) or 7200 (CEST) */
};

/* The offset of Europe/Rome at UTC time `t`: 7200 in summer time, else 3600. */
int policy_rome_offset(int64_t t);
void policy_rome_local(int64_t t, struct policy_tm *out);
/* The local date of `t` as days since 1970-01-01 (for counting days and weeks). */
int64_t policy_rome_day(int64_t t);
/* The UTC time of local `y-m-d h:min` in Rome. A time in the spring gap (02:00-03:00)
 * is taken as standard time (so 02:30 → 03:30 CEST); an ambiguous autumn time as the
 * first (summer time) one. */
int64_t policy_rome_utc(int y, int m, int d, int h, int min);

/* Easter Sunday of `year` (Gregorian): *month, *day. */
void policy_easter(int year, int *month, int *day);
/* 1 when y-m-d is an Italian national holiday (Easter Monday included). */
int policy_national_holiday(int y, int m, int d);
/* 1 when the office is closed all day y-m-d by a holiday (national when configured, or
 * one of the configured dates). */
int policy_holiday(const struct policy *p, int y, int m, int d);

/* 1 when the office is open at `t` (always, when no hours are configured). */
int policy_hours_open(const struct policy *p, int64_t t);
/* The first time >= t when the office is open (t itself when open); t when no hours are
 * configured or none opens within a year. */
int64_t policy_hours_next_open(const struct policy *p, int64_t t);
/* The hours in words, for the auto-reply outside them: "dal lunedì al venerdì dalle 9:00
 * alle 13:00" (english: "Monday to Friday from 9:00 to 13:00"). Writes "" when always
 * open. Returns the length, truncated to cap - 1. */
size_t policy_hours_describe(const struct policy *p, int english, char *out, size_t cap);

#endif
