/*
 * fixtures.c - the unit tests' shared fixtures (fixtures.h): a store in a directory of
 * its own, and the directory's removal.
 */
#include "fixtures.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fixture_store_setup(void **state, const char *name)
{
	struct fixture_store *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-%s-XXXXXX", name);
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/banditore.db", f->dir);
	if (store_open(f->path, &f->st)) {
		fixture_remove_dir(f->dir);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

int fixture_store_teardown(void **state)
{
	struct fixture_store *f = *state;

	store_free(f->st);
	fixture_remove_dir(f->dir);
	crypto_wipe(&f->keys, sizeof(f->keys));
	free(f);
	return 0;
}

void fixture_remove_dir(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)) != NULL) {
		char p[512];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}
