/* vars — the variables of a portal recipe run, and "{{name}}" templates over them.
 *
 * A variable is a name ("token", "point.id", "doc.link") and a string value. Records (the
 * current point, document, account) are flattened into dotted names. Flags say whether a
 * value is a secret (never written anywhere but into requests) and whether it belongs to
 * the session kept between runs (values the portal gave us: tokens, ids).
 *
 * Templates: the one template syntax (core/template.h): "{name}" is replaced by the
 * value, "{name:url}" percent-encodes it for a URL; the old spellings "{{name}}" and
 * "{{name|url}}" still work (goniec check says they are deprecated). A name with no
 * value is an error.
 *
 * Ownership: vars owns copies of every name and value; vars_free() wipes secret values.
 * Errors: -1 with err naming the variable (never its value).
 */
#ifndef GONIEC_PORTAL_VARS_H
#define GONIEC_PORTAL_VARS_H

#include "core/util.h"

enum { VAR_SECRET = 1 << 0, VAR_SESSION = 1 << 1 };

struct var {
	char *name;
	char *value;
	unsigned flags;
};

struct vars {
	struct var *v;
	size_t len;
};

void vars_set(struct vars *vs, const char *name, const char *value, unsigned flags);
const char *vars_get(const struct vars *vs, const char *name);
/* Remove every variable named "<prefix>.<something>". */
void vars_unset_record(struct vars *vs, const char *prefix);
void vars_free(struct vars *vs);

int vars_expand(const char *tmpl, const struct vars *vs, char **out, struct gerr *err);
/* The variable names a template uses, appended to names; *old (may be NULL) counts the
 * placeholders in an old spelling. -1 on a malformed template. */
int vars_names(const char *tmpl, struct strlist *names, size_t *old, struct gerr *err);

#endif
