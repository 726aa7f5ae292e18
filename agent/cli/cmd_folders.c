/* folders — `goniec folders NAME`: the folders of an IMAP source's mailbox. Logging in
 * and listing proves the host, TLS settings and credentials work. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/graph/graph.h"
#include "sources/imap/imap.h"

int cmd_folders(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("folders"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc != 2) {
		log_error("folders: name one IMAP source (see goniec list)");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	const struct source_conf *src = config_find_source(cfg, argv[1]);
	int rc = EXIT_USAGE;
	if (!src) {
		log_error("folders: no source named '%s' (see goniec list)", argv[1]);
	} else if (src->type != &source_type_imap && src->type != &source_type_graph) {
		log_error("folders: source '%s' is of type %s; folders lists IMAP and Microsoft 365 "
			  "(graph) mailboxes", argv[1], src->type->name);
	} else {
		struct gerr err = {{0}};
		enum run_outcome o = src->type == &source_type_imap
					     ? imap_print_folders(src, stdout, &err)
					     : graph_print_folders(cfg, src, stdout, &err);
		if (o != RUN_OK)
			log_error("%s: %s", src->name, err.msg);
		rc = o == RUN_OK ? EXIT_OK : o == RUN_NEEDS_PERSON ? EXIT_NEEDS_PERSON : EXIT_FAILED;
	}
	config_free(cfg);
	return rc;
}
