/* Unit tests of the forwarder's templates and sidecar field lookup: placeholders, date
 * formats, defaults, missing fields, path safety, hostile values, syntax errors. */
#include "testutil.h"
#include "core/sidecar.h"
#include "core/template.h"

static const char SIDECAR[] =
	"{\"schema\": \"goniec.document/1\", \"file\": \"FV.pdf\", \"kind\": \"invoice\","
	" \"company\": \"acme\", \"size\": 48213,"
	" \"source\": {\"name\": \"acme-energa\", \"type\": \"portal\"},"
	" \"fetched_at\": \"2026-11-21T05:00:03+01:00\","
	" \"origin\": {\"imap\": {\"from\": \"faktury@pge.pl\", \"subject\": \"Faktura\"}},"
	" \"invoice\": {\"number\": \"FV/11/2026/123\", \"issue_date\": \"2026-11-02\","
	"   \"gross\": \"123.45\", \"seller\": {\"name\": \"PGE Obrót\", \"nip\": 5260001}},"
	" \"empty\": \"\", \"flag\": true, \"list\": [1]}";

static json_t *load(const char *text)
{
	json_t *root = NULL;
	struct gerr err;
	assert_int_equal(sidecar_parse(text, strlen(text), &root, &err), 0);
	return root;
}

/* Render text over SIDECAR; *missing (copied: the template is freed here) names the
 * first field without a value. */
static char *render(const char *text, unsigned flags, const char **missing)
{
	struct gerr err;
	struct tmpl *t = tmpl_compile(text, &err);
	if (!t)
		fail_msg("compile %s: %s", text, err.msg);
	json_t *root = load(SIDECAR);
	const char *m;
	char *out = tmpl_render(t, root, "FV-2026.pdf", flags, &m);
	static char copy[64];
	if (missing)
		*missing = m ? strncpy(copy, m, sizeof(copy) - 1) : NULL;
	json_decref(root);
	tmpl_free(t);
	return out;
}

static void expect(const char *text, unsigned flags, const char *want)
{
	char *got = render(text, flags, NULL);
	assert_string_equal(got, want);
	free(got);
}

static void test_fields(void **state)
{
	(void)state;
	expect("{company}/{source}-{invoice.number}.pdf", TMPL_PATH,
	       "acme/acme-energa-FV_11_2026_123.pdf");
	expect("{source.type} {invoice.seller.name} {invoice.seller.nip} {size}", 0,
	       "portal PGE Obrót 5260001 48213");
	expect("{sender} {subject} {file} {stem} {ext}", 0,
	       "faktury@pge.pl Faktura FV-2026.pdf FV-2026 pdf");
	expect("{flag}", 0, "true");
	expect("literal {{braces}} only", 0, "literal {braces} only");
}

static void test_dates(void **state)
{
	(void)state;
	expect("{invoice.issue_date:%Y-%m}", 0, "2026-11");
	expect("{fetched_at:%Y/%m/%d %H.%M}", 0, "2026/11/21 05.00");
	expect("{invoice.issue_date:%j %a}", 0, "306 Mon");
	/* not a date: missing, so the default applies */
	expect("{invoice.number:%Y|nodate}", 0, "nodate");
}

static void test_missing_and_defaults(void **state)
{
	(void)state;
	const char *missing = NULL;
	char *got = render("{company}-{invoice.due_date}-{empty}", 0, &missing);
	assert_string_equal(got, "acme--");
	assert_string_equal(missing, "invoice.due_date");
	free(got);
	expect("{invoice.due_date|brak}-{empty|pusto}-{list|lista}-{invoice|obj}", 0,
	       "brak-pusto-lista-obj");
	got = render("{invoice.due_date|}", 0, &missing);
	assert_null(missing);
	free(got);
}

static void test_hostile_values(void **state)
{
	(void)state;
	const char *hostile = "{\"invoice\": {\"number\": \"../../etc/passwd\\n\\u0001\\\\x\"}}";
	json_t *root = load(hostile);
	struct gerr err;
	struct tmpl *t = tmpl_compile("{invoice.number}", &err);
	const char *missing;
	char *got = tmpl_render(t, root, NULL, TMPL_PATH, &missing);
	assert_string_equal(got, ".._.._etc_passwd  _x");
	free(got);
	got = tmpl_render(t, root, NULL, 0, &missing);
	assert_string_equal(got, "../../etc/passwd  \\x");
	free(got);
	tmpl_free(t);
	json_decref(root);
	/* output is capped */
	char *big = xmalloc(20000 + 64);
	strcpy(big, "{\"a\": \"");
	memset(big + 7, 'x', 20000);
	strcpy(big + 20007, "\"}");
	root = load(big);
	t = tmpl_compile("{a}{a}", &err);
	got = tmpl_render(t, root, NULL, 0, &missing);
	assert_true(strlen(got) <= TMPL_MAX_OUTPUT);
	free(got);
	tmpl_free(t);
	json_decref(root);
	free(big);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {"{", "{company", "x}", "{}", "{a..b}", "{.a}", "{a.}",
					  "{a b}", "{a:}", "{../x}", NULL};
	for (size_t i = 0; bad[i]; i++) {
		struct gerr err;
		struct tmpl *t = tmpl_compile(bad[i], &err);
		if (t)
			fail_msg("'%s' compiled", bad[i]);
		assert_non_null(strstr(err.msg, "column"));
	}
}

/* One syntax everywhere: the url format, {year} for move_to, recipes' old spellings. */
static void test_one_syntax(void **state)
{
	(void)state;
	struct gerr err;
	const char *missing;
	struct tmpl *t = tmpl_compile("{company:url}/{file}", &err);
	assert_non_null(t);
	json_t *j = json_pack("{s:s}", "company", "ACME & syn");
	char *out = tmpl_render(t, j, "a b.pdf", 0, &missing);
	assert_string_equal(out, "ACME%20%26%20syn/a b.pdf");
	free(out);
	tmpl_free(t);
	json_decref(j);
	assert_null(tmpl_compile("{company:upper}", &err)); /* a format is a date or url */
	/* move_to: {year}, four digits, and nothing else */
	struct tm tm = {.tm_year = 126, .tm_mon = 5, .tm_mday = 1, .tm_hour = 12, .tm_isdst = -1};
	time_t y0026 = mktime(&tm);
	out = tmpl_expand_date("eksiegowy{year}", y0026, &err);
	assert_string_equal(out, "eksiegowy2026");
	free(out);
	struct tm old_tm = {.tm_year = 999 - 1900, .tm_mon = 5, .tm_mday = 1, .tm_hour = 12,
			    .tm_isdst = -1};
	out = tmpl_expand_date("{year}", mktime(&old_tm), &err);
	assert_string_equal(out, "0999"); /* one expansion, four digits (imap wrote "999") */
	free(out);
	assert_null(tmpl_expand_date("x{month}", y0026, &err));
	assert_non_null(strstr(err.msg, "{month} is unknown here: the only placeholder is {year}"));
	assert_null(tmpl_expand_date("x{year", y0026, &err));
	/* recipes: the old spellings work and are counted; today's too */
	t = tmpl_compile_flags("Bearer {{ token }}/{{id|url}}/{x}", TMPL_OLD_BRACES, &err);
	assert_non_null(t);
	assert_int_equal(tmpl_old_spellings(t), 2);
	tmpl_free(t);
	t = tmpl_compile("{{token}}", &err); /* elsewhere "{{" is a literal brace */
	assert_non_null(t);
	assert_int_equal(tmpl_old_spellings(t), 0);
	out = tmpl_render(t, NULL, NULL, 0, &missing);
	assert_string_equal(out, "{token}");
	free(out);
	tmpl_free(t);
}

static void test_known_fields(void **state)
{
	(void)state;
	assert_true(sidecar_field_known("invoice.issue_date"));
	assert_true(sidecar_field_known("origin.imap.from"));
	assert_true(sidecar_field_known("source"));
	assert_false(sidecar_field_known("invoice.numer"));
	assert_false(sidecar_field_known("origin."));
	assert_string_equal(sidecar_field_suggest("invoice.numer"), "invoice.number");
}

static void test_sidecar_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "[]", "\"x\"", "{\"a\": 1, \"a\": 2}", "{", NULL};
	for (size_t i = 0; bad[i]; i++) {
		json_t *root = NULL;
		struct gerr err;
		assert_int_equal(sidecar_parse(bad[i], strlen(bad[i]), &root, &err), -1);
		assert_null(root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_one_syntax),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_missing_and_defaults),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_known_fields),
		cmocka_unit_test(test_sidecar_parse_rejects),
	};
	return cmocka_run_group_tests_name("fwd_template", tests, NULL, NULL);
}
