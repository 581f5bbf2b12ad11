/*
 * whatsapp.h - sends messages through the WhatsApp Business Cloud API.
 *
 * One send is one POST /{version}/{phone-number-id}/messages with a Bearer token, as the
 * official OpenAPI description (../shared/contracts) defines it; a broadcast is many
 * such sends, one per recipient. Two kinds of message exist here:
 *
 *   - free text, allowed only inside the 24-hour window the citizen opened by writing
 *     to the comune (confirmations, auto-replies);
 *   - a pre-approved template, allowed at any time (broadcasts). Its body parameters
 *     fill the template's {{1}}, {{2}}...; biz_opaque_callback_data comes back in the
 *     status webhooks, so statuses can be attributed to a broadcast without a row per
 *     recipient. (The description refuses it on text messages, so text never has it.)
 *
 * A struct whatsapp holds one libcurl easy handle, reused so that the connection stays
 * alive between sends. Sends block for at most timeout_ms. One struct per thread: it is
 * not safe to share one between threads.
 *
 * The answer is classified into a struct connector_result (see connector.h and the
 * table in whatsapp_message.c). Recipients are never logged and never appear in
 * res->error. A time-out after the request left may still have delivered the message:
 * retrying then can send it twice, the lesser harm than losing a notice.
 */
#ifndef BANDITORE_WHATSAPP_H
#define BANDITORE_WHATSAPP_H

#include "common/buf.h"
#include "connectors/connector.h"

#include <curl/curl.h>
#include <stddef.h>

struct whatsapp; /* opaque: one connection to the Cloud API for one phone number */

struct whatsapp_settings {
	const char *api_base;        /* "https://graph.facebook.com" or "http://127.0.0.1:PORT" */
	const char *api_version;     /* "v23.0" */
	const char *phone_number_id; /* the sending number's id (not the number itself) */
	const char *access_token;    /* system-user token, sent as "Authorization: Bearer" */
	int timeout_ms;              /* whole-request limit; <= 0 means 10000 */
};

/* Limits checked before anything is sent (the platform's own, or ours where it has
 * none that matters): longer input is BANDITORE_EINVAL, not silently cut. */
#define WHATSAPP_TEXT_MAX 4096       /* characters of a text message body */
#define WHATSAPP_PARAM_MAX 4096      /* characters of one template parameter */
#define WHATSAPP_PARAMS_MAX 100      /* template body parameters */
#define WHATSAPP_OPAQUE_MAX 512      /* characters of biz_opaque_callback_data */
#define WHATSAPP_TEMPLATE_NAME_MAX 512
#define WHATSAPP_RESPONSE_MAX 65536  /* bytes of an answer we are willing to read */

/* Creates a connector from `ws` (the strings are copied: `ws` may go away afterwards).
 * Checks the settings: api_base must be http(s)://..., api_version like "v23.0",
 * phone_number_id letters, digits, '_' or '-', access_token a single printable word.
 * Returns 0 and sets *out, or BANDITORE_EINVAL / BANDITORE_ENOMEM (and *out = NULL). */
int whatsapp_new(const struct whatsapp_settings *ws, struct whatsapp **out);

/* Closes the connection and wipes the token. Accepts NULL. */
void whatsapp_free(struct whatsapp *w);

/* Sends `text` (UTF-8, 1..WHATSAPP_TEXT_MAX characters) to `to` as a free-text message;
 * `preview_url` non-zero lets WhatsApp show a preview of the first link. `to` is the
 * recipient in E.164 with or without the leading "+" (WhatsApp's wa_id is the digits).
 * Fills *res (always) and returns 0 when accepted, else as connector.h says. */
int whatsapp_send_text(struct whatsapp *w, const char *to, const char *text, int preview_url,
		       struct connector_result *res);

/* A copy of `s` as WhatsApp accepts a template parameter: a run of blanks holding a new
 * line or a tab becomes one space, more than four spaces become four, no blanks at the
 * ends. NULL when out of memory; the caller frees. */
char *whatsapp_param_normalise(const char *s);

/* Sends the approved template `template_name` in `language` ("it", "en_US") with
 * `n_params` body parameters (may be 0, then body_params may be NULL) and, when
 * `biz_opaque` is not NULL, that string as biz_opaque_callback_data. Parameters must be
 * non-empty and, as WhatsApp requires, contain no newline or tab and no more than four
 * consecutive spaces. Fills *res and returns as whatsapp_send_text(). */
int whatsapp_send_template(struct whatsapp *w, const char *to, const char *template_name,
			   const char *language, const char *const *body_params, int n_params,
			   const char *biz_opaque, struct connector_result *res);

/* A template's header carrying an uploaded media (by its id, see whatsapp_upload_media):
 * `type` "image", "video" or "document" (WhatsApp allows no audio header); `filename`
 * (documents only, may be NULL) is what recipients see. Strings borrowed. */
struct whatsapp_header {
	const char *type;
	const char *media_id;
	const char *filename;
};
#define WHATSAPP_MEDIA_ID_MAX 128

/* whatsapp_send_template with a header component (`header` may be NULL: none). */
int whatsapp_send_template_header(struct whatsapp *w, const char *to, const char *template_name,
				  const char *language, const struct whatsapp_header *header,
				  const char *const *body_params, int n_params,
				  const char *biz_opaque, struct connector_result *res);

/* Uploads the file at `path` (type `mime`, as found by content) with POST
 * /{version}/{phone-number-id}/media, multipart/form-data (messaging_product, type,
 * file), blocking for at most the connector's timeout (at least 120 s here: files are
 * large). On success copies the media id WhatsApp answered into media_id and returns
 * 0; else fills *res as the sends do (RETRY for 429/5xx/transport, FAIL otherwise). */
int whatsapp_upload_media(struct whatsapp *w, const char *path, const char *mime,
			  char media_id[WHATSAPP_MEDIA_ID_MAX], struct connector_result *res);
/* The id in an upload's answer ({"id": "..."}): 0, or BANDITORE_EINVAL. */
int whatsapp_parse_upload(const char *body, char media_id[WHATSAPP_MEDIA_ID_MAX]);

/* The request bodies the two sends post, as compact JSON, exposed for tests. On success
 * *out is a NUL-terminated string the caller frees with free(); on failure *out is NULL
 * and the return is BANDITORE_EINVAL (bad argument) or BANDITORE_ENOMEM. */
int whatsapp_build_text(const char *to, const char *text, int preview_url, char **out);
/* An interactive message with up to 3 reply buttons (only inside the 24-hour window):
 * {"type":"interactive","interactive":{"type":"button","body":{"text":T},"action":
 * {"buttons":[{"type":"reply","reply":{"id":ID,"title":TITLE}}...]}}}. The body is at
 * most 1,024 characters, a title at most 20 and an id at most 256 bytes, titles unique. */
#define WHATSAPP_BUTTONS_MAX 3
#define WHATSAPP_BUTTON_BODY_MAX 1024
int whatsapp_build_buttons(const char *to, const char *text, const char *const ids[],
			   const char *const titles[], int n, char **out);
/* An interactive list message (only inside the 24-hour window): one section of 1 to 10
 * rows {"id" <= 200 bytes, "title" <= 24 characters, "description" <= 72 or NULL}, ids
 * unique, a button text of at most 20 characters and a body of at most 4,096. The
 * citizen picks one row; the webhook brings its id back as a list_reply. */
#define WHATSAPP_LIST_ROWS_MAX 10
#define WHATSAPP_LIST_BODY_MAX 4096
int whatsapp_build_list(const char *to, const char *text, const char *button,
			const char *const ids[], const char *const titles[],
			const char *const descriptions[], int n, char **out);
int whatsapp_build_template(const char *to, const char *template_name, const char *language,
			    const char *const *body_params, int n_params, const char *biz_opaque,
			    char **out);
int whatsapp_build_template_header(const char *to, const char *template_name, const char *language,
				   const struct whatsapp_header *header,
				   const char *const *body_params, int n_params,
				   const char *biz_opaque, char **out);

/* Classifies the Cloud API's answer: HTTP status and body (may be NULL or not JSON).
 * 2xx with messages[0].id is OK (the id is copied); 2xx without one is RETRY; an error
 * object is classified by its code (the table in whatsapp_message.c), falling back on
 * the HTTP status (408, 429 and 5xx retry, the rest fail). Headers are not seen here: res->retry_after is left 0 and the send
 * path sets it from a Retry-After header. Fills *res (always) and returns 0 when OK,
 * else as connector.h says. */
int whatsapp_parse_response(long http_status, const char *body, struct connector_result *res);

/*
 * Non-blocking sends, for a caller that drives many connectors at once with its own
 * libcurl multi handle (delivery/wa_multi.c): one struct whatsapp per transfer in flight.
 *
 *   whatsapp_start(w, body, len)   prepares the POST of `body` (borrowed: it must stay
 *                                  unchanged until whatsapp_finish);
 *   curl_multi_add_handle(multi, whatsapp_easy(w)), and drive the multi handle;
 *   whatsapp_finish(w, cc, res)    once curl reports the transfer done with code `cc`
 *                                  (after curl_multi_remove_handle): classifies the
 *                                  answer exactly as the blocking sends do.
 *
 * whatsapp_start returns 0 or BANDITORE_ENOMEM; whatsapp_finish fills *res and returns
 * as whatsapp_send_text(). The easy handle (borrowed) stays the connector's.
 */
int whatsapp_start(struct whatsapp *w, const char *body, size_t len);
int whatsapp_finish(struct whatsapp *w, CURLcode cc, struct connector_result *res);
CURL *whatsapp_easy(struct whatsapp *w);

/*
 * A template message prepared once for a whole broadcast: the JSON that
 * whatsapp_build_template() makes, cut around the recipient, so that the body for each
 * recipient is two copies and the digits (no JSON work per send). The bodies are
 * byte for byte those whatsapp_build_template() gives for the same arguments.
 */
struct whatsapp_prepared;

/* Arguments as whatsapp_build_template() (without `to`); BANDITORE_EINVAL or ENOMEM. */
int whatsapp_prepare_template(const char *template_name, const char *language,
			      const char *const *body_params, int n_params, const char *biz_opaque,
			      struct whatsapp_prepared **out);
/* The same with a header (may be NULL). */
int whatsapp_prepare_template_header(const char *template_name, const char *language,
				     const struct whatsapp_header *header,
				     const char *const *body_params, int n_params,
				     const char *biz_opaque, struct whatsapp_prepared **out);
/* Appends the body for recipient `to` (E.164, with or without "+") to `out`.
 * BANDITORE_EINVAL for a recipient that is not a number, ETOOBIG when `out` is full. */
int whatsapp_prepared_body(const struct whatsapp_prepared *p, const char *to, struct buf *out);
void whatsapp_prepared_free(struct whatsapp_prepared *p); /* accepts NULL */

#endif
