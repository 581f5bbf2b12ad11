/*
 * attachment.h - what an attachment's bytes say about it, as facts for policy_check.
 *
 * The MIME type comes from the caller (libmagic in src/media, from the bytes, never the
 * name); this module adds what libmagic does not say and the policy needs (struct
 * policy_attachment in policy.h), with small walkers of our own that read only within
 * the buffer and stop after a bounded number of steps, whatever the input:
 *
 *   - executable: ELF, PE ("MZ"), Mach-O and Java classes, scripts with a shebang, a
 *     type libmagic names as a program, and archives (ZIP, JAR) holding a program, a
 *     script, a Java class or a JAR manifest (the central directory and the local
 *     headers are both walked, so a lie in one is seen in the other);
 *   - macros: an OOXML (ZIP) document holding vbaProject.bin or vbaData.xml, a type
 *     that says "macroEnabled" (docm, xlsm, pptm), or an OLE2 compound file (doc, xls)
 *     whose directory names the VBA storage (_VBA_PROJECT, _VBA_PROJECT_CUR, "Macros").
 *     This is a reasonable detection, not a proof: PowerPoint 97 binaries keep VBA
 *     inside their main stream and are not seen (WhatsApp documents are the common
 *     formats: they are refused as types unless configured);
 *   - gps: a JPEG whose Exif (APP1) IFD0 points to a GPS IFD holding a latitude or a
 *     longitude, a JPEG whose XMP (APP1) names GPSLatitude/GPSLongitude, or a PNG whose
 *     eXIf chunk does the same.
 *
 * And the platform's side: which WhatsApp media kind a type is, and its size limit.
 * Pure: no I/O, no allocation, nothing logged.
 */
#ifndef BANDITORE_POLICY_ATTACHMENT_H
#define BANDITORE_POLICY_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* WhatsApp's media kinds (what a template header or a media message can carry). */
enum policy_media_kind {
	POLICY_MEDIA_NONE = 0,   /* WhatsApp takes no such media */
	POLICY_MEDIA_IMAGE,      /* image/jpeg, image/png: at most 5 MB */
	POLICY_MEDIA_VIDEO,      /* video/mp4, video/3gpp: 16 MB */
	POLICY_MEDIA_AUDIO,      /* audio/aac, amr, mpeg, mp4, ogg: 16 MB */
	POLICY_MEDIA_DOCUMENT,   /* PDF, plain text, Office (97 and OOXML): 100 MB */
};

#define POLICY_MEDIA_IMAGE_MAX (5LL * 1024 * 1024)
#define POLICY_MEDIA_VIDEO_MAX (16LL * 1024 * 1024)
#define POLICY_MEDIA_AUDIO_MAX (16LL * 1024 * 1024)
#define POLICY_MEDIA_DOCUMENT_MAX (100LL * 1024 * 1024)

/* The kind of `mime` (parameters after ';' ignored, case-insensitive); NONE for NULL. */
enum policy_media_kind policy_media_kind(const char *mime);
/* "image", "video", "audio", "document"; "" for NONE. */
const char *policy_media_kind_name(enum policy_media_kind kind);
/* WhatsApp's limit in bytes for `kind`; 0 for NONE. */
int64_t policy_media_kind_max(enum policy_media_kind kind);

/* Sets facts->executable, ->macros and ->gps from `len` bytes at `data` and the type
 * `mime` found by content (may be NULL). The other fields are left as they are. */
void policy_attachment_inspect(const unsigned char *data, size_t len, const char *mime,
			       struct policy_attachment *facts);

/* 1 when `data` is a JPEG or a PNG carrying a GPS position (as above), else 0. */
int policy_image_has_gps(const unsigned char *data, size_t len);

/* Writes the image without its position: a JPEG without its APP1 segments (Exif and
 * XMP), a PNG without its eXIf chunk; everything else byte for byte. `out` must hold
 * `len` bytes (the result is never longer); *out_len gets its length. Returns 0;
 * BANDITORE_EINVAL when `data` is neither a JPEG nor a PNG, or is cut or malformed
 * before its image data (nothing useful is written then). */
int policy_image_strip_metadata(const unsigned char *data, size_t len, unsigned char *out,
				size_t *out_len);

#endif
