/*
 * buf.h - a growable byte buffer with a hard upper bound (after curl's dynbuf).
 *
 * Every buffer filled from outside has a limit: appending past `max` fails with
 * BANDITORE_ETOOBIG and leaves the buffer as it was. The data is always NUL-terminated.
 */
#ifndef BANDITORE_BUF_H
#define BANDITORE_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;  /* the most bytes it may ever hold */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);  /* releases the data; the struct may be reused after buf_init */
void buf_reset(struct buf *b); /* empties it, keeping the memory */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_appends(struct buf *b, const char *s);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a C string ("" when empty; borrowed, valid until the next change). */
const char *buf_cstr(const struct buf *b);
/* Hands the data to the caller (to free()), leaving the buffer empty. */
char *buf_steal(struct buf *b);

#endif
