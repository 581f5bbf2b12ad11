/*
 * control_api.h - the simulator's own JSON API under /sim/, for tests and the phone page.
 *
 *   POST   /sim/inbound   {"from","text"[,"name","id","timestamp","signature","raw"]}
 *                         posts a citizen's message to banditore as Meta would; answers
 *                         {"status": <banditore's HTTP status>, "message_id": "wamid..."}
 *   GET    /sim/messages  [?to=WA_ID&since=SEQ&limit=N] -> {"messages":[...]} oldest first
 *   DELETE /sim/messages  forgets them
 *   GET    /sim/stats     counters; DELETE /sim/stats resets them and the rate windows
 *   GET    /sim/faults    the fault settings; POST /sim/faults {...} changes some of them
 *                         (names as the command-line flags: "error-500", "latency-ms", ...)
 */
#ifndef BANDITORE_SIM_CONTROL_API_H
#define BANDITORE_SIM_CONTROL_API_H

#include "sim/sim.h"

/* 1 when `path` is under /sim/. */
int sim_control_owns(const char *path);

/* Handles one control request; fills `out` (initialised by the caller). Returns 0, or
 * a negative code when not even an error answer could be built. */
int sim_control_handle(struct sim *sim, const struct sim_request *rq, struct sim_reply *out);

#endif
