/*
 * password.c - staff passwords as argon2id hashes (libargon2), never the password.
 *
 * Parameters follow OWASP's advice for argon2id (19 MiB, 2 passes, 1 lane). Measured:
 * 215-320 ms per hash on the shared 2-core machine at load average 19 (Debian's
 * reference libargon2, no SIMD); a login can afford that and a guesser cannot. The check
 * runs in the HTTP thread, never in the writer.
 * The encoded string carries its own salt and parameters, so raising them later only
 * affects new hashes.
 */
#include "staff/staff.h"

#include "common/crypto.h"
#include "common/err.h"

#include <argon2.h>
#include <pthread.h>
#include <string.h>

#define T_COST 2
#define M_COST_KIB 19456
#define LANES 1
#define SALT_LEN 16
#define HASH_LEN 32

int staff_password_hash(const char *password, char out[STORE_STAFF_PASSWORD_MAX])
{
	uint8_t salt[SALT_LEN];
	size_t len = password ? strnlen(password, STAFF_PASSWORD_MAX + 1) : 0;
	int rc;

	out[0] = '\0';
	if (len < STAFF_PASSWORD_MIN || len > STAFF_PASSWORD_MAX)
		return BANDITORE_EINVAL;
	if (argon2_encodedlen(T_COST, M_COST_KIB, LANES, SALT_LEN, HASH_LEN, Argon2_id) >
	    STORE_STAFF_PASSWORD_MAX)
		return BANDITORE_ETOOBIG;
	rc = crypto_random(salt, sizeof(salt));
	if (rc)
		return rc;
	rc = argon2id_hash_encoded(T_COST, M_COST_KIB, LANES, password, len, salt, sizeof(salt),
				   HASH_LEN, out, STORE_STAFF_PASSWORD_MAX);
	crypto_wipe(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		out[0] = '\0';
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? BANDITORE_ENOMEM : BANDITORE_ECRYPTO;
	}
	return 0;
}

int staff_password_verify(const char *encoded, const char *password)
{
	size_t len = password ? strnlen(password, STAFF_PASSWORD_MAX + 1) : 0;
	int rc;

	if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0)
		return BANDITORE_EAUTH;
	if (len > STAFF_PASSWORD_MAX)
		len = STAFF_PASSWORD_MAX; /* still spend the time */
	rc = argon2id_verify(encoded, password ? password : "", len);
	if (rc == ARGON2_OK)
		return 0;
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR)
		return BANDITORE_ENOMEM;
	return BANDITORE_EAUTH;
}

/* A real hash of a random password nobody knows, made once, checked when the name is
 * unknown, so that the answer takes as long as for a real account. */
static char dummy[STORE_STAFF_PASSWORD_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
	uint8_t raw[24];
	char pw[49];

	if (crypto_random(raw, sizeof(raw)) == 0) {
		crypto_hex(raw, sizeof(raw), pw);
		if (staff_password_hash(pw, dummy) != 0)
			dummy[0] = '\0';
	}
	crypto_wipe(pw, sizeof(pw));
	crypto_wipe(raw, sizeof(raw));
}

const char *staff_password_dummy(void)
{
	pthread_once(&dummy_once, make_dummy);
	return dummy;
}
