/*
 * console_dashboard.c - the console's first page: subscribers per platform over the
 * last 30 days as an inline SVG chart (from the anonymous daily counters of joins and
 * leaves, counted back from today's totals), the broadcasts under way with progress
 * bars, and the latest audit entries for the roles that may read the log.
 *
 * GET /console/eventi sends the broadcasts' progress as server-sent events. Each answer
 * is one event and a "retry" of two seconds, then the stream ends and the browser's
 * EventSource reconnects: no HTTP thread is held by an open stream (there are two).
 * Without JavaScript the page refreshes itself every 30 seconds while something is sent.
 */
#include "http/console_internal.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/platform.h"
#include "config/config.h"
#include "messages/messages.h"
#include "subscribers/subscribers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAYS 30
#define CHART_W 640
#define CHART_H 220
#define PAD_L 48
#define PAD_B 28
#define RECENT_MESSAGES 50
#define AUDIT_SHOWN 8
#define TODO_PAGE 16   /* kept messages read at a time for the count */
#define TODO_MAX 200   /* counted at most (the pages list them all) */

static const char *const colours[PLATFORM_MAX + 1] = { "#000", "#0b6e3b", "#1f5fa8", "#8a3b00",
						       "#5b2a86", "#a61919" };

static const char *platform_label(int p)
{
	static const char *const names[] = { "", "WhatsApp", "Telegram", "E-mail", "Web push", "SMS" };
	return p >= 1 && p <= PLATFORM_MAX ? names[p] : "?";
}

/* counts[p][d]: subscribers of platform p at the end of day d (0: 29 days ago). */
static int series(struct store *st, int platforms, int64_t counts[PLATFORM_MAX + 1][DAYS])
{
	int64_t now = (int64_t)time(NULL);
	int rc;

	for (int p = 1; p <= PLATFORM_MAX; p++) {
		int64_t c = 0;
		if (!(platforms & (1 << p)))
			continue;
		if ((rc = store_subscriber_count(st, p, &c)))
			return rc;
		for (int d = DAYS - 1; d >= 0; d--) {
			char day[11];
			int64_t joins = 0, leaves = 0;
			counts[p][d] = c < 0 ? 0 : c;
			subscribers_day(now - (int64_t)(DAYS - 1 - d) * 86400, day);
			if ((rc = store_counter_day(st, day, p, "join", &joins)) ||
			    (rc = store_counter_day(st, day, p, "leave", &leaves)))
				return rc;
			c = c - joins + leaves; /* at the end of the day before */
		}
	}
	return 0;
}

/* The chart as SVG markup made here (numbers and fixed labels only), and the same data
 * as a table for screen readers and for checking. */
static void chart(const struct console_req *r, int platforms, int64_t counts[PLATFORM_MAX + 1][DAYS],
		  struct buf *svg, json_t *table)
{
	int64_t max = 1;
	int en = console_en(r);
	int64_t now = (int64_t)time(NULL);

	for (int p = 1; p <= PLATFORM_MAX; p++)
		for (int d = 0; platforms & (1 << p) && d < DAYS; d++)
			if (counts[p][d] > max)
				max = counts[p][d];
	max = (max + 3) / 4 * 4; /* four gridlines at whole numbers */
	buf_appendf(svg, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"chart-title\" "
		    "xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">%s</title>",
		    CHART_W, CHART_H, en ? "Subscribers per platform, last 30 days" : "Iscritti per piattaforma, ultimi 30 giorni");
	for (int k = 0; k <= 4; k++) {
		int y = (CHART_H - PAD_B) - (CHART_H - PAD_B - 10) * k / 4;
		buf_appendf(svg, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c5c7c9\"/>"
			    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#1a1a1a\">%lld</text>",
			    PAD_L, y, CHART_W - 4, y, PAD_L - 6, y + 4, (long long)(max * k / 4));
	}
	buf_appendf(svg, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#1a1a1a\">%s</text>"
		    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#1a1a1a\">%s</text>",
		    PAD_L, CHART_H - 8, en ? "30 days ago" : "30 giorni fa", CHART_W - 4, CHART_H - 8,
		    en ? "today" : "oggi");
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		if (!(platforms & (1 << p)))
			continue;
		buf_appendf(svg, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.5\" points=\"", colours[p]);
		for (int d = 0; d < DAYS; d++)
			buf_appendf(svg, "%d,%d ", PAD_L + (CHART_W - 4 - PAD_L) * d / (DAYS - 1),
				    (int)((CHART_H - PAD_B) - (int64_t)(CHART_H - PAD_B - 10) * counts[p][d] / max));
		buf_appends(svg, "\"/>");
	}
	buf_appends(svg, "</svg>");
	for (int d = DAYS - 1; d >= 0; d -= 7) {
		char day[11];
		json_t *row = json_object(), *cells = json_array();
		subscribers_day(now - (int64_t)(DAYS - 1 - d) * 86400, day);
		json_object_set_new(row, "day", json_string(day));
		for (int p = 1; p <= PLATFORM_MAX; p++)
			if (platforms & (1 << p))
				json_array_append_new(cells, json_integer(counts[p][d]));
		json_object_set_new(row, "cells", cells);
		json_array_append_new(table, row);
	}
}

json_t *console_progress_json(struct console_req *r, struct store *st)
{
	struct store_message *list = calloc(RECENT_MESSAGES, sizeof(*list));
	json_t *arr = json_array();
	int n = 0;

	if (!list || !arr || store_message_list(st, 0, list, RECENT_MESSAGES, &n)) {
		free(list);
		return arr;
	}
	for (int i = 0; i < n; i++) {
		struct store_message *m = &list[i];
		struct messages_progress pr;
		int64_t done;
		int pct;
		int lanes_sending = 0;
		if (m->state == STORE_MSG_SENT || m->state == STORE_MSG_PARTLY_FAILED) {
			/* WhatsApp is done; another platform may still be sending it. */
			struct store_message_platform rows[PLATFORM_MAX];
			int nr = 0;
			if (store_lane_list(st, m->id, rows, PLATFORM_MAX, &nr) == 0)
				for (int k = 0; k < nr; k++)
					lanes_sending |= rows[k].state == STORE_LANE_SENDING;
		}
		if (m->state != STORE_MSG_SENDING && m->state != STORE_MSG_APPROVED &&
		    m->state != STORE_MSG_SCHEDULED && !lanes_sending &&
		    !((m->state == STORE_MSG_SENT || m->state == STORE_MSG_PARTLY_FAILED) &&
		      m->finished_at > (int64_t)time(NULL) - 3600)) {
			store_message_clear(m);
			continue;
		}
		messages_progress(m, &pr);
		done = pr.sent + pr.failed + pr.unreachable;
		pct = m->audience > 0 ? (int)(done * 100 / m->audience) : (m->state >= STORE_MSG_SENT ? 100 : 0);
		if (pct > 100)
			pct = 100;
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			"id", (json_int_t)m->id, "title", m->title[0] ? m->title : m->category,
			"state", messages_state_name(m->state), "state_label", console_state_label(r, m->state),
			"percent", pct, "audience", (json_int_t)m->audience, "sent", (json_int_t)pr.sent,
			"delivered", (json_int_t)pr.delivered, "read", (json_int_t)pr.read,
			"failed", (json_int_t)(pr.failed + pr.unreachable), "queued", (json_int_t)pr.queued,
			"active", m->state == STORE_MSG_SENDING || m->state == STORE_MSG_APPROVED ||
				  lanes_sending));
		if (m->state >= STORE_MSG_SENDING) /* each platform's own bar (console_messages.c) */
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "platforms",
					    console_platforms_json(r, st, m));
		store_message_clear(m);
	}
	free(list);
	return arr;
}

/* What waits for staff on the pages added for keep-until-answered mode and a WhatsApp
 * Channel posted by hand: how many private messages await a reply (and when the oldest
 * is deleted anyway), how many approved messages await posting on the Channel. NULL when
 * neither applies to this comune or this role. */
static json_t *awaiting_staff(struct console_req *r, struct store *st)
{
	const struct config *cfg = r->c->ctx->cfg;
	struct store_kept_message *k;
	struct store_channel_post *p;
	int64_t after = 0, first_expiry = 0, kept = 0, posts = 0;
	char when[32];
	json_t *o = json_object();
	int n = 0;

	if (!o)
		return NULL;
	if (cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED && console_may(r, "inbox") &&
	    (k = calloc(TODO_PAGE, sizeof(*k))) != NULL) {
		do {
			if (store_kept_list(st, after, k, TODO_PAGE, &n))
				break;
			for (int i = 0; i < n; i++)
				if (!first_expiry || k[i].expires_at < first_expiry)
					first_expiry = k[i].expires_at;
			kept += n;
			after = n ? k[n - 1].id : after;
		} while (n == TODO_PAGE && kept < TODO_MAX);
		crypto_wipe(k, TODO_PAGE * sizeof(*k));
		free(k);
		console_time(first_expiry, when, sizeof(when));
		json_object_set_new(o, "kept", json_integer(kept));
		json_object_set_new(o, "kept_expiry", json_string(when));
		json_object_set_new(o, "inbox", json_true());
	}
	if (cfg->wa_channel_manual && console_may(r, "channel_post") &&
	    (p = calloc(TODO_MAX, sizeof(*p))) != NULL) {
		if (!store_channel_post_list(st, 1, p, TODO_MAX, &n))
			for (int i = 0; i < n; i++) {
				struct store_message m;
				memset(&m, 0, sizeof(m));
				if (store_message_get(st, p[i].message_id, &m))
					continue;
				posts += m.state != STORE_MSG_CANCELLED && m.state != STORE_MSG_EXPIRED;
				store_message_clear(&m);
			}
		free(p);
		json_object_set_new(o, "posts", json_integer(posts));
		json_object_set_new(o, "channel", json_true());
	}
	if (!json_object_size(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Replies to citizens waiting to be sent (join confirmations, answers): thousands on a
 * launch day. They go before routine broadcasts at the number's full rate; the dashboard
 * says how many wait and about how long they take, while there are any. NULL when none. */
static json_t *backlog(struct console_req *r, struct store *st)
{
	int rate = r->c->ctx->cfg->wa_messages_per_second;
	int64_t n = 0;
	json_t *o;

	if (store_outbox_count(st, &n) != 0 || n <= 0)
		return NULL;
	o = json_pack("{s:I}", "count", (json_int_t)n);
	if (o && rate > 0) /* minutes, rounded up, at the pace the schedule keeps */
		json_object_set_new(o, "minutes", json_integer((json_int_t)((double)n / (rate * 0.985) / 60.0) + 1));
	return o;
}

enum MHD_Result console_dashboard(struct console_req *r)
{
	int64_t local[PLATFORM_MAX + 1][DAYS];
	int platforms = r->c->ctx->cfg->platforms;
	json_t *m = console_model(r, "cruscotto", "Cruscotto", "Dashboard");
	json_t *plist = json_array(), *table = json_array(), *heads = json_array(), *progress;
	struct store *st = console_store(r);
	struct buf svg;
	int rc, active = 0;
	size_t i;
	json_t *v;

	if (!st) {
		json_decref(m);
		json_decref(plist);
		json_decref(table);
		json_decref(heads);
		return console_error(r, 503, "Database non disponibile.", "Database unavailable.");
	}
	memset(local, 0, sizeof(local));
	rc = series(st, platforms, local);
	buf_init(&svg, 256 * 1024);
	if (!rc) {
		chart(r, platforms, local, &svg, table);
		for (int p = 1; p <= PLATFORM_MAX; p++)
			if (platforms & (1 << p)) {
				json_array_append_new(plist, json_pack("{s:s, s:I, s:s}", "name", platform_label(p),
								       "count", (json_int_t)local[p][DAYS - 1],
								       "colour", colours[p]));
				json_array_append_new(heads, json_string(platform_label(p)));
			}
	}
	progress = console_progress_json(r, st);
	json_array_foreach(progress, i, v)
		if (json_is_true(json_object_get(v, "active")))
			active = 1;
	if (console_may(r, "read_audit") && m)
		json_object_set_new(m, "audit", console_audit_recent(r, st, AUDIT_SHOWN));
	if (m) {
		json_t *t = awaiting_staff(r, st), *b = backlog(r, st);
		if (t)
			json_object_set_new(m, "todo", t);
		if (b) {
			json_object_set_new(m, "backlog", b);
			active = 1; /* refreshed while it drains */
		}
	}
	console_store_put(r, st, rc == BANDITORE_ESTORE);
	if (m) {
		json_object_set_new(m, "platforms", plist);
		json_object_set_new(m, "chart", json_string(buf_cstr(&svg)));
		json_object_set_new(m, "chart_rows", table);
		json_object_set_new(m, "chart_heads", heads);
		json_object_set_new(m, "progress", progress);
		json_object_set_new(m, "refresh", json_boolean(active));
	} else {
		json_decref(plist);
		json_decref(table);
		json_decref(heads);
		json_decref(progress);
	}
	buf_free(&svg);
	return console_page(r, 200, "console_cruscotto", m);
}

enum MHD_Result console_events(struct console_req *r)
{
	struct store *st = console_store(r);
	json_t *progress;
	struct buf out;
	char *text;
	enum MHD_Result ret;

	if (!st)
		return console_raw(r, 503, "text/plain; charset=utf-8", "", 0, NULL, NULL);
	progress = console_progress_json(r, st);
	console_store_put(r, st, 0);
	text = progress ? json_dumps(progress, JSON_COMPACT) : NULL;
	json_decref(progress);
	buf_init(&out, 512 * 1024);
	buf_appendf(&out, "retry: 2000\nevent: progress\ndata: %s\n\n", text ? text : "[]");
	free(text);
	ret = console_raw(r, 200, "text/event-stream; charset=utf-8", buf_cstr(&out), out.len, NULL, NULL);
	buf_free(&out);
	return ret;
}
