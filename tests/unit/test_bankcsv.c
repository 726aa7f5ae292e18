/* Unit tests of the bank CSV reader: the real mBank and ING exports in
 * ../shared/samples/csv, the other banks' layouts typed from their column maps, a map
 * added from conf.d/banks/, and rows that do not fit. */
#include "stmt_testutil.h"
#include "formats/bankcsv.h"
#include "readdir_fail.h"

#define CSV SAMPLES "csv/"

static void test_mbank_lista_operacji(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(CSV "mbank-mbiznes-lista-operacji-2025-02.csv", &f);
	assert_int_equal(f.format, STMT_FORMAT_CSV);
	assert_string_equal(f.dialect, "mbank-lista-operacji");
	assert_string_equal(f.bank, "mBank");
	assert_string_equal(f.encoding, "UTF-8");
	assert_int_equal(f.statements_total, 1);
	const struct stmt *st = &f.statements[0];
	/* the preamble: account (inside "mBiznes konto Standard - …"), period, sums */
	assert_string_equal(st->account, "PL48114020040000340281920685");
	assert_string_equal(st->period_from, "2025-02-01");
	assert_string_equal(st->period_to, "2025-02-28");
	assert_int_equal(st->count, 22);
	assert_int_equal(st->credits_count, 4);
	assert_int_equal(st->debits_count, 18);
	assert_minor(st->credits_sum, 1730996);
	assert_minor(st->debits_sum, -642292);
	/* the summary "#Wpływy;#Wydatki" agrees */
	assert_true(st->stated_credits && st->stated_debits);
	assert_minor(st->stated_credits_sum, 1730996);
	assert_minor(st->stated_debits_sum, -642292);
	/* balances from the balance-after column, newest first */
	assert_minor(st->closing.amount, 1691524);
	assert_string_equal(st->closing.date, "2025-02-26");
	assert_minor(st->opening.amount, 602820);
	assert_true(st->reconciles);
	/* "#Opis operacji": name, title, type and account out of one cell */
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->booking_date, "2025-02-26");
	assert_minor(t->amount, 118561);
	assert_string_equal(t->counterparty_name, "WEBER Yannick Nicolas");
	assert_string_equal(t->title, "Z22");
	assert_string_equal(t->type_text, "PRZELEW SEPA PRZYCHODZĄCY");
	assert_string_equal(t->counterparty_account, "CH9408781000259073900");
	assert_string_equal(raw_of(t, "#Kategoria"), "Wpływy - inne");
	assert_int_equal(t->origin.line, 27);
	t = txn_at(&f, 0, 13);
	assert_string_equal(t->counterparty_name, "URZĄD SKARBOWY");
	assert_string_equal(t->title, "CIT8");
	assert_string_equal(raw_of(t, "address"), "CENTRUM ROZLICZENIOWE");
	assert_string_equal(t->counterparty_account, "PL51101000712222796300753100");
	t = txn_at(&f, 0, 2); /* a fee: the text is the title, no counterparty */
	assert_minor(t->amount, -150);
	assert_string_equal(t->title, "OPŁATA PRZELEW ZEW.DOWOL.BIEŻĄCY");
	assert_null(t->counterparty_name);
	t = txn_at(&f, 0, 21);
	assert_minor(t->amount, -178832);
	assert_string_equal(t->counterparty_name, "GRUPA MORELE.NET");
	assert_string_equal(t->title, "19031072, 19032499");
	assert_string_equal(t->counterparty_account, "PL02114010810000354338001001");
	assert_string_equal(t->type_text, "PRZELEW WEWNĘTRZNY WYCHODZĄCY");
	stmt_file_free(&f);
}

/* The same export with its summary line changed by a grosz: read, and flagged. */
static void test_mbank_summary_disagrees(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample_altered(CSV "mbank-mbiznes-lista-operacji-2025-02.csv", "PLN;17 309,96;", 12,
			    '7', &f);
	assert_int_equal(f.txns_total, 22);
	assert_false(f.statements[0].reconciles);
	assert_true(has_problem(&f.statements[0].problems,
				"the file states credits summing 17309.97, but 4 summing 17309.96 "
				"were read"));
	stmt_file_free(&f);
}

static void test_ing_several_accounts_and_holds(void **state)
{
	(void)state;
	struct stmt_file f;
	read_sample(CSV "ing-pl-lista-transakcji-via-sheets.head150.csv", &f);
	assert_string_equal(f.dialect, "ing-lista-transakcji");
	assert_string_equal(f.bank, "ING Bank Śląski");
	assert_int_equal(f.statements_total, 5);
	assert_int_equal(f.txns_total, 150);
	static const struct {
		const char *account;
		unsigned long count, pending, credits, debits;
		int64_t credits_sum, debits_sum, opening, closing;
	} accounts[] = {
		/* the file's last balance 140,32 less the card holds (-468,44) of the period */
		{"Konto Active", 93, 9, 27, 57, 5944358, -5884058, 576, 60876},
		{"Otwarte Konto Oszczędnościowe", 26, 0, 3, 23, 3432062, -2190542, 4955359, 6196879},
		{"Smart Saver", 25, 0, 24, 1, 7111, -4, 4236, 11343},
		{"K@rta wirtualna ING VISA", 1, 0, 0, 1, 0, -10900, 10900, 0},
		{"Na dom", 5, 0, 1, 4, 1715, -1654086, 1652371, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(accounts); i++) {
		const struct stmt *st = &f.statements[i];
		assert_string_equal(st->account, accounts[i].account);
		assert_int_equal(st->count, accounts[i].count);
		assert_int_equal(st->pending_count, accounts[i].pending);
		assert_int_equal(st->credits_count, accounts[i].credits);
		assert_int_equal(st->debits_count, accounts[i].debits);
		assert_minor(st->credits_sum, accounts[i].credits_sum);
		assert_minor(st->debits_sum, accounts[i].debits_sum);
		assert_minor(st->opening.amount, accounts[i].opening);
		assert_minor(st->closing.amount, accounts[i].closing);
		assert_true(st->reconciles);
	}
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->booking_date, "2022-11-17");
	assert_minor(t->amount, -1000);
	assert_string_equal(t->counterparty_name,
			    "BLUE MEDIA SPÓŁKA AKCYJNA, UL.POWSTAŃCÓW WARSZAWY 6, 81-718 SOPOT");
	assert_string_equal(t->title,
			    "BPID:ATAMC6G7M3 Autopay oplata APKP RXFCHR Przejazd autostrada");
	assert_string_equal(t->counterparty_account, "PL21105000861000009080850960");
	assert_string_equal(t->transaction_id, "202232197223391535");
	assert_int_equal(t->origin.line, 2);
	t = txn_at(&f, 0, 2); /* a card hold: pending, amount from the hold column */
	assert_int_equal(t->status, TXN_PENDING);
	assert_minor(t->amount, -699);
	assert_string_equal(t->booking_date, "");
	assert_string_equal(t->value_date, "2022-11-17");
	assert_string_equal(t->title, "Płatność kartą  17.11.2022 Nr karty 4246xx9764");
	stmt_file_free(&f);
}

/* Layouts typed from the maps (no real files of these banks are in the samples). */
static void test_other_banks(void **state)
{
	(void)state;
	static const struct {
		const char *text, *map;
		unsigned long count;
		int64_t sum;
		const char *title, *name, *account;
	} cases[] = {
		{"\"Data operacji\",\"Data waluty\",\"Typ transakcji\",\"Kwota\",\"Waluta\","
		 "\"Saldo po transakcji\",\"Opis transakcji\",\"\",\"\"\n"
		 "\"2024-03-05\",\"2024-03-05\",\"Przelew na konto\",\"-48.78\",\"PLN\",\"+100.00\","
		 "\"Rachunek odbiorcy: 61 1090 1014 0000 0712 1981 2874\","
		 "\"Nazwa odbiorcy: ZAKŁAD ENERGETYCZNY\",\"Tytuł: FV 12/03/2024\"\n"
		 "\"2024-03-04\",\"2024-03-04\",\"Przelew na rachunek\",\"+3.99\",\"PLN\","
		 "\"+148.78\",\"Tytuł: ZWROT\",\"Nazwa nadawcy: JAN NOWAK\",\"\"\n",
		 "pko-bp-historia", 2, -4479, "FV 12/03/2024", "ZAKŁAD ENERGETYCZNY",
		 "PL61109010140000071219812874"},
		{"Data księgowania;Data waluty;Nadawca / Odbiorca;Adres nadawcy / odbiorcy;"
		 "Rachunek źródłowy;Rachunek docelowy;Tytułem;Kwota operacji;Waluta;"
		 "Numer referencyjny;Typ operacji\n"
		 "05.03.2024;05.03.2024;FIRMA SP. Z O.O.;UL. DŁUGA 1;"
		 "61 1090 1014 0000 0712 1981 2874;27 1140 2004 0000 3002 0135 5387;"
		 "FV 1/2024;1 234,56;PLN;REF123;PRZELEW PRZYCHODZĄCY\n",
		 "pekao-lista-operacji", 1, 123456, "FV 1/2024", "FIRMA SP. Z O.O.",
		 "PL61109010140000071219812874"},
		{"\"Numer rachunku/karty\",\"Data transakcji\",\"Data rozliczenia\",\"Rodzaj transakcji\","
		 "\"Na konto/Z konta\",\"Odbiorca/Zleceniodawca\",\"Opis\",\"Obciążenia\",\"Uznania\","
		 "\"Saldo\",\"Waluta\"\n"
		 "\"PL27 1140 2004 0000 3002 0135 5387\",\"2024-01-15\",\"2024-01-15\","
		 "\"PŁATNOŚĆ BLIK\",\"\",\"www.mobilet.pl\",\"BILET\",\"-12.00\",\"\",\"662.90\",\"PLN\"\n"
		 "\"PL27 1140 2004 0000 3002 0135 5387\",\"2024-01-14\",\"2024-01-14\","
		 "\"UZNANIE\",\"\",\"JAN NOWAK\",\"ZWROT\",\"\",\"10.00\",\"674.90\",\"PLN\"\n",
		 "millennium-historia", 2, -200, "BILET", "www.mobilet.pl", NULL},
		{"Kryteria wyszukiwania\n"
		 "Data transakcji;Data księgowania;Nazwa nadawcy;Nazwa odbiorcy;Szczegóły transakcji;"
		 "Kwota operacji;Waluta operacji;Kwota w walucie rachunku;Waluta rachunku;"
		 "Numer rachunku nadawcy;Numer rachunku odbiorcy\n"
		 "05-03-2024;05-03-2024;MOJA FIRMA;DOSTAWCA SA;FV 7/2024;-100,00;PLN;-100,00;PLN;"
		 "27114020040000300201355387;61109010140000071219812874\n",
		 "alior-historia-operacji", 1, -10000, "FV 7/2024", "DOSTAWCA SA",
		 "PL61109010140000071219812874"},
		{"2024-03-31,01-03-2024,'61 1090 1014 0000 0712 1981 2874,JAN NOWAK,PLN,100,00,50,00,1\n"
		 "05-03-2024,05-03-2024,FV 2/2024,KLIENT SA,27114020040000300201355387,\"50,00\","
		 "\"100,00\",1\n",
		 "santander-historia", 1, 5000, "FV 2/2024", "KLIENT SA", "PL27114020040000300201355387"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct stmt_file f;
		struct gerr err;
		print_message("%s\n", cases[i].map);
		if (read_bytes("bank.csv", cases[i].text, strlen(cases[i].text), &f, &err) < 0)
			fail_msg("%s", err.msg);
		assert_string_equal(f.dialect, cases[i].map);
		const struct stmt *st = &f.statements[0];
		assert_int_equal(st->count, cases[i].count);
		assert_minor(st->credits_sum + st->debits_sum, cases[i].sum);
		const struct txn *t = txn_at(&f, 0, 0);
		assert_string_equal(t->title, cases[i].title);
		assert_string_equal(t->counterparty_name, cases[i].name);
		if (cases[i].account)
			assert_string_equal(t->counterparty_account, cases[i].account);
		stmt_file_free(&f);
	}
}

static void test_map_from_conf_d(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *path = path_join(dir, "nest.yaml");
	write_text(path, "id: nest-historia\n"
			 "bank: Nest Bank\n"
			 "separator: \"|\"\n"
			 "decimal: \".\"\n"
			 "currency: PLN\n"
			 "header: [Data, Kwota, Opis]\n"
			 "columns: {booking_date: Data, amount: Kwota, title: Opis}\n");
	struct diag diag = {0};
	assert_int_equal(bankcsv_load_dir(dir, &diag), 1);
	assert_int_equal(diag.errors, 0);
	const char *text = "Data|Kwota|Opis\n2024-03-01|12.50|ZA FV 9\n";
	struct stmt_file f;
	struct gerr err;
	assert_int_equal(read_bytes("nest.csv", text, strlen(text), &f, &err), 0);
	assert_string_equal(f.bank, "Nest Bank");
	assert_minor(txn_at(&f, 0, 0)->amount, 1250);
	assert_string_equal(txn_at(&f, 0, 0)->title, "ZA FV 9");
	stmt_file_free(&f);
	/* a map with mistakes: each reported at its place */
	write_text(path, "id: broken\nbank: X\nseparator: \";\"\ndecimal: \",\"\nheadr: [a]\n"
			 "columns: {amount: Kwota}\npreamble:\n  - {after: x, cells: [acount]}\n");
	bankcsv_maps_free();
	assert_int_equal(bankcsv_load_dir(dir, &diag), 0);
	assert_true(diag.errors >= 3);
	bool unknown = false, date = false, cell = false;
	for (size_t i = 0; i < diag.len; i++) {
		unknown |= strstr(diag.items[i].msg, "headr") != NULL && diag.items[i].pos.line == 5;
		date |= strstr(diag.items[i].msg, "booking_date") != NULL &&
			diag.items[i].pos.line == 6; /* at columns: */
		cell |= strstr(diag.items[i].msg, "unknown cell 'acount'") != NULL &&
			diag.items[i].pos.line == 8;
	}
	assert_true(unknown && date && cell);
	diag_free(&diag);
	bankcsv_maps_free();
	rm_rf(dir);
	free(path);
	free(dir);
}

static void expect_error(const char *text, const char *part)
{
	expect_read_error("x.csv", text, part);
}

#define PEKAO "Data księgowania;Data waluty;Nadawca / Odbiorca;Adres nadawcy / odbiorcy;" \
	      "Rachunek źródłowy;Rachunek docelowy;Tytułem;Kwota operacji;Waluta\n"

static void test_rows_that_do_not_fit(void **state)
{
	(void)state;
	expect_error(PEKAO "05.03.2024;05.03.2024;A;B;C;D;E;1,00;PLN\n"
			   "wczoraj;jutro;A;B;C;D;E;1,00;PLN\n",
		     "x.csv: line 3: no date in the date column: wczoraj (the row does not fit the "
		     "pekao-lista-operacji map of Bank Pekao)");
	expect_error(PEKAO "05.03.2024;05.03.2024;A;B;C;D;E;1,0,0;PLN\n", "x.csv: line 2:");
	expect_error(PEKAO "05.03.2024;05.03.2024;A;B;C;D;E;;PLN\n", "line 2: no amount");
	expect_error(PEKAO "05.03.2024;05.03.2024;A;B;C;D;E;123456789012345678901,00;PLN\n",
		     "too many digits");
	/* a quote left open */
	expect_error(PEKAO "05.03.2024;05.03.2024;\"A;B;C;D;E;1,00;PLN\n05.03.2024;x\n",
		     "x.csv: line 2: a quote is left open");
	struct buf big = {0};
	buf_puts(&big, PEKAO "05.03.2024;05.03.2024;\"");
	for (int i = 0; i < 20000; i++)
		buf_puts(&big, "long line\n");
	expect_error(big.data, "line 2: a cell or row larger than");
	buf_free(&big);
	expect_error("a;b;c\n1;2;3\n", "not a statement format");
	/* a summary after the rows is not an error */
	const char *text = PEKAO "05.03.2024;05.03.2024;A;B;C;D;E;1,00;PLN\n#Razem;1,00\n";
	struct stmt_file f;
	struct gerr err;
	assert_int_equal(read_bytes("x.csv", text, strlen(text), &f, &err), 0);
	assert_int_equal(f.txns_total, 1);
	stmt_file_free(&f);
	/* Windows-1250 bytes: the header is still found, the letters right */
	const char *cp1250 = "Data ksi\xEAgowania;Data waluty;Nadawca / Odbiorca;Adres;"
			     "Rachunek \x9Fr\xF3""d\xB3owy;Rachunek docelowy;Tytu\xB3""em;"
			     "Kwota operacji;Waluta\n"
			     "05.03.2024;05.03.2024;\x8C" "CIANA SP. Z O.O.;;;;ZA FV;2,00;PLN\n";
	assert_int_equal(read_bytes("x.csv", cp1250, strlen(cp1250), &f, &err), 0);
	assert_string_equal(f.encoding, "WINDOWS-1250");
	assert_string_equal(txn_at(&f, 0, 0)->counterparty_name, "ŚCIANA SP. Z O.O.");
	assert_string_equal(txn_at(&f, 0, 0)->title, "ZA FV");
	stmt_file_free(&f);
}

/* Card holds are in the bank's balances but not in the sums: their sum is taken from the
 * last balance. Ten holds of 18 digits each sum past int64; no balances are derived from
 * such a file rather than ones that wrapped round (undefined in C). */
static void test_holds_past_int64(void **state)
{
	(void)state;
	/* ten holds; nine whose sum fits but not the last balance less it */
	static const struct { int holds; const char *balance; } cases[] = {
		{10, "0"}, {9, "9999999999999999,99"},
	};
	for (size_t c = 0; c < ARRAY_LEN(cases); c++) {
		struct buf b = {0};
		buf_puts(&b, "Data transakcji,Data księgowania,Dane kontrahenta,Tytuł,Nr rachunku,"
			     "Nazwa banku,Szczegóły,Nr transakcji,Kwota transakcji (waluta rachunku),"
			     "Kwota blokady/zwolnienie blokady,Waluta,Kwota płatności w walucie,Konto,"
			     "Saldo po transakcji\n");
		for (int i = 0; i < cases[c].holds; i++)
			buf_printf(&b, "2022-11-17,, SHOP , Płatność kartą,',,,,,\"-9999999999999999,99\","
				   "PLN,,Konto Active,\"%s\"\n", cases[c].balance);
		struct stmt_file f;
		struct gerr err;
		assert_int_equal(read_bytes("x.csv", b.data, b.len, &f, &err), 0);
		assert_string_equal(f.dialect, "ing-lista-transakcji");
		const struct stmt *st = &f.statements[0];
		assert_int_equal(st->pending_count, cases[c].holds);
		assert_false(st->opening.present);
		assert_false(st->closing.present);
		assert_false(st->reconciles);
		stmt_file_free(&f);
		buf_free(&b);
	}
}

/* A conf.d/banks folder that cannot be read to its end is an error, and no map of it is
 * taken: readdir()'s NULL on an error (EIO) was taken for the end of the folder, so the
 * maps past it were missing and their banks' exports read by another map or none. */
static void test_maps_folder_cut_short(void **state)
{
	(void)state;
	bankcsv_maps_free();
	char *dir = scratch_dir();
	const char *ids[] = {"a-bank", "b-bank"};
	for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
		char *name = xasprintf("%s.yaml", ids[i]), *path = path_join(dir, name);
		char *map = xasprintf("id: %s\nbank: %s\nseparator: \"|\"\ndecimal: \".\"\ncurrency: PLN\n"
				      "header: [Data, Kwota, %s]\ncolumns: {booking_date: Data, amount: Kwota}\n",
				      ids[i], ids[i], ids[i]);
		write_text(path, map);
		free(map);
		free(path);
		free(name);
	}
	struct diag diag = {0};
	readdir_fail_at(dir, 1);
	assert_int_equal(bankcsv_load_dir(dir, &diag), 0);
	readdir_fail_at(NULL, 0);
	assert_int_equal(diag.errors, 1);
	char *expected = xasprintf("cannot read folder %s: Input/output error", dir);
	assert_non_null(strstr(diag.items[0].msg, expected));
	free(expected);
	/* the folder is read again next time, whole */
	assert_int_equal(bankcsv_load_dir(dir, &diag), 2);
	diag_free(&diag);
	bankcsv_maps_free();
	rm_rf(dir);
	free(dir);
}

static void test_builtin_maps_load(void **state)
{
	(void)state;
	size_t n;
	const struct bankcsv_map *const *maps = bankcsv_maps(&n);
	assert_int_equal(n, 8);
	assert_string_equal(maps[0]->id, "mbank-lista-operacji");
	assert_string_equal(maps[0]->origin, "built-in");
	assert_int_equal(maps[0]->layout, BANKCSV_LAYOUT_MBANK);
	assert_int_equal(maps[0]->nrules, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_maps_load),
		cmocka_unit_test(test_maps_folder_cut_short),
		cmocka_unit_test(test_mbank_lista_operacji),
		cmocka_unit_test(test_mbank_summary_disagrees),
		cmocka_unit_test(test_ing_several_accounts_and_holds),
		cmocka_unit_test(test_holds_past_int64),
		cmocka_unit_test(test_other_banks),
		cmocka_unit_test(test_map_from_conf_d),
		cmocka_unit_test(test_rows_that_do_not_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
