/* attachment_samples.h - small files of every kind the attachment checks meet, made
 * byte by byte (no sample files in the tree): PNG, JPEG with and without GPS, PDF, ELF,
 * ZIP archives with chosen names, an OLE2 file with a VBA storage. */
#ifndef BANDITORE_TEST_ATTACHMENT_SAMPLES_H
#define BANDITORE_TEST_ATTACHMENT_SAMPLES_H

#include <stddef.h>

#define SAMPLE_MAX 8192

/* Each writes into out (SAMPLE_MAX bytes) and returns the length. */
size_t sample_png(unsigned char *out, int with_gps);
size_t sample_jpeg(unsigned char *out, int with_gps);
size_t sample_pdf(unsigned char *out);
size_t sample_elf(unsigned char *out);
/* A stored (uncompressed) ZIP holding empty files with the `n` names given. */
size_t sample_zip(unsigned char *out, const char *const *names, int n);
size_t sample_ole_vba(unsigned char *out, int with_vba);

#endif
