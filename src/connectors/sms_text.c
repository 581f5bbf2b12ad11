/*
 * sms_text.c - what fits in an SMS: GSM-7 or UCS-2, how many parts, cutting a long text
 * to its budget with a link to the archive, and escaping values into the gateway's body.
 *
 * Pure functions, no I/O: the broadcast engine calls them per message, the cost estimate
 * per text, and the unit tests check them against hand-counted examples.
 */
#include "connectors/sms.h"

#include "common/buf.h"
#include "common/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GSM7_SINGLE 160
#define GSM7_PART 153
#define UCS2_SINGLE 70
#define UCS2_PART 67

/* The GSM 03.38 basic set beyond printable ASCII, as Unicode code points. */
static const unsigned int gsm7_basic_extra[] = {
	0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
	0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
	0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
	0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

int sms_gsm7_units(unsigned int cp)
{
	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == 0x0C || cp == '^' || cp == '{' || cp == '}' || cp == '\\' || cp == '[' ||
	    cp == '~' || cp == ']' || cp == '|' || cp == 0x20AC)
		return 2; /* the extension table: escape + character */
	if (cp >= 0x20 && cp < 0x7F)
		return cp == '`' ? 0 : 1; /* '`' is the only printable ASCII GSM-7 lacks */
	for (size_t i = 0; i < sizeof(gsm7_basic_extra) / sizeof(gsm7_basic_extra[0]); i++)
		if (gsm7_basic_extra[i] == cp)
			return 1;
	return 0;
}

/* Decodes one code point at s[0..len): its byte length (0 when invalid). */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned int *cp)
{
	unsigned int c = s[0], v;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return 0;
	*cp = v;
	return n;
}

/* Parts needed for units of sizes given by `sizes` (1 or 2 each), `n` of them, when a
 * part holds `part` units and no character straddles two parts. */
static int pack_parts(const uint8_t *sizes, size_t n, size_t part)
{
	size_t used = 0;
	int parts = 1;

	for (size_t i = 0; i < n; i++) {
		if (used + sizes[i] > part) {
			parts++;
			used = 0;
		}
		used += sizes[i];
	}
	return parts;
}

int sms_text_count(const char *text, size_t len, struct sms_count *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, gsm_units = 0, ucs_units = 0, chars = 0;
	uint8_t *gsm_sizes = NULL, *ucs_sizes = NULL;
	int gsm = 1, rc = 0;

	memset(out, 0, sizeof(*out));
	if (!text && len)
		return BANDITORE_EINVAL;
	if (len == 0)
		return 0;
	gsm_sizes = malloc(len);
	ucs_sizes = malloc(len);
	if (!gsm_sizes || !ucs_sizes) {
		rc = BANDITORE_ENOMEM;
		goto out;
	}
	while (i < len) {
		unsigned int cp;
		size_t n = utf8_next(p + i, len - i, &cp);
		int g;
		if (n == 0) {
			rc = BANDITORE_EINVAL;
			goto out;
		}
		g = sms_gsm7_units(cp);
		if (!g)
			gsm = 0;
		gsm_sizes[chars] = (uint8_t)g;
		ucs_sizes[chars] = cp >= 0x10000 ? 2 : 1;
		gsm_units += (size_t)g;
		ucs_units += ucs_sizes[chars];
		chars++;
		i += n;
	}
	out->chars = chars;
	if (gsm) {
		out->encoding = SMS_GSM7;
		out->units = gsm_units;
		out->segments = gsm_units <= GSM7_SINGLE ? 1 : pack_parts(gsm_sizes, chars, GSM7_PART);
	} else {
		out->encoding = SMS_UCS2;
		out->units = ucs_units;
		out->segments = ucs_units <= UCS2_SINGLE ? 1 : pack_parts(ucs_sizes, chars, UCS2_PART);
	}
out:
	free(gsm_sizes);
	free(ucs_sizes);
	return rc;
}

/* Builds prefix[0..cut) without trailing blanks + marker + link into b. */
static int candidate(struct buf *b, const char *text, size_t cut, const char *marker,
		     const char *link)
{
	while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == '\n' || text[cut - 1] == '\t' ||
			   text[cut - 1] == '\r'))
		cut--;
	buf_reset(b);
	if (buf_append(b, text, cut) || buf_appends(b, marker) || (link && buf_appends(b, link)))
		return BANDITORE_ENOMEM;
	if (!b->data)
		return buf_append(b, "", 0);
	return 0;
}

static int fits(struct buf *b, int budget, int *ok)
{
	struct sms_count c;
	int rc = sms_text_count(b->data, b->len, &c);

	*ok = !rc && c.segments <= budget;
	return rc;
}

int sms_text_fit(const char *text, int mode, int max_segments, const char *link, char **out,
		 struct sms_count *count, int *cut_out)
{
	struct sms_count c;
	struct buf b;
	size_t len, *bounds = NULL, nb = 0, lo, hi, best;
	int budget, rc, ok = 0, gsm;
	const char *marker, *lnk = link && *link ? link : NULL;
	char marker_buf[8];

	*out = NULL;
	if (cut_out)
		*cut_out = 0;
	if (!text || (mode != SMS_LONG_SPLIT && mode != SMS_LONG_SHORTEN) || max_segments < 1 ||
	    max_segments > SMS_SEGMENTS_MAX)
		return BANDITORE_EINVAL;
	len = strlen(text);
	rc = sms_text_count(text, len, &c);
	if (rc)
		return rc;
	budget = mode == SMS_LONG_SPLIT ? max_segments : 1;
	if (c.segments <= budget) {
		*out = strdup(text);
		if (!*out)
			return BANDITORE_ENOMEM;
		if (count)
			*count = c;
		return 0;
	}
	gsm = c.encoding == SMS_GSM7;
	buf_init(&b, len + (lnk ? strlen(lnk) : 0) + 16);
	/* Code point boundaries, so that a cut never splits a character. */
	bounds = malloc((len + 1) * sizeof(*bounds));
	if (!bounds) {
		rc = BANDITORE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i <= len; i++)
		if (i == len || ((unsigned char)text[i] & 0xC0) != 0x80)
			bounds[nb++] = i;
	/* With the link if even an empty prefix leaves room for it, else without. */
	for (int with_link = lnk ? 1 : 0; with_link >= 0; with_link--) {
		snprintf(marker_buf, sizeof(marker_buf), "%s%s", gsm ? "..." : "\xE2\x80\xA6",
			 with_link ? " " : "");
		marker = marker_buf;
		rc = candidate(&b, text, 0, marker, with_link ? lnk : NULL);
		if (!rc)
			rc = fits(&b, budget, &ok);
		if (rc)
			goto out;
		if (!ok)
			continue;
		/* The longest prefix that fits (more text never needs fewer parts). */
		lo = 0;
		hi = nb - 1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			rc = candidate(&b, text, bounds[mid], marker, with_link ? lnk : NULL);
			if (!rc)
				rc = fits(&b, budget, &ok);
			if (rc)
				goto out;
			if (ok)
				lo = mid;
			else
				hi = mid - 1;
		}
		best = bounds[lo];
		/* Cut at the last blank, unless that throws away more than half the text kept. */
		if (best < len && text[best] != ' ' && text[best] != '\n') {
			size_t sp = best;
			while (sp > 0 && text[sp - 1] != ' ' && text[sp - 1] != '\n')
				sp--;
			if (sp > best / 2)
				best = sp;
		}
		rc = candidate(&b, text, best, marker, with_link ? lnk : NULL);
		if (rc)
			goto out;
		rc = sms_text_count(b.data, b.len, &c);
		if (rc)
			goto out;
		*out = buf_steal(&b);
		if (!*out) {
			rc = BANDITORE_ENOMEM;
			goto out;
		}
		if (count)
			*count = c;
		if (cut_out)
			*cut_out = 1;
		goto out;
	}
	rc = BANDITORE_EINVAL; /* not even the ellipsis fits: cannot happen with budget >= 1 */
out:
	free(bounds);
	buf_free(&b);
	return rc;
}

/* ---- escaping into the gateway's body ---- */

int sms_escape_form(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '*' || c == '-' || c == '.' || c == '_') {
			rc = buf_append(out, s, 1);
		} else if (c == ' ') {
			rc = buf_append(out, "+", 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = buf_append(out, e, 3);
		}
	}
	return rc;
}

int sms_escape_json(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '"': rc = buf_appends(out, "\\\""); break;
		case '\\': rc = buf_appends(out, "\\\\"); break;
		case '\n': rc = buf_appends(out, "\\n"); break;
		case '\r': rc = buf_appends(out, "\\r"); break;
		case '\t': rc = buf_appends(out, "\\t"); break;
		case '\b': rc = buf_appends(out, "\\b"); break;
		case '\f': rc = buf_appends(out, "\\f"); break;
		default:
			if (c < 0x20 || c == 0x7F) {
				char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				rc = buf_append(out, e, 6);
			} else {
				rc = buf_append(out, s, 1);
			}
		}
	}
	return rc;
}

int sms_render_template(const char *tmpl, int type, const char *to, const char *from,
			const char *text, struct buf *out)
{
	static const char *const names[] = { "{to}", "{from}", "{text}" };
	const char *values[] = { to ? to : "", from ? from : "", text ? text : "" };
	const char *p = tmpl;
	int rc = 0;

	if (!tmpl || (type != SMS_BODY_FORM && type != SMS_BODY_JSON))
		return BANDITORE_EINVAL;
	while (*p && !rc) {
		const char *brace = strchr(p, '{');
		int k = -1;
		if (!brace)
			return buf_appends(out, p);
		rc = buf_append(out, p, (size_t)(brace - p));
		for (int i = 0; i < 3 && k < 0; i++)
			if (!strncmp(brace, names[i], strlen(names[i])))
				k = i;
		if (rc)
			break;
		if (k < 0) {
			rc = buf_append(out, "{", 1);
			p = brace + 1;
			continue;
		}
		rc = type == SMS_BODY_FORM ? sms_escape_form(values[k], out)
					   : sms_escape_json(values[k], out);
		p = brace + strlen(names[k]);
	}
	if (!rc && !out->data)
		rc = buf_append(out, "", 0);
	return rc;
}
