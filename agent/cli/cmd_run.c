/* run — the daemon (`goniec run`). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "daemon/master.h"
#include "daemon/worker.h"

int cmd_run(struct cli *cli, int argc, char **argv)
{
	/* `run --shard K/N` is the global --shard given after the command */
	if (argc == 3 && strcmp(argv[1], "--shard") == 0) {
		cli->shard = argv[2];
		argc = 1;
	}
	int opt = cli_simple_options(cli_find_command("run"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc > 1) {
		log_error("run: takes no arguments but --shard K/N (see goniec run --help)");
		return EXIT_USAGE;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_error("run: cannot find the goniec binary (/proc/self/exe)");
		return EXIT_FAILED;
	}
	self[n] = '\0';
	worker_bind_now(self);
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	struct daemon_opts o = {.confdir = cli->confdir, .self = self};
	return daemon_run(&o, cfg) == 0 ? EXIT_OK : EXIT_FAILED;
}
