/*
 * log.h - one line per event on stderr, as key=value pairs, with a level.
 *
 * journald keeps what the daemon writes to stderr. Never pass personal data: name a
 * subscriber by the pseudonym from subscribers_pseudonym(), never by address.
 */
#ifndef BANDITORE_LOG_H
#define BANDITORE_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Lines below `level` are dropped. Default: info, or $BANDITORE_LOG_LEVEL. */
void log_set_level(enum log_level level);

/* Writes "ts=... level=... event=EVENT " followed by the printf-style `fmt`, which
 * should itself be key=value pairs (may be NULL). Values with spaces go in quotes. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_event(LOG_LEVEL_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_LEVEL_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_LEVEL_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_LEVEL_ERROR, ev, __VA_ARGS__)

#endif
