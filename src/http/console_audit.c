/*
 * console_audit.c - the audit log as a table (newest first) and its verification: the
 * "Verifica" button walks the whole hash chain (audit_verify) and says in words whether
 * it is intact or which entry is the first broken one, and how. Only roles that may read
 * the audit log see it; the check of a click is the API's (GET /api/v1/audit).
 */
#include "http/console_internal.h"

#include "audit/audit.h"
#include "common/crypto.h"
#include "common/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN 100

json_t *console_audit_recent(struct console_req *r, struct store *st, int max)
{
	struct store_audit_entry *e = calloc((size_t)max, sizeof(*e));
	struct store_audit_entry last;
	json_t *arr = json_array();
	int n = 0;

	(void)r;
	if (!e || !arr || store_audit_last(st, &last) ||
	    store_audit_list(st, last.seq > max ? last.seq - max : 0, 0, INT64_MAX, e, max, &n)) {
		free(e);
		return arr;
	}
	for (int i = n - 1; i >= 0; i--) {
		char when[32];
		console_time(e[i].at, when, sizeof(when));
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)e[i].seq,
						     "when", when, "actor", e[i].actor, "action", e[i].action,
						     "object", e[i].object, "details",
						     strcmp(e[i].details, "{}") ? e[i].details : ""));
	}
	free(e);
	return arr;
}

static void verdict(struct console_req *r, const struct audit_report *rep, json_t *m)
{
	int en = console_en(r);
	char text[512], head[2 * CRYPTO_HASH_LEN + 1];

	crypto_hex(rep->last_hash, CRYPTO_HASH_LEN, head);
	if (rep->problem == AUDIT_INTACT)
		snprintf(text, sizeof(text),
			 en ? "The log is intact: %lld entries checked, each authentic and following the one before. Newest entry %lld, its hash %.16s…"
			    : "Il registro è integro: %lld voci verificate, ognuna autentica e collegata alla precedente. Ultima voce %lld, impronta %.16s…",
			 (long long)rep->entries, (long long)rep->last_seq, head);
	else
		snprintf(text, sizeof(text),
			 en ? "The log is NOT intact: the first broken entry is number %lld (%s). Entries before it are intact."
			    : "Il registro NON è integro: la prima voce alterata è la numero %lld (%s). Le voci precedenti sono integre.",
			 (long long)rep->seq, audit_problem_text(rep->problem));
	json_object_set_new(m, "verify", json_pack("{s:b, s:s}", "ok", rep->problem == AUDIT_INTACT, "text", text));
}

enum MHD_Result console_audit(struct console_req *r, int verify)
{
	struct api_result res;
	struct store *st;
	json_t *m;
	int rc = 0;

	/* The API decides who may read the log; the button's form must carry the session's
	 * CSRF token like every other. */
	if (console_api(r, "GET", "/api/v1/audit", NULL, &res))
		return console_error(r, 500, "Errore interno.", "Internal error.");
	if (res.status != 200) {
		enum MHD_Result ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	json_decref(res.body);
	if (verify && !console_csrf_ok(r)) {
		res.status = 403;
		res.body = json_pack("{s:s}", "error", "csrf");
		enum MHD_Result ret = console_refused(r, &res);
		json_decref(res.body);
		return ret;
	}
	st = console_store(r);
	if (!st)
		return console_error(r, 503, "Database non disponibile.", "Database unavailable.");
	m = console_model(r, "registro", "Registro delle attività", "Audit log");
	if (m) {
		json_object_set_new(m, "entries", console_audit_recent(r, st, SHOWN));
		if (verify) {
			struct audit_keys keys;
			struct audit_report rep;
			audit_keys_from(&keys, r->c->ctx->keys);
			rc = audit_verify(st, &keys, &rep);
			crypto_wipe(&keys, sizeof(keys));
			if (!rc)
				verdict(r, &rep, m);
		}
	}
	console_store_put(r, st, rc == BANDITORE_ESTORE);
	if (rc) {
		json_decref(m);
		return console_error(r, 500, "Verifica non riuscita: errore del database.",
				     "Verification failed: database error.");
	}
	return console_page(r, 200, "console_registro", m);
}
