/* Unit tests of identifiers (NIP, IBAN/NRB) and amounts in minor units. */
#include "testutil.h"
#include "core/idnum.h"
#include "core/money.h"

static void test_nip(void **state)
{
	(void)state;
	char out[NIP_LEN + 1];
	assert_true(nip_normalise("PL 526-025-09-95", out));
	assert_string_equal(out, "5260250995");
	assert_true(nip_valid(out));
	assert_true(nip_normalise("pl5260250995", out));
	assert_true(nip_normalise(" 526 025 09 95", out));
	assert_true(nip_valid("7251801126"));
	assert_false(nip_valid("5260250994"));     /* wrong check digit */
	assert_false(nip_valid("1234567890"));     /* sum mod 11 == 10 is never valid */
	assert_false(nip_valid("526025099"));
	assert_false(nip_valid("526025099x"));
	assert_false(nip_normalise("526025099", out));
	assert_false(nip_normalise("52602509951", out));
	assert_false(nip_normalise("526.025.09.95", out));
	assert_false(nip_normalise("", out));
}

static void test_accounts(void **state)
{
	(void)state;
	char out[IBAN_MAX_LEN + 1];
	assert_true(account_normalise("61 1090 1014 0000 0712 1981 2874", out));
	assert_string_equal(out, "PL61109010140000071219812874");
	assert_true(iban_valid(out));
	assert_true(account_normalise("IBAN pl61-1090-1014-0000-0712-1981-2874", out));
	assert_string_equal(out, "PL61109010140000071219812874");
	assert_false(iban_valid("PL62109010140000071219812874"));   /* one digit off */
	assert_false(iban_valid("PL6110901014000007121981287"));    /* a digit short */
	assert_true(iban_valid("DE89370400440532013000"));
	assert_true(iban_valid("GB82WEST12345698765432"));
	assert_true(iban_valid("NL91ABNA0417164300"));
	assert_false(iban_valid("gb82WEST12345698765432"));         /* compact form is upper case */
	assert_false(account_normalise("PL61/1090", out));
	assert_false(account_normalise("12345", out));
	assert_false(account_normalise("1234567890123456789012345678901234567", out));
}

static void expect_amount(const char *text, char decimal, int exponent, int64_t want)
{
	struct gerr err = {0};
	int64_t got = 0;
	if (money_parse(text, decimal, exponent, &got, &err) < 0)
		fail_msg("money_parse(\"%s\") failed: %s", text, err.msg);
	if (got != want)
		fail_msg("money_parse(\"%s\") = %lld, expected %lld", text, (long long)got, (long long)want);
}

static void expect_refused(const char *text, char decimal, int exponent, const char *why)
{
	struct gerr err = {0};
	int64_t got = 0;
	if (money_parse(text, decimal, exponent, &got, &err) == 0)
		fail_msg("money_parse(\"%s\") took %lld", text, (long long)got);
	if (!strstr(err.msg, why))
		fail_msg("money_parse(\"%s\"): \"%s\" does not say \"%s\"", text, err.msg, why);
}

static void test_money_parse(void **state)
{
	(void)state;
	expect_amount("959,45", ',', 2, 95945);
	expect_amount("1000,", ',', 2, 100000);
	expect_amount(",5", ',', 2, 50);
	expect_amount("-1 788,32", ',', 2, -178832);
	expect_amount("1\xc2\xa0" "234,56", ',', 2, 123456);
	expect_amount("1\xe2\x80\xaf" "234,56", ',', 2, 123456);
	expect_amount("1.234.567,89", ',', 2, 123456789);
	expect_amount("1234.56", '.', 2, 123456);
	expect_amount("1,234.56", '.', 2, 123456);
	expect_amount("+3.99", '.', 2, 399);
	expect_amount("-48.78", '.', 2, -4878);
	expect_amount("48.78-", '.', 2, -4878);
	expect_amount("  12.5 ", '.', 2, 1250);
	expect_amount("12.34000", '.', 2, 1234);
	expect_amount("0.00", '.', 2, 0);
	expect_amount("1500", '.', 0, 1500);
	expect_amount("1.250", '.', 3, 1250);
	expect_amount("999999999999999999", '.', 0, 999999999999999999LL);
	expect_amount("0000000000000000000001.00", '.', 2, 100);
	expect_refused("12.34567", '.', 2, "decimal places");
	expect_refused("", '.', 2, "not an amount");
	expect_refused("-", '.', 2, "not an amount");
	expect_refused("12a", '.', 2, "unexpected");
	expect_refused("1,2345.6", '.', 2, "unexpected");
	expect_refused("1 23,00", ',', 2, "unexpected");
	expect_refused("12.50", ',', 2, "unexpected");
	expect_refused("-5-", '.', 2, "unexpected");
	/* what is unexpected is shown in whole characters: "\xff" six times in CP1250 */
	expect_refused("1.00\"\xcb\x99\xcb\x99\xcb\x99\xcb\x99\xcb\x99\xcb\x99", '.', 2,
		       "(unexpected \"\"\xcb\x99\xcb\x99\xcb\x99\")");
	expect_refused("12345678901234567890", '.', 2, "too many digits");
	expect_refused("99999999999999999.00", '.', 2, "too many digits");
}

static void test_money_format(void **state)
{
	(void)state;
	char out[MONEY_TEXT_MAX];
	money_format(-178832, 2, out);
	assert_string_equal(out, "-1788.32");
	money_format(5, 2, out);
	assert_string_equal(out, "0.05");
	money_format(0, 2, out);
	assert_string_equal(out, "0.00");
	money_format(1500, 0, out);
	assert_string_equal(out, "1500");
	money_format(INT64_MIN, 2, out);
	assert_string_equal(out, "-92233720368547758.08");
	assert_int_equal(currency_exponent("PLN"), 2);
	assert_int_equal(currency_exponent("jpy"), 0);
	assert_int_equal(currency_exponent("KWD"), 3);
	assert_int_equal(currency_exponent("XYZ"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nip),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_money_parse),
		cmocka_unit_test(test_money_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
