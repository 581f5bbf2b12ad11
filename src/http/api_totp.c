/*
 * api_totp.c - a logged-in member of staff turns their own second factor (TOTP, RFC 6238)
 * on or off, without a terminal:
 *
 *   POST /api/v1/session/totp/setup    {}                  a new secret, not yet in force:
 *        {"secret": base32, "otpauth_uri", "pending"}; with {"pending"} the same one again
 *   POST /api/v1/session/totp/enable   {"pending", "code", "password"} in force once a
 *        first code of the authenticator app matches it (so nobody locks themselves out by
 *        a typo)
 *   POST /api/v1/session/totp/disable  {"code", "password"} off, with a current code
 *
 * A session alone cannot change its second factor: whoever finds a console left open (or
 * steals its cookie) must also know the password. Both changes re-authenticate with
 * login's check and login's throttle (staff_login_check, staff_reauth_record): a wrong
 * password or code counts as a failed login of the account and of the source address,
 * and a locked account or address is answered 429 here as at login.
 *
 * "pending" is the new secret sealed with the data folder's key, bound to the account's
 * name and to the time it was made (valid PENDING_TTL seconds): nothing is stored until
 * the code matches, and a pending secret made for one account cannot enable another.
 * Sessions only (the action own_totp has no token scope); a token gets 403. The audit
 * records staff.totp {"enabled": true|false}, never the secret.
 */
#include "http/api_internal.h"

#include "common/crypto.h"
#include "common/err.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PENDING_TTL 600 /* seconds to type the first code */
#define PENDING_PLAIN (STAFF_TOTP_SECRET_LEN + 8)
#define PENDING_SEALED (PENDING_PLAIN + CRYPTO_SEAL_OVERHEAD)
#define PENDING_HEX (2 * PENDING_SEALED + 1)
#define URI_MAX 256

static void aad_of(const char *name, char *out, size_t cap, size_t *len)
{
	int n = snprintf(out, cap, "totp-setup:%s", name);
	*len = n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Seals `secret` made at `now` for account `name` into hex[PENDING_HEX]. */
static int pending_make(const struct keyfile_keys *keys, const char *name, const uint8_t *secret,
			int64_t now, char hex[PENDING_HEX])
{
	uint8_t plain[PENDING_PLAIN], sealed[PENDING_SEALED];
	char aad[96];
	size_t aad_len, len = 0;
	int rc;

	memcpy(plain, secret, STAFF_TOTP_SECRET_LEN);
	for (int i = 0; i < 8; i++)
		plain[STAFF_TOTP_SECRET_LEN + i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
	aad_of(name, aad, sizeof(aad), &aad_len);
	rc = crypto_seal(keys->seal, aad, aad_len, plain, sizeof(plain), sealed, sizeof(sealed), &len);
	crypto_wipe(plain, sizeof(plain));
	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", sealed[i]);
	return 0;
}

/* Opens `hex` for account `name`: the secret, if made less than PENDING_TTL ago.
 * BANDITORE_EINVAL for anything else (malformed, another account's, too old). */
static int pending_open(const struct keyfile_keys *keys, const char *name, const char *hex,
			int64_t now, uint8_t secret[STAFF_TOTP_SECRET_LEN])
{
	uint8_t plain[PENDING_PLAIN], sealed[PENDING_SEALED];
	char aad[96];
	size_t aad_len, len = 0;
	int64_t made = 0;
	int rc;

	if (!hex || strlen(hex) != 2 * PENDING_SEALED)
		return BANDITORE_EINVAL;
	for (size_t i = 0; i < PENDING_SEALED; i++) {
		unsigned int v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return BANDITORE_EINVAL;
		sealed[i] = (uint8_t)v;
	}
	aad_of(name, aad, sizeof(aad), &aad_len);
	rc = crypto_open(keys->seal, aad, aad_len, sealed, sizeof(sealed), plain, sizeof(plain), &len);
	if (rc || len != sizeof(plain)) {
		crypto_wipe(plain, sizeof(plain));
		return BANDITORE_EINVAL;
	}
	for (int i = 0; i < 8; i++)
		made = (int64_t)(((uint64_t)made << 8) | plain[STAFF_TOTP_SECRET_LEN + i]);
	memcpy(secret, plain, STAFF_TOTP_SECRET_LEN);
	crypto_wipe(plain, sizeof(plain));
	if (made > now + 60 || now - made > PENDING_TTL) {
		crypto_wipe(secret, STAFF_TOTP_SECRET_LEN);
		return BANDITORE_EINVAL;
	}
	return 0;
}

struct totp_job {
	const struct keyfile_keys *keys;
	const char *name;      /* the account: the session's own */
	const uint8_t *secret; /* enable: the new secret; NULL: disable */
	int64_t step;          /* enable: the step of the first code */
	const struct staff_login *login; /* the re-authentication: its failures forgotten */
};

static int totp_job(struct store *st, struct api_job *j)
{
	struct totp_job *t = j->arg;
	struct store_staff a;
	char object[96];
	int rc = store_staff_get(st, t->name, &a);

	if (rc)
		return rc;
	if ((t->secret != NULL) == (a.totp_sealed_len > 0)) {
		rc = BANDITORE_ESTATE; /* on already, or off already */
		goto out;
	}
	a.totp_sealed_len = 0;
	a.totp_last_step = 0;
	if (t->secret) {
		rc = staff_totp_seal(t->keys, a.name, t->secret, a.totp_sealed, &a.totp_sealed_len);
		if (rc)
			goto out;
		a.totp_last_step = t->step; /* the first code is used: it cannot log in */
	}
	rc = store_staff_update(st, &a);
	if (!rc)
		rc = staff_reauth_record(st, t->login, j->now);
	snprintf(object, sizeof(object), "staff:%s", a.name);
	if (!rc && j->audit)
		rc = audit_append(st, j->audit, j->actor, "staff.totp", object,
				  t->secret ? "{\"enabled\":true}" : "{\"enabled\":false}", j->now, NULL);
out:
	crypto_wipe(&a, sizeof(a));
	return rc;
}

static enum MHD_Result run(struct api_request *r, struct totp_job *t)
{
	struct api_job job;
	int rc;

	api_job_init(&job, API_JOB_FN, r);
	job.fn = totp_job;
	job.arg = t;
	job.now = (int64_t)time(NULL);
	rc = api_job_run(r->api->ctx->writer, &job);
	if (rc == BANDITORE_ESTATE)
		return api_respond_error(r->conn, 409, "state", NULL,
					 t->secret ? "il secondo fattore è già attivo"
						   : "il secondo fattore non è attivo",
					 t->secret ? "the second factor is on already"
						   : "the second factor is off already");
	if (rc)
		return api_internal_error(r, "totp", rc);
	log_info("staff-totp", "account=%s enabled=%d", r->staff->name, t->secret != NULL);
	return api_respond(r->conn, 200, json_pack("{s:b}", "totp", t->secret != NULL), NULL, NULL);
}

static enum MHD_Result bad_code(struct api_request *r)
{
	return api_respond_error(r->conn, 422, "totp_invalid", "code",
				 "codice errato o già usato: inserisca il codice di 6 cifre che l'app "
				 "mostra ora",
				 "wrong or used code: type the 6-digit code the app shows now");
}

static int failure_job(struct store *st, struct api_job *j)
{
	return staff_reauth_record(st, j->arg, j->now);
}

/* The password (and, to turn it off, the current code) asked again under login's
 * throttle. Answers and returns 1 when the change may not go on (a failure is counted
 * first); 0 with l->outcome OK. For enable, `secret` is the pending one the code must
 * match. */
static int reauthenticate(struct api_request *r, const char *password, const char *code,
			  const uint8_t *secret, int64_t now, struct staff_login *l,
			  int64_t *step, enum MHD_Result *answer)
{
	char source[STAFF_SOURCE_MAX];
	struct api_job job;
	int rc;

	if (!password || !*password) {
		*answer = api_respond_error(r->conn, 422, "invalid", "password",
					    "serve la password attuale dell'account",
					    "the account's current password is required");
		return 1;
	}
	api_source_of(r->conn, source);
	rc = staff_login_check(r->st, r->api->ctx->keys, r->staff->name, password,
			       secret ? NULL : code, source, now, l);
	if (rc) {
		*answer = api_internal_error(r, "totp reauthentication", rc);
		return 1;
	}
	if (secret && l->outcome == STAFF_LOGIN_OK &&
	    staff_totp_check(secret, STAFF_TOTP_SECRET_LEN, code, now, 0, step))
		l->outcome = STAFF_LOGIN_TOTP_BAD;
	else if (!secret)
		*step = l->totp_step;
	if (l->outcome == STAFF_LOGIN_OK)
		return 0;
	if (l->outcome == STAFF_LOGIN_BAD || l->outcome == STAFF_LOGIN_TOTP_BAD) {
		api_job_init(&job, API_JOB_FN, r);
		job.fn = failure_job;
		job.arg = l;
		job.now = now;
		rc = api_job_run(r->api->ctx->writer, &job);
		if (rc) {
			*answer = api_internal_error(r, "totp failure", rc);
			return 1;
		}
	}
	log_warn("staff-totp-refused", "reason=%s",
		 l->outcome == STAFF_LOGIN_LOCKED ? "locked"
		 : l->outcome == STAFF_LOGIN_BAD  ? "password"
						  : "code");
	switch (l->outcome) {
	case STAFF_LOGIN_LOCKED:
		*answer = api_respond_locked(r->conn, l->retry_after);
		break;
	case STAFF_LOGIN_BAD:
		*answer = api_respond_error(r->conn, 422, "password_invalid", "password",
					    "password errata: inserisca quella con cui accede alla console",
					    "wrong password: type the one you log in with");
		break;
	case STAFF_LOGIN_INACTIVE:
		*answer = api_respond_error(r->conn, 403, "inactive", NULL,
					    "l'account è revocato o fuori dal periodo del decreto",
					    "the account is revoked or outside its decree's dates");
		break;
	default: /* TOTP_NEEDED, TOTP_BAD */
		*answer = bad_code(r);
	}
	return 1;
}

enum MHD_Result api_totp(struct api_request *r, const char *what)
{
	const struct keyfile_keys *keys = r->api->ctx->keys;
	int64_t now = (int64_t)time(NULL), step = 0;
	uint8_t secret[STAFF_TOTP_SECRET_LEN];
	char hex[PENDING_HEX], b32[STAFF_TOTP_BASE32_MAX], uri[URI_MAX];
	const char *pending, *code, *password;
	struct staff_login *login = NULL;
	struct totp_job t;
	enum MHD_Result ret;
	json_t *o = r->body && r->len ? api_body_object(r) : json_object(); /* {} when empty */
	int rc;

	if (!o)
		return api_respond_error(r->conn, 400, "malformed", NULL,
					 "il corpo della richiesta deve essere un oggetto JSON",
					 "the request body must be a JSON object");
	if (!r->staff || !keys) {
		json_decref(o);
		return api_respond_error(r->conn, 403, "scope", NULL, "solo per le sessioni del personale",
					 "for staff sessions only");
	}
	pending = api_member(o, "pending");
	code = api_member(o, "code");
	password = api_member(o, "password");
	memset(&t, 0, sizeof(t));
	t.keys = keys;
	t.name = r->staff->name;
	if (!strcmp(what, "setup")) {
		if (r->staff->totp_sealed_len > 0) {
			ret = api_respond_error(r->conn, 409, "state", NULL, "il secondo fattore è già attivo",
						"the second factor is on already");
			goto out;
		}
		if (pending) {
			if (pending_open(keys, r->staff->name, pending, now, secret)) {
				ret = api_respond_error(r->conn, 422, "pending_invalid", "pending",
							"la richiesta di attivazione è scaduta: ricominci",
							"the set-up request has expired: start again");
				goto out;
			}
			snprintf(hex, sizeof(hex), "%s", pending);
		} else {
			rc = crypto_random(secret, sizeof(secret));
			if (!rc)
				rc = pending_make(keys, r->staff->name, secret, now, hex);
			if (rc) {
				ret = api_internal_error(r, "totp setup", rc);
				goto out;
			}
		}
		staff_base32(secret, sizeof(secret), b32, sizeof(b32));
		snprintf(uri, sizeof(uri), "otpauth://totp/Banditore:%s?secret=%s&issuer=Banditore&digits=6&period=30",
			 r->staff->name, b32);
		ret = api_respond(r->conn, 200,
				  json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "secret", b32, "otpauth_uri", uri,
					    "pending", hex, "account", r->staff->name, "digits", 6, "period",
					    STAFF_TOTP_STEP),
				  NULL, NULL);
		crypto_wipe(b32, sizeof(b32));
		crypto_wipe(uri, sizeof(uri));
	} else {
		int enable = !strcmp(what, "enable");
		if (enable != (r->staff->totp_sealed_len == 0)) {
			ret = api_respond_error(r->conn, 409, "state", NULL,
						enable ? "il secondo fattore è già attivo"
						       : "il secondo fattore non è attivo",
						enable ? "the second factor is on already"
						       : "the second factor is off already");
			goto out;
		}
		if (enable && (!pending || pending_open(keys, r->staff->name, pending, now, secret))) {
			ret = api_respond_error(r->conn, 422, "pending_invalid", "pending",
						"la richiesta di attivazione manca o è scaduta: ricominci",
						"the set-up request is missing or has expired: start again");
			goto out;
		}
		login = calloc(1, sizeof(*login));
		if (!login) {
			ret = api_internal_error(r, "totp", BANDITORE_ENOMEM);
			goto out;
		}
		if (reauthenticate(r, password, code, enable ? secret : NULL, now, login, &step, &ret))
			goto out;
		t.secret = enable ? secret : NULL;
		t.step = step;
		t.login = login;
		ret = run(r, &t);
	}
out:
	if (login) {
		crypto_wipe(login, sizeof(*login));
		free(login);
	}
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(hex, sizeof(hex));
	json_decref(o);
	return ret;
}
