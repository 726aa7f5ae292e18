/* nextrun — next-run computation across DST changes; see nextrun.h. */
#include "core/nextrun.h"

#include <stdbool.h>

/* A sortable key of a local wall-clock minute: later wall times give larger keys. */
static int64_t wall_key(int year, int mon, int mday, int minute)
{
	return (((int64_t)year * 12 + mon) * 32 + mday) * 1440 + minute;
}

static int64_t wall_key_of(time_t t)
{
	struct tm tm;
	localtime_r(&t, &tm);
	return wall_key(tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour * 60 + tm.tm_min);
}

/* mktime() with a given DST flag, accepted only when it maps back to the same wall time. */
static bool exact_local(int year, int mon, int mday, int minute, int isdst, time_t *out)
{
	struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday,
			.tm_hour = minute / 60, .tm_min = minute % 60, .tm_isdst = isdst};
	time_t t = mktime(&tm);
	if (t == (time_t)-1)
		return false;
	*out = t;
	return wall_key_of(t) == wall_key(year, mon, mday, minute);
}

time_t nextrun_local(int year, int mon, int mday, int minute)
{
	time_t best = NEXTRUN_NEVER, t;
	for (int isdst = 0; isdst <= 1; isdst++)
		if (exact_local(year, mon, mday, minute, isdst, &t) && (best == NEXTRUN_NEVER || t < best))
			best = t;
	if (best != NEXTRUN_NEVER)
		return best;
	/* In a gap: the first instant whose wall time is at or after the wanted one. Wall
	 * time is monotonic within hours of a spring-forward change, so bisect. */
	struct tm tm = {.tm_year = year, .tm_mon = mon, .tm_mday = mday,
			.tm_hour = minute / 60, .tm_min = minute % 60, .tm_isdst = -1};
	time_t mid = mktime(&tm);
	int64_t want = wall_key(year, mon, mday, minute);
	time_t lo = mid - 4 * 3600, hi = mid + 4 * 3600;
	while (hi - lo > 1) {
		time_t m = lo + (hi - lo) / 2;
		if (wall_key_of(m) >= want)
			hi = m;
		else
			lo = m;
	}
	return hi;
}

/* The local date `days` after the date of t. */
static void local_date_plus(time_t t, int days, int *year, int *mon, int *mday)
{
	struct tm tm;
	localtime_r(&t, &tm);
	struct tm noon = {.tm_year = tm.tm_year, .tm_mon = tm.tm_mon, .tm_mday = tm.tm_mday + days,
			  .tm_hour = 12, .tm_isdst = -1};
	mktime(&noon);
	*year = noon.tm_year;
	*mon = noon.tm_mon;
	*mday = noon.tm_mday;
}

static time_t next_time_of_day(const int *minutes, size_t n, time_t after)
{
	time_t best = NEXTRUN_NEVER;
	/* Two days ahead always hold a slot later than `after`; three cover a gap edge. */
	for (int d = 0; d <= 2; d++) {
		int y, m, md;
		local_date_plus(after, d, &y, &m, &md);
		for (size_t i = 0; i < n; i++) {
			time_t t = nextrun_local(y, m, md, minutes[i]);
			if (t > after && (best == NEXTRUN_NEVER || t < best))
				best = t;
		}
	}
	return best;
}

time_t nextrun_after(const struct schedule_conf *s, time_t after)
{
	static const int daily = NEXTRUN_DAILY_MINUTE;
	if (s->manual)
		return NEXTRUN_NEVER;
	if (s->every > 0)
		return after + s->every;
	if (s->times.len > 0)
		return next_time_of_day(s->times.minutes, s->times.len, after);
	return next_time_of_day(&daily, 1, after);
}

time_t nextrun_first(const struct schedule_conf *s, time_t last, time_t now)
{
	if (s->manual)
		return NEXTRUN_NEVER;
	if (last > 0 && last <= now) {
		time_t missed = nextrun_after(s, last);
		return missed <= now ? now : missed;
	}
	if (s->every > 0)
		return now;
	return nextrun_after(s, now);
}

time_t nextrun_jitter(const struct schedule_conf *s, uint32_t random_bits)
{
	if (s->jitter <= 0)
		return 0;
	return (time_t)(random_bits % ((uint64_t)s->jitter + 1));
}
