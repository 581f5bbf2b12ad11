/*
 * workflow.c - propose, approve, reject and edit, with the rule that nobody approves
 * their own message (workflow.h), on top of the lifecycle of lifecycle.c.
 */
#include "messages/workflow.h"

#include "common/err.h"

#include <stdio.h>
#include <string.h>

const char *workflow_state_name(const struct store_message *m, const struct store_review *r)
{
	if (m->state == STORE_MSG_DRAFT && r) {
		if (r->status == STORE_REVIEW_PROPOSED)
			return "proposed";
		if (r->status == STORE_REVIEW_REJECTED)
			return "rejected";
	}
	return messages_state_name(m->state);
}

/* The review of `id`, or a fresh one (status NONE) when it has none. */
static int review_of(struct store *st, int64_t id, struct store_review *r)
{
	int rc = store_review_get(st, id, r);

	if (rc == BANDITORE_ENOTFOUND) {
		memset(r, 0, sizeof(*r));
		r->message_id = id;
		r->status = STORE_REVIEW_NONE;
		return 0;
	}
	return rc;
}

static int too_long(const char *s)
{
	return !s || strlen(s) >= STORE_STAFF_NAME_MAX;
}

int workflow_propose(struct store *st, int64_t id, const char *actor, int own_only, int64_t now)
{
	struct store_message m = { 0 };
	struct store_review r;
	int rc;

	if (too_long(actor) || !*actor)
		return BANDITORE_EINVAL;
	rc = store_message_get(st, id, &m);
	if (!rc)
		rc = review_of(st, id, &r);
	if (rc)
		goto fail;
	if (own_only && strcmp(m.created_by, actor) != 0) {
		rc = BANDITORE_EPERM;
		goto fail;
	}
	if (m.state != STORE_MSG_DRAFT || r.status == STORE_REVIEW_PROPOSED) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	r.status = STORE_REVIEW_PROPOSED;
	snprintf(r.proposed_by, sizeof(r.proposed_by), "%s", actor);
	r.proposed_at = now;
	r.reviewed_by[0] = r.reason[0] = '\0';
	r.reviewed_at = 0;
	r.self_approved = 0;
	rc = store_review_put(st, &r);
fail:
	store_message_clear(&m);
	return rc;
}

int workflow_category_allows(const struct messages_rules *rules, const char *category,
			     int role_bit)
{
	const struct policy_category *c;

	if (!role_bit || !rules || !rules->policy || !category)
		return 1;
	c = policy_category_find(rules->policy, category);
	return !c || !c->approvers || (c->approvers & role_bit) != 0;
}

int workflow_approve(struct store *st, int64_t id, const char *actor, int may_self_emergency,
		     int64_t now, const struct messages_rules *rules, struct policy_result *verdicts,
		     struct messages_approval *out, int *self_approved)
{
	struct store_message m = { 0 };
	struct store_review r;
	int own, rc;

	*self_approved = 0;
	if (too_long(actor) || !*actor)
		return BANDITORE_EINVAL;
	rc = store_message_get(st, id, &m);
	if (!rc)
		rc = review_of(st, id, &r);
	if (rc)
		goto fail;
	if (m.state != STORE_MSG_DRAFT || r.status == STORE_REVIEW_REJECTED) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	own = !strcmp(m.created_by, actor) ||
	      (r.status == STORE_REVIEW_PROPOSED && !strcmp(r.proposed_by, actor));
	if (own) {
		if (!(may_self_emergency && m.priority == STORE_PRIORITY_EMERGENCY)) {
			rc = BANDITORE_EAUTH;
			goto fail;
		}
		*self_approved = 1;
	}
	rc = messages_send_checked(st, id, now, rules, verdicts, out);
	if (rc)
		goto fail;
	if (r.status == STORE_REVIEW_NONE) { /* approved straight from the draft */
		snprintf(r.proposed_by, sizeof(r.proposed_by), "%s", m.created_by);
		r.proposed_at = m.created_at;
	}
	r.status = STORE_REVIEW_APPROVED;
	snprintf(r.reviewed_by, sizeof(r.reviewed_by), "%s", actor);
	r.reviewed_at = now;
	r.reason[0] = '\0';
	r.self_approved = *self_approved;
	rc = store_review_put(st, &r);
fail:
	store_message_clear(&m);
	return rc;
}

int workflow_reject(struct store *st, int64_t id, const char *actor, const char *reason,
		    int64_t now)
{
	struct store_message m = { 0 };
	struct store_review r;
	int rc;

	if (too_long(actor) || !*actor || !reason || !*reason ||
	    strlen(reason) >= sizeof(r.reason))
		return BANDITORE_EINVAL;
	rc = store_message_get(st, id, &m);
	if (!rc)
		rc = review_of(st, id, &r);
	if (rc)
		goto fail;
	if (m.state != STORE_MSG_DRAFT || r.status != STORE_REVIEW_PROPOSED) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	r.status = STORE_REVIEW_REJECTED;
	snprintf(r.reviewed_by, sizeof(r.reviewed_by), "%s", actor);
	r.reviewed_at = now;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	rc = store_review_put(st, &r);
fail:
	store_message_clear(&m);
	return rc;
}

int workflow_edit(struct store *st, const struct store_message *m, const char *actor,
		  int own_only, int64_t now, int *reapproval)
{
	struct store_message old = { 0 }, copy;
	struct store_review r;
	int rc;

	*reapproval = 0;
	if (too_long(actor) || !*actor)
		return BANDITORE_EINVAL;
	rc = store_message_get(st, m->id, &old);
	if (!rc)
		rc = review_of(st, m->id, &r);
	if (rc)
		goto fail;
	if (own_only && strcmp(old.created_by, actor) != 0) {
		rc = BANDITORE_EPERM;
		goto fail;
	}
	if (old.state == STORE_MSG_APPROVED || old.state == STORE_MSG_SCHEDULED) {
		/* Back to a draft (forgetting the approval and its audience), proposed by the
		 * editor, so that somebody else approves what it has become. */
		rc = store_message_transition(st, m->id, old.state, STORE_MSG_DRAFT, now);
		if (rc)
			goto fail;
		r.status = STORE_REVIEW_PROPOSED;
		snprintf(r.proposed_by, sizeof(r.proposed_by), "%s", actor);
		r.proposed_at = now;
		r.reviewed_by[0] = r.reason[0] = '\0';
		r.reviewed_at = 0;
		r.self_approved = 0;
		*reapproval = 1;
	} else if (old.state != STORE_MSG_DRAFT) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	copy = *m; /* shallow: text stays the caller's */
	rc = store_message_update(st, &copy);
	if (!rc && *reapproval)
		rc = store_review_put(st, &r);
fail:
	store_message_clear(&old);
	return rc;
}
