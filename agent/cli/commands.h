/* commands — the subcommands of `goniec` and what they share.
 *
 * Each command is a function taking the global options and its own arguments (argv[0]
 * is the command name) and returning an exit status (the EXIT_* codes, documented in
 * goniec(8)). Commands print results on stdout and problems through the log (stderr).
 */
#ifndef GONIEC_COMMANDS_H
#define GONIEC_COMMANDS_H

#include <stdio.h>

#include "conf/load.h"

enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,        /* a run failed or was partial */
	EXIT_CONFIG = 2,        /* the configuration is invalid */
	EXIT_NEEDS_PERSON = 3,  /* a source needs a person (credentials, code, consent) */
	EXIT_USAGE = 64,        /* wrong command line */
	EXIT_TEMPFAIL = 75,     /* try again later (a run of that source is already going) */
};

struct cli {
	const char *confdir;
	const char *spool_dir;
	const char *state_dir;
	const char *shard;      /* --shard K/N or K, or NULL */
	char *tree;             /* the source tree this binary was built in, or NULL */
	int verbose;
	const char *argv0;
};

struct command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *args;
	const char *summary;
	const char *help;       /* options and details, printed by `goniec CMD --help` */
};

/* Load conf.d as the options say; print every problem. NULL when it is invalid. */
struct config *cli_load_config(struct cli *cli);
/* The same for a command that runs sources or uses their state: when the sources are
 * shared by several shards, one must be chosen (--shard, agent.shard.index). */
struct config *cli_load_shard_config(struct cli *cli);
/* Handle -h/--help for a command with no options of its own: 1 if it printed help,
 * -1 on an unknown option (after a message), 0 otherwise. */
int cli_simple_options(const struct command *cmd, int argc, char **argv);
void cli_print_command_help(const struct command *cmd);
const struct command *cli_find_command(const char *name);
/* The overall usage text, listing every command. */
void cli_usage(FILE *out);
/* The source tree this binary was built in (marked by .goniec-source-tree), or NULL. */
char *cli_find_source_tree(void);

int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_consent(struct cli *cli, int argc, char **argv);
int cmd_fetch(struct cli *cli, int argc, char **argv);
int cmd_invoice(struct cli *cli, int argc, char **argv);
int cmd_folders(struct cli *cli, int argc, char **argv);
int cmd_oauth(struct cli *cli, int argc, char **argv);
int cmd_forward(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_reload(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv);
int cmd_statement(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_points(struct cli *cli, int argc, char **argv);
int cmd_otp(struct cli *cli, int argc, char **argv);
int cmd_bank(struct cli *cli, int argc, char **argv);
int cmd_providers(struct cli *cli, int argc, char **argv);
int cmd_recipe(struct cli *cli, int argc, char **argv);
int cmd_payments(struct cli *cli, int argc, char **argv);
int cmd_ledger(struct cli *cli, int argc, char **argv);

#endif
