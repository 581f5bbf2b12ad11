/* telegram_update.c - a strict reader of Telegram's Update objects (see telegram_update.h). */
#include "connectors/telegram_update.h"
#include "common/err.h"

#include <jansson.h>
#include <string.h>

static const char payload_alphabet[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

const char *tg_update_kind_name(int kind)
{
	switch (kind) {
	case TG_UPDATE_START: return "start";
	case TG_UPDATE_STOP: return "stop";
	case TG_UPDATE_TEXT: return "text";
	case TG_UPDATE_BLOCKED: return "blocked";
	case TG_UPDATE_UNBLOCKED: return "unblocked";
	case TG_UPDATE_CALLBACK: return "callback";
	default: return "other";
	}
}

/* An integer within [lo, hi] (Telegram's ids fit in 52 bits, but JSON may say anything). */
static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return BANDITORE_EINVAL;
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return BANDITORE_EINVAL;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

/* Code points of valid UTF-8, or -1 (see telegram.c: the same rules). */
static long utf8_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	long n = 0;

	while (p < end) {
		unsigned c = *p, cp;
		int l;
		if (c == 0)
			return -1;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			l = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			l = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			l = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (end - p < l)
			return -1;
		for (int i = 1; i < l; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((l == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (l == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return -1;
		p += l;
		n++;
	}
	return n;
}

/* A private chat: *chat_id set and 1; another kind of chat: 0; malformed: EINVAL. */
static int private_chat(json_t *chat, int64_t *chat_id)
{
	json_t *type = json_object_get(chat, "type");
	int64_t id;

	if (!json_is_object(chat) || !json_is_string(type))
		return BANDITORE_EINVAL;
	if (get_int(chat, "id", -TG_ID_MAX, TG_ID_MAX, &id))
		return BANDITORE_EINVAL;
	if (strcmp(json_string_value(type), "private") != 0)
		return 0;
	if (id <= 0) /* a private chat's id is the user's: positive */
		return BANDITORE_EINVAL;
	*chat_id = id;
	return 1;
}

/* Does `text` start with the command `cmd` ("/start")? Returns a pointer past the
 * command (and an optional "@botname") — at '\0' or at the space before the arguments —
 * or NULL. */
static const char *command(const char *text, const char *cmd)
{
	size_t n = strlen(cmd);
	const char *p;

	if (strncmp(text, cmd, n) != 0)
		return NULL;
	p = text + n;
	if (*p == '@') {
		size_t u = strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (u < 1 || u > 32)
			return NULL;
		p += 1 + u;
	}
	return (*p == '\0' || *p == ' ') ? p : NULL;
}

static int parse_message(json_t *m, struct tg_update *u)
{
	json_t *text = json_object_get(m, "text");
	const char *s, *rest;
	size_t len;
	int rc;

	if (!json_is_object(m))
		return BANDITORE_EINVAL;
	rc = private_chat(json_object_get(m, "chat"), &u->chat_id);
	if (rc <= 0) {
		u->chat_id = 0;
		return rc; /* 0: a group's or channel's message, ignored */
	}
	if (!text) /* a photo, a sticker...: nothing we read */
		goto other;
	if (!json_is_string(text))
		return BANDITORE_EINVAL;
	s = json_string_value(text);
	len = json_string_length(text);
	if (len > TG_TEXT_MAX * 4 || strlen(s) != len || utf8_chars(s, len) < 0 ||
	    utf8_chars(s, len) > TG_TEXT_MAX)
		return BANDITORE_EINVAL;
	if ((rest = command(s, "/start")) != NULL) {
		u->kind = TG_UPDATE_START;
		if (*rest == ' ') {
			size_t n = strspn(rest + 1, payload_alphabet);
			if (n >= 1 && n <= TG_PAYLOAD_MAX && rest[1 + n] == '\0') {
				memcpy(u->payload, rest + 1, n);
				u->payload[n] = '\0';
			}
		}
		return 0;
	}
	if (command(s, "/stop") != NULL) {
		u->kind = TG_UPDATE_STOP;
		return 0;
	}
	u->kind = TG_UPDATE_TEXT;
	memcpy(u->text, s, len + 1);
	return 0;
other:
	u->kind = TG_UPDATE_OTHER;
	u->chat_id = 0;
	return 0;
}

static int parse_member(json_t *m, struct tg_update *u)
{
	json_t *status;
	const char *st;
	int rc;

	if (!json_is_object(m))
		return BANDITORE_EINVAL;
	rc = private_chat(json_object_get(m, "chat"), &u->chat_id);
	if (rc <= 0) {
		u->chat_id = 0;
		return rc;
	}
	status = json_object_get(json_object_get(m, "new_chat_member"), "status");
	if (!json_is_string(status))
		return BANDITORE_EINVAL;
	st = json_string_value(status);
	if (!strcmp(st, "kicked"))
		u->kind = TG_UPDATE_BLOCKED;
	else if (!strcmp(st, "member"))
		u->kind = TG_UPDATE_UNBLOCKED;
	else
		u->chat_id = 0;
	return 0;
}

static int parse_callback(json_t *q, struct tg_update *u)
{
	json_t *id = json_object_get(q, "id"), *data = json_object_get(q, "data");
	json_t *msg = json_object_get(q, "message");
	int64_t from_id;
	size_t n;

	if (!json_is_object(q) || !json_is_string(id) || !json_is_object(json_object_get(q, "from")))
		return BANDITORE_EINVAL;
	if (get_int(json_object_get(q, "from"), "id", 1, TG_ID_MAX, &from_id))
		return BANDITORE_EINVAL;
	n = json_string_length(id);
	if (n < 1 || n > TG_CALLBACK_ID_MAX || strlen(json_string_value(id)) != n ||
	    strspn(json_string_value(id), payload_alphabet) != n)
		return BANDITORE_EINVAL;
	if (!data) /* a game's button: nothing for us */
		return 0;
	if (!json_is_string(data))
		return BANDITORE_EINVAL;
	n = json_string_length(data);
	if (n < 1 || n > TG_CALLBACK_DATA_MAX || strlen(json_string_value(data)) != n ||
	    utf8_chars(json_string_value(data), n) < 0)
		return BANDITORE_EINVAL;
	u->chat_id = from_id;
	if (msg) {
		int64_t chat = 0, mid = 0;
		int rc;
		if (!json_is_object(msg))
			return BANDITORE_EINVAL;
		rc = private_chat(json_object_get(msg, "chat"), &chat);
		if (rc < 0)
			return rc;
		if (rc == 0) { /* a button under a message in a group: not ours */
			u->chat_id = 0;
			return 0;
		}
		u->chat_id = chat;
		if (json_object_get(msg, "message_id")) {
			if (get_int(msg, "message_id", 1, TG_ID_MAX, &mid))
				return BANDITORE_EINVAL;
			u->message_id = mid;
		}
	}
	u->kind = TG_UPDATE_CALLBACK;
	memcpy(u->callback_id, json_string_value(id), json_string_length(id) + 1);
	memcpy(u->callback_data, json_string_value(data), n + 1);
	return 0;
}

int tg_update_parse(const char *body, size_t len, struct tg_update *out)
{
	json_t *root = NULL, *v;
	int rc = BANDITORE_EINVAL;

	memset(out, 0, sizeof(*out));
	if (!body)
		return BANDITORE_EINVAL;
	if (len > TG_UPDATE_BODY_MAX)
		return BANDITORE_ETOOBIG;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(root))
		goto fail;
	if (get_int(root, "update_id", 0, TG_ID_MAX, &out->update_id))
		goto fail;
	if ((v = json_object_get(root, "message")) != NULL)
		rc = parse_message(v, out);
	else if ((v = json_object_get(root, "my_chat_member")) != NULL)
		rc = parse_member(v, out);
	else if ((v = json_object_get(root, "callback_query")) != NULL)
		rc = parse_callback(v, out);
	else
		rc = 0; /* edited messages, channel posts, polls...: not ours */
fail:
	json_decref(root);
	if (rc) {
		memset(out, 0, sizeof(*out));
		return BANDITORE_EINVAL;
	}
	if (out->kind == TG_UPDATE_OTHER) {
		int64_t id = out->update_id;
		memset(out, 0, sizeof(*out));
		out->update_id = id;
	}
	return 0;
}
