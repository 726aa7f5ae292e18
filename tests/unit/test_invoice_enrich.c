/* Unit tests of invoice_enrich: one invoice arriving three times (the Ministry
 * generator's PDF without a KSeF number, the same invoice's PDF with it, its FA(3) XML —
 * real samples) ends as one original and two copies naming it; a portal's fields win over
 * the PDF text's; an unreadable PDF is filed with the reason; other PDFs get no copies. */
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "core/config.h"
#include "core/dedupe.h"
#include "core/invkeys.h"
#include "formats/pdftext.h"
#include "sources/invoice_enrich.h"

#define PDFS "../shared/samples/invoices-pdf/"
#define FA3 "../shared/samples/ksef/fa3/"

static struct spool_tree tree;
static char *dir, *spool, *state;

static struct config cfg;
static int serial;

static int setup(void **s)
{
	(void)s;
	make_spool_tree(&tree);
	dir = tree.dir;
	spool = tree.spool;
	state = tree.state;
	memset(&cfg, 0, sizeof cfg);
	cfg.confdir = "conf.d";
	cfg.agent.state_dir = state;
	cfg.agent.pdf = (struct agent_pdf){.time = 20, .memory = 512 << 20, .pages = 100, .text = 4 << 20};
	setenv("GONIEC_INVOICE_RULES_DIR", "conf.d/invoices", 1);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	free_spool_tree(&tree);
	return 0;
}

/* File a document as the spool would: enrich, then publish it (in the content index and
 * the spool). Returns the fields; *relpath gets its spool path. */
static json_t *file_doc_of(const char *path, const char *type, json_t *invoice,
			   const char *company_nip, char **relpath)
{
	char sha[65];
	snprintf(sha, sizeof sha, "%064d", ++serial);
	struct invoice_enrich_doc d = {.path = path, .type = type, .kind = "document", .sha256 = sha,
				       .invoice = invoice, .company_nip = company_nip};
	json_t *fields = json_object();
	struct gerr err;
	if (invoice_enrich(&cfg, spool, &d, fields, &err) != 0)
		fail_msg("enrich %s: %s", path, err.msg);
	*relpath = xasprintf("doc-%d", serial);
	char *p = path_join(spool, *relpath);
	write_text(p, "x");
	free(p);
	free(dedupe_content_index_add(state, sha, *relpath, &err));
	return fields;
}

static json_t *file_doc(const char *path, const char *type, json_t *invoice, char **relpath)
{
	return file_doc_of(path, type, invoice, NULL, relpath);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void test_three_copies(void **s)
{
	(void)s;
	char *mail, *portal, *ksef;
	json_t *a = file_doc(PDFS "mf-generator-fa-yucfo-03-2026-v1.10-no-ksef-number.pdf", "pdf",
			     NULL, &mail);
	const json_t *inv = json_object_get(a, "invoice");
	assert_string_equal(str(inv, "number"), "FA/YUCFO-4342344706/03/2026");
	assert_string_equal(str(json_object_get(inv, "seller"), "nip"), "5265877635");
	assert_null(json_object_get(a, "duplicate_of"));
	assert_string_equal(str(a, "kind"), "invoice"); /* a PDF with an invoice's number */
	/* the portal knows number and gross exactly: they win, the text fills the rest */
	json_t *pinv = json_pack("{s:s, s:s, s:s}", "number", "FA/YUCFO-4342344706/03/2026",
				 "gross", "33569.50", "currency", "PLN");
	json_t *b = file_doc(PDFS "mf-generator-fa-yucfo-03-2026-with-ksef-number.pdf", "pdf", pinv,
			     &portal);
	inv = json_object_get(b, "invoice");
	assert_string_equal(str(inv, "ksef_number"), "5265877635-20250808-9231003CA67B-BE");
	assert_string_equal(str(json_object_get(json_object_get(inv, "found"), "number"), "by"),
			    "unstated");
	assert_string_equal(str(json_object_get(json_object_get(inv, "found"), "ksef_number"), "by"),
			    "rule");
	assert_string_equal(str(b, "duplicate_of"), mail);
	assert_non_null(strstr(str(b, "duplicate_reason"), "same seller NIP 5265877635"));
	json_t *c = file_doc(FA3 "cirfmf-pdf-generator-invoice.xml", "xml", NULL, &ksef);
	inv = json_object_get(c, "invoice");
	assert_string_equal(str(json_object_get(json_object_get(inv, "found"), "gross"), "by"), "fa3");
	assert_string_equal(str(c, "duplicate_of"), mail);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(pinv);
	free(mail);
	free(portal);
	free(ksef);
}

/* A portal's list page that disagrees with the PDF's text: the portal's values stay; the
 * text's net and VAT, which do not add up to the portal's gross, are not taken; what the
 * portal did not say is read from the text. */
static void test_portal_wins(void **s)
{
	(void)s;
	char *rel;
	json_t *given = json_pack("{s:s, s:s, s:s, s:[s]}", "number", "FA/PORTAL/1", "gross", "100.00",
				  "currency", "PLN", "due_dates", "2026-01-31");
	json_t *f = file_doc(PDFS "mf-generator-fa-yucfo-03-2026-v1.10-no-ksef-number.pdf", "pdf", given,
			     &rel);
	const json_t *inv = json_object_get(f, "invoice"), *found = json_object_get(inv, "found");
	assert_string_equal(str(inv, "number"), "FA/PORTAL/1");
	assert_string_equal(str(inv, "gross"), "100.00");
	assert_string_equal(str(inv, "due_date"), "2026-01-31");
	assert_string_not_equal(str(json_object_get(found, "gross"), "by"), "rule");
	assert_null(json_object_get(inv, "net"));  /* 27292.28 + 6277.22 is not 100.00 */
	assert_null(json_object_get(inv, "vat"));
	assert_string_equal(str(inv, "issue_date"), "2025-10-31"); /* from the text */
	assert_string_equal(str(json_object_get(found, "issue_date"), "by"), "rule");
	assert_string_equal(str(json_object_get(inv, "seller"), "nip"), "5265877635");
	json_decref(given);
	json_decref(f);
	free(rel);
}

/* A PDF's direction, as an XML's, from the company's NIP (as written in conf.d): seller
 * → sales, buyer → purchase, neither → not said; a direction the source gave stays. */
static void test_pdf_direction(void **s)
{
	(void)s;
	static const struct {
		const char *company_nip, *given, *want;
	} cases[] = {
		{"526-587-76-35", NULL, "sales"},
		{"PL 6808208874", NULL, "purchase"},
		{"5260250274", NULL, NULL},
		{NULL, NULL, NULL},
		{"5265877635", "purchase", "purchase"},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *rel;
		json_t *given = cases[i].given ? json_pack("{s:s}", "direction", cases[i].given) : NULL;
		json_t *f = file_doc_of(PDFS "mf-generator-fa-yucfo-03-2026-v1.10-no-ksef-number.pdf", "pdf",
					given, cases[i].company_nip, &rel);
		const json_t *inv = json_object_get(f, "invoice");
		assert_string_equal(str(json_object_get(inv, "buyer"), "nip"), "6808208874");
		if (!cases[i].want) {
			assert_null(json_object_get(inv, "direction"));
		} else {
			assert_string_equal(str(inv, "direction"), cases[i].want);
			const json_t *how = json_object_get(json_object_get(inv, "found"), "direction");
			if (!cases[i].given)
				assert_string_equal(str(how, "at"), "company.nip");
		}
		json_decref(given);
		json_decref(f);
		free(rel);
	}
}

static void test_not_copies(void **s)
{
	(void)s;
	char *p1, *p2, *p3;
	/* a PDF with no text layer, first: nothing to look up, the index not even made */
	char *scan = path_join(dir, "scan.pdf");
	write_text(scan, "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
			 "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
			 "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
			 "trailer<</Root 1 0 R>>\n%%EOF\n");
	json_t *c = file_doc(scan, "pdf", NULL, &p3);
	char *index = path_join(state, INVKEYS_FILE);
	assert_int_not_equal(access(index, F_OK), 0);
	free(index);
	/* two different invoices */
	json_t *a = file_doc(PDFS "fakturaxl-template-a-fv-1-05-2021.pdf", "pdf", NULL, &p1);
	json_t *b = file_doc(PDFS "qt-witkac-fv-2-15.pdf", "pdf", NULL, &p2);
	assert_null(json_object_get(b, "duplicate_of"));
	assert_string_equal(str(json_object_get(c, "invoice"), "text"), "none");
	assert_null(json_object_get(c, "kind")); /* a scan: not called an invoice */
	assert_null(json_object_get(c, "duplicate_of"));
	/* template B is the same invoice as template A */
	char *p4;
	json_t *d = file_doc(PDFS "fakturaxl-template-b-fv-1-05-2021.pdf", "pdf", NULL, &p4);
	assert_string_equal(str(d, "duplicate_of"), p1);
	/* an XML that is not FA(3): no invoice */
	char *x = path_join(dir, "x.xml"), *p5;
	write_text(x, "<?xml version=\"1.0\"?><a/>\n");
	json_t *e = file_doc(x, "xml", NULL, &p5);
	assert_int_equal(json_object_size(e), 0);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	json_decref(e);
	free(scan);
	free(x);
	free(p1);
	free(p2);
	free(p3);
	free(p4);
	free(p5);
}

/* cfg.confdir becomes <dir>/conf.d with a broken rule of the user's; the rule file's path. */
static char *broken_rules(void)
{
	char *conf = path_join(dir, "conf.d"), *inv = path_join(conf, "invoices");
	assert_int_equal(mkdir(conf, 0700), 0);
	assert_int_equal(mkdir(inv, 0700), 0);
	char *p = path_join(inv, "mine.yaml");
	write_text(p, "rules:\n  - {name: x, field: number, label: '(('}\n");
	static char confdir[PATH_MAX];
	snprintf(confdir, sizeof confdir, "%s", conf);
	cfg.confdir = confdir;
	free(inv);
	free(conf);
	return p;
}

/* Broken rules of the user's: PDFs are filed (without their fields), not refused. */
static void test_broken_rules(void **s)
{
	(void)s;
	char *p = broken_rules();
	char *rel;
	json_t *a = file_doc(PDFS "qt-witkac-fv-2-15.pdf", "pdf", NULL, &rel);
	assert_null(json_object_get(a, "invoice"));
	assert_null(json_object_get(a, "duplicate_of"));
	json_decref(a);
	free(rel);
	free(p);
}

/* The rules are read again when their folders change: a daemon's worker takes run after
 * run in one process, and a person's fix counts from the next document on. */
static void test_rules_edited(void **s)
{
	(void)s;
	char *p = broken_rules();
	char *rel;
	json_t *a = file_doc(PDFS "qt-witkac-fv-2-15.pdf", "pdf", NULL, &rel);
	assert_null(json_object_get(a, "invoice")); /* broken: no fields */
	json_decref(a);
	free(rel);
	write_text(p, "rules: []\n"); /* fixed in place */
	json_t *b = file_doc(PDFS "qt-witkac-fv-2-15.pdf", "pdf", NULL, &rel);
	assert_non_null(json_object_get(json_object_get(b, "invoice"), "number"));
	json_decref(b);
	free(rel);
	free(p);
}

int main(int argc, char **argv)
{
	(void)argc;
	char *worker = built_program(argv[0], "goniec-pdftext");
	pdftext_set_worker(worker);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portal_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pdf_direction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules_edited, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(worker);
	return rc;
}
