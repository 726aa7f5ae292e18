/* Unit tests of the estimate of how far glibc's regcomp() expands a regex. */
#include "testutil.h"
#include "core/regexcost.h"

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *expr;
		size_t size;
	} cases[] = {
		{"", 0}, {"abc", 3}, {"a*b?c", 3}, {"a+", 2}, {"(ab)+c", 5}, {"x(ab|cd){2,3}", 17},
		{"a{2,}", 3},
		/* One atom each: an escape, a bracket expression (with ']' and classes inside). */
		{"\\++", 2}, {"[]a[:digit:]]+", 2},
		/* Not a bound: a '{' and what follows count as atoms. */
		{"a{x}", 4},
		/* Unbalanced: still a size. */
		{"((a", 1}, {"a)", 2},
		/* Repetitions of repetitions multiply. */
		{"a++++", 16}, {"((a+)+)+", 8}, {"(a{99}){99}", 10000},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		assert_int_equal(regex_expanded_size(cases[i].expr), cases[i].size);
}

static void test_saturating(void **state)
{
	(void)state;
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
		cmocka_unit_test(test_saturating),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
