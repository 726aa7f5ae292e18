/* providers, recipe — the catalogue of portal recipes, and a recipe tried against a
 * recorded trace. Both reach the portal type through its hooks (source.h). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/source.h"

static const struct source_type *portal_type(void)
{
	return source_type_find("portal");
}

int cmd_providers(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_print_command_help(cli_find_command("providers"));
			return EXIT_OK;
		} else {
			log_error("providers: unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	return portal_type()->catalogue(cli->confdir, json, stdout);
}

int cmd_recipe(struct cli *cli, int argc, char **argv)
{
	const char *file = NULL, *trace = NULL;
	(void)cli;
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_print_command_help(cli_find_command("recipe"));
		return EXIT_OK;
	}
	if (argc < 3 || strcmp(argv[1], "test") != 0) {
		log_error("recipe: usage: goniec recipe test FILE --trace DIR");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
			trace = argv[++i];
		else if (!file && argv[i][0] != '-')
			file = argv[i];
		else {
			log_error("recipe: unknown argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!file || !trace) {
		log_error("recipe: usage: goniec recipe test FILE --trace DIR");
		return EXIT_USAGE;
	}
	return portal_type()->recipe_test(file, trace, stdout);
}
