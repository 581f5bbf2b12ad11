/*
 * store_sqlite_messages.c - messages and their broadcasts in SQLite: the editable draft,
 * the lifecycle (every change of state one conditional UPDATE, so two processes cannot
 * both move a message), the sender's "what now?", and the durable progress and counters
 * of a broadcast.
 *
 * Lifecycle rules kept here, whatever the caller asks (store_message_transition):
 *
 *     DRAFT ──approve──▶ APPROVED | SCHEDULED          (only store_message_approve,
 *     DRAFT ──▶ CANCELLED | EXPIRED                      which fixes the audience)
 *     APPROVED, SCHEDULED ──▶ each other, SENDING, CANCELLED, EXPIRED, DRAFT
 *     SENDING ──▶ SENT | PARTLY_FAILED | CANCELLED | EXPIRED
 *     SENT, PARTLY_FAILED, CANCELLED, EXPIRED: final
 *
 * so that nothing reaches SENDING without an audience, and nothing leaves a final state.
 * Going back to DRAFT (approval withdrawn before sending) forgets the approval and its
 * audience.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/store_sqlite.h"

/* Every column, in the order read_message expects; the text is column 2, which the
 * listing replaces with NULL so as not to load it. */
#define MSG_COLS_HEAD "id, title, "
#define MSG_COLS_TAIL                                                                      \
	", category, link, media_sha256, media_type, media_name, media_size, media_id,"    \
	" priority, state, scheduled_at, expires_at, created_at, approved_at, started_at,"  \
	" finished_at, created_by, audience_max_id, audience, cursor, sent, delivered,"     \
	" read, failed, unreachable, replaces,"                                             \
	" (SELECT max(r.id) FROM messages AS r WHERE r.replaces = messages.id"             \
	"  AND r.state IN (4, 5))"
#define MSG_COLS MSG_COLS_HEAD "text" MSG_COLS_TAIL

/* The byte lengths of the editable fields, checked once and bound with them. */
struct msg_lens {
	size_t title, text, category, link, sha, type, name, media_id, created_by;
};

static int terminated(const char *s, size_t cap, size_t *len)
{
	*len = strnlen(s, cap);
	return *len < cap;
}

static int is_sha256_hex(const char *s, size_t len)
{
	if (len == 0)
		return 1; /* no attachment */
	if (len != 64)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* What the table's CHECKs would refuse, refused before SQL with a precise code. */
static int check_fields(const struct store_message *m, struct msg_lens *l)
{
	if (!terminated(m->title, sizeof(m->title), &l->title) ||
	    !terminated(m->category, sizeof(m->category), &l->category) ||
	    !terminated(m->link, sizeof(m->link), &l->link) ||
	    !terminated(m->media_sha256, sizeof(m->media_sha256), &l->sha) ||
	    !terminated(m->media_type, sizeof(m->media_type), &l->type) ||
	    !terminated(m->media_name, sizeof(m->media_name), &l->name) ||
	    !terminated(m->media_id, sizeof(m->media_id), &l->media_id) ||
	    !terminated(m->created_by, sizeof(m->created_by), &l->created_by))
		return BANDITORE_EINVAL;
	if (!is_sha256_hex(m->media_sha256, l->sha) || m->media_size < 0 ||
	    (m->priority != STORE_PRIORITY_NORMAL && m->priority != STORE_PRIORITY_EMERGENCY) ||
	    m->replaces < 0)
		return BANDITORE_EINVAL;
	l->text = m->text ? strnlen(m->text, STORE_TEXT_MAX + 1) : 0;
	if (l->text > STORE_TEXT_MAX)
		return BANDITORE_ETOOBIG;
	return 0;
}

/* Binds the editable fields as ?1..?12, the numbering the INSERT and UPDATE share (and
 * replaces as ?15: after the INSERT's ?13, ?14 and the UPDATE's ?13). */
static int bind_editable(sqlite3_stmt *st, const struct store_message *m,
			 const struct msg_lens *l)
{
	return sqlite3_bind_text(st, 1, m->title, (int)l->title, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 2, m->text ? m->text : "", (int)l->text, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 3, m->category, (int)l->category, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 4, m->link, (int)l->link, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 5, m->media_sha256, (int)l->sha, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 6, m->media_type, (int)l->type, SQLITE_STATIC) ||
	       sqlite3_bind_text(st, 7, m->media_name, (int)l->name, SQLITE_STATIC) ||
	       sqlite3_bind_int64(st, 8, m->media_size) ||
	       sqlite3_bind_text(st, 9, m->media_id, (int)l->media_id, SQLITE_STATIC) ||
	       sqlite3_bind_int(st, 10, m->priority) || sqlite3_bind_int64(st, 11, m->scheduled_at) ||
	       sqlite3_bind_int64(st, 12, m->expires_at) || sqlite3_bind_int64(st, 15, m->replaces);
}

int store_sqlite_message_add(struct store *s, const struct store_message *m, int64_t *id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct msg_lens l;
	sqlite3_stmt *st;
	int rc;

	if (!m || m->state != STORE_MSG_DRAFT)
		return BANDITORE_EINVAL;
	rc = check_fields(m, &l);
	if (rc)
		return rc;
	st = store_sqlite_stmt(q, SQ_MSG_ADD,
			       "INSERT INTO messages (title, text, category, link, media_sha256,"
			       " media_type, media_name, media_size, media_id, priority,"
			       " scheduled_at, expires_at, created_at, created_by, state, replaces)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
			       " 0, ?15)");
	if (!st)
		return BANDITORE_ESTORE;
	if (bind_editable(st, m, &l) || sqlite3_bind_int64(st, 13, m->created_at) ||
	    sqlite3_bind_text(st, 14, m->created_by, (int)l.created_by, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message add: bind", SQLITE_ERROR);
	}
	/* The row and its search index together (a savepoint nests in any transaction). */
	if (sqlite3_exec(q->db, "SAVEPOINT message_add", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message add: savepoint", sqlite3_errcode(q->db));
	}
	rc = store_sqlite_exec(q, st, "message add");
	if (!rc) {
		int64_t rowid = sqlite3_last_insert_rowid(q->db);
		rc = store_sqlite_archive_index(q, rowid, m->title, m->text);
		if (!rc && id)
			*id = rowid;
	}
	if (rc)
		sqlite3_exec(q->db, "ROLLBACK TO message_add", NULL, NULL, NULL);
	sqlite3_exec(q->db, "RELEASE message_add", NULL, NULL, NULL);
	return rc;
}

/* Fills *m from the current row; the text (when loaded) into memory the caller frees. */
static int read_message(struct store_sqlite *q, sqlite3_stmt *st, struct store_message *m,
			int with_text)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	rc = store_sqlite_text(q, st, 1, m->title, sizeof(m->title));
	if (!rc)
		rc = store_sqlite_text(q, st, 3, m->category, sizeof(m->category));
	if (!rc)
		rc = store_sqlite_text(q, st, 4, m->link, sizeof(m->link));
	if (!rc)
		rc = store_sqlite_text(q, st, 5, m->media_sha256, sizeof(m->media_sha256));
	if (!rc)
		rc = store_sqlite_text(q, st, 6, m->media_type, sizeof(m->media_type));
	if (!rc)
		rc = store_sqlite_text(q, st, 7, m->media_name, sizeof(m->media_name));
	if (!rc)
		rc = store_sqlite_text(q, st, 9, m->media_id, sizeof(m->media_id));
	if (!rc)
		rc = store_sqlite_text(q, st, 18, m->created_by, sizeof(m->created_by));
	if (rc)
		return rc;
	m->media_size = sqlite3_column_int64(st, 8);
	m->priority = sqlite3_column_int(st, 10);
	m->state = sqlite3_column_int(st, 11);
	m->scheduled_at = sqlite3_column_int64(st, 12);
	m->expires_at = sqlite3_column_int64(st, 13);
	m->created_at = sqlite3_column_int64(st, 14);
	m->approved_at = sqlite3_column_int64(st, 15);
	m->started_at = sqlite3_column_int64(st, 16);
	m->finished_at = sqlite3_column_int64(st, 17);
	m->audience_max_id = sqlite3_column_int64(st, 19);
	m->audience = sqlite3_column_int64(st, 20);
	m->cursor = sqlite3_column_int64(st, 21);
	m->sent = sqlite3_column_int64(st, 22);
	m->delivered = sqlite3_column_int64(st, 23);
	m->read = sqlite3_column_int64(st, 24);
	m->failed = sqlite3_column_int64(st, 25);
	m->unreachable = sqlite3_column_int64(st, 26);
	m->replaces = sqlite3_column_int64(st, 27);
	m->replaced_by = sqlite3_column_int64(st, 28); /* NULL (none) reads as 0 */
	if (with_text) {
		const unsigned char *text = sqlite3_column_text(st, 2);
		int n = sqlite3_column_bytes(st, 2);

		if (n < 0 || n > STORE_TEXT_MAX)
			return BANDITORE_ESTORE;
		if (!text && n > 0)
			return BANDITORE_ENOMEM;
		m->text = malloc((size_t)n + 1);
		if (!m->text)
			return BANDITORE_ENOMEM;
		if (n > 0)
			memcpy(m->text, text, (size_t)n);
		m->text[n] = '\0';
	}
	return 0;
}

/* Steps `st`, which returns at most one message, into *out (with its text). */
static int one_message(struct store_sqlite *q, sqlite3_stmt *st, const char *what,
		       struct store_message *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		rc = read_message(q, st, out, 1);
		if (rc)
			store_message_clear(out);
	} else if (rc == SQLITE_DONE) {
		rc = BANDITORE_ENOTFOUND;
	} else {
		rc = store_sqlite_fail(q, what, rc);
	}
	store_sqlite_done(st);
	return rc;
}

int store_sqlite_message_get(struct store *s, int64_t id, struct store_message *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!out)
		return BANDITORE_EINVAL;
	if (store_sqlite_statuses_flush(q)) /* the counters as this transaction has them */
		return BANDITORE_ESTORE;
	st = store_sqlite_stmt(q, SQ_MSG_GET, "SELECT " MSG_COLS " FROM messages WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message get: bind", SQLITE_ERROR);
	}
	return one_message(q, st, "message get", out);
}

int store_sqlite_media_referenced(struct store *s, const char *sha256, int *referenced)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int rc;

	if (!sha256 || !referenced)
		return BANDITORE_EINVAL;
	*referenced = 0;
	/* A few messages a day: a scan costs less than an index every insert would keep. */
	if (sqlite3_prepare_v2(q->db, "SELECT EXISTS (SELECT 1 FROM messages WHERE media_sha256 = ?1)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_fail(q, "media referenced: prepare", sqlite3_errcode(q->db));
	if (sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC))
		rc = store_sqlite_fail(q, "media referenced: bind", SQLITE_ERROR);
	else
		rc = store_sqlite_int64(q, st, "media referenced", &n);
	sqlite3_finalize(st);
	if (!rc)
		*referenced = n != 0;
	return rc;
}

/* Why a conditional UPDATE of message `id` changed nothing: ENOTFOUND when there is no
 * such message, else ESTATE (it is there, in another state). */
static int refusal(struct store_sqlite *q, int64_t id)
{
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_MSG_EXISTS, "SELECT 1 FROM messages WHERE id = ?1");
	int64_t one = 0;
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message exists: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_int64(q, st, "message exists", &one);
	return rc ? rc : BANDITORE_ESTATE;
}

/* Steps a conditional UPDATE of message `id`; nothing changed is refusal(). */
static int change(struct store_sqlite *q, sqlite3_stmt *st, int64_t id, const char *what)
{
	int rc = store_sqlite_exec(q, st, what);

	if (!rc && sqlite3_changes(q->db) == 0)
		rc = refusal(q, id);
	return rc;
}

int store_sqlite_message_update(struct store *s, const struct store_message *m)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct msg_lens l;
	sqlite3_stmt *st;
	int rc;

	if (!m)
		return BANDITORE_EINVAL;
	rc = check_fields(m, &l);
	if (rc)
		return rc;
	st = store_sqlite_stmt(q, SQ_MSG_UPDATE,
			       "UPDATE messages SET title = ?1, text = ?2, category = ?3, link = ?4,"
			       " media_sha256 = ?5, media_type = ?6, media_name = ?7,"
			       " media_size = ?8, media_id = ?9, priority = ?10,"
			       " scheduled_at = ?11, expires_at = ?12, replaces = ?15"
			       " WHERE id = ?13 AND state = 0");
	if (!st)
		return BANDITORE_ESTORE;
	if (bind_editable(st, m, &l) || sqlite3_bind_int64(st, 13, m->id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message update: bind", SQLITE_ERROR);
	}
	if (sqlite3_exec(q->db, "SAVEPOINT message_update", NULL, NULL, NULL) != SQLITE_OK) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message update: savepoint", sqlite3_errcode(q->db));
	}
	rc = change(q, st, m->id, "message update");
	if (!rc)
		rc = store_sqlite_archive_index(q, m->id, m->title, m->text);
	if (rc)
		sqlite3_exec(q->db, "ROLLBACK TO message_update", NULL, NULL, NULL);
	sqlite3_exec(q->db, "RELEASE message_update", NULL, NULL, NULL);
	return rc;
}

static int valid_state(int state)
{
	return state >= STORE_MSG_DRAFT && state <= STORE_MSG_EXPIRED;
}

static int is_final(int state)
{
	return state == STORE_MSG_SENT || state == STORE_MSG_PARTLY_FAILED ||
	       state == STORE_MSG_CANCELLED || state == STORE_MSG_EXPIRED;
}

/* The edges of the lifecycle in the file's top comment (approval is not one of them). */
static int allowed(int from, int to)
{
	if (from == to)
		return 0;
	switch (from) {
	case STORE_MSG_DRAFT:
		return to == STORE_MSG_CANCELLED || to == STORE_MSG_EXPIRED;
	case STORE_MSG_APPROVED:
	case STORE_MSG_SCHEDULED:
		return to == STORE_MSG_DRAFT || to == STORE_MSG_APPROVED ||
		       to == STORE_MSG_SCHEDULED || to == STORE_MSG_SENDING ||
		       to == STORE_MSG_CANCELLED || to == STORE_MSG_EXPIRED;
	case STORE_MSG_SENDING:
		return is_final(to);
	default:
		return 0;
	}
}

int store_sqlite_message_transition(struct store *s, int64_t id, int from, int to, int64_t at)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!valid_state(from) || !valid_state(to))
		return BANDITORE_EINVAL;
	if (!allowed(from, to))
		return refusal(q, id);
	/* The first time a message starts or ends is the one kept; back to DRAFT forgets
	 * the approval (a new approval fixes a new audience). */
	st = store_sqlite_stmt(q, SQ_MSG_TRANSITION,
			       "UPDATE messages SET state = ?3,"
			       " approved_at = CASE WHEN ?3 = 0 THEN 0"
			       "   WHEN ?3 IN (1, 2) AND approved_at = 0 THEN ?4 ELSE approved_at END,"
			       " audience_max_id = CASE WHEN ?3 = 0 THEN 0 ELSE audience_max_id END,"
			       " audience = CASE WHEN ?3 = 0 THEN 0 ELSE audience END,"
			       " started_at = CASE WHEN ?3 = 3 AND started_at = 0 THEN ?4"
			       "   ELSE started_at END,"
			       " finished_at = CASE WHEN ?3 >= 4 AND finished_at = 0 THEN ?4"
			       "   ELSE finished_at END"
			       " WHERE id = ?1 AND state = ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int(st, 2, from) ||
	    sqlite3_bind_int(st, 3, to) || sqlite3_bind_int64(st, 4, at)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message transition: bind", SQLITE_ERROR);
	}
	return change(q, st, id, "message transition");
}

int store_sqlite_message_approve(struct store *s, int64_t id, int64_t at,
				 int64_t audience_max_id, int64_t audience)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (audience_max_id < 0 || audience < 0)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_MSG_APPROVE,
			       "UPDATE messages SET"
			       " state = CASE WHEN scheduled_at > ?2 THEN 2 ELSE 1 END,"
			       " approved_at = ?2, audience_max_id = ?3, audience = ?4, cursor = 0"
			       " WHERE id = ?1 AND state = 0");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, at) ||
	    sqlite3_bind_int64(st, 3, audience_max_id) || sqlite3_bind_int64(st, 4, audience)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message approve: bind", SQLITE_ERROR);
	}
	return change(q, st, id, "message approve");
}

/* Emergencies first, then a broadcast already under way before a new one, then the
 * oldest. APPROVED is due whatever scheduled_at says ("send now" moves a SCHEDULED one
 * there); expiry is the caller's to check. The state IN (...) lookup uses messages_next,
 * so only the few active messages are sorted. */
int store_sqlite_message_next(struct store *s, int64_t now, int priority_min,
			      struct store_message *out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!out)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_MSG_NEXT,
			       "SELECT " MSG_COLS " FROM messages"
			       " WHERE state IN (1, 2, 3) AND priority >= ?2"
			       " AND (state <> 2 OR scheduled_at <= ?1)"
			       " ORDER BY priority DESC, state = 3 DESC, id LIMIT 1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, now) || sqlite3_bind_int(st, 2, priority_min)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message next: bind", SQLITE_ERROR);
	}
	return one_message(q, st, "message next", out);
}

int store_sqlite_message_next_scheduled(struct store *s, int64_t *when)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;

	if (!when)
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_MSG_NEXT_SCHEDULED,
			       "SELECT min(scheduled_at) FROM messages WHERE state = 2");
	if (!st)
		return BANDITORE_ESTORE;
	return store_sqlite_int64(q, st, "message next scheduled", when);
}

int store_sqlite_message_progress(struct store *s, int64_t id, int64_t cursor, int64_t d_sent,
				  int64_t d_failed, int64_t d_unreachable)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int rc;

	if (cursor < 0 || d_sent < 0 || d_failed < 0 || d_unreachable < 0)
		return BANDITORE_EINVAL;
	/* In any state: sends that happened are counted even if a cancel got in first. */
	st = store_sqlite_stmt(q, SQ_MSG_PROGRESS,
			       "UPDATE messages SET cursor = max(cursor, ?2), sent = sent + ?3,"
			       " failed = failed + ?4, unreachable = unreachable + ?5 WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, cursor) ||
	    sqlite3_bind_int64(st, 3, d_sent) || sqlite3_bind_int64(st, 4, d_failed) ||
	    sqlite3_bind_int64(st, 5, d_unreachable)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message progress: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "message progress");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

/* One UPDATE adding deltas[0..2] to delivered, read and failed; ENOTFOUND when the
 * message is gone. */
static int status_write(struct store_sqlite *q, int64_t id, const int64_t deltas[3])
{
	sqlite3_stmt *st = store_sqlite_stmt(q, SQ_MSG_STATUS,
					     "UPDATE messages SET delivered = delivered + ?2,"
					     " read = read + ?3, failed = failed + ?4 WHERE id = ?1");
	int rc;

	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, deltas[0]) ||
	    sqlite3_bind_int64(st, 3, deltas[1]) || sqlite3_bind_int64(st, 4, deltas[2])) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message status: bind", SQLITE_ERROR);
	}
	rc = store_sqlite_exec(q, st, "message status");
	if (!rc && sqlite3_changes(q->db) == 0)
		rc = BANDITORE_ENOTFOUND;
	return rc;
}

/* A message deleted while its statuses were held is no error: they count for nothing. */
int store_sqlite_statuses_flush(struct store_sqlite *q)
{
	int rc = 0;

	for (int i = 0; i < q->n_statuses && !rc; i++) {
		rc = status_write(q, q->statuses[i].id, q->statuses[i].delta);
		if (rc == BANDITORE_ENOTFOUND)
			rc = 0;
	}
	q->n_statuses = 0;
	return rc;
}

int store_sqlite_message_status(struct store *s, int64_t id, const char *status, int64_t delta)
{
	struct store_sqlite *q = store_sqlite_of(s);
	struct store_sqlite_status *h;
	int64_t deltas[3] = { 0, 0, 0 };
	int which, rc;

	if (!status || delta < 0)
		return BANDITORE_EINVAL;
	if (strcmp(status, "delivered") == 0)
		which = 0;
	else if (strcmp(status, "read") == 0)
		which = 1;
	else if (strcmp(status, "failed") == 0)
		which = 2;
	else
		return BANDITORE_EINVAL;
	if (sqlite3_get_autocommit(q->db)) { /* no transaction to fold into */
		deltas[which] = delta;
		return status_write(q, id, deltas);
	}
	for (int i = 0; i < q->n_statuses; i++) {
		if (q->statuses[i].id == id) {
			q->statuses[i].delta[which] += delta;
			return 0;
		}
	}
	if (q->n_statuses == STORE_SQLITE_STATUSES_HELD) {
		rc = store_sqlite_statuses_flush(q);
		if (rc)
			return rc;
	}
	h = &q->statuses[q->n_statuses++];
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->delta[which] = delta;
	return 0;
}

int store_sqlite_message_list(struct store *s, int64_t before_id, struct store_message *out,
			      int max, int *n)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	int got = 0, rc = 0;

	if (n)
		*n = 0;
	if (!out || !n || max < 0)
		return BANDITORE_EINVAL;
	if (store_sqlite_statuses_flush(q))
		return BANDITORE_ESTORE;
	if (max == 0)
		return 0;
	st = store_sqlite_stmt(q, SQ_MSG_LIST,
			       "SELECT " MSG_COLS_HEAD "NULL" MSG_COLS_TAIL " FROM messages"
			       " WHERE id < ?1 ORDER BY id DESC LIMIT ?2");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, before_id > 0 ? before_id : INT64_MAX) ||
	    sqlite3_bind_int(st, 2, max)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message list: bind", SQLITE_ERROR);
	}
	while (got < max) {
		int step = sqlite3_step(st);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_sqlite_fail(q, "message list", step);
			break;
		}
		rc = read_message(q, st, &out[got], 0);
		if (rc)
			break;
		got++;
	}
	store_sqlite_done(st);
	if (rc)
		return rc;
	*n = got;
	return 0;
}

int store_sqlite_message_set_notes(struct store *s, int64_t id, const char *notes)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t n = notes ? strnlen(notes, STORE_NOTES_MAX + 1) : 0;
	sqlite3_stmt *st;

	if (n > STORE_NOTES_MAX)
		return BANDITORE_ETOOBIG;
	st = store_sqlite_stmt(q, SQ_MSG_SET_NOTES,
			       "UPDATE messages SET policy_notes = ?2 WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_text(st, 2, notes ? notes : "", (int)n, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message notes: bind", SQLITE_ERROR);
	}
	return change(q, st, id, "message notes");
}

int store_sqlite_message_set_media_id(struct store *s, int64_t id, const char *media_id)
{
	struct store_sqlite *q = store_sqlite_of(s);
	size_t n = media_id ? strnlen(media_id, sizeof(((struct store_message *)0)->media_id)) : 0;
	sqlite3_stmt *st;

	if (n >= sizeof(((struct store_message *)0)->media_id))
		return BANDITORE_EINVAL;
	st = store_sqlite_stmt(q, SQ_MSG_SET_MEDIA_ID, "UPDATE messages SET media_id = ?2 WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_text(st, 2, media_id ? media_id : "", (int)n, SQLITE_STATIC)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message media id: bind", SQLITE_ERROR);
	}
	return change(q, st, id, "message media id");
}

int store_sqlite_message_get_notes(struct store *s, int64_t id, char **out)
{
	struct store_sqlite *q = store_sqlite_of(s);
	sqlite3_stmt *st;
	const unsigned char *text;
	int rc, n;

	st = store_sqlite_stmt(q, SQ_MSG_GET_NOTES, "SELECT policy_notes FROM messages WHERE id = ?1");
	if (!st)
		return BANDITORE_ESTORE;
	if (sqlite3_bind_int64(st, 1, id)) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message notes: bind", SQLITE_ERROR);
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		store_sqlite_done(st);
		return BANDITORE_ENOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		store_sqlite_done(st);
		return store_sqlite_fail(q, "message notes", rc);
	}
	text = sqlite3_column_text(st, 0);
	n = sqlite3_column_bytes(st, 0);
	*out = malloc((size_t)n + 1);
	if (!*out) {
		store_sqlite_done(st);
		return BANDITORE_ENOMEM;
	}
	if (n > 0 && text)
		memcpy(*out, text, (size_t)n);
	(*out)[n] = '\0';
	store_sqlite_done(st);
	return 0;
}
