/* attachment_samples.c - the sample files of attachment_samples.h. Checksums (PNG CRCs,
 * ZIP CRCs of empty files are 0) are not computed: the checks do not read them, and
 * libmagic names the types from the signatures. */
#include "attachment_samples.h"

#include <stdint.h>
#include <string.h>

static size_t put(unsigned char *out, size_t o, const void *p, size_t n)
{
	memcpy(out + o, p, n);
	return o + n;
}

static size_t be32(unsigned char *out, size_t o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v };
	return put(out, o, b, 4);
}

static size_t le16(unsigned char *out, size_t o, unsigned v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	return put(out, o, b, 2);
}

static size_t le32(unsigned char *out, size_t o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24) };
	return put(out, o, b, 4);
}

/* Little-endian TIFF: IFD0 with one entry, GPSInfo (0x8825) pointing to a GPS IFD with
 * GPSLatitudeRef and GPSLatitude, or Make (0x010F) when without GPS. 56 bytes. */
static size_t tiff(unsigned char *out, size_t o, int with_gps)
{
	o = put(out, o, "II*\0", 4);
	o = le32(out, o, 8);
	o = le16(out, o, 1);
	o = le16(out, o, with_gps ? 0x8825 : 0x010F);
	o = le16(out, o, with_gps ? 4 : 2);
	o = le32(out, o, with_gps ? 1 : 4);
	o = le32(out, o, with_gps ? 26 : 0x00414141); /* GPS IFD offset, or "AAA" */
	o = le32(out, o, 0);
	o = le16(out, o, 2);
	o = le16(out, o, 1), o = le16(out, o, 2), o = le32(out, o, 2), o = put(out, o, "N\0\0\0", 4);
	o = le16(out, o, 2), o = le16(out, o, 5), o = le32(out, o, 3), o = le32(out, o, 0);
	return le32(out, o, 0);
}

static size_t png_chunk(unsigned char *out, size_t o, const char *type, const unsigned char *data,
			size_t n)
{
	o = be32(out, o, (uint32_t)n);
	o = put(out, o, type, 4);
	if (n)
		o = put(out, o, data, n);
	return be32(out, o, 0x12345678); /* CRC not checked */
}

size_t sample_png(unsigned char *out, int with_gps)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	unsigned char ihdr[13] = { 0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0 }; /* 1x1 grey */
	unsigned char exif[64], idat[11] = { 0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1, 0 };
	size_t o = put(out, 0, sig, 8);

	o = png_chunk(out, o, "IHDR", ihdr, sizeof(ihdr));
	if (with_gps)
		o = png_chunk(out, o, "eXIf", exif, tiff(exif, 0, 1));
	o = png_chunk(out, o, "IDAT", idat, sizeof(idat));
	return png_chunk(out, o, "IEND", NULL, 0);
}

size_t sample_jpeg(unsigned char *out, int with_gps)
{
	static const unsigned char jfif[] = { 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0 };
	static const unsigned char dqt[] = { 0xFF, 0xDB, 0, 4, 0, 1 };
	static const unsigned char sos[] = { 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0x3F, 0, 0x12, 0x34, 0xFF, 0, 0x56, 0xFF, 0xD9 };
	unsigned char t[64];
	size_t o = put(out, 0, "\xFF\xD8", 2), n = tiff(t, 0, with_gps);

	o = put(out, o, jfif, sizeof(jfif));
	o = put(out, o, "\xFF\xE1", 2);
	out[o++] = (unsigned char)((n + 8) >> 8);
	out[o++] = (unsigned char)(n + 8);
	o = put(out, o, "Exif\0\0", 6);
	o = put(out, o, t, n);
	o = put(out, o, dqt, sizeof(dqt));
	return put(out, o, sos, sizeof(sos));
}

size_t sample_pdf(unsigned char *out)
{
	static const char pdf[] =
		"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
		"trailer << /Root 1 0 R >>\n%%EOF\n";
	return put(out, 0, pdf, sizeof(pdf) - 1);
}

size_t sample_elf(unsigned char *out)
{
	memset(out, 0, 64);
	memcpy(out, "\x7F" "ELF\x02\x01\x01", 7);
	out[16] = 2;    /* ET_EXEC */
	out[18] = 0x3E; /* x86-64 */
	out[20] = 1;
	return 64;
}

size_t sample_zip(unsigned char *out, const char *const *names, int n)
{
	uint32_t offsets[16];
	size_t o = 0, cd;

	for (int i = 0; i < n && i < 16; i++) {
		size_t len = strlen(names[i]);
		offsets[i] = (uint32_t)o;
		o = le32(out, o, 0x04034b50);
		o = le16(out, o, 20), o = le16(out, o, 0), o = le16(out, o, 0);
		o = le16(out, o, 0), o = le16(out, o, 0x21);
		o = le32(out, o, 0), o = le32(out, o, 0), o = le32(out, o, 0);
		o = le16(out, o, (unsigned)len), o = le16(out, o, 0);
		o = put(out, o, names[i], len);
	}
	cd = o;
	for (int i = 0; i < n && i < 16; i++) {
		size_t len = strlen(names[i]);
		o = le32(out, o, 0x02014b50);
		o = le16(out, o, 20), o = le16(out, o, 20), o = le16(out, o, 0), o = le16(out, o, 0);
		o = le16(out, o, 0), o = le16(out, o, 0x21);
		o = le32(out, o, 0), o = le32(out, o, 0), o = le32(out, o, 0);
		o = le16(out, o, (unsigned)len), o = le16(out, o, 0), o = le16(out, o, 0);
		o = le16(out, o, 0), o = le16(out, o, 0), o = le32(out, o, 0);
		o = le32(out, o, offsets[i]);
		o = put(out, o, names[i], len);
	}
	o = le32(out, o, 0x06054b50);
	o = le16(out, o, 0), o = le16(out, o, 0);
	o = le16(out, o, (unsigned)n), o = le16(out, o, (unsigned)n);
	o = le32(out, o, (uint32_t)(o - 12 - cd)); /* size of the directory */
	o = le32(out, o, (uint32_t)cd);
	return le16(out, o, 0);
}

/* The header sector, then one directory sector: Root Entry, WordDocument, and "Macros"
 * (a storage) when with_vba. Enough for the directory walk; not a readable document. */
size_t sample_ole_vba(unsigned char *out, int with_vba)
{
	static const char *const names[] = { "Root Entry", "WordDocument", "Macros" };
	static const int types[] = { 5, 2, 1 };

	memset(out, 0, 1024);
	memcpy(out, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
	out[24] = 0x3E, out[26] = 3, out[28] = 0xFE, out[29] = 0xFF, out[30] = 9;
	for (int e = 0; e < (with_vba ? 3 : 2); e++) {
		unsigned char *d = out + 512 + 128 * e;
		size_t n = strlen(names[e]);
		for (size_t i = 0; i < n; i++)
			d[2 * i] = (unsigned char)names[e][i];
		d[64] = (unsigned char)((n + 1) * 2);
		d[66] = (unsigned char)types[e];
	}
	return 1024;
}
