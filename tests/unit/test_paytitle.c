/* test_paytitle — invoice numbers as whole tokens in transfer titles, split-payment
 * messages, NIPs, account numbers and name words (formats/paytitle.h). */
#include "testutil.h"

#include "formats/paytitle.h"

static void test_fold(void **state)
{
	(void)state;
	char *f = paytitle_fold("  Zapłata za\tFAKTURĘ  nr\xc2\xa0 1/2007 Łódź Żółć ");
	assert_string_equal(f, "ZAPLATA ZA FAKTURE NR 1/2007 LODZ ZOLC");
	free(f);
	f = paytitle_fold(NULL);
	assert_string_equal(f, "");
	free(f);
	f = paytitle_fold("\xc4"); /* a cut UTF-8 sequence is kept as a byte */
	assert_string_equal(f, "\xc4");
	free(f);
}

static void test_number_key(void **state)
{
	(void)state;
	struct paytitle_key k;
	assert_true(paytitle_number_key("FV 1/2007", &k));
	assert_string_equal(k.full, "FV 1/2007");
	assert_string_equal(k.core, "1/2007");
	assert_string_equal(k.last, "1/2007");
	assert_true(paytitle_number_key("Faktura VAT nr 12/2026.", &k));
	assert_string_equal(k.core, "12/2026");
	assert_true(paytitle_number_key("FVT 2368/2989284/2006", &k));
	assert_string_equal(k.full, "FVT 2368/2989284/2006");
	assert_string_equal(k.last, "2368/2989284/2006");
	assert_true(paytitle_number_key("fv1/2026", &k));
	assert_string_equal(k.core, "FV1/2026");
	/* too short or no digit: not looked for in titles */
	assert_false(paytitle_number_key("12", &k));
	assert_false(paytitle_number_key("ABC/DEF", &k));
	assert_false(paytitle_number_key("FV 7", &k));
	assert_false(paytitle_number_key("", &k));
}

struct found {
	char spans[64][PAYTITLE_KEY_MAX + 1];
	size_t n;
};

static void collect(void *ctx, const char *folded, size_t start, size_t end)
{
	struct found *f = ctx;
	if (f->n < 64) {
		memcpy(f->spans[f->n], folded + start, end - start);
		f->spans[f->n++][end - start] = '\0';
	}
}

static bool spans_have(const struct found *f, const char *s)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->spans[i], s) == 0)
			return true;
	return false;
}

/* Where a number stands whole in a title: -1 when nowhere. */
static long find(const char *title, const char *number)
{
	struct paytitle_key k;
	assert_true(paytitle_number_key(number, &k));
	char *f = paytitle_fold(title);
	struct found spans = {0};
	paytitle_spans(f, collect, &spans);
	long at = -1;
	for (const char *p = f; at < 0 && (p = strstr(p, k.last)); p++)
		if (spans_have(&spans, k.last))
			at = paytitle_key_at(f, (size_t)(p - f) + strlen(k.last), &k);
	free(f);
	return at;
}

static void test_whole_tokens(void **state)
{
	(void)state;
	/* bank.md §6.4 and the product description */
	assert_true(find("ZAPŁATA ZA FAKTURĘ NR  1/2007", "1/2007") >= 0);
	assert_true(find("ZAPŁATA ZA FAKTURĘ NR  10/2007", "1/2007") < 0);
	assert_true(find("FV 11/2007", "1/2007") < 0);
	assert_true(find("zaplata 1/20071", "1/2007") < 0);
	assert_true(find("ZAPLATA /FV1/2026", "FV1/2026") < 0);
	assert_true(find("ZAPLATA FV1/2026/", "FV1/2026") < 0);
	assert_true(find("ZAPLATA FV1/2026.", "FV1/2026") >= 0);
	assert_true(find("FAKTURA NR 129/09/2007", "129/09/2007") >= 0);
	assert_true(find("FAKTURA NR 129/09/2007", "09/2007") < 0);
	assert_true(find("FAKTURA V AT 2007/101", "2007/101") >= 0);
	assert_true(find("210/F0997", "210F0997") < 0);
	assert_true(find("ZAPL.FV-210F1033,210F0995 MINUS FV. KORYG.210FK24", "210F1033") >= 0);
	assert_true(find("ZAPL.FV-210F1033,210F0995 MINUS FV. KORYG.210FK24", "210F0995") >= 0);
	assert_true(find("ZAPL.FV-210F1033,210F0995 MINUS FV. KORYG.210FK24", "210FK24") >= 0);
	assert_true(find("FVT 2368/2989284/2006", "FVT 2368/2989284/2006") == 0);
	assert_true(find("zapłata faktura nr 12/2026", "FV 12/2026") >= 0);
	assert_true(find("za fv 12/2026 i 13/2026", "Faktura 13/2026") >= 0);
	/* the full form is preferred where it stands: it begins at "FK" */
	assert_int_equal(find("KOREKTA FK 1/2007", "FK 1/2007"), 8);
	assert_int_equal(find("KOREKTA FK 1/2007", "FV 1/2007"), 11);
}

static void test_spans_bounded(void **state)
{
	(void)state;
	/* a hostile word of many soft separators gives at most PAYTITLE_SPANS_MAX spans */
	struct buf b = {0};
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, "1.");
	struct found spans = {0};
	size_t count = 0;
	paytitle_spans(b.data, collect, &spans);
	count = spans.n;
	assert_true(count > 0);
	buf_free(&b);
	struct found none = {0};
	paytitle_spans("ZAPLATA ZA TOWAR", collect, &none);
	assert_int_equal(none.n, 0);
}

static void test_mpp(void **state)
{
	(void)state;
	struct paytitle_mpp m;
	char *f = paytitle_fold("/VAT/23,00/IDC/5231242681/INV/PM1253/2018/TXT/zapłata za towar");
	assert_true(paytitle_mpp(f, &m));
	assert_true(m.has_vat);
	assert_int_equal(m.vat, 2300);
	assert_string_equal(m.idc, "5231242681");
	assert_string_equal(m.inv, "PM1253/2018");
	assert_string_equal(f + m.txt, "ZAPLATA ZA TOWAR");
	free(f);
	f = paytitle_fold("/vat/1 234,56/idc/PL 526-025-02-74/inv/FV 1/2019");
	assert_true(paytitle_mpp(f, &m));
	assert_int_equal(m.vat, 123456);
	assert_string_equal(m.nip, "5260250274");
	assert_string_equal(m.inv, "FV 1/2019");
	assert_int_equal(m.txt, 0);
	free(f);
	/* not MPP: no /VAT/ first, or /INV/ missing */
	assert_false(paytitle_mpp("ZAPLATA /VAT/23,00/IDC/1/INV/2", &m));
	assert_false(paytitle_mpp("/VAT/23,00/IDC/5231242681/TXT/X", &m));
	/* an IDC that is not a valid NIP is kept, but gives no NIP */
	assert_true(paytitle_mpp("/VAT/X/IDC/1234567890/INV/A1", &m));
	assert_false(m.has_vat);
	assert_string_equal(m.nip, "");
}

static void test_nips_and_accounts(void **state)
{
	(void)state;
	char nips[4][NIP_LEN + 1];
	char *f = paytitle_fold("NIP: 526-025-02-74, PL5260250274 oraz 5260250275 i 95260250274");
	size_t n = paytitle_nips(f, nips, 4);
	assert_int_equal(n, 1); /* once; the bad checksum and the longer run are no NIP */
	assert_string_equal(nips[0], "5260250274");
	free(f);
	f = paytitle_fold("nip 526 025 02 74 10 zł");
	assert_int_equal(paytitle_nips(f, nips, 4), 1);
	free(f);
	char accs[2][IBAN_MAX_LEN + 1];
	f = paytitle_fold("na rachunek PL61 1090 1014 0000 0712 1981 2874 dziękujemy");
	assert_int_equal(paytitle_accounts(f, accs, 2), 1);
	assert_string_equal(accs[0], "PL61109010140000071219812874");
	free(f);
	assert_int_equal(paytitle_accounts("61109010140000071219812875", accs, 2), 0);
}

static void test_words(void **state)
{
	(void)state;
	struct strlist w = {0};
	paytitle_words("Przedsiębiorstwo Handlowe „ŁĄCZ” Sp. z o.o. sp.k.", &w);
	assert_int_equal(w.len, 3);
	assert_string_equal(w.items[0], "PRZEDSIEBIORSTWO");
	assert_string_equal(w.items[1], "HANDLOWE");
	assert_string_equal(w.items[2], "LACZ");
	strlist_free(&w);
	paytitle_words("PGE Obrót S.A. — zapłata za fakturę 12/2026, PGE", &w);
	assert_int_equal(w.len, 2);
	assert_string_equal(w.items[0], "PGE");
	assert_string_equal(w.items[1], "OBROT");
	strlist_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_number_key),
		cmocka_unit_test(test_whole_tokens),
		cmocka_unit_test(test_spans_bounded),
		cmocka_unit_test(test_mpp),
		cmocka_unit_test(test_nips_and_accounts),
		cmocka_unit_test(test_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
