/* testhook — switches that only tests use, compiled only into test builds.
 *
 * test_hook_env("GONIEC_CRASH_AT") is getenv() in a binary built with -DGONIEC_TESTING
 * and NULL otherwise, so the installed goniec ignores every such variable:
 *   GONIEC_CRASH_AT=point          fault_point() ends the process there (core/fault.h)
 *   GONIEC_TEST_WORKER_HOOK=...    a worker sleeps, waits for a file or crashes after each
 *                                  document (NAME:sleep:S, NAME:wait:PATH, NAME:abort)
 *   GONIEC_FORWARD_RETRY_MS=ms     the forwarder's first retry delay (and longest server window)
 *   GONIEC_FORWARD_SYNC_WAIT=PATH  the forwarder's sync thread waits before each group while
 *                                  PATH is missing (a slow sync; forward/syncer.h)
 *   GONIEC_FORWARD_JOURNAL_WAIT=PATH  ... and before the delivery journal's fdatasync that
 *                                  goes with a group
 *   GONIEC_LEDGER_SCHEMA=N         a new payments ledger stops at schema N (migration tests)
 *   GONIEC_PDFTEXT_HOOKS=1         a PDF beginning "%goniec-test-hook NAME" makes the reader
 *                                  of the test build's goniec-pdftext sleep, allocate without
 *                                  end, crash, print its limits or kill its server
 *   GONIEC_PDFTEXT_STARTS=PATH     the test build's goniec-pdftext appends a line to PATH
 *                                  at each start ("door" or "server")
 * The Makefile compiles each file that includes this header a second time with
 * -DGONIEC_TESTING and links the test build, $(BUILD)/test/goniec, which the unit and
 * integration tests use (and $(BUILD)/test/goniec-pdftext beside it); the product,
 * $(BUILD)/goniec, never reads them. A new hook is a
 * test_hook_env() call (and a line above).
 */
#ifndef GONIEC_CORE_TESTHOOK_H
#define GONIEC_CORE_TESTHOOK_H

#include <stdlib.h>

#ifdef GONIEC_TESTING
#define test_hook_env(name) ((const char *)getenv(name))
#else
#define test_hook_env(name) ((void)(name), (const char *)NULL)
#endif

#endif
