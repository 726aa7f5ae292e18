/* Errors that carry their kind (core/util.h) and the one rule for which error a run
 * reports (sources/source.h). */
#include "testutil.h"

#include <errno.h>

#include "core/config.h"
#include "core/utf8.h"
#include "sources/source.h"

static void test_kinds_and_errno(void **state)
{
	(void)state;
	struct gerr err = {0};
	assert_int_equal(gerr_setk(&err, GERR_BUSY, "held by %d", 7), -1);
	assert_int_equal(err.kind, GERR_BUSY);
	assert_string_equal(err.msg, "held by 7");
	assert_int_equal(gerr_prefix(&err, "journal"), -1);
	assert_int_equal(err.kind, GERR_BUSY); /* a prefix keeps the kind */
	assert_string_equal(err.msg, "journal: held by 7");
	gerr_set(&err, "plain");
	assert_int_equal(err.kind, GERR_TEMPORARY);
	assert_int_equal(err.sys_errno, 0);
	errno = ENOSPC;
	gerr_sys(&err, "cannot write %s", "x");
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(err.kind, GERR_TEMPORARY);
	gerr_mark(&err, GERR_PERMANENT);
	assert_int_equal(err.kind, GERR_PERMANENT);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_string_equal(gerr_kind_name(GERR_NEEDS_PERSON), "needs-person");
}

/* A message longer than its buffer is cut between characters, never inside one (the
 * message of a bad line in a file stays valid UTF-8, with or without a prefix). */
static void test_long_message_cut_between_characters(void **state)
{
	(void)state;
	struct gerr err = {0};
	char word[2 * sizeof err.msg + 1];
	for (size_t i = 0; i + 2 < sizeof word; i += 2)
		memcpy(word + i, "\xc5\x82", 2); /* ł */
	word[sizeof word - 1] = '\0';
	gerr_set(&err, "%s", word); /* the 1023 bytes that fit end inside a ł */
	assert_int_equal(strlen(err.msg), sizeof err.msg - 2);
	gerr_set(&err, "x%s", word); /* they end with a whole one */
	assert_int_equal(strlen(err.msg), sizeof err.msg - 1);
	gerr_set(&err, "%s", word);
	gerr_prefix(&err, "xy"); /* "xy: " and 1019 bytes: the last ł cut */
	assert_int_equal(strlen(err.msg), sizeof err.msg - 2);
	assert_memory_equal(err.msg + strlen(err.msg) - 2, "\xc5\x82", 2);
}

/* A message that quotes outside bytes is still UTF-8 (logs, sidecars and status JSON take
 * it as such): jansson's "near '...'" quotes the input up to the error, here cut in the
 * middle of a byte-order mark, and a Windows-1250 name is not UTF-8 at all. */
static void test_quoted_bytes_made_utf8(void **state)
{
	(void)state;
	struct gerr err = {0};
	gerr_set(&err, "line 1: %s", "invalid escape near '\"PRZELEW \\u0\xef'");
	assert_true(utf8_valid(err.msg, strlen(err.msg)));
	assert_string_equal(err.msg, "line 1: invalid escape near '\"PRZELEW \\u0?'");
	gerr_setk(&err, GERR_PERMANENT, "%s", "Rozliczenie-\xbf" "r\xf3" "d\xb3" "o.pdf: unreadable");
	assert_string_equal(err.msg, "Rozliczenie-?r?d?o.pdf: unreadable");
	gerr_prefix(&err, "zażółć \xff");
	assert_string_equal(err.msg, "zażółć ?: Rozliczenie-?r?d?o.pdf: unreadable");
	assert_int_equal(utf8_scrub(err.msg), 0);
}

static void test_outcome_names(void **state)
{
	(void)state;
	for (int o = RUN_OK; o <= RUN_NOT_RUN; o++) {
		enum run_outcome back = RUN_OK;
		assert_int_equal(run_outcome_parse(run_outcome_name((enum run_outcome)o), &back), 0);
		assert_int_equal(back, o);
	}
	enum run_outcome o = RUN_PARTIAL;
	assert_int_equal(run_outcome_parse("fine", &o), -1);
	assert_int_equal(run_outcome_parse(NULL, &o), -1);
	assert_int_equal(o, RUN_PARTIAL);
	assert_false(run_outcome_failed(RUN_BUSY));
	assert_false(run_outcome_failed(RUN_PARTIAL));
	assert_true(run_outcome_failed(RUN_TIMEOUT));
	struct gerr err = {0};
	gerr_setk(&err, GERR_NEEDS_PERSON, "code needed");
	assert_int_equal(run_outcome_of(&err), RUN_NEEDS_PERSON);
	gerr_setk(&err, GERR_BUSY, "held");
	assert_int_equal(run_outcome_of(&err), RUN_BUSY);
	gerr_set(&err, "server gone");
	assert_int_equal(run_outcome_of(&err), RUN_FAILED);
}

/* The first error of a run is reported; one needing a person replaces it. */
static void test_run_reports_first_error(void **state)
{
	(void)state;
	struct source_conf src = {.name = "acme"};
	struct source_run run = {.src = &src};
	struct gerr e = {0};
	assert_false(source_run_has_error(&run));
	gerr_set(&e, "folder A failed");
	source_run_error(&run, &e);
	gerr_set(&e, "folder B failed");
	source_run_error(&run, &e);
	assert_true(source_run_has_error(&run));
	assert_string_equal(run.err.msg, "folder A failed");
	gerr_setk(&e, GERR_NEEDS_PERSON, "password rejected");
	source_run_error(&run, &e);
	assert_string_equal(run.err.msg, "password rejected");
	gerr_setk(&e, GERR_NEEDS_PERSON, "consent expired");
	source_run_error(&run, &e);
	assert_string_equal(run.err.msg, "password rejected");
	assert_int_equal(run.err.kind, GERR_NEEDS_PERSON);
	assert_int_equal(run.errors, 4);
}

/* How a run that went to its end finishes, by the one rule (source_run_end). */
static void test_run_end_rule(void **state)
{
	(void)state;
	struct source_conf src = {.name = "acme"};
	struct source_run run = {.src = &src};
	struct gerr e = {0};
	assert_int_equal(source_run_end(&run, false), RUN_OK);
	gerr_set(&e, "folder A: server gone");
	source_run_error(&run, &e);
	assert_int_equal(source_run_end(&run, false), RUN_FAILED); /* nothing got done */
	assert_int_equal(source_run_end(&run, true), RUN_PARTIAL); /* a folder was read */
	run.stats.filed = 1;
	assert_int_equal(source_run_end(&run, false), RUN_PARTIAL); /* a document was filed */
	gerr_setk(&e, GERR_NEEDS_PERSON, "consent expired");
	source_run_error(&run, &e);
	assert_int_equal(source_run_end(&run, true), RUN_NEEDS_PERSON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_errno),
		cmocka_unit_test(test_long_message_cut_between_characters),
		cmocka_unit_test(test_quoted_bytes_made_utf8),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_run_reports_first_error),
		cmocka_unit_test(test_run_end_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
