/* engine — runs recipe steps. See engine.h. */
#include "sources/portal/engine.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/log.h"

int engine_init(struct engine *e, const struct recipe *r, const struct http_opts *o,
		const struct engine_hooks *hooks, const char *tmp_dir, struct gerr *err)
{
	memset(e, 0, sizeof(*e));
	e->recipe = r;
	e->hooks = *hooks;
	e->tmp_dir = tmp_dir;
	ex_page_init(&e->page, "", 0);
	return http_init(&e->http, o, err);
}

void engine_reset_page(struct engine *e)
{
	http_response_free(&e->resp);
	ex_page_free(&e->page);
	ex_page_init(&e->page, "", 0);
}

void engine_free(struct engine *e)
{
	http_response_free(&e->resp);
	ex_page_free(&e->page);
	vars_free(&e->vars);
	http_cleanup(&e->http);
}

static enum portal_error fail(struct engine *e, const struct step *s, enum portal_error pe,
			      const char *fmt, ...) PRINTF_LIKE(4, 5);
static enum portal_error fail(struct engine *e, const struct step *s, enum portal_error pe,
			      const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gerr_set(&e->err, "%s (%s:%d): %s", s->name, s->pos.file, s->pos.line, msg);
	return pe;
}

static struct ex_ctx page_ctx(struct engine *e)
{
	return ex_page_ctx(&e->page);
}

static void set_page(struct engine *e, struct http_response *r)
{
	http_response_free(&e->resp);
	e->resp = *r;
	memset(r, 0, sizeof(*r));
	ex_page_free(&e->page);
	ex_page_init(&e->page, e->resp.body.data, e->resp.body.len);
}

/* ---- values ----------------------------------------------------------------------- */

/* Evaluate a value in ctx. *out is NULL when nothing was found and that is allowed. */
static int rx_eval(struct engine *e, const struct ex_ctx *ctx, const struct rx *x, char **out,
		   const char **currency, struct gerr *err)
{
	struct strlist vals = {0};
	char *v = NULL;

	*out = NULL;
	if (x->is_template) {
		if (vars_expand(x->expr, &e->vars, &v, err) < 0)
			return -1;
	} else if (x->kind == EX_HEADER || x->kind == EX_COOKIE) {
		const char *h = x->kind == EX_HEADER ? http_header(&e->resp, x->expr) : NULL;
		v = x->kind == EX_HEADER ? (h ? xstrdup(h) : NULL) : http_cookie(&e->http, x->expr);
	} else {
		if (ex_values(ctx, x->kind, x->expr, x->group, &vals, err) < 0)
			return -1;
		for (size_t i = 0; i < vals.len && !v; i++)
			if (vals.items[i][0])
				v = xstrdup(vals.items[i]);
		strlist_free(&vals);
	}
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	if (!v) {
		if (x->dflt)
			*out = xstrdup(x->dflt);
		else if (!x->optional)
			return gerr_set(err, "found nothing for %s '%s'",
					x->is_template ? "template" : ex_kind_names[x->kind], x->expr);
		return 0;
	}
	if (x->type == RX_DATE) {
		char d[11];
		if (ex_parse_date(v, x->format, d) < 0) {
			free(v);
			return gerr_set(err, "%s '%s' gave something that is not a date",
					ex_kind_names[x->kind], x->expr);
		}
		free(v);
		v = xstrdup(d);
	} else if (x->type == RX_AMOUNT) {
		char a[32];
		if (ex_parse_amount(v, a, currency) < 0) {
			free(v);
			return gerr_set(err, "%s '%s' gave something that is not an amount",
					ex_kind_names[x->kind], x->expr);
		}
		free(v);
		v = xstrdup(a);
	}
	*out = v;
	return 0;
}

/* ---- requests --------------------------------------------------------------------- */

struct call_parts {
	char *url, *body, *content_type, *method;
	struct strlist headers;
};

/* Free a list of names and values that may hold a secret (the password), wiping them. */
static void pairs_free(struct strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free_secret(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

static void parts_free(struct call_parts *p)
{
	free(p->url);
	free_secret(p->body);
	free(p->content_type);
	free(p->method);
	pairs_free(&p->headers);
}

static void form_append(struct buf *b, const char *k, const char *v)
{
	char *ek = curl_easy_escape(NULL, k, 0), *ev = curl_easy_escape(NULL, v, 0);
	if (b->len)
		buf_puts(b, "&");
	buf_printf(b, "%s=%s", ek ? ek : "", ev ? ev : "");
	curl_free(ek);
	curl_free(ev);
}

static int add_query(char **url, const char *k, const char *v, struct gerr *err)
{
	CURLU *u = curl_url();
	char *kv = xasprintf("%s=%s", k, v), *out = NULL;
	int rc = 0;
	if (curl_url_set(u, CURLUPART_URL, *url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, kv, CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		rc = gerr_set(err, "cannot add query parameter '%s'", k);
	} else {
		free(*url);
		*url = xstrdup(out);
	}
	curl_free(out);
	free_secret(kv);
	curl_url_cleanup(u);
	return rc;
}

/* The URL a template gives, resolved against the current page or the recipe's base. */
static int make_url(struct engine *e, const char *tmpl, char **out, struct gerr *err)
{
	char *rel;
	const char *base = e->resp.url ? e->resp.url : e->recipe->base_url;
	if (vars_expand(tmpl, &e->vars, &rel, err) < 0)
		return -1;
	if (rel[0] == '/' && rel[1] != '/' && e->resp.url == NULL)
		base = e->recipe->base_url;
	*out = http_url_resolve(base, rel);
	if (!*out) {
		char *m = http_url_for_message(rel);
		gerr_set(err, "'%s' is not an http(s) URL", m);
		free(m);
	}
	free(rel);
	return *out ? 0 : -1;
}

static int expand_kv(struct engine *e, const struct kvlist *l, struct strlist *pairs,
		     struct gerr *err)
{
	for (size_t i = 0; i < l->len; i++) {
		char *v;
		if (vars_expand(l->v[i].tmpl, &e->vars, &v, err) < 0)
			return gerr_prefix(err, "%s", l->v[i].key);
		strlist_add(pairs, l->v[i].key);
		strlist_add(pairs, v);
		free_secret(v);
	}
	return 0;
}

static void set_form_body(struct call_parts *p, const struct strlist *pairs)
{
	struct buf b = {0};
	for (size_t i = 0; i + 1 < pairs->len; i += 2)
		form_append(&b, pairs->items[i], pairs->items[i + 1]);
	p->body = buf_take(&b);
	p->content_type = xstrdup("application/x-www-form-urlencoded");
}

/* The recipe's own headers whose variables all have values, unless the step sets them;
 * only towards the portal itself (a token must not follow a link to another host). */
static void add_recipe_headers(struct engine *e, const char *url,
			       const struct kvlist *step_headers, struct strlist *out)
{
	const struct kvlist *rh = &e->recipe->headers;
	if (rh->len == 0 || !http_url_same_origin(url, e->recipe->base_url))
		return;
	for (size_t i = 0; i < rh->len; i++) {
		char *v, *h;
		struct gerr err;
		bool own = false;
		for (size_t k = 0; k < step_headers->len && !own; k++)
			own = strcasecmp(step_headers->v[k].key, rh->v[i].key) == 0;
		if (own || vars_expand(rh->v[i].tmpl, &e->vars, &v, &err) < 0)
			continue;
		h = xasprintf("%s: %s", rh->v[i].key, v);
		strlist_add(out, h);
		free_secret(h);
		free_secret(v);
	}
}

/* Build a call from a request; `pairs` (key, value, ...) are form fields already made
 * (submit), or NULL. */
static int build_call(struct engine *e, const struct request *rq, const char *url,
		      const struct strlist *form_pairs, struct call_parts *p, struct gerr *err)
{
	struct strlist pairs = {0};
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (url)
		p->url = xstrdup(url);
	else if (make_url(e, rq->url, &p->url, err) < 0)
		goto out;
	if (expand_kv(e, &rq->query, &pairs, err) < 0)
		goto out;
	for (size_t i = 0; i + 1 < pairs.len; i += 2)
		if (add_query(&p->url, pairs.items[i], pairs.items[i + 1], err) < 0)
			goto out;
	pairs_free(&pairs);
	if (form_pairs) {
		set_form_body(p, form_pairs);
	} else if (rq->form.len) {
		if (expand_kv(e, &rq->form, &pairs, err) < 0)
			goto out;
		set_form_body(p, &pairs);
	} else if (rq->json.len) {
		json_t *o = json_object();
		if (expand_kv(e, &rq->json, &pairs, err) < 0) {
			json_decref(o);
			goto out;
		}
		for (size_t i = 0; i + 1 < pairs.len; i += 2)
			json_object_set_new(o, pairs.items[i], json_string(pairs.items[i + 1]));
		p->body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		p->content_type = xstrdup("application/json");
	} else if (rq->body) {
		if (vars_expand(rq->body, &e->vars, &p->body, err) < 0)
			goto out;
	}
	if (rq->content_type) {
		free(p->content_type);
		p->content_type = xstrdup(rq->content_type);
	}
	pairs_free(&pairs);
	if (expand_kv(e, &rq->headers, &pairs, err) < 0)
		goto out;
	for (size_t i = 0; i + 1 < pairs.len; i += 2) {
		char *h = xasprintf("%s: %s", pairs.items[i], pairs.items[i + 1]);
		strlist_add(&p->headers, h);
		free_secret(h);
	}
	add_recipe_headers(e, p->url, &rq->headers, &p->headers);
	p->method = xstrdup(rq->method ? rq->method : p->body ? "POST" : "GET");
	rc = 0;
out:
	pairs_free(&pairs);
	if (rc < 0)
		parts_free(p);
	return rc;
}

static int send_parts(struct engine *e, const struct call_parts *p, int fd,
		      struct http_response *resp, struct gerr *err)
{
	struct http_call c = {
		.method = p->method, .url = p->url, .headers = &p->headers, .body = p->body,
		.body_len = p->body ? strlen(p->body) : 0, .content_type = p->content_type,
	};
	return http_send(&e->http, &c, fd, resp, err);
}

static enum portal_error do_request(struct engine *e, const struct step *s,
				    const struct request *rq, const char *url,
				    const struct strlist *form_pairs)
{
	struct call_parts p;
	struct http_response r = {0};
	struct gerr err;

	if (build_call(e, rq, url, form_pairs, &p, &err) < 0)
		return fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
	if (send_parts(e, &p, -1, &r, &err) < 0) {
		parts_free(&p);
		http_response_free(&r);
		return fail(e, s, PE_UNAVAILABLE, "%s", err.msg);
	}
	parts_free(&p);
	set_page(e, &r);
	return PE_NONE;
}

/* ---- forms ------------------------------------------------------------------------ */

static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? xstrdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

static bool named(xmlNodePtr n, const char *name)
{
	return n->name && strcasecmp((const char *)n->name, name) == 0;
}

/* The value a form control submits, or NULL when it submits nothing. */
static char *control_value(xmlNodePtr n)
{
	if (named(n, "input")) {
		char *type = prop(n, "type"), *v = NULL;
		bool skip = type && (!strcasecmp(type, "submit") || !strcasecmp(type, "button") ||
				     !strcasecmp(type, "image") || !strcasecmp(type, "reset") ||
				     !strcasecmp(type, "file"));
		bool check = type && (!strcasecmp(type, "checkbox") || !strcasecmp(type, "radio"));
		char *checked = check ? prop(n, "checked") : NULL;
		if (!skip && (!check || checked)) {
			v = prop(n, "value");
			if (!v)
				v = xstrdup(check ? "on" : "");
		}
		free(checked);
		free(type);
		return v;
	}
	if (named(n, "textarea")) {
		xmlChar *c = xmlNodeGetContent(n);
		char *v = xstrdup(c ? (const char *)c : "");
		xmlFree(c);
		return v;
	}
	if (named(n, "select")) {
		char *first = NULL;
		for (xmlNodePtr o = n->children; o; o = o->next) {
			char *sel;
			if (o->type != XML_ELEMENT_NODE || !named(o, "option"))
				continue;
			sel = prop(o, "selected");
			if (sel || !first) {
				char *v = prop(o, "value");
				if (!v) {
					xmlChar *c = xmlNodeGetContent(o);
					v = xstrdup(c ? (const char *)c : "");
					xmlFree(c);
				}
				free(first);
				first = v;
			}
			if (sel) {
				free(sel);
				break;
			}
		}
		return first;
	}
	return NULL;
}

static void pairs_put(struct strlist *pairs, const char *k, const char *v)
{
	for (size_t i = 0; i + 1 < pairs->len; i += 2)
		if (strcmp(pairs->items[i], k) == 0) {
			free_secret(pairs->items[i + 1]);
			pairs->items[i + 1] = xstrdup(v);
			return;
		}
	strlist_add(pairs, k);
	strlist_add(pairs, v);
}

static enum portal_error do_submit(struct engine *e, const struct step *s)
{
	struct ex_ctx pc = page_ctx(e);
	struct ex_items forms = {0}, ctrls = {0};
	struct strlist pairs = {0}, given = {0};
	struct gerr err;
	const char *fx = s->form_xpath ? s->form_xpath : "//form";
	char *action = NULL, *method = NULL, *url = NULL;
	enum portal_error pe = PE_NONE;

	if (ex_items(&pc, EX_XPATH, fx, -1, &forms, &err) < 0 || forms.len == 0 ||
	    forms.items[0].kind != CTX_NODE) {
		pe = fail(e, s, PE_SITE_CHANGED, "expected a form at xpath '%s'", fx);
		goto out;
	}
	if (ex_items(&forms.items[0], EX_XPATH, ".//input|.//select|.//textarea", -1, &ctrls,
		     &err) < 0) {
		pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < ctrls.len; i++) {
		char *name = prop(ctrls.items[i].node, "name"), *v;
		if (name && *name && (v = control_value(ctrls.items[i].node))) {
			pairs_put(&pairs, name, v);
			free_secret(v);
		}
		free(name);
	}
	if (expand_kv(e, &s->req.form, &given, &err) < 0) {
		pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i + 1 < given.len; i += 2)
		pairs_put(&pairs, given.items[i], given.items[i + 1]);
	action = prop(forms.items[0].node, "action");
	method = prop(forms.items[0].node, "method");
	if (s->req.url) {
		if (make_url(e, s->req.url, &url, &err) < 0) {
			pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
			goto out;
		}
	} else {
		url = http_url_resolve(e->resp.url, action && *action ? action : e->resp.url);
		if (!url) {
			pe = fail(e, s, PE_SITE_CHANGED, "the form's action is not an http(s) URL");
			goto out;
		}
	}
	if (method && !strcasecmp(method, "get")) {
		for (size_t i = 0; i + 1 < pairs.len && pe == PE_NONE; i += 2)
			if (add_query(&url, pairs.items[i], pairs.items[i + 1], &err) < 0)
				pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
		if (pe == PE_NONE) {
			struct request get = {.headers = s->req.headers};
			pe = do_request(e, s, &get, url, NULL);
		}
	} else {
		pe = do_request(e, s, &s->req, url, &pairs);
	}
out:
	free(action);
	free(method);
	free(url);
	pairs_free(&pairs);
	pairs_free(&given);
	ex_items_free(&ctrls);
	ex_items_free(&forms);
	return pe;
}

/* ---- checks and captures ---------------------------------------------------------- */

static bool check_matches(struct engine *e, const struct check *c, struct gerr *err)
{
	if (c->status)
		return e->resp.status == c->status;
	if (c->url_contains)
		return e->resp.url && strstr(e->resp.url, c->url_contains);
	if (c->contains)
		return memmem(e->page.body, e->page.len, c->contains, strlen(c->contains)) != NULL;
	{
		struct ex_ctx pc = page_ctx(e);
		return ex_matches(&pc, c->rx.kind, c->rx.expr, c->rx.group, err);
	}
}

static const char *check_what(const struct check *c, char *buf, size_t n)
{
	if (c->status)
		snprintf(buf, n, "HTTP status %ld", c->status);
	else if (c->url_contains)
		snprintf(buf, n, "a URL containing '%s'", c->url_contains);
	else if (c->contains)
		snprintf(buf, n, "a page containing '%s'", c->contains);
	else
		snprintf(buf, n, "%s '%s'", ex_kind_names[c->rx.kind], c->rx.expr);
	return buf;
}

static enum portal_error run_checks(struct engine *e, const struct step *s)
{
	char what[600];
	struct gerr err;
	for (size_t i = 0; i < s->fail_if.len; i++) {
		const struct check *c = &s->fail_if.v[i];
		if (check_matches(e, c, &err))
			return fail(e, s, c->error, "%s", c->message ? c->message :
				    check_what(c, what, sizeof(what)));
	}
	for (size_t i = 0; i < s->expect.len; i++) {
		const struct check *c = &s->expect.v[i];
		err.msg[0] = '\0';
		if (!check_matches(e, c, &err)) {
			char *u = http_url_for_message(e->resp.url ? e->resp.url : "(no page)");
			enum portal_error pe = fail(e, s, PE_SITE_CHANGED, "expected %s on %s%s%s",
						    check_what(c, what, sizeof(what)), u,
						    err.msg[0] ? ": " : "", err.msg);
			free(u);
			return pe;
		}
	}
	return PE_NONE;
}

static enum portal_error run_captures(struct engine *e, const struct step *s)
{
	struct ex_ctx pc = page_ctx(e);
	for (size_t i = 0; i < s->captures.len; i++) {
		const struct capture *c = &s->captures.v[i];
		char *v;
		struct gerr err;
		if (rx_eval(e, &pc, &c->rx, &v, NULL, &err) < 0)
			return fail(e, s, PE_SITE_CHANGED, "capture '%s': %s", c->name, err.msg);
		if (v)
			vars_set(&e->vars, c->name, v, VAR_SESSION);
		free(v);
	}
	return PE_NONE;
}

static enum portal_error status_check(struct engine *e, const struct step *s)
{
	if (e->resp.status >= 400) {
		char *u = http_url_for_message(e->resp.url ? e->resp.url : "");
		enum portal_error pe = fail(e, s, e->resp.status >= 500 ? PE_UNAVAILABLE :
					    PE_SITE_CHANGED, "HTTP %ld from %s", e->resp.status, u);
		free(u);
		return pe;
	}
	return PE_NONE;
}

/* ---- loops ------------------------------------------------------------------------ */

struct records {
	struct vars *v;
	size_t len;
};

static void records_free(struct records *r)
{
	for (size_t i = 0; i < r->len; i++)
		vars_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void record_set(struct engine *e, const char *as, const struct vars *rec)
{
	vars_unset_record(&e->vars, as);
	for (size_t i = 0; i < rec->len; i++) {
		char *n = xasprintf("%s.%s", as, rec->v[i].name);
		vars_set(&e->vars, n, rec->v[i].value, 0);
		free(n);
	}
}

/* Extract every item's fields from the current page. */
static enum portal_error build_records(struct engine *e, const struct step *s,
				       struct records *out)
{
	struct ex_ctx pc = page_ctx(e);
	struct ex_items items = {0};
	struct gerr err;
	enum portal_error pe = PE_NONE;

	if (ex_items(&pc, s->items.kind, s->items.expr, s->items.group, &items, &err) < 0)
		return fail(e, s, PE_SITE_CHANGED, "items: %s", err.msg);
	for (size_t i = 0; i < items.len && pe == PE_NONE; i++) {
		struct vars rec = {0};
		vars_unset_record(&e->vars, s->as);
		for (size_t f = 0; f < s->fields.len && pe == PE_NONE; f++) {
			const struct capture *c = &s->fields.v[f];
			const char *cur = NULL;
			char *v, *n;
			if (rx_eval(e, &items.items[i], &c->rx, &v, &cur, &err) < 0) {
				pe = fail(e, s, PE_SITE_CHANGED, "item %zu, field '%s': %s", i + 1,
					  c->name, err.msg);
				break;
			}
			if (v && strcmp(c->name, "link") == 0) {
				char *abs = http_url_resolve(e->resp.url ? e->resp.url : e->recipe->base_url, v);
				free(v);
				v = abs;
			}
			if (!v)
				continue;
			vars_set(&rec, c->name, v, 0);
			if (cur && !vars_get(&rec, "currency"))
				vars_set(&rec, "currency", cur, 0);
			n = xasprintf("%s.%s", s->as, c->name);
			vars_set(&e->vars, n, v, 0);
			free(n);
			free(v);
		}
		out->v = xrealloc(out->v, (out->len + 1) * sizeof(*out->v));
		out->v[out->len++] = rec;
	}
	ex_items_free(&items);
	return pe;
}

static enum portal_error run_body(struct engine *e, const struct step *s, struct records *recs)
{
	enum portal_error pe = PE_NONE;
	for (size_t i = 0; i < recs->len && pe == PE_NONE; i++) {
		if (s->kind == ST_POINTS &&
		    !e->hooks.point(e->hooks.ud, vars_get(&recs->v[i], "id"),
				    vars_get(&recs->v[i], "name")))
			continue;
		record_set(e, s->as, &recs->v[i]);
		pe = engine_run(e, &s->body, 0);
	}
	vars_unset_record(&e->vars, s->as);
	return pe;
}

static int open_tmp(const char *dir)
{
	int fd = open(dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char *t = xasprintf("%s/.portal-XXXXXX", dir ? dir : "/tmp");
		fd = mkostemp(t, O_CLOEXEC);
		if (fd >= 0)
			unlink(t);
		free(t);
	}
	return fd;
}

static void doc_from_vars(struct engine *e, struct doc_info *d)
{
	const struct vars *v = &e->vars;
	d->id = vars_get(v, "doc.id");
	d->number = vars_get(v, "doc.number");
	d->issue_date = vars_get(v, "doc.issue_date");
	d->due_date = vars_get(v, "doc.due_date");
	d->period_from = vars_get(v, "doc.period_from");
	d->period_to = vars_get(v, "doc.period_to");
	d->gross = vars_get(v, "doc.gross");
	d->net = vars_get(v, "doc.net");
	d->currency = vars_get(v, "doc.currency");
	d->point = vars_get(v, "doc.point") ? vars_get(v, "doc.point") : vars_get(v, "point.id");
	d->link = vars_get(v, "doc.link");
	d->name = vars_get(v, "doc.name");
}

static bool is_pdf(int fd)
{
	char head[5];
	return pread(fd, head, sizeof(head), 0) == sizeof(head) && memcmp(head, "%PDF-", 5) == 0;
}

/* Download one document. A failure of this document alone is counted and logged;
 * PE_UNAVAILABLE stops the run (the portal is not answering). */
static enum portal_error download(struct engine *e, const struct step *s,
				  const struct doc_info *d)
{
	struct call_parts p;
	struct http_response r = {0};
	struct gerr err;
	enum portal_error pe = PE_NONE;
	int fd;

	if (build_call(e, &s->download, NULL, NULL, &p, &err) < 0) {
		e->doc_failures++;
		log_warn("portal %s: document %s: %s", e->recipe->id, d->id, err.msg);
		return PE_NONE;
	}
	fd = open_tmp(e->tmp_dir);
	if (fd < 0) {
		parts_free(&p);
		return fail(e, s, PE_UNAVAILABLE, "cannot create a temporary file in %s",
			    e->tmp_dir ? e->tmp_dir : "/tmp");
	}
	if (send_parts(e, &p, fd, &r, &err) < 0) {
		pe = fail(e, s, PE_UNAVAILABLE, "document %s: %s", d->id, err.msg);
	} else if (r.status >= 400 || !is_pdf(fd)) {
		e->doc_failures++;
		if (r.status >= 400)
			log_warn("portal %s: document %s: HTTP %ld", e->recipe->id, d->id, r.status);
		else
			log_warn("portal %s: document %s: the link gave %s instead of a PDF; not filed",
				 e->recipe->id, d->id, r.content_type ? r.content_type : "something");
	} else if (lseek(fd, 0, SEEK_SET) < 0 || e->hooks.file(e->hooks.ud, d, fd, &err) < 0) {
		e->doc_failures++;
		log_warn("portal %s: document %s: %s", e->recipe->id, d->id, err.msg);
	}
	close(fd);
	http_response_free(&r);
	parts_free(&p);
	return pe;
}

static enum portal_error do_documents(struct engine *e, const struct step *s)
{
	enum portal_error pe = PE_NONE;
	for (long page = 1; pe == PE_NONE; page++) {
		struct records recs = {0};
		char *next = NULL;
		struct gerr err;
		struct ex_ctx pc = page_ctx(e);

		pe = build_records(e, s, &recs);
		if (pe == PE_NONE && s->next.set) {
			char *rel;
			if (rx_eval(e, &pc, &s->next, &rel, NULL, &err) < 0)
				pe = fail(e, s, PE_SITE_CHANGED, "next: %s", err.msg);
			else if (rel)
				next = http_url_resolve(e->resp.url, rel);
			free(rel);
		}
		for (size_t i = 0; i < recs.len && pe == PE_NONE; i++) {
			struct doc_info d;
			record_set(e, s->as, &recs.v[i]);
			doc_from_vars(e, &d);
			e->documents++;
			if (e->hooks.want(e->hooks.ud, &d))
				pe = download(e, s, &d);
		}
		records_free(&recs);
		vars_unset_record(&e->vars, s->as);
		if (pe == PE_NONE && next && page < s->max_pages) {
			struct request get = {0};
			pe = do_request(e, s, &get, next, NULL);
			if (pe == PE_NONE)
				pe = run_checks(e, s);
			if (pe == PE_NONE)
				pe = status_check(e, s);
		}
		if (!next || page >= s->max_pages) {
			free(next);
			break;
		}
		free(next);
	}
	return pe;
}

/* ---- steps ------------------------------------------------------------------------ */

static enum portal_error do_set(struct engine *e, const struct step *s)
{
	for (size_t i = 0; i < s->set.len; i++) {
		char *v;
		struct gerr err;
		if (vars_expand(s->set.v[i].tmpl, &e->vars, &v, &err) < 0)
			return fail(e, s, PE_SITE_CHANGED, "set %s: %s", s->set.v[i].key, err.msg);
		vars_set(&e->vars, s->set.v[i].key, v, VAR_SESSION);
		free(v);
	}
	return PE_NONE;
}

static enum portal_error do_action(struct engine *e, const struct step *s, size_t index)
{
	switch (s->kind) {
	case ST_PAGE: return PE_NONE;
	case ST_REQUEST: return do_request(e, s, &s->req, NULL, NULL);
	case ST_SUBMIT: return do_submit(e, s);
	case ST_SET: return do_set(e, s);
	case ST_OTP:
		if (vars_get(&e->vars, s->otp_var))
			return PE_NONE;
		e->resume_at = index;
		return fail(e, s, PE_CODE_NEEDED, "%s",
			    s->otp_prompt ? s->otp_prompt : "a one-time code is needed");
	case ST_FOREACH:
	case ST_POINTS: {
		struct records recs = {0};
		enum portal_error pe = build_records(e, s, &recs);
		if (pe == PE_NONE)
			pe = run_body(e, s, &recs);
		records_free(&recs);
		return pe;
	}
	case ST_DOCUMENTS: return do_documents(e, s);
	}
	return PE_NONE;
}

enum portal_error engine_run(struct engine *e, const struct steps *steps, size_t start)
{
	for (size_t i = start; i < steps->len; i++) {
		const struct step *s = &steps->v[i];
		bool fetched = s->kind == ST_REQUEST || s->kind == ST_SUBMIT;
		bool loop = s->kind == ST_FOREACH || s->kind == ST_POINTS || s->kind == ST_DOCUMENTS;
		/* a loop's checks look at the page it starts from */
		enum portal_error pe = loop ? run_checks(e, s) : PE_NONE;
		if (pe == PE_NONE)
			pe = do_action(e, s, i);
		if (pe == PE_NONE && (fetched || s->kind == ST_PAGE))
			pe = run_checks(e, s);
		if (pe == PE_NONE && fetched)
			pe = status_check(e, s);
		if (pe == PE_NONE)
			pe = run_captures(e, s);
		if (pe != PE_NONE)
			return pe;
	}
	return PE_NONE;
}
