/* spool — the dated tree where every fetched document lands with its sidecar.
 *
 *   <spool>/YYYY/MM/DD/<source>/<file>             the document
 *   <spool>/YYYY/MM/DD/<source>/<file>.meta.json   its sidecar (schema goniec.document/1)
 *   <spool>/quarantine/YYYY/MM/DD/<source>/...     documents refused, sidecar says why
 *
 * The date is the fetch date in the configured time zone. A document is written under a
 * temporary name (".goniec-tmp-*") in its final directory, fsynced, and published with a
 * no-replace rename; its sidecar is written the same way after it. A sidecar present
 * means the document is complete; the forwarder looks at nothing else.
 *
 * Filing streams: spool_begin() opens a document, spool_write() appends bytes (hashing
 * and size-checking as it goes), spool_commit() checks the type by content, dedupes,
 * publishes document and sidecar, and records the document in the source's dedupe index.
 * spool_abort() drops an unfinished document. A document is never held in memory whole.
 *
 * Batches: by default each commit is durable when it returns (the document and sidecar
 * synced, the index entry synced, the folder synced). After spool_batch(sp, true) a
 * commit publishes the document at once but its sidecar (the mark of completeness) only
 * at spool_flush(), which makes the whole batch durable at once: its own files synced in
 * parallel (fsyncs.h: bounded by goniec's own work, never waiting for other programs'
 * unwritten data as a sync of the whole file system would), then the sidecars published
 * and their directories synced. A source must flush before it acts on what it filed
 * (moves a message, marks it seen); spool_close() flushes what is left.
 *
 * Overlap: spool_flush_start() hands the pending commits to a thread that makes them
 * durable while the source goes on fetching and filing the next ones (new commits wait
 * for the next flush); spool_flush_wait() collects it. At most one flush is in flight:
 * starting another waits for the first. sp->lost counts documents that a failed flush
 * removed (none of them counts as filed), so that a source can tell which batch failed.
 *
 * Enrichment: a doc_meta may carry an enricher, called once per document that is to be
 * filed (not a duplicate, not refused), after its bytes are complete and typed by content
 * and before its sidecar is written. It reads the complete document at view->path and
 * adds top-level sidecar members to `fields` (a statement, invoice data, duplicate_of),
 * which override what the spool would write under those names. It returns 0, or -1 with
 * err set: of kind GERR_PERMANENT the document is quarantined with err's message as the
 * reason (the content is bad; a person looks); of any other kind the commit fails and
 * nothing is filed (the next run retries). The spool knows no format: the callback comes
 * from the caller (sources/filing.h holds the table of enrichers by type).
 *
 * Deferred enrichment: in a batch, an enricher with a `prepare` step may begin its work at
 * the commit (hand a PDF to its reader) and return true; the document is then published
 * at once but its enrichment and sidecar wait for a flush: spool_flush() finishes every
 * such document, spool_flush_start() those committed before the previous
 * spool_flush_start() (so that their work overlaps the source's next round trip). Its
 * index entry is staged then too (a commit of the same content or id meanwhile is a
 * duplicate all the same). Such an enricher must not quarantine: any failure at the flush
 * removes the document (counted in sp->lost) and the flush fails, as a failed sync does —
 * nothing is filed without its enrichment.
 *
 * Ownership: struct spool and struct spool_doc are owned by the caller and released with
 * spool_close() / spool_commit() / spool_abort() (commit and abort always free the doc).
 * The `meta` passed to spool_begin() is copied; JSON objects in it are borrowed (their
 * reference is taken).
 *
 * Errors: -1 with a message in err (names the file); nothing already filed is touched.
 */
#ifndef GONIEC_SPOOL_H
#define GONIEC_SPOOL_H

#include <jansson.h>
#include <time.h>

#include "core/util.h"

struct dedupe;

struct spool_pending;
struct spool_flight;

struct spool {
	char *root;
	char *state_dir;          /* for the cross-source content index */
	uint64_t max_document_size;
	bool batch;
	struct spool_pending *pending; /* commits whose sidecars wait for spool_flush() */
	size_t npending, cap_pending;
	struct spool_flight *flight;   /* the flush in flight (spool_flush_start), or NULL */
	unsigned long lost;            /* documents removed by failed flushes */
	unsigned long round;           /* spool_flush_start() calls, for deferred documents */
};

/* A document complete and typed, as an enricher sees it (all borrowed, valid during the
 * call). */
struct spool_view {
	const char *path;          /* the complete bytes (a temporary name), readable */
	const char *type;          /* sniffed: pdf, xml, camt, mt940, csv, zip, ... */
	const char *media_type;
	const char *kind;          /* invoice, statement, document */
	const char *sha256;
	uint64_t size;
	const char *source_name;
	const char *name_hint;
	json_t *origin;            /* as given in doc_meta (may be NULL) */
	json_t *invoice;
	json_t *extra;             /* the source's own sidecar members (doc_meta.extra) */
};

struct spool_enricher {
	int (*enrich)(void *ctx, const struct spool_view *doc, json_t *fields, struct gerr *err);
	void *ctx;
	/* May be NULL. In a batch: begin enrich()'s work now; true defers enrich() to the
	 * flush (see "Deferred enrichment"). */
	bool (*prepare)(void *ctx, const struct spool_view *doc);
};

/* What the source knows of a document. Strings may be NULL. */
struct doc_meta {
	const char *source_name;
	const char *source_type;
	const char *company;
	const char *name_hint;     /* original file name (untrusted) */
	const char *kind;          /* "invoice", "statement", "document" (NULL: derived) */
	const char *source_id;     /* the source's own id of this document, for dedupe */
	const char *point;
	const char *property;
	const struct strlist *accept; /* the types the source accepts (NULL: any known) */
	json_t *origin;            /* {"imap": {...}} etc. */
	json_t *invoice;           /* {"number": ..., "issue_date": ...} */
	json_t *extra;             /* merged into the sidecar's top level */
	const struct spool_enricher *enricher; /* may be NULL; copied */
};

enum spool_status {
	SPOOL_FILED = 0,
	SPOOL_DUPLICATE,    /* this source had it already: nothing written */
	SPOOL_QUARANTINED,  /* type not accepted or not what it claims: kept in quarantine */
};

struct spool_result {
	enum spool_status status;
	char *path;            /* the document's path (NULL for SPOOL_DUPLICATE) */
	char *reason;          /* why quarantined */
	char sha256[65];
	uint64_t size;
	const char *media_type;
	const char *type;      /* sniffed type name: pdf, xml, camt, mt940, ... */
};
void spool_result_free(struct spool_result *r);

int spool_open(struct spool *sp, const char *root, const char *state_dir,
	       uint64_t max_document_size, struct gerr *err);
/* Flushes what is pending (a failure is logged); see spool_flush(). */
void spool_close(struct spool *sp);

/* Turn batching on or off (turning it off flushes). */
int spool_batch(struct spool *sp, bool on, struct gerr *err);
/* Make every pending commit durable and publish the sidecars (after the flush in flight,
 * if any). On failure none of the documents not yet published counts as filed: they are
 * removed, and -1 is returned. */
int spool_flush(struct spool *sp, struct gerr *err);
/* The same in a thread: returns at once (after waiting for an earlier flush in flight,
 * whose failure it returns); new commits may go on meanwhile. */
int spool_flush_start(struct spool *sp, struct gerr *err);
/* The same for every pending commit, the deferred ones too (their enrichment finished
 * first, here): what spool_flush() would make durable, made durable in a thread, so that
 * a source can fetch on before it waits for it with spool_flush() or spool_flush_wait(). */
int spool_flush_start_all(struct spool *sp, struct gerr *err);
/* Wait for the flush in flight (0 when there is none), with spool_flush()'s result. */
int spool_flush_wait(struct spool *sp, struct gerr *err);
/* Is a flush still at work (so that spool_flush_start() would wait for it)? */
bool spool_flush_running(const struct spool *sp);

/* Remove what an interrupted write of this source left: temporary files, and documents
 * whose sidecar never appeared. Call it with the source's run lock held (other sources'
 * writers may be busy in their own folders). Returns the number of files removed, or -1. */
long spool_cleanup(struct spool *sp, const char *source_name, struct gerr *err);

struct spool_doc;
struct spool_doc *spool_begin(struct spool *sp, struct dedupe *dd, const struct doc_meta *meta,
			      struct gerr *err);
int spool_write(struct spool_doc *doc, const void *data, size_t len, struct gerr *err);
int spool_commit(struct spool_doc *doc, struct spool_result *res, struct gerr *err);
void spool_abort(struct spool_doc *doc);

/* Convenience: file a whole buffer (begin, write, commit). */
int spool_file_buffer(struct spool *sp, struct dedupe *dd, const struct doc_meta *meta,
		      const void *data, size_t len, struct spool_result *res, struct gerr *err);

/* The date directory "YYYY/MM/DD" for a time in the process's time zone (TZ). */
void spool_date_dir(time_t t, char out[11]);
/* ISO 8601 local time with offset, e.g. 2026-11-21T05:00:03+01:00. */
void spool_iso_time(time_t t, char out[32]);

#endif
