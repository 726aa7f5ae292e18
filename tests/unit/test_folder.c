/* Unit tests of the folder source (sources/folder.c) where the goniec binary cannot be
 * made to fail: a disk error in the middle of listing the folder. The rest of the folder
 * source is tested end to end by tests/integration/t_folder.sh. */
#include <sys/stat.h>

#include "testutil.h"
#include "readdir_fail.h"
#include "conf/load.h"
#include "formats/pdftext.h"
#include "sources/source.h"

struct fixture {
	char *dir, *inbox;
	struct config *cfg;
};

static void write_pdf(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	char *text = xasprintf("%%PDF-1.4\n%s\n%%%%EOF\n", name);
	write_text(p, text);
	free(text);
	free(p);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->dir = scratch_dir();
	f->inbox = path_join(f->dir, "inbox");
	assert_int_equal(mkdir(f->inbox, 0700), 0);
	char *yaml = xasprintf("agent:\n  spool: %s/spool\n  state: %s/state\n"
			       "company: {id: acme, name: ACME}\n"
			       "sources:\n  - {name: acme-scans, type: folder, path: %s, settle: 0s}\n",
			       f->dir, f->dir, f->inbox);
	char *confdir = path_join(f->dir, "conf.d"), *conf = path_join(confdir, "acme.yaml");
	assert_int_equal(mkdir(confdir, 0700), 0);
	write_text(conf, yaml);
	struct diag d = {0};
	f->cfg = config_load(confdir, NULL, &d);
	diag_free(&d);
	free(conf);
	free(confdir);
	free(yaml);
	assert_non_null(f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	readdir_fail_at(NULL, 0);
	config_free(f->cfg);
	rm_rf(f->dir);
	free(f->inbox);
	free(f->dir);
	free(f);
	return 0;
}

/* A listing cut short by a read error is no complete listing: the run says so and is not
 * OK (so it is retried), and the next run takes the files it did not see. */
static void test_listing_error_is_not_the_end(void **state)
{
	struct fixture *f = *state;
	write_pdf(f->inbox, "a.pdf");
	write_pdf(f->inbox, "b.pdf");
	struct run_stats stats;
	struct gerr err = {0};
	readdir_fail_at(f->inbox, 0);
	enum run_outcome out = source_run_once(f->cfg, f->cfg->sources[0], &stats, &err);
	readdir_fail_at(NULL, 0);
	assert_int_equal(out, RUN_FAILED);
	assert_int_equal(stats.filed, 0);
	char *expected = xasprintf("cannot read folder %s (the rest is taken next time): "
				   "Input/output error", f->inbox);
	assert_string_equal(err.msg, expected);
	free(expected);

	out = source_run_once(f->cfg, f->cfg->sources[0], &stats, &err);
	assert_int_equal(out, RUN_OK);
	assert_int_equal(stats.filed, 2);
}

/* Cut after three of the four entries (".", "..", a.pdf, b.pdf: at least one file seen):
 * what was listed is filed, the run is partial, the next one files the rest. */
static void test_listing_cut_short_is_partial(void **state)
{
	struct fixture *f = *state;
	write_pdf(f->inbox, "a.pdf");
	write_pdf(f->inbox, "b.pdf");
	struct run_stats first, second;
	struct gerr err = {0};
	readdir_fail_at(f->inbox, 3);
	enum run_outcome out = source_run_once(f->cfg, f->cfg->sources[0], &first, &err);
	readdir_fail_at(NULL, 0);
	assert_int_equal(out, RUN_PARTIAL);
	assert_true(first.filed >= 1);
	assert_non_null(strstr(err.msg, "Input/output error"));

	out = source_run_once(f->cfg, f->cfg->sources[0], &second, &err);
	assert_int_equal(out, RUN_OK);
	assert_int_equal(first.filed + second.filed, 2);
}

int main(int argc, char **argv)
{
	(void)argc;
	char *worker = built_program(argv[0], "goniec-pdftext");
	pdftext_set_worker(worker);
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listing_error_is_not_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listing_cut_short_is_partial, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("folder", tests, NULL, NULL);
	free(worker);
	return rc;
}
