/* email_http.c - /email/ routes: subscribe, confirm, unsubscribe (see email_http.h). */
#include "http/email_http.h"

#include "common/email_addr.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "connectors/email.h"
#include "daemon/writer_wait.h"
#include "subscribers/email_optin.h"
#include "subscribers/subscribers.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EMAIL_BODY_MAX 4096
#define CHOICE_MAX 1024 /* the ids ticked on the form, "a.b.c" */

struct email_site {
	const struct http_ctx *ctx;
	char policy_version[65];
	int ready; /* sender, relay and public URL configured */
};

enum email_job_kind { EMAIL_JOB_REQUEST, EMAIL_JOB_CONFIRM, EMAIL_JOB_LEAVE };

struct email_http_job {
	struct writer_job job; /* first: the writer hands it back */
	enum email_job_kind kind;
	const struct email_optin_request *req;
	uint8_t hash[CRYPTO_HASH_LEN];
	const char *areas, *categories; /* confirm: the ids ticked, "a.b" (checked) */
	int64_t now;
	int status;
	struct writer_wait wait;
};

int email_site_new(const struct http_ctx *ctx, struct email_site **out)
{
	const struct config *cfg = ctx->cfg;
	struct email_site *es;

	*out = NULL;
	if (!cfg || !(cfg->platforms & (1 << PLATFORM_EMAIL)) || !ctx->keys)
		return 0;
	es = calloc(1, sizeof(*es));
	if (!es)
		return BANDITORE_ENOMEM;
	es->ctx = ctx;
	config_policy_version(cfg, es->policy_version);
	es->ready = cfg->email_from_address && *cfg->email_from_address && cfg->email_smtp_url &&
		    *cfg->email_smtp_url && cfg->public_url && *cfg->public_url;
	if (!es->ready)
		log_warn("email-disabled", "hint=%s",
			 "set [email] from_address and smtp_url, and [server] public_url");
	*out = es;
	return 0;
}

void email_site_free(struct email_site *es)
{
	free(es);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; form-action 'self'; style-src 'unsafe-inline'");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A small page in Italian, then English; `extra` is trusted HTML (a form) or "". */
static enum MHD_Result page(struct MHD_Connection *conn, unsigned int status, const char *it,
			    const char *en, const char *extra)
{
	char html[4096];

	snprintf(html, sizeof(html),
		 "<!DOCTYPE html>\n<html lang=\"it\">\n<head><meta charset=\"utf-8\">"
		 "<meta name=\"viewport\" content=\"width=device-width\"><title>%s</title></head>\n"
		 "<body style=\"font-family:sans-serif;max-width:40em;margin:2em auto\">\n"
		 "<p>%s</p>\n<p lang=\"en\">%s</p>\n%s</body>\n</html>\n",
		 it, it, en, extra);
	return reply(conn, status, "text/html; charset=utf-8", html);
}

static int job_apply(struct store *st, struct writer_job *wj)
{
	struct email_http_job *j = (struct email_http_job *)wj;

	switch (j->kind) {
	case EMAIL_JOB_REQUEST:
		return email_optin_store(st, j->req, j->now, &j->status);
	case EMAIL_JOB_CONFIRM: {
		uint64_t masks[2] = { 0, 0 };
		const char *lists[2] = { j->categories, j->areas };
		for (int k = 0; k < 2; k++)
			for (const char *p = lists[k]; p && *p;) {
				const char *dot = strchr(p, '.'), *end = dot ? dot : p + strlen(p);
				char name[STORE_AUDIENCE_NAME_MAX];
				int bit = -1, rc;
				snprintf(name, sizeof(name), "%.*s", (int)(end - p), p);
				rc = store_audience_bit(st, k ? STORE_AUDIENCE_AREA : STORE_AUDIENCE_CATEGORY,
							name, 1, &bit);
				if (rc)
					return rc;
				masks[k] |= (uint64_t)1 << bit;
				p = dot ? dot + 1 : end;
			}
		return email_optin_confirm_audience(st, j->hash, j->now, masks[0], masks[1], &j->status);
	}
	case EMAIL_JOB_LEAVE:
		wj->erased = 1; /* the writer then purges the log of the old rows */
		return email_optin_leave(st, j->hash, j->now, &j->status);
	}
	return BANDITORE_EINVAL;
}

static void job_done(struct writer_job *wj, int rc)
{
	writer_wait_done(&((struct email_http_job *)wj)->wait, rc);
}

/* Hands the job to the writer and waits until it is durable (as api_job.c does). */
static int run_job(struct email_site *es, struct email_http_job *j)
{
	j->job.apply = job_apply;
	j->job.done = job_done;
	return writer_run_wait(es->ctx->writer, &j->job, &j->wait);
}

/* The value of `name` in an application/x-www-form-urlencoded body, decoded into
 * out[cap]; 0, or BANDITORE_ENOTFOUND / EINVAL. */
static int form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		if (end - i > nl && !strncmp(body + i, name, nl) && body[i + nl] == '=') {
			size_t o = 0;
			for (size_t k = i + nl + 1; k < end; k++) {
				char c = body[k];
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					unsigned v = 0;
					if (k + 2 >= end)
						return BANDITORE_EINVAL;
					if (sscanf(body + k + 1, "%2x", &v) != 1)
						return BANDITORE_EINVAL;
					c = (char)v;
					k += 2;
				}
				if (o + 1 >= cap || c == '\0')
					return BANDITORE_EINVAL;
				out[o++] = c;
			}
			out[o] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return BANDITORE_ENOTFOUND;
}

/* 1 when `id` may be ticked: a configured area, or a category that is not an emergency. */
static int choosable(const struct config *cfg, int area, const char *id)
{
	const struct policy_category *c;

	if (area)
		return config_area_find(cfg, id) >= 0;
	c = cfg->policy ? policy_category_find(cfg->policy, id) : NULL;
	return c && !c->emergency;
}

/* Appends a checked id to "a.b" (no repeats); 0, or -1 when it does not fit. */
static int add_choice(char *list, size_t cap, const char *id)
{
	size_t used = strlen(list), n = strlen(id);

	for (const char *p = list; *p;) {
		const char *dot = strchr(p, '.'), *end = dot ? dot : p + strlen(p);
		if ((size_t)(end - p) == n && !strncmp(p, id, n))
			return 0;
		p = dot ? dot + 1 : end;
	}
	if (used + n + 2 > cap)
		return -1;
	snprintf(list + used, cap - used, "%s%s", used ? "." : "", id);
	return 0;
}

/* The areas ("area", repeated) and categories ("category") ticked on the form, or the
 * JSON body's "areas" and "categories" arrays, into "a.b" lists. 0; or -1 with *bad the
 * first id that is not one of the choices (for the answer). */
static int body_choices(const struct config *cfg, const char *body, size_t len, char *areas,
			char *categories, size_t cap, char *bad, size_t bad_cap)
{
	areas[0] = categories[0] = bad[0] = '\0';
	if (len > 0 && body[0] == '{') {
		json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL), *v;
		size_t i;
		int rc = 0;
		for (int k = 0; k < 2 && !rc; k++) {
			json_t *arr = json_object_get(doc, k ? "categories" : "areas");
			json_array_foreach(arr, i, v) {
				const char *id = json_string_value(v);
				if (!id || !choosable(cfg, !k, id) ||
				    add_choice(k ? categories : areas, cap, id)) {
					snprintf(bad, bad_cap, "%s", id ? id : "?");
					rc = -1;
					break;
				}
			}
		}
		json_decref(doc);
		return rc;
	}
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		int area = end - i > 5 && !strncmp(body + i, "area=", 5);
		int cat = end - i > 9 && !strncmp(body + i, "category=", 9);
		if (area || cat) {
			size_t off = i + (area ? 5 : 9), n = end - off;
			char id[64];
			snprintf(id, sizeof(id), "%.*s", (int)(n < sizeof(id) ? n : sizeof(id) - 1), body + off);
			if (n >= sizeof(id) || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(id) ||
			    !choosable(cfg, area, id) || add_choice(area ? areas : categories, cap, id)) {
				snprintf(bad, bad_cap, "%s", id);
				return -1;
			}
		}
		i = end + 1;
	}
	return 0;
}

static int body_address(const char *body, size_t len, char *out, size_t cap)
{
	char raw[EMAIL_ADDR_MAX * 3 + 1];

	if (len > 0 && body[0] == '{') {
		json_error_t e;
		json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
		const char *v = json_string_value(json_object_get(doc, "email"));
		int rc = v ? email_addr_canonical(v, out, cap) : BANDITORE_EINVAL;
		json_decref(doc);
		return rc;
	}
	if (form_value(body, len, "email", raw, sizeof(raw)) != 0)
		return BANDITORE_EINVAL;
	return email_addr_canonical(raw, out, cap);
}

/* Composes and sends the confirmation mail; 0 or a negative code (nothing logged here
 * about the address). */
static int send_confirmation(struct email_site *es, const char *to, const char *token,
			     const char *areas, const char *categories)
{
	const struct config *cfg = es->ctx->cfg;
	struct email_settings set;
	struct email_sender *s = NULL;
	struct email_compose c;
	struct connector_result res;
	char link[EMAIL_URL_MAX], text[2048];
	struct buf msg;
	int rc;

	rc = email_link(cfg->public_url, "/email/confirm", token, link, sizeof(link));
	if (rc)
		return rc;
	/* What was ticked travels in the link (ids, nothing personal) until it is opened. */
	if (*areas || *categories) {
		size_t used = strlen(link);
		int n = snprintf(link + used, sizeof(link) - used, "%s%s%s%s", *areas ? "&a=" : "", areas,
				 *categories ? "&c=" : "", categories);
		if (n < 0 || (size_t)n >= sizeof(link) - used)
			return BANDITORE_ETOOBIG;
	}
	snprintf(text, sizeof(text),
		 "Buongiorno,\n\n"
		 "qualcuno (speriamo lei) ha chiesto di ricevere per e-mail gli avvisi di %s.\n"
		 "Per confermare l'iscrizione apra questo collegamento entro 48 ore:\n\n%s\n\n"
		 "Se non è stato lei, ignori questo messaggio: senza conferma il suo indirizzo "
		 "viene cancellato entro 48 ore e non riceverà nulla.\n\n"
		 "--\n"
		 "Someone (we hope you) asked to receive the notices of %s by e-mail. To confirm, "
		 "open the link above within 48 hours. If it was not you, ignore this message: "
		 "without confirmation your address is deleted within 48 hours.\n",
		 cfg->email_from_name, link, cfg->email_from_name);
	memset(&c, 0, sizeof(c));
	c.from_address = cfg->email_from_address;
	c.from_name = cfg->email_from_name;
	c.to = to;
	c.subject = "Conferma l'iscrizione agli avvisi / Confirm your subscription";
	c.text = text;
	c.date = (int64_t)time(NULL);
	buf_init(&msg, EMAIL_MESSAGE_MAX);
	rc = email_compose(&c, &msg);
	if (!rc) {
		memset(&set, 0, sizeof(set));
		set.smtp_url = cfg->email_smtp_url;
		set.tls = cfg->email_tls;
		set.user = cfg->email_user;
		set.password = cfg->email_password;
		set.from_address = cfg->email_from_address;
		set.connections = 1;
		set.timeout_ms = 20000;
		rc = email_sender_new(&set, &s);
	}
	if (!rc) {
		rc = email_send(s, to, msg.data, msg.len, &res);
		if (rc)
			log_warn("email-confirmation-failed", "outcome=%s code=%d error=\"%s\"",
				 connector_outcome_name(res.outcome), res.error_code, res.error);
	}
	email_sender_free(s);
	buf_free(&msg);
	crypto_wipe(link, sizeof(link));
	crypto_wipe(text, sizeof(text));
	return rc;
}

static enum MHD_Result subscribe(struct email_site *es, struct MHD_Connection *conn,
				 const char *body, size_t len)
{
	struct email_optin_request req;
	struct email_http_job j;
	char addr[EMAIL_ADDR_MAX + 1], areas[CHOICE_MAX], categories[CHOICE_MAX], bad[64];
	int json = len > 0 && body[0] == '{', rc;

	if (body_address(body, len, addr, sizeof(addr)) != 0)
		return json ? reply(conn, 400, "application/json", "{\"error\":\"invalid address\"}") :
			      page(conn, 400, "L'indirizzo e-mail non è valido.",
				   "The e-mail address is not valid.", "");
	if (body_choices(es->ctx->cfg, body, len, areas, categories, sizeof(areas), bad, sizeof(bad))) {
		char it[256], en[256];
		crypto_wipe(addr, sizeof(addr));
		snprintf(it, sizeof(it), "La zona o l'argomento '%.60s' non esiste: nulla è stato registrato.", bad);
		snprintf(en, sizeof(en), "Area or topic '%.60s' does not exist: nothing was stored.", bad);
		return json ? reply(conn, 400, "application/json", "{\"error\":\"unknown area or category\"}")
			    : page(conn, 400, it, en, "");
	}
	memset(&j, 0, sizeof(j));
	j.kind = EMAIL_JOB_REQUEST;
	j.now = (int64_t)time(NULL);
	rc = email_optin_prepare(es->ctx->keys, addr, es->policy_version, j.now, &req);
	j.req = &req;
	if (!rc)
		rc = run_job(es, &j);
	if (!rc && j.status == EMAIL_OPTIN_STORED)
		rc = send_confirmation(es, addr, req.token, areas, categories);
	log_info("email-subscribe", "status=%d rc=%d", rc ? -1 : j.status, rc);
	crypto_wipe(&req, sizeof(req));
	crypto_wipe(addr, sizeof(addr));
	if (rc)
		return json ? reply(conn, 503, "application/json", "{\"error\":\"unavailable, retry\"}") :
			      page(conn, 503, "Servizio momentaneamente non disponibile: riprovi più tardi.",
				   "Service unavailable for a moment: please try again later.", "");
	/* The same answer whatever the address's state. */
	return json ? reply(conn, 202, "application/json", "{\"ok\":true,\"status\":\"check-your-mail\"}") :
		      page(conn, 202,
			   "Le abbiamo inviato un messaggio: apra il collegamento che contiene entro 48 ore per confermare l'iscrizione.",
			   "We sent you a message: open its link within 48 hours to confirm.", "");
}

/* The ticked ids of a confirmation link's a= or c=, keeping only those still offered
 * (a link is days old at most, but the configuration may have changed meanwhile). */
static void link_choices(const struct config *cfg, int area, const char *v, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = v; p && *p;) {
		const char *dot = strchr(p, '.'), *end = dot ? dot : p + strlen(p);
		char id[64];
		if ((size_t)(end - p) < sizeof(id)) {
			snprintf(id, sizeof(id), "%.*s", (int)(end - p), p);
			if (*id && choosable(cfg, area, id))
				add_choice(out, cap, id);
		}
		p = dot ? dot + 1 : end;
	}
}

static enum MHD_Result confirm(struct email_site *es, struct MHD_Connection *conn,
			       const char *token)
{
	struct email_http_job j;
	char areas[CHOICE_MAX], categories[CHOICE_MAX];
	int rc;

	memset(&j, 0, sizeof(j));
	link_choices(es->ctx->cfg, 1, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "a"),
		     areas, sizeof(areas));
	link_choices(es->ctx->cfg, 0, MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "c"),
		     categories, sizeof(categories));
	j.areas = areas;
	j.categories = categories;
	j.kind = EMAIL_JOB_CONFIRM;
	j.now = (int64_t)time(NULL);
	if (email_optin_token_hash(es->ctx->keys, token, j.hash) != 0)
		return page(conn, 404, "Collegamento non valido.", "Invalid link.", "");
	rc = run_job(es, &j);
	log_info("email-confirm", "status=%d rc=%d", j.status, rc);
	if (rc)
		return page(conn, 503, "Servizio momentaneamente non disponibile: riprovi più tardi.",
			    "Service unavailable for a moment: please try again later.", "");
	switch (j.status) {
	case EMAIL_OPTIN_SUBSCRIBED:
	case EMAIL_OPTIN_ALREADY:
		return page(conn, 200, "Iscrizione confermata: riceverà gli avvisi del Comune per e-mail. "
				       "Ogni messaggio contiene il collegamento per cancellarsi.",
			    "Subscription confirmed: you will receive the comune's notices by e-mail. "
			    "Every message has a link to unsubscribe.", "");
	case EMAIL_OPTIN_EXPIRED:
		return page(conn, 410, "Il collegamento è scaduto (valeva 48 ore): ripeta l'iscrizione.",
			    "The link has expired (it was valid for 48 hours): please subscribe again.", "");
	default:
		return page(conn, 404, "Collegamento non valido o già usato.",
			    "Invalid or already used link.", "");
	}
}

static enum MHD_Result unsubscribe(struct email_site *es, struct MHD_Connection *conn, int post,
				   const char *token, const char *body, size_t len)
{
	struct email_http_job j;
	char v[64], form[1024];
	int rc;

	memset(&j, 0, sizeof(j));
	if (email_unsub_token_check(es->ctx->keys->email, token, j.hash) != 0)
		return page(conn, 404, "Collegamento non valido.", "Invalid link.", "");
	if (!post) {
		/* The token is base64url: safe inside an attribute as it is. */
		snprintf(form, sizeof(form),
			 "<form method=\"post\" action=\"/email/unsubscribe?t=%s\">"
			 "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
			 "<button type=\"submit\">Cancellami / Unsubscribe me</button></form>\n",
			 token);
		return page(conn, 200, "Vuole smettere di ricevere gli avvisi per e-mail? Il suo indirizzo sarà cancellato subito.",
			    "Do you want to stop receiving the notices by e-mail? Your address will be erased at once.",
			    form);
	}
	if (form_value(body, len, "List-Unsubscribe", v, sizeof(v)) != 0 || strcmp(v, "One-Click"))
		return page(conn, 400, "Richiesta non valida.", "Invalid request.", "");
	j.kind = EMAIL_JOB_LEAVE;
	j.now = (int64_t)time(NULL);
	rc = run_job(es, &j);
	log_info("email-unsubscribe", "status=%d rc=%d", j.status, rc);
	if (rc)
		return page(conn, 503, "Servizio momentaneamente non disponibile: riprovi più tardi.",
			    "Service unavailable for a moment: please try again later.", "");
	return page(conn, 200, "Fatto: il suo indirizzo è stato cancellato e non riceverà più avvisi.",
		    "Done: your address has been erased and you will receive no more notices.", "");
}

enum MHD_Result email_handle(struct email_site *es, struct MHD_Connection *conn,
			     const char *method, const char *url, const char *body, size_t len,
			     int too_big)
{
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);
	const char *t = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");

	if (!es)
		return reply(conn, 404, "application/json", "{\"error\":\"not found\"}");
	if (too_big || len > EMAIL_BODY_MAX)
		return reply(conn, 413, "application/json", "{\"error\":\"body too large\"}");
	if (!es->ready)
		return reply(conn, 503, "application/json", "{\"error\":\"e-mail is not configured\"}");
	if (!strcmp(url, "/email/subscribe")) {
		if (!post)
			return reply(conn, 405, "application/json", "{\"error\":\"method not allowed\"}");
		return subscribe(es, conn, body ? body : "", len);
	}
	if (!strcmp(url, "/email/confirm")) {
		if (!get && !post)
			return reply(conn, 405, "application/json", "{\"error\":\"method not allowed\"}");
		return confirm(es, conn, t ? t : "");
	}
	if (!strcmp(url, "/email/unsubscribe")) {
		if (!get && !post)
			return reply(conn, 405, "application/json", "{\"error\":\"method not allowed\"}");
		return unsubscribe(es, conn, post, t ? t : "", body ? body : "", len);
	}
	return reply(conn, 404, "application/json", "{\"error\":\"not found\"}");
}
