/*
 * choices.h - a subscriber chooses the areas and the categories they want to hear about.
 *
 * After joining, and whenever they write the keyword ([keywords] areas, default "ZONE";
 * categories, default "CATEGORIE"), a subscriber gets the list: on WhatsApp an
 * interactive list message (inside the 24-hour window their own message opened), on
 * Telegram inline buttons. Each row or button toggles one area or category ("a:ID",
 * "c:ID"); "a:*" / "c:*" means everything again. The answer says what is chosen now.
 * Emergency categories are not offered: emergencies reach everyone anyway.
 *
 * What is stored is the subscriber's two masks (store.h); nothing else about the person.
 * The bit of a name is given here on first use, in the writer's transaction.
 */
#ifndef BANDITORE_CHOICES_H
#define BANDITORE_CHOICES_H

#include <stdint.h>

#include "common/crypto.h"
#include "config/config.h"
#include "store/store.h"

#define CHOICES_MAX 48         /* items of one list */
#define CHOICES_WHATSAPP_ROWS 10 /* a WhatsApp list: at most 10 rows */

enum choices_ask {
	CHOICES_NONE = 0,
	CHOICES_ASK_AREAS,      /* the areas keyword */
	CHOICES_ASK_CATEGORIES, /* the categories keyword */
	CHOICES_PICK,           /* a list row or button: "a:ID", "c:ID", "a:*", "c:*" */
};

/* What a message asks, from its normalised text (keyword.h) and the id of the list row
 * or button it answers (NULL or "" when none). */
int choices_classify(const struct config *cfg, const char *norm, const char *reply_id);

struct choices_item {
	char id[64];
	char title[128];  /* the area's name or the category's label */
	int chosen;
};

/* One list as a subscriber sees it now. */
struct choices_list {
	int kind;                 /* STORE_AUDIENCE_AREA or STORE_AUDIENCE_CATEGORY */
	int all;                  /* nothing chosen: everything */
	int n;
	struct choices_item items[CHOICES_MAX];
};

/* The list of `kind` for subscriber (platform, hash). ENOTFOUND when not a subscriber;
 * n == 0 when the comune configured none (no areas; no categories but emergencies). */
int choices_load(struct store *st, const struct config *cfg, int platform,
		 const uint8_t hash[CRYPTO_HASH_LEN], int kind, struct choices_list *out);

/* The list of `kind` as one who has chosen nothing sees it (everything, no row marked),
 * from the configuration alone: what a subscriber who has just joined gets. */
void choices_fresh(const struct config *cfg, int kind, struct choices_list *out);

/* Applies a pick ("a:fornacino" toggles it; "a:*" chooses everything again). *kind gets
 * the kind picked. EINVAL for an id that is not (or no longer) in the configuration:
 * nothing changes; ENOTFOUND when not a subscriber. */
int choices_pick(struct store *st, const struct config *cfg, int platform,
		 const uint8_t hash[CRYPTO_HASH_LEN], const char *id, int *kind);

/* Texts, in Italian then English; new strings the caller frees (NULL when out of
 * memory). The summary says what is chosen now and how to change it; the list's text
 * introduces the list; the others answer a pick that names nothing known, a
 * non-subscriber, and a comune with nothing to choose. */
char *choices_summary(const struct config *cfg, const struct choices_list *l);
char *choices_intro(const struct config *cfg, const struct choices_list *l);
char *choices_text_unknown(const struct config *cfg, int kind);
char *choices_text_not_subscribed(const struct config *cfg);
char *choices_text_none(const struct config *cfg, int kind);

/* The WhatsApp outbox body of the list (replies.c sends it):
 * {"text": T, "list": {"button": B, "rows": [[id, title, description]...]}}. */
char *choices_whatsapp_body(const struct config *cfg, const struct choices_list *l);
/* The Telegram keyboard of the list: {"inline_keyboard": [[{"text", "callback_data"}]...]}. */
char *choices_telegram_markup(const struct choices_list *l);

#endif
