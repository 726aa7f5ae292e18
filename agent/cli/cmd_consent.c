/* consent — first set-up of a Microsoft 365 (graph) mailbox: the admin-consent link for
 * its app registration, and whether access works already. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/graph/graph.h"

int cmd_consent(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("consent"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc != 2) {
		log_error("consent: name one graph source (see goniec list)");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	const struct source_conf *src = config_find_source(cfg, argv[1]);
	int rc = EXIT_OK;
	if (!src || src->type != &source_type_graph) {
		log_error("consent: '%s' is not a source of type graph", argv[1]);
		config_free(cfg);
		return EXIT_USAGE;
	}
	char *url = graph_consent_url(src);
	printf("An administrator of the tenant opens this link, signs in and accepts:\n\n  %s\n\n"
	       "The app registration needs the Application permission Mail.ReadWrite\n"
	       "(Microsoft Graph). After consenting, the browser is sent to the app's redirect\n"
	       "address; an error page there is harmless.\n\n", url);
	free(url);
	struct gerr err = {{0}};
	enum run_outcome o = graph_check_access(cfg, src, &err);
	if (o == RUN_OK) {
		printf("Access check: signed in and opened the mailbox: consent is in place.\n");
	} else {
		printf("Access check: %s\n", err.msg);
		rc = o == RUN_NEEDS_PERSON ? EXIT_NEEDS_PERSON : EXIT_FAILED;
	}
	config_free(cfg);
	return rc;
}
