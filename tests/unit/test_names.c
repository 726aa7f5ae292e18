/* Unit tests of safe file names from hostile input. */
#include "testutil.h"
#include "core/names.h"

static void expect(const char *in, const char *want)
{
	char *got = sanitize_filename(in, "fallback.pdf");
	if (strcmp(got, want) != 0)
		fail_msg("sanitize(\"%s\") = \"%s\", expected \"%s\"", in, got, want);
	free(got);
}

static void test_hostile_names(void **state)
{
	(void)state;
	expect("faktura.pdf", "faktura.pdf");
	expect("Faktura_VAT_źdźbło_ŻÓŁĆ.pdf", "Faktura_VAT_źdźbło_ŻÓŁĆ.pdf");
	expect("../../etc/passwd", "_.._etc_passwd");
	expect("..", "fallback.pdf");
	expect(".", "fallback.pdf");
	expect("", "fallback.pdf");
	expect(NULL, "fallback.pdf");
	expect("/", "fallback.pdf");
	expect(".bashrc", "bashrc");
	expect("...hidden.pdf", "hidden.pdf");
	expect("-rf.pdf", "rf.pdf");
	expect("a/b\\c.pdf", "a_b_c.pdf");
	expect("line\nbreak\r.pdf", "line_break_.pdf");
	expect("tab\there.pdf", "tab_here.pdf");
	expect("win<>:\"|?*.pdf", "win_______.pdf");
	expect("trailing. . ", "trailing");
	expect("\xff\xfe bad utf8.pdf", "__ bad utf8.pdf");
	expect("overlong\xc0\xaf.pdf", "overlong__.pdf");
	expect("surrogate\xed\xa0\x80.pdf", "surrogate___.pdf");
	expect("invoice\xe2\x80\xae" "FDP.exe", "invoice_FDP.exe"); /* right-to-left override */
	expect("CON", "_CON");
	expect("nul.pdf", "_nul.pdf");
	expect("com1.txt", "_com1.txt");
	expect("console.pdf", "console.pdf");
	expect("\x01\x02\x03", "___");
}

static void test_length_capped_at_utf8_boundary(void **state)
{
	(void)state;
	char in[2000] = "";
	for (int i = 0; i < 300; i++)
		strcat(in, "ż"); /* two bytes each */
	strcat(in, ".pdf");
	char *out = sanitize_filename(in, "x");
	assert_true(strlen(out) <= NAME_MAX_BYTES);
	assert_true(str_ends_with(out, "ż.pdf"));
	free(out);
	char *small = sanitize_filename_max("abcdefghijklmnopqrstuvwxyz.pdf", "x", 20);
	assert_string_equal(small, "abcdefghijklmnop.pdf");
	free(small);
}

static void test_suffix_and_extension(void **state)
{
	(void)state;
	char *s = name_with_suffix("FV-1.pdf", 2);
	assert_string_equal(s, "FV-1-2.pdf");
	free(s);
	s = name_with_suffix("README", 3);
	assert_string_equal(s, "README-3");
	free(s);
	s = name_with_extension("scan", ".pdf");
	assert_string_equal(s, "scan.pdf");
	free(s);
	s = name_with_extension("scan.PDF", ".pdf");
	assert_string_equal(s, "scan.PDF");
	free(s);
}

static void test_wildcards(void **state)
{
	(void)state;
	assert_true(wildcard_match("*@pge.pl", "faktury@PGE.pl"));
	assert_true(wildcard_match("*@*.tauron.pl", "a@e.tauron.pl"));
	assert_false(wildcard_match("*@pge.pl", "x@pge.pl.evil.com"));
	assert_false(wildcard_match("*@pge.pl", "x@notpge.pl.x"));
	assert_true(wildcard_match("*", ""));
	assert_true(wildcard_match("a*b*c", "aXXbYYc"));
	assert_false(wildcard_match("a*b*c", "aXXbYY"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_length_capped_at_utf8_boundary),
		cmocka_unit_test(test_suffix_and_extension),
		cmocka_unit_test(test_wildcards),
	};
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
