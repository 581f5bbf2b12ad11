/*
 * joins.h - joins that need more than a keyword: the front-desk enrollment (issue 8,
 * item 3) and the moderation queue (item 5).
 *
 * Front desk: staff type a citizen's WhatsApp number and the reference of the paper
 * consent form the citizen signed (its number and date). Nothing is subscribed: a
 * request waits in pending_joins (the keyed hash and the sealed number only, method
 * "assisted", the form's reference) and the citizen receives a question (a template
 * message: they have not written to the comune, so no free-form text is allowed); only
 * their "Sì" subscribes them (inbound.c), with a receipt of method "assisted" and the
 * paper reference. Unanswered, the request is forgotten after confirm_within_hours
 * like any two-step join. So nobody can be subscribed by someone else.
 *
 * Moderation ([channel] moderate_joins): a join (the keyword, or the "Sì" of a
 * two-step join) waits in the queue instead of subscribing; staff approve (the receipt
 * is made, the welcome sent) or refuse (the request is erased, the citizen told).
 * Undecided requests are forgotten after moderate_within_days. A front-desk enrollment
 * does not wait: staff already checked the citizen in person.
 *
 * Everything that writes runs inside the caller's transaction (a writer job) and logs
 * nothing; no function here keeps a number in plaintext.
 */
#ifndef BANDITORE_JOINS_H
#define BANDITORE_JOINS_H

#include <stddef.h>
#include <stdint.h>

#include "inbound/inbound.h"
#include "store/store.h"
#include "subscribers/subscribers.h"

#define JOINS_METHOD_ASSISTED "assisted" /* the receipt's method of a front-desk join */
#define JOINS_FORM_MAX 40                /* bytes of a paper form's number */
#define JOINS_REF_HEX 16                 /* a queue id: 64 random bits in hex */
#define JOINS_WINDOW 86400               /* WhatsApp's customer-service window */
#define JOINS_WINDOW_MARGIN 600          /* a reply this close to its end goes as a template */
#define JOINS_MASKED_MAX 64
#define JOINS_ASK_AGAIN_AFTER 600        /* a desk's question is not sent twice within this */

/* The key under which number `hash` keeps its pending request (a keyed hash of the
 * number's hash under its own label, so that it is found from the number alone). */
int joins_pending_key(const struct keyfile_keys *keys, const uint8_t hash[CRYPTO_HASH_LEN],
		      uint8_t out[CRYPTO_HASH_LEN]);

/* A new queue id (JOINS_REF_HEX hex digits + NUL). */
int joins_new_ref(char out[STORE_PENDING_REF_MAX]);

/* --- the front desk --- */

/* What staff typed, checked. */
struct joins_enrollment {
	char canonical[SUBSCRIBERS_ADDRESS_MAX]; /* E.164 */
	char form[JOINS_FORM_MAX + 1];           /* the form's number, trimmed */
	char form_date[11];                      /* YYYY-MM-DD */
};

enum joins_problem {
	JOINS_INPUT_OK = 0,
	JOINS_BAD_NUMBER,   /* not a telephone number in international form */
	JOINS_NO_FORM,      /* the form's number is missing */
	JOINS_BAD_FORM,     /* too long, or control characters */
	JOINS_NO_DATE,      /* the form's date is missing */
	JOINS_BAD_DATE,     /* not a date (YYYY-MM-DD) */
	JOINS_FUTURE_DATE,  /* after today (in Italy) */
};

/* Checks the front desk's three fields at `now`: JOINS_INPUT_OK with *out filled, or
 * the first problem (out is then undefined). Strings may be NULL. */
int joins_enrollment_check(const char *number, const char *form, const char *date, int64_t now,
			   struct joins_enrollment *out);
/* The field a problem is about ("number", "form_number", "form_date"), and what to tell
 * staff, in Italian or (en) English. */
const char *joins_problem_field(int problem);
const char *joins_problem_text(int problem, int en);

/* Why an enrollment was not made (nothing is then stored). */
enum joins_enroll_result {
	JOINS_ENROLLED = 0,
	JOINS_ALREADY_SUBSCRIBED,
	JOINS_BLOCKED,      /* the number was expelled */
	JOINS_IN_QUEUE,     /* a request of this number waits for staff already */
	JOINS_ASKED_RECENTLY, /* the desk asked this number less than JOINS_ASK_AGAIN_AFTER
			       * ago (a form sent twice; each question is a paid template) */
};

/* Makes the request and queues the question (a template). *result says what happened;
 * only JOINS_ENROLLED stored anything, and then returns 0. The other results return
 * BANDITORE_ESTATE, so that the caller's savepoint is undone. *expires_at: when an
 * unanswered request is forgotten. */
int joins_enroll(struct store *st, const struct inbound_ctx *ctx, const struct joins_enrollment *e,
		 int64_t now, int *result, int64_t *expires_at);

/* --- the moderation queue --- */

/* Puts the request of the prepared sender `p` in the queue (replacing what it had
 * pending) and queues "your request waits" (kind "join-waiting"). */
int joins_queue(struct store *st, const struct inbound_ctx *ctx, const struct inbound_prepared *p,
		const char *method, const char *consent_detail, const char *policy_version,
		int64_t now);

struct joins_decision {
	int expired;        /* the request was past moderate_within_days: erased, no reply */
	int joined;         /* approve: a new subscriber (0 when one already) */
	char method[16];    /* the receipt's method */
};

/* Approves (approve = 1) or refuses request `ref` at `now`: approving makes the
 * subscriber (the receipt's method and detail as the request had them) and queues the
 * welcome; refusing erases the request and queues the refusal. Either reply is a text
 * inside WhatsApp's 24-hour window (counted from the citizen's last message, when the
 * request entered the queue) and a template after it. BANDITORE_ENOTFOUND when no such
 * request waits; an expired one is erased (out->expired, and 0). */
int joins_decide(struct store *st, const struct inbound_ctx *ctx, const char *ref, int approve,
		 int64_t now, struct joins_decision *out);

/* "+39 333 ••• ••12"-like: the first five characters and the last two of `canonical`,
 * the rest hidden, for staff who may not see numbers. */
void joins_mask(const char *canonical, char *out, size_t cap);

/* The template request body of `text` (new lines become spaces: a template's parameter
 * holds one line) with `title`, as [whatsapp] notice_template and template_params say.
 * Caller frees; NULL when out of memory. */
char *joins_template_body(const struct config *cfg, const char *title, const char *text);

#endif
