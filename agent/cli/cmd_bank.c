/* bank — the commands of bank sources: `goniec bank link NAME [--code ADDRESS]` and
 * `goniec bank accounts NAME`, through the source type's link and accounts hooks
 * (sources/source.h). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/source.h"

int cmd_bank(struct cli *cli, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("bank");
	const char *code = NULL, *what = NULL, *name = NULL;
	const struct source_conf *src;
	struct config *cfg;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_print_command_help(cmd);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--code") && i + 1 < argc) {
			code = argv[++i];
		} else if (!strncmp(argv[i], "--code=", 7)) {
			code = argv[i] + 7;
		} else if (argv[i][0] != '-' && !what) {
			what = argv[i];
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			log_error("bank: unexpected %s (see goniec bank --help)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!what || !name || (strcmp(what, "link") && strcmp(what, "accounts")) ||
	    (code && strcmp(what, "link"))) {
		log_error("bank: say link or accounts, and the source (see goniec bank --help)");
		return EXIT_USAGE;
	}
	if (!(cfg = cli_load_shard_config(cli)))
		return EXIT_CONFIG;
	src = config_find_source(cfg, name);
	if (!src || !src->type->link || !src->type->accounts) {
		log_error("bank: %s is not a source of type bank (see goniec list)", name);
		config_free(cfg);
		return EXIT_USAGE;
	}
	rc = !strcmp(what, "link") ? src->type->link(cfg, src, code) : src->type->accounts(cfg, src);
	config_free(cfg);
	return rc;
}
