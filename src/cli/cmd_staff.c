/*
 * cmd_staff.c - `banditore staff create|list|revoke|passwd|totp`: the accounts of the
 * people who run the channel (staff/staff.h). The first responsabile is made here;
 * after that a responsabile or gestore can make the others from the console or the API.
 *
 * Passwords are never taken from the command line (other users see it in ps and it
 * stays in the shell's history): they are read from a prompt without echo, or as one
 * line from standard input when it is not a terminal (scripts, tests). Every change is
 * recorded in the audit log with the actor "cli", in the same transaction.
 */
#include "audit/audit.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/crypto.h"
#include "common/err.h"
#include "common/i18n.h"
#include "staff/staff.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LIST_MAX 1000
#define LINE_MAX_PW (STAFF_PASSWORD_MAX + 2)

static void usage(FILE *out)
{
	fprintf(out, "%s",
		T("Uso: banditore staff create NOME --role RUOLO [--display-name NOME] [--decree NUMERO\n"
		  "                          --from AAAA-MM-GG --to AAAA-MM-GG] --config FILE [--data-dir CARTELLA]\n"
		  "     banditore staff list|revoke NOME|passwd NOME --config FILE [--data-dir CARTELLA]\n"
		  "     banditore staff totp NOME [--disable] --config FILE [--data-dir CARTELLA]\n"
		  "\n"
		  "create  crea un account; RUOLO: responsabile, gestore, delegato (con decreto e date)\n"
		  "        o proponente. La password è chiesta senza eco (o letta da stdin, una riga)\n"
		  "list    elenca gli account, i ruoli e i decreti\n"
		  "revoke  revoca l'account: sessioni e token terminano subito\n"
		  "passwd  cambia la password (le sessioni aperte terminano)\n"
		  "totp    attiva il secondo fattore (codice da app di autenticazione) e mostra il\n"
		  "        segreto una sola volta; --disable lo toglie\n",
		  "Usage: banditore staff create NAME --role ROLE [--display-name NAME] [--decree NUMBER\n"
		  "                            --from YYYY-MM-DD --to YYYY-MM-DD] --config FILE [--data-dir FOLDER]\n"
		  "       banditore staff list|revoke NAME|passwd NAME --config FILE [--data-dir FOLDER]\n"
		  "       banditore staff totp NAME [--disable] --config FILE [--data-dir FOLDER]\n"
		  "\n"
		  "create  make an account; ROLE: responsabile, gestore, delegato (with a decree and\n"
		  "        dates) or proponente. The password is asked without echo (or read from stdin)\n"
		  "list    list the accounts, roles and decrees\n"
		  "revoke  revoke the account: its sessions and tokens end at once\n"
		  "passwd  change the password (open sessions end)\n"
		  "totp    turn on the second factor (authenticator app code) and show the secret\n"
		  "        once; --disable turns it off\n"));
}

/* One line without its newline into out[cap]: from a prompt without echo when stdin is
 * a terminal, else as it comes. 0, or -1 at end of input or on a line too long. */
static int read_secret(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), ok;
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(out, (int)cap, stdin) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	else if (n == cap - 1)
		return -1; /* longer than any valid password */
	if (n > 0 && out[n - 1] == '\r')
		out[--n] = '\0';
	return 0;
}

/* A new password, asked twice on a terminal. 0, or 1 after saying why. */
static int new_password(char pw[LINE_MAX_PW])
{
	char again[LINE_MAX_PW];
	int rc = 0;

	if (read_secret(T("Nuova password: ", "New password: "), pw, LINE_MAX_PW) != 0) {
		fprintf(stderr, "%s", T("Password non letta.\n", "No password read.\n"));
		return 1;
	}
	if (strlen(pw) < STAFF_PASSWORD_MIN || strlen(pw) > STAFF_PASSWORD_MAX) {
		fprintf(stderr, T("La password deve avere da %d a %d caratteri.\n",
				  "The password must have %d to %d characters.\n"),
			STAFF_PASSWORD_MIN, STAFF_PASSWORD_MAX);
		rc = 1;
	} else if (isatty(STDIN_FILENO)) {
		if (read_secret(T("Ripetere la password: ", "Repeat the password: "), again,
				sizeof(again)) != 0 ||
		    strcmp(pw, again) != 0) {
			fprintf(stderr, "%s", T("Le due password non coincidono.\n", "The two passwords differ.\n"));
			rc = 1;
		}
	}
	crypto_wipe(again, sizeof(again));
	return rc;
}

static void format_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 32, "-");
}

static int report(int rc, const char *name)
{
	switch (rc) {
	case 0:
		return 0;
	case BANDITORE_ENOTFOUND:
		fprintf(stderr, T("Account '%s' inesistente.\n", "No account '%s'.\n"), name);
		return 1;
	case BANDITORE_EEXIST:
		fprintf(stderr, T("Esiste già un account '%s'.\n", "An account '%s' exists already.\n"), name);
		return 1;
	case BANDITORE_ETOOBIG:
		fprintf(stderr, "%s",
			T("Rifiutato: ci sono già tanti delegati con decreto valido quanti ne ammette la "
			  "policy ([staff] max_delegates).\n",
			  "Refused: there are as many delegates with a valid decree as the policy allows "
			  "([staff] max_delegates).\n"));
		return 1;
	case BANDITORE_ESTATE:
		fprintf(stderr, T("L'account '%s' è già revocato (o non è un delegato).\n",
				  "The account '%s' is revoked already (or is not a delegate).\n"), name);
		return 1;
	case BANDITORE_EINVAL:
		fprintf(stderr, "%s",
			T("Dati non validi: nome (minuscole, cifre, '.', '_', '-'), ruolo, password (almeno 10 "
			  "caratteri); un delegato richiede --decree, --from e --to, gli altri ruoli nessuno.\n",
			  "Invalid data: name (lower case, digits, '.', '_', '-'), role, password (at least 10 "
			  "characters); a delegate needs --decree, --from and --to, other roles none.\n"));
		return 1;
	default:
		fprintf(stderr, T("Operazione non riuscita: %s\n", "Operation failed: %s\n"),
			banditore_strerror(rc));
		return EXIT_INTERNAL;
	}
}

static int do_list(struct store *st)
{
	struct store_staff *a = calloc(LIST_MAX, sizeof(*a));
	int64_t now = (int64_t)time(NULL);
	int n = 0, rc;

	if (!a)
		return EXIT_INTERNAL;
	rc = store_staff_list(st, a, LIST_MAX, &n);
	if (rc) {
		free(a);
		return report(rc, "");
	}
	printf("%-20s %-13s %-8s %-12s %-10s %-10s %s\n", T("nome", "name"), T("ruolo", "role"),
	       T("attivo", "active"), T("decreto", "decree"), T("dal", "from"), T("al", "to"),
	       T("revocato", "revoked"));
	for (int i = 0; i < n; i++) {
		char from[32], to[32], revoked[32];
		format_time(a[i].decree_start, from);
		format_time(a[i].decree_end > 0 ? a[i].decree_end - 1 : 0, to); /* inclusive day */
		format_time(a[i].revoked_at, revoked);
		printf("%-20s %-13s %-8s %-12s %-10s %-10s %s\n", a[i].name, staff_role_name(a[i].role),
		       staff_active(&a[i], now) ? T("sì", "yes") : "no", a[i].decree[0] ? a[i].decree : "-",
		       from, to, revoked);
	}
	if (n == 0)
		printf("%s", T("(nessun account)\n", "(no accounts)\n"));
	crypto_wipe(a, (size_t)LIST_MAX * sizeof(*a));
	free(a);
	return 0;
}

int cmd_staff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "display-name", required_argument, NULL, 'n' },
		{ "decree", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "disable", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *data_dir = NULL, *role = NULL, *display = NULL, *decree = NULL;
	const char *from = NULL, *to = NULL, *action, *name = NULL;
	char pw[LINE_MAX_PW] = "", object[96], details[256];
	uint8_t secret[STAFF_TOTP_SECRET_LEN];
	int64_t now = (int64_t)time(NULL);
	struct staff_new in;
	struct cli_env env;
	struct audit_keys ak;
	struct store *st = NULL;
	int c, rc, disable = 0;

	memset(&in, 0, sizeof(in));
	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': data_dir = optarg; break;
		case 'r': role = optarg; break;
		case 'n': display = optarg; break;
		case 'D': decree = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'x': disable = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	action = argv[optind++];
	if (strcmp(action, "list")) {
		if (optind >= argc) {
			fprintf(stderr, "%s", T("Indicare il nome dell'account.\n", "Give the account's name.\n"));
			return EXIT_USAGE;
		}
		name = argv[optind++];
	}
	if (optind != argc || (strcmp(action, "create") && (role || display || decree || from || to)) ||
	    (strcmp(action, "totp") && disable) ||
	    (strcmp(action, "create") && strcmp(action, "list") && strcmp(action, "revoke") &&
	     strcmp(action, "passwd") && strcmp(action, "totp"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(action, "create")) {
		in.name = name;
		in.display_name = display;
		in.decree = decree;
		in.created_by = "cli";
		if (!role || staff_role_parse(role, &in.role)) {
			fprintf(stderr, "%s", T("--role: responsabile, gestore, delegato o proponente.\n",
						"--role: responsabile, gestore, delegato or proponente.\n"));
			return EXIT_USAGE;
		}
		if ((from && staff_date_parse(from, 0, &in.decree_start)) ||
		    (to && staff_date_parse(to, 1, &in.decree_end))) {
			fprintf(stderr, "%s", T("Date nel formato AAAA-MM-GG.\n", "Dates as YYYY-MM-DD.\n"));
			return EXIT_USAGE;
		}
		if (!staff_name_valid(name))
			return report(BANDITORE_EINVAL, name);
	}
	rc = cli_env_load(&env, config, data_dir, 0, strcmp(action, "list") != 0);
	if (rc)
		return rc;
	if (access(env.db_path, F_OK) != 0) {
		fprintf(stderr, T("Database non trovato in %s: eseguire prima 'banditore init'.\n",
				  "Database not found in %s: run 'banditore init' first.\n"), env.db_path);
		cli_env_clear(&env);
		return 1;
	}
	if ((!strcmp(action, "create") || !strcmp(action, "passwd")) && new_password(pw)) {
		cli_env_clear(&env);
		crypto_wipe(pw, sizeof(pw));
		return 1;
	}
	in.password = pw;
	rc = store_open(env.db_path, &st);
	if (rc) {
		fprintf(stderr, "%s: %s\n", env.db_path, banditore_strerror(rc));
		cli_env_clear(&env);
		crypto_wipe(pw, sizeof(pw));
		return EXIT_INTERNAL;
	}
	if (!strcmp(action, "list")) {
		rc = do_list(st);
		goto out;
	}
	audit_keys_from(&ak, &env.keys);
	snprintf(object, sizeof(object), "staff:%s", name);
	details[0] = '\0';
	rc = store_begin(st);
	if (rc)
		goto done;
	if (!strcmp(action, "create")) {
		rc = staff_create(st, &in, env.cfg->staff_max_delegates, now, NULL);
		snprintf(details, sizeof(details), "{\"role\":\"%s\"}", staff_role_name(in.role));
	} else if (!strcmp(action, "revoke")) {
		rc = staff_revoke(st, name, now);
	} else if (!strcmp(action, "passwd")) {
		rc = staff_set_password(st, name, pw);
	} else {
		rc = staff_set_totp(st, &env.keys, name, disable ? NULL : secret);
		snprintf(details, sizeof(details), "{\"enabled\":%s}", disable ? "false" : "true");
	}
	if (!rc)
		rc = audit_append(st, &ak, "cli",
				  !strcmp(action, "create")   ? "staff.create"
				  : !strcmp(action, "revoke") ? "staff.revoke"
				  : !strcmp(action, "passwd") ? "staff.password"
							      : "staff.totp",
				  object, details[0] ? details : NULL, now, NULL);
	if (!rc)
		rc = store_commit(st);
	if (rc)
		store_rollback(st);
done:
	crypto_wipe(&ak, sizeof(ak));
	if (rc) {
		rc = report(rc, name);
		goto out;
	}
	if (!strcmp(action, "create"))
		printf(T("Account '%s' creato, ruolo %s.\n", "Account '%s' created, role %s.\n"), name,
		       staff_role_name(in.role));
	else if (!strcmp(action, "revoke"))
		printf(T("Account '%s' revocato: le sue sessioni e i suoi token sono terminati.\n",
			 "Account '%s' revoked: its sessions and tokens have ended.\n"), name);
	else if (!strcmp(action, "passwd"))
		printf(T("Password di '%s' cambiata; le sessioni aperte sono terminate.\n",
			 "Password of '%s' changed; open sessions have ended.\n"), name);
	else if (disable)
		printf(T("Secondo fattore di '%s' disattivato.\n", "Second factor of '%s' turned off.\n"), name);
	else {
		char b32[STAFF_TOTP_BASE32_MAX];
		staff_base32(secret, sizeof(secret), b32, sizeof(b32));
		printf(T("Secondo fattore di '%s' attivato. Inserire questo segreto nell'app di autenticazione\n"
			 "(mostrato solo ora):\n\n%s\n\notpauth://totp/Banditore:%s?secret=%s&issuer=Banditore\n",
			 "Second factor of '%s' turned on. Enter this secret in the authenticator app\n"
			 "(shown only now):\n\n%s\n\notpauth://totp/Banditore:%s?secret=%s&issuer=Banditore\n"),
		       name, b32, name, b32);
		crypto_wipe(b32, sizeof(b32));
	}
out:
	crypto_wipe(secret, sizeof(secret));
	crypto_wipe(pw, sizeof(pw));
	store_free(st);
	cli_env_clear(&env);
	return rc;
}
