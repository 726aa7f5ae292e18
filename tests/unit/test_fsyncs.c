/* Unit tests of fsyncs: many files synced at once, a failure named, the threads that
 * sync having the small stack glibc can keep for the next ones, kept from one call to the
 * next, ended by fsync_pool_stop(), and none carried into a forked child. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "core/fsyncs.h"

struct files {
	char *dir, *paths[40];
	struct sync_target v[41];
};

static void make_files(struct files *f)
{
	f->dir = scratch_dir();
	for (int i = 0; i < 40; i++) {
		f->paths[i] = xasprintf("%s/f%d", f->dir, i);
		write_text(f->paths[i], "x");
		f->v[i] = (struct sync_target){AT_FDCWD, f->paths[i], false};
	}
	f->v[40] = (struct sync_target){AT_FDCWD, f->dir, true};
}

static void free_files(struct files *f)
{
	for (int i = 0; i < 40; i++)
		free(f->paths[i]);
	rm_rf(f->dir);
	free(f->dir);
}

static void test_all_synced_and_a_failure_named(void **state)
{
	(void)state;
	struct files f;
	make_files(&f);
	struct gerr err = {0};
	assert_int_equal(fsync_all(f.v, 41, &err), 0);
	unlink(f.paths[17]);
	assert_int_equal(fsync_all(f.v, 41, &err), -1);
	assert_non_null(strstr(err.msg, f.paths[17]));
	free_files(&f);
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

/* The thread ids of this process, as one string ("123 124 ..."), sorted by the kernel. */
static char *task_ids(void)
{
	struct buf b = {0};
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			buf_printf(&b, "%s ", e->d_name);
	closedir(d);
	return b.data;
}

static unsigned task_count(void)
{
	char *ids = task_ids();
	unsigned n = 0;
	for (char *p = ids; *p; p++)
		n += *p == ' ';
	free(ids);
	return n;
}

/* Every thread but this one blocks the signals a process is sent (SigBlk in its /proc
 * status: bit n-1 for signal n). */
static bool workers_block_signals(void)
{
	char *ids = task_ids(), *save = NULL, self[32];
	snprintf(self, sizeof self, "%d", (int)gettid());
	bool all = true;
	for (char *id = strtok_r(ids, " ", &save); id; id = strtok_r(NULL, " ", &save)) {
		if (!strcmp(id, self))
			continue;
		char *path = xasprintf("/proc/self/task/%s/status", id), *text, *blk;
		size_t len;
		struct gerr err;
		assert_int_equal(read_file(path, 1 << 16, &text, &len, &err), 0);
		blk = strstr(text, "SigBlk:\t");
		unsigned long long mask = blk ? strtoull(blk + 8, NULL, 16) : 0;
		for (int sig = 1; sig <= SIGTERM; sig++) /* HUP INT ... TERM, but KILL */
			all = all && (sig == SIGKILL || mask >> (sig - 1) & 1);
		free(text);
		free(path);
	}
	free(ids);
	return all;
}

/* Only this thread, looked at a few times: a thread just joined may still be listed for a
 * moment (the kernel wakes the joiner before it has removed the task). */
static bool alone(void)
{
	for (int i = 0; i < 200; i++) {
		if (task_count() == 1)
			return true;
		usleep(500);
	}
	return false;
}

static void test_threads_kept_between_calls_and_stopped(void **state)
{
	(void)state;
	struct files f;
	make_files(&f);
	struct gerr err = {0};
	assert_int_equal(fsync_all(f.v, 41, &err), 0);
	char *first = task_ids();
	assert_true(task_count() > 1);
	assert_int_equal(fsync_all(f.v, 41, &err), 0);
	char *second = task_ids();
	assert_string_equal(first, second); /* the same workers, no new thread */
	assert_true(workers_block_signals());
	fsync_pool_stop();
	assert_true(alone());
	assert_int_equal(fsync_all(f.v, 41, &err), 0); /* started again when needed */
	fsync_pool_stop();
	free(first);
	free(second);
	free_files(&f);
}

struct concurrent {
	const struct sync_target *v;
	size_t n;
	int rc;
	struct gerr err;
};

static void *sync_in_thread(void *arg)
{
	struct concurrent *c = arg;
	for (int round = 0; round < 20 && c->rc == 0; round++)
		c->rc = fsync_all(c->v, c->n, &c->err);
	return NULL;
}

/* Two callers at once: each gets its own targets' result. */
static void test_concurrent_calls_keep_their_results(void **state)
{
	(void)state;
	struct files good, bad;
	make_files(&good);
	make_files(&bad);
	unlink(bad.paths[5]);
	struct concurrent a = {.v = good.v, .n = 41}, b = {.v = bad.v, .n = 41};
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, sync_in_thread, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, sync_in_thread, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, -1);
	assert_non_null(strstr(b.err.msg, bad.paths[5]));
	fsync_pool_stop();
	free_files(&good);
	free_files(&bad);
}

/* A child forked while the parent's workers wait has none of them, and syncs with its own. */
static void test_forked_child_starts_its_own(void **state)
{
	(void)state;
	struct files f;
	make_files(&f);
	struct gerr err = {0};
	assert_int_equal(fsync_all(f.v, 41, &err), 0);
	assert_true(task_count() > 1);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		bool alone = task_count() == 1;
		int rc = fsync_all(f.v, 41, &err);
		_exit(alone && rc == 0 && task_count() > 1 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fsync_pool_stop();
	free_files(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_synced_and_a_failure_named),
		cmocka_unit_test(test_sync_thread_has_a_small_stack),
		cmocka_unit_test(test_threads_kept_between_calls_and_stopped),
		cmocka_unit_test(test_concurrent_calls_keep_their_results),
		cmocka_unit_test(test_forked_child_starts_its_own),
	};
	return cmocka_run_group_tests_name("fsyncs", tests, NULL, NULL);
}
