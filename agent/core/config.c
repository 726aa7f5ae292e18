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

bool source_accepts(const struct source_conf *src, const char *type)
{
	return strlist_contains(&src->accept, type);
}
