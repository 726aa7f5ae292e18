/* test_ledger — the ledger (payments/ledger.h): reading the spool (statements, invoices,
 * registers), one transaction however many statements carry it, one invoice however many
 * copies, incremental runs against a full rebuild, a person's decisions kept through a
 * rebuild, the schema's migration, and what `goniec payments` and the report are made of. */
#include "testutil.h"
#include "readdir_fail.h"

#include <sqlite3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strset.h"
#include "payments/ledger.h"
#include "payments/update.h"

#define ACME_NIP "5260250274"
#define OWN "PL61109010140000071219812874"

struct fixture {
	struct spool_tree t;
	struct ledger_company acme;
	unsigned seq;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	make_spool_tree(&f->t);
	f->acme.id = "acme";
	snprintf(f->acme.nip, sizeof(f->acme.nip), "%s", ACME_NIP);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free_spool_tree(&f->t);
	free(f);
	return 0;
}

/* File a document with its sidecar into day/source of the spool. */
static void file_doc(struct fixture *f, const char *day, const char *source, const char *name,
		     const char *content, json_t *sidecar)
{
	char *dir = xasprintf("%s/%s/%s", f->t.spool, day, source);
	char *cmd = xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	char *doc = xasprintf("%s/%s", dir, name);
	write_text(doc, content);
	char *meta = xasprintf("%s.meta.json", doc);
	json_object_set_new(sidecar, "schema", json_string("goniec.document/1"));
	json_object_set_new(sidecar, "file", json_string(name));
	json_object_set_new(sidecar, "source", json_pack("{s:s}", "name", source));
	assert_int_equal(json_dump_file(sidecar, meta, 0), 0);
	json_decref(sidecar);
	free(meta);
	free(doc);
	free(cmd);
	free(dir);
}

/* A goniec.transactions/1 statement of OWN with these transactions:
 * "date|amount|title|counterparty" each. */
static void file_statement(struct fixture *f, const char *day, const char *name, const char *const *txns)
{
	json_t *list = json_array();
	for (size_t i = 0; txns[i]; i++) {
		char *copy = xstrdup(txns[i]);
		char *save = NULL;
		char *date = strtok_r(copy, "|", &save), *amount = strtok_r(NULL, "|", &save);
		char *title = strtok_r(NULL, "|", &save), *name_ = strtok_r(NULL, "|", &save);
		json_t *t = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "booking_date", date, "value_date", date,
				      "amount", amount, "currency", "PLN", "status", "booked", "title", title);
		if (name_)
			json_object_set_new(t, "counterparty", json_pack("{s:s}", "name", name_));
		json_array_append_new(list, t);
		free(copy);
	}
	json_t *doc = json_pack("{s:s,s:s,s:[{s:s,s:s,s:o}]}", "schema", "goniec.transactions/1", "format",
				"goniec.transactions/1", "statements", "account", OWN, "currency", "PLN",
				"transactions", list);
	char *text = json_dumps(doc, 0);
	file_doc(f, day, "acme-bank", name, text,
		 json_pack("{s:s,s:s,s:s}", "company", "acme", "kind", "statement", "type", "transactions"));
	free(text);
	json_decref(doc);
}

/* An invoice document: sales when the buyer is given, else a purchase from the seller. */
static void file_invoice(struct fixture *f, const char *day, const char *name, const char *number,
			 const char *gross, const char *seller, const char *seller_nip, const char *buyer,
			 const char *extra_key, const char *extra_value)
{
	json_t *inv = json_pack("{s:s,s:s,s:s,s:s}", "number", number, "gross", gross, "currency", "PLN",
				"issue_date", "2026-03-01");
	json_t *s = json_object(), *b = json_object();
	if (seller)
		json_object_set_new(s, "name", json_string(seller));
	json_object_set_new(s, "nip", json_string(seller_nip ? seller_nip : ACME_NIP));
	if (buyer) {
		json_object_set_new(b, "name", json_string(buyer));
		json_object_set_new(inv, "direction", json_string("sales"));
	} else {
		json_object_set_new(b, "nip", json_string(ACME_NIP));
		json_object_set_new(inv, "direction", json_string("purchase"));
	}
	json_object_set_new(inv, "seller", s);
	json_object_set_new(inv, "buyer", b);
	json_t *sc = json_pack("{s:s,s:s,s:s,s:o}", "company", "acme", "kind", "invoice", "type", "xml",
			       "invoice", inv);
	if (extra_key)
		json_object_set_new(sc, extra_key, json_string(extra_value));
	file_doc(f, day, "acme-ksef", name, "<Faktura/>", sc);
}

static void open_ledger(struct fixture *f, struct ledger **lg)
{
	struct gerr err = {0};
	if (ledger_open(f->t.state, LEDGER_WRITE, lg, &err) < 0)
		fail_msg("%s", err.msg);
}

static void update(struct fixture *f, struct ledger *lg, struct ledger_run *run)
{
	struct gerr err = {0};
	struct ledger_ingest in;
	if (ledger_ingest_spool(lg, f->t.spool, &f->acme, 1, &in, &err) < 0 ||
	    ledger_match(lg, &f->acme, false, run, &err) < 0)
		fail_msg("%s", err.msg);
}

static int64_t scalar(const char *db, const char *sql)
{
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

/* The rows of a one-column query of the ledger in state_dir, one a line. */
static char *rows(const char *state_dir, const char *sql)
{
	char *db = path_join(state_dir, LEDGER_FILE);
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(h));
	struct buf b = {0};
	while (sqlite3_step(st) == SQLITE_ROW)
		buf_printf(&b, "%s\n", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	free(db);
	return buf_take(&b);
}

static const char sql_matches[] = "SELECT t.ident || ' > ' || i.ident || ' ' || m.amount || ' ' || m.rule || ' ' || "
				  "o.state FROM matches m JOIN transactions t ON t.id = m.tx JOIN tx_outcomes o ON "
				  "o.tx = t.id JOIN invoices i ON i.id = m.inv ORDER BY 1";

/* Every match as "tx ident > invoice ident amount rule", sorted, one string. */
static char *all_matches(struct fixture *f)
{
	return rows(f->t.state, sql_matches);
}

static const char *ref_of(struct fixture *f, const char *title, char out[16])
{
	char *db = path_join(f->t.state, LEDGER_FILE);
	sqlite3 *h;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT ref FROM transactions WHERE title = ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, 16, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	free(db);
	return out;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_statement_and_invoices(void **state)
{
	struct fixture *f = *state;
	file_invoice(f, "2026/03/02", "fv1.xml", "FV 1/2026", "100.00", "ACME", NULL, "Alfa Sp. z o.o.", NULL, NULL);
	file_invoice(f, "2026/03/02", "zk7.xml", "ZK/7/2026", "40.00", "Orange Polska S.A.", "9512120702", NULL,
		     NULL, NULL);
	static const char *const txns[] = {
		"2026-03-03|100.00|zapłata FV 1/2026|ALFA SP. Z O.O.",
		"2026-03-03|-40.00|ZK/7/2026|ORANGE POLSKA",
		"2026-03-03|-1.50|OPŁATA ZA PRZELEW",
		NULL};
	file_statement(f, "2026/03/03", "s1.json", txns);
	struct ledger *lg;
	open_ledger(f, &lg);
	assert_int_equal(ledger_schema(lg), LEDGER_SCHEMA);
	struct ledger_run run;
	update(f, lg, &run);
	assert_int_equal(run.changed, 3);
	assert_int_equal(run.matched, 2);
	assert_int_equal(run.unmatched, 1);
	assert_true(ledger_report_due(lg, "acme"));
	/* nothing new: nothing changes, no new report */
	struct gerr err = {0};
	assert_int_equal(ledger_report_filed(lg, "acme", &err), 0);
	update(f, lg, &run);
	assert_int_equal(run.changed, 0);
	assert_int_equal(run.scope_txns, 0);
	assert_false(ledger_report_due(lg, "acme"));
	json_t *doc = ledger_payments_json(lg, "acme", "2026-03-31", true, &err);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")), "goniec.payments/1");
	assert_int_equal(json_array_size(json_object_get(doc, "matched")), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "unmatched")), 1);
	json_t *m = json_array_get(json_object_get(doc, "matched"), 0);
	assert_non_null(json_string_value(json_object_get(m, "reason")));
	assert_non_null(json_object_get(doc, "balances"));
	json_decref(doc);
	ledger_close(lg);
}

/* bank.md §6.3: the same transaction in overlapping statements (two bank runs, a file and
 * the API) is one; two genuine identical payments on one day stay two. */
static void test_one_transaction_many_statements(void **state)
{
	struct fixture *f = *state;
	static const char *const first[] = {
		"2026-03-03|50.00|czynsz marzec", "2026-03-03|50.00|czynsz marzec", NULL};
	static const char *const second[] = {
		"2026-03-03|50.00|czynsz marzec", "2026-03-03|50.00|Czynsz  marzec", "2026-03-04|7.00|x", NULL};
	file_statement(f, "2026/03/04", "run1.json", first);
	file_statement(f, "2026/03/05", "run2.json", second);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char *db = path_join(f->t.state, LEDGER_FILE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM transactions"), 3);
	free(db);
	ledger_close(lg);
}

/* The same invoice filed twice (a PDF copy naming the XML as its original, and a copy by
 * KSeF number) is one invoice; a correction changes what is open. */
static void test_one_invoice_many_copies(void **state)
{
	struct fixture *f = *state;
	file_invoice(f, "2026/03/02", "a.xml", "FV 2/2026", "100.00", "ACME", NULL, "Beta", "ksef_number", NULL);
	file_invoice(f, "2026/03/02", "a.pdf", "FV 2/2026", "100.00", "ACME", NULL, "Beta", "duplicate_of",
		     "2026/03/02/acme-ksef/a.xml");
	file_invoice(f, "2026/03/03", "b.pdf", "fv 02/2026", "100.00", "ACME", NULL, "Beta", NULL, NULL);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char *db = path_join(f->t.state, LEDGER_FILE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM invoices"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs WHERE error IS NOT NULL"), 0); /* each copy merged */
	free(db);
	ledger_close(lg);
}

/* A sales correction of `corrects` by gross (negative or not). */
static void file_correction(struct fixture *f, const char *name, const char *number, const char *gross,
			    const char *corrects)
{
	json_t *inv = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s}],s:{s:s,s:s},s:{s:s}}", "number", number,
				"gross", gross, "currency", "PLN", "issue_date", "2026-03-01", "direction", "sales",
				"kind", "correction", "corrects", "number", corrects, "seller", "name", "ACME",
				"nip", ACME_NIP, "buyer", "name", "Beta");
	file_doc(f, "2026/03/02", "acme-ksef", name, "<Faktura/>",
		 json_pack("{s:s,s:s,s:s,s:o}", "company", "acme", "kind", "invoice", "type", "xml", "invoice", inv));
}

/* Corrections whose gross adds up past int64 leave their invoice to a person, and the run
 * goes on with the others: SQLite's sum() over them failed the query, and the loop over
 * its rows took the error for their end, so the run matched with the invoices read so far
 * (none) and said nothing. */
static void test_corrections_past_int64(void **state)
{
	struct fixture *f = *state;
	file_invoice(f, "2026/03/02", "a.xml", "FV 1/2026", "100.00", "ACME", NULL, "Beta", NULL, NULL);
	file_invoice(f, "2026/03/02", "b.xml", "FV 2/2026", "100.00", "ACME", NULL, "Beta", NULL, NULL);
	for (int i = 1; i <= 10; i++) {
		char name[16], number[16];
		snprintf(name, sizeof name, "k%d.xml", i);
		snprintf(number, sizeof number, "KOR %d/2026", i);
		file_correction(f, name, number, "9999999999999999.99", "FV 1/2026");
	}
	static const char *const t[] = {"2026-03-03|100.00|FV 2/2026|Beta", "2026-03-03|100.00|FV 1/2026|Beta",
					NULL};
	file_statement(f, "2026/03/03", "s.json", t);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char *db = path_join(f->t.state, LEDGER_FILE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM invoices WHERE corrects_id IS NOT NULL"), 10);
	assert_int_equal(scalar(db, "SELECT count(*) FROM tx_outcomes WHERE state = 'person'"), 1);
	free(db);
	char *m = all_matches(f);
	assert_non_null(strstr(m, "> s:name:BETA:FV2/2026 10000 number matched"));
	assert_null(strstr(m, "FV1/2026"));
	free(m);
	ledger_close(lg);
}

/* Data arriving bit by bit, matched at each step, gives what one rebuild gives. */
static void test_incremental_equals_rebuild(void **state)
{
	struct fixture *f = *state;
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	static const char *const t1[] = {"2026-03-03|100.00|przelew|OMEGA TRADE", NULL};
	file_statement(f, "2026/03/03", "s1.json", t1);
	update(f, lg, &run); /* no invoice yet: unmatched */
	assert_int_equal(run.unmatched, 1);
	file_invoice(f, "2026/03/04", "o1.xml", "O/1", "100.00", "ACME", NULL, "Omega Trade", NULL, NULL);
	update(f, lg, &run); /* the invoice comes: counterparty and amount */
	assert_int_equal(run.matched, 1);
	file_invoice(f, "2026/03/05", "o2.xml", "O/2", "100.00", "ACME", NULL, "Omega Trade", NULL, NULL);
	update(f, lg, &run); /* a second fits equally: no longer decided */
	assert_int_equal(run.changed, 1);
	assert_int_equal(run.person, 1);
	static const char *const t2[] = {"2026-03-06|250.00|FV 3/2026 i FV 4/2026", "2026-03-06|60.00|FV 5/2026",
					 "2026-03-07|40.00|FV 5/2026 reszta", NULL};
	file_statement(f, "2026/03/06", "s2.json", t2);
	update(f, lg, &run);
	file_invoice(f, "2026/03/07", "3.xml", "FV 3/2026", "200.00", "ACME", NULL, "Zeta", NULL, NULL);
	file_invoice(f, "2026/03/07", "4.xml", "FV 4/2026", "50.00", "ACME", NULL, "Zeta", NULL, NULL);
	file_invoice(f, "2026/03/07", "5.xml", "FV 5/2026", "100.00", "ACME", NULL, "Eta", NULL, NULL);
	update(f, lg, &run);
	char *before = all_matches(f);
	assert_non_null(strstr(before, "number-transfers"));
	assert_non_null(strstr(before, "FV4/2026 5000 number"));
	struct gerr err = {0};
	assert_int_equal(ledger_rebuild(lg, f->t.spool, &f->acme, 1, &err), 0);
	char *after = all_matches(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
	ledger_close(lg);
}

/* A person's pair is kept, wins over the rules, and survives a rebuild; a rejection keeps
 * an invoice off; a dismissal takes a transaction off the list. */
static void test_decisions(void **state)
{
	struct fixture *f = *state;
	file_invoice(f, "2026/03/02", "p1.xml", "P/1", "80.00", "ACME", NULL, "Pi", NULL, NULL);
	file_invoice(f, "2026/03/02", "p2.xml", "P/2", "80.00", "ACME", NULL, "Pi", NULL, NULL);
	static const char *const t[] = {"2026-03-03|80.00|za P/1", "2026-03-03|-12.00|prowizja", NULL};
	file_statement(f, "2026/03/03", "s.json", t);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char ref[16], fee[16];
	ref_of(f, "za P/1", ref);
	ref_of(f, "prowizja", fee);
	struct gerr err = {0};
	const char *p2[] = {"P/2"};
	assert_int_equal(ledger_decide(lg, "acme", PM_PAIR, ref, p2, 1, "test", NULL, &err), 0);
	assert_int_equal(ledger_decide(lg, "acme", PM_DISMISS, fee, NULL, 0, "test", NULL, &err), 0);
	/* naming unknown things is refused, saying why */
	const char *none[] = {"P/9"};
	assert_int_equal(ledger_decide(lg, "acme", PM_PAIR, ref, none, 1, "test", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "no invoice 'P/9'"));
	assert_int_equal(ledger_decide(lg, "acme", PM_PAIR, "zzzzzz", p2, 1, "test", NULL, &err), -1);
	update(f, lg, &run);
	char *m = all_matches(f);
	assert_non_null(strstr(m, "P/2 8000 person"));
	assert_null(strstr(m, "P/1"));
	assert_int_equal(ledger_rebuild(lg, f->t.spool, &f->acme, 1, &err), 0);
	char *again = all_matches(f);
	assert_string_equal(m, again);
	char *db = path_join(f->t.state, LEDGER_FILE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM tx_outcomes WHERE state = 'dismissed'"), 1);
	/* undo: the rules decide again */
	assert_int_equal(ledger_undecide(lg, "acme", ref, NULL, &err), 0);
	update(f, lg, &run);
	char *undone = all_matches(f);
	assert_non_null(strstr(undone, "P/1 8000 number"));
	free(undone);
	free(db);
	free(m);
	free(again);
	ledger_close(lg);
}

/* A register row (goniec.register/1) is an invoice like any other; what it says is paid
 * counts, and "paid in full" closes the invoice. */
static void test_register(void **state)
{
	struct fixture *f = *state;
	const char *reg =
		"{\"schema\": \"goniec.register/1\", \"invoices\": ["
		"{\"line\": 2, \"number\": \"R/1\", \"direction\": \"sales\", \"gross\": \"300.00\", \"paid\": \"100.00\","
		" \"counterparty\": {\"name\": \"Rho\", \"nip\": \"1234563218\"}},"
		"{\"line\": 3, \"number\": \"R/2\", \"direction\": \"sales\", \"gross\": \"50.00\", \"paid\": \"50.00\","
		" \"counterparty\": {\"name\": \"Rho\", \"nip\": \"1234563218\"}}]}";
	file_doc(f, "2026/03/02", "acme-register", "rejestr.register.json", reg,
		 json_pack("{s:s,s:s,s:s}", "company", "acme", "kind", "register", "type", "register"));
	static const char *const t[] = {"2026-03-03|200.00|R/1", "2026-03-03|50.00|R/2", NULL};
	file_statement(f, "2026/03/03", "s.json", t);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char *m = all_matches(f);
	assert_non_null(strstr(m, "R/1 20000 number"));
	assert_null(strstr(m, "R/2"));
	free(m);
	ledger_close(lg);
}

/* A ledger of schema 1 is migrated when opened; one newer than goniec knows is refused. */
static void test_migration(void **state)
{
	struct fixture *f = *state;
	char *db = path_join(f->t.state, LEDGER_FILE);
	setenv("GONIEC_LEDGER_SCHEMA", "1", 1);
	struct ledger *lg;
	open_ledger(f, &lg);
	unsetenv("GONIEC_LEDGER_SCHEMA");
	assert_int_equal(ledger_schema(lg), 1); /* unit tests are test builds: the hook works */
	ledger_close(lg);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'balances'"), 0);
	open_ledger(f, &lg);
	assert_int_equal(ledger_schema(lg), LEDGER_SCHEMA);
	ledger_close(lg);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'balances'"), 1);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	struct gerr err = {0};
	assert_int_equal(ledger_open(f->t.state, LEDGER_WRITE, &lg, &err), -1);
	assert_non_null(strstr(err.msg, "newer"));
	free(db);
}

/* Set a folder's modification time (ns since the epoch), as a file system keeps it. */
static void set_mtime(const char *dir, int64_t ns)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000}};
	assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0);
}

static int64_t mtime_of(const char *dir)
{
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* A source folder read to the end is not read again while its modification time stays the
 * one it had then; a folder changed since, or changed too recently to trust its time (a
 * change in the same clock tick as the reading keeps the time), is read again. */
static void test_unchanged_folders_skipped(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/2026/03/02/acme-ksef", f->t.spool);
	char *db = path_join(f->t.state, LEDGER_FILE);
	file_invoice(f, "2026/03/02", "a.xml", "FV 1/2026", "100.00", "ACME", NULL, "Alfa", NULL, NULL);
	int64_t old = ((int64_t)time(NULL) - 3600) * 1000000000 + 123456789;
	set_mtime(dir, old);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT mtime FROM scanned WHERE dir = '2026/03/02/acme-ksef'"), old);
	/* a document the folder's time does not show (put back by hand): not read */
	file_invoice(f, "2026/03/02", "b.xml", "FV 2/2026", "50.00", "ACME", NULL, "Beta", NULL, NULL);
	set_mtime(dir, old);
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 1);
	/* a document filed now changes the folder's time: both read; the new time is too
	 * recent to be kept */
	file_invoice(f, "2026/03/02", "c.xml", "FV 3/2026", "70.00", "ACME", NULL, "Gamma", NULL, NULL);
	int64_t now = mtime_of(dir);
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 3);
	assert_int_equal(scalar(db, "SELECT mtime FROM scanned WHERE dir = '2026/03/02/acme-ksef'"), old);
	/* another filed in the same clock tick (same time): read, since that time was not kept */
	file_invoice(f, "2026/03/02", "d.xml", "FV 4/2026", "90.00", "ACME", NULL, "Delta", NULL, NULL);
	set_mtime(dir, now);
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 4);
	/* a rebuild reads every folder again */
	struct gerr err = {0};
	set_mtime(dir, old);
	assert_int_equal(ledger_rebuild(lg, f->t.spool, &f->acme, 1, &err), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 4);
	ledger_close(lg);
	free(db);
	free(dir);
}

/* A source folder whose time lies past 2262 (a clock or a share's client that set it so):
 * its time in nanoseconds does not fit in 64 bits; the folder is read all the same, and
 * not marked read (its time is ahead of the run), without a signed overflow (UBSan). */
static void test_folder_time_past_2262(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/2026/03/02/acme-ksef", f->t.spool);
	char *db = path_join(f->t.state, LEDGER_FILE);
	file_invoice(f, "2026/03/02", "a.xml", "FV 1/2026", "100.00", "ACME", NULL, "Alfa", NULL, NULL);
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 10413792000LL}}; /* 2300-01-01 */
	assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM scanned WHERE dir = '2026/03/02/acme-ksef'"), 0);
	ledger_close(lg);
	free(db);
	free(dir);
}

/* What a matching run decided, by identities: each transaction's outcome, each invoice's
 * open amount, the rows still waiting for a run. */
static const char sql_outcomes[] = "SELECT t.ident || ' ' || o.state || ' ' || coalesce(o.reason, '') || ' ' || "
				   "coalesce(o.candidates, '') || ' ' || o.overpaid || ' ' || o.changed FROM "
				   "tx_outcomes o JOIN transactions t ON t.id = o.tx ORDER BY 1";
static const char sql_open[] = "SELECT i.ident || ' ' || n.open FROM inv_open n JOIN invoices i ON i.id = n.inv "
			       "ORDER BY 1";
static const char sql_waiting[] = "SELECT 't ' || t.ident FROM tx_pending p JOIN transactions t ON t.id = p.tx "
				  "UNION ALL SELECT 'i ' || i.ident FROM inv_pending p JOIN invoices i ON i.id = "
				  "p.inv ORDER BY 1";

/* A ledger of schema 3 as the goniec before schema 4 left it: outcomes, open amounts and
 * dirty marks in the wide rows. Made from the schema-4 ledger `from` (same data) into a
 * ledger the migration steps stopped at version 3 created in `dir`. */
static void make_schema3(const char *dir, const char *from)
{
	setenv("GONIEC_LEDGER_SCHEMA", "3", 1);
	struct ledger *lg;
	struct gerr err = {0};
	if (ledger_open(dir, LEDGER_WRITE, &lg, &err) < 0)
		fail_msg("%s", err.msg);
	unsetenv("GONIEC_LEDGER_SCHEMA");
	assert_int_equal(ledger_schema(lg), 3);
	ledger_close(lg);
	char *db = path_join(dir, LEDGER_FILE), *src = path_join(from, LEDGER_FILE);
	char *sql = xasprintf(
		"ATTACH '%s' AS n; BEGIN;"
		"INSERT INTO transactions SELECT t.*, o.state, o.reason, o.candidates, coalesce(o.overpaid, 0), "
		"  coalesce(o.changed, 0), p.tx IS NOT NULL FROM n.transactions t LEFT JOIN n.tx_outcomes o ON "
		"  o.tx = t.id LEFT JOIN n.tx_pending p ON p.tx = t.id;"
		"INSERT INTO invoices SELECT i.*, o.open, p.inv IS NOT NULL FROM n.invoices i LEFT JOIN n.inv_open o "
		"  ON o.inv = i.id LEFT JOIN n.inv_pending p ON p.inv = i.id;"
		"INSERT INTO docs SELECT * FROM n.docs; INSERT INTO tx_keys SELECT * FROM n.tx_keys;"
		"INSERT INTO inv_keys SELECT * FROM n.inv_keys; INSERT INTO matches SELECT * FROM n.matches;"
		"INSERT INTO decisions SELECT * FROM n.decisions; INSERT INTO companies SELECT * FROM n.companies;"
		"INSERT INTO meta SELECT * FROM n.meta; INSERT INTO balances SELECT * FROM n.balances; COMMIT;",
		src);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(h));
	sqlite3_close(h);
	free(sql);
	free(src);
	free(db);
}

/* A ledger of schema 3 (outcomes in the wide rows) is migrated to 4 when opened: the same
 * outcomes, open amounts, rows waiting and a person's decisions; its next run and a
 * rebuild decide as the ledger that never was at 3. */
static void test_migration_outcomes(void **state)
{
	struct fixture *f = *state;
	file_invoice(f, "2026/03/02", "p1.xml", "P/1", "80.00", "ACME", NULL, "Pi", NULL, NULL);
	file_invoice(f, "2026/03/02", "p2.xml", "P/2", "80.00", "ACME", NULL, "Pi", NULL, NULL);
	file_invoice(f, "2026/03/02", "r1.xml", "R/1", "30.00", "ACME", NULL, "Rho", NULL, NULL);
	static const char *const t[] = {"2026-03-03|80.00|za P/1", "2026-03-03|-12.00|prowizja",
					"2026-03-04|30.00|R/1", "2026-03-04|5.00|nic", NULL};
	file_statement(f, "2026/03/03", "s.json", t);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	char fee[16];
	ref_of(f, "prowizja", fee);
	struct gerr err = {0};
	assert_int_equal(ledger_decide(lg, "acme", PM_DISMISS, fee, NULL, 0, "test", NULL, &err), 0);
	update(f, lg, &run);
	/* new data read but not matched yet: rows waiting */
	static const char *const t2[] = {"2026-03-05|80.00|P/2", NULL};
	file_statement(f, "2026/03/05", "s2.json", t2);
	struct ledger_ingest in;
	assert_int_equal(ledger_ingest_spool(lg, f->t.spool, &f->acme, 1, &in, &err), 0);
	ledger_close(lg);
	char *old = xasprintf("%s/old", f->t.state);
	make_schema3(old, f->t.state);
	static const char *const dumps[] = {sql_matches, sql_outcomes, sql_open, sql_waiting,
					   "SELECT kind || ' ' || tx_ident FROM decisions ORDER BY 1"};
	char *want[ARRAY_LEN(dumps)];
	for (size_t i = 0; i < ARRAY_LEN(dumps); i++)
		want[i] = rows(f->t.state, dumps[i]);
	assert_non_null(strstr(want[3], "t ")); /* something waits */
	assert_non_null(strstr(want[1], "dismissed"));
	if (ledger_open(old, LEDGER_WRITE, &lg, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ledger_schema(lg), LEDGER_SCHEMA);
	for (size_t i = 0; i < ARRAY_LEN(dumps); i++) {
		char *got = rows(old, dumps[i]);
		assert_string_equal(got, want[i]);
		free(got);
	}
	char *db = path_join(old, LEDGER_FILE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_info('transactions') WHERE name IN "
				"('state', 'reason', 'candidates', 'overpaid', 'changed', 'dirty')"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_info('invoices') WHERE name IN "
				"('open', 'dirty')"), 0);
	char *check = rows(old, "PRAGMA integrity_check");
	assert_string_equal(check, "ok\n");
	free(check);
	/* the next run: the same as the ledger that never was at 3 */
	assert_int_equal(ledger_match(lg, &f->acme, false, &run, &err), 0);
	struct ledger *lg2;
	open_ledger(f, &lg2);
	update(f, lg2, &run);
	ledger_close(lg2);
	char *m = all_matches(f), *got = rows(old, sql_matches);
	assert_string_equal(got, m);
	assert_non_null(strstr(m, "P/2 8000 number"));
	free(got);
	/* a rebuild of the migrated ledger: the same matches, the decision kept */
	assert_int_equal(ledger_rebuild(lg, f->t.spool, &f->acme, 1, &err), 0);
	got = rows(old, sql_matches);
	assert_string_equal(got, m);
	assert_int_equal(scalar(db, "SELECT count(*) FROM tx_outcomes WHERE state = 'dismissed'"), 1);
	ledger_close(lg);
	for (size_t i = 0; i < ARRAY_LEN(dumps); i++)
		free(want[i]);
	free(got);
	free(m);
	free(db);
	free(old);
}

/* The status of every company: what is left for a person and the oldest of it. */
static void test_status(void **state)
{
	struct fixture *f = *state;
	static const char *const t[] = {"2026-02-01|12.00|stare", "2026-03-03|13.00|nowe", NULL};
	file_statement(f, "2026/03/03", "s.json", t);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	ledger_close(lg);
	struct gerr err = {0};
	assert_int_equal(ledger_open(f->t.state, LEDGER_READ, &lg, &err), 0);
	json_t *st = ledger_status_json(lg, "2026-03-31", &err);
	assert_int_equal(json_array_size(st), 1);
	json_t *c = json_array_get(st, 0);
	assert_int_equal(json_integer_value(json_object_get(c, "unmatched")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "oldest_unmatched"), "date")),
			    "2026-02-01");
	json_decref(st);
	ledger_close(lg);
}

/* A ledger whose file is made but whose schema the first matcher run has not committed yet
 * (what `goniec status` may meet at a daemon's first start): nothing to say yet, no error. */
static void test_status_while_created(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/%s", f->t.state, LEDGER_FILE);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; CREATE TABLE half(x);", NULL, NULL, NULL), SQLITE_OK);
	struct ledger *lg;
	struct gerr err = {0};
	assert_int_equal(ledger_open(f->t.state, LEDGER_READ, &lg, &err), -1);
	assert_int_equal(err.kind, GERR_BUSY);
	json_t *st = payments_status(f->t.state);
	assert_non_null(st);
	assert_int_equal(json_array_size(st), 0);
	json_decref(st);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* created in one transaction: once it is there, it is whole */
	open_ledger(f, &lg);
	ledger_close(lg);
	assert_int_equal(ledger_open(f->t.state, LEDGER_READ, &lg, &err), 0);
	assert_int_equal(ledger_schema(lg), LEDGER_SCHEMA);
	ledger_close(lg);
	free(path);
}

/* Fill a leaf page in the middle of a table's b-tree with garbage (the ledger closed: its
 * WAL checkpointed into the file), so that a query over the table's rows meets
 * SQLITE_CORRUPT after (or before) the rows of the other pages. */
static void corrupt_leaf(struct fixture *f, const char *table)
{
	char *db = path_join(f->t.state, LEDGER_FILE);
	char *sql = xasprintf("SELECT rootpage FROM sqlite_schema WHERE name = '%s'", table);
	int64_t page_size = scalar(db, "PRAGMA page_size"), root = scalar(db, sql);
	assert_true(page_size >= 512 && root > 1);
	int fd = open(db, O_RDWR);
	assert_true(fd >= 0);
	unsigned char *page = xcalloc(1, (size_t)page_size);
	assert_int_equal(pread(fd, page, (size_t)page_size, (root - 1) * page_size), page_size);
	assert_int_equal(page[0], 0x05); /* an interior page: the rows are on several leaves */
	unsigned cells = (unsigned)page[3] << 8 | page[4];
	assert_true(cells >= 2);
	const unsigned char *ptr = page + 12 + 2 * (cells / 2); /* the middle cell */
	const unsigned char *cell = page + ((unsigned)ptr[0] << 8 | ptr[1]);
	int64_t leaf = (int64_t)cell[0] << 24 | cell[1] << 16 | cell[2] << 8 | cell[3];
	memset(page, 'G', (size_t)page_size);
	assert_int_equal(pwrite(fd, page, (size_t)page_size, (leaf - 1) * page_size), page_size);
	close(fd);
	free(page);
	free(sql);
	free(db);
}

/* Enough transactions left for a person (none matches) that they fill several pages. */
static void many_left(struct fixture *f)
{
	enum { N = 300 };
	char *lines[N + 1] = {0};
	for (int i = 0; i < N; i++)
		lines[i] = xasprintf("2026-03-%02d|%d.00|wpłata nr %d bez faktury|KONTRAHENT %d", 1 + i % 28, 10 + i,
				     i, i);
	file_statement(f, "2026/03/03", "s.json", (const char *const *)lines);
	for (int i = 0; i < N; i++)
		free(lines[i]);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_run run;
	update(f, lg, &run);
	assert_int_equal(run.unmatched, N);
	ledger_close(lg);
}

/* A ledger damaged in the middle of its transactions: what `goniec payments`, the report and
 * `goniec status` read from it is an error naming the ledger and SQLite's reason, not the
 * rows read before the damage (the transactions left, in date order, are read before the
 * first is shown: the old loops took SQLITE_CORRUPT for the end of the rows and showed none
 * left, and status no oldest one), and a matcher run over them fails. */
static void test_damaged_rows_are_an_error(void **state)
{
	struct fixture *f = *state;
	many_left(f);
	corrupt_leaf(f, "transactions");
	struct ledger *lg;
	struct gerr err = {0};
	assert_int_equal(ledger_open(f->t.state, LEDGER_READ, &lg, &err), 0);
	json_t *doc = ledger_payments_json(lg, "acme", "2026-03-31", true, &err);
	if (doc)
		fail_msg("a damaged ledger read as %zu transactions left",
			 json_array_size(json_object_get(doc, "unmatched")));
	assert_non_null(strstr(err.msg, LEDGER_FILE));
	assert_non_null(strstr(err.msg, "malformed"));
	memset(&err, 0, sizeof(err));
	json_t *st = ledger_status_json(lg, "2026-03-31", &err);
	if (st)
		fail_msg("a damaged ledger's status: %s", json_dumps(st, JSON_COMPACT));
	assert_non_null(strstr(err.msg, "malformed"));
	ledger_close(lg);
	assert_null(payments_status(f->t.state));
	/* a matcher run over every transaction (read in id order: the damage is met in the
	 * middle of the rows) fails with it */
	open_ledger(f, &lg);
	struct ledger_run run;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ledger_match(lg, &f->acme, true, &run, &err), -1);
	assert_non_null(strstr(err.msg, "malformed"));
	ledger_close(lg);
}

/* A spool folder that cannot be read to its end (a disk error while listing it) fails the
 * ledger's reading of the spool, naming the folder; once it can be read, its documents are
 * read. The scan moves its start (scan_from) past the days it read, so a day whose listing
 * was cut short and taken for whole was never read again: its invoices were lost to the
 * ledger for good. */
static void test_unreadable_folder_is_an_error(void **state)
{
	struct fixture *f = *state;
	const char *days[] = {"2026/03/01", "2026/03/02", "2026/03/03"};
	for (size_t i = 0; i < ARRAY_LEN(days); i++) {
		char name[16], number[16];
		snprintf(name, sizeof name, "%zu.xml", i);
		snprintf(number, sizeof number, "FV %zu/2026", i + 1);
		file_invoice(f, days[i], name, number, "100.00", "ACME", NULL, "Alfa", NULL, NULL);
	}
	char *day = xasprintf("%s/2026/03/01", f->t.spool);
	char *db = path_join(f->t.state, LEDGER_FILE);
	struct ledger *lg;
	open_ledger(f, &lg);
	struct ledger_ingest in;
	struct gerr err = {0};
	readdir_fail_at(day, 0);
	int rc = ledger_ingest_spool(lg, f->t.spool, &f->acme, 1, &in, &err);
	readdir_fail_at(NULL, 0);
	if (rc == 0)
		fail_msg("a spool folder cut short read as whole (%lld documents)",
			 (long long)scalar(db, "SELECT count(*) FROM docs"));
	char *expected = xasprintf("cannot read spool folder %s: Input/output error", day);
	assert_string_equal(err.msg, expected);
	free(expected);
	struct ledger_run run;
	update(f, lg, &run);
	assert_int_equal(scalar(db, "SELECT count(*) FROM docs"), 3);
	ledger_close(lg);
	free(db);
	free(day);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statement_and_invoices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_transaction_many_statements, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_invoice_many_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrections_past_int64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_equals_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_folders_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folder_time_past_2262, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_while_created, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_rows_are_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_folder_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
