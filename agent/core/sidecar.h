/* sidecar — the one owner of the sidecar, schema goniec.document/1: the list of its
 * fields, building one (the spool writes it through sidecar_build()), reading one and
 * looking fields up by dotted path (routes, templates, `goniec check`).
 *
 * Fields: sidecar_fields[] in sidecar.c is the list of every member a sidecar can have,
 * with what it means. It is the only list: sidecar_build() drops (and logs) a member the
 * list does not know, and `goniec check` warns about a route or template field that is in
 * no sidecar from the same list. Adding a field is adding it there (HACKING.md, "Adding a
 * sidecar field"); a member filled by an enricher (sources/filing.h) needs nothing else.
 *
 * The forwarder trusts nothing in a sidecar: it is parsed with jansson (size-capped,
 * must be an object), and values are only ever used as text through sidecar_get().
 * Paths are dotted ("invoice.issue_date", "source.type"). A path that ends on an object
 * with a "name" member yields that name, so "source" means the source's name. Numbers
 * and booleans are formatted; null, missing, empty strings, arrays and other objects
 * yield NULL. Derived paths: "sender" and "subject" (of the first origin object), "file",
 * "stem" and "ext" (the document's name in the spool), and "duplicate" ("true" when the
 * sidecar names a duplicate_of, else "false": routes skip copies with duplicate: false).
 *
 * Ownership: sidecar_load() fills a struct sidecar the caller releases with
 * sidecar_release(). sidecar_get() returns a pointer into the JSON tree or into the
 * caller's scratch buffer; it stays valid until either changes.
 * Errors: -1 with err naming the file.
 */
#ifndef GONIEC_FORWARD_SIDECAR_H
#define GONIEC_FORWARD_SIDECAR_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "core/util.h"

#define SIDECAR_SCHEMA "goniec.document/1"
#define SIDECAR_SUFFIX ".meta.json"
#define SIDECAR_MAX_BYTES (1024 * 1024)

/* What the spool knows of a document when it writes the sidecar. Strings may be NULL
 * (written as null); JSON is borrowed. */
struct sidecar_doc {
	const char *file;          /* its name in the spool */
	const char *sha256;
	uint64_t size;
	const char *media_type, *type, *kind;
	const char *company;
	const char *source_name, *source_type;
	const char *point, *property;
	const char *fetched_at;    /* ISO 8601 with offset */
	const char *original_name;
	json_t *origin;            /* NULL: {} */
	json_t *invoice;           /* NULL: no member */
	const char *duplicate_of;
	const char *quarantine_reason; /* non-NULL: quarantined */
	bool content_kept;
	json_t *enriched;          /* members from enrichers: override the above */
	json_t *extra;             /* members from the source: fill in only what is missing */
};

/* Build a sidecar. Members of `enriched` or `extra` that are no sidecar field are left
 * out (and logged): every member must be in the list. */
json_t *sidecar_build(const struct sidecar_doc *d);

struct sidecar {
	json_t *root;
	char *relpath;   /* the document, relative to the spool root */
	char *docpath;   /* the document, absolute */
	char *file;      /* the document's file name in the spool */
	struct stat st;  /* of the document */
};

/* Parse sidecar text (also used by the fuzz target). */
int sidecar_parse(const char *text, size_t len, json_t **out, struct gerr *err);
/* Load the sidecar of the document `relpath` (spool-relative, without the suffix) and
 * check the document is a regular file. */
int sidecar_load(const char *spool_root, const char *relpath, struct sidecar *sc,
		 struct gerr *err);
void sidecar_release(struct sidecar *sc);

struct sidecar_scratch {
	char buf[64];
};
/* The text value at a dotted path, or NULL (see above). `file` is the spool file name
 * used for the derived "file"/"stem"/"ext" paths (may be NULL). */
const char *sidecar_get(const json_t *root, const char *path, const char *file,
			struct sidecar_scratch *scratch);
/* Does some value at `path` pass `test` (a route's match)? The value sidecar_get() gives,
 * or any text of a list ("statement.accounts"); and for a file of several bank statements,
 * "statement.account" and
 * "statement.currency" also offer each statement's own, so a route on an account
 * matches every file that holds that account's statement, not only the first. */
bool sidecar_any(const json_t *root, const char *path, const char *file,
		 bool (*test)(const char *value, void *arg), void *arg);

/* Is `path` a field some sidecar has (the sidecar schema goniec.document/1)? */
bool sidecar_field_known(const char *path);
/* The closest known field, for "did you mean" hints, or NULL. */
const char *sidecar_field_suggest(const char *path);

#endif
