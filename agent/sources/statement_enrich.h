/* statement_enrich — what a bank statement being filed says: the sidecar's `statement`
 * (goniec-sidecar(5)), read when the document is filed, from any source.
 *
 * A document is read as a statement when its sniffed type is one (`mt940`, `camt`,
 * `transactions`), or when its content is one that type alone does not tell (a `csv` a
 * bank map recognises, an `xml` that is camt.054), or when its name claims one (`.sta`,
 * `.940`, `.mt940`, ... whatever its content). It is read in flat memory (summaries only,
 * stmtfile.h), with the bank CSV maps of the configuration's `banks/` folder (loaded once
 * per process). A statement that reads gets its summary; one that claims to be a
 * statement and cannot be read gets {"format"?, "error": "<file>: line N: ..."} and
 * *unreadable is set, so that the caller can have a person told (the document is filed
 * all the same: nothing is dropped). Either way the document's kind becomes `statement`
 * (a bank's CSV and a camt.054 are typed csv and xml by content). Anything else gets
 * nothing.
 *
 * Ownership: `fields` gets a new member (a reference it owns).
 * Errors: none; a document's content never fails the filing.
 */
#ifndef GONIEC_SOURCES_STATEMENT_ENRICH_H
#define GONIEC_SOURCES_STATEMENT_ENRICH_H

#include <jansson.h>
#include <stdbool.h>

#include "core/util.h"

struct statement_enrich_doc {
	const char *path;	/* the complete document */
	const char *type;	/* sniffed: mt940, camt, transactions, csv, xml, text, ... */
	const char *name_hint;	/* the name the source gave (may be NULL) */
};

/* Is a document of this sniffed type and name looked at? (Cheap; no reading.) */
bool statement_enrich_wants(const char *type, const char *name_hint);
void statement_enrich(const char *confdir, const struct statement_enrich_doc *doc,
		      json_t *fields, bool *unreadable);

struct source_run;
struct spool_view;
/* The filing enricher (sources/filing.h): statement_enrich() with the run's conf.d, and
 * an unreadable statement counted in run->stats.unreadable (the daemon's alert). */
int statement_enrich_filing(struct source_run *run, const struct spool_view *view,
			    json_t *fields, struct gerr *err);

#endif
