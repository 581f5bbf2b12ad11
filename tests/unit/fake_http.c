/*
 * fake_http.c - a small HTTP/1.1 server on loopback for the connectors' unit tests (see
 * fake_http.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Reads one request (headers and Content-Length body) into f->request. 1 if read,
 * 0 on EOF or error. */
static int read_request(struct fake_http *f, int fd)
{
	char req[sizeof(f->request)];
	size_t len = 0, need = 0;

	for (;;) {
		/* Wait for data or for the test to stop us (a failed assertion may leave the
		 * client's connection open). */
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { f->stop_pipe[0], POLLIN, 0 } };
		ssize_t n;
		char *end;
		if (poll(p, 2, -1) < 0 || p[1].revents)
			return 0;
		n = recv(fd, req + len, sizeof(req) - 1 - len, 0);
		if (n <= 0)
			return 0;
		len += (size_t)n;
		req[len] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (end && !need) {
			const char *cl = strcasestr(req, "\r\ncontent-length:");
			need = (size_t)(end + 4 - req) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (need && len >= need)
			break;
		if (len == sizeof(req) - 1)
			return 0;
	}
	pthread_mutex_lock(&f->lock);
	memcpy(f->request, req, len + 1);
	f->request_len = len;
	f->requests++;
	pthread_mutex_unlock(&f->lock);
	return 1;
}

static void *fake_main(void *arg)
{
	struct fake_http *f = arg;

	for (;;) {
		struct pollfd p[2] = { { f->listen_fd, POLLIN, 0 }, { f->stop_pipe[0], POLLIN, 0 } };
		int fd;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept(f->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&f->lock);
		f->accepts++;
		pthread_mutex_unlock(&f->lock);
		/* Keep-alive: answer requests on this connection until the client closes it. */
		while (read_request(f, fd)) {
			int rc = 0;
			pthread_mutex_lock(&f->lock);
			if (f->mode != FAKE_HTTP_SILENT) /* silent: the client times out and closes */
				rc = (int)send(fd, f->answer, f->answer_len, MSG_NOSIGNAL);
			pthread_mutex_unlock(&f->lock);
			if (rc < 0)
				break;
		}
		close(fd);
	}
	return NULL;
}

void fake_http_answer(struct fake_http *f, int mode, const char *status_line, const char *headers,
		      const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->mode = mode;
	f->answer_len = (size_t)snprintf(f->answer, sizeof(f->answer),
		"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n%s",
		status_line, strlen(body), headers, body);
	pthread_mutex_unlock(&f->lock);
}

const char *fake_http_body(struct fake_http *f)
{
	const char *b = strstr(f->request, "\r\n\r\n");

	assert_non_null(b);
	return b + 4;
}

int fake_http_setup(void **state)
{
	struct fake_http *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);

	assert_non_null(f);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->listen_fd >= 0);
	assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->listen_fd, 8), 0);
	assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pipe2(f->stop_pipe, O_CLOEXEC), 0);
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	*state = f;
	return 0;
}

int fake_http_teardown(void **state)
{
	struct fake_http *f = *state;

	assert_int_equal(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}
