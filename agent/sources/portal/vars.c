/* vars — recipe variables and templates. See vars.h. */
#include "sources/portal/vars.h"

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

/* One "{{...}}" at p (p points at the first '{'): the name and the filter, and where the
 * text after it starts. */
static int parse_ref(const char *p, char **name, bool *url, const char **after, struct gerr *err)
{
	const char *end = strstr(p + 2, "}}"), *s = p + 2, *e;
	const char *bar;
	if (!end)
		return gerr_set(err, "unclosed '{{' in template");
	while (s < end && *s == ' ')
		s++;
	e = end;
	while (e > s && e[-1] == ' ')
		e--;
	bar = memchr(s, '|', (size_t)(e - s));
	*url = false;
	if (bar) {
		const char *f = bar + 1;
		while (*f == ' ')
			f++;
		if ((size_t)(e - f) != 3 || strncmp(f, "url", 3) != 0)
			return gerr_set(err, "unknown template filter in '%.*s' (only |url)",
					(int)(end + 2 - p), p);
		*url = true;
		e = bar;
		while (e > s && e[-1] == ' ')
			e--;
	}
	if (e == s)
		return gerr_set(err, "empty '{{ }}' in template");
	for (const char *c = s; c < e; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.' && *c != '-')
			return gerr_set(err, "bad variable name '%.*s' in template", (int)(e - s), s);
	*name = xstrndup(s, (size_t)(e - s));
	*after = end + 2;
	return 0;
}

static void url_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			buf_append(b, e, 3);
		}
	}
}

int template_expand(const char *tmpl, const struct vars *vs, char **out, struct gerr *err)
{
	struct buf b = {0};
	const char *p = tmpl, *open;
	while ((open = strstr(p, "{{"))) {
		char *name;
		bool url;
		const char *val;
		buf_append(&b, p, (size_t)(open - p));
		if (parse_ref(open, &name, &url, &p, err) < 0)
			goto fail;
		val = vars_get(vs, name);
		if (!val) {
			gerr_set(err, "variable '%s' has no value", name);
			free(name);
			goto fail;
		}
		free(name);
		if (url)
			url_encode(&b, val);
		else
			buf_puts(&b, val);
	}
	buf_puts(&b, p);
	*out = buf_take(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

int template_names(const char *tmpl, struct strlist *names, struct gerr *err)
{
	const char *p = tmpl, *open;
	while ((open = strstr(p, "{{"))) {
		char *name;
		bool url;
		if (parse_ref(open, &name, &url, &p, err) < 0)
			return -1;
		strlist_add(names, name);
		free(name);
	}
	return 0;
}
