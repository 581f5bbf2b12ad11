/* daemon.c - start, serve, stop. */
#include "daemon/daemon.h"

#include "audit/audit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/platform.h"
#include "daemon/writer.h"
#include "delivery/broadcast.h"
#include "delivery/lane.h"
#include "delivery/replies.h"
#include "http/server.h"
#include "inbound/inbound.h"
#include "media/media.h"
#include "messages/messages_audience.h"
#include "staff/staff.h"
#include "subscribers/email_optin.h"
#include "subscribers/subscribers.h"

#include <signal.h>
#include <string.h>

#define EVENT_ID_KEEP (8 * 86400) /* Meta retries a webhook for up to 7 days */
#define MAINTENANCE_PERIOD 600    /* seconds between expiry runs */
#define MEDIA_UNUSED_KEEP 86400   /* an uploaded attachment no message names, then removed */
#define WRITER_CACHE_KIB 16384    /* the writer's page cache: the hot index pages of webhooks
				  * fit; a broadcast's walk over every row needs none */

struct maintenance_ctx {
	const struct config *cfg;
	struct audit_keys audit;
	int have_audit;
};

static int media_in_use(void *arg, const char *sha256, int *yes)
{
	return store_media_referenced(arg, sha256, yes);
}

static int maintenance(struct store *st, int64_t now, void *arg)
{
	const struct maintenance_ctx *mc = arg;
	const struct config *cfg = mc->cfg;
	int64_t removed = 0;
	char yesterday[11];
	int rc;

	rc = store_event_expire(st, now - EVENT_ID_KEEP, &removed);
	if (!rc)
		rc = store_autoreply_expire(st, now - (int64_t)cfg->auto_reply_hours * 3600);
	if (!rc)
		rc = store_kept_expire(st, now, &removed);
	/* E-mail joins never confirmed within 48 hours: nothing of them is kept. */
	if (!rc)
		rc = email_optin_expire(st, now, &removed);
	/* WhatsApp two-step joins never confirmed within confirm_within_hours: the same. */
	if (!rc)
		rc = store_pending_expire_platform(st, PLATFORM_WHATSAPP,
						   now - (int64_t)cfg->confirm_within_hours * 3600,
						   &removed);
	/* Join requests staff never decided within moderate_within_days: the same. */
	if (!rc)
		rc = store_pending_expire_queue(st, PLATFORM_WHATSAPP,
						now - (int64_t)cfg->moderate_within_days * 86400,
						&removed);
	/* Attachments uploaded a day ago that no message names (POST /api/v1/media). */
	if (!rc && cfg->data_dir) {
		int mrc = media_sweep(cfg->data_dir, now - MEDIA_UNUSED_KEEP, media_in_use, st,
				      &removed);
		if (mrc) /* the rest of the upkeep goes on */
			log_warn("media-sweep-failed", "error=\"%s\"", banditore_strerror(mrc));
		else if (removed > 0)
			log_info("media-swept", "removed=%lld", (long long)removed);
	}
	if (!rc) /* staff sessions past their idle or absolute limit (staff.h) */
		rc = store_session_expire(st, now - STAFF_SESSION_IDLE, now - STAFF_SESSION_ABSOLUTE);
	/* Yesterday's anonymous joins and leaves, once, into the audit log (UTC days, as
	 * the counters). */
	subscribers_day(now - 86400, yesterday);
	if (!rc && mc->have_audit)
		rc = audit_daily_counts(st, &mc->audit, yesterday, now, NULL);
	return rc;
}

int daemon_run(const struct daemon_options *opt)
{
	const struct config *cfg = opt->cfg;
	struct store *st = NULL, *log_st = NULL; /* the writer's, and its checkpointer's */
	struct writer *writer = NULL;
	struct replies *replies = NULL;
	struct broadcast *broadcast = NULL;
	struct broadcast_settings bs;
	struct lanes *lanes = NULL;     /* the other platforms of the channel (lane.h) */
	struct lane_settings ls;
	struct ratelimit_shared pace; /* the number's one schedule, for replies and broadcasts */
	int pace_ready = 0;
	struct http_server *http = NULL;
	struct inbound_ctx inbound;
	struct replies_settings rs;
	struct http_ctx hctx;
	struct maintenance_ctx mctx;
	sigset_t sigs;
	int sig = 0, rc;
	const char *addr = opt->listen_address ? opt->listen_address : cfg->listen_address;
	int port = opt->listen_address ? opt->listen_port : cfg->listen_port;

	memset(&inbound, 0, sizeof(inbound));
	memset(&mctx, 0, sizeof(mctx));
	mctx.cfg = cfg;
	if (opt->keys) {
		audit_keys_from(&mctx.audit, opt->keys);
		mctx.have_audit = 1;
	}
	/* Block the stop signals in every thread; the main thread waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = store_open(opt->store_url, &st);
	if (!rc)
		rc = store_set_cache(st, WRITER_CACHE_KIB);
	if (rc) {
		log_error("start-failed", "step=store error=\"%s\"", banditore_strerror(rc));
		store_free(st);
		return rc;
	}
	{
		/* Choices of categories and areas the configuration no longer names. */
		int pruned = 0;
		rc = messages_audience_prune(st, cfg, &pruned);
		if (rc) {
			log_error("start-failed", "step=audience error=\"%s\"", banditore_strerror(rc));
			store_free(st);
			return rc;
		}
		if (pruned)
			log_info("audience-pruned", "names=%d", pruned);
	}
	rc = inbound_ctx_init(&inbound, cfg, opt->keys);
	if (rc)
		goto fail;
	/* The checkpointer copies the log with pages it never keeps: a small cache. Without
	 * its connection the writer checkpoints as it commits, as before it existed. */
	rc = store_open(opt->store_url, &log_st);
	if (!rc)
		rc = store_set_cache(log_st, 256);
	if (rc) {
		log_warn("checkpointer-unavailable", "error=\"%s\"", banditore_strerror(rc));
		store_free(log_st);
		log_st = NULL;
	}
	rc = writer_start(st, log_st, maintenance, &mctx, MAINTENANCE_PERIOD, &writer);
	if (rc)
		goto fail;
	memset(&rs, 0, sizeof(rs));
	rs.store_url = opt->store_url;
	rs.keys = opt->keys;
	rs.writer = writer;
	rs.canned = inbound_canned;
	rs.canned_arg = &inbound;
	rs.whatsapp.api_base = cfg->wa_api_base;
	rs.whatsapp.api_version = cfg->wa_api_version;
	rs.whatsapp.phone_number_id = cfg->wa_phone_number_id;
	rs.whatsapp.access_token = cfg->wa_access_token;
	rs.messages_per_second = cfg->wa_messages_per_second;
	ratelimit_shared_init(&pace, cfg->wa_messages_per_second);
	pace_ready = 1;
	rs.pace = &pace;
	rc = replies_start(&rs, &replies);
	if (rc) {
		log_error("start-failed", "step=replies error=\"%s\"", banditore_strerror(rc));
		goto fail;
	}
	writer_on_commit(writer, replies_wake, replies);
	memset(&bs, 0, sizeof(bs));
	bs.store_url = opt->store_url;
	bs.keys = opt->keys;
	bs.writer = writer;
	bs.cfg = cfg;
	bs.whatsapp = rs.whatsapp;
	bs.messages_per_second = cfg->wa_messages_per_second;
	bs.pace = &pace;
	bs.max_in_flight = cfg->wa_max_in_flight;
	rc = broadcast_start(&bs, &broadcast);
	if (rc) {
		log_error("start-failed", "step=broadcast error=\"%s\"", banditore_strerror(rc));
		goto fail;
	}
	memset(&ls, 0, sizeof(ls));
	ls.store_url = opt->store_url;
	ls.keys = opt->keys;
	ls.writer = writer;
	ls.cfg = cfg;
	rc = opt->keys ? lanes_start(&ls, &lanes) : 0;
	if (rc) {
		log_error("start-failed", "step=lanes error=\"%s\"", banditore_strerror(rc));
		goto fail;
	}
	memset(&hctx, 0, sizeof(hctx));
	hctx.cfg = cfg;
	hctx.keys = opt->keys;
	hctx.store_url = opt->store_url;
	hctx.inbound = &inbound;
	hctx.writer = writer;
	hctx.wake_sender = broadcast_wake;
	hctx.wake_sender_arg = broadcast;
	rc = http_server_start(addr, port, &hctx, &http);
	if (rc) {
		log_error("start-failed", "step=http address=%s port=%d error=\"%s\"", addr, port,
			  banditore_strerror(rc));
		goto fail;
	}
	log_info("started", "address=%s port=%d channel=\"%s\"", addr, http_server_port(http),
		 cfg->channel_name);
	sigwait(&sigs, &sig);
	log_info("stopping", "signal=%d", sig);
	rc = 0;
fail:
	http_server_stop(http);
	if (writer)
		writer_on_commit(writer, NULL, NULL);
	broadcast_stop(broadcast);
	lanes_stop(lanes);
	replies_stop(replies);
	writer_stop(writer);
	if (pace_ready)
		ratelimit_shared_destroy(&pace);
	inbound_ctx_clear(&inbound);
	crypto_wipe(&mctx.audit, sizeof(mctx.audit));
	store_free(log_st);
	store_free(st);
	if (rc == 0)
		log_info("stopped", NULL);
	return rc;
}
