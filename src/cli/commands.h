/*
 * commands.h - the subcommands of `banditore`, one file each under src/cli/.
 *
 * Each takes the arguments after its own name (argv[0] is the subcommand's name) and
 * returns the process exit code: 0 success, 1 failure the user can fix (bad input,
 * invalid configuration), 2 wrong usage, 3 an internal or system error.
 */
#ifndef BANDITORE_COMMANDS_H
#define BANDITORE_COMMANDS_H

#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

int cmd_init(int argc, char **argv);        /* cmd_init.c */
int cmd_serve(int argc, char **argv);       /* cmd_serve.c */
int cmd_config(int argc, char **argv);      /* cmd_config.c: config check FILE */
int cmd_subscribers(int argc, char **argv); /* cmd_subscribers.c: count|show|remove|import */
int cmd_subscribers_import(int argc, char **argv); /* cmd_import.c: argv[0] is "import" */
int cmd_token(int argc, char **argv);       /* cmd_token.c: create|list|revoke */
int cmd_staff(int argc, char **argv);       /* cmd_staff.c: create|list|revoke|passwd|totp */
int cmd_publish(int argc, char **argv);     /* cmd_publish.c */
int cmd_policy(int argc, char **argv);      /* cmd_policy.c: policy check */
int cmd_audit(int argc, char **argv);       /* cmd_audit.c: verify|export */
int cmd_email(int argc, char **argv);       /* cmd_email.c: bounce */

struct policy_result;
/* cmd_policy.c: the verdicts, one readable line each, and the outcome, on stdout. */
void cli_print_verdicts(const struct policy_result *r);

#endif
