/*
 * console_staff.c - the staff accounts: the list (role, decree and its dates, second
 * factor, active or revoked), creating one (a delegate needs the decree's number and
 * dates; the policy's maximum of delegates is the API's check) and revoking one, which
 * ends its sessions at once. Only roles that manage staff see the page (403 otherwise).
 */
#include "http/console_internal.h"

#include <stdio.h>
#include <string.h>

static enum MHD_Result page(struct console_req *r, unsigned int status, const char *notice,
			    const char *error)
{
	struct api_result res;
	json_t *m, *list, *v;
	size_t i;

	if (console_api(r, "GET", "/api/v1/staff", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status != 200) {
		enum MHD_Result ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	m = console_model(r, "staff", "Staff e ruoli", "Staff and roles");
	list = json_object_get(res.body, "staff");
	json_array_foreach(list, i, v) {
		const char *end = json_string_value(json_object_get(v, "decree_end"));
		const char *start = json_string_value(json_object_get(v, "decree_start"));
		json_object_set_new(v, "decree_start_day", json_stringn(start ? start : "", start ? 10 : 0));
		json_object_set_new(v, "decree_end_day", json_stringn(end ? end : "", end ? 10 : 0));
		json_object_set_new(v, "me", json_boolean(r->name && !strcmp(r->name, json_string_value(json_object_get(v, "name")) ? json_string_value(json_object_get(v, "name")) : "")));
	}
	if (m) {
		json_object_set_new(m, "staff", json_incref(list));
		if (notice)
			json_object_set_new(m, "notice", json_string(notice));
		if (error)
			json_object_set_new(m, "error", json_string(error));
		json_object_set_new(m, "roles", json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]",
			"id", "proponente", "label", console_en(r) ? "Proposer (assessor, office head)" : "Proponente (assessore, responsabile d'ufficio)",
			"id", "delegato", "label", console_en(r) ? "Delegate (by decree)" : "Delegato (con decreto)",
			"id", "gestore", "label", console_en(r) ? "Manager (communication office)" : "Gestore (ufficio comunicazione)",
			"id", "responsabile", "label", console_en(r) ? "Responsible (mayor)" : "Responsabile (sindaco)"));
	}
	json_decref(res.body);
	return console_page(r, status, "console_staff", m);
}

enum MHD_Result console_staff(struct console_req *r)
{
	return page(r, 200, NULL, NULL);
}

enum MHD_Result console_staff_create(struct console_req *r)
{
	char name[80], display[160], role[32], password[STAFF_PASSWORD_MAX + 1], decree[128];
	char start[32], end[32];
	struct api_result res;
	enum MHD_Result ret;
	json_t *body;

	console_field(r, "name", name, sizeof(name));
	console_field(r, "display_name", display, sizeof(display));
	console_field(r, "role", role, sizeof(role));
	console_field(r, "password", password, sizeof(password));
	console_field(r, "decree", decree, sizeof(decree));
	console_field(r, "decree_start", start, sizeof(start));
	console_field(r, "decree_end", end, sizeof(end));
	body = json_pack("{s:s, s:s, s:s}", "name", name, "role", role, "password", password);
	memset(password, 0, sizeof(password));
	if (body && display[0])
		json_object_set_new(body, "display_name", json_string(display));
	if (body && !strcmp(role, "delegato")) {
		json_object_set_new(body, "decree", json_string(decree));
		json_object_set_new(body, "decree_start", json_string(start));
		json_object_set_new(body, "decree_end", json_string(end));
	}
	if (console_api(r, "POST", "/api/v1/staff", body, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 201)
		ret = console_redirect(r, "/console/staff?creato=1", NULL);
	else if (res.status == 422 || res.status == 409 || res.status == 400)
		ret = page(r, res.status, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}

enum MHD_Result console_staff_revoke(struct console_req *r, const char *name)
{
	struct api_result res;
	enum MHD_Result ret;
	char url[128];

	if (snprintf(url, sizeof(url), "/api/v1/staff/%s/revoke", name) >= (int)sizeof(url) ||
	    strchr(name, '?') || strchr(name, '/'))
		return console_error(r, 404, "Account inesistente.", "No such account.");
	if (console_api(r, "POST", url, NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status == 200)
		ret = console_redirect(r, "/console/staff?revocato=1", NULL);
	else if (res.status == 409 || res.status == 404)
		ret = page(r, res.status, NULL, console_api_message(r, &res));
	else
		ret = console_refused(r, &res);
	json_decref(res.body);
	return ret;
}
