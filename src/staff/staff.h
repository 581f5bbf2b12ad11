/*
 * staff.h - the people who run the channel: accounts and roles, the permission matrix,
 * passwords (argon2id), the optional second factor (TOTP, RFC 6238), sessions and
 * login throttling.
 *
 * Roles come from the policies (Leini art. 4, Seveso art. 4, Concorezzo art. 5):
 *   responsabile  the legal representative (the mayor), responsible for the channel;
 *   gestore       the communication office or press officer who runs it;
 *   delegato      appointed by decree (number, start and end dates), at most
 *                 [staff] max_delegates at a time (5 in Leini);
 *   proponente    assessors, office heads and offices: they propose, others approve.
 *
 * The permission matrix (docs/permessi.md says the same in Italian):
 *
 *   action                       responsabile  gestore  delegato  proponente  token scope
 *   propose (compose, propose)        yes        yes      yes        yes      messages:write
 *   approve                           yes        yes      yes        no       messages:write
 *   reject                            yes        yes      yes        no       messages:write
 *   cancel                            yes        yes      yes        no       messages:write
 *   emergency (compose/approve one)   yes        yes      yes        no       messages:write
 *   manage staff                      yes        yes*     no         no       (sessions only)
 *   manage API tokens                 yes        yes      no         no       tokens:manage
 *   see subscribers (counts)          yes        yes      yes        no       subscribers:read
 *   erase a subscriber on request     yes        yes      yes        no       subscribers:write
 *   warn a subscriber privately       yes        yes      yes        no       subscribers:write
 *   expel a subscriber                yes        yes      no         no       subscribers:write
 *   read the audit log                yes        yes      no         no       audit:read
 *   inbox: read, answer, delete the   yes        yes      yes        no       inbox:manage
 *     private messages kept until answered (keep-until-answered mode)
 *   channel post: mark a WhatsApp     yes        yes      yes        no       messages:write
 *     Channel posting task as posted (channels without an API)
 *   own second factor (TOTP set-up)   yes        yes      yes        yes      (sessions only)
 *   enroll a citizen at the front     yes        yes      yes        no       subscribers:write
 *     desk (paper form; the citizen confirms on WhatsApp)
 *   moderate joins: approve or        yes        yes      yes        no       subscribers:write
 *     refuse the requests in the queue (moderate_joins)
 *   see the numbers of join requests  yes        yes      no         no       subscribers:numbers
 *     in full (others see them masked)
 *
 *   * a gestore may not create, change or revoke a responsabile's account.
 *   Nobody approves a message they proposed (or wrote), except a gestore or responsabile
 *   for an emergency, which is then recorded as self-approved.
 *
 * An account is active while not revoked and, for a delegate, while now is within its
 * decree's dates. Every request checks it again (staff_session_check), so revoking an
 * account or a decree ending throws its sessions and tokens out at once.
 *
 * Everything here that touches the store works inside the caller's transaction (a
 * writer job in the daemon, store_begin/commit in the CLI) and logs nothing.
 */
#ifndef BANDITORE_STAFF_H
#define BANDITORE_STAFF_H

#include <stddef.h>
#include <stdint.h>

#include "common/keyfile.h"
#include "store/store.h"

enum staff_action {
	STAFF_PROPOSE = 0,
	STAFF_APPROVE,
	STAFF_REJECT,
	STAFF_CANCEL,
	STAFF_EMERGENCY,
	STAFF_MANAGE_STAFF,
	STAFF_MANAGE_TOKENS,
	STAFF_SEE_SUBSCRIBERS,
	STAFF_ERASE,
	STAFF_WARN,
	STAFF_EXPEL,
	STAFF_READ_AUDIT,
	STAFF_INBOX,
	STAFF_CHANNEL_POST,
	STAFF_OWN_TOTP,
	STAFF_ENROLL,
	STAFF_MODERATE,
	STAFF_SEE_NUMBERS,
	STAFF_ACTIONS /* how many */
};

/* 1 when `role` may do `action` (the matrix above), else 0. */
int staff_may(int role, enum staff_action action);
/* The token scope that allows `action` ("" for none: sessions only). */
const char *staff_action_scope(enum staff_action action);
const char *staff_action_name(enum staff_action action); /* "approve", ... */

/* "responsabile", "gestore", "delegato", "proponente"; "unknown" otherwise. */
const char *staff_role_name(int role);
/* The role called `name`; BANDITORE_EINVAL when none. */
int staff_role_parse(const char *name, int *role);

/* 1 when `name` is a valid account name: 1..63 of [a-z0-9._-], starting with a letter. */
int staff_name_valid(const char *name);

/* 1 when account `a` may act at `now` (not revoked; a delegate within its decree). */
int staff_active(const struct store_staff *a, int64_t now);

/* --- passwords (password.c) --- */
#define STAFF_PASSWORD_MIN 10  /* characters (bytes) */
#define STAFF_PASSWORD_MAX 256

/* The argon2id hash of `password` with a random salt, as its encoded string. EINVAL for
 * a password shorter than STAFF_PASSWORD_MIN or longer than STAFF_PASSWORD_MAX. */
int staff_password_hash(const char *password, char out[STORE_STAFF_PASSWORD_MAX]);
/* 0 when `password` matches `encoded`; BANDITORE_EAUTH when not (or when encoded is not
 * an argon2id hash). Takes the same time whether the account exists or not when the
 * caller passes staff_password_dummy() for a missing one. */
int staff_password_verify(const char *encoded, const char *password);
const char *staff_password_dummy(void);

/* --- the second factor (totp.c): RFC 6238, HMAC-SHA1, 30 s steps, 6 digits --- */
#define STAFF_TOTP_SECRET_LEN 20
#define STAFF_TOTP_STEP 30
#define STAFF_TOTP_BASE32_MAX 40 /* 20 bytes → 32 characters, with NUL */

/* The HOTP value (RFC 4226) of `secret` at counter `step`, with `digits` (6..8). */
int staff_totp_code(const uint8_t *secret, size_t len, int64_t step, int digits, uint32_t *code);
/* Checks `code` (6 digits) at `now`, one step either side. 0 with *step the step it
 * matched when that step is after `last_step` (a code is never accepted twice);
 * BANDITORE_EAUTH otherwise. */
int staff_totp_check(const uint8_t *secret, size_t len, const char *code, int64_t now,
		     int64_t last_step, int64_t *step);
/* RFC 4648 base32 without padding (what authenticator apps read). */
void staff_base32(const uint8_t *in, size_t n, char *out, size_t cap);
/* RFC 4648 section 5 base64url without padding, for secrets in cookies and tokens: `n`
 * bytes into (4n + 2) / 3 characters and a NUL at `out` (32 bytes: 43 characters). */
void staff_base64url(const uint8_t *in, size_t n, char *out);
/* Seals/opens the secret of account `name` with the data folder's seal key. */
int staff_totp_seal(const struct keyfile_keys *keys, const char *name, const uint8_t *secret,
		    uint8_t out[STORE_TOTP_SEALED_MAX], size_t *out_len);
int staff_totp_open(const struct keyfile_keys *keys, const struct store_staff *a,
		    uint8_t secret[STAFF_TOTP_SECRET_LEN]);

/* --- accounts (accounts.c) --- */

/* A new account, as typed: strings borrowed. Dates are Unix seconds. */
struct staff_new {
	const char *name;
	const char *display_name;     /* NULL: the name */
	int role;
	const char *password;
	const char *decree;           /* delegates: required */
	int64_t decree_start, decree_end; /* delegates: required, start < end */
	const char *created_by;       /* an account's name, or "cli" */
};

/* Creates an account at `now`. EINVAL for a bad name, role, password or decree (a
 * delegate needs all three, others none); BANDITORE_ETOOBIG when it would be one
 * delegate more than `max_delegates` (0: no limit) whose decree has not ended;
 * EEXIST when the name is taken. */
int staff_create(struct store *st, const struct staff_new *in, int max_delegates, int64_t now,
		 int64_t *id);

/* Revokes account `name` at `now`: ends its sessions and revokes its API tokens in the
 * same transaction. ENOTFOUND; ESTATE when revoked already. */
int staff_revoke(struct store *st, const char *name, int64_t now);

/* Sets a delegate's decree. ENOTFOUND; ESTATE for an account that is not a delegate or
 * is revoked; EINVAL for bad values; ETOOBIG when the new dates would make one delegate
 * too many. An end in the past ends its sessions at once. */
int staff_set_decree(struct store *st, const char *name, const char *decree, int64_t start,
		     int64_t end, int max_delegates, int64_t now);

/* Changes the password (and ends the account's sessions). */
int staff_set_password(struct store *st, const char *name, const char *password);

/* Gives account `name` a new TOTP secret (written into secret[], to be shown once) or,
 * with secret NULL, removes the second factor. */
int staff_set_totp(struct store *st, const struct keyfile_keys *keys, const char *name,
		   uint8_t *secret);

/* Dates: "YYYY-MM-DD" (a decree's day, in UTC: start at 00:00, end at 24:00 of that day,
 * so the end date is included) or RFC 3339. 0 or BANDITORE_EINVAL. */
int staff_date_parse(const char *s, int is_end, int64_t *out);

/* --- sessions and login (session.c) --- */

#define STAFF_SESSION_IDLE (30 * 60)       /* ends after 30 minutes without a request */
#define STAFF_SESSION_ABSOLUTE (12 * 3600) /* and 12 hours after login whatever happens */
#define STAFF_SESSION_TOUCH 60             /* last_seen is written at most once a minute */
#define STAFF_LOCK_FAILURES 5              /* failed logins before a lock, per account */
#define STAFF_LOCK_SOURCE_FAILURES 10      /* and per source address (offices share one) */
#define STAFF_LOCK_SECONDS (15 * 60)
#define STAFF_COOKIE_NAME "banditore_session"
#define STAFF_COOKIE_MAX 48                /* 32 random bytes in base64url: 43 + NUL */
#define STAFF_SOURCE_MAX 64

/* What a login attempt found (staff_login_check), before anything is written. */
enum staff_login_outcome {
	STAFF_LOGIN_OK = 0,
	STAFF_LOGIN_BAD,          /* unknown name or wrong password: counts as a failure */
	STAFF_LOGIN_TOTP_NEEDED,  /* right password, the second factor is missing */
	STAFF_LOGIN_TOTP_BAD,     /* right password, wrong or reused code: a failure */
	STAFF_LOGIN_LOCKED,       /* too many failures: try again after retry_after s */
	STAFF_LOGIN_INACTIVE,     /* right password, account revoked or outside its decree */
};

struct staff_login {
	int outcome;                     /* enum staff_login_outcome */
	int64_t retry_after;             /* LOCKED: seconds */
	uint8_t account_key[CRYPTO_HASH_LEN]; /* throttling keys */
	uint8_t source_key[CRYPTO_HASH_LEN];
	struct store_staff account;      /* OK, INACTIVE, TOTP_*: the account */
	int64_t totp_step;               /* OK with a second factor: the step used */
};

/* Reads (never writes) what logging in as `name` with `password` and `totp` (may be NULL
 * or "") from `source` (an IP address as text) at `now` would do, into *out. The
 * password is checked with argon2id here, outside any writer. 0, or a store error.
 * It is also the check of a re-authentication (a session changing its own second factor
 * asks for the password again, and the code when there is one): then staff_reauth_record. */
int staff_login_check(struct store *st, const struct keyfile_keys *keys, const char *name,
		      const char *password, const char *totp, const char *source, int64_t now,
		      struct staff_login *out);

/* Writes what the check found: a failure is counted (per account and per source; the
 * 5th, resp. 10th, locks for 15 minutes); a success makes a session: cookie[] gets the
 * value for the browser, csrf[] its CSRF token, the account's failures are forgotten and
 * the TOTP step is recorded (a code used meanwhile makes it BANDITORE_EAUTH). */
int staff_login_record(struct store *st, const struct staff_login *l, int64_t now,
		       char cookie[STAFF_COOKIE_MAX], char csrf[65]);
/* Writes what the check of a re-authentication found: a failure (BAD, TOTP_BAD) counts
 * exactly as a failed login, under the same keys, so that the password cannot be guessed
 * here past login's lock; a success forgets the account's failures and makes no session. */
int staff_reauth_record(struct store *st, const struct staff_login *l, int64_t now);

/* The session whose cookie value is `cookie`, with its account, at `now`: 0 when it is
 * valid and the account active; BANDITORE_EAUTH when unknown or expired (idle or
 * absolute); BANDITORE_EPERM when its account is revoked or outside its decree. *touch
 * (may be NULL) is 1 when last_seen is due to be written (staff_session_touch). */
int staff_session_check(struct store *st, const char *cookie, int64_t now,
			struct store_session *se, struct store_staff *a, int *touch);
/* The session's SHA-256 from its cookie value. */
int staff_session_hash(const char *cookie, uint8_t out[CRYPTO_HASH_LEN]);
/* 1 when `presented` is the session's CSRF token (constant time). */
int staff_csrf_ok(const struct store_session *se, const char *presented);

#endif
