/* registry — every source type goniec knows. Add a type here and in source.h's list. */
#include "sources/source.h"

#include <string.h>

extern const struct source_type source_type_bank;
extern const struct source_type source_type_folder;
extern const struct source_type source_type_graph;
extern const struct source_type source_type_imap;
extern const struct source_type source_type_ksef;
extern const struct source_type source_type_portal;
extern const struct source_type source_type_register;

static const struct source_type *const types[] = {
	&source_type_bank,
	&source_type_folder,
	&source_type_graph,
	&source_type_imap,
	&source_type_ksef,
	&source_type_portal,
	&source_type_register,
};

static const char *type_names[ARRAY_LEN(types) + 1];

const struct source_type *source_type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (strcmp(types[i]->name, name) == 0)
			return types[i];
	return NULL;
}

const char *const *source_type_names(void)
{
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		type_names[i] = types[i]->name;
	return type_names;
}
