/* The one filing helper (sources/filing.h): counters and the enricher hook — called once
 * the bytes are complete and typed, before the sidecar; its fields land in the sidecar; a
 * permanent error quarantines, another fails the filing; other types and duplicates are
 * not enriched. The enricher here stands for the statement and invoice enrichers of the
 * next issues. */
#include <sys/stat.h>

#include "testutil.h"
#include "core/config.h"
#include "core/dedupe.h"
#include "core/spool.h"
#include "sources/filing.h"

static const char PDF[] = "%PDF-1.4\n1 0 obj<<>>endobj\n% FV/7/2026\ntrailer<<>>\n%%EOF\n";
static const char XML[] = "<?xml version=\"1.0\"?><a>b</a>\n";

struct fixture {
	char *dir;
	struct spool sp;
	struct source_type type;
	struct source_conf src;
	struct source_run run;
};

/* What the test enricher saw, and what it is told to do. */
static struct {
	unsigned calls;
	uint64_t size_seen;
	bool complete;          /* the file at doc->path held every byte, with %%EOF */
	enum { DO_ADD, DO_REFUSE, DO_TEMPFAIL } action;
} seen;

static int enrich_pdf(struct source_run *run, const struct spool_view *doc, json_t *fields,
		      struct gerr *err)
{
	seen.calls++;
	seen.size_seen = doc->size;
	char *data = NULL;
	size_t len = 0;
	struct gerr e;
	seen.complete = read_file(doc->path, 1 << 20, &data, &len, &e) == 0 && len == doc->size &&
			strstr(data, "%%EOF") != NULL && strcmp(doc->type, "pdf") == 0 &&
			strcmp(run->src->name, "acme-scans") == 0;
	free(data);
	if (seen.action == DO_REFUSE)
		return gerr_setk(err, GERR_PERMANENT, "line 3: no invoice number");
	if (seen.action == DO_TEMPFAIL)
		return gerr_set(err, "the index is locked");
	json_object_set_new(fields, "invoice", json_pack("{s:s}", "number", "FV/7/2026"));
	json_object_set_new(fields, "duplicate_of", json_string("2026/11/01/ksef/FV_7.xml"));
	return 0;
}

static const struct filing_enricher test_enrichers[] = {
	{"pdf", enrich_pdf, NULL},
	{NULL, NULL, NULL},
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	f->dir = scratch_dir();
	char *root = path_join(f->dir, "spool"), *index = path_join(f->dir, "filed.idx");
	struct gerr err;
	assert_int_equal(spool_open(&f->sp, root, f->dir, 1 << 20, &err), 0);
	f->type.name = "folder";
	f->src = (struct source_conf){.name = "acme-scans", .type = &f->type};
	strlist_add(&f->src.accept, "pdf");
	strlist_add(&f->src.accept, "xml");
	f->run = (struct source_run){.src = &f->src, .spool = &f->sp};
	f->run.dedupe = dedupe_open(index, root, &err);
	assert_non_null(f->run.dedupe);
	free(root);
	free(index);
	memset(&seen, 0, sizeof seen);
	filing_set_enrichers(test_enrichers);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	filing_set_enrichers(NULL);
	dedupe_close(f->run.dedupe);
	spool_close(&f->sp);
	strlist_free(&f->src.accept);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static json_t *sidecar_of(struct fixture *f, const char *rel)
{
	char *p = xasprintf("%s/%s.meta.json", f->sp.root, rel);
	json_error_t e;
	json_t *j = json_load_file(p, 0, &e);
	free(p);
	return j;
}

static char *today_dir(const char *source)
{
	char date[11];
	spool_date_dir(time(NULL), date);
	return xasprintf("%s/%s", date, source);
}

static int file_text(struct fixture *f, const char *name, const char *data,
		     enum spool_status *st)
{
	const struct filing_doc doc = {.name_hint = name, .source_id = name};
	struct gerr err;
	return filing_buffer(&f->run, &doc, data, strlen(data), st, &err);
}

static void test_enricher_fields_reach_the_sidecar(void **state)
{
	struct fixture *f = *state;
	enum spool_status st;
	/* written in two chunks: the enricher must see the whole */
	const struct filing_doc doc = {.name_hint = "fv7.pdf"};
	struct gerr err;
	struct filing *fl = filing_begin(&f->run, &doc, &err);
	assert_non_null(fl);
	assert_int_equal(filing_write(fl, PDF, 10, &err), 0);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(filing_write(fl, PDF + 10, sizeof PDF - 11, &err), 0);
	assert_int_equal(filing_commit(fl, &st, &err), 0);
	assert_int_equal(st, SPOOL_FILED);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.complete);
	assert_int_equal(seen.size_seen, sizeof PDF - 1);
	char *dir = today_dir("acme-scans"), *rel = xasprintf("%s/fv7.pdf", dir);
	json_t *j = sidecar_of(f, rel);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "invoice"), "number")),
			    "FV/7/2026");
	assert_string_equal(json_string_value(json_object_get(j, "duplicate_of")),
			    "2026/11/01/ksef/FV_7.xml");
	json_decref(j);
	assert_int_equal(f->run.stats.filed, 1);
	assert_int_equal(f->run.stats.bytes, sizeof PDF - 1);
	/* the same bytes again: a duplicate, not enriched again, no bytes counted */
	assert_int_equal(file_text(f, "again.pdf", PDF, &st), 0);
	assert_int_equal(st, SPOOL_DUPLICATE);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(f->run.stats.duplicates, 1);
	assert_int_equal(f->run.stats.bytes, sizeof PDF - 1);
	/* another type has no enricher here */
	assert_int_equal(file_text(f, "a.xml", XML, &st), 0);
	assert_int_equal(st, SPOOL_FILED);
	assert_int_equal(seen.calls, 1);
	free(rel);
	free(dir);
}

static void test_permanent_error_quarantines(void **state)
{
	struct fixture *f = *state;
	enum spool_status st;
	seen.action = DO_REFUSE;
	assert_int_equal(file_text(f, "bad.pdf", PDF, &st), 0);
	assert_int_equal(st, SPOOL_QUARANTINED);
	assert_int_equal(f->run.stats.quarantined, 1);
	assert_int_equal(f->run.stats.filed, 0);
	assert_int_equal(f->run.stats.bytes, 0);
	char *dir = today_dir("acme-scans"), *rel = xasprintf("quarantine/%s/bad.pdf", dir);
	json_t *j = sidecar_of(f, rel);
	assert_non_null(j);
	json_t *q = json_object_get(j, "quarantine");
	assert_string_equal(json_string_value(json_object_get(q, "reason")), "line 3: no invoice number");
	assert_true(json_is_true(json_object_get(q, "content_kept")));
	assert_null(json_object_get(j, "invoice"));
	json_decref(j);
	free(rel);
	free(dir);
}

static void test_other_error_fails_and_files_nothing(void **state)
{
	struct fixture *f = *state;
	seen.action = DO_TEMPFAIL;
	const struct filing_doc doc = {.name_hint = "later.pdf"};
	struct gerr err;
	assert_int_equal(filing_buffer(&f->run, &doc, PDF, sizeof PDF - 1, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "the index is locked"));
	assert_int_equal(err.kind, GERR_TEMPORARY);
	assert_int_equal(f->run.stats.filed + f->run.stats.quarantined + f->run.stats.failed, 0);
	char *dir = today_dir("acme-scans"), *path = xasprintf("%s/%s/later.pdf", f->sp.root, dir);
	struct stat sb;
	assert_int_not_equal(stat(path, &sb), 0);
	free(path);
	free(dir);
	/* not remembered either: the next run files it */
	seen.action = DO_ADD;
	enum spool_status st;
	assert_int_equal(filing_buffer(&f->run, &doc, PDF, sizeof PDF - 1, &st, &err), 0);
	assert_int_equal(st, SPOOL_FILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enricher_fields_reach_the_sidecar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_error_quarantines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_error_fails_and_files_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
