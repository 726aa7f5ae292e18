/* The forwarder's typed retry book (forward/retry.h) and the table of delivery targets
 * (forward/target.h). */
#include "testutil.h"
#include "forward/retry.h"
#include "forward/target.h"

static void test_book(void **state)
{
	(void)state;
	struct retry_book b = {0};
	assert_null(retry_get(&b, "r", "2026/11/01/a/x.pdf"));
	assert_false(retry_waiting(NULL, 0));
	/* waits double from the base, capped at an hour */
	assert_int_equal(retry_failed(&b, "r", "x", false, 30000, 0, 1000), 30000);
	assert_int_equal(retry_failed(&b, "r", "x", false, 30000, 0, 1000), 60000);
	assert_int_equal(retry_failed(&b, "r", "x", false, 30000, 0, 1000), 120000);
	for (int i = 0; i < 20; i++)
		retry_failed(&b, "r", "x", false, 30000, 0, 1000);
	const struct retry_entry *e = retry_get(&b, "r", "x");
	assert_non_null(e);
	assert_int_equal(e->attempts, 23);
	assert_int_equal(e->next_ms, 1000 + RETRY_MAX_WAIT_MS);
	assert_true(retry_waiting(e, 1000));
	assert_false(retry_waiting(e, 1000 + RETRY_MAX_WAIT_MS));
	/* a window the server named (a sending quota) is waited out as it is */
	assert_int_equal(retry_failed(&b, "q", "x", false, 30000, 3600000, 1000), 3600000);
	assert_int_equal(retry_failed(&b, "q", "x", false, 30000, 0, 1000), 60000);
	/* a Retry-After of 9223372036854775 s (the most net_retry_after() takes): the next
	 * try is as late as can be, not now + wait wrapped round into the past */
	assert_int_equal(retry_failed(&b, "g", "x", false, 30000, INT64_MAX / 1000 * 1000,
				      1764662400000), INT64_MAX / 1000 * 1000);
	assert_int_equal(retry_get(&b, "g", "x")->next_ms, INT64_MAX);
	/* permanent: waits whatever the time */
	retry_failed(&b, "s", "x", true, 30000, 0, 1000);
	assert_true(retry_waiting(retry_get(&b, "s", "x"), INT64_MAX));
	/* route and document together are the key */
	assert_null(retry_get(&b, "r", "y"));
	assert_null(retry_get(&b, "rx", ""));
	/* many entries, then clearing every other one keeps the rest findable */
	char name[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "doc-%d", i);
		retry_failed(&b, "bulk", name, i % 3 == 0, 1000, 0, 0);
	}
	for (int i = 0; i < 1000; i += 2) {
		snprintf(name, sizeof name, "doc-%d", i);
		retry_clear(&b, "bulk", name);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof name, "doc-%d", i);
		e = retry_get(&b, "bulk", name);
		if (i % 2 == 0) {
			assert_null(e);
		} else {
			assert_non_null(e);
			assert_int_equal(e->permanent, i % 3 == 0);
		}
	}
	assert_int_equal(b.len, 4 + 500);
	retry_book_free(&b);
}

/* A failure that needs a person counts as permanent, waits its time, and is woken at
 * once when the route's sign-in changes — only that route's. */
static void test_needs_person(void **state)
{
	struct retry_book b = {0};
	(void)state;
	retry_needs_person(&b, "m365", "a.pdf", 3600000, 1000);
	retry_needs_person(&b, "other", "b.pdf", 3600000, 1000);
	retry_failed(&b, "m365", "c.pdf", true, 100, 0, 1000);
	const struct retry_entry *e = retry_get(&b, "m365", "a.pdf");
	assert_true(e->permanent && e->person);
	assert_true(retry_any_person(&b));
	assert_true(retry_waiting(e, 2000));
	assert_false(retry_waiting(e, 1000 + 3600000));
	assert_int_equal(retry_wake(&b, "m365", 5000), 1);
	assert_false(retry_waiting(retry_get(&b, "m365", "a.pdf"), 5000));
	assert_true(retry_waiting(retry_get(&b, "other", "b.pdf"), 5000));
	/* a plain permanent failure is not woken */
	assert_true(retry_waiting(retry_get(&b, "m365", "c.pdf"), 1 << 30));
	/* a later ordinary failure of the same document is no longer a person's */
	retry_failed(&b, "m365", "a.pdf", false, 100, 0, 6000);
	assert_false(retry_get(&b, "m365", "a.pdf")->person);
	retry_clear(&b, "other", "b.pdf");
	assert_false(retry_any_person(&b));
	retry_book_free(&b);
}

static void test_target_table(void **state)
{
	(void)state;
	assert_ptr_equal(target_type_find("folder"), &target_folder);
	assert_ptr_equal(target_type_find("email"), &target_email);
	assert_ptr_equal(target_type_find("graph"), &target_graph);
	assert_null(target_type_find("fax"));
	/* every type gives what the forwarder calls */
	for (size_t i = 0; target_types[i]; i++) {
		const struct target_type *t = target_types[i];
		assert_non_null(t->fields);
		assert_non_null(t->validate);
		assert_non_null(t->fingerprint);
		assert_non_null(t->describe);
		assert_non_null(t->prepare);
		assert_non_null(t->deliver);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book),
		cmocka_unit_test(test_needs_person),
		cmocka_unit_test(test_target_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
