/*
 * audit.h - the comune's audit log: who did what, append-only and hash-chained.
 *
 * Every state change that staff, API clients, the CLI or the daemon make is appended as
 * one entry: a sequence number (1, 2, 3, ... with no gap), the time, the actor, a stable
 * action id, the object it concerns and a small JSON object of details. Each entry
 * carries the hash of the one before (prev_hash; 32 zero bytes for entry 1) and its own
 * hash, so that `banditore audit verify` finds any entry altered, inserted, deleted or
 * moved, and names the first one.
 *
 * The hash is KEYED: hash = HMAC-SHA256(audit key, canonical encoding), the audit key
 * being derived from the data folder's master key (keyfile.h, label "banditore audit
 * v1"). Somebody holding only the database file can change a row and recompute a plain
 * SHA-256 chain from there on; they cannot recompute this one without the key file too.
 * (Whoever holds both can rewrite the whole log: keep the key file apart, and note the
 * head that `verify` prints somewhere else now and then to detect a rewrite or a
 * truncation of the newest entries, which no chain alone can show.)
 *
 * Canonical encoding, version 1 (what the HMAC covers), all integers big-endian:
 *     "banditore-audit-v1" (18 bytes, no terminator)
 *     seq   8 bytes, signed
 *     at    8 bytes, signed (Unix seconds)
 *     actor, action, object, details: each as a 4-byte length then that many bytes
 *           (UTF-8, no terminator)
 *     prev_hash 32 bytes
 * Length prefixes make the encoding unambiguous ("ab"+"c" differs from "a"+"bc").
 * Details are stored, and hashed, as jansson writes them compact with sorted keys, so
 * the same facts always give the same bytes.
 *
 * What the audit NEVER holds: a subscriber's address, or anything that leads back to
 * one (no pseudonym, no keyed hash). Joins and leaves appear only as anonymous daily
 * counts ("counts.daily"), an erasure on request as "one subscriber erased on request"
 * with who did it. Callers must not put personal data of citizens in object or details.
 *
 * How to append (inside the transaction of the change it records, so both commit or
 * neither does: in the daemon inside the writer job's apply(), in the CLI between
 * store_begin and store_commit):
 *
 *     struct audit_keys ak;
 *     audit_keys_from(&ak, &keys);                 // keys: struct keyfile_keys
 *     rc = audit_append(st, &ak, "staff:mario.rossi", "staff.create",
 *                       "staff:anna.bianchi", "{\"role\":\"delegato\"}", now, NULL);
 *
 * Actors:  "staff:<account>", "token:<API token name>", "cli", "system".
 * Objects: "message:<id>", "token:<name>", "staff:<account>", "subscriber" (never an
 *          address), "day:<YYYY-MM-DD>", "config", or "" when there is none.
 * Actions: "<subject>.<verb>", lower case, stable (documented in docs/guida-operatore.md):
 *     message.create message.approve message.reject message.cancel message.send
 *     message.finished token.create token.revoke staff.create staff.revoke ...
 *     subscriber.erase_on_request subscriber.warn subscriber.expel policy.override
 *     config.reload counts.daily
 */
#ifndef BANDITORE_AUDIT_H
#define BANDITORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/keyfile.h"
#include "store/store.h"

struct audit_keys {
	uint8_t mac[CRYPTO_KEY_LEN]; /* HMAC-SHA256 key of the chain */
};

/* Takes the audit key out of the data folder's keys. */
void audit_keys_from(struct audit_keys *k, const struct keyfile_keys *keys);

/* Appends one entry at time `now`, after the newest one, in the caller's transaction
 * (st must be inside store_begin/store_commit or a writer job: the read of the newest
 * entry and the insert must not be split). All strings are borrowed.
 *   actor:   1..63 bytes, printable (no control characters)
 *   action:  1..63 bytes of [a-z0-9_.]
 *   object:  0..127 bytes, printable; NULL counts as ""
 *   details: a JSON object as text, at most STORE_AUDIT_DETAILS_MAX bytes once
 *            re-encoded; NULL counts as {}
 * *seq (may be NULL) gets the new entry's number. BANDITORE_EINVAL for a field that
 * breaks these rules (nothing is appended), or the store's error. */
int audit_append(struct store *st, const struct audit_keys *k, const char *actor,
		 const char *action, const char *object, const char *details_json, int64_t now,
		 int64_t *seq);

/* The canonical encoding of `e` (ignoring e->hash) into out[cap]; *len gets its
 * length. BANDITORE_ETOOBIG when cap is too small (AUDIT_ENCODING_MAX always is). */
#define AUDIT_ENCODING_MAX (18 + 8 + 8 + 4 * 4 + sizeof(((struct store_audit_entry *)0)->actor) + \
			    sizeof(((struct store_audit_entry *)0)->action) +                   \
			    sizeof(((struct store_audit_entry *)0)->object) +                   \
			    sizeof(((struct store_audit_entry *)0)->details) + CRYPTO_HASH_LEN)
int audit_encode(const struct store_audit_entry *e, uint8_t *out, size_t cap, size_t *len);

/* e's hash as it should be: HMAC-SHA256(k, audit_encode(e)). */
int audit_hash(const struct audit_keys *k, const struct store_audit_entry *e,
	       uint8_t out[CRYPTO_HASH_LEN]);

/* What verify found first. */
enum audit_problem {
	AUDIT_INTACT = 0,
	AUDIT_ALTERED,      /* the entry's content was changed after it was written */
	AUDIT_INSERTED,     /* the entry was not written by Banditore; later ones moved up */
	AUDIT_DELETED,      /* the entry is missing (seq names the first missing one) */
	AUDIT_REORDERED,    /* the entry and the next one were swapped */
	AUDIT_FORGED,       /* not authentic: altered, or added (newest entry: can't tell) */
	AUDIT_CHAIN_BROKEN, /* authentic, but it does not follow the entry before it */
};

struct audit_report {
	int64_t entries;   /* how many entries were read */
	int64_t first_at, last_at;
	int64_t last_seq;  /* the newest entry's number (0 when empty) */
	uint8_t last_hash[CRYPTO_HASH_LEN];
	int problem;       /* enum audit_problem */
	int64_t seq;       /* the first broken entry (0 when intact) */
};

/* Appends "counts.daily" for `day` ("YYYY-MM-DD", UTC, as the store's counters) by
 * "system", object "day:DAY", details {"counts": {"whatsapp": {"join": 3, "leave": 1},
 * ...}, "day": DAY} (platforms and names with no event are left out), unless that day
 * was recorded already (then *appended is 0). The daemon calls it for yesterday from its
 * maintenance tick; the counts are anonymous, the only trace of joins and leaves here. */
int audit_daily_counts(struct store *st, const struct audit_keys *k, const char *day,
		       int64_t now, int *appended);

/* Checks the whole chain from entry 1, in sequence order, stopping at the first broken
 * entry. Returns 0 when the walk was done (r->problem says what it found) or the
 * store's error. Reads in pages: memory does not grow with the log. */
int audit_verify(struct store *st, const struct audit_keys *k, struct audit_report *r);

/* A short description of `problem` for people, Italian or English (T()). */
const char *audit_problem_text(int problem);

/* Writes the entries with since <= at < until, oldest first, to `out` as a JSON array
 * of objects (seq, at, time (UTC ISO 8601), actor, action, object, details (as JSON),
 * prev_hash, hash (hex)) or as CSV (RFC 4180, a header line, details as JSON text).
 * *count (may be NULL) gets how many. BANDITORE_EIO when writing fails. */
enum audit_format { AUDIT_FORMAT_JSON, AUDIT_FORMAT_CSV };
int audit_export(struct store *st, int64_t since, int64_t until, enum audit_format format,
		 FILE *out, int64_t *count);

#endif
