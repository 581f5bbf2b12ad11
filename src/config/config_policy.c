/*
 * config_policy.c - the sections of the configuration that say what the comune's policy
 * allows, into a struct policy (src/policy/policy.h): categories ([category ID], one
 * section each), service hours and holidays, electoral periods and names, content levels
 * and lexicon files, links, the disclaimer, frequency and attachments, with the short
 * name and the article each rule cites.
 *
 * The policy module does no I/O: the lexicon files are read here, and a file that cannot
 * be read, or a bad line in one, is a configuration error like any other (FILE:LINE).
 */
#include "config/config_internal.h"

#include "common/e164.h"
#include "common/err.h"
#include "common/i18n.h"
#include "policy/policy.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BANDITORE_DATADIR
#define BANDITORE_DATADIR "/usr/share/banditore"
#endif
#define DEFAULT_LEXICON_DIR BANDITORE_DATADIR "/policy/lexicons/it"
#define LEXICON_FILE_MAX (4 * 1024 * 1024)

/* Content keys: one per kind ([content] codice_fiscale = block art. 4 c. 4), then one
 * extra_<kind> per lexicon kind, in the order of enum policy_kind. */
#define CP_CONTENT_BASE CP_FIXED_COUNT
#define CP_EXTRA_BASE (CP_CONTENT_BASE + POLICY_K_COUNT)
#define CP_TOTAL (CP_EXTRA_BASE + POLICY_K_LEXICON_COUNT)

const struct config_key config_policy_keys[CP_TOTAL] = {
	[CP_SHORT_NAME] = { "policy", "short_name", 0 },
	[CP_CATEGORIES_ARTICLE] = { "categories", "article", 0 },
	[CP_CAT_LABEL] = { "category *", "label", 0 },
	[CP_CAT_EMERGENCY] = { "category *", "emergency", 0 },
	[CP_CAT_ELECTORAL] = { "category *", "electoral", 0 },
	[CP_CAT_APPROVERS] = { "category *", "approvers", 0 },
	[CP_HOURS_OPEN] = { "hours", "open", 0 },
	[CP_HOURS_NATIONAL] = { "hours", "national_holidays", 0 },
	[CP_HOURS_HOLIDAYS] = { "hours", "holidays", 0 },
	[CP_HOURS_ARTICLE] = { "hours", "article", 0 },
	[CP_EL_PERIODS] = { "electoral", "periods", 0 },
	[CP_EL_NAMES] = { "electoral", "names", 0 },
	[CP_EL_NAMES_LEVEL] = { "electoral", "names_level", 0 },
	[CP_EL_POLITICAL_LEVEL] = { "electoral", "political_level", 0 },
	[CP_EL_ARTICLE] = { "electoral", "article", 0 },
	[CP_LEXICON_DIR] = { "content", "lexicon_dir", 0 },
	[CP_OFFICIAL_PHONES] = { "content", "official_phones", 0 },
	[CP_OFFICIAL_EMAILS] = { "content", "official_emails", 0 },
	[CP_LINKS_HTTP] = { "links", "allow_http", 0 },
	[CP_LINKS_DOMAINS] = { "links", "official_domains", 0 },
	[CP_LINKS_EXTERNAL] = { "links", "external", 0 },
	[CP_LINKS_ARTICLE] = { "links", "article", 0 },
	[CP_DISC_TEXT] = { "disclaimer", "text", 0 },
	[CP_DISC_WHEN] = { "disclaimer", "when", 0 },
	[CP_DISC_ARTICLE] = { "disclaimer", "article", 0 },
	[CP_FREQ_DAY] = { "frequency", "per_day", 0 },
	[CP_FREQ_WEEK] = { "frequency", "per_week", 0 },
	[CP_FREQ_LEVEL] = { "frequency", "level", 0 },
	[CP_FREQ_ARTICLE] = { "frequency", "article", 0 },
	[CP_ATT_MAX] = { "attachments", "max_bytes", 0 },
	[CP_ATT_TYPES] = { "attachments", "types", 0 },
	[CP_ATT_GPS] = { "attachments", "gps", 0 },
	[CP_ATT_ARTICLE] = { "attachments", "article", 0 },
	[CP_ATT_STRIP_GPS] = { "attachments", "strip_gps", 0 },
	[CP_CONTENT_BASE + POLICY_K_PROPAGANDA] = { "content", "propaganda", 0 },
	[CP_CONTENT_BASE + POLICY_K_POLITICAL] = { "content", "political", 0 },
	[CP_CONTENT_BASE + POLICY_K_ADVERTISING] = { "content", "advertising", 0 },
	[CP_CONTENT_BASE + POLICY_K_OBSCENE] = { "content", "obscene", 0 },
	[CP_CONTENT_BASE + POLICY_K_BLASPHEMY] = { "content", "blasphemy", 0 },
	[CP_CONTENT_BASE + POLICY_K_DEFAMATORY] = { "content", "defamatory", 0 },
	[CP_CONTENT_BASE + POLICY_K_DISCRIMINATORY] = { "content", "discriminatory", 0 },
	[CP_CONTENT_BASE + POLICY_K_HEALTH] = { "content", "health", 0 },
	[CP_CONTENT_BASE + POLICY_K_JUDICIAL] = { "content", "judicial", 0 },
	[CP_CONTENT_BASE + POLICY_K_SHORTENER] = { "content", "shortener", 0 },
	[CP_CONTENT_BASE + POLICY_K_NAME] = { "content", "name", 0 },
	[CP_CONTENT_BASE + POLICY_K_CODICE_FISCALE] = { "content", "codice_fiscale", 0 },
	[CP_CONTENT_BASE + POLICY_K_IBAN] = { "content", "iban", 0 },
	[CP_CONTENT_BASE + POLICY_K_PHONE] = { "content", "phone", 0 },
	[CP_CONTENT_BASE + POLICY_K_EMAIL] = { "content", "email", 0 },
	[CP_CONTENT_BASE + POLICY_K_INSECURE_LINK] = { "content", "insecure_link", 0 },
	[CP_CONTENT_BASE + POLICY_K_LINK_MISMATCH] = { "content", "link_mismatch", 0 },
	[CP_EXTRA_BASE + POLICY_K_PROPAGANDA] = { "content", "extra_propaganda", 0 },
	[CP_EXTRA_BASE + POLICY_K_POLITICAL] = { "content", "extra_political", 0 },
	[CP_EXTRA_BASE + POLICY_K_ADVERTISING] = { "content", "extra_advertising", 0 },
	[CP_EXTRA_BASE + POLICY_K_OBSCENE] = { "content", "extra_obscene", 0 },
	[CP_EXTRA_BASE + POLICY_K_BLASPHEMY] = { "content", "extra_blasphemy", 0 },
	[CP_EXTRA_BASE + POLICY_K_DEFAMATORY] = { "content", "extra_defamatory", 0 },
	[CP_EXTRA_BASE + POLICY_K_DISCRIMINATORY] = { "content", "extra_discriminatory", 0 },
	[CP_EXTRA_BASE + POLICY_K_HEALTH] = { "content", "extra_health", 0 },
	[CP_EXTRA_BASE + POLICY_K_JUDICIAL] = { "content", "extra_judicial", 0 },
	[CP_EXTRA_BASE + POLICY_K_SHORTENER] = { "content", "extra_shortener", 0 },
	[CP_EXTRA_BASE + POLICY_K_NAME] = { "content", "extra_name", 0 },
};
const size_t config_policy_n_keys = CP_TOTAL;

struct pb {
	const struct config_policy_input *in;
	struct policy *p;
	int rc;
};

static void err_at(struct pb *b, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void err_at(struct pb *b, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (config_error_add(b->in->errs, file, line, "%s", msg) != 0)
		b->rc = BANDITORE_ENOMEM;
}

/* Value k of a [category ...] section: its values follow the table of the main file. */
#define IV(b, it, k) (&(it)->vals[(b)->in->inst_base + (size_t)(k)])

#define ERR(b, line, ...) err_at((b), (b)->in->path, (line), __VA_ARGS__)

static const char *val(const struct pb *b, int k)
{
	return b->in->vals[k].set ? buf_cstr(&b->in->vals[k].text) : NULL;
}

static int line_of(const struct pb *b, int k)
{
	return b->in->vals[k].line;
}

/* Copies the trimmed item [s, e) into out (cap bytes); 0, or -1 when it does not fit. */
static int item(const char *s, const char *e, char *out, size_t cap)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - s) >= cap)
		return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

/* Calls fn on every comma-separated item of `list` (trimmed; empty items reported). */
static void each_item(struct pb *b, const char *list, int line, const char *key,
		      void (*fn)(struct pb *, const char *, int, void *), void *arg)
{
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char one[512];
		if (item(p, end, one, sizeof(one)) != 0)
			ERR(b, line, T("%s: elemento troppo lungo", "%s: item too long"), key);
		else if (!one[0])
			ERR(b, line, T("%s: elemento vuoto (due virgole di seguito?)", "%s: empty item (two commas in a row?)"), key);
		else
			fn(b, one, line, arg);
		if (!comma)
			break;
		p = comma + 1;
	}
}

static int yes_no(struct pb *b, int k, const char *key, int def)
{
	const char *v = val(b, k);

	if (!v)
		return def;
	if (!strcmp(v, "yes") || !strcmp(v, "si") || !strcmp(v, "sì") || !strcmp(v, "true"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false"))
		return 0;
	ERR(b, line_of(b, k), T("%s: '%s' non va bene: yes o no", "%s: '%s' is wrong: yes or no"), key, v);
	return def;
}

/* A yes/no of one category section. */
static int inst_yes_no(struct pb *b, const struct config_instance *it, int k, int def)
{
	const struct config_value *v = IV(b, it, k);
	const char *s = buf_cstr(&v->text);

	if (!v->set)
		return def;
	if (!strcmp(s, "yes") || !strcmp(s, "si") || !strcmp(s, "sì") || !strcmp(s, "true"))
		return 1;
	if (!strcmp(s, "no") || !strcmp(s, "false"))
		return 0;
	ERR(b, v->line, T("%s: '%s' non va bene: yes o no", "%s: '%s' is wrong: yes or no"),
	    config_policy_keys[k].name, s);
	return def;
}

static int level(struct pb *b, const char *v, int line, const char *key, int allow_info, int def)
{
	int l = policy_level_from_name(v);

	if (l < 0 || (!allow_info && l == POLICY_INFO)) {
		ERR(b, line, T("%s: '%s' non va bene: %s", "%s: '%s' is wrong: %s"), key, v,
		    allow_info ? "block, warn, info, off" : "block, warn, off");
		return def;
	}
	return l;
}

static void article(struct pb *b, int k, char *out)
{
	const char *v = val(b, k);

	if (!v)
		return;
	if (strlen(v) >= POLICY_ARTICLE_MAX)
		ERR(b, line_of(b, k), T("article: al massimo %d caratteri", "article: at most %d characters"),
		    POLICY_ARTICLE_MAX - 1);
	snprintf(out, POLICY_ARTICLE_MAX, "%.*s", POLICY_ARTICLE_MAX - 1, v);
}

static int get_count(struct pb *b, int k, int max, int def)
{
	const char *v = val(b, k);
	char *end;
	long n;

	if (!v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!(*v >= '0' && *v <= '9') || *end || errno || n < 0 || n > max) {
		ERR(b, line_of(b, k), T("%s: '%s' non va bene: serve un numero intero da 0 a %d",
					"%s: '%s' is wrong: it must be a whole number from 0 to %d"),
		    config_policy_keys[k].name, v, max);
		return def;
	}
	return (int)n;
}

/* ---- [policy] and categories ---- */

static void short_name(struct pb *b)
{
	static const char *const prefixes[] = { "Comune di ", "Città di ", "Citta di ", "Città metropolitana di " };
	const char *v = val(b, CP_SHORT_NAME), *name = b->in->comune_name ? b->in->comune_name : "";

	if (v) {
		if (!*v || strlen(v) >= POLICY_SHORT_NAME_MAX)
			ERR(b, line_of(b, CP_SHORT_NAME), T("short_name: da 1 a %d caratteri", "short_name: 1 to %d characters"),
			    POLICY_SHORT_NAME_MAX - 1);
		snprintf(b->p->short_name, sizeof(b->p->short_name), "%.*s", POLICY_SHORT_NAME_MAX - 1, v);
		return;
	}
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncasecmp(name, prefixes[i], strlen(prefixes[i])))
			name += strlen(prefixes[i]);
	snprintf(b->p->short_name, sizeof(b->p->short_name), "%.*s", POLICY_SHORT_NAME_MAX - 1, name);
}

static void add_role(struct pb *b, const char *name, int line, void *arg)
{
	int *roles = arg, r = policy_role_from_name(name);

	if (r < 0)
		ERR(b, line, T("approvers: ruolo sconosciuto '%s' (noti: responsabile, gestore, delegato)",
			       "approvers: unknown role '%s' (known: responsabile, gestore, delegato)"), name);
	else
		*roles |= r;
}

static void categories(struct pb *b)
{
	const struct config_instances *in = b->in->instances;

	article(b, CP_CATEGORIES_ARTICLE, b->p->article[POLICY_R_CATEGORY]);
	for (int i = 0; in && i < in->count; i++) {
		const struct config_instance *it = &in->items[i];
		struct policy_category *c;
		if (strcmp(it->pattern, "category *") != 0)
			continue;
		if (b->p->n_categories == POLICY_CATEGORIES_MAX) {
			ERR(b, it->line, T("al massimo %d categorie", "at most %d categories"), POLICY_CATEGORIES_MAX);
			break;
		}
		c = &b->p->categories[b->p->n_categories++];
		snprintf(c->id, sizeof(c->id), "%s", it->name);
		if (IV(b, it, CP_CAT_LABEL)->set) {
			const char *l = buf_cstr(&IV(b, it, CP_CAT_LABEL)->text);
			if (strlen(l) >= POLICY_LABEL_MAX || !*l)
				ERR(b, IV(b, it, CP_CAT_LABEL)->line, T("label: da 1 a %d caratteri", "label: 1 to %d characters"),
				    POLICY_LABEL_MAX - 1);
			snprintf(c->label, sizeof(c->label), "%.*s", POLICY_LABEL_MAX - 1, l);
		} else {
			snprintf(c->label, sizeof(c->label), "%s", it->name);
		}
		c->emergency = inst_yes_no(b, it, CP_CAT_EMERGENCY, 0);
		c->electoral = inst_yes_no(b, it, CP_CAT_ELECTORAL, 0);
		if (IV(b, it, CP_CAT_APPROVERS)->set)
			each_item(b, buf_cstr(&IV(b, it, CP_CAT_APPROVERS)->text), IV(b, it, CP_CAT_APPROVERS)->line,
				  "approvers", add_role, &c->approvers);
	}
}

/* ---- [hours] ---- */

static int day_from_name(const char *s, size_t n)
{
	static const char *const en[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	static const char *const it[] = { "lun", "mar", "mer", "gio", "ven", "sab", "dom" };

	for (int i = 0; i < 7; i++)
		if ((n == 3 && (!strncmp(s, en[i], 3) || !strncmp(s, it[i], 3))))
			return i;
	return -1;
}

/* "09:00" (or "9:00", "24:00" as an end) into minutes; -1 when wrong. */
static int minutes(const char *s, size_t n, int end)
{
	int h = 0, m = 0;
	size_t i = 0;

	if (n < 4 || n > 5)
		return -1;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		h = h * 10 + (s[i++] - '0');
	if (i == 0 || i > 2 || i + 3 != n || s[i] != ':' || s[i + 1] < '0' || s[i + 1] > '5' ||
	    s[i + 2] < '0' || s[i + 2] > '9')
		return -1;
	m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	if (h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	return h * 60 + m;
}

/* "mon-fri 09:00-13:00" */
static void add_interval(struct pb *b, const char *s, int line, void *arg)
{
	const char *sp = strchr(s, ' '), *dash, *tdash;
	int d1, d2, a, z;

	(void)arg;
	if (!sp)
		goto bad;
	dash = memchr(s, '-', (size_t)(sp - s));
	d1 = day_from_name(s, dash ? (size_t)(dash - s) : (size_t)(sp - s));
	d2 = dash ? day_from_name(dash + 1, (size_t)(sp - dash - 1)) : d1;
	while (*sp == ' ')
		sp++;
	tdash = strchr(sp, '-');
	if (d1 < 0 || d2 < 0 || d2 < d1 || !tdash)
		goto bad;
	a = minutes(sp, (size_t)(tdash - sp), 0);
	z = minutes(tdash + 1, strlen(tdash + 1), 1);
	if (a < 0 || z < 0)
		goto bad;
	if (z <= a) {
		ERR(b, line, T("open: '%s': l'orario di chiusura deve venire dopo quello di apertura",
			       "open: '%s': the closing time must come after the opening time"), s);
		return;
	}
	for (int d = d1; d <= d2; d++) {
		if (b->p->n_intervals == POLICY_INTERVALS_MAX) {
			ERR(b, line, T("open: al massimo %d fasce orarie", "open: at most %d time slots"), POLICY_INTERVALS_MAX);
			return;
		}
		for (int i = 0; i < b->p->n_intervals; i++) {
			const struct policy_interval *iv = &b->p->intervals[i];
			if (iv->weekday == d && a < iv->close_min && iv->open_min < z) {
				ERR(b, line, T("open: '%s' si sovrappone a un'altra fascia dello stesso giorno",
					       "open: '%s' overlaps another slot of the same day"), s);
				return;
			}
		}
		b->p->intervals[b->p->n_intervals++] = (struct policy_interval){ d, a, z };
	}
	return;
bad:
	ERR(b, line, T("open: '%s' non va bene: scrivere GIORNI ORA-ORA, per esempio mon-fri 09:00-13:00 "
		       "(giorni: mon tue wed thu fri sat sun, o lun mar mer gio ven sab dom)",
		       "open: '%s' is wrong: write DAYS TIME-TIME, for example mon-fri 09:00-13:00 "
		       "(days: mon tue wed thu fri sat sun, or lun mar mer gio ven sab dom)"), s);
}

static int days_in(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : days[m - 1];
}

/* "2026-12-07" or (with `yearly`) "12-07"; 0, or -1 when wrong. */
static int parse_date(const char *s, size_t n, int yearly, struct policy_date *out)
{
	int v[3] = { 0, 0, 0 }, parts = 0, digits = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] >= '0' && s[i] <= '9') {
			v[parts] = v[parts] * 10 + (s[i] - '0');
			if (++digits > 4)
				return -1;
		} else if (i == n || s[i] == '-') {
			if (!digits || parts == 2 + 1)
				return -1;
			parts++;
			digits = 0;
			if (parts == 3 && i < n)
				return -1;
		} else {
			return -1;
		}
	}
	if (parts == 3) {
		out->year = v[0];
		out->month = v[1];
		out->day = v[2];
		if (out->year < 1970 || out->year > 9999)
			return -1;
	} else if (parts == 2 && yearly) {
		out->year = 0;
		out->month = v[0];
		out->day = v[1];
	} else {
		return -1;
	}
	if (out->month < 1 || out->month > 12 || out->day < 1 ||
	    out->day > days_in(out->year ? out->year : 2000, out->month))
		return -1;
	return 0;
}

static void add_holiday(struct pb *b, const char *s, int line, void *arg)
{
	struct policy_date d;

	(void)arg;
	if (parse_date(s, strlen(s), 1, &d) != 0) {
		ERR(b, line, T("holidays: '%s' non è una data: AAAA-MM-GG, oppure MM-GG per ogni anno (il santo patrono)",
			       "holidays: '%s' is not a date: YYYY-MM-DD, or MM-DD for every year (the patron saint)"), s);
		return;
	}
	if (b->p->n_holidays == POLICY_HOLIDAYS_MAX) {
		ERR(b, line, T("holidays: al massimo %d date", "holidays: at most %d dates"), POLICY_HOLIDAYS_MAX);
		return;
	}
	b->p->holidays[b->p->n_holidays++] = d;
}

static void hours(struct pb *b)
{
	if (val(b, CP_HOURS_OPEN))
		each_item(b, val(b, CP_HOURS_OPEN), line_of(b, CP_HOURS_OPEN), "open", add_interval, NULL);
	b->p->national_holidays = yes_no(b, CP_HOURS_NATIONAL, "national_holidays", 1);
	if (val(b, CP_HOURS_HOLIDAYS))
		each_item(b, val(b, CP_HOURS_HOLIDAYS), line_of(b, CP_HOURS_HOLIDAYS), "holidays", add_holiday, NULL);
	article(b, CP_HOURS_ARTICLE, b->p->article[POLICY_R_HOURS]);
}

/* ---- [electoral] ---- */

static long date_key(const struct policy_date *d)
{
	return d->year * 10000L + d->month * 100L + d->day;
}

/* "2026-04-24..2026-06-08 amministrative" */
static void add_period(struct pb *b, const char *s, int line, void *arg)
{
	const char *dots = strstr(s, ".."), *end;
	struct policy_period e;

	(void)arg;
	memset(&e, 0, sizeof(e));
	end = dots ? dots + 2 + strcspn(dots + 2, " ") : NULL;
	if (!dots || parse_date(s, (size_t)(dots - s), 0, &e.first) != 0 ||
	    parse_date(dots + 2, (size_t)(end - dots - 2), 0, &e.last) != 0) {
		ERR(b, line, T("periods: '%s' non va bene: scrivere AAAA-MM-GG..AAAA-MM-GG e, se si vuole, un nome "
			       "(2026-04-24..2026-06-08 amministrative)",
			       "periods: '%s' is wrong: write YYYY-MM-DD..YYYY-MM-DD and, optionally, a name "
			       "(2026-04-24..2026-06-08 amministrative)"), s);
		return;
	}
	if (date_key(&e.last) < date_key(&e.first)) {
		ERR(b, line, T("periods: '%s': la fine viene prima dell'inizio", "periods: '%s': the end comes before the start"), s);
		return;
	}
	while (*end == ' ')
		end++;
	snprintf(e.label, sizeof(e.label), "%.*s", POLICY_LABEL_MAX - 1, end);
	if (b->p->n_periods == POLICY_PERIODS_MAX) {
		ERR(b, line, T("periods: al massimo %d periodi", "periods: at most %d periods"), POLICY_PERIODS_MAX);
		return;
	}
	b->p->periods[b->p->n_periods++] = e;
}

static void add_name(struct pb *b, const char *s, int line, void *arg)
{
	struct buf *names = arg;

	if (buf_appends(names, s) || buf_appends(names, "\n"))
		ERR(b, line, T("names: troppi nomi", "names: too many names"));
}

/* ---- lexicons ---- */

/* dir/name into out; a path too long is cut (and then not found, which is reported). */
static void join_path(const char *dir, const char *name, char *out, size_t cap)
{
	size_t n = strlen(dir);
	int w = snprintf(out, cap, "%s%s%s", dir, n && dir[n - 1] != '/' ? "/" : "", name);

	if (w < 0 || (size_t)w >= cap)
		out[cap - 1] = '\0';
}

/* Reads `path` into the lexicon for `kind`; problems at (cfg_line of the main file) or
 * at the lexicon file's own line. */
static void read_lexicon(struct pb *b, enum policy_kind kind, const char *path, int cfg_line)
{
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	int rc, bad = 0;

	rc = config_read_file(path, LEXICON_FILE_MAX, &data, &len, &st);
	if (rc == BANDITORE_ENOMEM) {
		b->rc = rc;
		return;
	}
	if (rc) {
		ERR(b, cfg_line, T("impossibile leggere il lessico %s (%s): %s", "cannot read the lexicon %s (%s): %s"),
		    path, policy_kind_name(kind),
		    rc == BANDITORE_ETOOBIG ? T("file troppo grande (al massimo 4 MiB)", "file too big (at most 4 MiB)")
					    : strerror(errno));
		return;
	}
	rc = policy_lexicon_add(b->p->lexicon, kind, data, len, &bad);
	if (rc == BANDITORE_ENOMEM)
		b->rc = rc;
	else if (rc)
		err_at(b, path, bad, "%s", T("riga non valida nel lessico: testo UTF-8, un termine per riga di al "
					     "massimo 128 byte, con almeno una lettera o cifra",
					     "invalid line in the lexicon: UTF-8 text, one term per line of at most "
					     "128 bytes, with at least one letter or digit"));
	free(data);
}

static void add_extra(struct pb *b, const char *s, int line, void *arg)
{
	const enum policy_kind *kind = arg;
	char path[PATH_MAX];

	if (s[0] == '/')
		snprintf(path, sizeof(path), "%s", s);
	else
		join_path(b->in->dir, s, path, sizeof(path));
	read_lexicon(b, *kind, path, line);
}

static void lexicons(struct pb *b, const char *names)
{
	const char *dir_v = val(b, CP_LEXICON_DIR);
	char dir[PATH_MAX], path[PATH_MAX];
	int line = line_of(b, CP_LEXICON_DIR), use_dir = 1;
	struct stat st;

	b->p->lexicon = policy_lexicon_new();
	if (!b->p->lexicon) {
		b->rc = BANDITORE_ENOMEM;
		return;
	}
	if (dir_v && !*dir_v)
		ERR(b, line, T("lexicon_dir non può essere vuoto", "lexicon_dir must not be empty"));
	if (dir_v && dir_v[0] != '/')
		join_path(b->in->dir, dir_v, dir, sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%s", dir_v ? dir_v : DEFAULT_LEXICON_DIR);
	if (!dir_v && stat(dir, &st) != 0) {
		/* Not installed (a check in the source tree): no lexicon, and say so. */
		*b->in->lexicon_missing = 1;
		use_dir = 0;
	} else if (dir_v && *dir_v) {
		int e = stat(dir, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
		if (e) {
			ERR(b, line, T("lexicon_dir: impossibile leggere la cartella dei lessici %s: %s",
				       "lexicon_dir: cannot read the lexicons' folder %s: %s"), dir, strerror(e));
			use_dir = 0;
		}
	}
	for (int k = 0; use_dir && k < POLICY_K_LEXICON_COUNT; k++) {
		const char *name = policy_kind_name((enum policy_kind)k);
		char file[64];
		if (k == POLICY_K_NAME || !name || b->p->content_level[k] == POLICY_OFF)
			continue;
		snprintf(file, sizeof(file), "%s.txt", name);
		join_path(dir, file, path, sizeof(path));
		read_lexicon(b, (enum policy_kind)k, path, line);
	}
	for (int k = 0; k < POLICY_K_LEXICON_COUNT; k++) {
		enum policy_kind kind = (enum policy_kind)k;
		if (val(b, CP_EXTRA_BASE + k))
			each_item(b, val(b, CP_EXTRA_BASE + k), line_of(b, CP_EXTRA_BASE + k),
				  config_policy_keys[CP_EXTRA_BASE + k].name, add_extra, &kind);
	}
	if (names && *names) {
		int bad = 0, rc = policy_lexicon_add(b->p->lexicon, POLICY_K_NAME, names, strlen(names), &bad);
		if (rc == BANDITORE_ENOMEM)
			b->rc = rc;
		else if (rc)
			ERR(b, line_of(b, CP_EL_NAMES), T("names: il nome numero %d non va bene (al massimo 128 byte, "
							  "almeno una lettera)", "names: name number %d is wrong (at most 128 "
							  "bytes, at least one letter)"), bad);
	}
}

/* ---- content levels, links, the comune's contacts ---- */

static void content(struct pb *b)
{
	for (int k = 0; k < POLICY_K_COUNT; k++) {
		const char *v = val(b, CP_CONTENT_BASE + k), *sp;
		char word[16];
		if (!v)
			continue;
		sp = v + strcspn(v, " \t");
		if (item(v, sp, word, sizeof(word)) != 0)
			word[0] = '\0';
		b->p->content_level[k] = level(b, word, line_of(b, CP_CONTENT_BASE + k),
					       config_policy_keys[CP_CONTENT_BASE + k].name, 0, b->p->content_level[k]);
		while (*sp == ' ' || *sp == '\t')
			sp++;
		if (strlen(sp) >= POLICY_ARTICLE_MAX)
			ERR(b, line_of(b, CP_CONTENT_BASE + k), T("%s: l'articolo ha al massimo %d caratteri",
								 "%s: the article has at most %d characters"),
			    config_policy_keys[CP_CONTENT_BASE + k].name, POLICY_ARTICLE_MAX - 1);
		snprintf(b->p->content_article[k], POLICY_ARTICLE_MAX, "%.*s", POLICY_ARTICLE_MAX - 1, sp);
	}
}

static void add_official_phone(struct pb *b, const char *s, int line, void *arg)
{
	char e164[E164_MAX], with_cc[64];

	(void)arg;
	if (e164_normalize(s, e164) != 0) {
		snprintf(with_cc, sizeof(with_cc), "+39 %s", s);
		if (e164_normalize(with_cc, e164) != 0) {
			if (line > 0)
				ERR(b, line, T("official_phones: '%s' non è un numero di telefono",
					       "official_phones: '%s' is not a telephone number"), s);
			return;
		}
	}
	for (int i = 0; i < b->p->n_official_phones; i++)
		if (!strcmp(b->p->official_phones[i], e164))
			return;
	if (b->p->n_official_phones == POLICY_OFFICIAL_MAX) {
		ERR(b, line, T("al massimo %d numeri del Comune", "at most %d of the comune's numbers"), POLICY_OFFICIAL_MAX);
		return;
	}
	snprintf(b->p->official_phones[b->p->n_official_phones++], POLICY_OFFICIAL_LEN, "%s", e164);
}

static void add_official_email(struct pb *b, const char *s, int line, void *arg)
{
	const char *at = strchr(s, '@');

	(void)arg;
	if (!at || at == s || !at[1] || strchr(s, ' ') || strlen(s) >= POLICY_OFFICIAL_LEN) {
		if (line > 0) /* one of [comune]'s own keys reports itself */
			ERR(b, line, T("official_emails: '%s' non è un indirizzo e-mail", "official_emails: '%s' is not an e-mail address"), s);
		return;
	}
	for (int i = 0; i < b->p->n_official_emails; i++)
		if (!strcasecmp(b->p->official_emails[i], s))
			return;
	if (b->p->n_official_emails == POLICY_OFFICIAL_MAX) {
		ERR(b, line, T("al massimo %d indirizzi del Comune", "at most %d of the comune's addresses"), POLICY_OFFICIAL_MAX);
		return;
	}
	snprintf(b->p->official_emails[b->p->n_official_emails++], POLICY_OFFICIAL_LEN, "%s", s);
}

static void add_domain(struct pb *b, const char *s, int line, void *arg)
{
	char d[POLICY_OFFICIAL_LEN];
	size_t n = strlen(s);

	(void)arg;
	if (n == 0 || n >= sizeof(d) || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n ||
	    !strchr(s, '.') || s[0] == '.' || s[n - 1] == '.') {
		if (line > 0)
			ERR(b, line, T("official_domains: '%s' non è un nome di dominio (comune.esempio.it, senza https://)",
			       "official_domains: '%s' is not a domain name (comune.example.it, without https://)"), s);
		return;
	}
	for (size_t i = 0; i <= n; i++)
		d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	if (!strncmp(d, "www.", 4) && strchr(d + 4, '.'))
		memmove(d, d + 4, strlen(d + 4) + 1); /* www.comune.x.it: the whole comune.x.it */
	for (int i = 0; i < b->p->n_official_domains; i++)
		if (!strcmp(b->p->official_domains[i], d))
			return;
	if (b->p->n_official_domains == POLICY_OFFICIAL_MAX) {
		ERR(b, line, T("official_domains: al massimo %d domini", "official_domains: at most %d domains"), POLICY_OFFICIAL_MAX);
		return;
	}
	snprintf(b->p->official_domains[b->p->n_official_domains++], POLICY_OFFICIAL_LEN, "%s", d);
}

/* The host of a configured URL, as an official domain. */
static void domain_of_url(struct pb *b, const char *url)
{
	const char *h;
	char host[POLICY_OFFICIAL_LEN];
	size_t n;

	if (!url || !*url)
		return;
	h = strstr(url, "://");
	if (!h)
		return;
	h += 3;
	n = strcspn(h, "/:?#");
	if (n == 0 || n >= sizeof(host))
		return;
	memcpy(host, h, n);
	host[n] = '\0';
	add_domain(b, host, 0, NULL);
}

static void contacts_and_links(struct pb *b)
{
	const struct config_policy_input *in = b->in;
	const char *const emails[] = { in->pec, in->helpdesk_email, in->controller_email, in->dpo_email };
	const char *v;

	/* The comune's own numbers and addresses are not personal data. */
	if (in->display_number && *in->display_number)
		add_official_phone(b, in->display_number, 0, NULL);
	if (in->helpdesk_phone && *in->helpdesk_phone)
		add_official_phone(b, in->helpdesk_phone, 0, NULL);
	if ((v = val(b, CP_OFFICIAL_PHONES)))
		each_item(b, v, line_of(b, CP_OFFICIAL_PHONES), "official_phones", add_official_phone, NULL);
	for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++)
		if (emails[i] && *emails[i])
			add_official_email(b, emails[i], 0, NULL);
	if ((v = val(b, CP_OFFICIAL_EMAILS)))
		each_item(b, v, line_of(b, CP_OFFICIAL_EMAILS), "official_emails", add_official_email, NULL);

	domain_of_url(b, in->website);
	if ((v = val(b, CP_LINKS_DOMAINS)))
		each_item(b, v, line_of(b, CP_LINKS_DOMAINS), "official_domains", add_domain, NULL);
	b->p->allow_http = yes_no(b, CP_LINKS_HTTP, "allow_http", 0);
	if ((v = val(b, CP_LINKS_EXTERNAL)))
		b->p->external_links = level(b, v, line_of(b, CP_LINKS_EXTERNAL), "external", 1, POLICY_OFF);
	article(b, CP_LINKS_ARTICLE, b->p->article[POLICY_R_LINKS]);
	/* The insecure-link finding cites the links' article unless [content] says otherwise. */
	if (!val(b, CP_CONTENT_BASE + POLICY_K_INSECURE_LINK))
		snprintf(b->p->content_article[POLICY_K_INSECURE_LINK], POLICY_ARTICLE_MAX, "%s",
			 b->p->article[POLICY_R_LINKS]);
}

static void disclaimer(struct pb *b)
{
	const char *v = val(b, CP_DISC_TEXT), *when = val(b, CP_DISC_WHEN);
	size_t o = 0;

	if (v) {
		if (!*v || strlen(v) >= POLICY_DISCLAIMER_MAX)
			ERR(b, line_of(b, CP_DISC_TEXT), T("text: da 1 a %d byte", "text: 1 to %d bytes"), POLICY_DISCLAIMER_MAX - 1);
		/* "\n" is a new line, as in [texts]. */
		for (const char *s = v; *s && o + 1 < POLICY_DISCLAIMER_MAX; s++) {
			if (s[0] == '\\' && s[1] == 'n') {
				b->p->disclaimer[o++] = '\n';
				s++;
			} else {
				b->p->disclaimer[o++] = *s;
			}
		}
		b->p->disclaimer[o] = '\0';
	}
	if (when && !strcmp(when, "link"))
		b->p->disclaimer_link_only = 1;
	else if (when && strcmp(when, "always"))
		ERR(b, line_of(b, CP_DISC_WHEN), T("when: '%s' non va bene: always o link", "when: '%s' is wrong: always or link"), when);
	if (when && !v)
		ERR(b, line_of(b, CP_DISC_WHEN), "%s", T("when senza text: scrivere anche il testo dell'avvertenza",
							 "when without text: write the notice's text too"));
	article(b, CP_DISC_ARTICLE, b->p->article[POLICY_R_DISCLAIMER]);
}

static void frequency(struct pb *b)
{
	const char *v = val(b, CP_FREQ_LEVEL);

	b->p->per_day = get_count(b, CP_FREQ_DAY, 1000, 0);
	b->p->per_week = get_count(b, CP_FREQ_WEEK, 10000, 0);
	if (v)
		b->p->frequency_level = level(b, v, line_of(b, CP_FREQ_LEVEL), "level", 0, POLICY_BLOCK);
	if (b->p->frequency_level == POLICY_OFF)
		b->p->per_day = b->p->per_week = 0;
	article(b, CP_FREQ_ARTICLE, b->p->article[POLICY_R_FREQUENCY]);
}

static void add_type(struct pb *b, const char *s, int line, void *arg)
{
	const char *slash = strchr(s, '/');

	(void)arg;
	if (!slash || slash == s || !slash[1] || strchr(s, ' ') || strlen(s) >= POLICY_ID_MAX) {
		ERR(b, line, T("types: '%s' non è un tipo MIME (image/jpeg, image/*, application/pdf)",
			       "types: '%s' is not a MIME type (image/jpeg, image/*, application/pdf)"), s);
		return;
	}
	if (b->p->n_attachment_types == POLICY_TYPES_MAX) {
		ERR(b, line, T("types: al massimo %d tipi", "types: at most %d types"), POLICY_TYPES_MAX);
		return;
	}
	snprintf(b->p->attachment_types[b->p->n_attachment_types++], POLICY_ID_MAX, "%s", s);
}

static void attachments(struct pb *b)
{
	const char *v = val(b, CP_ATT_MAX);

	if (v) {
		char *end;
		long long n;
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!(*v >= '0' && *v <= '9') || *end || errno || n < 0 || n > 100LL * 1024 * 1024)
			ERR(b, line_of(b, CP_ATT_MAX), T("max_bytes: '%s' non va bene: da 0 a 104857600 (100 MiB, il limite di WhatsApp)",
							 "max_bytes: '%s' is wrong: 0 to 104857600 (100 MiB, WhatsApp's limit)"), v);
		else
			b->p->attachment_max = n;
	}
	if ((v = val(b, CP_ATT_TYPES)))
		each_item(b, v, line_of(b, CP_ATT_TYPES), "types", add_type, NULL);
	if ((v = val(b, CP_ATT_GPS)))
		b->p->attachment_gps = level(b, v, line_of(b, CP_ATT_GPS), "gps", 0, POLICY_WARN);
	b->p->attachment_strip_gps = yes_no(b, CP_ATT_STRIP_GPS, "strip_gps", 0);
	article(b, CP_ATT_ARTICLE, b->p->article[POLICY_R_ATTACHMENT]);
}

int config_policy_build(const struct config_policy_input *in, struct policy **out)
{
	struct pb b;
	struct buf names;
	const char *v;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.in = in;
	b.p = malloc(sizeof(*b.p));
	if (!b.p)
		return BANDITORE_ENOMEM;
	policy_init(b.p);
	buf_init(&names, 64 * 1024);

	short_name(&b);
	categories(&b);
	hours(&b);
	if ((v = val(&b, CP_EL_PERIODS)))
		each_item(&b, v, line_of(&b, CP_EL_PERIODS), "periods", add_period, NULL);
	if ((v = val(&b, CP_EL_NAMES)))
		each_item(&b, v, line_of(&b, CP_EL_NAMES), "names", add_name, &names);
	if ((v = val(&b, CP_EL_NAMES_LEVEL)))
		b.p->electoral_names = level(&b, v, line_of(&b, CP_EL_NAMES_LEVEL), "names_level", 0, POLICY_BLOCK);
	if ((v = val(&b, CP_EL_POLITICAL_LEVEL)))
		b.p->electoral_political = level(&b, v, line_of(&b, CP_EL_POLITICAL_LEVEL), "political_level", 0, POLICY_BLOCK);
	article(&b, CP_EL_ARTICLE, b.p->article[POLICY_R_ELECTORAL]);
	content(&b);
	contacts_and_links(&b);
	disclaimer(&b);
	frequency(&b);
	attachments(&b);
	if (b.p->n_categories) {
		int electoral = 0;
		for (int i = 0; i < b.p->n_categories; i++)
			electoral |= b.p->categories[i].electoral;
		if (b.p->n_periods && !electoral)
			ERR(&b, line_of(&b, CP_EL_PERIODS), "%s",
			    T("periods: nessuna categoria ha electoral = yes: nei periodi elettorali non partirebbe nulla, "
			      "nemmeno le emergenze", "periods: no category has electoral = yes: nothing would go out in "
			      "electoral periods, not even emergencies"));
	}
	lexicons(&b, buf_cstr(&names));
	buf_free(&names);
	if (b.rc) {
		policy_clear(b.p);
		free(b.p);
		return b.rc;
	}
	*out = b.p;
	return 0;
}
