/* plan — schedules of configured sources; see plan.h. */
#include "daemon/plan.h"

#include <stdlib.h>

#include "sources/source.h"

/* The type's default times of day; the caller frees out->minutes. */
static void default_times(const struct source_conf *src, struct times_of_day *out)
{
	out->minutes = NULL;
	out->len = 0;
	const char *const *t = src->type ? src->type->default_times : NULL;
	for (; t && *t; t++) {
		int m;
		if (cf_parse_time_of_day(*t, &m) != 0)
			continue;
		out->minutes = xrealloc(out->minutes, (out->len + 1) * sizeof(int));
		out->minutes[out->len++] = m;
	}
}

static time_t with_jitter(const struct source_conf *src, time_t slot)
{
	if (slot == NEXTRUN_NEVER)
		return slot;
	return slot + nextrun_jitter(&src->schedule, (uint32_t)random());
}

time_t plan_first(const struct source_conf *src, time_t last, time_t now)
{
	struct times_of_day d;
	default_times(src, &d);
	time_t t = nextrun_first(&src->schedule, &d, last, now);
	free(d.minutes);
	return t == now ? now : with_jitter(src, t);
}

time_t plan_next(const struct source_conf *src, time_t now)
{
	struct times_of_day d;
	default_times(src, &d);
	time_t t = nextrun_after(&src->schedule, &d, now);
	free(d.minutes);
	return with_jitter(src, t);
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
	const struct schedule_conf *s = &src->schedule;
	struct buf b = {0};
	struct times_of_day d;
	default_times(src, &d);
	if (s->set && s->manual) {
		buf_puts(&b, "manual");
	} else if (s->set && s->every > 0) {
		buf_puts(&b, "every ");
		describe_duration(&b, s->every);
	} else if (s->set && s->times.len) {
		describe_times(&b, s->times.minutes, s->times.len);
	} else if (d.len) {
		describe_times(&b, d.minutes, d.len);
	} else {
		describe_times(&b, (const int[]){NEXTRUN_DAILY_MINUTE}, 1);
	}
	free(d.minutes);
	if (s->jitter > 0 && !(s->set && s->manual)) {
		buf_puts(&b, " (+ up to ");
		describe_duration(&b, s->jitter);
		buf_puts(&b, ")");
	}
	return buf_take(&b);
}
