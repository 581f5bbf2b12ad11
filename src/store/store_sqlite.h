/*
 * store_sqlite.h - the SQLite implementation's connection and its shared helpers
 * (private to src/store/store_sqlite*.c).
 *
 * The implementation is split by subject: store_sqlite.c (connection, settings,
 * transactions, the ops table), store_sqlite_subscribers.c, store_sqlite_inbound.c
 * (event ids, auto-reply marks, counters), store_sqlite_outbox.c, store_sqlite_kept.c,
 * store_sqlite_messages.c, store_sqlite_recipients.c (what a broadcast reads and writes
 * of subscribers), store_sqlite_retries.c, store_sqlite_tokens.c, store_sqlite_audit.c,
 * store_sqlite_staff.c (accounts, sessions, throttling, blocklist, reviews).
 *
 * Statements are prepared once per connection, on first use, into a slot of `stmt`
 * named below, and finalized by store_free. After each use a statement is reset (so no
 * read transaction stays open and blocks a WAL checkpoint) and its bindings cleared (so
 * it keeps no pointer to the caller's buffers, which are bound SQLITE_STATIC).
 */
#ifndef BANDITORE_STORE_SQLITE_H
#define BANDITORE_STORE_SQLITE_H

#include <sqlite3.h>

#include "store/store_impl.h"

enum store_sqlite_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	SQ_PURGE,
	SQ_SCHEMA_VERSION,
	SQ_SUB_GET,
	SQ_SUB_ADD,
	SQ_SUB_TOUCH,
	SQ_SUB_COUNT,
	SQ_ERASE_SUBSCRIBER,
	SQ_ERASE_OUTBOX,
	SQ_ERASE_KEPT,
	SQ_ERASE_AUTOREPLY,
	SQ_ERASE_RETRIES,
	SQ_EVENT_MARK,
	SQ_EVENT_EXPIRE,
	SQ_AUTOREPLY_CLAIM,
	SQ_AUTOREPLY_EXPIRE,
	SQ_COUNTER_ADD,
	SQ_COUNTER_SUM,
	SQ_OUTBOX_ADD,
	SQ_OUTBOX_DUE,
	SQ_OUTBOX_REMOVE,
	SQ_OUTBOX_RESCHEDULE,
	SQ_OUTBOX_NEXT,
	SQ_OUTBOX_COUNT,
	SQ_KEPT_ADD,
	SQ_KEPT_LIST,
	SQ_KEPT_REMOVE,
	SQ_KEPT_EXPIRE,
	SQ_CHANNEL_POST_ADD,
	SQ_CHANNEL_POST_WAITING,
	SQ_CHANNEL_POST_POSTED,
	SQ_CHANNEL_POST_GET,
	SQ_CHANNEL_POST_MARK,
	SQ_MSG_ADD,
	SQ_MSG_GET,
	SQ_MSG_UPDATE,
	SQ_MSG_TRANSITION,
	SQ_MSG_SET_NOTES,
	SQ_MSG_SET_MEDIA_ID,
	SQ_MSG_GET_NOTES,
	SQ_MSG_EXISTS,
	SQ_MSG_APPROVE,
	SQ_MSG_NEXT,
	SQ_MSG_NEXT_SCHEDULED,
	SQ_MSG_PROGRESS,
	SQ_MSG_STATUS,
	SQ_MSG_LIST,
	SQ_RCPT_EXTENT,
	SQ_RCPT_PAGE,
	SQ_RCPT_FAILED,
	SQ_RCPT_SENT,
	SQ_RCPT_CONTACTED,
	SQ_RCPT_UNREACHABLE,
	SQ_RETRY_PUT,
	SQ_RETRY_DUE,
	SQ_RETRY_REMOVE,
	SQ_RETRY_PENDING,
	SQ_RETRY_CLEAR,
	SQ_TOKEN_ADD,
	SQ_TOKEN_FIND,
	SQ_TOKEN_REVOKE,
	SQ_TOKEN_LIST,
	SQ_AUDIT_ADD,
	SQ_AUDIT_LAST,
	SQ_AUDIT_LIST,
	SQ_AUDIT_FIND,
	SQ_COUNTER_DAY,
	SQ_TOKEN_REVOKE_OWNER,
	SQ_STAFF_ADD,
	SQ_STAFF_GET,
	SQ_STAFF_GET_ID,
	SQ_STAFF_UPDATE,
	SQ_STAFF_LIST,
	SQ_STAFF_DELEGATES,
	SQ_SESSION_ADD,
	SQ_SESSION_GET,
	SQ_SESSION_TOUCH,
	SQ_SESSION_REMOVE,
	SQ_SESSION_REMOVE_STAFF,
	SQ_SESSION_EXPIRE,
	SQ_THROTTLE_GET,
	SQ_THROTTLE_SET,
	SQ_THROTTLE_CLEAR,
	SQ_BLOCK_ADD,
	SQ_BLOCK_CHECK,
	SQ_REVIEW_GET,
	SQ_REVIEW_PUT,
	SQ_REVIEW_LIST,
	SQ_FTS_DELETE,
	SQ_FTS_INSERT,
	SQ_PENDING_PUT,
	SQ_PENDING_GET_ADDR,
	SQ_PENDING_GET_TOKEN,
	SQ_PENDING_DELETE,
	SQ_PENDING_EXPIRE,
	SQ_PENDING_EXPIRE_PLATFORM,
	SQ_ERASE_PENDING,
	SQ_PENDING_EXPIRE_QUEUE,
	SQ_PENDING_LIST,
	SQ_PENDING_GET_REF,
	SQ_AUD_BIT_GET,
	SQ_AUD_BIT_ADD,
	SQ_AUD_SUB_SET,
	SQ_AUD_SUB_GET,
	SQ_AUD_PAGE,
	SQ_AUD_MSG_GET,
	SQ_AUD_MSG_SET,
	SQ_AUD_MSG_SET_AREAS,
	SQ_AUD_MSG_GET_AREAS,
	SQ_AUD_COUNT,
	SQ_SENDER_LOOKUP,
	SQ_ERASE_PROBE,
	SQ_COUNT
};

#define STORE_SQLITE_ERRMSG_MAX 256
#define STORE_SQLITE_COUNTER_NAME_MAX 64
#define STORE_SQLITE_COUNTERS_HELD 16
#define STORE_SQLITE_STATUSES_HELD 8

/* A counter increment held in memory until the transaction commits (store_sqlite_inbound.c). */
struct store_sqlite_counter {
	char day[11];
	int platform;
	char name[STORE_SQLITE_COUNTER_NAME_MAX + 1];
	int64_t delta;
};

/* Delivery statuses of one message held in memory until the transaction commits
 * (store_sqlite_messages.c): delivered, read, failed. */
struct store_sqlite_status {
	int64_t id;
	int64_t delta[3];
};

struct store_sqlite {
	struct store base; /* first: a struct store * is a struct store_sqlite * */
	sqlite3 *db;
	sqlite3_stmt *stmt[SQ_COUNT];
	char errmsg[STORE_SQLITE_ERRMSG_MAX];
	/* Inside a transaction, counter_add folds its increments here (one per day, platform
	 * and name) and they are written once, when the transaction commits: a batch of
	 * hundreds of events ran one upsert each on the same few rows. */
	struct store_sqlite_counter counters[STORE_SQLITE_COUNTERS_HELD];
	int n_counters;
	/* The same for message_status: a batch of webhook statuses rewrote the same message
	 * row once per status. */
	struct store_sqlite_status statuses[STORE_SQLITE_STATUSES_HELD];
	int n_statuses;
	int busy_ms; /* how long a busy database is waited for (busy_wait) */
	/* store_log_watch: told the WAL's size after every commit. */
	void (*watch_fn)(void *arg, int pages);
	void *watch_arg;
};

static inline struct store_sqlite *store_sqlite_of(struct store *s)
{
	return (struct store_sqlite *)s;
}

/* The cached statement in slot `id`, preparing `sql` into it the first time. NULL on
 * failure, with the reason recorded. Each slot must always be given the same SQL. */
sqlite3_stmt *store_sqlite_stmt(struct store_sqlite *q, enum store_sqlite_stmt id,
				const char *sql);

/* store_sqlite_vfs.c: the name of the VFS that empties the WAL by overwriting it with
 * zeros instead of truncating it (registered on first call), or NULL for the default. */
const char *store_sqlite_vfs(void);

/* Records "what: SQLite's message" as the connection's last error and maps the SQLite
 * result code `sqlite_rc` to a BANDITORE_E* code (ENOMEM or ESTORE). */
int store_sqlite_fail(struct store_sqlite *q, const char *what, int sqlite_rc);

/* Resets `st` and clears its bindings, ready for the next call. */
void store_sqlite_done(sqlite3_stmt *st);

/* Steps `st`, which returns no rows, to the end; then store_sqlite_done. 0 or the
 * mapped error (recorded as `what`). */
int store_sqlite_exec(struct store_sqlite *q, sqlite3_stmt *st, const char *what);

/* Steps `st`, which returns one integer (NULL counts as "no row"), into *value; then
 * store_sqlite_done. BANDITORE_ENOTFOUND when there is no row or it is NULL. */
int store_sqlite_int64(struct store_sqlite *q, sqlite3_stmt *st, const char *what,
		       int64_t *value);

/* Copies a BLOB column into out[cap]; BANDITORE_ESTORE when it does not fit. */
int store_sqlite_blob(struct store_sqlite *q, sqlite3_stmt *st, int col, uint8_t *out,
		      size_t cap, size_t *len);

/* Copies a TEXT column into out[cap] NUL-terminated; ESTORE when it does not fit. */
int store_sqlite_text(struct store_sqlite *q, sqlite3_stmt *st, int col, char *out, size_t cap);

/* The operations, one file per subject; store_sqlite.c gathers them in the ops table. */
int store_sqlite_subscriber_get(struct store *s, int platform,
				const uint8_t hash[CRYPTO_HASH_LEN], struct store_subscriber *out);
int store_sqlite_subscriber_add(struct store *s, const struct store_subscriber *sub,
				int64_t *id);
int store_sqlite_subscriber_touch(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], int64_t at);
int store_sqlite_sender_lookup(struct store *s, int platform,
			       const uint8_t hash[CRYPTO_HASH_LEN],
			       const uint8_t block_hash[CRYPTO_HASH_LEN], int64_t at,
			       struct store_sender *out);
int store_sqlite_subscriber_erase(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], int *erased);
int store_sqlite_subscriber_count(struct store *s, int platform, int64_t *count);

int store_sqlite_event_mark(struct store *s, const uint8_t event_hash[CRYPTO_HASH_LEN],
			    int64_t now);
int store_sqlite_event_expire(struct store *s, int64_t before, int64_t *removed);
int store_sqlite_autoreply_claim(struct store *s, int platform,
				 const uint8_t hash[CRYPTO_HASH_LEN], int64_t now, int64_t window,
				 int *due);
int store_sqlite_autoreply_expire(struct store *s, int64_t before);
int store_sqlite_counter_add(struct store *s, const char *day, int platform, const char *name,
			     int64_t delta);
int store_sqlite_counter_sum(struct store *s, int platform, const char *name, int64_t *total);
/* Writes the increments held in memory (before COMMIT, a savepoint, or a counter read);
 * store_sqlite_counters_drop forgets them (ROLLBACK, ROLLBACK TO: they all came after the
 * innermost savepoint, which flushed what came before it). */
int store_sqlite_counters_flush(struct store_sqlite *q);
void store_sqlite_counters_drop(struct store_sqlite *q);
/* The same for the delivery statuses held (store_sqlite_message_status), and both at once
 * (what COMMIT, savepoints and rollbacks do). */
int store_sqlite_statuses_flush(struct store_sqlite *q);
int store_sqlite_held_flush(struct store_sqlite *q);
void store_sqlite_held_drop(struct store_sqlite *q);

int store_sqlite_outbox_add(struct store *s, const struct store_outbox_item *item,
			    int64_t *id);
int store_sqlite_outbox_due(struct store *s, int64_t now, const int64_t *skip, int n_skip,
			    struct store_outbox_item *items, int max, int *n);
int store_sqlite_outbox_remove(struct store *s, int64_t id);
int store_sqlite_outbox_reschedule(struct store *s, int64_t id, int attempts,
				   int64_t not_before);
int store_sqlite_outbox_next_time(struct store *s, int64_t *when);
int store_sqlite_outbox_count(struct store *s, int64_t *count);

int store_sqlite_kept_add(struct store *s, const struct store_kept_message *m, int64_t *id);
int store_sqlite_kept_list(struct store *s, int64_t after_id, struct store_kept_message *out,
			   int max, int *n);
int store_sqlite_kept_remove(struct store *s, int64_t id);
int store_sqlite_kept_expire(struct store *s, int64_t now, int64_t *removed);
/* store_sqlite_channel.c */
int store_sqlite_channel_post_add(struct store *s, int64_t message_id, int64_t now);
int store_sqlite_channel_post_list(struct store *s, int waiting, struct store_channel_post *out,
				   int max, int *n);
int store_sqlite_channel_post_get(struct store *s, int64_t message_id,
				  struct store_channel_post *out);
int store_sqlite_channel_post_mark(struct store *s, int64_t message_id, const char *by,
				   int64_t at);

int store_sqlite_message_add(struct store *s, const struct store_message *m, int64_t *id);
int store_sqlite_message_get(struct store *s, int64_t id, struct store_message *out);
int store_sqlite_media_referenced(struct store *s, const char *sha256, int *referenced);
int store_sqlite_message_update(struct store *s, const struct store_message *m);
int store_sqlite_message_set_notes(struct store *s, int64_t id, const char *notes);
int store_sqlite_message_set_media_id(struct store *s, int64_t id, const char *media_id);
int store_sqlite_message_get_notes(struct store *s, int64_t id, char **out);
int store_sqlite_message_transition(struct store *s, int64_t id, int from, int to,
				    int64_t at);
int store_sqlite_message_approve(struct store *s, int64_t id, int64_t at,
				 int64_t audience_max_id, int64_t audience);
int store_sqlite_message_next(struct store *s, int64_t now, int priority_min,
			      struct store_message *out);
int store_sqlite_message_next_scheduled(struct store *s, int64_t *when);
int store_sqlite_message_progress(struct store *s, int64_t id, int64_t cursor, int64_t d_sent,
				  int64_t d_failed, int64_t d_unreachable);
int store_sqlite_message_status(struct store *s, int64_t id, const char *status,
				int64_t delta);
int store_sqlite_message_list(struct store *s, int64_t before_id, struct store_message *out,
			      int max, int *n);
int store_sqlite_archive_list(struct store *s, const struct store_archive_query *q,
			      struct store_message *out, int max, int *n, int64_t *total);
/* (Re)indexes message `id`'s title and text for the archive's search. */
int store_sqlite_archive_index(struct store_sqlite *q, int64_t id, const char *title,
			       const char *text);

int store_sqlite_pending_put(struct store *s, const struct store_pending *p);
int store_sqlite_pending_get_addr(struct store *s, int platform,
				  const uint8_t hash[CRYPTO_HASH_LEN], struct store_pending *out);
int store_sqlite_pending_take(struct store *s, const uint8_t token_hash[CRYPTO_HASH_LEN],
			      struct store_pending *out);
int store_sqlite_pending_expire(struct store *s, int64_t before, int64_t *removed);
int store_sqlite_pending_expire_platform(struct store *s, int platform, int64_t before,
					 int64_t *removed);
int store_sqlite_pending_expire_queue(struct store *s, int platform, int64_t before,
				      int64_t *removed);
int store_sqlite_pending_list(struct store *s, int platform, int state, int64_t after_at,
			      const char *after_ref, struct store_pending *out, int max, int *n);
int store_sqlite_pending_get_ref(struct store *s, const char *ref, struct store_pending *out);

int store_sqlite_subscribers_extent(struct store *s, int platform, int64_t *max_id,
				    int64_t *count);
int store_sqlite_subscribers_page(struct store *s, int platform, int64_t after_id,
				  int64_t max_id, int skip_failures, struct store_recipient *out,
				  int max, int *n);
int store_sqlite_subscriber_failed(struct store *s, int64_t id, int *failures);
int store_sqlite_subscribers_sent(struct store *s, const int64_t *ids, int n, int64_t at);
int store_sqlite_subscribers_contacted(struct store *s, int platform, int64_t since,
				       int64_t *count);
int store_sqlite_subscribers_unreachable(struct store *s, int platform, int threshold,
					 int64_t *count);

/* store_sqlite_audience.c */
int store_sqlite_audience_bit(struct store *s, int kind, const char *name, int assign, int *bit);
int store_sqlite_audience_prune(struct store *s, int kind, const char *const *live, int n,
				int *removed);
int store_sqlite_subscriber_set_audience(struct store *s, int platform,
					 const uint8_t hash[CRYPTO_HASH_LEN], uint64_t categories,
					 uint64_t areas);
int store_sqlite_subscriber_get_audience(struct store *s, int platform,
					 const uint8_t hash[CRYPTO_HASH_LEN], uint64_t *categories,
					 uint64_t *areas);
int store_sqlite_subscribers_page_for(struct store *s, int platform, int64_t after_id,
				      int64_t max_id, int skip_failures,
				      const struct store_audience *aud, struct store_recipient *out,
				      int max, int *n);
int store_sqlite_message_recipients(struct store *s, int64_t message_id, int platform,
				    int64_t after_id, int64_t max_id, int skip_failures,
				    struct store_recipient *out, int max, int *n);
int store_sqlite_audience_count(struct store *s, const struct store_audience *aud,
				int64_t *counts, int n_platforms);
int store_sqlite_message_set_areas(struct store *s, int64_t id, const char *areas);
int store_sqlite_message_get_areas(struct store *s, int64_t id, char *out, size_t cap);
int store_sqlite_message_set_audience(struct store *s, int64_t id,
				      const struct store_audience *aud);
int store_sqlite_message_get_audience(struct store *s, int64_t id, struct store_audience *out);

int store_sqlite_retry_put(struct store *s, const struct store_retry *r);
int store_sqlite_retry_due(struct store *s, int64_t message_id, int64_t now,
			   struct store_retry *out, int max, int *n);
int store_sqlite_retry_remove(struct store *s, int64_t message_id, int64_t subscriber_id);
int store_sqlite_retry_pending(struct store *s, int64_t message_id, int64_t *count,
			       int64_t *next);
int store_sqlite_retry_clear(struct store *s, int64_t message_id);

int store_sqlite_token_add(struct store *s, const struct store_token *t, int64_t *id);
int store_sqlite_token_find(struct store *s, const uint8_t hash[CRYPTO_HASH_LEN],
			    struct store_token *out);
int store_sqlite_token_revoke(struct store *s, const char *name, int64_t at);
int store_sqlite_token_list(struct store *s, struct store_token *out, int max, int *n);

int store_sqlite_audit_add(struct store *s, const struct store_audit_entry *e);
int store_sqlite_audit_last(struct store *s, struct store_audit_entry *out);
int store_sqlite_audit_list(struct store *s, int64_t after_seq, int64_t since, int64_t until,
			    struct store_audit_entry *out, int max, int *n);
int store_sqlite_audit_find(struct store *s, const char *action, const char *object,
			    struct store_audit_entry *out);
int store_sqlite_counter_day(struct store *s, const char *day, int platform, const char *name,
			     int64_t *value);

/* store_sqlite_staff.c (and store_sqlite_tokens.c for token_revoke_owner) */
int store_sqlite_staff_add(struct store *s, const struct store_staff *a, int64_t *id);
int store_sqlite_staff_get(struct store *s, const char *name, struct store_staff *out);
int store_sqlite_staff_get_id(struct store *s, int64_t id, struct store_staff *out);
int store_sqlite_staff_update(struct store *s, const struct store_staff *a);
int store_sqlite_staff_list(struct store *s, struct store_staff *out, int max, int *n);
int store_sqlite_staff_count_delegates(struct store *s, int64_t now, int64_t *count);
int store_sqlite_session_add(struct store *s, const struct store_session *se);
int store_sqlite_session_get(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], struct store_session *out);
int store_sqlite_session_touch(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], int64_t at);
int store_sqlite_session_remove(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN]);
int store_sqlite_session_remove_staff(struct store *s, int64_t staff_id, int64_t *removed);
int store_sqlite_session_expire(struct store *s, int64_t idle_before, int64_t created_before);
int store_sqlite_throttle_get(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int *failures, int64_t *locked_until);
int store_sqlite_throttle_set(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int failures, int64_t locked_until, int64_t at);
int store_sqlite_block_add(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int64_t at);
int store_sqlite_block_check(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int *blocked);
int store_sqlite_review_get(struct store *s, int64_t message_id, struct store_review *out);
int store_sqlite_review_put(struct store *s, const struct store_review *r);
int store_sqlite_review_list(struct store *s, int status, struct store_review *out, int max, int *n);
int store_sqlite_token_revoke_owner(struct store *s, const char *owner, int64_t at, int64_t *revoked);

/* store_sqlite_lanes.c: a message's delivery per platform. */
int store_sqlite_lane_start(struct store *s, int64_t message_id, int platform, int64_t max_id,
			    int64_t total, int64_t at);
int store_sqlite_lane_progress(struct store *s, int64_t message_id, int platform,
			       int64_t cursor, int64_t d_sent, int64_t d_failed, int state,
			       int64_t at);
int store_sqlite_lane_get(struct store *s, int64_t message_id, int platform,
			  struct store_message_platform *out);
int store_sqlite_lane_list(struct store *s, int64_t message_id,
			   struct store_message_platform *out, int max, int *n);
int store_sqlite_lane_next(struct store *s, int platform, int64_t since, int64_t *message_id);

#endif
