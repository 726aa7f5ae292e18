/* folders, consent — commands a source type offers through the hooks of struct
 * source_type (sources/source.h): `goniec folders NAME` lists a mailbox's folders
 * (logging in proves host, TLS settings and credentials); `goniec consent NAME` shows how
 * to grant a Microsoft 365 app access and checks it. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/source.h"

typedef enum run_outcome (*type_command)(const struct config *cfg, const struct source_conf *src,
					 FILE *out, struct gerr *err);

static int exit_for(enum run_outcome o)
{
	return o == RUN_OK ? EXIT_OK : o == RUN_NEEDS_PERSON ? EXIT_NEEDS_PERSON : EXIT_FAILED;
}

/* Run the hook `pick` gives for the source named by argv[1]; `which` says what kinds of
 * source have it, for the message when this one does not. */
static int run_type_command(struct cli *cli, const char *name, int argc, char **argv,
			    type_command (*pick)(const struct source_type *t), const char *which)
{
	int opt = cli_simple_options(cli_find_command(name), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc != 2) {
		log_error("%s: name one source (see goniec list)", name);
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	const struct source_conf *src = config_find_source(cfg, argv[1]);
	type_command fn = src ? pick(src->type) : NULL;
	int rc = EXIT_USAGE;
	if (!src) {
		log_error("%s: no source named '%s' (see goniec list)", name, argv[1]);
	} else if (!fn) {
		log_error("%s: source '%s' is of type %s; %s", name, argv[1], src->type->name, which);
	} else {
		struct gerr err = {0};
		enum run_outcome o = fn(cfg, src, stdout, &err);
		if (o != RUN_OK)
			log_error("%s: %s", src->name, err.msg);
		rc = exit_for(o);
	}
	config_free(cfg);
	return rc;
}

static type_command folders_of(const struct source_type *t) { return t->folders; }
static type_command consent_of(const struct source_type *t) { return t->consent; }

int cmd_folders(struct cli *cli, int argc, char **argv)
{
	return run_type_command(cli, "folders", argc, argv, folders_of,
				"folders lists IMAP and Microsoft 365 (graph) mailboxes");
}

int cmd_consent(struct cli *cli, int argc, char **argv)
{
	return run_type_command(cli, "consent", argc, argv, consent_of,
				"consent is for Microsoft 365 (graph) sources");
}
