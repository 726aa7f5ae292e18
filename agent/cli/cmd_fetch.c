/* fetch — run sources now, in this process, one after the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/source.h"

/* Sources named on the command line (a company id names all of its sources); with no
 * names, every enabled source. Returns -1 after reporting an unknown name. */
static int select_sources(const struct config *cfg, int argc, char **argv, bool *chosen)
{
	if (argc <= 1) {
		for (size_t i = 0; i < cfg->nsources; i++)
			chosen[i] = cfg->sources[i]->enabled;
		return 0;
	}
	for (int a = 1; a < argc; a++) {
		bool found = false;
		for (size_t i = 0; i < cfg->nsources; i++) {
			const struct source_conf *s = cfg->sources[i];
			if (strcmp(s->name, argv[a]) == 0 ||
			    (s->company && strcmp(s->company->id, argv[a]) == 0)) {
				chosen[i] = true;
				found = true;
			}
		}
		if (!found) {
			log_error("fetch: no source or company named '%s' (see goniec list)", argv[a]);
			return -1;
		}
	}
	return 0;
}

static int exit_for(enum run_outcome o, const struct gerr *err)
{
	switch (o) {
	case RUN_OK: return EXIT_OK;
	case RUN_NEEDS_PERSON: return EXIT_NEEDS_PERSON;
	case RUN_FAILED:
		return strstr(err->msg, "already running") ? EXIT_TEMPFAIL : EXIT_FAILED;
	default: return EXIT_FAILED;
	}
}

int cmd_fetch(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("fetch"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	bool *chosen = xcalloc(cfg->nsources + 1, sizeof *chosen);
	int rc = EXIT_OK;
	if (select_sources(cfg, argc, argv, chosen) != 0)
		rc = EXIT_USAGE;
	for (size_t i = 0; rc != EXIT_USAGE && i < cfg->nsources; i++) {
		if (!chosen[i])
			continue;
		const struct source_conf *s = cfg->sources[i];
		struct run_stats st;
		struct gerr err = {{0}};
		enum run_outcome o = source_run_once(cfg, s, &st, &err);
		printf("%s: %s — %lu filed, %lu already had, %lu quarantined, %lu failed%s%s\n",
		       s->name, run_outcome_name(o), st.filed, st.duplicates, st.quarantined,
		       st.failed, o == RUN_OK ? "" : ": ", o == RUN_OK ? "" : err.msg);
		int code = exit_for(o, &err);
		if (code != EXIT_OK && (rc == EXIT_OK || code == EXIT_FAILED))
			rc = code;
	}
	free(chosen);
	config_free(cfg);
	return rc;
}
