/* log.c - key=value event lines on stderr; one write() per line so threads do not mix. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static int level_from_env = 0;
static pthread_once_t level_once = PTHREAD_ONCE_INIT;

void log_set_level(enum log_level level)
{
	min_level = level;
	level_from_env = 1;
}

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_LEVEL_DEBUG: return "debug";
	case LOG_LEVEL_INFO: return "info";
	case LOG_LEVEL_WARN: return "warn";
	default: return "error";
	}
}

static void read_env_level(void)
{
	const char *e;

	if (level_from_env)
		return; /* log_set_level said it (at start-up, before any thread) */
	e = getenv("BANDITORE_LOG_LEVEL");
	level_from_env = 1;
	if (!e)
		return;
	if (!strcasecmp(e, "debug"))
		min_level = LOG_LEVEL_DEBUG;
	else if (!strcasecmp(e, "warn"))
		min_level = LOG_LEVEL_WARN;
	else if (!strcasecmp(e, "error"))
		min_level = LOG_LEVEL_ERROR;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[1024];
	size_t n;
	int w;
	struct timespec ts;
	struct tm tm;

	/* Once, whichever thread logs first: the level is then only read. */
	pthread_once(&level_once, read_env_level);
	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	w = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, level_name(level), event);
	n = w < 0 ? 0 : (size_t)w;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (fmt && *fmt && n < sizeof(line) - 2) {
		va_list ap;
		line[n++] = ' ';
		va_start(ap, fmt);
		w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
		if (w > 0)
			n += (size_t)w;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
