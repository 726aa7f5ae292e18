/* strset — an open-addressing hash set of strings (owned copies), optionally with a
 * value per string (a map: strset_put/strset_get).
 * Ownership: the set owns copies of its strings (unless `borrowed`); the values are the
 * caller's (never freed here).
 * strset_free() releases the strings. Never fails (allocation aborts). Lookups are O(1)
 * on average. */
#ifndef GONIEC_STRSET_H
#define GONIEC_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char **slots;
	void **values; /* parallel to slots; NULL until a value is put */
	size_t cap, len;
	bool borrowed; /* set before use: the strings are the caller's, neither copied nor
			  freed, and must outlive the set */
};

/* Add s; returns false when it was there already. */
bool strset_add(struct strset *set, const char *s);
/* Add s with a value; returns false (and changes nothing) when s was there already. */
bool strset_put(struct strset *set, const char *s, void *value);
/* The value put with s; NULL when s is absent or was added without one. */
void *strset_get(const struct strset *set, const char *s);
bool strset_remove(struct strset *set, const char *s);
bool strset_has(const struct strset *set, const char *s);
void strset_free(struct strset *set);

#endif
