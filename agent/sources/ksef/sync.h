/* ksef/sync — one subject's new invoices from KSeF into the spool, incrementally.
 *
 * A subject is the company's side of the invoice: `purchase` asks KSeF for the invoices
 * where the company is the buyer (subjectType Subject2), `sales` where it is the seller
 * (Subject1). As CIRFMF/ksef-docs pobieranie-faktur/przyrostowe-pobieranie-faktur.md
 * advises, invoices are listed by the date KSeF stored them (dateType PermanentStorage,
 * sortOrder Asc, restrictToPermanentStorageHwmDate), from the subject's high-water mark
 * less KSEF_OVERLAP_MS (the first run: the configured history), in windows of at most
 * KSEF_WINDOW_DAYS (KSeF allows three months), KSEF_PAGE_SIZE records a page:
 *   hasMore false                 the window is done;
 *   hasMore, not isTruncated      the next page (pageOffset + 1);
 *   hasMore and isTruncated       KSeF's 10 000-record cap: the window starts again from
 *                                 the last record's date, pageOffset 0.
 * Each invoice not filed before (the dedupe index knows its KSeF number) is downloaded
 * (GET /invoices/ksef/{ksefNumber}), checked against the metadata's SHA-256, and filed
 * through sources/filing.h as "<ksefNumber>.xml" with origin.ksef and what only KSeF
 * knows of it (its number, the direction); the "xml" enricher reads the FA(3) into the
 * sidecar's `invoice` as it does for an XML from any source.
 *
 * High-water mark (state file ksef-state.json, per subject): it moves to the date of the
 * last invoice handled while none before it failed, and to KSeF's
 * permanentStorageHwmDate when a window ends with nothing failed — below that date KSeF
 * promises no invoice will appear later. An invoice that fails (not yet available, a
 * broken answer) holds the mark before it, so the next run asks again; the overlap and
 * the dedupe index keep anything from being filed twice. The state also keeps, per
 * subject, the latest issue and storage dates seen and how many invoices were filed, for
 * `goniec status`.
 *
 * Ownership: struct ksef_sync borrows everything; the state object is the caller's.
 * Errors: -1 with err for a person when the subject could not be listed or the run must
 * stop (KSeF refused the sign-in: GERR_NEEDS_PERSON; the rate limits leave no time).
 * Invoices that fail are counted in run->stats.failed and reported with
 * source_run_error(), and do not stop the subject.
 */
#ifndef GONIEC_KSEF_SYNC_H
#define GONIEC_KSEF_SYNC_H

#include <jansson.h>
#include <stdbool.h>

#include "sources/ksef/auth.h"
#include "sources/source.h"

#define KSEF_STATE_FILE "ksef-state.json"
#define KSEF_OVERLAP_MS (10 * 60 * 1000)
#define KSEF_WINDOW_DAYS 90
#define KSEF_PAGE_SIZE 250

struct ksef_sync {
	struct source_run *run;
	struct ksef_client *client;
	struct ksef_session *session;
	const char *environment;     /* "prod", "demo", "test": for origin.ksef */
	json_t *state;               /* ksef-state.json, changed in place */
};

/* What one page of POST /invoices/query/metadata says about the walk of a window that
 * starts at `from` (no I/O; tests/fuzz/fuzz_ksef.c feeds it anything). */
struct ksef_page {
	bool more;           /* hasMore is true */
	bool truncated;      /* isTruncated is true */
	const char *hwm;     /* permanentStorageHwmDate as given (borrowed), NULL when none */
	int64_t next;        /* more and truncated: where the window starts again, after from */
};
/* -1 when KSeF truncated the list but its last record's permanentStorageDate is missing,
 * no date-time or not after `from` (the walk would go round in circles). */
int ksef_page_read(const json_t *ans, int64_t from, struct ksef_page *pg);
/* A KSeF number as the API describes it (35, or 36 for KSeF 1.0: digits, A-F and '-'):
 * it names a file and a URL path, so nothing else passes. */
bool ksef_number_ok(const char *n);

/* May `date` (a storage date from KSeF) become the listing mark: a date-time, no more
 * than KSEF_MARK_AHEAD_MS ahead of now_ms? A mark in the future would make the next
 * listings start after invoices not yet listed. */
#define KSEF_MARK_AHEAD_MS (60 * 60 * 1000)
bool ksef_mark_ok(const char *date, int64_t now_ms);

/* "purchase" or "sales"; history_start: where a first run begins (ms since 1970). */
int ksef_sync_subject(struct ksef_sync *s, const char *subject, int64_t history_start,
		      struct gerr *err);

#endif
