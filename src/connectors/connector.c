/* connector.c - the shared vocabulary of connectors: results and Retry-After. */
#include "connectors/connector.h"
#include "common/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void connector_result_clear(struct connector_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = CONNECTOR_FAIL;
}

void connector_result_set(struct connector_result *res, int outcome, int error_code,
			  const char *fmt, ...)
{
	va_list ap;

	res->outcome = outcome;
	res->error_code = error_code;
	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
}

int connector_result_rc(const struct connector_result *res)
{
	switch (res->outcome) {
	case CONNECTOR_OK:
		return 0;
	case CONNECTOR_RETRY:
		return BANDITORE_ETEMP;
	default:
		return BANDITORE_EPERM;
	}
}

const char *connector_outcome_name(int outcome)
{
	switch (outcome) {
	case CONNECTOR_OK:
		return "ok";
	case CONNECTOR_RETRY:
		return "retry";
	default:
		return "fail";
	}
}

static int clamp_wait(long long s)
{
	if (s <= 0)
		return 0;
	if (s > CONNECTOR_RETRY_AFTER_MAX)
		return CONNECTOR_RETRY_AFTER_MAX;
	return (int)s;
}

int connector_retry_after_parse(const char *value, time_t now)
{
	char tmp[64];
	size_t len;
	const char *p;

	if (!value)
		return 0;
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len > 0 && strchr(" \t\r\n", value[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, value, len);
	tmp[len] = '\0';

	/* delay-seconds: 1*DIGIT and nothing else. */
	for (p = tmp; *p >= '0' && *p <= '9'; p++)
		;
	if (*p == '\0') {
		long long s;
		errno = 0;
		s = strtoll(tmp, NULL, 10);
		if (errno == ERANGE)
			return CONNECTOR_RETRY_AFTER_MAX;
		return clamp_wait(s);
	}
	/* HTTP-date: must start with a letter (a day name); curl_getdate() reads the three
	 * forms RFC 9110 allows. Anything else (a negative number, "soon") is unreadable. */
	if ((tmp[0] >= 'A' && tmp[0] <= 'Z') || (tmp[0] >= 'a' && tmp[0] <= 'z')) {
		time_t t = curl_getdate(tmp, NULL);
		if (t == (time_t)-1)
			return 0;
		return clamp_wait((long long)t - (long long)now);
	}
	return 0;
}
