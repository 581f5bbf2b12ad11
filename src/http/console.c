/*
 * console.c - the console's door: routes, the session check of every page, the
 * language, the layout's model, answers (pages, redirects, raw bodies) and the forms.
 *
 * Nothing here decides who may do what: the session and every change go through the
 * JSON API in-process (api_call), whose checks answer 401/403 before anything changes.
 */
#include "http/console_internal.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_MAX (2 * 1024 * 1024)
#define LANG_COOKIE "banditore_lang"

int console_new(const struct http_ctx *ctx, struct api *api, struct public_site *pub,
		struct console **out)
{
	struct console *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return BANDITORE_ENOMEM;
	c->ctx = ctx;
	c->api = api;
	c->pub = pub;
	*out = c;
	return 0;
}

void console_free(struct console *c)
{
	free(c);
}

int console_en(const struct console_req *r)
{
	return !strcmp(r->lang, "en");
}

/* ------------------------------------------------------------------ answers */

static void common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; style-src 'self'; "
				"script-src 'self'; frame-ancestors 'none'; form-action 'self'");
}

enum MHD_Result console_raw(struct console_req *r, unsigned int status, const char *type,
			    const char *data, size_t len, const char *h, const char *v)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char cookie[96];

	resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	common_headers(resp);
	if (h && v)
		MHD_add_response_header(resp, h, v);
	if (r->set_lang) {
		snprintf(cookie, sizeof(cookie), LANG_COOKIE "=%s; Path=/console; Max-Age=31536000; SameSite=Strict",
			 r->lang);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	}
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result console_redirect(struct console_req *r, const char *location, const char *cookie)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	common_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (cookie && *cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	ret = MHD_queue_response(r->conn, 303, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result console_page(struct console_req *r, unsigned int status, const char *tpl,
			     json_t *model)
{
	struct buf out;
	enum MHD_Result ret;
	int rc;

	if (!model)
		return console_raw(r, 500, "text/plain; charset=utf-8", "errore interno\n", 15, NULL, NULL);
	buf_init(&out, PAGE_MAX);
	rc = tpl_render(public_templates(r->c->pub), tpl, model, r->lang, &out);
	json_decref(model);
	if (rc) {
		log_error("console-failed", "step=render template=%s error=\"%s\"", tpl,
			  banditore_strerror(rc));
		buf_free(&out);
		return console_raw(r, 500, "text/plain; charset=utf-8", "errore interno\n", 15, NULL, NULL);
	}
	ret = console_raw(r, status, "text/html; charset=utf-8", buf_cstr(&out), out.len, NULL, NULL);
	buf_free(&out);
	return ret;
}

enum MHD_Result console_error(struct console_req *r, unsigned int status, const char *it,
			      const char *en)
{
	json_t *m = console_model(r, "errore", status == 403 ? "Accesso negato" : "Errore",
				  status == 403 ? "Access denied" : "Error");
	if (m) {
		json_object_set_new(m, "status", json_integer(status));
		json_object_set_new(m, "message", json_string(console_en(r) ? en : it));
		json_object_set_new(m, "forbidden", json_boolean(status == 403));
	}
	return console_page(r, status, "console_errore", m);
}

enum MHD_Result console_forbidden(struct console_req *r)
{
	return console_error(r, 403,
			     "Il suo ruolo non permette di aprire questa pagina o di fare questa azione.",
			     "Your role does not allow this page or this action.");
}

/* ------------------------------------------------------------------ forms */

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes application/x-www-form-urlencoded `in` (n bytes) into out[cap]. */
static void decode(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (in[i] == '+') {
			out[o++] = ' ';
		} else if (in[i] == '%' && i + 2 < n && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
			out[o++] = (char)(hex(in[i + 1]) * 16 + hex(in[i + 2]));
			i += 2;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

int console_field(const struct console_req *r, const char *name, char *out, size_t cap)
{
	const char *p = r->body, *end = r->body ? r->body + r->len : NULL;
	size_t nlen = strlen(name);

	out[0] = '\0';
	if (!p)
		return 0;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		char key[128];

		if (eq) {
			decode(p, (size_t)(eq - p), key, sizeof(key));
			if (strlen(key) == nlen && !strcmp(key, name)) {
				decode(eq + 1, (size_t)(stop - eq - 1), out, cap);
				return 1;
			}
		}
		p = stop + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ the API */

int console_api(struct console_req *r, const char *method, const char *url, json_t *body,
		struct api_result *out)
{
	char csrf[80], *text = NULL;
	int rc;

	(void)console_field(r, "csrf_token", csrf, sizeof(csrf));
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!text) {
			memset(out, 0, sizeof(*out));
			return BANDITORE_ENOMEM;
		}
	}
	rc = api_call(r->c->api, r->conn, method, url, text, csrf, out);
	free(text);
	return rc;
}

const char *console_api_message(const struct console_req *r, const struct api_result *res)
{
	json_t *v = json_object_get(res->body, console_en(r) ? "message_en" : "message");
	return json_is_string(v) ? json_string_value(v) : "";
}

static const char *str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

enum MHD_Result console_refused(struct console_req *r, const struct api_result *res)
{
	const char *code = json_string_value(json_object_get(res->body, "error"));
	char it[320], en[320];

	if (res->status == 401)
		return console_redirect(r, console_en(r) ? "/console/accesso?lang=en&scaduta=1"
							 : "/console/accesso?scaduta=1", NULL);
	if (res->status == 403 && code && !strcmp(code, "csrf"))
		return console_error(r, 403,
				     "Il modulo non porta il codice di sicurezza (CSRF) di questa sessione: "
				     "nessuna modifica è stata fatta. Ricarichi la pagina e riprovi.",
				     "The form does not carry this session's security code (CSRF): nothing "
				     "was changed. Reload the page and try again.");
	if (res->status == 403 && code && !strcmp(code, "forbidden"))
		return console_forbidden(r);
	snprintf(it, sizeof(it), "Operazione non riuscita: %s.",
		 str_or(json_string_value(json_object_get(res->body, "message")), "errore"));
	snprintf(en, sizeof(en), "The operation failed: %s.",
		 str_or(json_string_value(json_object_get(res->body, "message_en")), "error"));
	return console_error(r, res->status ? res->status : 500, it, en);
}

int console_session(struct console_req *r, enum MHD_Result *ret)
{
	struct api_result res;

	if (console_api(r, "GET", "/api/v1/session", NULL, &res) || res.status != 200) {
		json_decref(res.body);
		*ret = console_redirect(r, console_en(r) ? "/console/accesso?lang=en&scaduta=1"
							     : "/console/accesso?scaduta=1", NULL);
		return 1;
	}
	r->me = res.body;
	r->name = json_string_value(json_object_get(r->me, "name"));
	r->role = json_string_value(json_object_get(r->me, "role"));
	r->csrf = json_string_value(json_object_get(r->me, "csrf_token"));
	return 0;
}

int console_csrf_ok(const struct console_req *r)
{
	char presented[80];

	if (!r->csrf || !console_field(r, "csrf_token", presented, sizeof(presented)) ||
	    strlen(presented) != strlen(r->csrf))
		return 0;
	return crypto_equal(presented, r->csrf, strlen(presented));
}

int console_may(const struct console_req *r, const char *action)
{
	json_t *perms = json_object_get(r->me, "permissions"), *p;
	size_t i;

	json_array_foreach(perms, i, p)
		if (json_is_string(p) && !strcmp(json_string_value(p), action))
			return 1;
	return 0;
}

struct store *console_store(struct console_req *r)
{
	return public_store_get(r->c->pub);
}

void console_store_put(struct console_req *r, struct store *st, int broken)
{
	public_store_put(r->c->pub, st, broken);
}

void console_time(int64_t t, char *out, size_t cap)
{
	struct policy_tm tm;

	if (t <= 0) {
		snprintf(out, cap, "%s", "");
		return;
	}
	policy_rome_local(t, &tm);
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", tm.year, tm.month, tm.day, tm.hour, tm.min);
}

const char *console_state_label(const struct console_req *r, int state)
{
	static const char *const it[] = { "bozza", "approvato", "programmato", "in invio", "inviato",
					  "inviato in parte", "annullato", "scaduto" };
	static const char *const en[] = { "draft", "approved", "scheduled", "sending", "sent",
					  "partly sent", "cancelled", "expired" };

	if (state < 0 || state > 7)
		return "?";
	return console_en(r) ? en[state] : it[state];
}

/* ------------------------------------------------------------------ layout */

static const char *role_label(const struct console_req *r, const char *role)
{
	static const struct { const char *id, *it, *en; } roles[] = {
		{ "responsabile", "Responsabile", "Responsible (mayor)" },
		{ "gestore", "Gestore", "Manager" },
		{ "delegato", "Delegato", "Delegate" },
		{ "proponente", "Proponente", "Proposer" },
	};
	for (size_t i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(role, roles[i].id))
			return console_en(r) ? roles[i].en : roles[i].it;
	return role ? role : "";
}

json_t *console_model(const struct console_req *r, const char *page_id, const char *title_it,
		      const char *title_en)
{
	static const struct { const char *id, *path, *action, *it, *en; } items[] = {
		{ "cruscotto", "/console", NULL, "Cruscotto", "Dashboard" },
		{ "scrivi", "/console/scrivi", "propose", "Scrivi", "Compose" },
		{ "approvazioni", "/console/approvazioni", "approve", "Approvazioni", "Approvals" },
		{ "messaggi", "/console/messaggi", NULL, "Messaggi", "Messages" },
		{ "iscritti", "/console/iscritti", "see_subscribers", "Iscritti", "Subscribers" },
		{ "staff", "/console/staff", "manage_staff", "Staff", "Staff" },
		{ "registro", "/console/registro", "read_audit", "Registro", "Audit log" },
		{ "ricevuti", "/console/messaggi-ricevuti", "inbox", "Messaggi ricevuti", "Received messages" },
		{ "canale", "/console/canale-whatsapp", "channel_post", "Canale WhatsApp", "WhatsApp Channel" },
		{ "sicurezza", "/console/sicurezza", "own_totp", "Sicurezza", "Security" },
		{ "sportello", "/console/sportello", "enroll", "Sportello", "Front desk" },
		{ "richieste", "/console/richieste", "moderate", "Richieste di iscrizione", "Join requests" },
	};
	const struct config *cfg = r->c->ctx->cfg;
	int en = console_en(r);
	json_t *m, *nav;

	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "lang", r->lang, "other_lang",
		      en ? "it" : "en", "other_lang_label", en ? "Italiano" : "English", "other_q",
		      en ? "?lang=it" : "?lang=en", "page_id", page_id, "title", en ? title_en : title_it,
		      "comune", cfg->comune_name, "channel", cfg->channel_name, "static",
		      public_static_prefix(r->c->pub), "en", en);
	if (!m)
		return NULL;
	if (r->me) {
		json_object_set_new(m, "me", json_pack("{s:s, s:s}", "name", r->name ? r->name : "",
						       "role", role_label(r, r->role)));
		json_object_set_new(m, "csrf", json_string(r->csrf ? r->csrf : ""));
		nav = json_array();
		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			if (items[i].action && !console_may(r, items[i].action))
				continue;
			/* private messages are kept only in keep-until-answered mode */
			if (!strcmp(items[i].id, "ricevuti") &&
			    cfg->inbound_mode != CONFIG_INBOUND_KEEP_UNTIL_ANSWERED)
				continue;
			/* the front desk and the join queue only where the channel has them */
			if ((!strcmp(items[i].id, "sportello") && !cfg->assisted_enrollment) ||
			    (!strcmp(items[i].id, "richieste") && !cfg->moderate_joins))
				continue;
			/* posting tasks exist only where the Channel is posted by hand */
			if (!strcmp(items[i].id, "canale") && !cfg->wa_channel_manual)
				continue;
			json_array_append_new(nav, json_pack("{s:s,s:s,s:b}", "href", items[i].path,
							     "label", en ? items[i].en : items[i].it,
							     "current", !strcmp(items[i].id, page_id)));
		}
		json_object_set_new(m, "nav", nav);
	}
	return m;
}

/* ------------------------------------------------------------------ routes */

static const char *pick_lang(struct console_req *r)
{
	const char *q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "lang");
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, LANG_COOKIE);

	if (q && (!strcmp(q, "it") || !strcmp(q, "en"))) {
		r->set_lang = 1;
		return !strcmp(q, "en") ? "en" : "it";
	}
	if (cookie && (!strcmp(cookie, "it") || !strcmp(cookie, "en")))
		return !strcmp(cookie, "en") ? "en" : "it";
	return tpl_pick_lang(NULL, MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
}

/* "/messaggi/ID/what" → id and what; 0 when not that shape. */
static long long parse_action(const char *p, const char *prefix, char *what, size_t cap)
{
	size_t n = strlen(prefix);
	long long id = 0;
	int digits = 0;

	if (strncmp(p, prefix, n))
		return 0;
	p += n;
	while (*p >= '0' && *p <= '9' && digits < 18) {
		id = id * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits || *p != '/' || strlen(p + 1) >= cap)
		return 0;
	snprintf(what, cap, "%s", p + 1);
	return id;
}

static enum MHD_Result route(struct console_req *r, const char *path, int is_post)
{
	enum MHD_Result ret;
	char what[64], name[64];
	long long id;

	if (!strcmp(path, "/accesso"))
		return is_post ? console_login_post(r) : console_login_page(r);
	if (console_session(r, &ret))
		return ret;
	if (!strcmp(path, "") || !strcmp(path, "/"))
		return console_dashboard(r);
	if (!strcmp(path, "/eventi"))
		return console_events(r);
	if (!strcmp(path, "/esci") && is_post)
		return console_logout(r);
	if (!strcmp(path, "/scrivi"))
		return is_post ? console_compose_post(r) : console_compose_page(r);
	if (!strcmp(path, "/approvazioni"))
		return console_approvals(r);
	if (!strcmp(path, "/messaggi"))
		return console_messages(r);
	if (is_post && (id = parse_action(path, "/messaggi/", what, sizeof(what))) > 0 &&
	    (!strcmp(what, "approva") || !strcmp(what, "respingi") || !strcmp(what, "annulla")))
		return console_message_act(r, id, what);
	if (!strcmp(path, "/iscritti") && !is_post)
		return console_subscribers(r);
	if (is_post && (!strcmp(path, "/iscritti/mostra") || !strcmp(path, "/iscritti/esporta") ||
			!strcmp(path, "/iscritti/rimuovi") || !strcmp(path, "/iscritti/diffida") ||
			!strcmp(path, "/iscritti/estromissione")))
		return console_subscribers_post(r, path + 10);
	if (!strcmp(path, "/staff"))
		return is_post ? console_staff_create(r) : console_staff(r);
	if (is_post && !strncmp(path, "/staff/", 7)) {
		const char *slash = strchr(path + 7, '/');
		if (slash && !strcmp(slash, "/revoca") && (size_t)(slash - path - 7) < sizeof(name) &&
		    slash > path + 7) {
			snprintf(name, sizeof(name), "%.*s", (int)(slash - path - 7), path + 7);
			return console_staff_revoke(r, name);
		}
	}
	if (!strcmp(path, "/messaggi-ricevuti") && !is_post)
		return console_inbox(r);
	if (is_post && (id = parse_action(path, "/messaggi-ricevuti/", what, sizeof(what))) > 0 &&
	    (!strcmp(what, "rispondi") || !strcmp(what, "cancella")))
		return console_inbox_act(r, id, what);
	if (!strcmp(path, "/canale-whatsapp") && !is_post)
		return console_channel(r);
	if (is_post && (id = parse_action(path, "/canale-whatsapp/", what, sizeof(what))) > 0 &&
	    !strcmp(what, "pubblicato"))
		return console_channel_posted(r, id);
	if (!strcmp(path, "/sicurezza") && !is_post)
		return console_security(r);
	if (is_post && (!strcmp(path, "/sicurezza/nuovo") || !strcmp(path, "/sicurezza/conferma") ||
			!strcmp(path, "/sicurezza/disattiva")))
		return console_security_post(r, path + 11);
	if (!strcmp(path, "/sportello"))
		return is_post ? console_desk_post(r) : console_desk(r);
	if (!strcmp(path, "/modulo") && !is_post)
		return console_form(r);
	if (!strcmp(path, "/richieste") && !is_post)
		return console_joins(r);
	if (is_post && !strncmp(path, "/richieste/", 11)) {
		const char *slash = strchr(path + 11, '/');
		if (slash && slash > path + 11 && (size_t)(slash - path - 11) < sizeof(name) &&
		    (!strcmp(slash, "/approva") || !strcmp(slash, "/respingi"))) {
			snprintf(name, sizeof(name), "%.*s", (int)(slash - path - 11), path + 11);
			return console_joins_act(r, name, slash + 1);
		}
	}
	if (!strcmp(path, "/registro") && !is_post)
		return console_audit(r, 0);
	if (!strcmp(path, "/registro/verifica") && is_post)
		return console_audit(r, 1);
	return console_error(r, 404, "Pagina non trovata.", "Page not found.");
}

enum MHD_Result console_handle(struct console *c, struct MHD_Connection *conn, const char *method,
			       const char *url, const char *body, size_t len, int too_big)
{
	struct console_req r;
	int is_post = !strcmp(method, MHD_HTTP_METHOD_POST);
	const char *path = url + strlen(CONSOLE_PREFIX);
	enum MHD_Result ret;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.conn = conn;
	r.method = method;
	r.body = is_post ? body : NULL;
	r.len = is_post ? len : 0;
	r.lang = pick_lang(&r);
	if (*path && *path != '/')
		return console_raw(&r, 404, "text/plain; charset=utf-8", "not found\n", 10, NULL, NULL);
	if (too_big || len > API_BODY_MAX)
		return console_raw(&r, 413, "text/plain; charset=utf-8", "troppo grande\n", 14, NULL, NULL);
	if (!is_post && strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return console_raw(&r, 405, "text/plain; charset=utf-8", "metodo non consentito\n", 22,
				   MHD_HTTP_HEADER_ALLOW, "GET, POST");
	ret = route(&r, path, is_post);
	json_decref(r.me);
	return ret;
}
