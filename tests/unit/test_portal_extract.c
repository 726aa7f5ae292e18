/* Unit tests of the portal extraction layer: XPath over (broken) HTML, the JSONPath
 * subset, regexes, Polish amounts and dates, templates — and hostile pages. */
#include "testutil.h"
#include "sources/portal/extract.h"
#include "sources/portal/vars.h"

static const char *const table_html =
	"<html><body><table id=inv>"
	"<tr class=row><td class=n>FV/1/2026</td><td class=a>1 234,56 zł</td>"
	"<td><a href='/pdf/1'>PDF</a></td></tr>"
	"<tr class=row><td class=n>FV/2/2026</td><td class=a>-12,5 PLN</td>"
	"<td><a href='/pdf/2'>PDF</a></td></tr>"
	"</table><form><input type=hidden name=csrf value=abc></form>"
	"<p>  many   spaces\n here </p></body></html>";

static void values(struct ex_page *p, enum ex_kind k, const char *expr, struct strlist *out)
{
	struct ex_ctx c = ex_page_ctx(p);
	struct gerr err;
	assert_int_equal(ex_values(&c, k, expr, -1, out, &err), 0);
}

static void test_xpath_values_and_items(void **state)
{
	struct ex_page p;
	struct strlist v = {0};
	struct ex_items items = {0};
	struct ex_ctx c;
	struct gerr err;
	(void)state;
	ex_page_init(&p, table_html, strlen(table_html));
	values(&p, EX_XPATH, "//td[@class='n']", &v);
	assert_int_equal(v.len, 2);
	assert_string_equal(v.items[1], "FV/2/2026");
	strlist_free(&v);
	values(&p, EX_XPATH, "string(//input[@name='csrf']/@value)", &v);
	assert_string_equal(v.items[0], "abc");
	strlist_free(&v);
	values(&p, EX_XPATH, "//p", &v);
	assert_string_equal(v.items[0], "many spaces here");
	strlist_free(&v);
	values(&p, EX_XPATH, "count(//tr)", &v);
	assert_string_equal(v.items[0], "2");
	strlist_free(&v);
	/* fields relative to each row */
	c = ex_page_ctx(&p);
	assert_int_equal(ex_items(&c, EX_XPATH, "//tr[@class='row']", -1, &items, &err), 0);
	assert_int_equal(items.len, 2);
	assert_int_equal(ex_values(&items.items[1], EX_XPATH, "td/a/@href", -1, &v, &err), 0);
	assert_string_equal(v.items[0], "/pdf/2");
	strlist_free(&v);
	/* a regex over one row sees that row's text only */
	assert_int_equal(ex_values(&items.items[0], EX_REGEX, "FV/([0-9]+)", -1, &v, &err), 0);
	assert_int_equal(v.len, 1);
	assert_string_equal(v.items[0], "1");
	strlist_free(&v);
	assert_true(ex_matches(&c, EX_XPATH, "//input[@name='csrf']", -1, &err));
	assert_false(ex_matches(&c, EX_XPATH, "//input[@name='nope']", -1, &err));
	assert_false(ex_matches(&c, EX_XPATH, "count(//tr) > 5", -1, &err));
	ex_items_free(&items);
	ex_page_free(&p);
}

static const char *const api_json =
	"{\"points\":[{\"id\":\"P1\",\"addr\":{\"city\":\"Gdańsk\"},\"kwh\":12.5},"
	"{\"id\":\"P2\",\"addr\":{\"city\":\"Sopot\"},\"kwh\":7,\"active\":false}],"
	"\"next\":null,\"weird key\":{\"x\":1}}";

static void test_jsonpath(void **state)
{
	struct ex_page p;
	struct strlist v = {0};
	struct ex_items items = {0};
	struct ex_ctx c;
	struct gerr err;
	(void)state;
	ex_page_init(&p, api_json, strlen(api_json));
	values(&p, EX_JSONPATH, "$.points[*].id", &v);
	assert_int_equal(v.len, 2);
	assert_string_equal(v.items[1], "P2");
	strlist_free(&v);
	values(&p, EX_JSONPATH, "$.points[-1].addr.city", &v);
	assert_string_equal(v.items[0], "Sopot");
	strlist_free(&v);
	values(&p, EX_JSONPATH, "$..city", &v);
	assert_int_equal(v.len, 2);
	strlist_free(&v);
	values(&p, EX_JSONPATH, "$['weird key'].x", &v);
	assert_string_equal(v.items[0], "1");
	strlist_free(&v);
	values(&p, EX_JSONPATH, "$.points[0].kwh", &v);
	assert_string_equal(v.items[0], "12.5");
	strlist_free(&v);
	values(&p, EX_JSONPATH, "$.next", &v); /* null gives nothing */
	assert_int_equal(v.len, 0);
	values(&p, EX_JSONPATH, "$.points[7].id", &v);
	assert_int_equal(v.len, 0);
	c = ex_page_ctx(&p);
	assert_int_equal(ex_items(&c, EX_JSONPATH, "$.points[*]", -1, &items, &err), 0);
	assert_int_equal(items.len, 2);
	assert_int_equal(ex_values(&items.items[0], EX_JSONPATH, "$.addr.city", -1, &v, &err), 0);
	assert_string_equal(v.items[0], "Gdańsk");
	strlist_free(&v);
	assert_false(ex_matches(&c, EX_JSONPATH, "$.points[1].active", -1, &err));
	assert_true(ex_matches(&c, EX_JSONPATH, "$.points", -1, &err));
	/* XPath on a JSON item is an error, not a crash */
	assert_int_equal(ex_values(&items.items[0], EX_XPATH, "//a", -1, &v, &err), -1);
	assert_non_null(strstr(err.msg, "JSON item"));
	ex_items_free(&items);
	ex_page_free(&p);
}

static void test_expression_checks(void **state)
{
	struct gerr err;
	(void)state;
	assert_int_equal(ex_check(EX_XPATH, "//div[", &err), -1);
	assert_string_equal(err.msg, "bad XPath '//div['");
	assert_int_equal(ex_check(EX_XPATH, "//div[@a='b']/text()", &err), 0);
	assert_int_equal(ex_check(EX_JSONPATH, "points", &err), -1);
	assert_string_equal(err.msg, "bad JSONPath 'points': must start with '$'");
	assert_int_equal(ex_check(EX_JSONPATH, "$.a[?(@.b)]", &err), -1);
	assert_int_equal(ex_check(EX_JSONPATH, "$.a['b", &err), -1);
	assert_int_equal(ex_check(EX_JSONPATH, "$..", &err), -1);
	assert_int_equal(ex_check(EX_JSONPATH, "$.a[*].b['c d'][-2]..e", &err), 0);
	assert_int_equal(ex_check(EX_REGEX, "([0-9]+", &err), -1);
	assert_non_null(strstr(err.msg, "bad regex '([0-9]+'"));
	assert_int_equal(ex_check(EX_REGEX, "a(b)c", &err), 0);
	assert_int_equal(ex_check(EX_REGEX, "$.++++++++++++++++++++++++++++.a", &err), -1);
	assert_string_equal(err.msg, "bad regex '$.++++++++++++++++++++++++++++.a': repetition of a repetition");
	assert_int_equal(ex_check(EX_REGEX, "a\\++b{2}", &err), 0);
	/* Repetitions multiply through groups too (core/regexcost.h). */
	assert_int_equal(ex_check(EX_REGEX, "((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",
				  &err), -1);
	assert_non_null(strstr(err.msg, "repetition of a repetition"));
	assert_int_equal(ex_check(EX_REGEX, "(a{50}){50}(b{50}){50}", &err), -1);
	assert_int_equal(ex_check(EX_REGEX, "([0-9]{2}-){3}([0-9]+)", &err), 0);
}

static void test_not_json_not_html(void **state)
{
	struct ex_page p;
	struct strlist v = {0};
	struct ex_ctx c;
	struct gerr err;
	(void)state;
	ex_page_init(&p, "<html>not json</html>", 21);
	c = ex_page_ctx(&p);
	assert_int_equal(ex_values(&c, EX_JSONPATH, "$.a", -1, &v, &err), -1);
	assert_string_equal(err.msg, "page is not JSON (line 1, column 1)");
	ex_page_free(&p);
	ex_page_init(&p, "", 0);
	c = ex_page_ctx(&p);
	assert_int_equal(ex_values(&c, EX_XPATH, "//a", -1, &v, &err), -1);
	assert_string_equal(err.msg, "page is empty or not HTML");
	ex_page_free(&p);
}

static void test_amounts(void **state)
{
	static const struct { const char *in, *out, *cur; } ok[] = {
		{"1 234,56 zł", "1234.56", "PLN"}, {"1\xc2\xa0" "234,56\xc2\xa0zł", "1234.56", "PLN"},
		{"1.234,56 PLN", "1234.56", "PLN"}, {"1234.56", "1234.56", NULL},
		{"12,5", "12.50", NULL}, {"-7,00 zł", "-7.00", "PLN"}, {"100", "100.00", NULL},
		{"PLN 99,99", "99.99", "PLN"}, {"1.234.567,89 zł", "1234567.89", "PLN"},
		{"15 EUR", "15.00", "EUR"}, {" 3\xe2\x80\xaf" "000,00 zl.", "3000.00", "PLN"},
	};
	static const char *const bad[] = {
		"", "zł", "abc", "1,2,3", "12,34 zł extra", "1 234,56 zł zł", "--5",
		"1234567890123456789012345678901234567890",
	};
	char out[32];
	const char *cur;
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		cur = "x";
		assert_int_equal(ex_parse_amount(ok[i].in, out, &cur), 0);
		assert_string_equal(out, ok[i].out);
		if (ok[i].cur)
			assert_string_equal(cur, ok[i].cur);
		else
			assert_null(cur);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(ex_parse_amount(bad[i], out, &cur), -1);
}

static void test_dates(void **state)
{
	char out[11];
	(void)state;
	assert_int_equal(ex_parse_date("02.11.2026", NULL, out), 0);
	assert_string_equal(out, "2026-11-02");
	assert_int_equal(ex_parse_date("2026-11-02T00:00:00Z", NULL, out), 0);
	assert_string_equal(out, "2026-11-02");
	assert_int_equal(ex_parse_date("16/11/2026", NULL, out), 0);
	assert_string_equal(out, "2026-11-16");
	assert_int_equal(ex_parse_date("11/2026", "%m/%Y", out), 0);
	assert_string_equal(out, "2026-11-01");
	assert_int_equal(ex_parse_date("30.02.2026", NULL, out), -1);
	assert_int_equal(ex_parse_date("2026-13-01", NULL, out), -1);
	assert_int_equal(ex_parse_date("02.11.2026 extra", NULL, out), -1);
	assert_int_equal(ex_parse_date("", NULL, out), -1);
}

static void test_templates(void **state)
{
	struct vars vs = {0};
	struct strlist names = {0};
	struct gerr err;
	char *out;
	(void)state;
	vars_set(&vs, "login", "jan kowalski", 0);
	vars_set(&vs, "point.id", "P/1", 0);
	vars_set(&vs, "password", "s3cret", VAR_SECRET);
	assert_int_equal(vars_expand("u={{login|url}}&p={{ point.id }}", &vs, &out, &err), 0);
	assert_string_equal(out, "u=jan%20kowalski&p=P/1");
	free(out);
	assert_int_equal(vars_expand("{{nope}}", &vs, &out, &err), -1);
	assert_string_equal(err.msg, "variable 'nope' has no value");
	assert_int_equal(vars_expand("{{login", &vs, &out, &err), -1);
	assert_int_equal(vars_expand("{{login|upper}}", &vs, &out, &err), -1);
	assert_int_equal(vars_expand("{{a b}}", &vs, &out, &err), -1);
	size_t old = 0;
	assert_int_equal(vars_names("{{a}}-{{b.c|url}}", &names, &old, &err), 0);
	assert_int_equal(names.len, 2);
	assert_string_equal(names.items[1], "b.c");
	assert_int_equal(old, 2);
	strlist_free(&names);
	/* the one syntax: the same, with no old spelling; a lone '{' now opens a placeholder */
	old = 0;
	assert_int_equal(vars_names("{a}-{b.c:url}", &names, &old, &err), 0);
	assert_int_equal(names.len, 2);
	assert_int_equal(old, 0);
	strlist_free(&names);
	assert_int_equal(vars_expand("u={login:url}&p={point.id}", &vs, &out, &err), 0);
	assert_string_equal(out, "u=jan%20kowalski&p=P/1");
	free(out);
	/* in a recipe a brace that opens no placeholder is literal: a JSON body keeps working */
	assert_int_equal(vars_expand("{\"u\": \"{login}\", \"x\": {login:upper}}", &vs, &out, &err), 0);
	assert_string_equal(out, "{\"u\": \"jan kowalski\", \"x\": {login:upper}}");
	free(out);
	vars_unset_record(&vs, "point");
	assert_null(vars_get(&vs, "point.id"));
	assert_string_equal(vars_get(&vs, "login"), "jan kowalski");
	vars_free(&vs);
}

/* Hostile pages: deep nesting, huge attribute counts, binary junk. Nothing may crash. */
static void test_hostile_pages(void **state)
{
	struct buf b = {0};
	struct ex_page p;
	struct strlist v = {0};
	struct ex_ctx c;
	struct gerr err;
	(void)state;
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "<div>");
	buf_puts(&b, "x");
	ex_page_init(&p, b.data, b.len);
	c = ex_page_ctx(&p);
	ex_values(&c, EX_XPATH, "//div[last()]", -1, &v, &err);
	strlist_free(&v);
	ex_page_free(&p);
	buf_free(&b);
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "[");
	ex_page_init(&p, b.data, b.len);
	c = ex_page_ctx(&p);
	assert_int_equal(ex_values(&c, EX_JSONPATH, "$..a", -1, &v, &err), -1);
	ex_page_free(&p);
	buf_free(&b);
	{
		static const char junk[] = "\x00\xff\xfe<a href='\x01'>\x00</a>{\"a\":";
		ex_page_init(&p, junk, sizeof(junk) - 1);
		c = ex_page_ctx(&p);
		ex_values(&c, EX_XPATH, "//a/@href", -1, &v, &err);
		strlist_free(&v);
		ex_values(&c, EX_REGEX, "a*", -1, &v, &err); /* empty matches terminate */
		strlist_free(&v);
		ex_page_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xpath_values_and_items),
		cmocka_unit_test(test_jsonpath),
		cmocka_unit_test(test_expression_checks),
		cmocka_unit_test(test_not_json_not_html),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_hostile_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
