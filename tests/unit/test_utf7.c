/* Unit tests for formats/utf7 and formats/charset. */
#include "testutil.h"

#include "core/utf8.h"
#include "formats/charset.h"
#include "formats/utf7.h"

static void check_roundtrip(const char *utf8, const char *mutf7)
{
	char *e = imap_utf7_encode(utf8);
	assert_non_null(e);
	assert_string_equal(e, mutf7);
	char *d = imap_utf7_decode(mutf7);
	assert_non_null(d);
	assert_string_equal(d, utf8);
	free(e);
	free(d);
}

static void test_known_names(void **state)
{
	(void)state;
	check_roundtrip("INBOX", "INBOX");
	check_roundtrip("Wysłane", "Wys&AUI-ane");
	check_roundtrip("Kosz & śmieci", "Kosz &- &AVs-mieci");
	check_roundtrip("Faktury źródłowe", "Faktury &AXo-r&APM-d&AUI-owe");
	check_roundtrip("日本語", "&ZeVnLIqe-");
	check_roundtrip("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	check_roundtrip("😀", "&2D3eAA-");
	check_roundtrip("", "");
}

static void test_invalid_modified_utf7(void **state)
{
	(void)state;
	const char *bad[] = {
		"&", "abc&AUI", "&AUI-&", "&!!-", "&AGE-" /* encodes 'a' */, "&2D0-" /* lone high */,
		"&3gA-" /* lone low */, "a\x01", "\xc5\x82", "&AUIA-" /* nonzero padding */,
		"&AUI-&AWI-" /* two runs in a row */, "&AAA-" /* NUL */,
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *d = imap_utf7_decode(bad[i]);
		if (d)
			fail_msg("decoded invalid '%s' as '%s'", bad[i], d);
	}
	assert_null(imap_utf7_encode("\xc5"));
	assert_null(imap_utf7_encode("\xed\xa0\x80")); /* surrogate in UTF-8 */
}

static void test_charset(void **state)
{
	(void)state;
	assert_true(utf8_valid("zażółć", strlen("zażółć")));
	assert_false(utf8_valid("\xc0\xaf", 2)); /* overlong '/' */
	assert_false(utf8_valid("\xe2\x82", 2));  /* truncated */
	char *s = charset_to_utf8("ISO-8859-2", "\xb3\xf3\x64\xbc", 4);
	assert_string_equal(s, "łódź");
	free(s);
	s = charset_to_utf8("windows-1250", "\xb3\xf3\x64\x9f", 4);
	assert_string_equal(s, "łódź");
	free(s);
	assert_null(charset_to_utf8("no-such-charset", "x", 1));
	assert_null(charset_to_utf8("utf-8", "\xff", 1));
	s = charset_guess_to_utf8("\xb3\xf3\x64\x9f", 4);
	assert_string_equal(s, "łódź");
	free(s);
	s = charset_guess_to_utf8("\x81\x83", 2); /* unassigned in Windows-1250 */
	assert_true(utf8_valid(s, strlen(s)));
	free(s);
}

/* UTF-8 into an 8-bit code page: Polish letters written, what the page lacks and broken
 * UTF-8 (cut, overlong, a stray byte) each one '?', counted; an unknown charset -1. */
static void test_to_charset(void **state)
{
	(void)state;
	struct buf b = {0};
	assert_int_equal(utf8_to_charset("WINDOWS-1250", "łódź", strlen("łódź"), &b), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\xb3\xf3\x64\x9f", 4);
	b.len = 0;
	assert_int_equal(utf8_to_charset("ISO-8859-2", "1 € – ą", strlen("1 € – ą"), &b), 2);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "1 ? ? \xb1", 7);
	b.len = 0;
	const char broken[] = "a\xff" "b\xc0\xaf" "c\xc5";
	assert_int_equal(utf8_to_charset("CP852", broken, sizeof broken - 1, &b), 4);
	assert_memory_equal(b.data, "a?b??c?", 7);
	b.len = 0;
	assert_int_equal(utf8_to_charset("no-such-charset", "x", 1, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_invalid_modified_utf7),
		cmocka_unit_test(test_charset),
		cmocka_unit_test(test_to_charset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
