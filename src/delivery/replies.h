/*
 * replies.h - the thread that sends what the outbox holds: confirmations, auto-replies.
 *
 * It reads due outbox items on its own store connection, opens each sealed address only
 * for the time of the send, sends through the platform's connector at the configured
 * pace, and reports each outcome to the writer: sent (the row, and with it the sealed
 * address, is deleted), retry later (exponential backoff with jitter, or what the
 * provider asked for), or given up (permanent error or too old: deleted, counted).
 * Nothing is lost when the process dies: the row stays until its send is settled.
 */
#ifndef BANDITORE_REPLIES_H
#define BANDITORE_REPLIES_H

#include "common/keyfile.h"
#include "connectors/whatsapp.h"
#include "daemon/writer.h"
#include "delivery/ratelimit.h"

struct replies;

struct replies_settings {
	const char *store_url;              /* the sender opens its own connection */
	const struct keyfile_keys *keys;    /* borrowed */
	struct writer *writer;              /* borrowed */
	struct whatsapp_settings whatsapp;  /* strings borrowed */
	int messages_per_second;            /* pace of replies (the number's limit) */
	struct ratelimit_shared *pace;      /* borrowed; when set, the number's schedule
					     * shared with broadcasts replaces the above */
	int max_attempts;                   /* give up after this many (default 12) */
	int max_age;                        /* seconds: give up on older replies (default 86400) */
	/* The body of a canned row (store_outbox_item.canned), built from the
	 * configuration (inbound_canned, with canned_arg); NULL for none: such a row is
	 * then given up, as one that cannot be read. */
	const char *(*canned)(const void *arg, const char *name);
	const void *canned_arg;
};

int replies_start(const struct replies_settings *rs, struct replies **out);
/* Wakes the sender now (new items were committed). Safe from any thread. */
void replies_wake(void *replies);
void replies_stop(struct replies *r); /* accepts NULL */

#endif
