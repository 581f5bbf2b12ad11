/* fuzz_attachment.c - libFuzzer target: the attachment checks (src/policy/attachment.c)
 * on arbitrary bytes, read as every type whose walker differs (JPEG, PNG, ZIP, OLE2 and
 * plain bytes). They must stay inside the buffer and end; a successful strip is never
 * longer than its input, keeps the signature, leaves no position, and stripping again
 * changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/attachment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		NULL, "image/jpeg", "image/png", "application/zip", "application/msword",
		"application/vnd.ms-word.document.macroEnabled.12",
	};
	unsigned char *out, *again;
	size_t n = 0, m = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct policy_attachment f = { 0 };
		policy_attachment_inspect(data, size, types[i], &f);
		if ((f.executable | f.macros | f.gps) & ~1)
			__builtin_trap();
	}
	{ /* the bytes' start as a type */
		char mime[80];
		size_t k = size < sizeof(mime) - 1 ? size : sizeof(mime) - 1;
		memcpy(mime, data, k);
		mime[k] = '\0';
		if (policy_media_kind_max(policy_media_kind(mime)) < 0)
			__builtin_trap();
	}
	out = malloc(size ? size : 1);
	again = malloc(size ? size : 1);
	if (!out || !again)
		abort();
	if (policy_image_strip_metadata(data, size, out, &n) == 0) {
		/* The signature: PNG's eight bytes, or JPEG's start of image (FF D8). */
		size_t sig = size >= 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8) ? 8 : 2;
		if (n > size || n < sig || memcmp(out, data, sig) != 0 ||
		    policy_image_has_gps(out, n))
			__builtin_trap();
		if (policy_image_strip_metadata(out, n, again, &m) != 0 || m != n ||
		    memcmp(out, again, n) != 0)
			__builtin_trap();
	}
	free(out);
	free(again);
	return 0;
}
