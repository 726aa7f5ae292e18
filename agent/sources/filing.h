/* filing — the one way a source files a document into the spool.
 *
 * Every source type files through here, never through spool_*() directly: the helper
 * builds the document's metadata from the run (source name and type, company, accepted
 * types) and what the source knows (struct filing_doc), streams the bytes into the spool,
 * and on commit applies the result the same way for every source:
 *   filed        run->stats.filed++, run->stats.bytes += size, log "filed <label> as <path>"
 *   duplicate    run->stats.duplicates++,                      log "<label> was filed before"
 *   quarantined  run->stats.quarantined++,            warning "<label> quarantined: <why>"
 * then calls run->progress. `bytes` counts the bytes of documents filed, nothing else.
 * looked_at (messages, files, invoices examined) and failed (what the source could not
 * take: a file, a message part, a message, an invoice) stay with the source, which knows
 * its units; a failed filing_*() call counts nothing.
 *
 * Enrichers: a table of functions by sniffed type (`mt940`, `camt`, `xml`, `pdf`, ...),
 * called for each document to be filed once its bytes are complete and typed, before its
 * sidecar is written (spool.h, "Enrichment"). An enricher reads the document at
 * doc->path and adds sidecar members to `fields` — a parsed `statement` for statement
 * files, `invoice` fields for XML/PDF invoices, `duplicate_of` for an invoice another
 * source filed already (by KSeF number, or seller NIP + invoice number). An enricher
 * returns 0, or -1 with err: GERR_PERMANENT quarantines the document with err's message,
 * any other kind fails the filing (the next run retries). A document filed all the same
 * although it could not be read (a statement with statement.error) is counted by its
 * enricher in run->stats.unreadable, for which the daemon raises an alert for a person
 * (daemon/alert.h). doc->extra holds what the source gave itself (a bank source's own
 * `statement`), for an enricher to leave alone. Adding one is one entry in
 * filing_enrichers[] (filing.c) and the enricher's own file; no source changes. Members
 * it adds must be sidecar fields (core/sidecar.h).
 *
 * Ownership: struct filing is owned by the caller from filing_begin() until
 * filing_commit() or filing_abort(), which always free it. Borrowed JSON in filing_doc is
 * referenced, not taken.
 * Errors: -1 with err set (names the document); the run's counters are not touched.
 */
#ifndef GONIEC_SOURCES_FILING_H
#define GONIEC_SOURCES_FILING_H

#include <jansson.h>

#include "core/spool.h"
#include "sources/source.h"

/* What the source knows of one document. All may be NULL except name_hint or label. */
struct filing_doc {
	const char *name_hint;   /* the original file name (untrusted) */
	const char *label;       /* how log lines name it (NULL: name_hint, else "(no name)") */
	const char *source_id;   /* the source's own id of it, for dedupe */
	const char *kind;        /* "invoice", ... (NULL: derived from the content) */
	const char *point, *property;
	json_t *origin;          /* {"<type>": {...}} */
	json_t *invoice;
	json_t *extra;           /* merged into the sidecar's top level */
	const struct strlist *accept; /* the types accepted (NULL: the source's `accept`) */
};

struct filing;

struct filing *filing_begin(struct source_run *run, const struct filing_doc *doc,
			    struct gerr *err);
int filing_write(struct filing *f, const void *data, size_t len, struct gerr *err);
/* filing_write() in the shape of a chunk sink (read_chunks, mime decoders). */
int filing_sink(void *filing, const void *data, size_t len, struct gerr *err);
/* Publish, count, log, report progress. *status (may be NULL) says what became of it. */
int filing_commit(struct filing *f, enum spool_status *status, struct gerr *err);
/* filing_commit(), and *path gets the document's spool-relative path (the caller frees
 * it; NULL for a duplicate). */
int filing_commit_path(struct filing *f, enum spool_status *status, char **path, struct gerr *err);
void filing_abort(struct filing *f);

/* begin, write (a buffer or an open descriptor read to its end), commit. */
int filing_buffer(struct source_run *run, const struct filing_doc *doc, const void *data,
		  size_t len, enum spool_status *status, struct gerr *err);
int filing_fd(struct source_run *run, const struct filing_doc *doc, int fd,
	      enum spool_status *status, struct gerr *err);

struct filing_enricher {
	const char *type;        /* sniffed type it reads; NULL ends a table */
	int (*enrich)(struct source_run *run, const struct spool_view *doc, json_t *fields,
		      struct gerr *err);
	/* May be NULL. Begin enrich()'s work at the commit and return true (it went on in the
	 * background: a PDF handed to its reader); enrich() then runs at the batch's flush,
	 * before the sidecar is written (spool.h, "Deferred enrichment"). Only when every
	 * enricher of the type has it. Such an enricher never quarantines. */
	bool (*prepare)(struct source_run *run, const struct spool_view *doc);
};
/* Use another table (NULL: the built-in filing_enrichers[]); for tests. */
void filing_set_enrichers(const struct filing_enricher *table);

#endif
