/*
 * store.h - the one storage interface of Banditore.
 *
 * Callers speak in the domain's terms (a subscriber, an inbound event, an outbox reply);
 * how rows are laid out is the implementation's business. The embedded implementation is
 * SQLite (store_sqlite.c) in WAL mode with secure_delete, so erased rows are overwritten;
 * a PostgreSQL implementation fills the same struct store_ops (store_impl.h) and no caller
 * changes. Migrations are applied by store_open.
 *
 * Nothing here ever sees an address in plaintext: callers pass the keyed hash that finds
 * it and the sealed bytes that hold it (see subscribers.h).
 *
 * One struct store is one connection: use it from one thread at a time. Times are Unix
 * seconds (int64_t). All functions return 0 or a negative BANDITORE_E* code.
 */
#ifndef BANDITORE_STORE_H
#define BANDITORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"

struct store;

#define STORE_SEALED_MAX 1024  /* sealed address or text of a kept message, bytes */
#define STORE_BODY_MAX 65536   /* an outbox request body, bytes */
#define STORE_CANNED_MAX 24     /* an outbox canned reply's name, with its NUL */

struct store_subscriber {
	int64_t id;
	int platform;
	uint8_t addr_hash[CRYPTO_HASH_LEN]; /* HMAC of the canonical address */
	uint8_t sealed[STORE_SEALED_MAX];  /* the address, AES-GCM sealed */
	size_t sealed_len;
	int64_t joined_at;
	char method[16];           /* "keyword", "link", "cli", ... */
	char policy_version[65];   /* hex SHA-256 of the policy + privacy notice accepted */
	int64_t last_inbound_at;   /* the citizen's last message: opens the 24-hour window */
	char consent_detail[128];  /* more about a consent given elsewhere: the original
				    * method of an imported list ("lista broadcast"); "" */
};

/* A reply or message waiting to be sent to one address. */
struct store_outbox_item {
	int64_t id;
	int platform;
	uint8_t addr_hash[CRYPTO_HASH_LEN];
	uint8_t sealed[STORE_SEALED_MAX];
	size_t sealed_len;
	char kind[16];       /* "join", "leave", "auto-reply", ... (for counts and logs) */
	/* A reply the same for everyone, named ("join", "not-subscribed"...: inbound.h,
	 * inbound_canned) and built by the sender from the configuration; `body` is then
	 * empty. "" for the others, whose body is stored (sealed). */
	char canned[STORE_CANNED_MAX];
	char *body;          /* owned, NUL-terminated; the connector's payload template */
	int attempts;
	int64_t not_before;
	int64_t created_at;
};

/* A private message a citizen sent, kept (sealed) until staff answer it. */
struct store_kept_message {
	int64_t id;
	int platform;
	uint8_t addr_hash[CRYPTO_HASH_LEN];
	uint8_t sealed_addr[STORE_SEALED_MAX];
	size_t sealed_addr_len;
	uint8_t sealed_text[STORE_SEALED_MAX * 4];
	size_t sealed_text_len;
	int64_t received_at;
	int64_t expires_at;
};

/* Opens (creating if needed) the store at `url`: a file path, or "sqlite:PATH".
 * Applies pending migrations. On failure returns the code and *out stays NULL. */
int store_open(const char *url, struct store **out);
void store_free(struct store *s); /* accepts NULL */

/* The reason of this connection's last failure, for the top layer's log ("" if none;
 * never personal data; borrowed, valid until the next call on `s`). With s == NULL:
 * why this thread's last store_open failed. */
const char *store_errmsg(struct store *s);

/* The schema version after migrations, and the newest this build knows. */
int store_schema_version(struct store *s, int *version);
int store_schema_latest(void);

/* Transactions. Savepoints nest inside a transaction, so that a batch of events can be
 * committed together while one bad event is undone alone. */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);
int store_savepoint(struct store *s);
int store_release(struct store *s);
int store_rollback_to(struct store *s);

/* Makes erasures final on disk: for SQLite, a TRUNCATE checkpoint, so that no old page
 * (with a deleted address) survives in the write-ahead log. BANDITORE_ETEMP when a
 * reader prevents it now (try again later). */
int store_purge_log(struct store *s);

/* Checkpoints done elsewhere. After this call `s` no longer copies its log into the
 * database on its own while it commits (for SQLite, the automatic checkpoint, which ran
 * in the committing thread: its copy and fsync were the writer's slowest commits); `fn`
 * is told instead, after each commit on `s`, how many pages the log holds, and another
 * connection runs store_checkpoint. BANDITORE_ENOTFOUND when the implementation has
 * no such log. A NULL `fn` gives `s` its own checkpoints back. */
int store_log_watch(struct store *s, void (*fn)(void *arg, int pages), void *arg);
/* Copies the log into the database file. restart 0: what it can without holding up the
 * writer (PASSIVE); restart 1: all of it, after which the log starts over at the next
 * commit (RESTART; commits wait meanwhile, and it gives up after a few ms of waiting for
 * readers: run it only after a pass with 0 copied everything). BANDITORE_ETEMP when
 * some of the log is left (a reader still needs it, or commits came meanwhile). */
int store_checkpoint(struct store *s, int restart);

/* Two-stage group commit. After this call, commits on `s` no longer wait for the disk;
 * instead the caller makes them durable by fdatasync() of the file named in `log_path`
 * (for SQLite, the WAL) before acknowledging anything, which lets the next batch be
 * prepared while the previous one is being flushed. BANDITORE_ENOTFOUND when the
 * implementation has no such file (commits then stay synchronous). */
int store_defer_sync(struct store *s, char *log_path, size_t cap);

/* Caps the memory this connection keeps for pages it has read, in KiB (a limit, not an
 * allocation; the default is 64 MiB, which suits the writer). Connections that only walk
 * or look up a few rows (the broadcast's reader, the reply sender, the API's readers) ask
 * for less, so that the process stays small. BANDITORE_EINVAL when kib < 64. */
int store_set_cache(struct store *s, int kib);

/* --- subscribers --- */
int store_subscriber_get(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			 struct store_subscriber *out); /* BANDITORE_ENOTFOUND */
/* BANDITORE_EEXIST when (platform, hash) is there already. `id` may be NULL. */
int store_subscriber_add(struct store *s, const struct store_subscriber *sub, int64_t *id);
/* Records a message from the subscriber at `at` (an older `at` never moves it back).
 * BANDITORE_ENOTFOUND when (platform, hash) is not a subscriber. */
int store_subscriber_touch(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int64_t at);
/* What a message from (platform, hash) needs known before it can join, in one look:
 * whether the sender is a subscriber (its 24-hour window is then opened at `at`, as
 * store_subscriber_touch does), whether a pending join waits for it (store_pending_get_addr
 * reads it), and whether `block_hash` (store_block_add's key) is on the blocklist. */
struct store_sender {
	int subscribed;
	int pending;
	int blocked;
};
int store_sender_lookup(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			const uint8_t block_hash[CRYPTO_HASH_LEN], int64_t at,
			struct store_sender *out);
/* Erases every row about (platform, hash): the subscriber, its outbox items, kept
 * messages, auto-reply marks, pending joins, and the retries of broadcasts to it. *erased (may be
 * NULL) is 1 when a subscriber was there. */
int store_subscriber_erase(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int *erased);
int store_subscriber_count(struct store *s, int platform, int64_t *count);

/* --- inbound events: each platform event id is processed once --- */
/* Records `event_hash` (a keyed hash of the platform's id). Returns 0 when new,
 * BANDITORE_EEXIST when it was seen before. */
int store_event_mark(struct store *s, const uint8_t event_hash[CRYPTO_HASH_LEN], int64_t now);
/* Forgets event ids older than `before` (Meta retries for up to 7 days). */
int store_event_expire(struct store *s, int64_t before, int64_t *removed);

/* --- auto-reply rate: at most one per sender per window --- */
/* Sets *due to 1 (and records `now`) when the last auto-reply to `hash` was before
 * now - window, else 0. Marks older than the window are forgotten. */
int store_autoreply_claim(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			  int64_t now, int64_t window, int *due);
int store_autoreply_expire(struct store *s, int64_t before);

/* --- anonymous daily counters: what is left of joins and leaves --- */
/* day is "YYYY-MM-DD"; name is e.g. "join", "leave", "auto-reply". */
int store_counter_add(struct store *s, const char *day, int platform, const char *name,
		      int64_t delta);
int store_counter_sum(struct store *s, int platform, const char *name, int64_t *total);

/* --- outbox: replies persisted before the webhook is acknowledged --- */
/* The key an outbox body is sealed with at rest (keyfile_keys.seal; copied). One per
 * process, shared by every connection: set it once at start-up, before the threads that
 * open stores; NULL forgets it. Without it store_outbox_add refuses with
 * BANDITORE_ESTATE rather than hold a body in plaintext, and store_outbox_due with
 * BANDITORE_ESTATE when a due row is sealed (BANDITORE_ECRYPTO: sealed under another key). */
void store_seal_key_set(const uint8_t key[CRYPTO_KEY_LEN]);
/* Seals item->body (borrowed) for item's platform and addr_hash; BANDITORE_ETOOBIG over
 * STORE_BODY_MAX. A canned item (lower-case letters and '-') has no body to store. */
int store_outbox_add(struct store *s, const struct store_outbox_item *item, int64_t *id);
/* Up to `max` items with not_before <= now, oldest first (by not_before, then in the
 * order they were queued), and only the oldest item of each address: a person's replies
 * go one after the other, in the order they were queued (a confirmation before the list
 * of areas that follows it), even when an earlier one waits for a retry; the next is
 * due once the one before it is removed (sent or given up). Each item's body must be
 * released with store_outbox_item_clear, which wipes it. */
int store_outbox_due(struct store *s, int64_t now, struct store_outbox_item *items, int max,
		     int *n);
/* The same, passing over the items whose ids are in skip[0..n_skip) (ascending, repeats
 * allowed; BANDITORE_EINVAL otherwise): the reply sender's sends in flight, which it
 * would otherwise read, and open, again at every read until they are settled. A skipped
 * item still holds its address's turn. */
int store_outbox_due_skip(struct store *s, int64_t now, const int64_t *skip, int n_skip,
			  struct store_outbox_item *items, int max, int *n);
void store_outbox_item_clear(struct store_outbox_item *item);
/* 0 also when the item is gone already (an erasure may have taken it meanwhile). */
int store_outbox_remove(struct store *s, int64_t id);
/* BANDITORE_ENOTFOUND when the item is gone. */
int store_outbox_reschedule(struct store *s, int64_t id, int attempts, int64_t not_before);
/* The earliest not_before among waiting items, or BANDITORE_ENOTFOUND. */
int store_outbox_next_time(struct store *s, int64_t *when);
int store_outbox_count(struct store *s, int64_t *count);

/* --- kept private messages (keep-until-answered) --- */
int store_kept_add(struct store *s, const struct store_kept_message *m, int64_t *id);
/* Up to `max` kept messages, oldest first, from id > after_id. */
int store_kept_list(struct store *s, int64_t after_id, struct store_kept_message *out, int max,
		    int *n);
int store_kept_remove(struct store *s, int64_t id); /* BANDITORE_ENOTFOUND when gone */
int store_kept_expire(struct store *s, int64_t now, int64_t *removed);

/* --- posting tasks of a WhatsApp Channel ([whatsapp] channel_mode = manual) --- */
/* A Channel has no API: each approved message becomes a task a person publishes in the
 * app and then marks as posted. No personal data: the message, times, a staff name. */
struct store_channel_post {
	int64_t message_id;
	int64_t created_at;      /* when the message was approved */
	int64_t posted_at;       /* 0 while waiting */
	char posted_by[80];      /* "staff:NAME" or "token:NAME"; "" while waiting */
};
/* Adds the task of message `message_id` at `now`; a task there already (a message
 * edited after approval and approved again) waits again to be posted. */
int store_channel_post_add(struct store *s, int64_t message_id, int64_t now);
/* Up to `max` tasks: waiting ones (oldest first) when `waiting` is 1, else posted ones
 * (most recently posted first). */
int store_channel_post_list(struct store *s, int waiting, struct store_channel_post *out, int max,
			    int *n);
int store_channel_post_get(struct store *s, int64_t message_id,
			   struct store_channel_post *out); /* BANDITORE_ENOTFOUND */
/* Marks the task posted by `by` at `at`: BANDITORE_ENOTFOUND, BANDITORE_ESTATE when it
 * was posted already. */
int store_channel_post_mark(struct store *s, int64_t message_id, const char *by, int64_t at);

/* --- messages and their broadcasts --- */

/* A message's lifecycle. Stored as numbers: never renumber, only append. The approval
 * workflow of staff (a later stage) adds states before APPROVED. */
enum store_message_state {
	STORE_MSG_DRAFT = 0,
	STORE_MSG_APPROVED = 1,      /* ready: goes out as soon as the sender takes it */
	STORE_MSG_SCHEDULED = 2,     /* approved, waiting for scheduled_at */
	STORE_MSG_SENDING = 3,
	STORE_MSG_SENT = 4,
	STORE_MSG_PARTLY_FAILED = 5, /* finished, some recipients could not be reached */
	STORE_MSG_CANCELLED = 6,
	STORE_MSG_EXPIRED = 7,       /* expires_at passed before it was all sent */
};

enum store_priority { STORE_PRIORITY_NORMAL = 0, STORE_PRIORITY_EMERGENCY = 1 };

#define STORE_TITLE_MAX 200
#define STORE_TEXT_MAX 4096
#define STORE_CATEGORY_MAX 64
#define STORE_LINK_MAX 1024

#define STORE_NOTES_MAX 16384

struct store_message {
	int64_t id;
	char title[STORE_TITLE_MAX + 1];
	char *text;                  /* owned (store_message_clear), at most STORE_TEXT_MAX */
	char category[STORE_CATEGORY_MAX + 1];
	char link[STORE_LINK_MAX + 1];
	/* The attachment, if any: kept in the data folder under its SHA-256, checked by
	 * content; media_id is what the platform answered to the upload (reused for the
	 * whole broadcast). */
	char media_sha256[65];
	char media_type[64];         /* MIME type found by content */
	char media_name[256];
	int64_t media_size;
	char media_id[128];
	int priority;                /* enum store_priority */
	int state;                   /* enum store_message_state */
	int64_t scheduled_at;        /* 0: as soon as approved */
	int64_t expires_at;          /* 0: never */
	int64_t created_at, approved_at, started_at, finished_at;
	char created_by[64];         /* the API token's name, or "cli" */
	/* The earlier message this one replaces (an update of what was sent: CAP msgType
	 * Update, "aggiorna" in the archive), 0: none. Editable in DRAFT like the fields
	 * above; the store only checks it is not negative, the API that it names a message
	 * that was sent (messages_check_replaces). */
	int64_t replaces;
	/* Read only: the newest SENT or PARTLY_FAILED message that replaces this one, 0 when
	 * none ("sostituito da" in the archive). */
	int64_t replaced_by;
	/* The broadcast. The audience is fixed at approval: every subscriber of the platform
	 * with id <= audience_max_id (ids only grow), so those who join later are left out,
	 * and those who leave before their turn are gone from the table. */
	int64_t audience_max_id;
	int64_t audience;            /* how many there were at approval, for progress */
	int64_t cursor;              /* every subscriber id <= cursor has been settled */
	int64_t sent, delivered, read, failed, unreachable;
};

/* Adds a message in DRAFT (m->state must be DRAFT: EINVAL otherwise). The store sets
 * its id; the audience, cursor, counters and approved/started/finished times start at
 * 0 whatever *m says. text NULL is stored as "". EINVAL for an unterminated field, a
 * media_sha256 that is neither "" nor 64 lowercase hex digits, a priority other than
 * those of enum store_priority, media_size < 0; ETOOBIG for text over STORE_TEXT_MAX. */
int store_message_add(struct store *s, const struct store_message *m, int64_t *id);
/* Fills *out (out->text allocated: release with store_message_clear). ENOTFOUND. */
int store_message_get(struct store *s, int64_t id, struct store_message *out);
/* *referenced = 1 when a message (in any state) names attachment `sha256`, else 0. */
int store_media_referenced(struct store *s, const char *sha256, int *referenced);
void store_message_clear(struct store_message *m); /* frees text; accepts a zeroed struct */
/* Replaces the editable fields (title, text, category, link, media_*, priority,
 * scheduled_at, expires_at) of message m->id if it is still in DRAFT; BANDITORE_ESTATE
 * otherwise, ENOTFOUND when there is no such message. Checks as store_message_add. */
int store_message_update(struct store *s, const struct store_message *m);
/* Moves a message from state `from` to `to` in one conditional update, stamping the
 * matching time with `at` the first time it is reached (started_at on SENDING,
 * finished_at on a final state). Allowed moves:
 *     DRAFT → CANCELLED, EXPIRED (approval is store_message_approve's alone)
 *     APPROVED, SCHEDULED → each other, SENDING, CANCELLED, EXPIRED, DRAFT
 *     SENDING → SENT, PARTLY_FAILED, CANCELLED, EXPIRED
 * (the final states go nowhere). Back to DRAFT forgets the approval and its audience.
 * BANDITORE_ESTATE when the message is not in `from` or the move is not allowed,
 * ENOTFOUND when there is no such message, EINVAL for a number that is not a state. */
int store_message_transition(struct store *s, int64_t id, int from, int to, int64_t at);
/* The editor's notes for the policy (a JSON text, see messages_notes_to_json), kept with
 * message `id`: set replaces them (NULL or "" clears; ETOOBIG over STORE_NOTES_MAX
 * bytes), get gives a copy the caller frees ("" when none). ENOTFOUND. */
int store_message_set_notes(struct store *s, int64_t id, const char *notes);
/* The platform's id of message `id`'s uploaded attachment (WhatsApp's media id), in any
 * state: the broadcast uploads once and every send, and every restart, reuses it. EINVAL
 * for an id of STORE's media_id size or more; ENOTFOUND. */
int store_message_set_media_id(struct store *s, int64_t id, const char *media_id);
int store_message_get_notes(struct store *s, int64_t id, char **out);
/* DRAFT → APPROVED (or SCHEDULED when scheduled_at > at), fixing the audience and
 * stamping approved_at. ESTATE when not in DRAFT, ENOTFOUND when there is no such
 * message, EINVAL for a negative audience. Expiry is not checked here. */
int store_message_approve(struct store *s, int64_t id, int64_t at, int64_t audience_max_id,
			  int64_t audience);
/* The message the sender should work on at `now`, among SENDING, APPROVED (due
 * whatever its scheduled_at) and SCHEDULED with scheduled_at <= now: emergencies before
 * normal ones; within a priority, SENDING before the others (a broadcast under way is
 * finished before the next starts); then the oldest id. So an approved emergency comes
 * before a normal broadcast that is SENDING. Expired ones are returned too: moving them
 * to EXPIRED is the caller's job. out->text allocated (store_message_clear).
 * BANDITORE_ENOTFOUND when none. `priority_min` restricts to emergencies when 1. */
int store_message_next(struct store *s, int64_t now, int priority_min, struct store_message *out);
/* The earliest scheduled_at of a SCHEDULED message, or BANDITORE_ENOTFOUND. */
int store_message_next_scheduled(struct store *s, int64_t *when);
/* Durable progress: sets cursor (never backwards) and adds the deltas, in one update,
 * in whatever state the message is. EINVAL for a negative cursor or delta, ENOTFOUND. */
int store_message_progress(struct store *s, int64_t id, int64_t cursor, int64_t d_sent,
			   int64_t d_failed, int64_t d_unreachable);
/* A delivery status reported by the platform: adds delta (>= 0) to the counter
 * "delivered", "read" or "failed"; EINVAL for any other status. Outside a transaction
 * ENOTFOUND when there is no such message; inside one the increments may be held until
 * the commit, and those of a message gone by then count for nothing. */
int store_message_status(struct store *s, int64_t id, const char *status, int64_t delta);
/* Up to `max` messages with id < before_id (0: from the newest), newest first; texts
 * are not loaded (text NULL). */
int store_message_list(struct store *s, int64_t before_id, struct store_message *out, int max,
		       int *n);

/* --- the public archive: what was sent, never who received it --- */

struct store_archive_query {
	const char *category; /* NULL or "": every category */
	const char *search;   /* NULL or "": none; else words that must all appear in the title
			       * or text (full-text, accents folded, the last word as a prefix) */
	int alerts;           /* 1: emergencies for the CAP feed instead: SENDING, SENT,
			       * PARTLY_FAILED, and CANCELLED or EXPIRED once they had started */
	int offset;           /* rows to skip (pages) */
};

/* Up to `max` (<= 256) messages citizens may read - SENT and PARTLY_FAILED, never
 * drafts, scheduled or cancelled ones - newest first (by started_at, then id), with their
 * texts (store_message_clear each). *total (may be NULL) is how many match in all. */
int store_archive_list(struct store *s, const struct store_archive_query *q,
		       struct store_message *out, int max, int *n, int64_t *total);

/* --- joins waiting for their confirmation (e-mail double opt-in, WhatsApp two-step
 * joins and front-desk enrollments) or for staff (the moderation queue) --- */

enum store_pending_state {
	STORE_PENDING_CONFIRM = 0,  /* waits for the citizen's confirmation */
	STORE_PENDING_MODERATE = 1, /* confirmed (or one-step), waits for staff */
};

#define STORE_PENDING_REF_MAX 33 /* a queue entry's id: up to 32 characters, with NUL */

struct store_pending {
	uint8_t token_hash[CRYPTO_HASH_LEN]; /* keyed hash of the secret in the link */
	int platform;
	uint8_t addr_hash[CRYPTO_HASH_LEN];
	uint8_t sealed[STORE_SEALED_MAX];    /* the address, sealed as a subscriber's */
	size_t sealed_len;
	char policy_version[65];             /* the policy accepted when asking */
	int64_t created_at;                  /* asked, or entered the queue (its last
					      * message: the 24-hour window's start) */
	int state;                           /* enum store_pending_state */
	char method[16];                     /* the receipt's method ("" : the caller's) */
	char consent_detail[128];            /* the receipt's detail (a paper form) or "" */
	char ref[STORE_PENDING_REF_MAX];     /* the queue's id ("" outside the queue) */
};

/* Records a pending join; one per (platform, addr_hash): an older one is replaced, and
 * its link stops working. EINVAL for an empty or oversized sealed address. */
int store_pending_put(struct store *s, const struct store_pending *p);
/* The pending join of (platform, hash). ENOTFOUND. */
int store_pending_get_addr(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   struct store_pending *out);
/* Removes the pending join whose token hashes to `token_hash` and gives it back (the
 * caller checks its age). ENOTFOUND. */
int store_pending_take(struct store *s, const uint8_t token_hash[CRYPTO_HASH_LEN],
		       struct store_pending *out);
/* Forgets pending joins asked before `before`; *removed (may be NULL) how many. */
int store_pending_expire(struct store *s, int64_t before, int64_t *removed);
/* The same for one platform only (each has its own time to confirm), and only those
 * waiting for the citizen (STORE_PENDING_CONFIRM): the queue has its own time. */
int store_pending_expire_platform(struct store *s, int platform, int64_t before,
				  int64_t *removed);
/* Forgets queued requests (STORE_PENDING_MODERATE) of `platform` that entered the queue
 * before `before`. */
int store_pending_expire_queue(struct store *s, int platform, int64_t before,
			       int64_t *removed);
/* Up to `max` requests of `platform` in `state`, oldest first, after the one created at
 * (after_at, after_ref) (0 and "" from the start). */
int store_pending_list(struct store *s, int platform, int state, int64_t after_at,
		       const char *after_ref, struct store_pending *out, int max, int *n);
/* The request with queue id `ref` (not ""). ENOTFOUND. */
int store_pending_get_ref(struct store *s, const char *ref, struct store_pending *out);

/* --- the recipients of a broadcast --- */

struct store_recipient {
	int64_t id;
	uint8_t sealed[STORE_SEALED_MAX];
	size_t sealed_len;
	int failures;               /* consecutive permanent failures so far */
	int64_t last_sent_at;       /* last business-initiated message (messaging tier) */
};

/* The highest subscriber id of `platform` and how many there are (0, 0 when none). */
int store_subscribers_extent(struct store *s, int platform, int64_t *max_id, int64_t *count);
/* Up to `max` subscribers of `platform` with after_id < id <= max_id, in id order,
 * skipping those with failures >= skip_failures (unreachable; 0 skips none). A range
 * scan of the ids: each page costs the same however far the walk is. */
int store_subscribers_page(struct store *s, int platform, int64_t after_id, int64_t max_id,
			   int skip_failures, struct store_recipient *out, int max, int *n);
/* One more consecutive permanent failure; *failures gets the new count. ENOTFOUND when
 * the subscriber left meanwhile. */
int store_subscriber_failed(struct store *s, int64_t id, int *failures);
/* After a successful send: failures back to 0 and last_sent_at = at (never moved
 * back), for `n` ids (one statement; ids that left are ignored; n == 0 does nothing;
 * ETOOBIG over 1,000,000 ids). */
int store_subscribers_sent(struct store *s, const int64_t *ids, int n, int64_t at);
/* Unique subscribers of `platform` sent a business-initiated message at or after
 * `since` (those who left since are not counted). A scan of the subscribers (unindexed,
 * so that sends stay cheap): call it per broadcast or per minute, not per send. */
int store_subscribers_contacted(struct store *s, int platform, int64_t since, int64_t *count);
/* Subscribers of `platform` with failures >= threshold (>= 1). A scan, as above. */
int store_subscribers_unreachable(struct store *s, int platform, int threshold, int64_t *count);

/* --- a message's delivery on each platform other than WhatsApp (delivery/lane.h) --- */

enum store_lane_state {
	STORE_LANE_SENDING = 1,
	STORE_LANE_SENT = 2,
	STORE_LANE_PARTLY_FAILED = 3, /* finished, some recipients could not be reached */
	STORE_LANE_STOPPED = 4,       /* the message was cancelled or expired meanwhile */
};

struct store_message_platform {
	int64_t message_id;
	int platform;
	int state;          /* enum store_lane_state */
	int64_t cursor;     /* every subscriber id <= cursor has been settled */
	int64_t max_id;     /* the audience: subscribers of the platform with id <= max_id */
	int64_t total, sent, failed;
	int64_t started_at, finished_at; /* finished_at 0 while sending */
};

/* Starts the lane of (message_id, platform) in SENDING with its audience, unless it has
 * started already (then nothing changes: a restart resumes from the stored cursor).
 * BANDITORE_EINVAL for negative values. */
int store_lane_start(struct store *s, int64_t message_id, int platform, int64_t max_id,
		     int64_t total, int64_t at);
/* Moves the cursor (never back) and adds the counts; `state` > 0 sets the state, and a
 * finished state (SENT, PARTLY_FAILED, STOPPED) sets finished_at = at. ENOTFOUND. */
int store_lane_progress(struct store *s, int64_t message_id, int platform, int64_t cursor,
			int64_t d_sent, int64_t d_failed, int state, int64_t at);
int store_lane_get(struct store *s, int64_t message_id, int platform,
		   struct store_message_platform *out); /* ENOTFOUND */
/* The rows of a message, by platform, at most `max`. */
int store_lane_list(struct store *s, int64_t message_id, struct store_message_platform *out,
		    int max, int *n);
/* The next message the lane of `platform` has work on: started by the WhatsApp engine
 * (SENDING, SENT or PARTLY_FAILED), whose row for the platform is SENDING (a lane to
 * resume, however old) or missing (a lane to start, only if started at or after
 * `since`); emergencies first, then by id. ENOTFOUND when none. */
int store_lane_next(struct store *s, int platform, int64_t since, int64_t *message_id);

/* --- who a message reaches: the categories and areas subscribers choose --- */

/* A subscriber's choice is two bit masks, one per kind, 0 meaning "everything" (who never
 * chose, or chose "all"). Each category or area name has a stable bit, given on first use
 * and kept until the name is pruned. */
enum store_audience_kind { STORE_AUDIENCE_CATEGORY = 0, STORE_AUDIENCE_AREA = 1 };
#define STORE_AUDIENCE_BITS 63                      /* bits 0..62 name something */
#define STORE_AUDIENCE_NOBODY ((uint64_t)1 << 63)   /* in a filter: a name nobody chose */
#define STORE_AUDIENCE_NAME_MAX 64                  /* a name, with NUL */
#define STORE_TARGETS_MAX 1024                      /* a message's areas "a,b", with NUL */

/* A filter: a subscriber matches when, for each kind, the filter's mask is 0, or the
 * subscriber's is 0, or they share a bit. {0, 0} lets everyone through. */
struct store_audience {
	uint64_t categories;
	uint64_t areas;
};

/* The bit (0..62) of `name` of `kind` into *bit; -1 when it has none and `assign` is 0.
 * With `assign` 1 a name without one gets the lowest free bit (ETOOBIG when all are
 * taken). EINVAL for an empty name or one of STORE_AUDIENCE_NAME_MAX bytes or more. */
int store_audience_bit(struct store *s, int kind, const char *name, int assign, int *bit);
/* Forgets every name of `kind` not among live[0..n) and clears its bit from every
 * subscriber's choice and every message's filter first, so that a freed bit never
 * carries an old meaning.
 * *removed (may be NULL) how many names went. */
int store_audience_prune(struct store *s, int kind, const char *const *live, int n,
			 int *removed);
/* What subscriber (platform, hash) chose. ENOTFOUND when not a subscriber. Erasure takes
 * the choice with the subscriber's row. */
int store_subscriber_set_audience(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
				  uint64_t categories, uint64_t areas);
int store_subscriber_get_audience(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
				  uint64_t *categories, uint64_t *areas);
/* store_subscribers_page keeping only the subscribers `aud` matches (NULL: all). */
int store_subscribers_page_for(struct store *s, int platform, int64_t after_id, int64_t max_id,
			       int skip_failures, const struct store_audience *aud,
			       struct store_recipient *out, int max, int *n);
/* The page of message `message_id`'s recipients: store_subscribers_page_for with the
 * filter fixed at its approval (store_message_set_audience; none: everyone). What a
 * broadcast engine calls for each page. */
int store_message_recipients(struct store *s, int64_t message_id, int platform,
			     int64_t after_id, int64_t max_id, int skip_failures,
			     struct store_recipient *out, int max, int *n);
/* How many subscribers `aud` matches (NULL: all) on each platform p < n_platforms, into
 * counts[p]. One scan of the table: for the console and the API, not per send. */
int store_audience_count(struct store *s, const struct store_audience *aud, int64_t *counts,
			 int n_platforms);
/* A message's target areas, as the ids written by the editor ("a,b"; "" none), and the
 * filter its approval fixed. get gives "" and {0, 0} when none was set. ETOOBIG for
 * areas of STORE_TARGETS_MAX bytes or more. */
int store_message_set_areas(struct store *s, int64_t id, const char *areas);
int store_message_get_areas(struct store *s, int64_t id, char *out, size_t cap);
int store_message_set_audience(struct store *s, int64_t id, const struct store_audience *aud);
int store_message_get_audience(struct store *s, int64_t id, struct store_audience *out);

/* --- sends of a broadcast to try again later --- */

struct store_retry {
	int64_t message_id;
	int64_t subscriber_id;
	int attempts;
	int64_t not_before;
};

/* Adds or replaces the retry of (message_id, subscriber_id). */
int store_retry_put(struct store *s, const struct store_retry *r);
/* Up to `max` retries of `message_id` with not_before <= now, earliest first (then by
 * subscriber id). */
int store_retry_due(struct store *s, int64_t message_id, int64_t now, struct store_retry *out,
		    int max, int *n);
/* 0 also when it is gone already (an erasure may have taken it meanwhile). */
int store_retry_remove(struct store *s, int64_t message_id, int64_t subscriber_id);
/* How many retries `message_id` still has, and the earliest not_before (0 when none). */
int store_retry_pending(struct store *s, int64_t message_id, int64_t *count, int64_t *next);
/* Forgets every retry of a message (cancelled, expired or finished). */
int store_retry_clear(struct store *s, int64_t message_id);

/* --- API tokens: stored as SHA-256 of the secret, never the secret --- */

struct store_token {
	int64_t id;
	char name[64];
	uint8_t hash[CRYPTO_HASH_LEN];
	char scopes[128];   /* space-separated, e.g. "messages:write messages:read" */
	int64_t created_at;
	int64_t revoked_at; /* 0 while valid */
	char owner[64];     /* the staff account that made it ("" from the CLI): revoking
			     * the account revokes it */
};

/* BANDITORE_EEXIST when a valid token has this name already. */
int store_token_add(struct store *s, const struct store_token *t, int64_t *id);
/* The token whose secret hashes to `hash` (revoked ones too: check revoked_at). */
int store_token_find(struct store *s, const uint8_t hash[CRYPTO_HASH_LEN], struct store_token *out);
/* Revokes the valid token called `name` at `at` (> 0); ENOTFOUND when there is none.
 * The row stays, so that the secret is then found as revoked, and the name is free for
 * a new token. */
int store_token_revoke(struct store *s, const char *name, int64_t at);
/* Up to `max` tokens, oldest first. */
int store_token_list(struct store *s, struct store_token *out, int max, int *n);
/* Revokes every valid token of `owner` at `at`; *revoked (may be NULL) how many. */
int store_token_revoke_owner(struct store *s, const char *owner, int64_t at, int64_t *revoked);

/* --- staff: accounts, sessions, login throttling (staff/staff.h says what they mean) --- */

enum store_staff_role {
	STORE_ROLE_RESPONSABILE = 0, /* the legal representative (the mayor) */
	STORE_ROLE_GESTORE = 1,      /* communication office, press officer */
	STORE_ROLE_DELEGATO = 2,     /* appointed by decree, between two dates */
	STORE_ROLE_PROPONENTE = 3,   /* assessors, office heads, offices: propose only */
};

#define STORE_STAFF_NAME_MAX 64     /* with NUL */
#define STORE_STAFF_PASSWORD_MAX 160 /* an argon2id encoded hash, with NUL */
#define STORE_TOTP_SEALED_MAX 64

struct store_staff {
	int64_t id;
	char name[STORE_STAFF_NAME_MAX];
	char display_name[128];
	int role;                        /* enum store_staff_role */
	char password[STORE_STAFF_PASSWORD_MAX]; /* "$argon2id$..." (never the password) */
	char decree[64];                 /* the decree's number, delegates */
	int64_t decree_start, decree_end; /* valid from start (inclusive) to end (exclusive); 0: unset */
	uint8_t totp_sealed[STORE_TOTP_SEALED_MAX]; /* the TOTP secret, sealed; none when len 0 */
	size_t totp_sealed_len;
	int64_t totp_last_step;          /* the last time step accepted: codes are not reused */
	int64_t created_at;
	char created_by[STORE_STAFF_NAME_MAX];
	int64_t revoked_at;              /* 0 while valid */
};

/* BANDITORE_EEXIST when the name is taken (revoked accounts keep theirs). */
int store_staff_add(struct store *s, const struct store_staff *a, int64_t *id);
int store_staff_get(struct store *s, const char *name, struct store_staff *out); /* ENOTFOUND */
int store_staff_get_id(struct store *s, int64_t id, struct store_staff *out);    /* ENOTFOUND */
/* Rewrites every field but id, name, created_at and created_by of account a->id. */
int store_staff_update(struct store *s, const struct store_staff *a);
/* Up to `max` accounts (revoked ones too), in the order they were made. */
int store_staff_list(struct store *s, struct store_staff *out, int max, int *n);
/* Delegates not revoked whose decree has not ended at `now` (future ones count too). */
int store_staff_count_delegates(struct store *s, int64_t now, int64_t *count);

struct store_session {
	uint8_t id_hash[CRYPTO_HASH_LEN]; /* SHA-256 of the cookie's value */
	int64_t staff_id;
	char csrf[65];                    /* hex, the token forms and headers must carry */
	int64_t created_at, last_seen;
};
int store_session_add(struct store *s, const struct store_session *se);
int store_session_get(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN],
		      struct store_session *out); /* ENOTFOUND */
int store_session_touch(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], int64_t at);
int store_session_remove(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN]); /* 0 if gone */
/* Ends every session of account `staff_id`; *removed (may be NULL) how many. */
int store_session_remove_staff(struct store *s, int64_t staff_id, int64_t *removed);
/* Forgets sessions idle since before `idle_before` or made before `created_before`. */
int store_session_expire(struct store *s, int64_t idle_before, int64_t created_before);

/* Failed logins per key (a hash of an account name or of a source address). */
int store_throttle_get(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int *failures,
		       int64_t *locked_until); /* 0, 0 when unknown */
/* failures 0 and locked_until 0 forget the key. */
int store_throttle_set(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int failures,
		       int64_t locked_until, int64_t at);

/* Expelled addresses: a keyed hash (its own key, not the index's), so that the address
 * itself is erased and cannot be read back, while a new join from it is recognised. */
int store_block_add(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int64_t at);
int store_block_check(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
		      int *blocked);

/* --- the approval workflow of a message (beside its lifecycle state) --- */

enum store_review_status {
	STORE_REVIEW_NONE = 0,     /* a draft nobody has proposed yet */
	STORE_REVIEW_PROPOSED = 1, /* waiting for a gestore, delegato or responsabile */
	STORE_REVIEW_REJECTED = 2, /* sent back, with a reason */
	STORE_REVIEW_APPROVED = 3,
};

struct store_review {
	int64_t message_id;
	int status;                 /* enum store_review_status */
	char proposed_by[STORE_STAFF_NAME_MAX];
	int64_t proposed_at;
	char reviewed_by[STORE_STAFF_NAME_MAX];
	int64_t reviewed_at;
	char reason[501];           /* a rejection's reason */
	int self_approved;          /* 1: an emergency approved by its own proposer */
};
int store_review_get(struct store *s, int64_t message_id, struct store_review *out); /* ENOTFOUND */
int store_review_put(struct store *s, const struct store_review *r); /* insert or replace */
/* Up to `max` reviews in `status`, oldest message first. */
int store_review_list(struct store *s, int status, struct store_review *out, int max, int *n);

/* --- the audit log's rows (src/audit/ computes and checks them; see audit.h) --- */

#define STORE_AUDIT_DETAILS_MAX 4096

struct store_audit_entry {
	int64_t seq;                 /* 1, 2, 3, ... */
	int64_t at;
	char actor[64];              /* "staff:NAME", "token:NAME", "cli", "system" */
	char action[64];             /* "message.approve", ... */
	char object[128];            /* "message:12", ... or "" */
	char details[STORE_AUDIT_DETAILS_MAX + 1]; /* a JSON object */
	uint8_t prev_hash[CRYPTO_HASH_LEN];
	uint8_t hash[CRYPTO_HASH_LEN];
};

/* Appends a row as given; rows are never changed or removed afterwards.
 * BANDITORE_EEXIST when e->seq is taken, EINVAL for an unterminated or empty field. */
int store_audit_add(struct store *s, const struct store_audit_entry *e);
/* The row with the highest seq, or BANDITORE_ENOTFOUND when the log is empty. */
int store_audit_last(struct store *s, struct store_audit_entry *out);
/* Up to `max` rows with seq > after_seq and since <= at < until, in seq order. */
int store_audit_list(struct store *s, int64_t after_seq, int64_t since, int64_t until,
		     struct store_audit_entry *out, int max, int *n);
/* The newest row with this action and object, or BANDITORE_ENOTFOUND (e.g. whether
 * the daily counts of a day were recorded already). */
int store_audit_find(struct store *s, const char *action, const char *object,
		     struct store_audit_entry *out);
/* The anonymous counter `name` of `platform` on `day` ("YYYY-MM-DD"); 0 when none. */
int store_counter_day(struct store *s, const char *day, int platform, const char *name,
		      int64_t *value);

#endif
