/*
 * whatsapp_answer.h - the message id of a successful Cloud API answer, read without
 * building a JSON tree.
 *
 * Every accepted send comes back as about 175 bytes of
 *   {"messaging_product":"whatsapp","contacts":[...],"messages":[{"id":"wamid..."}]}
 * and building jansson's tree for it (a dozen allocations) was a sixth of the sending
 * worker's instructions (callgrind, bench/RESULTS.md). This scanner checks the whole
 * answer's JSON syntax and finds messages[0].id; whenever it is not sure (a byte that is
 * not ASCII, an escape in a key or in the id, "messages" or its "id" twice, nesting
 * deeper than WA_ANSWER_DEPTH_MAX, anything malformed) it says so and the caller parses
 * with jansson as before. tests/fuzz/fuzz_whatsapp_answer.c checks that every id it
 * gives is the one jansson reads.
 */
#ifndef BANDITORE_WHATSAPP_ANSWER_H
#define BANDITORE_WHATSAPP_ANSWER_H

#include <stddef.h>

#define WA_ANSWER_DEPTH_MAX 16

/* 1 with the id in out[cap] (terminated), 0 when the answer is not one this scanner
 * reads with certainty (the caller then uses jansson). */
int whatsapp_answer_id(const char *body, size_t len, char *out, size_t cap);

#endif
