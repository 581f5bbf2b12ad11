/*
 * store.c - store_open picks an implementation from the URL; every other store_*
 * function forwards to it through the ops table (see store_impl.h).
 *
 * A failed store_open has no connection to keep its reason in, so the reason is kept
 * per thread and read with store_errmsg(NULL).
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/store_impl.h"

#define OPEN_ERR_MAX 256

static _Thread_local char open_err[OPEN_ERR_MAX];

/* 1 when `url` starts with "scheme://" (letters, digits, '+', '-', '.'), as in RFC 3986. */
static int has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);
	return strncmp(url, scheme, n) == 0 && strncmp(url + n, "://", 3) == 0;
}

static int has_any_scheme(const char *url)
{
	const char *p = url;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	return strncmp(p, "://", 3) == 0;
}

int store_open(const char *url, struct store **out)
{
	int rc;

	open_err[0] = '\0';
	if (!out)
		return BANDITORE_EINVAL;
	*out = NULL;
	if (!url || !*url) {
		snprintf(open_err, sizeof(open_err), "empty store URL");
		return BANDITORE_EINVAL;
	}
	if (has_scheme(url, "postgresql") || has_scheme(url, "postgres")) {
		snprintf(open_err, sizeof(open_err), "PostgreSQL store: not built yet");
		return BANDITORE_EINVAL;
	}
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	else if (has_any_scheme(url)) {
		snprintf(open_err, sizeof(open_err), "unknown store URL scheme");
		return BANDITORE_EINVAL;
	}
	if (!*url) {
		snprintf(open_err, sizeof(open_err), "empty SQLite path");
		return BANDITORE_EINVAL;
	}
	rc = store_sqlite_open(url, out, open_err, sizeof(open_err));
	if (rc)
		*out = NULL;
	return rc;
}

void store_free(struct store *s)
{
	if (s)
		s->ops->free(s);
}

const char *store_errmsg(struct store *s)
{
	return s ? s->ops->errmsg(s) : open_err;
}

int store_schema_latest(void)
{
	return store_sqlite_schema_latest();
}

void store_outbox_item_clear(struct store_outbox_item *item)
{
	if (!item)
		return;
	if (item->body) /* opened from its seal: what a citizen is told, maybe by staff */
		crypto_wipe(item->body, strlen(item->body));
	free(item->body);
	item->body = NULL;
}

void store_message_clear(struct store_message *m)
{
	if (!m)
		return;
	free(m->text);
	m->text = NULL;
}

/* Every remaining function only checks the handle and forwards. */
#define FORWARD(op, ...) return s ? s->ops->op(s, __VA_ARGS__) : BANDITORE_EINVAL
#define FORWARD0(op) return s ? s->ops->op(s) : BANDITORE_EINVAL

int store_schema_version(struct store *s, int *version) { FORWARD(schema_version, version); }
int store_begin(struct store *s) { FORWARD0(begin); }
int store_commit(struct store *s) { FORWARD0(commit); }
int store_rollback(struct store *s) { FORWARD0(rollback); }
int store_savepoint(struct store *s) { FORWARD0(savepoint); }
int store_release(struct store *s) { FORWARD0(release); }
int store_rollback_to(struct store *s) { FORWARD0(rollback_to); }
int store_purge_log(struct store *s) { FORWARD0(purge_log); }
int store_log_watch(struct store *s, void (*fn)(void *arg, int pages), void *arg)
{
	FORWARD(log_watch, fn, arg);
}
int store_checkpoint(struct store *s, int restart) { FORWARD(checkpoint, restart); }
int store_defer_sync(struct store *s, char *log_path, size_t cap) { FORWARD(defer_sync, log_path, cap); }
int store_set_cache(struct store *s, int kib) { FORWARD(set_cache, kib); }

int store_subscriber_get(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			 struct store_subscriber *out)
{
	FORWARD(subscriber_get, platform, hash, out);
}

int store_subscriber_add(struct store *s, const struct store_subscriber *sub, int64_t *id)
{
	FORWARD(subscriber_add, sub, id);
}

int store_subscriber_touch(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int64_t at)
{
	FORWARD(subscriber_touch, platform, hash, at);
}

int store_sender_lookup(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			const uint8_t block_hash[CRYPTO_HASH_LEN], int64_t at,
			struct store_sender *out)
{
	FORWARD(sender_lookup, platform, hash, block_hash, at, out);
}

int store_subscriber_erase(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   int *erased)
{
	FORWARD(subscriber_erase, platform, hash, erased);
}

int store_subscriber_count(struct store *s, int platform, int64_t *count)
{
	FORWARD(subscriber_count, platform, count);
}

int store_event_mark(struct store *s, const uint8_t event_hash[CRYPTO_HASH_LEN], int64_t now)
{
	FORWARD(event_mark, event_hash, now);
}

int store_event_expire(struct store *s, int64_t before, int64_t *removed)
{
	FORWARD(event_expire, before, removed);
}

int store_autoreply_claim(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			  int64_t now, int64_t window, int *due)
{
	FORWARD(autoreply_claim, platform, hash, now, window, due);
}

int store_autoreply_expire(struct store *s, int64_t before)
{
	FORWARD(autoreply_expire, before);
}

int store_counter_add(struct store *s, const char *day, int platform, const char *name,
		      int64_t delta)
{
	FORWARD(counter_add, day, platform, name, delta);
}

int store_counter_sum(struct store *s, int platform, const char *name, int64_t *total)
{
	FORWARD(counter_sum, platform, name, total);
}

int store_outbox_add(struct store *s, const struct store_outbox_item *item, int64_t *id)
{
	FORWARD(outbox_add, item, id);
}

int store_outbox_due(struct store *s, int64_t now, struct store_outbox_item *items, int max,
		     int *n)
{
	FORWARD(outbox_due, now, NULL, 0, items, max, n);
}

int store_outbox_due_skip(struct store *s, int64_t now, const int64_t *skip, int n_skip,
			  struct store_outbox_item *items, int max, int *n)
{
	FORWARD(outbox_due, now, skip, n_skip, items, max, n);
}

int store_outbox_remove(struct store *s, int64_t id) { FORWARD(outbox_remove, id); }

int store_outbox_reschedule(struct store *s, int64_t id, int attempts, int64_t not_before)
{
	FORWARD(outbox_reschedule, id, attempts, not_before);
}

int store_outbox_next_time(struct store *s, int64_t *when) { FORWARD(outbox_next_time, when); }
int store_outbox_count(struct store *s, int64_t *count) { FORWARD(outbox_count, count); }

int store_kept_add(struct store *s, const struct store_kept_message *m, int64_t *id)
{
	FORWARD(kept_add, m, id);
}

int store_kept_list(struct store *s, int64_t after_id, struct store_kept_message *out, int max,
		    int *n)
{
	FORWARD(kept_list, after_id, out, max, n);
}

int store_kept_remove(struct store *s, int64_t id) { FORWARD(kept_remove, id); }

int store_kept_expire(struct store *s, int64_t now, int64_t *removed)
{
	FORWARD(kept_expire, now, removed);
}

int store_channel_post_add(struct store *s, int64_t message_id, int64_t now)
{
	FORWARD(channel_post_add, message_id, now);
}

int store_channel_post_list(struct store *s, int waiting, struct store_channel_post *out, int max,
			    int *n)
{
	FORWARD(channel_post_list, waiting, out, max, n);
}

int store_channel_post_get(struct store *s, int64_t message_id, struct store_channel_post *out)
{
	FORWARD(channel_post_get, message_id, out);
}

int store_channel_post_mark(struct store *s, int64_t message_id, const char *by, int64_t at)
{
	FORWARD(channel_post_mark, message_id, by, at);
}

int store_message_add(struct store *s, const struct store_message *m, int64_t *id)
{
	FORWARD(message_add, m, id);
}

int store_message_get(struct store *s, int64_t id, struct store_message *out)
{
	FORWARD(message_get, id, out);
}

int store_media_referenced(struct store *s, const char *sha256, int *referenced)
{
	FORWARD(media_referenced, sha256, referenced);
}

int store_message_update(struct store *s, const struct store_message *m)
{
	FORWARD(message_update, m);
}

int store_message_transition(struct store *s, int64_t id, int from, int to, int64_t at)
{
	FORWARD(message_transition, id, from, to, at);
}

int store_message_set_notes(struct store *s, int64_t id, const char *notes)
{
	FORWARD(message_set_notes, id, notes);
}

int store_message_set_media_id(struct store *s, int64_t id, const char *media_id)
{
	FORWARD(message_set_media_id, id, media_id);
}

int store_message_get_notes(struct store *s, int64_t id, char **out)
{
	if (out)
		*out = NULL;
	if (!out)
		return BANDITORE_EINVAL;
	FORWARD(message_get_notes, id, out);
}

int store_message_approve(struct store *s, int64_t id, int64_t at, int64_t audience_max_id,
			  int64_t audience)
{
	FORWARD(message_approve, id, at, audience_max_id, audience);
}

int store_message_next(struct store *s, int64_t now, int priority_min, struct store_message *out)
{
	FORWARD(message_next, now, priority_min, out);
}

int store_message_next_scheduled(struct store *s, int64_t *when)
{
	FORWARD(message_next_scheduled, when);
}

int store_message_progress(struct store *s, int64_t id, int64_t cursor, int64_t d_sent,
			   int64_t d_failed, int64_t d_unreachable)
{
	FORWARD(message_progress, id, cursor, d_sent, d_failed, d_unreachable);
}

int store_message_status(struct store *s, int64_t id, const char *status, int64_t delta)
{
	FORWARD(message_status, id, status, delta);
}

int store_message_list(struct store *s, int64_t before_id, struct store_message *out, int max,
		       int *n)
{
	FORWARD(message_list, before_id, out, max, n);
}

int store_archive_list(struct store *s, const struct store_archive_query *q,
		       struct store_message *out, int max, int *n, int64_t *total)
{
	FORWARD(archive_list, q, out, max, n, total);
}

int store_pending_put(struct store *s, const struct store_pending *p)
{
	FORWARD(pending_put, p);
}

int store_pending_get_addr(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN],
			   struct store_pending *out)
{
	FORWARD(pending_get_addr, platform, hash, out);
}

int store_pending_take(struct store *s, const uint8_t token_hash[CRYPTO_HASH_LEN],
		       struct store_pending *out)
{
	FORWARD(pending_take, token_hash, out);
}

int store_pending_expire(struct store *s, int64_t before, int64_t *removed)
{
	FORWARD(pending_expire, before, removed);
}

int store_pending_expire_platform(struct store *s, int platform, int64_t before,
				  int64_t *removed)
{
	FORWARD(pending_expire_platform, platform, before, removed);
}

int store_pending_expire_queue(struct store *s, int platform, int64_t before,
			       int64_t *removed)
{
	FORWARD(pending_expire_queue, platform, before, removed);
}

int store_pending_list(struct store *s, int platform, int state, int64_t after_at,
		       const char *after_ref, struct store_pending *out, int max, int *n)
{
	FORWARD(pending_list, platform, state, after_at, after_ref, out, max, n);
}

int store_pending_get_ref(struct store *s, const char *ref, struct store_pending *out)
{
	FORWARD(pending_get_ref, ref, out);
}

int store_subscribers_extent(struct store *s, int platform, int64_t *max_id, int64_t *count)
{
	FORWARD(subscribers_extent, platform, max_id, count);
}

int store_subscribers_page(struct store *s, int platform, int64_t after_id, int64_t max_id,
			   int skip_failures, struct store_recipient *out, int max, int *n)
{
	FORWARD(subscribers_page, platform, after_id, max_id, skip_failures, out, max, n);
}

int store_subscriber_failed(struct store *s, int64_t id, int *failures)
{
	FORWARD(subscriber_failed, id, failures);
}

int store_subscribers_sent(struct store *s, const int64_t *ids, int n, int64_t at)
{
	FORWARD(subscribers_sent, ids, n, at);
}

int store_subscribers_contacted(struct store *s, int platform, int64_t since, int64_t *count)
{
	FORWARD(subscribers_contacted, platform, since, count);
}

int store_subscribers_unreachable(struct store *s, int platform, int threshold, int64_t *count)
{
	FORWARD(subscribers_unreachable, platform, threshold, count);
}

int store_retry_put(struct store *s, const struct store_retry *r) { FORWARD(retry_put, r); }

int store_retry_due(struct store *s, int64_t message_id, int64_t now, struct store_retry *out,
		    int max, int *n)
{
	FORWARD(retry_due, message_id, now, out, max, n);
}

int store_retry_remove(struct store *s, int64_t message_id, int64_t subscriber_id)
{
	FORWARD(retry_remove, message_id, subscriber_id);
}

int store_retry_pending(struct store *s, int64_t message_id, int64_t *count, int64_t *next)
{
	FORWARD(retry_pending, message_id, count, next);
}

int store_retry_clear(struct store *s, int64_t message_id) { FORWARD(retry_clear, message_id); }

int store_token_add(struct store *s, const struct store_token *t, int64_t *id)
{
	FORWARD(token_add, t, id);
}

int store_token_find(struct store *s, const uint8_t hash[CRYPTO_HASH_LEN], struct store_token *out)
{
	FORWARD(token_find, hash, out);
}

int store_token_revoke(struct store *s, const char *name, int64_t at)
{
	FORWARD(token_revoke, name, at);
}

int store_token_list(struct store *s, struct store_token *out, int max, int *n)
{
	FORWARD(token_list, out, max, n);
}

int store_audit_add(struct store *s, const struct store_audit_entry *e)
{
	FORWARD(audit_add, e);
}

int store_audit_last(struct store *s, struct store_audit_entry *out)
{
	FORWARD(audit_last, out);
}

int store_audit_list(struct store *s, int64_t after_seq, int64_t since, int64_t until,
		     struct store_audit_entry *out, int max, int *n)
{
	FORWARD(audit_list, after_seq, since, until, out, max, n);
}

int store_audit_find(struct store *s, const char *action, const char *object,
		     struct store_audit_entry *out)
{
	FORWARD(audit_find, action, object, out);
}

int store_counter_day(struct store *s, const char *day, int platform, const char *name,
		      int64_t *value)
{
	FORWARD(counter_day, day, platform, name, value);
}

int store_staff_add(struct store *s, const struct store_staff *a, int64_t *id) { FORWARD(staff_add, a, id); }
int store_staff_get(struct store *s, const char *name, struct store_staff *out) { FORWARD(staff_get, name, out); }
int store_staff_get_id(struct store *s, int64_t id, struct store_staff *out) { FORWARD(staff_get_id, id, out); }
int store_staff_update(struct store *s, const struct store_staff *a) { FORWARD(staff_update, a); }
int store_staff_list(struct store *s, struct store_staff *out, int max, int *n) { FORWARD(staff_list, out, max, n); }
int store_staff_count_delegates(struct store *s, int64_t now, int64_t *count) { FORWARD(staff_count_delegates, now, count); }
int store_session_add(struct store *s, const struct store_session *se) { FORWARD(session_add, se); }
int store_session_get(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], struct store_session *out) { FORWARD(session_get, id_hash, out); }
int store_session_touch(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN], int64_t at) { FORWARD(session_touch, id_hash, at); }
int store_session_remove(struct store *s, const uint8_t id_hash[CRYPTO_HASH_LEN]) { FORWARD(session_remove, id_hash); }
int store_session_remove_staff(struct store *s, int64_t staff_id, int64_t *removed) { FORWARD(session_remove_staff, staff_id, removed); }
int store_session_expire(struct store *s, int64_t idle_before, int64_t created_before) { FORWARD(session_expire, idle_before, created_before); }
int store_throttle_get(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int *failures, int64_t *locked_until) { FORWARD(throttle_get, key, failures, locked_until); }
int store_throttle_set(struct store *s, const uint8_t key[CRYPTO_HASH_LEN], int failures, int64_t locked_until, int64_t at) { FORWARD(throttle_set, key, failures, locked_until, at); }
int store_block_add(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int64_t at) { FORWARD(block_add, platform, hash, at); }
int store_block_check(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], int *blocked) { FORWARD(block_check, platform, hash, blocked); }
int store_review_get(struct store *s, int64_t message_id, struct store_review *out) { FORWARD(review_get, message_id, out); }
int store_review_put(struct store *s, const struct store_review *r) { FORWARD(review_put, r); }
int store_review_list(struct store *s, int status, struct store_review *out, int max, int *n) { FORWARD(review_list, status, out, max, n); }
int store_token_revoke_owner(struct store *s, const char *owner, int64_t at, int64_t *revoked) { FORWARD(token_revoke_owner, owner, at, revoked); }

int store_lane_start(struct store *s, int64_t message_id, int platform, int64_t max_id,
		     int64_t total, int64_t at)
{
	FORWARD(lane_start, message_id, platform, max_id, total, at);
}

int store_lane_progress(struct store *s, int64_t message_id, int platform, int64_t cursor,
			int64_t d_sent, int64_t d_failed, int state, int64_t at)
{
	FORWARD(lane_progress, message_id, platform, cursor, d_sent, d_failed, state, at);
}

int store_lane_get(struct store *s, int64_t message_id, int platform,
		   struct store_message_platform *out)
{
	FORWARD(lane_get, message_id, platform, out);
}

int store_lane_list(struct store *s, int64_t message_id, struct store_message_platform *out,
		    int max, int *n)
{
	FORWARD(lane_list, message_id, out, max, n);
}

int store_lane_next(struct store *s, int platform, int64_t since, int64_t *message_id)
{
	FORWARD(lane_next, platform, since, message_id);
}

/* --- the audience --- */
int store_audience_bit(struct store *s, int kind, const char *name, int assign, int *bit) { FORWARD(audience_bit, kind, name, assign, bit); }
int store_audience_prune(struct store *s, int kind, const char *const *live, int n, int *removed) { FORWARD(audience_prune, kind, live, n, removed); }
int store_subscriber_set_audience(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], uint64_t categories, uint64_t areas) { FORWARD(subscriber_set_audience, platform, hash, categories, areas); }
int store_subscriber_get_audience(struct store *s, int platform, const uint8_t hash[CRYPTO_HASH_LEN], uint64_t *categories, uint64_t *areas) { FORWARD(subscriber_get_audience, platform, hash, categories, areas); }
int store_subscribers_page_for(struct store *s, int platform, int64_t after_id, int64_t max_id, int skip_failures, const struct store_audience *aud, struct store_recipient *out, int max, int *n) { FORWARD(subscribers_page_for, platform, after_id, max_id, skip_failures, aud, out, max, n); }
int store_message_recipients(struct store *s, int64_t message_id, int platform, int64_t after_id, int64_t max_id, int skip_failures, struct store_recipient *out, int max, int *n) { FORWARD(message_recipients, message_id, platform, after_id, max_id, skip_failures, out, max, n); }
int store_audience_count(struct store *s, const struct store_audience *aud, int64_t *counts, int n_platforms) { FORWARD(audience_count, aud, counts, n_platforms); }
int store_message_set_areas(struct store *s, int64_t id, const char *areas) { FORWARD(message_set_areas, id, areas); }
int store_message_get_areas(struct store *s, int64_t id, char *out, size_t cap) { FORWARD(message_get_areas, id, out, cap); }
int store_message_set_audience(struct store *s, int64_t id, const struct store_audience *aud) { FORWARD(message_set_audience, id, aud); }
int store_message_get_audience(struct store *s, int64_t id, struct store_audience *out) { FORWARD(message_get_audience, id, out); }
