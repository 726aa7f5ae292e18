/* Unit tests of dirstamp: the fingerprint of some folders stays while nothing changes and
 * changes with a file rewritten in place (same size), replaced by a rename, added or
 * removed, and with a folder that comes into being; dot files do not count. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "core/dirstamp.h"

/* Set a file's modification time to `sec` seconds (the clock may not tick between writes). */
static void set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = sec}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool unchanged(const char *const *dirs, size_t n, struct dirstamp *kept)
{
	return !dirstamp_changed(kept, dirs, n);
}

static void test_changes_seen(void **state)
{
	(void)state;
	char *dir = scratch_dir(), *a = path_join(dir, "a"), *missing = path_join(dir, "later");
	char *b = path_join(a, "b.yaml"), *tmp = path_join(a, "b.new"), *dot = path_join(a, ".hidden");
	const char *const dirs[] = {a, missing};
	assert_int_equal(mkdir(a, 0700), 0);
	write_text(b, "one");
	set_mtime(b, 1000);
	struct dirstamp s = {0};
	assert_false(unchanged(dirs, 2, &s)); /* none taken before: changed */
	assert_true(unchanged(dirs, 2, &s));
	write_text(b, "two"); /* in place, same size */
	set_mtime(b, 2000);
	assert_false(unchanged(dirs, 2, &s));
	assert_true(unchanged(dirs, 2, &s));
	write_text(tmp, "two");
	set_mtime(tmp, 2000);
	assert_false(unchanged(dirs, 2, &s)); /* a file added */
	assert_int_equal(rename(tmp, b), 0); /* replaced by a rename: another inode */
	assert_false(unchanged(dirs, 2, &s));
	write_text(dot, "x");
	assert_true(unchanged(dirs, 2, &s)); /* dot files do not count */
	assert_int_equal(unlink(b), 0);
	assert_false(unchanged(dirs, 2, &s)); /* removed */
	assert_int_equal(mkdir(missing, 0700), 0);
	char *c = path_join(missing, "c.yaml");
	write_text(c, "c");
	assert_false(unchanged(dirs, 2, &s)); /* a folder that was not there */
	assert_true(unchanged(dirs, 2, &s));
	dirstamp_free(&s);
	rm_rf(dir);
	free(c);
	free(missing);
	free(dot);
	free(tmp);
	free(b);
	free(a);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes_seen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
