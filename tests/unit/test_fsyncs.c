/* Unit tests of fsyncs: many files synced at once, a failure named, and the threads that
 * sync having the small stack glibc can keep for the next ones. */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include "testutil.h"
#include "core/fsyncs.h"

static void test_all_synced_and_a_failure_named(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *paths[40];
	struct sync_target v[41];
	for (int i = 0; i < 40; i++) {
		paths[i] = xasprintf("%s/f%d", dir, i);
		write_text(paths[i], "x");
		v[i] = (struct sync_target){AT_FDCWD, paths[i], false};
	}
	v[40] = (struct sync_target){AT_FDCWD, dir, true};
	struct gerr err = {0};
	assert_int_equal(fsync_all(v, 41, &err), 0);
	unlink(paths[17]);
	assert_int_equal(fsync_all(v, 41, &err), -1);
	assert_non_null(strstr(err.msg, paths[17]));
	for (int i = 0; i < 40; i++)
		free(paths[i]);
	rm_rf(dir);
	free(dir);
}

static void *stack_size_of_self(void *out)
{
	pthread_attr_t attr;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, out);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

static void test_sync_thread_has_a_small_stack(void **state)
{
	(void)state;
	size_t size = 0;
	pthread_t t;
	assert_int_equal(fsync_thread_start(&t, stack_size_of_self, &size), 0);
	pthread_join(t, NULL);
	assert_true(size >= FSYNC_THREAD_STACK);
	assert_true(size < 2 * FSYNC_THREAD_STACK); /* not the default 8 MiB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_synced_and_a_failure_named),
		cmocka_unit_test(test_sync_thread_has_a_small_stack),
	};
	return cmocka_run_group_tests_name("fsyncs", tests, NULL, NULL);
}
