/*
 * messages_audit.h - the audit entries of a message's lifecycle (audit.h), with what
 * the comune must be able to show afterwards: which message, in which state, and the
 * policy warnings that were overridden with their reasons.
 */
#ifndef BANDITORE_MESSAGES_AUDIT_H
#define BANDITORE_MESSAGES_AUDIT_H

#include <stdint.h>

#include "audit/audit.h"
#include "store/store.h"

/* Appends `action` ("message.create", "message.approve", "message.reject",
 * "message.cancel", ...) on "message:<id>" by `actor`, inside the caller's transaction,
 * after the change it records. The details are read from the store: title, category,
 * priority, state, scheduled_at (RFC 3339, when set), audience (once approved), and
 * from the notes kept with the message the electoral justification and the overridden
 * warnings [{"rule", "reason"}] (texts shortened to fit, with "notes_sha256", the
 * SHA-256 of the notes as stored, so the full text is pinned too). `extra_json` (may be
 * NULL) is a JSON object merged in, e.g. {"reason": "..."} for a rejection or
 * {"was": "sending"} for a cancel. ENOTFOUND when there is no such message. */
int messages_audit(struct store *st, const struct audit_keys *k, const char *actor,
		   const char *action, int64_t id, const char *extra_json, int64_t now);

#endif
