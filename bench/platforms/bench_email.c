/*
 * bench_email.c - e-mail delivery rate: N messages, each composed for its own recipient
 * (headers, both parts, its own unsubscribe token) and sent over SMTP to a local server.
 *
 * usage: bench_email SMTP_URL N CONNECTIONS [BATCH]
 * Prints: composed/s (composition alone), sent/s (composition and sending, end to end),
 * and the outcomes. Recipients are fictitious (bench000001@example.org, ...).
 */
#include "common/buf.h"
#include "common/crypto.h"
#include "common/err.h"
#include "connectors/email.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char text[] =
	"Gentili cittadini,\n\nsi comunica che lunedì 3 marzo, dalle 9 alle 13, l'erogazione "
	"dell'acqua sarà sospesa in via Garibaldi e nelle vie limitrofe per lavori urgenti "
	"alla condotta principale. Si consiglia di fare una scorta d'acqua.\n\n"
	"Informazioni: https://comune.example.org/avvisi/acqua\n\nL'Ufficio comunicazione";

static int compose_one(int i, const uint8_t key[CRYPTO_KEY_LEN], char *to, size_t to_cap,
		       struct buf *out)
{
	uint8_t hash[CRYPTO_HASH_LEN];
	char tok[EMAIL_TOKEN_LEN + 1], url[EMAIL_URL_MAX];
	struct email_compose c;
	int rc;

	snprintf(to, to_cap, "bench%06d@example.org", i);
	rc = crypto_hmac_sha256(key, CRYPTO_KEY_LEN, to, strlen(to), hash);
	if (!rc)
		rc = email_unsub_token(key, hash, tok);
	if (!rc)
		rc = email_link("https://comune.example.org", "/email/unsubscribe", tok, url, sizeof(url));
	if (rc)
		return rc;
	memset(&c, 0, sizeof(c));
	c.from_address = "avvisi@comune.example.org";
	c.from_name = "Comune di Leinì";
	c.to = to;
	c.subject = "Sospensione dell'erogazione dell'acqua: lunedì 3 marzo";
	c.text = text;
	c.unsubscribe_url = url;
	c.date = (int64_t)time(NULL);
	buf_reset(out);
	return email_compose(&c, out);
}

int main(int argc, char **argv)
{
	struct email_settings es;
	struct email_sender *s = NULL;
	struct email_job *jobs;
	struct buf *bodies;
	char (*to)[64];
	uint8_t key[CRYPTO_KEY_LEN];
	int n, conns, batch, ok = 0, retry = 0, fail = 0;
	double t0, t1;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_email SMTP_URL N CONNECTIONS [BATCH]\n");
		return 2;
	}
	n = (int)strtol(argv[2], NULL, 10);
	conns = (int)strtol(argv[3], NULL, 10);
	batch = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 1000;
	if (n <= 0 || conns <= 0 || batch <= 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	memset(key, 0x5a, sizeof(key));
	jobs = calloc((size_t)batch, sizeof(*jobs));
	bodies = calloc((size_t)batch, sizeof(*bodies));
	to = calloc((size_t)batch, sizeof(*to));
	if (!jobs || !bodies || !to)
		return 1;
	for (int i = 0; i < batch; i++)
		buf_init(&bodies[i], EMAIL_MESSAGE_MAX);

	/* Composition alone. */
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (compose_one(i, key, to[i % batch], sizeof(to[0]), &bodies[i % batch]) != 0)
			return 1;
	t1 = now_s();
	printf("composed: %d in %.3f s = %.0f messages/s (%zu bytes each)\n", n, t1 - t0,
	       n / (t1 - t0), bodies[0].len);

	memset(&es, 0, sizeof(es));
	es.smtp_url = argv[1];
	es.from_address = "avvisi@comune.example.org";
	es.connections = conns;
	if (email_sender_new(&es, &s) != 0) {
		fprintf(stderr, "bench_email: bad settings\n");
		return 1;
	}
	t0 = now_s();
	for (int done = 0; done < n;) {
		int k = n - done < batch ? n - done : batch;
		for (int i = 0; i < k; i++) {
			if (compose_one(done + i, key, to[i], sizeof(to[0]), &bodies[i]) != 0)
				return 1;
			jobs[i].to = to[i];
			jobs[i].data = bodies[i].data;
			jobs[i].len = bodies[i].len;
		}
		if (email_send_batch(s, jobs, k) != 0)
			fprintf(stderr, "bench_email: batch failed\n");
		for (int i = 0; i < k; i++) {
			if (jobs[i].res.outcome == CONNECTOR_OK)
				ok++;
			else if (jobs[i].res.outcome == CONNECTOR_RETRY)
				retry++;
			else
				fail++;
			if (jobs[i].res.outcome != CONNECTOR_OK && retry + fail <= 3)
				fprintf(stderr, "bench_email: %s\n", jobs[i].res.error);
		}
		done += k;
	}
	t1 = now_s();
	printf("sent: %d in %.3f s = %.0f messages/s over %d connections (ok %d, retry %d, fail %d)\n",
	       n, t1 - t0, n / (t1 - t0), conns, ok, retry, fail);
	email_sender_free(s);
	for (int i = 0; i < batch; i++)
		buf_free(&bodies[i]);
	free(bodies);
	free(jobs);
	free(to);
	curl_global_cleanup();
	return fail || retry ? 1 : 0;
}
