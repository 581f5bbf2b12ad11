/*
 * config.c - the comune's configuration: from the values config_ini.c collected to a
 * validated struct config, with the secrets, the keywords and the texts citizens read.
 *
 * Nothing stops at the first problem: every key is checked and every problem is added
 * to the list with its line, so the IT office fixes the file in one pass. Values are
 * checked for what the rest of Banditore relies on (a real E.164 number, URLs a phone
 * can open, a port, limits Meta accepts), and texts for the placeholders they use.
 */
#include "config/config.h"
#include "config/config_internal.h"

#include "common/buf.h"
#include "common/crypto.h"
#include "common/e164.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/keyword.h"
#include "common/platform.h"
#include "connectors/email.h"
#include "connectors/sms.h"
#include "connectors/telegram.h"
#include "web/assets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 4096 /* WhatsApp's limit for the body of a text message */

/* Every key of the main file. The secrets are listed so that they are refused with a
 * helpful reason instead of "unknown key". */
enum {
	K_COMUNE_NAME, K_WEBSITE, K_PEC, K_HELPDESK_EMAIL, K_HELPDESK_PHONE, K_CONTROLLER,
	K_CONTROLLER_EMAIL, K_DPO_NAME, K_DPO_EMAIL, K_POLICY_URL, K_PRIVACY_URL,
	K_POLICY_VERSION,
	K_CHANNEL_NAME, K_CHANNEL_DESCRIPTION, K_PLATFORMS, K_ASSISTED_ENROLLMENT, K_MODERATE_JOINS,
	K_MODERATE_WITHIN_DAYS,
	K_WA_PHONE_NUMBER_ID, K_WA_DISPLAY_NUMBER, K_WA_API_BASE, K_WA_API_VERSION,
	K_WA_SECRETS_FILE, K_WA_MPS, K_WA_TEMPLATE_NAME, K_WA_TEMPLATE_LANGUAGE,
	K_WA_TEMPLATE_PARAMS, K_WA_UNREACHABLE_AFTER, K_WA_MESSAGING_LIMIT, K_WA_MAX_IN_FLIGHT, K_WA_CHANNEL_URL, K_WA_CHANNEL_MODE, K_WA_NOTICE_TEMPLATE, K_WA_APP_SECRET, K_WA_ACCESS_TOKEN, K_WA_VERIFY_TOKEN,
	K_TG_BOT_USERNAME, K_TG_MODE, K_TG_CHANNEL_ID, K_TG_API_BASE, K_TG_SECRETS_FILE,
	K_TG_MPS, K_TG_BOT_TOKEN, K_TG_WEBHOOK_SECRET,
	K_SUBSCRIBE, K_UNSUBSCRIBE, K_CONFIRM_JOIN, K_CONFIRM_WITHIN_HOURS,
	K_COST_CURRENCY, K_COST_WA_UTILITY, K_COST_WA_MARKETING, K_COST_WA_CATEGORY, K_COST_SMS,
	K_COST_TELEGRAM, K_COST_EMAIL, K_COST_WEBPUSH,
	K_INBOUND_MODE, K_KEEP_DAYS, K_AUTO_REPLY_HOURS,
	K_TEXT_JOIN, K_TEXT_ALREADY, K_TEXT_LEAVE, K_TEXT_NOT_SUBSCRIBED, K_TEXT_AUTO_REPLY,
	K_TEXT_ENROLL_ASK, K_TEXT_JOIN_WAITING, K_TEXT_JOIN_REFUSED,
	K_LISTEN, K_PUBLIC_URL, K_DATA_DIR,
	K_STAFF_MAX_DELEGATES,
	K_PUSH_SUBJECT, K_PUSH_TTL, K_PUSH_INSECURE,
	K_EMAIL_FROM_ADDRESS, K_EMAIL_FROM_NAME, K_EMAIL_SMTP_URL, K_EMAIL_TLS, K_EMAIL_USER,
	K_EMAIL_SECRETS_FILE, K_EMAIL_CONNECTIONS, K_EMAIL_UNREACHABLE_AFTER,
	K_SMS_URL, K_SMS_METHOD, K_SMS_CONTENT_TYPE, K_SMS_BODY, K_SMS_AUTH, K_SMS_USERNAME,
	K_SMS_SENDER, K_SMS_NUMBER_FORMAT, K_SMS_SUCCESS_STATUS, K_SMS_STATUS_FIELD,
	K_SMS_STATUS_OK, K_SMS_ID_FIELD, K_SMS_LONG_TEXT, K_SMS_MAX_SEGMENTS, K_SMS_MPS,
	K_SMS_WEBHOOK_HEADER, K_SMS_WEBHOOK_PARAM, K_SMS_FROM_FIELD, K_SMS_TEXT_FIELD,
	K_SMS_INBOUND_ID_FIELD, K_SMS_SECRETS_FILE, K_SMS_AUTH_SECRET, K_SMS_WEBHOOK_SECRET,
	K_COUNT
};

static const struct config_key keys[K_COUNT] = {
	[K_COMUNE_NAME] = { "comune", "name", 0 },
	[K_WEBSITE] = { "comune", "website", 0 },
	[K_PEC] = { "comune", "pec", 0 },
	[K_HELPDESK_EMAIL] = { "comune", "helpdesk_email", 0 },
	[K_HELPDESK_PHONE] = { "comune", "helpdesk_phone", 0 },
	[K_CONTROLLER] = { "comune", "controller", 0 },
	[K_CONTROLLER_EMAIL] = { "comune", "controller_email", 0 },
	[K_DPO_NAME] = { "comune", "dpo_name", 0 },
	[K_DPO_EMAIL] = { "comune", "dpo_email", 0 },
	[K_POLICY_URL] = { "comune", "policy_url", 0 },
	[K_PRIVACY_URL] = { "comune", "privacy_url", 0 },
	[K_POLICY_VERSION] = { "comune", "policy_version", 0 },
	[K_CHANNEL_NAME] = { "channel", "name", 0 },
	[K_CHANNEL_DESCRIPTION] = { "channel", "description", 0 },
	[K_PLATFORMS] = { "channel", "platforms", 0 },
	[K_ASSISTED_ENROLLMENT] = { "channel", "assisted_enrollment", 0 },
	[K_MODERATE_JOINS] = { "channel", "moderate_joins", 0 },
	[K_MODERATE_WITHIN_DAYS] = { "channel", "moderate_within_days", 0 },
	[K_WA_PHONE_NUMBER_ID] = { "whatsapp", "phone_number_id", 0 },
	[K_WA_DISPLAY_NUMBER] = { "whatsapp", "display_number", 0 },
	[K_WA_API_BASE] = { "whatsapp", "api_base", 0 },
	[K_WA_API_VERSION] = { "whatsapp", "api_version", 0 },
	[K_WA_SECRETS_FILE] = { "whatsapp", "secrets_file", 0 },
	[K_WA_MPS] = { "whatsapp", "messages_per_second", 0 },
	[K_WA_TEMPLATE_NAME] = { "whatsapp", "template_name", 0 },
	[K_WA_TEMPLATE_LANGUAGE] = { "whatsapp", "template_language", 0 },
	[K_WA_TEMPLATE_PARAMS] = { "whatsapp", "template_params", 0 },
	[K_WA_UNREACHABLE_AFTER] = { "whatsapp", "unreachable_after", 0 },
	[K_WA_MESSAGING_LIMIT] = { "whatsapp", "messaging_limit", 0 },
	[K_WA_MAX_IN_FLIGHT] = { "whatsapp", "max_in_flight", 0 },
	[K_WA_CHANNEL_URL] = { "whatsapp", "channel_url", 0 },
	[K_WA_CHANNEL_MODE] = { "whatsapp", "channel_mode", 0 },
	[K_WA_NOTICE_TEMPLATE] = { "whatsapp", "notice_template", 0 },
	[K_WA_APP_SECRET] = { "whatsapp", "app_secret", CONFIG_KEY_SECRET },
	[K_WA_ACCESS_TOKEN] = { "whatsapp", "access_token", CONFIG_KEY_SECRET },
	[K_WA_VERIFY_TOKEN] = { "whatsapp", "verify_token", CONFIG_KEY_SECRET },
	[K_TG_BOT_USERNAME] = { "telegram", "bot_username", 0 },
	[K_TG_MODE] = { "telegram", "mode", 0 },
	[K_TG_CHANNEL_ID] = { "telegram", "channel_id", 0 },
	[K_TG_API_BASE] = { "telegram", "api_base", 0 },
	[K_TG_SECRETS_FILE] = { "telegram", "secrets_file", 0 },
	[K_TG_MPS] = { "telegram", "messages_per_second", 0 },
	[K_TG_BOT_TOKEN] = { "telegram", "bot_token", CONFIG_KEY_SECRET },
	[K_TG_WEBHOOK_SECRET] = { "telegram", "webhook_secret", CONFIG_KEY_SECRET },
	[K_SUBSCRIBE] = { "keywords", "subscribe", 0 },
	[K_UNSUBSCRIBE] = { "keywords", "unsubscribe", 0 },
	[K_CONFIRM_JOIN] = { "keywords", "confirm_join", 0 },
	[K_CONFIRM_WITHIN_HOURS] = { "keywords", "confirm_within_hours", 0 },
	[K_COST_CURRENCY] = { "costs", "currency", 0 },
	[K_COST_WA_UTILITY] = { "costs", "whatsapp_utility", 0 },
	[K_COST_WA_MARKETING] = { "costs", "whatsapp_marketing", 0 },
	[K_COST_WA_CATEGORY] = { "costs", "whatsapp_category", 0 },
	[K_COST_SMS] = { "costs", "sms", 0 },
	[K_COST_TELEGRAM] = { "costs", "telegram", 0 },
	[K_COST_EMAIL] = { "costs", "email", 0 },
	[K_COST_WEBPUSH] = { "costs", "webpush", 0 },
	[K_INBOUND_MODE] = { "inbound", "mode", 0 },
	[K_KEEP_DAYS] = { "inbound", "keep_days", 0 },
	[K_AUTO_REPLY_HOURS] = { "inbound", "auto_reply_hours", 0 },
	[K_TEXT_JOIN] = { "texts", "join", 0 },
	[K_TEXT_ALREADY] = { "texts", "already_subscribed", 0 },
	[K_TEXT_LEAVE] = { "texts", "leave", 0 },
	[K_TEXT_NOT_SUBSCRIBED] = { "texts", "not_subscribed", 0 },
	[K_TEXT_AUTO_REPLY] = { "texts", "auto_reply", 0 },
	[K_TEXT_ENROLL_ASK] = { "texts", "enroll_ask", 0 },
	[K_TEXT_JOIN_WAITING] = { "texts", "join_waiting", 0 },
	[K_TEXT_JOIN_REFUSED] = { "texts", "join_refused", 0 },
	[K_LISTEN] = { "server", "listen", 0 },
	[K_PUBLIC_URL] = { "server", "public_url", 0 },
	[K_DATA_DIR] = { "server", "data_dir", 0 },
	[K_STAFF_MAX_DELEGATES] = { "staff", "max_delegates", 0 },
	[K_PUSH_SUBJECT] = { "push", "subject", 0 },
	[K_PUSH_TTL] = { "push", "ttl", 0 },
	[K_PUSH_INSECURE] = { "push", "allow_insecure_endpoints", 0 },
	[K_EMAIL_FROM_ADDRESS] = { "email", "from_address", 0 },
	[K_EMAIL_FROM_NAME] = { "email", "from_name", 0 },
	[K_EMAIL_SMTP_URL] = { "email", "smtp_url", 0 },
	[K_EMAIL_TLS] = { "email", "tls", 0 },
	[K_EMAIL_USER] = { "email", "user", 0 },
	[K_EMAIL_SECRETS_FILE] = { "email", "secrets_file", 0 },
	[K_EMAIL_CONNECTIONS] = { "email", "connections", 0 },
	[K_EMAIL_UNREACHABLE_AFTER] = { "email", "unreachable_after", 0 },
	[K_SMS_URL] = { "sms", "url", 0 },
	[K_SMS_METHOD] = { "sms", "method", 0 },
	[K_SMS_CONTENT_TYPE] = { "sms", "content_type", 0 },
	[K_SMS_BODY] = { "sms", "body", 0 },
	[K_SMS_AUTH] = { "sms", "auth", 0 },
	[K_SMS_USERNAME] = { "sms", "username", 0 },
	[K_SMS_SENDER] = { "sms", "sender", 0 },
	[K_SMS_NUMBER_FORMAT] = { "sms", "number_format", 0 },
	[K_SMS_SUCCESS_STATUS] = { "sms", "success_status", 0 },
	[K_SMS_STATUS_FIELD] = { "sms", "status_field", 0 },
	[K_SMS_STATUS_OK] = { "sms", "status_ok", 0 },
	[K_SMS_ID_FIELD] = { "sms", "id_field", 0 },
	[K_SMS_LONG_TEXT] = { "sms", "long_text", 0 },
	[K_SMS_MAX_SEGMENTS] = { "sms", "max_segments", 0 },
	[K_SMS_MPS] = { "sms", "messages_per_second", 0 },
	[K_SMS_WEBHOOK_HEADER] = { "sms", "webhook_header", 0 },
	[K_SMS_WEBHOOK_PARAM] = { "sms", "webhook_param", 0 },
	[K_SMS_FROM_FIELD] = { "sms", "inbound_from_field", 0 },
	[K_SMS_TEXT_FIELD] = { "sms", "inbound_text_field", 0 },
	[K_SMS_INBOUND_ID_FIELD] = { "sms", "inbound_id_field", 0 },
	[K_SMS_SECRETS_FILE] = { "sms", "secrets_file", 0 },
	[K_SMS_AUTH_SECRET] = { "sms", "auth_secret", CONFIG_KEY_SECRET },
	[K_SMS_WEBHOOK_SECRET] = { "sms", "webhook_secret", CONFIG_KEY_SECRET },
};

/* The secrets file: a section per platform ([whatsapp] three keys, [telegram] two); long
 * tokens may be split over indented lines, joined without a space. */
enum { S_APP_SECRET, S_ACCESS_TOKEN, S_VERIFY_TOKEN, S_WA_COUNT, S_TG_BOT_TOKEN = S_WA_COUNT,
       S_TG_WEBHOOK_SECRET, S_EMAIL_PASSWORD, S_SMS_AUTH_SECRET, S_SMS_WEBHOOK_SECRET, S_COUNT };
static const struct config_key secret_keys[S_COUNT] = {
	[S_APP_SECRET] = { "whatsapp", "app_secret", CONFIG_KEY_TIGHT },
	[S_ACCESS_TOKEN] = { "whatsapp", "access_token", CONFIG_KEY_TIGHT },
	[S_VERIFY_TOKEN] = { "whatsapp", "verify_token", CONFIG_KEY_TIGHT },
	[S_TG_BOT_TOKEN] = { "telegram", "bot_token", CONFIG_KEY_TIGHT },
	[S_TG_WEBHOOK_SECRET] = { "telegram", "webhook_secret", CONFIG_KEY_TIGHT },
	[S_EMAIL_PASSWORD] = { "email", "password", CONFIG_KEY_TIGHT },
	[S_SMS_AUTH_SECRET] = { "sms", "auth_secret", CONFIG_KEY_TIGHT },
	[S_SMS_WEBHOOK_SECRET] = { "sms", "webhook_secret", CONFIG_KEY_TIGHT },
};
static const char *const secret_env[S_COUNT] = {
	"BANDITORE_WHATSAPP_APP_SECRET", "BANDITORE_WHATSAPP_ACCESS_TOKEN",
	"BANDITORE_WHATSAPP_VERIFY_TOKEN", "BANDITORE_TELEGRAM_BOT_TOKEN",
	"BANDITORE_TELEGRAM_WEBHOOK_SECRET", "BANDITORE_EMAIL_PASSWORD",
	"BANDITORE_SMS_AUTH_SECRET", "BANDITORE_SMS_WEBHOOK_SECRET",
};

static const char *const default_subscribe[] = { "ATTIVA ISCRIZIONE" };
static const char *const default_unsubscribe[] = { "DISATTIVA ISCRIZIONE", "STOP" };

static const char *const placeholders[] = {
	"channel", "comune", "policy_url", "privacy_url", "website", "helpdesk_email", "unsubscribe",
	"hours",
};
#define N_PLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

/* The state of one load. */
struct loader {
	const char *path;
	char *dir;                  /* the file's folder with a trailing '/', or "" */
	struct config *cfg;
	struct config_value *vals;  /* K_COUNT + config_policy_n_keys, owned */
	struct config_instances inst; /* [category ...] sections */
	struct config_errors *errs;
	int rc;                     /* BANDITORE_ENOMEM once memory ran out */
};

static void error_line(struct loader *ld, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void error_line(struct loader *ld, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (config_error_add(ld->errs, ld->path, line, "%s", msg) != 0)
		ld->rc = BANDITORE_ENOMEM;
}

static char *dup_or_flag(struct loader *ld, const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		ld->rc = BANDITORE_ENOMEM;
	return d;
}

/* Stores a copy of s in *field, replacing what was there. */
static void set_str(struct loader *ld, char **field, const char *s)
{
	char *d = dup_or_flag(ld, s);
	if (!d)
		return;
	free(*field);
	*field = d;
}

static const char *val(const struct loader *ld, int k)
{
	return ld->vals[k].set ? buf_cstr(&ld->vals[k].text) : NULL;
}

static int line_of(const struct loader *ld, int k)
{
	return ld->vals[k].line;
}

static void missing(struct loader *ld, int k, const char *why_it, const char *why_en)
{
	error_line(ld, 0, T("manca [%s] %s, che è obbligatoria%s", "[%s] %s is required%s"),
		   keys[k].section, keys[k].name, T(why_it, why_en));
}

static int has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 1;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < ' ' && *s != '\n') || *s == 0x7f)
			return 1;
	return 0;
}

/* ---- one kind of value each ---- */

/* Free text on one line: a name, a label. */
static void get_str(struct loader *ld, int k, char **field, int required, const char *why_it,
		    const char *why_en)
{
	const char *v = val(ld, k);

	if (!v || !*v) {
		if (v && required)
			error_line(ld, line_of(ld, k), T("%s non può essere vuoto", "%s must not be empty"),
				   keys[k].name);
		else if (required)
			missing(ld, k, why_it, why_en);
		set_str(ld, field, "");
		return;
	}
	if (has_control(v)) {
		error_line(ld, line_of(ld, k), T("%s contiene caratteri di controllo", "%s contains control characters"),
			   keys[k].name);
	}
	set_str(ld, field, v);
}

static int url_ok(const char *v)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return 0;
	return *host && *host != '/' && !has_space_or_control(v);
}

static void get_url(struct loader *ld, int k, char **field, int required, const char *def)
{
	const char *v = val(ld, k);
	size_t n;

	if (!v || !*v) {
		if (v && required)
			error_line(ld, line_of(ld, k), T("%s non può essere vuoto", "%s must not be empty"),
				   keys[k].name);
		else if (required)
			missing(ld, k, "", "");
		set_str(ld, field, def ? def : "");
		return;
	}
	if (!url_ok(v)) {
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non è un indirizzo web: deve cominciare con https:// (o http://) e non contenere spazi",
			     "%s: '%s' is not a web address: it must start with https:// (or http://) and contain no spaces"),
			   keys[k].name, v);
	}
	/* Without the trailing '/', paths can be appended to it. */
	set_str(ld, field, v);
	n = *field ? strlen(*field) : 0;
	while (n > 8 && (*field)[n - 1] == '/')
		(*field)[--n] = '\0';
}

static void get_email(struct loader *ld, int k, char **field)
{
	const char *v = val(ld, k), *at;

	if (!v || !*v) {
		set_str(ld, field, "");
		return;
	}
	at = strchr(v, '@');
	if (!at || at == v || !at[1] || strchr(at + 1, '@') || has_space_or_control(v))
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non è un indirizzo e-mail (nome@dominio)",
			     "%s: '%s' is not an e-mail address (name@domain)"),
			   keys[k].name, v);
	set_str(ld, field, v);
}

/* A telephone number as people write it: digits, spaces, '+', '.', '-', '/', '()'. */
static void get_phone(struct loader *ld, int k, char **field)
{
	const char *v = val(ld, k);
	int digits = 0, bad = 0;

	if (!v || !*v) {
		set_str(ld, field, "");
		return;
	}
	for (const char *p = v; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" +.-/()", *p))
			bad = 1;
	}
	if (bad || digits < 3 || digits > 20)
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non è un numero di telefono", "%s: '%s' is not a telephone number"),
			   keys[k].name, v);
	set_str(ld, field, v);
}

/* yes/true or no/false (the default: no). */
static void get_yes_no(struct loader *ld, int k, int *field)
{
	const char *v = val(ld, k);

	*field = 0;
	if (v && (!strcmp(v, "yes") || !strcmp(v, "true")))
		*field = 1;
	else if (v && strcmp(v, "no") && strcmp(v, "false"))
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non va bene: yes o no", "%s: '%s' is wrong: yes or no"),
			   keys[k].name, v);
}

static void get_int(struct loader *ld, int k, int *field, int min, int max, int def)
{
	const char *v = val(ld, k);
	char *end;
	long n;

	*field = def;
	if (!v)
		return;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max || !(*v >= '0' && *v <= '9')) {
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non va bene: serve un numero intero da %d a %d",
			     "%s: '%s' is wrong: it must be a whole number from %d to %d"),
			   keys[k].name, v, min, max);
		return;
	}
	*field = (int)n;
}

/* A path: relative ones are resolved against the configuration file's folder. */
static void get_path(struct loader *ld, int k, char **field, const char *def)
{
	const char *v = val(ld, k);
	struct buf b;

	if (!v || !*v) {
		if (v)
			error_line(ld, line_of(ld, k), T("%s non può essere vuoto", "%s must not be empty"),
				   keys[k].name);
		set_str(ld, field, def);
		return;
	}
	if (has_control(v) || strchr(v, '\n')) {
		error_line(ld, line_of(ld, k), T("%s contiene caratteri di controllo", "%s contains control characters"),
			   keys[k].name);
	}
	if (v[0] == '/') {
		set_str(ld, field, v);
		return;
	}
	buf_init(&b, PATH_MAX);
	if (buf_appends(&b, ld->dir) || buf_appends(&b, v)) {
		error_line(ld, line_of(ld, k), T("%s: percorso troppo lungo", "%s: path too long"), keys[k].name);
		set_str(ld, field, v);
	} else {
		set_str(ld, field, buf_cstr(&b));
	}
	buf_free(&b);
}

static void get_platforms(struct loader *ld)
{
	const char *v = val(ld, K_PLATFORMS);
	const char *p;

	if (!v) {
		ld->cfg->platforms = 1 << PLATFORM_WHATSAPP;
		return;
	}
	ld->cfg->platforms = 0;
	p = v;
	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char name[32];
		int plat;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > p) {
			snprintf(name, sizeof(name), "%.*s", (int)(end - p), p);
			plat = (size_t)(end - p) < sizeof(name) ? platform_from_name(name) : -1;
			if (plat < 0)
				error_line(ld, line_of(ld, K_PLATFORMS),
					   T("piattaforma sconosciuta '%.*s' (note: whatsapp, telegram, email, webpush, sms)",
					     "unknown platform '%.*s' (known: whatsapp, telegram, email, webpush, sms)"),
					   (int)(end - p > 60 ? 60 : end - p), p);
			else if (ld->cfg->platforms & (1 << plat))
				error_line(ld, line_of(ld, K_PLATFORMS),
					   T("piattaforma '%s' ripetuta", "platform '%s' listed twice"), name);
			else
				ld->cfg->platforms |= 1 << plat;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!ld->cfg->platforms)
		error_line(ld, line_of(ld, K_PLATFORMS),
			   T("platforms: indicare almeno una piattaforma (whatsapp, telegram, email, webpush, sms)",
			     "platforms: name at least one platform (whatsapp, telegram, email, webpush, sms)"));
}

/* [push]: the VAPID subject push services may contact (RFC 8292 2.1: mailto: or https:),
 * required when webpush is a platform; the default TTL; the test-only switch. */
static void get_push(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	int needed = cfg->platforms & (1 << PLATFORM_WEBPUSH);
	const char *v = val(ld, K_PUSH_SUBJECT);

	if (!v || !*v) {
		if (needed)
			missing(ld, K_PUSH_SUBJECT, " (webpush è tra le piattaforme di [channel])",
				" (webpush is one of the [channel] platforms)");
		set_str(ld, &cfg->push_subject, "");
	} else if ((strncmp(v, "mailto:", 7) != 0 && strncmp(v, "https://", 8) != 0) ||
		   strlen(v) < 10 || strlen(v) > 200 || strpbrk(v, " \t\"\\<>")) {
		error_line(ld, line_of(ld, K_PUSH_SUBJECT),
			   T("subject: '%s' non va bene: mailto:indirizzo@comune.it oppure https://sito del comune",
			     "subject: '%s' is wrong: mailto:address@comune.it or https://the comune's site"),
			   v);
		set_str(ld, &cfg->push_subject, "");
	} else {
		set_str(ld, &cfg->push_subject, v);
	}
	get_int(ld, K_PUSH_TTL, &cfg->push_ttl, 0, 2419200, 86400);
	v = val(ld, K_PUSH_INSECURE);
	cfg->push_allow_insecure = 0;
	if (v && (!strcmp(v, "yes") || !strcmp(v, "true")))
		cfg->push_allow_insecure = 1;
	else if (v && strcmp(v, "no") && strcmp(v, "false"))
		error_line(ld, line_of(ld, K_PUSH_INSECURE),
			   T("%s: '%s' non va bene: yes o no", "%s: '%s' is wrong: yes or no"),
			   "allow_insecure_endpoints", v);
}

/* [email]: the sender, the SMTP relay and how to reach it. The password is a secret
 * (secrets file [email] password, or BANDITORE_EMAIL_PASSWORD). */
static void get_email_section(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	int needed = cfg->platforms & (1 << PLATFORM_EMAIL);
	const char *why_it = " (email è tra le piattaforme di [channel])";
	const char *why_en = " (email is one of the [channel] platforms)";
	const char *v = val(ld, K_EMAIL_FROM_ADDRESS);
	char canon[EMAIL_ADDR_MAX + 1];

	set_str(ld, &cfg->email_from_address, "");
	/* from_address and smtp_url are not required here: without them the e-mail routes
	 * answer 503 and the daemon says so when it starts (a comune may list email among
	 * its platforms before its relay is ready). */
	(void)needed;
	(void)why_it;
	(void)why_en;
	if (!v || !*v) {
	} else if (email_addr_canonical(v, canon, sizeof(canon)) != 0) {
		error_line(ld, line_of(ld, K_EMAIL_FROM_ADDRESS),
			   T("from_address: '%s' non è un indirizzo e-mail valido", "from_address: '%s' is not a valid e-mail address"), v);
	} else {
		set_str(ld, &cfg->email_from_address, canon);
	}
	get_str(ld, K_EMAIL_FROM_NAME, &cfg->email_from_name, 0, "", "");
	if (!*cfg->email_from_name && cfg->channel_name)
		set_str(ld, &cfg->email_from_name, cfg->channel_name);
	v = val(ld, K_EMAIL_SMTP_URL);
	set_str(ld, &cfg->email_smtp_url, "");
	if (!v || !*v) {
	} else if ((strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0) ||
		   has_space_or_control(v) || strlen(v) > 512) {
		error_line(ld, line_of(ld, K_EMAIL_SMTP_URL),
			   T("smtp_url: '%s' non va bene: smtp://server:587 oppure smtps://server:465",
			     "smtp_url: '%s' is wrong: smtp://server:587 or smtps://server:465"), v);
	} else {
		set_str(ld, &cfg->email_smtp_url, v);
	}
	v = val(ld, K_EMAIL_TLS);
	cfg->email_tls = !strncmp(cfg->email_smtp_url, "smtps://", 8) ? EMAIL_TLS_IMPLICIT : EMAIL_TLS_STARTTLS;
	if (v && !strcmp(v, "none"))
		cfg->email_tls = EMAIL_TLS_NONE;
	else if (v && strcmp(v, "starttls") && strcmp(v, "implicit"))
		error_line(ld, line_of(ld, K_EMAIL_TLS),
			   T("tls: '%s' non va bene: starttls, implicit (smtps://) o none (solo un relay locale)",
			     "tls: '%s' is wrong: starttls, implicit (smtps://) or none (a local relay only)"), v);
	if (v && ((!strcmp(v, "implicit")) != (cfg->email_tls == EMAIL_TLS_IMPLICIT) ||
		  (!strcmp(v, "starttls") && cfg->email_tls == EMAIL_TLS_IMPLICIT)))
		error_line(ld, line_of(ld, K_EMAIL_TLS),
			   T("tls: implicit va con smtps://, starttls e none con smtp://",
			     "tls: implicit goes with smtps://, starttls and none with smtp://"));
	get_str(ld, K_EMAIL_USER, &cfg->email_user, 0, "", "");
	get_path(ld, K_EMAIL_SECRETS_FILE, &cfg->email_secrets_file, "");
	get_int(ld, K_EMAIL_CONNECTIONS, &cfg->email_connections, 1, EMAIL_CONNECTIONS_MAX, 8);
	get_int(ld, K_EMAIL_UNREACHABLE_AFTER, &cfg->email_unreachable_after, 1, 100, 3);
	set_str(ld, &cfg->email_password, "");
}

static void get_listen(struct loader *ld)
{
	const char *v = val(ld, K_LISTEN);
	const char *colon;
	char host[64];
	struct in_addr a;
	char *end;
	long port;

	set_str(ld, &ld->cfg->listen_address, "127.0.0.1");
	ld->cfg->listen_port = 8080;
	if (!v)
		return;
	colon = strrchr(v, ':');
	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - v), v);
	if (inet_pton(AF_INET, host, &a) != 1)
		goto bad;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!(colon[1] >= '0' && colon[1] <= '9') || *end || errno || port < 1 || port > 65535)
		goto bad;
	set_str(ld, &ld->cfg->listen_address, host);
	ld->cfg->listen_port = (int)port;
	return;
bad:
	error_line(ld, line_of(ld, K_LISTEN),
		   T("listen: '%s' non va bene: serve INDIRIZZO-IPv4:PORTA (porta da 1 a 65535), per esempio 127.0.0.1:8080",
		     "listen: '%s' is wrong: it must be IPv4-ADDRESS:PORT (port 1 to 65535), for example 127.0.0.1:8080"),
		   v);
}

static void get_inbound_mode(struct loader *ld)
{
	const char *v = val(ld, K_INBOUND_MODE);

	ld->cfg->inbound_mode = CONFIG_INBOUND_AUTO_REPLY;
	if (!v)
		return;
	if (strcmp(v, "auto-reply") == 0)
		ld->cfg->inbound_mode = CONFIG_INBOUND_AUTO_REPLY;
	else if (strcmp(v, "keep-until-answered") == 0)
		ld->cfg->inbound_mode = CONFIG_INBOUND_KEEP_UNTIL_ANSWERED;
	else if (strcmp(v, "none") == 0)
		ld->cfg->inbound_mode = CONFIG_INBOUND_NONE;
	else
		error_line(ld, line_of(ld, K_INBOUND_MODE),
			   T("mode: '%s' non va bene: auto-reply, keep-until-answered o none",
			     "mode: '%s' is wrong: auto-reply, keep-until-answered or none"),
			   v);
}

static int loopback_url(const char *u)
{
	static const char *const prefixes[] = { "http://127.", "http://localhost:", "http://localhost/",
						"http://[::1]" };

	if (u && strcmp(u, "http://localhost") == 0)
		return 1;
	for (size_t i = 0; u && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(u, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* The broadcast template: its name and language as Meta approved them, and which of the
 * message's fields fill its body parameters, in order. */
static void get_template(struct loader *ld)
{
	static const char *const names[] = { [CONFIG_PARAM_TITLE] = "title",
					     [CONFIG_PARAM_TEXT] = "text",
					     [CONFIG_PARAM_LINK] = "link" };
	struct config *cfg = ld->cfg;
	const char *v = val(ld, K_WA_TEMPLATE_NAME), *p;
	size_t n;

	if (v && (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v) ||
		  strlen(v) > 512))
		error_line(ld, line_of(ld, K_WA_TEMPLATE_NAME),
			   T("template_name: '%s' non va bene: il nome del modello approvato da Meta ha solo lettere minuscole, cifre e _",
			     "template_name: '%s' is wrong: the name of the template Meta approved has only lowercase letters, digits and _"),
			   v);
	set_str(ld, &cfg->wa_template_name, v ? v : "avviso_comune");

	/* The one notice to numbers imported from a broadcast list (cmd_subscribers.c). */
	v = val(ld, K_WA_NOTICE_TEMPLATE);
	if (v && (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v) ||
		  strlen(v) > 512))
		error_line(ld, line_of(ld, K_WA_NOTICE_TEMPLATE),
			   T("notice_template: '%s' non va bene: il nome del modello approvato da Meta ha solo lettere minuscole, cifre e _",
			     "notice_template: '%s' is wrong: the name of the template Meta approved has only lowercase letters, digits and _"),
			   v);
	set_str(ld, &cfg->wa_notice_template, v ? v : cfg->wa_template_name);

	v = val(ld, K_WA_TEMPLATE_LANGUAGE);
	n = v ? strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") : 0;
	if (v && (n != strlen(v) || n < 2 || n > 15))
		error_line(ld, line_of(ld, K_WA_TEMPLATE_LANGUAGE),
			   T("template_language: '%s' non va bene: serve il codice della lingua del modello, per esempio it o en_US",
			     "template_language: '%s' is wrong: it must be the template's language code, for example it or en_US"),
			   v);
	set_str(ld, &cfg->wa_template_language, v ? v : "it");

	v = val(ld, K_WA_TEMPLATE_PARAMS);
	cfg->wa_n_template_params = 0;
	if (!v) {
		cfg->wa_template_params[cfg->wa_n_template_params++] = CONFIG_PARAM_TEXT;
		return;
	}
	p = v;
	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		int found = -1, dup = 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (int i = 0; i < CONFIG_TEMPLATE_PARAMS_MAX; i++)
			if ((size_t)(end - p) == strlen(names[i]) && memcmp(p, names[i], (size_t)(end - p)) == 0)
				found = i;
		for (int i = 0; found >= 0 && i < cfg->wa_n_template_params; i++)
			dup |= cfg->wa_template_params[i] == found;
		if (found < 0)
			error_line(ld, line_of(ld, K_WA_TEMPLATE_PARAMS),
				   T("template_params: '%.*s' non va bene: i parametri possono essere title, text, link",
				     "template_params: '%.*s' is wrong: the parameters can be title, text, link"),
				   (int)(end - p > 60 ? 60 : end - p), p);
		else if (dup)
			error_line(ld, line_of(ld, K_WA_TEMPLATE_PARAMS),
				   T("template_params: '%s' ripetuto", "template_params: '%s' listed twice"),
				   names[found]);
		else
			cfg->wa_template_params[cfg->wa_n_template_params++] = found;
		if (!comma)
			break;
		p = comma + 1;
	}
}

static void get_whatsapp(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	int needed = cfg->platforms & (1 << PLATFORM_WHATSAPP);
	const char *v;
	char e164[E164_MAX];
	const char *why_it = " (whatsapp è tra le piattaforme di [channel])";
	const char *why_en = " (whatsapp is one of the [channel] platforms)";

	v = val(ld, K_WA_PHONE_NUMBER_ID);
	get_str(ld, K_WA_PHONE_NUMBER_ID, &cfg->wa_phone_number_id, needed, why_it, why_en);
	if (v && *v && (strspn(v, "0123456789") != strlen(v) || strlen(v) > 32))
		error_line(ld, line_of(ld, K_WA_PHONE_NUMBER_ID),
			   T("phone_number_id: '%s' non va bene: è il numero identificativo (solo cifre) che Meta dà al numero",
			     "phone_number_id: '%s' is wrong: it is the id (digits only) Meta gives the number"),
			   v);

	v = val(ld, K_WA_DISPLAY_NUMBER);
	if (!v || !*v) {
		if (v && needed)
			error_line(ld, line_of(ld, K_WA_DISPLAY_NUMBER),
				   T("%s non può essere vuoto", "%s must not be empty"), "display_number");
		else if (needed)
			missing(ld, K_WA_DISPLAY_NUMBER, why_it, why_en);
		set_str(ld, &cfg->wa_display_number, "");
	} else if (e164_normalize(v, e164) != 0) {
		error_line(ld, line_of(ld, K_WA_DISPLAY_NUMBER),
			   T("display_number: '%s' non è un numero internazionale valido: scrivere +39 e il numero, per esempio +39 366 000 0000",
			     "display_number: '%s' is not a valid international number: write +39 and the number, for example +39 366 000 0000"),
			   v);
		set_str(ld, &cfg->wa_display_number, "");
	} else {
		set_str(ld, &cfg->wa_display_number, e164);
	}

	get_url(ld, K_WA_API_BASE, &cfg->wa_api_base, 0, "https://graph.facebook.com");
	v = val(ld, K_WA_API_VERSION);
	if (v) {
		size_t d1 = v[0] == 'v' ? strspn(v + 1, "0123456789") : 0;
		size_t d2 = d1 && v[1 + d1] == '.' ? strspn(v + 2 + d1, "0123456789") : 0;
		if (!d1 || !d2 || v[2 + d1 + d2] != '\0')
			error_line(ld, line_of(ld, K_WA_API_VERSION),
				   T("api_version: '%s' non va bene: serve la forma v23.0",
				     "api_version: '%s' is wrong: it must look like v23.0"),
				   v);
	}
	set_str(ld, &cfg->wa_api_version, v ? v : "v23.0");
	get_path(ld, K_WA_SECRETS_FILE, &cfg->wa_secrets_file, "");
	get_int(ld, K_WA_MPS, &cfg->wa_messages_per_second, 0, 1000, 80);
	if (val(ld, K_WA_MPS) && cfg->wa_messages_per_second == 0 && !loopback_url(cfg->wa_api_base))
		error_line(ld, line_of(ld, K_WA_MPS),
			   T("messages_per_second: 0 (nessun limite) è ammesso solo con api_base su 127.0.0.1 o localhost, per le prove di carico",
			     "messages_per_second: 0 (no limit) is allowed only with api_base on 127.0.0.1 or localhost, for benchmarks"));
	get_template(ld);
	get_int(ld, K_WA_UNREACHABLE_AFTER, &cfg->wa_unreachable_after, 1, 100, 3);
	/* The number's messaging limit as WhatsApp Manager shows it (unique people a day). */
	if (val(ld, K_WA_MESSAGING_LIMIT) && !strcmp(val(ld, K_WA_MESSAGING_LIMIT), "unlimited"))
		cfg->wa_messaging_limit = 0;
	else
		get_int(ld, K_WA_MESSAGING_LIMIT, &cfg->wa_messaging_limit, 250, 100000000, 0);
	get_int(ld, K_WA_MAX_IN_FLIGHT, &cfg->wa_max_in_flight, 1, 1024, 256);
	get_url(ld, K_WA_CHANNEL_URL, &cfg->wa_channel_url, 0, "");
	/* A WhatsApp Channel has no API: "manual" makes a posting task of each approved
	 * message, which a person publishes in the app and marks as posted. */
	if (val(ld, K_WA_CHANNEL_MODE)) {
		const char *mode = val(ld, K_WA_CHANNEL_MODE);
		if (!strcasecmp(mode, "manual"))
			cfg->wa_channel_manual = 1;
		else if (strcasecmp(mode, "none"))
			error_line(ld, line_of(ld, K_WA_CHANNEL_MODE),
				   T("channel_mode: '%s' non va bene: manual o none",
				     "channel_mode: '%s' is wrong: manual or none"), mode);
		if (cfg->wa_channel_manual && (!cfg->wa_channel_url || !*cfg->wa_channel_url))
			error_line(ld, line_of(ld, K_WA_CHANNEL_MODE),
				   T("channel_mode = manual richiede channel_url (l'indirizzo del Canale WhatsApp)",
				     "channel_mode = manual needs channel_url (the WhatsApp Channel's address)"));
	}
	set_str(ld, &cfg->wa_app_secret, "");
	set_str(ld, &cfg->wa_access_token, "");
	set_str(ld, &cfg->wa_verify_token, "");
}

/* [telegram]: the bot (bot mode: one chat per subscriber, joined through a deep link) or
 * the comune's channel the bot posts to (channel mode: no subscriber data at all). */
static void get_telegram(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	int needed = cfg->platforms & (1 << PLATFORM_TELEGRAM);
	const char *why_it = " (telegram è tra le piattaforme di [channel])";
	const char *why_en = " (telegram is one of the [channel] platforms)";
	const char *v = val(ld, K_TG_MODE);
	size_t n;

	cfg->tg_mode = TELEGRAM_MODE_BOT;
	if (v && !strcmp(v, "channel"))
		cfg->tg_mode = TELEGRAM_MODE_CHANNEL;
	else if (v && strcmp(v, "bot"))
		error_line(ld, line_of(ld, K_TG_MODE),
			   T("mode: '%s' non va bene: bot (iscrizioni al bot) o channel (il bot pubblica nel canale del Comune)",
			     "mode: '%s' is wrong: bot (citizens join the bot) or channel (the bot posts to the comune's channel)"),
			   v);

	v = val(ld, K_TG_BOT_USERNAME);
	get_str(ld, K_TG_BOT_USERNAME, &cfg->tg_bot_username, needed && cfg->tg_mode == TELEGRAM_MODE_BOT,
		why_it, why_en);
	if (v && *v == '@')
		v++;
	n = v ? strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") : 0;
	if (v && *v && (n != strlen(v) || n < 5 || n > 32 || strcasecmp(v + n - 3, "bot") != 0))
		error_line(ld, line_of(ld, K_TG_BOT_USERNAME),
			   T("bot_username: '%s' non va bene: il nome del bot (da 5 a 32 lettere, cifre o _, finisce con bot)",
			     "bot_username: '%s' is wrong: the bot's username (5 to 32 letters, digits or _, ending in bot)"),
			   v);
	else if (v && *v)
		set_str(ld, &cfg->tg_bot_username, v); /* without the '@' */

	v = val(ld, K_TG_CHANNEL_ID);
	get_str(ld, K_TG_CHANNEL_ID, &cfg->tg_channel_id, needed && cfg->tg_mode == TELEGRAM_MODE_CHANNEL,
		" (serve in mode = channel)", " (needed with mode = channel)");
	if (v && *v && (!telegram_chat_valid(v) || (v[0] != '@' && strncmp(v, "-100", 4) != 0)))
		error_line(ld, line_of(ld, K_TG_CHANNEL_ID),
			   T("channel_id: '%s' non va bene: @nomecanale oppure l'identificativo numerico che inizia con -100",
			     "channel_id: '%s' is wrong: @channelname or the numeric id starting with -100"),
			   v);

	get_url(ld, K_TG_API_BASE, &cfg->tg_api_base, 0, "https://api.telegram.org");
	get_path(ld, K_TG_SECRETS_FILE, &cfg->tg_secrets_file, "");
	if (*cfg->tg_secrets_file && cfg->wa_secrets_file && *cfg->wa_secrets_file &&
	    strcmp(cfg->tg_secrets_file, cfg->wa_secrets_file) != 0)
		error_line(ld, line_of(ld, K_TG_SECRETS_FILE),
			   T("secrets_file: il Comune ha un solo file dei segreti, con una sezione per piattaforma: indicare lo stesso di [whatsapp]",
			     "secrets_file: the comune has one secrets file, with a section per platform: name the same as [whatsapp]"));
	/* Telegram's advice for bulk sends is about 30 messages a second; 0 (no limit) only
	 * against a local test peer. */
	get_int(ld, K_TG_MPS, &cfg->tg_messages_per_second, 0, 30, 30);
	if (val(ld, K_TG_MPS) && cfg->tg_messages_per_second == 0 && !loopback_url(cfg->tg_api_base))
		error_line(ld, line_of(ld, K_TG_MPS),
			   T("messages_per_second: 0 (nessun limite) è ammesso solo con api_base su 127.0.0.1 o localhost",
			     "messages_per_second: 0 (no limit) is allowed only with api_base on 127.0.0.1 or localhost"));
	set_str(ld, &cfg->tg_bot_token, "");
	set_str(ld, &cfg->tg_webhook_secret, "");
}

/* One of `names` (its index), or reports the key and returns `def`. */
static int get_choice(struct loader *ld, int k, const char *const *names, int n, int def,
		      const char *list_it, const char *list_en)
{
	const char *v = val(ld, k);

	if (!v)
		return def;
	for (int i = 0; i < n; i++)
		if (!strcasecmp(v, names[i]))
			return i;
	error_line(ld, line_of(ld, k), T("%s: '%s' non va bene: %s", "%s: '%s' is wrong: %s"),
		   keys[k].name, v, T(list_it, list_en));
	return def;
}

/* A field of an answer or of an inbound request: a key, or a JSON pointer. */
static void get_field(struct loader *ld, int k, char **field, const char *def)
{
	const char *v = val(ld, k);

	if (v && (!*v || strlen(v) > 200 || has_space_or_control(v))) {
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non va bene: il nome di un campo, o un puntatore JSON come /result/id",
			     "%s: '%s' is wrong: a field name, or a JSON pointer such as /result/id"),
			   keys[k].name, v);
		v = NULL;
	}
	set_str(ld, field, v ? v : def);
}

/* [sms]: the HTTP gateway (connectors/sms.h), checked as sms_settings_check does, and
 * how the gateway forwards inbound SMS to /webhooks/sms. */
static void get_sms(struct loader *ld)
{
	static const char *const methods[] = { "POST", "GET" };
	static const char *const types[] = { "form", "json" };
	static const char *const formats[] = { "digits", "e164" };
	static const char *const long_modes[] = { "split", "shorten" };
	struct config *cfg = ld->cfg;
	int needed = cfg->platforms & (1 << PLATFORM_SMS);
	const char *v, *why = NULL;
	struct sms_settings ss;

	get_url(ld, K_SMS_URL, &cfg->sms_url, needed, NULL);
	cfg->sms_method = get_choice(ld, K_SMS_METHOD, methods, 2, SMS_METHOD_POST, "POST o GET", "POST or GET");
	cfg->sms_body_type = get_choice(ld, K_SMS_CONTENT_TYPE, types, 2, SMS_BODY_FORM, "form o json",
					"form or json");
	v = val(ld, K_SMS_BODY);
	set_str(ld, &cfg->sms_body, v ? v : "");
	v = val(ld, K_SMS_AUTH);
	cfg->sms_auth = SMS_AUTH_NONE;
	set_str(ld, &cfg->sms_auth_header, "");
	if (v && !strcmp(v, "basic")) {
		cfg->sms_auth = SMS_AUTH_BASIC;
	} else if (v && !strcmp(v, "bearer")) {
		cfg->sms_auth = SMS_AUTH_BEARER;
	} else if (v && !strncmp(v, "header ", 7)) {
		cfg->sms_auth = SMS_AUTH_HEADER;
		set_str(ld, &cfg->sms_auth_header, v + 7);
	} else if (v && strcmp(v, "none")) {
		error_line(ld, line_of(ld, K_SMS_AUTH),
			   T("auth: '%s' non va bene: none, basic, bearer oppure header NOME",
			     "auth: '%s' is wrong: none, basic, bearer or header NAME"), v);
	}
	get_str(ld, K_SMS_USERNAME, &cfg->sms_username, 0, "", "");
	get_str(ld, K_SMS_SENDER, &cfg->sms_sender, needed, " (il mittente degli SMS)",
		" (the SMS sender id)");
	v = val(ld, K_SMS_SENDER);
	if (v && *v) {
		char e164[E164_MAX];
		size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-");
		if (e164_normalize(v, e164) != 0 &&
		    (n != strlen(v) || n > 11 || !strpbrk(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")))
			error_line(ld, line_of(ld, K_SMS_SENDER),
				   T("sender: '%s' non va bene: un nome di al massimo 11 lettere e cifre (per esempio ComuneXY) o un numero internazionale",
				     "sender: '%s' is wrong: a name of at most 11 letters and digits (for example ComuneXY) or an international number"),
				   v);
	}
	cfg->sms_number_plus = get_choice(ld, K_SMS_NUMBER_FORMAT, formats, 2, 1, "e164 o digits",
					  "e164 or digits");
	get_str(ld, K_SMS_SUCCESS_STATUS, &cfg->sms_success_status, 0, "", "");
	if (!*cfg->sms_success_status)
		set_str(ld, &cfg->sms_success_status, "200-299");
	get_field(ld, K_SMS_STATUS_FIELD, &cfg->sms_status_field, "");
	get_str(ld, K_SMS_STATUS_OK, &cfg->sms_status_ok, 0, "", "");
	get_field(ld, K_SMS_ID_FIELD, &cfg->sms_id_field, "");
	cfg->sms_long_text = get_choice(ld, K_SMS_LONG_TEXT, long_modes, 2, SMS_LONG_SPLIT,
					"split o shorten", "split or shorten");
	get_int(ld, K_SMS_MAX_SEGMENTS, &cfg->sms_max_segments, 1, SMS_SEGMENTS_MAX, 3);
	get_int(ld, K_SMS_MPS, &cfg->sms_messages_per_second, 1, 100, SMS_RATE);
	get_field(ld, K_SMS_WEBHOOK_HEADER, &cfg->sms_webhook_header, "X-Banditore-Token");
	get_field(ld, K_SMS_WEBHOOK_PARAM, &cfg->sms_webhook_param, "");
	get_field(ld, K_SMS_FROM_FIELD, &cfg->sms_from_field, "from");
	get_field(ld, K_SMS_TEXT_FIELD, &cfg->sms_text_field, "text");
	get_field(ld, K_SMS_INBOUND_ID_FIELD, &cfg->sms_id_field_in, "");
	get_path(ld, K_SMS_SECRETS_FILE, &cfg->sms_secrets_file, "");
	{
		const char *others[] = { cfg->wa_secrets_file, cfg->tg_secrets_file, cfg->email_secrets_file };
		for (size_t i = 0; *cfg->sms_secrets_file && i < 3; i++)
			if (others[i] && *others[i] && strcmp(others[i], cfg->sms_secrets_file)) {
				error_line(ld, line_of(ld, K_SMS_SECRETS_FILE),
					   T("secrets_file: il Comune ha un solo file dei segreti, con una sezione per piattaforma: indicare lo stesso delle altre sezioni",
					     "secrets_file: the comune has one secrets file, with a section per platform: name the same as the other sections"));
				break;
			}
	}
	set_str(ld, &cfg->sms_auth_secret, "");
	set_str(ld, &cfg->sms_webhook_secret, "");
	if (!*cfg->sms_url)
		return;
	memset(&ss, 0, sizeof(ss));
	ss.url = cfg->sms_url;
	ss.method = cfg->sms_method;
	ss.body_type = cfg->sms_body_type;
	ss.body = cfg->sms_body;
	ss.auth = cfg->sms_auth;
	ss.auth_header = cfg->sms_auth_header;
	ss.username = cfg->sms_username;
	ss.sender = cfg->sms_sender;
	ss.success_statuses = cfg->sms_success_status;
	ss.status_field = cfg->sms_status_field;
	ss.status_ok = cfg->sms_status_ok;
	ss.id_field = cfg->sms_id_field;
	if (sms_settings_check(&ss, &why) != 0)
		error_line(ld, line_of(ld, K_SMS_BODY) ? line_of(ld, K_SMS_BODY) : line_of(ld, K_SMS_URL),
			   T("[sms]: impostazioni del gateway non valide: %s", "[sms]: invalid gateway settings: %s"),
			   why);
}

/* ---- keywords ---- */

/* Parses one comma-separated list into normalised keywords; *first receives the
 * first item as written. Problems are reported on `line`. */
static int parse_keywords(struct loader *ld, const char *list, int line, const char *key,
			  char **out, char **first)
{
	int n = 0;
	const char *p = list;

	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char norm[KEYWORD_MAX];
		int rc, dup = 0;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end == p) {
			error_line(ld, line, T("%s: parola chiave vuota (due virgole di seguito?)",
					       "%s: empty keyword (two commas in a row?)"),
				   key);
			goto next;
		}
		rc = keyword_normalize(p, (size_t)(end - p), norm, sizeof(norm));
		if (rc == BANDITORE_ETOOBIG) {
			error_line(ld, line, T("%s: parola chiave troppo lunga", "%s: keyword too long"), key);
			goto next;
		}
		if (rc || !norm[0]) {
			error_line(ld, line,
				   T("%s: '%.*s' non ha lettere né cifre: non può essere una parola chiave",
				     "%s: '%.*s' has no letters or digits: it cannot be a keyword"),
				   key, (int)(end - p > 60 ? 60 : end - p), p);
			goto next;
		}
		for (int i = 0; i < n; i++)
			dup |= strcmp(out[i], norm) == 0;
		if (dup) {
			error_line(ld, line, T("%s: '%s' ripetuta", "%s: '%s' listed twice"), key, norm);
			goto next;
		}
		if (n == CONFIG_KEYWORDS_MAX) {
			error_line(ld, line, T("%s: al massimo %d parole chiave", "%s: at most %d keywords"), key,
				   CONFIG_KEYWORDS_MAX);
			break;
		}
		out[n] = dup_or_flag(ld, norm);
		if (!out[n])
			break;
		if (n == 0 && first) {
			char raw[KEYWORD_MAX];
			snprintf(raw, sizeof(raw), "%.*s", (int)(end - p), p);
			set_str(ld, first, raw);
		}
		n++;
next:
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

static void get_keywords(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *sub = val(ld, K_SUBSCRIBE), *unsub = val(ld, K_UNSUBSCRIBE), *v;

	if (sub)
		cfg->n_subscribe = parse_keywords(ld, sub, line_of(ld, K_SUBSCRIBE), "subscribe",
						  cfg->subscribe, NULL);
	else
		cfg->n_subscribe = parse_keywords(ld, default_subscribe[0], 0, "subscribe", cfg->subscribe, NULL);
	if (unsub) {
		cfg->n_unsubscribe = parse_keywords(ld, unsub, line_of(ld, K_UNSUBSCRIBE), "unsubscribe",
						    cfg->unsubscribe, &cfg->unsubscribe_word);
	} else {
		char list[64];
		snprintf(list, sizeof(list), "%s, %s", default_unsubscribe[0], default_unsubscribe[1]);
		cfg->n_unsubscribe = parse_keywords(ld, list, 0, "unsubscribe", cfg->unsubscribe,
						    &cfg->unsubscribe_word);
	}
	/* An empty list has already been reported item by item. */
	for (int i = 0; i < cfg->n_subscribe; i++)
		for (int j = 0; j < cfg->n_unsubscribe; j++)
			if (strcmp(cfg->subscribe[i], cfg->unsubscribe[j]) == 0)
				error_line(ld, unsub ? line_of(ld, K_UNSUBSCRIBE) : line_of(ld, K_SUBSCRIBE),
					   T("la parola chiave '%s' è sia in subscribe sia in unsubscribe",
					     "keyword '%s' is in both subscribe and unsubscribe"),
					   cfg->subscribe[i]);
	if (!cfg->unsubscribe_word)
		set_str(ld, &cfg->unsubscribe_word, "");
	cfg->confirm_join = 0;
	v = val(ld, K_CONFIRM_JOIN);
	if (v && (!strcmp(v, "yes") || !strcmp(v, "true")))
		cfg->confirm_join = 1;
	else if (v && strcmp(v, "no") && strcmp(v, "false"))
		error_line(ld, line_of(ld, K_CONFIRM_JOIN),
			   T("%s: '%s' non va bene: yes o no", "%s: '%s' is wrong: yes or no"),
			   "confirm_join", v);
	get_int(ld, K_CONFIRM_WITHIN_HOURS, &cfg->confirm_within_hours, 1, 720, 48);
}

/* ---- costs ---- */

/* A price such as "0.0429": at most 6 decimals, at most 1,000 per message; *micros gets
 * it in millionths. Returns 0, or -1 when it is not such a number. */
static int parse_price(const char *v, long long *micros)
{
	long long whole = 0, frac = 0;
	int digits = 0, decimals = 0;

	for (; *v >= '0' && *v <= '9'; v++, digits++) {
		whole = whole * 10 + (*v - '0');
		if (whole > 1000)
			return -1;
	}
	if (*v == '.' || *v == ',') {
		for (v++; *v >= '0' && *v <= '9'; v++, decimals++) {
			if (decimals == 6)
				return -1;
			frac = frac * 10 + (*v - '0');
		}
		if (!decimals)
			return -1;
	}
	if (*v || !digits)
		return -1;
	for (; decimals < 6; decimals++)
		frac *= 10;
	*micros = whole * 1000000 + frac;
	return 0;
}

static void get_price(struct loader *ld, int k, long long *field)
{
	const char *v = val(ld, k);

	*field = -1;
	if (v && parse_price(v, field) != 0) {
		*field = -1;
		error_line(ld, line_of(ld, k),
			   T("%s: '%s' non va bene: un prezzo per messaggio come 0.0429 (al massimo 6 decimali)",
			     "%s: '%s' is wrong: a price per message such as 0.0429 (at most 6 decimals)"),
			   keys[k].name, v);
	}
}

/* [costs]: what each platform charges per message, to show before sending. */
static void get_costs(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *v = val(ld, K_COST_CURRENCY);

	if (v && (strlen(v) != 3 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' ||
		  v[2] < 'A' || v[2] > 'Z')) {
		error_line(ld, line_of(ld, K_COST_CURRENCY),
			   T("currency: '%s' non va bene: un codice ISO 4217 come EUR",
			     "currency: '%s' is wrong: an ISO 4217 code such as EUR"), v);
		v = NULL;
	}
	set_str(ld, &cfg->cost_currency, v ? v : "EUR");
	get_price(ld, K_COST_WA_UTILITY, &cfg->cost_wa_utility);
	get_price(ld, K_COST_WA_MARKETING, &cfg->cost_wa_marketing);
	get_price(ld, K_COST_SMS, &cfg->cost_sms);
	get_price(ld, K_COST_TELEGRAM, &cfg->cost_telegram);
	get_price(ld, K_COST_EMAIL, &cfg->cost_email);
	get_price(ld, K_COST_WEBPUSH, &cfg->cost_webpush);
	v = val(ld, K_COST_WA_CATEGORY);
	cfg->cost_wa_category = 0;
	if (v && !strcmp(v, "marketing"))
		cfg->cost_wa_category = 1;
	else if (v && strcmp(v, "utility"))
		error_line(ld, line_of(ld, K_COST_WA_CATEGORY),
			   T("whatsapp_category: '%s' non va bene: utility o marketing",
			     "whatsapp_category: '%s' is wrong: utility or marketing"), v);
}

/* ---- texts ---- */

/* Length of the placeholder name at s (just after '{') when s is "name}", else 0. */
static size_t placeholder_len(const char *s)
{
	size_t n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	       (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
		n++;
	return n > 0 && s[n] == '}' ? n : 0;
}

static const char *placeholder_value(const struct config *cfg, const char *name, size_t n)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < N_PLACEHOLDERS; i++)
		if (strlen(placeholders[i]) == n && memcmp(placeholders[i], name, n) == 0)
			break;
	switch (i) {
	case 0: v = cfg->channel_name; break;
	case 1: v = cfg->comune_name; break;
	case 2: v = cfg->policy_url; break;
	case 3: v = cfg->privacy_url; break;
	case 4: v = cfg->website; break;
	case 5: v = cfg->helpdesk_email; break;
	case 7: v = cfg->hours_text; break;
	case 6:
		v = cfg->unsubscribe_word && *cfg->unsubscribe_word ? cfg->unsubscribe_word
		    : cfg->n_unsubscribe > 0 ? cfg->unsubscribe[0] : "";
		break;
	default: return NULL;
	}
	return v ? v : "";
}

/* The key a placeholder comes from, for messages. */
static const char *placeholder_key(const char *name, size_t n)
{
	static const char *const from[N_PLACEHOLDERS] = {
		"[channel] name", "[comune] name", "[comune] policy_url", "[comune] privacy_url",
		"[comune] website", "[comune] helpdesk_email", "[keywords] unsubscribe",
		"[hours] open",
	};
	for (size_t i = 0; i < N_PLACEHOLDERS; i++)
		if (strlen(placeholders[i]) == n && memcmp(placeholders[i], name, n) == 0)
			return from[i];
	return "";
}

char *config_expand(const struct config *cfg, const char *text)
{
	struct buf b;
	const char *p = text ? text : "";

	buf_init(&b, 1024 * 1024);
	while (*p) {
		const char *brace = strchr(p, '{');
		size_t n;
		const char *v;
		if (!brace) {
			if (buf_appends(&b, p))
				goto fail;
			break;
		}
		if (buf_append(&b, p, (size_t)(brace - p)))
			goto fail;
		n = placeholder_len(brace + 1);
		v = n ? placeholder_value(cfg, brace + 1, n) : NULL;
		if (v) {
			if (buf_appends(&b, v))
				goto fail;
			p = brace + n + 2;
		} else {
			if (buf_append(&b, "{", 1))
				goto fail;
			p = brace + 1;
		}
	}
	if (!b.data && buf_append(&b, "", 0))
		goto fail;
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* "\n" becomes a new line and "\\" a backslash; any other backslash stays. */
static char *unescape(struct loader *ld, const char *s)
{
	char *out = dup_or_flag(ld, s), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*o++ = '\n';
			s++;
		} else if (s[0] == '\\' && s[1] == '\\') {
			*o++ = '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* Reports unknown placeholders, and known ones whose value is not set. */
static void check_placeholders(struct loader *ld, int k, const char *text)
{
	const char *p = text;

	while ((p = strchr(p, '{'))) {
		size_t n = placeholder_len(p + 1);
		const char *v = n ? placeholder_value(ld->cfg, p + 1, n) : NULL;
		if (n && !v)
			error_line(ld, line_of(ld, k),
				   T("%s: segnaposto sconosciuto {%.*s} (noti: {channel}, {comune}, {policy_url}, {privacy_url}, {website}, {helpdesk_email}, {unsubscribe}, {hours})",
				     "%s: unknown placeholder {%.*s} (known: {channel}, {comune}, {policy_url}, {privacy_url}, {website}, {helpdesk_email}, {unsubscribe}, {hours})"),
				   keys[k].name, (int)(n > 40 ? 40 : n), p + 1);
		else if (n && !*v)
			error_line(ld, line_of(ld, k),
				   T("%s usa {%.*s}, ma %s non è impostato", "%s uses {%.*s}, but %s is not set"),
				   keys[k].name, (int)n, p + 1, placeholder_key(p + 1, n));
		p += n ? n + 2 : 1;
	}
}

/* The default texts, in Italian: warm, short, and honest about what the channel is.
 * Sentences about links and contacts appear only when the comune has set them. */
static char *default_text(struct loader *ld, int k)
{
	const struct config *cfg = ld->cfg;
	int policy = cfg->policy_url && *cfg->policy_url, privacy = cfg->privacy_url && *cfg->privacy_url;
	int helpdesk = cfg->helpdesk_email && *cfg->helpdesk_email;
	struct buf b;
	int rc = 0;

	buf_init(&b, TEXT_MAX);
	switch (k) {
	case K_TEXT_JOIN:
		rc |= buf_appends(&b, "Ti diamo il benvenuto in {channel}! La tua iscrizione è attiva: "
				      "da ora riceverai qui avvisi e notizie utili.\n"
				      "È un canale informativo a senso unico.");
		if (policy)
			rc |= buf_appends(&b, "\nIscrivendoti accetti le condizioni del servizio: {policy_url}");
		if (privacy)
			rc |= buf_appends(&b, "\nInformativa sulla privacy: {privacy_url}");
		rc |= buf_appends(&b, "\nPer cancellarti in qualsiasi momento scrivi \"{unsubscribe}\".\n{comune}");
		break;
	case K_TEXT_ALREADY:
		rc |= buf_appends(&b, "La tua iscrizione a {channel} è già attiva: non devi fare altro. "
				      "Per cancellarti scrivi \"{unsubscribe}\".\n{comune}");
		break;
	case K_TEXT_LEAVE:
		rc |= buf_appends(&b, "Iscrizione a {channel} cancellata: abbiamo eliminato il tuo numero "
				      "e ogni dato che ti riguarda, e non riceverai altri messaggi. "
				      "Grazie per averci seguito!\n{comune}");
		break;
	case K_TEXT_NOT_SUBSCRIBED:
		rc |= buf_appends(&b, "Questo numero non risulta iscritto a {channel}: non c'è nulla da "
				      "cancellare e non conserviamo dati che ti riguardano.\n{comune}");
		break;
	case K_TEXT_AUTO_REPLY:
		if (cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED)
			rc |= buf_appends(&b, "Grazie per il messaggio. {channel} è un canale informativo: "
					      "lo leggeremo appena possibile, ma ciò che scrivi qui non ha valore "
					      "ufficiale.");
		else
			rc |= buf_appends(&b, "Grazie per il messaggio. {channel} è un canale informativo a "
					      "senso unico: qui non possiamo rispondere e i messaggi ricevuti non "
					      "hanno valore ufficiale.");
		if (cfg->hours_text && *cfg->hours_text)
			rc |= buf_appends(&b, " Il servizio è attivo {hours}.");
		rc |= buf_appends(&b, " Per richieste, istanze e segnalazioni usa i canali ufficiali del "
				      "Comune: {website}");
		if (helpdesk)
			rc |= buf_appends(&b, " oppure scrivi a {helpdesk_email}");
		rc |= buf_appends(&b, ".\n{comune}");
		break;
	case K_TEXT_ENROLL_ASK:
		/* Sent as a template's parameter (the citizen has not written yet): one line. */
		rc |= buf_appends(&b, "{comune}: allo sportello è stata chiesta l'iscrizione di questo "
				      "numero a {channel}. Se sei d'accordo rispondi SÌ; se non l'hai "
				      "chiesta tu rispondi NO: senza risposta la richiesta viene "
				      "cancellata e il numero non viene conservato.");
		if (policy)
			rc |= buf_appends(&b, " Condizioni del servizio: {policy_url}");
		if (privacy)
			rc |= buf_appends(&b, " Informativa privacy: {privacy_url}");
		rc |= buf_appends(&b, " (To confirm, reply SÌ; otherwise NO.)");
		break;
	case K_TEXT_JOIN_WAITING:
		rc |= buf_appends(&b, "Abbiamo ricevuto la tua richiesta di iscrizione a {channel}: il "
				      "Comune la verifica e ti scriverà qui l'esito. Fino ad allora "
				      "conserviamo il tuo numero, cifrato, solo per questo.\n"
				      "Your request was received: the comune checks it and will tell you "
				      "here.\n{comune}");
		break;
	case K_TEXT_JOIN_REFUSED:
		rc |= buf_appends(&b, "La tua richiesta di iscrizione a {channel} non è stata accolta: "
				      "abbiamo cancellato il tuo numero e non riceverai messaggi. Per "
				      "informazioni: {website}\n"
				      "Your request was not accepted: your number has been erased.\n{comune}");
		break;
	default:
		break;
	}
	if (rc || !b.data) {
		ld->rc = BANDITORE_ENOMEM;
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static void get_text(struct loader *ld, int k, char **field)
{
	const char *v = val(ld, k);
	char *text, *expanded;

	if (!v || !*v) {
		/* The defaults use only what is set, or what is required and reported. */
		if (v)
			error_line(ld, line_of(ld, k),
				   T("%s non può essere vuoto: togliere la chiave per usare il testo predefinito",
				     "%s must not be empty: remove the key to use the default text"),
				   keys[k].name);
		text = default_text(ld, k);
		if (!text)
			return;
	} else {
		text = unescape(ld, v);
		if (!text)
			return;
		if (has_control(text))
			error_line(ld, line_of(ld, k), T("%s contiene caratteri di controllo", "%s contains control characters"),
				   keys[k].name);
		check_placeholders(ld, k, text);
	}
	expanded = config_expand(ld->cfg, text);
	if (!expanded)
		ld->rc = BANDITORE_ENOMEM;
	else if (strlen(expanded) > TEXT_MAX)
		error_line(ld, line_of(ld, k),
			   T("%s: testo troppo lungo (%zu byte con i segnaposto sostituiti, WhatsApp ne accetta %d)",
			     "%s: text too long (%zu bytes with placeholders replaced, WhatsApp accepts %d)"),
			   keys[k].name, strlen(expanded), TEXT_MAX);
	free(expanded);
	free(*field);
	*field = text;
}

/* ---- secrets ---- */

static void load_secrets(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct config_value sv[S_COUNT];
	char **fields[S_COUNT] = { &cfg->wa_app_secret, &cfg->wa_access_token, &cfg->wa_verify_token,
				   &cfg->tg_bot_token, &cfg->tg_webhook_secret, &cfg->email_password,
				   &cfg->sms_auth_secret, &cfg->sms_webhook_secret };
	/* One secrets file: [whatsapp] secrets_file or [telegram] secrets_file (the same
	 * path when both are given, checked in get_telegram). */
	const char *file = *cfg->wa_secrets_file ? cfg->wa_secrets_file :
			   *cfg->tg_secrets_file ? cfg->tg_secrets_file :
			   *cfg->email_secrets_file ? cfg->email_secrets_file : cfg->sms_secrets_file;
	int file_line = line_of(ld, *cfg->wa_secrets_file ? K_WA_SECRETS_FILE :
				    *cfg->tg_secrets_file ? K_TG_SECRETS_FILE :
				    *cfg->email_secrets_file ? K_EMAIL_SECRETS_FILE : K_SMS_SECRETS_FILE);
	int file_missing = 0, file_failed = 0;
	char *data = NULL;
	size_t len = 0;
	struct stat st;

	memset(sv, 0, sizeof(sv));
	for (int i = 0; i < S_COUNT; i++)
		buf_init(&sv[i].text, CONFIG_VALUE_MAX);
	if (file && *file) {
		int rc = config_read_file(file, CONFIG_SECRETS_MAX, &data, &len, &st);
		if (rc == BANDITORE_ENOTFOUND) {
			file_missing = 1;
		} else if (rc == BANDITORE_ENOMEM) {
			ld->rc = rc;
		} else if (rc) {
			file_failed = 1;
			error_line(ld, file_line, T("secrets_file: impossibile leggere %s: %s", "secrets_file: cannot read %s: %s"),
				   file, rc == BANDITORE_ETOOBIG ? T("file troppo grande", "file too big") : strerror(errno));
		} else if (st.st_mode & 077) {
			file_failed = 1;
			error_line(ld, file_line,
				   T("secrets_file: %s è accessibile ad altri utenti (permessi %04o): correggere con 'chmod 600 %s'",
				     "secrets_file: %s is accessible to other users (mode %04o): fix with 'chmod 600 %s'"),
				   file, (unsigned)(st.st_mode & 07777), file);
		} else {
			int before = ld->errs->count;
			rc = config_ini_parse(file, data, len, secret_keys, S_COUNT, sv, NULL, ld->errs);
			if (rc)
				ld->rc = rc;
			file_failed = ld->errs->count > before;
			for (int i = 0; i < S_COUNT; i++) {
				const char *v = sv[i].set ? buf_cstr(&sv[i].text) : "";
				if (sv[i].set && has_space_or_control(v)) {
					if (config_error_add(ld->errs, file, sv[i].line,
							     T("%s contiene spazi o caratteri di controllo",
							       "%s contains spaces or control characters"),
							     secret_keys[i].name))
						ld->rc = BANDITORE_ENOMEM;
					file_failed = 1;
				}
				set_str(ld, fields[i], v);
			}
		}
	}
	for (int i = 0; i < S_COUNT; i++) {
		const char *env = getenv(secret_env[i]);
		if (env && *env) {
			if (has_space_or_control(env))
				error_line(ld, 0, T("%s contiene spazi o caratteri di controllo",
						    "%s contains spaces or control characters"),
					   secret_env[i]);
			set_str(ld, fields[i], env);
		}
	}
	if ((cfg->platforms & (1 << PLATFORM_WHATSAPP)) && !file_failed) {
		char absent[128] = "";
		for (int i = 0; i < S_WA_COUNT; i++) {
			if (**fields[i])
				continue;
			if (file_missing) {
				size_t n = strlen(absent);
				snprintf(absent + n, sizeof(absent) - n, "%s%s", n ? ", " : "", secret_keys[i].name);
			} else {
				error_line(ld, file && *file ? file_line : 0,
					   T("manca il segreto %s di WhatsApp: metterlo nel secrets_file ([whatsapp] %s = ...) o in %s",
					     "the WhatsApp secret %s is missing: put it in the secrets_file ([whatsapp] %s = ...) or in %s"),
					   secret_keys[i].name, secret_keys[i].name, secret_env[i]);
			}
		}
		if (absent[0])
			error_line(ld, file_line,
				   T("secrets_file: %s non esiste (servono %s; in alternativa le variabili BANDITORE_WHATSAPP_...)",
				     "secrets_file: %s does not exist (needed for %s; or use the BANDITORE_WHATSAPP_... variables)"),
				   file, absent);
	}
	if ((cfg->platforms & (1 << PLATFORM_TELEGRAM)) && !file_failed) {
		for (int i = S_TG_BOT_TOKEN; i < S_EMAIL_PASSWORD; i++) {
			if (**fields[i] || (i == S_TG_WEBHOOK_SECRET && cfg->tg_mode != TELEGRAM_MODE_BOT))
				continue;
			error_line(ld, file && *file ? file_line : 0,
				   T("manca il segreto %s di Telegram: metterlo nel secrets_file ([telegram] %s = ...) o in %s",
				     "the Telegram secret %s is missing: put it in the secrets_file ([telegram] %s = ...) or in %s"),
				   secret_keys[i].name, secret_keys[i].name, secret_env[i]);
		}
		/* Telegram's own rules (setWebhook): 1 to 256 of A-Z a-z 0-9 _ -. */
		if (*cfg->tg_webhook_secret &&
		    (strlen(cfg->tg_webhook_secret) > 256 ||
		     strspn(cfg->tg_webhook_secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
			     strlen(cfg->tg_webhook_secret)))
			error_line(ld, 0, T("webhook_secret di Telegram: da 1 a 256 caratteri tra A-Z, a-z, 0-9, _ e -",
					    "Telegram webhook_secret: 1 to 256 characters among A-Z, a-z, 0-9, _ and -"));
		if (*cfg->tg_bot_token && !strchr(cfg->tg_bot_token, ':'))
			error_line(ld, 0, T("bot_token di Telegram: non sembra il token dato da @BotFather (NUMERO:CODICE)",
					    "Telegram bot_token: it does not look like the token @BotFather gives (NUMBER:CODE)"));
	}
	if ((cfg->platforms & (1 << PLATFORM_SMS)) && !file_failed) {
		for (int i = S_SMS_AUTH_SECRET; i <= S_SMS_WEBHOOK_SECRET; i++) {
			if (**fields[i] || (i == S_SMS_AUTH_SECRET && cfg->sms_auth == SMS_AUTH_NONE))
				continue;
			error_line(ld, file && *file ? file_line : 0,
				   T("manca il segreto %s degli SMS: metterlo nel secrets_file ([sms] %s = ...) o in %s",
				     "the SMS secret %s is missing: put it in the secrets_file ([sms] %s = ...) or in %s"),
				   secret_keys[i].name, secret_keys[i].name, secret_env[i]);
		}
	}
	if (data) {
		crypto_wipe(data, len);
		free(data);
	}
	for (int i = 0; i < S_COUNT; i++) {
		if (sv[i].text.data)
			crypto_wipe(sv[i].text.data, sv[i].text.cap);
		buf_free(&sv[i].text);
	}
}

/* ---- the whole file ---- */

static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) + 1 : 0;
	char *dir = malloc(n + 1);

	if (!dir)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

static void get_policy(struct loader *ld);
static void get_audience(struct loader *ld);

static void build(struct loader *ld, int with_secrets)
{
	struct config *cfg = ld->cfg;

	get_str(ld, K_COMUNE_NAME, &cfg->comune_name, 1, "", "");
	get_url(ld, K_WEBSITE, &cfg->website, 1, NULL);
	get_email(ld, K_PEC, &cfg->pec);
	get_email(ld, K_HELPDESK_EMAIL, &cfg->helpdesk_email);
	get_phone(ld, K_HELPDESK_PHONE, &cfg->helpdesk_phone);
	get_str(ld, K_CONTROLLER, &cfg->controller, 0, "", "");
	get_email(ld, K_CONTROLLER_EMAIL, &cfg->controller_email);
	get_str(ld, K_DPO_NAME, &cfg->dpo_name, 0, "", "");
	get_email(ld, K_DPO_EMAIL, &cfg->dpo_email);
	get_url(ld, K_POLICY_URL, &cfg->policy_url, 0, NULL);
	get_url(ld, K_PRIVACY_URL, &cfg->privacy_url, 0, NULL);
	get_str(ld, K_POLICY_VERSION, &cfg->policy_text_version, 0, "", "");

	get_str(ld, K_CHANNEL_NAME, &cfg->channel_name, 1, "", "");
	if (val(ld, K_CHANNEL_DESCRIPTION)) {
		char *d = unescape(ld, val(ld, K_CHANNEL_DESCRIPTION));
		if (d && has_control(d))
			error_line(ld, line_of(ld, K_CHANNEL_DESCRIPTION),
				   T("%s contiene caratteri di controllo", "%s contains control characters"), "description");
		free(cfg->channel_description);
		cfg->channel_description = d;
	} else {
		set_str(ld, &cfg->channel_description, "");
	}
	get_platforms(ld);
	get_yes_no(ld, K_ASSISTED_ENROLLMENT, &cfg->assisted_enrollment);
	get_yes_no(ld, K_MODERATE_JOINS, &cfg->moderate_joins);
	get_int(ld, K_MODERATE_WITHIN_DAYS, &cfg->moderate_within_days, 1, 90, 14);
	get_whatsapp(ld);
	get_telegram(ld);
	get_sms(ld);
	get_keywords(ld);
	get_costs(ld);

	get_inbound_mode(ld);
	get_int(ld, K_KEEP_DAYS, &cfg->keep_days, 1, 90, 7);
	get_int(ld, K_AUTO_REPLY_HOURS, &cfg->auto_reply_hours, 1, 720, 24);
	get_int(ld, K_STAFF_MAX_DELEGATES, &cfg->staff_max_delegates, 0, 1000, 0);
	get_push(ld);
	get_email_section(ld);

	get_listen(ld);
	get_url(ld, K_PUBLIC_URL, &cfg->public_url, 0, NULL);
	get_path(ld, K_DATA_DIR, &cfg->data_dir, "/var/lib/banditore");

	/* The policy before the texts: {hours} says when the office is open. */
	get_policy(ld);
	if (cfg->policy) {
		char hours[POLICY_HOURS_TEXT_MAX];
		policy_hours_describe(cfg->policy, 0, hours, sizeof(hours));
		set_str(ld, &cfg->hours_text, hours);
	} else {
		set_str(ld, &cfg->hours_text, "");
	}

	get_audience(ld);

	/* Texts last: their placeholders and defaults depend on everything above. */
	get_text(ld, K_TEXT_JOIN, &cfg->text_join);
	get_text(ld, K_TEXT_ALREADY, &cfg->text_already);
	get_text(ld, K_TEXT_LEAVE, &cfg->text_leave);
	get_text(ld, K_TEXT_NOT_SUBSCRIBED, &cfg->text_not_subscribed);
	get_text(ld, K_TEXT_AUTO_REPLY, &cfg->text_auto_reply);
	get_text(ld, K_TEXT_ENROLL_ASK, &cfg->text_enroll_ask);
	get_text(ld, K_TEXT_JOIN_WAITING, &cfg->text_join_waiting);
	get_text(ld, K_TEXT_JOIN_REFUSED, &cfg->text_join_refused);

	if (with_secrets)
		load_secrets(ld);
}

/* The policy's sections, with what the comune's own keys say about its contacts. */
static void get_policy(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct config_policy_input in;
	int rc;

	memset(&in, 0, sizeof(in));
	in.path = ld->path;
	in.dir = ld->dir;
	in.vals = ld->vals + K_COUNT;
	in.instances = &ld->inst;
	in.inst_base = K_COUNT;
	in.comune_name = cfg->comune_name;
	in.website = cfg->website;
	in.pec = cfg->pec;
	in.helpdesk_email = cfg->helpdesk_email;
	in.helpdesk_phone = cfg->helpdesk_phone;
	in.controller_email = cfg->controller_email;
	in.dpo_email = cfg->dpo_email;
	in.display_number = cfg->wa_display_number;
	in.errs = ld->errs;
	in.lexicon_missing = &cfg->lexicon_missing;
	rc = config_policy_build(&in, &cfg->policy);
	if (rc)
		ld->rc = rc;
}

/* The areas and the choosing keywords, after the keywords and platforms. */
static void get_audience(struct loader *ld)
{
	struct config_audience_input in;
	size_t base = K_COUNT + config_policy_n_keys;

	memset(&in, 0, sizeof(in));
	in.path = ld->path;
	in.vals = ld->vals + base;
	in.instances = &ld->inst;
	in.inst_base = base;
	in.errs = ld->errs;
	in.rc = &ld->rc;
	config_audience_build(&in, ld->cfg);
}

/* Orders the problems from `from` on: the main file's first, then the secrets file's,
 * each by line, with problems not on one line (0) last; stable, so problems on the same
 * line keep the order they were found in. */
static long error_rank(const struct config_error *e, const char *main_file)
{
	long file = strcmp(e->file, main_file) == 0 ? 0 : 1;
	return file * ((long)INT_MAX + 1) + (e->line > 0 ? e->line : INT_MAX);
}

static void sort_errors(struct config_errors *errs, int from, const char *main_file)
{
	for (int i = from + 1; i < errs->count; i++) {
		struct config_error e = errs->items[i];
		long rank = error_rank(&e, main_file);
		int j = i;
		while (j > from && error_rank(&errs->items[j - 1], main_file) > rank) {
			errs->items[j] = errs->items[j - 1];
			j--;
		}
		errs->items[j] = e;
	}
}

int config_load(const char *path, int with_secrets, struct config **out,
		struct config_errors *errors)
{
	struct config_errors local = { 0 };
	struct config_errors *errs = errors ? errors : &local;
	struct loader ld;
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	struct config_key *all_keys = NULL;
	size_t n_all = K_COUNT + config_policy_n_keys + config_audience_n_keys;
	int rc, first_error = errs->count;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.errs = errs;
	ld.vals = calloc(n_all, sizeof(*ld.vals));
	all_keys = calloc(n_all, sizeof(*all_keys));
	if (!ld.vals || !all_keys) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	memcpy(all_keys, keys, sizeof(keys));
	memcpy(all_keys + K_COUNT, config_policy_keys, config_policy_n_keys * sizeof(*all_keys));
	memcpy(all_keys + K_COUNT + config_policy_n_keys, config_audience_keys,
	       config_audience_n_keys * sizeof(*all_keys));
	for (size_t i = 0; i < n_all; i++)
		buf_init(&ld.vals[i].text, CONFIG_VALUE_MAX);
	rc = config_read_file(path, CONFIG_FILE_MAX, &data, &len, &st);
	if (rc == BANDITORE_ENOMEM)
		goto fail;
	if (rc) {
		const char *why = rc == BANDITORE_ETOOBIG ? T("troppo grande (al massimo 1 MiB)", "too big (at most 1 MiB)")
							  : strerror(errno);
		rc = rc == BANDITORE_ETOOBIG ? BANDITORE_ECONFIG : BANDITORE_EIO;
		if (config_error_add(errs, path, 0, T("impossibile leggere il file: %s", "cannot read the file: %s"), why))
			rc = BANDITORE_ENOMEM;
		goto fail;
	}
	ld.dir = folder_of(path);
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.dir || !ld.cfg) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = config_ini_parse(path, data, len, all_keys, n_all, ld.vals, &ld.inst, errs);
	if (rc)
		goto fail;
	ld.cfg->path = dup_or_flag(&ld, path);
	build(&ld, with_secrets);
	sort_errors(errs, first_error, path);
	if (ld.rc) {
		rc = ld.rc;
		goto fail;
	}
	if (errs->count > 0) {
		rc = BANDITORE_ECONFIG;
		goto fail;
	}
	*out = ld.cfg;
	ld.cfg = NULL;
	rc = 0;
fail:
	config_free(ld.cfg);
	free(ld.dir);
	free(data);
	for (size_t i = 0; ld.vals && i < n_all; i++)
		buf_free(&ld.vals[i].text);
	free(ld.vals);
	free(all_keys);
	config_instances_free(&ld.inst);
	if (!errors)
		config_errors_free(&local);
	return rc;
}

static void free_secret(char *s)
{
	if (s) {
		crypto_wipe(s, strlen(s));
		free(s);
	}
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	char **strings[] = {
		&cfg->path, &cfg->comune_name, &cfg->website, &cfg->pec, &cfg->helpdesk_email,
		&cfg->helpdesk_phone, &cfg->controller, &cfg->controller_email, &cfg->dpo_name,
		&cfg->dpo_email, &cfg->policy_url, &cfg->privacy_url, &cfg->policy_text_version,
		&cfg->channel_name, &cfg->channel_description, &cfg->wa_phone_number_id,
		&cfg->wa_display_number, &cfg->wa_api_base, &cfg->wa_api_version,
		&cfg->wa_secrets_file, &cfg->wa_template_name, &cfg->wa_template_language,
		&cfg->tg_bot_username, &cfg->tg_channel_id, &cfg->tg_api_base, &cfg->tg_secrets_file,
		&cfg->wa_channel_url, &cfg->unsubscribe_word, &cfg->text_join, &cfg->text_already,
		&cfg->text_leave, &cfg->text_not_subscribed, &cfg->text_auto_reply,
		&cfg->text_enroll_ask, &cfg->text_join_waiting, &cfg->text_join_refused,
		&cfg->listen_address, &cfg->public_url, &cfg->data_dir, &cfg->hours_text,
		&cfg->push_subject, &cfg->email_from_address, &cfg->email_from_name,
		&cfg->email_smtp_url, &cfg->email_user, &cfg->email_secrets_file,
		&cfg->wa_notice_template, &cfg->sms_url, &cfg->sms_body,
		&cfg->sms_auth_header, &cfg->sms_username, &cfg->sms_sender, &cfg->sms_success_status,
		&cfg->sms_status_field, &cfg->sms_status_ok, &cfg->sms_id_field,
		&cfg->sms_webhook_header, &cfg->sms_webhook_param, &cfg->sms_from_field,
		&cfg->sms_text_field, &cfg->sms_id_field_in, &cfg->sms_secrets_file,
		&cfg->cost_currency,
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		free(*strings[i]);
	if (cfg->policy) {
		policy_clear(cfg->policy);
		free(cfg->policy);
	}
	config_audience_free(cfg);
	free_secret(cfg->wa_app_secret);
	free_secret(cfg->wa_access_token);
	free_secret(cfg->wa_verify_token);
	free_secret(cfg->tg_bot_token);
	free_secret(cfg->tg_webhook_secret);
	free_secret(cfg->email_password);
	free_secret(cfg->sms_auth_secret);
	free_secret(cfg->sms_webhook_secret);
	for (int i = 0; i < CONFIG_KEYWORDS_MAX; i++) {
		free(cfg->subscribe[i]);
		free(cfg->unsubscribe[i]);
	}
	free(cfg);
}

void config_errors_free(struct config_errors *errs)
{
	if (!errs)
		return;
	for (int i = 0; i < errs->count; i++) {
		free(errs->items[i].file);
		free(errs->items[i].message);
	}
	free(errs->items);
	errs->items = NULL;
	errs->count = 0;
}

void config_policy_version(const struct config *cfg, char out[65])
{
	char inbound[32], categories[POLICY_CATEGORIES_MAX * (POLICY_ID_MAX + POLICY_LABEL_MAX + 2)];
	size_t used = 0;

	snprintf(inbound, sizeof(inbound), "%d/%d", (int)cfg->inbound_mode, cfg->keep_days);
	categories[0] = '\0';
	for (int i = 0; cfg->policy && i < cfg->policy->n_categories; i++) {
		const struct policy_category *c = &cfg->policy->categories[i];
		int n = snprintf(categories + used, sizeof(categories) - used, "%s=%s\n", c->id,
				 c->label);
		if (n < 0 || (size_t)n >= sizeof(categories) - used)
			break;
		used += (size_t)n;
	}

	/* Each part is hashed on its own and the hashes, in this fixed order, are hashed
	 * together: no separator can be forged and nothing needs allocating. Append new
	 * parts at the end only: the version of unchanged policies must not move. */
	const char *parts[] = {
		"banditore-policy-v1", cfg->comune_name, cfg->channel_name, cfg->policy_url,
		cfg->privacy_url, cfg->policy_text_version, cfg->controller, cfg->controller_email,
		cfg->dpo_name, cfg->dpo_email, cfg->text_join,
		/* What the public privacy notice and policy pages say besides (src/http
		 * public_pages.c): the contacts, the channel, how inbound messages are kept,
		 * the categories, and the digest of the notice's own templates and
		 * translations (web/embed.py), so that editing their text moves the version. */
		cfg->pec, cfg->helpdesk_email, cfg->helpdesk_phone, cfg->website,
		cfg->channel_description, cfg->wa_display_number, cfg->wa_channel_url,
		inbound, categories, web_notice_sha256,
	};
	enum { N = sizeof(parts) / sizeof(parts[0]) };
	uint8_t all[N * CRYPTO_HASH_LEN], digest[CRYPTO_HASH_LEN];

	memset(all, 0, sizeof(all));
	memset(digest, 0, sizeof(digest));
	for (size_t i = 0; i < N; i++) {
		const char *s = parts[i] ? parts[i] : "";
		(void)crypto_sha256(s, strlen(s), all + i * CRYPTO_HASH_LEN);
	}
	(void)crypto_sha256(all, sizeof(all), digest);
	/* The notice also says what each platform other than WhatsApp keeps and who delivers
	 * for it (and the page how to join on it): those platforms, and Telegram's mode, are
	 * folded in only when there are any, so that a WhatsApp-only version stays put. */
	if (cfg->platforms & ~(1 << PLATFORM_WHATSAPP)) {
		char more[48];
		uint8_t pair[2 * CRYPTO_HASH_LEN];
		snprintf(more, sizeof(more), "platforms=%d telegram=%d", cfg->platforms, cfg->tg_mode);
		memcpy(pair, digest, CRYPTO_HASH_LEN);
		(void)crypto_sha256(more, strlen(more), pair + CRYPTO_HASH_LEN);
		(void)crypto_sha256(pair, sizeof(pair), digest);
	}
	crypto_hex(digest, sizeof(digest), out);
}
