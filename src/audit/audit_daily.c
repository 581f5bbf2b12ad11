/*
 * audit_daily.c - what the audit keeps of joins and leaves: one entry a day with the
 * anonymous counts per platform, taken from the store's daily counters. Nothing in it
 * leads back to a person.
 */
#include "audit/audit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/platform.h"

static const char *const counted[] = { "join", "leave" };

int audit_daily_counts(struct store *st, const struct audit_keys *k, const char *day,
		       int64_t now, int *appended)
{
	struct store_audit_entry *found = NULL;
	char object[16];
	json_t *counts = NULL, *details = NULL;
	char *text = NULL;
	int rc;

	if (appended)
		*appended = 0;
	if (!st || !k || !day || strlen(day) != 10)
		return BANDITORE_EINVAL;
	snprintf(object, sizeof(object), "day:%s", day);
	found = malloc(sizeof(*found));
	if (!found)
		return BANDITORE_ENOMEM;
	rc = store_audit_find(st, "counts.daily", object, found);
	if (rc == 0)
		goto fail; /* recorded already */
	if (rc != BANDITORE_ENOTFOUND)
		goto fail;
	rc = BANDITORE_ENOMEM;
	counts = json_object();
	if (!counts)
		goto fail;
	for (int p = 1; p <= PLATFORM_MAX; p++) {
		json_t *per = NULL;
		for (size_t i = 0; i < sizeof(counted) / sizeof(counted[0]); i++) {
			int64_t v = 0;
			rc = store_counter_day(st, day, p, counted[i], &v);
			if (rc) {
				json_decref(per);
				goto fail;
			}
			if (v == 0)
				continue;
			if (!per && !(per = json_object())) {
				rc = BANDITORE_ENOMEM;
				goto fail;
			}
			json_object_set_new(per, counted[i], json_integer((json_int_t)v));
		}
		if (per)
			json_object_set_new(counts, platform_name(p), per);
	}
	details = json_pack("{s:s, s:O}", "day", day, "counts", counts);
	text = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!text) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	rc = audit_append(st, k, "system", "counts.daily", object, text, now, NULL);
	if (!rc && appended)
		*appended = 1;
fail:
	free(text);
	json_decref(details);
	json_decref(counts);
	free(found);
	return rc;
}
