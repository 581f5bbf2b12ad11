/*
 * console_login.c - logging in and out of the console. The login form posts name,
 * password and, when the account has one, the second factor's code; the API's login
 * (POST /api/v1/session) checks and throttles them, and its cookie is handed to the
 * browser. The answers are said in words: wrong credentials, code needed, account
 * locked for 15 minutes, account revoked or outside its decree.
 */
#include "http/console_internal.h"

#include "common/crypto.h"

#include <stdio.h>
#include <string.h>

static enum MHD_Result form(struct console_req *r, unsigned int status, const char *name,
			    int need_totp, const char *error, int locked)
{
	json_t *m = console_model(r, "accesso", "Accesso alla console", "Console login");
	const char *expired = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "scaduta");
	const char *out = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "uscito");

	if (m) {
		json_object_set_new(m, "name", json_string(name ? name : ""));
		json_object_set_new(m, "need_totp", json_boolean(need_totp));
		json_object_set_new(m, "locked", json_boolean(locked));
		if (error && *error)
			json_object_set_new(m, "error", json_string(error));
		json_object_set_new(m, "expired", json_boolean(!error && expired != NULL));
		json_object_set_new(m, "logged_out", json_boolean(!error && out != NULL));
	}
	return console_page(r, status, "console_accesso", m);
}

enum MHD_Result console_login_page(struct console_req *r)
{
	return form(r, 200, "", 0, NULL, 0);
}

enum MHD_Result console_login_post(struct console_req *r)
{
	char name[128], password[STAFF_PASSWORD_MAX + 1], totp[16];
	struct api_result res;
	const char *err;
	json_t *body;
	enum MHD_Result ret;
	int en = console_en(r);

	console_field(r, "name", name, sizeof(name));
	console_field(r, "password", password, sizeof(password));
	console_field(r, "totp", totp, sizeof(totp));
	body = json_pack("{s:s, s:s, s:s}", "name", name, "password", password, "totp", totp);
	crypto_wipe(password, sizeof(password));
	if (console_api(r, "POST", "/api/v1/session", body, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 201) {
		ret = console_redirect(r, en ? "/console?lang=en" : "/console", res.set_cookie);
		json_decref(res.body);
		return ret;
	}
	err = json_string_value(json_object_get(res.body, "error"));
	if (res.status == 401 && err && !strcmp(err, "totp_required"))
		ret = form(r, 401, name, 1,
			   en ? "This account has a second factor: type the 6-digit code of your authenticator app."
			      : "Questo account ha il secondo fattore: inserisca il codice di 6 cifre dell'app di autenticazione.",
			   0);
	else if (res.status == 429)
		ret = form(r, 429, name, 0,
			   en ? "Too many failed attempts: login is locked for 15 minutes. Try again later or ask the manager of the channel."
			      : "Troppi tentativi falliti: l'accesso è bloccato per 15 minuti. Riprovi più tardi o si rivolga al gestore del canale.",
			   1);
	else if (res.status == 403)
		ret = form(r, 403, name, 0,
			   en ? "This account is revoked or outside its decree's dates."
			      : "Questo account è revocato o fuori dal periodo del decreto di nomina.",
			   0);
	else if (res.status == 401 || res.status == 422 || res.status == 400)
		ret = form(r, 401, name, totp[0] != '\0',
			   en ? "Wrong name, password or code." : "Nome, password o codice errati.", 0);
	else
		ret = console_error(r, res.status, "Accesso non riuscito: riprovi.", "Login failed: try again.");
	json_decref(res.body);
	return ret;
}

enum MHD_Result console_logout(struct console_req *r)
{
	struct api_result res;
	enum MHD_Result ret;

	if (console_api(r, "DELETE", "/api/v1/session", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 403) {
		json_decref(res.body);
		return console_forbidden(r);
	}
	ret = console_redirect(r, console_en(r) ? "/console/accesso?lang=en&uscito=1" : "/console/accesso?uscito=1",
			       res.set_cookie);
	json_decref(res.body);
	return ret;
}
