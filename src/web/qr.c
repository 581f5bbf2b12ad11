/* qr.c - libqrencode's modules drawn as an SVG path. */
#include "web/qr.h"

#include "common/err.h"
#include "web/template.h"

#include <qrencode.h>
#include <string.h>

#define QR_TEXT_MAX 1024
#define QR_QUIET 4

int qr_svg(struct buf *out, const char *text, const char *label, const char *size_css)
{
	QRcode *qr;
	int rc = 0, width, total;

	if (!out || !text || !*text || strlen(text) > QR_TEXT_MAX)
		return BANDITORE_EINVAL;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return BANDITORE_ENOMEM;
	width = qr->width;
	total = width + 2 * QR_QUIET;
	rc |= buf_appendf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"",
			  total, total);
	if (size_css) {
		rc |= buf_appends(out, " width=\"");
		rc |= tpl_escape_html(out, size_css, strlen(size_css));
		rc |= buf_appends(out, "\" height=\"");
		rc |= tpl_escape_html(out, size_css, strlen(size_css));
		rc |= buf_appends(out, "\"");
	}
	rc |= buf_appends(out, " role=\"img\" shape-rendering=\"crispEdges\" class=\"qr\" aria-label=\"");
	rc |= tpl_escape_html(out, label ? label : text, strlen(label ? label : text));
	rc |= buf_appendf(out, "\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
			  total, total);
	/* One "M x y h n v1 h -n z" per horizontal run of dark modules. */
	for (int y = 0; y < width && !rc; y++) {
		const unsigned char *row = qr->data + (size_t)y * (size_t)width;
		for (int x = 0; x < width && !rc;) {
			int run = 0;
			if (!(row[x] & 1)) {
				x++;
				continue;
			}
			while (x + run < width && (row[x + run] & 1))
				run++;
			rc |= buf_appendf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
			x += run;
		}
	}
	rc |= buf_appends(out, "\"/></svg>");
	QRcode_free(qr);
	return rc ? BANDITORE_ETOOBIG : 0;
}
