/*
 * api_staff.c - what staff do through the JSON API besides composing: logging in and
 * out (session cookies), managing accounts and API tokens, counting, erasing, warning
 * and expelling subscribers, reading the audit log; and the checks every request goes
 * through: who is asking (session or token), may they (the permission matrix of
 * staff/staff.h), and, for a session, the CSRF token of every state-changing request.
 *
 * Every write is a writer job that appends its audit entry in the same savepoint, so
 * the change and its record commit together or not at all. A refused request changes
 * nothing: permissions are checked before any job is made.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "inbound/inbound.h"
#include "subscribers/subscribers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_MAX 500
#define WINDOW_SECONDS 86400 /* WhatsApp: free-form messages only within 24 h of the citizen's */
#define WARNING_MAX 1000     /* bytes of a private warning */

/* ------------------------------------------------------------------ helpers */

static enum MHD_Result malformed(struct api_request *r)
{
	return api_respond_error(r->conn, 400, "malformed", NULL,
				 "il corpo della richiesta deve essere un oggetto JSON",
				 "the request body must be a JSON object");
}

static enum MHD_Result invalid(struct api_request *r, const char *field, const char *it,
			       const char *en)
{
	return api_respond_error(r->conn, 422, "invalid", field, it, en);
}

enum MHD_Result api_forbidden(struct api_request *r, enum staff_action a)
{
	char it[160], en[160];

	log_warn("api-refused", "reason=permission action=%s who=%s", staff_action_name(a), r->who);
	if (r->staff) {
		snprintf(it, sizeof(it), "il ruolo %s non permette questa azione (%s)",
			 staff_role_name(r->staff->role), staff_action_name(a));
		snprintf(en, sizeof(en), "the role %s does not allow this action (%s)",
			 staff_role_name(r->staff->role), staff_action_name(a));
	} else {
		snprintf(it, sizeof(it), "il token non ha il permesso %s",
			 *staff_action_scope(a) ? staff_action_scope(a) : "(solo sessioni)");
		snprintf(en, sizeof(en), "the token lacks the scope %s",
			 *staff_action_scope(a) ? staff_action_scope(a) : "(sessions only)");
	}
	return api_respond_error(r->conn, 403, r->staff ? "forbidden" : "scope", NULL, it, en);
}

int api_allowed(const struct api_request *r, enum staff_action a)
{
	if (r->staff)
		return staff_may(r->staff->role, a);
	if (r->token)
		return *staff_action_scope(a) && tokens_has_scope(r->token, staff_action_scope(a));
	return 0;
}

/* The body as a JSON object (new reference), or NULL. */
/* Appends the audit entry of a job (nothing without audit keys: unit tests). */
static int run_job(struct api_request *r, struct api_job *j, int (*fn)(struct store *, struct api_job *),
		   void *arg)
{
	j->fn = fn;
	j->arg = arg;
	j->now = (int64_t)time(NULL);
	return api_job_run(r->api->ctx->writer, j);
}

/* ------------------------------------------------------------------ who is asking */

void api_source_of(struct MHD_Connection *conn, char out[STAFF_SOURCE_MAX])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	int loopback = 0;

	snprintf(out, STAFF_SOURCE_MAX, "unknown");
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ci->client_addr;
		inet_ntop(AF_INET, &sin->sin_addr, out, STAFF_SOURCE_MAX);
		loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (loopback && xff && *xff) {
		const char *last = strrchr(xff, ',');
		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		if (*last)
			snprintf(out, STAFF_SOURCE_MAX, "%s", last);
	}
}

enum MHD_Result api_respond_locked(struct MHD_Connection *conn, int64_t retry_after)
{
	char retry[24];

	snprintf(retry, sizeof(retry), "%lld", (long long)retry_after);
	return api_respond(conn, 429,
			   json_pack("{s:s, s:s, s:s, s:I}", "error", "locked", "message",
				     "troppi tentativi falliti: accesso bloccato per 15 minuti",
				     "message_en", "too many failed attempts: login locked for 15 minutes",
				     "retry_after", (json_int_t)retry_after),
			   MHD_HTTP_HEADER_RETRY_AFTER, retry);
}

static int csrf_presented(struct api_request *r, char out[65])
{
	const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
	const char *type = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_TYPE);

	out[0] = '\0';
	if (r->csrf) { /* api_call: the console checked nothing, the form's token is here */
		snprintf(out, 65, "%s", r->csrf);
		return 1;
	}
	if (h) {
		snprintf(out, 65, "%s", h);
		return 1;
	}
	/* A form of the console: csrf_token=<64 hex digits> among its fields. */
	if (type && !strncmp(type, "application/x-www-form-urlencoded", 33) && r->body) {
		const char *p = r->body, *end = r->body + r->len;
		while (p < end) {
			const char *amp = memchr(p, '&', (size_t)(end - p));
			size_t n = (size_t)((amp ? amp : end) - p);
			if (n == 11 + 64 && !strncmp(p, "csrf_token=", 11)) {
				memcpy(out, p + 11, 64);
				out[64] = '\0';
				return 1;
			}
			p += n + 1;
		}
	}
	return 0;
}

static int end_session_job(struct store *st, struct api_job *j)
{
	return store_session_remove(st, ((const struct store_session *)j->arg)->id_hash);
}

static int touch_job(struct store *st, struct api_job *j)
{
	const struct store_session *se = j->arg;
	return store_session_touch(st, se->id_hash, j->now);
}

int api_session_authenticate(struct api_request *r, const char *method, struct store_session *se,
			     struct store_staff *a, enum MHD_Result *answer)
{
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, STAFF_COOKIE_NAME);
	int64_t now = (int64_t)time(NULL);
	struct api_job job;
	char presented[65];
	int touch = 0, rc;

	rc = staff_session_check(r->st, cookie, now, se, a, &touch);
	if (rc == BANDITORE_EPERM) {
		/* Revoked, or a delegate whose decree has ended: thrown out now. */
		log_warn("api-refused", "reason=inactive account=%s", a->name);
		api_job_init(&job, API_JOB_FN, r);
		run_job(r, &job, end_session_job, se);
		*answer = api_respond_error(r->conn, 401, "inactive", NULL,
					    "l'account è revocato o fuori dal periodo del decreto",
					    "the account is revoked or outside its decree's dates");
		return 1;
	}
	if (rc == BANDITORE_EAUTH) {
		*answer = api_respond_error(r->conn, 401, "unauthorized", NULL,
					    "sessione scaduta o inesistente: accedere di nuovo",
					    "session expired or unknown: log in again");
		return 1;
	}
	if (rc) {
		*answer = api_internal_error(r, "session", rc);
		return 1;
	}
	r->staff = a;
	r->session = se;
	r->who = a->name;
	snprintf(r->actor, sizeof(r->actor), "staff:%s", a->name);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD) &&
	    (!csrf_presented(r, presented) || !staff_csrf_ok(se, presented))) {
		log_warn("api-refused", "reason=csrf account=%s", a->name);
		*answer = api_respond_error(r->conn, 403, "csrf", NULL,
					    "token CSRF mancante o errato (intestazione X-CSRF-Token)",
					    "missing or wrong CSRF token (header X-CSRF-Token)");
		return 1;
	}
	if (touch) {
		api_job_init(&job, API_JOB_FN, r);
		run_job(r, &job, touch_job, se); /* a failure only shortens the session */
	}
	return 0;
}

/* ------------------------------------------------------------------ sessions */

struct login_job {
	struct staff_login login;
	char cookie[STAFF_COOKIE_MAX];
	char csrf[65];
};

static int login_job(struct store *st, struct api_job *j)
{
	struct login_job *l = j->arg;
	int rc = staff_login_record(st, &l->login, j->now, l->cookie, l->csrf);

	if (rc || l->login.outcome != STAFF_LOGIN_OK)
		return rc;
	snprintf(j->actor, sizeof(j->actor), "staff:%s", l->login.account.name);
	return api_job_audit(st, j, "staff.login", "", NULL);
}

static json_t *session_json(const struct store_staff *a, const char *csrf, int64_t created)
{
	json_t *perms = json_array();

	for (int i = 0; i < STAFF_ACTIONS; i++)
		if (staff_may(a->role, (enum staff_action)i))
			json_array_append_new(perms, json_string(staff_action_name((enum staff_action)i)));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b}", "name", a->name, "display_name",
			 a->display_name, "role", staff_role_name(a->role), "csrf_token", csrf,
			 "permissions", perms, "expires_at",
			 api_time_json(created + STAFF_SESSION_ABSOLUTE), "decree_end",
			 api_time_json(a->role == STORE_ROLE_DELEGATO ? a->decree_end : 0), "totp",
			 a->totp_sealed_len > 0);
}

enum MHD_Result api_session_login(struct api_request *r)
{
	const struct config *cfg = r->api->ctx->cfg;
	struct login_job *l = calloc(1, sizeof(*l));
	char source[STAFF_SOURCE_MAX], header[256];
	const char *name, *password, *totp;
	struct api_job job;
	enum MHD_Result ret;
	json_t *o = api_body_object(r);
	int rc;

	if (!l) {
		json_decref(o);
		return api_internal_error(r, "login", BANDITORE_ENOMEM);
	}
	name = o ? api_member(o, "name") : NULL;
	password = o ? api_member(o, "password") : NULL;
	totp = o ? api_member(o, "totp") : NULL;
	if (!o || !name || !password) {
		ret = o ? invalid(r, name ? "password" : "name", "nome e password sono obbligatori",
				  "name and password are required")
			: malformed(r);
		goto out;
	}
	api_source_of(r->conn, source);
	rc = staff_login_check(r->st, r->api->ctx->keys, name, password, totp, source,
			       (int64_t)time(NULL), &l->login);
	if (rc) {
		ret = api_internal_error(r, "login", rc);
		goto out;
	}
	switch (l->login.outcome) {
	case STAFF_LOGIN_LOCKED:
		log_warn("login-refused", "reason=locked retry_after=%lld", (long long)l->login.retry_after);
		ret = api_respond_locked(r->conn, l->login.retry_after);
		goto out;
	case STAFF_LOGIN_TOTP_NEEDED:
		ret = api_respond_error(r->conn, 401, "totp_required", "totp",
					"serve il codice del secondo fattore (app di autenticazione)",
					"the second factor's code is required (authenticator app)");
		goto out;
	case STAFF_LOGIN_INACTIVE:
		log_warn("login-refused", "reason=inactive");
		ret = api_respond_error(r->conn, 403, "inactive", NULL,
					"l'account è revocato o fuori dal periodo del decreto",
					"the account is revoked or outside its decree's dates");
		goto out;
	default:
		break;
	}
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, login_job, l);
	if (rc == BANDITORE_EAUTH) /* revoked, or the code used, meanwhile */
		l->login.outcome = STAFF_LOGIN_TOTP_BAD;
	else if (rc) {
		ret = api_internal_error(r, "login", rc);
		goto out;
	}
	if (l->login.outcome != STAFF_LOGIN_OK) {
		log_warn("login-refused", "reason=%s",
			 l->login.outcome == STAFF_LOGIN_TOTP_BAD ? "totp" : "credentials");
		ret = api_respond_error(r->conn, 401, "credentials", NULL,
					"nome, password o codice errati",
					"wrong name, password or code");
		goto out;
	}
	log_info("login", "account=%s role=%s", l->login.account.name,
		 staff_role_name(l->login.account.role));
	snprintf(header, sizeof(header), STAFF_COOKIE_NAME "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
		 l->cookie, STAFF_SESSION_ABSOLUTE,
		 !strncmp(cfg->public_url, "https://", 8) ? "; Secure" : "");
	ret = api_respond(r->conn, 201, session_json(&l->login.account, l->csrf, job.now),
			  MHD_HTTP_HEADER_SET_COOKIE, header);
out:
	json_decref(o);
	crypto_wipe(l, sizeof(*l));
	free(l);
	return ret;
}

enum MHD_Result api_session_get(struct api_request *r)
{
	if (!r->staff)
		return api_respond_error(r->conn, 400, "not_session", NULL,
					 "la richiesta non usa una sessione", "the request uses no session");
	return api_respond(r->conn, 200, session_json(r->staff, r->session->csrf, r->session->created_at),
			   NULL, NULL);
}

static int logout_job(struct store *st, struct api_job *j)
{
	int rc = store_session_remove(st, ((const struct store_session *)j->arg)->id_hash);
	return rc ? rc : api_job_audit(st, j, "staff.logout", "", NULL);
}

enum MHD_Result api_session_logout(struct api_request *r)
{
	struct api_job job;
	int rc;

	if (!r->staff)
		return api_respond_error(r->conn, 400, "not_session", NULL,
					 "la richiesta non usa una sessione", "the request uses no session");
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, logout_job, (void *)r->session);
	if (rc)
		return api_internal_error(r, "logout", rc);
	log_info("logout", "account=%s", r->staff->name);
	return api_respond(r->conn, 200, json_pack("{s:b}", "ok", 1), MHD_HTTP_HEADER_SET_COOKIE,
			   STAFF_COOKIE_NAME "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

/* ------------------------------------------------------------------ accounts */

static json_t *account_json(const struct store_staff *a, int64_t now)
{
	return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:o, s:b, s:b, s:o, s:o, s:s}", "name", a->name,
			 "display_name", a->display_name, "role", staff_role_name(a->role), "decree",
			 a->decree[0] ? a->decree : NULL, "decree_start", api_time_json(a->decree_start),
			 "decree_end", api_time_json(a->decree_end), "active", staff_active(a, now),
			 "totp", a->totp_sealed_len > 0, "created_at", api_time_json(a->created_at),
			 "revoked_at", api_time_json(a->revoked_at), "created_by", a->created_by);
}

enum MHD_Result api_staff_list(struct api_request *r)
{
	struct store_staff *list = calloc(LIST_MAX, sizeof(*list));
	int64_t now = (int64_t)time(NULL);
	json_t *arr;
	int n = 0, rc;

	if (!list)
		return api_internal_error(r, "staff list", BANDITORE_ENOMEM);
	rc = store_staff_list(r->st, list, LIST_MAX, &n);
	if (rc) {
		free(list);
		return api_internal_error(r, "staff list", rc);
	}
	arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, account_json(&list[i], now));
	crypto_wipe(list, (size_t)LIST_MAX * sizeof(*list));
	free(list);
	return api_respond(r->conn, 200, json_pack("{s:o}", "staff", arr), NULL, NULL);
}

/* A gestore may not create, change or revoke a responsabile. */
static int may_touch_role(const struct api_request *r, int role)
{
	return !r->staff || r->staff->role == STORE_ROLE_RESPONSABILE ||
	       role != STORE_ROLE_RESPONSABILE;
}

static enum MHD_Result role_forbidden(struct api_request *r)
{
	return api_respond_error(r->conn, 403, "forbidden", "role",
				 "solo un responsabile gestisce gli account dei responsabili",
				 "only a responsabile manages responsabili's accounts");
}

/* The decree's fields of `o` into *decree, *start, *end; 0, or 1 after answering. */
static int decree_fields(struct api_request *r, json_t *o, const char **decree, int64_t *start,
			 int64_t *end, enum MHD_Result *answer)
{
	const char *s = api_member(o, "decree_start"), *e = api_member(o, "decree_end");

	*decree = api_member(o, "decree");
	if (!*decree || !**decree) {
		*answer = invalid(r, "decree", "il numero del decreto è obbligatorio per un delegato",
				  "a delegate needs the decree's number");
		return 1;
	}
	if (!s || staff_date_parse(s, 0, start)) {
		*answer = invalid(r, "decree_start", "data di inizio non valida (AAAA-MM-GG)",
				  "invalid start date (YYYY-MM-DD)");
		return 1;
	}
	if (!e || staff_date_parse(e, 1, end) || *end <= *start) {
		*answer = invalid(r, "decree_end", "data di fine non valida o non dopo l'inizio (AAAA-MM-GG)",
				  "invalid end date, or not after the start (YYYY-MM-DD)");
		return 1;
	}
	return 0;
}

struct staff_job {
	struct staff_new in;
	const char *name;
	int max_delegates;
};

static int create_job(struct store *st, struct api_job *j)
{
	struct staff_job *s = j->arg;
	char object[96];
	int rc = staff_create(st, &s->in, s->max_delegates, j->now, NULL);

	if (rc)
		return rc;
	snprintf(object, sizeof(object), "staff:%s", s->in.name);
	return api_job_audit(st, j, "staff.create", object,
		     s->in.role == STORE_ROLE_DELEGATO
			     ? json_pack("{s:s, s:s, s:I, s:I}", "role", staff_role_name(s->in.role),
					 "decree", s->in.decree, "decree_start",
					 (json_int_t)s->in.decree_start, "decree_end",
					 (json_int_t)s->in.decree_end)
			     : json_pack("{s:s}", "role", staff_role_name(s->in.role)));
}

enum MHD_Result api_staff_create(struct api_request *r)
{
	struct staff_job s;
	struct api_job job;
	enum MHD_Result ret;
	json_t *o = api_body_object(r);
	const char *role;
	int rc;

	if (!o)
		return malformed(r);
	memset(&s, 0, sizeof(s));
	s.in.name = api_member(o, "name");
	s.in.display_name = api_member(o, "display_name");
	s.in.password = api_member(o, "password");
	s.in.created_by = r->who;
	s.max_delegates = r->api->ctx->cfg->staff_max_delegates;
	role = api_member(o, "role");
	if (!s.in.name || !staff_name_valid(s.in.name)) {
		ret = invalid(r, "name", "nome non valido: lettere minuscole, cifre, '.', '_', '-' (al massimo 63)",
			      "invalid name: lower-case letters, digits, '.', '_', '-' (at most 63)");
		goto out;
	}
	if (!role || staff_role_parse(role, &s.in.role)) {
		ret = invalid(r, "role", "ruolo non valido: responsabile, gestore, delegato o proponente",
			      "invalid role: responsabile, gestore, delegato or proponente");
		goto out;
	}
	if (!may_touch_role(r, s.in.role)) {
		ret = role_forbidden(r);
		goto out;
	}
	if (!s.in.password || strlen(s.in.password) < STAFF_PASSWORD_MIN ||
	    strlen(s.in.password) > STAFF_PASSWORD_MAX) {
		ret = invalid(r, "password", "la password deve avere da 10 a 256 caratteri",
			      "the password must have 10 to 256 characters");
		goto out;
	}
	if (s.in.role == STORE_ROLE_DELEGATO &&
	    decree_fields(r, o, &s.in.decree, &s.in.decree_start, &s.in.decree_end, &ret))
		goto out;
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, create_job, &s);
	if (rc == BANDITORE_ETOOBIG) {
		char it[200], en[200];
		snprintf(it, sizeof(it), "ci sono già %d delegati con decreto valido, il massimo della policy",
			 s.max_delegates);
		snprintf(en, sizeof(en), "there are %d delegates with a valid decree already, the policy's maximum",
			 s.max_delegates);
		ret = api_respond_error(r->conn, 409, "delegates_max", "role", it, en);
	} else if (rc == BANDITORE_EEXIST) {
		ret = api_respond_error(r->conn, 409, "exists", "name", "esiste già un account con questo nome",
					"an account with this name exists already");
	} else if (rc == BANDITORE_EINVAL) {
		ret = invalid(r, "display_name", "campi non validi", "invalid fields");
	} else if (rc) {
		ret = api_internal_error(r, "staff create", rc);
	} else {
		struct store_staff a;
		log_info("staff-created", "account=%s role=%s by=%s", s.in.name, role, r->who);
		if (store_staff_get(r->st, s.in.name, &a) == 0)
			ret = api_respond(r->conn, 201, account_json(&a, job.now), NULL, NULL);
		else
			ret = api_respond(r->conn, 201, json_pack("{s:s}", "name", s.in.name), NULL, NULL);
		crypto_wipe(&a, sizeof(a));
	}
out:
	json_decref(o);
	return ret;
}

static int revoke_job(struct store *st, struct api_job *j)
{
	struct staff_job *s = j->arg;
	char object[96];
	int rc = staff_revoke(st, s->name, j->now);

	if (rc)
		return rc;
	snprintf(object, sizeof(object), "staff:%s", s->name);
	return api_job_audit(st, j, "staff.revoke", object, NULL);
}

static int decree_job(struct store *st, struct api_job *j)
{
	struct staff_job *s = j->arg;
	char object[96];
	int rc = staff_set_decree(st, s->name, s->in.decree, s->in.decree_start, s->in.decree_end,
				  s->max_delegates, j->now);

	if (rc)
		return rc;
	snprintf(object, sizeof(object), "staff:%s", s->name);
	return api_job_audit(st, j, "staff.decree", object,
		     json_pack("{s:s, s:I, s:I}", "decree", s->in.decree, "decree_start",
			       (json_int_t)s->in.decree_start, "decree_end",
			       (json_int_t)s->in.decree_end));
}

/* POST /api/v1/staff/{name}/revoke and /decree. */
enum MHD_Result api_staff_change(struct api_request *r, const char *name, int decree)
{
	struct store_staff a;
	struct staff_job s;
	struct api_job job;
	enum MHD_Result ret = MHD_NO;
	json_t *o = NULL;
	int rc;

	rc = store_staff_get(r->st, name, &a);
	if (rc == BANDITORE_ENOTFOUND || (!rc && !staff_name_valid(name)))
		return api_respond_error(r->conn, 404, "not_found", NULL, "account inesistente",
					 "no such account");
	if (rc)
		return api_internal_error(r, "staff get", rc);
	if (!may_touch_role(r, a.role)) {
		crypto_wipe(&a, sizeof(a));
		return role_forbidden(r);
	}
	memset(&s, 0, sizeof(s));
	s.name = name;
	s.max_delegates = r->api->ctx->cfg->staff_max_delegates;
	if (decree) {
		o = api_body_object(r);
		if (!o) {
			ret = malformed(r);
			goto out;
		}
		if (decree_fields(r, o, &s.in.decree, &s.in.decree_start, &s.in.decree_end, &ret))
			goto out;
	}
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, decree ? decree_job : revoke_job, &s);
	if (rc == BANDITORE_ESTATE)
		ret = api_respond_error(r->conn, 409, "state", NULL,
					decree ? "l'account non è un delegato valido" : "l'account è già revocato",
					decree ? "the account is not a valid delegate" : "the account is revoked already");
	else if (rc == BANDITORE_ETOOBIG)
		ret = api_respond_error(r->conn, 409, "delegates_max", NULL,
					"un delegato in più del massimo della policy",
					"one delegate more than the policy's maximum");
	else if (rc)
		ret = api_internal_error(r, decree ? "staff decree" : "staff revoke", rc);
	else {
		log_info(decree ? "staff-decree" : "staff-revoked", "account=%s by=%s", name, r->who);
		store_staff_get(r->st, name, &a);
		ret = api_respond(r->conn, 200, account_json(&a, job.now), NULL, NULL);
	}
out:
	crypto_wipe(&a, sizeof(a));
	json_decref(o);
	return ret;
}

/* ------------------------------------------------------------------ API tokens */

enum MHD_Result api_tokens_list(struct api_request *r)
{
	struct store_token *t = calloc(LIST_MAX, sizeof(*t));
	json_t *arr;
	int n = 0, rc;

	if (!t)
		return api_internal_error(r, "token list", BANDITORE_ENOMEM);
	rc = tokens_list(r->st, t, LIST_MAX, &n);
	if (rc) {
		free(t);
		return api_internal_error(r, "token list", rc);
	}
	arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", t[i].name,
						     "scopes", t[i].scopes, "owner", t[i].owner,
						     "created_at", api_time_json(t[i].created_at),
						     "revoked_at", api_time_json(t[i].revoked_at)));
	free(t);
	return api_respond(r->conn, 200, json_pack("{s:o}", "tokens", arr), NULL, NULL);
}

struct token_job {
	const char *name, *scopes, *owner;
	char secret[TOKENS_SECRET_MAX];
};

static int token_create_job(struct store *st, struct api_job *j)
{
	struct token_job *t = j->arg;
	char object[96];
	int rc = tokens_create_owned(st, t->name, t->scopes, t->owner, j->now, t->secret, NULL);

	if (rc)
		return rc;
	snprintf(object, sizeof(object), "token:%s", t->name);
	return api_job_audit(st, j, "token.create", object, json_pack("{s:s}", "scopes", t->scopes));
}

static int token_revoke_job(struct store *st, struct api_job *j)
{
	struct token_job *t = j->arg;
	char object[96];
	int rc = tokens_revoke(st, t->name, j->now);

	if (rc)
		return rc;
	snprintf(object, sizeof(object), "token:%s", t->name);
	return api_job_audit(st, j, "token.revoke", object, NULL);
}

enum MHD_Result api_tokens_create(struct api_request *r)
{
	struct token_job t;
	struct api_job job;
	enum MHD_Result ret;
	json_t *o = api_body_object(r);
	int rc;

	if (!o)
		return malformed(r);
	memset(&t, 0, sizeof(t));
	t.name = api_member(o, "name");
	t.scopes = api_member(o, "scopes");
	if (!t.scopes)
		t.scopes = TOKENS_SCOPES_DEFAULT;
	t.owner = r->staff ? r->staff->name : r->token->owner;
	if (!t.name || !tokens_name_valid(t.name)) {
		ret = invalid(r, "name", "nome non valido", "invalid name");
		goto out;
	}
	if (!tokens_scopes_valid(t.scopes)) {
		ret = invalid(r, "scopes", "permessi sconosciuti: quelli possibili sono " TOKENS_SCOPES_ALL,
			      "unknown scopes: the possible ones are " TOKENS_SCOPES_ALL);
		goto out;
	}
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, token_create_job, &t);
	if (rc == BANDITORE_EEXIST)
		ret = api_respond_error(r->conn, 409, "exists", "name", "esiste già un token valido con questo nome",
					"a valid token with this name exists already");
	else if (rc)
		ret = api_internal_error(r, "token create", rc);
	else {
		log_info("token-created", "token=%s by=%s", t.name, r->who);
		ret = api_respond(r->conn, 201,
				  json_pack("{s:s, s:s, s:s, s:s}", "name", t.name, "scopes", t.scopes,
					    "owner", t.owner, "secret", t.secret),
				  NULL, NULL);
	}
out:
	crypto_wipe(t.secret, sizeof(t.secret));
	json_decref(o);
	return ret;
}

enum MHD_Result api_tokens_revoke(struct api_request *r, const char *name)
{
	struct token_job t;
	struct api_job job;
	int rc;

	memset(&t, 0, sizeof(t));
	t.name = name;
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, token_revoke_job, &t);
	if (rc == BANDITORE_ENOTFOUND)
		return api_respond_error(r->conn, 404, "not_found", NULL, "nessun token valido con questo nome",
					 "no valid token with this name");
	if (rc)
		return api_internal_error(r, "token revoke", rc);
	log_info("token-revoked", "token=%s by=%s", name, r->who);
	return api_respond(r->conn, 200, json_pack("{s:s, s:b}", "name", name, "revoked", 1), NULL, NULL);
}

/* ------------------------------------------------------------------ subscribers */

enum MHD_Result api_subscribers_count(struct api_request *r)
{
	int64_t count = 0;
	int rc = store_subscriber_count(r->st, PLATFORM_WHATSAPP, &count);

	if (rc)
		return api_internal_error(r, "count", rc);
	return api_respond(r->conn, 200, json_pack("{s:{s:I}}", "subscribers", "whatsapp", (json_int_t)count),
			   NULL, NULL);
}

enum subscriber_op { OP_ERASE, OP_WARN, OP_EXPEL };

struct subscriber_job {
	enum subscriber_op op;
	const struct keyfile_keys *keys;
	char canonical[SUBSCRIBERS_ADDRESS_MAX];
	const char *text;          /* warn */
	const char *reason;        /* expel, may be NULL */
	int found;                 /* a subscriber was there */
	int window_closed;         /* warn: outside the 24-hour window */
};

static int subscriber_job(struct store *st, struct api_job *j)
{
	struct subscriber_job *s = j->arg;
	uint8_t hash[CRYPTO_HASH_LEN];
	struct store_subscriber sub;
	int rc = subscribers_hash(s->keys, PLATFORM_WHATSAPP, s->canonical, hash);

	if (rc)
		return rc;
	if (s->op == OP_WARN) {
		struct store_outbox_item item;
		char *body;
		rc = store_subscriber_get(st, PLATFORM_WHATSAPP, hash, &sub);
		if (rc)
			return rc; /* ENOTFOUND: not a subscriber */
		s->found = 1;
		if (sub.last_inbound_at + WINDOW_SECONDS <= j->now) {
			s->window_closed = 1;
			return BANDITORE_ESTATE;
		}
		body = inbound_text_body(s->text);
		if (!body)
			return BANDITORE_ENOMEM;
		memset(&item, 0, sizeof(item));
		item.platform = PLATFORM_WHATSAPP;
		memcpy(item.addr_hash, hash, CRYPTO_HASH_LEN);
		memcpy(item.sealed, sub.sealed, sub.sealed_len);
		item.sealed_len = sub.sealed_len;
		snprintf(item.kind, sizeof(item.kind), "warning");
		item.body = body;
		item.not_before = item.created_at = j->now;
		rc = store_outbox_add(st, &item, NULL);
		free(body);
		return rc ? rc : api_job_audit(st, j, "subscriber.warn", "subscriber", NULL);
	}
	if (s->op == OP_EXPEL) {
		uint8_t block[CRYPTO_HASH_LEN];
		rc = subscribers_block_hash(s->keys, PLATFORM_WHATSAPP, s->canonical, block);
		if (!rc)
			rc = store_block_add(st, PLATFORM_WHATSAPP, block, j->now);
		if (rc)
			return rc;
	}
	rc = subscribers_leave_hash(st, PLATFORM_WHATSAPP, hash, j->now, &s->found);
	if (rc)
		return rc;
	j->job.erased = 1; /* marks and kept messages may have gone even without a subscriber */
	if (s->op == OP_EXPEL)
		return api_job_audit(st, j, "subscriber.expel", "subscriber",
			     s->reason && *s->reason ? json_pack("{s:s}", "reason", s->reason) : NULL);
	return api_job_audit(st, j, "subscriber.erase_on_request", "subscriber",
		     json_pack("{s:b}", "was_subscriber", s->found));
}

enum MHD_Result api_subscribers_act(struct api_request *r, const char *what)
{
	struct subscriber_job *s = calloc(1, sizeof(*s));
	const char *number;
	struct api_job job;
	enum MHD_Result ret;
	json_t *o = api_body_object(r);
	int rc;

	if (!s) {
		json_decref(o);
		return api_internal_error(r, "subscriber", BANDITORE_ENOMEM);
	}
	if (!o) {
		ret = malformed(r);
		goto out;
	}
	s->op = !strcmp(what, "warn") ? OP_WARN : !strcmp(what, "expel") ? OP_EXPEL : OP_ERASE;
	s->keys = r->api->ctx->keys;
	number = api_member(o, "number");
	s->text = api_member(o, "text");
	s->reason = api_member(o, "reason");
	if (!number || subscribers_canonical(PLATFORM_WHATSAPP, number, s->canonical,
					     sizeof(s->canonical))) {
		ret = invalid(r, "number", "numero non valido (formato internazionale, es. +39 333 000 0000)",
			      "invalid number (international format, e.g. +39 333 000 0000)");
		goto out;
	}
	if (s->op == OP_WARN && (!s->text || !*s->text || strlen(s->text) > WARNING_MAX)) {
		ret = invalid(r, "text", "il testo della diffida è obbligatorio (al massimo 1000 byte)",
			      "the warning's text is required (at most 1000 bytes)");
		goto out;
	}
	if (s->op == OP_EXPEL && s->reason && strlen(s->reason) > 500) {
		ret = invalid(r, "reason", "motivo troppo lungo (al massimo 500 byte)",
			      "reason too long (at most 500 bytes)");
		goto out;
	}
	api_job_init(&job, API_JOB_FN, r);
	rc = run_job(r, &job, subscriber_job, s);
	if (rc == BANDITORE_ENOTFOUND)
		ret = api_respond_error(r->conn, 404, "not_found", "number", "il numero non è iscritto",
					"the number is not subscribed");
	else if (rc == BANDITORE_ESTATE && s->window_closed)
		ret = api_respond_error(r->conn, 409, "window_closed", "number",
					"WhatsApp permette un messaggio libero solo entro 24 ore dall'ultimo "
					"messaggio del cittadino: la finestra è chiusa, la diffida non può "
					"essere inviata ora (si può procedere all'estromissione)",
					"WhatsApp allows a free-form message only within 24 hours of the "
					"citizen's last message: the window is closed, the warning cannot be "
					"sent now (expulsion remains possible)");
	else if (rc)
		ret = api_internal_error(r, what, rc);
	else {
		log_info("subscriber-action", "action=%s by=%s", what, r->who);
		ret = api_respond(r->conn, s->op == OP_WARN ? 202 : 200,
				  s->op == OP_WARN ? json_pack("{s:b}", "queued", 1)
				  : s->op == OP_EXPEL
					  ? json_pack("{s:b, s:b}", "expelled", 1, "was_subscriber", s->found)
					  : json_pack("{s:b}", "erased", s->found),
				  NULL, NULL);
	}
out:
	crypto_wipe(s, sizeof(*s));
	free(s);
	json_decref(o);
	return ret;
}

/* ------------------------------------------------------------------ audit */

enum MHD_Result api_audit_list(struct api_request *r)
{
	const char *after = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
	struct store_audit_entry *e = calloc(100, sizeof(*e));
	int64_t after_seq = after ? strtoll(after, NULL, 10) : 0;
	json_t *arr;
	int n = 0, rc;

	if (!e)
		return api_internal_error(r, "audit", BANDITORE_ENOMEM);
	rc = store_audit_list(r->st, after_seq > 0 ? after_seq : 0, 0, INT64_MAX, e, 100, &n);
	if (rc) {
		free(e);
		return api_internal_error(r, "audit", rc);
	}
	arr = json_array();
	for (int i = 0; i < n; i++) {
		json_t *details = json_loads(e[i].details, 0, NULL);
		json_array_append_new(arr, json_pack("{s:I, s:o, s:s, s:s, s:s, s:o}", "seq",
						     (json_int_t)e[i].seq, "at", api_time_json(e[i].at),
						     "actor", e[i].actor, "action", e[i].action,
						     "object", e[i].object, "details",
						     details ? details : json_object()));
	}
	free(e);
	return api_respond(r->conn, 200, json_pack("{s:o}", "entries", arr), NULL, NULL);
}
