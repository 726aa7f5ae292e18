/* Unit tests of the delivery journal: records survive a reopen, a torn last record is
 * cut off, one forwarder at a time (lock), generations, unrouted counts, compaction,
 * names that cannot be journaled. */
#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"
#include "forward/journal.h"

static void test_records_survive_reopen(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	struct journal *j = journal_open(dir, "gen1", &err);
	assert_non_null(j);
	assert_false(journal_delivered(j, "r1", "2026/11/21/s/a.pdf"));
	assert_int_equal(journal_mark_delivered(j, "r1", "2026/11/21/s/a.pdf", &err), 0);
	assert_int_equal(journal_mark_settled(j, "2026/11/21/s/a.pdf", true, &err), 0);
	assert_int_equal(journal_mark_settled(j, "2026/11/21/s/b.pdf", false, &err), 0);
	assert_int_equal(journal_sync(j, &err), 0);
	journal_close(j);
	j = journal_open(dir, "gen1", &err);
	assert_non_null(j);
	assert_true(journal_delivered(j, "r1", "2026/11/21/s/a.pdf"));
	assert_false(journal_delivered(j, "r2", "2026/11/21/s/a.pdf"));
	assert_true(journal_settled(j, "2026/11/21/s/a.pdf"));
	assert_int_equal(journal_unrouted(j), 1);
	assert_int_equal(journal_delivered_by(j, "r1"), 1);
	assert_int_equal(journal_delivered_by(j, "r"), 0);
	journal_close(j);
	/* another generation (the routes changed): nothing settled, deliveries remembered */
	j = journal_open(dir, "gen2", &err);
	assert_false(journal_settled(j, "2026/11/21/s/a.pdf"));
	assert_int_equal(journal_unrouted(j), 0);
	assert_true(journal_delivered(j, "r1", "2026/11/21/s/a.pdf"));
	journal_close(j);
	rm_rf(dir);
	free(dir);
}

static void test_torn_record_cut_off(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	struct journal *j = journal_open(dir, "gen1", &err);
	assert_int_equal(journal_mark_delivered(j, "r1", "a.pdf", &err), 0);
	journal_close(j);
	char *path = xasprintf("%s/forward/journal", dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_true(write(fd, "d\tr1\tb.p", 8) == 8); /* kill -9 in the middle of a write */
	close(fd);
	j = journal_open(dir, "gen1", &err);
	assert_non_null(j);
	assert_true(journal_delivered(j, "r1", "a.pdf"));
	assert_false(journal_delivered(j, "r1", "b.p"));
	assert_int_equal(journal_mark_delivered(j, "r1", "c.pdf", &err), 0);
	journal_close(j);
	char *text;
	size_t len;
	assert_int_equal(read_file(path, 1 << 20, &text, &len, &err), 0);
	assert_string_equal(text, "d\tr1\ta.pdf\nd\tr1\tc.pdf\n");
	free(text);
	free(path);
	rm_rf(dir);
	free(dir);
}

static void test_one_forwarder_at_a_time(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	struct journal *a = journal_open(dir, "gen1", &err);
	assert_non_null(a);
	struct journal *b = journal_open(dir, "gen1", &err);
	assert_null(b);
	assert_non_null(strstr(err.msg, "another forwarder is running"));
	journal_close(a);
	b = journal_open(dir, "gen1", &err);
	assert_non_null(b);
	journal_close(b);
	rm_rf(dir);
	free(dir);
}

static void test_compaction_keeps_live_records(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	/* 5 generations of 5000 documents: 25000 settled lines, at most 5000 live */
	for (int g = 0; g < 5; g++) {
		char gen[8];
		snprintf(gen, sizeof(gen), "g%d", g);
		struct journal *j = journal_open(dir, gen, &err);
		assert_non_null(j);
		for (int i = 0; i < 5000; i++) {
			char rel[32];
			snprintf(rel, sizeof(rel), "d/%05d.pdf", i);
			assert_int_equal(journal_mark_settled(j, rel, i % 2, &err), 0);
		}
		if (g == 0)
			assert_int_equal(journal_mark_delivered(j, "r", "d/00001.pdf", &err), 0);
		journal_close(j);
	}
	/* opening g3 compacted 15001 lines (1 live) to 1; g3 and g4 added 10000 since */
	struct journal *j = journal_open(dir, "g4", &err);
	assert_non_null(j);
	assert_true(journal_settled(j, "d/00001.pdf"));
	assert_int_equal(journal_unrouted(j), 2500);
	assert_true(journal_delivered(j, "r", "d/00001.pdf"));
	journal_close(j);
	char *path = xasprintf("%s/forward/journal", dir);
	char *text;
	size_t len, lines = 0;
	assert_int_equal(read_file(path, 1 << 24, &text, &len, &err), 0);
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, 10001);
	free(text);
	free(path);
	j = journal_open(dir, "g4", &err); /* the same after compaction, and still locked */
	assert_int_equal(journal_unrouted(j), 2500);
	assert_null(journal_open(dir, "g4", &err));
	journal_close(j);
	rm_rf(dir);
	free(dir);
}

static void test_unjournalable_names(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err;
	struct journal *j = journal_open(dir, "gen1", &err);
	assert_int_equal(journal_mark_delivered(j, "r", "a\tb", &err), -1);
	assert_int_equal(journal_mark_delivered(j, "r", "a\nb", &err), -1);
	assert_int_equal(journal_mark_settled(j, "", true, &err), -1);
	assert_false(journal_key_ok("x\r"));
	journal_close(j);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_survive_reopen),
		cmocka_unit_test(test_torn_record_cut_off),
		cmocka_unit_test(test_one_forwarder_at_a_time),
		cmocka_unit_test(test_compaction_keeps_live_records),
		cmocka_unit_test(test_unjournalable_names),
	};
	return cmocka_run_group_tests_name("fwd_journal", tests, NULL, NULL);
}
