/*
 * ids.h - the identifiers the simulator makes up, and the one way it names a recipient.
 *
 * Message ids look like Meta's ("wamid." and base64), but are random: unlike real ones
 * they never encode the phone number, so they can appear in logs. Recipients are kept
 * as wa_id (digits only), whatever form the sender used.
 */
#ifndef BANDITORE_SIM_IDS_H
#define BANDITORE_SIM_IDS_H

#include "sim/state.h"

#define SIM_WAMID_MAX 64
#define SIM_TRACE_MAX 32
#define SIM_MEDIA_ID_MAX 24

/* A fresh, unique "wamid.HBgM..." id. */
int sim_new_wamid(char out[SIM_WAMID_MAX]);
/* An fbtrace_id as Meta puts in errors (23 characters). */
void sim_new_trace_id(char out[SIM_TRACE_MAX]);
/* A media id: 16 digits. */
void sim_new_media_id(char out[SIM_MEDIA_ID_MAX]);

/* The wa_id (digits only) of a number written as "+39 333 ...", "0039...", "39333...".
 * BANDITORE_EINVAL when it is not a plausible E.164 number. */
int sim_wa_id(const char *in, char out[SIM_TO_MAX]);

/* The last two digits of a wa_id (borrowed from `wa_id`): all a log line may show. */
const char *sim_tail(const char *wa_id);

#endif
