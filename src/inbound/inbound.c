/* inbound.c - keywords, replies and kept messages for what citizens send. */
#include "inbound/inbound.h"

#include "common/err.h"
#include "common/keyword.h"
#include "common/platform.h"
#include "delivery/broadcast_message.h"
#include "inbound/choices.h"
#include "inbound/joins.h"
#include "subscribers/subscribers.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DEDUP_LABEL "whatsapp:"

/* To a join from a number the comune expelled (Leini, Seveso, Siracusa art. 7). */
#define TEXT_REFUSED                                                                       \
	"Non è possibile iscriversi di nuovo a {channel}: l'iscrizione di questo numero è "  \
	"stata chiusa dal Comune per violazione delle condizioni d'uso. Per informazioni: "    \
	"{website}"

/* Two-step joining: the question, with the policy and the privacy notice. */
#define TEXT_CONFIRM_ASK_POLICY "Per iscriverti a {channel} leggi le condizioni d'uso (%s)"
#define TEXT_CONFIRM_ASK_PRIVACY " e l'informativa sul trattamento dei dati ({privacy_url})"
#define TEXT_CONFIRM_ASK                                                                   \
	".\n\nRispondi SÌ per confermare l'iscrizione, NO per annullarla. Se non rispondi "    \
	"entro {confirm_hours} ore la richiesta viene cancellata.\n\n"                          \
	"To join, read the terms and the privacy notice above and reply SÌ (yes) or NO."
#define TEXT_CONFIRM_HELP                                                                  \
	"Rispondi SÌ per confermare l'iscrizione a {channel} oppure NO per annullarla.\n"      \
	"Reply SÌ (yes) to confirm or NO to cancel."
#define TEXT_CONFIRM_DECLINED                                                              \
	"Richiesta annullata: non sei iscritto a {channel} e non conserviamo il tuo numero.\n" \
	"Request cancelled: you are not subscribed and your number is not kept."
#define TEXT_CONFIRM_NONE                                                                  \
	"Non c'è nessuna richiesta di iscrizione da confermare (le richieste scadono dopo "   \
	"{confirm_hours} ore). Per iscriverti a {channel} scrivi di nuovo la parola chiave.\n" \
	"There is no request to confirm: send the keyword again to join."

/* Expands the texts above: config_expand, then {confirm_hours} (its only use). */
static char *confirm_text(const struct config *cfg, const char *tmpl)
{
	char hours[16], *t = config_expand(cfg, tmpl), *out;
	const char *at;
	size_t n;

	if (!t)
		return NULL;
	at = strstr(t, "{confirm_hours}");
	if (!at)
		return t;
	snprintf(hours, sizeof(hours), "%d", cfg->confirm_within_hours);
	n = strlen(t) - strlen("{confirm_hours}") + strlen(hours) + 1;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s%s%s", (int)(at - t), t, hours, at + strlen("{confirm_hours}"));
	free(t);
	return out; /* each text names {confirm_hours} at most once */
}

/* {"text": T, "buttons": [[id, title]...]}: the question with its reply buttons. */
static char *buttons_body(const char *text)
{
	json_t *o = json_pack("{s:s, s:[[s,s],[s,s]]}", "text", text, "buttons", INBOUND_BUTTON_YES,
			      "Sì, mi iscrivo", INBOUND_BUTTON_NO, "No");
	char *s;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *confirm_body(const struct config *cfg, const char *tmpl, int buttons)
{
	char *t = confirm_text(cfg, tmpl), *b;

	if (!t)
		return NULL;
	b = buttons ? buttons_body(t) : inbound_text_body(t);
	free(t);
	return b;
}

int inbound_confirm_answer(const char *text, const char *reply_id)
{
	char norm[KEYWORD_MAX];

	if (reply_id && !strcmp(reply_id, INBOUND_BUTTON_YES))
		return 1;
	if (reply_id && !strcmp(reply_id, INBOUND_BUTTON_NO))
		return 0;
	if (!text || keyword_normalize(text, strlen(text), norm, sizeof(norm)) != 0)
		return -1;
	/* Folded like keywords: "Sì", "SI", "sì!", "Si" all read "si". */
	if (!strcmp(norm, "si"))
		return 1;
	if (!strcmp(norm, "no"))
		return 0;
	return -1;
}

/* The question's template: the policy's link ([comune] policy_url, else the public
 * page, else the comune's site), the privacy notice's when there is one, the question. */
static char *ask_template(const struct config *cfg)
{
	const char *policy = *cfg->policy_url ? "{policy_url}" : *cfg->public_url ? cfg->public_url
										     : "{website}";
	char head[512];
	size_t n;
	char *t;

	snprintf(head, sizeof(head), TEXT_CONFIRM_ASK_POLICY, policy);
	n = strlen(head) + sizeof(TEXT_CONFIRM_ASK_PRIVACY) + sizeof(TEXT_CONFIRM_ASK);
	t = malloc(n);
	if (t)
		snprintf(t, n, "%s%s%s", head, *cfg->privacy_url ? TEXT_CONFIRM_ASK_PRIVACY : "",
			 TEXT_CONFIRM_ASK);
	return t;
}

int inbound_ctx_init(struct inbound_ctx *ctx, const struct config *cfg,
		     const struct keyfile_keys *keys)
{
	char *refused, *ask;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->keys = keys;
	config_policy_version(cfg, ctx->policy_version);
	ctx->text_join = config_expand(cfg, cfg->text_join);
	ctx->text_already = config_expand(cfg, cfg->text_already);
	ctx->text_leave = config_expand(cfg, cfg->text_leave);
	ctx->text_not_subscribed = config_expand(cfg, cfg->text_not_subscribed);
	ctx->text_auto_reply = config_expand(cfg, cfg->text_auto_reply);
	if (!ctx->text_join || !ctx->text_already || !ctx->text_leave ||
	    !ctx->text_not_subscribed || !ctx->text_auto_reply) {
		inbound_ctx_clear(ctx);
		return BANDITORE_ENOMEM;
	}
	ctx->body_join = inbound_text_body(ctx->text_join);
	ctx->body_already = inbound_text_body(ctx->text_already);
	ctx->body_leave = inbound_text_body(ctx->text_leave);
	ctx->body_not_subscribed = inbound_text_body(ctx->text_not_subscribed);
	ctx->body_auto_reply = inbound_text_body(ctx->text_auto_reply);
	ask = ask_template(cfg);
	ctx->body_confirm_ask = ask ? confirm_body(cfg, ask, 1) : NULL;
	free(ask);
	ctx->body_confirm_help = confirm_body(cfg, TEXT_CONFIRM_HELP, 0);
	ctx->body_confirm_declined = confirm_body(cfg, TEXT_CONFIRM_DECLINED, 0);
	ctx->body_confirm_none = confirm_body(cfg, TEXT_CONFIRM_NONE, 0);
	if (!ctx->body_confirm_ask || !ctx->body_confirm_help || !ctx->body_confirm_declined ||
	    !ctx->body_confirm_none) {
		inbound_ctx_clear(ctx);
		return BANDITORE_ENOMEM;
	}
	ctx->text_enroll_ask = config_expand(cfg, cfg->text_enroll_ask);
	ctx->text_join_waiting = config_expand(cfg, cfg->text_join_waiting);
	ctx->text_join_refused = config_expand(cfg, cfg->text_join_refused);
	ctx->body_join_waiting = ctx->text_join_waiting ? inbound_text_body(ctx->text_join_waiting) : NULL;
	if (!ctx->text_enroll_ask || !ctx->text_join_refused || !ctx->body_join_waiting) {
		inbound_ctx_clear(ctx);
		return BANDITORE_ENOMEM;
	}
	{
		struct choices_list *l = malloc(sizeof(*l));
		if (!l) {
			inbound_ctx_clear(ctx);
			return BANDITORE_ENOMEM;
		}
		choices_fresh(cfg, cfg->n_areas ? STORE_AUDIENCE_AREA : STORE_AUDIENCE_CATEGORY, l);
		ctx->body_choices_new = l->n ? choices_whatsapp_body(cfg, l) : NULL;
		rc = l->n && !ctx->body_choices_new ? BANDITORE_ENOMEM : 0;
		free(l);
		if (rc) {
			inbound_ctx_clear(ctx);
			return rc;
		}
	}
	refused = config_expand(cfg, TEXT_REFUSED);
	ctx->body_refused = refused ? inbound_text_body(refused) : NULL;
	free(refused);
	if (!ctx->body_join || !ctx->body_already || !ctx->body_leave ||
	    !ctx->body_not_subscribed || !ctx->body_auto_reply || !ctx->body_refused) {
		inbound_ctx_clear(ctx);
		return BANDITORE_ENOMEM;
	}
	return 0;
}

void inbound_ctx_clear(struct inbound_ctx *ctx)
{
	free(ctx->text_join);
	free(ctx->text_already);
	free(ctx->text_leave);
	free(ctx->text_not_subscribed);
	free(ctx->text_auto_reply);
	free(ctx->body_join);
	free(ctx->body_already);
	free(ctx->body_leave);
	free(ctx->body_not_subscribed);
	free(ctx->body_auto_reply);
	free(ctx->body_refused);
	free(ctx->body_confirm_ask);
	free(ctx->body_confirm_help);
	free(ctx->body_confirm_declined);
	free(ctx->body_confirm_none);
	free(ctx->text_enroll_ask);
	free(ctx->text_join_waiting);
	free(ctx->text_join_refused);
	free(ctx->body_join_waiting);
	free(ctx->body_choices_new);
	memset(ctx, 0, sizeof(*ctx));
}

char *inbound_text_body_owned(char *text)
{
	char *b = text ? inbound_text_body(text) : NULL;

	free(text);
	return b;
}

char *inbound_text_body(const char *text)
{
	json_t *o = json_pack("{s:s, s:s}", "type", "text", "text", text);
	char *s;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

const char *inbound_outcome_name(int outcome)
{
	switch (outcome) {
	case INBOUND_DUPLICATE: return "duplicate";
	case INBOUND_JOINED: return "joined";
	case INBOUND_ALREADY: return "already-subscribed";
	case INBOUND_LEFT: return "left";
	case INBOUND_NOT_SUBSCRIBED: return "not-subscribed";
	case INBOUND_AUTO_REPLIED: return "auto-replied";
	case INBOUND_KEPT: return "kept";
	case INBOUND_IGNORED: return "ignored";
	case INBOUND_STATUS: return "status";
	case INBOUND_REFUSED: return "refused";
	case INBOUND_ASKED: return "asked-to-confirm";
	case INBOUND_DECLINED: return "declined";
	case INBOUND_CONFIRM_HELP: return "confirm-help";
	case INBOUND_NO_REQUEST: return "no-request";
	case INBOUND_LISTED: return "choices-listed";
	case INBOUND_CHOSEN: return "chosen";
	case INBOUND_QUEUED: return "queued";
	default: return "unknown";
	}
}

/* The replies the same for everyone, by the name an outbox row gives them. */
static const struct {
	const char *name;
	size_t body; /* offset of its body in struct inbound_ctx */
} canned_bodies[] = {
	{ "join", offsetof(struct inbound_ctx, body_join) },
	{ "already", offsetof(struct inbound_ctx, body_already) },
	{ "leave", offsetof(struct inbound_ctx, body_leave) },
	{ "not-subscribed", offsetof(struct inbound_ctx, body_not_subscribed) },
	{ "auto-reply", offsetof(struct inbound_ctx, body_auto_reply) },
	{ "refused", offsetof(struct inbound_ctx, body_refused) },
	{ "confirm-ask", offsetof(struct inbound_ctx, body_confirm_ask) },
	{ "confirm-help", offsetof(struct inbound_ctx, body_confirm_help) },
	{ "confirm-declined", offsetof(struct inbound_ctx, body_confirm_declined) },
	{ "confirm-none", offsetof(struct inbound_ctx, body_confirm_none) },
	{ "join-waiting", offsetof(struct inbound_ctx, body_join_waiting) },
	{ "choices-new", offsetof(struct inbound_ctx, body_choices_new) },
};

const char *inbound_canned(const void *ctx, const char *name)
{
	for (size_t i = 0; ctx && i < sizeof(canned_bodies) / sizeof(canned_bodies[0]); i++)
		if (strcmp(canned_bodies[i].name, name) == 0)
			return *(char *const *)((const char *)ctx + canned_bodies[i].body);
	return NULL;
}

static void item_for(struct store_outbox_item *item, const struct inbound_prepared *p,
		     const char *kind, int64_t now)
{
	memset(item, 0, sizeof(*item));
	item->platform = PLATFORM_WHATSAPP;
	memcpy(item->addr_hash, p->hash, CRYPTO_HASH_LEN);
	memcpy(item->sealed, p->sealed, p->sealed_len);
	item->sealed_len = p->sealed_len;
	snprintf(item->kind, sizeof(item->kind), "%s", kind);
	item->not_before = now;
	item->created_at = now;
}

/* Queues the canned reply `name` (inbound_canned) to the prepared sender: the row names
 * it, and the sender builds it from the configuration. */
static int queue_reply(struct store *st, const struct inbound_prepared *p, const char *kind,
		       const char *name, int64_t now)
{
	struct store_outbox_item item;

	item_for(&item, p, kind, now);
	snprintf(item.canned, sizeof(item.canned), "%s", name);
	return store_outbox_add(st, &item, NULL);
}

static int matches_any(const char *norm, char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (list[i] && !strcmp(norm, list[i]))
			return 1;
	return 0;
}

int inbound_prepare_whatsapp(const struct inbound_ctx *ctx, const struct wa_event *ev,
			     struct inbound_prepared *p)
{
	const struct config *cfg = ctx->cfg;
	char canonical[SUBSCRIBERS_ADDRESS_MAX], norm[KEYWORD_MAX];
	char idbuf[sizeof(ev->id) + sizeof(ev->type) + 16];
	uint8_t aad = PLATFORM_WHATSAPP;
	int rc, answers;

	memset(p, 0, sizeof(*p));
	p->ev = ev;
	memcpy(p->pseudonym, "-", 2);
	/* A status repeats its message's id: dedupe on id and status together. */
	snprintf(idbuf, sizeof(idbuf), DEDUP_LABEL "%d:%s:%s", ev->kind, ev->id,
		 ev->kind == WA_EVENT_STATUS ? ev->type : "");
	rc = crypto_hmac_sha256(ctx->keys->event, CRYPTO_KEY_LEN, idbuf, strlen(idbuf),
				p->event_hash);
	if (rc)
		return rc;
	if (ev->kind == WA_EVENT_STATUS) {
		p->valid = 1;
		return 0;
	}
	if (subscribers_canonical(PLATFORM_WHATSAPP, ev->from, canonical, sizeof(canonical)))
		return 0; /* not a number: skipped, nothing will be written */
	rc = subscribers_hash(ctx->keys, PLATFORM_WHATSAPP, canonical, p->hash);
	if (!rc)
		rc = subscribers_block_hash(ctx->keys, PLATFORM_WHATSAPP, canonical, p->block_hash);
	if (!rc)
		rc = crypto_seal(ctx->keys->seal, &aad, 1, canonical, strlen(canonical), p->sealed,
				 sizeof(p->sealed), &p->sealed_len);
	if (rc)
		goto out;
	subscribers_pseudonym(ctx->keys, PLATFORM_WHATSAPP, canonical, p->pseudonym);
	if (keyword_normalize(ev->text, strlen(ev->text), norm, sizeof(norm)) != 0)
		norm[0] = '\0';
	if (cfg->confirm_join || cfg->assisted_enrollment || cfg->moderate_joins) {
		/* Its pending request, keyed by the sender's hash under another label. */
		rc = joins_pending_key(ctx->keys, p->hash, p->pending_hash);
		if (rc)
			goto out;
	}
	answers = cfg->confirm_join || cfg->assisted_enrollment;
	if (norm[0] && matches_any(norm, cfg->subscribe, cfg->n_subscribe))
		p->intent = INBOUND_INTENT_JOIN;
	else if (norm[0] && matches_any(norm, cfg->unsubscribe, cfg->n_unsubscribe))
		p->intent = INBOUND_INTENT_LEAVE;
	else if (answers && inbound_confirm_answer(ev->text, ev->reply_id) == 1)
		p->intent = INBOUND_INTENT_YES;
	else if (answers && inbound_confirm_answer(ev->text, ev->reply_id) == 0)
		p->intent = INBOUND_INTENT_NO;
	else if (cfg->inbound_mode == CONFIG_INBOUND_KEEP_UNTIL_ANSWERED && ev->text[0]) {
		size_t cap = strlen(ev->text) + CRYPTO_SEAL_OVERHEAD;
		p->sealed_text = malloc(cap);
		if (!p->sealed_text) {
			rc = BANDITORE_ENOMEM;
			goto out;
		}
		rc = crypto_seal(ctx->keys->seal, &aad, 1, ev->text, strlen(ev->text),
				 p->sealed_text, cap, &p->sealed_text_len);
		if (rc)
			goto out;
	}
	p->valid = 1;
out:
	crypto_wipe(canonical, sizeof(canonical));
	return rc;
}

void inbound_prepared_clear(struct inbound_prepared *p)
{
	free(p->sealed_text);
	crypto_wipe(p, sizeof(*p));
}

static int keep_message(struct store *st, const struct inbound_ctx *ctx,
			const struct inbound_prepared *p, int64_t now)
{
	struct store_kept_message *m;
	int rc;

	if (p->sealed_text_len > sizeof(m->sealed_text))
		return BANDITORE_ETOOBIG;
	m = calloc(1, sizeof(*m));
	if (!m)
		return BANDITORE_ENOMEM;
	m->platform = PLATFORM_WHATSAPP;
	memcpy(m->addr_hash, p->hash, CRYPTO_HASH_LEN);
	memcpy(m->sealed_addr, p->sealed, p->sealed_len);
	m->sealed_addr_len = p->sealed_len;
	memcpy(m->sealed_text, p->sealed_text, p->sealed_text_len);
	m->sealed_text_len = p->sealed_text_len;
	m->received_at = now;
	m->expires_at = now + (int64_t)ctx->cfg->keep_days * 86400;
	rc = store_kept_add(st, m, NULL);
	crypto_wipe(m, sizeof(*m));
	free(m);
	return rc;
}

static int handle_status(struct store *st, const struct wa_event *ev, int64_t now, int *outcome)
{
	char day[11], name[40];
	int64_t message_id = broadcast_opaque_id(ev->biz_opaque);
	int rc;

	subscribers_day(now, day);
	snprintf(name, sizeof(name), "status-%s", ev->type);
	*outcome = INBOUND_STATUS;
	/* A broadcast's send carries "m=<id>": its statuses are folded into the message's
	 * counters (a message deleted meanwhile is no error). */
	if (message_id > 0 && (!strcmp(ev->type, "delivered") || !strcmp(ev->type, "read") ||
			       !strcmp(ev->type, "failed"))) {
		rc = store_message_status(st, message_id, ev->type, 1);
		if (rc && rc != BANDITORE_ENOTFOUND)
			return rc;
	}
	return store_counter_add(st, day, PLATFORM_WHATSAPP, name, 1);
}

/* Right after joining, inside the window the keyword opened: the areas to choose, or
 * the categories when the comune has no areas. One who has just joined has chosen
 * nothing yet, so the list is the one built at start (no store reads, no JSON here). */
static int after_join(struct store *st, const struct inbound_ctx *ctx,
		      const struct inbound_prepared *p, int64_t now)
{
	return ctx->body_choices_new ? queue_reply(st, p, "choices", "choices-new", now) : 0;
}

/* Two-step joining: a keyword from someone not subscribed keeps the request (the hash
 * and the sealed number only) and asks; "Sì" within confirm_within_hours joins; "No"
 * forgets; anything else while a request waits gets the help. A front-desk enrollment
 * (joins.h) waits for the same "Sì", and its receipt keeps the method "assisted" and
 * the paper form. With moderate_joins, the join (the keyword, or the "Sì") waits in
 * the queue for staff instead. Returns 1 when it handled the message, 0 to go on as
 * usual, or an error. *subscribed becomes 1 or 0 once its look (store_sender_lookup:
 * subscriber, pending request, blocklist, in one statement) has told whether the sender
 * is a subscriber (left as it was when it did not look), and *who holds the rest, so
 * that a join after it need not ask again. */
static int confirm_step(struct store *st, const struct inbound_ctx *ctx,
			const struct inbound_prepared *p, int64_t now, int *outcome, int *erased,
			int *subscribed, struct store_sender *who)
{
	const struct config *cfg = ctx->cfg;
	struct store_pending pend;
	int rc, have, joined = 0;
	int64_t ttl;
	const char *method;

	if (!(cfg->confirm_join || cfg->assisted_enrollment || cfg->moderate_joins) ||
	    p->intent == INBOUND_INTENT_LEAVE)
		return 0;
	/* A subscriber's message also opens its 24-hour window (the lookup touches it). */
	rc = store_sender_lookup(st, PLATFORM_WHATSAPP, p->hash, p->block_hash, now, who);
	if (rc)
		return rc;
	*subscribed = who->subscribed != 0;
	if (*subscribed)
		return 0; /* "already subscribed", or an ordinary message */
	memset(&pend, 0, sizeof(pend));
	have = 0;
	if (who->pending) {
		rc = store_pending_get_addr(st, PLATFORM_WHATSAPP, p->hash, &pend);
		if (rc && rc != BANDITORE_ENOTFOUND)
			return rc;
		have = rc == 0;
	}
	ttl = have && pend.state == STORE_PENDING_MODERATE ? (int64_t)cfg->moderate_within_days * 86400
							   : (int64_t)cfg->confirm_within_hours * 3600;
	if (have && pend.created_at < now - ttl) {
		/* Expired and not yet swept by the maintenance tick: forgotten now. */
		rc = store_pending_take(st, pend.token_hash, &pend);
		if (rc)
			goto done;
		*erased = 1;
		have = 0;
	}
	if (have && pend.state == STORE_PENDING_MODERATE) {
		/* Waiting for staff: the keyword or "Sì" again gets "it waits", "No" withdraws
		 * the request (forgotten), anything else is an ordinary message. */
		if (p->intent == INBOUND_INTENT_JOIN || p->intent == INBOUND_INTENT_YES) {
			*outcome = INBOUND_QUEUED;
			rc = queue_reply(st, p, "join-waiting", "join-waiting", now);
		} else if (p->intent == INBOUND_INTENT_NO) {
			rc = store_pending_take(st, pend.token_hash, &pend);
			if (rc)
				goto done;
			*erased = 1;
			*outcome = INBOUND_DECLINED;
			rc = queue_reply(st, p, "confirm-no", "confirm-declined", now);
		} else {
			rc = 0;
			goto done;
		}
		crypto_wipe(&pend, sizeof(pend));
		return rc ? rc : 1;
	}
	switch (p->intent) {
	case INBOUND_INTENT_JOIN: {
		if (!cfg->confirm_join && !cfg->moderate_joins) {
			/* One step: the keyword joins (act()); a desk's question is moot. */
			rc = have ? store_pending_take(st, pend.token_hash, &pend) : 0;
			goto done;
		}
		if (who->blocked) {
			*outcome = INBOUND_REFUSED;
			rc = queue_reply(st, p, "refused", "refused", now);
			break;
		}
		if (!cfg->confirm_join) {
			*outcome = INBOUND_QUEUED;
			rc = joins_queue(st, ctx, p, "keyword", "", ctx->policy_version, now);
			break;
		}
		memset(&pend, 0, sizeof(pend));
		memcpy(pend.token_hash, p->pending_hash, CRYPTO_HASH_LEN);
		pend.platform = PLATFORM_WHATSAPP;
		memcpy(pend.addr_hash, p->hash, CRYPTO_HASH_LEN);
		if (p->sealed_len > sizeof(pend.sealed)) {
			rc = BANDITORE_ETOOBIG;
			goto done;
		}
		memcpy(pend.sealed, p->sealed, p->sealed_len);
		pend.sealed_len = p->sealed_len;
		pend.state = STORE_PENDING_CONFIRM;
		snprintf(pend.method, sizeof(pend.method), "%s", INBOUND_METHOD_CONFIRMED);
		snprintf(pend.policy_version, sizeof(pend.policy_version), "%s", ctx->policy_version);
		pend.created_at = now;
		rc = store_pending_put(st, &pend);
		if (!rc)
			rc = queue_reply(st, p, "confirm-ask", "confirm-ask", now);
		*outcome = INBOUND_ASKED;
		break;
	}
	case INBOUND_INTENT_YES:
		if (!have) {
			if (!cfg->confirm_join) {
				rc = 0;
				goto done; /* no question was ever asked: an ordinary message */
			}
			*outcome = INBOUND_NO_REQUEST;
			rc = queue_reply(st, p, "confirm-none", "confirm-none", now);
			break;
		}
		rc = store_pending_take(st, pend.token_hash, &pend);
		if (rc)
			goto done;
		method = pend.method[0] ? pend.method : INBOUND_METHOD_CONFIRMED;
		if (cfg->moderate_joins && strcmp(method, JOINS_METHOD_ASSISTED)) {
			/* Confirmed: now it waits for staff (a desk's did meet them already). */
			*outcome = INBOUND_QUEUED;
			rc = joins_queue(st, ctx, p, method, pend.consent_detail, pend.policy_version,
					 now);
			break;
		}
		rc = subscribers_join_receipt(st, PLATFORM_WHATSAPP, p->hash, p->sealed,
					      p->sealed_len, method, pend.consent_detail,
					      pend.policy_version, now, now, &joined);
		if (rc)
			goto done;
		*outcome = joined ? INBOUND_JOINED : INBOUND_ALREADY;
		rc = queue_reply(st, p, joined ? "join" : "already",
				 joined ? "join" : "already", now);
		if (!rc && joined) /* the "Sì" opened the window: the list of areas */
			rc = after_join(st, ctx, p, now);
		break;
	case INBOUND_INTENT_NO:
		if (!have) {
			rc = 0;
			goto done; /* an ordinary message */
		}
		rc = store_pending_take(st, pend.token_hash, &pend);
		if (rc)
			goto done;
		*erased = 1;
		*outcome = INBOUND_DECLINED;
		rc = queue_reply(st, p, "confirm-no", "confirm-declined", now);
		break;
	default:
		if (!have) {
			rc = 0;
			goto done;
		}
		/* Neither yes nor no: a short help; the text itself is not kept. */
		*outcome = INBOUND_CONFIRM_HELP;
		rc = queue_reply(st, p, "confirm-help", "confirm-help", now);
		break;
	}
	crypto_wipe(&pend, sizeof(pend));
	return rc ? rc : 1;
done:
	crypto_wipe(&pend, sizeof(pend));
	return rc;
}

/* Queues a reply made for this sender only (freed here): the row holds it, sealed. */
static int queue_owned(struct store *st, const struct inbound_prepared *p, const char *kind,
		       char *body, int64_t now)
{
	struct store_outbox_item item;
	int rc = BANDITORE_ENOMEM;

	if (body) {
		item_for(&item, p, kind, now);
		item.body = body; /* borrowed: store_outbox_add seals a copy */
		rc = store_outbox_add(st, &item, NULL);
	}
	free(body);
	return rc;
}

/* The list of `kind` for a subscriber (choices.h); ENOTFOUND when not subscribed. */
static int send_list(struct store *st, const struct config *cfg, const struct inbound_prepared *p,
		     int kind, int64_t now)
{
	struct choices_list *l = malloc(sizeof(*l));
	int rc;

	if (!l)
		return BANDITORE_ENOMEM;
	rc = choices_load(st, cfg, PLATFORM_WHATSAPP, p->hash, kind, l);
	if (!rc)
		rc = queue_owned(st, p, "choices",
				 l->n ? choices_whatsapp_body(cfg, l)
				      : inbound_text_body_owned(choices_text_none(cfg, kind)),
				 now);
	free(l);
	return rc;
}

/* The keywords that ask for a list, and the picks from it. Returns 1 when it handled the
 * message, 0 to go on as usual, or an error. */
static int choices_step(struct store *st, const struct inbound_ctx *ctx,
			const struct inbound_prepared *p, int64_t now, int *outcome)
{
	const struct config *cfg = ctx->cfg;
	char norm[KEYWORD_MAX];
	int ask, rc, kind = STORE_AUDIENCE_AREA;

	if (p->intent == INBOUND_INTENT_JOIN || p->intent == INBOUND_INTENT_LEAVE)
		return 0;
	if (keyword_normalize(p->ev->text, strlen(p->ev->text), norm, sizeof(norm)) != 0)
		norm[0] = '\0';
	ask = choices_classify(cfg, norm, p->ev->reply_id);
	if (ask == CHOICES_NONE)
		return 0;
	/* A subscriber's message opens the window the list needs. */
	rc = store_subscriber_touch(st, PLATFORM_WHATSAPP, p->hash, now);
	if (rc == BANDITORE_ENOTFOUND) {
		*outcome = INBOUND_NOT_SUBSCRIBED;
		rc = queue_owned(st, p, "choices",
				 inbound_text_body_owned(choices_text_not_subscribed(cfg)), now);
		return rc ? rc : 1;
	}
	if (rc)
		return rc;
	if (ask == CHOICES_ASK_AREAS || ask == CHOICES_ASK_CATEGORIES) {
		*outcome = INBOUND_LISTED;
		rc = send_list(st, cfg, p,
			       ask == CHOICES_ASK_AREAS ? STORE_AUDIENCE_AREA : STORE_AUDIENCE_CATEGORY, now);
		return rc ? rc : 1;
	}
	rc = choices_pick(st, cfg, PLATFORM_WHATSAPP, p->hash, p->ev->reply_id, &kind);
	if (rc == BANDITORE_EINVAL) {
		/* A row of an old list, or made up: nothing changes, and the citizen is told. */
		*outcome = INBOUND_IGNORED;
		rc = queue_owned(st, p, "choices", inbound_text_body_owned(choices_text_unknown(cfg, kind)),
				 now);
		return rc ? rc : 1;
	}
	if (!rc) {
		struct choices_list *l = malloc(sizeof(*l));
		if (!l)
			return BANDITORE_ENOMEM;
		rc = choices_load(st, cfg, PLATFORM_WHATSAPP, p->hash, kind, l);
		if (!rc)
			rc = queue_owned(st, p, "choices", inbound_text_body_owned(choices_summary(cfg, l)),
					 now);
		free(l);
		*outcome = INBOUND_CHOSEN;
	}
	return rc ? rc : 1;
}

/* What a citizen's message does, once it is known to be new. */
static int act(struct store *st, const struct inbound_ctx *ctx, const struct inbound_prepared *p,
	       int64_t now, int *outcome, int *erased)
{
	const struct config *cfg = ctx->cfg;
	struct store_sender who = { 0 };
	char day[11];
	int rc, done = 0, due = 0, subscribed = -1;

	rc = confirm_step(st, ctx, p, now, outcome, erased, &subscribed, &who);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = choices_step(st, ctx, p, now, outcome);
	if (rc)
		return rc < 0 ? rc : 0;
	if (p->intent == INBOUND_INTENT_JOIN) {
		int joined = 0;
		if (subscribed < 0) { /* confirm_step did not look: one look here */
			rc = store_sender_lookup(st, PLATFORM_WHATSAPP, p->hash, p->block_hash, now,
						 &who);
			if (rc)
				return rc;
			subscribed = who.subscribed != 0;
		}
		if (who.blocked) {
			*outcome = INBOUND_REFUSED;
			return queue_reply(st, p, "refused", "refused", now);
		}
		rc = 0; /* a subscriber already: its window was opened by the look */
		if (!subscribed) {
			rc = subscribers_join_new(st, PLATFORM_WHATSAPP, p->hash, p->sealed,
						  p->sealed_len, "keyword", "", ctx->policy_version,
						  now, now);
			joined = rc == 0;
		}
		if (rc)
			return rc;
		*outcome = joined ? INBOUND_JOINED : INBOUND_ALREADY;
		rc = queue_reply(st, p, joined ? "join" : "already",
				 joined ? "join" : "already", now);
		if (!rc && joined)
			rc = after_join(st, ctx, p, now);
		return rc;
	}
	if (p->intent == INBOUND_INTENT_LEAVE) {
		int left = 0;
		rc = subscribers_leave_hash(st, PLATFORM_WHATSAPP, p->hash, now, &left);
		if (rc)
			return rc;
		*erased = 1; /* even when not subscribed: marks and kept messages went too */
		*outcome = left ? INBOUND_LEFT : INBOUND_NOT_SUBSCRIBED;
		return queue_reply(st, p, "leave", left ? "leave" : "not-subscribed",
				   now);
	}

	/* Any other message: it still opens the 24-hour window of a subscriber. */
	rc = store_subscriber_touch(st, PLATFORM_WHATSAPP, p->hash, now);
	if (rc && rc != BANDITORE_ENOTFOUND)
		return rc;
	if (cfg->inbound_mode == CONFIG_INBOUND_NONE)
		return 0;
	if (p->sealed_text) {
		rc = keep_message(st, ctx, p, now);
		if (rc)
			return rc;
		*outcome = INBOUND_KEPT;
		done = 1;
	}
	rc = store_autoreply_claim(st, PLATFORM_WHATSAPP, p->hash, now,
				   (int64_t)cfg->auto_reply_hours * 3600, &due);
	if (rc)
		return rc;
	if (!due)
		return 0;
	subscribers_day(now, day);
	rc = store_counter_add(st, day, PLATFORM_WHATSAPP, "auto-reply", 1);
	if (rc)
		return rc;
	if (!done)
		*outcome = INBOUND_AUTO_REPLIED;
	return queue_reply(st, p, "auto-reply", "auto-reply", now);
}

int inbound_apply_whatsapp(struct store *st, const struct inbound_ctx *ctx,
			   const struct inbound_prepared *p, int64_t now, int *outcome,
			   int *erased)
{
	int rc;

	*outcome = INBOUND_IGNORED;
	*erased = 0;
	if (!p->valid)
		return BANDITORE_EINVAL;
	rc = store_event_mark(st, p->event_hash, now);
	if (rc == BANDITORE_EEXIST) {
		*outcome = INBOUND_DUPLICATE;
		return 0;
	}
	if (rc)
		return rc;
	if (p->ev->kind == WA_EVENT_STATUS)
		return handle_status(st, p->ev, now, outcome);
	return act(st, ctx, p, now, outcome, erased);
}
