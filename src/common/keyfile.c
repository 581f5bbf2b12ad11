/* keyfile.c - create and load the master key file, derive the working keys. */
#include "common/keyfile.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAGIC "banditore-key-v1 "

int keyfile_create(const char *path)
{
	uint8_t master[CRYPTO_KEY_LEN];
	char line[sizeof(KEYFILE_MAGIC) + 2 * CRYPTO_KEY_LEN + 2];
	int fd, n, rc = BANDITORE_EIO;

	if (crypto_random(master, sizeof(master)))
		return BANDITORE_ECRYPTO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		crypto_wipe(master, sizeof(master));
		return errno == EEXIST ? BANDITORE_EEXIST : BANDITORE_EIO;
	}
	memcpy(line, KEYFILE_MAGIC, sizeof(KEYFILE_MAGIC) - 1);
	crypto_hex(master, sizeof(master), line + sizeof(KEYFILE_MAGIC) - 1);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(fd, line, (size_t)n) == n && fsync(fd) == 0)
		rc = 0;
	if (close(fd) != 0)
		rc = BANDITORE_EIO;
	crypto_wipe(master, sizeof(master));
	crypto_wipe(line, sizeof(line));
	if (rc)
		unlink(path);
	return rc;
}

int keyfile_load(const char *path, struct keyfile_keys *keys)
{
	uint8_t master[CRYPTO_KEY_LEN];
	char line[sizeof(KEYFILE_MAGIC) + 2 * CRYPTO_KEY_LEN + 8];
	struct stat st;
	ssize_t n;
	int fd, rc = BANDITORE_EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? BANDITORE_ENOTFOUND : BANDITORE_EIO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return BANDITORE_EIO;
	}
	if (st.st_mode & 077) {
		close(fd);
		return BANDITORE_EPERM;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 0)
		return BANDITORE_EIO;
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (strncmp(line, KEYFILE_MAGIC, sizeof(KEYFILE_MAGIC) - 1) != 0 ||
	    crypto_unhex(line + sizeof(KEYFILE_MAGIC) - 1, master, sizeof(master)) != 0)
		goto fail;
	if (crypto_hkdf(master, sizeof(master), "banditore seal v1", keys->seal, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore index v1", keys->index, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore pseudonym v1", keys->pseudo, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore event v1", keys->event, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore audit v1", keys->audit, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore block v1", keys->block, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore email v1", keys->email, CRYPTO_KEY_LEN) ||
	    crypto_hkdf(master, sizeof(master), "banditore vapid v1", keys->vapid, CRYPTO_KEY_LEN)) {
		rc = BANDITORE_ECRYPTO;
		goto fail;
	}
	rc = 0;
fail:
	crypto_wipe(master, sizeof(master));
	crypto_wipe(line, sizeof(line));
	return rc;
}
