/* Unit tests of the estimate of how far glibc's regcomp() expands a regex. */
#include "testutil.h"
#include "core/regexcost.h"

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(regex_expanded_size(""), 0);
	assert_int_equal(regex_expanded_size("abc"), 3);
	assert_int_equal(regex_expanded_size("a*b?c"), 3);
	assert_int_equal(regex_expanded_size("a+"), 2);
	assert_int_equal(regex_expanded_size("(ab)+c"), 5);
	assert_int_equal(regex_expanded_size("x(ab|cd){2,3}"), 17);
	assert_int_equal(regex_expanded_size("a{2,}"), 3);
	/* One atom each: an escape, a bracket expression (with ']' and classes inside). */
	assert_int_equal(regex_expanded_size("\\++"), 2);
	assert_int_equal(regex_expanded_size("[]a[:digit:]]+"), 2);
	/* Not a bound: a '{' and what follows count as atoms. */
	assert_int_equal(regex_expanded_size("a{x}"), 4);
	/* Unbalanced: still a size. */
	assert_int_equal(regex_expanded_size("((a"), 1);
	assert_int_equal(regex_expanded_size("a)"), 2);
}

static void test_multiplying(void **state)
{
	(void)state;
	assert_int_equal(regex_expanded_size("a++++"), 16);
	assert_int_equal(regex_expanded_size("((a+)+)+"), 8);
	assert_int_equal(regex_expanded_size("(a{99}){99}"), 10000);
	assert_true(regex_expanded_size("a++++++++++++++++++++++++++++++++++++++++++++++++++++++++"
					"++++++++++++++++++++") == SIZE_MAX);
	assert_true(regex_expanded_size("a{4294967295}{4294967295}{4294967295}") == SIZE_MAX);
	assert_true(regex_expanded_size("(nr|numer) (rachunku|konta)( bankowego)?:?") <
		    REGEX_EXPANDED_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_multiplying),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
