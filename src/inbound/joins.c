/* joins.c - the front-desk enrollment and the moderation queue of joins (joins.h). */
#include "inbound/joins.h"

#include "common/err.h"
#include "common/platform.h"
#include "subscribers/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENROLL_TITLE "Conferma iscrizione"
#define DECISION_TITLE "Richiesta di iscrizione"
#define ROME_AHEAD (2 * 3600) /* Italy is at most two hours ahead of UTC */

int joins_pending_key(const struct keyfile_keys *keys, const uint8_t hash[CRYPTO_HASH_LEN],
		      uint8_t out[CRYPTO_HASH_LEN])
{
	static const char prefix[] = "wa-confirm:";
	char label[sizeof(prefix) - 1 + 2 * CRYPTO_HASH_LEN + 1];

	/* Hex by hand rather than 32 snprintf calls: this runs for every message received
	 * (3 % of the HTTP threads' time under bench/webhook). */
	memcpy(label, prefix, sizeof(prefix) - 1);
	crypto_hex(hash, CRYPTO_HASH_LEN, label + sizeof(prefix) - 1);
	return crypto_hmac_sha256(keys->index, CRYPTO_KEY_LEN, label, sizeof(label) - 1, out);
}

int joins_new_ref(char out[STORE_PENDING_REF_MAX])
{
	uint8_t r[JOINS_REF_HEX / 2];
	int rc = crypto_random(r, sizeof(r));

	if (rc)
		return rc;
	crypto_hex(r, sizeof(r), out);
	return 0;
}

/* ------------------------------------------------------------------ the front desk */

/* 1 when `s` holds a control character (C0 or DEL). */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* "YYYY-MM-DD" as a real calendar day: its 00:00 UTC into *t; -1 when it is not one. */
static int parse_day(const char *s, int64_t *t)
{
	struct tm tm, back;
	time_t tt;
	int mday, mon;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[5] - '0') * 10 + (s[6] - '0') - 1;
	tm.tm_mday = (s[8] - '0') * 10 + (s[9] - '0');
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1)
		return -1;
	mday = tm.tm_mday;
	mon = tm.tm_mon;
	tt = timegm(&tm); /* normalises tm: 2026-02-30 becomes 2026-03-02 */
	if (tt == (time_t)-1 || !gmtime_r(&tt, &back) || back.tm_mday != mday || back.tm_mon != mon)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

int joins_enrollment_check(const char *number, const char *form, const char *date, int64_t now,
			   struct joins_enrollment *out)
{
	int64_t day;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!number || subscribers_canonical(PLATFORM_WHATSAPP, number, out->canonical,
					     sizeof(out->canonical)))
		return JOINS_BAD_NUMBER;
	while (form && (*form == ' ' || *form == '\t'))
		form++;
	n = form ? strlen(form) : 0;
	while (n > 0 && (form[n - 1] == ' ' || form[n - 1] == '\t'))
		n--;
	if (n == 0)
		return JOINS_NO_FORM;
	if (n > JOINS_FORM_MAX)
		return JOINS_BAD_FORM;
	memcpy(out->form, form, n);
	out->form[n] = '\0';
	if (has_control(out->form))
		return JOINS_BAD_FORM;
	if (!date || !*date)
		return JOINS_NO_DATE;
	if (parse_day(date, &day))
		return JOINS_BAD_DATE;
	if (day > now + ROME_AHEAD)
		return JOINS_FUTURE_DATE;
	memcpy(out->form_date, date, 11);
	return JOINS_INPUT_OK;
}

const char *joins_problem_field(int problem)
{
	switch (problem) {
	case JOINS_BAD_NUMBER: return "number";
	case JOINS_NO_FORM:
	case JOINS_BAD_FORM: return "form_number";
	case JOINS_NO_DATE:
	case JOINS_BAD_DATE:
	case JOINS_FUTURE_DATE: return "form_date";
	default: return "";
	}
}

const char *joins_problem_text(int problem, int en)
{
	switch (problem) {
	case JOINS_BAD_NUMBER:
		return en ? "Not a valid mobile number: write it with the country code, e.g. +39 333 000 0000."
			  : "Il numero non è valido: lo scriva con il prefisso internazionale, es. +39 333 000 0000.";
	case JOINS_NO_FORM:
		return en ? "The number of the signed consent form is missing."
			  : "Manca il numero del modulo di consenso firmato.";
	case JOINS_BAD_FORM:
		return en ? "The form's number is too long (at most 40 characters) or holds control characters."
			  : "Il numero del modulo è troppo lungo (al massimo 40 caratteri) o contiene caratteri non ammessi.";
	case JOINS_NO_DATE:
		return en ? "The date the form was signed is missing (YYYY-MM-DD)."
			  : "Manca la data in cui il modulo è stato firmato (AAAA-MM-GG).";
	case JOINS_BAD_DATE:
		return en ? "The form's date is not a valid date (YYYY-MM-DD)."
			  : "La data del modulo non è una data valida (AAAA-MM-GG).";
	case JOINS_FUTURE_DATE:
		return en ? "The form's date is in the future: a consent cannot be signed tomorrow."
			  : "La data del modulo è nel futuro: un consenso non può essere firmato domani.";
	default:
		return "";
	}
}

/* Queues `body` (borrowed; stored sealed) to the sealed address in the outbox, or, when
 * `canned` names one (inbound_canned), that reply the same for everyone instead. */
static int queue(struct store *st, const uint8_t hash[CRYPTO_HASH_LEN], const uint8_t *sealed,
		 size_t sealed_len, const char *kind, const char *canned, const char *body,
		 int64_t now)
{
	struct store_outbox_item item;

	if (!canned && !body)
		return BANDITORE_ENOMEM;
	if (sealed_len > sizeof(item.sealed))
		return BANDITORE_ETOOBIG;
	memset(&item, 0, sizeof(item));
	item.platform = PLATFORM_WHATSAPP;
	memcpy(item.addr_hash, hash, CRYPTO_HASH_LEN);
	memcpy(item.sealed, sealed, sealed_len);
	item.sealed_len = sealed_len;
	snprintf(item.kind, sizeof(item.kind), "%s", kind);
	if (canned)
		snprintf(item.canned, sizeof(item.canned), "%s", canned);
	else
		item.body = (char *)body; /* store_outbox_add seals a copy */
	item.not_before = now;
	item.created_at = now;
	return store_outbox_add(st, &item, NULL);
}

char *joins_template_body(const struct config *cfg, const char *title, const char *text)
{
	const char *params[CONFIG_TEMPLATE_PARAMS_MAX];
	const char *link = *cfg->public_url ? cfg->public_url : cfg->website;
	char *line = strdup(text), *body;

	if (!line)
		return NULL;
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	for (int i = 0; i < cfg->wa_n_template_params && i < CONFIG_TEMPLATE_PARAMS_MAX; i++)
		params[i] = cfg->wa_template_params[i] == CONFIG_PARAM_TITLE  ? title
			    : cfg->wa_template_params[i] == CONFIG_PARAM_LINK ? link
									      : line;
	body = import_template_body(cfg->wa_notice_template, cfg->wa_template_language, params,
				    cfg->wa_n_template_params);
	free(line);
	return body;
}

int joins_enroll(struct store *st, const struct inbound_ctx *ctx, const struct joins_enrollment *e,
		 int64_t now, int *result, int64_t *expires_at)
{
	const struct keyfile_keys *keys = ctx->keys;
	struct store_subscriber sub;
	struct store_pending pend;
	uint8_t block[CRYPTO_HASH_LEN];
	char *body = NULL;
	int rc, blocked = 0;

	*result = JOINS_ENROLLED;
	*expires_at = now + (int64_t)ctx->cfg->confirm_within_hours * 3600;
	memset(&pend, 0, sizeof(pend));
	rc = subscribers_hash(keys, PLATFORM_WHATSAPP, e->canonical, pend.addr_hash);
	if (!rc)
		rc = subscribers_block_hash(keys, PLATFORM_WHATSAPP, e->canonical, block);
	if (!rc)
		rc = store_subscriber_get(st, PLATFORM_WHATSAPP, pend.addr_hash, &sub);
	if (!rc) {
		crypto_wipe(&sub, sizeof(sub));
		*result = JOINS_ALREADY_SUBSCRIBED;
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	if (rc != BANDITORE_ENOTFOUND)
		goto fail;
	rc = store_block_check(st, PLATFORM_WHATSAPP, block, &blocked);
	if (rc)
		goto fail;
	if (blocked) {
		*result = JOINS_BLOCKED;
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	rc = store_pending_get_addr(st, PLATFORM_WHATSAPP, pend.addr_hash, &pend);
	if (!rc && pend.state == STORE_PENDING_MODERATE) {
		*result = JOINS_IN_QUEUE;
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	if (!rc && !strcmp(pend.method, JOINS_METHOD_ASSISTED) &&
	    pend.created_at > now - JOINS_ASK_AGAIN_AFTER) {
		*result = JOINS_ASKED_RECENTLY;
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	if (rc && rc != BANDITORE_ENOTFOUND)
		goto fail;
	/* A request waiting for the citizen (a keyword's, or an earlier desk's) is
	 * replaced: the newest question is the one to answer. */
	pend.platform = PLATFORM_WHATSAPP;
	pend.state = STORE_PENDING_CONFIRM;
	pend.created_at = now;
	pend.ref[0] = '\0';
	rc = joins_pending_key(keys, pend.addr_hash, pend.token_hash);
	if (!rc)
		rc = subscribers_seal(keys, PLATFORM_WHATSAPP, e->canonical, pend.sealed,
				      &pend.sealed_len);
	if (rc)
		goto fail;
	snprintf(pend.method, sizeof(pend.method), "%s", JOINS_METHOD_ASSISTED);
	snprintf(pend.consent_detail, sizeof(pend.consent_detail), "modulo n. %s del %s", e->form,
		 e->form_date);
	snprintf(pend.policy_version, sizeof(pend.policy_version), "%s", ctx->policy_version);
	rc = store_pending_put(st, &pend);
	if (rc)
		goto fail;
	body = joins_template_body(ctx->cfg, ENROLL_TITLE, ctx->text_enroll_ask);
	rc = queue(st, pend.addr_hash, pend.sealed, pend.sealed_len, "enroll-ask", NULL, body, now);
fail:
	free(body);
	crypto_wipe(&pend, sizeof(pend));
	return rc;
}

/* ------------------------------------------------------------------ the queue */

int joins_queue(struct store *st, const struct inbound_ctx *ctx, const struct inbound_prepared *p,
		const char *method, const char *consent_detail, const char *policy_version,
		int64_t now)
{
	struct store_pending pend;
	int rc;

	(void)ctx; /* its reply goes by name: the sender builds it from the same context */
	if (p->sealed_len > sizeof(pend.sealed))
		return BANDITORE_ETOOBIG;
	memset(&pend, 0, sizeof(pend));
	memcpy(pend.token_hash, p->pending_hash, CRYPTO_HASH_LEN);
	pend.platform = PLATFORM_WHATSAPP;
	memcpy(pend.addr_hash, p->hash, CRYPTO_HASH_LEN);
	memcpy(pend.sealed, p->sealed, p->sealed_len);
	pend.sealed_len = p->sealed_len;
	pend.state = STORE_PENDING_MODERATE;
	pend.created_at = now; /* the citizen's message: the reply window starts here */
	snprintf(pend.method, sizeof(pend.method), "%s", method);
	snprintf(pend.consent_detail, sizeof(pend.consent_detail), "%s", consent_detail);
	snprintf(pend.policy_version, sizeof(pend.policy_version), "%s", policy_version);
	rc = joins_new_ref(pend.ref);
	if (!rc)
		rc = store_pending_put(st, &pend);
	if (!rc)
		rc = queue(st, p->hash, p->sealed, p->sealed_len, "join-waiting", "join-waiting",
			   NULL, now);
	crypto_wipe(&pend, sizeof(pend));
	return rc;
}

int joins_decide(struct store *st, const struct inbound_ctx *ctx, const char *ref, int approve,
		 int64_t now, struct joins_decision *out)
{
	const struct config *cfg = ctx->cfg;
	struct store_pending pend;
	char *body = NULL;
	const char *text;
	int rc, in_window;

	memset(out, 0, sizeof(*out));
	rc = store_pending_get_ref(st, ref, &pend);
	if (!rc && (pend.state != STORE_PENDING_MODERATE || pend.platform != PLATFORM_WHATSAPP))
		rc = BANDITORE_ENOTFOUND;
	if (rc)
		goto out;
	rc = store_pending_take(st, pend.token_hash, &pend);
	if (rc)
		goto out;
	if (pend.created_at < now - (int64_t)cfg->moderate_within_days * 86400) {
		out->expired = 1; /* the maintenance had not swept it yet */
		goto out;
	}
	snprintf(out->method, sizeof(out->method), "%s", pend.method[0] ? pend.method : "keyword");
	if (approve) {
		rc = subscribers_join_receipt(st, PLATFORM_WHATSAPP, pend.addr_hash, pend.sealed,
					      pend.sealed_len, out->method, pend.consent_detail,
					      pend.policy_version, now, pend.created_at, &out->joined);
		if (rc)
			goto out;
		text = ctx->text_join;
	} else {
		text = ctx->text_join_refused;
	}
	in_window = now - pend.created_at < JOINS_WINDOW - JOINS_WINDOW_MARGIN;
	body = in_window ? inbound_text_body(text) : joins_template_body(cfg, DECISION_TITLE, text);
	rc = queue(st, pend.addr_hash, pend.sealed, pend.sealed_len,
		   approve ? "join" : "join-refused", NULL, body, now);
out:
	free(body);
	crypto_wipe(&pend, sizeof(pend));
	return rc;
}

void joins_mask(const char *canonical, char *out, size_t cap)
{
	size_t n = strlen(canonical), o = 0;

	if (!cap)
		return;
	for (size_t i = 0; i < n && o + 4 < cap; i++) {
		if (i < 5 || i + 2 >= n) {
			out[o++] = canonical[i];
		} else {
			/* U+2022 BULLET */
			out[o++] = (char)0xe2;
			out[o++] = (char)0x80;
			out[o++] = (char)0xa2;
		}
	}
	out[o] = '\0';
}
