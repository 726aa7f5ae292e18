/* test_bank — the bank source's pieces without a network: the aggregators' answer
 * readers on the real example answers in ../shared/samples/bank-api/ (and broken ones),
 * the redirect's code, timestamps, and the MT940 and CAMT.053 writers. */
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "testutil.h"

#include "core/utf8.h"
#include "formats/camt_write.h"
#include "formats/mt940_write.h"
#include "formats/stmtfile.h"
#include "sources/bank/bank_run.h"
#include "sources/bank/bank_state.h"
#include "sources/bank/provider.h"

#define EB "../shared/samples/bank-api/enablebanking/responses/"
#define GC "../shared/samples/bank-api/gocardless/responses/"

struct got {
	struct txn t[16];
	char *id[16];
	size_t n;
	char *unreadable_why[4];
	json_t *unreadable_raw[4];
	size_t nunreadable;
};

static int keep(void *ctx, const struct txn *t, const char *id, struct gerr *err)
{
	struct got *g = ctx;

	(void)err;
	assert_true(g->n < 16);
	txn_copy(&g->t[g->n], t);
	g->id[g->n++] = id ? xstrdup(id) : NULL;
	return 0;
}

static void keep_unreadable(void *ctx, const json_t *raw, const char *why)
{
	struct got *g = ctx;

	assert_true(g->nunreadable < 4);
	g->unreadable_raw[g->nunreadable] = json_deep_copy(raw);
	g->unreadable_why[g->nunreadable++] = xstrdup(why);
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		txn_clear(&g->t[i]);
		free(g->id[i]);
	}
	for (size_t i = 0; i < g->nunreadable; i++) {
		free(g->unreadable_why[i]);
		json_decref(g->unreadable_raw[i]);
	}
	g->n = g->nunreadable = 0;
}

static json_t *load(const char *path)
{
	json_t *j = json_load_file(path, 0, NULL);

	assert_non_null(j);
	return j;
}

static const struct bank_account ACC = {"uid-1", "FI2439390058811110", "EUR", "test"};

static void test_eb_sample_pages(void **state)
{
	struct got g = {0};
	struct bank_txn_sink sink = {&g, keep, keep_unreadable};
	struct gerr err = {0};
	json_t *p1 = load(EB "accounts-transactions.get.page1-continuation-key.json");
	json_t *p2 = load(EB "accounts-transactions.get.page2-last.json");

	(void)state;
	assert_int_equal(bank_eb_page(p1, &ACC, &sink, &err), 0);
	assert_int_equal(bank_eb_page(p2, &ACC, &sink, &err), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.t[0].amount, -520);          /* "5.20", DBIT */
	assert_string_equal(g.t[0].currency, "EUR");
	assert_string_equal(g.t[0].booking_date, "2024-02-02");
	assert_string_equal(g.t[0].counterparty_name, "GOOGLE*GSUITE ENALA CC GOOGLE.COM");
	assert_non_null(strstr(g.t[0].title, "OSTOPVM"));
	assert_string_equal(g.t[0].type_text, "PKORTTIMAKSU");
	assert_string_equal(g.id[0], "202402025EQEL1052327");  /* entry_reference; transaction_id null */
	assert_null(g.t[0].transaction_id);
	assert_int_equal(g.t[1].amount, -175238);
	assert_string_equal(g.t[1].counterparty_account, "FI7150000120001820");
	assert_string_equal(g.t[1].customer_ref, "2412258514251");
	assert_int_equal(g.t[2].status, TXN_BOOKED);
	assert_string_equal(g.t[2].account, "FI2439390058811110");
	got_free(&g);
	json_decref(p1);
	json_decref(p2);
}

static void test_eb_balances(void **state)
{
	struct bank_balances b;
	json_t *j = load(EB "accounts-balances.get.json");

	(void)state;
	bank_eb_balances(j, &b);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.items[0].type, "ITAV");
	assert_int_equal(b.items[0].amount, 210745);
	assert_string_equal(b.items[1].type, "ITBD");
	assert_string_equal(b.items[1].date, "");  /* reference_date null */
	json_decref(j);
}

static void test_gc_sample(void **state)
{
	struct got g = {0};
	struct bank_txn_sink sink = {&g, keep, keep_unreadable};
	struct gerr err = {0};
	json_t *j = load(GC "accounts-transactions.get.booked-pending.ynab-sync-excerpt.json");
	size_t pending = 0;

	(void)state;
	assert_int_equal(bank_gc_transactions(j, &ACC, &sink, &err), 0);
	assert_int_equal(g.n, 9);
	for (size_t i = 0; i < g.n; i++)
		pending += g.t[i].status == TXN_PENDING;
	assert_int_equal(pending, 1);
	assert_int_equal(g.t[0].amount, 40000);         /* "400.00", signed: a credit */
	assert_string_equal(g.t[0].counterparty_name, "XXXX XXXXX");
	assert_string_equal(g.id[0], "8487f5c2f06e427b988beac249620aaa");  /* internalTransactionId first */
	assert_string_equal(g.t[0].transaction_id, "202308015931560N0164");
	assert_string_equal(g.t[0].type_text, "PANO");
	assert_int_equal(g.t[1].amount, -2547);
	assert_string_equal(g.t[1].counterparty_name, "LIDL HELSINKI HELSINKI");
	assert_string_equal(g.id[2], "2023081101953108-1");  /* no internal id: transactionId */
	got_free(&g);
	json_decref(j);
}

static void test_gc_balances_mapped(void **state)
{
	struct bank_balances b;
	json_t *j = json_loads("{\"balances\": [{\"balanceAmount\": {\"amount\": \"-12.5\", \"currency\": \"PLN\"},"
			       " \"balanceType\": \"closingBooked\", \"referenceDate\": \"2026-11-20\"},"
			       " {\"balanceAmount\": {\"amount\": \"x\", \"currency\": \"PLN\"}, \"balanceType\": \"expected\"},"
			       " {\"balanceAmount\": {\"amount\": \"3\", \"currency\": \"PLN\"}, \"balanceType\": \"odd\"}]}",
			       0, NULL);

	(void)state;
	bank_gc_balances(j, &b);
	assert_int_equal(b.n, 2);  /* the unreadable amount is left out */
	assert_string_equal(b.items[0].type, "CLBD");
	assert_int_equal(b.items[0].amount, -1250);
	assert_string_equal(b.items[0].date, "2026-11-20");
	assert_string_equal(b.items[1].type, "OTHR");
	json_decref(j);
}

/* Broken answers: a clear error naming the transaction, never a crash. */
static void test_hostile(void **state)
{
	static const char *const eb_bad[] = {
		"{\"transaction_amount\": {\"amount\": \"abc\", \"currency\": \"EUR\"}, \"credit_debit_indicator\": \"CRDT\"}",
		"{\"transaction_amount\": {\"amount\": \"1.00\", \"currency\": \"EUR\"}}",
		"{\"transaction_amount\": {\"amount\": \"1.001\", \"currency\": \"EUR\"}, \"credit_debit_indicator\": \"DBIT\"}",
		"{\"transaction_amount\": 5, \"credit_debit_indicator\": \"DBIT\"}",
	};
	struct got g = {0};
	struct bank_txn_sink sink = {&g, keep, keep_unreadable};

	(void)state;
	/* each bad one is handed over as it came, naming its place; the good one after it is
	 * still read */
	static const char good_eb[] = "{\"transaction_amount\": {\"amount\": \"2.00\", \"currency\": \"EUR\"},"
				      " \"credit_debit_indicator\": \"DBIT\", \"entry_reference\": \"after\"}";
	for (size_t i = 0; i < ARRAY_LEN(eb_bad); i++) {
		struct gerr err = {0};
		char *text = xasprintf("{\"transactions\": [%s, %s]}", eb_bad[i], good_eb);
		json_t *j = json_loads(text, 0, NULL);
		assert_non_null(j);
		assert_int_equal(bank_eb_page(j, &ACC, &sink, &err), 0);
		assert_int_equal(g.nunreadable, 1);
		assert_non_null(strstr(g.unreadable_why[0], "transaction 1 of a page"));
		assert_true(json_equal(g.unreadable_raw[0], json_array_get(json_object_get(j, "transactions"), 0)));
		assert_int_equal(g.n, 1);
		assert_string_equal(g.id[0], "after");
		got_free(&g);
		json_decref(j);
		free(text);
	}
	struct gerr err = {0};
	json_t *j = json_loads("{\"transactions\": {\"booked\": [{\"bookingDate\": \"2026-01-01\"},"
			       " {\"transactionAmount\": {\"amount\": \"-3.10\", \"currency\": \"PLN\"}}]}}", 0, NULL);
	assert_int_equal(bank_gc_transactions(j, &ACC, &sink, &err), 0);
	assert_int_equal(g.nunreadable, 1);
	assert_non_null(strstr(g.unreadable_why[0], "booked transaction 1"));
	assert_int_equal(g.n, 1);
	assert_int_equal(g.t[0].amount, -310);
	got_free(&g);
	json_decref(j);
	/* shapes that are no lists: nothing read, no failure */
	j = json_loads("{\"transactions\": \"none\"}", 0, NULL);
	assert_int_equal(bank_eb_page(j, &ACC, &sink, &err), 0);
	assert_int_equal(bank_gc_transactions(j, &ACC, &sink, &err), 0);
	json_decref(j);
	/* rejected and cancelled ones are not transactions on the account */
	j = json_loads("{\"transactions\": [{\"transaction_amount\": {\"amount\": \"1.00\", \"currency\": \"EUR\"},"
		       " \"credit_debit_indicator\": \"DBIT\", \"status\": \"RJCT\"}]}", 0, NULL);
	assert_int_equal(bank_eb_page(j, &ACC, &sink, &err), 0);
	json_decref(j);
	assert_int_equal(g.n, 0);
}

static void test_code_and_time(void **state)
{
	char *c;

	(void)state;
	c = bank_code_from("https://localhost/goniec/callback?state=ab&code=x%2By&z=1", "code");
	assert_string_equal(c, "x+y");
	free(c);
	c = bank_code_from("https://localhost/cb?ref=r1", "ref");
	assert_string_equal(c, "r1");
	free(c);
	c = bank_code_from("plain-code", "code");
	assert_string_equal(c, "plain-code");
	free(c);
	assert_null(bank_code_from("https://localhost/cb?state=a", "code"));
	assert_int_equal(bank_parse_time("2024-11-26T05:16:41.977681Z"), 1732598201);
	assert_int_equal(bank_parse_time("2024-11-26T06:16:41+01:00"), 1732598201);
	assert_int_equal(bank_parse_time("yesterday"), -1);
}

struct row {
	const char *day;
	int64_t amount;
	const char *name, *acct, *title, *ref;
	enum txn_status status;
};

/* Two booked (a long Polish title with '~' and a line break; a counterparty account that
 * is no IBAN) and one pending. */
static const struct row ROWS[] = {
	{"2026-11-20", 123456, "Hurtownia Łódź sp. z o.o.", "PL61109010140000071219812874",
	 "FV 12/11/2026 zapłata za fakturę nr 12/11/2026 i nr 13/11/2026 oraz ~ korekta, bardzo długi tytuł przelewu "
	 "który nie mieści się w sześciu polach po dwadzieścia siedem znaków", "REF-1", TXN_BOOKED},
	{"2026-11-21", -5000, "ZUS", "ACCT-42", "Składki\nXI", "REF-1", TXN_BOOKED},
	{"", -99, "Sklep", NULL, "pending", NULL, TXN_PENDING},
};

/* A statement as the bank source builds it (pending transactions are counted apart from
 * the sums); the closing balance is the opening plus the booked ones. */
static void make_stmt(struct stmt *st, const struct row *rows, size_t n, int64_t opening)
{
	struct stmt_file keep = {.keep_txns = true};
	int64_t closing = opening;

	memset(st, 0, sizeof(*st));
	snprintf(st->account, sizeof(st->account), "PL27114020040000300201355387");
	snprintf(st->currency, sizeof(st->currency), "PLN");
	st->id = xstrdup("20261121-114500");
	for (size_t i = 0; i < n; i++) {
		struct txn t = {0};
		snprintf(t.account, sizeof(t.account), "%s", st->account);
		snprintf(t.currency, sizeof(t.currency), "PLN");
		snprintf(t.booking_date, sizeof(t.booking_date), "%s", rows[i].day);
		snprintf(t.value_date, sizeof(t.value_date), "%s", rows[i].day[0] ? rows[i].day : "2026-11-22");
		t.amount = rows[i].amount;
		t.status = rows[i].status;
		txn_set(&t.counterparty_name, rows[i].name);
		txn_set(&t.counterparty_account, rows[i].acct);
		txn_set(&t.title, rows[i].title);
		txn_set(&t.bank_ref, rows[i].ref);
		stmt_emit_txn(&keep, st, &t, NULL, NULL);
		if (t.status == TXN_BOOKED)
			closing += t.amount;
		txn_clear(&t);
	}
	st->opening = (struct stmt_balance){true, opening, "PLN", "2026-11-19"};
	st->closing = (struct stmt_balance){true, closing, "PLN", "2026-11-21"};
}

static void test_mt940_write(void **state)
{
	struct stmt st;
	struct buf b = {0};

	(void)state;
	make_stmt(&st, ROWS, ARRAY_LEN(ROWS), -100);
	struct gerr err = {0};
	assert_int_equal(mt940_write(&st, MT940_UTF8, &b, &err), 0);
	assert_non_null(strstr(b.data, ":20:20261121-114500\r\n:25:/PL27114020040000300201355387\r\n:28C:1\r\n"));
	assert_non_null(strstr(b.data, ":60F:D261119PLN1,00\r\n"));
	assert_non_null(strstr(b.data, ":61:2611201120C1234,56NTRFNONREF//REF-1\r\n:86:000\r\n"));
	assert_non_null(strstr(b.data, "~20FV 12/11/2026 zapłata za fa\r\n~21kturę nr 12/11/2026 i nr 13\r\n"));
	assert_non_null(strstr(b.data, "oraz - korekta"));          /* '~' never inside a value */
	assert_null(strstr(b.data, "~26"));                          /* six pieces at most */
	assert_non_null(strstr(b.data, "~32Hurtownia Łódź sp. z o.o.\r\n~38PL61109010140000071219812874\r\n"));
	assert_non_null(strstr(b.data, "~20Składki XI\r\n~32ZUS\r\n~38ACCT-42\r\n"));  /* line breaks: spaces */
	assert_null(strstr(b.data, "pending"));                      /* booked ones only */
	assert_non_null(strstr(b.data, ":62F:C261121PLN1183,56\r\n-\r\n"));
	buf_free(&b);
	stmt_clear(&st);
}

static long xpath_count(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "c", BAD_CAST "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	long n = o && o->nodesetval ? o->nodesetval->nodeNr : -1;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void test_camt_write(void **state)
{
	struct stmt st;
	struct buf b = {0};
	xmlDocPtr doc;

	(void)state;
	make_stmt(&st, ROWS, ARRAY_LEN(ROWS), -100);
	camt053_write(&st, "MSG-1", &b);
	doc = xmlReadMemory(b.data, (int)b.len, "camt.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	assert_int_equal(xpath_count(doc, "//c:Stmt/c:Ntry"), 2);
	assert_int_equal(xpath_count(doc, "//c:Bal[c:Tp/c:CdOrPrtry/c:Cd='OPBD'][c:CdtDbtInd='DBIT'][c:Amt='1.00']"), 1);
	assert_int_equal(xpath_count(doc, "//c:Ntry[c:CdtDbtInd='DBIT'][c:Amt='50.00'][c:BookgDt/c:Dt='2026-11-21']"), 1);
	assert_int_equal(xpath_count(doc, "//c:Ntry/c:NtryDtls/c:TxDtls/c:RltdPties/c:DbtrAcct/c:Id/c:IBAN"), 1);
	assert_int_equal(xpath_count(doc, "//c:RltdPties/c:CdtrAcct/c:Id/c:Othr/c:Id[.='ACCT-42']"), 1);
	assert_int_equal(xpath_count(doc, "//c:Ntry[1]//c:RmtInf/c:Ustrd"), 2);  /* 140-character pieces */
	assert_int_equal(xpath_count(doc, "//c:Stmt/c:Acct[c:Ccy='PLN']/c:Id/c:IBAN[.='PL27114020040000300201355387']"), 1);
	xmlFreeDoc(doc);
	buf_free(&b);
	stmt_clear(&st);
}

/* ---- round trip: what the bank source writes, goniec's statement readers read back ---- */

/* Titles that fit the MT940 pieces, so that they come back whole. */
static const struct row ROUND[] = {
	{"2026-11-20", 123456, "Hurtownia Łódź sp. z o.o.", "PL61109010140000071219812874",
	 "FV 12/11/2026 zapłata za fakturę nr 12/11/2026 i 13/11/2026", "EL004391-000970", TXN_BOOKED},
	{"2026-11-21", -5000, "ZUS", NULL, "Składki XI/2026 Zażółć gęślą jaźń ĄĘŚŹŻĆŃÓŁ", "EL004391-000971",
	 TXN_BOOKED},
	{"", -99, "Sklep", NULL, "pending", NULL, TXN_PENDING},
};

static int read_one(void *ctx, const struct stmt_file *f, const struct stmt *st, const struct txn *t,
		    struct gerr *err)
{
	struct got *g = ctx;

	(void)f;
	(void)st;
	return keep(g, t, NULL, err);
}

/* Written by `write` (in `encoding`, as the reader names it), read back by goniec's
 * statement reader: the same statement and transactions. */
static void round_trip(void (*write)(const struct stmt *st, struct buf *out), const char *name,
		       enum stmt_format format, const char *encoding)
{
	struct stmt st;
	struct stmt_file f;
	struct stmt_input in;
	struct got g = {0};
	struct stmt_sink sink = {.ctx = &g, .transaction = read_one};
	struct buf b = {0};
	struct gerr err = {0};

	make_stmt(&st, ROUND, ARRAY_LEN(ROUND), 100000);
	write(&st, &b);
	stmt_file_init(&f, name);
	stmt_input_mem(&in, b.data, b.len, name);
	if (stmt_read(&in, &f, &sink, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	assert_int_equal(f.format, format);
	assert_string_equal(f.encoding, encoding);
	assert_int_equal(f.nstatements, 1);
	assert_string_equal(f.statements[0].account, st.account);
	assert_int_equal(f.statements[0].opening.amount, st.opening.amount);
	assert_int_equal(f.statements[0].closing.amount, st.closing.amount);
	assert_true(f.statements[0].reconciles);
	assert_int_equal(g.n, 2);  /* the pending one is not in a statement file */
	for (size_t i = 0; i < g.n; i++) {
		const struct txn *w = &st.txns[i], *r = &g.t[i];
		assert_string_equal(r->booking_date, w->booking_date);
		assert_string_equal(r->value_date, w->value_date);
		assert_int_equal(r->amount, w->amount);
		assert_string_equal(r->currency, w->currency);
		assert_string_equal(r->counterparty_name, w->counterparty_name);
		if (w->counterparty_account)
			assert_string_equal(r->counterparty_account, w->counterparty_account);
		assert_string_equal(r->title, w->title);
		assert_string_equal(r->bank_ref, w->bank_ref);
		assert_int_equal(r->status, TXN_BOOKED);
	}
	stmt_input_free(&in);
	got_free(&g);
	stmt_file_free(&f);
	buf_free(&b);
	stmt_clear(&st);
}

static void camt_write_msg(const struct stmt *st, struct buf *out)
{
	camt053_write(st, "MSG-1", out);
}

#define MT940_IN(cs)                                                     \
	static void mt940_##cs(const struct stmt *st, struct buf *out)   \
	{                                                                \
		struct gerr e = {0};                                     \
		assert_int_equal(mt940_write(st, MT940_##cs, out, &e), 0); \
	}
MT940_IN(UTF8)
MT940_IN(WINDOWS_1250)
MT940_IN(ISO_8859_2)
MT940_IN(CP852)

/* In each encoding the export can be asked for: the reader detects it and reads the
 * Polish letters back; an 8-bit file holds no UTF-8. */
static void test_mt940_round_trip(void **state)
{
	(void)state;
	round_trip(mt940_UTF8, "bank.sta", STMT_FORMAT_MT940, "UTF-8");
	round_trip(mt940_WINDOWS_1250, "bank.sta", STMT_FORMAT_MT940, "WINDOWS-1250");
	round_trip(mt940_ISO_8859_2, "bank.sta", STMT_FORMAT_MT940, "ISO-8859-2");
	round_trip(mt940_CP852, "bank.sta", STMT_FORMAT_MT940, "CP852");

	struct stmt st;
	struct buf b = {0};
	struct gerr err = {0};
	make_stmt(&st, ROUND, ARRAY_LEN(ROUND), 0);
	assert_int_equal(mt940_write(&st, MT940_WINDOWS_1250, &b, &err), 0);
	assert_false(utf8_valid(b.data, b.len));
	assert_non_null(memmem(b.data, b.len, "~32Hurtownia \xA3\xF3" "d\x9F", 17));   /* Łódź */
	buf_free(&b);
	stmt_clear(&st);
}

static void test_camt_round_trip(void **state)
{
	(void)state;
	round_trip(camt_write_msg, "bank.xml", STMT_FORMAT_CAMT053, "UTF-8");
}

/* The consent's notices: none beyond 14 days, one stage within 14 days, another within 3,
 * each naming the day and the command that renews it; once it expired or was revoked no
 * message (the run ends needing a person and that alert says it) but the stage "ended",
 * so that alert is told once. */
static void test_consent_alert(void **state)
{
	static const struct {
		long hours;
		bool usable;
		const char *want, *stage;
	} cases[] = {
		{20 * 24, true, NULL, NULL},
		{14 * 24 + 1, true, NULL, NULL},
		{14 * 24 - 1, true, "in less than 14 days; renew it: goniec bank link acme-bank", "14d"},
		{13 * 24, true, "in less than 14 days; renew it: goniec bank link acme-bank", "14d"},
		{3 * 24 + 1, true, "in less than 14 days; renew it: goniec bank link acme-bank", "14d"},
		{3 * 24 - 1, true, "in less than 3 days; renew it now: goniec bank link acme-bank", "3d"},
		{1, true, "in less than 3 days; renew it now: goniec bank link acme-bank", "3d"},
		{-1, true, NULL, "ended"},
		{10 * 24, false, NULL, "ended"},   /* revoked */
	};
	char *dir = scratch_dir(), *src_dir = path_join(dir, "sources/acme-bank");
	struct config cfg = {.agent = {.state_dir = dir}};
	struct source_conf src = {.name = "acme-bank"};
	struct gerr err = {0};
	struct alert_stages stages = {0};

	(void)state;
	assert_int_equal(mkdir_p(src_dir, 0700, &err), 0);
	assert_null(bank_attention(&cfg, &src, &stages));  /* nothing linked: the run says so */
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct bank_consent c = {.id = "s1", .bank = "mBank", .status = cases[i].usable ? "AUTHORIZED" : "REVOKED",
					 .usable = cases[i].usable,
					 .valid_until = time(NULL) + cases[i].hours * 3600 + 60};
		assert_int_equal(bank_consent_save(src_dir, "enablebanking", &c, NULL, &err), 0);
		stages = (struct alert_stages){0};
		char *msg = bank_attention(&cfg, &src, &stages);
		if (!cases[i].want) {
			assert_null(msg);
			if (cases[i].stage)   /* the runs' (needs-person) alert */
				assert_string_equal(stages.runs, cases[i].stage);
			else
				assert_null(stages.runs);
			assert_null(stages.attention);
			continue;
		}
		assert_non_null(msg);
		assert_non_null(strstr(msg, cases[i].want));
		assert_non_null(strstr(msg, "mBank"));
		assert_string_equal(stages.attention, cases[i].stage);
		assert_null(stages.runs);
		free(msg);
	}
	rm_rf(dir);
	free(src_dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eb_sample_pages),
		cmocka_unit_test(test_eb_balances),
		cmocka_unit_test(test_gc_sample),
		cmocka_unit_test(test_gc_balances_mapped),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_code_and_time),
		cmocka_unit_test(test_mt940_write),
		cmocka_unit_test(test_camt_write),
		cmocka_unit_test(test_consent_alert),
		cmocka_unit_test(test_mt940_round_trip),
		cmocka_unit_test(test_camt_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
