/*
 * server.h - the simulator's HTTP server (libmicrohttpd, one thread per connection).
 *
 * One thread per connection so that a request held on purpose (latency, the timeout
 * fault) or one waiting for banditore's answer (/sim/inbound) never delays the others.
 */
#ifndef BANDITORE_SIM_SERVER_H
#define BANDITORE_SIM_SERVER_H

#include "sim/sim.h"

#define SIM_CONNECTIONS_MAX 2048

struct sim_server;

/* Listens on `listen` ("HOST:PORT", "[::1]:PORT"; port 0 picks a free one) and serves
 * `sim` (borrowed; must outlive the server). On success *out is the server and *port
 * the port it got. BANDITORE_EINVAL for a malformed address, BANDITORE_EIO when the
 * address cannot be bound or the server not started. */
int sim_server_start(struct sim *sim, const char *listen, struct sim_server **out, int *port);

/* Stops accepting, waits for the connection threads, and frees the server. Call
 * sim_state_stop first so that held requests let go. Accepts NULL. */
void sim_server_stop(struct sim_server *srv);

#endif
