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
#include "common/platform.h"
#include "config/config.h"
#include "connectors/whatsapp.h"
#include "inbound/choices.h"
#include "messages/messages_audience.h"
#include "policy/policy.h"
#include "store/store.h"

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

/* ---- the store: stable bits, choices, the filtered page scan ---- */

struct db {
	char dir[64];
	char path[128];
	struct store *st;
};

static int db_setup(void **state)
{
	struct db *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/banditore-test-audience-XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/banditore.db", d->dir);
	if (store_open(d->path, &d->st))
		return -1;
	*state = d;
	return 0;
}

static int db_teardown(void **state)
{
	struct db *d = *state;
	store_free(d->st);
	nftw(d->dir, unlink_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

static void add_sub(struct store *st, int platform, uint8_t seed, int64_t *id)
{
	struct store_subscriber s;

	memset(&s, 0, sizeof(s));
	s.platform = platform;
	memset(s.addr_hash, seed, sizeof(s.addr_hash));
	s.addr_hash[0] = (uint8_t)platform;
	s.sealed_len = 20;
	memset(s.sealed, seed, s.sealed_len);
	s.joined_at = 1700000000;
	snprintf(s.method, sizeof(s.method), "keyword");
	snprintf(s.policy_version, sizeof(s.policy_version), "v1");
	assert_int_equal(store_subscriber_add(st, &s, id), 0);
}

static void hash_of(int platform, uint8_t seed, uint8_t h[CRYPTO_HASH_LEN])
{
	memset(h, seed, CRYPTO_HASH_LEN);
	h[0] = (uint8_t)platform;
}

static void test_bits_stable(void **state)
{
	struct db *d = *state;
	const char *live[] = { "tedeschi" };
	uint8_t h[CRYPTO_HASH_LEN];
	uint64_t cats, areas;
	int a = -1, b = -1, c = -1, again = -1, removed = 0;

	/* Lookups do not assign; the first use does, lowest free bit first. */
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "fornacino", 0, &a), 0);
	assert_int_equal(a, -1);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "fornacino", 1, &a), 0);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "tedeschi", 1, &b), 0);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_CATEGORY, "viabilita", 1, &c), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 0); /* each kind has its own bits */
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "tedeschi", 1, &again), 0);
	assert_int_equal(again, 1);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "", 1, &again), BANDITORE_EINVAL);
	assert_int_equal(store_audience_bit(d->st, 7, "x", 1, &again), BANDITORE_EINVAL);

	/* A subscriber chose both; pruning "fornacino" clears its bit from them first, and
	 * a new name then takes the freed bit without inheriting the old choice. */
	add_sub(d->st, PLATFORM_WHATSAPP, 1, NULL);
	hash_of(PLATFORM_WHATSAPP, 1, h);
	assert_int_equal(store_subscriber_set_audience(d->st, PLATFORM_WHATSAPP, h, 0, 3), 0);
	{
		/* A message aimed at both keeps only Tedeschi in its filter. */
		struct store_audience aud = { 0, 3 };
		assert_int_equal(store_message_set_audience(d->st, 77, &aud), 0);
	}
	assert_int_equal(store_audience_prune(d->st, STORE_AUDIENCE_AREA, live, 1, &removed), 0);
	assert_int_equal(removed, 1);
	{
		struct store_audience aud;
		assert_int_equal(store_message_get_audience(d->st, 77, &aud), 0);
		assert_true(aud.areas == 2);
	}
	assert_int_equal(store_subscriber_get_audience(d->st, PLATFORM_WHATSAPP, h, &cats, &areas), 0);
	assert_true(cats == 0 && areas == 2);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "ortigia", 1, &again), 0);
	assert_int_equal(again, 0);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "tedeschi", 0, &again), 0);
	assert_int_equal(again, 1);

	/* Not a subscriber. */
	hash_of(PLATFORM_WHATSAPP, 99, h);
	assert_int_equal(store_subscriber_set_audience(d->st, PLATFORM_WHATSAPP, h, 1, 1), BANDITORE_ENOTFOUND);
}

static void test_bits_run_out(void **state)
{
	struct db *d = *state;
	char name[16];
	int bit = -1;

	for (int i = 0; i < STORE_AUDIENCE_BITS; i++) {
		snprintf(name, sizeof(name), "z%d", i);
		assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, name, 1, &bit), 0);
		assert_int_equal(bit, i);
	}
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "one-more", 1, &bit), BANDITORE_ETOOBIG);
	assert_int_equal(store_audience_prune(d->st, STORE_AUDIENCE_AREA, NULL, 0, NULL), 0);
	assert_int_equal(store_audience_bit(d->st, STORE_AUDIENCE_AREA, "one-more", 1, &bit), 0);
	assert_int_equal(bit, 0);
}

/* Five WhatsApp subscribers and one on Telegram:
 *   1 chose nothing; 2 categories {viabilita}; 3 categories {eventi};
 *   4 areas {fornacino}; 5 areas {tedeschi} and categories {viabilita}; 6 (telegram) nothing. */
static void seed_choices(struct store *st, int64_t ids[7])
{
	uint8_t h[CRYPTO_HASH_LEN];
	int via = -1, ev = -1, forn = -1, ted = -1;

	for (int i = 1; i <= 5; i++)
		add_sub(st, PLATFORM_WHATSAPP, (uint8_t)i, &ids[i]);
	add_sub(st, PLATFORM_TELEGRAM, 6, &ids[6]);
	assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_CATEGORY, "viabilita", 1, &via), 0);
	assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_CATEGORY, "eventi", 1, &ev), 0);
	assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_AREA, "fornacino", 1, &forn), 0);
	assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_AREA, "tedeschi", 1, &ted), 0);
	hash_of(PLATFORM_WHATSAPP, 2, h);
	assert_int_equal(store_subscriber_set_audience(st, PLATFORM_WHATSAPP, h, 1u << via, 0), 0);
	hash_of(PLATFORM_WHATSAPP, 3, h);
	assert_int_equal(store_subscriber_set_audience(st, PLATFORM_WHATSAPP, h, 1u << ev, 0), 0);
	hash_of(PLATFORM_WHATSAPP, 4, h);
	assert_int_equal(store_subscriber_set_audience(st, PLATFORM_WHATSAPP, h, 0, 1u << forn), 0);
	hash_of(PLATFORM_WHATSAPP, 5, h);
	assert_int_equal(store_subscriber_set_audience(st, PLATFORM_WHATSAPP, h, 1u << via, 1u << ted), 0);
}

/* A policy with the categories the tests name (their ids only matter). */
static struct policy *test_policy(void)
{
	static struct policy *p;
	const char *ids[] = { "viabilita", "eventi", "bandi", "allerta" };

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	policy_init(p);
	for (int i = 0; i < 4; i++) {
		snprintf(p->categories[i].id, sizeof(p->categories[i].id), "%s", ids[i]);
		snprintf(p->categories[i].label, sizeof(p->categories[i].label), "%s", ids[i]);
	}
	p->categories[3].emergency = 1;
	p->n_categories = 4;
	return p;
}

/* The ids (1..5 as seeded) a filter lets through, as a bit set, walking pages of 2. */
static unsigned walk(struct store *st, const int64_t ids[7], const struct store_audience *aud)
{
	struct store_recipient page[2];
	int64_t after = 0;
	unsigned got = 0;
	int n;

	do {
		assert_int_equal(store_subscribers_page_for(st, PLATFORM_WHATSAPP, after, INT64_MAX, 0,
							    aud, page, 2, &n), 0);
		for (int i = 0; i < n; i++) {
			for (int k = 1; k <= 5; k++)
				if (page[i].id == ids[k])
					got |= 1u << k;
			after = page[i].id;
		}
	} while (n == 2);
	return got;
}

static void test_filter(void **state)
{
	struct db *d = *state;
	int64_t ids[7], counts[PLATFORM_MAX + 1];
	struct store_audience aud;

	seed_choices(d->st, ids);
	/* No filter: everyone. */
	assert_int_equal(walk(d->st, ids, NULL), 0x3e);
	/* A road-works notice: category viabilita, no area: 1 (nothing chosen), 2, 4 (no
	 * category chosen), 5; not 3 (only eventi). */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "viabilita", STORE_PRIORITY_NORMAL, "", 0, &aud), 0);
	assert_int_equal(walk(d->st, ids, &aud), (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5));
	/* ... in Fornacino: 1, 2 (no area chosen), 4; not 5 (Tedeschi), not 3. */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "viabilita", STORE_PRIORITY_NORMAL, "fornacino", 0, &aud), 0);
	assert_int_equal(walk(d->st, ids, &aud), (1u << 1) | (1u << 2) | (1u << 4));
	/* ... in both areas: 5 too. */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "viabilita", STORE_PRIORITY_NORMAL, "fornacino,tedeschi", 0, &aud), 0);
	assert_int_equal(walk(d->st, ids, &aud), (1u << 1) | (1u << 2) | (1u << 4) | (1u << 5));
	/* An emergency in Fornacino reaches everyone. */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "viabilita", STORE_PRIORITY_EMERGENCY, "fornacino", 0, &aud), 0);
	assert_true(aud.categories == 0 && aud.areas == 0);
	assert_int_equal(walk(d->st, ids, &aud), 0x3e);
	/* A category nobody chose reaches only those who chose no category (1, 4). */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "bandi", STORE_PRIORITY_NORMAL, "", 0, &aud), 0);
	assert_true(aud.categories == STORE_AUDIENCE_NOBODY);
	assert_int_equal(walk(d->st, ids, &aud), (1u << 1) | (1u << 4));
	/* A category configured emergency = yes reaches everyone, like the priority. */
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "allerta", STORE_PRIORITY_NORMAL, "fornacino", 0, &aud), 0);
	assert_true(aud.categories == 0 && aud.areas == 0);
	/* Without configured categories (free ones) the category filters nobody out. */
	assert_int_equal(messages_audience_filter(d->st, NULL, "viabilita", STORE_PRIORITY_NORMAL, "", 1, &aud), 0);
	assert_true(aud.categories == 0 && aud.areas == 0);
	assert_int_equal(messages_audience_filter(d->st, test_policy(), "sconosciuta", STORE_PRIORITY_NORMAL, "", 1, &aud), 0);
	assert_true(aud.categories == 0);
	/* Counts per platform, with the same rule: the Telegram subscriber chose nothing. */
	assert_int_equal(messages_reach(d->st, test_policy(), "viabilita", STORE_PRIORITY_NORMAL, "fornacino", counts), 0);
	assert_int_equal(counts[PLATFORM_WHATSAPP], 3);
	assert_int_equal(counts[PLATFORM_TELEGRAM], 1);
	assert_int_equal(counts[PLATFORM_EMAIL], 0);
	assert_int_equal(messages_reach(d->st, test_policy(), "eventi", STORE_PRIORITY_EMERGENCY, "tedeschi", counts), 0);
	assert_int_equal(counts[PLATFORM_WHATSAPP], 5);
}

/* A message's areas, and the filter its approval fixes, drive store_message_recipients. */
static void test_message_recipients(void **state)
{
	struct db *d = *state;
	struct store_message m;
	struct store_recipient page[8];
	char areas[64];
	int64_t ids[7], id = 0, reach = 0;
	int n = 0;

	seed_choices(d->st, ids);
	memset(&m, 0, sizeof(m));
	snprintf(m.title, sizeof(m.title), "Lavori");
	m.text = (char *)"Strada chiusa in via Roma";
	snprintf(m.category, sizeof(m.category), "viabilita");
	m.created_at = 1700000000;
	assert_int_equal(store_message_add(d->st, &m, &id), 0);
	m.id = id;
	/* No targets: every subscriber. */
	assert_int_equal(store_message_get_areas(d->st, id, areas, sizeof(areas)), 0);
	assert_string_equal(areas, "");
	assert_int_equal(store_message_recipients(d->st, id, PLATFORM_WHATSAPP, 0, INT64_MAX, 0, page, 8, &n), 0);
	assert_int_equal(n, 5);
	/* Targeting Tedeschi: fixed at approval. */
	assert_int_equal(store_message_set_areas(d->st, id, "tedeschi"), 0);
	assert_int_equal(messages_audience_fix(d->st, test_policy(), &m, &reach), 0);
	assert_int_equal(reach, 3); /* 1, 2 (no area), 5; not 3 (eventi), not 4 (Fornacino) */
	assert_int_equal(store_message_recipients(d->st, id, PLATFORM_WHATSAPP, 0, INT64_MAX, 0, page, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(page[0].id, ids[1]);
	assert_int_equal(page[1].id, ids[2]);
	assert_int_equal(page[2].id, ids[5]);
	/* Leaving takes the choice with the row: the walk no longer finds subscriber 5. */
	{
		uint8_t h[CRYPTO_HASH_LEN];
		uint64_t c, a;
		int erased = 0;
		hash_of(PLATFORM_WHATSAPP, 5, h);
		assert_int_equal(store_subscriber_erase(d->st, PLATFORM_WHATSAPP, h, &erased), 0);
		assert_int_equal(erased, 1);
		assert_int_equal(store_subscriber_get_audience(d->st, PLATFORM_WHATSAPP, h, &c, &a), BANDITORE_ENOTFOUND);
	}
	assert_int_equal(store_message_recipients(d->st, id, PLATFORM_WHATSAPP, 0, INT64_MAX, 0, page, 8, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_message_set_areas(d->st, id, NULL), 0);
	assert_int_equal(store_message_get_areas(d->st, id, areas, sizeof(areas)), 0);
	assert_string_equal(areas, "");
}

static void test_areas_json(void **state)
{
	struct fixture *f = *state;
	struct messages_error err;
	char out[256];
	int present = -1;
	const char *ids[] = { "tedeschi", "fornacino" };

	assert_int_equal(load(f, MINIMAL "[area fornacino]\nname = Fornacino\n[area tedeschi]\nname = Tedeschi\n"), 0);
	assert_int_equal(messages_areas_from_json("{\"text\":\"x\"}", strlen("{\"text\":\"x\"}"), f->cfg, out, sizeof(out), &present, &err), 0);
	assert_int_equal(present, 0);
	assert_int_equal(messages_areas_from_json("{\"areas\":null}", strlen("{\"areas\":null}"), f->cfg, out, sizeof(out), &present, &err), 0);
	assert_int_equal(present, 0);
	assert_int_equal(messages_areas_from_json("{\"areas\":[]}", strlen("{\"areas\":[]}"), f->cfg, out, sizeof(out), &present, &err), 0);
	assert_int_equal(present, 1);
	assert_string_equal(out, "");
	assert_int_equal(messages_areas_from_json("{\"areas\":[\"tedeschi\",\"fornacino\"]}", strlen("{\"areas\":[\"tedeschi\",\"fornacino\"]}"), f->cfg, out,
						  sizeof(out), &present, &err), 0);
	assert_string_equal(out, "tedeschi,fornacino");
	/* An area that does not exist: refused, in Italian, naming the ones there are. */
	assert_int_equal(messages_areas_from_json("{\"areas\":[\"centro\"]}", strlen("{\"areas\":[\"centro\"]}"), f->cfg, out, sizeof(out),
						  &present, &err), BANDITORE_EINVAL);
	assert_string_equal(err.field, "areas");
	assert_non_null(strstr(err.message, "la zona 'centro' non esiste"));
	assert_non_null(strstr(err.message, "fornacino, tedeschi"));
	assert_non_null(strstr(err.message_en, "does not exist"));
	assert_int_equal(messages_areas_from_json("{\"areas\":\"fornacino\"}", strlen("{\"areas\":\"fornacino\"}"), f->cfg, out, sizeof(out),
						  &present, &err), BANDITORE_EINVAL);
	assert_int_equal(messages_areas_from_json("{\"areas\":[\"fornacino\",\"fornacino\"]}", strlen("{\"areas\":[\"fornacino\",\"fornacino\"]}"), f->cfg, out,
						  sizeof(out), &present, &err), BANDITORE_EINVAL);
	assert_non_null(strstr(err.message, "ripetuta"));
	assert_int_equal(messages_areas_from_json("{\"areas\":[3]}", strlen("{\"areas\":[3]}"), f->cfg, out, sizeof(out), &present, &err),
			 BANDITORE_EINVAL);
	assert_int_equal(messages_areas_check(f->cfg, ids, 2, out, sizeof(out), &err), 0);
	assert_string_equal(out, "tedeschi,fornacino");
}

/* ---- choosing: the lists, the picks, WhatsApp's list message ---- */

#define CHOICES_CONFIG                                                                     \
	MINIMAL "[area fornacino]\nname = Fornacino\n[area tedeschi]\nname = Tedeschi\n"    \
		"[category viabilita]\nlabel = Viabilità, lavori stradali e trasporto pubblico\n" \
		"[category emergenze]\nlabel = Emergenze\nemergency = yes\n"

static void test_choices(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	struct choices_list *l = calloc(1, sizeof(*l));
	char path[192], *body, *markup;
	uint8_t h[CRYPTO_HASH_LEN];
	uint64_t cats, areas;
	int kind = -1, removed = -1;

	assert_non_null(l);
	assert_int_equal(load(f, CHOICES_CONFIG), 0);
	snprintf(path, sizeof(path), "%s/b.db", f->dir);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(choices_classify(f->cfg, "zone", NULL), CHOICES_ASK_AREAS);
	assert_int_equal(choices_classify(f->cfg, "categorie", NULL), CHOICES_ASK_CATEGORIES);
	assert_int_equal(choices_classify(f->cfg, "ciao", "a:x"), CHOICES_PICK);
	assert_int_equal(choices_classify(f->cfg, "ciao", "banditore:join:yes"), CHOICES_NONE);
	add_sub(st, PLATFORM_WHATSAPP, 1, NULL);
	hash_of(PLATFORM_WHATSAPP, 1, h);
	/* One who has just joined gets the list choices_fresh makes from the configuration
	 * alone (the body every join queues, built once at start), for either kind. */
	for (int i = 0; i < 2; i++) {
		int k = i ? STORE_AUDIENCE_CATEGORY : STORE_AUDIENCE_AREA;
		struct choices_list *fresh = calloc(1, sizeof(*fresh));
		char *a, *b;
		assert_non_null(fresh);
		assert_int_equal(choices_load(st, f->cfg, PLATFORM_WHATSAPP, h, k, l), 0);
		choices_fresh(f->cfg, k, fresh);
		assert_int_equal(fresh->n, i ? 1 : 2);
		assert_true(fresh->all);
		a = choices_whatsapp_body(f->cfg, l);
		b = choices_whatsapp_body(f->cfg, fresh);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
		free(a);
		free(b);
		free(fresh);
	}
	/* Not a subscriber; an unknown id; then a toggle on and off. */
	{
		uint8_t other[CRYPTO_HASH_LEN];
		hash_of(PLATFORM_WHATSAPP, 2, other);
		assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, other, "a:fornacino", &kind),
				 BANDITORE_ENOTFOUND);
	}
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "a:centro", &kind), BANDITORE_EINVAL);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "c:emergenze", &kind), BANDITORE_EINVAL);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "a:tedeschi", &kind), 0);
	assert_int_equal(kind, STORE_AUDIENCE_AREA);
	assert_int_equal(choices_load(st, f->cfg, PLATFORM_WHATSAPP, h, STORE_AUDIENCE_AREA, l), 0);
	assert_int_equal(l->n, 2);
	assert_false(l->all);
	assert_false(l->items[0].chosen);
	assert_true(l->items[1].chosen);
	body = choices_summary(f->cfg, l);
	assert_non_null(strstr(body, "Zone scelte: Tedeschi"));
	free(body);
	/* The list body: "all" first, the chosen row marked, ids a:<id>. */
	body = choices_whatsapp_body(f->cfg, l);
	assert_non_null(strstr(body, "[\"a:*\",\"Tutte le zone\""));
	assert_non_null(strstr(body, "[\"a:tedeschi\",\"Tedeschi\",\"✓"));
	free(body);
	markup = choices_telegram_markup(l);
	assert_non_null(strstr(markup, "\"text\":\"✓ Tedeschi\",\"callback_data\":\"a:tedeschi\""));
	free(markup);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "a:tedeschi", &kind), 0);
	assert_int_equal(store_subscriber_get_audience(st, PLATFORM_WHATSAPP, h, &cats, &areas), 0);
	assert_true(areas == 0);
	/* Categories: emergencies are not offered; a long label is cut to a row's 24. */
	assert_int_equal(choices_load(st, f->cfg, PLATFORM_WHATSAPP, h, STORE_AUDIENCE_CATEGORY, l), 0);
	assert_int_equal(l->n, 1);
	body = choices_whatsapp_body(f->cfg, l);
	assert_non_null(strstr(body, "\"Viabilità, lavori strad…\""));
	free(body);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "c:viabilita", &kind), 0);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "a:fornacino", &kind), 0);
	assert_int_equal(choices_pick(st, f->cfg, PLATFORM_WHATSAPP, h, "c:*", &kind), 0);
	assert_int_equal(store_subscriber_get_audience(st, PLATFORM_WHATSAPP, h, &cats, &areas), 0);
	assert_true(cats == 0 && areas != 0);
	/* At start, names the configuration no longer has are pruned with their choices. */
	assert_int_equal(store_audience_bit(st, STORE_AUDIENCE_AREA, "vecchia", 1, &kind), 0);
	assert_int_equal(messages_audience_prune(st, f->cfg, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(load(f, MINIMAL "[area tedeschi]\nname = Tedeschi\n"), 0);
	assert_int_equal(messages_audience_prune(st, f->cfg, &removed), 0);
	assert_int_equal(removed, 2); /* fornacino and the category viabilita */
	assert_int_equal(store_subscriber_get_audience(st, PLATFORM_WHATSAPP, h, &cats, &areas), 0);
	assert_true(cats == 0 && areas == 0);
	store_free(st);
	free(l);
}

static void test_whatsapp_list(void **state)
{
	const char *ids[11] = { "a:*", "a:x", "a:y" }, *titles[11] = { "Tutte", "X", "Y" };
	const char *descs[11] = { "tocca", NULL, "" };
	char *out = NULL;

	(void)state;
	assert_int_equal(whatsapp_build_list("+393330007001", "Scegli", "Scegli le zone", ids, titles, descs, 3, &out), 0);
	assert_non_null(strstr(out, "\"type\":\"list\""));
	assert_non_null(strstr(out, "\"button\":\"Scegli le zone\""));
	assert_non_null(strstr(out, "{\"id\":\"a:*\",\"title\":\"Tutte\",\"description\":\"tocca\"}"));
	assert_non_null(strstr(out, "{\"id\":\"a:x\",\"title\":\"X\"}"));
	free(out);
	/* The Cloud API's limits: 10 rows, a 24-character title, a 20-character button,
	 * unique ids. */
	for (int i = 3; i < 11; i++) {
		ids[i] = i % 2 ? "a:1" : "a:2";
		titles[i] = "T";
		descs[i] = NULL;
	}
	assert_int_equal(whatsapp_build_list("+393330007001", "S", "B", ids, titles, descs, 11, &out), BANDITORE_EINVAL);
	titles[1] = "Un titolo di venticinque c";
	assert_int_equal(whatsapp_build_list("+393330007001", "S", "B", ids, titles, descs, 3, &out), BANDITORE_EINVAL);
	titles[1] = "X";
	assert_int_equal(whatsapp_build_list("+393330007001", "S", "Un bottone lungo più di venti", ids, titles, descs, 3, &out),
			 BANDITORE_EINVAL);
	ids[2] = "a:x";
	assert_int_equal(whatsapp_build_list("+393330007001", "S", "B", ids, titles, descs, 3, &out), BANDITORE_EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_areas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_area_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_too_many_areas_for_whatsapp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_areas_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bits_stable, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_bits_run_out, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_filter, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_message_recipients, db_setup, db_teardown),
		cmocka_unit_test_setup_teardown(test_choices, setup, teardown),
		cmocka_unit_test(test_whatsapp_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
