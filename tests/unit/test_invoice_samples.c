/* The real invoice PDFs of ../shared/samples/invoices-pdf/: each field read by the
 * shipped rules is compared with a person's reading (tests/fixtures/invoices-expected.tsv,
 * taken from that folder's SOURCES.md). No field may be wrong; a field may be absent.
 * Prints the share of fields right per layout (the figures in bench/RESULTS.md). */
#include <dirent.h>
#include <stdlib.h>

#include "testutil.h"
#include "formats/invrules.h"
#include "formats/pdftext.h"

#define SAMPLES "../shared/samples/invoices-pdf"
#define EXPECTED "tests/fixtures/invoices-expected.tsv"
/* Fields right over all samples when this test was written; fewer is a regression. */
#define RIGHT_AT_LEAST 224

struct expect {
	char file[128], field[32], value[256];
};

static struct expect *expects;
static size_t nexpects;

static void load_expected(void)
{
	char *text;
	size_t len;
	struct gerr err;
	assert_int_equal(read_file(EXPECTED, 1 << 20, &text, &len, &err), 0);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		expects = xrealloc(expects, (nexpects + 1) * sizeof *expects);
		struct expect *e = &expects[nexpects++];
		assert_int_equal(sscanf(line, "%127[^\t]\t%31[^\t]\t%255[^\n]", e->file, e->field,
					e->value), 3);
	}
	free(text);
}

static const char *expected(const char *file, const char *field)
{
	for (size_t i = 0; i < nexpects; i++)
		if (strcmp(expects[i].file, file) == 0 && strcmp(expects[i].field, field) == 0)
			return expects[i].value;
	return "-";
}

enum verdict { RIGHT, MISSED, WRONG };

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A value a person can read on the document (not "-", "x:" or "~"). */
static bool readable(const char *want)
{
	return !(want[0] == '-' && !want[1]) && !str_starts_with(want, "x:") && want[0] != '~';
}

static enum verdict judge(const char *want, const struct inv_hit *h)
{
	if (want[0] == '-' && !want[1])
		return h->found ? WRONG : RIGHT;
	if (str_starts_with(want, "x:"))
		return h->found ? WRONG : RIGHT;
	bool optional = want[0] == '~';
	if (optional)
		want++;
	if (!h->found)
		return optional ? RIGHT : MISSED;
	return strcmp(want, h->value) == 0 ? RIGHT : WRONG;
}

static void test_samples(void **state)
{
	(void)state;
	setenv("GONIEC_INVOICE_RULES_DIR", "conf.d/invoices", 1);
	struct diag diag = {0};
	struct inv_rules *rs = inv_rules_load("conf.d", &diag);
	diag_print(&diag, stderr);
	assert_non_null(rs);
	diag_free(&diag);
	load_expected();
	DIR *d = opendir(SAMPLES);
	assert_non_null(d);
	struct strlist files = {0};
	struct dirent *e;
	while ((e = readdir(d)))
		if (str_ends_with(e->d_name, ".pdf"))
			strlist_add(&files, e->d_name);
	closedir(d);
	qsort(files.items, files.len, sizeof *files.items, by_name);
	assert_int_equal(files.len, 15);
	size_t right = 0, missed = 0, wrong = 0, readable_all = 0, readable_right = 0;
	printf("%-56s fields right  readable right  missed wrong\n", "layout (sample)");
	for (size_t i = 0; i < files.len; i++) {
		char *path = path_join(SAMPLES, files.items[i]);
		struct pdftext t;
		struct gerr err;
		assert_int_equal(pdftext_read(path, NULL, &t, &err), 0);
		assert_int_equal(t.status, PDFTEXT_OK);
		struct inv_reading r;
		inv_rules_read_codes(rs, t.text, t.codes, t.ncodes, &r);
		size_t n[3] = {0}, nread = 0, nread_right = 0;
		for (int f = 0; f < TF_COUNT; f++) {
			const char *want = expected(files.items[i], inv_tfield_name(f));
			enum verdict v = judge(want, &r.f[f]);
			n[v]++;
			nread += readable(want);
			nread_right += readable(want) && v == RIGHT;
			if (v == WRONG)
				printf("  WRONG %s %s: read '%s' (%s), a person reads '%s'\n",
				       files.items[i], inv_tfield_name(f),
				       r.f[f].found ? r.f[f].value : "", r.f[f].rule, want);
			if (v == MISSED)
				printf("  missed %s %s '%s'\n", files.items[i], inv_tfield_name(f), want);
		}
		printf("%-56s %6zu/%d %9zu/%-5zu %6zu %5zu\n", files.items[i], n[RIGHT], TF_COUNT,
		       nread_right, nread, n[MISSED], n[WRONG]);
		readable_all += nread;
		readable_right += nread_right;
		right += n[RIGHT];
		missed += n[MISSED];
		wrong += n[WRONG];
		pdftext_free(&t);
		free(path);
	}
	printf("all: %zu of %zu fields right (%.1f%%); of the %zu a person can read, %zu right "
	       "(%.1f%%); %zu missed, %zu wrong\n",
	       right, right + missed + wrong, 100.0 * (double)right / (double)(right + missed + wrong),
	       readable_all, readable_right, 100.0 * (double)readable_right / (double)readable_all,
	       missed, wrong);
	assert_int_equal(wrong, 0);
	assert_true(right >= RIGHT_AT_LEAST);
	strlist_free(&files);
	free(expects);
	inv_rules_free(rs);
}

int main(int argc, char **argv)
{
	(void)argc;
	char *worker = built_program(argv[0], "goniec-pdftext");
	pdftext_set_worker(worker);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_samples)};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(worker);
	return rc;
}
