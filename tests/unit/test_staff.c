/*
 * test_staff.c - unit tests of src/staff/tokens.c: the secret's form, that only its
 * SHA-256 is stored, verification (unknown, revoked, scopes), unique names, revocation
 * and listing, on a real store in a mkdtemp() directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/err.h"
#include "staff/tokens.h"
#include "store/store.h"
#include "fixtures.h"

#define NOW 1780000000

static int setup(void **state)
{
	return fixture_store_setup(state, "staff");
}

/* 1 when `needle` occurs in the file at `path`. */
static int file_contains(const char *path, const char *needle)
{
	size_t n = strlen(needle), len = 0, cap = 1 << 20;
	char *data = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	ssize_t r;

	assert_non_null(data);
	if (fd >= 0) {
		while (len < cap && (r = read(fd, data + len, cap - len)) > 0)
			len += (size_t)r;
		close(fd);
	}
	for (size_t i = 0; i + n <= len && !found; i++)
		found = !memcmp(data + i, needle, n);
	free(data);
	return found;
}

static void test_names_and_scopes(void **state)
{
	struct store_token t;
	(void)state;

	assert_true(tokens_name_valid("portale"));
	assert_true(tokens_name_valid("Sito.Comune_2026-a"));
	assert_false(tokens_name_valid(""));
	assert_false(tokens_name_valid(NULL));
	assert_false(tokens_name_valid("con spazio"));
	assert_false(tokens_name_valid("città"));
	assert_false(tokens_name_valid("a/b"));
	assert_true(tokens_name_valid("123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(tokens_name_valid("1234567890123456789012345678901234567890123456789012345678901234"));

	assert_true(tokens_scopes_valid("messages:read"));
	assert_true(tokens_scopes_valid("messages:read messages:write"));
	assert_true(tokens_scopes_valid(" messages:write  "));
	assert_false(tokens_scopes_valid(""));
	assert_false(tokens_scopes_valid("   "));
	assert_false(tokens_scopes_valid("admin"));
	assert_false(tokens_scopes_valid("messages:read admin"));
	assert_false(tokens_scopes_valid("messages:readx"));
	assert_false(tokens_scopes_valid(NULL));

	memset(&t, 0, sizeof(t));
	snprintf(t.scopes, sizeof(t.scopes), "messages:read messages:write");
	assert_true(tokens_has_scope(&t, "messages:read"));
	assert_true(tokens_has_scope(&t, "messages:write"));
	assert_false(tokens_has_scope(&t, "messages"));
	assert_false(tokens_has_scope(&t, "messages:rea"));
	snprintf(t.scopes, sizeof(t.scopes), "messages:read");
	assert_false(tokens_has_scope(&t, "messages:write"));
}

static void test_create_and_verify(void **state)
{
	struct fixture_store *f = *state;
	char secret[TOKENS_SECRET_MAX], other[TOKENS_SECRET_MAX];
	uint8_t hash[CRYPTO_HASH_LEN];
	struct store_token t;
	int64_t id = 0;

	assert_int_equal(tokens_create(f->st, "portale", NULL, NOW, secret, &id), 0);
	assert_true(id > 0);
	assert_int_equal(strlen(secret), 4 + 43);
	assert_memory_equal(secret, "bnd_", 4);
	for (const char *p = secret + 4; *p; p++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
	/* stored: the SHA-256 of the secret, never the secret */
	assert_int_equal(tokens_hash(secret, hash), 0);
	assert_int_equal(store_token_find(f->st, hash, &t), 0);
	assert_string_equal(t.name, "portale");
	assert_string_equal(t.scopes, TOKENS_SCOPES_DEFAULT);
	assert_int_equal(t.created_at, NOW);
	assert_int_equal(t.revoked_at, 0);
	assert_false(file_contains(f->path, secret + 4));
	{
		char wal[160];
		snprintf(wal, sizeof(wal), "%s-wal", f->path);
		assert_false(file_contains(wal, secret + 4));
	}

	memset(&t, 0, sizeof(t));
	assert_int_equal(tokens_verify(f->st, secret, NULL, &t), 0);
	assert_string_equal(t.name, "portale");
	assert_int_equal(tokens_verify(f->st, secret, TOKENS_SCOPE_WRITE, &t), 0);
	assert_int_equal(tokens_verify(f->st, secret, TOKENS_SCOPE_READ, &t), 0);

	/* two secrets are never the same */
	assert_int_equal(tokens_create(f->st, "altro", TOKENS_SCOPE_READ, NOW, other, NULL), 0);
	assert_string_not_equal(secret, other);
	assert_int_equal(tokens_verify(f->st, other, TOKENS_SCOPE_READ, &t), 0);
	assert_string_equal(t.name, "altro");
	assert_int_equal(tokens_verify(f->st, other, TOKENS_SCOPE_WRITE, &t), BANDITORE_EPERM);

	/* wrong, truncated, extended, empty, absurdly long */
	{
		char bad[TOKENS_SECRET_MAX];
		char *huge = malloc(TOKENS_PRESENTED_MAX + 10);
		snprintf(bad, sizeof(bad), "%s", secret);
		bad[10] ^= 1;
		assert_int_equal(tokens_verify(f->st, bad, NULL, &t), BANDITORE_EAUTH);
		bad[10] ^= 1;
		bad[strlen(bad) - 1] = '\0';
		assert_int_equal(tokens_verify(f->st, bad, NULL, &t), BANDITORE_EAUTH);
		assert_int_equal(tokens_verify(f->st, "", NULL, &t), BANDITORE_EAUTH);
		assert_int_equal(tokens_verify(f->st, NULL, NULL, &t), BANDITORE_EAUTH);
		assert_non_null(huge);
		memset(huge, 'a', TOKENS_PRESENTED_MAX + 9);
		huge[TOKENS_PRESENTED_MAX + 9] = '\0';
		assert_int_equal(tokens_verify(f->st, huge, NULL, &t), BANDITORE_EAUTH);
		free(huge);
	}
}

static void test_refusals(void **state)
{
	struct fixture_store *f = *state;
	char secret[TOKENS_SECRET_MAX];
	int n = -1;
	struct store_token list[4];

	assert_int_equal(tokens_create(f->st, "con spazio", NULL, NOW, secret, NULL), BANDITORE_EINVAL);
	assert_string_equal(secret, "");
	assert_int_equal(tokens_create(f->st, "ok", "admin", NOW, secret, NULL), BANDITORE_EINVAL);
	assert_int_equal(tokens_create(f->st, "ok", "", NOW, secret, NULL), BANDITORE_EINVAL);
	assert_int_equal(tokens_list(f->st, list, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tokens_create(f->st, "ok", NULL, NOW, secret, NULL), 0);
	assert_int_equal(tokens_create(f->st, "ok", NULL, NOW, secret, NULL), BANDITORE_EEXIST);
	assert_string_equal(secret, "");
	assert_int_equal(tokens_list(f->st, list, 4, &n), 0);
	assert_int_equal(n, 1);
}

static void test_revoke_and_list(void **state)
{
	struct fixture_store *f = *state;
	char first[TOKENS_SECRET_MAX], second[TOKENS_SECRET_MAX], third[TOKENS_SECRET_MAX];
	struct store_token t, list[8];
	int n = 0;

	assert_int_equal(tokens_create(f->st, "sito", NULL, NOW, first, NULL), 0);
	assert_int_equal(tokens_create(f->st, "app", TOKENS_SCOPE_READ, NOW + 1, second, NULL), 0);
	assert_int_equal(tokens_revoke(f->st, "sito", NOW + 10), 0);
	assert_int_equal(tokens_verify(f->st, first, NULL, &t), BANDITORE_EAUTH);
	assert_int_equal(t.revoked_at, NOW + 10);
	assert_int_equal(tokens_verify(f->st, second, NULL, &t), 0);
	assert_int_equal(tokens_revoke(f->st, "sito", NOW + 11), BANDITORE_ENOTFOUND);
	assert_int_equal(tokens_revoke(f->st, "nessuno", NOW + 11), BANDITORE_ENOTFOUND);
	assert_int_equal(tokens_revoke(f->st, "bad name", NOW + 11), BANDITORE_ENOTFOUND);
	/* the name is free again; the old secret stays refused */
	assert_int_equal(tokens_create(f->st, "sito", NULL, NOW + 20, third, NULL), 0);
	assert_int_equal(tokens_verify(f->st, third, NULL, &t), 0);
	assert_int_equal(t.created_at, NOW + 20);
	assert_int_equal(tokens_verify(f->st, first, NULL, &t), BANDITORE_EAUTH);
	assert_int_equal(tokens_list(f->st, list, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "sito");
	assert_int_equal(list[0].revoked_at, NOW + 10);
	assert_string_equal(list[1].name, "app");
	assert_string_equal(list[1].scopes, TOKENS_SCOPE_READ);
	assert_string_equal(list[2].name, "sito");
	assert_int_equal(list[2].revoked_at, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_scopes),
		cmocka_unit_test_setup_teardown(test_create_and_verify, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, fixture_store_teardown),
		cmocka_unit_test_setup_teardown(test_revoke_and_list, setup, fixture_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
