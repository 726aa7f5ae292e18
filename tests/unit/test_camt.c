/* Unit tests of the CAMT reader: every sample in ../shared/samples/camt053, checked
 * against the independent reading of genkgo/camt (the JSON files in camt053/genkgo-expected) and
 * field by field, and hostile XML (entities, DOCTYPE, broken documents). */
#include "stmt_testutil.h"
#include "formats/camt.h"

#define CAMT SAMPLES "camt053/"

static const struct expect {
	const char *file;
	enum stmt_format format;
	const char *version;
	unsigned long statements, txns, reconciling;
	int64_t credits_sum, debits_sum;
} expected[] = {
	/* OPBD 1.01 + 8.85 is not CLBD 4.04 (synthetic balances of every type) */
	{"genkgo-camt053.v2.all-balance-types.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 1,
	 0, 885, 0},
	/* "18.150" + "8.850" (trailing zeros of five decimals) is not "27.050" */
	{"genkgo-camt053.v2.five.decimals.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 1, 0,
	 885, 0},
	/* the closing balance is in SEK, the opening in EUR */
	{"genkgo-camt053.v2.minimal.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 1, 0, 885, 0},
	{"genkgo-camt053.v2.multi.statement.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 2, 2, 2,
	 885, -700},
	{"genkgo-camt053.v2.with-party-ids.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 1, 0,
	 885, 0},
	{"genkgo-camt053.v3.xml", STMT_FORMAT_CAMT053, "camt.053.001.03", 1, 1, 0, 885, 0},
	{"genkgo-camt053.v4.xml", STMT_FORMAT_CAMT053, "camt.053.001.04", 1, 1, 0, 885, 0},
	{"genkgo-camt053.v8.xml", STMT_FORMAT_CAMT053, "camt.053.001.08", 1, 1, 0, 885, 0},
	/* 15568.27 - 754.25 is not 15121.12 */
	{"oca-test-camt053.001.02-bookgdt-dttm.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 1,
	 0, 0, -75425},
	/* a batch entry of two (564.05 + 100.00); 15568.27 - 12.99 is not 15121.12 */
	{"oca-test-camt053.001.02.xml", STMT_FORMAT_CAMT053, "camt.053.001.02", 1, 4, 0, 140531,
	 -141830},
	{"oca-test-camt053.001.04-no-ntry.xml", STMT_FORMAT_CAMT053, "camt.053.001.04", 1, 0, 1, 0,
	 0},
	{"oca-test-camt053.001.04-txdtls.xml", STMT_FORMAT_CAMT053, "camt.053.001.04", 1, 2, 1,
	 348300, 0},
	{"oca-test-camt054.001.04-notification.xml", STMT_FORMAT_CAMT054, "camt.054.001.04", 1, 1,
	 0, 500, 0},
};

static void test_every_sample(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(expected); i++) {
		const struct expect *e = &expected[i];
		char *path = xasprintf(CAMT "%s", e->file);
		struct stmt_file f;
		read_sample(path, &f);
		print_message("%s\n", e->file);
		unsigned long reconciling = 0;
		int64_t credits = 0, debits = 0;
		for (size_t k = 0; k < f.nstatements; k++) {
			reconciling += f.statements[k].reconciles;
			credits += f.statements[k].credits_sum;
			debits += f.statements[k].debits_sum;
		}
		assert_int_equal(f.format, e->format);
		assert_string_equal(f.version, e->version);
		assert_string_equal(f.encoding, "UTF-8");
		assert_int_equal(f.statements_total, e->statements);
		assert_int_equal(f.txns_total, e->txns);
		assert_int_equal(reconciling, e->reconciling);
		assert_minor(credits, e->credits_sum);
		assert_minor(debits, e->debits_sum);
		stmt_file_free(&f);
		free(path);
	}
}

/* The OCA files' balances as their <Bal> elements write them (the genkgo ones are compared
 * with genkgo's reading below): OPBD and CLBD, amount, currency and date. */
static void test_oca_balances(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int64_t opening, closing;
		const char *currency, *opening_date, *closing_date;
	} cases[] = {
		{"oca-test-camt053.001.02.xml", 1556827, 1512112, "EUR", "2014-01-05", "2014-01-05"},
		{"oca-test-camt053.001.02-bookgdt-dttm.xml", 1556827, 1512112, "EUR", "2014-01-05",
		 "2014-01-05"},
		{"oca-test-camt053.001.04-no-ntry.xml", 152076, 152076, "CHF", "2014-01-05",
		 "2014-01-05"},
		{"oca-test-camt053.001.04-txdtls.xml", 7596015, 7944315, "CHF", "2017-03-22",
		 "2017-03-23"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *path = xasprintf(CAMT "%s", cases[i].file);
		struct stmt_file f;
		print_message("%s\n", cases[i].file);
		read_sample(path, &f);
		const struct stmt *st = &f.statements[0];
		assert_true(st->opening.present && st->closing.present);
		assert_minor(st->opening.amount, cases[i].opening);
		assert_minor(st->closing.amount, cases[i].closing);
		assert_string_equal(st->opening.currency, cases[i].currency);
		assert_string_equal(st->currency, cases[i].currency);
		assert_string_equal(st->opening.date, cases[i].opening_date);
		assert_string_equal(st->closing.date, cases[i].closing_date);
		stmt_file_free(&f);
		free(path);
	}
}

/* ---- the same files as genkgo/camt reads them -------------------------------------------- */

static const char *jstr(json_t *obj, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	json_t *cur = obj;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	free(copy);
	return json_string_value(cur);
}

static int64_t jminor(json_t *money)
{
	return strtoll(jstr(money, "getAmount"), NULL, 10);
}

/* The balance genkgo names `type` ("opening", "closing", "closing_available"): the first. */
static json_t *genkgo_balance(json_t *record, const char *type)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(record, "getBalances"), i, b)
		if (!strcmp(jstr(b, "getType"), type))
			return b;
	return NULL;
}

static void compare_balance(json_t *record, const char *type, const struct stmt_balance *ours)
{
	json_t *b = genkgo_balance(record, type);
	if (!b) {
		assert_false(ours->present);
		return;
	}
	assert_true(ours->present);
	assert_minor(ours->amount, jminor(json_object_get(b, "getAmount")));
	assert_string_equal(ours->currency, jstr(b, "getAmount.getCurrency.getCode"));
	assert_memory_equal(ours->date, jstr(b, "getDate.0"), STMT_DATE_LEN);
}

static const struct stmt *statement_with_id(const struct stmt_file *f, const char *id)
{
	for (size_t i = 0; i < f->nstatements; i++)
		if (f->statements[i].id && !strcmp(f->statements[i].id, id))
			return &f->statements[i];
	fail_msg("no statement %s", id);
	return NULL;
}

/* The party genkgo lists with the class `cls` ("Debtor", "Creditor"), or NULL. */
static json_t *genkgo_party(json_t *detail, const char *cls)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(detail, "getRelatedParties"), i, p) {
		const char *c = jstr(p, "getRelatedPartyType.__CLASS__");
		if (c && str_ends_with(c, cls))
			return p;
	}
	return NULL;
}

static void compare_entry(json_t *entry, const struct txn *t)
{
	int64_t amount = jminor(json_object_get(entry, "getAmount"));
	assert_minor(t->amount, amount);
	assert_string_equal(t->currency, jstr(entry, "getAmount.getCurrency.getCode"));
	assert_memory_equal(t->booking_date, jstr(entry, "getBookingDate.0"), STMT_DATE_LEN);
	assert_memory_equal(t->value_date, jstr(entry, "getValueDate.0"), STMT_DATE_LEN);
	assert_int_equal(t->status, TXN_BOOKED);
	assert_string_equal(jstr(entry, "getStatus"), "BOOK");
	assert_int_equal(t->reversal, json_is_true(json_object_get(entry, "getReversalIndicator")));
	const char *ref = jstr(entry, "getAccountServicerReference");
	if (ref)
		assert_string_equal(t->bank_ref, ref);
	else
		assert_null(t->bank_ref);
	json_t *detail = json_object_get(entry, "getTransactionDetail");
	const char *message = jstr(detail, "getRemittanceInformation.getMessage");
	assert_string_equal(t->title, message);
	const char *e2e = jstr(detail, "getReference.getEndToEndId");
	if (e2e)
		assert_string_equal(t->customer_ref, e2e);
	/* the other party: the debtor of a credit, the creditor of a debit */
	json_t *party = genkgo_party(detail, amount > 0 ? "Debtor" : "Creditor");
	if (party) {
		assert_string_equal(t->counterparty_name, jstr(party, "getRelatedPartyType.getName"));
		assert_string_equal(t->counterparty_account, jstr(party, "getAccount.getIdentification"));
	} else {
		assert_null(t->counterparty_name);
	}
	json_t *domain = json_object_get(json_object_get(entry, "getBankTransactionCode"), "getDomain");
	if (json_is_object(domain))
		assert_true(str_starts_with(t->type_code, jstr(domain, "getCode")));
}

static void test_as_genkgo_reads_them(void **state)
{
	(void)state;
	static const char *const names[] = {
		"v2.all-balance-types", "v2.five.decimals", "v2.minimal", "v2.multi.statement",
		"v2.with-party-ids", "v3", "v4", "v8",
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *xml = xasprintf(CAMT "genkgo-camt053.%s.xml", names[i]);
		char *json = xasprintf(CAMT "genkgo-expected/camt053.%s.json", names[i]);
		print_message("%s\n", names[i]);
		struct stmt_file f;
		read_sample(xml, &f);
		json_error_t jerr;
		json_t *doc = json_load_file(json, 0, &jerr);
		assert_non_null(doc);
		json_t *entries = json_object_get(doc, "getEntries");
		assert_true(json_array_size(entries) > 0);
		size_t k;
		json_t *entry;
		json_array_foreach(entries, k, entry) {
			json_t *record = json_object_get(entry, "getRecord");
			const struct stmt *st = statement_with_id(&f, jstr(record, "getId"));
			const char *seq = jstr(record, "getElectronicSequenceNumber");
			if (seq)
				assert_string_equal(st->number, seq);
			assert_string_equal(st->account, jstr(record, "getAccount.getIdentification"));
			compare_balance(record, "opening", &st->opening);
			compare_balance(record, "closing", &st->closing);
			compare_balance(record, "closing_available", &st->closing_available);
			json_int_t index = json_integer_value(json_object_get(entry, "getIndex"));
			assert_true((size_t)index < st->ntxns);
			compare_entry(entry, &st->txns[index]);
		}
		json_decref(doc);
		stmt_file_free(&f);
		free(xml);
		free(json);
	}
}

static void test_fields(void **state)
{
	(void)state;
	struct stmt_file f;
	/* a batch entry of two transactions, each with its own amount and party */
	read_sample(CAMT "oca-test-camt053.001.02.xml", &f);
	const struct txn *t = txn_at(&f, 0, 1);
	assert_minor(t->amount, -56405);
	assert_int_equal(t->origin.detail, 0);
	assert_true(t->reversal);
	assert_string_equal(t->type_code, "PMNT/IDDT/UPDD");
	t = txn_at(&f, 0, 2);
	assert_minor(t->amount, -10000);
	assert_int_equal(t->origin.detail, 1);
	assert_int_equal(t->origin.entry, 1);
	t = txn_at(&f, 0, 0);
	assert_string_equal(t->counterparty_name, "INSURANCE COMPANY TESTX");
	assert_string_equal(t->title, "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014");
	stmt_file_free(&f);
	/* BookgDt/DtTm: the date of the date and time */
	read_sample(CAMT "oca-test-camt053.001.02-bookgdt-dttm.xml", &f);
	assert_string_equal(txn_at(&f, 0, 0)->booking_date, "2014-01-04");
	stmt_file_free(&f);
	/* TxDtls with Amt (v04), Strd/CdtrRefInf/Ref as the title, Dbtr of a credit */
	read_sample(CAMT "oca-test-camt053.001.04-txdtls.xml", &f);
	t = txn_at(&f, 0, 0);
	assert_minor(t->amount, 218700);
	assert_string_equal(t->title, "302388292000011111111111111");
	assert_string_equal(t->counterparty_name, "Banque Cantonale Vaudoise");
	assert_string_equal(t->counterparty_account, "CH2222000000123456789");
	assert_string_equal(t->transaction_id, "123456CHCAFEBABE");
	assert_string_equal(t->bank_ref, "20170323001234567891234567891234");
	assert_string_equal(raw_of(t, "NtryRef"), "012345678"); /* beside AcctSvcrRef */
	assert_string_equal(f.statements[0].period_from, "2017-03-23");
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
	/* camt.054 is a notification: no balances, and that is no problem */
	read_sample(CAMT "oca-test-camt054.001.04-notification.xml", &f);
	assert_int_equal(f.kind, STMT_KIND_NOTIFICATION);
	assert_int_equal(f.statements[0].problems.len, 0);
	assert_false(f.statements[0].reconciles);
	assert_string_equal(f.statements[0].account, "NL77ABNA0574908765");
	expect_txn(txn_at(&f, 0, 0),
		   &(struct txn_want){500, "2022-01-26", "Test Customer", "NL46ABNA0499998748",
				      "000000000000000000000000003", "98888208N8",
				      "15180015077602405", "ENDTOENDID-01", "PMNT/RCDT/ATXN"});
	stmt_file_free(&f);
}

/* camt.052 (an intraday account report) is read as an interim report; the namespaces of
 * .001.02 to .001.08 are read alike (.05 to .07 have no sample: typed here), and a version
 * outside them is read with a problem that says so. */
#define REPORT(ns, message, record, balances) \
	"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:" ns "\"><" message "><GrpHdr>" \
	"<MsgId>R1</MsgId></GrpHdr><" record "><Id>R1-1</Id><ElctrncSeqNb>7</ElctrncSeqNb>" \
	"<Acct><Id><IBAN>PL27114020040000300201355387</IBAN></Id><Ccy>PLN</Ccy></Acct>" balances \
	"<Ntry><Amt Ccy=\"PLN\">1234.56</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>" \
	"<BookgDt><DtTm>2024-03-05T10:15:00+01:00</DtTm></BookgDt><ValDt><Dt>2024-03-05</Dt>" \
	"</ValDt><NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Łódzka Spółka</Nm></Pty></Dbtr>" \
	"<DbtrAcct><Id><IBAN>PL61109010140000071219812874</IBAN></Id></DbtrAcct></RltdPties>" \
	"<RmtInf><Ustrd>FV 3/2024</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></" record "></" \
	message "></Document>"
#define BAL(code, amount) "<Bal><Tp><CdOrPrtry><Cd>" code "</Cd></CdOrPrtry></Tp><Amt " \
			  "Ccy=\"PLN\">" amount "</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>" \
			  "2024-03-05</Dt></Dt></Bal>"

static void test_report_and_versions(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err;
	const char *report = REPORT("camt.052.001.06", "BkToCstmrAcctRpt", "Rpt",
				    BAL("ITBD", "100.00"));
	assert_int_equal(read_bytes("raport.xml", report, strlen(report), &f, &err), 0);
	assert_int_equal(f.format, STMT_FORMAT_CAMT052);
	assert_int_equal(f.kind, STMT_KIND_INTERIM);
	assert_string_equal(f.version, "camt.052.001.06");
	assert_int_equal(f.problems.len, 0);
	const struct stmt *st = &f.statements[0];
	assert_string_equal(st->account, "PL27114020040000300201355387");
	assert_string_equal(st->number, "7");
	assert_false(st->opening.present); /* an interim balance is not an opening one */
	assert_int_equal(st->problems.len, 0); /* a report without balances: no problem */
	const struct txn *t = txn_at(&f, 0, 0);
	assert_minor(t->amount, 123456);
	assert_string_equal(t->booking_date, "2024-03-05");
	assert_string_equal(t->counterparty_name, "Łódzka Spółka");
	assert_string_equal(t->counterparty_account, "PL61109010140000071219812874");
	assert_string_equal(t->title, "FV 3/2024");
	stmt_file_free(&f);

	static const char *const namespaces[] = {
		REPORT("camt.053.001.05", "BkToCstmrStmt", "Stmt",
		       BAL("OPBD", "100.00") BAL("CLBD", "1334.56")),
		REPORT("camt.053.001.06", "BkToCstmrStmt", "Stmt",
		       BAL("OPBD", "100.00") BAL("CLBD", "1334.56")),
		REPORT("camt.053.001.07", "BkToCstmrStmt", "Stmt",
		       BAL("OPBD", "100.00") BAL("CLBD", "1334.56")),
	};
	for (size_t i = 0; i < ARRAY_LEN(namespaces); i++) {
		assert_int_equal(read_bytes("x.xml", namespaces[i], strlen(namespaces[i]), &f, &err),
				 0);
		assert_int_equal(f.format, STMT_FORMAT_CAMT053);
		assert_int_equal(f.kind, STMT_KIND_STATEMENT);
		assert_int_equal(f.version[strlen(f.version) - 1], '5' + (int)i);
		assert_int_equal(f.problems.len, 0);
		assert_true(f.statements[0].reconciles);
		assert_string_equal(txn_at(&f, 0, 0)->counterparty_name, "Łódzka Spółka");
		stmt_file_free(&f);
	}
	const char *v9 = REPORT("camt.053.001.09", "BkToCstmrStmt", "Stmt",
				BAL("OPBD", "100.00") BAL("CLBD", "1334.56"));
	assert_int_equal(read_bytes("x.xml", v9, strlen(v9), &f, &err), 0);
	assert_true(has_problem(&f.problems, "camt.053.001.09 is a version goniec was not tested "
					     "with (.001.02 to .001.08)"));
	assert_true(f.statements[0].reconciles);
	stmt_file_free(&f);
}

/* ---- hostile XML -------------------------------------------------------------------------- */

#define NS "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
#define DOC(body) "\n<Document xmlns=\"" NS "\"><BkToCstmrStmt>" body \
		  "</BkToCstmrStmt></Document>\n"
#define ENTRY(amount, cdi) "<Ntry><Amt Ccy=\"PLN\">" amount "</Amt><CdtDbtInd>" cdi \
			   "</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt></Ntry>"

/* Batch entries and the totals a statement states (no sample has TxsSummry: typed). A
 * bank counts entries: a batch of two transfers is one of the TxsSummry's NbOfNtries. */
#define SUMMARY(credits, credit_sum) "<TxsSummry><TtlCdtNtries><NbOfNtries>" credits \
	"</NbOfNtries><Sum>" credit_sum "</Sum></TtlCdtNtries><TtlDbtNtries><NbOfNtries>1" \
	"</NbOfNtries><Sum>5.00</Sum></TtlDbtNtries></TxsSummry>"
#define DETAIL(amount, title) "<TxDtls>" amount "<RmtInf><Ustrd>" title "</Ustrd></RmtInf></TxDtls>"
#define BATCH(cdi, amount, details) "<Ntry><Amt Ccy=\"PLN\">" amount "</Amt><CdtDbtInd>" cdi \
	"</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt><NtryDtls>" details \
	"</NtryDtls></Ntry>"
#define TWO_BATCHES(summary, first) DOC("<Stmt><Acct><Id><IBAN>PL61109010140000071219812874" \
	"</IBAN></Id></Acct>" BAL("PRCD", "100.00") BAL("CLBD", "125.00") summary \
	BATCH("CRDT", "30.00", first) \
	BATCH("DBIT", "5.00", DETAIL("", "A") DETAIL("", "B")) "</Stmt>")
#define AMT(x) "<Amt Ccy=\"PLN\">" x "</Amt>"

/* `text` is read, and its statement flagged with `problem`: it does not reconcile. */
static void expect_flagged(const char *text, const char *problem)
{
	struct stmt_file f;
	struct gerr err;
	assert_int_equal(read_bytes("x.xml", text, strlen(text), &f, &err), 0);
	assert_true(has_problem(&f.statements[0].problems, problem));
	assert_false(f.statements[0].reconciles);
	stmt_file_free(&f);
}

static void test_batches_and_stated_totals(void **state)
{
	(void)state;
	struct stmt_file f;
	struct gerr err;
	/* one credit entry of two transfers, one debit entry of two without amounts */
	const char *text = TWO_BATCHES(SUMMARY("1", "30.00"),
				       DETAIL(AMT("10.00"), "FV 1") DETAIL(AMT("20.00"), "FV 2"));
	assert_int_equal(read_bytes("x.xml", text, strlen(text), &f, &err), 0);
	const struct stmt *st = &f.statements[0];
	assert_minor(st->opening.amount, 10000); /* PRCD: the previous closing opens it */
	assert_int_equal(st->credits_count, 2);
	assert_minor(txn_at(&f, 0, 1)->amount, 2000);
	assert_string_equal(txn_at(&f, 0, 1)->title, "FV 2");
	assert_minor(txn_at(&f, 0, 2)->amount, -500); /* the batch without amounts: merged */
	assert_string_equal(txn_at(&f, 0, 2)->title, "A; B");
	assert_true(has_problem(&st->problems, "a batch of 2 transactions without amounts of "
					       "their own is read as one entry"));
	assert_false(has_problem(&st->problems, "the file states"));
	assert_true(st->reconciles);
	stmt_file_free(&f);
	/* the stated totals do not agree: flagged */
	expect_flagged(TWO_BATCHES(SUMMARY("2", "30.00"),
				   DETAIL(AMT("10.00"), "FV 1") DETAIL(AMT("20.00"), "FV 2")),
		       "the file states 2 credits summing 30.00, but 1 summing 30.00 were read");
	/* the transfers of a batch do not add up to its entry: flagged (and 100 + 25 - 5 is
	 * not 125) */
	expect_flagged(TWO_BATCHES(SUMMARY("1", "25.00"),
				   DETAIL(AMT("10.00"), "FV 1") DETAIL(AMT("15.00"), "FV 2")),
		       "the 2 transactions of a batch entry sum to 25.00, the entry says 30.00");
}

static void expect_error(const char *text, const char *part)
{
	expect_read_error("x.xml", text, part);
}

static void test_hostile(void **state)
{
	(void)state;
	/* external entities and entity bombs: refused, no network, no expansion */
	expect_error("<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY x SYSTEM "
		     "\"file:///etc/passwd\">]>" DOC("<Stmt><Id>&x;</Id></Stmt>"),
		     "x.xml: has a DOCTYPE, which is not allowed in a bank message");
	expect_error("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		     "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;"
		     "&b;\">]>" DOC("<Stmt><Id>&c;</Id></Stmt>"),
		     "x.xml: has a DOCTYPE"); /* stopped before its declarations are read */
	expect_error("<?xml version=\"1.0\"?><!-- a -- comment --><!DOCTYPE d>" DOC(""),
		     "x.xml: has a DOCTYPE");
	/* UTF-16 would hide a DOCTYPE from the byte check: refused */
	const char *ascii = DOC("<Stmt/>");
	size_t n = strlen(ascii);
	char *utf16 = xcalloc(2 * n + 2, 1);
	utf16[0] = (char)0xFF, utf16[1] = (char)0xFE;
	for (size_t i = 0; i < n; i++)
		utf16[2 + 2 * i] = ascii[i];
	struct stmt_input in;
	struct stmt_file f16;
	struct gerr err16;
	stmt_input_mem(&in, utf16, 2 * n + 2, "x.xml");
	stmt_file_init(&f16, "x.xml");
	assert_int_equal(camt_read(&in, &f16, NULL, &err16), -1);
	assert_string_equal(err16.msg, "x.xml: is not UTF-8 (UTF-16?)");
	stmt_file_free(&f16);
	stmt_input_free(&in);
	free(utf16);
	expect_error("<?xml version=\"1.0\"?>" DOC("<Stmt><Id>&undefined;</Id></Stmt>"),
		     "x.xml: line 2:");
	/* broken documents */
	expect_error(DOC("<Stmt><Id>1</Id>" ENTRY("12.00", "CRDT")), "x.xml: line 2:");
	expect_error(DOC("<Stmt>" ENTRY("12,00", "CRDT") "</Stmt>"), "entry: \"12,00\" is not an amount");
	expect_error(DOC("<Stmt>" ENTRY("123456789012345678901.00", "CRDT") "</Stmt>"),
		     "too many digits");
	expect_error(DOC("<Stmt>" ENTRY("1.00", "XXXX") "</Stmt>"), "entry without CdtDbtInd");
	expect_error("<Document xmlns=\"" NS "\"><Other/></Document>", "<Other> is not a camt");
	expect_error("<Document xmlns=\"" NS "\"><BkToCstmrStmt>", "line 1:");
	/* what is read and flagged: a date that does not exist */
	struct stmt_file f;
	struct gerr err;
	const char *text = DOC("<Stmt><Acct><Id><IBAN>PL61109010140000071219812874</IBAN></Id>"
			       "</Acct><Ntry><Amt Ccy=\"PLN\">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>"
			       "<Sts>PDNG</Sts><BookgDt><Dt>2031-02-29</Dt></BookgDt></Ntry></Stmt>");
	assert_int_equal(read_bytes("x.xml", text, strlen(text), &f, &err), 0);
	const struct txn *t = txn_at(&f, 0, 0);
	assert_string_equal(t->booking_date, "");
	assert_int_equal(t->status, TXN_PENDING);
	assert_int_equal(f.statements[0].pending_count, 1);
	assert_int_equal(f.statements[0].debits_count, 0);
	assert_true(has_problem(&f.statements[0].problems, "BookgDt"));
	assert_string_equal(f.bank, "Santander Bank Polska");
	stmt_file_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_sample),
		cmocka_unit_test(test_oca_balances),
		cmocka_unit_test(test_as_genkgo_reads_them),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_report_and_versions),
		cmocka_unit_test(test_batches_and_stated_totals),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
