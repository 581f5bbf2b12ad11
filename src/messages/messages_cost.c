/* messages_cost.c - cost of a broadcast and of the month so far, in integer millionths. */
#include "messages/messages_cost.h"
#include "messages/messages_audience.h"

#include "common/err.h"
#include "common/platform.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define LIST_PAGE 64

int64_t messages_cost_price(const struct config *cfg, int platform)
{
	switch (platform) {
	case PLATFORM_WHATSAPP:
		return cfg->cost_wa_category ? cfg->cost_wa_marketing : cfg->cost_wa_utility;
	case PLATFORM_SMS: return cfg->cost_sms;
	case PLATFORM_TELEGRAM: return cfg->cost_telegram;
	case PLATFORM_EMAIL: return cfg->cost_email;
	case PLATFORM_WEBPUSH: return cfg->cost_webpush;
	default: return -1;
	}
}

int messages_cost_of(int64_t count, int64_t price_micros, struct messages_amount *out)
{
	out->known = 0;
	out->micros = 0;
	if (count < 0)
		return BANDITORE_EINVAL;
	if (price_micros < 0)
		return 0;
	if (price_micros > 0 && count > INT64_MAX / price_micros)
		return BANDITORE_ETOOBIG;
	out->known = 1;
	out->micros = count * price_micros;
	return 0;
}

int messages_cost_add(struct messages_amount *a, const struct messages_amount *b)
{
	if (!a->known || !b->known) {
		a->known = 0;
		a->micros = 0;
		return 0;
	}
	if (b->micros > INT64_MAX - a->micros)
		return BANDITORE_ETOOBIG;
	a->micros += b->micros;
	return 0;
}

void messages_cost_format(const struct messages_amount *a, char out[MESSAGES_COST_TEXT_MAX])
{
	int64_t cents;

	out[0] = '\0';
	if (!a->known || a->micros < 0)
		return;
	/* Half away from zero: 5,000 millionths (half a cent) round up. */
	cents = a->micros / 10000 + (a->micros % 10000 >= 5000 ? 1 : 0);
	snprintf(out, MESSAGES_COST_TEXT_MAX, "%lld.%02lld", (long long)(cents / 100),
		 (long long)(cents % 100));
}

void messages_cost_format_price(int64_t micros, char out[MESSAGES_COST_TEXT_MAX])
{
	char frac[8];
	size_t n;

	out[0] = '\0';
	if (micros < 0)
		return;
	snprintf(frac, sizeof(frac), "%06lld", (long long)(micros % 1000000));
	for (n = 6; n > 2 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(out, MESSAGES_COST_TEXT_MAX, "%lld.%s", (long long)(micros / 1000000), frac);
}

int64_t messages_month_start(int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return now;
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

int messages_sent_since(struct store *st, int64_t since, int64_t *sent, int64_t *messages)
{
	struct store_message page[LIST_PAGE];
	int64_t before = 0;
	int n, rc;

	*sent = 0;
	*messages = 0;
	/* Every message, a page at a time: a comune sends a few a day, and one approved
	 * long ago may have started this month. */
	for (;;) {
		memset(page, 0, sizeof(page));
		rc = store_message_list(st, before, page, LIST_PAGE, &n);
		if (rc)
			return rc;
		for (int i = 0; i < n; i++) {
			const struct store_message *m = &page[i];
			if (m->started_at >= since && m->started_at > 0 && m->sent > 0) {
				*sent += m->sent;
				(*messages)++;
			}
			before = m->id;
			store_message_clear(&page[i]);
		}
		if (n < LIST_PAGE)
			return 0;
	}
}

int messages_cost_report(struct store *st, const struct config *cfg,
			 const struct store_message *m, int64_t now,
			 struct messages_cost_report *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->currency, sizeof(out->currency), "%s", cfg->cost_currency);
	out->price_micros = messages_cost_price(cfg, PLATFORM_WHATSAPP);
	out->audience = m->audience;
	if (m->state == STORE_MSG_DRAFT) {
		/* A draft: those its category and areas would reach now (messages_audience.h). */
		char areas[STORE_TARGETS_MAX];
		int64_t counts[PLATFORM_MAX + 1];
		rc = store_message_get_areas(st, m->id, areas, sizeof(areas));
		if (!rc)
			rc = messages_reach(st, cfg->policy, m->category, m->priority, areas, counts);
		if (rc)
			return rc;
		out->audience = counts[PLATFORM_WHATSAPP];
	}
	out->sent = m->sent;
	rc = messages_cost_of(out->audience, out->price_micros, &out->estimate);
	if (!rc)
		rc = messages_cost_of(out->sent, out->price_micros, &out->spent);
	if (!rc)
		rc = messages_sent_since(st, messages_month_start(now), &out->month_sent,
					 &out->month_messages);
	if (!rc)
		rc = messages_cost_of(out->month_sent, out->price_micros, &out->month);
	return rc;
}
