/* telegram_inbound.c - joins, leaves, erasure and replies for Telegram updates. */
#include "inbound/telegram_inbound.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/keyword.h"
#include "common/platform.h"
#include "connectors/telegram.h"
#include "inbound/choices.h"
#include "inbound/inbound.h"
#include "subscribers/subscribers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEDUP_LABEL "telegram:"

/* Added to the welcome: how to leave on Telegram. */
#define TEXT_HOW_TO_LEAVE "\n\nPer annullare l'iscrizione e cancellare i dati: /stop"
#define TEXT_REFUSED                                                                       \
	"Non è possibile iscriversi di nuovo a {channel}: l'iscrizione è stata chiusa dal "  \
	"Comune per violazione delle condizioni d'uso. Per informazioni: {website}"
/* A button that is not (or no longer) one of the lists. */
#define NOTICE_UNKNOWN "Scelta non riconosciuta: nulla è cambiato."
#define NOTICE_DONE "Fatto."

/* Expands `text` (+ `suffix`) and escapes it for parse_mode HTML; NULL if out of memory. */
static char *html_text(const struct config *cfg, const char *text, const char *suffix)
{
	char *plain = config_expand(cfg, text);
	struct buf b;
	char *out = NULL;

	if (!plain)
		return NULL;
	buf_init(&b, 65536);
	if (telegram_escape_html(plain, &b) == 0 && (!suffix || telegram_escape_html(suffix, &b) == 0))
		out = buf_steal(&b);
	buf_free(&b);
	free(plain);
	return out;
}

int tg_inbound_ctx_init(struct tg_inbound_ctx *ctx, const struct config *cfg,
			const struct keyfile_keys *keys)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->keys = keys;
	config_policy_version(cfg, ctx->policy_version);
	ctx->html_join = html_text(cfg, cfg->text_join, TEXT_HOW_TO_LEAVE);
	ctx->html_already = html_text(cfg, cfg->text_already, TEXT_HOW_TO_LEAVE);
	ctx->html_leave = html_text(cfg, cfg->text_leave, NULL);
	ctx->html_not_subscribed = html_text(cfg, cfg->text_not_subscribed, NULL);
	ctx->html_auto_reply = html_text(cfg, cfg->text_auto_reply, NULL);
	ctx->html_refused = html_text(cfg, TEXT_REFUSED, NULL);
	if (!ctx->html_join || !ctx->html_already || !ctx->html_leave || !ctx->html_not_subscribed ||
	    !ctx->html_auto_reply || !ctx->html_refused) {
		tg_inbound_ctx_clear(ctx);
		return BANDITORE_ENOMEM;
	}
	return 0;
}

void tg_inbound_ctx_clear(struct tg_inbound_ctx *ctx)
{
	free(ctx->html_join);
	free(ctx->html_already);
	free(ctx->html_leave);
	free(ctx->html_not_subscribed);
	free(ctx->html_auto_reply);
	free(ctx->html_refused);
	memset(ctx, 0, sizeof(*ctx));
}

static int matches_any(const char *norm, char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] && !strcmp(norm, list[i]))
			return 1;
	return 0;
}

/* Categories a deep link selects: "c_<id>_<id>..." with ids of the policy's categories
 * (whose alphabet [a-z0-9-] fits a start parameter). Counted here; a new subscriber gets
 * them as its choice (deep_link_choice). */
static int payload_categories(const struct config *cfg, const char *payload)
{
	const char *p;
	int n = 0;

	if (strncmp(payload, "c_", 2) != 0 || !cfg->policy)
		return 0;
	for (p = payload + 2; *p;) {
		size_t len = strcspn(p, "_");
		for (int i = 0; i < cfg->policy->n_categories; i++)
			if (strlen(cfg->policy->categories[i].id) == len &&
			    !strncmp(cfg->policy->categories[i].id, p, len))
				n++;
		p += len;
		if (*p == '_')
			p++;
	}
	return n;
}

int tg_inbound_prepare(const struct tg_inbound_ctx *ctx, const struct tg_update *up,
		       struct tg_prepared *p)
{
	const struct config *cfg = ctx->cfg;
	char idbuf[64], norm[KEYWORD_MAX];
	uint8_t aad = PLATFORM_TELEGRAM;
	int rc;

	memset(p, 0, sizeof(*p));
	p->up = up;
	memcpy(p->pseudonym, "-", 2);
	switch (up->kind) {
	case TG_UPDATE_START: p->action = TG_ACTION_JOIN; break;
	case TG_UPDATE_STOP: p->action = TG_ACTION_LEAVE; break;
	case TG_UPDATE_BLOCKED: p->action = TG_ACTION_ERASE; break;
	case TG_UPDATE_CALLBACK: p->action = TG_ACTION_CALLBACK; break;
	case TG_UPDATE_TEXT:
		p->action = TG_ACTION_TEXT;
		if (keyword_normalize(up->text, strlen(up->text), norm, sizeof(norm)) != 0)
			norm[0] = '\0';
		if (norm[0] && matches_any(norm, cfg->subscribe, cfg->n_subscribe))
			p->action = TG_ACTION_JOIN;
		else if (norm[0] && matches_any(norm, cfg->unsubscribe, cfg->n_unsubscribe))
			p->action = TG_ACTION_LEAVE;
		break;
	default:
		return 0; /* TG_ACTION_NONE: nothing stored */
	}
	if (up->chat_id <= 0) {
		p->action = TG_ACTION_NONE;
		return 0;
	}
	if (up->kind == TG_UPDATE_START)
		p->categories = payload_categories(cfg, up->payload);
	snprintf(idbuf, sizeof(idbuf), DEDUP_LABEL "%" PRId64, up->update_id);
	snprintf(p->chat, sizeof(p->chat), "%" PRId64, up->chat_id);
	rc = crypto_hmac_sha256(ctx->keys->event, CRYPTO_KEY_LEN, idbuf, strlen(idbuf), p->event_hash);
	if (!rc)
		rc = subscribers_hash(ctx->keys, PLATFORM_TELEGRAM, p->chat, p->hash);
	if (!rc)
		rc = subscribers_block_hash(ctx->keys, PLATFORM_TELEGRAM, p->chat, p->block_hash);
	if (!rc)
		rc = crypto_seal(ctx->keys->seal, &aad, 1, p->chat, strlen(p->chat), p->sealed,
				 sizeof(p->sealed), &p->sealed_len);
	if (rc) {
		tg_inbound_prepared_clear(p);
		return rc;
	}
	subscribers_pseudonym(ctx->keys, PLATFORM_TELEGRAM, p->chat, p->pseudonym);
	return 0;
}

void tg_inbound_prepared_clear(struct tg_prepared *p)
{
	crypto_wipe(p, sizeof(*p));
}

static void reply_to(struct tg_reply *r, const struct tg_prepared *p, const char *html)
{
	r->html = html;
	memcpy(r->chat, p->chat, sizeof(r->chat));
}

void tg_reply_clear(struct tg_reply *r)
{
	if (r->html_owned)
		free(r->html_owned);
	free(r->markup);
	memset(r, 0, sizeof(*r));
}

/* `head` (already HTML, may be NULL) and `plain` escaped, as the chat's own reply, with
 * the keyboard of `l` when it has items (taken: markup may be NULL). */
static int reply_owned(struct tg_reply *r, const struct tg_prepared *p, const char *head,
		       char *plain, const struct choices_list *l)
{
	struct buf b;
	int rc = plain ? 0 : BANDITORE_ENOMEM;

	buf_init(&b, 65536);
	if (!rc && head)
		rc = buf_appends(&b, head) || buf_appends(&b, "\n\n") ? BANDITORE_ENOMEM : 0;
	if (!rc)
		rc = telegram_escape_html(plain, &b);
	free(plain);
	if (!rc && l && l->n && !(r->markup = choices_telegram_markup(l)))
		rc = BANDITORE_ENOMEM;
	if (!rc && !(r->html_owned = buf_steal(&b)))
		rc = BANDITORE_ENOMEM;
	buf_free(&b);
	if (!rc)
		reply_to(r, p, r->html_owned);
	return rc;
}

/* The list of `kind` for the chat, as a message with its buttons (`head` before it). */
static int reply_list(struct store *st, const struct config *cfg, const struct tg_prepared *p,
		      int kind, const char *head, struct tg_reply *r)
{
	struct choices_list *l = malloc(sizeof(*l));
	int rc;

	if (!l)
		return BANDITORE_ENOMEM;
	rc = choices_load(st, cfg, PLATFORM_TELEGRAM, p->hash, kind, l);
	if (!rc)
		rc = reply_owned(r, p, head, l->n ? choices_intro(cfg, l) : choices_text_none(cfg, kind), l);
	free(l);
	return rc;
}

/* A new subscriber's categories from its /start payload ("c_viabilita_eventi"): those
 * the policy offers (not emergencies, which reach everyone anyway). */
static int deep_link_choice(struct store *st, const struct config *cfg, const struct tg_prepared *p)
{
	uint64_t mask = 0;
	const char *s;

	if (strncmp(p->up->payload, "c_", 2) != 0 || !cfg->policy)
		return 0;
	for (s = p->up->payload + 2; *s;) {
		size_t len = strcspn(s, "_");
		for (int i = 0; i < cfg->policy->n_categories; i++) {
			const struct policy_category *c = &cfg->policy->categories[i];
			int bit = -1, rc;
			if (c->emergency || strlen(c->id) != len || strncmp(c->id, s, len))
				continue;
			rc = store_audience_bit(st, STORE_AUDIENCE_CATEGORY, c->id, 1, &bit);
			if (rc)
				return rc;
			mask |= (uint64_t)1 << bit;
		}
		s += len;
		if (*s == '_')
			s++;
	}
	return mask ? store_subscriber_set_audience(st, PLATFORM_TELEGRAM, p->hash, mask, 0) : 0;
}

/* A button of a list: toggles the choice; the answer says what is chosen now. */
static int pick(struct store *st, const struct config *cfg, const struct tg_prepared *p,
		int *outcome, struct tg_reply *r)
{
	struct choices_list *l;
	int kind = STORE_AUDIENCE_AREA;
	int rc = choices_pick(st, cfg, PLATFORM_TELEGRAM, p->hash, p->up->callback_data, &kind);

	memcpy(r->callback_id, p->up->callback_id, sizeof(r->callback_id));
	if (rc == BANDITORE_EINVAL || rc == BANDITORE_ENOTFOUND) {
		*outcome = rc == BANDITORE_EINVAL ? INBOUND_IGNORED : INBOUND_NOT_SUBSCRIBED;
		r->notice = rc == BANDITORE_EINVAL ? NOTICE_UNKNOWN : "Non risulti iscritto.";
		return rc == BANDITORE_EINVAL ? reply_owned(r, p, NULL, choices_text_unknown(cfg, kind), NULL) : 0;
	}
	if (rc)
		return rc;
	l = malloc(sizeof(*l));
	if (!l)
		return BANDITORE_ENOMEM;
	rc = choices_load(st, cfg, PLATFORM_TELEGRAM, p->hash, kind, l);
	if (!rc)
		rc = reply_owned(r, p, NULL, choices_summary(cfg, l), l);
	free(l);
	*outcome = INBOUND_CHOSEN;
	r->notice = NOTICE_DONE;
	return rc;
}

int tg_inbound_apply(struct store *st, const struct tg_inbound_ctx *ctx,
		     const struct tg_prepared *p, int64_t now, int *outcome, int *erased,
		     struct tg_reply *reply)
{
	const struct config *cfg = ctx->cfg;
	int rc, left = 0;

	*outcome = INBOUND_IGNORED;
	*erased = 0;
	tg_reply_clear(reply); /* the writer may run this twice */
	if (p->action == TG_ACTION_NONE)
		return 0;
	rc = store_event_mark(st, p->event_hash, now);
	if (rc == BANDITORE_EEXIST) {
		*outcome = INBOUND_DUPLICATE;
		return 0;
	}
	if (rc)
		return rc;

	switch (p->action) {
	case TG_ACTION_JOIN: {
		int joined = 0, blocked = 0;
		rc = store_block_check(st, PLATFORM_TELEGRAM, p->block_hash, &blocked);
		if (rc)
			return rc;
		if (blocked) {
			*outcome = INBOUND_REFUSED;
			reply_to(reply, p, ctx->html_refused);
			return 0;
		}
		rc = subscribers_join_sealed(st, PLATFORM_TELEGRAM, p->hash, p->sealed, p->sealed_len,
					     "deep-link", ctx->policy_version, now, &joined);
		if (rc)
			return rc;
		*outcome = joined ? INBOUND_JOINED : INBOUND_ALREADY;
		reply_to(reply, p, joined ? ctx->html_join : ctx->html_already);
		if (joined && p->categories > 0) {
			rc = deep_link_choice(st, cfg, p);
			if (rc)
				return rc;
		}
		/* The welcome carries the buttons to choose areas (or categories). */
		if (joined && (cfg->n_areas || (cfg->policy && cfg->policy->n_categories)))
			return reply_list(st, cfg, p, cfg->n_areas ? STORE_AUDIENCE_AREA : STORE_AUDIENCE_CATEGORY,
					  ctx->html_join, reply);
		return 0;
	}
	case TG_ACTION_LEAVE:
	case TG_ACTION_ERASE:
		rc = subscribers_leave_hash(st, PLATFORM_TELEGRAM, p->hash, now, &left);
		if (rc)
			return rc;
		*erased = 1; /* even when not subscribed: auto-reply marks went too */
		*outcome = left ? INBOUND_LEFT : INBOUND_NOT_SUBSCRIBED;
		if (p->action == TG_ACTION_LEAVE)
			reply_to(reply, p, left ? ctx->html_leave : ctx->html_not_subscribed);
		return 0;
	case TG_ACTION_CALLBACK:
		*outcome = INBOUND_IGNORED;
		if (choices_classify(cfg, NULL, p->up->callback_data) == CHOICES_PICK)
			return pick(st, cfg, p, outcome, reply);
		memcpy(reply->callback_id, p->up->callback_id, sizeof(reply->callback_id));
		reply->notice = NOTICE_UNKNOWN;
		return 0;
	default: { /* TG_ACTION_TEXT */
		int due = 0, ask;
		char day[11], norm[KEYWORD_MAX];
		rc = store_subscriber_touch(st, PLATFORM_TELEGRAM, p->hash, now);
		if (rc && rc != BANDITORE_ENOTFOUND)
			return rc;
		if (keyword_normalize(p->up->text, strlen(p->up->text), norm, sizeof(norm)) != 0)
			norm[0] = '\0';
		ask = choices_classify(cfg, norm, NULL);
		if (ask == CHOICES_ASK_AREAS || ask == CHOICES_ASK_CATEGORIES) {
			if (rc == BANDITORE_ENOTFOUND) {
				*outcome = INBOUND_NOT_SUBSCRIBED;
				return reply_owned(reply, p, NULL, choices_text_not_subscribed(cfg), NULL);
			}
			*outcome = INBOUND_LISTED;
			return reply_list(st, cfg, p, ask == CHOICES_ASK_AREAS ? STORE_AUDIENCE_AREA
									 : STORE_AUDIENCE_CATEGORY,
					  NULL, reply);
		}
		if (cfg->inbound_mode == CONFIG_INBOUND_NONE)
			return 0;
		rc = store_autoreply_claim(st, PLATFORM_TELEGRAM, p->hash, now,
					   (int64_t)cfg->auto_reply_hours * 3600, &due);
		if (rc || !due)
			return rc;
		subscribers_day(now, day);
		rc = store_counter_add(st, day, PLATFORM_TELEGRAM, "auto-reply", 1);
		if (rc)
			return rc;
		*outcome = INBOUND_AUTO_REPLIED;
		reply_to(reply, p, ctx->html_auto_reply);
		return 0;
	}
	}
}
