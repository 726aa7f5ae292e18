/* The simple commands: check, list, version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "core/secret.h"
#include "formats/bankcsv.h"
#include "formats/invrules.h"
#include "forward/route.h"
#include "sources/source.h"

int cmd_version(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 0 && cli_simple_options(cli_find_command("version"), argc, argv))
		return EXIT_OK;
	printf("goniec %s\n", GONIEC_VERSION);
	return EXIT_OK;
}

struct secret_check {
	struct diag *diag;
};

static void check_one_secret(const struct secret *s, const char *key, void *arg)
{
	struct secret_check *sc = arg;
	char *value = NULL;
	struct gerr err;
	/* Credentials exist only inside the service (LoadCredential=); from a shell they
	 * cannot be checked, which is worth a warning, not a failure. */
	bool outside_service = s->kind == SECRET_CREDENTIAL && !getenv("CREDENTIALS_DIRECTORY");
	if (s->kind != SECRET_INLINE && secret_resolve(s, &value, &err) != 0)
		diag_add(sc->diag, s->pos, outside_service, "%s: %s", key, err.msg);
	free_secret(value);
}

static void check_secrets(const struct config *cfg, struct diag *diag)
{
	struct secret_check sc = {diag};
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_conf *src = cfg->sources[i];
		cf_each_secret(src->type->fields, src->typed, check_one_secret, &sc);
	}
	for (size_t i = 0; i < cfg->nroutes; i++)
		route_each_secret(cfg->routes[i], check_one_secret, &sc);
}

int cmd_check(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("check"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	struct diag diag = {0};
	check_secrets(cfg, &diag);
	inv_rules_free(inv_rules_load(cfg->confdir, &diag)); /* the invoice field rules */
	bankcsv_load_confdir(cfg->confdir, &diag);          /* the bank CSV maps */
	diag_print(&diag, stderr);
	int rc = diag.errors ? EXIT_CONFIG : EXIT_OK;
	if (!diag.errors)
		printf("OK: %zu source%s, %zu route%s\n", cfg->nsources,
		       cfg->nsources == 1 ? "" : "s", cfg->nroutes, cfg->nroutes == 1 ? "" : "s");
	diag_free(&diag);
	config_free(cfg);
	return rc;
}

static void schedule_text(const struct source_conf *src, char *out, size_t len)
{
	const struct schedule_conf *s = &src->schedule;
	if (!s->set) {
		snprintf(out, len, "default");
	} else if (s->manual) {
		snprintf(out, len, "manual");
	} else if (s->every) {
		snprintf(out, len, "every %llds", (long long)s->every);
	} else {
		size_t used = 0;
		for (size_t i = 0; i < s->times.len && used + 7 < len; i++)
			used += (size_t)snprintf(out + used, len - used, "%s%02d:%02d", i ? "," : "",
						 s->times.minutes[i] / 60, s->times.minutes[i] % 60);
	}
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	int opt = cli_simple_options(cli_find_command("list"), argc, argv);
	if (opt)
		return opt > 0 ? EXIT_OK : EXIT_USAGE;
	struct config *cfg = cli_load_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	long shards = cfg->agent.shard.of; /* > 1: a column says each source's shard */
	printf("%-24s %-8s %-12s %-20s %s\n", "SOURCE", "TYPE", "COMPANY", "SCHEDULE",
	       shards > 1 ? "ENABLED SHARD" : "ENABLED");
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_conf *s = cfg->sources[i];
		char sched[64];
		schedule_text(s, sched, sizeof sched);
		const char *enabled = s->enabled ? "yes" : "no";
		printf("%-24s %-8s %-12s %-20s %s", s->name, s->type->name,
		       s->company ? s->company->id : "-", sched, enabled);
		if (shards > 1)
			printf("%*s%ld", 8 - (int)strlen(enabled), "", source_shard(s, shards));
		printf("\n");
	}
	if (cfg->nroutes)
		printf("\n%-24s %s\n", "ROUTE", "COMPANY");
	for (size_t i = 0; i < cfg->nroutes; i++)
		printf("%-24s %s\n", cfg->routes[i]->name,
		       cfg->routes[i]->company ? cfg->routes[i]->company->id : "-");
	config_free(cfg);
	return EXIT_OK;
}
