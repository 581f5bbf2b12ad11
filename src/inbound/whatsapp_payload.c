/*
 * whatsapp_payload.c - strict, bounded parsing of WhatsApp webhook bodies: the scanner of
 * whatsapp_payload_scan.c first, and jansson whenever the scanner is not certain (see
 * whatsapp_payload_internal.h).
 */
#include "inbound/whatsapp_payload.h"

#include "common/err.h"
#include "inbound/whatsapp_payload_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int copy_str(json_t *v, char *out, size_t cap, int required)
{
	const char *s;
	size_t n;

	if (!v) {
		out[0] = '\0';
		return required ? BANDITORE_EINVAL : 0;
	}
	if (!json_is_string(v))
		return BANDITORE_EINVAL;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= cap || memchr(s, '\0', n))
		return BANDITORE_EINVAL;
	memcpy(out, s, n + 1);
	return 0;
}

int wa_payload_all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int64_t wa_payload_ts_text(const char *s)
{
	char *end;
	long long t = strtoll(s, &end, 10);

	return *end == '\0' ? (int64_t)t : 0;
}

static int64_t parse_ts(json_t *v)
{
	if (json_is_string(v))
		return wa_payload_ts_text(json_string_value(v));
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	return 0;
}

/* Bytes of a string field that may hold something: up to its terminator, or all of it
 * when a copy that failed (too long) left none. Strings never hold a NUL of their own
 * (both parsers refuse \u0000), so nothing written lies past the first one. */
static size_t written(const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	return n < size ? n + 1 : size;
}

/* Wipes what an event may hold, and only that: a whole struct is 4.8 KB, nearly all of it
 * the text's buffer, and zeroing all of it at every push and again at every free was
 * 2.6 % of the daemon's CPU on status webhooks (perf samples: 7.5 % in memset and
 * wa_payload_push before, 4.8 % after, all of it then libmicrohttpd's own). */
static void event_wipe(struct wa_event *ev)
{
	explicit_bzero(ev->from, written(ev->from, sizeof(ev->from)));
	explicit_bzero(ev->id, written(ev->id, sizeof(ev->id)));
	explicit_bzero(ev->type, written(ev->type, sizeof(ev->type)));
	explicit_bzero(ev->text, written(ev->text, sizeof(ev->text)));
	explicit_bzero(ev->reply_id, written(ev->reply_id, sizeof(ev->reply_id)));
	explicit_bzero(ev->biz_opaque, written(ev->biz_opaque, sizeof(ev->biz_opaque)));
	ev->kind = 0;
	ev->timestamp = 0;
	ev->error_code = 0;
}

/* An empty event: every string "" and every number 0, which is all a parser leaves
 * unset and all a reader looks at (strings end at their terminator). */
static void event_clear(struct wa_event *ev)
{
	ev->kind = 0;
	ev->from[0] = ev->id[0] = ev->type[0] = ev->text[0] = '\0';
	ev->reply_id[0] = ev->biz_opaque[0] = '\0';
	ev->timestamp = 0;
	ev->error_code = 0;
}

struct wa_event *wa_payload_push(struct wa_payload *p)
{
	struct wa_event *ev;

	if (p->count >= WA_PAYLOAD_MAX_EVENTS)
		return NULL;
	if (p->count == p->cap) {
		int ncap = p->cap ? p->cap * 2 : 2;
		if (ncap > WA_PAYLOAD_MAX_EVENTS)
			ncap = WA_PAYLOAD_MAX_EVENTS;
		/* Moved by hand, not realloc'd: the old block holds numbers and texts, and is
		 * wiped before it goes back. */
		ev = malloc((size_t)ncap * sizeof(*ev));
		if (!ev)
			return NULL;
		for (int i = 0; i < p->count; i++) {
			ev[i] = p->events[i];
			event_wipe(&p->events[i]);
		}
		free(p->events);
		p->events = ev;
		p->cap = ncap;
	}
	ev = &p->events[p->count++];
	event_clear(ev);
	return ev;
}

static int parse_message(json_t *m, struct wa_payload *p)
{
	struct wa_event *ev;
	json_t *t;
	int rc;

	if (!json_is_object(m) || !(ev = wa_payload_push(p)))
		return BANDITORE_EINVAL;
	ev->kind = WA_EVENT_MESSAGE;
	if ((rc = copy_str(json_object_get(m, "from"), ev->from, sizeof(ev->from), 1)) ||
	    (rc = copy_str(json_object_get(m, "id"), ev->id, sizeof(ev->id), 1)) ||
	    (rc = copy_str(json_object_get(m, "type"), ev->type, sizeof(ev->type), 1)))
		return rc;
	if (!wa_payload_all_digits(ev->from) || !ev->id[0])
		return BANDITORE_EINVAL;
	ev->timestamp = parse_ts(json_object_get(m, "timestamp"));
	if (!strcmp(ev->type, "text")) {
		t = json_object_get(m, "text");
		if (!json_is_object(t))
			return BANDITORE_EINVAL;
		return copy_str(json_object_get(t, "body"), ev->text, sizeof(ev->text), 1);
	}
	if (!strcmp(ev->type, "button")) {
		t = json_object_get(m, "button");
		return json_is_object(t) ? copy_str(json_object_get(t, "text"), ev->text,
						    sizeof(ev->text), 0)
					 : BANDITORE_EINVAL;
	}
	if (!strcmp(ev->type, "interactive")) {
		json_t *r;
		t = json_object_get(m, "interactive");
		if (!json_is_object(t))
			return BANDITORE_EINVAL;
		r = json_object_get(t, "button_reply");
		if (!r)
			r = json_object_get(t, "list_reply");
		if (json_is_object(r))
			return (rc = copy_str(json_object_get(r, "id"), ev->reply_id,
					      sizeof(ev->reply_id), 0))
				       ? rc
				       : copy_str(json_object_get(r, "title"), ev->text,
						  sizeof(ev->text), 0);
	}
	return 0; /* media, location, reactions...: an event without text */
}

static int parse_status(json_t *s, struct wa_payload *p)
{
	struct wa_event *ev;
	json_t *errs;
	int rc;

	if (!json_is_object(s) || !(ev = wa_payload_push(p)))
		return BANDITORE_EINVAL;
	ev->kind = WA_EVENT_STATUS;
	if ((rc = copy_str(json_object_get(s, "id"), ev->id, sizeof(ev->id), 1)) ||
	    (rc = copy_str(json_object_get(s, "status"), ev->type, sizeof(ev->type), 1)) ||
	    (rc = copy_str(json_object_get(s, "biz_opaque_callback_data"), ev->biz_opaque,
			   sizeof(ev->biz_opaque), 0)))
		return rc;
	ev->timestamp = parse_ts(json_object_get(s, "timestamp"));
	errs = json_object_get(s, "errors");
	if (json_is_array(errs) && json_array_size(errs) > 0) {
		json_t *code = json_object_get(json_array_get(errs, 0), "code");
		if (json_is_integer(code))
			ev->error_code = (int)json_integer_value(code);
	}
	return 0;
}

static int parse_list(json_t *arr, struct wa_payload *p, int (*one)(json_t *, struct wa_payload *))
{
	size_t i;
	json_t *v;
	int rc;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return BANDITORE_EINVAL;
	json_array_foreach (arr, i, v)
		if ((rc = one(v, p)))
			return rc;
	return 0;
}

int wa_payload_parse(const char *body, size_t len, struct wa_payload *out)
{
	if (wa_payload_scan(body, len, out))
		return 0;
	return wa_payload_parse_tree(body, len, out);
}

int wa_payload_parse_tree(const char *body, size_t len, struct wa_payload *out)
{
	json_t *root, *entries, *entry, *changes, *change;
	json_error_t jerr;
	size_t i, j;
	int rc = BANDITORE_EINVAL;

	memset(out, 0, sizeof(*out));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return BANDITORE_EINVAL;
	if (!json_is_object(root) || !json_is_string(json_object_get(root, "object")) ||
	    strcmp(json_string_value(json_object_get(root, "object")), "whatsapp_business_account"))
		goto fail;
	entries = json_object_get(root, "entry");
	if (!json_is_array(entries))
		goto fail;
	json_array_foreach (entries, i, entry) {
		changes = json_object_get(entry, "changes");
		if (!json_is_object(entry) || !json_is_array(changes))
			goto fail;
		json_array_foreach (changes, j, change) {
			json_t *field = json_object_get(change, "field");
			json_t *value = json_object_get(change, "value");
			if (!json_is_object(change) || !json_is_string(field))
				goto fail;
			if (strcmp(json_string_value(field), "messages")) {
				out->ignored++;
				continue;
			}
			if (!json_is_object(value))
				goto fail;
			if ((rc = parse_list(json_object_get(value, "messages"), out, parse_message)) ||
			    (rc = parse_list(json_object_get(value, "statuses"), out, parse_status)))
				goto fail;
			rc = BANDITORE_EINVAL;
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	wa_payload_free(out);
	return rc ? rc : BANDITORE_EINVAL;
}

/* The events hold citizens' numbers and texts: wiped before the memory goes back. */
void wa_payload_free(struct wa_payload *p)
{
	for (int i = 0; i < p->count; i++)
		event_wipe(&p->events[i]);
	free(p->events);
	p->events = NULL;
	p->count = p->cap = 0;
}
