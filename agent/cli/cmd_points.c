/* points, otp — the commands of portal sources: list consumption points, give a login
 * the one-time code the portal sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "sources/source.h"

/* The source named by argv[1], of a type with the `points` and one-time code hooks (a
 * portal); NULL after a message. */
static const struct source_conf *portal_source(const struct config *cfg, const char *cmd,
					       int argc, char **argv)
{
	const struct source_conf *src;
	if (argc < 2) {
		log_error("%s: which source? (goniec %s NAME)", cmd, cmd);
		return NULL;
	}
	src = config_find_source(cfg, argv[1]);
	if (!src) {
		log_error("%s: no source named '%s' (see goniec list)", cmd, argv[1]);
		return NULL;
	}
	if (!src->type->points || !src->type->give_code || !src->type->waiting_for_code) {
		log_error("%s: source '%s' is of type %s, not portal", cmd, argv[1], src->type_name);
		return NULL;
	}
	return src;
}

int cmd_points(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("points"), argc, argv);
	struct config *cfg;
	const struct source_conf *src;
	struct gerr err;
	int rc = EXIT_OK;

	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (!(cfg = cli_load_shard_config(cli)))
		return EXIT_CONFIG;
	src = portal_source(cfg, "points", argc, argv);
	if (!src) {
		rc = EXIT_USAGE;
	} else if (src->type->points(cfg, src, stdout, &err) < 0) {
		log_error("points: %s", err.msg);
		rc = EXIT_FAILED;
	}
	config_free(cfg);
	return rc;
}

static int print_run(const struct source_conf *src, enum run_outcome o, const struct run_stats *st,
		     const struct gerr *err)
{
	printf("%s: %s — %lu filed, %lu already had, %lu failed%s%s\n", src->name,
	       run_outcome_name(o), st->filed, st->duplicates, st->failed,
	       o == RUN_OK ? "" : ": ", o == RUN_OK ? "" : err->msg);
	return o == RUN_OK ? EXIT_OK : o == RUN_NEEDS_PERSON ? EXIT_NEEDS_PERSON : EXIT_FAILED;
}

/* Ask for the code on the terminal. NULL when none was typed. */
static char *ask_code(const struct source_conf *src)
{
	char line[128];
	const char *to = src->type->code_sent_to ? src->type->code_sent_to(src) : NULL;
	fprintf(stderr, "%s: one-time code%s%s: ", src->name, to ? " sent to " : "", to ? to : "");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return NULL;
	line[strcspn(line, "\r\n")] = '\0';
	return line[0] ? xstrdup(line) : NULL;
}

int cmd_otp(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("otp"), argc, argv);
	struct config *cfg;
	const struct source_conf *src;
	struct run_stats st;
	struct gerr err = {0};
	char *code = NULL;
	int rc = EXIT_USAGE;

	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	if (!(cfg = cli_load_shard_config(cli)))
		return EXIT_CONFIG;
	if (!(src = portal_source(cfg, "otp", argc, argv)))
		goto out;
	if (argc > 3) {
		log_error("otp: too many arguments (goniec otp NAME [CODE])");
		goto out;
	}
	if (argc < 3 && !src->type->waiting_for_code(cfg, src)) {
		/* log in now so that the portal sends a code */
		enum run_outcome o = source_run_once(cfg, src, &st, &err);
		if (o != RUN_NEEDS_PERSON || !src->type->waiting_for_code(cfg, src)) {
			rc = print_run(src, o, &st, &err);
			goto out;
		}
	}
	code = argc == 3 ? xstrdup(argv[2]) : ask_code(src);
	if (!code) {
		log_error("otp: no code given");
		goto out;
	}
	if (src->type->give_code(cfg, src, code, &err) < 0) {
		log_error("otp: %s: %s (run goniec fetch %s first)", src->name, err.msg, src->name);
		rc = EXIT_FAILED;
		goto out;
	}
	rc = print_run(src, source_run_once(cfg, src, &st, &err), &st, &err);
out:
	free_secret(code);
	config_free(cfg);
	return rc;
}
