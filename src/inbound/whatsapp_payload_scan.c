/*
 * whatsapp_payload_scan.c - a webhook body read in one pass over its bytes with
 * common/json_scan, without a jansson tree (see whatsapp_payload_internal.h).
 *
 * jansson's tree for a 600-byte status body was a sixth of the daemon's CPU per webhook
 * (perf, bench/RESULTS.md). This reader walks the same shapes: it notes each member the
 * jansson reader looks at (a string's bounds, an integer, or only what kind of value it
 * was) and, once the member's object is read, applies whatsapp_payload.c's rules to what
 * it noted. It returns 1 only when certain: any doubt (an escape in a key, a number
 * jansson might not represent, a key twice in any object, nesting deeper than
 * WA_PAYLOAD_SCAN_DEPTH_MAX, a body jansson would refuse, too many events) gives 0, and
 * jansson reads the body as before and decides, errors included.
 * tests/fuzz/fuzz_whatsapp_payload.c checks that both readers give the same events.
 *
 * Callbacks return 0 when they read their value, JSON_SCAN_SKIP to leave it to the
 * scanner, -1 when not certain.
 */
#include "inbound/whatsapp_payload_internal.h"

#include "common/json_scan.h"

#include <string.h>

/* What a member held, as far as the jansson reader cares. */
enum { ABSENT = 0, STRING, INTEGER, OBJECT, OTHER };

struct field {
	int kind;
	struct json_scan_str str; /* STRING */
	int64_t integer;          /* INTEGER */
};

/* Any value, noted: a string's bounds, an integer's value, or only its kind. */
static int field(struct json_scan *s, struct field *f)
{
	int integer;

	if (json_scan_at(s, '"')) {
		f->kind = STRING;
		return json_scan_string(s, &f->str);
	}
	if (s->p < s->end && (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))) {
		if (json_scan_number(s, &f->integer, &integer) != 0)
			return -1;
		f->kind = integer ? INTEGER : OTHER;
		return 0;
	}
	f->kind = OTHER;
	return json_scan_skip(s);
}

/* An object read by `member`, or any other value skipped; *kind says which. */
static int object_or_other(struct json_scan *s, int *kind, json_scan_member_fn member, void *arg)
{
	if (json_scan_at(s, '{')) {
		*kind = OBJECT;
		return json_scan_object(s, member, arg);
	}
	*kind = OTHER;
	return json_scan_skip(s);
}

/* copy_str's rules: a field that is there must be a string whose value fits, and a
 * required one must be there. */
static int copy(const struct field *f, char *out, size_t cap, int required)
{
	if (f->kind == ABSENT)
		return required ? -1 : 0;
	return f->kind == STRING && json_scan_copy(&f->str, out, cap) >= 0 ? 0 : -1;
}

/* parse_ts's rules: an integer, or a string that is all one number, else 0. */
static int stamp(const struct field *f, int64_t *ts)
{
	char text[64];

	if (f->kind == INTEGER) {
		*ts = f->integer;
	} else if (f->kind == STRING) {
		if (json_scan_copy(&f->str, text, sizeof(text)) < 0)
			return -1;
		*ts = wa_payload_ts_text(text);
	}
	return 0;
}

/* The one member `name` of an object noted in the field `arg`. */
static int only(struct json_scan *s, const struct json_scan_str *key, const char *name, void *arg)
{
	return json_scan_is(key, name) ? field(s, arg) : JSON_SCAN_SKIP;
}

/* --- messages[] ---------------------------------------------------------------- */

struct reply {
	int kind;
	struct field id, title;
};

struct message {
	struct field from, id, type, timestamp;
	int text, button, interactive; /* the kinds of those members */
	struct field body;             /* text.body */
	struct field button_text;      /* button.text */
	struct reply reply[2];         /* interactive.button_reply, interactive.list_reply */
};

static int body_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	return only(s, key, "body", arg);
}

static int text_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	return only(s, key, "text", arg);
}

static int reply_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct reply *r = arg;

	if (json_scan_is(key, "id"))
		return field(s, &r->id);
	return only(s, key, "title", &r->title);
}

static int interactive_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct reply *r = arg;

	if (json_scan_is(key, "button_reply"))
		return object_or_other(s, &r[0].kind, reply_member, &r[0]);
	if (json_scan_is(key, "list_reply"))
		return object_or_other(s, &r[1].kind, reply_member, &r[1]);
	return JSON_SCAN_SKIP;
}

static int message_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct message *m = arg;

	if (json_scan_is(key, "from"))
		return field(s, &m->from);
	if (json_scan_is(key, "id"))
		return field(s, &m->id);
	if (json_scan_is(key, "type"))
		return field(s, &m->type);
	if (json_scan_is(key, "timestamp"))
		return field(s, &m->timestamp);
	if (json_scan_is(key, "text"))
		return object_or_other(s, &m->text, body_member, &m->body);
	if (json_scan_is(key, "button"))
		return object_or_other(s, &m->button, text_member, &m->button_text);
	if (json_scan_is(key, "interactive"))
		return object_or_other(s, &m->interactive, interactive_member, m->reply);
	return JSON_SCAN_SKIP;
}

/* One element of messages[]: parse_message's rules on what the object held. */
static int message_element(struct json_scan *s, int index, void *arg)
{
	struct wa_payload *p = arg;
	struct message m;
	struct wa_event *ev;
	const struct reply *r;

	(void)index;
	memset(&m, 0, sizeof(m));
	if (json_scan_object(s, message_member, &m) != 0 || !(ev = wa_payload_push(p)))
		return -1;
	ev->kind = WA_EVENT_MESSAGE;
	if (copy(&m.from, ev->from, sizeof(ev->from), 1) || copy(&m.id, ev->id, sizeof(ev->id), 1) ||
	    copy(&m.type, ev->type, sizeof(ev->type), 1) || !wa_payload_all_digits(ev->from) ||
	    !ev->id[0] || stamp(&m.timestamp, &ev->timestamp))
		return -1;
	if (!strcmp(ev->type, "text"))
		return m.text == OBJECT ? copy(&m.body, ev->text, sizeof(ev->text), 1) : -1;
	if (!strcmp(ev->type, "button"))
		return m.button == OBJECT ? copy(&m.button_text, ev->text, sizeof(ev->text), 0) : -1;
	if (!strcmp(ev->type, "interactive")) {
		if (m.interactive != OBJECT)
			return -1;
		r = &m.reply[m.reply[0].kind != ABSENT ? 0 : 1]; /* button_reply, else list_reply */
		if (r->kind == OBJECT &&
		    (copy(&r->id, ev->reply_id, sizeof(ev->reply_id), 0) ||
		     copy(&r->title, ev->text, sizeof(ev->text), 0)))
			return -1;
	}
	return 0; /* media, location, reactions...: an event without text */
}

/* --- statuses[] ---------------------------------------------------------------- */

struct status {
	struct field id, status, biz, timestamp;
	struct field code; /* errors[0].code */
};

static int code_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	return only(s, key, "code", arg);
}

static int first_error(struct json_scan *s, int index, void *arg)
{
	return index == 0 && json_scan_at(s, '{') ? json_scan_object(s, code_member, arg)
						   : JSON_SCAN_SKIP;
}

static int status_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct status *st = arg;

	if (json_scan_is(key, "id"))
		return field(s, &st->id);
	if (json_scan_is(key, "status"))
		return field(s, &st->status);
	if (json_scan_is(key, "biz_opaque_callback_data"))
		return field(s, &st->biz);
	if (json_scan_is(key, "timestamp"))
		return field(s, &st->timestamp);
	if (json_scan_is(key, "errors") && json_scan_at(s, '['))
		return json_scan_array(s, first_error, &st->code);
	return JSON_SCAN_SKIP;
}

/* One element of statuses[]: parse_status's rules. */
static int status_element(struct json_scan *s, int index, void *arg)
{
	struct wa_payload *p = arg;
	struct status st;
	struct wa_event *ev;

	(void)index;
	memset(&st, 0, sizeof(st));
	if (json_scan_object(s, status_member, &st) != 0 || !(ev = wa_payload_push(p)))
		return -1;
	ev->kind = WA_EVENT_STATUS;
	if (copy(&st.id, ev->id, sizeof(ev->id), 1) || copy(&st.status, ev->type, sizeof(ev->type), 1) ||
	    copy(&st.biz, ev->biz_opaque, sizeof(ev->biz_opaque), 0) ||
	    stamp(&st.timestamp, &ev->timestamp))
		return -1;
	if (st.code.kind == INTEGER)
		ev->error_code = (int)st.code.integer;
	return 0;
}

/* --- entry[].changes[] ---------------------------------------------------------- */

struct change {
	struct wa_payload *p;
	struct field field;
	int value;    /* the kind of "value" */
	int statuses; /* "statuses" came */
	int bad;      /* "messages" or "statuses" was not an array */
};

static int value_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct change *c = arg;
	int statuses = json_scan_is(key, "statuses");

	if (!statuses && !json_scan_is(key, "messages"))
		return JSON_SCAN_SKIP;
	if (!statuses && c->statuses)
		return -1; /* jansson reads messages first: its order is kept by not guessing */
	c->statuses |= statuses;
	if (!json_scan_at(s, '[')) {
		c->bad = 1;
		return JSON_SCAN_SKIP;
	}
	return json_scan_array(s, statuses ? status_element : message_element, c->p);
}

static int change_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct change *c = arg;

	if (json_scan_is(key, "field"))
		return field(s, &c->field);
	if (json_scan_is(key, "value"))
		return object_or_other(s, &c->value, value_member, c);
	return JSON_SCAN_SKIP;
}

/* One change. Meta writes "value" before "field", so the value is read as messages
 * while the field is unknown, and its events dropped if the field turns out to be one
 * we ignore (jansson does not look at such a value at all). */
static int change_element(struct json_scan *s, int index, void *arg)
{
	struct change c = { .p = arg };
	int first = c.p->count;
	char name[16];

	(void)index;
	if (json_scan_object(s, change_member, &c) != 0 || c.field.kind != STRING)
		return -1;
	if (json_scan_copy(&c.field.str, name, sizeof(name)) >= 0 && !strcmp(name, "messages"))
		return c.value == OBJECT && !c.bad ? 0 : -1;
	if (c.p->count > first) /* they hold numbers and texts: wiped, as in wa_payload_free */
		explicit_bzero(&c.p->events[first], (size_t)(c.p->count - first) * sizeof(*c.p->events));
	c.p->count = first;
	c.p->ignored++;
	return 0;
}

struct entry {
	struct wa_payload *p;
	int changes; /* "changes" came */
};

static int entry_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct entry *e = arg;

	if (!json_scan_is(key, "changes"))
		return JSON_SCAN_SKIP;
	if (!json_scan_at(s, '['))
		return -1;
	e->changes = 1;
	return json_scan_array(s, change_element, e->p);
}

static int entry_element(struct json_scan *s, int index, void *arg)
{
	struct entry e = { arg, 0 };

	(void)index;
	return json_scan_object(s, entry_member, &e) == 0 && e.changes ? 0 : -1;
}

/* --- the root ------------------------------------------------------------------- */

struct root {
	struct wa_payload *p;
	struct field object;
	int entry; /* "entry" came */
};

static int root_member(struct json_scan *s, const struct json_scan_str *key, void *arg)
{
	struct root *r = arg;

	if (json_scan_is(key, "object"))
		return field(s, &r->object);
	if (!json_scan_is(key, "entry"))
		return JSON_SCAN_SKIP;
	if (!json_scan_at(s, '['))
		return -1;
	r->entry = 1;
	return json_scan_array(s, entry_element, r->p);
}

int wa_payload_scan(const char *body, size_t len, struct wa_payload *out)
{
	struct json_scan s;
	struct root r = { .p = out };
	char object[32];

	memset(out, 0, sizeof(*out));
	if (!body)
		return 0;
	json_scan_init(&s, body, len, WA_PAYLOAD_SCAN_DEPTH_MAX, JSON_SCAN_UTF8 | JSON_SCAN_UNIQUE);
	if (json_scan_object(&s, root_member, &r) == 0 && json_scan_end(&s) == 0 && r.entry &&
	    r.object.kind == STRING && json_scan_copy(&r.object.str, object, sizeof(object)) >= 0 &&
	    !strcmp(object, "whatsapp_business_account"))
		return 1;
	wa_payload_free(out);
	memset(out, 0, sizeof(*out));
	return 0;
}
