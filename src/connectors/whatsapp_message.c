/*
 * whatsapp_message.c - the pure half of the WhatsApp connector: the JSON bodies of the
 * messages (jansson) and the classification of Meta's answers. No I/O, so both can be
 * tested and fuzzed without a network.
 */
#include "connectors/whatsapp.h"
#include "common/e164.h"
#include "common/err.h"
#include "common/utf8.h"
#include "connectors/whatsapp_answer.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/*
 * What each Graph API error code means for delivery. Meta asks clients to build their
 * handling on `error.code` (not on the HTTP status, nor on the message text, whose
 * titles are being deprecated): see "Error codes" in the WhatsApp Cloud API reference,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 *
 *  code    Meta's title                        here   why
 *  ------  ----------------------------------  -----  ---------------------------------
 *  1       API Unknown (possible server error) retry  Meta: check the status page, retry
 *  2       API Service (downtime, overload)    retry  temporary by definition
 *  4       API Too Many Calls (app rate limit) retry  app-level rate limit, wait
 *  80007   Rate limit issues (WABA)            retry  account-level rate limit, wait
 *  130429  Rate limit hit                      retry  Cloud API throughput (80/s default)
 *  131000  Something went wrong                retry  generic server failure (HTTP 500)
 *  131016  Service unavailable                 retry  temporary (HTTP 503)
 *  131048  Spam rate limit hit                 retry  quality-based cap on the number;
 *                                                     lifts when quality recovers
 *  131049  Meta chose not to deliver           retry  withheld "to maintain healthy
 *                                                     ecosystem engagement"; Meta advises
 *                                                     retrying later, not at once
 *  131056  (Business, Consumer) pair rate      retry  too many messages to the same
 *          limit hit                                  recipient (~1 per 6 s), wait
 *  131057  Account in maintenance mode         retry  temporary (e.g. throughput upgrade)
 *  0       AuthException                       fail   token invalid: a person must act
 *  3       API Method (capability)             fail   permissions missing
 *  10      Permission Denied                   fail   permissions missing
 *  190     Access token has expired            fail   a new token is needed
 *  200-299 API Permission                      fail   permissions missing
 *  100     Invalid parameter                   fail   the request itself is wrong
 *  368     Temporarily blocked for policies    fail   blocks last days; a person acts
 *          violations
 *  470     Re-engagement (legacy code)         fail   as 131047
 *  130497  Business account restricted from    fail   country not allowed
 *          messaging users in this country
 *  131008  Required parameter is missing       fail   the request itself is wrong
 *  131009  Parameter value is not valid        fail   the request itself is wrong
 *  131021  Recipient cannot be sender          fail   will never work
 *  131026  Message undeliverable               fail   not on WhatsApp, old app, blocked
 *                                                     us, terms not accepted
 *  131031  Business account locked             fail   a person must act
 *  131047  Re-engagement message               fail   over 24 h since the citizen last
 *                                                     wrote: only templates may go now
 *  131050  User stopped marketing messages     fail   the citizen's choice
 *  131051  Unsupported message type            fail   the request itself is wrong
 *  132000  Template param count mismatch       fail   template and call disagree
 *  132001  Template does not exist             fail   name or language not approved
 *  132005  Template hydrated text too long     fail   parameters too long
 *  132007  Template format character policy    fail   content refused
 *          violated
 *  132012  Template parameter format mismatch  fail   template and call disagree
 *  132015  Template is paused                  fail   low quality: a person must act
 *  132016  Template is disabled                fail   a person must act
 *
 * Codes not in the table fall back on the HTTP status: 408, 429 and 5xx retry; 401 and
 * 403 (credentials) and every other status fail.
 */
struct wa_code {
	int code;
	int outcome;
	const char *reason;
};

static const struct wa_code wa_codes[] = {
	{ 1, CONNECTOR_RETRY, "unknown API error, possibly on the server" },
	{ 2, CONNECTOR_RETRY, "API service temporarily unavailable" },
	{ 4, CONNECTOR_RETRY, "app API call rate limit reached" },
	{ 80007, CONNECTOR_RETRY, "business account rate limit reached" },
	{ 130429, CONNECTOR_RETRY, "Cloud API throughput limit reached" },
	{ 131000, CONNECTOR_RETRY, "something went wrong on the server" },
	{ 131016, CONNECTOR_RETRY, "service unavailable" },
	{ 131048, CONNECTOR_RETRY, "spam rate limit: sending from this number is restricted" },
	{ 131049, CONNECTOR_RETRY, "withheld by Meta to keep ecosystem engagement healthy" },
	{ 131056, CONNECTOR_RETRY, "pair rate limit: too many messages to this recipient" },
	{ 131057, CONNECTOR_RETRY, "business account in maintenance mode" },
	{ 0, CONNECTOR_FAIL, "authentication failed" },
	{ 3, CONNECTOR_FAIL, "capability or permission missing" },
	{ 10, CONNECTOR_FAIL, "permission denied" },
	{ 190, CONNECTOR_FAIL, "access token expired or invalid" },
	{ 100, CONNECTOR_FAIL, "invalid parameter" },
	{ 368, CONNECTOR_FAIL, "temporarily blocked for policy violations" },
	{ 470, CONNECTOR_FAIL, "outside the 24-hour customer service window" },
	{ 130497, CONNECTOR_FAIL, "business account restricted from this country" },
	{ 131008, CONNECTOR_FAIL, "required parameter missing" },
	{ 131009, CONNECTOR_FAIL, "parameter value not valid" },
	{ 131021, CONNECTOR_FAIL, "recipient cannot be the sender" },
	{ 131026, CONNECTOR_FAIL, "message undeliverable to this recipient" },
	{ 131031, CONNECTOR_FAIL, "business account locked" },
	{ 131047, CONNECTOR_FAIL, "outside the 24-hour customer service window" },
	{ 131050, CONNECTOR_FAIL, "recipient stopped marketing messages" },
	{ 131051, CONNECTOR_FAIL, "unsupported message type" },
	{ 132000, CONNECTOR_FAIL, "template parameter count mismatch" },
	{ 132001, CONNECTOR_FAIL, "template does not exist in this language" },
	{ 132005, CONNECTOR_FAIL, "template text too long after substitution" },
	{ 132007, CONNECTOR_FAIL, "template content violates format policy" },
	{ 132012, CONNECTOR_FAIL, "template parameter format mismatch" },
	{ 132015, CONNECTOR_FAIL, "template paused" },
	{ 132016, CONNECTOR_FAIL, "template disabled" },
};

static const struct wa_code *wa_code_find(int code)
{
	static const struct wa_code permission = { 200, CONNECTOR_FAIL, "API permission missing" };

	for (size_t i = 0; i < sizeof(wa_codes) / sizeof(wa_codes[0]); i++)
		if (wa_codes[i].code == code)
			return &wa_codes[i];
	if (code >= 200 && code <= 299)
		return &permission;
	return NULL;
}

static int status_outcome(long status)
{
	if (status == 408 || status == 429 || (status >= 500 && status <= 599))
		return CONNECTOR_RETRY;
	return CONNECTOR_FAIL;
}

int whatsapp_parse_response(long http_status, const char *body, struct connector_result *res)
{
	json_t *root = NULL, *error, *code;
	int is_2xx = http_status >= 200 && http_status <= 299;

	connector_result_clear(res);
	res->http_status = (http_status >= 0 && http_status <= 999) ? (int)http_status : 0;
	/* The common case, every accepted send, without building a tree. */
	if (is_2xx && body &&
	    whatsapp_answer_id(body, strlen(body), res->message_id, sizeof(res->message_id))) {
		res->outcome = CONNECTOR_OK;
		return connector_result_rc(res);
	}
	if (body && *body)
		root = json_loads(body, JSON_REJECT_DUPLICATES, NULL);

	if (is_2xx) {
		json_t *msg = json_array_get(json_object_get(root, "messages"), 0);
		const char *id = json_string_value(json_object_get(msg, "id"));
		if (id && *id && strlen(id) < sizeof(res->message_id)) {
			memcpy(res->message_id, id, strlen(id) + 1);
			res->outcome = CONNECTOR_OK;
			goto done;
		}
		/* Accepted or not? We cannot tell, so it is not a success; a retry is bounded
		 * by the caller's attempts and age limits. */
		connector_result_set(res, CONNECTOR_RETRY, 0,
				     "HTTP %ld without a message id in the answer", http_status);
		goto done;
	}

	error = json_object_get(root, "error");
	code = json_object_get(error, "code");
	if (json_is_integer(code) && json_integer_value(code) >= 0 &&
	    json_integer_value(code) <= 0x7fffffff) {
		int c = (int)json_integer_value(code);
		const struct wa_code *wc = wa_code_find(c);
		if (wc)
			connector_result_set(res, wc->outcome, c, "%s (#%d, HTTP %ld)", wc->reason,
					     c, http_status);
		else
			connector_result_set(res, status_outcome(http_status), c,
					     "Graph API error #%d (HTTP %ld)", c, http_status);
		goto done;
	}
	connector_result_set(res, status_outcome(http_status), 0,
			     root ? "HTTP %ld without a Graph API error object"
				  : "HTTP %ld with an unreadable body",
			     http_status);
done:
	json_decref(root);
	return connector_result_rc(res);
}

int whatsapp_parse_upload(const char *body, char media_id[WHATSAPP_MEDIA_ID_MAX])
{
	json_t *root = body ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *id = json_string_value(json_object_get(root, "id"));
	int rc = BANDITORE_EINVAL;

	media_id[0] = '\0';
	if (id && *id && strlen(id) < WHATSAPP_MEDIA_ID_MAX && !strpbrk(id, "\"\\ \t\r\n")) {
		memcpy(media_id, id, strlen(id) + 1);
		rc = 0;
	}
	json_decref(root);
	return rc;
}

/* The recipient as WhatsApp wants it: E.164 digits without "+". */
static int recipient_digits(const char *to, char out[E164_MAX])
{
	char e164[E164_MAX];

	if (!to || e164_normalize(to, e164) != 0)
		return BANDITORE_EINVAL;
	memcpy(out, e164 + 1, strlen(e164)); /* drops "+", keeps the NUL */
	return 0;
}

static int valid_text(const char *s, long max)
{
	long n = s ? utf8_chars(s, max) : -1;
	return n >= 1 && n <= max;
}

/* WhatsApp refuses template parameters with a newline or tab, or with more than four
 * consecutive spaces (Graph API error 100); refusing them here keeps the reason clear. */
static int valid_param(const char *s)
{
	int spaces = 0;

	if (!valid_text(s, WHATSAPP_PARAM_MAX))
		return 0;
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t')
			return 0;
		spaces = *s == ' ' ? spaces + 1 : 0;
		if (spaces > 4)
			return 0;
	}
	return 1;
}

static int valid_template_name(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n >= 1 && n <= WHATSAPP_TEMPLATE_NAME_MAX;
}

/* "it", "en_US", "pt_BR", "zh_HANS": letters and '_'. */
static int valid_language(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || s[n] == '_'))
			return 0;
	return n >= 2 && n <= 15;
}

/* The fields every message has (BaseMessageProperties in the description). */
static json_t *message_base(const char *digits, const char *type)
{
	json_t *m = json_object();

	if (!m || json_object_set_new(m, "messaging_product", json_string("whatsapp")) ||
	    json_object_set_new(m, "recipient_type", json_string("individual")) ||
	    json_object_set_new(m, "to", json_string(digits)) ||
	    json_object_set_new(m, "type", json_string(type))) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static int dump(json_t *m, char **out)
{
	*out = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	return *out ? 0 : BANDITORE_ENOMEM;
}

int whatsapp_build_text(const char *to, const char *text, int preview_url, char **out)
{
	char digits[E164_MAX];
	json_t *m, *t;

	*out = NULL;
	if (recipient_digits(to, digits) || !valid_text(text, WHATSAPP_TEXT_MAX))
		return BANDITORE_EINVAL;
	m = message_base(digits, "text");
	t = json_object();
	if (!m || !t || json_object_set_new(t, "body", json_string(text)) ||
	    json_object_set_new(t, "preview_url", json_boolean(preview_url))) {
		json_decref(t);
		json_decref(m);
		return BANDITORE_ENOMEM;
	}
	/* json_object_set_new() takes `t` even when it fails. */
	if (json_object_set_new(m, "text", t)) {
		json_decref(m);
		return BANDITORE_ENOMEM;
	}
	return dump(m, out);
}

int whatsapp_build_buttons(const char *to, const char *text, const char *const ids[],
			   const char *const titles[], int n, char **out)
{
	char digits[E164_MAX];
	json_t *m, *list, *inter;

	*out = NULL;
	if (recipient_digits(to, digits) || !valid_text(text, WHATSAPP_BUTTON_BODY_MAX) || n < 1 ||
	    n > WHATSAPP_BUTTONS_MAX)
		return BANDITORE_EINVAL;
	for (int i = 0; i < n; i++) {
		if (!valid_text(titles[i], 20) || !ids[i] || !*ids[i] || strlen(ids[i]) > 256 ||
		    ids[i][0] == ' ' || ids[i][strlen(ids[i]) - 1] == ' ')
			return BANDITORE_EINVAL;
		for (int j = 0; j < i; j++)
			if (!strcmp(titles[i], titles[j]) || !strcmp(ids[i], ids[j]))
				return BANDITORE_EINVAL;
	}
	m = message_base(digits, "interactive");
	list = json_array();
	if (!m || !list)
		goto oom;
	for (int i = 0; i < n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:{s:s, s:s}}", "type", "reply",
							  "reply", "id", ids[i], "title", titles[i])))
			goto oom;
	inter = json_pack("{s:s, s:{s:s}, s:{s:o}}", "type", "button", "body", "text", text,
			  "action", "buttons", list);
	list = NULL; /* taken by json_pack, even when it fails */
	if (!inter || json_object_set_new(m, "interactive", inter))
		goto oom_m;
	return dump(m, out);
oom:
	json_decref(list);
oom_m:
	json_decref(m);
	return BANDITORE_ENOMEM;
}

int whatsapp_build_list(const char *to, const char *text, const char *button,
			const char *const ids[], const char *const titles[],
			const char *const descriptions[], int n, char **out)
{
	char digits[E164_MAX];
	json_t *m, *rows, *inter;

	*out = NULL;
	if (recipient_digits(to, digits) || !valid_text(text, WHATSAPP_LIST_BODY_MAX) ||
	    !valid_text(button, 20) || n < 1 || n > WHATSAPP_LIST_ROWS_MAX)
		return BANDITORE_EINVAL;
	for (int i = 0; i < n; i++) {
		if (!valid_text(titles[i], 24) || !ids[i] || !*ids[i] || strlen(ids[i]) > 200 ||
		    (descriptions[i] && *descriptions[i] && !valid_text(descriptions[i], 72)))
			return BANDITORE_EINVAL;
		for (int j = 0; j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				return BANDITORE_EINVAL;
	}
	m = message_base(digits, "interactive");
	rows = json_array();
	if (!m || !rows)
		goto oom;
	for (int i = 0; i < n; i++) {
		json_t *row = json_pack("{s:s, s:s}", "id", ids[i], "title", titles[i]);
		if (row && descriptions[i] && *descriptions[i])
			json_object_set_new(row, "description", json_string(descriptions[i]));
		if (json_array_append_new(rows, row))
			goto oom;
	}
	/* One section: its title is optional when there is only one. */
	inter = json_pack("{s:s, s:{s:s}, s:{s:s, s:[{s:o}]}}", "type", "list", "body", "text", text,
			  "action", "button", button, "sections", "rows", rows);
	rows = NULL; /* taken by json_pack, even when it fails */
	if (!inter || json_object_set_new(m, "interactive", inter))
		goto oom_m;
	return dump(m, out);
oom:
	json_decref(rows);
oom_m:
	json_decref(m);
	return BANDITORE_ENOMEM;
}

/* {"type":"body","parameters":[{"type":"text","text":P}...]}, or NULL when out of memory.
 * (jansson's *_set_new and *_append_new take the value even when they fail.) */
static json_t *body_component(const char *const *params, int n)
{
	json_t *c = json_object(), *list = json_array();

	if (!c || !list || json_object_set_new(c, "type", json_string("body")))
		goto fail;
	for (int i = 0; i < n; i++) {
		json_t *p = json_object();
		if (!p || json_object_set_new(p, "type", json_string("text")) ||
		    json_object_set_new(p, "text", json_string(params[i]))) {
			json_decref(p);
			goto fail;
		}
		if (json_array_append_new(list, p))
			goto fail;
	}
	if (json_object_set_new(c, "parameters", list)) {
		json_decref(c);
		return NULL;
	}
	return c;
fail:
	json_decref(list);
	json_decref(c);
	return NULL;
}

/* {"type":"header","parameters":[{"type":T, T:{"id":ID[,"filename":F]}}]}, or NULL. */
static json_t *header_component(const struct whatsapp_header *h)
{
	json_t *media = json_pack("{s:s}", "id", h->media_id);

	if (media && h->filename && *h->filename && !strcmp(h->type, "document") &&
	    json_object_set_new(media, "filename", json_string(h->filename))) {
		json_decref(media);
		return NULL;
	}
	return media ? json_pack("{s:s, s:[{s:s, s:o}]}", "type", "header", "parameters", "type",
				 h->type, h->type, media) : NULL;
}

static int valid_header(const struct whatsapp_header *h)
{
	if (!h)
		return 1;
	if (!h->type || (strcmp(h->type, "image") && strcmp(h->type, "video") &&
			 strcmp(h->type, "document")))
		return 0;
	if (!h->media_id || !*h->media_id || strlen(h->media_id) >= WHATSAPP_MEDIA_ID_MAX ||
	    strpbrk(h->media_id, "\"\\ \t\r\n"))
		return 0;
	return !h->filename || valid_text(h->filename, 240) || !*h->filename;
}

int whatsapp_build_template(const char *to, const char *template_name, const char *language,
			    const char *const *body_params, int n_params, const char *biz_opaque,
			    char **out)
{
	return whatsapp_build_template_header(to, template_name, language, NULL, body_params,
					      n_params, biz_opaque, out);
}

int whatsapp_build_template_header(const char *to, const char *template_name, const char *language,
				   const struct whatsapp_header *header,
				   const char *const *body_params, int n_params,
				   const char *biz_opaque, char **out)
{
	char digits[E164_MAX];
	json_t *m = NULL, *tpl = NULL, *lang = NULL, *comps = NULL;
	int rc;

	*out = NULL;
	if (recipient_digits(to, digits) || !valid_template_name(template_name) ||
	    !valid_language(language) || n_params < 0 || n_params > WHATSAPP_PARAMS_MAX ||
	    (n_params > 0 && !body_params) || !valid_header(header))
		return BANDITORE_EINVAL;
	for (int i = 0; i < n_params; i++)
		if (!valid_param(body_params[i]))
			return BANDITORE_EINVAL;
	if (biz_opaque && !valid_text(biz_opaque, WHATSAPP_OPAQUE_MAX))
		return BANDITORE_EINVAL;

	m = message_base(digits, "template");
	tpl = json_object();
	lang = json_object();
	if (!m || !tpl || !lang)
		goto fail;
	/* The description requires "policy" in the language object (the live API accepts
	 * it too); "deterministic" is its only value. */
	if (json_object_set_new(lang, "policy", json_string("deterministic")) ||
	    json_object_set_new(lang, "code", json_string(language)) ||
	    json_object_set_new(tpl, "name", json_string(template_name)))
		goto fail;
	rc = json_object_set_new(tpl, "language", lang);
	lang = NULL; /* taken by tpl, even on failure */
	if (rc)
		goto fail;
	if (n_params > 0 || header) {
		comps = json_array();
		if (!comps)
			goto fail;
		if (header && json_array_append_new(comps, header_component(header)))
			goto fail;
		if (n_params > 0 && json_array_append_new(comps, body_component(body_params, n_params)))
			goto fail;
		rc = json_object_set_new(tpl, "components", comps);
		comps = NULL;
		if (rc)
			goto fail;
	}
	rc = json_object_set_new(m, "template", tpl);
	tpl = NULL;
	if (rc)
		goto fail;
	if (biz_opaque &&
	    json_object_set_new(m, "biz_opaque_callback_data", json_string(biz_opaque)))
		goto fail;
	return dump(m, out);
fail:
	json_decref(comps);
	json_decref(lang);
	json_decref(tpl);
	json_decref(m);
	return BANDITORE_ENOMEM;
}

char *whatsapp_param_normalise(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		size_t run = strspn(s, " \t\r\n");
		if (run == 0) {
			*o++ = *s++;
			continue;
		}
		if (o > out && s[run]) { /* not at the start, not at the end */
			size_t spaces = strspn(s, " ");
			if (spaces == run)
				for (size_t i = 0; i < run && i < 4; i++)
					*o++ = ' ';
			else
				*o++ = ' ';
		}
		s += run;
	}
	*o = '\0';
	return out;
}
