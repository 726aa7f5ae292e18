/* Unit tests of the FA(3) reader and the invoice model's JSON form.
 *
 * Every sample in ../shared/samples/ksef/fa3 is read, and what it yields is compared with
 * what a careful person reads in the file (written out by hand below, field by field).
 * Hostile and broken XML is refused with a message that says why. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "formats/fa3.h"
#include "formats/invoice.h"

#define SAMPLES "../shared/samples/ksef/fa3/"

static char *slurp(const char *path, size_t *len)
{
	struct gerr err;
	char *text = NULL;
	if (read_file(path, 1 << 24, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

/* The sample's `invoice` JSON without "found" (provenance is checked separately). */
static json_t *read_sample(const char *name, struct invoice *inv)
{
	char *path = xasprintf(SAMPLES "%s", name);
	size_t len;
	char *xml = slurp(path, &len);
	struct gerr err = {0};
	if (fa3_read(xml, len, inv, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
	free(xml);
	free(path);
	json_t *j = invoice_to_json(inv);
	json_object_del(j, "found");
	return j;
}

static void expect_reading(const char *name, const char *expected)
{
	struct invoice inv;
	json_t *got = read_sample(name, &inv);
	json_error_t je;
	json_t *want = json_loads(expected, JSON_REJECT_DUPLICATES, &je);
	if (!want)
		fail_msg("expected JSON for %s, line %d: %s", name, je.line, je.text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
		fail_msg("%s read as\n%s\nexpected\n%s", name, g, w);
	}
	json_decref(got);
	json_decref(want);
	invoice_free(&inv);
}

static void test_basic_exempt(void **state)
{
	(void)state;
	/* All sale is exempt (P_13_7), no VAT field at all; PLN although a line carries an
	 * exchange rate; cash; no due date, no account, no sale date (no P_6, no P_6A). */
	expect_reading("ksef-fop-podstawowa-przyklad-1.xml", "{"
		"\"number\": \"llcdpk88gk-2025-06-24\", \"kind\": \"vat\", \"issue_date\": \"2025-11-13\","
		"\"seller\": {\"name\": \"ABC AGD sp. z o. o.\", \"nip\": \"6891152920\","
		"             \"address\": \"ul. Kwiatowa 1\", \"country\": \"PL\"},"
		"\"buyer\": {\"name\": \"CeDeE s.c.\", \"nip\": \"3935777054\","
		"            \"address\": \"ul. Kwiatowa 1\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"net\": \"4001.49\", \"gross\": \"4001.49\","
		"\"rates\": [{\"group\": \"exempt\", \"net\": \"4001.49\"}],"
		"\"payment_form\": \"cash\", \"split_payment\": false}");
}

static void test_euro(void **state)
{
	(void)state;
	/* EUR: VAT 23.00 EUR is 99.36 PLN (P_14_1W), rate 4.3200 from the line; paid in
	 * part (ZnacznikZaplatyCzesciowej 1); no payment form. */
	expect_reading("ksef-fop-podstawowa-przyklad-4-eur.xml", "{"
		"\"number\": \"15/2024\", \"kind\": \"vat\", \"issue_date\": \"2025-12-04\","
		"\"sale_date\": \"2024-10-21\","
		"\"seller\": {\"name\": \"test\", \"nip\": \"5451824119\", \"address\": \"test\", \"country\": \"PL\"},"
		"\"buyer\": {\"name\": \"eestest\", \"nip\": \"1111111111\", \"address\": \"test, test\","
		"            \"country\": \"PL\"},"
		"\"currency\": \"EUR\", \"net\": \"100.00\", \"vat\": \"23.00\", \"gross\": \"123.00\","
		"\"vat_pln\": \"99.36\", \"exchange_rate\": \"4.3200\","
		"\"rates\": [{\"group\": \"standard\", \"net\": \"100.00\", \"vat\": \"23.00\", \"vat_pln\": \"99.36\"}],"
		"\"partly_paid\": true, \"split_payment\": false}");
}

static void test_factor_accounts(void **state)
{
	(void)state;
	/* Two factor's accounts (both fail the IBAN checksum: test numbers); lines sold on
	 * different days (P_6A 2026-02-11 and 2026-02-15), so no one sale date. */
	expect_reading("ksef-fop-podstawowa-rachunek-bankowy-faktora.xml", "{"
		"\"number\": \"5t4343trgfds\", \"kind\": \"vat\", \"issue_date\": \"2026-02-11\","
		"\"due_date\": \"2026-04-26\","
		"\"seller\": {\"name\": \"test\", \"nip\": \"1111111111\", \"address\": \"test\", \"country\": \"PL\","
		"  \"account\": \"PL62101000000000001234567890\", \"accounts\": ["
		"   {\"number\": \"PL62101000000000001234567890\", \"bank\": \"TEST Bank Polska S.A.\","
		"    \"factor\": true, \"checksum_ok\": false},"
		"   {\"number\": \"PL27102010260000098765432101\", \"bank\": \"TEST Bank Polska S.A.\","
		"    \"factor\": true, \"checksum_ok\": false}]},"
		"\"buyer\": {\"name\": \"test\", \"nip\": \"1111111111\","
		"  \"address\": \"ul. Test-Wilcza 1 Nowy Sącz 33-300 Nowy Sącz\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"net\": \"777.00\", \"vat\": \"178.71\", \"gross\": \"955.71\","
		"\"rates\": [{\"group\": \"standard\", \"net\": \"777.00\", \"vat\": \"178.71\"}],"
		"\"payment_form\": \"transfer\", \"split_payment\": false}");
}

static void test_complex(void **state)
{
	(void)state;
	/* Every VAT group; P_15 (5962.00) is what the file says although the groups add up to
	 * 5950.00 + 382.00: the reader reports, it does not correct. Split payment; paid. */
	expect_reading("ksef-fop-podstawowa-complex.xml", "{"
		"\"number\": \"FA/2025/12/001\", \"kind\": \"vat\", \"issue_date\": \"2026-01-15\","
		"\"sale_date\": \"2025-12-14\", \"due_date\": \"2025-12-30\","
		"\"seller\": {\"name\": \"ABC Spółka z ograniczoną odpowiedzialnością\", \"nip\": \"5451824119\","
		"  \"address\": \"ul. Przykładowa 123, 00-001 Warszawa\", \"country\": \"PL\","
		"  \"account\": \"PL12345678901234567890123456\", \"accounts\": ["
		"   {\"number\": \"PL12345678901234567890123456\", \"bank\": \"PKO Bank Polski\","
		"    \"checksum_ok\": false}]},"
		"\"buyer\": {\"name\": \"XYZ Spółka Cywilna\", \"nip\": \"3935777054\","
		"  \"address\": \"ul. Testowa 456, 30-001 Kraków\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"net\": \"5950.00\", \"vat\": \"382.00\", \"gross\": \"5962.00\","
		"\"rates\": ["
		" {\"group\": \"standard\", \"net\": \"1000.00\", \"vat\": \"230.00\"},"
		" {\"group\": \"reduced_1\", \"net\": \"500.00\", \"vat\": \"40.00\"},"
		" {\"group\": \"reduced_2\", \"net\": \"2000.00\", \"vat\": \"100.00\"},"
		" {\"group\": \"taxi_flat\", \"net\": \"300.00\", \"vat\": \"12.00\"},"
		" {\"group\": \"oss\", \"net\": \"150.00\"},"
		" {\"group\": \"zero_domestic\", \"net\": \"100.00\"},"
		" {\"group\": \"zero_intra_eu\", \"net\": \"200.00\"},"
		" {\"group\": \"zero_export\", \"net\": \"50.00\"},"
		" {\"group\": \"exempt\", \"net\": \"400.00\"},"
		" {\"group\": \"outside_country\", \"net\": \"250.00\"},"
		" {\"group\": \"eu_services\", \"net\": \"180.00\"},"
		" {\"group\": \"reverse_charge\", \"net\": \"320.00\"},"
		" {\"group\": \"margin\", \"net\": \"500.00\"}],"
		"\"payment_form\": \"transfer\", \"paid\": true, \"paid_date\": \"2025-12-15\","
		"\"split_payment\": true}");
}

static void test_correction(void **state)
{
	(void)state;
	/* A correction to zero of invoice 29903413 (KSeF 5210415750-20250310-FF4861C9CC3F-BA);
	 * the buyer is known by an EU VAT number (KodUE PL + NrVatUE), address in NL. */
	expect_reading("ksef-fop-korygujaca-przyklad-1.xml", "{"
		"\"number\": \"29903413\", \"kind\": \"correction\", \"issue_date\": \"2023-10-23\","
		"\"sale_date\": \"2023-10-23\", \"due_date\": \"2024-04-02\","
		"\"seller\": {\"name\": \"TEST SP z.o.o.\", \"nip\": \"1234567890\","
		"  \"address\": \"ul. testowa 2, 07-410 Test\", \"country\": \"PL\","
		"  \"account\": \"PL50175011070000000038433814\", \"accounts\": ["
		"   {\"number\": \"PL50175011070000000038433814\", \"bank\": \"BNP Paribas Bank Polska S.A.\","
		"    \"checksum_ok\": true}]},"
		"\"buyer\": {\"name\": \"Nazwa po zmianie sp. z o.o\", \"foreign_id\": \"PL1234560670\","
		"  \"address\": \"TEST 167, 2132 TS TEST\", \"country\": \"NL\"},"
		"\"currency\": \"PLN\", \"net\": \"0.00\", \"vat\": \"0.00\", \"gross\": \"0.00\","
		"\"rates\": ["
		" {\"group\": \"standard\", \"net\": \"0.00\", \"vat\": \"0.00\"},"
		" {\"group\": \"reduced_1\", \"net\": \"0.00\", \"vat\": \"0.00\"},"
		" {\"group\": \"reduced_2\", \"net\": \"0.00\", \"vat\": \"0.00\"},"
		" {\"group\": \"taxi_flat\", \"net\": \"0.00\", \"vat\": \"0.00\"},"
		" {\"group\": \"oss\", \"net\": \"0.00\"},"
		" {\"group\": \"zero_intra_eu\", \"net\": \"0.00\"},"
		" {\"group\": \"exempt\", \"net\": \"0.00\"}],"
		"\"split_payment\": false,"
		"\"corrects\": [{\"number\": \"29903413\", \"issue_date\": \"2025-03-10\","
		"                \"ksef_number\": \"5210415750-20250310-FF4861C9CC3F-BA\"}]}");
}

static void test_advance(void **state)
{
	(void)state;
	expect_reading("ksef-fop-zaliczkowa-przyklad-1.xml", "{"
		"\"number\": \"ABC/TEST/DEF\", \"kind\": \"advance\", \"issue_date\": \"2025-12-02\","
		"\"sale_date\": \"2025-12-02\","
		"\"seller\": {\"name\": \"Karol\", \"nip\": \"5451824119\","
		"  \"address\": \"Adres, Adres kontynuacja\", \"country\": \"PL\"},"
		"\"buyer\": {\"name\": \"nazwa nabywcy\", \"nip\": \"6891923211\","
		"  \"address\": \"adres, adres kontynuacja\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"net\": \"81.30\", \"vat\": \"18.70\", \"gross\": \"100.00\","
		"\"rates\": [{\"group\": \"standard\", \"net\": \"81.30\", \"vat\": \"18.70\"}],"
		"\"payment_form\": \"cash\", \"paid\": true, \"paid_date\": \"2025-12-02\","
		"\"split_payment\": true,"
		"\"advances\": [{\"number\": \"FA/2019/TEST\"}]}");
}

static void test_settlement(void **state)
{
	(void)state;
	/* Settles one advance invoice known by its KSeF number and one by its number alone;
	 * nothing left to pay; no VAT groups at all, so no net or VAT. */
	expect_reading("ksef-fop-rozliczeniowa-przyklad-1.xml", "{"
		"\"number\": \"abc/test/1234\", \"kind\": \"settlement\", \"issue_date\": \"2025-12-02\","
		"\"sale_date\": \"2025-12-02\","
		"\"seller\": {\"name\": \"adres 123\", \"nip\": \"5451824119\","
		"  \"address\": \"adres 234, adres 123\", \"country\": \"PL\"},"
		"\"buyer\": {\"name\": \"abc abc\", \"nip\": \"1111111111\","
		"  \"address\": \"abc 123, adres\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"gross\": \"0.00\", \"split_payment\": false,"
		"\"advances\": [{\"ksef_number\": \"5451824119-20251202-0100A0E87267-21\"},"
		"               {\"number\": \"ABC/TEST/DEF\"}]}");
}

static void test_ministry_generator(void **state)
{
	(void)state;
	expect_reading("cirfmf-pdf-generator-invoice.xml", "{"
		"\"number\": \"FA/YUCFO-4342344706/03/2026\", \"kind\": \"vat\", \"issue_date\": \"2025-10-31\","
		"\"sale_date\": \"2025-10-03\","
		"\"seller\": {\"name\": \"Bartkowiak, Dróżdż and Górecki\", \"nip\": \"5265877635\","
		"  \"address\": \"ul. Kępa 332, 20-892 Tyszowce\", \"country\": \"PL\"},"
		"\"buyer\": {\"name\": \"Strzelczyk LLC\", \"nip\": \"6808208874\","
		"  \"address\": \"ul. Wójcik 7255, 28-068 Pobiedziska\", \"country\": \"PL\"},"
		"\"currency\": \"PLN\", \"net\": \"27292.28\", \"vat\": \"6277.22\", \"gross\": \"33569.50\","
		"\"rates\": [{\"group\": \"standard\", \"net\": \"27292.28\", \"vat\": \"6277.22\"}],"
		"\"payment_form\": \"mobile\", \"paid\": true, \"paid_date\": \"2025-10-31\","
		"\"split_payment\": false}");
}

static void expect_refusal(const char *xml, size_t len, const char *needle)
{
	struct invoice inv;
	struct gerr err = {0};
	assert_int_equal(fa3_read(xml, len, &inv, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" does not say \"%s\"", err.msg, needle);
	assert_null(inv.number);
	assert_int_equal(inv.found[INV_NUMBER].by, FOUND_NONE);
}

static void test_placeholder_template(void **state)
{
	(void)state;
	/* The Ministry's C# client template has "#nip#" where the NIP goes: not FA(3). */
	size_t len;
	char *xml = slurp(SAMPLES "cirfmf-csharp-template-fa-3-PLACEHOLDERS.xml", &len);
	expect_refusal(xml, len, "line 12: Podmiot1/DaneIdentyfikacyjne/NIP: \"#nip#\" is not a NIP");
	free(xml);
}

static void test_provenance(void **state)
{
	(void)state;
	struct invoice inv;
	json_t *j = read_sample("ksef-fop-podstawowa-rachunek-bankowy-faktora.xml", &inv);
	assert_int_equal(inv.found[INV_GROSS].by, FOUND_FA3);
	assert_string_equal(inv.found[INV_GROSS].at, "Fa/P_15");
	assert_string_equal(inv.found[INV_SELLER_NIP].at, "Podmiot1/DaneIdentyfikacyjne/NIP");
	assert_string_equal(inv.found[INV_DUE_DATE].at, "Fa/Platnosc/TerminPlatnosci/Termin");
	assert_string_equal(inv.found[INV_SELLER_ACCOUNTS].at, "Fa/Platnosc/RachunekBankowyFaktora");
	assert_string_equal(inv.found[INV_SPLIT_PAYMENT].at, "Fa/Adnotacje/P_18A");
	assert_false(invoice_has(&inv, INV_SALE_DATE));
	assert_false(invoice_has(&inv, INV_KSEF_NUMBER));
	assert_false(invoice_has(&inv, INV_DIRECTION));
	assert_true(invoice_found_exact(inv.found[INV_GROSS].by));
	assert_false(invoice_found_exact(FOUND_RULE));
	json_decref(j);
	invoice_free(&inv);
}

/* to JSON and back gives the same JSON, "found" included. */
static void test_json_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = {
		"ksef-fop-podstawowa-przyklad-1.xml", "ksef-fop-podstawowa-przyklad-4-eur.xml",
		"ksef-fop-podstawowa-rachunek-bankowy-faktora.xml", "ksef-fop-podstawowa-complex.xml",
		"ksef-fop-korygujaca-przyklad-1.xml", "ksef-fop-zaliczkowa-przyklad-1.xml",
		"ksef-fop-rozliczeniowa-przyklad-1.xml", "cirfmf-pdf-generator-invoice.xml",
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct invoice inv, back;
		struct gerr err = {0};
		json_decref(read_sample(names[i], &inv));
		invoice_found_set(&inv, INV_KSEF_NUMBER, FOUND_KSEF, "ksefNumber", 0);
		inv.ksef_number = xstrdup("5265877635-20250826-0100001AF629-AF");
		invoice_found_set(&inv, INV_DIRECTION, FOUND_SOURCE, "subjectType Subject2", 0);
		inv.direction = INVOICE_PURCHASE;
		json_t *first = invoice_to_json(&inv);
		if (invoice_from_json(first, &back, &err) < 0)
			fail_msg("%s: %s", names[i], err.msg);
		json_t *second = invoice_to_json(&back);
		if (!json_equal(first, second)) {
			char *a = json_dumps(first, JSON_SORT_KEYS), *b = json_dumps(second, JSON_SORT_KEYS);
			fail_msg("%s:\n%s\n%s", names[i], a, b);
		}
		assert_string_equal(json_string_value(json_object_get(first, "direction")), "purchase");
		json_decref(first);
		json_decref(second);
		invoice_free(&inv);
		invoice_free(&back);
	}
}

static void expect_json_refused(const char *text, const char *needle)
{
	struct invoice inv;
	struct gerr err = {0};
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(invoice_from_json(j, &inv, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" does not say \"%s\"", err.msg, needle);
	json_decref(j);
}

static void test_json_reading(void **state)
{
	(void)state;
	/* A portal sidecar written before provenance: present, "unstated", not exact. */
	struct invoice inv;
	struct gerr err = {0};
	json_t *old = json_loads("{\"number\": \"F/1\", \"gross\": \"959.45\", \"currency\": \"PLN\","
				 "\"due_date\": \"2026-01-10\", \"period\": {\"from\": \"2025-12-01\"}}", 0, NULL);
	assert_int_equal(invoice_from_json(old, &inv, &err), 0);
	assert_int_equal(inv.gross, 95945);
	assert_int_equal(inv.found[INV_GROSS].by, FOUND_UNSTATED);
	assert_false(invoice_found_exact(inv.found[INV_GROSS].by));
	assert_string_equal(inv.due_dates[0], "2026-01-10");
	assert_string_equal(inv.period_from, "2025-12-01");
	assert_false(invoice_has(&inv, INV_VAT));
	invoice_free(&inv);
	json_decref(old);
	/* What the PDF reader adds: the verification link, and "no text layer". */
	json_t *pdf = json_loads("{\"verify_url\": \"https://qr.ksef.mf.gov.pl/invoice/5265877635/01-02-2026/abc\","
				 "\"text\": \"none\", \"found\": {\"verify_url\": {\"by\": \"rule\", \"at\": \"qr-link\","
				 "\"page\": 2}, \"text\": {\"by\": \"rule\", \"at\": \"text-layer\"}}}", 0, NULL);
	assert_int_equal(invoice_from_json(pdf, &inv, &err), 0);
	assert_int_equal(inv.text, INVOICE_TEXT_NONE);
	assert_string_equal(inv.verify_url, "https://qr.ksef.mf.gov.pl/invoice/5265877635/01-02-2026/abc");
	assert_int_equal(inv.found[INV_VERIFY_URL].page, 2);
	json_t *again = invoice_to_json(&inv);
	assert_true(json_equal(again, pdf));
	json_decref(again);
	json_decref(pdf);
	invoice_free(&inv);
	/* Amounts follow the currency's minor units. */
	json_t *yen = json_loads("{\"currency\": \"JPY\", \"gross\": \"1500\"}", 0, NULL);
	assert_int_equal(invoice_from_json(yen, &inv, &err), 0);
	assert_int_equal(inv.gross, 1500);
	invoice_free(&inv);
	json_decref(yen);

	expect_json_refused("{\"gross\": 12.5}", "invoice.gross: not a string");
	expect_json_refused("{\"gross\": \"12,5x\"}", "invoice.gross");
	expect_json_refused("{\"issue_date\": \"2026-13-01\"}", "not a YYYY-MM-DD date");
	expect_json_refused("{\"kind\": \"proforma\"}", "invoice.kind: unknown value \"proforma\"");
	expect_json_refused("{\"seller\": {\"nip\": \"12\"}}", "invoice.seller.nip");
	expect_json_refused("{\"number\": \"1\", \"found\": {\"gross\": {\"by\": \"fa3\"}}}",
			    "invoice.found.gross: the field itself is missing");
	expect_json_refused("{\"number\": \"1\", \"found\": {\"number\": {\"by\": \"guess\"}}}",
			    "invoice.found.number");
	expect_json_refused("[]", "not an object");
}

/* ---- refusals -------------------------------------------------------------------------- */

#define HEAD "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

static void expect_text_refused(const char *xml, const char *needle)
{
	expect_refusal(xml, strlen(xml), needle);
}

/* A minimal FA(3) invoice with `fa` as the inside of <Fa> and `ns` as the namespace. */
static char *minimal(const char *ns, const char *form, const char *fa)
{
	return xasprintf(HEAD "<Faktura xmlns=\"%s\"><Naglowek><KodFormularza kodSystemowy=\"%s\" "
			 "wersjaSchemy=\"1-0E\">FA</KodFormularza></Naglowek>"
			 "<Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP><Nazwa>S</Nazwa>"
			 "</DaneIdentyfikacyjne></Podmiot1><Podmiot2><DaneIdentyfikacyjne><BrakID>1</BrakID>"
			 "</DaneIdentyfikacyjne></Podmiot2><Fa>%s</Fa></Faktura>", ns, form, fa);
}

static void expect_minimal_refused(const char *ns, const char *form, const char *fa,
				   const char *needle)
{
	char *xml = minimal(ns, form, fa);
	expect_text_refused(xml, needle);
	free(xml);
}

#define GOOD_FA "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1><P_2>F/1</P_2><P_15>12.30</P_15>" \
		"<RodzajFaktury>VAT</RodzajFaktury>"

static void test_minimal_and_broken(void **state)
{
	(void)state;
	char *ok = minimal(FA3_NAMESPACE, "FA (3)", GOOD_FA);
	struct invoice inv;
	struct gerr err = {0};
	assert_int_equal(fa3_read(ok, strlen(ok), &inv, &err), 0);
	assert_int_equal(inv.gross, 1230);
	assert_false(invoice_has(&inv, INV_BUYER_NIP));
	assert_false(invoice_has(&inv, INV_NET));
	invoice_free(&inv);
	free(ok);

	expect_minimal_refused("http://crd.gov.pl/wzor/2023/06/29/12648/", "FA (2)", GOOD_FA,
			       "in namespace http://crd.gov.pl/wzor/2023/06/29/12648/: not an FA(3)");
	expect_minimal_refused(FA3_NAMESPACE, "FA (2)", GOOD_FA, "kodSystemowy \"FA (2)\", not \"FA (3)\"");
	expect_minimal_refused(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1>"
			       "<P_2>F/1</P_2><P_15>12,30</P_15><RodzajFaktury>VAT</RodzajFaktury>",
			       "Fa/P_15: \"12,30\" is not an FA(3) amount");
	expect_minimal_refused(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1>"
			       "<P_2>F/1</P_2><RodzajFaktury>VAT</RodzajFaktury>", "Fa/P_15: missing");
	expect_minimal_refused(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1>"
			       "<P_2>F/1</P_2><P_15>1</P_15><RodzajFaktury>PRO</RodzajFaktury>",
			       "Fa/RodzajFaktury: unknown kind \"PRO\"");
	expect_minimal_refused(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-31-02</P_1>"
			       "<P_2>F/1</P_2><P_15>1</P_15><RodzajFaktury>VAT</RodzajFaktury>",
			       "Fa/P_1: \"2026-31-02\" is not a date");
	/* Our element names in a foreign namespace are not ours. */
	expect_minimal_refused(FA3_NAMESPACE, "FA (3)", "<x:P_2 xmlns:x=\"urn:other\">F/1</x:P_2>"
			       "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1><P_15>1</P_15>"
			       "<RodzajFaktury>VAT</RodzajFaktury>", "Fa/P_2: missing");

	/* Ten VAT groups of 18 digits each: their sum is past int64, refused (it wrapped round) */
	char *huge = minimal(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1>"
			     "<P_2>F/1</P_2><P_13_1>9999999999999999.99</P_13_1><P_13_2>9999999999999999.99</P_13_2>"
			     "<P_13_3>9999999999999999.99</P_13_3><P_13_4>9999999999999999.99</P_13_4>"
			     "<P_13_5>9999999999999999.99</P_13_5><P_13_6_1>9999999999999999.99</P_13_6_1>"
			     "<P_13_6_2>9999999999999999.99</P_13_6_2><P_13_6_3>9999999999999999.99</P_13_6_3>"
			     "<P_13_7>9999999999999999.99</P_13_7><P_13_8>9999999999999999.99</P_13_8>"
			     "<P_15>1</P_15><RodzajFaktury>VAT</RodzajFaktury>");
	expect_text_refused(huge, "Fa: the sum of the VAT groups' amounts (P_13_*, P_14_*) does not fit in 64 bits");
	free(huge);

	expect_text_refused(HEAD "<Faktura><Fa/></Faktura>", "root element <Faktura> has no namespace");
	expect_text_refused(HEAD "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"/>",
			    "root element <Document> in namespace urn:iso:std:iso:20022");
	expect_text_refused(HEAD "<Faktura xmlns=\"" FA3_NAMESPACE "\"><Fa>", "line 2: not well-formed XML");
	expect_text_refused("%PDF-1.4 not xml", "not well-formed XML");
	expect_refusal("", 0, "empty");
}

/* An address with nothing in it is not found: a found field without its value is a
 * sidecar invoice_from_json() refuses (fuzz_fa3). */
static void test_empty_address(void **state)
{
	(void)state;
	static const char *const adres[] = {"<Adres/>", "<Adres><KodKraju></KodKraju><AdresL1> "
					    "</AdresL1></Adres>"};
	for (size_t i = 0; i < ARRAY_LEN(adres); i++) {
		char *xml = xasprintf(HEAD "<Faktura xmlns=\"%s\"><Naglowek><KodFormularza "
				      "kodSystemowy=\"FA (3)\" wersjaSchemy=\"1-0E\">FA</KodFormularza>"
				      "</Naglowek><Podmiot1><DaneIdentyfikacyjne><NIP>5265877635</NIP>"
				      "<Nazwa>S</Nazwa></DaneIdentyfikacyjne>%s</Podmiot1><Podmiot2>"
				      "<DaneIdentyfikacyjne><BrakID>1</BrakID></DaneIdentyfikacyjne>"
				      "%s</Podmiot2><Fa>" GOOD_FA "</Fa></Faktura>", FA3_NAMESPACE,
				      adres[i], adres[i]);
		struct invoice inv, back;
		struct gerr err = {0};
		assert_int_equal(fa3_read(xml, strlen(xml), &inv, &err), 0);
		assert_false(invoice_has(&inv, INV_SELLER_ADDRESS));
		assert_false(invoice_has(&inv, INV_BUYER_ADDRESS));
		json_t *j = invoice_to_json(&inv);
		assert_int_equal(invoice_from_json(j, &back, &err), 0);
		json_decref(j);
		invoice_free(&back);
		invoice_free(&inv);
		free(xml);
	}
}

static void test_instalments(void **state)
{
	(void)state;
	/* Paid in instalments: every dated TerminPlatnosci in order (the first is the due
	 * date); a term given only as a description (TerminOpis) has no date to keep. */
	char *xml = minimal(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1>"
			    "<P_2>F/1</P_2><P_15>300.00</P_15><RodzajFaktury>VAT</RodzajFaktury><Platnosc>"
			    "<TerminPlatnosci><Termin>2026-02-01</Termin></TerminPlatnosci>"
			    "<TerminPlatnosci><TerminOpis><Ilosc>14</Ilosc><Jednostka>dni</Jednostka>"
			    "<ZdarzeniePoczatkowe>od dostawy</ZdarzeniePoczatkowe></TerminOpis></TerminPlatnosci>"
			    "<TerminPlatnosci><Termin>2026-03-01</Termin></TerminPlatnosci>"
			    "<FormaPlatnosci>6</FormaPlatnosci></Platnosc>");
	struct invoice inv;
	struct gerr err = {0};
	assert_int_equal(fa3_read(xml, strlen(xml), &inv, &err), 0);
	json_t *j = invoice_to_json(&inv);
	assert_string_equal(json_string_value(json_object_get(j, "due_date")), "2026-02-01");
	json_t *all = json_object_get(j, "due_dates");
	assert_int_equal(json_array_size(all), 2);
	assert_string_equal(json_string_value(json_array_get(all, 0)), "2026-02-01");
	assert_string_equal(json_string_value(json_array_get(all, 1)), "2026-03-01");
	assert_string_equal(json_string_value(json_object_get(j, "payment_form")), "transfer");
	assert_string_equal(inv.found[INV_DUE_DATE].at, "Fa/Platnosc/TerminPlatnosci/Termin");
	json_decref(j);
	invoice_free(&inv);
	free(xml);
}

/* A minimal FA(3) invoice whose number (P_2) is `size` bytes of text. */
static char *with_long_number(size_t size)
{
	char *head = minimal(FA3_NAMESPACE, "FA (3)", "<KodWaluty>PLN</KodWaluty><P_1>2026-01-02</P_1><P_2>");
	*strstr(head, "</Fa></Faktura>") = '\0';
	const char *tail = "</P_2><P_15>1</P_15><RodzajFaktury>VAT</RodzajFaktury></Fa></Faktura>";
	size_t h = strlen(head), t = strlen(tail);
	char *doc = xmalloc(h + size + t + 1);
	memcpy(doc, head, h);
	memset(doc + h, 'A', size);
	memcpy(doc + h + size, tail, t + 1);
	free(head);
	return doc;
}

static void test_hostile(void **state)
{
	(void)state;
	/* External entity: the file is never read, the DOCTYPE is refused. */
	expect_text_refused(HEAD "<!DOCTYPE Faktura [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			    "<Faktura xmlns=\"" FA3_NAMESPACE "\"><Fa><P_2>&x;</P_2></Fa></Faktura>",
			    "has a DOCTYPE, which is refused");
	expect_text_refused(HEAD "<!DOCTYPE Faktura SYSTEM \"http://127.0.0.1:9/x.dtd\">"
			    "<Faktura xmlns=\"" FA3_NAMESPACE "\"/>", "has a DOCTYPE");
	/* Billion laughs. */
	struct buf b = {0};
	buf_puts(&b, HEAD "<!DOCTYPE lolz [<!ENTITY lol \"lol\">");
	for (int i = 1; i < 10; i++)
		buf_printf(&b, "<!ENTITY lol%d \"&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;&lol%d;"
			   "&lol%d;&lol%d;&lol%d;\">", i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
			   i - 1, i - 1, i - 1, i - 1);
	buf_puts(&b, "]><Faktura xmlns=\"" FA3_NAMESPACE "\"><Fa><P_2>&lol9;</P_2></Fa></Faktura>");
	expect_text_refused(b.data, "has a DOCTYPE");
	buf_free(&b);
	/* An 11 MB invoice number, inside the size cap: refused by the text limit. */
	char *doc = with_long_number(11u * 1024 * 1024);
	expect_text_refused(doc, "Fa/P_2: 11534336 bytes of text, more than FA(3) allows");
	free(doc);
	/* A 100 MB text node: refused by size before it is parsed. */
	doc = with_long_number(100u * 1024 * 1024);
	expect_text_refused(doc, "bytes, more than the 16777216 accepted");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_exempt),
		cmocka_unit_test(test_euro),
		cmocka_unit_test(test_factor_accounts),
		cmocka_unit_test(test_complex),
		cmocka_unit_test(test_correction),
		cmocka_unit_test(test_advance),
		cmocka_unit_test(test_settlement),
		cmocka_unit_test(test_ministry_generator),
		cmocka_unit_test(test_placeholder_template),
		cmocka_unit_test(test_provenance),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_reading),
		cmocka_unit_test(test_minimal_and_broken),
		cmocka_unit_test(test_instalments),
		cmocka_unit_test(test_empty_address),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
