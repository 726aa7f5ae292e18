/* goniec — command line entry: global options, then one command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "core/log.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"confdir", required_argument, NULL, 'c'},
		{"spool", required_argument, NULL, 'S'},
		{"state", required_argument, NULL, 'T'},
		{"shard", required_argument, NULL, 'H'},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct cli cli = {.argv0 = argv[0]};
	log_init("goniec");
	int c;
	while ((c = getopt_long(argc, argv, "+c:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.confdir = optarg; break;
		case 'S': cli.spool_dir = optarg; break;
		case 'T': cli.state_dir = optarg; break;
		case 'H': cli.shard = optarg; break;
		case 'v': cli.verbose++; break;
		case 'q': cli.verbose = -1; break;
		case 'h': cli_usage(stdout); return EXIT_OK;
		case 'V': return cmd_version(&cli, 0, NULL);
		default: cli_usage(stderr); return EXIT_USAGE;
		}
	}
	log_set_verbosity(cli.verbose);
	if (optind >= argc) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	const struct command *cmd = cli_find_command(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "goniec: unknown command '%s' (see goniec --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	cli.tree = cli_find_source_tree();
	char *tree_conf = cli.tree ? path_join(cli.tree, "conf.d") : NULL;
	if (!cli.confdir)
		cli.confdir = tree_conf ? tree_conf : GONIEC_SYSCONFDIR "/goniec/conf.d";
	char **cmd_argv = argv + optind;
	int cmd_argc = argc - optind;
	/* 0: GNU getopt starts afresh for the command, which takes its options before and
	 * after its arguments (the global ones above stop at the command's name) */
	optind = 0;
	int rc = cmd->run(&cli, cmd_argc, cmd_argv);
	free(tree_conf);
	free(cli.tree);
	return rc;
}
