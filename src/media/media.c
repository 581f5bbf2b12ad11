/* media.c - attachments: libmagic, the checks, the files under DATA/media. See media.h. */
#include "media/media.h"

#include "common/crypto.h"
#include "common/err.h"

#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <utf8proc.h>
#include <unistd.h>

#define MEDIA_DIR "media"

int media_detect(const unsigned char *data, size_t len, char type[MEDIA_TYPE_MAX])
{
	magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
	const char *t;
	int rc = BANDITORE_EIO;

	type[0] = '\0';
	if (!m)
		return BANDITORE_EIO;
	if (magic_load(m, NULL) == 0 && (t = magic_buffer(m, data, len)) != NULL) {
		snprintf(type, MEDIA_TYPE_MAX, "%s", t);
		rc = 0;
	}
	magic_close(m);
	return rc;
}

void media_clean_name(const char *name, char out[MEDIA_NAME_MAX])
{
	const char *base;
	size_t o = 0;

	out[0] = '\0';
	if (!name)
		return;
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	for (const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)base; *s;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t n = utf8proc_iterate(s, -1, &c);
		if (n <= 0) {
			s++; /* not UTF-8: the byte is dropped */
			continue;
		}
		if (o + (size_t)n > MEDIA_NAME_MAX - 1)
			break; /* whole characters only */
		if (c >= 0x20 && c != 0x7F && !(c >= 0x80 && c < 0xA0) && c != '"' && c != '\\') {
			memcpy(out + o, s, (size_t)n);
			o += (size_t)n;
		}
		s += n;
	}
	out[o] = '\0';
	if (!strcmp(out, ".") || !strcmp(out, ".."))
		out[0] = '\0';
}

static void hash_hex(const unsigned char *data, size_t len, char out[65])
{
	uint8_t h[CRYPTO_HASH_LEN];

	crypto_sha256(data, len, h);
	crypto_hex(h, sizeof(h), out);
}

int media_describe(const unsigned char *data, size_t len, const char *name,
		   struct media_info *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = media_detect(data, len, out->type);
	if (rc)
		return rc;
	media_clean_name(name, out->name);
	out->size = (int64_t)len;
	out->kind = policy_media_kind(out->type);
	hash_hex(data, len, out->sha256);
	out->facts.name = out->name;
	out->facts.mime = out->type;
	out->facts.size = out->size;
	policy_attachment_inspect(data, len, out->type, &out->facts);
	return 0;
}

static int refuse(struct media_refusal *why, int rc, const char *it, const char *en)
{
	if (why) {
		snprintf(why->message, sizeof(why->message), "%s", it);
		snprintf(why->message_en, sizeof(why->message_en), "%s", en);
	}
	return rc;
}

/* The policy's verdicts on the attachment alone: 1 when one of them blocks. */
static int policy_refuses(const struct policy *p, const struct media_info *info,
			  struct policy_result *verdicts, struct media_refusal *why)
{
	struct policy_result *r = verdicts ? verdicts : malloc(sizeof(*r));
	struct policy_message m;
	int n = 0, blocked = 0;

	if (!r)
		return -1;
	memset(&m, 0, sizeof(m));
	m.text = "-";
	m.attachments = &info->facts;
	m.n_attachments = 1;
	if (policy_check(p, &m, NULL, 0, r) != 0) {
		if (!verdicts)
			free(r);
		return -1;
	}
	/* keep the attachment's verdicts only: the message is judged when it is written */
	for (int i = 0; i < r->n_verdicts; i++) {
		if (strncmp(r->verdicts[i].rule, "attachment.", 11) != 0)
			continue;
		if (r->verdicts[i].level == POLICY_BLOCK && !blocked) {
			blocked = 1;
			refuse(why, 0, r->verdicts[i].reason, r->verdicts[i].reason_en);
		}
		if (n != i)
			r->verdicts[n] = r->verdicts[i];
		n++;
	}
	r->n_verdicts = n;
	r->n_dropped = 0;
	r->allowed = !blocked;
	r->disclaimer[0] = '\0';
	if (!verdicts)
		free(r);
	return blocked;
}

/* Refusals of the fixed rules and WhatsApp's: 0, or the code with *why. */
static int fixed_rules(const struct media_info *info, struct media_refusal *why)
{
	char it[MEDIA_REASON_MAX], en[MEDIA_REASON_MAX];
	int64_t max;

	if (info->facts.executable)
		return refuse(why, BANDITORE_EINVAL,
			      "l'allegato è un programma eseguibile o uno script: non si inviano programmi",
			      "the attachment is an executable or a script: programs are never sent");
	if (info->facts.macros)
		return refuse(why, BANDITORE_EINVAL,
			      "l'allegato è un documento con macro: inviarlo come PDF",
			      "the attachment is a document with macros: send it as a PDF");
	if (info->kind == POLICY_MEDIA_NONE) {
		snprintf(it, sizeof(it), "WhatsApp non accetta allegati di questo tipo (%.60s): "
			 "usare JPEG o PNG, MP4, PDF, testo o documenti Office", info->type);
		snprintf(en, sizeof(en), "WhatsApp takes no attachment of this type (%.60s): "
			 "use JPEG or PNG, MP4, PDF, text or Office documents", info->type);
		return refuse(why, BANDITORE_EINVAL, it, en);
	}
	max = policy_media_kind_max(info->kind);
	if (info->size > max) {
		snprintf(it, sizeof(it), "l'allegato (%s) è di %lld byte: WhatsApp ne accetta al massimo %lld",
			 policy_media_kind_name(info->kind), (long long)info->size, (long long)max);
		snprintf(en, sizeof(en), "the attachment (%s) is %lld bytes: WhatsApp takes at most %lld",
			 policy_media_kind_name(info->kind), (long long)info->size, (long long)max);
		return refuse(why, BANDITORE_ETOOBIG, it, en);
	}
	return 0;
}

int media_path(const char *data_dir, const char *sha256, char *out, size_t cap)
{
	int n;

	if (!data_dir || !sha256 || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return BANDITORE_EINVAL;
	n = snprintf(out, cap, "%s/" MEDIA_DIR "/%s", data_dir, sha256);
	return n > 0 && (size_t)n < cap ? 0 : BANDITORE_ETOOBIG;
}

int media_sweep(const char *data_dir, int64_t before,
		int (*referenced)(void *arg, const char *sha256, int *yes), void *arg,
		int64_t *removed)
{
	char dir[4096], path[4200];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (removed)
		*removed = 0;
	if (!data_dir || !referenced ||
	    snprintf(dir, sizeof(dir), "%s/" MEDIA_DIR, data_dir) >= (int)sizeof(dir))
		return BANDITORE_EINVAL;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : BANDITORE_EIO;
	while (!rc && (e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		int stored = strlen(n) == 64 && strspn(n, "0123456789abcdef") == 64, yes = 1;
		int stale = !strncmp(n, ".tmp-", 5) || !strncmp(n, ".upload-", 8);
		struct stat st;

		if ((!stored && !stale) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, n) >= (int)sizeof(path) ||
		    lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (int64_t)st.st_mtime >= before)
			continue;
		if (stored)
			rc = referenced(arg, n, &yes);
		if (!rc && (stale || !yes) && unlink(path) == 0 && removed)
			(*removed)++;
	}
	closedir(d);
	return rc;
}

static int write_all(int fd, const unsigned char *d, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, d, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return BANDITORE_EIO;
		d += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return BANDITORE_EIO;
	rc = fsync(fd) == 0 ? 0 : BANDITORE_EIO;
	close(fd);
	return rc;
}

/* Stores `d` as DATA/media/<sha256> unless it is there already. */
static int store_file(const char *data_dir, const char *sha256, const unsigned char *d, size_t n)
{
	char dir[4096], path[4200], tmp[4300];
	struct stat st;
	int fd = -1, rc;

	if (snprintf(dir, sizeof(dir), "%s/" MEDIA_DIR, data_dir) >= (int)sizeof(dir))
		return BANDITORE_ETOOBIG;
	rc = media_path(data_dir, sha256, path, sizeof(path));
	if (rc)
		return rc;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return BANDITORE_EIO;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == (off_t)n)
		return 0; /* the same bytes, stored before */
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%.16s-%ld", dir, sha256, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return BANDITORE_EIO;
	rc = write_all(fd, d, n);
	if (!rc && fsync(fd) != 0)
		rc = BANDITORE_EIO;
	if (close(fd) != 0 && !rc)
		rc = BANDITORE_EIO;
	if (!rc && rename(tmp, path) != 0)
		rc = BANDITORE_EIO;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir(dir);
}

int media_intake(const char *data_dir, const struct policy *p, const unsigned char *data,
		 size_t len, const char *name, struct media_info *out,
		 struct policy_result *verdicts, struct media_refusal *why)
{
	unsigned char *stripped = NULL;
	int rc, r;

	memset(out, 0, sizeof(*out));
	if (verdicts) {
		memset(verdicts, 0, offsetof(struct policy_result, verdicts));
		verdicts->allowed = 1;
		verdicts->disclaimer[0] = '\0';
	}
	if (!data || len == 0)
		return refuse(why, BANDITORE_EINVAL, "l'allegato è vuoto", "the attachment is empty");
	if ((long long)len > MEDIA_SIZE_MAX)
		return refuse(why, BANDITORE_ETOOBIG, "l'allegato supera 100 MiB, il massimo di WhatsApp",
			      "the attachment is over 100 MiB, WhatsApp's largest");
	rc = media_describe(data, len, name, out);
	if (rc)
		return rc;
	if (p) {
		r = policy_refuses(p, out, verdicts, why);
		if (r < 0)
			return BANDITORE_ENOMEM;
		if (r)
			return BANDITORE_EPERM;
	}
	rc = fixed_rules(out, why);
	if (rc)
		return rc;
	if (out->facts.gps && p && p->attachment_strip_gps && out->kind == POLICY_MEDIA_IMAGE) {
		size_t n = 0;
		char keep[MEDIA_NAME_MAX];
		stripped = malloc(len);
		if (!stripped)
			return BANDITORE_ENOMEM;
		if (policy_image_strip_metadata(data, len, stripped, &n) != 0) {
			free(stripped);
			return refuse(why, BANDITORE_EINVAL,
				      "l'immagine contiene la posizione GPS ma è malformata: non si può togliere",
				      "the image holds a GPS position but is malformed: it cannot be removed");
		}
		memcpy(keep, out->name, sizeof(keep));
		rc = media_describe(stripped, n, keep, out);
		if (!rc && (out->facts.gps || out->kind != POLICY_MEDIA_IMAGE))
			rc = BANDITORE_EINVAL; /* cannot happen: the stripper's promise */
		if (rc) {
			free(stripped);
			return rc;
		}
		out->stripped = 1;
		data = stripped;
		len = n;
		if (verdicts) { /* the position is gone: its warning too */
			int k = 0;
			for (int i = 0; i < verdicts->n_verdicts; i++)
				if (strcmp(verdicts->verdicts[i].rule, "attachment.gps") != 0)
					verdicts->verdicts[k++] = verdicts->verdicts[i];
			verdicts->n_verdicts = k;
		}
	}
	rc = store_file(data_dir, out->sha256, data, len);
	free(stripped);
	return rc;
}

int media_load(const char *data_dir, const char *sha256, unsigned char **data, size_t *len)
{
	char path[4200];
	struct stat st;
	unsigned char *buf = NULL;
	size_t got = 0;
	int fd, rc;

	*data = NULL;
	*len = 0;
	rc = media_path(data_dir, sha256, path, sizeof(path));
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? BANDITORE_ENOTFOUND : BANDITORE_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = BANDITORE_EIO;
		goto fail;
	}
	if (st.st_size > MEDIA_SIZE_MAX) {
		rc = BANDITORE_ETOOBIG;
		goto fail;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		rc = BANDITORE_ENOMEM;
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = BANDITORE_EIO;
			goto fail;
		}
		got += (size_t)r;
	}
	close(fd);
	*data = buf;
	*len = got;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}

int media_lookup(const char *data_dir, const char *sha256, const char *name,
		 struct media_info *out)
{
	char want[65], keep[MEDIA_NAME_MAX];
	unsigned char *d = NULL;
	size_t n = 0;
	int rc;

	/* sha256 and name may point into *out: copied before it is cleared */
	if (!sha256 || strlen(sha256) != 64)
		return BANDITORE_EINVAL;
	memcpy(want, sha256, sizeof(want));
	media_clean_name(name, keep);
	memset(out, 0, sizeof(*out));
	rc = media_load(data_dir, want, &d, &n);
	if (!rc)
		rc = media_describe(d, n, keep, out);
	if (!rc && strcmp(out->sha256, want) != 0)
		rc = BANDITORE_EINVAL;
	free(d);
	if (!rc) { /* name and type point into *out already */
		out->facts.name = out->name;
		out->facts.mime = out->type;
	}
	return rc;
}
