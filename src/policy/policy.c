/*
 * policy.c - the check of one message against the comune's policy: categories, service
 * hours, electoral periods, content and personal data, links, attachments, frequency and
 * the disclaimer, each verdict with its rule, source and reasons.
 *
 * The detectors (content.c) only say what a text contains and where; the level of each
 * finding (block, warn or nothing) and its source come from the configuration, here.
 * The order of the checks is fixed so that the editor reads the verdicts in the order of
 * the form: what the message is, when it goes, what it says, what it links and carries.
 */
#include "policy/policy.h"

#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[] = { "off", "info", "warn", "block" };

const char *policy_level_name(enum policy_level level)
{
	return (unsigned)level < 4 ? level_names[level] : "off";
}

int policy_level_from_name(const char *name)
{
	for (int i = 0; name && i < 4; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -1;
}

static const char *const role_names[] = { "responsabile", "gestore", "delegato" };

const char *policy_role_name(enum policy_role role)
{
	for (int i = 0; i < 3; i++)
		if ((int)role == 1 << i)
			return role_names[i];
	return NULL;
}

int policy_role_from_name(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (!strcmp(name, role_names[i]))
			return 1 << i;
	return -1;
}

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->national_holidays = 1;
	p->electoral_names = POLICY_BLOCK;
	p->electoral_political = POLICY_BLOCK;
	for (int k = 0; k < POLICY_K_COUNT; k++)
		p->content_level[k] = POLICY_WARN;
	p->content_level[POLICY_K_NAME] = POLICY_OFF; /* a name matters in electoral periods */
	p->content_level[POLICY_K_CODICE_FISCALE] = POLICY_BLOCK;
	p->content_level[POLICY_K_IBAN] = POLICY_BLOCK;
	p->content_level[POLICY_K_PHONE] = POLICY_BLOCK;
	p->content_level[POLICY_K_EMAIL] = POLICY_BLOCK;
	p->content_level[POLICY_K_HEALTH] = POLICY_BLOCK;
	p->content_level[POLICY_K_JUDICIAL] = POLICY_BLOCK;
	p->content_level[POLICY_K_INSECURE_LINK] = POLICY_BLOCK;
	p->external_links = POLICY_OFF;
	p->frequency_level = POLICY_BLOCK;
	p->attachment_max = 16 * 1024 * 1024;
	p->attachment_gps = POLICY_WARN;
}

void policy_clear(struct policy *p)
{
	if (!p)
		return;
	policy_lexicon_free(p->lexicon);
	p->lexicon = NULL;
}

const struct policy_category *policy_category_find(const struct policy *p, const char *id)
{
	for (int i = 0; id && i < p->n_categories; i++)
		if (!strcmp(p->categories[i].id, id))
			return &p->categories[i];
	return NULL;
}

/* ---- verdicts ---- */

struct check {
	const struct policy *p;
	const struct policy_message *m;
	struct policy_result *r;
};

static void source_of(const struct policy *p, const char *article, char *out, size_t cap)
{
	if (p->short_name[0] && article && article[0])
		snprintf(out, cap, "%s, %s", p->short_name, article);
	else
		snprintf(out, cap, "%s", p->short_name[0] ? p->short_name : article ? article : "");
}

/* Adds one verdict with its reasons already written. */
static void add_text(struct check *c, enum policy_level level, const char *rule, const char *article,
		     const char *field, size_t start, size_t len, const char *it, const char *en)
{
	struct policy_result *r = c->r;
	struct policy_verdict *v;

	if (level == POLICY_OFF)
		return;
	if (r->n_verdicts == POLICY_VERDICTS_MAX) {
		if (level >= POLICY_WARN)
			r->n_dropped++;
		return;
	}
	v = &r->verdicts[r->n_verdicts++];
	memset(v, 0, sizeof(*v));
	v->level = level;
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	source_of(c->p, article, v->source, sizeof(v->source));
	snprintf(v->field, sizeof(v->field), "%s", field ? field : "");
	v->start = start;
	v->len = len;
	snprintf(v->reason, sizeof(v->reason), "%s", it);
	snprintf(v->reason_en, sizeof(v->reason_en), "%s", en);
}

static void add(struct check *c, enum policy_level level, const char *rule, const char *article,
		const char *field, size_t start, size_t len, const char *it, const char *en, ...)
	__attribute__((format(printf, 8, 10)));

/* Adds one verdict; `it` and `en` are formats taking the same arguments. */
static void add(struct check *c, enum policy_level level, const char *rule, const char *article,
		const char *field, size_t start, size_t len, const char *it, const char *en, ...)
{
	char rit[POLICY_REASON_MAX], ren[POLICY_REASON_MAX];
	va_list ap;

	if (level == POLICY_OFF)
		return;
	va_start(ap, en);
	vsnprintf(rit, sizeof(rit), it, ap);
	va_end(ap);
	va_start(ap, en);
	vsnprintf(ren, sizeof(ren), en, ap);
	va_end(ap);
	add_text(c, level, rule, article, field, start, len, rit, ren);
}

static int blank(const char *s)
{
	if (!s)
		return 1;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* 1 when the editor overrode `rule` with a written reason. */
static int overridden(const struct policy_message *m, const char *rule)
{
	for (int i = 0; m->overrides && i < m->n_overrides; i++)
		if (m->overrides[i].rule && !strcmp(m->overrides[i].rule, rule) &&
		    !blank(m->overrides[i].reason))
			return 1;
	return 0;
}

/* "lunedì 2 marzo alle 9:00" / "Monday 2 March at 9:00", local time. */
static void when_words(int64_t t, int english, char *out, size_t cap)
{
	static const char *const wd_it[] = { "lunedì", "martedì", "mercoledì", "giovedì",
					     "venerdì", "sabato", "domenica" };
	static const char *const wd_en[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
					     "Friday", "Saturday", "Sunday" };
	static const char *const mo_it[] = { "gennaio", "febbraio", "marzo", "aprile", "maggio",
					     "giugno", "luglio", "agosto", "settembre", "ottobre",
					     "novembre", "dicembre" };
	static const char *const mo_en[] = { "January", "February", "March", "April", "May",
					     "June", "July", "August", "September", "October",
					     "November", "December" };
	struct policy_tm tm;

	policy_rome_local(t, &tm);
	if (english)
		snprintf(out, cap, "%s %d %s %d at %d:%02d", wd_en[tm.weekday], tm.day,
			 mo_en[tm.month - 1], tm.year, tm.hour, tm.min);
	else
		snprintf(out, cap, "%s %d %s %d alle %d:%02d", wd_it[tm.weekday], tm.day,
			 mo_it[tm.month - 1], tm.year, tm.hour, tm.min);
}

/* ---- the rules ---- */

/* Category: known, and the emergency priority only where the category allows it.
 * Returns 1 when the message counts as an emergency. */
static int check_category(struct check *c, const struct policy_category **catp)
{
	const struct policy *p = c->p;
	const struct policy_message *m = c->m;
	const char *art = p->article[POLICY_R_CATEGORY];
	const struct policy_category *cat = NULL;

	*catp = NULL;
	if (p->n_categories == 0)
		return m->emergency;
	cat = policy_category_find(p, m->category);
	*catp = cat;
	if (!cat) {
		char list[512] = "";
		size_t n = 0;
		for (int i = 0; i < p->n_categories && n + 1 < sizeof(list); i++) {
			int w = snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					 p->categories[i].id);
			n += w > 0 ? (size_t)w : 0;
		}
		add(c, POLICY_BLOCK, "category.unknown", art, "category", 0, 0,
		    "la categoria '%.64s' non è tra quelle previste dalla policy per questo canale (%s)",
		    "the category '%.64s' is not one the policy provides for this channel (%s)",
		    m->category ? m->category : "", list);
		return 0;
	}
	if (m->emergency && !cat->emergency) {
		add(c, POLICY_WARN, "category.not_allowed", art, "priority", 0, 0,
		    "la priorità di emergenza (invio immediato, anche fuori orario) non è prevista per la categoria «%s»",
		    "the emergency priority (sent at once, even outside hours) is not provided for the category \"%s\"",
		    cat->label[0] ? cat->label : cat->id);
		return overridden(m, "category.not_allowed");
	}
	return cat->emergency || m->emergency;
}

static void check_hours(struct check *c, int emergency, int64_t now)
{
	const struct policy *p = c->p;
	int64_t base = c->m->requested_at > now ? c->m->requested_at : now, next;
	char hours_it[POLICY_HOURS_TEXT_MAX], hours_en[POLICY_HOURS_TEXT_MAX];
	char when_it[96], when_en[96];

	c->r->send_at = base;
	if (emergency || p->n_intervals == 0)
		return;
	next = policy_hours_next_open(p, base);
	if (next == base)
		return;
	c->r->send_at = next;
	policy_hours_describe(p, 0, hours_it, sizeof(hours_it));
	policy_hours_describe(p, 1, hours_en, sizeof(hours_en));
	when_words(next, 0, when_it, sizeof(when_it));
	when_words(next, 1, when_en, sizeof(when_en));
	{
		char it[POLICY_HOURS_TEXT_MAX + 256], en[POLICY_HOURS_TEXT_MAX + 256];
		snprintf(it, sizeof(it), "fuori dall'orario del servizio (%s, festivi esclusi): partirà "
			 "all'apertura, %s", hours_it, when_it);
		snprintf(en, sizeof(en), "outside the service hours (%s, holidays excluded): it will go "
			 "out at the opening, %s", hours_en, when_en);
		add_text(c, POLICY_INFO, "hours.outside", p->article[POLICY_R_HOURS], "scheduled_at", 0, 0, it, en);
	}
}

/* The electoral period the send time falls in, or NULL. */
static const struct policy_period *electoral_period(const struct policy *p, int64_t t)
{
	struct policy_tm tm;
	long today;

	policy_rome_local(t, &tm);
	today = tm.year * 10000L + tm.month * 100L + tm.day;
	for (int i = 0; i < p->n_periods; i++) {
		const struct policy_period *e = &p->periods[i];
		long a = e->first.year * 10000L + e->first.month * 100L + e->first.day;
		long b = e->last.year * 10000L + e->last.month * 100L + e->last.day;
		if (today >= a && today <= b)
			return e;
	}
	return NULL;
}

static void check_electoral(struct check *c, const struct policy_period *period,
			    const struct policy_category *cat)
{
	const struct policy *p = c->p;
	const char *art = p->article[POLICY_R_ELECTORAL];
	char range[64];

	if (!period)
		return;
	snprintf(range, sizeof(range), "%02d/%02d/%04d-%02d/%02d/%04d", period->first.day,
		 period->first.month, period->first.year, period->last.day, period->last.month,
		 period->last.year);
	if (cat && !cat->electoral) {
		add(c, POLICY_BLOCK, "electoral.category", art, "category", 0, 0,
		    "periodo elettorale (%s%s%s): la categoria «%s» non è tra le comunicazioni ammesse, "
		    "solo quelle impersonali e indispensabili (legge 28/2000 art. 9)",
		    "electoral period (%s%s%s): the category \"%s\" is not an allowed communication; "
		    "only impersonal, indispensable ones are (law 28/2000 art. 9)",
		    period->label, period->label[0] ? ", " : "", range, cat->label[0] ? cat->label : cat->id);
		return;
	}
	if (blank(c->m->justification))
		add(c, POLICY_BLOCK, "electoral.justification", art, "justification", 0, 0,
		    "periodo elettorale (%s%s%s): serve una motivazione scritta del perché la "
		    "comunicazione è indispensabile (legge 28/2000 art. 9)",
		    "electoral period (%s%s%s): a written justification of why the communication is "
		    "indispensable is required (law 28/2000 art. 9)",
		    period->label, period->label[0] ? ", " : "", range);
}

/* The words of each content kind: what was found, and what to do. */
static void content_reason(enum policy_kind kind, const char *detail, char *it, char *en, size_t cap)
{
	const char *d = detail && *detail ? detail : "";
	switch (kind) {
	case POLICY_K_PROPAGANDA:
		snprintf(it, cap, "propaganda elettorale («%s»): il canale non può essere usato per propaganda", d);
		snprintf(en, cap, "electoral propaganda (\"%s\"): the channel must not be used for propaganda", d);
		break;
	case POLICY_K_POLITICAL:
		snprintf(it, cap, "contenuto politico («%s»): il canale non può essere usato per scopi politici", d);
		snprintf(en, cap, "political content (\"%s\"): the channel must not be used for political purposes", d);
		break;
	case POLICY_K_ADVERTISING:
		snprintf(it, cap, "pubblicità commerciale («%s»): il canale non può essere usato per scopi pubblicitari", d);
		snprintf(en, cap, "commercial advertising (\"%s\"): the channel must not be used for advertising", d);
		break;
	case POLICY_K_OBSCENE:
		snprintf(it, cap, "linguaggio osceno o volgare («%s»)", d);
		snprintf(en, cap, "obscene or vulgar language (\"%s\")", d);
		break;
	case POLICY_K_BLASPHEMY:
		snprintf(it, cap, "bestemmia o turpiloquio («%s»)", d);
		snprintf(en, cap, "blasphemy or foul language (\"%s\")", d);
		break;
	case POLICY_K_DEFAMATORY:
		snprintf(it, cap, "espressione diffamatoria o lesiva della dignità personale («%s»)", d);
		snprintf(en, cap, "defamatory expression, or one that harms personal dignity (\"%s\")", d);
		break;
	case POLICY_K_DISCRIMINATORY:
		snprintf(it, cap, "espressione discriminatoria («%s»), contraria all'art. 3 della Costituzione", d);
		snprintf(en, cap, "discriminatory expression (\"%s\"), against art. 3 of the Constitution", d);
		break;
	case POLICY_K_HEALTH:
		snprintf(it, cap, "dato sulla salute di una persona («%s»): è un dato particolare "
			 "(GDPR art. 9) e non si diffonde", d);
		snprintf(en, cap, "a person's health data (\"%s\"): special category data (GDPR art. 9), "
			 "never published", d);
		break;
	case POLICY_K_JUDICIAL:
		snprintf(it, cap, "dato giudiziario («%s»): condanne e reati (GDPR art. 10) non si diffondono", d);
		snprintf(en, cap, "judicial data (\"%s\"): convictions and offences (GDPR art. 10) are never published", d);
		break;
	case POLICY_K_SHORTENER:
		snprintf(it, cap, "collegamento attraverso un accorciatore di indirizzi (%s): chi lo riceve non "
			 "vede dove porta; usare l'indirizzo completo", d);
		snprintf(en, cap, "a link through a URL shortener (%s): whoever receives it cannot see where it "
			 "leads; use the full address", d);
		break;
	case POLICY_K_NAME:
		snprintf(it, cap, "il messaggio nomina %s: in periodo elettorale la comunicazione deve essere "
			 "impersonale (legge 28/2000 art. 9)", *d ? d : "una persona dell'amministrazione o un candidato");
		snprintf(en, cap, "the message names %s: in an electoral period communication must be "
			 "impersonal (law 28/2000 art. 9)", *d ? d : "a member of the administration or a candidate");
		break;
	case POLICY_K_CODICE_FISCALE:
		snprintf(it, cap, "codice fiscale di una persona: è un dato personale e non si pubblica");
		snprintf(en, cap, "a person's tax code (codice fiscale): personal data, never published");
		break;
	case POLICY_K_IBAN:
		snprintf(it, cap, "IBAN: un conto corrente non si pubblica in un messaggio (se è del Comune, "
			 "rimandare alla pagina del sito)");
		snprintf(en, cap, "IBAN: a bank account is never published in a message (if it is the "
			 "comune's, link to the website's page)");
		break;
	case POLICY_K_PHONE:
		snprintf(it, cap, "numero di telefono che non è tra quelli del Comune: un numero privato non si pubblica");
		snprintf(en, cap, "a telephone number that is not one of the comune's: a private number is never published");
		break;
	case POLICY_K_EMAIL:
		snprintf(it, cap, "indirizzo e-mail che non è tra quelli del Comune: un indirizzo privato non si pubblica");
		snprintf(en, cap, "an e-mail address that is not one of the comune's: a private address is never published");
		break;
	case POLICY_K_INSECURE_LINK:
		snprintf(it, cap, "collegamento non sicuro (%s): usare un indirizzo https://", *d ? d : "http://");
		snprintf(en, cap, "insecure link (%s): use an https:// address", *d ? d : "http://");
		break;
	case POLICY_K_LINK_MISMATCH:
		snprintf(it, cap, "il collegamento mostra un indirizzo ma porta altrove (%s): possibile frode", d);
		snprintf(en, cap, "the link shows one address but leads elsewhere (%s): possible fraud", d);
		break;
	default:
		snprintf(it, cap, "contenuto non ammesso");
		snprintf(en, cap, "content not allowed");
		break;
	}
}

/* The level and source article of a finding of `kind`, in or out of an electoral period. */
static enum policy_level content_level(const struct policy *p, enum policy_kind kind, int in_period,
				       const char **article)
{
	enum policy_level level = p->content_level[kind];

	*article = p->content_article[kind];
	if (!in_period)
		return level;
	if (kind == POLICY_K_NAME) {
		*article = p->article[POLICY_R_ELECTORAL];
		return p->electoral_names;
	}
	if ((kind == POLICY_K_POLITICAL || kind == POLICY_K_PROPAGANDA) && p->electoral_political > level) {
		*article = p->article[POLICY_R_ELECTORAL];
		return p->electoral_political;
	}
	return level;
}

static void scan_field(struct check *c, const struct policy_content_rules *rules, const char *field,
		       const char *text, int in_period, int skip_insecure)
{
	struct policy_finding found[POLICY_FINDINGS_MAX];
	int count = 0;

	if (!text || !*text)
		return;
	if (policy_content_scan(rules, text, strlen(text), found, POLICY_FINDINGS_MAX, &count) != 0)
		return;
	if (count > POLICY_FINDINGS_MAX)
		count = POLICY_FINDINGS_MAX;
	for (int i = 0; i < count; i++) {
		const char *art, *name = policy_kind_name(found[i].kind);
		enum policy_level level;
		char rule[POLICY_RULE_MAX], it[POLICY_REASON_MAX], en[POLICY_REASON_MAX];
		if (!name || (skip_insecure && found[i].kind == POLICY_K_INSECURE_LINK))
			continue;
		level = content_level(c->p, found[i].kind, in_period, &art);
		snprintf(rule, sizeof(rule), "content.%s", name);
		content_reason(found[i].kind, found[i].detail, it, en, sizeof(it));
		add_text(c, level, rule, art, field, found[i].start, found[i].len, it, en);
	}
}

/* The host of an http(s) URL into out (lower case); 0, or -1 when it has none. */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *h, *end;
	size_t n;

	if (!strncasecmp(url, "https://", 8))
		h = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		h = url + 7;
	else
		return -1;
	end = h + strcspn(h, "/?#");
	/* userinfo@host:port */
	for (const char *at = h; at < end; at++)
		if (*at == '@')
			h = at + 1;
	n = (size_t)(end - h);
	for (size_t i = 0; i < n; i++)
		if (h[i] == ':')
			n = i;
	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
	out[n] = '\0';
	return 0;
}

/* 1 when `host` is `domain` or one of its subdomains. */
static int host_in(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);

	if (h == d)
		return !strcasecmp(host, domain);
	return h > d && host[h - d - 1] == '.' && !strcasecmp(host + h - d, domain);
}

static void check_link(struct check *c)
{
	const struct policy *p = c->p;
	const char *link = c->m->link;
	char host[256];
	int official = 0;

	if (!link || !*link)
		return;
	if (strncasecmp(link, "https://", 8) && !(p->allow_http && !strncasecmp(link, "http://", 7))) {
		const char *colon = strstr(link, "://");
		size_t n = colon ? (size_t)(colon - link) + 3 : strlen(link);
		char it[POLICY_REASON_MAX], en[POLICY_REASON_MAX];
		char scheme[16];
		snprintf(scheme, sizeof(scheme), "%.*s", (int)(n < 15 ? n : 15), link);
		content_reason(POLICY_K_INSECURE_LINK, scheme, it, en, sizeof(it));
		add_text(c, p->content_level[POLICY_K_INSECURE_LINK], "content.insecure_link",
			 p->content_article[POLICY_K_INSECURE_LINK], "link", 0, n, it, en);
	}
	if (p->external_links == POLICY_OFF || p->n_official_domains == 0 ||
	    url_host(link, host, sizeof(host)) != 0)
		return;
	for (int i = 0; i < p->n_official_domains; i++)
		official |= host_in(host, p->official_domains[i]);
	if (!official)
		add(c, p->external_links, "links.external", p->article[POLICY_R_LINKS], "link", 0, strlen(link),
		    "il collegamento porta a %s, che non è un sito del Comune: verificare che sia una fonte "
		    "ufficiale", "the link leads to %s, which is not one of the comune's sites: check that it "
		    "is an official source", host);
}

static int type_allowed(const struct policy *p, const char *mime)
{
	if (p->n_attachment_types == 0)
		return 1;
	for (int i = 0; mime && i < p->n_attachment_types; i++) {
		const char *t = p->attachment_types[i];
		size_t n = strlen(t);
		if (n >= 2 && t[n - 1] == '*' && t[n - 2] == '/') {
			if (!strncasecmp(mime, t, n - 1))
				return 1;
		} else if (!strcasecmp(mime, t)) {
			return 1;
		}
	}
	return 0;
}

static void check_attachments(struct check *c)
{
	const struct policy *p = c->p;
	const char *art = p->article[POLICY_R_ATTACHMENT];

	for (int i = 0; c->m->attachments && i < c->m->n_attachments; i++) {
		const struct policy_attachment *a = &c->m->attachments[i];
		const char *name = a->name ? a->name : "";
		const char *mime = a->mime ? a->mime : "";
		if (a->executable)
			add(c, POLICY_BLOCK, "attachment.executable", art, "attachment", 0, 0,
			    "l'allegato «%.80s» è un programma eseguibile o uno script: non si inviano programmi",
			    "the attachment \"%.80s\" is an executable or a script: programs are never sent", name);
		if (a->macros)
			add(c, POLICY_BLOCK, "attachment.macros", art, "attachment", 0, 0,
			    "l'allegato «%.80s» è un documento con macro: inviarlo come PDF",
			    "the attachment \"%.80s\" is a document with macros: send it as a PDF", name);
		if (!a->executable && !type_allowed(p, mime))
			add(c, POLICY_BLOCK, "attachment.type", art, "attachment", 0, 0,
			    "l'allegato «%.80s» è di un tipo non ammesso (%.60s)",
			    "the attachment \"%.80s\" is of a type that is not allowed (%.60s)", name, mime);
		if (p->attachment_max > 0 && a->size > p->attachment_max)
			add(c, POLICY_BLOCK, "attachment.size", art, "attachment", 0, 0,
			    "l'allegato «%.80s» è di %lld byte, il massimo è %lld",
			    "the attachment \"%.80s\" is %lld bytes, at most %lld are allowed", name,
			    (long long)a->size, (long long)p->attachment_max);
		if (a->gps)
			add(c, p->attachment_gps, "attachment.gps", art, "attachment", 0, 0,
			    "l'immagine «%.80s» contiene la posizione GPS in cui è stata scattata: toglierla prima di inviarla",
			    "the image \"%.80s\" holds the GPS position where it was taken: remove it before sending", name);
	}
}

static void check_frequency(struct check *c, const struct policy_history *h)
{
	const struct policy *p = c->p;
	const char *art = p->article[POLICY_R_FREQUENCY];
	int64_t day, week;
	int n_day = 0, n_week = 0;

	if ((p->per_day <= 0 && p->per_week <= 0) || !h || !h->sent_at)
		return;
	day = policy_rome_day(c->r->send_at);
	week = day - (((day + 3) % 7 + 7) % 7); /* the Monday of its week */
	for (int i = 0; i < h->n; i++) {
		int64_t d = policy_rome_day(h->sent_at[i]);
		n_day += d == day;
		n_week += d >= week && d < week + 7;
	}
	if (p->per_day > 0 && n_day >= p->per_day)
		add(c, p->frequency_level, "frequency.day", art, "scheduled_at", 0, 0,
		    "il piano editoriale prevede al massimo %d messaggi al giorno e in quel giorno ne partono già %d "
		    "(le emergenze non contano)",
		    "the editorial plan allows at most %d messages a day and %d already go out that day "
		    "(emergencies do not count)", p->per_day, n_day);
	if (p->per_week > 0 && n_week >= p->per_week)
		add(c, p->frequency_level, "frequency.week", art, "scheduled_at", 0, 0,
		    "il piano editoriale prevede al massimo %d messaggi alla settimana e in quella settimana ne "
		    "partono già %d (le emergenze non contano)",
		    "the editorial plan allows at most %d messages a week and %d already go out that week "
		    "(emergencies do not count)", p->per_week, n_week);
}

static void check_disclaimer(struct check *c)
{
	const struct policy *p = c->p;
	const char *link = c->m->link;

	if (!p->disclaimer[0] || (p->disclaimer_link_only && (!link || !*link)))
		return;
	if (c->m->text && strstr(c->m->text, p->disclaimer))
		return; /* already there */
	snprintf(c->r->disclaimer, sizeof(c->r->disclaimer), "%s", p->disclaimer);
	add(c, POLICY_INFO, "links.disclaimer", p->article[POLICY_R_DISCLAIMER], "text", 0, 0,
	    "in fondo al messaggio si aggiunge l'avvertenza: «%.200s»",
	    "the notice is appended to the message: \"%.200s\"", p->disclaimer);
}

int policy_check(const struct policy *p, const struct policy_message *m,
		 const struct policy_history *history, int64_t now, struct policy_result *out)
{
	const char *phones[POLICY_OFFICIAL_MAX], *emails[POLICY_OFFICIAL_MAX], *domains[POLICY_OFFICIAL_MAX];
	struct policy_content_rules rules;
	const struct policy_category *cat = NULL;
	const struct policy_period *period;
	struct check c;
	int emergency, blocked = 0;

	if (!p || !m || !out)
		return BANDITORE_EINVAL;
	memset(out, 0, offsetof(struct policy_result, verdicts));
	out->disclaimer[0] = '\0';
	c.p = p;
	c.m = m;
	c.r = out;

	emergency = check_category(&c, &cat);
	check_hours(&c, emergency, now);
	period = electoral_period(p, out->send_at);
	check_electoral(&c, period, cat);

	memset(&rules, 0, sizeof(rules));
	for (int i = 0; i < p->n_official_phones && i < POLICY_OFFICIAL_MAX; i++)
		phones[i] = p->official_phones[i];
	for (int i = 0; i < p->n_official_emails && i < POLICY_OFFICIAL_MAX; i++)
		emails[i] = p->official_emails[i];
	for (int i = 0; i < p->n_official_domains && i < POLICY_OFFICIAL_MAX; i++)
		domains[i] = p->official_domains[i];
	rules.lexicon = p->lexicon;
	rules.official_phones = phones;
	rules.n_official_phones = p->n_official_phones;
	rules.official_emails = emails;
	rules.n_official_emails = p->n_official_emails;
	rules.official_domains = domains;
	rules.n_official_domains = p->n_official_domains;
	rules.allow_http = p->allow_http;
	scan_field(&c, &rules, "title", m->title, period != NULL, 0);
	scan_field(&c, &rules, "text", m->text, period != NULL, 0);
	scan_field(&c, &rules, "link", m->link, period != NULL, 1);
	check_link(&c);
	check_attachments(&c);
	if (!emergency)
		check_frequency(&c, history);
	check_disclaimer(&c);

	for (int i = 0; i < out->n_verdicts; i++) {
		struct policy_verdict *v = &out->verdicts[i];
		if (v->level == POLICY_WARN && overridden(m, v->rule))
			v->overridden = 1;
		if (v->level == POLICY_BLOCK || (v->level == POLICY_WARN && !v->overridden))
			blocked = 1;
	}
	out->allowed = !blocked && out->n_dropped == 0;
	return 0;
}
