/* platform.c - names of the platforms, as used in configuration and output. */
#include "common/platform.h"

#include <string.h>

static const char *const names[] = { NULL, "whatsapp", "telegram", "email", "webpush", "sms" };

const char *platform_name(int platform)
{
	if (platform < 1 || platform > PLATFORM_MAX)
		return NULL;
	return names[platform];
}

int platform_from_name(const char *name)
{
	for (int i = 1; i <= PLATFORM_MAX; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}
