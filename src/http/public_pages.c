/*
 * public_pages.c - the models (JSON) of the public pages, made from the configuration
 * and the archive, rendered with the templates of web/templates.
 *
 * Texts that depend on the configuration and must exist in both languages are built as
 * {"it": ..., "en": ...} objects, which the templates print in the page's language.
 */
#include "http/public.h"

#include "common/e164.h"
#include "common/err.h"
#include "common/platform.h"
#include "connectors/telegram.h"
#include "store/store.h"
#include "web/qr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINK_MAX 512
#define EXCERPT_MAX 280

static json_t *both(const char *it, const char *en)
{
	return json_pack("{s:s,s:s}", "it", it, "en", en);
}

static const char *self_path(const char *page_id)
{
	static const struct { const char *id, *path; } pages[] = {
		{ "canale", "/" }, { "archivio", "/archivio" }, { "policy", "/policy" },
		{ "informativa", "/informativa" }, { "poster", "/poster" },
	};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (!strcmp(pages[i].id, page_id))
			return pages[i].path;
	return "/";
}

/* Digits of a phone for tel: links ("800 000 000" -> "800000000", keeps a leading +). */
static void tel_of(const char *phone, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = phone; *p && n + 1 < cap; p++)
		if (isdigit((unsigned char)*p) || (*p == '+' && n == 0))
			out[n++] = *p;
	out[n] = '\0';
}

json_t *public_model_base(const struct public_req *r, const char *page_id, const char *title_it,
			  const char *title_en)
{
	const struct config *cfg = r->cfg;
	int en = !strcmp(r->lang, "en");
	const char *lq = en ? "?lang=en" : "";
	char tel[64], href[64];
	json_t *m, *nav;
	static const struct { const char *id, *path, *it, *en; } items[] = {
		{ "canale", "/", "Il canale", "The channel" },
		{ "archivio", "/archivio", "Archivio", "Archive" },
		{ "policy", "/policy", "Regole", "Rules" },
		{ "informativa", "/informativa", "Privacy", "Privacy" },
	};

	tel_of(cfg->helpdesk_phone, tel, sizeof(tel));
	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}",
		      "lang", r->lang, "other_lang", en ? "it" : "en",
		      "other_lang_label", en ? "Italiano" : "English", "other_q", en ? "?lang=it" : "?lang=en",
		      "lq", lq, "page_id", page_id, "self", self_path(page_id),
		      "title", en ? title_en : title_it, "comune", cfg->comune_name,
		      "channel", cfg->channel_name, "description", cfg->channel_description,
		      "static", public_static_prefix(r->site), "website", cfg->website,
		      "helpdesk_email", cfg->helpdesk_email, "helpdesk_phone", cfg->helpdesk_phone,
		      "helpdesk_phone_tel", tel, "en", en);
	if (!m)
		return NULL;
	json_object_set_new(m, "pec", json_string(cfg->pec));
	json_object_set_new(m, "public_url", json_string(cfg->public_url));
	nav = json_array();
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		snprintf(href, sizeof(href), "%s%s", items[i].path, lq);
		json_array_append_new(nav, json_pack("{s:s,s:s,s:b}", "href", href, "label",
						     en ? items[i].en : items[i].it, "current",
						     !strcmp(items[i].id, page_id)));
	}
	json_object_set_new(m, "nav", nav);
	return m;
}

int public_render(const struct public_req *r, const char *tpl, json_t *model,
		  struct public_body *out)
{
	int rc;

	if (!model)
		return BANDITORE_ENOMEM;
	rc = tpl_render(public_templates(r->site), tpl, model, r->lang, &out->body);
	json_decref(model);
	if (!out->type)
		out->type = "text/html; charset=utf-8";
	return rc;
}

/* --- joining --- */

void public_whatsapp_link(const struct config *cfg, char *out, size_t cap)
{
	char digits[32];
	size_t n = 0;
	struct buf b;

	out[0] = '\0';
	if (!(cfg->platforms & (1 << PLATFORM_WHATSAPP)) || !*cfg->wa_display_number ||
	    cfg->n_subscribe == 0)
		return;
	for (const char *p = cfg->wa_display_number; *p && n + 1 < sizeof(digits); p++)
		if (isdigit((unsigned char)*p))
			digits[n++] = *p;
	digits[n] = '\0';
	buf_init(&b, cap - 1);
	if (buf_appendf(&b, "https://wa.me/%s?text=", digits) == 0) {
		/* The keyword as citizens type it: the normalised one in capitals. */
		for (const char *p = cfg->subscribe[0]; *p; p++) {
			unsigned char c = (unsigned char)toupper((unsigned char)*p);
			if (isalnum(c))
				(void)buf_append(&b, &c, 1);
			else
				(void)buf_appendf(&b, "%%%02X", c);
		}
		snprintf(out, cap, "%s", buf_cstr(&b));
	}
	buf_free(&b);
}

static void upper(const char *in, char *out, size_t cap)
{
	size_t i = 0;
	for (; in[i] && i + 1 < cap; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[i] = '\0';
}

static json_t *qr_string(const char *text, const char *label, const char *size)
{
	struct buf b;
	json_t *j = NULL;

	buf_init(&b, 256 * 1024);
	if (qr_svg(&b, text, label, size) == 0)
		j = json_string(buf_cstr(&b));
	buf_free(&b);
	return j;
}

void public_telegram_link(const struct config *cfg, char *out, size_t cap)
{
	const char *name;

	out[0] = '\0';
	if (!(cfg->platforms & (1 << PLATFORM_TELEGRAM)))
		return;
	if (cfg->tg_mode == TELEGRAM_MODE_BOT && cfg->tg_bot_username && *cfg->tg_bot_username) {
		/* The payload is only a mark (the bot joins on any /start): no categories. */
		snprintf(out, cap, "https://t.me/%s?start=iscrizione", cfg->tg_bot_username);
		return;
	}
	/* A public channel is "@name"; a private one ("-100...") has no link to show. */
	name = cfg->tg_channel_id;
	if (cfg->tg_mode == TELEGRAM_MODE_CHANNEL && name && name[0] == '@' && name[1])
		snprintf(out, cap, "https://t.me/%s", name + 1);
}

/* The SMS number citizens write to, when inbound SMS is configured (the gateway's
 * webhook secret is set) and the sender is a number rather than a name; else "". */
static void sms_number(const struct config *cfg, char *out, size_t cap)
{
	char e164[E164_MAX];

	out[0] = '\0';
	if (!(cfg->platforms & (1 << PLATFORM_SMS)) || !cfg->sms_webhook_secret ||
	    !*cfg->sms_webhook_secret || !cfg->sms_sender || e164_normalize(cfg->sms_sender, e164))
		return;
	snprintf(out, cap, "%s", cfg->sms_sender);
}

/* whatsapp: {number, link, qr, join_word, leave_word}; wa_channel: {url, qr};
 * telegram: {bot|channel, name, link, qr}; email: {action}; push: true;
 * sms: {number, join_word, leave_word}; codes: how many QR codes (the poster's layout). */
static void add_join(const struct public_req *r, json_t *m, const char *qr_size)
{
	const struct config *cfg = r->cfg;
	int en = !strcmp(r->lang, "en"), codes = 0;
	char link[LINK_MAX], join[128];

	public_whatsapp_link(cfg, link, sizeof(link));
	if (*link) {
		upper(cfg->subscribe[0], join, sizeof(join));
		json_object_set_new(m, "whatsapp", json_pack("{s:s,s:s,s:o*,s:s,s:s}",
			"number", cfg->wa_display_number, "link", link,
			"qr", qr_string(link, en ? "QR code: opens WhatsApp with the sign-up message"
						 : "Codice QR: apre WhatsApp con il messaggio di iscrizione",
					qr_size),
			"join_word", join, "leave_word", cfg->unsubscribe_word));
	}
	if (*link)
		codes++;
	if (*cfg->wa_channel_url) {
		json_object_set_new(m, "wa_channel", json_pack("{s:s,s:o*}",
			"url", cfg->wa_channel_url,
			"qr", qr_string(cfg->wa_channel_url,
					en ? "QR code: opens the comune's WhatsApp Channel"
					   : "Codice QR: apre il canale WhatsApp del Comune", qr_size)));
		codes++;
	}
	public_telegram_link(cfg, link, sizeof(link));
	if (*link) {
		int bot = cfg->tg_mode == TELEGRAM_MODE_BOT;
		json_object_set_new(m, "telegram", json_pack("{s:b,s:b,s:s,s:s,s:o*}",
			"bot", bot, "channel", !bot,
			"name", bot ? cfg->tg_bot_username : cfg->tg_channel_id + 1, "link", link,
			"qr", qr_string(link, bot ? (en ? "QR code: opens the comune's Telegram bot"
							: "Codice QR: apre il bot Telegram del Comune")
						  : (en ? "QR code: opens the comune's Telegram channel"
							: "Codice QR: apre il canale Telegram del Comune"),
					qr_size)));
		codes++;
	}
	if ((cfg->platforms & (1 << PLATFORM_EMAIL)) && cfg->email_from_address &&
	    *cfg->email_from_address && cfg->email_smtp_url && *cfg->email_smtp_url) {
		/* The opt-in form's checkboxes: the areas, and the categories one may choose
		 * (emergencies reach everyone). */
		json_t *email = json_pack("{s:s, s:[], s:[]}", "action", "/email/subscribe", "areas",
					  "categories");
		for (int i = 0; email && i < cfg->n_areas; i++)
			json_array_append_new(json_object_get(email, "areas"),
					      json_pack("{s:s, s:s}", "id", cfg->areas[i].id, "name",
							cfg->areas[i].name));
		for (int i = 0; email && cfg->policy && i < cfg->policy->n_categories; i++)
			if (!cfg->policy->categories[i].emergency)
				json_array_append_new(json_object_get(email, "categories"),
						      json_pack("{s:s, s:s}", "id", cfg->policy->categories[i].id,
								"label", cfg->policy->categories[i].label));
		json_object_set_new(m, "email", email);
	}
	if (cfg->platforms & (1 << PLATFORM_WEBPUSH))
		json_object_set_new(m, "push", json_true());
	sms_number(cfg, link, sizeof(link));
	if (*link && cfg->n_subscribe > 0) {
		upper(cfg->subscribe[0], join, sizeof(join));
		json_object_set_new(m, "sms", json_pack("{s:s,s:s,s:s}", "number", link,
			"join_word", join, "leave_word", cfg->unsubscribe_word));
	}
	json_object_set_new(m, "other_ways", json_boolean(json_object_get(m, "email") ||
							 json_object_get(m, "push") ||
							 json_object_get(m, "sms")));
	json_object_set_new(m, "codes", json_integer(codes));
	json_object_set_new(m, "many_codes", json_boolean(codes > 2));
}

static json_t *categories(const struct config *cfg, const char *selected)
{
	json_t *a = json_array();
	for (int i = 0; cfg->policy && i < cfg->policy->n_categories; i++) {
		const struct policy_category *c = &cfg->policy->categories[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:b,s:b}", "id", c->id, "label",
						   c->label, "emergency", c->emergency, "electoral",
						   c->electoral, "selected",
						   selected && !strcmp(selected, c->id)));
	}
	return a;
}

static const char *category_label(const struct config *cfg, const char *id)
{
	const struct policy_category *c = cfg->policy ? policy_category_find(cfg->policy, id) : NULL;
	return c ? c->label : id;
}

int public_page_channel(const struct public_req *r, struct public_body *out)
{
	const struct config *cfg = r->cfg;
	json_t *m = public_model_base(r, "canale", "Il canale", "The channel");

	if (!m)
		return BANDITORE_ENOMEM;
	json_object_set_new(m, "title", json_string(cfg->channel_name));
	json_object_set_new(m, "categories", categories(cfg, NULL));
	json_object_set_new(m, "hours", json_string(cfg->hours_text ? cfg->hours_text : ""));
	json_object_set_new(m, "one_way", json_boolean(cfg->inbound_mode == CONFIG_INBOUND_NONE));
	json_object_set_new(m, "auto_reply", json_boolean(cfg->inbound_mode == CONFIG_INBOUND_AUTO_REPLY));
	json_object_set_new(m, "keep_until_answered",
			    json_boolean(cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED));
	add_join(r, m, "14rem");
	out->max_age = 300;
	return public_render(r, "canale", m, out);
}

int public_page_poster(const struct public_req *r, struct public_body *out)
{
	json_t *m = public_model_base(r, "poster", "Manifesto", "Poster");

	if (!m)
		return BANDITORE_ENOMEM;
	add_join(r, m, NULL);
	out->max_age = 300;
	return public_render(r, "poster", m, out);
}

int public_qr(const struct public_req *r, const char *which, struct public_body *out)
{
	char link[LINK_MAX];
	const char *text = link;

	if (!strcmp(which, "whatsapp"))
		public_whatsapp_link(r->cfg, link, sizeof(link));
	else if (!strcmp(which, "telegram"))
		public_telegram_link(r->cfg, link, sizeof(link));
	else
		text = r->cfg->wa_channel_url;
	if (!*text)
		return BANDITORE_ENOTFOUND;
	out->type = "image/svg+xml";
	out->max_age = 86400;
	return qr_svg(&out->body, text, which, NULL);
}

/* --- policy and privacy notice --- */

static const struct { int kind; const char *it, *en; } forbidden_kinds[] = {
	{ POLICY_K_PROPAGANDA, "Propaganda elettorale", "Electoral propaganda" },
	{ POLICY_K_POLITICAL, "Contenuti politici o di parte", "Political or partisan content" },
	{ POLICY_K_ADVERTISING, "Pubblicità e messaggi commerciali", "Advertising and commercial messages" },
	{ POLICY_K_OBSCENE, "Contenuti osceni o volgari", "Obscene or vulgar content" },
	{ POLICY_K_BLASPHEMY, "Bestemmie e turpiloquio", "Blasphemy and foul language" },
	{ POLICY_K_DEFAMATORY, "Contenuti diffamatori o lesivi della dignità", "Defamatory or demeaning content" },
	{ POLICY_K_DISCRIMINATORY, "Contenuti discriminatori", "Discriminatory content" },
	{ POLICY_K_HEALTH, "Dati sulla salute delle persone (art. 9 GDPR)", "Health data of people (GDPR art. 9)" },
	{ POLICY_K_JUDICIAL, "Dati giudiziari (art. 10 GDPR)", "Judicial data (GDPR art. 10)" },
	{ POLICY_K_CODICE_FISCALE, "Codici fiscali e altri dati personali", "Tax codes and other personal data" },
	{ POLICY_K_IBAN, "Coordinate bancarie di persone", "People's bank details" },
	{ POLICY_K_SHORTENER, "Collegamenti abbreviati o ingannevoli", "Shortened or misleading links" },
};

int public_page_policy(const struct public_req *r, struct public_body *out)
{
	const struct config *cfg = r->cfg;
	const struct policy *p = cfg->policy;
	json_t *m = public_model_base(r, "policy", "Regole del canale", "Rules of the channel");
	json_t *forbidden = json_array(), *periods = json_array();
	char version[65], first[16], last[16];

	if (!m)
		return BANDITORE_ENOMEM;
	config_policy_version(cfg, version);
	for (size_t i = 0; p && i < sizeof(forbidden_kinds) / sizeof(forbidden_kinds[0]); i++) {
		int k = forbidden_kinds[i].kind;
		if (p->content_level[k] < POLICY_WARN)
			continue;
		json_array_append_new(forbidden, json_pack("{s:o,s:s}", "label",
			both(forbidden_kinds[i].it, forbidden_kinds[i].en), "article",
			p->content_article[k]));
	}
	for (int i = 0; p && i < p->n_periods; i++) {
		snprintf(first, sizeof(first), "%02d/%02d/%04d", p->periods[i].first.day,
			 p->periods[i].first.month, p->periods[i].first.year);
		snprintf(last, sizeof(last), "%02d/%02d/%04d", p->periods[i].last.day,
			 p->periods[i].last.month, p->periods[i].last.year);
		json_array_append_new(periods, json_pack("{s:s,s:s,s:s}", "label", p->periods[i].label,
							 "first", first, "last", last));
	}
	json_object_set_new(m, "forbidden", forbidden);
	json_object_set_new(m, "periods", periods);
	json_object_set_new(m, "categories", categories(cfg, NULL));
	json_object_set_new(m, "hours", json_string(cfg->hours_text ? cfg->hours_text : ""));
	json_object_set_new(m, "disclaimer", json_string(p ? p->disclaimer : ""));
	json_object_set_new(m, "policy_url", json_string(cfg->policy_url));
	json_object_set_new(m, "version", json_string(version));
	out->max_age = 300;
	return public_render(r, "policy", m, out);
}

int public_page_notice(const struct public_req *r, struct public_body *out)
{
	const struct config *cfg = r->cfg;
	json_t *m = public_model_base(r, "informativa", "Informativa sulla privacy", "Privacy notice");
	char version[65], host[256], days[16];
	struct buf cats;
	const char *h;

	if (!m)
		return BANDITORE_ENOMEM;
	config_policy_version(cfg, version);
	buf_init(&cats, 8192);
	for (int i = 0; cfg->policy && i < cfg->policy->n_categories; i++)
		(void)buf_appendf(&cats, "%s%s", i ? ", " : "", cfg->policy->categories[i].label);
	host[0] = '\0';
	if ((h = strstr(cfg->public_url, "://")) != NULL)
		snprintf(host, sizeof(host), "%.*s", (int)strcspn(h + 3, "/:"), h + 3);
	snprintf(days, sizeof(days), "%d", cfg->keep_days);
	switch (cfg->inbound_mode) {
	case CONFIG_INBOUND_NONE:
		json_object_set_new(m, "inbound_text", both(
			"Il canale non riceve messaggi: nulla di ciò che scrivi viene conservato.",
			"The channel takes no messages: nothing you write is kept."));
		break;
	case CONFIG_INBOUND_KEEP_UNTIL_ANSWERED: {
		char it[256], en[256];
		snprintf(it, sizeof(it), "I messaggi che scrivi al canale, conservati cifrati solo "
			 "finché il Comune risponde e comunque non oltre %s giorni, poi cancellati.", days);
		snprintf(en, sizeof(en), "The messages you write to the channel, kept encrypted only "
			 "until the comune answers and at most %s days, then deleted.", days);
		json_object_set_new(m, "inbound_text", both(it, en));
		break;
	}
	default:
		json_object_set_new(m, "inbound_text", both(
			"I messaggi che scrivi al canale non vengono conservati: ricevi solo una "
			"risposta automatica.",
			"The messages you write to the channel are not kept: you only get an "
			"automatic answer."));
	}
	json_object_set_new(m, "controller", json_string(*cfg->controller ? cfg->controller
									    : cfg->comune_name));
	json_object_set_new(m, "controller_email", json_string(cfg->controller_email));
	json_object_set_new(m, "dpo_name", json_string(cfg->dpo_name));
	json_object_set_new(m, "dpo_email", json_string(cfg->dpo_email));
	json_object_set_new(m, "privacy_url", json_string(cfg->privacy_url));
	json_object_set_new(m, "categories", categories(cfg, NULL));
	json_object_set_new(m, "categories_text", json_string(buf_cstr(&cats)));
	json_object_set_new(m, "public_host", json_string(host));
	json_object_set_new(m, "version", json_string(version));
	if (cfg->platforms & (1 << PLATFORM_WHATSAPP))
		json_object_set_new(m, "whatsapp", json_true());
	/* What each other platform keeps, and who delivers for it. */
	if (cfg->platforms & (1 << PLATFORM_TELEGRAM)) {
		json_object_set_new(m, "telegram", json_true());
		json_object_set_new(m, cfg->tg_mode == TELEGRAM_MODE_BOT ? "telegram_bot"
									 : "telegram_channel", json_true());
	}
	if (cfg->platforms & (1 << PLATFORM_EMAIL))
		json_object_set_new(m, "email", json_true());
	if (cfg->platforms & (1 << PLATFORM_WEBPUSH))
		json_object_set_new(m, "push", json_true());
	if (cfg->platforms & (1 << PLATFORM_SMS))
		json_object_set_new(m, "sms", json_true());
	buf_free(&cats);
	out->max_age = 300;
	return public_render(r, "informativa", m, out);
}

/* --- archive --- */

static void date_of(int64_t t, const char *lang, char *human, size_t hcap, char *iso, size_t icap)
{
	struct policy_tm tm;
	static const char *const months_it[] = { "gennaio", "febbraio", "marzo", "aprile", "maggio",
		"giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre" };
	static const char *const months_en[] = { "January", "February", "March", "April", "May",
		"June", "July", "August", "September", "October", "November", "December" };

	policy_rome_local(t, &tm);
	if (!strcmp(lang, "en"))
		snprintf(human, hcap, "%d %s %d, %02d:%02d", tm.day, months_en[tm.month - 1], tm.year,
			 tm.hour, tm.min);
	else
		snprintf(human, hcap, "%d %s %d, ore %02d:%02d", tm.day, months_it[tm.month - 1],
			 tm.year, tm.hour, tm.min);
	snprintf(iso, icap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:00", tm.year, tm.month, tm.day,
		 tm.hour, tm.min, tm.sec, '+', tm.offset / 3600);
}

int64_t public_message_time(const struct store_message *msg)
{
	return msg->started_at ? msg->started_at : msg->approved_at ? msg->approved_at
								 : msg->created_at;
}

static json_t *message_model(const struct public_req *r, const struct store_message *msg,
			     int full)
{
	char human[64], iso[40];
	int64_t now = (int64_t)time(NULL);
	json_t *j;

	date_of(public_message_time(msg), r->lang, human, sizeof(human), iso, sizeof(iso));
	j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b,s:b}", "id", (json_int_t)msg->id,
		      "title", msg->title, "category", msg->category, "category_label",
		      category_label(r->cfg, msg->category), "date", human, "iso", iso,
		      "emergency", msg->priority == STORE_PRIORITY_EMERGENCY, "expired",
		      msg->state == STORE_MSG_EXPIRED || (msg->expires_at > 0 && msg->expires_at <= now));
	if (!j)
		return NULL;
	if (full) {
		json_t *paras = json_array();
		const char *p = msg->text ? msg->text : "";
		while (*p) {
			size_t n = strcspn(p, "\n");
			if (n)
				json_array_append_new(paras, json_stringn(p, n));
			p += n;
			while (*p == '\n')
				p++;
		}
		json_object_set_new(j, "paragraphs", paras);
		json_object_set_new(j, "link", json_string(msg->link));
	} else {
		const char *t = msg->text ? msg->text : "";
		size_t n = strlen(t);
		if (n > EXCERPT_MAX) {
			n = EXCERPT_MAX;
			while (n > 0 && ((unsigned char)t[n] & 0xC0) == 0x80)
				n--; /* never cut a UTF-8 sequence */
			char *cut = strndup(t, n);
			struct buf b;
			buf_init(&b, EXCERPT_MAX + 8);
			(void)buf_appendf(&b, "%s…", cut ? cut : "");
			json_object_set_new(j, "excerpt", json_string(buf_cstr(&b)));
			buf_free(&b);
			free(cut);
		} else {
			json_object_set_new(j, "excerpt", json_string(t));
		}
	}
	return j;
}

/* An update and what it replaces link each other: j gets "replaces" (the earlier message)
 * and "replaced_by" (the newest sent update), each {id, title}, when the other message
 * is public (sent). *modified (may be NULL) moves to the update's time, so that a
 * conditional GET of the older page sees it changed. */
static void add_update_links(const struct public_req *r, const struct store_message *msg,
			     json_t *j, int64_t *modified)
{
	const int64_t ids[2] = { msg->replaces, msg->replaced_by };
	const char *keys[2] = { "replaces", "replaced_by" };
	struct store *st;

	if (!j || (ids[0] <= 0 && ids[1] <= 0))
		return;
	st = public_store_get(r->site);
	if (!st)
		return;
	for (int i = 0; i < 2; i++) {
		struct store_message o;
		int rc;

		if (ids[i] <= 0)
			continue;
		memset(&o, 0, sizeof(o));
		rc = store_message_get(st, ids[i], &o);
		if (rc == 0 && (o.state == STORE_MSG_SENT || o.state == STORE_MSG_PARTLY_FAILED)) {
			json_object_set_new(j, keys[i], json_pack("{s:I,s:s}", "id", (json_int_t)o.id,
								 "title", o.title));
			if (i == 1 && modified && public_message_time(&o) > *modified)
				*modified = public_message_time(&o);
		}
		store_message_clear(&o);
		if (rc && rc != BANDITORE_ENOTFOUND) {
			public_store_put(r->site, st, 1);
			return;
		}
	}
	public_store_put(r->site, st, 0);
}

static void archive_link(const struct public_req *r, int page, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, cap - 1);
	(void)buf_appendf(&b, "/archivio?pagina=%d", page);
	if (r->category)
		(void)buf_appendf(&b, "&categoria=%s", r->category);
	if (r->search) {
		(void)buf_appends(&b, "&q=");
		for (const char *p = r->search; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (isalnum(c) || strchr("-._~", c))
				(void)buf_append(&b, p, 1);
			else
				(void)buf_appendf(&b, "%%%02X", c);
		}
	}
	if (!strcmp(r->lang, "en"))
		(void)buf_appends(&b, "&lang=en");
	snprintf(out, cap, "%s", buf_cstr(&b));
	buf_free(&b);
}

int public_page_archive(const struct public_req *r, struct public_body *out)
{
	struct store_message msgs[PUBLIC_PAGE_SIZE];
	struct store_archive_query q;
	struct store *st;
	int n = 0, rc, pages;
	int64_t total = 0;
	json_t *m, *list;
	char link[LINK_MAX];

	memset(&q, 0, sizeof(q));
	memset(msgs, 0, sizeof(msgs));
	q.category = r->category;
	q.search = r->search;
	q.offset = (r->page - 1) * PUBLIC_PAGE_SIZE;
	st = public_store_get(r->site);
	if (!st)
		return BANDITORE_ESTORE;
	rc = store_archive_list(st, &q, msgs, PUBLIC_PAGE_SIZE, &n, &total);
	public_store_put(r->site, st, rc != 0);
	if (rc)
		return rc;
	m = public_model_base(r, "archivio", "Archivio degli avvisi", "Archive of messages");
	list = json_array();
	for (int i = 0; i < n; i++) {
		json_t *item = message_model(r, &msgs[i], 0);
		if (public_message_time(&msgs[i]) > out->modified)
			out->modified = public_message_time(&msgs[i]);
		add_update_links(r, &msgs[i], item, &out->modified);
		json_array_append_new(list, item);
		store_message_clear(&msgs[i]);
	}
	if (!m) {
		json_decref(list);
		return BANDITORE_ENOMEM;
	}
	pages = (int)((total + PUBLIC_PAGE_SIZE - 1) / PUBLIC_PAGE_SIZE);
	json_object_set_new(m, "messages", list);
	json_object_set_new(m, "total", json_integer(total));
	json_object_set_new(m, "page", json_integer(r->page));
	json_object_set_new(m, "pages", json_integer(pages));
	json_object_set_new(m, "search", json_string(r->search ? r->search : ""));
	json_object_set_new(m, "categories", categories(r->cfg, r->category));
	if (r->page > 1) {
		archive_link(r, r->page - 1, link, sizeof(link));
		json_object_set_new(m, "prev", json_string(link));
	}
	if (r->page < pages) {
		archive_link(r, r->page + 1, link, sizeof(link));
		json_object_set_new(m, "next", json_string(link));
	}
	if (r->category) {
		snprintf(link, sizeof(link), "/categoria/%s.atom", r->category);
		json_object_set_new(m, "feed_atom", json_string(link));
		snprintf(link, sizeof(link), "/categoria/%s.rss", r->category);
		json_object_set_new(m, "feed_rss", json_string(link));
		snprintf(link, sizeof(link), "/categoria/%s.json", r->category);
		json_object_set_new(m, "feed_json", json_string(link));
	} else {
		json_object_set_new(m, "feed_atom", json_string("/feed.atom"));
		json_object_set_new(m, "feed_rss", json_string("/feed.rss"));
		json_object_set_new(m, "feed_json", json_string("/feed.json"));
	}
	out->max_age = 60;
	return public_render(r, "archivio", m, out);
}

int public_page_message(const struct public_req *r, struct public_body *out)
{
	struct store_message msg;
	struct store_channel_post post;
	struct store *st;
	json_t *m;
	int rc;

	memset(&msg, 0, sizeof(msg));
	memset(&post, 0, sizeof(post));
	st = public_store_get(r->site);
	if (!st)
		return BANDITORE_ESTORE;
	rc = store_message_get(st, strtoll(r->path, NULL, 10), &msg);
	/* Where the WhatsApp Channel is posted by hand: when it was posted there. */
	if (!rc && r->cfg->wa_channel_manual && store_channel_post_get(st, msg.id, &post))
		post.posted_at = 0;
	public_store_put(r->site, st, rc != 0 && rc != BANDITORE_ENOTFOUND);
	if (rc)
		return rc;
	/* Drafts, approved, scheduled, sending and cancelled messages are not public. */
	if (msg.state != STORE_MSG_SENT && msg.state != STORE_MSG_PARTLY_FAILED) {
		store_message_clear(&msg);
		return BANDITORE_ENOTFOUND;
	}
	m = public_model_base(r, "messaggio", msg.title, msg.title);
	out->modified = msg.finished_at ? msg.finished_at : public_message_time(&msg);
	if (m) {
		json_t *item = message_model(r, &msg, 1);
		add_update_links(r, &msg, item, &out->modified);
		if (item && post.posted_at > 0) {
			char human[64], iso[40];
			date_of(post.posted_at, r->lang, human, sizeof(human), iso, sizeof(iso));
			json_object_set_new(item, "channel_posted", json_pack("{s:s, s:s}", "date", human, "iso", iso));
		}
		json_object_set_new(m, "message", item);
	}
	store_message_clear(&msg);
	out->max_age = 300;
	return public_render(r, "messaggio", m, out);
}

int public_page_error(const struct public_req *r, int status, struct public_body *out)
{
	json_t *m = public_model_base(r, "errore", "Pagina non trovata", "Page not found");

	buf_reset(&out->body);
	out->status = status;
	out->max_age = 60;
	out->type = "text/html; charset=utf-8";
	return public_render(r, "errore", m, out);
}
