/*
 * template.h - a small auto-escaping HTML template engine, and its translations.
 *
 * Used by the public pages and, later, the staff web console. Templates are parsed once
 * (at start) into a tree and rendered many times from any thread: a struct tpl_set is
 * read-only after it has been filled. The data is a jansson value (the same JSON the API
 * speaks), so a page's model can be built, logged and tested as JSON.
 *
 * Syntax (a small subset of Mustache/Handlebars):
 *
 *   {{name}}          the value, HTML-escaped (& < > " ' become entities): safe in text
 *                     and in quoted attributes. Numbers print as numbers, true as "true",
 *                     missing / null / false as nothing.
 *   {{a.b.c}}         a path into objects; {{.}} is the current item of an {{#each}},
 *                     {{@index}} its position from 0 and {{@number}} from 1.
 *   {{name|url}}      escaped, and only when it is a URL with a safe scheme (http, https,
 *                     mailto, tel) or a relative one ("/x", "?x", "#x"); otherwise "#".
 *   {{name|uri}}      percent-encoded for a URL component (query value, path segment).
 *   {{{name}}}        raw, NOT escaped: only for markup the program made itself (the SVG
 *                     of a QR code), never for text that came from outside.
 *   {{#if name}} ... {{else}} ... {{/if}}       truthy: not missing, null, false, "", 0,
 *   {{#unless name}} ... {{/unless}}             an empty array or an empty object
 *   {{#each list}} ... {{else}} ... {{/each}}   once per array item (else: when empty);
 *                     inside, names are looked up in the item first, then outwards
 *   {{#with obj}} ... {{/with}}                  obj becomes the current context
 *   {{_ Testo in italiano}}   the translation of the Italian text into the language of
 *                     the rendering (from a catalog), escaped; Italian when there is none
 *   {{> name}}        another template of the same set, with the current context
 *   {{! comment}}     nothing
 *
 * A value that is an object with an "it" key ({"it": "Viabilità", "en": "Traffic"}) prints
 * in the rendering's language, falling back to Italian: so models can carry both.
 *
 * Translations are gettext .po files (msgid is the Italian text, msgstr the translation);
 * only single-line and continued "..." strings are read, no plurals or contexts.
 *
 * Limits: templates nest includes at most TPL_DEPTH_MAX deep; rendering appends to a
 * struct buf, whose own bound limits the output. Nothing here logs.
 */
#ifndef BANDITORE_TEMPLATE_H
#define BANDITORE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"

#define TPL_NAME_MAX 64
#define TPL_DEPTH_MAX 8
#define TPL_LANG_MAX 8

struct tpl_set; /* opaque: parsed templates and catalogs */

int tpl_set_new(struct tpl_set **out);
void tpl_set_free(struct tpl_set *set); /* accepts NULL */

/* Parses `text` (`len` bytes, copied) as template `name`, replacing one of that name.
 * BANDITORE_EINVAL on a syntax error, with a reason ("line 12: {{/if}} closes {{#each}}")
 * in err[err_len] when err is not NULL. */
int tpl_set_add(struct tpl_set *set, const char *name, const char *text, size_t len,
		char *err, size_t err_len);

/* Adds the .po catalog `text` for language `lang` ("en"). EINVAL on a malformed file. */
int tpl_set_add_catalog(struct tpl_set *set, const char *lang, const char *text, size_t len,
			char *err, size_t err_len);

/* Whether template `name` exists. */
int tpl_set_has(const struct tpl_set *set, const char *name);

/* Renders template `name` with `data` (borrowed; any JSON value, usually an object) in
 * language `lang` ("it", "en"; NULL is Italian), appending to `out`. ENOTFOUND for an
 * unknown template (or include), ETOOBIG when `out` is full, EINVAL for includes nested
 * deeper than TPL_DEPTH_MAX. On failure `out` may hold part of the page. */
int tpl_render(const struct tpl_set *set, const char *name, const json_t *data,
	       const char *lang, struct buf *out);

/* The translation of Italian `msgid` into `lang`, or msgid itself (borrowed). */
const char *tpl_translate(const struct tpl_set *set, const char *lang, const char *msgid);

/* HTML-escapes `len` bytes of `s` into `out` (& < > " '). */
int tpl_escape_html(struct buf *out, const char *s, size_t len);

/* Picks the language of a request: "en" when `query_lang` is "en", else "it" when it is
 * "it"; otherwise the first of "it"/"en" in `accept_language` (an Accept-Language header,
 * may be NULL) by its q-value; else "it". Returns a static string. */
const char *tpl_pick_lang(const char *query_lang, const char *accept_language);

#endif
