/* retry — see retry.h. */
#include "forward/retry.h"

#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "core/util.h"

static size_t hash(const char *route, const char *relpath)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = route; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ '\t') * 1099511628211ull;
	for (const char *p = relpath; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)h;
}

static bool same(const struct retry_entry *e, const char *route, const char *relpath)
{
	return strcmp(e->route, route) == 0 && strcmp(e->relpath, relpath) == 0;
}

/* The slot holding the entry, or the empty slot where it would go. */
static size_t find(const struct retry_book *b, const char *route, const char *relpath)
{
	size_t i = hash(route, relpath) & (b->cap - 1);
	while (b->slots[i] && !same(b->slots[i], route, relpath))
		i = (i + 1) & (b->cap - 1);
	return i;
}

static void grow(struct retry_book *b)
{
	struct retry_book n = {.cap = b->cap ? 2 * b->cap : 64, .len = b->len};
	n.slots = xcalloc(n.cap, sizeof *n.slots);
	for (size_t i = 0; i < b->cap; i++)
		if (b->slots[i])
			n.slots[find(&n, b->slots[i]->route, b->slots[i]->relpath)] = b->slots[i];
	free(b->slots);
	*b = n;
}

struct retry_entry *retry_get(const struct retry_book *b, const char *route, const char *relpath)
{
	return b->cap ? b->slots[find(b, route, relpath)] : NULL;
}

int64_t retry_failed(struct retry_book *b, const char *route, const char *relpath, bool permanent,
		     int64_t base_ms, int64_t after_ms, int64_t now)
{
	if (2 * (b->len + 1) > b->cap)
		grow(b);
	size_t i = find(b, route, relpath);
	struct retry_entry *e = b->slots[i];
	if (!e) {
		e = b->slots[i] = xcalloc(1, sizeof *e);
		e->route = xstrdup(route);
		e->relpath = xstrdup(relpath);
		b->len++;
	}
	e->attempts++;
	const struct net_retry policy = {.max_attempts = UINT32_MAX, .first_ms = base_ms,
					 .max_ms = RETRY_MAX_WAIT_MS};
	int64_t wait = net_retry_delay(&policy, e->attempts + 1, after_ms > 0 ? after_ms : -1);
	/* a server's Retry-After may be up to INT64_MAX ms: past that, as late as can be */
	if (__builtin_add_overflow(now, wait, &e->next_ms))
		e->next_ms = INT64_MAX;
	e->permanent = permanent;
	e->person = false;
	return wait;
}

void retry_needs_person(struct retry_book *b, const char *route, const char *relpath,
			int64_t wait_ms, int64_t now)
{
	retry_failed(b, route, relpath, true, wait_ms, wait_ms, now);
	retry_get(b, route, relpath)->person = true;
}

size_t retry_wake(struct retry_book *b, const char *route, int64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < b->cap; i++) {
		struct retry_entry *e = b->slots[i];
		if (e && e->person && strcmp(e->route, route) == 0) {
			e->next_ms = now;
			n++;
		}
	}
	return n;
}

bool retry_any_person(const struct retry_book *b)
{
	for (size_t i = 0; i < b->cap; i++)
		if (b->slots[i] && b->slots[i]->person)
			return true;
	return false;
}

void retry_clear(struct retry_book *b, const char *route, const char *relpath)
{
	if (!b->cap)
		return;
	size_t i = find(b, route, relpath);
	if (!b->slots[i])
		return;
	free(b->slots[i]->route);
	free(b->slots[i]->relpath);
	free(b->slots[i]);
	b->slots[i] = NULL;
	b->len--;
	/* re-seat the entries of the run after the hole */
	for (size_t j = (i + 1) & (b->cap - 1); b->slots[j]; j = (j + 1) & (b->cap - 1)) {
		struct retry_entry *e = b->slots[j];
		b->slots[j] = NULL;
		b->slots[find(b, e->route, e->relpath)] = e;
	}
}

bool retry_waiting(const struct retry_entry *e, int64_t now)
{
	return e && ((e->permanent && !e->person) || e->next_ms > now);
}

void retry_each(const struct retry_book *b, void (*fn)(const struct retry_entry *e, void *arg),
		void *arg)
{
	for (size_t i = 0; i < b->cap; i++)
		if (b->slots[i])
			fn(b->slots[i], arg);
}

void retry_book_free(struct retry_book *b)
{
	for (size_t i = 0; i < b->cap; i++)
		if (b->slots[i]) {
			free(b->slots[i]->route);
			free(b->slots[i]->relpath);
			free(b->slots[i]);
		}
	free(b->slots);
	memset(b, 0, sizeof *b);
}
