/*
 * api_audience.c - who a message would reach, before it is sent:
 *
 *     GET /api/v1/audience?category=viabilita&areas=fornacino,tedeschi[&priority=emergency]
 *
 * answers {"category", "areas": [...], "emergency": bool, "reach": {"whatsapp": N, ...},
 * "total": N} with a count for each platform the channel uses, by the rule of
 * messages_audience.h. A category or an area that does not exist is 422 with the reason
 * in Italian and English. Also the "areas" of a message as the API shows it.
 *
 * The query comes from the URL the console hands to api_call ("...?category=x"), or
 * from the HTTP request's arguments.
 *
 *     GET /api/v1/areas[?lat=45.19&lon=7.73]
 *
 * lists the comune's areas {"id", "name", "polygon": [[lat, lon]...] or null}; with a
 * point, only the areas whose polygon holds it (which areas a road's works concern).
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "messages/messages_audience.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_MAX 2048

/* The value of `key` in "a=1&b=2" into out (percent-decoding '+' and %XX); 1 when found. */
static int query_value(const char *query, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
		if ((size_t)(end - p) > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			size_t n = 0;
			for (const char *c = p + klen + 1; c < end && n + 1 < cap; c++) {
				if (*c == '+') {
					out[n++] = ' ';
				} else if (*c == '%' && end - c >= 3) {
					char hex[3] = { c[1], c[2], 0 };
					out[n++] = (char)strtol(hex, NULL, 16);
					c += 2;
				} else {
					out[n++] = *c;
				}
			}
			out[n] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

static const char *arg(struct api_request *r, const char *query, const char *key, char *buf,
		       size_t cap)
{
	if (query)
		return query_value(query, key, buf, cap) ? buf : NULL;
	return r->conn ? MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key) : NULL;
}

json_t *api_audience_areas_json(struct store *st, int64_t id)
{
	char areas[STORE_TARGETS_MAX];
	const char *p = areas;
	json_t *arr = json_array();

	if (!arr || store_message_get_areas(st, id, areas, sizeof(areas)) != 0)
		return arr;
	while (*p) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		json_array_append_new(arr, json_stringn(p, (size_t)(end - p)));
		p = comma ? comma + 1 : end;
	}
	return arr;
}

enum MHD_Result api_audience_reach(struct api_request *r, const char *query)
{
	const struct config *cfg = r->api->ctx->cfg;
	char cat_buf[STORE_CATEGORY_MAX + 1], areas_buf[QUERY_MAX], prio_buf[16], csv[STORE_TARGETS_MAX];
	const char *category = arg(r, query, "category", cat_buf, sizeof(cat_buf));
	const char *areas = arg(r, query, "areas", areas_buf, sizeof(areas_buf));
	const char *prio = arg(r, query, "priority", prio_buf, sizeof(prio_buf));
	const char *ids[CONFIG_AREAS_MAX];
	char split[QUERY_MAX];
	int64_t counts[PLATFORM_MAX + 1], total = 0;
	struct messages_error err;
	int n = 0, emergency, rc;
	json_t *reach, *o;

	if (prio && strcmp(prio, "normal") && strcmp(prio, "emergency"))
		return api_respond_error(r->conn, 422, "invalid", "priority",
					 "priority deve essere normal o emergency",
					 "priority must be normal or emergency");
	if (category && *category && cfg->policy && cfg->policy->n_categories > 0 &&
	    !policy_category_find(cfg->policy, category)) {
		char it[256], en[256];
		snprintf(it, sizeof(it), "la categoria '%.60s' non esiste", category);
		snprintf(en, sizeof(en), "category '%.60s' does not exist", category);
		return api_respond_error(r->conn, 422, "invalid", "category", it, en);
	}
	snprintf(split, sizeof(split), "%s", areas ? areas : "");
	for (char *p = split; *p && n < CONFIG_AREAS_MAX;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p)
			ids[n++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	rc = messages_areas_check(cfg, ids, n, csv, sizeof(csv), &err);
	if (rc == BANDITORE_EINVAL)
		return api_respond_error(r->conn, 422, "invalid", err.field, err.message, err.message_en);
	emergency = prio && !strcmp(prio, "emergency");
	rc = messages_reach(r->st, cfg->policy, category, emergency ? STORE_PRIORITY_EMERGENCY : STORE_PRIORITY_NORMAL,
			    csv, counts);
	if (rc) {
		if (rc == BANDITORE_ESTORE)
			r->broken = 1;
		log_error("api-failed", "step=audience error=\"%s\"", banditore_strerror(rc));
		return api_respond_error(r->conn, 500, "internal", NULL, "errore interno", "internal error");
	}
	if (!emergency && category && cfg->policy) {
		const struct policy_category *c = policy_category_find(cfg->policy, category);
		emergency = c && c->emergency;
	}
	reach = json_object();
	for (int p = 1; reach && p <= PLATFORM_MAX; p++) {
		if (!(cfg->platforms & (1 << p)))
			continue;
		json_object_set_new(reach, platform_name(p), json_integer((json_int_t)counts[p]));
		total += counts[p];
	}
	o = json_pack("{s:s?, s:o, s:b, s:o, s:I}", "category", category && *category ? category : NULL,
		      "areas", json_array(), "emergency", emergency, "reach", reach ? reach : json_object(),
		      "total", (json_int_t)total);
	for (int i = 0; o && i < n; i++)
		json_array_append_new(json_object_get(o, "areas"), json_string(ids[i]));
	return api_respond(r->conn, 200, o, NULL, NULL);
}

int api_audience_parse(struct api_request *r, char *out, size_t cap, int *present,
		       enum MHD_Result *answer)
{
	struct messages_error err;
	int rc = messages_areas_from_json(r->body, r->len, r->api->ctx->cfg, out, cap, present, &err);

	if (rc == BANDITORE_EINVAL) {
		*answer = api_respond_error(r->conn, 422, "invalid", err.field, err.message,
					    err.message_en);
		return 1;
	}
	return rc;
}

/* A coordinate of the query: a decimal within [-limit, limit]; 0, or -1. */
static int coordinate(const char *v, double limit, double *out)
{
	char *end;

	if (!v || !*v || strspn(v, "+-0123456789.") != strlen(v))
		return -1;
	*out = strtod(v, &end);
	return *end || *out < -limit || *out > limit ? -1 : 0;
}

enum MHD_Result api_audience_areas(struct api_request *r, const char *query)
{
	const struct config *cfg = r->api->ctx->cfg;
	char lat_buf[32], lon_buf[32];
	const char *lat_s = arg(r, query, "lat", lat_buf, sizeof(lat_buf));
	const char *lon_s = arg(r, query, "lon", lon_buf, sizeof(lon_buf));
	double lat = 0, lon = 0;
	int point = lat_s || lon_s;
	json_t *list = json_array();

	if (point && (coordinate(lat_s, 90, &lat) || coordinate(lon_s, 180, &lon))) {
		json_decref(list);
		return api_respond_error(r->conn, 422, "invalid", "lat",
					 "serve un punto: lat (da -90 a 90) e lon (da -180 a 180) in gradi",
					 "a point is needed: lat (-90 to 90) and lon (-180 to 180) in degrees");
	}
	for (int i = 0; list && i < cfg->n_areas; i++) {
		const struct config_area *a = &cfg->areas[i];
		json_t *poly = a->n_points ? json_array() : json_null();
		if (point && !config_area_contains(a, lat, lon)) {
			json_decref(poly);
			continue;
		}
		for (int k = 0; k < a->n_points; k++)
			json_array_append_new(poly, json_pack("[f,f]", a->points[k].lat, a->points[k].lon));
		json_array_append_new(list, json_pack("{s:s, s:s, s:o}", "id", a->id, "name", a->name,
						      "polygon", poly));
	}
	return api_respond(r->conn, 200, json_pack("{s:o}", "areas", list ? list : json_array()), NULL,
			   NULL);
}

json_t *api_audience_message_reach(struct api_request *r, const struct store_message *m)
{
	const struct config *cfg = r->api->ctx->cfg;
	char areas[STORE_TARGETS_MAX];
	int64_t counts[PLATFORM_MAX + 1];
	json_t *o;

	if (store_message_get_areas(r->st, m->id, areas, sizeof(areas)) != 0 ||
	    messages_reach(r->st, cfg->policy, m->category, m->priority, areas, counts) != 0)
		return NULL;
	o = json_object();
	for (int p = 1; o && p <= PLATFORM_MAX; p++)
		if (cfg->platforms & (1 << p))
			json_object_set_new(o, platform_name(p), json_integer((json_int_t)counts[p]));
	return o;
}
