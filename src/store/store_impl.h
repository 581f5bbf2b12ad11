/*
 * store_impl.h - what an implementation of store.h provides (private to src/store/).
 *
 * Callers hold a `struct store *` and call the store_* functions of store.h; store.c
 * forwards each call through the `ops` table of the implementation that store_open
 * chose from the URL. An implementation embeds `struct store` as the FIRST member of its
 * own connection struct, so that the pointer it hands out is both:
 *
 *     struct store_sqlite { struct store base; sqlite3 *db; ... };
 *     struct store_sqlite *q = (struct store_sqlite *)s;    inside store_sqlite*.c
 *
 * Adding PostgreSQL means writing one more table of functions and one more branch in
 * store_open; no caller changes. store.c checks `s` for NULL before dispatching; the
 * functions here may assume it is not, and validate everything else.
 */
#ifndef BANDITORE_STORE_IMPL_H
#define BANDITORE_STORE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One function pointer per operation of store.h, with the same meaning and contract. */
struct store_ops {
	const char *name; /* "sqlite", ... (for messages) */

	void (*free)(struct store *s);
	const char *(*errmsg)(struct store *s); /* never NULL; "" when nothing failed */

	int (*schema_version)(struct store *s, int *version);

	int (*begin)(struct store *s);
	int (*commit)(struct store *s);
	int (*rollback)(struct store *s);
	int (*savepoint)(struct store *s);
	int (*release)(struct store *s);
	int (*rollback_to)(struct store *s);
	int (*purge_log)(struct store *s);
	int (*log_watch)(struct store *s, void (*fn)(void *arg, int pages), void *arg);
	int (*checkpoint)(struct store *s, int restart);
	int (*defer_sync)(struct store *s, char *log_path, size_t cap);
	int (*set_cache)(struct store *s, int kib);

	int (*subscriber_get)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			      struct store_subscriber *out);
	int (*subscriber_add)(struct store *s, const struct store_subscriber *sub, int64_t *id);
	int (*subscriber_touch)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
				int64_t at);
	int (*sender_lookup)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			     const uint8_t block_hash[CRYPTO_HASH_LEN], int64_t at,
			     struct store_sender *out);
	int (*subscriber_erase)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
				int *erased);
	int (*subscriber_count)(struct store *s, int platform, int64_t *count);

	int (*event_mark)(struct store *s, const uint8_t event_hash[CRYPTO_HASH_LEN], int64_t now);
	int (*event_expire)(struct store *s, int64_t before, int64_t *removed);

	int (*autoreply_claim)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			       int64_t now, int64_t window, int *due);
	int (*autoreply_expire)(struct store *s, int64_t before);

	int (*counter_add)(struct store *s, const char *day, int platform, const char *name,
			   int64_t delta);
	int (*counter_sum)(struct store *s, int platform, const char *name, int64_t *total);

	int (*outbox_add)(struct store *s, const struct store_outbox_item *item, int64_t *id);
	int (*outbox_due)(struct store *s, int64_t now, const int64_t *skip, int n_skip,
			  struct store_outbox_item *items, int max, int *n);
	int (*outbox_remove)(struct store *s, int64_t id);
	int (*outbox_reschedule)(struct store *s, int64_t id, int attempts, int64_t not_before);
	int (*outbox_next_time)(struct store *s, int64_t *when);
	int (*outbox_count)(struct store *s, int64_t *count);

	int (*kept_add)(struct store *s, const struct store_kept_message *m, int64_t *id);
	int (*kept_list)(struct store *s, int64_t after_id, struct store_kept_message *out,
			 int max, int *n);
	int (*kept_remove)(struct store *s, int64_t id);
	int (*kept_expire)(struct store *s, int64_t now, int64_t *removed);
	int (*channel_post_add)(struct store *s, int64_t message_id, int64_t now);
	int (*channel_post_list)(struct store *s, int waiting, struct store_channel_post *out,
				 int max, int *n);
	int (*channel_post_get)(struct store *s, int64_t message_id, struct store_channel_post *out);
	int (*channel_post_mark)(struct store *s, int64_t message_id, const char *by, int64_t at);

	int (*message_add)(struct store *s, const struct store_message *m, int64_t *id);
	int (*message_get)(struct store *s, int64_t id, struct store_message *out);
	int (*media_referenced)(struct store *s, const char *sha256, int *referenced);
	int (*message_update)(struct store *s, const struct store_message *m);
	int (*message_transition)(struct store *s, int64_t id, int from, int to, int64_t at);
	int (*message_set_notes)(struct store *s, int64_t id, const char *notes);
	int (*message_set_media_id)(struct store *s, int64_t id, const char *media_id);
	int (*message_get_notes)(struct store *s, int64_t id, char **out);
	int (*message_approve)(struct store *s, int64_t id, int64_t at, int64_t audience_max_id,
			       int64_t audience);
	int (*message_next)(struct store *s, int64_t now, int priority_min,
			    struct store_message *out);
	int (*message_next_scheduled)(struct store *s, int64_t *when);
	int (*message_progress)(struct store *s, int64_t id, int64_t cursor, int64_t d_sent,
				int64_t d_failed, int64_t d_unreachable);
	int (*message_status)(struct store *s, int64_t id, const char *status, int64_t delta);
	int (*message_list)(struct store *s, int64_t before_id, struct store_message *out,
			    int max, int *n);
	int (*archive_list)(struct store *s, const struct store_archive_query *q,
			    struct store_message *out, int max, int *n, int64_t *total);

	int (*pending_put)(struct store *s, const struct store_pending *p);
	int (*pending_get_addr)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
				struct store_pending *out);
	int (*pending_take)(struct store *s, const uint8_t token_hash[CRYPTO_HASH_LEN],
			    struct store_pending *out);
	int (*pending_expire)(struct store *s, int64_t before, int64_t *removed);
	int (*pending_expire_platform)(struct store *s, int platform, int64_t before,
				       int64_t *removed);
	int (*pending_expire_queue)(struct store *s, int platform, int64_t before,
				    int64_t *removed);
	int (*pending_list)(struct store *s, int platform, int state, int64_t after_at,
			    const char *after_ref, struct store_pending *out, int max, int *n);
	int (*pending_get_ref)(struct store *s, const char *ref, struct store_pending *out);

	int (*subscribers_extent)(struct store *s, int platform, int64_t *max_id,
				  int64_t *count);
	int (*subscribers_page)(struct store *s, int platform, int64_t after_id, int64_t max_id,
				int skip_failures, struct store_recipient *out, int max, int *n);
	int (*subscriber_failed)(struct store *s, int64_t id, int *failures);
	int (*subscribers_sent)(struct store *s, const int64_t *ids, int n, int64_t at);
	int (*subscribers_contacted)(struct store *s, int platform, int64_t since,
				     int64_t *count);
	int (*subscribers_unreachable)(struct store *s, int platform, int threshold,
				       int64_t *count);

	int (*retry_put)(struct store *s, const struct store_retry *r);
	int (*retry_due)(struct store *s, int64_t message_id, int64_t now,
			 struct store_retry *out, int max, int *n);
	int (*retry_remove)(struct store *s, int64_t message_id, int64_t subscriber_id);
	int (*retry_pending)(struct store *s, int64_t message_id, int64_t *count, int64_t *next);
	int (*retry_clear)(struct store *s, int64_t message_id);

	int (*token_add)(struct store *s, const struct store_token *t, int64_t *id);
	int (*token_find)(struct store *s, const uint8_t hash[CRYPTO_HASH_LEN],
			  struct store_token *out);
	int (*token_revoke)(struct store *s, const char *name, int64_t at);
	int (*token_list)(struct store *s, struct store_token *out, int max, int *n);

	int (*audit_add)(struct store *s, const struct store_audit_entry *e);
	int (*audit_last)(struct store *s, struct store_audit_entry *out);
	int (*audit_list)(struct store *s, int64_t after_seq, int64_t since, int64_t until,
			  struct store_audit_entry *out, int max, int *n);
	int (*audit_find)(struct store *s, const char *action, const char *object,
			  struct store_audit_entry *out);
	int (*counter_day)(struct store *s, const char *day, int platform, const char *name,
			   int64_t *value);
	/* staff (store_sqlite_staff.c; token_revoke_owner in store_sqlite_tokens.c) */
	int (*staff_add)(struct store *s, const struct store_staff *a, int64_t *id);
	int (*staff_get)(struct store *s, const char *name, struct store_staff *out);
	int (*staff_get_id)(struct store *s, int64_t id, struct store_staff *out);
	int (*staff_update)(struct store *s, const struct store_staff *a);
	int (*staff_list)(struct store *s, struct store_staff *out, int max, int *n);
	int (*staff_count_delegates)(struct store *s, int64_t now, int64_t *count);
	int (*session_add)(struct store *s, const struct store_session *se);
	int (*session_get)(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], struct store_session *out);
	int (*session_touch)(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], int64_t at);
	int (*session_remove)(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN]);
	int (*session_remove_staff)(struct store *s, int64_t staff_id, int64_t *removed);
	int (*session_expire)(struct store *s, int64_t idle_before, int64_t created_before);
	int (*throttle_get)(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int *failures, int64_t *locked_until);
	int (*throttle_set)(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int failures, int64_t locked_until, int64_t at);
	int (*block_add)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int64_t at);
	int (*block_check)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int *blocked);
	int (*review_get)(struct store *s, int64_t message_id, struct store_review *out);
	int (*review_put)(struct store *s, const struct store_review *r);
	int (*review_list)(struct store *s, int status, struct store_review *out, int max, int *n);
	int (*token_revoke_owner)(struct store *s, const char *owner, int64_t at, int64_t *revoked);
	int (*audience_bit)(struct store *s, int kind, const char *name, int assign, int *bit);
	int (*audience_prune)(struct store *s, int kind, const char *const *live, int n, int *removed);
	int (*subscriber_set_audience)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], uint64_t categories, uint64_t areas);
	int (*subscriber_get_audience)(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], uint64_t *categories, uint64_t *areas);
	int (*subscribers_page_for)(struct store *s, int platform, int64_t after_id, int64_t max_id, int skip_failures, const struct store_audience *aud, struct store_recipient *out, int max, int *n);
	int (*message_recipients)(struct store *s, int64_t message_id, int platform, int64_t after_id, int64_t max_id, int skip_failures, struct store_recipient *out, int max, int *n);
	int (*audience_count)(struct store *s, const struct store_audience *aud, int64_t *counts, int n_platforms);
	int (*message_set_areas)(struct store *s, int64_t id, const char *areas);
	int (*message_get_areas)(struct store *s, int64_t id, char *out, size_t cap);
	int (*message_set_audience)(struct store *s, int64_t id, const struct store_audience *aud);
	int (*message_get_audience)(struct store *s, int64_t id, struct store_audience *out);
	int (*lane_start)(struct store *s, int64_t message_id, int platform, int64_t max_id,
			  int64_t total, int64_t at);
	int (*lane_progress)(struct store *s, int64_t message_id, int platform, int64_t cursor,
			     int64_t d_sent, int64_t d_failed, int state, int64_t at);
	int (*lane_get)(struct store *s, int64_t message_id, int platform,
			struct store_message_platform *out);
	int (*lane_list)(struct store *s, int64_t message_id, struct store_message_platform *out,
			 int max, int *n);
	int (*lane_next)(struct store *s, int platform, int64_t since, int64_t *message_id);
};

/* The header every implementation's connection struct starts with. */
struct store {
	const struct store_ops *ops;
};

/* --- the implementations store_open can choose --- */

/* Opens the SQLite database file at `path` (":memory:" for a private in-memory one),
 * creating it with mode 0600 and applying migrations. On failure returns the code,
 * leaves *out NULL and writes a reason (no personal data) into err[err_len]. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t err_len);

/* The newest schema version the SQLite migrations reach. Versions are logical: version N
 * means the same tables in every implementation, so this is also store_schema_latest(). */
int store_sqlite_schema_latest(void);

#endif
