/* The sidecar's one owner (core/sidecar.h): what it builds, and that the builder and the
 * field checks of `goniec check` read the same list. */
#include "testutil.h"
#include "core/sidecar.h"

static void test_build_fields(void **state)
{
	(void)state;
	json_t *enriched = json_pack("{s:{s:s, s:i}, s:s, s:i}", "statement", "account",
				     "PL61109010140000071219812874", "opening_balance", 1250,
				     "duplicate_of", "2026/11/02/ksef/FV_1.xml", "bogus", 1);
	json_t *extra = json_pack("{s:b, s:s, s:s}", "unmapped", 1, "kind", "not this",
				  "nonsense", "x");
	const struct sidecar_doc d = {
		.file = "wyciag.sta", .sha256 = "ab", .size = 42, .type = "mt940",
		.kind = "statement", .source_name = "bank-files", .source_type = "folder",
		.fetched_at = "2026-11-21T05:00:03+01:00", .duplicate_of = "2026/11/01/x/y.sta",
		.quarantine_reason = NULL, .enriched = enriched, .extra = extra,
	};
	json_t *j = sidecar_build(&d);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), SIDECAR_SCHEMA);
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 42);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "source"), "name")),
			    "bank-files");
	assert_true(json_is_object(json_object_get(j, "origin")));
	assert_null(json_object_get(j, "quarantine"));
	/* an enricher's member overrides, a source's extra only fills in */
	assert_string_equal(json_string_value(json_object_get(j, "duplicate_of")),
			    "2026/11/02/ksef/FV_1.xml");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "statement");
	assert_true(json_is_true(json_object_get(j, "unmapped")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "statement"),
							    "opening_balance")), 1250);
	/* members that are no field are left out */
	assert_null(json_object_get(j, "bogus"));
	assert_null(json_object_get(j, "nonsense"));
	json_decref(j);
	json_decref(enriched);
	json_decref(extra);
}

static void test_quarantine_member(void **state)
{
	(void)state;
	const struct sidecar_doc d = {.file = "x.pdf", .quarantine_reason = "truncated PDF",
				      .content_kept = true};
	json_t *j = sidecar_build(&d);
	json_t *q = json_object_get(j, "quarantine");
	assert_string_equal(json_string_value(json_object_get(q, "reason")), "truncated PDF");
	assert_true(json_is_true(json_object_get(q, "content_kept")));
	json_decref(j);
}

/* What the builder writes, `goniec check` knows: every path of a built sidecar is a field. */
static void check_paths(const json_t *node, const char *prefix)
{
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)node, key, val) {
		char *path = *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
		if (!sidecar_field_known(path))
			fail_msg("built member %s is unknown to sidecar_field_known()", path);
		if (json_is_object(val))
			check_paths(val, path);
		free(path);
	}
}

static void test_built_is_known(void **state)
{
	(void)state;
	json_t *invoice = json_pack("{s:s, s:{s:s, s:s}}", "number", "FV/1", "period", "from",
				    "2026-10-01", "to", "2026-10-31");
	json_t *origin = json_pack("{s:{s:s}}", "imap", "folder", "INBOX");
	json_t *extra = json_pack("{s:b, s:s}", "unmapped", 1, "point_name", "ul. Długa 1");
	const struct sidecar_doc d = {
		.file = "x.pdf", .sha256 = "ab", .type = "pdf", .kind = "invoice", .company = "acme",
		.source_name = "s", .source_type = "portal", .point = "p", .property = "17",
		.fetched_at = "t", .original_name = "x.pdf", .origin = origin, .invoice = invoice,
		.duplicate_of = "d", .quarantine_reason = "r", .extra = extra,
	};
	json_t *j = sidecar_build(&d);
	check_paths(j, "");
	json_decref(j);
	json_decref(invoice);
	json_decref(origin);
	json_decref(extra);
	assert_true(sidecar_field_known("statement.closing_balance"));
	assert_true(sidecar_field_known("stem"));
	assert_false(sidecar_field_known("invoice.numer"));
	assert_string_equal(sidecar_field_suggest("invoice.numer"), "invoice.number");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_fields),
		cmocka_unit_test(test_quarantine_member),
		cmocka_unit_test(test_built_is_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
