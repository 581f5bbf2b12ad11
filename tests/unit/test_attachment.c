/* test_attachment.c - unit tests of src/policy/attachment.c on files made byte by byte
 * (attachment_samples.c): programs, macro documents, GPS positions in JPEG and PNG, the
 * stripper, WhatsApp's kinds and limits, and the verdicts policy_check draws from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attachment_samples.h"
#include "common/err.h"
#include "policy/attachment.h"
#include "policy/policy.h"

static struct policy_attachment inspect(const unsigned char *d, size_t n, const char *mime)
{
	struct policy_attachment f = { "x", mime, (int64_t)n, 7, 7, 7 };
	policy_attachment_inspect(d, n, mime, &f);
	return f;
}

static void test_plain_files(void **state)
{
	unsigned char b[SAMPLE_MAX];
	struct policy_attachment f;
	size_t n;

	(void)state;
	n = sample_png(b, 0);
	f = inspect(b, n, "image/png");
	assert_int_equal(f.executable + f.macros + f.gps, 0);
	n = sample_jpeg(b, 0);
	f = inspect(b, n, "image/jpeg");
	assert_int_equal(f.executable + f.macros + f.gps, 0);
	n = sample_pdf(b);
	f = inspect(b, n, "application/pdf");
	assert_int_equal(f.executable + f.macros + f.gps, 0);
	n = sample_ole_vba(b, 0);
	f = inspect(b, n, "application/msword");
	assert_int_equal(f.executable + f.macros, 0);
	{
		const char *names[] = { "[Content_Types].xml", "word/document.xml" };
		n = sample_zip(b, names, 2);
		f = inspect(b, n, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
		assert_int_equal(f.executable + f.macros, 0);
	}
	f = inspect(NULL, 0, NULL); /* nothing at all: no facts, no crash */
	assert_int_equal(f.executable + f.macros + f.gps, 0);
}

static void test_programs(void **state)
{
	unsigned char b[SAMPLE_MAX];
	size_t n;

	(void)state;
	n = sample_elf(b);
	assert_int_equal(inspect(b, n, "application/octet-stream").executable, 1);
	memcpy(b, "MZ\x90\0", 4);
	assert_int_equal(inspect(b, 64, "application/octet-stream").executable, 1);
	memcpy(b, "#!/bin/sh\nrm -rf /\n", 19);
	assert_int_equal(inspect(b, 19, "text/plain").executable, 1);
	memcpy(b, "\xCA\xFE\xBA\xBE", 4);
	assert_int_equal(inspect(b, 64, "application/octet-stream").executable, 1);
	/* the type alone, whatever the bytes */
	memcpy(b, "echo hello\n", 11);
	assert_int_equal(inspect(b, 11, "text/x-shellscript").executable, 1);
	assert_int_equal(inspect(b, 11, "application/x-dosexec; charset=binary").executable, 1);
	assert_int_equal(inspect(b, 11, "text/plain").executable, 0);
	{
		const char *setup[] = { "leggimi.txt", "Setup.EXE" };
		const char *jar[] = { "META-INF/MANIFEST.MF", "it/comune/Main.class" };
		const char *script[] = { "avviso.pdf", "apri.vbs" };
		const char *fine[] = { "avviso.pdf", "mappa.png" };
		n = sample_zip(b, setup, 2);
		assert_int_equal(inspect(b, n, "application/zip").executable, 1);
		n = sample_zip(b, jar, 2);
		assert_int_equal(inspect(b, n, "application/java-archive").executable, 1);
		assert_int_equal(inspect(b, n, "application/zip").executable, 1);
		n = sample_zip(b, script, 2);
		assert_int_equal(inspect(b, n, "application/zip").executable, 1);
		n = sample_zip(b, fine, 2);
		assert_int_equal(inspect(b, n, "application/zip").executable, 0);
		/* the central directory alone (local headers cut away) still names the program */
		n = sample_zip(b, setup, 2);
		b[0] = 'X';
		assert_int_equal(inspect(b, n, "application/octet-stream").executable, 0);
		assert_int_equal(inspect(b, n, "application/zip").executable, 1);
	}
}

static void test_macros(void **state)
{
	unsigned char b[SAMPLE_MAX];
	const char *docm[] = { "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin" };
	const char *xlsm[] = { "[Content_Types].xml", "xl/workbook.xml", "xl/vbaProject.bin" };
	size_t n;

	(void)state;
	n = sample_zip(b, docm, 3);
	assert_int_equal(inspect(b, n, "application/vnd.openxmlformats-officedocument.wordprocessingml.document").macros, 1);
	assert_int_equal(inspect(b, n, "application/zip").executable, 0);
	n = sample_zip(b, xlsm, 3);
	assert_int_equal(inspect(b, n, "application/octet-stream").macros, 1);
	/* a type that says so */
	assert_int_equal(inspect((const unsigned char *)"x", 1, "application/vnd.ms-excel.sheet.macroEnabled.12").macros, 1);
	/* OLE2 with the Macros storage; without it none */
	n = sample_ole_vba(b, 1);
	assert_int_equal(inspect(b, n, "application/msword").macros, 1);
	n = sample_ole_vba(b, 0);
	assert_int_equal(inspect(b, n, "application/msword").macros, 0);
	/* UTF-16 "Macros" in the document's text, not aligned as a directory entry: none */
	memcpy(b + 900, "M\0a\0c\0r\0o\0s\0", 12);
	assert_int_equal(inspect(b, n, "application/msword").macros, 0);
}

static void test_gps(void **state)
{
	unsigned char b[SAMPLE_MAX], out[SAMPLE_MAX];
	size_t n, m;

	(void)state;
	n = sample_jpeg(b, 1);
	assert_int_equal(policy_image_has_gps(b, n), 1);
	assert_int_equal(inspect(b, n, "image/jpeg").gps, 1);
	assert_int_equal(policy_image_strip_metadata(b, n, out, &m), 0);
	assert_true(m < n);
	assert_int_equal(policy_image_has_gps(out, m), 0);
	assert_memory_equal(out, "\xFF\xD8\xFF\xE0", 4);          /* still a JPEG, JFIF first */
	assert_memory_equal(out + m - 2, "\xFF\xD9", 2);          /* the image data whole */
	assert_null(memmem(out, m, "Exif", 4));
	assert_non_null(memmem(out, m, "\xFF\xDB", 2));           /* other segments kept */
	/* stripping a clean JPEG changes it only by its Exif segment */
	n = sample_jpeg(b, 0);
	assert_int_equal(policy_image_has_gps(b, n), 0);
	assert_int_equal(policy_image_strip_metadata(b, n, out, &m), 0);
	assert_int_equal(m, n - 4 - 6 - 56);
	/* PNG with eXIf */
	n = sample_png(b, 1);
	assert_int_equal(policy_image_has_gps(b, n), 1);
	assert_int_equal(policy_image_strip_metadata(b, n, out, &m), 0);
	assert_int_equal(policy_image_has_gps(out, m), 0);
	assert_int_equal(m, sample_png(b, 0));
	assert_memory_equal(out, b, m);
	/* XMP in APP1 naming a position */
	{
		static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description exif:GPSLatitude=\"45,37.1N\"/></x:xmpmeta>";
		size_t k = 0;
		b[k++] = 0xFF, b[k++] = 0xD8, b[k++] = 0xFF, b[k++] = 0xE1;
		b[k++] = 0, b[k++] = (unsigned char)(sizeof(xmp) - 1 + 2);
		memcpy(b + k, xmp, sizeof(xmp) - 1);
		k += sizeof(xmp) - 1;
		memcpy(b + k, "\xFF\xDA\0\x02\x11\xFF\xD9", 7);
		k += 7;
		assert_int_equal(policy_image_has_gps(b, k), 1);
	}
	/* neither JPEG nor PNG, or cut short: refused, not guessed */
	n = sample_pdf(b);
	assert_int_equal(policy_image_strip_metadata(b, n, out, &m), BANDITORE_EINVAL);
	n = sample_jpeg(b, 1);
	assert_int_equal(policy_image_strip_metadata(b, 30, out, &m), BANDITORE_EINVAL);
	assert_int_equal(policy_image_has_gps(b, 30), 0);
}

static void test_kinds(void **state)
{
	(void)state;
	assert_int_equal(policy_media_kind("image/jpeg"), POLICY_MEDIA_IMAGE);
	assert_int_equal(policy_media_kind("IMAGE/PNG"), POLICY_MEDIA_IMAGE);
	assert_int_equal(policy_media_kind("video/mp4"), POLICY_MEDIA_VIDEO);
	assert_int_equal(policy_media_kind("audio/ogg"), POLICY_MEDIA_AUDIO);
	assert_int_equal(policy_media_kind("application/pdf; charset=binary"), POLICY_MEDIA_DOCUMENT);
	assert_int_equal(policy_media_kind("text/plain"), POLICY_MEDIA_DOCUMENT);
	assert_int_equal(policy_media_kind("image/gif"), POLICY_MEDIA_NONE);
	assert_int_equal(policy_media_kind("image/jpegx"), POLICY_MEDIA_NONE);
	assert_int_equal(policy_media_kind("application/zip"), POLICY_MEDIA_NONE);
	assert_int_equal(policy_media_kind(NULL), POLICY_MEDIA_NONE);
	assert_int_equal(policy_media_kind_max(POLICY_MEDIA_IMAGE), 5 * 1024 * 1024);
	assert_int_equal(policy_media_kind_max(POLICY_MEDIA_VIDEO), 16 * 1024 * 1024);
	assert_int_equal(policy_media_kind_max(POLICY_MEDIA_AUDIO), 16 * 1024 * 1024);
	assert_int_equal(policy_media_kind_max(POLICY_MEDIA_DOCUMENT), 100 * 1024 * 1024);
	assert_int_equal(policy_media_kind_max(POLICY_MEDIA_NONE), 0);
	assert_string_equal(policy_media_kind_name(POLICY_MEDIA_DOCUMENT), "document");
}

/* The facts as policy_check turns them into verdicts citing the comune's article. */
static void test_verdicts(void **state)
{
	struct policy *p = malloc(sizeof(*p));
	struct policy_result *r = malloc(sizeof(*r));
	unsigned char b[SAMPLE_MAX];
	struct policy_attachment a;
	struct policy_message m;
	const char *docm[] = { "word/document.xml", "word/vbaProject.bin" };
	size_t n;

	(void)state;
	assert_non_null(p);
	assert_non_null(r);
	policy_init(p);
	snprintf(p->short_name, sizeof(p->short_name), "Leini");
	snprintf(p->article[POLICY_R_ATTACHMENT], POLICY_ARTICLE_MAX, "art. 2 c. 4");
	p->attachment_max = 1000;
	memset(&m, 0, sizeof(m));
	m.text = "Avviso";
	m.attachments = &a;
	m.n_attachments = 1;

	n = sample_elf(b);
	a = inspect(b, n, "application/x-executable");
	a.name = "foto.jpg"; /* the name lies; the bytes do not */
	assert_int_equal(policy_check(p, &m, NULL, 1780000000, r), 0);
	assert_int_equal(r->allowed, 0);
	assert_string_equal(r->verdicts[0].rule, "attachment.executable");
	assert_string_equal(r->verdicts[0].source, "Leini, art. 2 c. 4");

	n = sample_zip(b, docm, 2);
	a = inspect(b, n, "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	assert_int_equal(policy_check(p, &m, NULL, 1780000000, r), 0);
	assert_int_equal(r->allowed, 0);
	assert_string_equal(r->verdicts[0].rule, "attachment.macros");

	n = sample_jpeg(b, 1);
	a = inspect(b, n, "image/jpeg");
	a.size = 1001;
	assert_int_equal(policy_check(p, &m, NULL, 1780000000, r), 0);
	assert_int_equal(r->allowed, 0);
	assert_int_equal(r->n_verdicts, 2);
	assert_string_equal(r->verdicts[0].rule, "attachment.size");
	assert_string_equal(r->verdicts[1].rule, "attachment.gps");
	assert_int_equal(r->verdicts[1].level, POLICY_WARN);
	a.size = 1000;
	a.gps = 0;
	assert_int_equal(policy_check(p, &m, NULL, 1780000000, r), 0);
	assert_int_equal(r->allowed, 1);
	assert_int_equal(r->n_verdicts, 0);
	policy_clear(p);
	free(p);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_files),
		cmocka_unit_test(test_programs),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_gps),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
