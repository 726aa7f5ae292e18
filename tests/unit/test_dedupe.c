/* Unit tests of the per-source dedupe index (restarts, torn lines, crash repair, size) and
 * of the cross-source content index. */
#include <dlfcn.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "core/dedupe.h"

static const char *H1 = "1111111111111111111111111111111111111111111111111111111111111111";
static const char *H2 = "2222222222222222222222222222222222222222222222222222222222222222";

/* A statement whose steps fail (SQLITE_IOERR, as a disk error gives): this sqlite3_step()
 * replaces the library's for the goniec objects linked into this test. NULL: none. */
static const char *step_fail_sql;

int sqlite3_step(sqlite3_stmt *st)
{
	static int (*real)(sqlite3_stmt *);
	if (!real)
		real = (int (*)(sqlite3_stmt *))dlsym(RTLD_NEXT, "sqlite3_step");
	if (step_fail_sql && sqlite3_sql(st) && strcmp(sqlite3_sql(st), step_fail_sql) == 0)
		return SQLITE_IOERR;
	return real(st);
}

static void test_survives_restart(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *idx = path_join(dir, "filed.idx");
	struct gerr err;
	struct dedupe *dd = dedupe_open(idx, NULL, &err);
	assert_non_null(dd);
	assert_false(dedupe_has_hash(dd, H1));
	assert_int_equal(dedupe_add(dd, H1, "<msg@x> part 2", "2026/11/21/s/a b.pdf", &err), 0);
	assert_int_equal(dedupe_add_id(dd, "uid 7", &err), 0);
	dedupe_close(dd);
	dd = dedupe_open(idx, NULL, &err);
	assert_true(dedupe_has_hash(dd, H1));
	assert_true(dedupe_has_id(dd, "<msg@x> part 2"));
	assert_true(dedupe_has_id(dd, "uid 7"));
	assert_false(dedupe_has_id(dd, "uid 8"));
	assert_false(dedupe_has_hash(dd, H2));
	dedupe_close(dd);
	rm_rf(dir);
	free(idx);
	free(dir);
}

static void test_torn_line_and_missing_sidecar(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *idx = path_join(dir, "filed.idx");
	char *doc = path_join(dir, "a.pdf.meta.json");
	write_text(doc, "{}");
	char *text = xasprintf("%s - a.pdf\n%s - b.pdf\n3333 torn", H1, H2);
	write_text(idx, text);
	struct gerr err;
	/* b.pdf is the last entry and has no sidecar: it never was published. */
	struct dedupe *dd = dedupe_open(idx, dir, &err);
	assert_non_null(dd);
	assert_true(dedupe_has_hash(dd, H1));
	assert_false(dedupe_has_hash(dd, H2));
	dedupe_close(dd);
	char *after = NULL;
	assert_int_equal(read_file(idx, 4096, &after, NULL, &err), 0);
	char *want = xasprintf("%s - a.pdf\n#\n", H1);
	assert_string_equal(after, want);
	free(want);
	free(after);
	free(text);
	free(doc);
	rm_rf(dir);
	free(idx);
	free(dir);
}

/* Staged entries are known at once; a failed publish forgets them; entries after the
 * last checkpoint are checked at open, earlier ones are trusted. */
static void test_stage_commit_forget_checkpoint(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *idx = path_join(dir, "filed.idx");
	char *side = path_join(dir, "a.meta.json");
	struct gerr err;
	struct dedupe *dd = dedupe_open(idx, dir, &err);
	dedupe_stage(dd, H1, "id1", "a");
	dedupe_stage(dd, H2, "id2", "b");
	assert_true(dedupe_has_hash(dd, H2));
	assert_int_equal(dedupe_commit(dd, true, &err), 0);
	dedupe_forget(dd, H2, "id2");
	assert_false(dedupe_has_hash(dd, H2));
	assert_false(dedupe_has_id(dd, "id2"));
	write_text(side, "{}"); /* a was published, b never was */
	dedupe_close(dd);
	dd = dedupe_open(idx, dir, &err);
	assert_true(dedupe_has_hash(dd, H1));
	assert_false(dedupe_has_hash(dd, H2));
	dedupe_checkpoint(dd);
	dedupe_close(dd);
	/* Before the checkpoint entries are trusted, even when their sidecar is gone later. */
	unlink(side);
	dd = dedupe_open(idx, dir, &err);
	assert_true(dedupe_has_hash(dd, H1));
	dedupe_close(dd);
	rm_rf(dir);
	free(side);
	free(idx);
	free(dir);
}

/* Write an index of n entries and load it; returns the CPU milliseconds the load took. */
static int64_t load_index_of(int n)
{
	char *dir = scratch_dir();
	char *idx = path_join(dir, "filed.idx");
	FILE *f = fopen(idx, "w");
	for (int i = 0; i < n; i++)
		fprintf(f, "%064x imap/1/%d 2026/11/%02d/src/FV-%d.pdf\n", i, i, i % 28 + 1, i);
	fclose(f);
	struct gerr err;
	int64_t t0 = cpu_ms();
	struct dedupe *dd = dedupe_open(idx, NULL, &err);
	int64_t took = cpu_ms() - t0;
	assert_non_null(dd);
	assert_int_equal(dedupe_count(dd), n);
	char h[65];
	snprintf(h, sizeof h, "%064x", n - 1);
	assert_true(dedupe_has_hash(dd, h));
	assert_true(dedupe_has_id(dd, "imap/1/4711"));
	dedupe_close(dd);
	rm_rf(dir);
	free(idx);
	free(dir);
	return took;
}

/* Loading grows linearly with the index: ten times the entries take well under twenty-five
 * times the CPU (a quadratic load would take a hundred times). A ratio of CPU times holds
 * on a busy machine and under sanitizers, where a fixed bound in seconds does not; the
 * speed itself is measured by make bench. */
static void test_large_index_is_fast(void **state)
{
	(void)state;
	int64_t small = load_index_of(10000), large = load_index_of(100000);
	print_message("loaded 10000 entries in %lld ms, 100000 in %lld ms of CPU\n",
		      (long long)small, (long long)large);
	assert_true(large < 25 * (small > 0 ? small : 1));
}

static void test_content_index_first_wins(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	assert_null(dedupe_content_index_add(dir, H1, "2026/11/21/mail/a.pdf", &err));
	char *first = dedupe_content_index_add(dir, H1, "2026/11/21/portal/b.pdf", &err);
	assert_string_equal(first, "2026/11/21/mail/a.pdf");
	free(first);
	/* one database in the state directory, no file per hash; what to sync is named */
	char *db = path_join(dir, "content.db"), *per_hash = path_join(dir, "content");
	assert_int_equal(access(db, F_OK), 0);
	assert_int_not_equal(access(per_hash, F_OK), 0);
	assert_non_null(dedupe_content_index_wal(dir));
	assert_true(str_starts_with(dedupe_content_index_wal(dir), db));
	free(db);
	free(per_hash);
	rm_rf(dir);
	free(dir);
}

static long file_size(const char *dir, const char *name)
{
	char *path = path_join(dir, name);
	struct stat st;
	long n = stat(path, &st) == 0 ? (long)st.st_size : -1;
	free(path);
	return n;
}

static void add_hashes(const char *dir, int from, int to)
{
	struct gerr err;
	for (int i = from; i < to; i++) {
		char sha[65], rel[32];
		snprintf(sha, sizeof sha, "%064x", i);
		snprintf(rel, sizeof rel, "2026/12/01/mail/%d.pdf", i);
		assert_null(dedupe_content_index_add(dir, sha, rel, &err));
	}
}

/* The commits never checkpoint the WAL (its syncs would stall the filing thread) until it
 * is CONTENT_WAL_MAX_PAGES long; past CONTENT_CHECKPOINT_PAGES the checkpoint is due, once,
 * and made by a connection of its own (the spool's flight thread). */
static void test_content_index_checkpoint_off_the_commit(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	add_hashes(dir, 0, CONTENT_CHECKPOINT_PAGES + 200);
	long before = file_size(dir, "content.db");
	assert_true(before <= 8192); /* all of it still in the WAL */
	char *due = dedupe_content_index_checkpoint_due(dir);
	assert_non_null(due);
	assert_null(dedupe_content_index_checkpoint_due(dir));
	assert_int_equal(dedupe_content_index_checkpoint(due, &err), 0);
	free(due);
	assert_true(file_size(dir, "content.db") > 16 * 4096);
	char *first = dedupe_content_index_first(dir, "00000000000000000000000000000000000000000000000000000000000003e8", &err);
	assert_string_equal(first, "2026/12/01/mail/1000.pdf");
	free(first);
	/* nobody takes the turn: the commit checkpoints, as SQLite would, at the maximum */
	char *other = scratch_dir();
	int n = 0;
	while (file_size(other, "content.db") <= 8192 && n < 4 * CONTENT_WAL_MAX_PAGES) {
		add_hashes(other, n, n + 50);
		n += 50;
	}
	long frames = file_size(other, "content.db-wal") / (4096 + 24); /* its longest */
	assert_true(frames >= CONTENT_WAL_MAX_PAGES && frames < CONTENT_WAL_MAX_PAGES + 200);
	rm_rf(other);
	free(other);
	rm_rf(dir);
	free(dir);
}

/* Another process (a forked worker) records a hash: this one sees it as the first, and a
 * hash this one records first is the first for the other. */
static void test_content_index_across_processes(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	assert_null(dedupe_content_index_add(dir, H1, "2026/11/21/mail/a.pdf", &err));
	pid_t pid = fork();
	if (pid == 0) {
		char *f = dedupe_content_index_add(dir, H1, "2026/11/21/child/x.pdf", &err);
		bool ok = f && strcmp(f, "2026/11/21/mail/a.pdf") == 0 &&
			  !dedupe_content_index_add(dir, H2, "2026/11/21/child/b.pdf", &err);
		_exit(ok ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *first = dedupe_content_index_first(dir, H2, &err);
	assert_string_equal(first, "2026/11/21/child/b.pdf");
	free(first);
	rm_rf(dir);
	free(dir);
}

/* A hash recorded as a file of its own (before the index was one database) is still the
 * first, and moves into the database when recorded again. */
static void test_content_index_reads_files_per_hash(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *sub = xasprintf("%s/content/11", dir), *file = xasprintf("%s/%s", sub, H1);
	struct gerr err;
	assert_int_equal(mkdir_p(sub, 0700, &err), 0);
	write_text(file, "2026/01/02/old/a.pdf");
	char *first = dedupe_content_index_first(dir, H1, &err);
	assert_string_equal(first, "2026/01/02/old/a.pdf");
	free(first);
	first = dedupe_content_index_add(dir, H1, "2026/11/21/mail/a.pdf", &err);
	assert_string_equal(first, "2026/01/02/old/a.pdf");
	free(first);
	unlink(file);
	first = dedupe_content_index_first(dir, H1, &err);
	assert_string_equal(first, "2026/01/02/old/a.pdf");
	free(first);
	free(sub);
	free(file);
	rm_rf(dir);
	free(dir);
}

/* A lookup that fails is no "not recorded": the copy of a document would be filed as the
 * first of its content (no duplicate_of) and an invoice copy taken for a new invoice, and
 * nobody told. Before, find_first() took any end of its step but a row for "not found". */
static void test_content_index_lookup_fails(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err = {0};
	assert_null(dedupe_content_index_add(dir, H1, "2026/11/21/mail/a.pdf", &err));
	assert_string_equal(err.msg, "");
	step_fail_sql = "SELECT path FROM content WHERE sha = ?1";
	char *first = dedupe_content_index_add(dir, H1, "2026/11/21/portal/b.pdf", &err);
	assert_null(first);
	assert_non_null(strstr(err.msg, "cannot look up"));
	err.msg[0] = 0;
	assert_null(dedupe_content_index_first(dir, H1, &err));
	assert_non_null(strstr(err.msg, "cannot look up"));
	step_fail_sql = NULL;
	first = dedupe_content_index_first(dir, H1, &err);
	assert_string_equal(first, "2026/11/21/mail/a.pdf");
	assert_string_equal(err.msg, "");
	free(first);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_torn_line_and_missing_sidecar),
		cmocka_unit_test(test_stage_commit_forget_checkpoint),
		cmocka_unit_test(test_large_index_is_fast),
		cmocka_unit_test(test_content_index_first_wins),
		cmocka_unit_test(test_content_index_checkpoint_off_the_commit),
		cmocka_unit_test(test_content_index_across_processes),
		cmocka_unit_test(test_content_index_reads_files_per_hash),
		cmocka_unit_test(test_content_index_lookup_fails),
	};
	return cmocka_run_group_tests_name("dedupe", tests, NULL, NULL);
}
