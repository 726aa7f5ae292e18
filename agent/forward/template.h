/* template — text with {field} placeholders filled from a sidecar.
 *
 * Syntax: literal text, and placeholders
 *     {path}              the sidecar value at a dotted path (see sidecar.h)
 *     {path:FORMAT}       a date value ("2026-11-02", "2026-11-21T05:00:03+01:00")
 *                         formatted with strftime(3) FORMAT, e.g. {invoice.issue_date:%Y-%m}
 *     {path|DEFAULT}      DEFAULT (literal text) when the value is empty or missing
 *     {path:FORMAT|DEFAULT}
 * "{{" and "}}" stand for literal braces. A value that is not a date where a FORMAT is
 * given counts as missing.
 *
 * Rendering never fails: a missing value without a default renders as nothing and is
 * reported through `missing` (the first such field), so callers can fall back (the
 * folder target uses the original file name). Control characters in values become
 * spaces; with TMPL_PATH, '/' and '\\' in values become '_' so a value can never add a
 * directory level (only the template's own '/' can).
 *
 * Ownership: tmpl_compile() returns a template freed with tmpl_free(); rendered strings
 * belong to the caller. Errors: tmpl_compile() returns NULL with err saying where.
 */
#ifndef GONIEC_FORWARD_TEMPLATE_H
#define GONIEC_FORWARD_TEMPLATE_H

#include <jansson.h>

#include "core/util.h"

#define TMPL_MAX_OUTPUT 4096

struct tmpl;

struct tmpl *tmpl_compile(const char *text, struct gerr *err);
void tmpl_free(struct tmpl *t);

enum { TMPL_PATH = 1 << 0 };
/* file: the document's spool file name, for the derived fields; may be NULL.
 * missing: set to the first field without a value and without default (else NULL);
 * points into the template. Output is capped at TMPL_MAX_OUTPUT bytes. */
char *tmpl_render(const struct tmpl *t, const json_t *sidecar, const char *file,
		  unsigned flags, const char **missing);

/* Call fn for every field path the template uses. */
void tmpl_each_field(const struct tmpl *t, void (*fn)(const char *path, void *ctx), void *ctx);

#endif
