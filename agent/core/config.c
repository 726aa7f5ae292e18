/* config — the typed configuration's small queries; see config.h. The loader is
 * conf/load.c. */
#include "core/config.h"

#include <string.h>

const char *const document_type_names[] = {"pdf", "xml", "mt940", "camt", "csv", "zip", "transactions", "register",
					   NULL};

const struct source_conf *config_find_source(const struct config *cfg, const char *name)
{
	return strset_get(&cfg->source_index, name);
}

long config_shard_of_key(const char *key, long of)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (long)(h % (uint64_t)of);
}

long source_shard(const struct source_conf *src, long of)
{
	return config_shard_of_key(src->company ? src->company->id : src->name, of);
}

bool config_runs_source(const struct config *cfg, const struct source_conf *src)
{
	const struct shard_conf *sh = &cfg->agent.shard;
	return sh->of <= 1 || (sh->index_set && source_shard(src, sh->of) == sh->index);
}

bool config_runs_company(const struct config *cfg, const struct company_conf *company)
{
	const struct shard_conf *sh = &cfg->agent.shard;
	return sh->of <= 1 || (sh->index_set && config_shard_of_key(company->id, sh->of) == sh->index);
}

int config_need_shard(const struct config *cfg, struct gerr *err)
{
	const struct shard_conf *sh = &cfg->agent.shard;
	if (sh->of <= 1 || sh->index_set)
		return 0;
	return gerr_set(err, "the sources are shared by %ld shards (agent.shard.of): choose one with --shard K (0 to %ld)",
			sh->of, sh->of - 1);
}

bool source_accepts(const struct source_conf *src, const char *type)
{
	return strlist_contains(&src->accept, type);
}
