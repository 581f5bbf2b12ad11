/*
 * platform.h - the platforms a subscriber can be reached on.
 *
 * The numbers are stored in the database: never renumber, only append.
 */
#ifndef BANDITORE_PLATFORM_H
#define BANDITORE_PLATFORM_H

enum platform {
	PLATFORM_WHATSAPP = 1,
	PLATFORM_TELEGRAM = 2,
	PLATFORM_EMAIL = 3,
	PLATFORM_WEBPUSH = 4,
	PLATFORM_SMS = 5,
};
#define PLATFORM_MAX 5

/* "whatsapp", "telegram", ... or NULL for an unknown value. */
const char *platform_name(int platform);
/* The platform called `name`, or -1. */
int platform_from_name(const char *name);

#endif
