/* fuzz_config.c - libFuzzer target: the configuration loader (inih driven line by line,
 * continuation lines, escapes, keywords, placeholders) on arbitrary bytes. The input is
 * written to a file, because config_load reads a path, with a secrets file beside it so
 * that the secrets path runs too. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[128], secrets[128];

static void cleanup(void)
{
	unlink(path);
	unlink(secrets);
	rmdir(dir);
}

static int write_all(const char *p, const void *buf, size_t n, mode_t mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const uint8_t *b = buf;

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return close(fd);
}

static int prepare(void)
{
	static const char text[] = "[whatsapp]\napp_secret = a\naccess_token = b\n  c\nverify_token = d\n";

	if (dir[0])
		return 0;
	snprintf(dir, sizeof(dir), "/tmp/banditore-fuzz-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/comune.ini", dir);
	snprintf(secrets, sizeof(secrets), "%s/secrets.ini", dir);
	if (write_all(secrets, text, sizeof(text) - 1, 0600) != 0)
		return -1;
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct config_errors errs = { 0 };
	char version[65];

	if (prepare() != 0 || write_all(path, data, size, 0600) != 0)
		return 0;
	for (int with_secrets = 0; with_secrets <= 1; with_secrets++) {
		int rc = config_load(path, with_secrets, &cfg, &errs);
		if (rc == 0) {
			/* A loaded configuration keeps its promises: no NULL strings, no errors. */
			if (!cfg || errs.count != 0 || !cfg->comune_name || !cfg->wa_app_secret ||
			    cfg->n_subscribe < 1 || cfg->n_unsubscribe < 1)
				__builtin_trap();
			char *texts[] = { cfg->text_join, cfg->text_already, cfg->text_leave,
					  cfg->text_not_subscribed, cfg->text_auto_reply };
			for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
				char *x = config_expand(cfg, texts[i]);
				if (!x)
					__builtin_trap();
				free(x);
			}
			config_policy_version(cfg, version);
			if (strlen(version) != 64)
				__builtin_trap();
		} else {
			/* A refused configuration says why, each problem with its file. */
			if (cfg || (rc != BANDITORE_ENOMEM && errs.count == 0))
				__builtin_trap();
			for (int i = 0; i < errs.count; i++)
				if (!errs.items[i].file || !errs.items[i].message || errs.items[i].line < 0)
					__builtin_trap();
		}
		config_free(cfg);
		cfg = NULL;
		config_errors_free(&errs);
	}
	return 0;
}
