/*
 * daemon.h - the serving process: storage, writer, reply sender and HTTP, wired together.
 *
 * daemon_run starts the threads in dependency order, serves until SIGINT or SIGTERM, and
 * stops them in reverse order so that every acknowledged event is on disk and every
 * started send is settled or left in the outbox for the next start.
 */
#ifndef BANDITORE_DAEMON_H
#define BANDITORE_DAEMON_H

#include "common/keyfile.h"
#include "config/config.h"

struct daemon_options {
	const struct config *cfg;        /* borrowed */
	const struct keyfile_keys *keys; /* borrowed */
	const char *store_url;           /* e.g. the data folder's banditore.db */
	const char *listen_address;      /* overrides [server] listen when not NULL */
	int listen_port;                 /* used when listen_address is not NULL */
};

/* Blocks until a stop signal; returns 0 after a clean stop. Logs its own failures. */
int daemon_run(const struct daemon_options *opt);

#endif
