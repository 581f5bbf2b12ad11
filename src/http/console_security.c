/*
 * console_security.c - "Sicurezza dell'account": a member of staff turns their own second
 * factor (TOTP) on, by scanning a QR code of the otpauth:// address (or typing the secret
 * shown as text) into an authenticator app and confirming with its first code, or off
 * with a current code; either change asks for the account's password again. Everything
 * goes through the API's /api/v1/session/totp/ (setup, enable, disable), which throttles
 * the password and code as login does; the new secret travels only sealed ("pending")
 * until the code matches.
 */
#include "http/console_internal.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "staff/staff.h"
#include "web/qr.h"

#include <stdio.h>
#include <string.h>

#define PENDING_FIELD 256

static enum MHD_Result page(struct console_req *r, unsigned int status, json_t *setup,
			    const char *notice, const char *error)
{
	json_t *m = console_model(r, "sicurezza", "Sicurezza dell'account", "Account security");

	if (!m) {
		json_decref(setup);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	json_object_set_new(m, "totp", json_boolean(json_is_true(json_object_get(r->me, "totp"))));
	if (setup)
		json_object_set_new(m, "setup", setup);
	if (notice)
		json_object_set_new(m, "notice", json_string(notice));
	if (error)
		json_object_set_new(m, "error", json_string(error));
	return console_page(r, status, "console_sicurezza", m);
}

enum MHD_Result console_security(struct console_req *r)
{
	const char *done = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "esito");
	int en = console_en(r);

	if (!console_may(r, "own_totp"))
		return console_forbidden(r);
	if (done && !strcmp(done, "attivato"))
		return page(r, 200, NULL, en ? "The second factor is on: from the next login the code of the app is asked."
					      : "Il secondo fattore è attivo: dal prossimo accesso sarà chiesto il codice dell'app.", NULL);
	if (done && !strcmp(done, "disattivato"))
		return page(r, 200, NULL, en ? "The second factor is off." : "Il secondo fattore è disattivato.", NULL);
	return page(r, 200, NULL, NULL, NULL);
}

/* The set-up step: a new secret (pending NULL) or the same one again; the page shows its
 * QR code and text. */
static enum MHD_Result setup(struct console_req *r, const char *pending, const char *error)
{
	struct api_result res;
	enum MHD_Result ret;
	struct buf svg;
	const char *uri;
	json_t *s;
	int en = console_en(r);

	if (console_api(r, "POST", "/api/v1/session/totp/setup",
			pending ? json_pack("{s:s}", "pending", pending) : json_object(), &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 409) {
		json_decref(res.body);
		return page(r, 409, NULL, NULL, en ? "The second factor is on already." : "Il secondo fattore è già attivo.");
	}
	if (res.status == 422) {
		ret = page(r, 422, NULL, NULL, console_api_message(r, &res));
		json_decref(res.body);
		return ret;
	}
	if (res.status != 200) {
		ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	uri = json_string_value(json_object_get(res.body, "otpauth_uri"));
	buf_init(&svg, 256 * 1024);
	if (!uri || qr_svg(&svg, uri, en ? "QR code of the second factor: scan it with the authenticator app"
					 : "Codice QR del secondo fattore: lo inquadri con l'app di autenticazione",
			   "14rem")) {
		buf_free(&svg);
		json_decref(res.body);
		return console_error(r, 500, "Errore interno.", "Internal error.");
	}
	s = json_pack("{s:O, s:O, s:O, s:s}", "secret", json_object_get(res.body, "secret"), "uri",
		      json_object_get(res.body, "otpauth_uri"), "pending",
		      json_object_get(res.body, "pending"), "qr", buf_cstr(&svg));
	buf_free(&svg);
	json_decref(res.body);
	return page(r, error ? 422 : 200, s, NULL, error);
}

enum MHD_Result console_security_post(struct console_req *r, const char *what)
{
	char pending[PENDING_FIELD], code[16], password[STAFF_PASSWORD_MAX + 1];
	struct api_result res;
	enum MHD_Result ret;
	const char *error;
	int enable = !strcmp(what, "conferma"), rc;

	if (!console_may(r, "own_totp"))
		return console_forbidden(r);
	if (!console_csrf_ok(r)) {
		/* the API would refuse it too; the set-up step changes nothing, so check here */
		struct api_result none = { .status = 403 };
		none.body = json_pack("{s:s}", "error", "csrf");
		ret = console_refused(r, &none);
		json_decref(none.body);
		return ret;
	}
	if (!strcmp(what, "nuovo"))
		return setup(r, NULL, NULL);
	console_field(r, "pending", pending, sizeof(pending));
	console_field(r, "code", code, sizeof(code));
	console_field(r, "password", password, sizeof(password));
	rc = console_api(r, "POST", enable ? "/api/v1/session/totp/enable" : "/api/v1/session/totp/disable",
			 enable ? json_pack("{s:s, s:s, s:s}", "pending", pending, "code", code, "password",
					    password)
				: json_pack("{s:s, s:s}", "code", code, "password", password),
			 &res);
	crypto_wipe(code, sizeof(code));
	crypto_wipe(password, sizeof(password));
	if (rc)
		return console_error(r, 500, "Errore interno.", "Internal error.");
	error = json_string_value(json_object_get(res.body, "error"));
	if (res.status == 200)
		ret = console_redirect(r, enable ? (console_en(r) ? "/console/sicurezza?esito=attivato&lang=en"
								 : "/console/sicurezza?esito=attivato")
						 : (console_en(r) ? "/console/sicurezza?esito=disattivato&lang=en"
								  : "/console/sicurezza?esito=disattivato"),
				       NULL);
	else if (res.status == 422 && enable && error &&
		 (!strcmp(error, "totp_invalid") || !strcmp(error, "password_invalid") ||
		  !strcmp(error, "invalid")))
		ret = setup(r, pending, console_api_message(r, &res)); /* the same key again */
	else if (res.status == 422 || res.status == 409 || res.status == 429)
		ret = page(r, res.status, NULL, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}
