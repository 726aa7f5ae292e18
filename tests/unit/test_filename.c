/* Unit tests for formats/filename: RFC 2231, RFC 2047 and 8-bit attachment names. */
#include "testutil.h"

#include "formats/filename.h"

#define P(n, v) {n, v}

static void expect_name(const struct mime_param *disp, size_t nd, const struct mime_param *ct,
			size_t nc, const char *want)
{
	char *got = mime_part_filename(disp, nd, ct, nc);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_rfc2231(void **state)
{
	(void)state;
	struct mime_param a[] = {P("filename*", "utf-8''Faktura%20%C5%BC.pdf")};
	expect_name(a, 1, NULL, 0, "Faktura ż.pdf");
	/* continuations, out of order, charset on the first, mixed encoded/plain segments */
	struct mime_param b[] = {P("filename*1", ".pdf"), P("filename*0*", "iso-8859-2'pl'%B3%F3d%BC"),
				 P("size", "3")};
	expect_name(b, 3, NULL, 0, "łódź.pdf");
	struct mime_param c[] = {P("FILENAME*0*", "windows-1250''Faktura%20"),
				 P("Filename*1*", "%9Fr%F3d%B3o"), P("filename*2", ".pdf")};
	expect_name(c, 3, NULL, 0, "Faktura źródło.pdf");
	/* the extended form wins over the plain one */
	struct mime_param d[] = {P("filename", "fallback.pdf"), P("filename*", "utf-8''%C5%82.pdf")};
	expect_name(d, 2, NULL, 0, "ł.pdf");
	/* a gap ends the continuation; an unknown charset falls back to a guess */
	struct mime_param e[] = {P("filename*0", "a"), P("filename*2", "c")};
	expect_name(e, 2, NULL, 0, "a");
	struct mime_param f[] = {P("filename*", "x-unknown''%B3.pdf")};
	expect_name(f, 1, NULL, 0, "ł.pdf");
	/* bad percent escapes pass through; no charset quotes at all */
	struct mime_param g[] = {P("filename*", "%zz%4.pdf")};
	expect_name(g, 1, NULL, 0, "%zz%4.pdf");
	/* "%00" keeps the text after it: the NUL becomes '_' (also in a continuation) */
	struct mime_param nul[] = {P("filename*", "utf-8''faktura%00z%C5%82o%00.pdf")};
	expect_name(nul, 1, NULL, 0, "faktura_zło_.pdf");
	struct mime_param nul2[] = {P("filename*0*", "utf-8''a%00"), P("filename*1*", "%00b.pdf")};
	expect_name(nul2, 2, NULL, 0, "a__b.pdf");
	/* names that only look like continuations are ignored */
	struct mime_param h[] = {P("filename*00", "x"), P("filename*1x", "y"), P("filename*99", "z")};
	expect_name(h, 3, NULL, 0, NULL);
}

static void test_rfc2047_and_fallbacks(void **state)
{
	(void)state;
	struct mime_param a[] = {P("filename", "=?UTF-8?Q?Faktura_=C5=BC.pdf?=")};
	expect_name(a, 1, NULL, 0, "Faktura ż.pdf");
	struct mime_param b[] = {P("name", "=?windows-1250?Q?Faktura_=B3=F3d=9F.pdf?=")};
	expect_name(NULL, 0, b, 1, "Faktura łódź.pdf");
	struct mime_param c[] = {P("name", "=?utf-8?B?xbzDs8WCdy5wZGY=?=")};
	expect_name(NULL, 0, c, 1, "żółw.pdf");
	/* raw 8-bit: UTF-8 kept, else Windows-1250 */
	struct mime_param d[] = {P("filename", "\xb3\xf3\x64\x9f.pdf")};
	expect_name(d, 1, NULL, 0, "łódź.pdf");
	struct mime_param e[] = {P("filename", "zażółć.pdf")};
	expect_name(e, 1, NULL, 0, "zażółć.pdf");
	/* disposition first, then Content-Type name; empty names do not count */
	struct mime_param f[] = {P("filename", "")};
	struct mime_param g[] = {P("name", "ct.pdf")};
	expect_name(f, 1, g, 1, "ct.pdf");
	expect_name(NULL, 0, NULL, 0, NULL);
	/* broken encoded words do not fail */
	struct mime_param i[] = {P("filename", "=?utf-8?Q?unterminated")};
	char *s = mime_part_filename(i, 1, NULL, 0);
	assert_non_null(s);
	free(s);
}

static void test_header_decode(void **state)
{
	(void)state;
	char *s = mime_header_decode("=?UTF-8?Q?Rozliczenie_zu=C5=BCycia?= za =?iso-8859-2?Q?pa=BCdziernik?=");
	assert_string_equal(s, "Rozliczenie zużycia za październik");
	free(s);
	s = mime_header_decode("Op\xb3\x61ty");
	assert_string_equal(s, "Opłaty");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_rfc2047_and_fallbacks),
		cmocka_unit_test(test_header_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
