/*
 * messages_audience.h - who a message reaches: its category and its target areas against
 * what each subscriber chose.
 *
 * The rule (Leini, Seveso, Siracusa art. 1: "raggiungere il maggiore numero possibile di
 * Cittadini"; issue 8: road works reach only those affected):
 * - an emergency (priority "emergency", or a category configured emergency = yes) and a
 *   message without a category filter reach every subscriber;
 * - otherwise a message reaches the subscribers who chose its category, and those who
 *   never chose categories (or chose "all");
 * - a message that targets areas reaches, among those, the subscribers who chose one of
 *   them, and those who never chose an area: whoever has not said where they live
 *   keeps receiving every notice, so that choosing areas can only narrow what one gets,
 *   never make a notice silently miss someone who did not know about areas;
 * - a message with no area reaches everyone (that the category lets through).
 * The filter is fixed when the message is approved, like its audience.
 */
#ifndef BANDITORE_MESSAGES_AUDIENCE_H
#define BANDITORE_MESSAGES_AUDIENCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/platform.h"
#include "config/config.h"
#include "messages/messages.h"
#include "store/store.h"

/* "areas" of a JSON message body: absent or null leaves *present 0; else an array of
 * configured area ids (no repeats) into out as "a,b" ("" for []), *present 1. An area
 * that does not exist, or a wrong type, is BANDITORE_EINVAL with err filled (field
 * "areas", Italian and English). Other fields are not looked at. */
int messages_areas_from_json(const char *body, size_t len, const struct config *cfg, char *out,
			     size_t cap, int *present, struct messages_error *err);

/* The same for a list already split (the console's checkboxes): ids[0..n). */
int messages_areas_check(const struct config *cfg, const char *const *ids, int n, char *out,
			 size_t cap, struct messages_error *err);

/* The filter of a message of `category` and `priority` targeting `areas` ("a,b" or ""),
 * under `policy` (may be NULL: no category is an emergency). With `assign` 1 (the
 * writer, at approval) names get their bit; with 0 (a reader: counts shown before
 * sending) a name without one is STORE_AUDIENCE_NOBODY. */
int messages_audience_filter(struct store *st, const struct policy *policy, const char *category,
			     int priority, const char *areas, int assign, struct store_audience *out);

/* How many subscribers such a message would reach on each platform, now:
 * counts[0..PLATFORM_MAX] (index = enum platform; [0] unused). */
int messages_reach(struct store *st, const struct policy *policy, const char *category,
		   int priority, const char *areas, int64_t counts[PLATFORM_MAX + 1]);

/* At approval (inside the writer's job): fixes message m's filter (store_message_set_audience)
 * and gives in *whatsapp how many WhatsApp subscribers it reaches (the audience shown
 * as progress), or -1 when it reaches everyone (the caller keeps the extent's count). */
int messages_audience_fix(struct store *st, const struct policy *policy,
			  const struct store_message *m, int64_t *whatsapp);

/* At start, in its own transaction: forgets the bits of the categories and areas the
 * configuration no longer names (store_audience_prune), so that a name added later never
 * inherits an old choice. *removed (may be NULL) how many names went. */
int messages_audience_prune(struct store *st, const struct config *cfg, int *removed);

#endif
