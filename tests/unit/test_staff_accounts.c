/*
 * test_staff_accounts.c - unit tests of src/staff/ beyond tokens: argon2id passwords,
 * TOTP against the vectors of RFC 6238, login throttling and lockout with an injected
 * clock (shared with re-authentication), sessions' idle and absolute expiry, the
 * delegates' limit, a decree's end date, revocation ending sessions and tokens, the
 * approval workflow (no self-approval but a gestore's emergency, rejection, edit after
 * approval), and the permission matrix, on a real store (fixtures.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/err.h"
#include "messages/workflow.h"
#include "staff/staff.h"
#include "staff/tokens.h"
#include "store/store.h"
#include "fixtures.h"

#define NOW 1780000000
#define DAY 86400
#define PASSWORD "correct horse battery"

static int setup(void **state)
{
	struct fixture_store *f;

	if (fixture_store_setup(state, "accounts"))
		return -1;
	f = *state;
	memset(f->keys.seal, 0x42, sizeof(f->keys.seal));
	return 0;
}

static int make(struct fixture_store *f, const char *name, int role, int64_t start, int64_t end,
		int max)
{
	struct staff_new in = { name, NULL, role, PASSWORD, NULL, 0, 0, "cli" };

	if (role == STORE_ROLE_DELEGATO) {
		in.decree = "12/2026";
		in.decree_start = start;
		in.decree_end = end;
	}
	return staff_create(f->st, &in, max, NOW, NULL);
}

/* A login attempt checked and recorded at `now`; the outcome. */
static int attempt(struct fixture_store *f, const char *name, const char *password,
		   const char *totp, const char *source, int64_t now, char cookie[STAFF_COOKIE_MAX],
		   char csrf[65])
{
	struct staff_login l;
	char c[STAFF_COOKIE_MAX], t[65];

	assert_int_equal(staff_login_check(f->st, &f->keys, name, password, totp, source, now, &l), 0);
	assert_int_equal(staff_login_record(f->st, &l, now, cookie ? cookie : c, csrf ? csrf : t), 0);
	return l.outcome;
}

static void test_password_argon2id(void **state)
{
	char h1[STORE_STAFF_PASSWORD_MAX], h2[STORE_STAFF_PASSWORD_MAX];
	(void)state;

	assert_int_equal(staff_password_hash(PASSWORD, h1), 0);
	assert_int_equal(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31), 0);
	assert_int_equal(staff_password_verify(h1, PASSWORD), 0);
	assert_int_equal(staff_password_verify(h1, "correct horse battery!"), BANDITORE_EAUTH);
	assert_int_equal(staff_password_verify(h1, ""), BANDITORE_EAUTH);
	/* a random salt: the same password never gives the same hash */
	assert_int_equal(staff_password_hash(PASSWORD, h2), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(staff_password_verify("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", PASSWORD),
			 BANDITORE_EAUTH);
	assert_int_equal(staff_password_verify("plain", "plain"), BANDITORE_EAUTH);
	assert_int_equal(staff_password_hash("short", h1), BANDITORE_EINVAL);
	assert_int_equal(strncmp(staff_password_dummy(), "$argon2id$", 10), 0);
}

static void test_totp_rfc6238_vectors(void **state)
{
	/* RFC 6238 appendix B, HMAC-SHA1, the 20-byte ASCII secret, 8 digits. */
	static const struct {
		int64_t t;
		uint32_t code;
	} v[] = { { 59, 94287082 },         { 1111111109, 7081804 },  { 1111111111, 14050471 },
		  { 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000, 65353130 } };
	const uint8_t *secret = (const uint8_t *)"12345678901234567890";
	uint32_t code = 0;
	char six[8];
	int64_t step = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(staff_totp_code(secret, 20, v[i].t / 30, 8, &code), 0);
		assert_int_equal(code, v[i].code);
	}
	/* 6 digits are the last 6 of the same value; one step either side is accepted */
	snprintf(six, sizeof(six), "%06u", 94287082u % 1000000u);
	assert_int_equal(staff_totp_check(secret, 20, six, 59, 0, &step), 0);
	assert_int_equal(step, 1);
	assert_int_equal(staff_totp_check(secret, 20, six, 59 + 30, 0, &step), 0);
	assert_int_equal(staff_totp_check(secret, 20, six, 59 + 60, 0, &step), BANDITORE_EAUTH);
	/* a code of a step already used is refused (no reuse) */
	assert_int_equal(staff_totp_check(secret, 20, six, 59, 1, &step), BANDITORE_EAUTH);
	assert_int_equal(staff_totp_check(secret, 20, "12345", 59, 0, &step), BANDITORE_EAUTH);
	assert_int_equal(staff_totp_check(secret, 20, "12a456", 59, 0, &step), BANDITORE_EAUTH);
}

static void test_login_with_totp(void **state)
{
	struct fixture_store *f = *state;
	uint8_t secret[STAFF_TOTP_SECRET_LEN];
	uint32_t code;
	char six[8];

	assert_int_equal(make(f, "anna", STORE_ROLE_GESTORE, 0, 0, 0), 0);
	assert_int_equal(staff_set_totp(f->st, &f->keys, "anna", secret), 0);
	assert_int_equal(attempt(f, "anna", PASSWORD, NULL, "10.0.0.1", NOW, NULL, NULL),
			 STAFF_LOGIN_TOTP_NEEDED);
	assert_int_equal(attempt(f, "anna", PASSWORD, "000000", "10.0.0.1", NOW, NULL, NULL) ==
				 STAFF_LOGIN_TOTP_BAD ||
			 0, 1);
	assert_int_equal(staff_totp_code(secret, sizeof(secret), NOW / 30, 6, &code), 0);
	snprintf(six, sizeof(six), "%06u", code);
	assert_int_equal(attempt(f, "anna", PASSWORD, six, "10.0.0.1", NOW, NULL, NULL), STAFF_LOGIN_OK);
	/* the same code again, even within its step: refused */
	assert_int_equal(attempt(f, "anna", PASSWORD, six, "10.0.0.1", NOW + 5, NULL, NULL),
			 STAFF_LOGIN_TOTP_BAD);
	/* removing the second factor: the password alone is enough again */
	assert_int_equal(staff_set_totp(f->st, &f->keys, "anna", NULL), 0);
	assert_int_equal(attempt(f, "anna", PASSWORD, NULL, "10.0.0.1", NOW + 6, NULL, NULL),
			 STAFF_LOGIN_OK);
}

static void test_lockout_with_clock(void **state)
{
	struct fixture_store *f = *state;
	int64_t t = NOW;

	assert_int_equal(make(f, "marco", STORE_ROLE_PROPONENTE, 0, 0, 0), 0);
	for (int i = 0; i < STAFF_LOCK_FAILURES - 1; i++)
		assert_int_equal(attempt(f, "marco", "wrong password", NULL, "10.0.0.2", t++, NULL, NULL),
				 STAFF_LOGIN_BAD);
	/* a success before the 5th failure forgets the account's failures */
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.0.0.2", t++, NULL, NULL), STAFF_LOGIN_OK);
	for (int i = 0; i < STAFF_LOCK_FAILURES; i++)
		assert_int_equal(attempt(f, "marco", "wrong password", NULL, "10.0.0.3", t, NULL, NULL),
				 STAFF_LOGIN_BAD);
	/* locked: even the right password is refused, from any address, for 15 minutes */
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.0.0.4", t + 1, NULL, NULL),
			 STAFF_LOGIN_LOCKED);
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.0.0.4", t + STAFF_LOCK_SECONDS - 1,
				 NULL, NULL),
			 STAFF_LOGIN_LOCKED);
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.0.0.4", t + STAFF_LOCK_SECONDS, NULL,
				 NULL),
			 STAFF_LOGIN_OK);
	/* an unknown name counts too, and a source address is locked after its 10th failure */
	for (int i = 0; i < STAFF_LOCK_SOURCE_FAILURES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "nobody%d", i);
		assert_int_equal(attempt(f, name, "x", NULL, "10.9.9.9", t + 2000, NULL, NULL),
				 STAFF_LOGIN_BAD);
	}
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.9.9.9", t + 2001, NULL, NULL),
			 STAFF_LOGIN_LOCKED);
	assert_int_equal(attempt(f, "marco", PASSWORD, NULL, "10.9.9.8", t + 2001, NULL, NULL),
			 STAFF_LOGIN_OK);
}

/* A re-authentication as staff_reauth_record writes it; the outcome. */
static int reauth(struct fixture_store *f, const char *name, const char *password,
		  const char *totp, const char *source, int64_t now)
{
	struct staff_login l;

	assert_int_equal(staff_login_check(f->st, &f->keys, name, password, totp, source, now, &l), 0);
	assert_int_equal(staff_reauth_record(f->st, &l, now), 0);
	return l.outcome;
}

/* The second factor's changes ask for the password again under login's throttle: their
 * failures and login's add up, per account and per source, and a success makes no session. */
static void test_reauth_shares_the_lockout(void **state)
{
	struct fixture_store *f = *state;
	struct store_staff a;
	int64_t t = NOW, n = -1;

	assert_int_equal(make(f, "sara", STORE_ROLE_GESTORE, 0, 0, 0), 0);
	for (int i = 0; i < STAFF_LOCK_FAILURES - 1; i++)
		assert_int_equal(reauth(f, "sara", "wrong password", NULL, "10.1.0.1", t++),
				 STAFF_LOGIN_BAD);
	/* a success forgets them, and opens no session */
	assert_int_equal(reauth(f, "sara", PASSWORD, NULL, "10.1.0.1", t++), STAFF_LOGIN_OK);
	assert_int_equal(store_staff_get(f->st, "sara", &a), 0);
	assert_int_equal(store_session_remove_staff(f->st, a.id, &n), 0);
	assert_int_equal(n, 0);
	/* two failed logins and three failed re-authentications lock the account for both */
	for (int i = 0; i < 2; i++)
		assert_int_equal(attempt(f, "sara", "wrong password", NULL, "10.1.0.2", t, NULL, NULL),
				 STAFF_LOGIN_BAD);
	for (int i = 0; i < STAFF_LOCK_FAILURES - 2; i++)
		assert_int_equal(reauth(f, "sara", "wrong password", NULL, "10.1.0.3", t),
				 STAFF_LOGIN_BAD);
	assert_int_equal(reauth(f, "sara", PASSWORD, NULL, "10.1.0.4", t + 1), STAFF_LOGIN_LOCKED);
	assert_int_equal(attempt(f, "sara", PASSWORD, NULL, "10.1.0.4", t + 1, NULL, NULL),
			 STAFF_LOGIN_LOCKED);
	t += STAFF_LOCK_SECONDS;
	assert_int_equal(reauth(f, "sara", PASSWORD, NULL, "10.1.0.4", t), STAFF_LOGIN_OK);
	/* a source is locked after its 10th failure, whichever accounts they were on */
	for (int i = 0; i < STAFF_LOCK_SOURCE_FAILURES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "altro%d", i);
		assert_int_equal(reauth(f, name, PASSWORD, NULL, "10.1.9.9", t + 1), STAFF_LOGIN_BAD);
	}
	assert_int_equal(reauth(f, "sara", PASSWORD, NULL, "10.1.9.9", t + 2), STAFF_LOGIN_LOCKED);
	assert_int_equal(reauth(f, "sara", PASSWORD, NULL, "10.1.9.8", t + 2), STAFF_LOGIN_OK);
}

static void test_session_expiry(void **state)
{
	struct fixture_store *f = *state;
	char cookie[STAFF_COOKIE_MAX], csrf[65];
	struct store_session se;
	struct store_staff a;
	uint8_t h[CRYPTO_HASH_LEN];
	int touch = 0;
	int64_t t;

	assert_int_equal(make(f, "lucia", STORE_ROLE_GESTORE, 0, 0, 0), 0);
	assert_int_equal(attempt(f, "lucia", PASSWORD, NULL, "10.0.0.5", NOW, cookie, csrf), STAFF_LOGIN_OK);
	assert_int_equal(strlen(cookie), 43);
	assert_int_equal(strlen(csrf), 64);
	/* only the SHA-256 is stored */
	assert_int_equal(staff_session_hash(cookie, h), 0);
	assert_int_equal(store_session_get(f->st, h, &se), 0);
	assert_string_equal(se.csrf, csrf);
	assert_true(staff_csrf_ok(&se, csrf));
	assert_false(staff_csrf_ok(&se, "0000000000000000000000000000000000000000000000000000000000000000"));
	assert_false(staff_csrf_ok(&se, NULL));
	/* idle: used every 29 minutes it lives on... */
	for (t = NOW; t < NOW + 3 * 3600; t += STAFF_SESSION_IDLE - 60) {
		assert_int_equal(staff_session_check(f->st, cookie, t, &se, &a, &touch), 0);
		assert_string_equal(a.name, "lucia");
		if (touch)
			assert_int_equal(store_session_touch(f->st, h, t), 0);
	}
	/* ...but not 30 minutes after its last use */
	assert_int_equal(store_session_get(f->st, h, &se), 0);
	assert_int_equal(staff_session_check(f->st, cookie, se.last_seen + STAFF_SESSION_IDLE, &se, &a,
					     NULL),
			 BANDITORE_EAUTH);
	/* absolute: 12 hours after login whatever happens */
	assert_int_equal(store_session_touch(f->st, h, NOW + STAFF_SESSION_ABSOLUTE - 10), 0);
	assert_int_equal(staff_session_check(f->st, cookie, NOW + STAFF_SESSION_ABSOLUTE - 1, &se, &a, NULL), 0);
	assert_int_equal(staff_session_check(f->st, cookie, NOW + STAFF_SESSION_ABSOLUTE, &se, &a, NULL),
			 BANDITORE_EAUTH);
	assert_int_equal(staff_session_check(f->st, "not-a-cookie", NOW, &se, &a, NULL), BANDITORE_EAUTH);
}

static void test_delegate_limit(void **state)
{
	struct fixture_store *f = *state;
	char name[16];

	for (int i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "delegato%d", i);
		assert_int_equal(make(f, name, STORE_ROLE_DELEGATO, NOW - DAY, NOW + 365 * DAY, 5), 0);
	}
	/* the sixth is refused where the policy says five (Leini art. 4) */
	assert_int_equal(make(f, "delegato6", STORE_ROLE_DELEGATO, NOW, NOW + DAY, 5), BANDITORE_ETOOBIG);
	assert_int_equal(store_staff_get(f->st, "delegato6", &(struct store_staff){ 0 }), BANDITORE_ENOTFOUND);
	/* no limit configured: allowed */
	assert_int_equal(make(f, "delegato6", STORE_ROLE_DELEGATO, NOW, NOW + DAY, 0), 0);
	assert_int_equal(staff_revoke(f->st, "delegato6", NOW), 0);
	/* other roles never count */
	assert_int_equal(make(f, "gestore1", STORE_ROLE_GESTORE, 0, 0, 5), 0);
	/* revoking one frees a place */
	assert_int_equal(staff_revoke(f->st, "delegato1", NOW), 0);
	assert_int_equal(staff_revoke(f->st, "delegato1", NOW), BANDITORE_ESTATE);
	assert_int_equal(make(f, "delegato7", STORE_ROLE_DELEGATO, NOW, NOW + DAY, 5), 0);
	assert_int_equal(make(f, "delegato8", STORE_ROLE_DELEGATO, NOW, NOW + DAY, 5), BANDITORE_ETOOBIG);
	/* a decree that has ended frees one too */
	assert_int_equal(staff_set_decree(f->st, "delegato2", "13/2026", NOW - 10 * DAY, NOW - DAY, 5, NOW), 0);
	assert_int_equal(make(f, "delegato8", STORE_ROLE_DELEGATO, NOW, NOW + DAY, 5), 0);
	/* and giving that one a new decree now would be one too many */
	assert_int_equal(staff_set_decree(f->st, "delegato2", "14/2026", NOW, NOW + DAY, 5, NOW),
			 BANDITORE_ETOOBIG);
	/* a delegate needs a decree, other roles have none */
	struct staff_new in = { "delegato9", NULL, STORE_ROLE_DELEGATO, PASSWORD, NULL, 0, 0, "cli" };
	assert_int_equal(staff_create(f->st, &in, 0, NOW, NULL), BANDITORE_EINVAL);
	struct staff_new g = { "gestore2", NULL, STORE_ROLE_GESTORE, PASSWORD, "1/2026", NOW, NOW + 1, "cli" };
	assert_int_equal(staff_create(f->st, &g, 0, NOW, NULL), BANDITORE_EINVAL);
	assert_int_equal(make(f, "Maiuscolo", STORE_ROLE_GESTORE, 0, 0, 0), BANDITORE_EINVAL);
	assert_int_equal(make(f, "gestore1", STORE_ROLE_GESTORE, 0, 0, 0), BANDITORE_EEXIST);
}

static void test_decree_end_and_revocation(void **state)
{
	struct fixture_store *f = *state;
	char cookie[STAFF_COOKIE_MAX], csrf[65], secret[TOKENS_SECRET_MAX];
	struct store_session se;
	struct store_staff a;
	struct store_token tok;
	int64_t end = NOW + 3600, start, parsed;

	assert_int_equal(staff_date_parse("2026-05-31", 0, &start), 0);
	assert_int_equal(staff_date_parse("2026-05-31", 1, &parsed), 0);
	assert_int_equal(parsed - start, DAY);
	assert_int_equal(staff_date_parse("31/05/2026", 0, &parsed), BANDITORE_EINVAL);

	assert_int_equal(make(f, "paolo", STORE_ROLE_DELEGATO, NOW - DAY, end, 5), 0);
	assert_int_equal(attempt(f, "paolo", PASSWORD, NULL, "10.0.0.6", NOW, cookie, csrf), STAFF_LOGIN_OK);
	assert_int_equal(tokens_create_owned(f->st, "paolo-portale", NULL, "paolo", NOW, secret, NULL), 0);
	assert_int_equal(staff_session_check(f->st, cookie, NOW + 60, &se, &a, NULL), 0);
	assert_int_equal(store_session_touch(f->st, se.id_hash, end - 60), 0); /* still in use */
	assert_int_equal(staff_session_check(f->st, cookie, end - 1, &se, &a, NULL), 0);
	/* the decree's end passes: the very next request is refused, and so is a login */
	assert_int_equal(staff_session_check(f->st, cookie, end, &se, &a, NULL), BANDITORE_EPERM);
	assert_int_equal(store_staff_get(f->st, "paolo", &a), 0);
	assert_false(staff_active(&a, end));
	assert_int_equal(attempt(f, "paolo", PASSWORD, NULL, "10.0.0.6", end, NULL, NULL),
			 STAFF_LOGIN_INACTIVE);
	/* before its start it is not active either */
	assert_false(staff_active(&a, NOW - DAY - 1));

	/* revocation: the session and the account's token end in the same transaction */
	assert_int_equal(staff_revoke(f->st, "paolo", NOW + 10), 0);
	assert_int_equal(staff_session_check(f->st, cookie, NOW + 11, &se, &a, NULL), BANDITORE_EAUTH);
	assert_int_equal(tokens_verify(f->st, secret, NULL, &tok), BANDITORE_EAUTH);
	assert_string_equal(tok.owner, "paolo");
	assert_int_equal(attempt(f, "paolo", PASSWORD, NULL, "10.0.0.6", NOW + 12, NULL, NULL),
			 STAFF_LOGIN_INACTIVE);
	/* a new password ends the sessions of an account too */
	assert_int_equal(make(f, "sara", STORE_ROLE_RESPONSABILE, 0, 0, 0), 0);
	assert_int_equal(attempt(f, "sara", PASSWORD, NULL, "10.0.0.7", NOW, cookie, csrf), STAFF_LOGIN_OK);
	assert_int_equal(staff_set_password(f->st, "sara", "another long password"), 0);
	assert_int_equal(staff_session_check(f->st, cookie, NOW + 1, &se, &a, NULL), BANDITORE_EAUTH);
	assert_int_equal(attempt(f, "sara", "another long password", NULL, "10.0.0.7", NOW + 2, NULL, NULL),
			 STAFF_LOGIN_OK);
}

/* A draft written by `author`, with `priority`. */
static int64_t draft(struct fixture_store *f, const char *author, int priority, int64_t scheduled_at)
{
	struct store_message m;
	int64_t id = 0;

	memset(&m, 0, sizeof(m));
	m.text = "Avviso di prova.";
	snprintf(m.category, sizeof(m.category), "avvisi");
	m.priority = priority;
	m.scheduled_at = scheduled_at;
	assert_int_equal(messages_create(f->st, &m, author, NOW, &id), 0);
	return id;
}

/* A category's configured approvers: only their roles approve it; a category naming
 * none, an unknown one, no policy, or an API token (role 0) are not restricted. */
static void test_category_approvers(void **state)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct messages_rules rules = { 0 };
	(void)state;

	assert_non_null(p);
	policy_init(p);
	snprintf(p->categories[0].id, sizeof(p->categories[0].id), "istituzionale");
	p->categories[0].approvers = POLICY_ROLE_RESPONSABILE;
	snprintf(p->categories[1].id, sizeof(p->categories[1].id), "eventi");
	p->n_categories = 2;
	rules.policy = p;
	assert_int_equal(workflow_category_allows(&rules, "istituzionale", POLICY_ROLE_RESPONSABILE), 1);
	assert_int_equal(workflow_category_allows(&rules, "istituzionale", POLICY_ROLE_DELEGATO), 0);
	assert_int_equal(workflow_category_allows(&rules, "istituzionale", POLICY_ROLE_GESTORE), 0);
	assert_int_equal(workflow_category_allows(&rules, "istituzionale", 0), 1);
	assert_int_equal(workflow_category_allows(&rules, "eventi", POLICY_ROLE_DELEGATO), 1);
	assert_int_equal(workflow_category_allows(&rules, "sconosciuta", POLICY_ROLE_DELEGATO), 1);
	assert_int_equal(workflow_category_allows(NULL, "istituzionale", POLICY_ROLE_DELEGATO), 1);
	policy_clear(p);
	free(p);
}

static void test_workflow(void **state)
{
	struct fixture_store *f = *state;
	struct messages_approval ap;
	struct store_message m = { 0 };
	struct store_review rv;
	int self = 0, again = 0;
	int64_t id;

	/* proposed by a proponente, approved by another */
	id = draft(f, "assessore", STORE_PRIORITY_NORMAL, 0);
	assert_int_equal(workflow_propose(f->st, id, "ufficio", 1, NOW), BANDITORE_EPERM);
	assert_int_equal(workflow_propose(f->st, id, "assessore", 1, NOW), 0);
	assert_int_equal(workflow_propose(f->st, id, "assessore", 1, NOW), BANDITORE_ESTATE);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(store_review_get(f->st, id, &rv), 0);
	assert_string_equal(workflow_state_name(&m, &rv), "proposed");
	store_message_clear(&m);
	assert_int_equal(workflow_approve(f->st, id, "assessore", 1, NOW, NULL, NULL, &ap, &self),
			 BANDITORE_EAUTH);
	assert_int_equal(workflow_approve(f->st, id, "stampa", 1, NOW, NULL, NULL, &ap, &self), 0);
	assert_int_equal(self, 0);
	assert_int_equal(store_review_get(f->st, id, &rv), 0);
	assert_int_equal(rv.status, STORE_REVIEW_APPROVED);
	assert_string_equal(rv.reviewed_by, "stampa");

	/* one's own normal message: never; one's own emergency: only when allowed */
	id = draft(f, "stampa", STORE_PRIORITY_NORMAL, 0);
	assert_int_equal(workflow_approve(f->st, id, "stampa", 1, NOW, NULL, NULL, &ap, &self),
			 BANDITORE_EAUTH);
	id = draft(f, "delegato1", STORE_PRIORITY_EMERGENCY, 0);
	assert_int_equal(workflow_approve(f->st, id, "delegato1", 0, NOW, NULL, NULL, &ap, &self),
			 BANDITORE_EAUTH);
	id = draft(f, "stampa", STORE_PRIORITY_EMERGENCY, 0);
	assert_int_equal(workflow_approve(f->st, id, "stampa", 1, NOW, NULL, NULL, &ap, &self), 0);
	assert_int_equal(self, 1);
	assert_int_equal(store_review_get(f->st, id, &rv), 0);
	assert_int_equal(rv.self_approved, 1);

	/* rejected: a reason is needed, and it is approved only once proposed again */
	id = draft(f, "assessore", STORE_PRIORITY_NORMAL, 0);
	assert_int_equal(workflow_reject(f->st, id, "stampa", "motivo", NOW), BANDITORE_ESTATE);
	assert_int_equal(workflow_propose(f->st, id, "assessore", 1, NOW), 0);
	assert_int_equal(workflow_reject(f->st, id, "stampa", "", NOW), BANDITORE_EINVAL);
	assert_int_equal(workflow_reject(f->st, id, "stampa", "Manca la data.", NOW), 0);
	assert_int_equal(workflow_approve(f->st, id, "sindaco", 1, NOW, NULL, NULL, &ap, &self),
			 BANDITORE_ESTATE);
	assert_int_equal(workflow_propose(f->st, id, "assessore", 1, NOW), 0);
	assert_int_equal(workflow_approve(f->st, id, "sindaco", 1, NOW, NULL, NULL, &ap, &self), 0);

	/* an edit after approval sends it back, proposed by the editor */
	id = draft(f, "assessore", STORE_PRIORITY_NORMAL, NOW + DAY);
	assert_int_equal(workflow_propose(f->st, id, "assessore", 1, NOW), 0);
	assert_int_equal(workflow_approve(f->st, id, "stampa", 1, NOW, NULL, NULL, &ap, &self), 0);
	assert_int_equal(ap.state, STORE_MSG_SCHEDULED);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	free(m.text);
	m.text = "Avviso corretto.";
	assert_int_equal(workflow_edit(f->st, &m, "stampa", 0, NOW + 10, &again), 0);
	m.text = NULL;
	assert_int_equal(again, 1);
	store_message_clear(&m);
	assert_int_equal(store_message_get(f->st, id, &m), 0);
	assert_int_equal(m.state, STORE_MSG_DRAFT);
	assert_string_equal(m.text, "Avviso corretto.");
	assert_int_equal(m.approved_at, 0);
	assert_int_equal(store_review_get(f->st, id, &rv), 0);
	assert_string_equal(workflow_state_name(&m, &rv), "proposed");
	assert_string_equal(rv.proposed_by, "stampa");
	store_message_clear(&m);
	assert_int_equal(workflow_approve(f->st, id, "stampa", 1, NOW, NULL, NULL, &ap, &self),
			 BANDITORE_EAUTH);
	assert_int_equal(workflow_approve(f->st, id, "sindaco", 1, NOW, NULL, NULL, &ap, &self), 0);
}

static void test_permission_matrix(void **state)
{
	/* rows: responsabile, gestore, delegato, proponente */
	static const int want[STAFF_ACTIONS][4] = {
		[STAFF_PROPOSE] = { 1, 1, 1, 1 },         [STAFF_APPROVE] = { 1, 1, 1, 0 },
		[STAFF_REJECT] = { 1, 1, 1, 0 },          [STAFF_CANCEL] = { 1, 1, 1, 0 },
		[STAFF_EMERGENCY] = { 1, 1, 1, 0 },       [STAFF_MANAGE_STAFF] = { 1, 1, 0, 0 },
		[STAFF_MANAGE_TOKENS] = { 1, 1, 0, 0 },   [STAFF_SEE_SUBSCRIBERS] = { 1, 1, 1, 0 },
		[STAFF_ERASE] = { 1, 1, 1, 0 },           [STAFF_WARN] = { 1, 1, 1, 0 },
		[STAFF_EXPEL] = { 1, 1, 0, 0 },           [STAFF_READ_AUDIT] = { 1, 1, 0, 0 },
		[STAFF_INBOX] = { 1, 1, 1, 0 },           [STAFF_CHANNEL_POST] = { 1, 1, 1, 0 },
		[STAFF_OWN_TOTP] = { 1, 1, 1, 1 },
		[STAFF_ENROLL] = { 1, 1, 1, 0 },          [STAFF_MODERATE] = { 1, 1, 1, 0 },
		[STAFF_SEE_NUMBERS] = { 1, 1, 0, 0 },
	};
	int role;
	(void)state;

	for (int a = 0; a < STAFF_ACTIONS; a++)
		for (int r = 0; r < 4; r++)
			assert_int_equal(staff_may(r, (enum staff_action)a), want[a][r]);
	assert_int_equal(staff_may(7, STAFF_PROPOSE), 0);
	assert_int_equal(staff_may(0, STAFF_ACTIONS), 0);
	assert_int_equal(staff_role_parse("delegato", &role), 0);
	assert_int_equal(role, STORE_ROLE_DELEGATO);
	assert_int_equal(staff_role_parse("sindaco", &role), BANDITORE_EINVAL);
	assert_string_equal(staff_action_scope(STAFF_EXPEL), "subscribers:write");
	assert_string_equal(staff_action_scope(STAFF_INBOX), "inbox:manage");
	assert_string_equal(staff_action_scope(STAFF_OWN_TOTP), "");
	assert_string_equal(staff_action_scope(STAFF_ENROLL), "subscribers:write");
	assert_string_equal(staff_action_name(STAFF_SEE_NUMBERS), "see_numbers");
	assert_string_equal(staff_action_scope(STAFF_SEE_NUMBERS), "subscribers:numbers");
	assert_true(tokens_scopes_valid("subscribers:write subscribers:numbers"));
	assert_int_equal(tokens_scopes_valid("inbox:manage messages:read"), 1);
	assert_true(tokens_scopes_valid("messages:read audit:read tokens:manage"));
	assert_false(tokens_scopes_valid("staff:everything"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_argon2id),
		cmocka_unit_test(test_totp_rfc6238_vectors),
		cmocka_unit_test_setup_teardown(test_login_with_totp, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_lockout_with_clock, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_reauth_shares_the_lockout, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_delegate_limit, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_decree_end_and_revocation, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_workflow, setup, fixture_store_teardown),
		cmocka_unit_test(test_category_approvers),
		cmocka_unit_test(test_permission_matrix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
