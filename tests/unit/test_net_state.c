/* The shared plumbing: the one retry policy and Retry-After (core/net.h), the libcurl
 * failure kinds, and the one behaviour of a state file (core/statefile.h). */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "core/net.h"
#include "core/statefile.h"

static void test_retry_policy(void **state)
{
	(void)state;
	const struct net_retry p = {.max_attempts = 5, .first_ms = 1000, .max_ms = 3000,
				    .max_after_ms = 120000};
	assert_int_equal(net_retry_delay(&p, 1, -1), -1);   /* the first try waits for nothing */
	assert_int_equal(net_retry_delay(&p, 2, -1), 1000);
	assert_int_equal(net_retry_delay(&p, 3, -1), 2000);
	assert_int_equal(net_retry_delay(&p, 4, -1), 3000); /* capped */
	assert_int_equal(net_retry_delay(&p, 5, -1), 3000);
	assert_int_equal(net_retry_delay(&p, 6, -1), -1);   /* out of attempts */
	assert_int_equal(net_retry_delay(&p, 2, 7000), 7000); /* the server's word wins */
	assert_int_equal(net_retry_delay(&p, 2, 0), 0);
	assert_int_equal(net_retry_delay(&p, 2, 121000), -1); /* too long: left to the next run */
	assert_int_equal(net_retry_delay(&p, 6, 1000), -1);
}

static void test_retry_after(void **state)
{
	(void)state;
	time_t now = curl_getdate("Sun, 06 Nov 1994 08:49:37 GMT", NULL);
	assert_int_equal(net_retry_after("120", now), 120000);
	assert_int_equal(net_retry_after(" 5\r\n", now), 5000);
	assert_int_equal(net_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), 30000);
	assert_int_equal(net_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0);
	assert_int_equal(net_retry_after("soon", now), -1);
	assert_int_equal(net_retry_after("5s", now), -1);
	assert_int_equal(net_retry_after("", now), -1);
	assert_int_equal(net_retry_after(NULL, now), -1);
	assert_int_equal(net_retry_after("99999999999999999999", now), -1);
}

static void test_failure_kinds(void **state)
{
	(void)state;
	struct gerr err = {0};
	assert_true(net_transient(CURLE_COULDNT_CONNECT));
	assert_false(net_transient(CURLE_PEER_FAILED_VERIFICATION));
	assert_true(net_status_transient(429));
	assert_true(net_status_transient(503));
	assert_false(net_status_transient(404));
	net_error(&err, NULL, CURLE_OPERATION_TIMEDOUT, "", "GET https://example.invalid/x");
	assert_int_equal(err.kind, GERR_TEMPORARY);
	assert_true(str_starts_with(err.msg, "GET https://example.invalid/x: "));
	net_error(&err, NULL, CURLE_PEER_FAILED_VERIFICATION, "SSL: certificate subject name does not match",
		  "sign-in");
	assert_int_equal(err.kind, GERR_PERMANENT);
	/* the cause first (no handle: a clean verify result, so the name), libcurl's words after */
	assert_string_equal(err.msg, "sign-in: the server's certificate was refused: its name does "
				     "not match the host "
				     "(SSL: certificate subject name does not match)");
}

static void test_state_file(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *path = path_join(dir, "s.json"), *aside = xasprintf("%s.damaged", path);
	struct gerr err;
	json_t *j = NULL;
	struct stat sb;
	/* missing: an empty object */
	assert_int_equal(statefile_load(path, &j, &err), 0);
	assert_true(json_is_object(j) && json_object_size(j) == 0);
	json_object_set_new(j, "last_uid", json_integer(7));
	assert_int_equal(statefile_save(path, j, &err), 0);
	json_decref(j);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(statefile_load(path, &j, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "last_uid")), 7);
	json_decref(j);
	/* damaged, in each way: moved aside, a fresh start */
	static const char *const bad[] = {"{\"last_uid\": 7,", "[1, 2]", "null", "{\"a\":1,\"a\":2}"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		write_text(path, bad[i]);
		assert_int_equal(statefile_load(path, &j, &err), 0);
		assert_true(json_is_object(j) && json_object_size(j) == 0);
		json_decref(j);
		assert_int_not_equal(stat(path, &sb), 0);
		char *text = NULL;
		size_t len = 0;
		assert_int_equal(read_file(aside, 1024, &text, &len, &err), 0);
		assert_string_equal(text, bad[i]);
		free(text);
	}
	/* unreadable: an error, and the file is left alone */
	if (geteuid() != 0) {
		write_text(path, "{}");
		chmod(path, 0);
		assert_int_equal(statefile_load(path, &j, &err), -1);
		assert_non_null(strstr(err.msg, path));
		assert_int_equal(stat(path, &sb), 0);
	}
	char *sub = path_join(dir, "d.json");
	assert_int_equal(mkdir(sub, 0700), 0); /* a directory where the file should be */
	assert_int_equal(statefile_load(sub, &j, &err), -1);
	assert_int_equal(stat(sub, &sb), 0);
	free(sub);
	free(aside);
	free(path);
	rm_rf(dir);
	free(dir);
}

/* Saving what the file already holds writes nothing (the same inode stays: no temporary
 * file renamed over it, so no sync); anything else, a changed mode included, is written. */
static void test_state_file_unchanged(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *path = path_join(dir, "s.json");
	struct gerr err;
	struct stat was, now;
	json_t *j = json_pack("{s:i, s:[i]}", "last_uid", 7, "held", 3);
	assert_int_equal(statefile_save(path, j, &err), 0);
	assert_int_equal(stat(path, &was), 0);
	assert_int_equal(statefile_save(path, j, &err), 0);
	assert_int_equal(stat(path, &now), 0);
	assert_int_equal(now.st_ino, was.st_ino);
	json_object_set_new(j, "last_uid", json_integer(8));
	assert_int_equal(statefile_save(path, j, &err), 0);
	assert_int_equal(stat(path, &now), 0);
	assert_int_not_equal(now.st_ino, was.st_ino);
	was = now;
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(statefile_save(path, j, &err), 0);
	assert_int_equal(stat(path, &now), 0);
	assert_int_not_equal(now.st_ino, was.st_ino);
	assert_int_equal(now.st_mode & 0777, 0600);
	json_t *back = NULL;
	assert_int_equal(statefile_load(path, &back, &err), 0);
	assert_true(json_equal(back, j));
	json_decref(back);
	json_decref(j);
	free(path);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_policy),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_failure_kinds),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_state_file_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
