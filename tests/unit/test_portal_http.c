/* Unit tests of the portal HTTP helpers: URL resolution and origins (recipe headers such
 * as bearer tokens go only to the portal's own origin). */
#include "testutil.h"
#include "sources/portal/http.h"

static void test_resolve(void **state)
{
	char *u;
	(void)state;
	u = http_url_resolve("https://ebok.example.pl/a/b?x=1", "../c?d=2");
	assert_string_equal(u, "https://ebok.example.pl/c?d=2");
	free(u);
	u = http_url_resolve("https://ebok.example.pl/a/b", "/pdf/1.pdf");
	assert_string_equal(u, "https://ebok.example.pl/pdf/1.pdf");
	free(u);
	u = http_url_resolve("https://ebok.example.pl/a", "https://cdn.example.pl/f");
	assert_string_equal(u, "https://cdn.example.pl/f");
	free(u);
	assert_null(http_url_resolve("https://ebok.example.pl/", "file:///etc/passwd"));
	assert_null(http_url_resolve("https://ebok.example.pl/", "javascript:alert(1)"));
	assert_null(http_url_resolve(NULL, "relative/only"));
	u = http_url_for_message("https://e.example/x/y?token=secret#frag");
	assert_string_equal(u, "https://e.example/x/y");
	free(u);
}

static void test_same_origin(void **state)
{
	(void)state;
	assert_true(http_url_same_origin("https://ebok.example.pl/a", "https://EBOK.example.pl:443/b"));
	assert_false(http_url_same_origin("https://ebok.example.pl/a", "http://ebok.example.pl/a"));
	assert_false(http_url_same_origin("https://ebok.example.pl/", "https://ebok.example.pl:8443/"));
	assert_false(http_url_same_origin("https://ebok.example.pl/", "https://ebok.example.pl.evil/"));
	assert_false(http_url_same_origin("https://127.0.0.1:1/", "https://localhost:1/"));
	assert_false(http_url_same_origin("not a url", "https://a/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_same_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
