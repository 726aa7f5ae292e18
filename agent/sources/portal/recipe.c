/* recipe — loading and validating provider recipes. See recipe.h. */
#include "sources/portal/recipe.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileperm.h"
#include "core/yamlload.h"
#include "sources/portal/vars.h"

const char *const portal_error_names[] = {
	"none", "bad_credentials", "code_needed", "captcha", "action_needed",
	"session_expired", "site_changed", "unavailable", "needs_javascript", NULL,
};
const char *const step_kind_names[] = {
	"capture", "request", "submit", "set", "otp", "foreach", "points", "documents", "pkce",
	NULL,
};
const char *const recipe_builtin_vars[] = {"login", "password", "phone", "base_url", "today",
					    NULL};

static const char *const step_keys[] = {
	"name", "request", "submit", "set", "otp", "foreach", "points", "documents", "pkce",
	"capture", "fail_if", "expect", NULL,
};
static const char *const request_keys[] = {
	"url", "method", "query", "form", "json", "body", "content_type", "headers", "stop_at",
	"auto_submit", "base64", NULL,
};
static const char *const submit_keys[] = {"form", "fields", "url", "headers", "stop_at", NULL};
static const char *const rx_keys[] = {
	"xpath", "jsonpath", "regex", "header", "cookie", "url_param", "jwt", "template", "group",
	"type", "format", "optional", "default", "claim", "match", "secret", NULL,
};
static const char *const check_keys[] = {
	"xpath", "jsonpath", "regex", "status", "url_contains", "contains", "error", "message",
	NULL,
};
static const char *const loop_keys[] = {
	"items", "as", "fields", "steps", "next", "max_pages", "download", "request", "paging",
	"empty_when", "before", "only_with", NULL,
};
static const char *const top_keys[] = {
	"title", "about", "base_url", "delay", "headers", "login", "check", "fetch", "follows",
	"checked", "live", NULL,
};
static const char *const rx_types[] = {"text", "date", "amount", NULL};
static const char *const doc_fields[] = {
	"id", "number", "issue_date", "due_date", "period_from", "period_to", "gross", "net",
	"currency", "point", "link", "name", "file_id", NULL,
};
static const char *const point_fields[] = {"id", "name", NULL};

/* ---- interning of file names for diagnostics ------------------------------------ */

static struct strlist interned;

static const char *intern(const char *s)
{
	for (size_t i = 0; i < interned.len; i++)
		if (strcmp(interned.items[i], s) == 0)
			return interned.items[i];
	strlist_add(&interned, s);
	return interned.items[interned.len - 1];
}

/* ---- parse context ---------------------------------------------------------------- */

struct pctx {
	struct cf_ctx cf;
	const char *section;
	size_t old;            /* placeholders in the old {{name}} spelling */
	struct conf_pos first_old;
	struct strlist scope;  /* defined names; "x.*" for records */
	int depth;
};

static int index_of(const char *const *list, const char *s)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return i;
	return -1;
}

static int bad_key(struct pctx *p, yaml_node_t *key, const char *what,
		   const char *const *allowed)
{
	const char *k = cf_scalar(key);
	const char *hint = k ? cf_suggest(k, allowed) : NULL;
	if (hint)
		return cf_error(&p->cf, key, "unknown %s key '%s' (did you mean '%s'?)", what,
				k ? k : "?", hint);
	return cf_error(&p->cf, key, "unknown %s key '%s'", what, k ? k : "?");
}

/* Report keys of `map` not in `allowed`. */
static int check_keys_of(struct pctx *p, yaml_node_t *map, const char *what,
			 const char *const *allowed)
{
	int rc = 0;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->cf.doc, pr->key);
		const char *ks = cf_scalar(k);
		if (!ks || index_of(allowed, ks) < 0)
			rc = bad_key(p, k, what, allowed);
	}
	return rc;
}

static yaml_node_t *get(struct pctx *p, yaml_node_t *map, const char *key)
{
	return cf_get(&p->cf, map, key);
}

static bool is_map(yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

static bool is_seq(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

static int want_string(struct pctx *p, yaml_node_t *n, const char *what, char **out)
{
	const char *s = cf_scalar(n);
	if (!s)
		return cf_error(&p->cf, n, "%s must be a string", what);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* ---- scope: variables used before they are set ------------------------------------ */

static bool in_scope(const struct pctx *p, const char *name)
{
	const char *dot = strchr(name, '.');
	if (strlist_contains(&p->scope, name))
		return true;
	if (dot) {
		char *rec = xasprintf("%.*s.*", (int)(dot - name), name);
		bool ok = strlist_contains(&p->scope, rec);
		free(rec);
		return ok;
	}
	return false;
}

static void define(struct pctx *p, const char *name)
{
	if (!strlist_contains(&p->scope, name))
		strlist_add(&p->scope, name);
}

/* A template: well formed, and every variable it names is set by then. */
static int check_template(struct pctx *p, yaml_node_t *n, const char *tmpl)
{
	struct strlist names = {0};
	struct gerr err;
	int rc = 0;
	size_t old = p->old;
	if (vars_names(tmpl, &names, &p->old, &err) < 0) {
		rc = cf_error(&p->cf, n, "%s", err.msg);
	} else {
		if (!old && p->old)
			p->first_old = cf_pos(&p->cf, n);
		for (size_t i = 0; i < names.len; i++)
			if (!in_scope(p, names.items[i]))
				rc = cf_error(&p->cf, n, "variable '%s' is used before it is set",
					      names.items[i]);
	}
	strlist_free(&names);
	return rc;
}

static int check_template_syntax(struct pctx *p, yaml_node_t *n, const char *tmpl)
{
	struct strlist names = {0};
	struct gerr err;
	size_t old = p->old;
	int rc = vars_names(tmpl, &names, &p->old, &err) < 0 ? cf_error(&p->cf, n, "%s", err.msg) : 0;
	if (!old && p->old)
		p->first_old = cf_pos(&p->cf, n);
	strlist_free(&names);
	return rc;
}

static int template_string(struct pctx *p, yaml_node_t *n, const char *what, char **out)
{
	if (want_string(p, n, what, out) < 0)
		return -1;
	return check_template(p, n, *out);
}

/* ---- kv lists, requests ----------------------------------------------------------- */

/* check_vars false: the templates may use variables set later (recipe-level headers are
 * only sent once all of their variables have values). */
static int parse_kvlist_checked(struct pctx *p, yaml_node_t *n, const char *what,
				struct kvlist *out, bool check_vars)
{
	int rc = 0;
	if (!is_map(n))
		return cf_error(&p->cf, n, "%s must be a mapping of names to values", what);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(p->cf.doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->cf.doc, pr->value);
		char *val = NULL;
		if (!cf_scalar(k)) {
			rc = cf_error(&p->cf, k, "%s: names must be strings", what);
			continue;
		}
		if (want_string(p, v, what, &val) < 0 ||
		    (check_vars ? check_template(p, v, val) : check_template_syntax(p, v, val)) < 0) {
			free(val);
			rc = -1;
			continue;
		}
		out->v = xrealloc(out->v, (out->len + 1) * sizeof(*out->v));
		out->v[out->len++] = (struct kv){xstrdup(cf_scalar(k)), val};
	}
	return rc;
}

static void kvlist_free(struct kvlist *l)
{
	for (size_t i = 0; i < l->len; i++) {
		free(l->v[i].key);
		free(l->v[i].tmpl);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int parse_kvlist(struct pctx *p, yaml_node_t *n, const char *what, struct kvlist *out)
{
	return parse_kvlist_checked(p, n, what, out, true);
}

static void rx_free(struct rx *x);

static void request_free(struct request *r)
{
	free(r->method);
	free(r->url);
	kvlist_free(&r->query);
	kvlist_free(&r->form);
	json_decref(r->json);
	kvlist_free(&r->headers);
	free(r->body);
	free(r->content_type);
	free(r->stop_at);
	rx_free(&r->base64);
}

static bool want_bool(struct pctx *p, yaml_node_t *v, const char *what, bool *out)
{
	const char *s = cf_scalar(v);
	if (!s || (strcmp(s, "true") && strcmp(s, "false")))
		return cf_error(&p->cf, v, "%s must be true or false", what) == 0;
	*out = strcmp(s, "true") == 0;
	return true;
}

/* A plain (unquoted) YAML scalar that JSON types: true, false, null, a number. */
static json_t *typed_scalar(yaml_node_t *n)
{
	const char *s = cf_scalar(n);
	char *end;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return NULL;
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return json_boolean(!strcmp(s, "true"));
	if (!strcmp(s, "null"))
		return json_null();
	if (*s && (isdigit((unsigned char)*s) || *s == '-')) {
		long long i = strtoll(s, &end, 10);
		if (!*end)
			return json_integer(i);
		double d = strtod(s, &end);
		if (!*end)
			return json_real(d);
	}
	return NULL;
}

/* A JSON body written in YAML: mappings, lists, typed plain scalars, templates. */
static json_t *parse_json_value(struct pctx *p, yaml_node_t *n, int depth)
{
	json_t *out;
	if (depth > 20) {
		cf_error(&p->cf, n, "json: nested too deep");
		return NULL;
	}
	if (n->type == YAML_SCALAR_NODE) {
		char *t = NULL;
		if ((out = typed_scalar(n)))
			return out;
		if (template_string(p, n, "json value", &t) < 0) {
			free(t);
			return NULL;
		}
		out = json_string(t);
		free(t);
		if (!out)
			cf_error(&p->cf, n, "json: a value must be UTF-8 text");
		return out;
	}
	out = n->type == YAML_MAPPING_NODE ? json_object() : json_array();
	if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(p->cf.doc, pr->key);
			json_t *v = parse_json_value(p, yaml_document_get_node(p->cf.doc, pr->value),
						     depth + 1);
			if (!v || !cf_scalar(k)) {
				json_decref(v);
				json_decref(out);
				return NULL;
			}
			json_object_set_new(out, cf_scalar(k), v);
		}
	} else {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			json_t *v = parse_json_value(p, yaml_document_get_node(p->cf.doc, *it), depth + 1);
			if (!v) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, v);
		}
	}
	return out;
}

static int parse_rx(struct pctx *p, yaml_node_t *n, struct rx *x, bool allow_template,
		    bool allow_http, enum rx_type dflt_type);

static int parse_request(struct pctx *p, yaml_node_t *n, struct request *r)
{
	yaml_node_t *v;
	int rc = 0;
	r->pos = cf_pos(&p->cf, n);
	if (cf_scalar(n))
		return template_string(p, n, "request url", &r->url);
	if (!is_map(n))
		return cf_error(&p->cf, n, "request must be a URL or a mapping");
	rc |= check_keys_of(p, n, "request", request_keys);
	if ((v = get(p, n, "url")))
		rc |= template_string(p, v, "url", &r->url);
	else
		rc = cf_error(&p->cf, n, "request needs a url");
	if ((v = get(p, n, "method"))) {
		rc |= want_string(p, v, "method", &r->method);
		if (r->method && strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(r->method))
			rc = cf_error(&p->cf, v, "method must be an upper-case HTTP method");
	}
	if ((v = get(p, n, "query")))
		rc |= parse_kvlist(p, v, "query", &r->query);
	if ((v = get(p, n, "form")))
		rc |= parse_kvlist(p, v, "form", &r->form);
	if ((v = get(p, n, "json"))) {
		if (!is_map(v) && !is_seq(v))
			rc = cf_error(&p->cf, v, "json must be a mapping or a list (the body)");
		else if (!(r->json = parse_json_value(p, v, 0)))
			rc = -1;
	}
	if ((v = get(p, n, "stop_at")))
		rc |= template_string(p, v, "stop_at", &r->stop_at);
	if ((v = get(p, n, "auto_submit")) && !want_bool(p, v, "auto_submit", &r->auto_submit))
		rc = -1;
	if ((v = get(p, n, "base64")))
		rc |= parse_rx(p, v, &r->base64, false, false, RX_TEXT);
	if ((v = get(p, n, "headers")))
		rc |= parse_kvlist(p, v, "headers", &r->headers);
	if ((v = get(p, n, "body")))
		rc |= template_string(p, v, "body", &r->body);
	if ((v = get(p, n, "content_type")))
		rc |= want_string(p, v, "content_type", &r->content_type);
	if ((r->form.len > 0) + (r->json != NULL) + (r->body != NULL) > 1)
		rc = cf_error(&p->cf, n, "a request has at most one of form, json and body");
	return rc ? -1 : 0;
}

/* ---- extractors ------------------------------------------------------------------- */

static void rx_free(struct rx *x)
{
	free(x->expr);
	free(x->format);
	free(x->dflt);
	free(x->claim);
	free(x->match);
	memset(x, 0, sizeof(*x));
}

/* Which of xpath/jsonpath/regex/header/cookie/template is given; exactly one must be. */
static int rx_source(struct pctx *p, yaml_node_t *n, struct rx *x, bool allow_template,
		     bool allow_http)
{
	int found = 0;
	for (int k = EX_XPATH; k <= EX_JWT + 1; k++) {
		const char *key = k <= EX_JWT ? ex_kind_names[k] : "template";
		yaml_node_t *v = get(p, n, key);
		if (!v)
			continue;
		if (found++) {
			return cf_error(&p->cf, v, "give only one of xpath, jsonpath, regex, header, "
					"cookie, url_param, jwt%s", allow_template ? ", template" : "");
		}
		if (k > EX_JWT) {
			if (!allow_template)
				return cf_error(&p->cf, v, "a template cannot be used here");
			x->is_template = true;
			if (template_string(p, v, "template", &x->expr) < 0)
				return -1;
			continue;
		}
		if ((k == EX_HEADER || k == EX_COOKIE || k == EX_URL_PARAM || k == EX_JWT) &&
		    !allow_http)
			return cf_error(&p->cf, v, "%s can only be captured from a whole response",
					key);
		x->kind = (enum ex_kind)k;
		if (k == EX_JWT) /* the token, from a template */
			return template_string(p, v, "jwt", &x->expr);
		if (want_string(p, v, key, &x->expr) < 0)
			return -1;
		{
			struct gerr err;
			if (ex_check(x->kind, x->expr, &err) < 0)
				return cf_error(&p->cf, v, "%s", err.msg);
		}
	}
	if (!found)
		return cf_error(&p->cf, n, "expected one of xpath, jsonpath, regex%s",
				allow_template ? ", template" : "");
	return 0;
}

static int parse_rx(struct pctx *p, yaml_node_t *n, struct rx *x, bool allow_template,
		    bool allow_http, enum rx_type dflt_type)
{
	yaml_node_t *v;
	int rc = 0;

	memset(x, 0, sizeof(*x));
	x->group = -1;
	x->type = dflt_type;
	x->pos = cf_pos(&p->cf, n);
	x->set = true;
	if (cf_scalar(n) && allow_template) { /* a bare string is a template */
		x->is_template = true;
		return template_string(p, n, "value", &x->expr);
	}
	if (!is_map(n))
		return cf_error(&p->cf, n, "expected a mapping such as {xpath: \"...\"}");
	rc |= check_keys_of(p, n, "value", rx_keys);
	if (rx_source(p, n, x, allow_template, allow_http) < 0)
		rc = -1;
	if ((v = get(p, n, "group"))) {
		const char *s = cf_scalar(v);
		char *end;
		long g = s ? strtol(s, &end, 10) : -1;
		if (!s || *end || g < 0 || g > 9 || x->kind != EX_REGEX)
			rc = cf_error(&p->cf, v, "group must be 0..9 and goes with regex");
		else
			x->group = (int)g;
	}
	if ((v = get(p, n, "type"))) {
		const char *s = cf_scalar(v);
		int t = s ? index_of(rx_types, s) : -1;
		if (t < 0)
			rc = cf_error(&p->cf, v, "type must be text, date or amount");
		else
			x->type = (enum rx_type)t;
	}
	if ((v = get(p, n, "format")))
		rc |= want_string(p, v, "format", &x->format);
	if ((v = get(p, n, "optional"))) {
		const char *s = cf_scalar(v);
		if (!s || (strcmp(s, "true") && strcmp(s, "false")))
			rc = cf_error(&p->cf, v, "optional must be true or false");
		else
			x->optional = strcmp(s, "true") == 0;
	}
	if ((v = get(p, n, "default"))) {
		rc |= want_string(p, v, "default", &x->dflt);
		x->optional = true;
	}
	if ((v = get(p, n, "claim"))) {
		if (x->kind != EX_JWT || x->is_template)
			rc = cf_error(&p->cf, v, "claim goes with jwt");
		rc |= want_string(p, v, "claim", &x->claim);
	} else if (x->kind == EX_JWT && !x->is_template && rc == 0) {
		rc = cf_error(&p->cf, n, "jwt needs claim: (which claim of the token's payload)");
	}
	if ((v = get(p, n, "match"))) {
		struct gerr err = {0};
		if (want_string(p, v, "match", &x->match) < 0)
			rc = -1;
		else if (ex_check(EX_REGEX, x->match, &err) < 0)
			rc = cf_error(&p->cf, v, "%s", err.msg);
	}
	if ((v = get(p, n, "secret")) && !want_bool(p, v, "secret", &x->secret))
		rc = -1;
	return rc ? -1 : 0;
}

static void captures_free(struct captures *c)
{
	for (size_t i = 0; i < c->len; i++) {
		free(c->v[i].name);
		rx_free(&c->v[i].rx);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* capture: {name: extractor, ...}; names become variables (prefix.name when prefix). */
static int parse_captures(struct pctx *p, yaml_node_t *n, struct captures *out,
			  const char *prefix, const char *const *allowed, bool allow_http)
{
	int rc = 0;
	if (!is_map(n))
		return cf_error(&p->cf, n, "expected a mapping of names to values");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(p->cf.doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->cf.doc, pr->value);
		const char *name = cf_scalar(k);
		enum rx_type t = RX_TEXT;
		struct capture c = {0};
		if (!name || !*name || strchr(name, '.') || strstr(name, "{{")) {
			rc = cf_error(&p->cf, k, "a variable name must be a plain word");
			continue;
		}
		if (allowed && index_of(allowed, name) < 0) {
			rc = bad_key(p, k, "field", allowed);
			continue;
		}
		if (strstr(name, "date") || str_starts_with(name, "period"))
			t = allowed == doc_fields ? RX_DATE : RX_TEXT;
		if (allowed == doc_fields && (!strcmp(name, "gross") || !strcmp(name, "net")))
			t = RX_AMOUNT;
		if (parse_rx(p, v, &c.rx, true, allow_http, t) < 0) {
			rx_free(&c.rx);
			rc = -1;
			continue;
		}
		c.name = xstrdup(name);
		out->v = xrealloc(out->v, (out->len + 1) * sizeof(*out->v));
		out->v[out->len++] = c;
		if (prefix) {
			char *full = xasprintf("%s.%s", prefix, name);
			define(p, full);
			free(full);
		} else {
			define(p, name);
		}
	}
	return rc;
}

/* ---- checks ----------------------------------------------------------------------- */

static void checks_free(struct checks *c)
{
	for (size_t i = 0; i < c->len; i++) {
		rx_free(&c->v[i].rx);
		free(c->v[i].url_contains);
		free(c->v[i].contains);
		free(c->v[i].message);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static int parse_check(struct pctx *p, yaml_node_t *n, struct check *c, bool is_fail)
{
	yaml_node_t *v;
	int rc = 0, conds = 0;
	c->pos = cf_pos(&p->cf, n);
	if (!is_map(n))
		return cf_error(&p->cf, n, "expected a condition such as {xpath: \"...\"}");
	rc |= check_keys_of(p, n, is_fail ? "fail_if" : "expect", check_keys);
	c->rx.group = -1;
	for (int k = EX_XPATH; k <= EX_REGEX; k++) {
		if (!(v = get(p, n, ex_kind_names[k])))
			continue;
		struct gerr err = {0};
		conds++;
		c->rx.set = true;
		c->rx.kind = (enum ex_kind)k;
		c->rx.pos = cf_pos(&p->cf, v);
		if (want_string(p, v, ex_kind_names[k], &c->rx.expr) < 0)
			rc = -1;
		else if (ex_check(c->rx.kind, c->rx.expr, &err) < 0)
			rc = cf_error(&p->cf, v, "%s", err.msg);
	}
	if ((v = get(p, n, "status"))) {
		const char *s = cf_scalar(v);
		char *end;
		conds++;
		c->status = s ? strtol(s, &end, 10) : 0;
		if (!s || *end || c->status < 100 || c->status > 599)
			rc = cf_error(&p->cf, v, "status must be an HTTP status code");
	}
	if ((v = get(p, n, "url_contains"))) {
		conds++;
		rc |= want_string(p, v, "url_contains", &c->url_contains);
	}
	if ((v = get(p, n, "contains"))) {
		conds++;
		rc |= want_string(p, v, "contains", &c->contains);
	}
	if (conds != 1)
		rc = cf_error(&p->cf, n, "give exactly one of xpath, jsonpath, regex, status, "
			      "url_contains, contains");
	if ((v = get(p, n, "message")))
		rc |= want_string(p, v, "message", &c->message);
	v = get(p, n, "error");
	if (is_fail) {
		const char *s = v ? cf_scalar(v) : NULL;
		int e = s ? index_of(portal_error_names, s) : -1;
		if (!v)
			rc = cf_error(&p->cf, n, "fail_if needs error: (one of bad_credentials, "
				      "code_needed, captcha, action_needed, session_expired, "
				      "site_changed, unavailable, needs_javascript)");
		else if (e <= 0) {
			const char *hint = s ? cf_suggest(s, portal_error_names) : NULL;
			rc = cf_error(&p->cf, v, "unknown error '%s'%s%s%s", s ? s : "?",
				      hint ? " (did you mean '" : "", hint ? hint : "",
				      hint ? "'?)" : "");
		} else {
			c->error = (enum portal_error)e;
		}
	} else if (v) {
		rc = cf_error(&p->cf, v, "expect takes no error: (a failed expectation means the "
			      "site changed)");
	}
	return rc ? -1 : 0;
}

static int parse_checks(struct pctx *p, yaml_node_t *n, struct checks *out, bool is_fail)
{
	int rc = 0;
	if (is_map(n)) {
		out->v = xcalloc(1, sizeof(*out->v));
		out->len = 1;
		return parse_check(p, n, &out->v[0], is_fail);
	}
	if (!is_seq(n))
		return cf_error(&p->cf, n, "expected a condition or a list of them");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		out->v = xrealloc(out->v, (out->len + 1) * sizeof(*out->v));
		memset(&out->v[out->len], 0, sizeof(*out->v));
		rc |= parse_check(p, yaml_document_get_node(p->cf.doc, *it), &out->v[out->len++],
				  is_fail);
	}
	return rc;
}

/* ---- steps ------------------------------------------------------------------------ */

static void steps_free(struct steps *s);

static void step_free(struct step *s)
{
	free(s->name);
	request_free(&s->req);
	free(s->form_xpath);
	kvlist_free(&s->set);
	free(s->otp_var);
	free(s->otp_prompt);
	rx_free(&s->items);
	free(s->as);
	captures_free(&s->fields);
	steps_free(&s->body);
	rx_free(&s->next);
	request_free(&s->list);
	free(s->page_var);
	free(s->only_with);
	checks_free(&s->empty_when);
	steps_free(&s->before);
	request_free(&s->download);
	free(s->pkce_as);
	captures_free(&s->captures);
	checks_free(&s->fail_if);
	checks_free(&s->expect);
}

static void steps_free(struct steps *s)
{
	for (size_t i = 0; i < s->len; i++)
		step_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int parse_steps(struct pctx *p, yaml_node_t *n, struct steps *out);

static int parse_submit(struct pctx *p, yaml_node_t *n, struct step *s)
{
	yaml_node_t *v;
	int rc = 0;
	s->req.pos = cf_pos(&p->cf, n);
	if (!is_map(n))
		return cf_error(&p->cf, n, "submit must be a mapping (form, fields, url, headers)");
	rc |= check_keys_of(p, n, "submit", submit_keys);
	if ((v = get(p, n, "form"))) {
		struct gerr err;
		if (want_string(p, v, "form", &s->form_xpath) < 0)
			rc = -1;
		else if (ex_check(EX_XPATH, s->form_xpath, &err) < 0)
			rc = cf_error(&p->cf, v, "%s", err.msg);
	}
	if ((v = get(p, n, "fields")))
		rc |= parse_kvlist(p, v, "fields", &s->req.form);
	if ((v = get(p, n, "url")))
		rc |= template_string(p, v, "url", &s->req.url);
	if ((v = get(p, n, "headers")))
		rc |= parse_kvlist(p, v, "headers", &s->req.headers);
	if ((v = get(p, n, "stop_at")))
		rc |= template_string(p, v, "stop_at", &s->req.stop_at);
	return rc ? -1 : 0;
}

static int parse_otp(struct pctx *p, yaml_node_t *n, struct step *s)
{
	yaml_node_t *v;
	int rc = 0;
	static const char *const keys[] = {"var", "prompt", "ttl", NULL};
	if (p->depth > 0 || strcmp(p->section, "login") != 0)
		rc = cf_error(&p->cf, n, "otp steps belong at the top level of login");
	s->otp_ttl = 600;
	if (cf_scalar(n)) {
		s->otp_var = xstrdup(cf_scalar(n));
	} else if (is_map(n)) {
		rc |= check_keys_of(p, n, "otp", keys);
		if ((v = get(p, n, "var")))
			rc |= want_string(p, v, "var", &s->otp_var);
		if ((v = get(p, n, "prompt")))
			rc |= want_string(p, v, "prompt", &s->otp_prompt);
		if ((v = get(p, n, "ttl"))) {
			const char *t = cf_scalar(v);
			if (!t || cf_parse_duration(t, &s->otp_ttl) < 0)
				rc = cf_error(&p->cf, v, "ttl must be a duration such as 10m");
		}
	} else {
		return cf_error(&p->cf, n, "otp must be a variable name or a mapping");
	}
	if (!s->otp_var)
		s->otp_var = xstrdup("code");
	define(p, s->otp_var);
	return rc ? -1 : 0;
}

static int parse_set(struct pctx *p, yaml_node_t *n, struct step *s)
{
	int rc = parse_kvlist(p, n, "set", &s->set);
	for (size_t i = 0; i < s->set.len; i++)
		define(p, s->set.v[i].key);
	return rc;
}

/* documents: paging: {var, from} with request: (each page's request, the counter in
 * scope), until a page has no items. */
static int parse_paging(struct pctx *p, yaml_node_t *n, struct step *s)
{
	static const char *const keys[] = {"var", "from", NULL};
	yaml_node_t *v = get(p, n, "paging"), *w;
	int rc = 0;
	if (v) {
		if (s->kind != ST_DOCUMENTS)
			return cf_error(&p->cf, v, "paging: goes with documents only");
		if (!is_map(v))
			return cf_error(&p->cf, v, "paging must be a mapping such as {var: page, from: 1}");
		rc |= check_keys_of(p, v, "paging", keys);
		if ((w = get(p, v, "var")))
			rc |= want_string(p, w, "var", &s->page_var);
		else
			rc = cf_error(&p->cf, v, "paging needs var: (the page counter's name)");
		s->page_from = 1;
		if ((w = get(p, v, "from"))) {
			const char *t = cf_scalar(w);
			char *end;
			s->page_from = t ? strtol(t, &end, 10) : -1;
			if (!t || *end || s->page_from < 0 || s->page_from > 1000000)
				rc = cf_error(&p->cf, w, "from must be a page number (0 or more)");
		}
		if (s->page_var)
			define(p, s->page_var);
	}
	if ((w = get(p, n, "request"))) {
		if (s->kind != ST_DOCUMENTS || !v)
			rc = cf_error(&p->cf, w, "request: in a loop goes with documents and paging:");
		else
			rc |= parse_request(p, w, &s->list);
	} else if (v) {
		rc = cf_error(&p->cf, v, "paging needs request: (how each page is asked for)");
	}
	return rc;
}

/* foreach / points / documents */
static int parse_loop(struct pctx *p, yaml_node_t *n, struct step *s)
{
	yaml_node_t *v;
	int rc = 0;
	struct strlist saved = p->scope, copy = {0};
	const char *const *allowed = s->kind == ST_DOCUMENTS ? doc_fields :
				     s->kind == ST_POINTS ? point_fields : NULL;

	if (!is_map(n))
		return cf_error(&p->cf, n, "%s must be a mapping (items, fields, ...)",
				step_kind_names[s->kind]);
	rc |= check_keys_of(p, n, step_kind_names[s->kind], loop_keys);
	if ((v = get(p, n, "items")))
		rc |= parse_rx(p, v, &s->items, false, false, RX_TEXT);
	else
		rc = cf_error(&p->cf, n, "%s needs items: (what to go through)",
			      step_kind_names[s->kind]);
	if ((v = get(p, n, "as"))) {
		if (s->kind != ST_FOREACH)
			rc = cf_error(&p->cf, v, "as: goes with foreach only");
		rc |= want_string(p, v, "as", &s->as);
	}
	if (!s->as)
		s->as = xstrdup(s->kind == ST_POINTS ? "point" : s->kind == ST_DOCUMENTS ? "doc" :
				"item");
	for (size_t i = 0; i < saved.len; i++)
		strlist_add(&copy, saved.items[i]);
	p->scope = copy;
	rc |= parse_paging(p, n, s);
	if ((v = get(p, n, "empty_when")))
		rc |= parse_checks(p, v, &s->empty_when, false);
	if ((v = get(p, n, "fields")))
		rc |= parse_captures(p, v, &s->fields, s->as, allowed, false);
	{
		char *rec = xasprintf("%s.*", s->as);
		define(p, rec);
		free(rec);
	}
	if (s->kind == ST_POINTS && !(v && get(p, v, "id")))
		rc = cf_error(&p->cf, n, "points needs fields: {id: ...}");
	if (s->kind == ST_DOCUMENTS && !(v && get(p, v, "id")))
		rc = cf_error(&p->cf, n, "documents needs fields: {id: ...}");
	p->depth++;
	if ((v = get(p, n, "steps"))) {
		if (s->kind == ST_DOCUMENTS)
			rc = cf_error(&p->cf, v, "documents takes download:, not steps:");
		else
			rc |= parse_steps(p, v, &s->body);
	}
	if ((v = get(p, n, "only_with"))) {
		if (s->kind != ST_DOCUMENTS)
			rc = cf_error(&p->cf, v, "only_with: goes with documents only");
		rc |= want_string(p, v, "only_with", &s->only_with);
	}
	if ((v = get(p, n, "before"))) {
		if (s->kind != ST_DOCUMENTS)
			rc = cf_error(&p->cf, v, "before: goes with documents only");
		else
			rc |= parse_steps(p, v, &s->before);
	}
	p->depth--;
	if ((v = get(p, n, "next"))) {
		if (s->kind != ST_DOCUMENTS)
			rc = cf_error(&p->cf, v, "next: goes with documents only");
		else if (s->page_var)
			rc = cf_error(&p->cf, v, "give next: or paging:, not both");
		rc |= parse_rx(p, v, &s->next, false, false, RX_TEXT);
	}
	s->max_pages = 50;
	if ((v = get(p, n, "max_pages"))) {
		const char *t = cf_scalar(v);
		char *end;
		s->max_pages = t ? strtol(t, &end, 10) : 0;
		if (!t || *end || s->max_pages < 1 || s->max_pages > 10000)
			rc = cf_error(&p->cf, v, "max_pages must be 1..10000");
	}
	if (s->kind == ST_DOCUMENTS) {
		if ((v = get(p, n, "download")) && cf_scalar(v) && !strcmp(cf_scalar(v), "none"))
			s->no_download = true;
		else if (v)
			rc |= parse_request(p, v, &s->download);
		else if (!(v = get(p, n, "fields")) || !get(p, v, "link"))
			rc = cf_error(&p->cf, n, "documents needs a link field or download:");
		else
			s->download.url = xstrdup("{doc.link}");
	} else if ((v = get(p, n, "download"))) {
		rc = cf_error(&p->cf, v, "download: goes with documents only");
	}
	strlist_free(&p->scope);
	p->scope = saved;
	return rc;
}

static const enum step_kind action_kinds[] = {
	ST_REQUEST, ST_SUBMIT, ST_SET, ST_OTP, ST_FOREACH, ST_POINTS, ST_DOCUMENTS, ST_PKCE,
};

/* pkce: NAME — NAME.verifier, NAME.challenge, NAME.method, NAME.state, NAME.nonce */
static int parse_pkce(struct pctx *p, yaml_node_t *n, struct step *s)
{
	const char *name = cf_scalar(n);
	if (!name || !*name || strchr(name, '.') || strchr(name, '{'))
		return cf_error(&p->cf, n, "pkce takes a plain name, such as pkce: pkce");
	s->pkce_as = xstrdup(name);
	char *rec = xasprintf("%s.*", name);
	define(p, rec);
	free(rec);
	return 0;
}

static int parse_action(struct pctx *p, yaml_node_t *v, struct step *s)
{
	switch (s->kind) {
	case ST_REQUEST: return parse_request(p, v, &s->req);
	case ST_SUBMIT: return parse_submit(p, v, s);
	case ST_SET: return parse_set(p, v, s);
	case ST_OTP: return parse_otp(p, v, s);
	case ST_PKCE: return parse_pkce(p, v, s);
	default: return parse_loop(p, v, s);
	}
}

static int parse_step(struct pctx *p, yaml_node_t *n, struct step *s, size_t index)
{
	yaml_node_t *v, *action = NULL;
	int rc = 0;

	s->pos = cf_pos(&p->cf, n);
	if (!is_map(n))
		return cf_error(&p->cf, n, "a step must be a mapping such as {request: URL}");
	rc |= check_keys_of(p, n, "step", step_keys);
	if ((v = get(p, n, "name")))
		rc |= want_string(p, v, "name", &s->name);
	if (!s->name)
		s->name = xasprintf("%s step %zu", p->section, index + 1);
	s->kind = ST_PAGE;
	for (size_t i = 0; i < ARRAY_LEN(action_kinds); i++) {
		if (!(v = get(p, n, step_kind_names[action_kinds[i]])))
			continue;
		if (action)
			return cf_error(&p->cf, v, "a step does one thing: '%s' and '%s' both given",
					step_kind_names[s->kind], step_kind_names[action_kinds[i]]);
		action = v;
		s->kind = action_kinds[i];
	}
	if (action && parse_action(p, action, s) < 0)
		rc = -1;
	/* checks see the page before captures of this step are set */
	if ((v = get(p, n, "fail_if")))
		rc |= parse_checks(p, v, &s->fail_if, true);
	if ((v = get(p, n, "expect")))
		rc |= parse_checks(p, v, &s->expect, false);
	if ((v = get(p, n, "capture")))
		rc |= parse_captures(p, v, &s->captures, NULL, NULL, true);
	if (rc == 0 && !action && !s->captures.len && !s->fail_if.len && !s->expect.len)
		rc = cf_error(&p->cf, n, "empty step");
	return rc ? -1 : 0;
}

static int parse_steps(struct pctx *p, yaml_node_t *n, struct steps *out)
{
	int rc = 0;
	if (!is_seq(n))
		return cf_error(&p->cf, n, "%s must be a list of steps", p->section);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		out->v = xrealloc(out->v, (out->len + 1) * sizeof(*out->v));
		memset(&out->v[out->len], 0, sizeof(*out->v));
		rc |= parse_step(p, yaml_document_get_node(p->cf.doc, *it), &out->v[out->len],
				 out->len);
		out->len++;
	}
	return rc;
}

/* ---- the recipe ------------------------------------------------------------------- */

/* follows: [{source: "owner/repo path", version: "commit or release"}, ...] */
static int parse_follows(struct pctx *p, yaml_node_t *n, struct recipe *r)
{
	static const char *const keys[] = {"source", "version", NULL};
	int rc = 0;
	if (!is_seq(n))
		return cf_error(&p->cf, n, "follows must be a list of {source, version}");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = yaml_document_get_node(p->cf.doc, *it), *v;
		struct follow f = {0};
		if (!is_map(e)) {
			rc = cf_error(&p->cf, e, "follows: each entry is {source, version}");
			continue;
		}
		rc |= check_keys_of(p, e, "follows", keys);
		if ((v = get(p, e, "source")))
			rc |= want_string(p, v, "source", &f.source);
		else
			rc = cf_error(&p->cf, e, "follows: an entry needs source:");
		if ((v = get(p, e, "version")))
			rc |= want_string(p, v, "version", &f.version);
		r->follows = xrealloc(r->follows, (r->nfollows + 1) * sizeof(*r->follows));
		r->follows[r->nfollows++] = f;
	}
	return rc;
}

static int parse_top(struct pctx *p, yaml_node_t *root, struct recipe *r)
{
	yaml_node_t *v;
	int rc = 0;
	static const char *const sections[] = {"login", "check", "fetch"};
	struct steps *lists[] = {&r->login, &r->check, &r->fetch};

	if (!is_map(root))
		return cf_error(&p->cf, root, "a recipe is a mapping (title, base_url, login, "
				"fetch, ...)");
	rc |= check_keys_of(p, root, "recipe", top_keys);
	if ((v = get(p, root, "title")))
		rc |= want_string(p, v, "title", &r->title);
	if ((v = get(p, root, "about")))
		rc |= want_string(p, v, "about", &r->about);
	if ((v = get(p, root, "base_url"))) {
		rc |= want_string(p, v, "base_url", &r->base_url);
		if (r->base_url && !str_starts_with(r->base_url, "https://") &&
		    !str_starts_with(r->base_url, "http://"))
			rc = cf_error(&p->cf, v, "base_url must start with https://");
	} else {
		rc = cf_error(&p->cf, root, "recipe needs base_url");
	}
	r->delay_ms = 1000;
	if ((v = get(p, root, "delay")) &&
	    (!cf_scalar(v) || recipe_parse_delay(cf_scalar(v), &r->delay_ms) < 0))
		rc = cf_error(&p->cf, v, "delay must be a duration such as 1s or 250ms");
	if ((v = get(p, root, "headers")))
		rc |= parse_kvlist_checked(p, v, "headers", &r->headers, false);
	if ((v = get(p, root, "follows")))
		rc |= parse_follows(p, v, r);
	if ((v = get(p, root, "checked")))
		rc |= want_string(p, v, "checked", &r->checked);
	if ((v = get(p, root, "live")))
		rc |= want_string(p, v, "live", &r->live);
	for (int i = 0; recipe_builtin_vars[i]; i++)
		define(p, recipe_builtin_vars[i]);
	for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
		p->section = sections[i];
		if ((v = get(p, root, sections[i])))
			rc |= parse_steps(p, v, lists[i]);
		else if (i != 1)
			rc = cf_error(&p->cf, root, "recipe needs a %s: list", sections[i]);
	}
	return rc;
}

int recipe_parse_delay(const char *s, int64_t *ms)
{
	char *end;
	int64_t secs;
	if (str_ends_with(s, "ms")) {
		long long v = strtoll(s, &end, 10);
		if (end == s || end != s + strlen(s) - 2 || v < 0 || v > 3600 * 1000)
			return -1;
		*ms = v;
		return 0;
	}
	if (cf_parse_duration(s, &secs) < 0 || secs < 0 || secs > 3600)
		return -1;
	*ms = secs * 1000;
	return 0;
}

static char *provider_id(const char *path)
{
	const char *base = strrchr(path, '/');
	char *id = xstrdup(base ? base + 1 : path);
	char *dot = strrchr(id, '.');
	if (dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0))
		*dot = '\0';
	return id;
}

struct recipe *recipe_load_string(const char *name, const char *text, size_t len,
				  struct diag *diag)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yaml_load_error yerr;
	struct recipe *r;
	struct pctx p = {0};
	size_t errors_before = diag->errors;
	const char *file = intern(name);

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int loaded = yaml_load_next(&parser, &doc, &yerr);
	yaml_parser_delete(&parser);
	if (loaded < 0) {
		diag_add(diag, (struct conf_pos){file, yerr.line, yerr.col}, false, "%s", yerr.msg);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->id = provider_id(name);
	r->path = file;
	p.cf = (struct cf_ctx){.doc = &doc, .file = file, .diag = diag};
	p.section = "recipe";
	if (!loaded || !yaml_document_get_root_node(&doc))
		diag_add(diag, (struct conf_pos){file, 1, 1}, false, "empty recipe");
	else
		parse_top(&p, yaml_document_get_root_node(&doc), r);
	if (p.old)
		diag_add(diag, p.first_old, true,
			 "%zu placeholder(s) in the old spelling {{name}} (deprecated): write {name}, "
			 "and {name:url} for {{name|url}}", p.old);
	strlist_free(&p.scope);
	if (loaded)
		yaml_document_delete(&doc);
	if (diag->errors > errors_before) {
		recipe_free(r);
		return NULL;
	}
	return r;
}

/* A recipe says where a portal's credentials are sent: only root or goniec's own user
 * may change it or its folder (see fileperm.h). */
static int recipe_file_safe(const char *path, struct gerr *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	struct stat st;
	int rc = 0;
	if (slash && stat(dir, &st) == 0)
		rc = perm_check_config(dir, &st, err);
	if (rc == 0 && stat(path, &st) == 0)
		rc = perm_check_config(path, &st, err);
	free(dir);
	return rc;
}

struct recipe *recipe_load(const char *path, struct diag *diag)
{
	char *text;
	size_t len;
	struct gerr err;
	struct recipe *r;
	if (recipe_file_safe(path, &err) != 0 || read_file(path, 1 << 20, &text, &len, &err) < 0) {
		diag_add(diag, (struct conf_pos){intern(path), 0, 0}, false, "%s", err.msg);
		return NULL;
	}
	r = recipe_load_string(path, text, len, diag);
	free(text);
	return r;
}

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->title);
	free(r->about);
	free(r->base_url);
	for (size_t i = 0; i < r->nfollows; i++) {
		free(r->follows[i].source);
		free(r->follows[i].version);
	}
	free(r->follows);
	free(r->checked);
	free(r->live);
	kvlist_free(&r->headers);
	steps_free(&r->login);
	steps_free(&r->check);
	steps_free(&r->fetch);
	free(r);
}

char *recipe_find(const char *confdir, const char *provider)
{
	const char *env = getenv("GONIEC_PROVIDERS_DIR");
	char *dirs[2], *found = NULL;

	if (strchr(provider, '/') || provider[0] == '.' || !provider[0])
		return NULL;
	dirs[0] = path_join(confdir, "providers");
	dirs[1] = env ? xstrdup(env) : xasprintf("%s/goniec/providers", GONIEC_DATADIR);
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], provider);
		if (!found && access(path, R_OK) == 0)
			found = path;
		else
			free(path);
		free(dirs[i]);
	}
	return found;
}
