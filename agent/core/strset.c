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
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i])
			slots[find_slot(slots, cap, set->slots[i])] = set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
}

bool strset_add(struct strset *set, const char *s)
{
	if ((set->len + 1) * 4 > set->cap * 3)
		grow(set);
	size_t i = find_slot(set->slots, set->cap, s);
	if (set->slots[i])
		return false;
	set->slots[i] = xstrdup(s);
	set->len++;
	return true;
}

/* Linear probing: after removing, shift later members of the run back into the gap. */
bool strset_remove(struct strset *set, const char *s)
{
	if (!set->cap)
		return false;
	size_t i = find_slot(set->slots, set->cap, s);
	if (!set->slots[i])
		return false;
	free(set->slots[i]);
	set->slots[i] = NULL;
	set->len--;
	for (size_t j = (i + 1) & (set->cap - 1); set->slots[j]; j = (j + 1) & (set->cap - 1)) {
		char *moved = set->slots[j];
		set->slots[j] = NULL;
		set->slots[find_slot(set->slots, set->cap, moved)] = moved;
	}
	return true;
}

bool strset_has(const struct strset *set, const char *s)
{
	return set->cap && set->slots[find_slot(set->slots, set->cap, s)] != NULL;
}

void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof *set);
}
