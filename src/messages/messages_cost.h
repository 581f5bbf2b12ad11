/*
 * messages_cost.h - what a broadcast costs, shown before and after sending.
 *
 * Prices come from the configuration's [costs] in millionths of the currency per message
 * (WhatsApp bills each template message by its category since July 2025; an SMS is
 * billed per segment). Arithmetic is in integers: a cost is count x price millionths,
 * exact, and only the amount shown is rounded, to the cent, half away from zero
 * (0.005 EUR shows as 0.01). A platform without a configured price has an unknown cost,
 * never 0: it is shown as unknown. The month so far is the sum of the sends of the
 * messages that started this month (local time).
 */
#ifndef BANDITORE_MESSAGES_COST_H
#define BANDITORE_MESSAGES_COST_H

#include <stdint.h>

#include "config/config.h"
#include "store/store.h"

#define MESSAGES_COST_TEXT_MAX 32 /* "123456789012.34" and a NUL, with room */

/* An amount: known 0 when a price is missing; micros in millionths of the currency. */
struct messages_amount {
	int known;
	int64_t micros;
};

/* The price per message of `platform` (PLATFORM_x) in the configuration, -1 unknown.
 * For WhatsApp, the one of the category broadcasts bill as ([costs] whatsapp_category). */
int64_t messages_cost_price(const struct config *cfg, int platform);

/* count messages (SMS: segments) at price_micros each (-1: unknown). BANDITORE_EINVAL
 * for a negative count, BANDITORE_ETOOBIG when the product would overflow. */
int messages_cost_of(int64_t count, int64_t price_micros, struct messages_amount *out);

/* a + b: unknown when either is. ETOOBIG on overflow. */
int messages_cost_add(struct messages_amount *a, const struct messages_amount *b);

/* The amount rounded to the cent, half away from zero, as "12.35" (no currency);
 * "" when unknown. */
void messages_cost_format(const struct messages_amount *a, char out[MESSAGES_COST_TEXT_MAX]);

/* A price in millionths as a decimal with no trailing zeros past the cents
 * ("0.0429", "0.05", "1.00"); "" when unknown (< 0). */
void messages_cost_format_price(int64_t micros, char out[MESSAGES_COST_TEXT_MAX]);

/* The start (Unix time) of the local calendar month holding `now`. */
int64_t messages_month_start(int64_t now);

/* WhatsApp sends of the messages started since `since` (sent and partly failed ones,
 * and one still sending), on a store connection: *sent their sum, *messages how many. */
int messages_sent_since(struct store *st, int64_t since, int64_t *sent, int64_t *messages);

/* Everything shown of a broadcast's cost (WhatsApp: the platform a broadcast goes to). */
struct messages_cost_report {
	char currency[4];
	int64_t price_micros;          /* per message, -1 unknown */
	int64_t audience;              /* fixed at approval; a draft's: the subscribers now */
	struct messages_amount estimate; /* audience x price: before sending */
	int64_t sent;
	struct messages_amount spent;  /* sent x price: after sending */
	int64_t month_sent, month_messages;
	struct messages_amount month;  /* the month so far (local time), this message included
				        * once it has sent */
};

/* Fills *out for message `m` at `now`, reading the store. */
int messages_cost_report(struct store *st, const struct config *cfg,
			 const struct store_message *m, int64_t now,
			 struct messages_cost_report *out);

#endif
