/* nextrun — when a schedule (core/schedule.h) runs next, in the process's time zone (TZ).
 *
 * Times of day are wall-clock times in the configured zone (default Europe/Warsaw):
 *   - a time that does not exist on a day (the spring-forward gap, 02:30 on the last
 *     Sunday of March in Warsaw) runs once, at the first instant after the gap (03:00);
 *   - a time that occurs twice (the autumn fall-back, 02:30 on the last Sunday of
 *     October) runs once, at its first occurrence.
 * Each (day, time of day) maps to exactly one instant, so neither case runs twice.
 * `every: N` runs N seconds after the previous slot. `daily` (no times, no every) runs
 * at NEXTRUN_DAILY_MINUTE. `manual` never runs by itself. Jitter is added by the caller
 * (nextrun_jitter) to the slot, never to the base of the next computation.
 *
 * After downtime, nextrun_first() makes one catch-up run at once when at least one slot
 * was missed since the last run, not one per missed slot.
 *
 * The schedule given is the one that applies: a source without its own gets its type's
 * default from the caller (daemon/plan.c); `set` is not looked at here.
 *
 * Ownership: nothing is allocated. Errors: none; "never" is returned as NEXTRUN_NEVER.
 */
#ifndef GONIEC_NEXTRUN_H
#define GONIEC_NEXTRUN_H

#include <stdint.h>
#include <time.h>

#include "core/schedule.h"

#define NEXTRUN_NEVER ((time_t)-1)
#define NEXTRUN_DAILY_MINUTE (6 * 60) /* `daily` runs at 06:00 (plus jitter) */

/* The first slot strictly after `after`. */
time_t nextrun_after(const struct schedule_conf *s, time_t after);

/* The first slot at daemon start. `last` is the start of the source's last run (0: it
 * never ran). A slot missed between `last` and `now` gives `now` (one catch-up run); a
 * source with `every` that never ran also runs at once. */
time_t nextrun_first(const struct schedule_conf *s, time_t last, time_t now);

/* The random delay for one run: uniform in [0, s->jitter] seconds given 32 random bits. */
time_t nextrun_jitter(const struct schedule_conf *s, uint32_t random_bits);

/* The one instant at which wall-clock `minute` (after midnight) of the local day
 * year/mon/mday (struct tm conventions) is taken to happen, per the rules above. */
time_t nextrun_local(int year, int mon, int mday, int minute);

#endif
