/*
 * outcome.h - what a broadcast does with the answer to one send.
 *
 * The connector says OK, RETRY or FAIL (connector.h); a broadcast needs one more
 * distinction among permanent failures: those of the recipient (not on WhatsApp,
 * blocked the number: count it, and after `unreachable_after` in a row stop trying that
 * subscriber) and those of the channel (token expired, template missing or paused,
 * permissions, account locked: every other send would fail the same way, and counting
 * them against the citizens would mark the whole audience unreachable). A channel
 * failure halts the broadcast: the send is kept for later, the broadcast waits
 * (outcome_hold) and resumes where it stopped, and the operator is told in the log.
 *
 *   OUTCOME_SENT    accepted: counted as sent
 *   OUTCOME_RETRY   429, 5xx, time-outs, 130429, 131056, 131049...: kept in the retry
 *                   table, due after outcome_backoff()
 *   OUTCOME_FAILED  the recipient cannot get it (131026, 131050, ...): counted as failed,
 *                   one more consecutive failure for the subscriber
 *   OUTCOME_HALT    the channel cannot send: retried later, broadcast held
 *
 * Pure functions, tested in tests/unit/test_delivery.c.
 */
#ifndef BANDITORE_OUTCOME_H
#define BANDITORE_OUTCOME_H

#include <stdint.h>

#include "connectors/connector.h"

enum outcome_action {
	OUTCOME_SENT = 0,
	OUTCOME_RETRY = 1,
	OUTCOME_FAILED = 2,
	OUTCOME_HALT = 3,
};

#define OUTCOME_BACKOFF_BASE 2      /* seconds before the first retry */
#define OUTCOME_BACKOFF_MAX 300     /* the longest wait we choose ourselves */
#define OUTCOME_ATTEMPTS_MAX 8      /* sends to one recipient before it counts as failed */
#define OUTCOME_HOLD_BASE 60        /* seconds a halted broadcast waits, doubling */
#define OUTCOME_HOLD_MAX 900

/* The action for the answer `res`. */
int outcome_of(const struct connector_result *res);

/* "sent", "retry", "failed", "halt" (static). */
const char *outcome_name(int action);

/* Seconds to wait before attempt `attempts` + 1 (attempts >= 1 made so far): the base
 * doubled per attempt up to OUTCOME_BACKOFF_MAX, plus up to half again of jitter drawn
 * from `random`, and never less than what the provider asked (`retry_after`). */
int64_t outcome_backoff(int attempts, int retry_after, uint32_t random);

/* Seconds a broadcast waits after its `halts`-th channel failure in a row (>= 1). */
int64_t outcome_hold(int halts);

#endif
