/*
 * cloud_api.h - the part of Meta's WhatsApp Cloud API that Banditore uses, played on
 * loopback: POST /{version}/{phone-number-id}/messages and .../media.
 *
 * Requests are checked as Meta checks them (Bearer token, the business number's id,
 * the message's required fields) and refused with Meta's error object; accepted ones
 * are recorded and answered with Meta's success shape. Throughput (130429) and pair
 * rate (131056) are enforced, and faults are injected with the configured odds.
 */
#ifndef BANDITORE_SIM_CLOUD_API_H
#define BANDITORE_SIM_CLOUD_API_H

#include "sim/sim.h"

/* 1 when `path` is one the Cloud API answers (it starts with "/v<digit>"). */
int sim_cloud_owns(const char *path);

/* Handles one Cloud API request; fills `out` (initialised by the caller). Returns 0,
 * or a negative code when even an error answer could not be built (out of memory). */
int sim_cloud_handle(struct sim *sim, const struct sim_request *rq, struct sim_reply *out);

#endif
