/*
 * public_feeds.c - the archive as feeds (Atom 1.0, RSS 2.0, JSON Feed 1.1) and the
 * emergencies as CAP 1.2 alerts, written with libxml2's xmlwriter (which escapes).
 *
 * CAP: /cap.xml is an Atom index of the emergency messages (as civil protection feeds
 * are), each entry pointing at /cap/ID.xml, one <alert> valid against the OASIS schema.
 * An emergency cancelled after it started going out is published as msgType Cancel,
 * referencing the original alert; one that replaces an earlier emergency (the message's
 * `replaces`) as msgType Update, referencing the alert it updates (CAP 1.2 section
 * 3.2.1: <references> is "sender,identifier,sent" of the earlier message); any other
 * that is going out or was sent as Alert. A message that is not an emergency but was
 * sent to update one (the all-clear after an alert, say) is in the CAP feed too, as the
 * Update it is, so that systems showing the alert learn of it.
 */
#include "http/public.h"

#include "common/err.h"
#include "store/store.h"

#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAP_NS "urn:oasis:names:tc:emergency:cap:1.2"


/* RFC 3339 in Rome's local time with its offset ("2026-03-01T10:00:00+01:00"), which is
 * also the form CAP requires (no "Z"). */
static void rfc3339(int64_t t, char *out, size_t cap)
{
	struct policy_tm tm;
	policy_rome_local(t, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d+%02d:00", tm.year, tm.month, tm.day,
		 tm.hour, tm.min, tm.sec, tm.offset / 3600);
}

static void rfc822(int64_t t, char *out, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static const char *label_of(const struct config *cfg, const char *id)
{
	const struct policy_category *c = cfg->policy ? policy_category_find(cfg->policy, id) : NULL;
	return c ? c->label : id;
}

static int load(const struct public_req *r, int alerts, struct store_message *msgs, int *n)
{
	struct store_archive_query q;
	struct store *st = public_store_get(r->site);
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	memset(&q, 0, sizeof(q));
	q.category = r->category;
	q.alerts = alerts;
	rc = store_archive_list(st, &q, msgs, PUBLIC_FEED_SIZE, n, NULL);
	public_store_put(r->site, st, rc != 0);
	return rc;
}

static int64_t newest(const struct public_req *r, const struct store_message *msgs, int n)
{
	int64_t t = 0;
	(void)r;
	for (int i = 0; i < n; i++) {
		int64_t m = msgs[i].finished_at > public_message_time(&msgs[i]) ? msgs[i].finished_at
										: public_message_time(&msgs[i]);
		if (m > t)
			t = m;
	}
	return t;
}

/* The writer's output into out->body. */
static int writer_done(xmlTextWriterPtr w, xmlBufferPtr xb, struct public_body *out, int rc)
{
	if (xmlTextWriterEndDocument(w) < 0)
		rc = BANDITORE_ENOMEM;
	xmlFreeTextWriter(w);
	if (!rc && buf_append(&out->body, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)))
		rc = BANDITORE_ETOOBIG;
	xmlBufferFree(xb);
	return rc;
}

#define W(call) do { if ((call) < 0) rc = BANDITORE_ENOMEM; } while (0)

static void self_url(const struct public_req *r, const char *kind, char *out, size_t cap)
{
	if (r->category)
		snprintf(out, cap, "%s/categoria/%s.%s", r->cfg->public_url, r->category, kind);
	else
		snprintf(out, cap, "%s/feed.%s", r->cfg->public_url, kind);
}

static int atom(const struct public_req *r, struct store_message *msgs, int n,
		struct public_body *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	char t[40], url[1200], title[600];
	int rc = 0;

	if (!w) {
		xmlBufferFree(xb);
		return BANDITORE_ENOMEM;
	}
	self_url(r, "atom", url, sizeof(url));
	if (r->category)
		snprintf(title, sizeof(title), "%s: %s", r->cfg->channel_name, label_of(r->cfg, r->category));
	else
		snprintf(title, sizeof(title), "%s", r->cfg->channel_name);
	W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feed", BAD_CAST "http://www.w3.org/2005/Atom"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST "it"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title));
	if (*r->cfg->channel_description)
		W(xmlTextWriterWriteElement(w, BAD_CAST "subtitle", BAD_CAST r->cfg->channel_description));
	W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST url));
	rfc3339(out->modified > 0 ? out->modified : 0, t, sizeof(t));
	W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST t));
	W(xmlTextWriterStartElement(w, BAD_CAST "link"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
	W(xmlTextWriterEndElement(w));
	snprintf(url, sizeof(url), "%s/archivio", r->cfg->public_url);
	W(xmlTextWriterStartElement(w, BAD_CAST "link"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "alternate"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "text/html"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "author"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST r->cfg->comune_name));
	W(xmlTextWriterWriteElement(w, BAD_CAST "uri", BAD_CAST r->cfg->website));
	W(xmlTextWriterEndElement(w));
	for (int i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];
		snprintf(url, sizeof(url), "%s/archivio/%lld", r->cfg->public_url, (long long)m->id);
		W(xmlTextWriterStartElement(w, BAD_CAST "entry"));
		W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST m->title));
		W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST url));
		W(xmlTextWriterStartElement(w, BAD_CAST "link"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
		W(xmlTextWriterEndElement(w));
		rfc3339(public_message_time(m), t, sizeof(t));
		W(xmlTextWriterWriteElement(w, BAD_CAST "published", BAD_CAST t));
		rfc3339(m->finished_at > public_message_time(m) ? m->finished_at : public_message_time(m),
			t, sizeof(t));
		W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST t));
		if (*m->category) {
			W(xmlTextWriterStartElement(w, BAD_CAST "category"));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST m->category));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "label", BAD_CAST label_of(r->cfg, m->category)));
			W(xmlTextWriterEndElement(w));
		}
		if (m->priority == STORE_PRIORITY_EMERGENCY) {
			W(xmlTextWriterStartElement(w, BAD_CAST "category"));
			W(xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST "emergenza"));
			W(xmlTextWriterEndElement(w));
		}
		W(xmlTextWriterStartElement(w, BAD_CAST "content"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "text"));
		W(xmlTextWriterWriteString(w, BAD_CAST (m->text ? m->text : "")));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	out->type = "application/atom+xml; charset=utf-8";
	return writer_done(w, xb, out, rc);
}

static int rss(const struct public_req *r, struct store_message *msgs, int n,
	       struct public_body *out)
{
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	char t[64], url[1200], title[600];
	int rc = 0;

	if (!w) {
		xmlBufferFree(xb);
		return BANDITORE_ENOMEM;
	}
	if (r->category)
		snprintf(title, sizeof(title), "%s: %s", r->cfg->channel_name, label_of(r->cfg, r->category));
	else
		snprintf(title, sizeof(title), "%s", r->cfg->channel_name);
	W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	W(xmlTextWriterStartElement(w, BAD_CAST "rss"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:atom", BAD_CAST "http://www.w3.org/2005/Atom"));
	W(xmlTextWriterStartElement(w, BAD_CAST "channel"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title));
	snprintf(url, sizeof(url), "%s/archivio", r->cfg->public_url);
	W(xmlTextWriterWriteElement(w, BAD_CAST "link", BAD_CAST url));
	W(xmlTextWriterWriteElement(w, BAD_CAST "description",
				    BAD_CAST (*r->cfg->channel_description ? r->cfg->channel_description
									   : r->cfg->channel_name)));
	W(xmlTextWriterWriteElement(w, BAD_CAST "language", BAD_CAST "it"));
	rfc822(out->modified > 0 ? out->modified : 0, t, sizeof(t));
	W(xmlTextWriterWriteElement(w, BAD_CAST "lastBuildDate", BAD_CAST t));
	self_url(r, "rss", url, sizeof(url));
	W(xmlTextWriterStartElement(w, BAD_CAST "atom:link"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "application/rss+xml"));
	W(xmlTextWriterEndElement(w));
	for (int i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];
		snprintf(url, sizeof(url), "%s/archivio/%lld", r->cfg->public_url, (long long)m->id);
		W(xmlTextWriterStartElement(w, BAD_CAST "item"));
		W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST m->title));
		W(xmlTextWriterWriteElement(w, BAD_CAST "link", BAD_CAST url));
		W(xmlTextWriterStartElement(w, BAD_CAST "guid"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "isPermaLink", BAD_CAST "true"));
		W(xmlTextWriterWriteString(w, BAD_CAST url));
		W(xmlTextWriterEndElement(w));
		rfc822(public_message_time(m), t, sizeof(t));
		W(xmlTextWriterWriteElement(w, BAD_CAST "pubDate", BAD_CAST t));
		if (*m->category)
			W(xmlTextWriterWriteElement(w, BAD_CAST "category", BAD_CAST label_of(r->cfg, m->category)));
		W(xmlTextWriterWriteElement(w, BAD_CAST "description", BAD_CAST (m->text ? m->text : "")));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w));
	out->type = "application/rss+xml; charset=utf-8";
	return writer_done(w, xb, out, rc);
}

static int json_feed(const struct public_req *r, struct store_message *msgs, int n,
		     struct public_body *out)
{
	char url[1200], home[1200], t[40], title[600];
	json_t *feed, *items = json_array();
	char *text;
	int rc = 0;

	self_url(r, "json", url, sizeof(url));
	snprintf(home, sizeof(home), "%s/archivio", r->cfg->public_url);
	if (r->category)
		snprintf(title, sizeof(title), "%s: %s", r->cfg->channel_name, label_of(r->cfg, r->category));
	else
		snprintf(title, sizeof(title), "%s", r->cfg->channel_name);
	for (int i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];
		char link[1200];
		json_t *tags = json_array();
		snprintf(link, sizeof(link), "%s/archivio/%lld", r->cfg->public_url, (long long)m->id);
		rfc3339(public_message_time(m), t, sizeof(t));
		if (*m->category)
			json_array_append_new(tags, json_string(label_of(r->cfg, m->category)));
		if (m->priority == STORE_PRIORITY_EMERGENCY)
			json_array_append_new(tags, json_string("emergenza"));
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "id", link, "url",
						       link, "title", m->title, "content_text",
						       m->text ? m->text : "", "date_published", t,
						       "tags", tags));
	}
	feed = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:o}",
			 "version", "https://jsonfeed.org/version/1.1", "title", title,
			 "home_page_url", home, "feed_url", url, "description",
			 r->cfg->channel_description, "language", "it", "authors", "name",
			 r->cfg->comune_name, "url", r->cfg->website, "items", items);
	text = feed ? json_dumps(feed, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		rc = BANDITORE_ENOMEM;
	else if (buf_appends(&out->body, text))
		rc = BANDITORE_ETOOBIG;
	free(text);
	json_decref(feed);
	out->type = "application/feed+json; charset=utf-8";
	return rc;
}

int public_feed(const struct public_req *r, const char *kind, struct public_body *out)
{
	struct store_message msgs[PUBLIC_FEED_SIZE];
	int n = 0, rc;

	if (r->category && r->cfg->policy && r->cfg->policy->n_categories &&
	    !policy_category_find(r->cfg->policy, r->category))
		return BANDITORE_ENOTFOUND;
	memset(msgs, 0, sizeof(msgs));
	if ((rc = load(r, 0, msgs, &n)))
		return rc;
	out->modified = newest(r, msgs, n);
	out->max_age = 60;
	rc = !strcmp(kind, "atom") ? atom(r, msgs, n, out)
	   : !strcmp(kind, "rss") ? rss(r, msgs, n, out)
				 : json_feed(r, msgs, n, out);
	for (int i = 0; i < n; i++)
		store_message_clear(&msgs[i]);
	return rc;
}

/* --- CAP 1.2 --- */

static void cap_sender(const struct config *cfg, char *out, size_t cap)
{
	const char *h = strstr(cfg->public_url, "://");
	snprintf(out, cap, "banditore@%.*s", h ? (int)strcspn(h + 3, "/:") : 9,
		 h ? h + 3 : "localhost");
}

static int cancelled(const struct store_message *m)
{
	return m->state == STORE_MSG_CANCELLED;
}

/* The emergency that message `m` updates, into *orig: 1 when there is one that was
 * published as an alert (an emergency that started going out), else 0 (*orig cleared). */
static int updated_alert(const struct public_req *r, const struct store_message *m,
			 struct store_message *orig)
{
	struct store *st;
	int rc;

	memset(orig, 0, sizeof(*orig));
	if (m->replaces <= 0 || cancelled(m))
		return 0;
	st = public_store_get(r->site);
	if (!st)
		return 0;
	rc = store_message_get(st, m->replaces, orig);
	public_store_put(r->site, st, rc != 0 && rc != BANDITORE_ENOTFOUND);
	if (rc)
		return 0;
	if (orig->priority != STORE_PRIORITY_EMERGENCY || orig->started_at <= 0) {
		store_message_clear(orig);
		memset(orig, 0, sizeof(*orig));
		return 0;
	}
	return 1;
}

static const char *cap_kind(const struct store_message *m, const struct store_message *orig)
{
	return cancelled(m) ? "Cancel" : orig ? "Update" : "Alert";
}

/* One <alert> for message `m` (an emergency); `orig` is the alert it updates, or NULL. */
static int cap_alert(const struct public_req *r, const struct store_message *m,
		     const struct store_message *orig, xmlTextWriterPtr w)
{
	char sender[300], id[400], sent[40], orig_sent[40], refs[900], web[1200], exp[40];
	int rc = 0;

	cap_sender(r->cfg, sender, sizeof(sender));
	rfc3339(public_message_time(m), orig_sent, sizeof(orig_sent));
	snprintf(id, sizeof(id), "%s-%lld", sender, (long long)m->id);
	W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "alert", BAD_CAST CAP_NS));
	if (cancelled(m)) {
		char cid[420];
		snprintf(cid, sizeof(cid), "%s-cancel", id);
		rfc3339(m->finished_at ? m->finished_at : public_message_time(m), sent, sizeof(sent));
		W(xmlTextWriterWriteElement(w, BAD_CAST "identifier", BAD_CAST cid));
	} else {
		snprintf(sent, sizeof(sent), "%s", orig_sent);
		W(xmlTextWriterWriteElement(w, BAD_CAST "identifier", BAD_CAST id));
	}
	W(xmlTextWriterWriteElement(w, BAD_CAST "sender", BAD_CAST sender));
	W(xmlTextWriterWriteElement(w, BAD_CAST "sent", BAD_CAST sent));
	W(xmlTextWriterWriteElement(w, BAD_CAST "status", BAD_CAST "Actual"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "msgType", BAD_CAST cap_kind(m, orig)));
	W(xmlTextWriterWriteElement(w, BAD_CAST "scope", BAD_CAST "Public"));
	if (cancelled(m)) {
		snprintf(refs, sizeof(refs), "%s,%s,%s", sender, id, orig_sent);
		W(xmlTextWriterWriteElement(w, BAD_CAST "note", BAD_CAST "Avviso annullato dal Comune"));
		W(xmlTextWriterWriteElement(w, BAD_CAST "references", BAD_CAST refs));
	} else if (orig) {
		char note[120], osent[40];
		rfc3339(public_message_time(orig), osent, sizeof(osent));
		snprintf(refs, sizeof(refs), "%s,%s-%lld,%s", sender, sender, (long long)orig->id, osent);
		snprintf(note, sizeof(note), "Aggiorna l'avviso n. %lld del Comune", (long long)orig->id);
		W(xmlTextWriterWriteElement(w, BAD_CAST "note", BAD_CAST note));
		W(xmlTextWriterWriteElement(w, BAD_CAST "references", BAD_CAST refs));
	}
	W(xmlTextWriterStartElement(w, BAD_CAST "info"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "language", BAD_CAST "it-IT"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "category", BAD_CAST (strstr(m->category, "meteo") ? "Met" : "Safety")));
	W(xmlTextWriterWriteElement(w, BAD_CAST "event", BAD_CAST (*m->category ? label_of(r->cfg, m->category) : "Emergenza")));
	W(xmlTextWriterWriteElement(w, BAD_CAST "urgency", BAD_CAST (cancelled(m) ? "Past" : "Immediate")));
	W(xmlTextWriterWriteElement(w, BAD_CAST "severity", BAD_CAST "Unknown"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "certainty", BAD_CAST "Unknown"));
	if (m->expires_at > 0) {
		rfc3339(m->expires_at, exp, sizeof(exp));
		W(xmlTextWriterWriteElement(w, BAD_CAST "expires", BAD_CAST exp));
	}
	W(xmlTextWriterWriteElement(w, BAD_CAST "senderName", BAD_CAST r->cfg->comune_name));
	W(xmlTextWriterWriteElement(w, BAD_CAST "headline", BAD_CAST m->title));
	W(xmlTextWriterWriteElement(w, BAD_CAST "description", BAD_CAST (m->text ? m->text : "")));
	if (m->state == STORE_MSG_SENT || m->state == STORE_MSG_PARTLY_FAILED) {
		snprintf(web, sizeof(web), "%s/archivio/%lld", r->cfg->public_url, (long long)m->id);
		W(xmlTextWriterWriteElement(w, BAD_CAST "web", BAD_CAST web));
	}
	W(xmlTextWriterStartElement(w, BAD_CAST "area"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "areaDesc", BAD_CAST r->cfg->comune_name));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterEndElement(w)); /* info */
	W(xmlTextWriterEndElement(w)); /* alert */
	return rc;
}

static int sent(const struct store_message *m)
{
	return m->state == STORE_MSG_SENT || m->state == STORE_MSG_PARTLY_FAILED;
}

/* Adds to msgs[*n] (room for `cap`) the sent messages that are not emergencies but
 * replace one of the emergencies listed, once each. */
static void add_plain_updates(const struct public_req *r, struct store_message *msgs, int *n,
			      int cap)
{
	struct store *st;
	int listed = *n;

	st = public_store_get(r->site);
	if (!st)
		return;
	for (int i = 0; i < listed && *n < cap; i++) {
		struct store_message u;
		int seen = 0, rc;

		if (msgs[i].replaced_by <= 0)
			continue;
		for (int k = 0; k < *n; k++)
			seen |= msgs[k].id == msgs[i].replaced_by;
		if (seen)
			continue;
		memset(&u, 0, sizeof(u));
		rc = store_message_get(st, msgs[i].replaced_by, &u);
		if (rc == 0 && u.priority != STORE_PRIORITY_EMERGENCY && sent(&u))
			msgs[(*n)++] = u; /* owned by msgs now */
		else
			store_message_clear(&u);
		if (rc && rc != BANDITORE_ENOTFOUND) {
			public_store_put(r->site, st, 1);
			return;
		}
	}
	public_store_put(r->site, st, 0);
}

int public_cap(const struct public_req *r, struct public_body *out)
{
	struct store_message msgs[PUBLIC_FEED_SIZE];
	xmlBufferPtr xb;
	xmlTextWriterPtr w;
	char t[40], url[1200];
	int n = 0, rc;

	memset(msgs, 0, sizeof(msgs));
	if (r->path) {
		/* one alert: /cap/ID.xml */
		struct store *st = public_store_get(r->site);
		if (!st)
			return BANDITORE_ESTORE;
		rc = store_message_get(st, strtoll(r->path, NULL, 10), &msgs[0]);
		public_store_put(r->site, st, rc != 0 && rc != BANDITORE_ENOTFOUND);
		if (rc)
			return rc;
		n = 1;
		if (msgs[0].priority != STORE_PRIORITY_EMERGENCY) {
			/* not an emergency: only as the update of one */
			struct store_message orig;
			int update = sent(&msgs[0]) && updated_alert(r, &msgs[0], &orig);
			store_message_clear(&orig);
			if (!update) {
				store_message_clear(&msgs[0]);
				return BANDITORE_ENOTFOUND;
			}
		} else if (!(msgs[0].state == STORE_MSG_SENDING || sent(&msgs[0]) ||
			     ((msgs[0].state == STORE_MSG_CANCELLED || msgs[0].state == STORE_MSG_EXPIRED) &&
			      msgs[0].started_at > 0))) {
			store_message_clear(&msgs[0]);
			return BANDITORE_ENOTFOUND;
		}
	} else if ((rc = load(r, 1, msgs, &n))) {
		return rc;
	} else {
		add_plain_updates(r, msgs, &n, PUBLIC_FEED_SIZE);
	}
	out->modified = newest(r, msgs, n);
	out->max_age = 30;
	xb = xmlBufferCreate();
	w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	if (!w) {
		xmlBufferFree(xb);
		rc = BANDITORE_ENOMEM;
		goto done;
	}
	rc = 0;
	W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
	if (r->path) {
		struct store_message orig;
		int has = updated_alert(r, &msgs[0], &orig);
		rc = cap_alert(r, &msgs[0], has ? &orig : NULL, w);
		store_message_clear(&orig);
		out->type = "application/cap+xml; charset=utf-8";
		rc = writer_done(w, xb, out, rc);
		goto done;
	}
	W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feed", BAD_CAST "http://www.w3.org/2005/Atom"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST "it"));
	snprintf(url, sizeof(url), "%s: allerte (CAP 1.2)", r->cfg->channel_name);
	W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST url));
	snprintf(url, sizeof(url), "%s/cap.xml", r->cfg->public_url);
	W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST url));
	rfc3339(out->modified, t, sizeof(t));
	W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST t));
	W(xmlTextWriterStartElement(w, BAD_CAST "link"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self"));
	W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
	W(xmlTextWriterEndElement(w));
	W(xmlTextWriterStartElement(w, BAD_CAST "author"));
	W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST r->cfg->comune_name));
	W(xmlTextWriterEndElement(w));
	for (int i = 0; i < n; i++) {
		const struct store_message *m = &msgs[i];
		struct store_message orig;
		const char *kind = cap_kind(m, updated_alert(r, m, &orig) ? &orig : NULL);
		char id[1300];
		store_message_clear(&orig);
		snprintf(url, sizeof(url), "%s/cap/%lld.xml", r->cfg->public_url, (long long)m->id);
		snprintf(id, sizeof(id), "%s%s", url, cancelled(m) ? "#cancel" : "");
		W(xmlTextWriterStartElement(w, BAD_CAST "entry"));
		W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST id));
		W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST m->title));
		rfc3339(cancelled(m) && m->finished_at ? m->finished_at : public_message_time(m), t, sizeof(t));
		W(xmlTextWriterWriteElement(w, BAD_CAST "updated", BAD_CAST t));
		W(xmlTextWriterStartElement(w, BAD_CAST "category"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST kind));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterStartElement(w, BAD_CAST "link"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "alternate"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "application/cap+xml"));
		W(xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST url));
		W(xmlTextWriterEndElement(w));
		W(xmlTextWriterWriteElement(w, BAD_CAST "summary", BAD_CAST (m->text ? m->text : "")));
		W(xmlTextWriterEndElement(w));
	}
	W(xmlTextWriterEndElement(w));
	out->type = "application/atom+xml; charset=utf-8";
	rc = writer_done(w, xb, out, rc);
done:
	for (int i = 0; i < n; i++)
		store_message_clear(&msgs[i]);
	return rc;
}
