/* Unit tests of the statement enricher: which documents are read as statements when
 * filed, what their sidecar's `statement` says, and what happens to one that claims to
 * be a statement and cannot be read. */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "core/config.h"
#include "core/spool.h"
#include "sources/source.h"
#include "sources/statement_enrich.h"

static json_t *enrich(const char *dir, const char *name, const char *type, const char *text,
		      bool *unreadable)
{
	char *path = path_join(dir, "tmp-doc");
	write_text(path, text);
	json_t *fields = json_object();
	struct statement_enrich_doc doc = {path, type, name};
	statement_enrich(dir, &doc, fields, unreadable);
	free(path);
	return fields;
}

#define MT940 ":20:X\n:25:PL61109010140000071219812874\n:28C:1\n:60F:C240301PLN100,00\n" \
	      ":61:240301C1,00NTRF//R1\n:86:020~20FV 1/2024\n:62F:C240301PLN101,00\n"

static void test_statements_read(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	bool unreadable;
	json_t *f = enrich(dir, "wyciag.sta", "mt940", MT940, &unreadable);
	json_t *st = json_object_get(f, "statement");
	assert_false(unreadable);
	assert_string_equal(json_string_value(json_object_get(st, "format")), "mt940");
	assert_string_equal(json_string_value(json_object_get(st, "account")),
			    "PL61109010140000071219812874");
	assert_string_equal(json_string_value(json_object_get(st, "bank")),
			    "Santander Bank Polska");
	assert_true(json_is_true(json_object_get(st, "reconciles")));
	assert_string_equal(json_string_value(json_object_get(f, "kind")), "statement");
	json_decref(f);
	/* a CSV no bank map knows, an XML that is no camt: not statements, no member */
	f = enrich(dir, "list.csv", "csv", "a;b\n1;2\n", &unreadable);
	assert_null(json_object_get(f, "statement"));
	assert_null(json_object_get(f, "kind"));
	assert_false(unreadable);
	json_decref(f);
	f = enrich(dir, "x.xml", "xml", "<Faktura/>", &unreadable);
	assert_null(json_object_get(f, "statement"));
	json_decref(f);
	/* camt.054 is typed xml by the spool, and still read */
	f = enrich(dir, "n.xml", "xml",
		   "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.04\">"
		   "<BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><Amt Ccy=\"PLN\">5.00</Amt>"
		   "<CdtDbtInd>CRDT</CdtDbtInd></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>",
		   &unreadable);
	st = json_object_get(f, "statement");
	assert_string_equal(json_string_value(json_object_get(st, "format")), "camt.054");
	assert_string_equal(json_string_value(json_object_get(st, "kind")), "notification");
	json_decref(f);
	rm_rf(dir);
	free(dir);
}

/* A bank map added to <confdir>/banks/ counts from the next document on in the same
 * process (a daemon's worker takes run after run), and one taken away stops counting. */
static void test_map_added_later(void **state)
{
	(void)state;
	char *dir = scratch_dir(), *banks = path_join(dir, "banks");
	static const char csv[] = "Data|Kwota|Opis\n2024-03-01|12.50|ZA FV 9\n";
	bool unreadable;
	json_t *f = enrich(dir, "nest.csv", "csv", csv, &unreadable);
	assert_null(json_object_get(f, "statement")); /* no map knows it yet */
	json_decref(f);
	assert_int_equal(mkdir(banks, 0700), 0);
	char *map = path_join(banks, "nest.yaml");
	write_text(map, "id: nest-historia\nbank: Nest Bank\nseparator: \"|\"\ndecimal: \".\"\n"
			"currency: PLN\nheader: [Data, Kwota, Opis]\n"
			"columns: {booking_date: Data, amount: Kwota, title: Opis}\n");
	f = enrich(dir, "nest.csv", "csv", csv, &unreadable);
	assert_string_equal(json_string_value(json_object_get(json_object_get(f, "statement"), "bank")),
			    "Nest Bank");
	json_decref(f);
	assert_int_equal(unlink(map), 0);
	f = enrich(dir, "nest.csv", "csv", csv, &unreadable);
	assert_null(json_object_get(f, "statement"));
	json_decref(f);
	rm_rf(dir);
	free(map);
	free(banks);
	free(dir);
}

static void test_unreadable_statement(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	bool unreadable;
	/* typed mt940 by its tags, but a :61: without an amount */
	json_t *f = enrich(dir, "wyciag.sta", "mt940",
			   ":20:X\n:25:PL61109010140000071219812874\n:28C:1\n:60F:C240301PLN1,00\n"
			   ":61:240301CNTRF\n",
			   &unreadable);
	json_t *st = json_object_get(f, "statement");
	assert_true(unreadable);
	assert_string_equal(json_string_value(json_object_get(st, "format")), "mt940");
	assert_string_equal(json_string_value(json_object_get(st, "error")),
			    "wyciag.sta: line 5: :61: no amount");
	json_decref(f);
	/* a name that claims a statement, content that is none */
	f = enrich(dir, "export.940", "text", "hello\n", &unreadable);
	assert_true(unreadable);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(f, "statement"),
								 "error")),
			       "export.940: not a statement format"));
	json_decref(f);
	/* a plain text under another name is none of its business */
	f = enrich(dir, "notes.txt", "text", "hello\n", &unreadable);
	assert_null(json_object_get(f, "statement"));
	assert_false(unreadable);
	json_decref(f);
	rm_rf(dir);
	free(dir);
}

/* As a filing enricher: an unreadable statement is counted for the daemon's alert; a
 * statement the source gave itself (a bank's) is left as the source gave it. */
static void test_filing_enricher(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *path = path_join(dir, "tmp-doc");
	struct config cfg = {.confdir = dir};
	struct source_conf src = {.name = "skany"};
	struct source_run run = {.cfg = &cfg, .src = &src};
	struct gerr err = {0};
	write_text(path, ":20:X\n:25:PL61109010140000071219812874\n:61:240301CNTRF\n");
	struct spool_view view = {.path = path, .type = "mt940", .name_hint = "zly.sta"};
	json_t *fields = json_object();
	assert_int_equal(statement_enrich_filing(&run, &view, fields, &err), 0);
	assert_int_equal(run.stats.unreadable, 1);
	assert_non_null(json_object_get(json_object_get(fields, "statement"), "error"));
	json_decref(fields);
	/* the same bytes from a source that gave its own statement: nothing added, nothing
	 * counted */
	view.extra = json_pack("{s:{s:s}}", "statement", "account", "PL61109010140000071219812874");
	fields = json_object();
	assert_int_equal(statement_enrich_filing(&run, &view, fields, &err), 0);
	assert_int_equal(json_object_size(fields), 0);
	assert_int_equal(run.stats.unreadable, 1);
	json_decref(fields);
	json_decref(view.extra);
	/* a readable one is not counted */
	write_text(path, MT940);
	view.extra = NULL;
	fields = json_object();
	assert_int_equal(statement_enrich_filing(&run, &view, fields, &err), 0);
	assert_true(json_is_true(json_object_get(json_object_get(fields, "statement"), "reconciles")));
	assert_int_equal(run.stats.unreadable, 1);
	json_decref(fields);
	free(path);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statements_read),
		cmocka_unit_test(test_map_added_later),
		cmocka_unit_test(test_unreadable_statement),
		cmocka_unit_test(test_filing_enricher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
