/*
 * main.c - banditore-sim, the built-in WhatsApp Cloud API simulator.
 *
 * It plays Meta on loopback so that `make demo` and the integration tests run with no
 * network and no Meta account:
 *
 *   - the Cloud API: POST /{version}/{phone-number-id}/messages checks the Bearer token,
 *     the phone-number id and the body as Meta does, records what it accepts, answers
 *     {"messaging_product":"whatsapp","contacts":[{"input","wa_id"}],"messages":[{"id"}]},
 *     and refuses with Meta's error object ({"error":{"message","type","code",
 *     "error_data","fbtrace_id"}}): 401/190 for a wrong token, 400/100 for a bad body,
 *     429/130429 over --rate messages per second, 400/131056 over the pair rate (a burst
 *     of --pair-burst, then one per --pair-period-ms to the same person). Faults are
 *     injected with the given odds: 500 (131000 or 1), 429, a held request (timeout),
 *     a dropped connection, plus a fixed latency. POST .../media answers {"id"}.
 *   - webhooks: with --statuses, each accepted message gets sent, delivered and read
 *     status webhooks (biz_opaque_callback_data echoed, conversation and pricing as
 *     Meta sends them) posted to --webhook-url, signed with X-Hub-Signature-256 under
 *     --app-secret and retried a few times when not answered 2xx.
 *   - a control API under /sim/ (see control_api.h): /sim/inbound makes a citizen's
 *     message arrive at banditore exactly as Meta would post it; /sim/messages lists
 *     what was sent; /sim/stats counts; /sim/faults changes the faults at run time.
 *   - a page at / ("Simulatore WhatsApp"): a phone to write to the comune from.
 *
 * Example (the values are the demo's fictitious ones):
 *
 *   banditore-sim --listen 127.0.0.1:9090 \
 *     --webhook-url http://127.0.0.1:8080/webhooks/whatsapp \
 *     --app-secret demo-secret --access-token demo-token \
 *     --phone-number-id 100000000000001 --display-number +393660000000 --statuses
 *
 *   curl -s localhost:9090/sim/inbound -d '{"from":"393330000001","text":"ATTIVA ISCRIZIONE"}'
 *   curl -s 'localhost:9090/sim/messages?to=393330000001'
 *
 * The control API has no authentication: it is a test double, for loopback only (a
 * warning is logged when --listen is not a loopback address).
 *
 * Logs are key=value lines on stderr; a recipient appears only as its last two digits.
 * SIGINT or SIGTERM stop it; exit status 0, 1 on a failure to start, 2 on bad usage.
 */
#include "common/err.h"
#include "common/log.h"
#include "sim/ids.h"
#include "sim/server.h"
#include "sim/sim.h"
#include "sim/state.h"
#include "sim/webhook_out.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 2

static const char usage[] =
	"Uso / usage: banditore-sim --listen HOST:PORT --access-token T --phone-number-id ID\n"
	"                     --display-number +39... [--webhook-url URL --app-secret S]\n"
	"                     [options]\n"
	"\n"
	"Simula la WhatsApp Cloud API di Meta in locale, per la demo e i test.\n"
	"Plays Meta's WhatsApp Cloud API on loopback, for the demo and the tests.\n"
	"\n"
	"  --listen HOST:PORT       address to serve on (port 0: any free port)\n"
	"  --webhook-url URL        where to post webhooks (banditore's /webhooks/whatsapp)\n"
	"  --app-secret S           signs the webhooks (or $BANDITORE_SIM_APP_SECRET)\n"
	"  --access-token T         the Bearer token senders must use\n"
	"                           (or $BANDITORE_SIM_ACCESS_TOKEN)\n"
	"  --phone-number-id ID     the business number's id in the API paths\n"
	"  --display-number NUMBER  the business number, in webhook metadata\n"
	"  --waba-id ID             WhatsApp Business Account id (default 100000000000000)\n"
	"  --rate N                 messages/s accepted before 130429 (default 80; 0: off)\n"
	"  --pair-burst N           messages to one person in a burst (default 45)\n"
	"  --pair-period-ms N       then one per N ms before 131056 (default 6000; 0: off)\n"
	"  --statuses               post sent/delivered/read status webhooks\n"
	"  --latency-ms N           delay every Cloud API answer by N ms\n"
	"  --error-500 P            probability of an injected 500 (0..1)\n"
	"  --error-429 P            probability of an injected 429 / 130429\n"
	"  --timeout P              probability of holding a request unanswered\n"
	"  --timeout-hold-ms N      how long it is held (default 30000)\n"
	"  --drop P                 probability of closing the connection unanswered\n"
	"  --seed N                 seed of the fault draws (default: random)\n"
	"  --max-messages N         accepted messages remembered (default 100000)\n"
	"  --webhook-workers N      threads posting status webhooks (default 8)\n"
	"  --help                   this text\n"
	"\n"
	"Pagina del telefono simulato / phone page: http://HOST:PORT/\n";

enum {
	OPT_LISTEN = 256, OPT_WEBHOOK_URL, OPT_APP_SECRET, OPT_ACCESS_TOKEN, OPT_PHONE_ID,
	OPT_DISPLAY, OPT_WABA, OPT_RATE, OPT_PAIR_BURST, OPT_PAIR_PERIOD, OPT_STATUSES,
	OPT_LATENCY, OPT_E500, OPT_E429, OPT_TIMEOUT, OPT_HOLD, OPT_DROP, OPT_SEED, OPT_MAX,
	OPT_WORKERS, OPT_HELP,
};

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "webhook-url", required_argument, NULL, OPT_WEBHOOK_URL },
	{ "app-secret", required_argument, NULL, OPT_APP_SECRET },
	{ "access-token", required_argument, NULL, OPT_ACCESS_TOKEN },
	{ "phone-number-id", required_argument, NULL, OPT_PHONE_ID },
	{ "display-number", required_argument, NULL, OPT_DISPLAY },
	{ "waba-id", required_argument, NULL, OPT_WABA },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "pair-burst", required_argument, NULL, OPT_PAIR_BURST },
	{ "pair-period-ms", required_argument, NULL, OPT_PAIR_PERIOD },
	{ "statuses", no_argument, NULL, OPT_STATUSES },
	{ "latency-ms", required_argument, NULL, OPT_LATENCY },
	{ "error-500", required_argument, NULL, OPT_E500 },
	{ "error-429", required_argument, NULL, OPT_E429 },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "timeout-hold-ms", required_argument, NULL, OPT_HOLD },
	{ "drop", required_argument, NULL, OPT_DROP },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "max-messages", required_argument, NULL, OPT_MAX },
	{ "webhook-workers", required_argument, NULL, OPT_WORKERS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A whole number from min to max, or -1 after saying what is wrong. */
static long long whole(const char *flag, const char *v, long long min, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		fprintf(stderr, "banditore-sim: --%s vuole un intero da %lld a %lld "
			"(--%s wants a whole number from %lld to %lld)\n",
			flag, min, max, flag, min, max);
		return -1;
	}
	return n;
}

/* A probability, or -1 after saying what is wrong. */
static double probability(const char *flag, const char *v)
{
	char *end;
	double p;

	errno = 0;
	p = strtod(v, &end);
	if (errno || end == v || *end || !(p >= 0 && p <= 1)) {
		fprintf(stderr, "banditore-sim: --%s vuole un numero da 0 a 1 "
			"(--%s wants a number from 0 to 1)\n", flag, flag);
		return -1;
	}
	return p;
}

struct args {
	const char *listen;
	long long seed, max_messages, workers;
	struct sim_faults faults;
};

static int parse_args(int argc, char **argv, struct sim *sim, struct args *a)
{
	const char *display = NULL;
	long long n = 0;
	double p = 0;
	int c, idx;

	memset(a, 0, sizeof(*a));
	a->faults.rate = 80;
	a->faults.pair_burst = 45;
	a->faults.pair_period_ms = 6000;
	a->faults.timeout_hold_ms = 30000;
	a->max_messages = SIM_RING_DEFAULT;
	a->workers = 8;
	sim->cfg.waba_id = "100000000000000";
	while ((c = getopt_long(argc, argv, "", options, &idx)) != -1) {
		const char *name = c >= OPT_LISTEN ? options[c - OPT_LISTEN].name : "";
		switch (c) {
		case OPT_LISTEN: a->listen = optarg; break;
		case OPT_WEBHOOK_URL: sim->cfg.webhook_url = optarg; break;
		case OPT_APP_SECRET: sim->cfg.app_secret = optarg; break;
		case OPT_ACCESS_TOKEN: sim->cfg.access_token = optarg; break;
		case OPT_PHONE_ID: sim->cfg.phone_number_id = optarg; break;
		case OPT_DISPLAY: display = optarg; break;
		case OPT_WABA: sim->cfg.waba_id = optarg; break;
		case OPT_STATUSES: a->faults.statuses = 1; break;
		case OPT_HELP: fputs(usage, stdout); exit(0);
		case OPT_RATE: case OPT_PAIR_BURST: case OPT_PAIR_PERIOD: case OPT_LATENCY:
		case OPT_HOLD:
			if ((n = whole(name, optarg, 0, c == OPT_RATE || c == OPT_PAIR_BURST ? 1000000
							       : 86400000)) < 0)
				return -1;
			*(c == OPT_RATE ? &a->faults.rate : c == OPT_PAIR_BURST ? &a->faults.pair_burst
			  : c == OPT_PAIR_PERIOD ? &a->faults.pair_period_ms
			  : c == OPT_LATENCY ? &a->faults.latency_ms : &a->faults.timeout_hold_ms) = (int)n;
			break;
		case OPT_SEED: case OPT_MAX: case OPT_WORKERS:
			if ((n = whole(name, optarg, c == OPT_SEED ? 0 : 1,
				       c == OPT_WORKERS ? 64 : c == OPT_MAX ? 100000000 : INT64_MAX)) < 0)
				return -1;
			*(c == OPT_SEED ? &a->seed : c == OPT_MAX ? &a->max_messages : &a->workers) = n;
			break;
		case OPT_E500: case OPT_E429: case OPT_TIMEOUT: case OPT_DROP:
			if ((p = probability(name, optarg)) < 0)
				return -1;
			*(c == OPT_E500 ? &a->faults.error_500 : c == OPT_E429 ? &a->faults.error_429
			  : c == OPT_TIMEOUT ? &a->faults.timeout : &a->faults.drop) = p;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "banditore-sim: argomento inatteso / unexpected argument: %s\n",
			argv[optind]);
		return -1;
	}
	if (!sim->cfg.access_token)
		sim->cfg.access_token = getenv("BANDITORE_SIM_ACCESS_TOKEN");
	if (!sim->cfg.app_secret)
		sim->cfg.app_secret = getenv("BANDITORE_SIM_APP_SECRET");
	if (!a->listen || !sim->cfg.access_token || !*sim->cfg.access_token ||
	    !sim->cfg.phone_number_id || !display) {
		fprintf(stderr, "banditore-sim: servono --listen, --access-token, --phone-number-id "
			"e --display-number (--listen, --access-token, --phone-number-id and "
			"--display-number are required)\n");
		return -1;
	}
	if (sim->cfg.webhook_url && (!sim->cfg.app_secret || !*sim->cfg.app_secret)) {
		fprintf(stderr, "banditore-sim: --webhook-url vuole anche --app-secret "
			"(--webhook-url needs --app-secret)\n");
		return -1;
	}
	if (sim_wa_id(display, sim->cfg.display_number) != 0) {
		fprintf(stderr, "banditore-sim: --display-number non e' un numero di telefono "
			"(--display-number is not a phone number)\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sim sim;
	struct args a;
	struct sim_server *srv = NULL;
	sigset_t stop_signals;
	int port = 0, sig = 0, rc, status = 1;

	memset(&sim, 0, sizeof(sim));
	if (parse_args(argc, argv, &sim, &a) != 0) {
		fputs("Prova / try: banditore-sim --help\n", stderr);
		return EXIT_USAGE;
	}
	/* Every thread started from here on inherits the blocked set; main takes them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("sim-start-failed", "reason=curl-init");
		return 1;
	}

	sim.state = sim_state_new(&a.faults, (size_t)a.max_messages, (uint64_t)a.seed);
	if (!sim.state)
		goto fail;
	sim.webhook = sim_webhook_new(&sim, (int)a.workers);
	if (!sim.webhook)
		goto fail;
	rc = sim_server_start(&sim, a.listen, &srv, &port);
	if (rc == BANDITORE_EINVAL) {
		fprintf(stderr, "banditore-sim: --listen vuole HOST:PORTA, per esempio "
			"127.0.0.1:9090 (--listen wants HOST:PORT)\n");
		status = EXIT_USAGE;
		goto fail;
	}
	if (rc) {
		log_error("sim-start-failed", "listen=%s error=\"%s\"", a.listen,
			  banditore_strerror(rc));
		goto fail;
	}
	log_info("sim-started", "listen=%s port=%d phone_number_id=%s rate=%d statuses=%d "
		 "webhook=%s latency_ms=%d error_500=%g error_429=%g timeout=%g drop=%g",
		 a.listen, port, sim.cfg.phone_number_id, a.faults.rate, a.faults.statuses,
		 sim.cfg.webhook_url ? sim.cfg.webhook_url : "none", a.faults.latency_ms,
		 a.faults.error_500, a.faults.error_429, a.faults.timeout, a.faults.drop);

	while (sigwait(&stop_signals, &sig) != 0)
		;
	log_info("sim-stopping", "signal=%d", sig);
	status = 0;
fail:
	if (sim.state)
		sim_state_stop(sim.state); /* lets held requests go */
	sim_server_stop(srv);
	sim_webhook_free(sim.webhook);
	sim_state_free(sim.state);
	curl_global_cleanup();
	if (status == 1)
		log_error("sim-exit", "status=%d", status);
	return status;
}
