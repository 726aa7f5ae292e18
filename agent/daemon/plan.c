/* plan — schedules of configured sources; see plan.h. */
#include "daemon/plan.h"

#include <stdlib.h>

#include "sources/source.h"

/* A source without a schedule of its own: its type's default (times of day, or every N
 * seconds; with neither, daily). */
static struct schedule_conf type_default(const struct source_conf *src)
{
	struct schedule_conf e = {.set = true, .jitter = src->schedule.jitter};
	const char *const *t = src->type ? src->type->default_times : NULL;
	for (; t && *t; t++) {
		int m;
		if (cf_parse_time_of_day(*t, &m) != 0)
			continue;
		e.times.minutes = xrealloc(e.times.minutes, (e.times.len + 1) * sizeof(int));
		e.times.minutes[e.times.len++] = m;
	}
	if (!e.times.len && src->type && src->type->default_every > 0)
		e.every = src->type->default_every;
	return e;
}

/* The schedule that applies, with its jitter: the source's own, else agent.jitter (at
 * most a tenth of an `every` interval). Release with effective_release(). */
static struct schedule_conf effective(const struct source_conf *src)
{
	struct schedule_conf e = src->schedule.set ? src->schedule : type_default(src);
	if (!src->schedule.jitter_set && e.every > 0 && e.jitter > e.every / 10)
		e.jitter = e.every / 10;
	return e;
}

static void effective_release(const struct source_conf *src, struct schedule_conf *e)
{
	if (!src->schedule.set)
		free(e->times.minutes);
}

static time_t with_jitter(const struct schedule_conf *e, time_t slot)
{
	if (slot == NEXTRUN_NEVER)
		return slot;
	return slot + nextrun_jitter(e, (uint32_t)random());
}

time_t plan_first(const struct source_conf *src, time_t last, time_t now)
{
	struct schedule_conf e = effective(src);
	time_t t = nextrun_first(&e, last, now);
	t = t == now ? now : with_jitter(&e, t);
	effective_release(src, &e);
	return t;
}

time_t plan_next(const struct source_conf *src, time_t now)
{
	struct schedule_conf e = effective(src);
	time_t t = with_jitter(&e, nextrun_after(&e, now));
	effective_release(src, &e);
	return t;
}

static void describe_duration(struct buf *b, int64_t s)
{
	if (s % 86400 == 0)
		buf_printf(b, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		buf_printf(b, "%lldh", (long long)(s / 3600));
	else if (s % 60 == 0)
		buf_printf(b, "%lldm", (long long)(s / 60));
	else
		buf_printf(b, "%llds", (long long)s);
}

static void describe_times(struct buf *b, const int *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%02d:%02d", i ? " " : "", m[i] / 60, m[i] % 60);
}

char *plan_describe(const struct source_conf *src)
{
	struct schedule_conf e = effective(src);
	struct buf b = {0};
	if (e.manual) {
		buf_puts(&b, "manual");
	} else if (e.every > 0) {
		buf_puts(&b, "every ");
		describe_duration(&b, e.every);
	} else if (e.times.len) {
		describe_times(&b, e.times.minutes, e.times.len);
	} else {
		describe_times(&b, (const int[]){NEXTRUN_DAILY_MINUTE}, 1);
	}
	if (e.jitter > 0 && !e.manual) {
		buf_puts(&b, " (+ up to ");
		describe_duration(&b, e.jitter);
		buf_puts(&b, ")");
	}
	effective_release(src, &e);
	return buf_take(&b);
}
