/*
 * assets.h - the files of web/ compiled into the program (templates, catalogs), made by
 * web/embed.py at build time; and the digest of those that make up the privacy notice
 * and the rendered policy (see config_policy_version).
 */
#ifndef BANDITORE_ASSETS_H
#define BANDITORE_ASSETS_H

#include <stddef.h>

struct web_file {
	const char *name; /* relative to web/: "templates/canale.html", "i18n/en.po" */
	const char *data;
	size_t len;
};

/* Every embedded file; the last entry has name NULL. */
extern const struct web_file web_files[];

/* Hex SHA-256 over the notice's templates and catalogs (65 bytes with NUL). */
extern const char web_notice_sha256[65];

/* The web/ folder of the source tree this was built from (static assets during
 * development; an installation sets BANDITORE_WEB_DIR or uses DATADIR/web). */
extern const char web_source_dir[];

#endif
