/*
 * import.c - the CSV of an existing broadcast list: read every line, report every
 * problem with its line, and turn valid rows into consent receipts.
 */
#include "subscribers/import.h"

#include "common/err.h"
#include "common/i18n.h"
#include "common/platform.h"
#include "subscribers/subscribers.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FIELDS 4
#define FIELD_MAX 512

enum { COL_NUMBER, COL_DATE, COL_METHOD, COL_POLICY };
static const char *const col_names[FIELDS] = { "number", "consent_date", "consent_method",
					       "policy_version" };

struct parser {
	struct import_result *r;
	int cap_rows, cap_errors;
	int seq; /* insertion order of errors, for a stable sort */
	int *error_seq;
	int rc;
};

static void add_error(struct parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_error(struct parser *p, int line, const char *fmt, ...)
{
	struct import_result *r = p->r;
	va_list ap;

	if (r->n_errors >= IMPORT_ERRORS_MAX) {
		r->more_errors++;
		return;
	}
	if (r->n_errors == p->cap_errors) {
		int cap = p->cap_errors ? p->cap_errors * 2 : 64;
		struct import_error *e = realloc(r->errors, (size_t)cap * sizeof(*e));
		int *s = realloc(p->error_seq, (size_t)cap * sizeof(*s));
		if (e)
			r->errors = e;
		if (s)
			p->error_seq = s;
		if (!e || !s) {
			p->rc = BANDITORE_ENOMEM;
			return;
		}
		p->cap_errors = cap;
	}
	r->errors[r->n_errors].line = line;
	va_start(ap, fmt);
	vsnprintf(r->errors[r->n_errors].message, IMPORT_MESSAGE_MAX, fmt, ap);
	va_end(ap);
	p->error_seq[r->n_errors] = p->seq++;
	r->n_errors++;
}

/* Splits one line into fields (RFC 4180 quotes). Returns the field count, or -1 for an
 * unclosed quote or a field over FIELD_MAX bytes. At most FIELDS + 1 are kept. */
static int split(const char *s, size_t len, char sep, char out[FIELDS + 1][FIELD_MAX])
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		size_t o = 0;
		char *dst = n <= FIELDS ? out[n] : NULL;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < len && s[i] == '"') {
			i++;
			for (;;) {
				if (i >= len)
					return -1;
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						i++;
					} else {
						i++;
						break;
					}
				}
				if (dst && o + 1 >= FIELD_MAX)
					return -1;
				if (dst)
					dst[o++] = s[i];
				i++;
			}
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i < len && s[i] != sep)
				return -1;
		} else {
			while (i < len && s[i] != sep) {
				if (dst && o + 1 >= FIELD_MAX)
					return -1;
				if (dst)
					dst[o++] = s[i];
				i++;
			}
			while (dst && o > 0 && (dst[o - 1] == ' ' || dst[o - 1] == '\t'))
				o--;
		}
		if (dst)
			dst[o] = '\0';
		n++;
		if (i >= len)
			return n;
		i++; /* the separator */
	}
}

/* Noon UTC of a real day "YYYY-MM-DD"; -1 when it is not one. */
static int64_t parse_date(const char *s)
{
	struct tm tm, back;
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789") != 4 ||
	    strspn(s + 5, "0123456789") != 2 || strspn(s + 8, "0123456789") != 2)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)strtol(s, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(s + 5, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(s + 8, NULL, 10);
	tm.tm_hour = 12;
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1)
		return -1;
	{
		int mday = tm.tm_mday, mon = tm.tm_mon; /* timegm normalises tm in place */
		t = timegm(&tm);
		if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != mday ||
		    back.tm_mon != mon)
			return -1; /* 2023-02-30 and the like */
	}
	return (int64_t)t;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 1;
	return 0;
}

static int add_row(struct parser *p, const struct import_row *row)
{
	struct import_result *r = p->r;

	if (r->n_rows == p->cap_rows) {
		int cap = p->cap_rows ? p->cap_rows * 2 : 256;
		struct import_row *n = realloc(r->rows, (size_t)cap * sizeof(*n));
		if (!n)
			return BANDITORE_ENOMEM;
		r->rows = n;
		p->cap_rows = cap;
	}
	r->rows[r->n_rows++] = *row;
	return 0;
}

static int header(struct parser *p, char f[FIELDS + 1][FIELD_MAX], int n, int line, int order[FIELDS])
{
	int seen[FIELDS] = { 0 }, ok = n == FIELDS;

	for (int i = 0; ok && i < FIELDS; i++) {
		int k = -1;
		for (int c = 0; c < FIELDS; c++)
			if (!strcasecmp(f[i], col_names[c]))
				k = c;
		if (k < 0 || seen[k])
			ok = 0;
		else {
			seen[k] = 1;
			order[i] = k;
		}
	}
	if (!ok)
		add_error(p, line,
			  T("intestazione non valida: servono le colonne number, consent_date, consent_method, policy_version",
			    "invalid header: the columns must be number, consent_date, consent_method, policy_version"));
	return ok;
}

static void data_line(struct parser *p, char f[FIELDS + 1][FIELD_MAX], int line, const int order[FIELDS],
		      int64_t today_end)
{
	struct import_row row;
	const char *v[FIELDS];
	int bad = 0;

	for (int i = 0; i < FIELDS; i++)
		v[order[i]] = f[i];
	memset(&row, 0, sizeof(row));
	row.line = line;
	/* Lists exported from phones often drop the prefix: "333 000 0001" would read as a
	 * French number (+33...). The import wants the country said, "+" or "00". */
	if (v[COL_NUMBER][0] != '+' && strncmp(v[COL_NUMBER], "00", 2) != 0) {
		add_error(p, line, T("numero senza prefisso internazionale: scrivere +39 e il numero, per esempio +39 333 000 0001",
				     "number without its international prefix: write +39 and the number, for example +39 333 000 0001"));
		bad = 1;
	} else if (e164_normalize(v[COL_NUMBER], row.number) != 0) {
		add_error(p, line, T("numero non valido: serve il formato internazionale, per esempio +39 333 000 0001",
				     "invalid number: use the international form, for example +39 333 000 0001"));
		bad = 1;
	}
	row.consented_at = parse_date(v[COL_DATE]);
	if (!*v[COL_DATE]) {
		add_error(p, line, T("manca la data del consenso (consent_date, AAAA-MM-GG)",
				     "consent_date is missing (YYYY-MM-DD)"));
		bad = 1;
	} else if (row.consented_at < 0) {
		add_error(p, line, T("data del consenso non valida: '%.20s' (serve AAAA-MM-GG)",
				     "invalid consent_date: '%.20s' (YYYY-MM-DD)"), v[COL_DATE]);
		bad = 1;
	} else if (row.consented_at > today_end) {
		add_error(p, line, T("data del consenso nel futuro: %s", "consent_date in the future: %s"),
			  v[COL_DATE]);
		bad = 1;
	}
	if (!*v[COL_METHOD]) {
		add_error(p, line, T("manca il modo del consenso (consent_method)", "consent_method is missing"));
		bad = 1;
	} else if (strlen(v[COL_METHOD]) > IMPORT_METHOD_MAX || has_control(v[COL_METHOD])) {
		add_error(p, line, T("consent_method troppo lungo o con caratteri di controllo (al massimo %d byte)",
				     "consent_method too long or with control characters (at most %d bytes)"),
			  IMPORT_METHOD_MAX);
		bad = 1;
	}
	if (!*v[COL_POLICY]) {
		add_error(p, line, T("manca la versione dell'informativa accettata (policy_version)",
				     "policy_version is missing"));
		bad = 1;
	} else if (strlen(v[COL_POLICY]) > IMPORT_POLICY_MAX || has_control(v[COL_POLICY])) {
		add_error(p, line, T("policy_version troppo lunga o con caratteri di controllo (al massimo %d byte)",
				     "policy_version too long or with control characters (at most %d bytes)"),
			  IMPORT_POLICY_MAX);
		bad = 1;
	}
	if (bad)
		return;
	snprintf(row.method, sizeof(row.method), "%s", v[COL_METHOD]);
	snprintf(row.policy_version, sizeof(row.policy_version), "%s", v[COL_POLICY]);
	if (add_row(p, &row))
		p->rc = BANDITORE_ENOMEM;
}

static const struct import_row *sort_rows;

static int by_number(const void *a, const void *b)
{
	const struct import_row *x = &sort_rows[*(const int *)a], *y = &sort_rows[*(const int *)b];
	int c = strcmp(x->number, y->number);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static struct parser *sort_parser;

static int by_line(const void *a, const void *b)
{
	const struct import_error *x = a, *y = b;
	int sx = sort_parser->error_seq[x - sort_parser->r->errors];
	int sy = sort_parser->error_seq[y - sort_parser->r->errors];

	if (x->line != y->line)
		return (x->line > y->line) - (x->line < y->line);
	return (sx > sy) - (sx < sy);
}

static void duplicates(struct parser *p)
{
	struct import_result *r = p->r;
	int *idx;

	if (r->n_rows < 2)
		return;
	idx = malloc((size_t)r->n_rows * sizeof(*idx));
	if (!idx) {
		p->rc = BANDITORE_ENOMEM;
		return;
	}
	for (int i = 0; i < r->n_rows; i++)
		idx[i] = i;
	sort_rows = r->rows; /* qsort has no context argument; the CLI is single-threaded */
	qsort(idx, (size_t)r->n_rows, sizeof(*idx), by_number);
	for (int i = 1; i < r->n_rows; i++) {
		const struct import_row *prev = &r->rows[idx[i - 1]], *cur = &r->rows[idx[i]];
		int first = i;
		if (strcmp(prev->number, cur->number))
			continue;
		while (first > 0 && !strcmp(r->rows[idx[first - 1]].number, cur->number))
			first--;
		add_error(p, cur->line, T("numero ripetuto: è già alla riga %d", "duplicate number: already on line %d"),
			  r->rows[idx[first]].line);
	}
	free(idx);
}

int import_csv_parse(const char *data, size_t len, int64_t now, struct import_result *out)
{
	struct parser p;
	char (*f)[FIELD_MAX];
	int order[FIELDS] = { 0, 1, 2, 3 };
	int line = 0, have_header = 0;
	size_t pos = 0;
	char sep = ',';
	int64_t today_end;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.r = out;
	f = calloc(FIELDS + 1, FIELD_MAX);
	if (!f)
		return BANDITORE_ENOMEM;
	{
		time_t t = (time_t)now;
		struct tm tm;
		gmtime_r(&t, &tm);
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
		today_end = (int64_t)timegm(&tm) + 14 * 3600; /* a day already begun east of UTC */
	}
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		pos = 3;
	while (pos < len && !p.rc) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len, l = end - pos;
		const char *s = data + pos;
		int n;
		line++;
		pos = end + 1;
		if (l > 0 && s[l - 1] == '\r')
			l--;
		{
			size_t b = 0;
			while (b < l && (s[b] == ' ' || s[b] == '\t'))
				b++;
			if (b == l)
				continue; /* blank */
		}
		if (memchr(s, '\0', l)) {
			add_error(&p, line, T("la riga contiene un byte nullo", "the line contains a NUL byte"));
			continue;
		}
		if (!have_header) {
			if (memchr(s, ';', l) && !memchr(s, ',', l))
				sep = ';';
		}
		n = split(s, l, sep, f);
		if (n < 0) {
			add_error(&p, line, T("virgolette non chiuse o valore troppo lungo", "unclosed quote or value too long"));
			continue;
		}
		if (!have_header) {
			have_header = 1;
			if (!header(&p, f, n, line, order))
				break; /* nothing else can be read without the columns */
			continue;
		}
		if (n != FIELDS) {
			add_error(&p, line, T("%d colonne invece di 4", "%d columns instead of 4"), n);
			continue;
		}
		data_line(&p, f, line, order, today_end);
	}
	free(f);
	if (!p.rc && !have_header)
		add_error(&p, 0, T("il file è vuoto", "the file is empty"));
	if (!p.rc)
		duplicates(&p);
	if (!p.rc && out->n_errors > 1) {
		sort_parser = &p;
		qsort(out->errors, (size_t)out->n_errors, sizeof(*out->errors), by_line);
	}
	free(p.error_seq);
	if (p.rc) {
		import_result_clear(out);
		return p.rc;
	}
	return 0;
}

void import_result_clear(struct import_result *r)
{
	if (!r)
		return;
	if (r->rows)
		memset(r->rows, 0, (size_t)r->n_rows * sizeof(*r->rows)); /* numbers */
	free(r->rows);
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

int import_join(struct store *st, const struct keyfile_keys *keys, int platform,
		const struct import_row *row, int64_t now, int *joined,
		uint8_t hash[CRYPTO_HASH_LEN], uint8_t *sealed, size_t *sealed_len)
{
	struct store_subscriber sub;
	char day[11];
	int rc;

	*joined = 0;
	rc = subscribers_hash(keys, platform, row->number, hash);
	if (!rc)
		rc = subscribers_seal(keys, platform, row->number, sealed, sealed_len);
	if (rc)
		return rc;
	rc = store_subscriber_get(st, platform, hash, &sub);
	if (rc == 0)
		return 0; /* already a subscriber: its own receipt stands */
	if (rc != BANDITORE_ENOTFOUND)
		return rc;
	memset(&sub, 0, sizeof(sub));
	sub.platform = platform;
	memcpy(sub.addr_hash, hash, CRYPTO_HASH_LEN);
	memcpy(sub.sealed, sealed, *sealed_len);
	sub.sealed_len = *sealed_len;
	sub.joined_at = row->consented_at;
	sub.last_inbound_at = 0; /* never wrote to this number: no 24-hour window */
	snprintf(sub.method, sizeof(sub.method), "import");
	snprintf(sub.consent_detail, sizeof(sub.consent_detail), "%s", row->method);
	snprintf(sub.policy_version, sizeof(sub.policy_version), "%s", row->policy_version);
	rc = store_subscriber_add(st, &sub, NULL);
	crypto_wipe(&sub, sizeof(sub));
	if (rc)
		return rc;
	subscribers_day(now, day);
	rc = store_counter_add(st, day, platform, "join", 1);
	if (!rc)
		*joined = 1;
	return rc;
}

char *import_template_body(const char *name, const char *language, const char *const *params,
			   int n_params)
{
	json_t *o = json_object(), *a = json_array();
	char *s = NULL;

	if (!o || !a)
		goto out;
	for (int i = 0; i < n_params; i++)
		if (json_array_append_new(a, json_string(params[i] ? params[i] : "")))
			goto out;
	if (json_object_set_new(o, "template", json_string(name)) ||
	    json_object_set_new(o, "language", json_string(language)) ||
	    json_object_set(o, "params", a))
		goto out;
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(a);
	json_decref(o);
	return s;
}
