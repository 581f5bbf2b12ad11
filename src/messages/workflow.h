/*
 * workflow.h - who proposes and who approves: the approval workflow of a message,
 * beside its lifecycle state (messages.h).
 *
 * A proponente (or anyone who may propose) writes a draft and proposes it; a gestore,
 * delegato or responsabile approves it (messages_send_checked: the policy is checked
 * again and the audience fixed) or rejects it with a reason. Nobody approves a message
 * they proposed or wrote, except a gestore or responsabile for an emergency, which is
 * recorded as self-approved. Editing a message that was approved (or scheduled) and has
 * not started sends it back to the proposed state: it must be approved again.
 *
 * Proposed and rejected messages stay DRAFT in their lifecycle (the broadcast engine
 * never takes a draft); the review row (store_review) says where they are in the
 * workflow. Each function runs inside the caller's transaction and logs nothing.
 */
#ifndef BANDITORE_WORKFLOW_H
#define BANDITORE_WORKFLOW_H

#include <stdint.h>

#include "messages/messages.h"
#include "store/store.h"

/* "proposed" or "rejected" for a draft in review, else messages_state_name. `r` may be
 * NULL (no review). */
const char *workflow_state_name(const struct store_message *m, const struct store_review *r);

/* Proposes draft `id` for approval, as `actor` (an account's name). With `own_only`
 * (a proponente), only a message that `actor` wrote. ENOTFOUND; EPERM when not theirs;
 * ESTATE when it is not a draft or is proposed already. */
int workflow_propose(struct store *st, int64_t id, const char *actor, int own_only, int64_t now);

/* Whether an approver with policy role `role_bit` (enum policy_role; 0: not a person but
 * another system of the comune, an API token) may approve a message of `category`
 * under `rules`: the category's configured approvers ([category ID] approvers), or
 * anyone who may approve when it names none. 1 or 0. */
int workflow_category_allows(const struct messages_rules *rules, const char *category,
			     int role_bit);

/* Approves draft `id` as `actor`. `may_self_emergency`: the actor may approve their own
 * message when it is an emergency (gestore, responsabile). *self_approved is 1 when it
 * did. Codes as messages_send_checked, plus BANDITORE_EAUTH when `actor` proposed or
 * wrote it (self-approval refused; nothing changes) and ESTATE when it was rejected (it
 * must be proposed again first). */
int workflow_approve(struct store *st, int64_t id, const char *actor, int may_self_emergency,
		     int64_t now, const struct messages_rules *rules, struct policy_result *verdicts,
		     struct messages_approval *out, int *self_approved);

/* Rejects proposed message `id` as `actor`, with `reason` (1..500 bytes). EINVAL for the
 * reason; ENOTFOUND; ESTATE when it is not a proposed draft. */
int workflow_reject(struct store *st, int64_t id, const char *actor, const char *reason,
		    int64_t now);

/* Replaces the editable fields of message m->id with those of `m` (from
 * messages_compose), as `actor`. A draft stays where it is in review; an approved or
 * scheduled message goes back to DRAFT, proposed by `actor`, and must be approved again
 * (*reapproval = 1). With `own_only`, only a message `actor` wrote. ENOTFOUND; EPERM;
 * ESTATE once it is sending or finished. */
int workflow_edit(struct store *st, const struct store_message *m, const char *actor,
		  int own_only, int64_t now, int *reapproval);

#endif
