/*
 * media.h - attachments taken in: typed by their bytes, checked, kept in the data folder.
 *
 * An attachment arrives as bytes (a file given to `banditore publish --attachment`, or
 * the body of POST /api/v1/media). Its type is what libmagic finds in the bytes, never
 * what its name or the request says. Then, in order:
 *
 *   1. at most MEDIA_SIZE_MAX bytes (WhatsApp's largest, documents), not empty;
 *   2. the facts of policy/attachment.h (program, macros, GPS) and the comune's policy on
 *      them: a block (program, macros, type not allowed, over [attachments] max_bytes)
 *      refuses it with the verdicts, citing the comune's article;
 *   3. a type WhatsApp takes (policy_media_kind), within its limit for that kind (image
 *      5 MB, video and audio 16 MB, document 100 MB);
 *   4. an image with a GPS position loses it when [attachments] strip_gps = yes (the
 *      stored file is the stripped one, and its hash is the stripped file's);
 *   5. stored as DATA/media/<sha256> (0600): written to a temporary file in the same
 *      folder, fsync'd, renamed, the folder fsync'd. The same bytes twice are stored
 *      once (the name is the hash).
 *
 * Nothing is written when anything refuses it. Messages refer to a stored file by its
 * SHA-256; media_load reads it back and media_describe says again what it is (the
 * facts are never trusted from a database row: they are found again from the bytes).
 *
 * Nothing here logs; the functions are safe from any thread (libmagic is opened per
 * call: attachments are rare, and a shared handle is not thread-safe).
 */
#ifndef BANDITORE_MEDIA_H
#define BANDITORE_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "policy/attachment.h"
#include "policy/policy.h"

#define MEDIA_SIZE_MAX (100LL * 1024 * 1024)
#define MEDIA_TYPE_MAX 64
#define MEDIA_NAME_MAX 256
#define MEDIA_REASON_MAX 320

/* What a stored (or about to be stored) attachment is. `facts` points into this struct
 * (name, type): do not copy a media_info with its facts and use the copy's facts. */
struct media_info {
	char sha256[65];
	char type[MEDIA_TYPE_MAX];       /* MIME type found by libmagic */
	char name[MEDIA_NAME_MAX];       /* the name shown to citizens (documents) */
	int64_t size;
	enum policy_media_kind kind;
	int stripped;                    /* its GPS position was removed at intake */
	struct policy_attachment facts;
};

/* Why an attachment was refused, when no policy verdict says it (Italian, English). */
struct media_refusal {
	char message[MEDIA_REASON_MAX];
	char message_en[MEDIA_REASON_MAX];
};

/* The MIME type libmagic finds in `len` bytes at `data`, into type[MEDIA_TYPE_MAX].
 * BANDITORE_EIO when libmagic or its database cannot be opened. */
int media_detect(const unsigned char *data, size_t len, char type[MEDIA_TYPE_MAX]);

/* A name as shown to people: the last path component of `name`, control characters,
 * quotes and bytes that are not UTF-8 dropped, at most MEDIA_NAME_MAX - 1 bytes of UTF-8
 * cut on a character; "" for NULL. Always NUL-terminated, always valid UTF-8. */
void media_clean_name(const char *name, char out[MEDIA_NAME_MAX]);

/* Says what `len` bytes are (type, kind, facts, size, SHA-256) under `name` (cleaned).
 * No check is made here. 0, or BANDITORE_EIO (libmagic). */
int media_describe(const unsigned char *data, size_t len, const char *name,
		   struct media_info *out);

/* Takes an attachment in, as the header says, into `data_dir`/media. `p` may be NULL (no
 * comune policy: only the fixed rules: programs and macros are refused all the same).
 * `verdicts` (may be NULL; large: allocate it) gets the policy's attachment verdicts.
 * Returns 0 with *out filled; BANDITORE_EPERM when the policy refuses it (the verdicts
 * say why, and *why too); BANDITORE_EINVAL or ETOOBIG when the fixed rules do (*why);
 * BANDITORE_EIO, ENOMEM. */
int media_intake(const char *data_dir, const struct policy *p, const unsigned char *data,
		 size_t len, const char *name, struct media_info *out,
		 struct policy_result *verdicts, struct media_refusal *why);

/* The file of attachment `sha256` (64 lowercase hex digits) in `data_dir`/media, read
 * whole: *data (caller frees) and *len. BANDITORE_EINVAL for a malformed hash,
 * ENOTFOUND when there is no such file, ETOOBIG, EIO. */
int media_load(const char *data_dir, const char *sha256, unsigned char **data, size_t *len);

/* The path of attachment `sha256`'s file into out (cap bytes). BANDITORE_EINVAL for a
 * malformed hash, ETOOBIG when it does not fit. */
int media_path(const char *data_dir, const char *sha256, char *out, size_t cap);

/* Removes from `data_dir`/media the attachments no message names (referenced() gives
 * *yes = 0) and the temporary files an interrupted intake left, when their file is older
 * than `before` (Unix time): an upload nobody used is not kept for ever. *removed (may
 * be NULL) counts the files removed. 0 (also when there is no such folder), or the error
 * of referenced(), BANDITORE_EIO. */
int media_sweep(const char *data_dir, int64_t before,
		int (*referenced)(void *arg, const char *sha256, int *yes), void *arg,
		int64_t *removed);

/* media_load then media_describe, and a check that the bytes still hash to `sha256`
 * (BANDITORE_EINVAL when not: a file changed on disk is never sent). */
int media_lookup(const char *data_dir, const char *sha256, const char *name,
		 struct media_info *out);

#endif
