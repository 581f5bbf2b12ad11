/*
 * audit_export.c - a period of the audit log as JSON or CSV, for the comune's records
 * or a request from the authorities. The export carries each entry's hashes so that a
 * reader can match it against `banditore audit verify`.
 */
#include "audit/audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"

#define PAGE 64

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

static int write_json(FILE *out, const struct store_audit_entry *e, int first)
{
	char prev[2 * CRYPTO_HASH_LEN + 1], hash[2 * CRYPTO_HASH_LEN + 1], when[32];
	json_t *details, *obj;
	int rc;

	crypto_hex(e->prev_hash, CRYPTO_HASH_LEN, prev);
	crypto_hex(e->hash, CRYPTO_HASH_LEN, hash);
	iso_time(e->at, when);
	details = json_loads(e->details, 0, NULL);
	if (!details) /* not JSON (the row was tampered with): keep it as text */
		details = json_string(e->details);
	obj = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "seq", (json_int_t)e->seq,
			"at", (json_int_t)e->at, "time", when, "actor", e->actor, "action",
			e->action, "object", e->object, "details", details, "prev_hash", prev,
			"hash", hash);
	if (!obj)
		return BANDITORE_ENOMEM;
	if (fputs(first ? "\n  " : ",\n  ", out) < 0) {
		json_decref(obj);
		return BANDITORE_EIO;
	}
	rc = json_dumpf(obj, out, JSON_COMPACT | JSON_PRESERVE_ORDER) ? BANDITORE_EIO : 0;
	json_decref(obj);
	return rc;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text
 * that a spreadsheet would run as a formula (= + - @ at the start) gets a ' in front. */
static int csv_field(FILE *out, const char *s, int text, int last)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote && fputc('"', out) == EOF)
		return BANDITORE_EIO;
	if (text && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') &&
	    fputc('\'', out) == EOF)
		return BANDITORE_EIO;
	for (const char *p = s; *p; p++) {
		if (*p == '"' && fputc('"', out) == EOF)
			return BANDITORE_EIO;
		if (fputc(*p, out) == EOF)
			return BANDITORE_EIO;
	}
	if (quote && fputc('"', out) == EOF)
		return BANDITORE_EIO;
	if (fputs(last ? "\r\n" : ",", out) < 0)
		return BANDITORE_EIO;
	return 0;
}

static int write_csv(FILE *out, const struct store_audit_entry *e)
{
	char prev[2 * CRYPTO_HASH_LEN + 1], hash[2 * CRYPTO_HASH_LEN + 1], when[32];
	char seq[24], at[24];
	int rc;

	crypto_hex(e->prev_hash, CRYPTO_HASH_LEN, prev);
	crypto_hex(e->hash, CRYPTO_HASH_LEN, hash);
	iso_time(e->at, when);
	snprintf(seq, sizeof(seq), "%lld", (long long)e->seq);
	snprintf(at, sizeof(at), "%lld", (long long)e->at);
	if ((rc = csv_field(out, seq, 0, 0)) || (rc = csv_field(out, at, 0, 0)) ||
	    (rc = csv_field(out, when, 0, 0)) || (rc = csv_field(out, e->actor, 1, 0)) ||
	    (rc = csv_field(out, e->action, 1, 0)) || (rc = csv_field(out, e->object, 1, 0)) ||
	    (rc = csv_field(out, e->details, 0, 0)) || (rc = csv_field(out, prev, 0, 0)) ||
	    (rc = csv_field(out, hash, 0, 1)))
		return rc;
	return 0;
}

int audit_export(struct store *st, int64_t since, int64_t until, enum audit_format format,
		 FILE *out, int64_t *count)
{
	struct store_audit_entry *page;
	int64_t after = 0, total = 0;
	int n = 0, rc = 0;

	if (count)
		*count = 0;
	if (!st || !out || (format != AUDIT_FORMAT_JSON && format != AUDIT_FORMAT_CSV))
		return BANDITORE_EINVAL;
	page = calloc(PAGE, sizeof(*page));
	if (!page)
		return BANDITORE_ENOMEM;
	if (format == AUDIT_FORMAT_JSON)
		rc = fputs("[", out) < 0 ? BANDITORE_EIO : 0;
	else
		rc = fputs("seq,at,time,actor,action,object,details,prev_hash,hash\r\n", out) < 0
			     ? BANDITORE_EIO
			     : 0;
	while (!rc) {
		rc = store_audit_list(st, after, since, until, page, PAGE, &n);
		if (rc || n == 0)
			break;
		for (int i = 0; i < n && !rc; i++) {
			rc = format == AUDIT_FORMAT_JSON ? write_json(out, &page[i], total == 0)
							 : write_csv(out, &page[i]);
			total++;
		}
		after = page[n - 1].seq;
		if (n < PAGE)
			break;
	}
	if (!rc && format == AUDIT_FORMAT_JSON)
		rc = fputs(total ? "\n]\n" : "]\n", out) < 0 ? BANDITORE_EIO : 0;
	if (!rc && fflush(out) != 0)
		rc = BANDITORE_EIO;
	free(page);
	if (!rc && count)
		*count = total;
	return rc;
}
