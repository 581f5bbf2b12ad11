/*
 * contract_whatsapp.c - sends what Banditore really sends to a WhatsApp Cloud API and
 * checks that every request was accepted.
 *
 * Run against Prism serving Meta's OpenAPI description with --errors (run_prism.py does
 * that), an accepted request proves the body, path and headers our connector produces
 * satisfy the official contract. Prism answers 422 with the reasons for anything the
 * description does not allow; those reasons are printed so that a failure says what
 * to fix. Exits 0 only if every request was accepted (HTTP 2xx with a message id).
 *
 * Usage: contract_whatsapp --base URL [--version v23.0] [--phone-number-id ID]
 *                          [--token TOKEN]
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "connectors/whatsapp.h"

/* Fictitious recipients only. */
#define TO_PLUS "+39 333 000 0001"
#define TO_DIGITS "393700000002"

struct opts {
	const char *base, *version, *phone_number_id, *token;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	return buf_append(arg, data, size * nmemb) == 0 ? size * nmemb : 0;
}

/* Posts `body` again with plain libcurl to read the mock's reasons for refusing it (the
 * connector keeps the raw answer to itself, since Meta's can quote the recipient). */
static void print_reasons(const struct opts *o, const char *body)
{
	char url[1024], auth[1024];
	struct buf answer;
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	json_t *root = NULL, *list, *seen;
	size_t i, shown = 0;

	if (!c)
		return;
	buf_init(&answer, 1 << 20);
	snprintf(url, sizeof(url), "%s/%s/%s/messages", o->base, o->version, o->phone_number_id);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "banditore/0.1.0");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "    (could not ask again for the reasons)\n");
		goto out;
	}
	root = json_loads(buf_cstr(&answer), 0, NULL);
	list = json_object_get(root, "validation");
	if (!json_is_array(list)) {
		fprintf(stderr, "    answer: %.2000s\n", buf_cstr(&answer));
	}
	/* The description is a oneOf over message types, so Prism explains the refusal once
	 * per type. Print each reason once, the nested ones (the real fault, usually) first. */
	seen = json_object();
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < json_array_size(list); i++) {
			json_t *v = json_array_get(list, i), *loc = json_object_get(v, "location");
			const char *msg = json_string_value(json_object_get(v, "message"));
			int nested = json_array_size(loc) > 2 ||
				     (json_array_size(loc) == 2 &&
				      strcmp(json_string_value(json_array_get(loc, 1)) ?
					     json_string_value(json_array_get(loc, 1)) : "", "type"));
			char line[1024];
			size_t n = 0;

			if (nested != (pass == 0))
				continue;
			for (size_t k = 0; k < json_array_size(loc) && n < sizeof(line); k++) {
				const char *part = json_string_value(json_array_get(loc, k));
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", k ? "." : "",
						      part ? part : "?");
			}
			if (n < sizeof(line))
				snprintf(line + n, sizeof(line) - n, ": %s", msg ? msg : "(no message)");
			if (!seen || json_object_get(seen, line))
				continue;
			json_object_set_new(seen, line, json_true());
			if (shown++ == 40) {
				fprintf(stderr, "    ... (more reasons in Prism's log)\n");
				pass = 2;
				break;
			}
			fprintf(stderr, "    - %s\n", line);
		}
	}
	json_decref(seen);
	json_decref(root);
out:
	buf_free(&answer);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/* Reports one send; returns 1 if it was accepted. */
static int report(const struct opts *o, const char *name, int rc, const struct connector_result *res,
		  const char *body)
{
	if (rc == 0 && res->outcome == CONNECTOR_OK && res->message_id[0] &&
	    res->http_status >= 200 && res->http_status <= 299) {
		printf("ok   %-44s HTTP %d, id %s\n", name, res->http_status, res->message_id);
		return 1;
	}
	fprintf(stderr, "FAIL %-44s HTTP %d, %s: %s\n", name, res->http_status,
		connector_outcome_name(res->outcome), res->error);
	if (body)
		fprintf(stderr, "    request body: %s\n", body);
	if (body && res->http_status)
		print_reasons(o, body);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { NULL, "v23.0", "106540352242922", "EAAContractTestToken.0123456789" };
	struct whatsapp_settings ws;
	struct whatsapp *w = NULL;
	struct connector_result res;
	const char *text = "Comune di Concorezzo \xf0\x9f\x93\xa2\n"
			   "Iscrizione \"attiva\": riceverai gli avvisi del Comune.\n\n"
			   "Informativa: https://www.example.org/privacy \xe2\x9c\x85 \xc3\xa8 \xe2\x82\xac";
	const char *params[] = { "Concorezzo", "luned\xc3\xac 3 marzo, ore 9:00 \xf0\x9f\x9a\xa7" };
	char *body;
	int ok = 1, rc;

	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (!strcmp(argv[i], "--base"))
			dst = &o.base;
		else if (!strcmp(argv[i], "--version"))
			dst = &o.version;
		else if (!strcmp(argv[i], "--phone-number-id"))
			dst = &o.phone_number_id;
		else if (!strcmp(argv[i], "--token"))
			dst = &o.token;
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "usage: %s --base URL [--version V] [--phone-number-id ID] "
				"[--token T]\n", argv[0]);
			return 2;
		}
		*dst = argv[++i];
	}
	if (!o.base) {
		fprintf(stderr, "contract_whatsapp: --base URL is required\n");
		return 2;
	}
	ws = (struct whatsapp_settings){ .api_base = o.base, .api_version = o.version,
					 .phone_number_id = o.phone_number_id,
					 .access_token = o.token, .timeout_ms = 30000 };
	rc = whatsapp_new(&ws, &w);
	if (rc) {
		fprintf(stderr, "contract_whatsapp: invalid settings (%d)\n", rc);
		return 2;
	}

	/* 1. The confirmation a citizen gets: free text with emoji, quotes and newlines. */
	whatsapp_build_text(TO_PLUS, text, 1, &body);
	rc = whatsapp_send_text(w, TO_PLUS, text, 1, &res);
	ok &= report(&o, "text (emoji, newlines, preview_url)", rc, &res, body);
	free(body);

	/* 2. Plain text without link preview, recipient given as digits. */
	whatsapp_build_text(TO_DIGITS, "Dati cancellati.", 0, &body);
	rc = whatsapp_send_text(w, TO_DIGITS, "Dati cancellati.", 0, &res);
	ok &= report(&o, "text (no preview)", rc, &res, body);
	free(body);

	/* 3. A broadcast: template with two body parameters and callback data. */
	whatsapp_build_template(TO_PLUS, "avviso_comune", "it", params, 2, "b=42;r=7", &body);
	rc = whatsapp_send_template(w, TO_PLUS, "avviso_comune", "it", params, 2, "b=42;r=7", &res);
	ok &= report(&o, "template (2 body params, biz_opaque)", rc, &res, body);
	free(body);

	/* 4. A template without parameters or callback data. */
	whatsapp_build_template(TO_DIGITS, "hello_world", "en_US", NULL, 0, NULL, &body);
	rc = whatsapp_send_template(w, TO_DIGITS, "hello_world", "en_US", NULL, 0, NULL, &res);
	ok &= report(&o, "template (no params)", rc, &res, body);
	free(body);

	/* 5-6. A broadcast with an attachment: the template's header names uploaded media. */
	{
		const struct whatsapp_header img = { "image", "1234567890123456", NULL };
		const struct whatsapp_header doc = { "document", "1234567890123457", "orari uffici.pdf" };
		whatsapp_build_template_header(TO_PLUS, "avviso_comune", "it", &img, params, 2, "m=42", &body);
		rc = whatsapp_send_template_header(w, TO_PLUS, "avviso_comune", "it", &img, params, 2, "m=42", &res);
		ok &= report(&o, "template (image header by media id)", rc, &res, body);
		free(body);
		whatsapp_build_template_header(TO_PLUS, "avviso_comune", "it", &doc, params, 2, "m=43", &body);
		rc = whatsapp_send_template_header(w, TO_PLUS, "avviso_comune", "it", &doc, params, 2, "m=43", &res);
		ok &= report(&o, "template (document header with filename)", rc, &res, body);
		free(body);
	}

	/* 8. The list with which a subscriber chooses areas or categories (inbound/choices.c),
	 * posted as the reply sender posts it: a built body through the connector. */
	{
		const char *ids[] = { "a:*", "a:fornacino", "a:tedeschi" };
		const char *titles[] = { "Tutte le zone", "Fornacino", "Tedeschi" };
		const char *descs[] = { "\xe2\x9c\x93 ricevi tutto", "tocca per aggiungere", NULL };
		whatsapp_build_list(TO_PLUS, "Scegli le zone che ti interessano.", "Scegli le zone", ids, titles,
				    descs, 3, &body);
		rc = body ? whatsapp_start(w, body, strlen(body)) : BANDITORE_EINVAL;
		if (!rc)
			rc = whatsapp_finish(w, curl_easy_perform(whatsapp_easy(w)), &res);
		ok &= report(&o, "interactive list (areas to choose)", rc, &res, body);
		free(body);
		body = NULL;
	}

	/* 7. The upload of that media: multipart/form-data with messaging_product and file. */
	{
		static const unsigned char png[] = {
			0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
			0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55,
		};
		char path[] = "/tmp/contract-media-XXXXXX", id[WHATSAPP_MEDIA_ID_MAX];
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, png, sizeof(png)) != (ssize_t)sizeof(png)) {
			fprintf(stderr, "contract_whatsapp: cannot write %s\n", path);
			ok = 0;
		} else {
			rc = whatsapp_upload_media(w, path, "image/png", id, &res);
			snprintf(res.message_id, sizeof(res.message_id), "%s", id); /* what report shows */
			ok &= report(&o, "media upload (multipart, image/png)", rc, &res, NULL);
		}
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
	}

	whatsapp_free(w);
	printf("%s\n", ok ? "contract_whatsapp: every request was accepted"
			  : "contract_whatsapp: some requests were refused");
	return ok ? 0 : 1;
}
