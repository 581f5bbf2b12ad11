/* choices.c - areas and categories a subscriber chooses (choices.h). */
#include "inbound/choices.h"

#include "common/buf.h"
#include "common/err.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_TITLE_MAX 24 /* characters of a WhatsApp list row's title */

int choices_classify(const struct config *cfg, const char *norm, const char *reply_id)
{
	if (reply_id && (!strncmp(reply_id, "a:", 2) || !strncmp(reply_id, "c:", 2)))
		return CHOICES_PICK;
	if (norm && *norm && cfg->kw_areas[0] && !strcmp(norm, cfg->kw_areas))
		return CHOICES_ASK_AREAS;
	if (norm && *norm && cfg->kw_categories[0] && !strcmp(norm, cfg->kw_categories))
		return CHOICES_ASK_CATEGORIES;
	return CHOICES_NONE;
}

/* The names a subscriber may choose of `kind`: id and title of item i, or 0 past the end.
 * Emergency categories are left out (they reach everyone). */
static int nth(const struct config *cfg, int kind, int i, const char **id, const char **title)
{
	if (kind == STORE_AUDIENCE_AREA) {
		if (i >= cfg->n_areas)
			return 0;
		*id = cfg->areas[i].id;
		*title = cfg->areas[i].name;
		return 1;
	}
	for (int k = 0, seen = 0; cfg->policy && k < cfg->policy->n_categories; k++) {
		const struct policy_category *c = &cfg->policy->categories[k];
		if (c->emergency)
			continue;
		if (seen++ == i) {
			*id = c->id;
			*title = c->label;
			return 1;
		}
	}
	return 0;
}

int choices_load(struct store *st, const struct config *cfg, int platform,
		 const uint8_t hash[CRYPTO_HASH_LEN], int kind, struct choices_list *out)
{
	uint64_t cats = 0, areas = 0, mask;
	const char *id, *title;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	rc = store_subscriber_get_audience(st, platform, hash, &cats, &areas);
	if (rc)
		return rc;
	mask = kind == STORE_AUDIENCE_AREA ? areas : cats;
	out->all = mask == 0;
	for (int i = 0; out->n < CHOICES_MAX && nth(cfg, kind, i, &id, &title); i++) {
		struct choices_item *it = &out->items[out->n++];
		int bit = -1;
		snprintf(it->id, sizeof(it->id), "%s", id);
		snprintf(it->title, sizeof(it->title), "%s", title);
		rc = store_audience_bit(st, kind, id, 0, &bit);
		if (rc)
			return rc;
		it->chosen = bit >= 0 && (mask & ((uint64_t)1 << bit));
	}
	return 0;
}

void choices_fresh(const struct config *cfg, int kind, struct choices_list *out)
{
	const char *id, *title;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->all = 1;
	for (int i = 0; out->n < CHOICES_MAX && nth(cfg, kind, i, &id, &title); i++) {
		struct choices_item *it = &out->items[out->n++];
		snprintf(it->id, sizeof(it->id), "%s", id);
		snprintf(it->title, sizeof(it->title), "%s", title);
	}
}

int choices_pick(struct store *st, const struct config *cfg, int platform,
		 const uint8_t hash[CRYPTO_HASH_LEN], const char *id, int *kind)
{
	uint64_t cats = 0, areas = 0, *mask;
	const char *name, *cid, *title;
	int rc, bit = -1, known = 0;

	if (!id || (strncmp(id, "a:", 2) && strncmp(id, "c:", 2)))
		return BANDITORE_EINVAL;
	*kind = id[0] == 'a' ? STORE_AUDIENCE_AREA : STORE_AUDIENCE_CATEGORY;
	name = id + 2;
	rc = store_subscriber_get_audience(st, platform, hash, &cats, &areas);
	if (rc)
		return rc;
	mask = *kind == STORE_AUDIENCE_AREA ? &areas : &cats;
	if (!strcmp(name, "*")) {
		*mask = 0;
		return store_subscriber_set_audience(st, platform, hash, cats, areas);
	}
	for (int i = 0; !known && nth(cfg, *kind, i, &cid, &title); i++)
		known = !strcmp(cid, name);
	if (!known)
		return BANDITORE_EINVAL;
	rc = store_audience_bit(st, *kind, name, 1, &bit);
	if (rc)
		return rc;
	*mask ^= (uint64_t)1 << bit; /* from "everything" (0), the first pick narrows to it */
	return store_subscriber_set_audience(st, platform, hash, cats, areas);
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

char *choices_summary(const struct config *cfg, const struct choices_list *l)
{
	int areas = l->kind == STORE_AUDIENCE_AREA;
	const char *kw = areas ? cfg->kw_areas_word : cfg->kw_categories_word;
	struct buf names;
	char *out;

	if (l->all)
		return areas ? dup_printf("Ricevi gli avvisi di tutte le zone. Per sceglierne solo "
					  "alcune scrivi %s.\nYou get notices for every area; write "
					  "%s to choose some.", kw, kw)
			     : dup_printf("Ricevi gli avvisi di tutte le categorie. Per sceglierne "
					  "solo alcune scrivi %s.\nYou get notices of every category; "
					  "write %s to choose some.", kw, kw);
	buf_init(&names, 8192);
	for (int i = 0; i < l->n; i++)
		if (l->items[i].chosen && (buf_append(&names, names.len ? ", " : "", names.len ? 2 : 0) ||
					   buf_append(&names, l->items[i].title, strlen(l->items[i].title)))) {
			buf_free(&names);
			return NULL;
		}
	out = areas ? dup_printf("Zone scelte: %s. Ricevi gli avvisi per queste zone, quelli per "
				 "tutto il territorio e le emergenze. Per cambiarle scrivi %s.\n"
				 "Areas chosen: %s. Write %s to change them.",
				 buf_cstr(&names), kw, buf_cstr(&names), kw)
		    : dup_printf("Categorie scelte: %s. Le emergenze arrivano sempre. Per cambiarle "
				 "scrivi %s.\nCategories chosen: %s. Write %s to change them.",
				 buf_cstr(&names), kw, buf_cstr(&names), kw);
	buf_free(&names);
	return out;
}

char *choices_intro(const struct config *cfg, const struct choices_list *l)
{
	(void)cfg;
	if (l->kind == STORE_AUDIENCE_AREA)
		return dup_printf("Scegli le zone che ti interessano: gli avvisi di lavori, "
				  "interruzioni e simili arriveranno solo per quelle. Le emergenze "
				  "arrivano sempre a tutti. Tocca una zona per aggiungerla o "
				  "toglierla.\nChoose the areas you care about; tap one to add or "
				  "remove it.");
	return dup_printf("Scegli gli argomenti che ti interessano. Le emergenze arrivano "
			  "sempre a tutti. Tocca un argomento per aggiungerlo o toglierlo.\n"
			  "Choose the topics you care about; tap one to add or remove it.");
}

char *choices_text_unknown(const struct config *cfg, int kind)
{
	const char *kw = kind == STORE_AUDIENCE_AREA ? cfg->kw_areas_word : cfg->kw_categories_word;

	return dup_printf("Scelta non riconosciuta (forse l'elenco è cambiato): non è stato "
			  "modificato nulla. Scrivi %s per l'elenco aggiornato.\nChoice not "
			  "recognised, nothing changed: write %s for the current list.", kw, kw);
}

char *choices_text_not_subscribed(const struct config *cfg)
{
	char *t = config_expand(cfg, "Non risulti iscritto a {channel}: dopo l'iscrizione potrai "
				     "scegliere zone e argomenti.\nYou are not subscribed: after "
				     "joining you can choose areas and topics.");
	return t;
}

char *choices_text_none(const struct config *cfg, int kind)
{
	(void)cfg;
	return kind == STORE_AUDIENCE_AREA
		       ? dup_printf("Il Comune non ha suddiviso il territorio in zone: ricevi tutti "
				    "gli avvisi.\nThe comune has no areas: you get every notice.")
		       : dup_printf("Il canale non ha argomenti da scegliere: ricevi tutti gli "
				    "avvisi.\nThe channel has no topics to choose: you get every notice.");
}

/* The first `max` characters of s (whole UTF-8 sequences), with "…" when cut. */
static void clip(const char *s, size_t max, char *out, size_t cap)
{
	size_t chars = 0, i = 0;

	while (s[i] && chars < max) {
		size_t len = 1;
		while (s[i + len] && ((unsigned char)s[i + len] & 0xC0) == 0x80)
			len++;
		i += len;
		chars++;
	}
	if (!s[i]) {
		snprintf(out, cap, "%s", s);
		return;
	}
	/* one character fewer, and the ellipsis */
	while (i > 0 && ((unsigned char)s[--i] & 0xC0) == 0x80)
		;
	snprintf(out, cap, "%.*s…", (int)i, s);
}

char *choices_whatsapp_body(const struct config *cfg, const struct choices_list *l)
{
	int areas = l->kind == STORE_AUDIENCE_AREA;
	char *text = choices_intro(cfg, l), *s = NULL;
	json_t *rows = json_array(), *o = NULL;
	char id[70], title[128];

	if (!text || !rows)
		goto out;
	if (json_array_append_new(rows, json_pack("[s,s,s]", areas ? "a:*" : "c:*",
						  areas ? "Tutte le zone" : "Tutti gli argomenti",
						  l->all ? "✓ ricevi tutto" : "tocca per ricevere tutto")))
		goto out;
	for (int i = 0; i < l->n && (int)json_array_size(rows) < CHOICES_WHATSAPP_ROWS; i++) {
		snprintf(id, sizeof(id), "%s%s", areas ? "a:" : "c:", l->items[i].id);
		clip(l->items[i].title, ROW_TITLE_MAX, title, sizeof(title));
		if (json_array_append_new(rows, json_pack("[s,s,s]", id, title,
							  l->items[i].chosen ? "✓ scelta: tocca per togliere"
									     : "tocca per aggiungere")))
			goto out;
	}
	o = json_pack("{s:s, s:{s:s, s:O}}", "text", text, "list", "button",
		      areas ? "Scegli le zone" : "Scegli gli argomenti", "rows", rows);
	if (o)
		s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(rows);
	free(text);
	return s;
}

char *choices_telegram_markup(const struct choices_list *l)
{
	int areas = l->kind == STORE_AUDIENCE_AREA;
	json_t *kb = json_array(), *o = NULL;
	char data[80], label[160];
	char *s = NULL;

	if (!kb)
		return NULL;
	snprintf(label, sizeof(label), "%s%s", l->all ? "✓ " : "", areas ? "Tutte le zone" : "Tutti gli argomenti");
	if (json_array_append_new(kb, json_pack("[{s:s, s:s}]", "text", label, "callback_data",
						areas ? "a:*" : "c:*")))
		goto out;
	for (int i = 0; i < l->n; i++) {
		int n = snprintf(data, sizeof(data), "%s%s", areas ? "a:" : "c:", l->items[i].id);
		if (n < 0 || n > 64)
			continue; /* Telegram's callback_data holds 64 bytes */
		snprintf(label, sizeof(label), "%s%s", l->items[i].chosen ? "✓ " : "", l->items[i].title);
		if (json_array_append_new(kb, json_pack("[{s:s, s:s}]", "text", label, "callback_data", data)))
			goto out;
	}
	o = json_pack("{s:O}", "inline_keyboard", kb);
	if (o)
		s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(kb);
	return s;
}
