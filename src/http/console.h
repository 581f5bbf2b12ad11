/*
 * console.h - the staff's web console under /console: server-rendered pages in Bootstrap
 * Italia, Italian first with English (?lang=en, remembered in a cookie, or
 * Accept-Language), usable with the keyboard, a screen reader and without JavaScript.
 *
 *   GET/POST /console/accesso        log in (name, password, second factor when asked)
 *   POST     /console/esci           log out
 *   GET      /console                dashboard: subscribers over time (SVG), broadcasts
 *                                    under way (progress bars), the latest audit entries
 *   GET      /console/eventi         the broadcasts' progress as server-sent events
 *   GET/POST /console/scrivi         compose, with the policy's verdicts; propose or send
 *   GET      /console/approvazioni   the approvals queue; POST .../ID/approva|respingi
 *   GET      /console/messaggi       messages by state, with counts; POST .../ID/annulla
 *   GET/POST /console/iscritti       counts; show, export or remove one number
 *   GET/POST /console/staff          accounts: list, create, POST .../NAME/revoca
 *   GET      /console/registro       the audit log; POST /console/registro/verifica
 *
 * Every page checks the session on the server and every change goes through the JSON
 * API in-process (api_call), so the permission matrix, the CSRF check of every form, the
 * writer jobs and the audit are the API's own: a page the role may not see is a 403 page
 * in Italian, a form without its token changes nothing.
 */
#ifndef BANDITORE_CONSOLE_H
#define BANDITORE_CONSOLE_H

#include <stddef.h>

#include <microhttpd.h>

#include "http/api.h"
#include "http/public.h"
#include "http/server.h"

#define CONSOLE_PREFIX "/console"

struct console;

/* The console over `ctx`, `api` and `pub` (all borrowed; must outlive it). */
int console_new(const struct http_ctx *ctx, struct api *api, struct public_site *pub,
		struct console **out);
void console_free(struct console *c); /* accepts NULL */

/* Answers one complete request under CONSOLE_PREFIX. */
enum MHD_Result console_handle(struct console *c, struct MHD_Connection *conn, const char *method,
			       const char *url, const char *body, size_t len, int too_big);

#endif
