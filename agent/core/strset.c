/* strset — see strset.h. */
#include "core/strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t find_slot(char **slots, size_t cap, const char *s)
{
	size_t i = hash_str(s) & (cap - 1);
	while (slots[i] && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void grow(struct strset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	char **slots = xcalloc(cap, sizeof *slots);
	void **values = set->values ? xcalloc(cap, sizeof *values) : NULL;
	for (size_t i = 0; i < set->cap; i++) {
		if (!set->slots[i])
			continue;
		size_t j = find_slot(slots, cap, set->slots[i]);
		slots[j] = set->slots[i];
		if (values)
			values[j] = set->values[i];
	}
	free(set->slots);
	free(set->values);
	set->slots = slots;
	set->values = values;
	set->cap = cap;
}

bool strset_put(struct strset *set, const char *s, void *value)
{
	if ((set->len + 1) * 4 > set->cap * 3)
		grow(set);
	size_t i = find_slot(set->slots, set->cap, s);
	if (set->slots[i])
		return false;
	if (value && !set->values)
		set->values = xcalloc(set->cap, sizeof *set->values);
	set->slots[i] = set->borrowed ? (char *)s : xstrdup(s);
	if (set->values)
		set->values[i] = value;
	set->len++;
	return true;
}

bool strset_add(struct strset *set, const char *s)
{
	return strset_put(set, s, NULL);
}

void *strset_get(const struct strset *set, const char *s)
{
	if (!set->cap || !set->values)
		return NULL;
	return set->values[find_slot(set->slots, set->cap, s)];
}

/* Linear probing: after removing, shift later members of the run back into the gap. */
bool strset_remove(struct strset *set, const char *s)
{
	if (!set->cap)
		return false;
	size_t i = find_slot(set->slots, set->cap, s);
	if (!set->slots[i])
		return false;
	if (!set->borrowed)
		free(set->slots[i]);
	set->slots[i] = NULL;
	if (set->values)
		set->values[i] = NULL;
	set->len--;
	for (size_t j = (i + 1) & (set->cap - 1); set->slots[j]; j = (j + 1) & (set->cap - 1)) {
		char *moved = set->slots[j];
		set->slots[j] = NULL;
		size_t to = find_slot(set->slots, set->cap, moved);
		set->slots[to] = moved;
		if (set->values && to != j) {
			set->values[to] = set->values[j];
			set->values[j] = NULL;
		}
	}
	return true;
}

bool strset_has(const struct strset *set, const char *s)
{
	return set->cap && set->slots[find_slot(set->slots, set->cap, s)] != NULL;
}

void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap && !set->borrowed; i++)
		free(set->slots[i]);
	free(set->slots);
	free(set->values);
	bool borrowed = set->borrowed;
	memset(set, 0, sizeof *set);
	set->borrowed = borrowed;
}
