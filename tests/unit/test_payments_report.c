/* test_payments_report — the payments report's HTML page (payments/report.h): every text
 * escaped, and each table cut at PAYMENTS_HTML_ROWS rows with a line saying how many more
 * there are, so that a big run gives a page a person can open. */
#include "testutil.h"

#include <string.h>

#include "payments/report.h"

/* How many times needle stands in hay. */
static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A goniec.payments/1 document with n matches, n transactions left and n overdue invoices. */
static json_t *document(size_t n)
{
	json_t *matched = json_array(), *left = json_array(), *open = json_array();
	for (size_t i = 0; i < n; i++) {
		char number[32];
		snprintf(number, sizeof(number), "FV %zu/2026", i + 1);
		json_array_append_new(matched, json_pack("{s:{s:s,s:s,s:s,s:s},s:[{s:s,s:s,s:s}],s:s,s:s,s:s}",
			"transaction", "date", "2026-03-05", "amount", "10.00", "currency", "PLN", "title", number,
			"invoices", "number", number, "paid", "10.00", "currency", "PLN", "rule", "number",
			"certainty", "certain", "reason", "named"));
		json_array_append_new(left, json_pack("{s:{s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:[]}", "transaction",
			"ref", "0123456789", "date", "2026-03-06", "amount", "1.00", "currency", "PLN", "title",
			"<b>zwrot</b>", "state", "unmatched", "reason", "nothing found", "candidates"));
		json_array_append_new(open, json_pack("{s:s,s:s,s:s,s:s,s:I}", "number", number, "direction",
			"sales", "open", "10.00", "currency", "PLN", "overdue_days", (json_int_t)3));
	}
	return json_pack("{s:s,s:s,s:o,s:o,s:o}", "schema", "goniec.payments/1", "company", "acme", "matched",
			 matched, "unmatched", left, "open_invoices", open);
}

static void test_small_report_whole(void **state)
{
	(void)state;
	json_t *doc = document(3);
	char *html = payments_html(doc);
	assert_int_equal(occurrences(html, ">FV 2/2026<"), 2); /* the title, the overdue invoice */
	assert_null(strstr(html, "more, not shown"));
	assert_null(strstr(html, "<b>zwrot"));
	assert_non_null(strstr(html, "&lt;b&gt;zwrot"));
	free(html);
	json_decref(doc);
}

static void test_big_report_cut(void **state)
{
	(void)state;
	json_t *doc = document(PAYMENTS_HTML_ROWS + 7);
	char *html = payments_html(doc);
	char last[32], first_cut[32];
	snprintf(last, sizeof(last), ">FV %d/2026<", PAYMENTS_HTML_ROWS);
	snprintf(first_cut, sizeof(first_cut), ">FV %d/2026<", PAYMENTS_HTML_ROWS + 1);
	assert_int_equal(occurrences(html, last), 2);
	assert_int_equal(occurrences(html, first_cut), 0);
	assert_int_equal(occurrences(html, "... and 7 more, not shown on this page"), 3);
	assert_int_equal(occurrences(html, "&lt;b&gt;zwrot"), PAYMENTS_HTML_ROWS);
	free(html);
	char *csv = payments_csv(doc); /* the CSV has every match */
	assert_int_equal(occurrences(csv, "\n"), PAYMENTS_HTML_ROWS + 7 + 1);
	free(csv);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_report_whole),
		cmocka_unit_test(test_big_report_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
