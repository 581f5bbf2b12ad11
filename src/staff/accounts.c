/*
 * accounts.c - roles, the permission matrix (staff.h has it as a table), and the
 * accounts themselves: creation with the delegates' limit, revocation (which ends
 * sessions and tokens in the same transaction), decrees, passwords, second factor.
 */
#include "staff/staff.h"

#include "common/crypto.h"
#include "common/err.h"
#include "messages/messages.h"
#include "staff/tokens.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define R (1 << STORE_ROLE_RESPONSABILE)
#define G (1 << STORE_ROLE_GESTORE)
#define D (1 << STORE_ROLE_DELEGATO)
#define P (1 << STORE_ROLE_PROPONENTE)

/* One row per action: which roles, its name, the token scope that allows it. */
static const struct {
	int roles;
	const char *name;
	const char *scope;
} matrix[STAFF_ACTIONS] = {
	[STAFF_PROPOSE] = { R | G | D | P, "propose", TOKENS_SCOPE_WRITE },
	[STAFF_APPROVE] = { R | G | D, "approve", TOKENS_SCOPE_WRITE },
	[STAFF_REJECT] = { R | G | D, "reject", TOKENS_SCOPE_WRITE },
	[STAFF_CANCEL] = { R | G | D, "cancel", TOKENS_SCOPE_WRITE },
	[STAFF_EMERGENCY] = { R | G | D, "emergency", TOKENS_SCOPE_WRITE },
	[STAFF_MANAGE_STAFF] = { R | G, "manage_staff", "" },
	[STAFF_MANAGE_TOKENS] = { R | G, "manage_tokens", TOKENS_SCOPE_TOKENS },
	[STAFF_SEE_SUBSCRIBERS] = { R | G | D, "see_subscribers", TOKENS_SCOPE_SUBSCRIBERS_READ },
	[STAFF_ERASE] = { R | G | D, "erase", TOKENS_SCOPE_SUBSCRIBERS_WRITE },
	[STAFF_WARN] = { R | G | D, "warn", TOKENS_SCOPE_SUBSCRIBERS_WRITE },
	[STAFF_EXPEL] = { R | G, "expel", TOKENS_SCOPE_SUBSCRIBERS_WRITE },
	[STAFF_READ_AUDIT] = { R | G, "read_audit", TOKENS_SCOPE_AUDIT },
	[STAFF_INBOX] = { R | G | D, "inbox", TOKENS_SCOPE_INBOX },
	[STAFF_CHANNEL_POST] = { R | G | D, "channel_post", TOKENS_SCOPE_WRITE },
	[STAFF_OWN_TOTP] = { R | G | D | P, "own_totp", "" },
	[STAFF_ENROLL] = { R | G | D, "enroll", TOKENS_SCOPE_SUBSCRIBERS_WRITE },
	[STAFF_MODERATE] = { R | G | D, "moderate", TOKENS_SCOPE_SUBSCRIBERS_WRITE },
	[STAFF_SEE_NUMBERS] = { R | G, "see_numbers", TOKENS_SCOPE_NUMBERS },
};

int staff_may(int role, enum staff_action action)
{
	if (role < STORE_ROLE_RESPONSABILE || role > STORE_ROLE_PROPONENTE || (int)action < 0 ||
	    action >= STAFF_ACTIONS)
		return 0;
	return (matrix[action].roles >> role) & 1;
}

const char *staff_action_scope(enum staff_action action)
{
	return (int)action >= 0 && action < STAFF_ACTIONS ? matrix[action].scope : "";
}

const char *staff_action_name(enum staff_action action)
{
	return (int)action >= 0 && action < STAFF_ACTIONS ? matrix[action].name : "unknown";
}

static const char *const role_names[] = { "responsabile", "gestore", "delegato", "proponente" };

const char *staff_role_name(int role)
{
	return role >= 0 && role < 4 ? role_names[role] : "unknown";
}

int staff_role_parse(const char *name, int *role)
{
	for (int i = 0; name && i < 4; i++)
		if (!strcmp(name, role_names[i])) {
			*role = i;
			return 0;
		}
	return BANDITORE_EINVAL;
}

int staff_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= STORE_STAFF_NAME_MAX || name[0] < 'a' || name[0] > 'z')
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		      *p == '_' || *p == '-'))
			return 0;
	return 1;
}

int staff_active(const struct store_staff *a, int64_t now)
{
	if (a->revoked_at != 0)
		return 0;
	if (a->role != STORE_ROLE_DELEGATO)
		return 1;
	return a->decree_start <= now && (a->decree_end == 0 || now < a->decree_end);
}

int staff_date_parse(const char *s, int is_end, int64_t *out)
{
	struct tm tm;
	char *end;

	if (!s)
		return BANDITORE_EINVAL;
	if (strlen(s) == 10) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end || tm.tm_year < 70)
			return BANDITORE_EINVAL;
		*out = (int64_t)timegm(&tm) + (is_end ? 86400 : 0);
		return 0;
	}
	return messages_time_parse(s, out);
}

/* 1 when one more delegate with a decree ending at `end` would exceed `max`. */
static int over_limit(struct store *st, int max, int64_t now, int64_t end, int *over)
{
	int64_t count = 0;
	int rc;

	*over = 0;
	if (max <= 0 || (end != 0 && end <= now))
		return 0;
	rc = store_staff_count_delegates(st, now, &count);
	if (!rc && count >= max)
		*over = 1;
	return rc;
}

static int decree_valid(const char *decree, int64_t start, int64_t end)
{
	size_t len = decree ? strlen(decree) : 0;

	return len > 0 && len < sizeof(((struct store_staff *)0)->decree) && start > 0 &&
	       end > start;
}

int staff_create(struct store *st, const struct staff_new *in, int max_delegates, int64_t now,
		 int64_t *id)
{
	struct store_staff a;
	const char *display = in->display_name && *in->display_name ? in->display_name : in->name;
	int over = 0, rc;

	if (!staff_name_valid(in->name) || in->role < STORE_ROLE_RESPONSABILE ||
	    in->role > STORE_ROLE_PROPONENTE || strlen(display) >= sizeof(a.display_name) ||
	    !in->created_by || strlen(in->created_by) >= sizeof(a.created_by))
		return BANDITORE_EINVAL;
	if (in->role == STORE_ROLE_DELEGATO
		    ? !decree_valid(in->decree, in->decree_start, in->decree_end)
		    : (in->decree && *in->decree) || in->decree_start || in->decree_end)
		return BANDITORE_EINVAL;
	memset(&a, 0, sizeof(a));
	rc = staff_password_hash(in->password, a.password);
	if (rc)
		return rc;
	if (in->role == STORE_ROLE_DELEGATO) {
		rc = over_limit(st, max_delegates, now, in->decree_end, &over);
		if (rc)
			goto fail;
		if (over) {
			rc = BANDITORE_ETOOBIG;
			goto fail;
		}
		snprintf(a.decree, sizeof(a.decree), "%s", in->decree);
		a.decree_start = in->decree_start;
		a.decree_end = in->decree_end;
	}
	snprintf(a.name, sizeof(a.name), "%s", in->name);
	snprintf(a.display_name, sizeof(a.display_name), "%s", display);
	snprintf(a.created_by, sizeof(a.created_by), "%s", in->created_by);
	a.role = in->role;
	a.created_at = now;
	rc = store_staff_add(st, &a, id);
fail:
	crypto_wipe(a.password, sizeof(a.password));
	return rc;
}

/* The account `name`: BANDITORE_ENOTFOUND for a name no account can have, unread. */
static int account_get(struct store *st, const char *name, struct store_staff *a)
{
	return staff_name_valid(name) ? store_staff_get(st, name, a) : BANDITORE_ENOTFOUND;
}

/* Ends everything an account holds: its sessions and its API tokens. */
static int end_credentials(struct store *st, const struct store_staff *a, int64_t now)
{
	int rc = store_session_remove_staff(st, a->id, NULL);

	if (!rc)
		rc = store_token_revoke_owner(st, a->name, now > 0 ? now : 1, NULL);
	return rc;
}

int staff_revoke(struct store *st, const char *name, int64_t now)
{
	struct store_staff a;
	int rc;

	rc = account_get(st, name, &a);
	if (rc)
		return rc;
	if (a.revoked_at != 0)
		return BANDITORE_ESTATE;
	a.revoked_at = now > 0 ? now : 1;
	rc = store_staff_update(st, &a);
	if (!rc)
		rc = end_credentials(st, &a, now);
	crypto_wipe(&a, sizeof(a));
	return rc;
}

int staff_set_decree(struct store *st, const char *name, const char *decree, int64_t start,
		     int64_t end, int max_delegates, int64_t now)
{
	struct store_staff a;
	int over = 0, rc;

	if (!staff_name_valid(name))
		return BANDITORE_ENOTFOUND;
	if (!decree_valid(decree, start, end))
		return BANDITORE_EINVAL;
	rc = store_staff_get(st, name, &a);
	if (rc)
		return rc;
	if (a.role != STORE_ROLE_DELEGATO || a.revoked_at != 0) {
		rc = BANDITORE_ESTATE;
		goto fail;
	}
	/* Counted without this delegate when it counts already (its decree not ended). */
	if (!(a.decree_end == 0 || a.decree_end > now)) {
		rc = over_limit(st, max_delegates, now, end, &over);
		if (rc)
			goto fail;
		if (over) {
			rc = BANDITORE_ETOOBIG;
			goto fail;
		}
	}
	snprintf(a.decree, sizeof(a.decree), "%s", decree);
	a.decree_start = start;
	a.decree_end = end;
	rc = store_staff_update(st, &a);
	if (!rc && !staff_active(&a, now))
		rc = end_credentials(st, &a, now);
fail:
	crypto_wipe(&a, sizeof(a));
	return rc;
}

int staff_set_password(struct store *st, const char *name, const char *password)
{
	struct store_staff a;
	int rc;

	rc = account_get(st, name, &a);
	if (rc)
		return rc;
	rc = staff_password_hash(password, a.password);
	if (!rc)
		rc = store_staff_update(st, &a);
	if (!rc)
		rc = store_session_remove_staff(st, a.id, NULL);
	crypto_wipe(&a, sizeof(a));
	return rc;
}

int staff_set_totp(struct store *st, const struct keyfile_keys *keys, const char *name,
		   uint8_t *secret)
{
	struct store_staff a;
	int rc;

	rc = account_get(st, name, &a);
	if (rc)
		return rc;
	a.totp_sealed_len = 0;
	a.totp_last_step = 0;
	if (secret) {
		rc = crypto_random(secret, STAFF_TOTP_SECRET_LEN);
		if (!rc)
			rc = staff_totp_seal(keys, a.name, secret, a.totp_sealed, &a.totp_sealed_len);
	}
	if (!rc)
		rc = store_staff_update(st, &a);
	crypto_wipe(&a, sizeof(a));
	return rc;
}
