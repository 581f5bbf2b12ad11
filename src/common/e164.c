/* e164.c - canonical telephone numbers. */
#include "common/e164.h"
#include "common/err.h"

#include <string.h>

int e164_normalize(const char *in, char out[E164_MAX])
{
	size_t digits = 0;
	const char *p = in;

	while (*p == ' ')
		p++;
	if (*p == '+')
		p++;
	else if (p[0] == '0' && p[1] == '0')
		p += 2;
	out[0] = '+';
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (digits == 15)
				return BANDITORE_EINVAL;
			out[1 + digits++] = *p;
		} else if (!strchr(" .-()", *p)) {
			return BANDITORE_EINVAL;
		}
	}
	if (digits < 8 || out[1] == '0')
		return BANDITORE_EINVAL;
	out[1 + digits] = '\0';
	return 0;
}
