/*
 * public.h - the channel's public face: sign-up page, poster, policy and privacy notice,
 * archive, feeds (Atom, RSS 2.0, JSON Feed, CAP 1.2) and the static assets (Bootstrap
 * Italia, served by us, never by a CDN).
 *
 * Routes (GET and HEAD; every page in Italian, English with ?lang=en or Accept-Language):
 *   /  /canale              the channel: what it is and is not, categories, how to join
 *                           and leave on each platform (WhatsApp and Telegram: link + QR
 *                           code; e-mail: the opt-in form; push: the button; SMS: number
 *                           and keyword), help desk
 *   /poster                 an A4 poster with the QR codes (print stylesheet)
 *   /policy  /informativa   the policy as configured; the privacy notice (GDPR art. 13)
 *   /archivio               everything sent: ?pagina=N, ?categoria=ID, ?q=words
 *   /archivio/ID            one message (permalink)
 *   /feed.atom /feed.rss /feed.json          the archive's feeds (?categoria=ID)
 *   /categoria/ID.atom|.rss|.json            the same per category
 *   /cap.xml                emergencies as CAP 1.2 alerts (cancellations as Cancel,
 *                           updates of an earlier alert as Update)
 *   /qr/whatsapp.svg  /qr/canale.svg  /qr/telegram.svg   the QR codes alone
 *   /static/VERSION/...     assets, cacheable for a year (the version changes with them)
 *
 * Every answer carries an ETag (a digest of the body), Last-Modified and Cache-Control;
 * If-None-Match / If-Modified-Since get 304; bodies are gzipped when the client accepts
 * it. Rendered answers are kept for PUBLIC_FRESH_MS and then made again (a surge of
 * citizens during an emergency costs one rendering a second, not one per request);
 * reading goes through the read pool, never the writer.
 *
 * The layout (templates layout_head / layout_foot, web/static/banditore.css and the
 * model keys of public_model_base) is meant to be reused by the staff console.
 */
#ifndef BANDITORE_PUBLIC_H
#define BANDITORE_PUBLIC_H

#include <jansson.h>
#include <microhttpd.h>

#include "config/config.h"
#include "http/read_pool.h"
#include "store/store.h"
#include "web/template.h"

#define PUBLIC_FRESH_MS 1000    /* how long a rendered answer is served as is */
#define PUBLIC_PAGE_SIZE 20     /* archive entries per page */
#define PUBLIC_FEED_SIZE 50     /* entries per feed */

struct public_site;

/* The public face over `cfg` (borrowed, must outlive it), reading the store at
 * `store_url` (may be NULL: pages without archive). Static assets are read from the
 * folder $BANDITORE_WEB_DIR, else the source tree's web/, else DATADIR/web; without
 * them pages are served unstyled (a warning is logged by the caller when *assets is 0). */
int public_site_new(const struct config *cfg, const char *store_url, struct public_site **out,
		    int *assets);
void public_site_free(struct public_site *site); /* accepts NULL */

/* The borrowed templates (for the console: same layout, same translations). */
const struct tpl_set *public_templates(const struct public_site *site);

/* Answers `url` when it is a public route (returns 1 and sets *ret), else returns 0. */
int public_handle(struct public_site *site, struct MHD_Connection *conn, const char *method,
		  const char *url, enum MHD_Result *ret);

/* --- used by public_pages.c and public_feeds.c (private to src/http) --- */

/* What a page answers with: the body (owned), its type, when its data last changed
 * (0: the server's start), and its Cache-Control max-age in seconds. */
struct public_body {
	struct buf body;
	const char *type;
	int64_t modified;
	int max_age;
	int status;
};

/* The request as the renderers see it. */
struct public_req {
	struct public_site *site;
	const struct config *cfg;
	const char *lang;       /* "it" or "en" */
	const char *path;       /* after routing: e.g. the id of /archivio/ID */
	const char *category;   /* ?categoria, or the ID of /categoria/ID.x, or NULL */
	const char *search;     /* ?q or NULL */
	int page;               /* ?pagina, from 1 */
};

/* The keys every page's model starts with: comune, channel, lang, links (with the
 * language kept), static (the assets' prefix), public_url, and the navigation. */
json_t *public_model_base(const struct public_req *r, const char *page_id, const char *title_it,
			  const char *title_en);
int public_render(const struct public_req *r, const char *tpl, json_t *model,
		  struct public_body *out);
struct store *public_store_get(struct public_site *site);
void public_store_put(struct public_site *site, struct store *st, int broken);
const char *public_static_prefix(const struct public_site *site);

/* Page renderers (public_pages.c); 0, or a BANDITORE_E* code (ENOTFOUND: 404). */
int public_page_channel(const struct public_req *r, struct public_body *out);
int public_page_poster(const struct public_req *r, struct public_body *out);
int public_page_policy(const struct public_req *r, struct public_body *out);
int public_page_notice(const struct public_req *r, struct public_body *out);
int public_page_archive(const struct public_req *r, struct public_body *out);
int public_page_message(const struct public_req *r, struct public_body *out);
int public_page_error(const struct public_req *r, int status, struct public_body *out);
int public_qr(const struct public_req *r, const char *which, struct public_body *out);

/* The click-to-chat link (wa.me/NUMBER?text=KEYWORD), or "" when WhatsApp is off. */
void public_whatsapp_link(const struct config *cfg, char *out, size_t cap);
/* Telegram's join link: the bot's deep link t.me/BOT?start=iscrizione in bot mode, the
 * public channel's t.me/NAME in channel mode; "" when Telegram is off or the channel is
 * private (a numeric id). */
void public_telegram_link(const struct config *cfg, char *out, size_t cap);

/* When a message went out (started_at, else approved_at, else created_at). */
int64_t public_message_time(const struct store_message *msg);

/* Feeds (public_feeds.c): kind "atom", "rss", "json"; and the CAP alerts. */
int public_feed(const struct public_req *r, const char *kind, struct public_body *out);
int public_cap(const struct public_req *r, struct public_body *out);

#endif
