/* load — reading conf.d into a struct config (core/config.h): the YAML files in name
 * order, the agent block, companies, sources (common keys and each type's own, found in
 * the source registry) and routes (the route schema of forward/route.h).
 *
 * It sits above sources/ and forward/ (it knows every source type and the route schema)
 * and below daemon/ and cli/, which load the configuration through it; core/ keeps the
 * configuration's types.
 *
 * Ownership: config_load() returns a config that owns every string in it; release it
 * with config_free(). Errors go into `diag` (all of them, with file:line:col); the load
 * fails (returns NULL) when diag->errors > 0 after it.
 */
#ifndef GONIEC_CONF_LOAD_H
#define GONIEC_CONF_LOAD_H

#include "core/config.h"

/* Paths that the command line forces over the agent: block (NULL: not forced), and the
 * defaults used when neither gives one (NULL: the installed defaults). Forced paths are
 * taken as they are, also for a shard. `shard` is the --shard option, "K/N" or "K" (N
 * from agent.shard.of), or NULL. */
struct config_overrides {
	const char *spool_dir;
	const char *state_dir;
	const char *default_spool_dir;
	const char *default_state_dir;
	const char *shard;
};

struct config *config_load(const char *confdir, const struct config_overrides *ov,
			   struct diag *diag);
/* Load from one in-memory YAML text (tests, fuzzing). */
struct config *config_load_string(const char *name, const char *text, size_t len,
				  struct diag *diag);
void config_free(struct config *cfg);

#endif
