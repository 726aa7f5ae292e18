/* Unit tests of the statement model: totals, reconciling, the sidecar summary, and the
 * goniec.transactions/1 document written and read back. */
#include "testutil.h"
#include "formats/statement.h"
#include "formats/stmtfile.h"

static void make_txn(struct txn *t, const char *date, int64_t amount, const char *title)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->account, "PL61109010140000071219812874");
	strcpy(t->currency, "PLN");
	strcpy(t->booking_date, date);
	strcpy(t->value_date, date);
	t->amount = amount;
	txn_set(&t->title, title);
}

/* One statement of three transactions; closing given by the caller. */
static void build_file(struct stmt_file *f, int64_t closing, bool keep)
{
	stmt_file_init(f, "test.sta");
	f->keep_txns = keep;
	f->format = STMT_FORMAT_MT940;
	stmt_file_set(&f->dialect, "structured-tilde");
	stmt_file_set(&f->encoding, "WINDOWS-1250");
	struct stmt st = {0};
	strcpy(st.account, "PL61109010140000071219812874");
	strcpy(st.currency, "PLN");
	txn_set(&st.number, "00009/01");
	st.opening = (struct stmt_balance){true, 100000, "PLN", "2024-03-01"};
	st.closing = (struct stmt_balance){true, closing, "PLN", "2024-03-05"};
	struct txn t;
	struct gerr err;
	make_txn(&t, "2024-03-04", 12300, "FV 1/2024");
	txn_set(&t.counterparty_name, "ZAKŁAD USŁUG");
	txn_set(&t.counterparty_account, "PL27114020040000300201355387");
	txn_set(&t.bank_ref, "EL004391-000970");
	txn_set(&t.type_code, "020");
	txn_add_raw(&t, "~20", "FV 1/2024");
	t.origin = (struct txn_origin){7, 0, 0, 0};
	assert_int_equal(stmt_emit_txn(f, &st, &t, NULL, &err), 0);
	txn_clear(&t);
	make_txn(&t, "2024-03-02", -4550, "OPŁATA");
	t.status = TXN_PENDING;
	t.reversal = true;
	assert_int_equal(stmt_emit_txn(f, &st, &t, NULL, &err), 0);
	txn_clear(&t);
	make_txn(&t, "2024-03-05", -1, NULL);
	assert_int_equal(stmt_emit_txn(f, &st, &t, NULL, &err), 0);
	txn_clear(&t);
	assert_int_equal(stmt_emit_end(f, &st, NULL, &err), 0);
}

static void test_totals_and_reconcile(void **state)
{
	(void)state;
	struct stmt_file f;
	build_file(&f, 100000 + 12300 - 1, false);
	assert_int_equal(f.nstatements, 1);
	const struct stmt *st = &f.statements[0];
	assert_int_equal(st->count, 3);
	assert_int_equal(st->pending_count, 1); /* counted, not summed */
	assert_int_equal(st->credits_count, 1);
	assert_int_equal(st->debits_count, 1);
	assert_true(st->credits_sum == 12300);
	assert_true(st->debits_sum == -1);
	assert_true(st->reconciles);
	assert_int_equal(st->problems.len, 0);
	assert_string_equal(st->period_from, "2024-03-02");
	assert_string_equal(st->period_to, "2024-03-05");
	assert_string_equal(f.bank, "Santander Bank Polska");
	assert_null(st->txns);
	stmt_file_free(&f);

	build_file(&f, 100000, false);
	assert_false(f.statements[0].reconciles);
	assert_int_equal(f.statements[0].problems.len, 1);
	assert_string_equal(f.statements[0].problems.items[0],
			    "balances do not reconcile: opening 1000.00 + transactions 122.99 = "
			    "1122.99, but the closing balance is 1000.00");
	stmt_file_free(&f);
}

static void test_missing_closing_and_overflow(void **state)
{
	(void)state;
	struct stmt st = {0};
	strcpy(st.currency, "PLN");
	st.opening = (struct stmt_balance){true, 0, "PLN", ""};
	stmt_finish(&st);
	assert_false(st.reconciles);
	assert_string_equal(st.problems.items[0], "no closing balance");
	stmt_clear(&st);

	struct txn t;
	make_txn(&t, "2024-01-01", INT64_MAX, NULL);
	st.opening = (struct stmt_balance){true, 0, "PLN", ""};
	st.closing = (struct stmt_balance){true, 0, "PLN", ""};
	stmt_add_txn(&st, &t);
	stmt_add_txn(&st, &t);
	stmt_finish(&st);
	assert_true(st.sums_overflow);
	assert_false(st.reconciles);
	assert_string_equal(st.problems.items[0],
			    "the sums of the transactions do not fit in 64 bits");
	txn_clear(&t);
	stmt_clear(&st);
}

static void test_sidecar_json(void **state)
{
	(void)state;
	struct stmt_file f;
	build_file(&f, 100000 + 12300 - 1, false);
	json_t *j = stmt_sidecar_json(&f);
	assert_string_equal(json_string_value(json_object_get(j, "format")), "mt940");
	assert_string_equal(json_string_value(json_object_get(j, "account")),
			    "PL61109010140000071219812874");
	assert_string_equal(json_string_value(json_object_get(j, "bank")),
			    "Santander Bank Polska");
	json_t *open = json_object_get(j, "opening_balance");
	assert_string_equal(json_string_value(json_object_get(open, "amount")), "1000.00");
	json_t *debits = json_object_get(j, "debits");
	assert_string_equal(json_string_value(json_object_get(debits, "sum")), "-0.01");
	assert_int_equal(json_integer_value(json_object_get(debits, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "pending")), 1);
	assert_true(json_is_true(json_object_get(j, "reconciles")));
	assert_int_equal(json_array_size(json_object_get(j, "problems")), 0);
	assert_null(json_object_get(j, "statements"));
	json_decref(j);
	stmt_file_free(&f);

	j = stmt_sidecar_error_json(STMT_FORMAT_MT940, "x.sta:3: bad");
	assert_string_equal(json_string_value(json_object_get(j, "error")), "x.sta:3: bad");
	json_decref(j);
}

static void test_sidecar_several_statements(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err;
	stmt_file_init(&f, "two.sta");
	for (int i = 0; i < 2; i++) {
		struct stmt st = {0};
		strcpy(st.account, i ? "PL27114020040000300201355387" : "PL61109010140000071219812874");
		strcpy(st.currency, i ? "EUR" : "PLN");
		st.opening = (struct stmt_balance){true, 0, "", ""};
		strcpy(st.opening.currency, st.currency);
		assert_int_equal(stmt_emit_end(&f, &st, NULL, &err), 0);
	}
	json_t *j = stmt_sidecar_json(&f);
	assert_int_equal(json_array_size(json_object_get(j, "statements")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "accounts")), 2);
	assert_null(json_object_get(j, "currency"));
	assert_null(json_object_get(j, "credits"));
	assert_true(json_is_false(json_object_get(j, "reconciles")));
	json_t *problems = json_object_get(j, "problems");
	assert_int_equal(json_array_size(problems), 2);
	assert_string_equal(json_string_value(json_array_get(problems, 1)),
			    "statement 2 (PL27114020040000300201355387): no closing balance");
	json_decref(j);
	stmt_file_free(&f);
}

static void test_transactions_round_trip(void **state)
{
	(void)state;
	struct stmt_file f, back;
	struct gerr err;
	build_file(&f, 100000 + 12300 - 1, true);
	json_t *bad = json_loads("{\"transaction_amount\": {\"amount\": \"1.001\"}}", 0, NULL);
	stmt_file_unreadable(&f, bad, "transaction 2 of a page: amount \"1.001\" has more than 2 decimal places");
	json_decref(bad);
	json_t *doc = stmt_transactions_json(&f);
	char *text = json_dumps(doc, JSON_SORT_KEYS);
	json_decref(doc);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	stmt_file_init(&back, "doc.json");
	back.keep_txns = true;
	assert_int_equal(stmt_from_transactions_json(doc, &back, NULL, &err), 0);
	json_decref(doc);
	assert_int_equal(back.format, STMT_FORMAT_TRANSACTIONS_JSON);
	/* what the bank sent that could not be read is kept, and said, again */
	assert_int_equal(json_array_size(back.unreadable), 1);
	assert_int_equal(back.problems.len, 1);
	assert_non_null(strstr(back.problems.items[0], "could not be read (transaction 2 of a page: amount"));
	assert_int_equal(back.nstatements, 1);
	const struct stmt *a = &f.statements[0], *b = &back.statements[0];
	assert_string_equal(a->account, b->account);
	assert_string_equal(b->number, "00009/01");
	assert_true(b->reconciles);
	assert_true(b->opening.amount == 100000);
	assert_string_equal(b->closing.date, "2024-03-05");
	assert_int_equal(b->ntxns, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct txn *x = &a->txns[i], *y = &b->txns[i];
		assert_true(x->amount == y->amount);
		assert_string_equal(x->booking_date, y->booking_date);
		assert_int_equal(x->status, y->status);
		assert_int_equal(x->reversal, y->reversal);
		assert_int_equal(x->nraw, y->nraw);
	}
	assert_string_equal(b->txns[0].counterparty_name, "ZAKŁAD USŁUG");
	assert_string_equal(b->txns[0].title, "FV 1/2024");
	assert_string_equal(b->txns[0].bank_ref, "EL004391-000970");
	assert_string_equal(b->txns[0].raw[0].key, "~20");
	assert_int_equal(b->txns[0].origin.line, 7);
	assert_null(b->txns[2].title);
	json_t *again = stmt_transactions_json(&back);
	json_t *first = stmt_transactions_json(&f);
	json_object_del(first, "format");
	json_object_del(again, "format");
	assert_true(json_equal(first, again));
	json_decref(first);
	json_decref(again);
	free(text);
	stmt_file_free(&f);
	stmt_file_free(&back);
}

static void expect_json_error(const char *text, const char *message)
{
	struct stmt_file f;
	struct gerr err;
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	stmt_file_init(&f, "bad.json");
	assert_int_equal(stmt_from_transactions_json(doc, &f, NULL, &err), -1);
	assert_string_equal(err.msg, message);
	json_decref(doc);
	stmt_file_free(&f);
}

static void test_transactions_json_refused(void **state)
{
	(void)state;
	expect_json_error("{\"schema\": \"other/1\"}",
			  "bad.json: not a goniec.transactions/1 document");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [{"
			  "\"transactions\": [{\"title\": \"x\"}]}]}",
			  "bad.json: statement 1, transaction 1: \"amount\" is missing");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [], \"unreadable\": {}}",
			  "bad.json: document: \"unreadable\" is not an array");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [], \"unreadable\": [1]}",
			  "bad.json: unreadable 1: not an object");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [{\"currency\":"
			  " \"PLN\", \"transactions\": [{\"amount\": 12.5}]}]}",
			  "bad.json: statement 1, transaction 1: \"amount\" is not a string");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [{\"currency\":"
			  " \"PLN\", \"transactions\": [{\"amount\": \"1.234\"}]}]}",
			  "bad.json: statement 1, transaction 1: \"amount\" amount \"1.234\" has "
			  "more than 2 decimal places");
	expect_json_error("{\"schema\": \"goniec.transactions/1\", \"statements\": [{\"currency\":"
			  " \"PLN\", \"transactions\": [{\"amount\": \"1\", \"booking_date\": "
			  "\"2024-3-1\"}]}]}",
			  "bad.json: statement 1, transaction 1: \"booking_date\" is not a date "
			  "YYYY-MM-DD");
}

/* An empty input is refused as such (fuzz_stmtfile: sniffing it added 0 to a NULL head,
 * which UBSan stops on). */
static void test_read_empty_input(void **state)
{
	(void)state;
	struct stmt_input in;
	struct stmt_file f;
	struct gerr err = {0};
	stmt_input_mem(&in, NULL, 0, "empty.sta");
	stmt_file_init(&f, "empty.sta");
	assert_int_equal(stmt_sniff(NULL, 0), STMT_FORMAT_UNKNOWN);
	assert_int_equal(stmt_read(&in, &f, NULL, &err), -1);
	assert_string_equal(err.msg, "empty.sta: empty file");
	stmt_file_free(&f);
	stmt_input_free(&in);
}

static void test_bank_of_account(void **state)
{
	(void)state;
	assert_string_equal(stmt_bank_of_account("PL45114011370000310211001001"), "mBank");
	assert_string_equal(stmt_bank_of_account("PL52106000760000321000055801"), "Bank BPH");
	assert_string_equal(stmt_bank_of_account("PL28898500040010014331310001"),
			    "bank spółdzielczy");
	assert_null(stmt_bank_of_account("NL91ABNA0417164300"));
	assert_null(stmt_bank_of_account(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totals_and_reconcile),
		cmocka_unit_test(test_missing_closing_and_overflow),
		cmocka_unit_test(test_sidecar_json),
		cmocka_unit_test(test_sidecar_several_statements),
		cmocka_unit_test(test_transactions_round_trip),
		cmocka_unit_test(test_transactions_json_refused),
		cmocka_unit_test(test_read_empty_input),
		cmocka_unit_test(test_bank_of_account),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
