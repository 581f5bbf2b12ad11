/*
 * config.h - the comune's configuration: one INI file, read with inih.
 *
 * The file says who the comune is, what its channel is called, how citizens join and
 * leave, and how inbound messages are treated. Secrets (the WhatsApp app secret, access
 * token and verify token; the Telegram bot token and webhook secret) never live in it: they
 * come from the file named by [whatsapp] or [telegram] secrets_file (one file, a section
 * per platform), or from the environment (BANDITORE_WHATSAPP_APP_SECRET,
 * BANDITORE_WHATSAPP_ACCESS_TOKEN, BANDITORE_WHATSAPP_VERIFY_TOKEN,
 * BANDITORE_TELEGRAM_BOT_TOKEN, BANDITORE_TELEGRAM_WEBHOOK_SECRET; for [sms] the gateway's
 * auth_secret and the inbound webhook_secret: BANDITORE_SMS_AUTH_SECRET,
 * BANDITORE_SMS_WEBHOOK_SECRET), which wins.
 *
 * Every problem is reported with file:line and a reason; unknown sections and keys are
 * errors. See docs/configuration.md for every key.
 *
 * After a successful config_load every string field is non-NULL ("" when not set), and
 * relative paths (secrets_file, data_dir) are resolved against the file's folder.
 */
#ifndef BANDITORE_CONFIG_H
#define BANDITORE_CONFIG_H

#include <stddef.h>

#include "policy/policy.h"

#define CONFIG_KEYWORDS_MAX 8
#define CONFIG_TEMPLATE_PARAMS_MAX 3
#define CONFIG_AREAS_MAX 48           /* [area ID] sections */
#define CONFIG_AREAS_WHATSAPP_MAX 9   /* a WhatsApp list: 10 rows, one is "every area" */
#define CONFIG_AREA_NAME_CHARS 24     /* a WhatsApp list row's title */
#define CONFIG_AREA_POINTS_MAX 512
#define CONFIG_CHOOSE_KEYWORD_MAX 64  /* [keywords] areas / categories, with NUL */

/* A point of an area's border, WGS 84 degrees. */
struct config_area_point {
	double lat, lon;
};

/* One of the comune's areas (a frazione, a quartiere): [area ID]. */
struct config_area {
	char id[64];                       /* the section's ID: what messages name */
	char name[128];                    /* what citizens read ("Fornacino") */
	struct config_area_point *points;  /* the border, owned; NULL when none */
	int n_points;
};

/* What fills each body parameter ({{1}}, {{2}}, ...) of the broadcast template. */
enum config_template_param {
	CONFIG_PARAM_TITLE = 0, /* the message's title */
	CONFIG_PARAM_TEXT = 1,  /* its text */
	CONFIG_PARAM_LINK = 2,  /* its link */
};

enum config_inbound_mode {
	CONFIG_INBOUND_AUTO_REPLY = 0,          /* answer once per 24 h, keep nothing */
	CONFIG_INBOUND_KEEP_UNTIL_ANSWERED = 1, /* keep encrypted for staff until answered */
	CONFIG_INBOUND_NONE = 2,                /* no inbound at all (Sesto Calende) */
};

struct config {
	char *path; /* the file it was read from */

	/* [comune] */
	char *comune_name;
	char *website;
	char *pec;
	char *helpdesk_email;
	char *helpdesk_phone;
	char *controller;       /* data controller (titolare del trattamento) */
	char *controller_email;
	char *dpo_name;
	char *dpo_email;
	char *policy_url;       /* the policy citizens accept; "" → the public page's own */
	char *privacy_url;      /* the privacy notice (informativa) */
	char *policy_text_version; /* optional explicit version label of policy + notice */

	/* [channel] */
	char *channel_name;
	char *channel_description;
	int platforms;          /* bit (1 << PLATFORM_x) for each platform listed */
	int assisted_enrollment; /* staff may enroll a citizen at the front desk (a paper
				  * form), who then confirms on WhatsApp ("Sì") */
	int moderate_joins;     /* joins wait in the console's queue for staff to approve */
	int moderate_within_days; /* a request nobody decided is forgotten after this (14) */

	/* [whatsapp] */
	char *wa_phone_number_id;
	char *wa_display_number;  /* the public number citizens write to, E.164 */
	char *wa_api_base;        /* default https://graph.facebook.com */
	char *wa_api_version;     /* default v23.0 */
	char *wa_secrets_file;
	char *wa_app_secret;      /* from the secrets file or environment only */
	char *wa_access_token;    /* idem */
	char *wa_verify_token;    /* idem */
	int wa_messages_per_second; /* default 80, 1..1000; 0 (no limit) only with a loopback
				     * api_base, for benchmarks */
	char *wa_template_name;     /* the approved template broadcasts use ("avviso_comune") */
	char *wa_template_language; /* its language code ("it") */
	int wa_template_params[CONFIG_TEMPLATE_PARAMS_MAX]; /* enum config_template_param */
	int wa_n_template_params;   /* default 1: the text */
	int wa_max_in_flight;       /* broadcast sends in flight at once (default 256) */
	char *wa_channel_url;       /* the comune's WhatsApp Channel link ("" : none); the
				     * public page shows it with its QR code */
	int wa_channel_manual;      /* channel_mode = manual: each approved message makes a
				     * posting task in the console (Channels have no API) */
	int wa_unreachable_after;   /* consecutive permanent failures before a subscriber is
				     * unreachable (default 3) */
	int wa_messaging_limit;     /* the number's messaging limit: unique people sent to per
				     * rolling 24 h (250, 2000, 10000, 100000); 0: unlimited */
	char *wa_notice_template;   /* the template of the one notice sent to each number
				     * imported from a broadcast list (default template_name) */

	/* [telegram] (enum telegram_mode: 0 bot, 1 channel) */
	int tg_mode;
	char *tg_bot_username;     /* without '@'; the deep link is t.me/<it>?start=... */
	char *tg_channel_id;       /* channel mode: "@name" or "-100..." */
	char *tg_api_base;         /* default https://api.telegram.org */
	char *tg_secrets_file;     /* the same file as [whatsapp] secrets_file, if both */
	char *tg_bot_token;        /* from the secrets file or environment only */
	char *tg_webhook_secret;   /* idem: X-Telegram-Bot-Api-Secret-Token (bot mode) */
	int tg_messages_per_second; /* bulk pacing, default 30 */

	/* [sms] a generic HTTP gateway (connectors/sms.h says what each value means) */
	char *sms_url;
	int sms_method;             /* enum sms_method */
	int sms_body_type;          /* enum sms_body_type (content_type = form | json) */
	char *sms_body;             /* the template; "" for the type's default */
	int sms_auth;               /* enum sms_auth */
	char *sms_auth_header;      /* auth = header NAME */
	char *sms_username;         /* auth = basic */
	char *sms_sender;           /* sender id: up to 11 letters/digits, or a number */
	int sms_number_plus;        /* number_format = e164 (1, default) | digits (0) */
	char *sms_success_status;   /* default "200-299" */
	char *sms_status_field, *sms_status_ok, *sms_id_field;
	int sms_long_text;          /* enum sms_long_text (split, default, | shorten) */
	int sms_max_segments;       /* 1..10, default 3 */
	int sms_messages_per_second; /* default 10 */
	char *sms_webhook_header;   /* inbound: the header carrying the shared secret
				     * (default X-Banditore-Token) */
	char *sms_webhook_param;    /* inbound: or the query parameter carrying it ("" none) */
	char *sms_from_field, *sms_text_field, *sms_id_field_in; /* inbound fields */
	char *sms_secrets_file;     /* the same file as [whatsapp] secrets_file, if both */
	char *sms_auth_secret;      /* from the secrets file or environment only */
	char *sms_webhook_secret;   /* idem */

	/* [keywords] (stored normalised, see keyword.h) */
	char *subscribe[CONFIG_KEYWORDS_MAX];
	int n_subscribe;
	char *unsubscribe[CONFIG_KEYWORDS_MAX];
	int n_unsubscribe;
	char *unsubscribe_word;   /* the first unsubscribe keyword as written, for {unsubscribe} */
	int confirm_join;         /* confirm_join = yes: a keyword asks "Sì" first (two steps) */
	int confirm_within_hours; /* an unanswered request is forgotten after this (48) */

	/* [inbound] */
	enum config_inbound_mode inbound_mode;
	int keep_days;            /* keep-until-answered: delete after this many days */
	int auto_reply_hours;     /* at most one auto-reply per sender in this window (24) */

	/* [texts]: what citizens read; {channel}, {comune}, {policy_url}, {privacy_url},
	 * {website}, {helpdesk_email}, {unsubscribe}, {hours} (the service hours in words:
	 * "dal lunedì al venerdì dalle 9:00 alle 13:00") are replaced (config_expand). "\n" in
	 * the file is a new line. Kept with their placeholders; Italian defaults when absent. */
	char *text_join;
	char *text_already;       /* joining again */
	char *text_leave;
	char *text_not_subscribed; /* leaving without being subscribed */
	char *text_auto_reply;
	char *text_enroll_ask;    /* a front-desk enrollment's question (a template's
				   * parameter: sent on one line) */
	char *text_join_waiting;  /* moderate_joins: the request waits for staff */
	char *text_join_refused;  /* moderate_joins: staff refused it (approval sends join) */

	/* [server] */
	char *listen_address;     /* default 127.0.0.1 */
	int listen_port;          /* default 8080 */
	char *public_url;         /* how citizens reach the public pages */
	char *data_dir;           /* default /var/lib/banditore */

	/* [push] (web push; on when webpush is among the [channel] platforms) */
	char *push_subject;       /* the comune's contact in VAPID tokens: mailto: or https: */
	int push_ttl;             /* seconds a push service may hold a message (86400) */
	int push_allow_insecure;  /* tests only: http:// and loopback push endpoints */

	/* [email] (on when email is among the [channel] platforms) */
	char *email_from_address; /* the comune's sender address, canonical */
	char *email_from_name;    /* the display name (default: the channel's name) */
	char *email_smtp_url;     /* smtp://host:port or smtps://host:port */
	int email_tls;            /* enum email_tls: none, starttls (default), implicit */
	char *email_user;         /* SMTP AUTH user ("" : none) */
	char *email_password;     /* from the secrets file ([email] password) or
				   * BANDITORE_EMAIL_PASSWORD only */
	char *email_secrets_file; /* when neither [whatsapp] nor [telegram] names one */
	int email_connections;    /* SMTP connections in parallel (default 8) */
	int email_unreachable_after; /* permanent failures (bounces, 5xx) before delivery
				      * skips an address (default 3) */

	/* [costs]: prices per message in millionths of the currency (0.0429 EUR is 42900),
	 * -1 when not configured (the cost is then unknown, never 0). */
	char *cost_currency;      /* default "EUR" */
	long long cost_wa_utility, cost_wa_marketing; /* WhatsApp template categories */
	int cost_wa_category;     /* 0 utility (default), 1 marketing: how broadcasts bill */
	long long cost_sms;       /* per SMS segment */
	long long cost_telegram, cost_email, cost_webpush;
	/* [staff] */
	int staff_max_delegates;  /* delegates by decree at a time; 0 (default): no limit
				   * (Leini art. 4: at most 5) */

	/* The policy's sections ([policy], [categories], [category ID], [hours],
	 * [electoral], [content], [links], [disclaimer], [frequency], [attachments]) with the
	 * lexicons read: what policy_check enforces. Owned, never NULL after config_load. */
	struct policy *policy;
	int lexicon_missing;      /* no lexicon_dir and the installed lexicons are absent */
	char *hours_text;         /* the service hours in Italian words ({hours}), "" always open */

	/* [area ID] sections (config_audience.c), in the file's order: the neighbourhoods
	 * or frazioni subscribers may choose and messages may target. */
	struct config_area areas[CONFIG_AREAS_MAX];
	int n_areas;
	/* [keywords] areas / categories: what a subscriber writes to choose again (normalised,
	 * and as written for the texts); defaults "ZONE" and "CATEGORIE". */
	char kw_areas[CONFIG_CHOOSE_KEYWORD_MAX], kw_areas_word[CONFIG_CHOOSE_KEYWORD_MAX];
	char kw_categories[CONFIG_CHOOSE_KEYWORD_MAX], kw_categories_word[CONFIG_CHOOSE_KEYWORD_MAX];
};

/* One problem found in a file. */
struct config_error {
	char *file;
	int line;     /* 0 when the problem is not on one line (a missing key) */
	char *message;
};

struct config_errors {
	struct config_error *items;
	int count;
};

/* Reads and validates `path`. On success returns 0 and *out (free with config_free).
 * On failure returns BANDITORE_ECONFIG (or EIO/ENOMEM) and, when `errors` is not NULL,
 * fills it with every problem found (free with config_errors_free). Reads the secrets
 * file and environment too, unless `with_secrets` is 0 (config check of a file alone). */
int config_load(const char *path, int with_secrets, struct config **out,
		struct config_errors *errors);

void config_free(struct config *cfg);               /* accepts NULL */
void config_errors_free(struct config_errors *errs); /* accepts NULL */

/* Expands the {placeholders} of `text` for this configuration into a new string
 * (caller frees), or NULL when out of memory. Unknown placeholders are left as they are
 * (config_load already refuses them in [texts]). */
char *config_expand(const struct config *cfg, const char *text);

/* The index of area `id` in cfg->areas, or -1. */
int config_area_find(const struct config *cfg, const char *id);
/* 1 when (lat, lon) lies inside the area's polygon; 0 outside or with no polygon. */
int config_area_contains(const struct config_area *a, double lat, double lon);

/* The version of the policy and privacy notice citizens accept: hex SHA-256 over the
 * texts and links that make them up (65 bytes with NUL). */
void config_policy_version(const struct config *cfg, char out[65]);

#endif
