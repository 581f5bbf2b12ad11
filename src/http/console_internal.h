/*
 * console_internal.h - what the console's files share (not for other modules).
 *
 * console.c: the door (routes, session, language, layout, answers, forms);
 * console_login.c, console_dashboard.c, console_compose.c, console_messages.c,
 * console_subscribers.c, console_staff.c, console_audit.c, console_inbox.c, console_security.c, console_channel.c: one page
 * (or two) each.
 */
#ifndef BANDITORE_CONSOLE_INTERNAL_H
#define BANDITORE_CONSOLE_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "http/console.h"
#include "staff/staff.h"
#include "store/store.h"

#define CONSOLE_FIELD_MAX 4096 /* bytes of one decoded form field */

struct console {
	const struct http_ctx *ctx;
	struct api *api;
	struct public_site *pub;
};

/* One request. */
struct console_req {
	struct console *c;
	struct MHD_Connection *conn;
	const char *method;
	const char *lang;          /* "it" or "en" */
	int set_lang;              /* ?lang= was given: remember it in a cookie */
	const char *body;          /* a POST's form, url-encoded */
	size_t len;
	/* the session (console_session): the API's GET /api/v1/session */
	json_t *me;                /* owned; NULL until checked */
	const char *name, *role, *csrf;
};

/* --- console.c --- */
/* 1 when `s` is the request's language English. */
int console_en(const struct console_req *r);
/* Checks the session: 0 with r->me set; otherwise answers (a redirect to the login page)
 * into *ret and returns 1. */
int console_session(struct console_req *r, enum MHD_Result *ret);
/* 1 when the session's role may do `action`. */
int console_may(const struct console_req *r, const char *action);
/* The model every page starts with (layout, navigation, who is logged in). */
json_t *console_model(const struct console_req *r, const char *page_id, const char *title_it,
		      const char *title_en);
/* Renders template `tpl` with `model` (taken) and answers it with `status`. */
enum MHD_Result console_page(struct console_req *r, unsigned int status, const char *tpl,
			     json_t *model);
/* The 403 page (the role may not) or another error page with its message. */
enum MHD_Result console_forbidden(struct console_req *r);
enum MHD_Result console_error(struct console_req *r, unsigned int status, const char *it,
			      const char *en);
/* 303 to `location` (a path of ours), with a Set-Cookie header when `cookie` is set. */
enum MHD_Result console_redirect(struct console_req *r, const char *location, const char *cookie);
/* Answers `len` bytes of `data` of `type`, with one extra header when `h` is set. */
enum MHD_Result console_raw(struct console_req *r, unsigned int status, const char *type,
			    const char *data, size_t len, const char *h, const char *v);
/* The decoded value of form field `name` into out[cap] (""when absent); 1 when present. */
int console_field(const struct console_req *r, const char *name, char *out, size_t cap);
/* api_call with the request's session and, for a change, the form's csrf_token. */
int console_api(struct console_req *r, const char *method, const char *url, json_t *body,
		struct api_result *out);
/* Answers an API refusal as a page: 401 → the login page, 403 csrf → "the form was not
 * ours, nothing changed", 403 → the 403 page, else the API's message with its status. */
enum MHD_Result console_refused(struct console_req *r, const struct api_result *res);
/* 1 when the form's csrf_token is the session's (constant time). */
int console_csrf_ok(const struct console_req *r);
/* The newest `max` audit entries, newest first, for a table (console_audit.c). */
json_t *console_audit_recent(struct console_req *r, struct store *st, int max);
/* The API error's message in the request's language ("" when none). */
const char *console_api_message(const struct console_req *r, const struct api_result *res);
/* A read connection of the public site's pool (NULL when none), and giving it back. */
struct store *console_store(struct console_req *r);
void console_store_put(struct console_req *r, struct store *st, int broken);
/* "2026-11-29 09:30" in Rome's time ("" for 0). */
void console_time(int64_t t, char *out, size_t cap);
/* A message's state in words. */
const char *console_state_label(const struct console_req *r, int state);

/* --- the pages --- */
enum MHD_Result console_login_page(struct console_req *r);
enum MHD_Result console_login_post(struct console_req *r);
enum MHD_Result console_logout(struct console_req *r);
enum MHD_Result console_dashboard(struct console_req *r);
enum MHD_Result console_events(struct console_req *r);
/* A message's delivery on each platform of the channel (api_render_platforms) with the
 * console's labels, state_label, percent and message_title (console_messages.c). */
json_t *console_platforms_json(struct console_req *r, struct store *st,
			       const struct store_message *m);
/* The broadcasts under way as JSON [{id, title, state, percent, sent, ...}]. */
json_t *console_progress_json(struct console_req *r, struct store *st);
enum MHD_Result console_compose_page(struct console_req *r);
enum MHD_Result console_compose_post(struct console_req *r);
enum MHD_Result console_approvals(struct console_req *r);
enum MHD_Result console_messages(struct console_req *r);
/* what: "approva", "respingi", "annulla". */
enum MHD_Result console_message_act(struct console_req *r, long long id, const char *what);
enum MHD_Result console_subscribers(struct console_req *r);
enum MHD_Result console_subscribers_post(struct console_req *r, const char *what);
enum MHD_Result console_staff(struct console_req *r);
enum MHD_Result console_staff_create(struct console_req *r);
enum MHD_Result console_staff_revoke(struct console_req *r, const char *name);
enum MHD_Result console_audit(struct console_req *r, int verify);
/* console_joins.c: the front desk, its printable consent form, the join queue
 * (what: "approva", "respingi"). */
enum MHD_Result console_desk(struct console_req *r);
enum MHD_Result console_desk_post(struct console_req *r);
enum MHD_Result console_form(struct console_req *r);
enum MHD_Result console_joins(struct console_req *r);
enum MHD_Result console_joins_act(struct console_req *r, const char *ref, const char *what);
/* console_inbox.c: kept private messages; what: "rispondi", "cancella". */
enum MHD_Result console_inbox(struct console_req *r);
enum MHD_Result console_inbox_act(struct console_req *r, long long id, const char *what);
/* console_channel.c: posting tasks of a WhatsApp Channel kept by hand. */
enum MHD_Result console_channel(struct console_req *r);
enum MHD_Result console_channel_posted(struct console_req *r, long long id);
/* console_security.c: one's own second factor; what: "nuovo", "conferma", "disattiva". */
enum MHD_Result console_security(struct console_req *r);
enum MHD_Result console_security_post(struct console_req *r, const char *what);

#endif
