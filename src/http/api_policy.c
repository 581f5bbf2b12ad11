/*
 * api_policy.c - POST /api/v1/policy/check: what the comune's policy says about a
 * message as typed, without storing anything. The body is the one POST /api/v1/messages
 * takes (with "justification" and "overrides"); the answer is the policy's result as
 * `banditore policy check` prints it: {"allowed", "send_at", "verdicts": [...]}, with
 * "previews": how each platform of the channel will show it (api_preview.c). The
 * console calls it while one writes, so the verdicts show before the proposal.
 */
#include "http/api_internal.h"

#include "common/err.h"
#include "common/log.h"

#include <stdlib.h>
#include <time.h>

enum MHD_Result api_policy_check(struct api_request *r)
{
	int64_t times[MESSAGES_HISTORY_MAX];
	struct policy_history h = { times, 0 };
	struct store_message m;
	struct messages_error err;
	struct messages_notes *notes = malloc(sizeof(*notes));
	struct policy_result *res = malloc(sizeof(*res));
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret;
	json_t *o, *previews;
	int rc;

	if (!notes || !res) {
		free(notes);
		free(res);
		return api_respond_error(r->conn, 500, "internal", NULL, "errore interno",
					 "internal error");
	}
	rc = messages_parse_json_notes(r->body, r->len, &r->api->rules, now, &m, notes, &err);
	if (rc == BANDITORE_EINVAL) {
		ret = api_respond_error(r->conn, err.field[0] ? 422 : 400,
					err.field[0] ? "invalid" : "malformed",
					err.field[0] ? err.field : NULL, err.message, err.message_en);
		goto out;
	}
	if (rc)
		goto fail;
	rc = messages_policy_history(r->st, times, MESSAGES_HISTORY_MAX, &h.n);
	if (!rc)
		rc = messages_policy_check(&r->api->rules, &m, notes, &h, now, res);
	previews = rc ? NULL : api_render_previews(r->api->ctx->cfg, &m);
	store_message_clear(&m);
	if (rc)
		goto fail;
	o = messages_policy_json(res);
	if (o && previews)
		json_object_set_new(o, "previews", previews);
	else
		json_decref(previews);
	ret = api_respond(r->conn, 200, o, NULL, NULL);
out:
	free(notes);
	free(res);
	return ret;
fail:
	log_error("api-failed", "step=policy-check error=\"%s\"", banditore_strerror(rc));
	if (rc == BANDITORE_ESTORE)
		r->broken = 1;
	ret = api_respond_error(r->conn, 500, "internal", NULL, "errore interno", "internal error");
	goto out;
}
