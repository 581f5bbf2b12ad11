/*
 * config_audience.c - the sections of the configuration that say who a message may be
 * aimed at besides its category: the comune's areas ([area ID]: its frazioni or
 * quartieri, a name and optionally a polygon) and the keywords with which a citizen asks
 * to choose areas or categories again ([keywords] areas, categories).
 *
 * Names are what citizens read in a WhatsApp list row or a Telegram button, so they are
 * kept within WhatsApp's limit for a row's title (24 characters). A polygon is a list of
 * "lat,lon" points separated by ';' (at least 3, WGS 84 degrees); it is optional and
 * serves to tell whether a place lies in the area (config_area_contains).
 */
#include "config/config_internal.h"

#include "common/err.h"
#include "common/i18n.h"
#include "common/keyword.h"
#include "common/platform.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct config_key config_audience_keys[CA_COUNT] = {
	[CA_AREA_NAME] = { "area *", "name", 0 },
	[CA_AREA_POLYGON] = { "area *", "polygon", 0 },
	[CA_KW_AREAS] = { "keywords", "areas", 0 },
	[CA_KW_CATEGORIES] = { "keywords", "categories", 0 },
};
const size_t config_audience_n_keys = CA_COUNT;

static void err_at(const struct config_audience_input *in, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_at(const struct config_audience_input *in, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (config_error_add(in->errs, in->path, line, "%s", msg) != 0)
		*in->rc = BANDITORE_ENOMEM;
}

/* Counts UTF-8 characters (the lead bytes). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* One number of a point: a decimal in [-limit, limit]. Returns 0 or -1. */
static int coordinate(const char *s, const char *e, double limit, double *out)
{
	char tmp[32], *end;
	size_t n;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - s);
	if (n == 0 || n >= sizeof(tmp) || strspn(s, "+-0123456789.") < n)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (errno || *end || !isfinite(*out) || *out < -limit || *out > limit)
		return -1;
	return 0;
}

/* "45.24,7.71; 45.25,7.72; 45.23,7.73" into area->points. */
static void polygon(const struct config_audience_input *in, struct config_area *a,
		    const char *v, int line)
{
	const char *p = v;
	int n = 0, cap = 1;

	for (const char *c = v; *c; c++)
		cap += *c == ';';
	if (cap > CONFIG_AREA_POINTS_MAX) {
		err_at(in, line, T("polygon: al massimo %d punti", "polygon: at most %d points"),
		       CONFIG_AREA_POINTS_MAX);
		return;
	}
	a->points = calloc((size_t)cap, sizeof(*a->points));
	if (!a->points) {
		*in->rc = BANDITORE_ENOMEM;
		return;
	}
	for (;;) {
		const char *semi = strchr(p, ';'), *end = semi ? semi : p + strlen(p);
		const char *comma = memchr(p, ',', (size_t)(end - p));
		struct config_area_point *pt = &a->points[n];
		if (!comma || coordinate(p, comma, 90, &pt->lat) ||
		    coordinate(comma + 1, end, 180, &pt->lon)) {
			err_at(in, line,
			       T("polygon: il punto %d non va bene: serve \"latitudine,longitudine\" in "
				 "gradi (es. 45.2441,7.7123), i punti separati da ';'",
				 "polygon: point %d is wrong: it must be \"latitude,longitude\" in degrees "
				 "(e.g. 45.2441,7.7123), points separated by ';'"),
			       n + 1);
			free(a->points);
			a->points = NULL;
			return;
		}
		n++;
		if (!semi)
			break;
		p = semi + 1;
	}
	if (n < 3) {
		err_at(in, line, T("polygon: servono almeno 3 punti (ne ha %d)",
				   "polygon: at least 3 points are needed (it has %d)"), n);
		free(a->points);
		a->points = NULL;
		return;
	}
	a->n_points = n;
}

static void areas(const struct config_audience_input *in, struct config *cfg)
{
	const struct config_instances *inst = in->instances;

	for (int i = 0; inst && i < inst->count; i++) {
		const struct config_instance *it = &inst->items[i];
		const struct config_value *name, *poly;
		struct config_area *a;
		if (strcmp(it->pattern, "area *") != 0)
			continue;
		if (cfg->n_areas == CONFIG_AREAS_MAX) {
			err_at(in, it->line, T("al massimo %d aree", "at most %d areas"), CONFIG_AREAS_MAX);
			break;
		}
		a = &cfg->areas[cfg->n_areas++];
		snprintf(a->id, sizeof(a->id), "%s", it->name);
		name = &it->vals[in->inst_base + CA_AREA_NAME];
		poly = &it->vals[in->inst_base + CA_AREA_POLYGON];
		if (!name->set) {
			err_at(in, it->line, T("[area %s]: manca name, il nome che leggono i cittadini "
					       "(es. name = Fornacino)",
					       "[area %s]: name is missing, the name citizens read "
					       "(e.g. name = Fornacino)"),
			       it->name);
		} else {
			const char *s = buf_cstr(&name->text);
			size_t chars = utf8_chars(s);
			if (chars == 0 || chars > CONFIG_AREA_NAME_CHARS || strlen(s) >= sizeof(a->name))
				err_at(in, name->line,
				       T("name: da 1 a %d caratteri (il limite di una riga di elenco "
					 "WhatsApp)", "name: 1 to %d characters (the limit of a WhatsApp "
					 "list row)"), CONFIG_AREA_NAME_CHARS);
			snprintf(a->name, sizeof(a->name), "%s", s);
			for (int j = 0; j < cfg->n_areas - 1; j++)
				if (!strcmp(cfg->areas[j].name, a->name))
					err_at(in, name->line,
					       T("name: '%s' è già il nome di [area %s]",
						 "name: '%s' is already the name of [area %s]"),
					       a->name, cfg->areas[j].id);
		}
		if (poly->set)
			polygon(in, a, buf_cstr(&poly->text), poly->line);
	}
	/* A WhatsApp list holds 10 rows: the areas and "every area". */
	if ((cfg->platforms & (1 << PLATFORM_WHATSAPP)) && cfg->n_areas > CONFIG_AREAS_WHATSAPP_MAX) {
		int line = 0;
		for (int i = 0; inst && i < inst->count; i++)
			if (!strcmp(inst->items[i].pattern, "area *"))
				line = inst->items[i].line;
		err_at(in, line,
		       T("con WhatsApp al massimo %d aree: un elenco WhatsApp ha 10 righe, una è "
			 "\"tutte le zone\" (ne sono configurate %d)",
			 "with WhatsApp at most %d areas: a WhatsApp list has 10 rows, one is "
			 "\"every area\" (%d are configured)"),
		       CONFIG_AREAS_WHATSAPP_MAX, cfg->n_areas);
	}
}

/* One of the two choosing keywords: normalised into norm, as written into word. */
static void choose_keyword(const struct config_audience_input *in, struct config *cfg, int k,
			   const char *key, const char *def, char *norm, char *word)
{
	const struct config_value *v = &in->vals[k];
	const char *s = v->set ? buf_cstr(&v->text) : def;
	char tmp[KEYWORD_MAX];
	int rc;

	while (*s == ' ' || *s == '\t')
		s++;
	rc = keyword_normalize(s, strlen(s), tmp, sizeof(tmp));
	if (rc || !tmp[0] || strlen(tmp) >= CONFIG_CHOOSE_KEYWORD_MAX ||
	    strlen(s) >= CONFIG_CHOOSE_KEYWORD_MAX) {
		err_at(in, v->line,
		       T("%s: '%.*s' non va bene: una parola chiave di lettere o cifre, al massimo "
			 "%d caratteri", "%s: '%.*s' is wrong: a keyword of letters or digits, at most "
			 "%d characters"),
		       key, 60, s, CONFIG_CHOOSE_KEYWORD_MAX - 1);
		return;
	}
	for (int i = 0; i < cfg->n_subscribe; i++)
		if (cfg->subscribe[i] && !strcmp(cfg->subscribe[i], tmp))
			err_at(in, v->line, T("%s: '%s' è anche in subscribe", "%s: '%s' is also in subscribe"),
			       key, tmp);
	for (int i = 0; i < cfg->n_unsubscribe; i++)
		if (cfg->unsubscribe[i] && !strcmp(cfg->unsubscribe[i], tmp))
			err_at(in, v->line, T("%s: '%s' è anche in unsubscribe", "%s: '%s' is also in unsubscribe"),
			       key, tmp);
	snprintf(norm, CONFIG_CHOOSE_KEYWORD_MAX, "%.*s", CONFIG_CHOOSE_KEYWORD_MAX - 1, tmp);
	snprintf(word, CONFIG_CHOOSE_KEYWORD_MAX, "%s", s);
}

int config_audience_build(const struct config_audience_input *in, struct config *cfg)
{
	areas(in, cfg);
	choose_keyword(in, cfg, CA_KW_AREAS, "areas", "ZONE", cfg->kw_areas, cfg->kw_areas_word);
	choose_keyword(in, cfg, CA_KW_CATEGORIES, "categories", "CATEGORIE", cfg->kw_categories,
		       cfg->kw_categories_word);
	if (cfg->kw_areas[0] && !strcmp(cfg->kw_areas, cfg->kw_categories))
		err_at(in, in->vals[CA_KW_CATEGORIES].line,
		       T("categories: '%s' è anche la parola chiave di areas",
			 "categories: '%s' is also the keyword of areas"), cfg->kw_categories);
	return *in->rc;
}

void config_audience_free(struct config *cfg)
{
	for (int i = 0; i < cfg->n_areas; i++) {
		free(cfg->areas[i].points);
		cfg->areas[i].points = NULL;
	}
	cfg->n_areas = 0;
}

int config_area_find(const struct config *cfg, const char *id)
{
	for (int i = 0; id && i < cfg->n_areas; i++)
		if (!strcmp(cfg->areas[i].id, id))
			return i;
	return -1;
}

/* Ray casting: a horizontal ray from the point crosses the border an odd number of times
 * when the point is inside. Good enough for a comune's areas (no poles, no antimeridian). */
int config_area_contains(const struct config_area *a, double lat, double lon)
{
	int inside = 0;

	if (!a || a->n_points < 3)
		return 0;
	for (int i = 0, j = a->n_points - 1; i < a->n_points; j = i++) {
		const struct config_area_point *p = &a->points[i], *q = &a->points[j];
		if ((p->lat > lat) != (q->lat > lat) &&
		    lon < (q->lon - p->lon) * (lat - p->lat) / (q->lat - p->lat) + p->lon)
			inside = !inside;
	}
	return inside;
}
