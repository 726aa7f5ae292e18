/* Unit tests of daemon/leftover.h: what a run leaves behind in a worker is found, and a
 * process as it was is not. */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "daemon/leftover.h"

static void test_nothing_left(void **state)
{
	(void)state;
	struct leftover_base b;
	leftover_base_take(&b);
	void *grown = xmalloc(1 << 20); /* a little more memory is no leftover */
	assert_null(leftover_find(&b));
	free(grown);
	leftover_base_free(&b);
}

static void test_descriptors(void **state)
{
	(void)state;
	struct leftover_base b;
	int fds[LEFTOVER_FD_SLACK + 1];
	leftover_base_take(&b);
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_string_equal(leftover_find(&b), "open descriptors");
	close(fds[0]);
	assert_null(leftover_find(&b)); /* within the slack */
	for (size_t i = 1; i < ARRAY_LEN(fds); i++)
		close(fds[i]);
	leftover_base_free(&b);
}

static void *wait_for_pipe(void *arg)
{
	char c;
	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

static void test_thread(void **state)
{
	(void)state;
	struct leftover_base b;
	int p[2];
	pthread_t t;
	assert_int_equal(pipe(p), 0);
	leftover_base_take(&b);
	assert_int_equal(pthread_create(&t, NULL, wait_for_pipe, &p[0]), 0);
	assert_string_equal(leftover_find(&b), "a running thread");
	(void)!write(p[1], "x", 1);
	pthread_join(t, NULL);
	assert_null(leftover_find(&b)); /* a thread just joined is gone */
	close(p[0]);
	close(p[1]);
	leftover_base_free(&b);
}

static void test_process_state(void **state)
{
	(void)state;
	struct leftover_base b;
	leftover_base_take(&b);
	setenv("GONIEC_TEST_LEFTOVER", "1", 1);
	assert_string_equal(leftover_find(&b), "a changed environment");
	unsetenv("GONIEC_TEST_LEFTOVER");
	assert_null(leftover_find(&b));
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir("/"), 0);
	assert_string_equal(leftover_find(&b), "another working directory");
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	mode_t was = umask(0);
	assert_string_equal(leftover_find(&b), "another file mode mask");
	umask(was);
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGUSR1, &ign, &old);
	assert_string_equal(leftover_find(&b), "changed signal handling");
	sigaction(SIGUSR1, &old, NULL);
	int saved = dup(1);
	int null = open("/dev/null", O_WRONLY);
	dup2(null, 1);
	assert_string_equal(leftover_find(&b), "stdin, stdout or stderr changed");
	dup2(saved, 1);
	close(saved);
	close(null);
	assert_null(leftover_find(&b));
	leftover_base_free(&b);
}

static void test_memory(void **state)
{
	(void)state;
	struct leftover_base b;
	leftover_base_take(&b);
	size_t size = (LEFTOVER_RSS_GROWTH_KIB + 4096) * 1024L;
	char *big = xmalloc(size);
	memset(big, 1, size);
	assert_string_equal(leftover_find(&b), "memory past its bound");
	free(big);
	leftover_base_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_left),
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_process_state),
		cmocka_unit_test(test_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
