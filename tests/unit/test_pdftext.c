/* Unit tests of pdftext: the worker that reads a PDF's text, its outcomes and limits.
 * The real worker (goniec-pdftext beside the test's build folder) reads real samples;
 * stand-in workers (shell scripts) show the time and memory limits are enforced. */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "formats/pdftext.h"

#define SAMPLES "../shared/samples/invoices-pdf/"

static char *real_worker;
static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = scratch_dir();
	pdftext_set_worker(real_worker);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	free(dir);
	return 0;
}

static char *in_dir(const char *name) { return path_join(dir, name); }

static char *fake_worker(const char *script)
{
	char *p = in_dir("worker.sh");
	char *text = xasprintf("#!/bin/sh\n%s\n", script);
	write_text(p, text);
	free(text);
	assert_int_equal(chmod(p, 0700), 0);
	return p;
}

static void test_real_sample(void **state)
{
	(void)state;
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(SAMPLES "ksefprinter-fa102-05-2025-energy-ksef-number.pdf",
				      NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_non_null(strstr(t.text, "Nr: FA102/05/2025"));
	assert_non_null(strstr(t.text, "Nr rachunku: 73111111111111111111111111"));
	/* the two party columns stay apart on one line */
	assert_non_null(strstr(t.text, "NIP: 6511153259   "));
	assert_int_equal(t.pages_read, 1);
	assert_int_equal(t.pages_total, 1);
	assert_false(t.truncated);
	assert_null(t.why);
	pdftext_free(&t);
}

static void test_pages_split_and_capped(void **state)
{
	(void)state;
	struct pdftext t;
	struct gerr err;
	struct pdftext_limits lim = pdftext_default_limits;
	const char *f = SAMPLES "uber-poland-fv-qgyynhoi-0001419-3pages.pdf";
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	size_t ff = 0;
	for (size_t i = 0; i < t.len; i++)
		ff += t.text[i] == '\f';
	assert_int_equal(ff, 2);
	pdftext_free(&t);
	lim.max_pages = 1;
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_null(strchr(t.text, '\f'));
	assert_null(strstr(t.text, "Transportation Agreement"));
	assert_int_equal(t.pages_read, 1);
	assert_int_equal(t.pages_total, 3);
	assert_true(t.truncated);
	pdftext_free(&t);
	lim = pdftext_default_limits;
	lim.max_text = 100;
	assert_int_equal(pdftext_read(f, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_int_equal(t.len, 100);
	assert_true(t.truncated);
	pdftext_free(&t);
}

static void test_not_a_pdf(void **state)
{
	(void)state;
	char *p = in_dir("x.pdf");
	write_text(p, "this is not a PDF at all\n");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_UNREADABLE);
	assert_non_null(t.why);
	assert_string_equal(t.text, "");
	pdftext_free(&t);
	free(p);
}

/* A PDF with one empty page: readable, no text layer. */
static void test_no_text_layer(void **state)
{
	(void)state;
	char *p = in_dir("scan.pdf");
	write_text(p, "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
		      "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
		      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
		      "trailer<</Root 1 0 R>>\n%%EOF\n");
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(p, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_NO_TEXT);
	assert_string_equal(pdftext_status_name(t.status), "none");
	assert_non_null(strstr(t.why, "no text layer"));
	pdftext_free(&t);
	free(p);
}

static void test_time_limit(void **state)
{
	(void)state;
	char *w = fake_worker("sleep 30");
	pdftext_set_worker(w);
	struct pdftext_limits lim = pdftext_default_limits;
	lim.seconds = 1;
	struct pdftext t;
	struct gerr err;
	int64_t start = now_ms();
	assert_int_equal(pdftext_read(w, &lim, &t, &err), 0);
	assert_true(now_ms() - start < 5000);
	assert_int_equal(t.status, PDFTEXT_TIME_LIMIT);
	assert_non_null(strstr(t.why, "1 s"));
	pdftext_free(&t);
	free(w);
}

static void test_memory_limit(void **state)
{
	(void)state;
	char *w = fake_worker("echo 'GLib-ERROR: failed to allocate 4000000000 bytes' >&2; kill -ABRT $$");
	pdftext_set_worker(w);
	struct pdftext t;
	struct gerr err;
	assert_int_equal(pdftext_read(w, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_MEMORY_LIMIT);
	assert_non_null(strstr(t.why, "512 MiB"));
	pdftext_free(&t);
	free(w);
	w = fake_worker("kill -SEGV $$");
	pdftext_set_worker(w);
	assert_int_equal(pdftext_read(w, NULL, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_UNREADABLE);
	assert_non_null(strstr(t.why, "signal 11"));
	pdftext_free(&t);
	free(w);
}

static void test_limits_reach_the_worker(void **state)
{
	(void)state;
	struct pdftext_limits lim = pdftext_default_limits;
	lim.memory = (uint64_t)64 << 20;
	lim.seconds = 7;
	struct pdftext t;
	struct gerr err;
	char *w = fake_worker("echo \"$(ulimit -v) $(ulimit -t)\"");
	pdftext_set_worker(w);
	assert_int_equal(pdftext_read(w, &lim, &t, &err), 0);
	assert_int_equal(t.status, PDFTEXT_OK);
	assert_string_equal(t.text, "65536 7\n");
	pdftext_free(&t);
	free(w);
}

static void test_worker_missing(void **state)
{
	(void)state;
	char *w = in_dir("no-such-worker");
	pdftext_set_worker(w);
	struct pdftext t;
	struct gerr err;
	char *p = in_dir("x.pdf");
	write_text(p, "%PDF-1.4\n");
	assert_int_equal(pdftext_read(p, NULL, &t, &err), -1);
	assert_non_null(strstr(err.msg, "cannot run the PDF reader"));
	assert_non_null(strstr(err.msg, "x.pdf"));
	free(p);
	free(w);
}

int main(int argc, char **argv)
{
	(void)argc;
	real_worker = built_program(argv[0], "goniec-pdftext");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_split_and_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_pdf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_text_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_reach_the_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_missing, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(real_worker);
	return rc;
}
