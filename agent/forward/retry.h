/* retry — the forwarder's book of failed deliveries: per route and document, how many
 * attempts failed, when the next one is due, and whether the failure is permanent (it
 * waits for a configuration change). Typed, instead of JSON objects with string keys.
 *
 * The wait after the n-th failure follows the one retry policy (core/net.h): the wait the
 * server asked for when it named one, else `base` doubled per attempt, at most
 * RETRY_MAX_WAIT_MS; there is no limit on attempts.
 *
 * Ownership: the book owns its entries and their strings; retry_book_free() releases
 * them. A pointer from retry_get() stays valid until the next change to the book.
 * Never fails (allocation aborts).
 */
#ifndef GONIEC_FORWARD_RETRY_H
#define GONIEC_FORWARD_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RETRY_MAX_WAIT_MS (3600 * 1000)

struct retry_entry {
	char *route, *relpath;
	unsigned attempts;
	int64_t next_ms;       /* due at this time (now_ms() clock) */
	bool permanent;
	bool person;           /* permanent until a person acts (a refused sign-in or
				* permission): tried again at next_ms, or when woken */
};

struct retry_book {
	struct retry_entry **slots;  /* open addressing by route and relpath */
	size_t cap, len;
};

struct retry_entry *retry_get(const struct retry_book *b, const char *route, const char *relpath);
/* Record one more failed attempt; returns the wait until the next one (ms): after_ms
 * when the server named it (a sending quota's window; > 0), else the growing delay. */
int64_t retry_failed(struct retry_book *b, const char *route, const char *relpath, bool permanent,
		     int64_t base_ms, int64_t after_ms, int64_t now);
/* Record a failure only a person can fix: counted as failing (permanent), tried again
 * after wait_ms, or sooner through retry_wake(). */
void retry_needs_person(struct retry_book *b, const char *route, const char *relpath,
			int64_t wait_ms, int64_t now);
/* Make the route's needs-a-person entries due at `now` (its sign-in changed); how many. */
size_t retry_wake(struct retry_book *b, const char *route, int64_t now);
/* Does any entry wait for a person? */
bool retry_any_person(const struct retry_book *b);
void retry_clear(struct retry_book *b, const char *route, const char *relpath);
/* Is the entry (may be NULL) still waiting: permanent (a needs-a-person one until its
 * time), or not yet due? */
bool retry_waiting(const struct retry_entry *e, int64_t now);
/* Call fn for each entry. */
void retry_each(const struct retry_book *b, void (*fn)(const struct retry_entry *e, void *arg),
		void *arg);
void retry_book_free(struct retry_book *b);

#endif
