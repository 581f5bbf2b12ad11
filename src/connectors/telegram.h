/*
 * telegram.h - sends messages through the Telegram Bot API, and reads what it sends us.
 *
 * Two ways a comune uses Telegram (configuration [telegram] mode):
 *
 *   - channel mode: the comune's bot is an administrator of the comune's channel and
 *     posts each message there with sendMessage to "@channel" or "-100...". The channel's
 *     followers are anonymous to the comune: Banditore holds no subscriber data at all;
 *   - bot mode: each citizen starts the bot (a t.me/<bot>?start=<payload> deep link from
 *     the public page), and Banditore sends to each chat one by one, as for WhatsApp.
 *
 * One send is one POST {api_base}/bot<token>/sendMessage with a JSON body. Text is sent
 * with parse_mode "HTML": of HTML only <, > and & need escaping (as &lt; &gt; &amp;),
 * which is easier to get right than MarkdownV2's eighteen reserved characters.
 *
 * Answers are classified into a struct connector_result (connector.h):
 *   ok:true                          OK, message_id is result.message_id;
 *   429 (flood control)              RETRY, retry_after from parameters.retry_after (or
 *                                    the Retry-After header), clamped;
 *   5xx, time-outs, transport        RETRY;
 *   403 blocked / deactivated,       FAIL with error_code TELEGRAM_ERROR_GONE: the person
 *   400 chat not found (a chat id)   is gone for good; the caller erases the subscriber;
 *   anything else                    FAIL with Telegram's error_code.
 * The chat id is never logged and never appears in res->error. The bot token is part of
 * the URL (that is how the Bot API authenticates): it is wiped when the connector is freed
 * and never appears in an error either.
 *
 * A struct telegram holds one libcurl easy handle, reused so the connection stays alive.
 * One struct per thread. Bulk pacing is the caller's (about 30 messages/s, see caps).
 */
#ifndef BANDITORE_TELEGRAM_H
#define BANDITORE_TELEGRAM_H

#include "connectors/connector.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define TELEGRAM_TEXT_MAX 4096       /* characters of a message after entity parsing */
#define TELEGRAM_CHAT_MAX 40         /* bytes of a chat id string ("@name" or digits) */
#define TELEGRAM_KEYBOARD_MAX 8192   /* bytes of a reply_markup JSON */
#define TELEGRAM_RESPONSE_MAX 65536  /* bytes of an answer we are willing to read */
#define TELEGRAM_RATE 30             /* messages per second in bulk (Telegram's own advice) */

/* error_code of a FAIL that means the recipient can never be reached again (blocked the
 * bot, deleted the account, the chat does not exist): erase the subscriber. Not one of
 * Telegram's own codes (those mirror HTTP statuses, 400-599), so it cannot be confused. */
#define TELEGRAM_ERROR_GONE 40301

enum telegram_mode {
	TELEGRAM_MODE_BOT = 0,     /* one chat per subscriber */
	TELEGRAM_MODE_CHANNEL = 1, /* posts to the comune's channel; no subscriber data */
};

struct telegram; /* opaque: one connection to the Bot API for one bot */

struct telegram_settings {
	const char *api_base;  /* "https://api.telegram.org" or "http://127.0.0.1:PORT" */
	const char *bot_token; /* "123456:ABC-..." from @BotFather */
	int timeout_ms;        /* whole-request limit; <= 0 means 10000 */
};

/* Creates a connector from `ts` (strings copied). api_base must be http(s)://..., the
 * token one printable word with a ':' and no '/'. Returns 0 and sets *out, or
 * BANDITORE_EINVAL / BANDITORE_ENOMEM (and *out = NULL). */
int telegram_new(const struct telegram_settings *ts, struct telegram **out);

/* Closes the connection and wipes the token. Accepts NULL. */
void telegram_free(struct telegram *t);

/* The capabilities of the platform in `mode` (static storage): holds_addresses is 1 in
 * bot mode, 0 in channel mode. */
const struct connector_caps *telegram_caps(int mode);

/* 1 when `chat` is a chat id Telegram accepts: a user or group id (an optional '-' and 1
 * to 20 digits) or a public channel's "@username" (5 to 32 letters, digits or '_'). */
int telegram_chat_valid(const char *chat);

/* Appends `s` (UTF-8) escaped for parse_mode HTML (&, <, > and ") to `out`.
 * BANDITORE_ETOOBIG when `out` is full. */
struct buf;
int telegram_escape_html(const char *s, struct buf *out);

/* Renders a composed message for Telegram: the title in bold, a blank line, the text, and
 * the link on its own line (Telegram makes it clickable; an <a> tag would hide the
 * address behind a warning). `link` may be NULL or "". The characters Telegram counts
 * (after entity parsing: the visible text) must be 1..TELEGRAM_TEXT_MAX, else
 * BANDITORE_EINVAL; invalid UTF-8 is BANDITORE_EINVAL too. On success *out is a string
 * the caller frees. */
int telegram_render(const char *title, const char *text, const char *link, char **out);

/* The JSON body of a sendMessage to `chat` with `html` (already rendered or escaped) and,
 * when not NULL, `reply_markup` (a JSON object, e.g. an inline keyboard; copied as is
 * after checking it is an object). Link previews are turned off: an announcement's own
 * link is not worth a stranger's page preview. *out is freed by the caller. */
int telegram_build_send(const char *chat, const char *html, const char *reply_markup,
			char **out);

/* Classifies an answer of the Bot API (status and body, which may be NULL or not JSON),
 * as the table at the top of this file says. Fills *res and returns 0 when OK, else as
 * connector.h says. retry_after comes from parameters.retry_after only here. */
int telegram_parse_response(long http_status, const char *body, struct connector_result *res);

/* Sends `html` to `chat` (a subscriber's chat id in bot mode, the channel in channel
 * mode), with an optional reply_markup. Fills *res (always) and returns 0 when accepted,
 * else as connector.h says. */
int telegram_send_html(struct telegram *t, const char *chat, const char *html,
		       const char *reply_markup, struct connector_result *res);

/* Renders (telegram_render) and sends a composed message. */
int telegram_send_message(struct telegram *t, const char *chat, const char *title,
			  const char *text, const char *link, struct connector_result *res);

/* Answers an inline button's press (the client stops its spinner and shows `text` as a
 * short notice, when not NULL). */
int telegram_answer_callback(struct telegram *t, const char *callback_id, const char *text,
			     struct connector_result *res);

/* Replaces the inline keyboard of message `message_id` in `chat`. */
int telegram_edit_keyboard(struct telegram *t, const char *chat, int64_t message_id,
			   const char *reply_markup, struct connector_result *res);

/* Registers the webhook: Telegram will POST updates to `url` with the header
 * X-Telegram-Bot-Api-Secret-Token: `secret` (1..256 of A-Z a-z 0-9 _ -), only for the
 * update kinds Banditore reads (message, callback_query, my_chat_member). */
int telegram_set_webhook(struct telegram *t, const char *url, const char *secret,
			 struct connector_result *res);

/*
 * Non-blocking sends for a caller that drives many transfers with its own libcurl multi
 * handle (as delivery/wa_multi.c does for WhatsApp): one struct telegram per transfer.
 *   telegram_start(t, body, len)   prepares the sendMessage POST of `body` (borrowed,
 *                                  unchanged until telegram_finish; telegram_build_send
 *                                  makes it);
 *   curl_multi_add_handle(multi, telegram_easy(t)) and drive the multi handle;
 *   telegram_finish(t, cc, res)    after curl_multi_remove_handle: classifies the answer.
 */
int telegram_start(struct telegram *t, const char *body, size_t len);
int telegram_finish(struct telegram *t, CURLcode cc, struct connector_result *res);
CURL *telegram_easy(struct telegram *t);

#endif
