/* run — the daemon (`goniec run`), and `goniec worker`, the process it starts per run. */
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
	int opt = cli_simple_options(cli_find_command("run"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc > 1) {
		log_error("run: takes no arguments (see goniec run --help)");
		return EXIT_USAGE;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		log_error("run: cannot find the goniec binary (/proc/self/exe)");
		return EXIT_FAILED;
	}
	self[n] = '\0';
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	struct daemon_opts o = {.confdir = cli->confdir, .self = self};
	return daemon_run(&o, cfg) == 0 ? EXIT_OK : EXIT_FAILED;
}

int cmd_worker(struct cli *cli, int argc, char **argv)
{
	int fd = -1;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strncmp(argv[i], "--result-fd=", 12) == 0) {
			fd = atoi(argv[i] + 12);
			continue;
		}
		log_error("worker: unknown option %s", argv[i]);
		return EXIT_USAGE;
	}
	if (fd < 0 || i != argc - 1) {
		log_error("worker: usage: goniec worker --result-fd=N NAME (started by goniec run)");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	int rc = worker_main(cfg, argv[i], fd);
	config_free(cfg);
	return rc;
}
