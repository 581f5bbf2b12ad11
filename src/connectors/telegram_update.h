/*
 * telegram_update.h - read one Update that Telegram posts to /webhooks/telegram.
 *
 * The body is untrusted JSON. This parser checks every field it uses (types, ranges,
 * lengths, alphabets) and turns the update into one small, bounded struct that says what
 * the citizen did; it decides nothing and touches no storage, so it can be fuzzed alone
 * (tests/fuzz/fuzz_telegram_update.c). Fields it does not use are ignored, as Telegram
 * adds new ones over time.
 *
 * What it understands, in private chats only (groups and channels are ignored):
 *   message "/start" or "/start <payload>"     TG_UPDATE_START (join; the payload, from a
 *                                               t.me/<bot>?start=<payload> deep link, may
 *                                               select categories)
 *   message "/stop"                            TG_UPDATE_STOP (leave: erase at once)
 *   any other message with text                TG_UPDATE_TEXT (keywords, auto-reply)
 *   my_chat_member, new status "kicked"        TG_UPDATE_BLOCKED (the user blocked the bot:
 *                                               erase)
 *   my_chat_member, new status "member"        TG_UPDATE_UNBLOCKED (nothing to do)
 *   callback_query with data                   TG_UPDATE_CALLBACK (an inline button)
 * Anything else is TG_UPDATE_OTHER: acknowledged, nothing done.
 * "/start@<botname>" and "/stop@<botname>" (how clients write commands in menus) count too.
 */
#ifndef BANDITORE_TELEGRAM_UPDATE_H
#define BANDITORE_TELEGRAM_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#define TG_UPDATE_BODY_MAX (256 * 1024) /* a larger body is refused before parsing */
#define TG_TEXT_MAX 4096                /* characters of a message's text */
#define TG_PAYLOAD_MAX 64               /* a deep link's start parameter */
#define TG_CALLBACK_DATA_MAX 64         /* bytes of callback_data (Telegram's limit) */
#define TG_CALLBACK_ID_MAX 64
/* Telegram's ids have at most 52 significant bits. */
#define TG_ID_MAX ((int64_t)1 << 52)

enum tg_update_kind {
	TG_UPDATE_OTHER = 0,
	TG_UPDATE_START,
	TG_UPDATE_STOP,
	TG_UPDATE_TEXT,
	TG_UPDATE_BLOCKED,
	TG_UPDATE_UNBLOCKED,
	TG_UPDATE_CALLBACK,
};

struct tg_update {
	int64_t update_id;               /* 0 .. TG_ID_MAX */
	int kind;                        /* enum tg_update_kind */
	int64_t chat_id;                 /* the private chat (the user's id); 0 for OTHER */
	char payload[TG_PAYLOAD_MAX + 1]; /* START: the deep link's parameter ([A-Za-z0-9_-]),
					  * "" when none or not well-formed */
	char text[TG_TEXT_MAX * 4 + 1];  /* TEXT: the message (UTF-8) */
	char callback_id[TG_CALLBACK_ID_MAX + 1];     /* CALLBACK: to answer the button */
	char callback_data[TG_CALLBACK_DATA_MAX + 1]; /* CALLBACK: what the button carries */
	int64_t message_id;              /* CALLBACK: the message holding the keyboard, or 0 */
};

/* Parses `len` bytes. Returns 0 and fills *out (every field set, the unused ones zero or
 * ""), or BANDITORE_EINVAL for a body that is not one well-formed Update (not JSON, not
 * an object, no valid update_id, a known update kind with wrong types or out-of-range
 * values), or BANDITORE_ETOOBIG over TG_UPDATE_BODY_MAX. */
int tg_update_parse(const char *body, size_t len, struct tg_update *out);

/* "start", "stop", "text", "blocked", "unblocked", "callback", "other". */
const char *tg_update_kind_name(int kind);

#endif
