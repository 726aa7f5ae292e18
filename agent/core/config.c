/* config — the typed configuration's small queries; see config.h. The loader is
 * conf/load.c. */
#include "core/config.h"

#include <string.h>

const char *const document_type_names[] = {"pdf", "xml", "mt940", "camt", "csv", "zip", NULL};

const struct source_conf *config_find_source(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i]->name, name) == 0)
			return cfg->sources[i];
	return NULL;
}

bool source_accepts(const struct source_conf *src, const char *type)
{
	return strlist_contains(&src->accept, type);
}
