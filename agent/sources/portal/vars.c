/* vars — recipe variables and templates. See vars.h. */
#include "sources/portal/vars.h"

#include "core/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static struct var *find(const struct vars *vs, const char *name)
{
	for (size_t i = 0; i < vs->len; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	return NULL;
}

static void var_clear(struct var *v)
{
	free(v->name);
	if (v->flags & VAR_SECRET)
		free_secret(v->value);
	else
		free(v->value);
}

void vars_set(struct vars *vs, const char *name, const char *value, unsigned flags)
{
	struct var *v = find(vs, name);
	if (!v) {
		vs->v = xrealloc(vs->v, (vs->len + 1) * sizeof(*vs->v));
		v = &vs->v[vs->len++];
		v->name = xstrdup(name);
	} else if (v->flags & VAR_SECRET) {
		free_secret(v->value);
	} else {
		free(v->value);
	}
	v->value = xstrdup(value);
	v->flags = flags;
}

const char *vars_get(const struct vars *vs, const char *name)
{
	struct var *v = find(vs, name);
	return v ? v->value : NULL;
}

void vars_unset_record(struct vars *vs, const char *prefix)
{
	size_t n = strlen(prefix), o = 0;
	for (size_t i = 0; i < vs->len; i++) {
		if (strncmp(vs->v[i].name, prefix, n) == 0 && vs->v[i].name[n] == '.')
			var_clear(&vs->v[i]);
		else
			vs->v[o++] = vs->v[i];
	}
	vs->len = o;
}

void vars_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->len; i++)
		var_clear(&vs->v[i]);
	free(vs->v);
	vs->v = NULL;
	vs->len = 0;
}

static const char *from_vars(void *ctx, const char *name, char *scratch)
{
	(void)scratch;
	return vars_get(ctx, name);
}

int vars_expand(const char *text, const struct vars *vs, char **out, struct gerr *err)
{
	struct tmpl *t = tmpl_compile_flags(text, TMPL_OLD_BRACES, err);
	if (!t)
		return -1;
	const char *missing;
	*out = tmpl_render_with(t, from_vars, (void *)vs, TMPL_RAW, &missing);
	int rc = 0;
	if (missing) {
		rc = gerr_set(err, "variable '%s' has no value", missing);
		free_secret(*out);
		*out = NULL;
	}
	tmpl_free(t);
	return rc;
}

static void add_name(const char *path, void *ctx)
{
	strlist_add(ctx, path);
}

int vars_names(const char *text, struct strlist *names, size_t *old, struct gerr *err)
{
	struct tmpl *t = tmpl_compile_flags(text, TMPL_OLD_BRACES, err);
	if (!t)
		return -1;
	tmpl_each_field(t, add_name, names);
	if (old)
		*old += tmpl_old_spellings(t);
	tmpl_free(t);
	return 0;
}
