/* Unit tests for core/stdcapture: what is written to stderr during a capture comes out
 * as log lines under the label, goniec's own log goes to the real stderr, and stderr is
 * whole again afterwards. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/log.h"
#include "core/stdcapture.h"

/* Run fn with stderr on a scratch file; its text in *out (NUL-terminated). */
static void with_stderr_file(void (*fn)(void), char **out)
{
	char *dir = scratch_dir();
	char *path = path_join(dir, "err");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), keep = dup(2);
	assert_true(fd >= 0 && keep >= 0);
	fflush(stderr);
	assert_true(dup2(fd, 2) >= 0);
	fn();
	fflush(stderr);
	assert_true(dup2(keep, 2) >= 0);
	close(keep);
	close(fd);
	struct gerr err;
	size_t len;
	assert_int_equal(read_file(path, 1 << 20, out, &len, &err), 0);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void library_noise(void)
{
	struct gerr err;
	assert_int_equal(stderr_capture_begin("poczta", &err), 0);
	fputs("GnuTLS error: An unexpected TLS packet was received.\n", stderr);
	fflush(stderr);
	log_info("our own line");
	char big[5000];
	memset(big, 'x', sizeof big);
	assert_int_equal(write(2, big, sizeof big), (ssize_t)sizeof big);
	assert_int_equal(write(2, "\nno newline at the end", 22), 22);
	stderr_capture_end();
	fputs("after the capture\n", stderr);
}

static void test_capture(void **state)
{
	(void)state;
	char *out;
	with_stderr_file(library_noise, &out);
	assert_non_null(strstr(out, "goniec: warning: poczta: GnuTLS error: An unexpected TLS packet was received.\n"));
	assert_non_null(strstr(out, "goniec: info: our own line\n"));
	assert_non_null(strstr(out, "goniec: warning: poczta: no newline at the end\n"));
	assert_non_null(strstr(out, "\nafter the capture\n"));
	/* the raw line never appears on its own, and a long line is cut */
	assert_null(strstr(out, "\nGnuTLS error"));
	const char *x = strstr(out, "poczta: xxx");
	assert_non_null(x);
	assert_int_equal(strspn(x + 8, "x"), 2000);
	free(out);
}

int main(void)
{
	log_init("goniec");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
