/*
 * qr.h - QR codes as SVG (libqrencode), for the sign-up page and the poster.
 *
 * The SVG is made here from the code's modules, with the quiet zone of 4 modules the
 * standard asks for, one path per row run, black on white whatever the page's colours,
 * so that a phone reads it on screen and on paper. It carries role="img" and an
 * accessible name (escaped here).
 */
#ifndef BANDITORE_QR_H
#define BANDITORE_QR_H

#include "common/buf.h"

/* Appends to `out` an <svg> of the QR code of `text` (UTF-8, at most 1024 bytes; error
 * correction level M), `size_css` wide and high ("12rem", "100%"; NULL: no size, the
 * viewBox alone), labelled `label` for screen readers. EINVAL for an empty or too long
 * text, ENOMEM, ETOOBIG when `out` is full. */
int qr_svg(struct buf *out, const char *text, const char *label, const char *size_css);

#endif
