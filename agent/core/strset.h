/* strset — an open-addressing hash set of strings (owned copies).
 * Ownership: the set owns its strings; strset_free() releases them. Never fails
 * (allocation aborts). Lookups are O(1) on average. */
#ifndef GONIEC_STRSET_H
#define GONIEC_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots;
	size_t cap, len;
};

/* Add s; returns false when it was there already. */
bool strset_add(struct strset *set, const char *s);
bool strset_remove(struct strset *set, const char *s);
bool strset_has(const struct strset *set, const char *s);
void strset_free(struct strset *set);

#endif
