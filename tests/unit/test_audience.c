/*
 * test_audience.c - who a message reaches: the comune's areas in the configuration
 * ([area ID], with the errors on their lines), the stable bit of each category and area
 * name in the store, and the filter of a broadcast's page scan by the categories and
 * areas subscribers chose.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "config/config.h"

#define MINIMAL                                             \
	"[comune]\n"                                        \
	"name = Comune di Prova\n"                          \
	"website = https://www.comune.prova.example.org/\n" \
	"[channel]\n"                                       \
	"name = Prova Informa\n"                            \
	"[whatsapp]\n"                                      \
	"phone_number_id = 100000000000009\n"               \
	"display_number = +39 370 000 0001\n"
#define MINIMAL_LINES 8

struct fixture {
	char dir[64];
	char path[128];
	struct config *cfg;
	struct config_errors errs;
};

static int unlink_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/banditore-test-audience-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/comune.ini", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_free(f->cfg);
	config_errors_free(&f->errs);
	nftw(f->dir, unlink_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	int fd;

	config_free(f->cfg);
	f->cfg = NULL;
	config_errors_free(&f->errs);
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return config_load(f->path, 0, &f->cfg, &f->errs);
}

static void dump_errors(const struct config_errors *errs)
{
	for (int i = 0; i < errs->count; i++)
		fprintf(stderr, "  %s:%d: %s\n", errs->items[i].file, errs->items[i].line,
			errs->items[i].message);
}

static void expect_error(const struct config_errors *errs, int line, const char *what)
{
	for (int i = 0; i < errs->count; i++)
		if (errs->items[i].line == line && strstr(errs->items[i].message, what))
			return;
	fprintf(stderr, "expected an error on line %d mentioning '%s'; got:\n", line, what);
	dump_errors(errs);
	fail();
}

/* ---- configuration ---- */

static void test_config_areas(void **state)
{
	struct fixture *f = *state;
	int rc = load(f, MINIMAL "[area fornacino]\n"
				 "name = Fornacino\n"
				 "polygon = 45.19,7.72; 45.20,7.72; 45.20,7.74; 45.19,7.74\n"
				 "[area tedeschi]\n"
				 "name = Tedeschi\n");
	if (rc)
		dump_errors(&f->errs);
	assert_int_equal(rc, 0);
	assert_int_equal(f->cfg->n_areas, 2);
	assert_string_equal(f->cfg->areas[0].id, "fornacino");
	assert_string_equal(f->cfg->areas[0].name, "Fornacino");
	assert_int_equal(f->cfg->areas[0].n_points, 4);
	assert_int_equal(f->cfg->areas[1].n_points, 0);
	assert_int_equal(config_area_find(f->cfg, "tedeschi"), 1);
	assert_int_equal(config_area_find(f->cfg, "nessuna"), -1);
	assert_true(config_area_contains(&f->cfg->areas[0], 45.195, 7.73));
	assert_false(config_area_contains(&f->cfg->areas[0], 45.21, 7.73));
	assert_false(config_area_contains(&f->cfg->areas[0], 45.195, 7.75));
	assert_false(config_area_contains(&f->cfg->areas[1], 45.195, 7.73)); /* no polygon */
	/* The choosing keywords' defaults. */
	assert_string_equal(f->cfg->kw_areas, "zone");
	assert_string_equal(f->cfg->kw_areas_word, "ZONE");
	assert_string_equal(f->cfg->kw_categories, "categorie");
}

static void test_config_area_errors(void **state)
{
	struct fixture *f = *state;
	const int L = MINIMAL_LINES;
	int rc = load(f, MINIMAL "[area Fornacino]\n"                           /* L+1 */
				 "name = Fornacino\n"                           /* L+2 */
				 "[area senza-nome]\n"                          /* L+3 */
				 "polygon = 45.19,7.72; 45.20\n"                /* L+4 */
				 "[area lunga]\n"                               /* L+5 */
				 "name = Un nome davvero troppo lungo per WhatsApp\n" /* L+6 */
				 "polygon = 45.19,7.72; 45.20,7.72\n"           /* L+7 */
				 "[area fuori]\n"                               /* L+8 */
				 "name = Fuori\n"                               /* L+9 */
				 "polygon = 95,7; 45,7; 45,8\n"                 /* L+10 */
				 "[area doppia]\n"                              /* L+11 */
				 "name = Fuori\n"                               /* L+12 */
				 "colour = rosso\n"                             /* L+13 */
				 "[keywords]\n"                                 /* L+14 */
				 "areas = ATTIVA ISCRIZIONE\n"                  /* L+15 */
				 "categories = !!\n");                          /* L+16 */

	assert_int_equal(rc, BANDITORE_ECONFIG);
	expect_error(&f->errs, L + 1, "area Fornacino");
	expect_error(&f->errs, L + 3, "name");
	expect_error(&f->errs, L + 4, "polygon");
	expect_error(&f->errs, L + 6, "24");
	expect_error(&f->errs, L + 7, "3");
	expect_error(&f->errs, L + 10, "polygon");
	expect_error(&f->errs, L + 12, "fuori");
	expect_error(&f->errs, L + 13, "colour");
	expect_error(&f->errs, L + 15, "subscribe");
	expect_error(&f->errs, L + 16, "categories");
}

static void test_config_too_many_areas_for_whatsapp(void **state)
{
	struct fixture *f = *state;
	char text[4096];
	size_t used = (size_t)snprintf(text, sizeof(text), "%s", MINIMAL);

	for (int i = 0; i < CONFIG_AREAS_WHATSAPP_MAX + 1; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "[area z%d]\nname = Zona %d\n", i, i);
	assert_int_equal(load(f, text), BANDITORE_ECONFIG);
	expect_error(&f->errs, MINIMAL_LINES + 2 * CONFIG_AREAS_WHATSAPP_MAX + 1, "10");
	/* Without WhatsApp the limit is the configuration's. */
	used = (size_t)snprintf(text, sizeof(text), "%s",
				"[comune]\nname = Comune di Prova\n"
				"website = https://www.comune.prova.example.org/\n"
				"[channel]\nname = Prova Informa\nplatforms = email\n"
				"[email]\nfrom_address = avvisi@comune.prova.example.org\n"
				"smtp_url = smtp://127.0.0.1:2525\n");
	for (int i = 0; i < CONFIG_AREAS_WHATSAPP_MAX + 1; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "[area z%d]\nname = Zona %d\n", i, i);
	if (load(f, text))
		dump_errors(&f->errs);
	assert_non_null(f->cfg);
	assert_int_equal(f->cfg->n_areas, CONFIG_AREAS_WHATSAPP_MAX + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_areas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_area_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_too_many_areas_for_whatsapp, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
