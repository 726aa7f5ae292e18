/* template — the one template syntax of everything a person writes in conf.d and in
 * provider recipes (route names, mail subjects and bodies, move_to folders, a recipe's
 * requests), one expander and one validator.
 *
 * Syntax: literal text, and placeholders
 *     {path}              the value of a dotted name: a sidecar field (see sidecar.h) in
 *                         routes, a recipe variable in recipes, {year} in move_to
 *     {path:FORMAT}       FORMAT with a '%': a date value ("2026-11-02",
 *                         "2026-11-21T05:00:03+01:00") formatted with strftime(3), e.g.
 *                         {invoice.issue_date:%Y-%m}; FORMAT `url`: the value
 *                         percent-encoded for a URL, e.g. {point.id:url}; `json`:
 *                         escaped for the inside of a JSON string ("{password:json}");
 *                         `base64` / `base64url`: the value's bytes in Base64 (with
 *                         padding) / base64url (without); `sha256`: their SHA-256 in
 *                         lower-case hex (a stable device id derived from a login)
 *     {path|DEFAULT}      DEFAULT (literal text) when the value is empty or missing
 *     {path:FORMAT|DEFAULT}
 * "{{" and "}}" stand for literal braces. A value that is not a date where a date FORMAT
 * is given counts as missing.
 *
 * Old spellings: recipes wrote "{{name}}" and "{{name|url}}". Compiled with
 * TMPL_OLD_BRACES (recipes only) these still work — "{{name}}" is {name}, "{{name|url}}"
 * is {name:url} — and tmpl_old_spellings() counts them, so that `goniec check` warns
 * that they are deprecated. There, "{{" always opens an old placeholder (a malformed one
 * is an error, as it was), and a brace that starts no placeholder is literal (a JSON
 * body written as text keeps working).
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
#ifndef GONIEC_CORE_TEMPLATE_H
#define GONIEC_CORE_TEMPLATE_H

#include <jansson.h>
#include <time.h>

#include "core/util.h"

#define TMPL_MAX_OUTPUT 4096

struct tmpl;

struct tmpl *tmpl_compile(const char *text, struct gerr *err);
enum { TMPL_OLD_BRACES = 1 << 0 };
struct tmpl *tmpl_compile_flags(const char *text, unsigned flags, struct gerr *err);
/* How many placeholders used an old spelling (see above). */
size_t tmpl_old_spellings(const struct tmpl *t);
void tmpl_free(struct tmpl *t);

/* TMPL_PATH: '/' and '\\' in values become '_'. TMPL_RAW: values as they are (no
 * control characters replaced, no length cap): for request bodies. */
enum { TMPL_PATH = 1 << 0, TMPL_RAW = 1 << 1 };
/* file: the document's spool file name, for the derived fields; may be NULL.
 * missing: set to the first field without a value and without default (else NULL);
 * points into the template. Output is capped at TMPL_MAX_OUTPUT bytes. */
char *tmpl_render(const struct tmpl *t, const json_t *sidecar, const char *file,
		  unsigned flags, const char **missing);

/* The value of a name, or NULL; scratch (64 bytes) may hold it. */
typedef const char *(*tmpl_lookup)(void *ctx, const char *name, char *scratch);
/* Render with values from a lookup (tmpl_render() looks up a sidecar). */
char *tmpl_render_with(const struct tmpl *t, tmpl_lookup lookup, void *ctx, unsigned flags,
		       const char **missing);
/* Compile and render `text` with the local year of `now` as {year} (a move_to folder);
 * NULL with err when it does not compile or names anything else. */
char *tmpl_expand_date(const char *text, time_t now, struct gerr *err);

/* Call fn for every field path the template uses. */
void tmpl_each_field(const struct tmpl *t, void (*fn)(const char *path, void *ctx), void *ctx);

#endif
