/*
 * content.c - one scan of a message's text by every detector: links first (so that the
 * words and digits of a URL are not read as prose or as a phone number), then the
 * lexicons word by word, then personal data. Findings arrive from each detector in text
 * order and are merged into the caller's array, which keeps the first `cap` of them.
 * Nothing is allocated: the scan's state lives on the stack, bounded.
 */
#include "policy/content.h"
#include "policy/content_internal.h"

#include "common/err.h"

#include <limits.h>
#include <string.h>

static const char *const kind_names[POLICY_K_COUNT] = {
	"propaganda", "political", "advertising", "obscene", "blasphemy", "defamatory",
	"discriminatory", "health", "judicial", "shortener", "name",
	"codice_fiscale", "iban", "phone", "email", "insecure_link", "link_mismatch",
};

const char *policy_kind_name(enum policy_kind kind)
{
	if ((int)kind < 0 || kind >= POLICY_K_COUNT)
		return NULL;
	return kind_names[kind];
}

int policy_kind_from_name(const char *name)
{
	if (!name)
		return -1;
	for (int k = 0; k < POLICY_K_COUNT; k++)
		if (strcmp(kind_names[k], name) == 0)
			return k;
	return -1;
}

static int before(const struct policy_finding *f, enum policy_kind kind, size_t start)
{
	return f->start < start || (f->start == start && f->kind <= kind);
}

void content_emit(struct content_out *o, enum policy_kind kind, size_t start, size_t len,
		  const char *detail, size_t detail_len)
{
	struct policy_finding *f;
	int at;

	if (o->count < INT_MAX)
		o->count++;
	/* Insertion keeps out[] sorted; a finding after a full array's last is only counted. */
	at = o->n;
	while (at > 0 && !before(&o->out[at - 1], kind, start))
		at--;
	if (at >= o->cap)
		return;
	if (o->n == o->cap)
		o->n--; /* the last one falls off */
	memmove(&o->out[at + 1], &o->out[at], (size_t)(o->n - at) * sizeof(o->out[0]));
	o->n++;
	f = &o->out[at];
	f->kind = kind;
	f->start = start;
	f->len = len;
	if (!detail)
		detail_len = 0;
	if (detail_len > POLICY_DETAIL_MAX - 1)
		detail_len = POLICY_DETAIL_MAX - 1;
	if (detail_len)
		memcpy(f->detail, detail, detail_len);
	f->detail[detail_len] = '\0';
}

int content_spans_cover(const struct content_spans *s, int *cursor, size_t pos)
{
	while (*cursor < s->n && s->end[*cursor] <= pos)
		(*cursor)++;
	return *cursor < s->n && s->start[*cursor] <= pos;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int same_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int content_host_is_official(const struct policy_content_rules *rules, const char *host,
			     size_t len)
{
	while (len > 0 && host[len - 1] == '.')
		len--;
	for (int i = 0; i < rules->n_official_domains; i++) {
		const char *d = rules->official_domains ? rules->official_domains[i] : NULL;
		size_t dl;
		if (!d)
			continue;
		dl = strlen(d);
		while (dl > 0 && d[dl - 1] == '.')
			dl--;
		if (dl == 0 || dl > len)
			continue;
		/* The domain itself, or a name under it ("www." + domain), never a look-alike
		 * that merely ends the same ("evilcomune.leini.to.it"). */
		if (same_ci(host + len - dl, d, dl) && (dl == len || host[len - dl - 1] == '.'))
			return 1;
	}
	return 0;
}

int policy_content_scan(const struct policy_content_rules *rules, const char *text,
			size_t len, struct policy_finding *out, int cap, int *count)
{
	struct content_out o = { out, cap, 0, 0 };
	struct content_spans spans;

	if (count)
		*count = 0;
	if (!rules || (!text && len > 0) || !count || cap < 0 || (!out && cap > 0))
		return BANDITORE_EINVAL;
	if (!text)
		text = "";
	spans.n = 0;
	content_scan_links(rules, text, len, &spans, &o);
	content_scan_words(rules->lexicon, text, len, &spans, &o);
	content_scan_personal(rules, text, len, &spans, &o);
	*count = o.count;
	return 0;
}
