/* route — see route.h. */
#include "forward/route.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/idnum.h"
#include "core/sidecar.h"
#include "forward/target.h"
#include "core/template.h"

/* ---- match ------------------------------------------------------------------------------- */

/* Shortcut keys of `match` and the sidecar paths they stand for. */
static const char *match_path(const char *key)
{
	if (strcmp(key, "source_type") == 0)
		return "source.type";
	return key;
}

/* A pattern as matched: an account (statement.account, statement.accounts) without
 * wildcards as the sidecar writes it, a compact IBAN, however the person wrote it
 * ("PL61 1090 …", a 26-digit NRB). */
static void add_pattern(const char *path, const char *pattern, struct strlist *out)
{
	char iban[IBAN_MAX_LEN + 1];
	if (str_starts_with(path, "statement.account") && !strchr(pattern, '*') &&
	    account_normalise(pattern, iban))
		pattern = iban;
	strlist_add(out, pattern);
}

static int add_patterns(struct cf_ctx *ctx, const char *path, yaml_node_t *v,
			struct strlist *out)
{
	if (cf_scalar(v)) {
		add_pattern(path, cf_scalar(v), out);
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE || v->data.sequence.items.start == v->data.sequence.items.top)
		return cf_error(ctx, v, "expected a pattern or a list of patterns");
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *i);
		if (!cf_scalar(item))
			return cf_error(ctx, item, "expected a pattern");
		add_pattern(path, cf_scalar(item), out);
	}
	return 0;
}

static int match_parse(struct cf_ctx *ctx, yaml_node_t *node, void *dst,
		       const struct cf_field *field)
{
	struct route_match *m = dst;
	if (node->type != YAML_MAPPING_NODE)
		return cf_error(ctx, node, "%s: expected a mapping of sidecar fields to patterns",
				field->key);
	int rc = 0;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, p->value);
		const char *key = cf_scalar(k);
		if (!key || !*key) {
			rc = cf_error(ctx, k, "%s: each entry is `field: pattern`", field->key);
			continue;
		}
		const char *path = match_path(key);
		if (!sidecar_field_known(path)) {
			const char *hint = sidecar_field_suggest(path);
			diag_add(ctx->diag, cf_pos(ctx, k), true,
				 "match field '%s' is in no sidecar%s%s%s", key,
				 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		}
		m->paths = xrealloc(m->paths, (m->len + 1) * sizeof *m->paths);
		m->patterns = xrealloc(m->patterns, (m->len + 1) * sizeof *m->patterns);
		m->paths[m->len] = xstrdup(path);
		m->patterns[m->len] = (struct strlist){0};
		if (add_patterns(ctx, path, v, &m->patterns[m->len]) < 0)
			rc = -1;
		m->len++;
	}
	return rc;
}

static void match_release(void *dst)
{
	struct route_match *m = dst;
	for (size_t i = 0; i < m->len; i++) {
		free(m->paths[i]);
		strlist_free(&m->patterns[i]);
	}
	free(m->paths);
	free(m->patterns);
	memset(m, 0, sizeof(*m));
}

/* ---- targets ----------------------------------------------------------------------------- */

/* The route keys of the target types ("folder", "email", ...), NULL-terminated. */
const char *const *route_target_keys(void)
{
	static const char *keys[16];
	for (size_t i = 0; target_types[i] && i + 1 < ARRAY_LEN(keys); i++)
		keys[i] = target_types[i]->key;
	return keys;
}

static void *target_parse(struct cf_ctx *ctx, yaml_node_t *node, const struct target_type *t)
{
	if (node->type != YAML_MAPPING_NODE) {
		cf_error(ctx, node, "%s: expected a mapping", t->key);
		return NULL;
	}
	void *conf = xcalloc(1, t->conf_size);
	cf_defaults(t->fields, conf);
	cf_map(ctx, node, t->fields, NULL, conf);
	return conf;
}

void route_release(struct route *r)
{
	target_conf_release(r->target, r->target_conf);
	r->target = NULL;
	r->target_conf = NULL;
}

const struct cf_field route_fields[] = {
	{.key = "match", .type = CF_CUSTOM, .offset = offsetof(struct route, match),
	 .parse = match_parse, .release = match_release,
	 .help = "sidecar fields and the patterns they must match"},
	{.key = "alerts", .type = CF_BOOL, .offset = offsetof(struct route, alerts),
	 .dflt = "false", .help = "also deliver the daemon's alerts (documents of kind alert)"},
	{.key = "enabled", .type = CF_BOOL, .offset = offsetof(struct route, enabled),
	 .dflt = "true", .help = "false: the route delivers nothing"},
	CF_END,
};

const size_t route_conf_size = sizeof(struct route);

/* ---- validation -------------------------------------------------------------------------- */

struct field_check {
	struct cf_ctx *ctx;
	struct conf_pos pos;
	const char *key;
};

static void warn_unknown_field(const char *path, void *arg)
{
	struct field_check *fc = arg;
	if (sidecar_field_known(path))
		return;
	const char *hint = sidecar_field_suggest(path);
	diag_add(fc->ctx->diag, fc->pos, true, "%s: template field '%s' is in no sidecar%s%s%s",
		 fc->key, path, hint ? " (did you mean '" : "", hint ? hint : "",
		 hint ? "'?)" : "");
}

struct tmpl *route_template(struct cf_ctx *ctx, yaml_node_t *tnode, const char *key,
			    const char *text)
{
	yaml_node_t *at = cf_get(ctx, tnode, key);
	if (!at)
		at = tnode;
	struct gerr err;
	struct tmpl *t = tmpl_compile(text, &err);
	if (!t) {
		cf_error(ctx, at, "%s: %s", key, err.msg);
		return NULL;
	}
	struct field_check fc = {ctx, cf_pos(ctx, at), key};
	tmpl_each_field(t, warn_unknown_field, &fc);
	return t;
}

/* "`folder:` or `email:`" */
static char *target_choices(void)
{
	struct buf b = {0};
	for (size_t i = 0; target_types[i]; i++)
		buf_printf(&b, "%s`%s:`", i == 0 ? "" : target_types[i + 1] ? ", " : " or ",
			   target_types[i]->key);
	return buf_take(&b);
}

int route_validate(struct cf_ctx *ctx, yaml_node_t *node, struct route_conf *rc)
{
	struct route *r = rc->typed;
	size_t given = 0;
	for (size_t i = 0; target_types[i]; i++) {
		yaml_node_t *tnode = cf_get(ctx, node, target_types[i]->key);
		if (!tnode || given++)
			continue;
		r->target = target_types[i];
		r->target_conf = target_parse(ctx, tnode, r->target);
		if (r->target_conf)
			r->target->validate(ctx, tnode, r->target_conf);
	}
	if (given != 1) {
		char *choices = target_choices();
		cf_error(ctx, node, "route %s: give exactly one target, %s", rc->name ? rc->name : "?",
			 choices);
		free(choices);
		route_release(r);
		return -1;
	}
	return r->target_conf ? 0 : -1;
}

void route_each_secret(const struct route_conf *rc,
		       void (*fn)(const struct secret *s, const char *key, void *arg), void *arg)
{
	const struct route *r = rc->typed;
	cf_each_secret(route_fields, r, fn, arg);
	if (r->target_conf)
		cf_each_secret(r->target->fields, r->target_conf, fn, arg);
}

/* ---- matching ---------------------------------------------------------------------------- */

static bool any_pattern(const char *value, void *pats_arg)
{
	const struct strlist *pats = pats_arg;
	for (size_t i = 0; i < pats->len; i++)
		if (wildcard_match(pats->items[i], value))
			return true;
	return false;
}

bool route_matches(const struct route_conf *rc, const json_t *sidecar, const char *file)
{
	const struct route *r = rc->typed;
	struct sidecar_scratch s;
	if (!r->enabled)
		return false;
	if (rc->company) {
		const char *c = sidecar_get(sidecar, "company", file, &s);
		if (!c || strcmp(c, rc->company->id) != 0)
			return false;
	}
	const char *kind = sidecar_get(sidecar, "kind", file, &s);
	bool alert = kind && strcmp(kind, "alert") == 0;
	bool kind_asked = false;
	for (size_t i = 0; i < r->match.len; i++) {
		if (!sidecar_any(sidecar, r->match.paths[i], file, any_pattern,
				 &r->match.patterns[i]))
			return false;
		kind_asked |= strcmp(r->match.paths[i], "kind") == 0;
	}
	/* alerts go only where they are asked for */
	return !alert || r->alerts || kind_asked;
}

char *route_fingerprint(const struct route_conf *rc)
{
	const struct route *r = rc->typed;
	struct buf b = {0};
	buf_printf(&b, "%s|%s|%d%d|", rc->name, rc->company ? rc->company->id : "", r->alerts,
		   r->enabled);
	for (size_t i = 0; i < r->match.len; i++) {
		buf_printf(&b, "%s=", r->match.paths[i]);
		for (size_t k = 0; k < r->match.patterns[i].len; k++)
			buf_printf(&b, "%s,", r->match.patterns[i].items[k]);
		buf_puts(&b, ";");
	}
	if (r->target_conf)
		r->target->fingerprint(r->target_conf, &b);
	return buf_take(&b);
}

char *route_state_dir(const struct config *cfg, const char *name)
{
	return xasprintf("%s/routes/%s", cfg->agent.state_dir, name);
}
