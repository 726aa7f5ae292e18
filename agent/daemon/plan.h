/* plan — a source's schedule put to use: its type's default times, the next start
 * (slot plus random jitter) and a one-line description for `goniec status`.
 *
 * Ownership: plan_describe() returns a string the caller frees. Errors: none; a source
 * that only runs on demand gets NEXTRUN_NEVER.
 */
#ifndef GONIEC_DAEMON_PLAN_H
#define GONIEC_DAEMON_PLAN_H

#include <time.h>

#include "core/config.h"
#include "core/nextrun.h"

/* The first start after the daemon starts (see nextrun_first), jitter added except for
 * a catch-up run, which starts at once. `last`: start of the last run, 0 if never. */
time_t plan_first(const struct source_conf *src, time_t last, time_t now);
/* The start after a scheduled run that began at `now`. */
time_t plan_next(const struct source_conf *src, time_t now);
/* "05:00 12:00 14:00", "every 6h", "manual", ... with "(+ up to 10m)" for jitter. */
char *plan_describe(const struct source_conf *src);

#endif
