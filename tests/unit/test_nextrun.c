/* Unit tests of next-run computation: Europe/Warsaw DST changes, catch-up, jitter. */
#include "testutil.h"

#include <time.h>

#include "core/nextrun.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return timegm(&tm);
}

static int warsaw(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Warsaw", 1);
	tzset();
	return 0;
}

static int mail_minutes[] = {5 * 60, 12 * 60, 14 * 60};
static int half_two[] = {2 * 60 + 30};
static int gap_pair[] = {2 * 60 + 30, 3 * 60};

static struct schedule_conf at(int *minutes, size_t n)
{
	return (struct schedule_conf){.set = true, .times = {minutes, n}};
}

static void test_times_same_day_and_next(void **state)
{
	(void)state;
	struct schedule_conf s = at(mail_minutes, 3);
	/* 2026-11-21 10:00 CET (09:00 UTC) -> 12:00 CET */
	assert_int_equal(nextrun_after(&s, utc(2026, 11, 21, 9, 0)), utc(2026, 11, 21, 11, 0));
	/* exactly at a slot: the next one, not the same */
	assert_int_equal(nextrun_after(&s, utc(2026, 11, 21, 11, 0)), utc(2026, 11, 21, 13, 0));
	/* after the last slot: tomorrow 05:00 CET */
	assert_int_equal(nextrun_after(&s, utc(2026, 11, 21, 20, 0)), utc(2026, 11, 22, 4, 0));
	/* summer: 05:00 CEST is 03:00 UTC */
	assert_int_equal(nextrun_after(&s, utc(2026, 7, 1, 0, 0)), utc(2026, 7, 1, 3, 0));
}

static void test_march_gap_runs_once(void **state)
{
	(void)state;
	/* 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist. */
	struct schedule_conf s = at(half_two, 1);
	time_t first = nextrun_after(&s, utc(2026, 3, 28, 12, 0));
	assert_int_equal(first, utc(2026, 3, 29, 1, 0)); /* 03:00 CEST, right after the gap */
	time_t second = nextrun_after(&s, first);
	assert_int_equal(second, utc(2026, 3, 30, 0, 30)); /* next day 02:30 CEST */
	/* 02:30 (gap) and 03:00 fall on the same instant: one run that day */
	struct schedule_conf p = at(gap_pair, 2);
	first = nextrun_after(&p, utc(2026, 3, 28, 12, 0));
	assert_int_equal(first, utc(2026, 3, 29, 1, 0));
	assert_int_equal(nextrun_after(&p, first), utc(2026, 3, 30, 0, 30));
	/* 05:00 on the change day is 03:00 UTC, 23 hours after the day before */
	struct schedule_conf m = at(mail_minutes, 3);
	assert_int_equal(nextrun_after(&m, utc(2026, 3, 28, 14, 0)), utc(2026, 3, 29, 3, 0));
}

static void test_october_double_runs_once(void **state)
{
	(void)state;
	/* 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30 and 01:30 UTC. */
	struct schedule_conf s = at(half_two, 1);
	time_t first = nextrun_after(&s, utc(2026, 10, 24, 12, 0));
	assert_int_equal(first, utc(2026, 10, 25, 0, 30)); /* the first occurrence */
	time_t second = nextrun_after(&s, first);
	assert_int_equal(second, utc(2026, 10, 26, 1, 30)); /* not 01:30 UTC the same day */
	/* a run started during the second 02:00-03:00 hour does not trigger again */
	assert_int_equal(nextrun_after(&s, utc(2026, 10, 25, 1, 10)), utc(2026, 10, 26, 1, 30));
	/* 12:00 after the change is CET */
	struct schedule_conf m = at(mail_minutes, 3);
	assert_int_equal(nextrun_after(&m, utc(2026, 10, 25, 4, 0)), utc(2026, 10, 25, 11, 0));
}

static void test_local_resolution(void **state)
{
	(void)state;
	assert_int_equal(nextrun_local(126, 2, 29, 2 * 60), utc(2026, 3, 29, 1, 0));
	assert_int_equal(nextrun_local(126, 2, 29, 2 * 60 + 59), utc(2026, 3, 29, 1, 0));
	assert_int_equal(nextrun_local(126, 2, 29, 3 * 60), utc(2026, 3, 29, 1, 0));
	assert_int_equal(nextrun_local(126, 9, 25, 2 * 60), utc(2026, 10, 25, 0, 0));
	assert_int_equal(nextrun_local(126, 9, 25, 3 * 60), utc(2026, 10, 25, 2, 0));
}

static void test_every_and_daily_and_defaults(void **state)
{
	(void)state;
	struct schedule_conf every = {.set = true, .every = 6 * 3600};
	time_t t = utc(2026, 3, 29, 0, 0);
	assert_int_equal(nextrun_after(&every, t), t + 6 * 3600);
	struct schedule_conf two = {.set = true, .every = 2};
	assert_int_equal(nextrun_after(&two, t), t + 2);
	/* daily: 06:00 local */
	struct schedule_conf daily = {.set = true};
	assert_int_equal(nextrun_after(&daily, utc(2026, 11, 21, 9, 0)), utc(2026, 11, 22, 5, 0));
	struct schedule_conf manual = {.set = true, .manual = true};
	assert_int_equal(nextrun_after(&manual, t), NEXTRUN_NEVER);
	assert_int_equal(nextrun_first(&manual, 0, t), NEXTRUN_NEVER);
}

static void test_catch_up(void **state)
{
	(void)state;
	struct schedule_conf s = at(mail_minutes, 3);
	time_t now = utc(2026, 11, 21, 9, 0); /* 10:00 CET */
	/* down for three days: many slots missed, one run now */
	assert_int_equal(nextrun_first(&s, utc(2026, 11, 18, 4, 0), now), now);
	/* last run at today's 05:00: nothing missed, next is 12:00 */
	assert_int_equal(nextrun_first(&s, utc(2026, 11, 21, 4, 0), now), utc(2026, 11, 21, 11, 0));
	/* never ran: wait for the next slot */
	assert_int_equal(nextrun_first(&s, 0, now), utc(2026, 11, 21, 11, 0));
	struct schedule_conf every = {.set = true, .every = 3600};
	assert_int_equal(nextrun_first(&every, 0, now), now);
	assert_int_equal(nextrun_first(&every, now - 600, now), now + 3000);
	assert_int_equal(nextrun_first(&every, now - 7200, now), now);
	/* the catch-up decision counts one missed slot once: the following slot is normal */
	time_t caught = nextrun_first(&s, utc(2026, 11, 18, 4, 0), now);
	assert_int_equal(nextrun_after(&s, caught), utc(2026, 11, 21, 11, 0));
}

static void test_jitter_bounds(void **state)
{
	(void)state;
	struct schedule_conf s = {.set = true, .every = 3600, .jitter = 600};
	assert_int_equal(nextrun_jitter(&s, 0), 0);
	time_t lo = 600, hi = 0;
	uint32_t x = 12345;
	for (int i = 0; i < 100000; i++) {
		x = x * 1664525u + 1013904223u;
		time_t j = nextrun_jitter(&s, x);
		assert_true(j >= 0 && j <= 600);
		if (j < lo)
			lo = j;
		if (j > hi)
			hi = j;
	}
	assert_true(lo <= 1 && hi >= 599); /* the whole range is used */
	assert_true(nextrun_jitter(&s, UINT32_MAX) <= 600);
	struct schedule_conf none = {.set = true, .every = 3600};
	assert_int_equal(nextrun_jitter(&none, UINT32_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_same_day_and_next),
		cmocka_unit_test(test_march_gap_runs_once),
		cmocka_unit_test(test_october_double_runs_once),
		cmocka_unit_test(test_local_resolution),
		cmocka_unit_test(test_every_and_daily_and_defaults),
		cmocka_unit_test(test_catch_up),
		cmocka_unit_test(test_jitter_bounds),
	};
	return cmocka_run_group_tests(tests, warsaw, NULL);
}
