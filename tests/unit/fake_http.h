/*
 * fake_http.h - a small HTTP/1.1 server on loopback for the connectors' unit tests: it
 * keeps connections alive, records the last request and answers each one with what the
 * test set (or stays silent, so that the client times out).
 *
 * Use fake_http_setup / fake_http_teardown as cmocka fixtures: the state is the server.
 */
#ifndef BANDITORE_TEST_FAKE_HTTP_H
#define BANDITORE_TEST_FAKE_HTTP_H

#include <pthread.h>
#include <stddef.h>

enum { FAKE_HTTP_ANSWER = 0, FAKE_HTTP_SILENT = 1 };

struct fake_http {
	int listen_fd;
	int stop_pipe[2];
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	/* what to answer (set by the test before a send) */
	int mode;
	char answer[128 * 1024];
	size_t answer_len;
	/* what arrived */
	char request[32768];
	size_t request_len;
	int accepts;
	int requests;
};

int fake_http_setup(void **state);
int fake_http_teardown(void **state);

/* Answers from now on with `status_line` ("200 OK"), extra `headers` (each ending in
 * CRLF, or "") and a JSON `body`; mode FAKE_HTTP_SILENT reads requests and says nothing. */
void fake_http_answer(struct fake_http *f, int mode, const char *status_line, const char *headers,
		      const char *body);

/* The body of the last request (fails the test when there was none). */
const char *fake_http_body(struct fake_http *f);

#endif
