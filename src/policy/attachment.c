/*
 * attachment.c - facts about an attachment from its bytes: programs, macros, GPS
 * positions in images; WhatsApp's media kinds and limits. See attachment.h.
 *
 * Every walker reads through the helpers below, which check bounds, and each loop has a
 * fixed ceiling, so any input (tests/fuzz/fuzz_attachment.c) ends in time linear in its
 * length without reading outside it.
 */
#include "policy/attachment.h"

#include "common/err.h"

#include <string.h>
#include <strings.h>

#define JPEG_SEGMENTS_MAX 4096   /* segments before the image data; real files: < 20 */
#define ZIP_ENTRIES_MAX 65535    /* the format's own limit without ZIP64 */
#define TIFF_ENTRIES_MAX 1024    /* entries of one IFD looked at */

/* ---- WhatsApp's kinds ---- */

struct kind_of {
	const char *mime;
	enum policy_media_kind kind;
};

/* Meta's "Supported media types" of the Cloud API (stickers left out: not for notices). */
static const struct kind_of kinds[] = {
	{ "image/jpeg", POLICY_MEDIA_IMAGE },
	{ "image/png", POLICY_MEDIA_IMAGE },
	{ "video/mp4", POLICY_MEDIA_VIDEO },
	{ "video/3gpp", POLICY_MEDIA_VIDEO },
	{ "audio/aac", POLICY_MEDIA_AUDIO },
	{ "audio/amr", POLICY_MEDIA_AUDIO },
	{ "audio/mpeg", POLICY_MEDIA_AUDIO },
	{ "audio/mp4", POLICY_MEDIA_AUDIO },
	{ "audio/ogg", POLICY_MEDIA_AUDIO },
	{ "text/plain", POLICY_MEDIA_DOCUMENT },
	{ "application/pdf", POLICY_MEDIA_DOCUMENT },
	{ "application/msword", POLICY_MEDIA_DOCUMENT },
	{ "application/vnd.ms-excel", POLICY_MEDIA_DOCUMENT },
	{ "application/vnd.ms-powerpoint", POLICY_MEDIA_DOCUMENT },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", POLICY_MEDIA_DOCUMENT },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", POLICY_MEDIA_DOCUMENT },
	{ "application/vnd.openxmlformats-officedocument.presentationml.presentation", POLICY_MEDIA_DOCUMENT },
};

enum policy_media_kind policy_media_kind(const char *mime)
{
	size_t n;

	if (!mime)
		return POLICY_MEDIA_NONE;
	n = strcspn(mime, "; ");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].mime) == n && !strncasecmp(mime, kinds[i].mime, n))
			return kinds[i].kind;
	return POLICY_MEDIA_NONE;
}

const char *policy_media_kind_name(enum policy_media_kind kind)
{
	switch (kind) {
	case POLICY_MEDIA_IMAGE: return "image";
	case POLICY_MEDIA_VIDEO: return "video";
	case POLICY_MEDIA_AUDIO: return "audio";
	case POLICY_MEDIA_DOCUMENT: return "document";
	default: return "";
	}
}

int64_t policy_media_kind_max(enum policy_media_kind kind)
{
	switch (kind) {
	case POLICY_MEDIA_IMAGE: return POLICY_MEDIA_IMAGE_MAX;
	case POLICY_MEDIA_VIDEO: return POLICY_MEDIA_VIDEO_MAX;
	case POLICY_MEDIA_AUDIO: return POLICY_MEDIA_AUDIO_MAX;
	case POLICY_MEDIA_DOCUMENT: return POLICY_MEDIA_DOCUMENT_MAX;
	default: return 0;
	}
}

/* ---- bounded readers ---- */

static int has(size_t len, size_t at, size_t n)
{
	return at <= len && n <= len - at;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned le16(const unsigned char *p) { return (unsigned)p[1] << 8 | p[0]; }
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int contains(const unsigned char *d, size_t len, const char *needle)
{
	return memmem(d, len, needle, strlen(needle)) != NULL;
}

/* ---- TIFF (the body of Exif and of PNG's eXIf) ---- */

struct tiff {
	const unsigned char *d;
	size_t len;
	int big; /* "MM" */
};

static unsigned t16(const struct tiff *t, size_t at) { return t->big ? be16(t->d + at) : le16(t->d + at); }
static uint32_t t32(const struct tiff *t, size_t at) { return t->big ? be32(t->d + at) : le32(t->d + at); }

/* The number of entries of the IFD at `off` that fit in the buffer, or -1. */
static int tiff_ifd(const struct tiff *t, uint32_t off)
{
	unsigned n;

	if (!has(t->len, off, 2))
		return -1;
	n = t16(t, off);
	if (n > TIFF_ENTRIES_MAX)
		n = TIFF_ENTRIES_MAX;
	if ((t->len - off - 2) / 12 < n)
		n = (unsigned)((t->len - off - 2) / 12);
	return (int)n;
}

/* 1 when IFD0 points to a GPS IFD holding GPSLatitude (2) or GPSLongitude (4). */
static int tiff_has_gps(const unsigned char *d, size_t len)
{
	struct tiff t = { d, len, 0 };
	int n;

	if (len < 8)
		return 0;
	if (!memcmp(d, "MM\0*", 4))
		t.big = 1;
	else if (memcmp(d, "II*\0", 4))
		return 0;
	n = tiff_ifd(&t, t32(&t, 4));
	for (int i = 0; i < n; i++) {
		size_t e = (size_t)t32(&t, 4) + 2 + (size_t)i * 12;
		if (t16(&t, e) == 0x8825) { /* GPSInfo: the GPS IFD's offset */
			uint32_t g = t32(&t, e + 8);
			int m = tiff_ifd(&t, g);
			for (int k = 0; k < m; k++) {
				unsigned tag = t16(&t, (size_t)g + 2 + (size_t)k * 12);
				if (tag == 2 || tag == 4)
					return 1;
			}
			return 0;
		}
	}
	return 0;
}

static int xmp_has_gps(const unsigned char *d, size_t len)
{
	return contains(d, len, "GPSLatitude") || contains(d, len, "GPSLongitude");
}

/* ---- JPEG segments ---- */

struct jpeg_seg {
	size_t at;                  /* its first 0xFF */
	size_t end;                 /* just after it */
	int marker;
	const unsigned char *body;  /* after the length */
	size_t body_len;
};

enum { SEG_MALFORMED = -1, SEG_DATA = 0, SEG_ONE = 1 };

/* The segment at *pos: SEG_ONE with *s filled and *pos moved past it; SEG_DATA at the
 * start of scan (SOS) or the end of image, s->at is where the rest begins; SEG_MALFORMED. */
static int jpeg_next(const unsigned char *d, size_t len, size_t *pos, struct jpeg_seg *s)
{
	size_t p = *pos, seglen;

	memset(s, 0, sizeof(*s));
	s->at = p;
	if (p >= len || d[p] != 0xFF)
		return SEG_MALFORMED;
	while (p < len && d[p] == 0xFF) /* fill bytes */
		p++;
	if (p >= len)
		return SEG_MALFORMED;
	s->marker = d[p++];
	if (s->marker == 0xDA || s->marker == 0xD9)
		return SEG_DATA;
	if ((s->marker >= 0xD0 && s->marker <= 0xD7) || s->marker == 0x01 || s->marker == 0x00) {
		if (s->marker == 0x00)
			return SEG_MALFORMED;
		s->end = *pos = p;
		return SEG_ONE;
	}
	if (!has(len, p, 2))
		return SEG_MALFORMED;
	seglen = be16(d + p);
	if (seglen < 2 || !has(len, p, seglen))
		return SEG_MALFORMED;
	s->body = d + p + 2;
	s->body_len = seglen - 2;
	s->end = *pos = p + seglen;
	return SEG_ONE;
}

static int is_jpeg(const unsigned char *d, size_t len)
{
	return len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF;
}

static int app1_has_gps(const struct jpeg_seg *s)
{
	if (s->body_len >= 6 && !memcmp(s->body, "Exif\0\0", 6))
		return tiff_has_gps(s->body + 6, s->body_len - 6);
	return xmp_has_gps(s->body, s->body_len);
}

static int jpeg_has_gps(const unsigned char *d, size_t len)
{
	size_t pos = 2;
	struct jpeg_seg s;

	for (int i = 0; i < JPEG_SEGMENTS_MAX; i++) {
		if (jpeg_next(d, len, &pos, &s) != SEG_ONE)
			return 0;
		if (s.marker == 0xE1 && app1_has_gps(&s))
			return 1;
	}
	return 0;
}

static int jpeg_strip(const unsigned char *d, size_t len, unsigned char *out, size_t *out_len)
{
	size_t pos = 2, o = 2;
	struct jpeg_seg s;

	memcpy(out, d, 2);
	for (int i = 0; i < JPEG_SEGMENTS_MAX; i++) {
		int r = jpeg_next(d, len, &pos, &s);
		if (r == SEG_MALFORMED)
			return BANDITORE_EINVAL;
		if (r == SEG_DATA) {
			memcpy(out + o, d + s.at, len - s.at);
			*out_len = o + (len - s.at);
			return 0;
		}
		if (s.marker != 0xE1) {
			memcpy(out + o, d + s.at, s.end - s.at);
			o += s.end - s.at;
		}
	}
	return BANDITORE_EINVAL;
}

/* ---- PNG chunks ---- */

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

static int is_png(const unsigned char *d, size_t len)
{
	return len >= 8 && !memcmp(d, png_sig, 8);
}

/* A chunk that may hold a position: eXIf, or text holding XMP with GPS names. */
static int png_chunk_has_gps(const unsigned char *type, const unsigned char *data, size_t n)
{
	if (!memcmp(type, "eXIf", 4))
		return tiff_has_gps(data, n);
	if (!memcmp(type, "iTXt", 4) || !memcmp(type, "tEXt", 4))
		return xmp_has_gps(data, n);
	return 0;
}

/* Walks the chunks; with `out`, copies those without a position. 1: a position was
 * found (without `out`); 0: none; BANDITORE_EINVAL: malformed. */
static int png_walk(const unsigned char *d, size_t len, unsigned char *out, size_t *out_len)
{
	size_t pos = 8, o = 8;

	if (out)
		memcpy(out, d, 8);
	while (pos < len) { /* each chunk is at least 12 bytes: bounded by len / 12 */
		uint32_t n;
		size_t total;
		if (!has(len, pos, 12))
			return BANDITORE_EINVAL;
		n = be32(d + pos);
		if (n > 0x7fffffffu || !has(len, pos + 8, (size_t)n + 4))
			return BANDITORE_EINVAL;
		total = (size_t)n + 12;
		if (png_chunk_has_gps(d + pos + 4, d + pos + 8, n)) {
			if (!out)
				return 1;
		} else if (out) {
			memcpy(out + o, d + pos, total);
			o += total;
		}
		if (!memcmp(d + pos + 4, "IEND", 4)) {
			pos += total;
			break;
		}
		pos += total;
	}
	if (out) { /* whatever follows IEND, as it was */
		memcpy(out + o, d + pos, len - pos);
		*out_len = o + (len - pos);
	}
	return 0;
}

int policy_image_has_gps(const unsigned char *data, size_t len)
{
	if (!data)
		return 0;
	if (is_jpeg(data, len))
		return jpeg_has_gps(data, len);
	if (is_png(data, len))
		return png_walk(data, len, NULL, NULL) == 1;
	return 0;
}

int policy_image_strip_metadata(const unsigned char *data, size_t len, unsigned char *out,
				size_t *out_len)
{
	if (!data || !out || !out_len)
		return BANDITORE_EINVAL;
	*out_len = 0;
	if (is_jpeg(data, len))
		return jpeg_strip(data, len, out, out_len);
	if (is_png(data, len))
		return png_walk(data, len, out, out_len) == 0 ? 0 : BANDITORE_EINVAL;
	return BANDITORE_EINVAL;
}

/* ---- programs and macros ---- */

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && !strncasecmp(s + n - k, suffix, k);
}

/* What a name inside an archive says: 1 program, 2 macros, 0 neither. */
static int archive_name(const unsigned char *name, size_t n)
{
	static const char *const programs[] = {
		".exe", ".dll", ".com", ".scr", ".msi", ".msp", ".cpl", ".sys", ".pif", ".bat",
		".cmd", ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta",
		".lnk", ".reg", ".jar", ".class", ".apk", ".app", ".sh", ".bash", ".py", ".pl",
		".so", ".dylib", ".elf", ".msc", ".gadget",
	};
	const char *s = (const char *)name;

	if (ends_with(s, n, "vbaProject.bin") || ends_with(s, n, "vbaData.xml"))
		return 2;
	if (n == 20 && !strncasecmp(s, "META-INF/MANIFEST.MF", 20))
		return 1;
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (ends_with(s, n, programs[i]))
			return 1;
	return 0;
}

static void note(struct policy_attachment *f, int what)
{
	if (what == 1)
		f->executable = 1;
	else if (what == 2)
		f->macros = 1;
}

/* The central directory (from the end record) and the local headers (from the start):
 * a name in either counts. */
static void zip_walk(const unsigned char *d, size_t len, struct policy_attachment *f)
{
	size_t p, lowest;

	if (len >= 22) {
		lowest = len - 22 > 65535 ? len - 22 - 65535 : 0;
		for (p = len - 22 + 1; p-- > lowest;) {
			if (memcmp(d + p, "PK\5\6", 4))
				continue;
			size_t at = le32(d + p + 16);
			unsigned entries = le16(d + p + 10);
			for (unsigned i = 0; i < entries && i < ZIP_ENTRIES_MAX; i++) {
				size_t nlen, skip;
				if (!has(len, at, 46) || memcmp(d + at, "PK\1\2", 4))
					break;
				nlen = le16(d + at + 28);
				skip = 46 + nlen + le16(d + at + 30) + le16(d + at + 32);
				if (!has(len, at + 46, nlen))
					break;
				note(f, archive_name(d + at + 46, nlen));
				at += skip;
			}
			break;
		}
	}
	p = 0;
	for (unsigned i = 0; i < ZIP_ENTRIES_MAX && has(len, p, 30) && !memcmp(d + p, "PK\3\4", 4); i++) {
		size_t nlen = le16(d + p + 26), elen = le16(d + p + 28);
		size_t csize = le32(d + p + 18);
		if (!has(len, p + 30, nlen))
			break;
		note(f, archive_name(d + p + 30, nlen));
		if ((le16(d + p + 6) & 8) && csize == 0)
			break; /* sizes in a data descriptor: the next header cannot be found */
		if (!has(len, p + 30 + nlen + elen, csize))
			break;
		p += 30 + nlen + elen + csize;
	}
	/* The name is stored uncompressed wherever it appears: a lying directory still has it. */
	if (contains(d, len, "vbaProject.bin"))
		f->macros = 1;
}

/* An OLE2 compound file (doc, xls) with a VBA storage: its directory entries are 128
 * bytes, aligned on 128 from the start of the file (sectors are 512 or 4096 bytes), with
 * the UTF-16LE name first and its size in bytes (NUL included) at 64, the type at 66. */
static int ole_has_macros(const unsigned char *d, size_t len)
{
	static const char *const names[] = { "_VBA_PROJECT_CUR", "_VBA_PROJECT", "VBA", "Macros" };

	for (size_t at = 512; has(len, at, 128); at += 128) {
		unsigned nbytes = le16(d + at + 64);
		int type = d[at + 66];
		if (nbytes < 4 || nbytes > 64 || (nbytes & 1) || (type != 1 && type != 2))
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t n = strlen(names[k]), i;
			if (nbytes != (n + 1) * 2)
				continue;
			for (i = 0; i < n; i++)
				if (d[at + 2 * i] != (unsigned char)names[k][i] || d[at + 2 * i + 1] != 0)
					break;
			if (i == n)
				return 1;
		}
	}
	return 0;
}

static const unsigned char ole_sig[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

/* Types libmagic gives to programs and scripts. */
static int program_type(const char *mime)
{
	static const char *const types[] = {
		"application/x-executable", "application/x-pie-executable",
		"application/x-sharedlib", "application/x-dosexec", "application/x-msdownload",
		"application/x-mach-binary", "application/x-msi", "application/java-archive",
		"application/x-java-applet", "application/vnd.microsoft.portable-executable",
		"application/x-elf", "application/javascript", "text/javascript",
		"text/x-shellscript", "text/x-msdos-batch", "text/x-python", "text/x-perl",
		"text/x-php", "text/x-ruby", "text/x-tcl", "text/x-awk", "text/x-lua",
		"application/x-shellscript", "application/x-bytecode.python",
	};
	size_t n;

	if (!mime)
		return 0;
	n = strcspn(mime, "; ");
	if (!strncasecmp(mime, "text/x-script", 13))
		return 1;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && !strncasecmp(mime, types[i], n))
			return 1;
	return 0;
}

static int is_program(const unsigned char *d, size_t len)
{
	static const unsigned char macho[][4] = {
		{ 0xFE, 0xED, 0xFA, 0xCE }, { 0xFE, 0xED, 0xFA, 0xCF }, { 0xCE, 0xFA, 0xED, 0xFE },
		{ 0xCF, 0xFA, 0xED, 0xFE }, { 0xCA, 0xFE, 0xBA, 0xBE }, /* fat Mach-O, Java class */
	};

	if (len >= 4 && !memcmp(d, "\x7F" "ELF", 4))
		return 1;
	if (len >= 2 && ((d[0] == 'M' && d[1] == 'Z') || (d[0] == '#' && d[1] == '!')))
		return 1;
	for (size_t i = 0; len >= 4 && i < sizeof(macho) / sizeof(macho[0]); i++)
		if (!memcmp(d, macho[i], 4))
			return 1;
	/* A UTF-8 byte order mark before the shebang changes nothing for the shell reading it. */
	if (len >= 5 && !memcmp(d, "\xEF\xBB\xBF#!", 5))
		return 1;
	return 0;
}

void policy_attachment_inspect(const unsigned char *data, size_t len, const char *mime,
			       struct policy_attachment *facts)
{
	facts->executable = 0;
	facts->macros = 0;
	facts->gps = 0;
	if (!data)
		len = 0;
	if (program_type(mime) || (data && is_program(data, len)))
		facts->executable = 1;
	if (mime && strcasestr(mime, "macroenabled"))
		facts->macros = 1;
	if (!data)
		return;
	if ((len >= 4 && (!memcmp(data, "PK\3\4", 4) || !memcmp(data, "PK\5\6", 4))) ||
	    (mime && (strcasestr(mime, "zip") || strcasestr(mime, "openxmlformats") ||
		      strcasestr(mime, "java-archive"))))
		zip_walk(data, len, facts);
	if (len >= 8 && !memcmp(data, ole_sig, 8) && ole_has_macros(data, len))
		facts->macros = 1;
	facts->gps = policy_image_has_gps(data, len);
}
