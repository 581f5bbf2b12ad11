/*
 * messages_audience.c - a message's target areas as the editor gives them, and the
 * filter of categories and areas its broadcast applies (messages_audience.h says the
 * rule and why).
 */
#include "messages/messages_audience.h"

#include "common/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int refuse(struct messages_error *err, const char *it, const char *en)
{
	snprintf(err->field, sizeof(err->field), "areas");
	snprintf(err->message, sizeof(err->message), "%s", it);
	snprintf(err->message_en, sizeof(err->message_en), "%s", en);
	return BANDITORE_EINVAL;
}

/* The configured ids, "a, b, c", for the error that names an unknown one. */
static void known_list(const struct config *cfg, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < cfg->n_areas && used < cap; i++) {
		int n = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", cfg->areas[i].id);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

int messages_areas_check(const struct config *cfg, const char *const *ids, int n, char *out,
			 size_t cap, struct messages_error *err)
{
	size_t used = 0;

	memset(err, 0, sizeof(*err));
	if (cap == 0)
		return BANDITORE_EINVAL;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		char it[MESSAGES_REASON_MAX], en[MESSAGES_REASON_MAX], known[160];
		int len;
		if (!ids[i] || config_area_find(cfg, ids[i]) < 0) {
			known_list(cfg, known, sizeof(known));
			if (cfg->n_areas == 0) {
				snprintf(it, sizeof(it), "la zona '%.60s' non esiste: il Comune non ha "
					 "configurato zone", ids[i] ? ids[i] : "");
				snprintf(en, sizeof(en), "area '%.60s' does not exist: the comune has "
					 "configured no areas", ids[i] ? ids[i] : "");
			} else {
				snprintf(it, sizeof(it), "la zona '%.60s' non esiste (zone configurate: %.120s)",
					 ids[i] ? ids[i] : "", known);
				snprintf(en, sizeof(en), "area '%.60s' does not exist (configured areas: %.120s)",
					 ids[i] ? ids[i] : "", known);
			}
			return refuse(err, it, en);
		}
		for (int j = 0; j < i; j++)
			if (!strcmp(ids[j], ids[i])) {
				snprintf(it, sizeof(it), "la zona '%.60s' è ripetuta", ids[i]);
				snprintf(en, sizeof(en), "area '%.60s' is listed twice", ids[i]);
				return refuse(err, it, en);
			}
		len = snprintf(out + used, cap - used, "%s%s", i ? "," : "", ids[i]);
		if (len < 0 || (size_t)len >= cap - used)
			return refuse(err, "troppe zone", "too many areas");
		used += (size_t)len;
	}
	return 0;
}

int messages_areas_from_json(const char *body, size_t len, const struct config *cfg, char *out,
			     size_t cap, int *present, struct messages_error *err)
{
	const char *ids[CONFIG_AREAS_MAX];
	json_t *obj, *arr, *v;
	size_t i;
	int rc = 0;

	memset(err, 0, sizeof(*err));
	*present = 0;
	if (cap == 0)
		return BANDITORE_EINVAL;
	out[0] = '\0';
	obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(obj))
		goto out; /* the message's own parser says what is wrong with the body */
	arr = json_object_get(obj, "areas");
	if (!arr || json_is_null(arr))
		goto out;
	if (!json_is_array(arr)) {
		rc = refuse(err, "areas deve essere un elenco di zone, es. [\"ortigia\"]",
			    "areas must be a list of areas, e.g. [\"ortigia\"]");
		goto out;
	}
	if (json_array_size(arr) > CONFIG_AREAS_MAX) {
		rc = refuse(err, "troppe zone", "too many areas");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			rc = refuse(err, "areas: ogni zona è il suo identificativo tra virgolette, es. \"ortigia\"",
				    "areas: each area is its id as a string, e.g. \"ortigia\"");
			goto out;
		}
		ids[i] = json_string_value(v);
	}
	rc = messages_areas_check(cfg, ids, (int)json_array_size(arr), out, cap, err);
	if (!rc)
		*present = 1;
out:
	json_decref(obj);
	return rc;
}

/* The bit of one name as a mask: STORE_AUDIENCE_NOBODY for a name without a bit. */
static int name_mask(struct store *st, int kind, const char *name, int assign, uint64_t *mask)
{
	int bit = -1, rc = store_audience_bit(st, kind, name, assign, &bit);

	if (rc)
		return rc;
	*mask |= bit >= 0 ? (uint64_t)1 << bit : STORE_AUDIENCE_NOBODY;
	return 0;
}

int messages_audience_filter(struct store *st, const struct policy *policy, const char *category,
			     int priority, const char *areas, int assign, struct store_audience *out)
{
	const struct policy_category *c = policy && category ? policy_category_find(policy, category) : NULL;
	const char *p = areas;
	int rc;

	memset(out, 0, sizeof(*out));
	if (priority == STORE_PRIORITY_EMERGENCY || (c && c->emergency))
		return 0; /* emergencies reach everyone */
	/* Only a configured category can have been chosen: with free categories (no
	 * [category] sections) or an unknown one, the category filters nobody out. */
	if (c) {
		rc = name_mask(st, STORE_AUDIENCE_CATEGORY, category, assign, &out->categories);
		if (rc)
			return rc;
	}
	while (p && *p) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		char name[STORE_AUDIENCE_NAME_MAX];
		if (end > p && (size_t)(end - p) < sizeof(name)) {
			memcpy(name, p, (size_t)(end - p));
			name[end - p] = '\0';
			rc = name_mask(st, STORE_AUDIENCE_AREA, name, assign, &out->areas);
			if (rc)
				return rc;
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

int messages_audience_prune(struct store *st, const struct config *cfg, int *removed)
{
	const char *cats[POLICY_CATEGORIES_MAX], *areas[CONFIG_AREAS_MAX];
	int n_cats = 0, gone_c = 0, gone_a = 0, rc;

	for (int i = 0; cfg->policy && i < cfg->policy->n_categories; i++)
		cats[n_cats++] = cfg->policy->categories[i].id;
	for (int i = 0; i < cfg->n_areas; i++)
		areas[i] = cfg->areas[i].id;
	rc = store_begin(st);
	if (rc)
		return rc;
	rc = store_audience_prune(st, STORE_AUDIENCE_CATEGORY, cats, n_cats, &gone_c);
	if (!rc)
		rc = store_audience_prune(st, STORE_AUDIENCE_AREA, areas, cfg->n_areas, &gone_a);
	if (!rc)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (removed)
		*removed = gone_c + gone_a;
	return rc;
}

int messages_reach(struct store *st, const struct policy *policy, const char *category,
		   int priority, const char *areas, int64_t counts[PLATFORM_MAX + 1])
{
	struct store_audience aud;
	int rc = messages_audience_filter(st, policy, category, priority, areas, 0, &aud);

	if (rc)
		return rc;
	return store_audience_count(st, &aud, counts, PLATFORM_MAX + 1);
}

int messages_audience_fix(struct store *st, const struct policy *policy,
			  const struct store_message *m, int64_t *whatsapp)
{
	char areas[STORE_TARGETS_MAX];
	int64_t counts[PLATFORM_MAX + 1];
	struct store_audience aud;
	int rc;

	*whatsapp = -1;
	rc = store_message_get_areas(st, m->id, areas, sizeof(areas));
	if (!rc)
		rc = messages_audience_filter(st, policy, m->category, m->priority, areas, 1, &aud);
	if (!rc)
		rc = store_message_set_audience(st, m->id, &aud);
	if (rc || (aud.categories == 0 && aud.areas == 0))
		return rc;
	rc = store_audience_count(st, &aud, counts, PLATFORM_MAX + 1);
	if (!rc)
		*whatsapp = counts[PLATFORM_WHATSAPP];
	return rc;
}
