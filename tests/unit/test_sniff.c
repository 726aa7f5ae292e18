/* Unit tests of type detection by content. */
#include "testutil.h"
#include "core/sniff.h"

static struct sniff_result sniff_str(const char *s)
{
	size_t n = strlen(s);
	return sniff_type((const unsigned char *)s, n, (const unsigned char *)s, n, n);
}

static void test_types(void **state)
{
	(void)state;
	assert_string_equal(sniff_str("%PDF-1.7\n...%%EOF\n").type, "pdf");
	assert_string_equal(sniff_str("garbage before %PDF-1.4 ...").type, "pdf");
	assert_string_equal(sniff_str("<?xml version=\"1.0\"?><Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\">").kind, "invoice");
	struct sniff_result camt = sniff_str("\xEF\xBB\xBF<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">");
	assert_string_equal(camt.type, "camt");
	assert_string_equal(camt.kind, "statement");
	assert_string_equal(sniff_str("<?xml version=\"1.0\"?><root/>").type, "xml");
	assert_string_equal(sniff_str("<!DOCTYPE html><html><body>Error</body></html>").type, "html");
	assert_string_equal(sniff_str("  <HTML><body>Session expired").type, "html");
	assert_string_equal(sniff_str(":20:STARTUMS\r\n:25:PL12345678901234567890123456\r\n:28C:1/1\r\n:60F:C261120PLN1000,00\r\n").type, "mt940");
	/* mBank frames its MT940 in SOH ... ETX; other control bytes stay unknown */
	assert_string_equal(sniff_str("\x01\n:20:ST071023CYC/1\n:25:PL46114010100000579009004001\n:28C:11/1\n:60F:C071023PLN1,00\n-\x03").type, "mt940");
	assert_string_equal(sniff_str("\x01\nhello\x03").type, "unknown");
	assert_string_equal(sniff_str("\x02\n:20:X\n:25:PL46114010100000579009004001\n:28C:1\n").type, "unknown");
	assert_string_equal(sniff_str("Data;Kwota;Tytul\n2026-11-20;100,00;FV 1/2026\n").type, "csv");
	assert_string_equal(sniff_str("Data;Kwota;Tytul\n\"2026-11-20\";\"100,00\";\"FV 1/2026; FV 2/2026\"\n").type, "csv");
	assert_string_equal(sniff_str("Data;Kwota;Tytul\n").type, "csv");
	assert_string_equal(sniff_str("just some words\n").type, "text");
	assert_string_equal(sniff_str("just; some words\n").type, "text");
	struct sniff_result tj = sniff_str("{\n \"schema\": \"goniec.transactions/1\",\n \"statements\": []}\n");
	assert_string_equal(tj.type, "transactions");
	assert_string_equal(tj.kind, "statement");
	assert_string_equal(sniff_extension("transactions"), ".json");
	assert_string_equal(sniff_str("{\"schema\": \"goniec.document/1\"}").type, "text");
	assert_string_equal(sniff_str("\xFF\xD8\xFF\xE0JFIF").type, "jpeg");
	assert_string_equal(sniff_str("PK\x03\x04rest").type, "zip");
	assert_string_equal(sniff_type(NULL, 0, NULL, 0, 0).type, "empty");
	const unsigned char bin[] = {0x00, 0x01, 0x02, 0x7f, 0x80};
	assert_string_equal(sniff_type(bin, 5, bin, 5, 5).type, "unknown");
}

static void test_problems(void **state)
{
	(void)state;
	const char *whole = "%PDF-1.4\nbody\n%%EOF\n";
	const char *cut = "%PDF-1.4\nbody\nstream xx";
	struct sniff_result r = sniff_str(whole);
	assert_null(sniff_problem(&r, (const unsigned char *)whole, strlen(whole), strlen(whole)));
	r = sniff_str(cut);
	assert_string_equal(sniff_problem(&r, (const unsigned char *)cut, strlen(cut), strlen(cut)),
			    "truncated PDF: no %%EOF marker at its end");
	r = sniff_type(NULL, 0, NULL, 0, 0);
	assert_string_equal(sniff_problem(&r, NULL, 0, 0), "the file is empty");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_problems),
	};
	return cmocka_run_group_tests_name("sniff", tests, NULL, NULL);
}
