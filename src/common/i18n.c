/* i18n.c - choose Italian or English from the environment, once. */
#include "common/i18n.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int english;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void pick(void)
{
	static const char *const vars[] = { "BANDITORE_LANG", "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			english = strncmp(v, "en", 2) == 0;
			return;
		}
	}
}

int i18n_english(void)
{
	pthread_once(&once, pick);
	return english;
}
