/* Unit tests of the MT940/MT942 reader: every sample in ../shared/samples/mt940 with its
 * counts, sums and reconciling as a careful reading of the file gives them, transactions
 * checked field by field, and hostile or broken input. */
#include "stmt_testutil.h"

#define MT SAMPLES "mt940/"

/* What a careful reading of each file gives (sums over all its statements). */
static const struct expect {
	const char *file;
	enum stmt_format format;
	const char *dialect, *encoding, *bank;
	unsigned long statements, txns, credits, debits;
	int64_t credits_sum, debits_sum;
	unsigned long reconciling;
} expected[] = {
	{"bph-1-multicash.txt", STMT_FORMAT_MT940, "structured-lt", "UTF-8", "Bank BPH", 1, 4, 0,
	 4, 0, -12881812, 1},
	{"bph-1-multicash.cp852-restored.txt", STMT_FORMAT_MT940, "structured-lt", "CP852",
	 "Bank BPH", 1, 4, 0, 4, 0, -12881812, 1},
	/* no :62F:, so it cannot reconcile */
	{"mbank-1-iph.txt", STMT_FORMAT_MT940, "mbank", "ISO-8859-2", "mBank", 1, 24, 23, 1,
	 34010970, -1500, 0},
	{"mbank-2-multiple-accounts.txt", STMT_FORMAT_MT940, "mbank", "ISO-8859-2", "mBank", 8,
	 56, 18, 38, 200565579, -278584, 8},
	{"mbank-3-collect.sta", STMT_FORMAT_MT940, "mbank", "ASCII", "mBank", 1, 3, 3, 0, 3, 0, 1},
	/* 0,46 + 45,00 + 44,00 is not the closing 860,17 */
	{"mbank-4-newline-in-tnr.sta", STMT_FORMAT_MT940, "mbank", "ASCII", "mBank", 1, 2, 2, 0,
	 8900, 0, 0},
	/* MT942: :90C: 3 credits 0,03 and :90D: none agree with the entries */
	{"mbank-5-mt942-interim.sta", STMT_FORMAT_MT942, "mbank", "ASCII", "mBank", 1, 3, 3, 0, 3,
	 0, 1},
	{"nonpl-abnamro-nl.sta", STMT_FORMAT_MT940, "plain", "ASCII", NULL, 2, 10, 0, 10, 0,
	 -34593, 0},
	{"nonpl-asn-nl-swift-blocks.txt", STMT_FORMAT_MT940, "plain", "ASCII", NULL, 31, 8, 3, 5,
	 282890, -277196, 31},
	{"nonpl-de-sepa-multistatement.sta", STMT_FORMAT_MT940, "structured-question", "ASCII",
	 NULL, 26, 97, 41, 56, 518847494, -1445761084, 26},
	{"nonpl-deutschebank-de.txt", STMT_FORMAT_MT940, "structured-question", "ASCII", NULL, 1,
	 1, 0, 1, 0, -1235, 0},
	{"nonpl-ing-nl-legacy.sta", STMT_FORMAT_MT940, "plain", "UTF-8", NULL, 1, 7, 2, 5, 468,
	 -5027, 0},
	{"nonpl-ing-nl-oca.940", STMT_FORMAT_MT940, "plain", "ASCII", NULL, 1, 8, 4, 4, 3658,
	 -13446, 1},
	{"nonpl-rabobank-nl-iban.sta", STMT_FORMAT_MT940, "plain", "ASCII", NULL, 2, 4, 0, 4, 0,
	 -7000, 2},
	{"nonpl-rabobank-nl-oca.swi", STMT_FORMAT_MT940, "plain", "ASCII", NULL, 4, 2, 1, 1,
	 40000, -3461, 4},
	{"nonpl-raiffeisen-hu.sta", STMT_FORMAT_MT940, "plain", "CP852", NULL, 1, 7, 1, 6,
	 206663700, -307885050, 0},
	{"excerpts/ingbsk-like-2-auroparser-example.utf8.txt", STMT_FORMAT_MT940,
	 "structured-tilde", "UTF-8", NULL, 1, 2, 2, 0, 685356, 0, 0},
	{"excerpts/pekao-1-epics-readme.utf8.txt", STMT_FORMAT_MT940, "structured-caret", "UTF-8",
	 "Bank Pekao", 1, 2, 0, 2, 0, -256063, 0},
	{"excerpts/pekao-1-epics-readme.cp852-restored.txt", STMT_FORMAT_MT940,
	 "structured-caret", "CP852", "Bank Pekao", 1, 2, 0, 2, 0, -256063, 0},
	{"excerpts/pekao-2-eur-cr-funds-code.utf8.txt", STMT_FORMAT_MT940, "structured-caret",
	 "ASCII", "Bank Pekao", 1, 1, 1, 0, 365500, 0, 1},
	{"excerpts/pekao-3-usd-cd-funds-code.utf8.txt", STMT_FORMAT_MT940, "structured-caret",
	 "UTF-8", "Bank Pekao", 1, 1, 1, 0, 30000000, 0, 1},
	{"excerpts/pkobp-1-camed-test.utf8.txt", STMT_FORMAT_MT940, "structured-tilde", "UTF-8",
	 "PKO BP", 1, 4, 0, 4, 0, -66493, 1},
	{"excerpts/pkobp-1-camed-test.iso8859-2-restored.txt", STMT_FORMAT_MT940,
	 "structured-tilde", "ISO-8859-2", "PKO BP", 1, 4, 0, 4, 0, -66493, 1},
};

static void test_every_sample(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(expected); i++) {
		const struct expect *e = &expected[i];
		char *path = xasprintf(MT "%s", e->file);
		struct stmt_file f;
		read_sample(path, &f);
		unsigned long credits = 0, debits = 0, reconciling = 0;
		int64_t credits_sum = 0, debits_sum = 0;
		for (size_t k = 0; k < f.nstatements; k++) {
			credits += f.statements[k].credits_count;
			debits += f.statements[k].debits_count;
			credits_sum += f.statements[k].credits_sum;
			debits_sum += f.statements[k].debits_sum;
			reconciling += f.statements[k].reconciles;
		}
		print_message("%s\n", e->file);
		assert_int_equal(f.format, e->format);
		assert_string_equal(f.dialect, e->dialect);
		assert_string_equal(f.encoding, e->encoding);
		if (e->bank)
			assert_string_equal(f.bank, e->bank);
		else
			assert_null(f.bank);
		assert_int_equal(f.statements_total, e->statements);
		assert_int_equal(f.txns_total, e->txns);
		assert_int_equal(credits, e->credits);
		assert_int_equal(debits, e->debits);
		assert_minor(credits_sum, e->credits_sum);
		assert_minor(debits_sum, e->debits_sum);
		assert_int_equal(reconciling, e->reconciling);
		stmt_file_free(&f);
		free(path);
	}
}

/* The first statement's opening and the last one's closing balance, as the :60F:/:60M: and
 * :62F:/:62M: lines of each file write them (NO_BALANCE: the file has none). */
#define NO_BALANCE INT64_MIN
static const struct {
	const char *file;
	int64_t opening, closing;
} balances[] = {
	{"bph-1-multicash.txt", 4581030095, 4568148283},
	{"bph-1-multicash.cp852-restored.txt", 4581030095, 4568148283},
	{"mbank-1-iph.txt", 0, NO_BALANCE},
	{"mbank-2-multiple-accounts.txt", 898599577225, 14446}, /* PLN first, USD last */
	{"mbank-3-collect.sta", 40, 43},
	{"mbank-4-newline-in-tnr.sta", 46, 86017},
	{"mbank-5-mt942-interim.sta", NO_BALANCE, NO_BALANCE}, /* :34F: is a floor limit */
	{"nonpl-abnamro-nl.sta", 323628, 184975},
	{"nonpl-asn-nl-swift-blocks.txt", 44429, 50123},
	{"nonpl-de-sepa-multistatement.sta", -123471836, 5005},
	{"nonpl-deutschebank-de.txt", 0, 0},
	{"nonpl-ing-nl-legacy.sta", 0, 347},
	{"nonpl-ing-nl-oca.940", 66223, 56435},
	{"nonpl-rabobank-nl-iban.sta", 100000, 93000},
	{"nonpl-rabobank-nl-oca.swi", 443352, 479891},
	{"nonpl-raiffeisen-hu.sta", 2517063710, 2528168760},
	{"excerpts/ingbsk-like-2-auroparser-example.utf8.txt", -66666666, -22222222},
	{"excerpts/pekao-1-epics-readme.utf8.txt", 253503, NO_BALANCE},
	{"excerpts/pekao-1-epics-readme.cp852-restored.txt", 253503, NO_BALANCE},
	{"excerpts/pekao-2-eur-cr-funds-code.utf8.txt", 156152239, 156517739},
	{"excerpts/pekao-3-usd-cd-funds-code.utf8.txt", 18171624, 48171624},
	{"excerpts/pkobp-1-camed-test.utf8.txt", -267179, -333672},
	{"excerpts/pkobp-1-camed-test.iso8859-2-restored.txt", -267179, -333672},
};

static void expect_balance(const struct stmt_balance *b, int64_t amount)
{
	assert_int_equal(b->present, amount != NO_BALANCE);
	if (amount != NO_BALANCE)
		assert_minor(b->amount, amount);
}

static void test_every_sample_balances(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_LEN(balances), ARRAY_LEN(expected));
	for (size_t i = 0; i < ARRAY_LEN(balances); i++) {
		char *path = xasprintf(MT "%s", balances[i].file);
		struct stmt_file f;
		print_message("%s\n", balances[i].file);
		read_sample(path, &f);
		assert_true(f.nstatements > 0 && f.nstatements == f.statements_total);
		expect_balance(&f.statements[0].opening, balances[i].opening);
		expect_balance(&f.statements[f.nstatements - 1].closing, balances[i].closing);
		stmt_file_free(&f);
		free(path);
	}
}

static void test_mbank_multiple_accounts(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "mbank-2-multiple-accounts.txt", &f);
	const struct stmt *st = &f.statements[0];
	assert_string_equal(st->account, "PL46114010100000579009004001");
	assert_string_equal(st->id, "ST071023CYC/1");
	assert_string_equal(st->number, "11/1");
	assert_minor(st->opening.amount, 898599577225);
	assert_minor(st->closing.amount, 898799903037);
	assert_string_equal(st->closing.date, "2007-10-23");
	assert_int_equal(st->count, 38);
	/* the ZUS transfer: account, TNR, the customer reference of :61:, the type */
	const struct txn *t = txn_at(&f, 0, 3);
	assert_minor(t->amount, -45632);
	assert_string_equal(t->counterparty_account, "PL83101010230000261395100000");
	assert_string_equal(t->transaction_id, "145411008035691.000001");
	assert_string_equal(t->customer_ref, "R12865");
	assert_string_equal(t->bank_ref, "BR07296102000005");
	assert_string_equal(t->type_code, "945");
	assert_string_equal(t->type_swift, "NTRF");
	assert_string_equal(raw_of(t, "RODZAJ SKŁADKI"), "UBEZPIECZENIE SPOŁECZNE");
	assert_string_equal(raw_of(t, "DEKLARACJA"), "S 200710 01");
	/* the title keeps the bank's double space; ISO-8859-2 letters right */
	t = txn_at(&f, 0, 27);
	assert_minor(t->amount, 2414);
	assert_string_equal(t->title, "ZAPŁATA ZA FAKTURĘ NR  1/2007");
	assert_string_equal(t->counterparty_name, "FIRMA 1 SP. Z O.O.");
	assert_string_equal(t->counterparty_account, "PL35109010560000000006093440");
	assert_string_equal(t->bank_ref, "EL002363-000001");
	assert_null(t->customer_ref); /* NONREF */
	assert_int_equal(t->origin.line, 151);
	/* a title wrapped inside a word keeps the bank's text: no space invented */
	t = txn_at(&f, 0, 15);
	assert_string_equal(t->title, "ZAPŁATA ZA DOSTAWĘ GAZETY FAKTURA V AT 2007/101");
	assert_string_equal(t->customer_ref, "GAZETY");
	/* a customer reference with a space and a Polish letter */
	t = txn_at(&f, 0, 12);
	assert_string_equal(t->customer_ref, "ZWROT NADPŁATY");
	assert_string_equal(raw_of(t, "KURS"), "5,4429");
	/* a statement that opens in debit (D) and closes in debit */
	st = &f.statements[6];
	assert_string_equal(st->currency, "EUR");
	assert_minor(st->opening.amount, -95945);
	assert_minor(st->closing.amount, -49289);
	assert_true(st->reconciles);
	/* CR and DR are credit/debit with funds code R, not reversals */
	t = txn_at(&f, 6, 0);
	assert_minor(t->amount, 221);
	assert_false(t->reversal);
	/* a statement without transactions */
	assert_int_equal(f.statements[3].count, 0);
	assert_true(f.statements[3].reconciles);
	assert_string_equal(f.statements[3].period_from, "2007-10-23");
	stmt_file_free(&f);
}

static void test_mbank_iph(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "mbank-1-iph.txt", &f);
	const struct stmt *st = &f.statements[0];
	assert_false(st->reconciles);
	assert_false(st->closing.present);
	assert_true(has_problem(&st->problems, "no closing balance"));
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->booking_date, "2010-06-04");
	assert_minor(t->amount, 697918);
	assert_string_equal(t->counterparty_name,
			    "GWARANT-CYNKOWANIE SPÓŁKA Z O.O. UL.CIEPŁOWNICZA 27 98-300 WIELUŃ");
	assert_string_equal(t->counterparty_account, "PL04105014611000002345271577");
	assert_string_equal(t->title, "210F1163");
	assert_string_equal(t->transaction_id, "154961063737599.110001");
	assert_string_equal(t->type_text, "TRANSAKCJA IPH");
	assert_string_equal(raw_of(t, "ID IPH"), "XX000000000014");
	/* a title with two invoices and a correction, wrapped with trailing spaces */
	t = txn_at(&f, 0, 22);
	assert_string_equal(t->title, "ZAPL.FV-210F1033,210F0995 MINUS FV. KORYG.210FK24");
	t = txn_at(&f, 0, 20);
	assert_string_equal(t->title, "210/F0997");
	assert_string_equal(t->counterparty_name,
			    "SYNTHOS DWORY SP. Z O.O.  UL. CHEMIKÓW 1 32-600 OŚWIĘCIM");
	/* the fee: a debit without a counterparty */
	t = txn_at(&f, 0, 23);
	assert_minor(t->amount, -1500);
	assert_null(t->counterparty_name);
	assert_string_equal(t->type_swift, "NCHG");
	stmt_file_free(&f);
	/* "TNR: " at a line's end, the number on the next line; a title wrapped after a space */
	read_sample(MT "mbank-4-newline-in-tnr.sta", &f);
	const struct txn_want first = {
		.amount = 4500,
		.booking_date = "2017-02-01",
		.counterparty_name = "AAAAAA AAAAAA  UL.AAAAAAAAAAA 27 M.32 31-000 AAAAAA",
		.counterparty_account = "00000000000000000000000000",
		.title = "_FAKTURA VAT NR FVD-0000/02/2017  A AAAAA AAAAAA UL. AAAAAAAAAAA 220/22",
		.bank_ref = "MB170201323000",
		.transaction_id = "179301073837502.000001",
		.type_code = "911",
	};
	expect_txn(txn_at(&f, 0, 0), &first);
	assert_null(txn_at(&f, 0, 0)->customer_ref); /* NONREF */
	assert_string_equal(txn_at(&f, 0, 1)->transaction_id, "179301073844398.000001");
	assert_true(has_problem(&f.statements[0].problems, "balances do not reconcile"));
	stmt_file_free(&f);
}

static void test_bph_multicash(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "bph-1-multicash.cp852-restored.txt", &f);
	const struct txn *t = txn_at(&f, 0, 0);
	assert_minor(t->amount, -591200);
	assert_string_equal(t->booking_date, "2007-01-26");
	/* the invoice number cut across <22 and <23 is joined without a space */
	assert_string_equal(t->title, "ZAPLATA ZA OPAKOWANIA DO KINESKOPÓW 17 I 21 CALI Z "
				      "NADRUKIEM LOGO FIRMY FVT 2368/2989284/2006");
	assert_string_equal(t->counterparty_name,
			    "OPAKOWANIA SP. Z O.O UL. ROMAŃSKA 24 80-253 GDAŃSK");
	assert_string_equal(t->counterparty_account, "PL21109011020000999999874157");
	assert_string_equal(t->customer_ref, "200701260001");
	assert_string_equal(t->bank_ref, "5627001791917001");
	assert_string_equal(t->type_code, "020");
	assert_string_equal(t->type_text, "Przelew MultiCash");
	assert_string_equal(raw_of(t, "<20"), "ZAPLATA ZA OPAKOWANIA DO KI");
	assert_string_equal(raw_of(t, "<62"), "WPROWADZIŁ W SAP ID25012");
	assert_string_equal(raw_of(t, "61/supplementary"), "Przelew krajowy MultiCash (-)");
	/* subfields out of order (<24 before <23) and <24 wrapped onto the next line */
	t = txn_at(&f, 0, 1);
	assert_string_equal(t->title, "FVT 25/2006 ZAPŁATA ZA KATODY DO LAMP KIENSKOPOWYCH SZT. "
				      "110 ZA UKLADY ODCHYLAJACE SZT. 11000 FVT 26/2006 ZAPLATA");
	t = txn_at(&f, 0, 3);
	assert_string_equal(t->title, "ZAPŁATA ZA WYSYLKĘ TOWARU DO NL DIGITAL, EINDHOVEN HOLLAND "
				      "GRUDZIEŃ 2006 INV. 6/2006FVT 2323/0394/2006");
	stmt_file_free(&f);
}

static void test_pko_fillers(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "excerpts/pkobp-1-camed-test.iso8859-2-restored.txt", &f);
	const struct stmt *st = &f.statements[0];
	assert_minor(st->opening.amount, -267179);
	assert_minor(st->closing.amount, -333672);
	assert_minor(st->closing_available.amount, 9166228);
	const struct txn *t = txn_at(&f, 0, 1);
	assert_minor(t->amount, -43400);
	assert_string_equal(t->title, "P 85100158550 0 PIT-23");
	assert_string_equal(t->counterparty_name, "DRUGI MAZOWIECKI URZĄD SKARBOWY WARSZAWA");
	assert_string_equal(t->counterparty_account, "PL32101000712223147254000000");
	assert_string_equal(t->type_swift, "N210");
	assert_string_equal(raw_of(t, "~21"), "T-23");
	assert_string_equal(raw_of(t, "~22"), ""); /* 0xFF filler */
	assert_string_equal(raw_of(t, "61/supplementary"), "210 0");
	t = txn_at(&f, 0, 2);
	assert_string_equal(t->counterparty_account, "FR7630004013280001089882824");
	assert_string_equal(t->title, "PRZELEW SRODKÓW");
	stmt_file_free(&f);
	/* the same excerpt as UTF-8 (the filler shows as U+02D9): still empty subfields */
	read_sample(MT "excerpts/pkobp-1-camed-test.utf8.txt", &f);
	assert_string_equal(raw_of(txn_at(&f, 0, 1), "~22"), "");
	assert_string_equal(txn_at(&f, 0, 1)->title, "P 85100158550 0 PIT-23");
	stmt_file_free(&f);
}

static void test_pekao_caret_and_funds_codes(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "excerpts/pekao-1-epics-readme.cp852-restored.txt", &f);
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->type_text, "PRZELEW MIĘDZYBANKOWY BETA/");
	assert_string_equal(t->title, "wynagrodzenie z tytulu umowy o prac e");
	assert_string_equal(t->counterparty_name, "BANKA MONIKA");
	assert_string_equal(t->counterparty_account, "PL54194010765205871800000000");
	assert_string_equal(t->value_date, "2008-10-02");
	assert_true(has_problem(&f.statements[0].problems, "no closing balance"));
	stmt_file_free(&f);

	read_sample(MT "excerpts/pekao-2-eur-cr-funds-code.utf8.txt", &f); /* CR = C + R */
	t = txn_at(&f, 0, 0);
	assert_minor(t->amount, 365500);
	assert_false(t->reversal);
	assert_string_equal(t->currency, "EUR");
	assert_string_equal(t->title, "/RFB/VAT ID 525157859 INVOICE FVS014EUR2024");
	assert_string_equal(t->counterparty_name, "1077664213 JAMESTOWN LP");
	stmt_file_free(&f);

	read_sample(MT "excerpts/pekao-3-usd-cd-funds-code.utf8.txt", &f); /* CD = C + D */
	t = txn_at(&f, 0, 0);
	assert_minor(t->amount, 30000000);
	assert_string_equal(t->counterparty_name,
			    "COLLIERS POLAND SPOŁKA Z O.O. PL PIŁSUDSKIEGO 3");
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
}

/* ING BSK's one-transaction excerpt, framed into a statement in memory, read as the
 * encoding it is in: every field but the title's letters is the same in both files. */
static void check_ing_excerpt(const char *file, const char *encoding, const char *title)
{
	size_t len;
	char *body = sample_bytes(file, &len);
	char *text = xasprintf(":20:ING\n:25:/PL27105000861000009080850960\n:28C:1\n"
			       ":60F:C230603PLN10,00\n%s\n:62F:C230604PLN8,11\n",
			       body);
	struct stmt_file f;
	struct gerr err;
	assert_int_equal(read_text(text, &f, &err), 0);
	assert_string_equal(f.encoding, encoding);
	assert_string_equal(f.bank, "ING Bank Śląski");
	const struct txn *t = txn_at(&f, 0, 0);
	assert_minor(t->amount, -189);
	assert_string_equal(t->type_swift, "S073");
	assert_string_equal(t->customer_ref, "97301056237");
	assert_string_equal(t->type_code, "073");
	assert_string_equal(t->type_text, "VE02");
	assert_string_equal(t->title, title);
	assert_string_equal(t->counterparty_name, "BOLT.EU/R/2306021457 Tallinn");
	assert_string_equal(t->counterparty_account, "105000311915031/19730");
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
	free(text);
	free(body);
}

static void test_ing_double_86(void **state)
{
	(void)state;
	check_ing_excerpt(MT "excerpts/ingbsk-1-volyanyk-test.cp852-restored.txt", "CP852",
			  "Płatność kartą 02.06.2023 Nr karty 4246xx4970");
	/* as the test source kept it (CP852 read as MacRoman, saved as UTF-8): valid UTF-8,
	 * so its letters are taken as written */
	check_ing_excerpt(MT "excerpts/ingbsk-1-volyanyk-test.utf8.txt", "UTF-8",
			  "PàatnoòÜ kart• 02.06.2023 Nr karty 4246xx4970");
}

static void test_mt942_and_german(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(MT "mbank-5-mt942-interim.sta", &f);
	assert_int_equal(f.kind, STMT_KIND_INTERIM);
	assert_true(f.statements[0].stated_credits);
	assert_int_equal(f.statements[0].stated_credits_count, 3);
	assert_int_equal(f.statements[0].problems.len, 0);
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
	/* the same report stating two credits where it lists three: flagged */
	read_sample_altered(MT "mbank-5-mt942-interim.sta", ":90C:3PLN", 5, '2', &f);
	assert_int_equal(f.format, STMT_FORMAT_MT942);
	assert_false(f.statements[0].reconciles);
	assert_true(has_problem(&f.statements[0].problems,
				"the file states 2 credits summing 0.03, but 3 summing 0.03 were read"));
	stmt_file_free(&f);

	read_sample(MT "nonpl-de-sepa-multistatement.sta", &f);
	const struct stmt *st = &f.statements[0];
	assert_string_equal(st->account, "50880050/0194774600888");
	assert_minor(st->opening.amount, -123471836);
	/* RC: the reversal of a credit is a debit */
	const struct txn *t = txn_at(&f, 0, 5);
	assert_true(t->reversal);
	assert_minor(t->amount, -20488);
	assert_string_equal(t->type_text, "SAMMLER/STORNO");
	/* ?20..?29 joined; a marker's digits wrapped onto the next line ("?2\n2") */
	t = txn_at(&f, 0, 0);
	assert_string_equal(t->title, "EREF+TFNR 40005 00005MTLG:Grund nicht spezifiziert Reject "
				      "aus SEPA-Ueberweisungsauftrag");
	stmt_file_free(&f);

	read_sample(MT "nonpl-deutschebank-de.txt", &f); /* a space before the type */
	t = txn_at(&f, 0, 0);
	assert_string_equal(t->type_swift, "NRTI");
	assert_string_equal(t->counterparty_account, "DE50712345600200691329"); /* ?31 */
	assert_string_equal(t->counterparty_name, "TESTEREL");
	stmt_file_free(&f);
}

static void test_frames(void **state)
{
	(void)state;
	struct stmt_file f;
	/* {1:}{2:}{4: blocks, a "-" line inside :86:, :86: about the statement, two :65: */
	read_sample(MT "nonpl-ing-nl-oca.940", &f);
	const struct stmt *st = &f.statements[0];
	assert_string_equal(st->account, "NL77INGB0574908765");
	assert_minor(st->forward_available.amount, 56435);
	assert_string_equal(st->forward_available.date, "2014-02-21");
	const struct txn *t = txn_at(&f, 0, 3);
	assert_minor(t->amount, -114);
	assert_non_null(strstr(t->title, "/MARF/MND - EV01//CSID/"));
	stmt_file_free(&f);
	/* ABN AMRO: header lines, amounts without decimals ("D9,"), :60M:/:62M: */
	read_sample(MT "nonpl-abnamro-nl.sta", &f);
	assert_minor(txn_at(&f, 0, 0)->amount, -900);
	assert_string_equal(txn_at(&f, 0, 0)->title,
			    "GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659 "
			    "5314606715                       BETREFT FACTUUR D.D. 20-05-2011 "
			    "INCL. 1,44 BTW");
	assert_minor(f.statements[1].opening.amount, 287684);
	assert_minor(f.statements[1].closing.amount, 184975);
	stmt_file_free(&f);
	/* ":940:" first lines, the counterparty IBAN on :61:'s second line */
	read_sample(MT "nonpl-rabobank-nl-iban.sta", &f);
	assert_string_equal(txn_at(&f, 0, 0)->counterparty_account, "NL70ABNA0987654321");
	stmt_file_free(&f);
}

/* ---- hostile and broken input ----------------------------------------------------------- */

#define HEAD ":20:X\n:25:PL61109010140000071219812874\n:28C:1\n:60F:C240301PLN100,00\n"

static void expect_error(const char *text, const char *part)
{
	expect_read_error("test.sta", text, part);
}

static void test_refused(void **state)
{
	(void)state;
	expect_error(HEAD ":61:240301C12345678901234567890,00NTRF\n",
		     "line 5: :61: amount \"12345678901234567890,00\" has too many digits");
	expect_error(HEAD ":61:240301C92233720368547758,08NTRF\n", /* INT64_MAX + 1 */
		     "line 5: :61: amount \"92233720368547758,08\" has too many digits");
	expect_error(HEAD ":61:240301X1,00NTRF\n", "line 5: :61: has no C/D/RC/RD mark");
	expect_error(HEAD ":61:2403\n", "line 5: :61: does not start with a value date");
	expect_error(HEAD ":61:240301CNTRF\n", "line 5: :61: no amount");
	expect_error(HEAD "-\n:61:240301C1,00NTRF\n", "line 6: :61: outside a statement");
	expect_error("", "empty file");
	expect_error("hello\nworld\n", "not a statement format");
	/* a line of 1 MB */
	char *big = xmalloc(1 << 20);
	memset(big, 'A', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	char *text = xasprintf(HEAD ":86:%s\n", big);
	expect_error(text, "line 5 is longer than 8192 bytes");
	free(text);
	free(big);
}

/* The marks of :61: typed (the samples have CN, DN, CR, DR, CD and RC, but no RD), and
 * Millennium's "<" subfields, empty ones omitted, a title cut at fixed width and padded. */
static void test_marks_and_subfields(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err;
	assert_int_equal(read_text(HEAD ":61:240301CN1,00NTRF//A\n"
				   ":86:020<00PRZELEW<20FV 1/2024<32JAN NOWAK"
				   "<38PL27114020040000300201355387\n"
				   ":61:240301DN2,00NTRF//B\n"
				   ":86:020<20ZAPŁATA ZA       <21FV 12<2234/2024    <32SPÓŁKA\n"
				   ":61:240301RD3,00NTRF//C\n:61:240301RC4,00NTRF//D\n"
				   ":62F:C240301PLN98,00\n",
				   &f, &err),
			 0);
	assert_string_equal(f.dialect, "structured-lt");
	static const struct {
		int64_t amount;
		bool reversal;
		const char *bank_ref;
	} marks[] = {{100, false, "A"}, {-200, false, "B"}, {300, true, "C"}, {-400, true, "D"}};
	for (size_t i = 0; i < ARRAY_LEN(marks); i++) {
		const struct txn *t = txn_at(&f, 0, i);
		assert_minor(t->amount, marks[i].amount);
		assert_int_equal(t->reversal, marks[i].reversal);
		assert_string_equal(t->bank_ref, marks[i].bank_ref);
	}
	assert_true(f.statements[0].reconciles);
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->title, "FV 1/2024");
	assert_string_equal(t->counterparty_name, "JAN NOWAK");
	assert_string_equal(t->counterparty_account, "PL27114020040000300201355387");
	assert_string_equal(t->type_text, "PRZELEW");
	assert_null(raw_of(t, "<21"));
	t = txn_at(&f, 0, 1);
	assert_string_equal(t->title, "ZAPŁATA ZA FV 1234/2024");
	assert_string_equal(raw_of(t, "<22"), "34/2024    "); /* raw: as written */
	assert_string_equal(t->counterparty_name, "SPÓŁKA");
	stmt_file_free(&f);
}

static void test_flagged_not_refused(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err;
	/* 29 February 2031 does not exist; the date is left empty and flagged */
	assert_int_equal(read_text(HEAD ":61:310229C1,00NTRF\n:62F:C240301PLN101,00\n", &f, &err), 0);
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->value_date, "");
	assert_true(has_problem(&f.statements[0].problems, "line 5: value date 310229 is not a date"));
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
	/* :61: without :86:, balances that do not reconcile, an unknown tag */
	assert_int_equal(read_text(HEAD ":61:240301D1,00NTRF//R1\n:99:x\n:62F:C240301PLN100,00\n",
				   &f, &err),
			 0);
	t = txn_at(&f, 0, 0);
	assert_null(t->title);
	assert_string_equal(t->bank_ref, "R1");
	assert_false(f.statements[0].reconciles);
	assert_true(has_problem(&f.statements[0].problems, "balances do not reconcile"));
	assert_true(has_problem(&f.statements[0].problems, "unknown tag :99:"));
	stmt_file_free(&f);
	/* a transaction before any balance (its currency unknown), the statement's in a
	 * currency without decimals: flagged, and goniec.transactions/1 reads back the same
	 * minor units as the statement's totals count (found by fuzz_mt940) */
	assert_int_equal(read_text(":20:X\n:25:PL61109010140000071219812874\n:61:240301D591,02NTRF\n"
				   ":62F:C240301VND100\n",
				   &f, &err),
			 0);
	assert_true(has_problem(&f.statements[0].problems,
				"line 3: a transaction before any balance says the currency"));
	json_t *doc = stmt_transactions_json(&f);
	struct stmt_file back;
	stmt_file_init(&back, "back");
	back.keep_txns = true;
	assert_int_equal(stmt_from_transactions_json(doc, &back, NULL, &err), 0);
	assert_int_equal(txn_at(&back, 0, 0)->amount, txn_at(&f, 0, 0)->amount);
	assert_int_equal(back.statements[0].debits_sum, f.statements[0].debits_sum);
	json_decref(doc);
	stmt_file_free(&back);
	stmt_file_free(&f);
	/* a leap day and an entry date in the next year (value 311231, entry 0102) */
	assert_int_equal(read_text(HEAD ":61:2402290229C1,00NTRF\n:61:2312310102C1,00NTRF\n", &f,
				   &err),
			 0);
	assert_string_equal(txn_at(&f, 0, 0)->value_date, "2024-02-29");
	assert_string_equal(txn_at(&f, 0, 1)->booking_date, "2024-01-02");
	stmt_file_free(&f);
	/* Windows-1250 bytes (Ś = 0x8C) are told from ISO-8859-2 */
	assert_int_equal(read_text(HEAD ":61:240301C1,00NTRF\n:86:020~20\x8CWI\xCAT\xC1 FAKTURA\n", &f,
				   &err),
			 0);
	assert_string_equal(f.encoding, "WINDOWS-1250");
	assert_string_equal(txn_at(&f, 0, 0)->title, "ŚWIĘTÁ FAKTURA");
	stmt_file_free(&f);
	/* invalid UTF-8 past the first megabyte of a UTF-8 file: replaced and reported */
	struct buf text = {0};
	buf_puts(&text, HEAD);
	for (int i = 0; i < 40000; i++)
		buf_puts(&text, ":61:240301C1,00NTRF\n:86:ZAŻÓŁĆ\n");
	buf_puts(&text, ":61:240301C1,00NTRF\n:86:A\xC3(B\n");
	assert_int_equal(read_text(text.data, &f, &err), 0);
	assert_string_equal(f.encoding, "UTF-8");
	assert_string_equal(txn_at(&f, 0, 40000)->title, "A\xEF\xBF\xBD(B");
	assert_string_equal(txn_at(&f, 0, 0)->title, "ZAŻÓŁĆ");
	assert_true(has_problem(&f.problems, "1 bytes are not valid UTF-8"));
	stmt_file_free(&f);
	buf_free(&text);
}

/* Cut a real file anywhere: it is read with problems, or refused with a line number. */
static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	char *data = sample_bytes(MT "mbank-2-multiple-accounts.txt", &len);
	unsigned read_ok = 0, refused = 0;
	for (size_t cut = 0; cut < len; cut += 97) {
		struct stmt_file f;
		struct gerr err;
		if (read_bytes("cut.sta", data, cut, &f, &err) == 0) {
			read_ok++;
			const struct stmt *last = &f.statements[f.nstatements - 1];
			if (cut + 200 < len && last->closing.present)
				assert_true(last->reconciles || last->problems.len > 0);
		} else {
			refused++;
			assert_non_null(strstr(err.msg, "cut.sta"));
		}
		stmt_file_free(&f);
	}
	assert_true(read_ok > 100);
	assert_true(refused > 0);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sample),
		cmocka_unit_test(test_every_sample_balances),
		cmocka_unit_test(test_mbank_multiple_accounts),
		cmocka_unit_test(test_mbank_iph),
		cmocka_unit_test(test_bph_multicash),
		cmocka_unit_test(test_pko_fillers),
		cmocka_unit_test(test_pekao_caret_and_funds_codes),
		cmocka_unit_test(test_ing_double_86),
		cmocka_unit_test(test_mt942_and_german),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_marks_and_subfields),
		cmocka_unit_test(test_flagged_not_refused),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
