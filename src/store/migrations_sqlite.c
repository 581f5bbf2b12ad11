/*
 * migrations_sqlite.c - the SQLite schema, as an ordered list of forward-only migrations,
 * and the code that applies them.
 *
 * Rules: a migration, once released, is never edited; a change is a new migration at the
 * end. `PRAGMA user_version` holds how many have been applied. Each migration and its
 * version bump commit together (BEGIN IMMEDIATE, so two processes starting at once do not
 * both apply it: the second re-reads the version inside its transaction and skips).
 *
 * Design notes on the schema
 * - Nobody's address is ever here in plaintext: `addr_hash` is an HMAC-SHA256 of the
 *   canonical address (the lookup key), `sealed` the AES-256-GCM ciphertext (only the
 *   sender opens it). Every table that says something about a person carries
 *   (platform, addr_hash) with an index on it, so that erasure is a handful of indexed
 *   DELETEs (store_subscriber_erase) and nothing is missed.
 * - No foreign keys between those tables: a reply is queued for people who are not (or
 *   no longer) subscribers, e.g. the confirmation that their data was erased.
 * - Tables are STRICT (types are checked) and bounded by CHECK constraints, so that a bug
 *   cannot quietly store something else than the code believes.
 * - Ids that another thread holds on to between reading and settling (outbox, kept
 *   messages) are AUTOINCREMENT: an id is never reused after its row was erased, so a late
 *   "remove item 42" cannot hit somebody else's row. Subscribers too, for the same reason.
 * - Keys that are looked up on every webhook event (events, autoreply, counters) live in
 *   WITHOUT ROWID tables: one b-tree instead of a table plus an index.
 * - Counters are anonymous: a day, a platform, a name, a number. They are what is left
 *   of a person after they leave.
 * - A broadcast keeps no row per recipient: its audience is "every subscriber of the
 *   platform with id <= audience_max_id", walked in rowid order, and its progress one
 *   cursor on the message. Only sends to try again later get a row (retries).
 *
 * The history is split by feature (registry, inbound, outbox, broadcasting) rather than
 * written as one script so that the upgrade path from every earlier version is exercised
 * from day one.
 */
#include "store/migrations_sqlite.h"

#include <stdio.h>

#include "common/err.h"

struct migration {
	const char *name; /* for error messages */
	const char *sql;
};

static const struct migration migrations[] = {
	{ "registry: subscribers and daily counters",
	  /* A subscriber is a consent receipt: when, how, under which policy version. */
	  "CREATE TABLE subscribers ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  platform INTEGER NOT NULL CHECK (platform >= 0),"
	  "  addr_hash BLOB NOT NULL CHECK (length(addr_hash) = 32),"
	  "  sealed BLOB NOT NULL CHECK (length(sealed) BETWEEN 1 AND 1024),"
	  "  joined_at INTEGER NOT NULL,"
	  "  method TEXT NOT NULL CHECK (length(method) < 16),"
	  "  policy_version TEXT NOT NULL CHECK (length(policy_version) < 65),"
	  "  last_inbound_at INTEGER NOT NULL,"
	  "  UNIQUE (platform, addr_hash)"
	  ") STRICT;"
	  /* The UNIQUE index above serves lookups, erasure and counts per platform. */
	  "CREATE TABLE counters ("
	  "  day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),"
	  "  platform INTEGER NOT NULL,"
	  "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
	  "  value INTEGER NOT NULL,"
	  "  PRIMARY KEY (day, platform, name)"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX counters_by_name ON counters (platform, name);" },

	{ "inbound: event deduplication, auto-reply marks, kept messages",
	  /* A keyed hash of the platform's event id; Meta retries for days. */
	  "CREATE TABLE events ("
	  "  event_hash BLOB PRIMARY KEY CHECK (length(event_hash) = 32),"
	  "  seen_at INTEGER NOT NULL"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX events_by_time ON events (seen_at);"
	  /* When the last auto-reply went to a sender: at most one per window. */
	  "CREATE TABLE autoreply ("
	  "  platform INTEGER NOT NULL,"
	  "  addr_hash BLOB NOT NULL CHECK (length(addr_hash) = 32),"
	  "  last_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (platform, addr_hash)"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX autoreply_by_time ON autoreply (last_at);"
	  /* Private messages kept sealed until staff answer them or they expire. */
	  "CREATE TABLE kept_messages ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  platform INTEGER NOT NULL,"
	  "  addr_hash BLOB NOT NULL CHECK (length(addr_hash) = 32),"
	  "  sealed_addr BLOB NOT NULL CHECK (length(sealed_addr) BETWEEN 1 AND 1024),"
	  "  sealed_text BLOB NOT NULL CHECK (length(sealed_text) <= 4096),"
	  "  received_at INTEGER NOT NULL,"
	  "  expires_at INTEGER NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX kept_by_addr ON kept_messages (platform, addr_hash);"
	  "CREATE INDEX kept_by_expiry ON kept_messages (expires_at);" },

	{ "outbox: replies persisted before the webhook is acknowledged",
	  /* (not_before, rowid) is the order the sender takes them in. */
	  "CREATE TABLE outbox ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  platform INTEGER NOT NULL,"
	  "  addr_hash BLOB NOT NULL CHECK (length(addr_hash) = 32),"
	  "  sealed BLOB NOT NULL CHECK (length(sealed) BETWEEN 1 AND 1024),"
	  "  kind TEXT NOT NULL CHECK (length(kind) < 16),"
	  "  body TEXT NOT NULL,"
	  "  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	  "  not_before INTEGER NOT NULL,"
	  "  created_at INTEGER NOT NULL"
	  ") STRICT;"
	  "CREATE INDEX outbox_by_time ON outbox (not_before);"
	  "CREATE INDEX outbox_by_addr ON outbox (platform, addr_hash);" },

	{ "broadcasting: messages, recipients' send state, retries, API tokens",
	  /* A message and its broadcast in one row: the lifecycle with its times, the
	   * audience fixed at approval, the durable cursor and the counters. Lengths are
	   * in bytes (CAST AS BLOB), as the C buffers are. */
	  "CREATE TABLE messages ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  title TEXT NOT NULL CHECK (length(CAST(title AS BLOB)) <= 200),"
	  "  text TEXT NOT NULL CHECK (length(CAST(text AS BLOB)) <= 4096),"
	  "  category TEXT NOT NULL CHECK (length(CAST(category AS BLOB)) <= 64),"
	  "  link TEXT NOT NULL CHECK (length(CAST(link AS BLOB)) <= 1024),"
	  "  media_sha256 TEXT NOT NULL CHECK (media_sha256 = '' OR"
	  "    (length(media_sha256) = 64 AND media_sha256 NOT GLOB '*[^0-9a-f]*')),"
	  "  media_type TEXT NOT NULL CHECK (length(CAST(media_type AS BLOB)) < 64),"
	  "  media_name TEXT NOT NULL CHECK (length(CAST(media_name AS BLOB)) < 256),"
	  "  media_size INTEGER NOT NULL CHECK (media_size >= 0),"
	  "  media_id TEXT NOT NULL CHECK (length(CAST(media_id AS BLOB)) < 128),"
	  "  priority INTEGER NOT NULL CHECK (priority IN (0, 1)),"
	  "  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 7),"
	  "  scheduled_at INTEGER NOT NULL,"
	  "  expires_at INTEGER NOT NULL,"
	  "  created_at INTEGER NOT NULL,"
	  "  approved_at INTEGER NOT NULL DEFAULT 0,"
	  "  started_at INTEGER NOT NULL DEFAULT 0,"
	  "  finished_at INTEGER NOT NULL DEFAULT 0,"
	  "  created_by TEXT NOT NULL CHECK (length(CAST(created_by AS BLOB)) < 64),"
	  "  audience_max_id INTEGER NOT NULL DEFAULT 0 CHECK (audience_max_id >= 0),"
	  "  audience INTEGER NOT NULL DEFAULT 0 CHECK (audience >= 0),"
	  "  cursor INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0),"
	  "  sent INTEGER NOT NULL DEFAULT 0 CHECK (sent >= 0),"
	  "  delivered INTEGER NOT NULL DEFAULT 0 CHECK (delivered >= 0),"
	  "  read INTEGER NOT NULL DEFAULT 0 CHECK (read >= 0),"
	  "  failed INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),"
	  "  unreachable INTEGER NOT NULL DEFAULT 0 CHECK (unreachable >= 0)"
	  ") STRICT;"
	  /* The sender's question, "what now?", looks up the few messages in states
	   * 1-3 (and min(scheduled_at) of state 2) here; listing walks the rowid. */
	  "CREATE INDEX messages_next ON messages (state, priority, scheduled_at, id);"
	  /* What the sender needs of each recipient. Deliberately NOT indexed:
	   * store_subscribers_sent rewrites last_sent_at (and failures) of every recipient,
	   * at tens of thousands a second, and an index on either column would turn each
	   * of those row updates into a row update plus an index delete and insert. The
	   * counts that would use one (contacted, unreachable) are occasional scans. */
	  "ALTER TABLE subscribers ADD COLUMN failures INTEGER NOT NULL DEFAULT 0"
	  "  CHECK (failures >= 0);"
	  "ALTER TABLE subscribers ADD COLUMN last_sent_at INTEGER NOT NULL DEFAULT 0;"
	  /* Sends of a broadcast to try again later: ids only (the address stays in
	   * subscribers), so a row says nothing about a person once that row is gone;
	   * erasure still removes them, by subscriber_id. */
	  "CREATE TABLE retries ("
	  "  message_id INTEGER NOT NULL,"
	  "  subscriber_id INTEGER NOT NULL,"
	  "  attempts INTEGER NOT NULL CHECK (attempts >= 0),"
	  "  not_before INTEGER NOT NULL,"
	  "  PRIMARY KEY (message_id, subscriber_id)"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX retries_due ON retries (message_id, not_before);"
	  "CREATE INDEX retries_by_subscriber ON retries (subscriber_id);"
	  /* API tokens: the SHA-256 of the secret, never the secret. A name is unique
	   * among valid tokens only, so a revoked name can be issued again. */
	  "CREATE TABLE api_tokens ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  name TEXT NOT NULL CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 63),"
	  "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
	  "  scopes TEXT NOT NULL CHECK (length(CAST(scopes AS BLOB)) < 128),"
	  "  created_at INTEGER NOT NULL,"
	  "  revoked_at INTEGER NOT NULL DEFAULT 0 CHECK (revoked_at >= 0)"
	  ") STRICT;"
	  "CREATE UNIQUE INDEX api_tokens_valid_name ON api_tokens (name)"
	  "  WHERE revoked_at = 0;" },
	{ "policy: the editor's notes kept with each message",
	  /* Why the message is indispensable during an electoral period and the reasons
	   * for each overridden warning, as JSON: the record the policies ask for, and
	   * what approving it later checks again. */
	  "ALTER TABLE messages ADD COLUMN policy_notes TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(CAST(policy_notes AS BLOB)) <= 16384);" },
	{ "audit: the append-only, hash-chained log of who did what",
	  /* seq is given by src/audit/ (last + 1), so a gap means a deleted row; the
	   * hashes are HMACs that only the key file can recompute. The triggers make the
	   * table append-only for every connection: changing it takes dropping them, on
	   * purpose, and `audit verify` then shows what was changed. No row names a
	   * subscriber. */
	  "CREATE TABLE audit_log ("
	  "  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
	  "  at INTEGER NOT NULL,"
	  "  actor TEXT NOT NULL CHECK (length(CAST(actor AS BLOB)) BETWEEN 1 AND 63),"
	  "  action TEXT NOT NULL CHECK (length(CAST(action AS BLOB)) BETWEEN 1 AND 63),"
	  "  object TEXT NOT NULL CHECK (length(CAST(object AS BLOB)) <= 127),"
	  "  details TEXT NOT NULL CHECK (length(CAST(details AS BLOB)) BETWEEN 2 AND 4096),"
	  "  prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
	  "  hash BLOB NOT NULL CHECK (length(hash) = 32)"
	  ") STRICT;"
	  "CREATE INDEX audit_log_by_action ON audit_log (action, object);"
	  "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	  "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	  "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;" },
	{ "staff: accounts, sessions, login throttling, expelled addresses, reviews of messages",
	  /* Accounts are never deleted (revoked_at), so that what they did keeps a name.
	   * password is an argon2id encoded hash; the TOTP secret is sealed. */
	  "CREATE TABLE staff ("
	  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	  "  name TEXT NOT NULL UNIQUE CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 63),"
	  "  display_name TEXT NOT NULL CHECK (length(CAST(display_name AS BLOB)) < 128),"
	  "  role INTEGER NOT NULL CHECK (role BETWEEN 0 AND 3),"
	  "  password TEXT NOT NULL CHECK (length(password) BETWEEN 1 AND 159),"
	  "  decree TEXT NOT NULL CHECK (length(CAST(decree AS BLOB)) < 64),"
	  "  decree_start INTEGER NOT NULL DEFAULT 0,"
	  "  decree_end INTEGER NOT NULL DEFAULT 0,"
	  "  totp_sealed BLOB NOT NULL CHECK (length(totp_sealed) <= 64),"
	  "  totp_last_step INTEGER NOT NULL DEFAULT 0,"
	  "  created_at INTEGER NOT NULL,"
	  "  created_by TEXT NOT NULL CHECK (length(CAST(created_by AS BLOB)) < 64),"
	  "  revoked_at INTEGER NOT NULL DEFAULT 0 CHECK (revoked_at >= 0)"
	  ") STRICT;"
	  /* A session is found by the SHA-256 of its cookie; the value is never stored. */
	  "CREATE TABLE staff_sessions ("
	  "  id_hash BLOB PRIMARY KEY CHECK (length(id_hash) = 32),"
	  "  staff_id INTEGER NOT NULL REFERENCES staff (id),"
	  "  csrf TEXT NOT NULL CHECK (length(csrf) = 64),"
	  "  created_at INTEGER NOT NULL,"
	  "  last_seen INTEGER NOT NULL"
	  ") STRICT, WITHOUT ROWID;"
	  "CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);"
	  /* Failed logins per hash of an account name or a source address. */
	  "CREATE TABLE login_throttle ("
	  "  key BLOB PRIMARY KEY CHECK (length(key) = 32),"
	  "  failures INTEGER NOT NULL CHECK (failures >= 0),"
	  "  locked_until INTEGER NOT NULL,"
	  "  updated_at INTEGER NOT NULL"
	  ") STRICT, WITHOUT ROWID;"
	  /* Expelled addresses: a keyed hash under a key of its own (not the index key),
	   * so nothing here links to other tables; the address itself is erased. */
	  "CREATE TABLE blocklist ("
	  "  platform INTEGER NOT NULL,"
	  "  block_hash BLOB NOT NULL CHECK (length(block_hash) = 32),"
	  "  blocked_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (platform, block_hash)"
	  ") STRICT, WITHOUT ROWID;"
	  /* The approval workflow beside a message's lifecycle state: proposed and
	   * rejected messages are DRAFT (0) there, so the sender never sees them and the
	   * states of migration 4 keep their numbers. */
	  "CREATE TABLE message_reviews ("
	  "  message_id INTEGER PRIMARY KEY,"
	  "  status INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),"
	  "  proposed_by TEXT NOT NULL CHECK (length(CAST(proposed_by AS BLOB)) < 64),"
	  "  proposed_at INTEGER NOT NULL,"
	  "  reviewed_by TEXT NOT NULL CHECK (length(CAST(reviewed_by AS BLOB)) < 64),"
	  "  reviewed_at INTEGER NOT NULL,"
	  "  reason TEXT NOT NULL CHECK (length(CAST(reason AS BLOB)) <= 500),"
	  "  self_approved INTEGER NOT NULL CHECK (self_approved IN (0, 1))"
	  ") STRICT;"
	  "CREATE INDEX message_reviews_by_status ON message_reviews (status, message_id);"
	  /* Tokens made by a staff account go with it when it is revoked. */
	  "ALTER TABLE api_tokens ADD COLUMN owner TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(CAST(owner AS BLOB)) < 64);" },
	{ "public archive: full-text search over the messages' titles and texts",
	  /* An FTS5 index folded like the keywords (unicode61, accents removed). It is kept
	   * by store_sqlite_message_add and _update in the same savepoint as the message
	   * row, not by triggers: with trusted_schema=OFF a trigger may not write to a
	   * virtual table. Title and text only change in DRAFT, so the broadcast's
	   * progress updates never touch it. */
	  "CREATE VIRTUAL TABLE messages_fts USING fts5(title, text,"
	  "  tokenize='unicode61 remove_diacritics 2');"
	  "INSERT INTO messages_fts (rowid, title, text) SELECT id, title, text FROM messages;" },
	{ "joins waiting for confirmation (e-mail double opt-in)",
	  /* The keyed hash of the link's secret, never the secret; the address sealed as in
	   * subscribers. One per address (asking again replaces it); unconfirmed ones are
	   * deleted after 48 hours by the daemon's maintenance, and erasure removes them. */
	  "CREATE TABLE pending_joins ("
	  "  token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),"
	  "  platform INTEGER NOT NULL,"
	  "  addr_hash BLOB NOT NULL CHECK (length(addr_hash) = 32),"
	  "  sealed BLOB NOT NULL,"
	  "  policy_version TEXT NOT NULL,"
	  "  created_at INTEGER NOT NULL,"
	  "  UNIQUE (platform, addr_hash)"
	  ") WITHOUT ROWID;"
	  "CREATE INDEX pending_joins_created ON pending_joins (created_at);" },
	{ "subscribers: the detail of a consent given elsewhere",
	  /* An imported broadcast list's original method ("lista broadcast", "modulo
	   * cartaceo"), kept with the receipt; the short kind stays in method ("import"). */
	  "ALTER TABLE subscribers ADD COLUMN consent_detail TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(consent_detail) < 128);" },
	{ "pending joins: front-desk requests and the moderation queue",
	  /* state 0 waits for the citizen's "Sì", 1 for staff (moderate_joins); method and
	   * consent_detail become the receipt's ("assisted" and the paper form's reference
	   * for a front-desk enrollment); ref is the random id staff see in the queue (64
	   * random bits: not UNIQUE, which INSERT OR REPLACE would turn into deleting). */
	  "ALTER TABLE pending_joins ADD COLUMN state INTEGER NOT NULL DEFAULT 0"
	  "  CHECK (state IN (0, 1));"
	  "ALTER TABLE pending_joins ADD COLUMN method TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(method) < 16);"
	  "ALTER TABLE pending_joins ADD COLUMN consent_detail TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(consent_detail) < 128);"
	  "ALTER TABLE pending_joins ADD COLUMN ref TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(ref) < 33);"
	  "CREATE INDEX pending_joins_ref ON pending_joins (ref) WHERE ref <> '';"
	  "CREATE INDEX pending_joins_state ON pending_joins (platform, state, created_at);" },
	{ "messages: the earlier message an update replaces",
	  /* A later message that corrects or updates one already sent (CAP msgType Update);
	   * 0 for none. The index answers "replaced by whom?" for the archive. */
	  "ALTER TABLE messages ADD COLUMN replaces INTEGER NOT NULL DEFAULT 0"
	  "  CHECK (replaces >= 0);"
	  "CREATE INDEX messages_replaces ON messages (replaces) WHERE replaces > 0;" },
	{ "per-platform delivery of a message (lanes)",
	  /* One row per message and platform other than WhatsApp (whose counts stay in
	   * messages): the lane's state (1 sending, 2 sent, 3 partly failed, 4 stopped by a
	   * cancel or expiry), its durable cursor (every subscriber id <= cursor settled),
	   * the audience bound fixed when the lane started (max_id) and its counts. No
	   * personal data. */
	  "CREATE TABLE message_platforms ("
	  "  message_id INTEGER NOT NULL,"
	  "  platform INTEGER NOT NULL CHECK (platform BETWEEN 1 AND 63),"
	  "  state INTEGER NOT NULL CHECK (state BETWEEN 1 AND 4),"
	  "  cursor INTEGER NOT NULL CHECK (cursor >= 0),"
	  "  max_id INTEGER NOT NULL CHECK (max_id >= 0),"
	  "  total INTEGER NOT NULL CHECK (total >= 0),"
	  "  sent INTEGER NOT NULL CHECK (sent >= 0),"
	  "  failed INTEGER NOT NULL CHECK (failed >= 0),"
	  "  started_at INTEGER NOT NULL,"
	  "  finished_at INTEGER NOT NULL,"
	  "  PRIMARY KEY (message_id, platform)"
	  ") STRICT, WITHOUT ROWID;" },
	{ "audience: the categories and areas subscribers choose and messages target",
	  /* Each category or area name gets a bit that keeps its meaning while the name
	   * exists (a reordered configuration changes nothing); a subscriber's choice is a
	   * mask per kind on its own row (0: everything), read by the broadcast's page scan
	   * at no extra cost. It goes with the row on erasure: nothing else about the person
	   * is kept. A message's target areas and the filter fixed at its approval live
	   * beside it in message_audience (no row: no filter). */
	  "CREATE TABLE audience_bits ("
	  "  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"
	  "  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 63),"
	  "  bit INTEGER NOT NULL CHECK (bit BETWEEN 0 AND 62),"
	  "  PRIMARY KEY (kind, name),"
	  "  UNIQUE (kind, bit)"
	  ") STRICT, WITHOUT ROWID;"
	  "ALTER TABLE subscribers ADD COLUMN categories INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE subscribers ADD COLUMN areas INTEGER NOT NULL DEFAULT 0;"
	  "CREATE TABLE message_audience ("
	  "  message_id INTEGER PRIMARY KEY,"
	  "  areas TEXT NOT NULL DEFAULT '' CHECK (length(areas) < 1024),"
	  "  categories_mask INTEGER NOT NULL DEFAULT 0,"
	  "  areas_mask INTEGER NOT NULL DEFAULT 0"
	  ") STRICT;" },
	{ "posting tasks of a WhatsApp Channel (channel_mode = manual)",
	  /* One row per approved message while the Channel is posted by hand: when it was
	   * approved, when and by whom (a staff or token name) it was posted. No personal
	   * data. */
	  "CREATE TABLE channel_posts ("
	  "  message_id INTEGER PRIMARY KEY,"
	  "  created_at INTEGER NOT NULL,"
	  "  posted_at INTEGER NOT NULL DEFAULT 0 CHECK (posted_at >= 0),"
	  "  posted_by TEXT NOT NULL DEFAULT '' CHECK (length(posted_by) < 80)"
	  ") STRICT;"
	  "CREATE INDEX channel_posts_waiting ON channel_posts (posted_at, created_at);" },
	{ "audience: counting who a target reaches without reading the table",
	  /* GET /api/v1/audience and the console count the subscribers a category and areas
	   * reach on every platform: from this covering index, 0.39 s instead of 1.3 s for
	   * 1,100,000 subscribers (bench/audience). The broadcast's walk keeps the rowid
	   * (`+platform`), and no send writes these columns, so sends do not pay for it. */
	  "CREATE INDEX subscribers_audience ON subscribers (platform, categories, areas);" },
	{ "outbox: the body sealed at rest",
	  /* A staff reply's body is what staff wrote to a citizen: AES-256-GCM sealed
	   * (store_seal.h) here, `body` left empty. Rows queued before keep their body
	   * and are read as they are until sent. */
	  "ALTER TABLE outbox ADD COLUMN body_sealed BLOB"
	  "  CHECK (body_sealed IS NULL OR length(body_sealed) BETWEEN 28 AND 65564);" },
	{ "outbox: replies the sender builds from the configuration",
	  /* A confirmation of joining or leaving, an auto-reply: the same words for everyone,
	   * from the configuration, so a row names the reply (`canned`) instead of holding a
	   * sealed copy of it (600-700 bytes each, sealed at every join and leave). */
	  "ALTER TABLE outbox ADD COLUMN canned TEXT NOT NULL DEFAULT ''"
	  "  CHECK (length(canned) < 24);" },
};

#define MIGRATIONS_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_sqlite_migrations_latest(void)
{
	return MIGRATIONS_COUNT;
}

int store_sqlite_user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return BANDITORE_ESTORE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : BANDITORE_ESTORE;
}

/* Runs `sql`; on failure writes "what: reason" into err. */
static int run(sqlite3 *db, const char *sql, const char *what, char *err, size_t err_len)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, err_len, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return BANDITORE_ESTORE;
}

static int refuse_newer(int version, int target, char *err, size_t err_len)
{
	snprintf(err, err_len,
		 "database schema version %d is newer than %d, the newest this build knows: "
		 "refusing to use it (upgrade Banditore)",
		 version, target);
	return BANDITORE_ESTORE;
}

/* Applies migration number `next` (0-based) unless another connection already did. */
static int apply_one(sqlite3 *db, int next, int target, char *err, size_t err_len)
{
	char what[128], bump[48];
	int version = 0, rc;

	rc = run(db, "BEGIN IMMEDIATE", "migration: begin", err, err_len);
	if (rc)
		return rc;
	rc = store_sqlite_user_version(db, &version);
	if (rc) {
		snprintf(err, err_len, "migration: reading the version: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (version > target) {
		rc = refuse_newer(version, target, err, err_len);
		goto fail;
	}
	if (version > next) /* somebody else got there first */
		return run(db, "COMMIT", "migration: commit", err, err_len);
	snprintf(what, sizeof(what), "migration %d (%s)", next + 1, migrations[next].name);
	rc = run(db, migrations[next].sql, what, err, err_len);
	if (rc)
		goto fail;
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", next + 1);
	rc = run(db, bump, what, err, err_len);
	if (rc)
		goto fail;
	rc = run(db, "COMMIT", what, err, err_len);
	if (rc)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int store_sqlite_migrate(sqlite3 *db, int target, char *err, size_t err_len)
{
	int version = 0, rc;

	if (!db || target < 0 || target > MIGRATIONS_COUNT) {
		snprintf(err, err_len, "migration: no such version %d", target);
		return BANDITORE_EINVAL;
	}
	rc = store_sqlite_user_version(db, &version);
	if (rc) {
		snprintf(err, err_len, "migration: reading the version: %s", sqlite3_errmsg(db));
		return rc;
	}
	if (version > target)
		return refuse_newer(version, target, err, err_len);
	while (version < target) {
		rc = apply_one(db, version, target, err, err_len);
		if (rc)
			return rc;
		rc = store_sqlite_user_version(db, &version);
		if (rc) {
			snprintf(err, err_len, "migration: reading the version: %s",
				 sqlite3_errmsg(db));
			return rc;
		}
	}
	return 0;
}

int store_sqlite_migrate_to(const char *path, int version)
{
	char err[256];
	sqlite3 *db = NULL;
	int rc;

	if (sqlite3_open_v2(path, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return BANDITORE_ESTORE;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = store_sqlite_migrate(db, version, err, sizeof(err));
	sqlite3_close(db);
	return rc;
}
