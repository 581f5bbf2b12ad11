/*
 * fixtures.h - cmocka fixtures the unit tests share: a real store in a fresh mkdtemp()
 * directory, removed with everything in it (the database, its -wal and -shm) afterwards.
 */
#ifndef BANDITORE_TEST_FIXTURES_H
#define BANDITORE_TEST_FIXTURES_H

#include "common/keyfile.h"
#include "store/store.h"

struct fixture_store {
	char dir[64];      /* /tmp/banditore-NAME-XXXXXX */
	char path[128];    /* DIR/banditore.db */
	struct store *st;
	struct keyfile_keys keys; /* zeroed: a test that seals sets what it needs */
};

/* A cmocka setup: *state gets a zeroed struct fixture_store with the store opened in a
 * new directory named after `name`. 0, or -1 with nothing left behind. */
int fixture_store_setup(void **state, const char *name);

/* The matching teardown (cmocka's signature): closes the store, removes the directory
 * and frees *state. */
int fixture_store_teardown(void **state);

/* Removes the files directly in `dir`, then `dir`. */
void fixture_remove_dir(const char *dir);

#endif
