/* engine — runs recipe steps. See engine.h. */
#include "sources/portal/engine.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/log.h"
#include "sources/portal/pkce.h"

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
	gerr_set(&e->err, "step '%s' (%s:%d): %s", s->name, s->pos.file, s->pos.line, msg);
	return pe;
}

/* The site changed: a step found nothing where its recipe expects something. */
static enum portal_error nothing_at(struct engine *e, const struct step *s, const char *what,
				    const char *detail)
{
	char *u = http_url_for_message(e->resp.url ? e->resp.url : "(no page)");
	gerr_set(&e->err, "step '%s' (%s:%d) found nothing at %s on %s%s%s", s->name, s->pos.file,
		 s->pos.line, what, u, detail && *detail ? ": " : "", detail ? detail : "");
	free(u);
	return PE_SITE_CHANGED;
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
	} else if (x->kind == EX_HEADER) {
		const char *h = http_header(&e->resp, x->expr);
		v = h ? xstrdup(h) : NULL;
	} else if (x->kind == EX_COOKIE) {
		v = http_cookie(&e->http, x->expr);
	} else if (x->kind == EX_URL_PARAM) {
		v = e->resp.url ? ex_url_param(e->resp.url, x->expr) : NULL;
	} else if (x->kind == EX_JWT) {
		char *tok;
		if (vars_expand(x->expr, &e->vars, &tok, err) < 0)
			return -1;
		int rc = ex_jwt_claim(tok, x->claim, &v, err);
		free_secret(tok);
		if (rc < 0 && !x->optional && !x->dflt)
			return -1;
	} else {
		if (ex_values(ctx, x->kind, x->expr, x->group, &vals, err) < 0)
			return -1;
		for (size_t i = 0; i < vals.len && !v; i++)
			if (vals.items[i][0])
				v = xstrdup(vals.items[i]);
		strlist_free(&vals);
	}
	if (v && x->match) {
		char *m = ex_regex_first(v, x->match, err);
		free_secret(v);
		v = m;
	}
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	if (!v) {
		if (x->dflt)
			*out = xstrdup(x->dflt);
		else if (!x->optional)
			return gerr_set(err, "found nothing at %s '%s'%s%s",
					x->is_template ? "template" : ex_kind_names[x->kind], x->expr,
					x->match ? " matching " : "", x->match ? x->match : "");
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

/* A request's JSON body: its string leaves rendered as templates, the rest as written. */
static json_t *render_json(struct engine *e, const json_t *tmpl, struct gerr *err)
{
	const char *k;
	json_t *m, *out;
	size_t i;
	if (json_is_string(tmpl)) {
		char *v;
		if (vars_expand(json_string_value(tmpl), &e->vars, &v, err) < 0)
			return NULL;
		out = json_string(v);
		free_secret(v);
		if (!out)
			gerr_set(err, "a JSON value is not UTF-8 text");
		return out;
	}
	if (!json_is_object(tmpl) && !json_is_array(tmpl))
		return json_deep_copy(tmpl);
	out = json_is_object(tmpl) ? json_object() : json_array();
	json_object_foreach((json_t *)tmpl, k, m) {
		json_t *r = render_json(e, m, err);
		if (!r)
			goto bad;
		json_object_set_new(out, k, r);
	}
	json_array_foreach(tmpl, i, m) {
		json_t *r = render_json(e, m, err);
		if (!r)
			goto bad;
		json_array_append_new(out, r);
	}
	return out;
bad:
	json_decref(out);
	return NULL;
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
	} else if (rq->json) {
		json_t *o = render_json(e, rq->json, err);
		if (!o)
			goto out;
		p->body = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
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
		      struct http_response *resp, bool follow, struct gerr *err)
{
	struct http_call c = {
		.method = p->method, .url = p->url, .headers = &p->headers, .body = p->body,
		.body_len = p->body ? strlen(p->body) : 0, .content_type = p->content_type,
		.no_follow = !follow,
	};
	if (trace_replaying(e->trace)) {
		e->http.requests++;
		if (trace_replay(e->trace, &c, fd, resp, err) == 0)
			return 0;
		e->replay_mismatch = true;
		return gerr_prefix(err, "replay");
	}
	if (http_send(&e->http, &c, fd, resp, err) < 0)
		return -1;
	if (e->trace && trace_record(e->trace, &c, resp, fd, err) < 0)
		return gerr_prefix(err, "trace");
	return 0;
}

/* A failed send: the portal did not answer (unavailable), or a replayed trace has another
 * request there (the recipe and the trace disagree: what a changed site looks like). */
static enum portal_error send_failed(struct engine *e, const struct step *s, struct gerr *err)
{
	return fail(e, s, e->replay_mismatch ? PE_SITE_CHANGED : PE_UNAVAILABLE, "%s",
		    err->msg);
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

#define MAX_HOPS 20

/* Follow the redirects of r one at a time (GET) until a Location starts with `stop`: that
 * address becomes r's URL, unfetched (an OAuth2 redirect_uri carrying the code in its
 * query or fragment). */
static enum portal_error follow_until(struct engine *e, const struct step *s,
				      struct http_response *r, const char *stop)
{
	for (int hop = 0; is_redirect(r->status); hop++) {
		const char *loc = http_header(r, "Location");
		struct call_parts g = {0};
		struct gerr err = {0};
		if (loc && str_starts_with(loc, stop)) {
			free(r->url);
			r->url = xstrdup(loc);
			return PE_NONE;
		}
		g.url = loc ? http_url_resolve(r->url, loc) : NULL;
		if (!g.url)
			return fail(e, s, PE_SITE_CHANGED, "got a redirect without a usable Location");
		if (str_starts_with(g.url, stop)) {
			free(r->url);
			r->url = g.url;
			return PE_NONE;
		}
		if (hop >= MAX_HOPS || (str_starts_with(r->url, "https:") &&
					!str_starts_with(g.url, "https:"))) {
			free(g.url);
			if (hop >= MAX_HOPS)
				return fail(e, s, PE_SITE_CHANGED, "followed %d redirects without "
					    "reaching '%s'", MAX_HOPS, stop);
			return fail(e, s, PE_SITE_CHANGED, "was redirected from https to plain http "
				    "(refused) before '%s'", stop);
		}
		g.method = xstrdup("GET");
		add_recipe_headers(e, g.url, &(struct kvlist){0}, &g.headers);
		http_response_free(r);
		int rc = send_parts(e, &g, -1, r, false, &err);
		parts_free(&g);
		if (rc < 0)
			return send_failed(e, s, &err);
	}
	return PE_NONE; /* an answer instead (the login form again): fail_if and capture judge */
}

static enum portal_error auto_submit(struct engine *e, const struct step *s);

static enum portal_error do_request(struct engine *e, const struct step *s,
				    const struct request *rq, const char *url,
				    const struct strlist *form_pairs)
{
	struct call_parts p;
	struct http_response r = {0};
	struct gerr err = {0};
	char *stop = NULL;
	enum portal_error pe = PE_NONE;

	if (build_call(e, rq, url, form_pairs, &p, &err) < 0 ||
	    (rq->stop_at && vars_expand(rq->stop_at, &e->vars, &stop, &err) < 0))
		pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
	else if (send_parts(e, &p, -1, &r, stop == NULL, &err) < 0)
		pe = send_failed(e, s, &err);
	else if (stop)
		pe = follow_until(e, s, &r, stop);
	parts_free(&p);
	free(stop);
	if (pe == PE_NONE)
		set_page(e, &r);
	http_response_free(&r);
	if (pe == PE_NONE && rq->auto_submit)
		pe = auto_submit(e, s);
	return pe;
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

/* Fill in the form at `fx` of the current page (its own values, overlaid with rq's
 * fields) and send it to its action, or to rq's url. */
static enum portal_error submit_form(struct engine *e, const struct step *s, const char *fx,
				     const struct request *rq)
{
	struct ex_ctx pc = page_ctx(e);
	struct ex_items forms = {0}, ctrls = {0};
	struct strlist pairs = {0}, given = {0};
	struct gerr err = {0};
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
			engine_note_secret(e, name, v, false); /* a CSRF token, a SAMLResponse */
			pairs_put(&pairs, name, v);
			free_secret(v);
		}
		free(name);
	}
	if (expand_kv(e, &rq->form, &given, &err) < 0) {
		pe = fail(e, s, PE_SITE_CHANGED, "%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i + 1 < given.len; i += 2)
		pairs_put(&pairs, given.items[i], given.items[i + 1]);
	action = prop(forms.items[0].node, "action");
	method = prop(forms.items[0].node, "method");
	if (rq->url) {
		if (make_url(e, rq->url, &url, &err) < 0) {
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
			struct request get = {.headers = rq->headers};
			pe = do_request(e, s, &get, url, NULL);
		}
	} else {
		pe = do_request(e, s, rq, url, &pairs);
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

static enum portal_error do_submit(struct engine *e, const struct step *s)
{
	return submit_form(e, s, s->form_xpath ? s->form_xpath : "//form", &s->req);
}

/* Does the current page submit a form by script as soon as it loads (a SAML POST
 * binding, a Keycloak or CAS hand-over page)? */
static bool submits_itself(struct engine *e)
{
	struct ex_ctx pc = page_ctx(e);
	struct gerr err = {0};
	return ex_matches(&pc, EX_XPATH, "//form and (//body[contains(@onload,'submit')] or "
			  "//script[contains(.,'.submit()')])", -1, &err);
}

/* auto_submit: send the forms pages submit by script, one after the other. */
static enum portal_error auto_submit(struct engine *e, const struct step *s)
{
	static const struct request none = {0};
	for (int n = 0; submits_itself(e); n++) {
		if (n >= MAX_HOPS)
			return fail(e, s, PE_SITE_CHANGED, "submitted %d forms that submit themselves, "
				    "and the next page is another", MAX_HOPS);
		enum portal_error pe = submit_form(e, s, "(//form)[1]", &none);
		if (pe != PE_NONE)
			return pe;
	}
	return PE_NONE;
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
	struct gerr err = {0};
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
			if (c->rx.set)
				return nothing_at(e, s, check_what(c, what, sizeof(what)), err.msg);
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

void engine_note_secret(struct engine *e, const char *name, const char *value, bool secret)
{
	if (e->trace && value && *value && (secret || trace_secret_name(name)))
		trace_secret(e->trace, value, name);
}

static enum portal_error run_captures(struct engine *e, const struct step *s)
{
	struct ex_ctx pc = page_ctx(e);
	for (size_t i = 0; i < s->captures.len; i++) {
		const struct capture *c = &s->captures.v[i];
		char *v;
		struct gerr err = {0};
		if (rx_eval(e, &pc, &c->rx, &v, NULL, &err) < 0) {
			char what[600];
			snprintf(what, sizeof(what), "capture '%s'", c->name);
			return nothing_at(e, s, what, err.msg);
		}
		if (v) {
			vars_set(&e->vars, c->name, v, VAR_SESSION);
			engine_note_secret(e, c->name, v, c->rx.secret);
		}
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
/* A loop found no items: is that a list the page shows empty on purpose? Yes when an
 * empty_when condition holds, or, for JSONPath items "<list>[*]" or "<list>.*", when
 * <list> is there (an empty array or object). */
static bool empty_on_purpose(struct engine *e, const struct step *s)
{
	struct ex_ctx pc = page_ctx(e);
	struct gerr err = {0};
	for (size_t i = 0; i < s->empty_when.len; i++)
		if (check_matches(e, &s->empty_when.v[i], &err))
			return true;
	if (s->items.kind != EX_JSONPATH)
		return false;
	const char *x = s->items.expr;
	size_t n = strlen(x);
	size_t cut = str_ends_with(x, "[*]") ? 3 : str_ends_with(x, ".*") ? 2 : 0;
	if (!cut || n == cut)
		return false;
	char *list = xstrndup(x, n - cut);
	struct ex_items found = {0};
	bool there = ex_items(&pc, EX_JSONPATH, list, -1, &found, &err) == 0 && found.len == 1 &&
		     found.items[0].kind == CTX_JSON &&
		     (json_is_array(found.items[0].json) || json_is_object(found.items[0].json));
	ex_items_free(&found);
	free(list);
	return there;
}

/* Extract every item's fields from the current page. No item at all is the site having
 * changed, unless the list is empty on purpose or `empty_ok` (a later page). */
static enum portal_error build_records(struct engine *e, const struct step *s,
				       struct records *out, bool empty_ok)
{
	struct ex_ctx pc = page_ctx(e);
	struct ex_items items = {0};
	struct gerr err = {0};
	enum portal_error pe = PE_NONE;
	char what[600];

	snprintf(what, sizeof(what), "%s '%s'", ex_kind_names[s->items.kind], s->items.expr);
	if (ex_items(&pc, s->items.kind, s->items.expr, s->items.group, &items, &err) < 0)
		return nothing_at(e, s, what, err.msg);
	if (items.len == 0 && !empty_ok && !empty_on_purpose(e, s))
		return nothing_at(e, s, what, NULL);
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

/* The document inside a JSON answer (download.base64): decoded into fd. */
static int unwrap_base64(struct engine *e, const struct step *s, const struct http_response *r,
			 int fd, struct gerr *err)
{
	struct ex_page pg;
	struct ex_ctx ctx;
	unsigned char *bytes = NULL;
	size_t len = 0;
	char *text = NULL;
	int rc;

	ex_page_init(&pg, r->body.data ? r->body.data : "", r->body.len);
	ctx = ex_page_ctx(&pg);
	rc = rx_eval(e, &ctx, &s->download.base64, &text, NULL, err);
	if (rc == 0 && !text)
		rc = gerr_set(err, "the answer has no document at %s '%s'",
			      ex_kind_names[s->download.base64.kind], s->download.base64.expr);
	if (rc == 0)
		rc = b64_decode(text, strlen(text), &bytes, &len, err);
	if (rc == 0 && (ftruncate(fd, 0) < 0 || write_all(fd, bytes, len) < 0))
		rc = gerr_sys(err, "temporary file");
	free(bytes);
	free(text);
	ex_page_free(&pg);
	return rc;
}

/* Download one document. A failure of this document alone is counted and logged;
 * PE_UNAVAILABLE stops the run (the portal is not answering). */
static enum portal_error download(struct engine *e, const struct step *s,
				  const struct doc_info *d)
{
	struct call_parts p;
	struct http_response r = {0};
	struct gerr err = {0};
	enum portal_error pe = PE_NONE;
	bool wrapped = s->download.base64.set;
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
	if (send_parts(e, &p, wrapped ? -1 : fd, &r, true, &err) < 0) {
		pe = send_failed(e, s, &err);
	} else if (r.status >= 400) {
		e->doc_failures++;
		log_warn("portal %s: document %s: HTTP %ld", e->recipe->id, d->id, r.status);
	} else if (wrapped && unwrap_base64(e, s, &r, fd, &err) < 0) {
		e->doc_failures++;
		log_warn("portal %s: document %s: %s", e->recipe->id, d->id, err.msg);
	} else if (!is_pdf(fd)) {
		e->doc_failures++;
		log_warn("portal %s: document %s: the %s gave %s instead of a PDF; not filed",
			 e->recipe->id, d->id, wrapped ? "answer's Base64" : "link",
			 r.content_type && !wrapped ? r.content_type : "something");
	} else if (lseek(fd, 0, SEEK_SET) < 0 || e->hooks.file(e->hooks.ud, d, fd, &err) < 0) {
		e->doc_failures++;
		log_warn("portal %s: document %s: %s", e->recipe->id, d->id, err.msg);
	}
	close(fd);
	http_response_free(&r);
	parts_free(&p);
	return pe;
}

/* One document of a list: the steps before its download (a download token), then the
 * download, unless the source has it already. */
static enum portal_error one_document(struct engine *e, const struct step *s,
				      const struct vars *rec)
{
	struct doc_info d;
	enum portal_error pe = PE_NONE;
	record_set(e, s->as, rec);
	doc_from_vars(e, &d);
	if (s->only_with && !vars_get(rec, s->only_with))
		return PE_NONE; /* the portal offers no file for it */
	e->documents++;
	if (!e->hooks.want(e->hooks.ud, &d))
		return PE_NONE;
	if (s->no_download) {
		e->listed_only++;
		log_info("portal %s: invoice %s%s%s listed; its recipe cannot download it (no public "
			 "client shows how)", e->recipe->id, d.id, d.number ? " " : "",
			 d.number ? d.number : "");
		return PE_NONE;
	}
	if (s->before.len)
		pe = engine_run(e, &s->before, 0);
	if (pe == PE_NONE) {
		doc_from_vars(e, &d); /* the steps before may have set more of it */
		pe = download(e, s, &d);
	}
	return pe;
}

/* paging: ask for page `counter` of the list (the request of the step). */
static enum portal_error request_page(struct engine *e, const struct step *s, long counter)
{
	char num[24];
	snprintf(num, sizeof(num), "%ld", counter);
	vars_set(&e->vars, s->page_var, num, 0);
	enum portal_error pe = do_request(e, s, &s->list, NULL, NULL);
	if (pe == PE_NONE)
		pe = run_checks(e, s);
	if (pe == PE_NONE)
		pe = status_check(e, s);
	return pe;
}

/* The next page by its link (next:), resolved; NULL when there is none. */
static enum portal_error next_link(struct engine *e, const struct step *s, char **next)
{
	struct ex_ctx pc = page_ctx(e);
	struct gerr err = {0};
	char *rel = NULL;
	*next = NULL;
	if (!s->next.set)
		return PE_NONE;
	if (rx_eval(e, &pc, &s->next, &rel, NULL, &err) < 0)
		return nothing_at(e, s, "next", err.msg);
	if (rel)
		*next = http_url_resolve(e->resp.url, rel);
	free(rel);
	return PE_NONE;
}

/* documents: the current page's items; more pages by their link (next:) or by counting
 * (paging:, until a page has no items), up to max_pages. */
static enum portal_error do_documents(struct engine *e, const struct step *s)
{
	enum portal_error pe = PE_NONE;
	long counter = s->page_from;
	for (long page = 1; pe == PE_NONE; page++, counter++) {
		struct records recs = {0};
		char *next = NULL;
		if (s->page_var && (pe = request_page(e, s, counter)) != PE_NONE)
			break;
		pe = build_records(e, s, &recs, s->page_var && page > 1);
		if (pe == PE_NONE)
			pe = next_link(e, s, &next);
		bool more = s->page_var ? recs.len > 0 : next != NULL;
		for (size_t i = 0; i < recs.len && pe == PE_NONE; i++)
			pe = one_document(e, s, &recs.v[i]);
		records_free(&recs);
		vars_unset_record(&e->vars, s->as);
		if (pe == PE_NONE && more && page >= s->max_pages)
			log_warn("portal %s: %s: stopped after max_pages (%ld) pages", e->recipe->id,
				 s->name, s->max_pages);
		if (pe == PE_NONE && more && page < s->max_pages && next) {
			struct request get = {0};
			pe = do_request(e, s, &get, next, NULL);
			if (pe == PE_NONE)
				pe = run_checks(e, s);
			if (pe == PE_NONE)
				pe = status_check(e, s);
		}
		free(next);
		if (!more || page >= s->max_pages)
			break;
	}
	return pe;
}

/* ---- steps ------------------------------------------------------------------------ */

static enum portal_error do_set(struct engine *e, const struct step *s)
{
	for (size_t i = 0; i < s->set.len; i++) {
		char *v;
		struct gerr err = {0};
		if (vars_expand(s->set.v[i].tmpl, &e->vars, &v, &err) < 0)
			return fail(e, s, PE_SITE_CHANGED, "set %s: %s", s->set.v[i].key, err.msg);
		vars_set(&e->vars, s->set.v[i].key, v, VAR_SESSION);
		engine_note_secret(e, s->set.v[i].key, v, false);
		free_secret(v);
	}
	return PE_NONE;
}

/* pkce: a fresh verifier, its S256 challenge, a state and a nonce (kept with the session:
 * a login that waits for a code goes on with the same ones). */
static enum portal_error do_pkce(struct engine *e, const struct step *s)
{
	struct pkce k;
	struct gerr err = {0};
	if (pkce_new(&k, &err) < 0)
		return fail(e, s, PE_UNAVAILABLE, "%s", err.msg);
	const char *names[] = {"verifier", "challenge", "method", "state", "nonce"};
	const char *values[] = {k.verifier, k.challenge, "S256", k.state, k.nonce};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *n = xasprintf("%s.%s", s->pkce_as, names[i]);
		vars_set(&e->vars, n, values[i], VAR_SESSION);
		if (i != 2)
			engine_note_secret(e, n, values[i], true);
		free(n);
	}
	pkce_wipe(&k);
	return PE_NONE;
}

static enum portal_error do_action(struct engine *e, const struct step *s, size_t index)
{
	switch (s->kind) {
	case ST_PAGE: return PE_NONE;
	case ST_REQUEST: return do_request(e, s, &s->req, NULL, NULL);
	case ST_SUBMIT: return do_submit(e, s);
	case ST_SET: return do_set(e, s);
	case ST_PKCE: return do_pkce(e, s);
	case ST_OTP:
		if (vars_get(&e->vars, s->otp_var))
			return PE_NONE;
		e->resume_at = index;
		return fail(e, s, PE_CODE_NEEDED, "%s",
			    s->otp_prompt ? s->otp_prompt : "a one-time code is needed");
	case ST_FOREACH:
	case ST_POINTS: {
		struct records recs = {0};
		enum portal_error pe = build_records(e, s, &recs, false);
		if (pe == PE_NONE)
			pe = run_body(e, s, &recs);
		records_free(&recs);
		return pe;
	}
	case ST_DOCUMENTS: return do_documents(e, s);
	}
	return PE_NONE;
}

/* ---- what a failing page shows -------------------------------------------------- */

/* The captcha widget the page shows, or NULL. */
static const char *captcha_on_page(struct engine *e)
{
	static const struct { const char *name, *xpath; } kinds[] = {
		{"reCAPTCHA", "//*[contains(@class,'g-recaptcha')] | //script[contains(@src,"
			      "'recaptcha')] | //iframe[contains(@src,'recaptcha')]"},
		{"hCaptcha", "//*[contains(@class,'h-captcha')] | //script[contains(@src,'hcaptcha')]"},
		{"Cloudflare Turnstile", "//*[contains(@class,'cf-turnstile')] | //script[contains("
					 "@src,'challenges.cloudflare.com')]"},
		{"an image captcha", "//img[contains(@src,'captcha') or contains(@id,'captcha')] | "
				     "//input[contains(@name,'captcha')]"},
	};
	struct ex_ctx pc = page_ctx(e);
	struct gerr err = {0};
	if (!e->resp.content_type || !strstr(e->resp.content_type, "html"))
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (ex_matches(&pc, EX_XPATH, kinds[i].xpath, -1, &err))
			return kinds[i].name;
	return NULL;
}

/* Is the page an application shell that draws its data with scripts: HTML with scripts
 * and almost no text of its own (or a <noscript> asking for JavaScript)? */
static bool needs_javascript(struct engine *e)
{
	struct ex_ctx pc = page_ctx(e);
	struct gerr err = {0};
	if (!e->resp.content_type || !strstr(e->resp.content_type, "html"))
		return false;
	return ex_matches(&pc, EX_XPATH, "//script and (//noscript[contains(translate(., "
			  "'JAVASCRIPT', 'javascript'), 'javascript')] or string-length(normalize-"
			  "space(concat(//body/text(), ' ', //body//*[not(self::script) and "
			  "not(self::style) and not(self::noscript)]/text()))) < 40)", -1, &err);
}

/* A step failed: say so as what the page shows, when it shows a captcha (a person must
 * log in; goniec never solves one) or needs JavaScript to show its data. */
static enum portal_error reclassify(struct engine *e, enum portal_error pe)
{
	const char *captcha;
	char was[sizeof(e->err.msg)];
	if (pe != PE_SITE_CHANGED && pe != PE_BAD_CREDENTIALS)
		return pe;
	snprintf(was, sizeof(was), "%s", e->err.msg);
	if ((captcha = captcha_on_page(e))) {
		gerr_set(&e->err, "the page shows %s (goniec never solves one): %s", captcha, was);
		return PE_CAPTCHA;
	}
	if (pe == PE_SITE_CHANGED && needs_javascript(e)) {
		gerr_set(&e->err, "the page needs JavaScript to show its data, which a recipe "
			 "cannot run: %s", was);
		return PE_NEEDS_JAVASCRIPT;
	}
	return pe;
}

enum portal_error engine_run(struct engine *e, const struct steps *steps, size_t start)
{
	for (size_t i = start; i < steps->len; i++) {
		const struct step *s = &steps->v[i];
		bool fetched = s->kind == ST_REQUEST || s->kind == ST_SUBMIT;
		bool loop = s->kind == ST_FOREACH || s->kind == ST_POINTS || s->kind == ST_DOCUMENTS;
		/* a loop's checks look at the page it starts from */
		enum portal_error pe = loop && !s->page_var ? run_checks(e, s) : PE_NONE;
		if (pe == PE_NONE)
			pe = do_action(e, s, i);
		if (pe == PE_NONE && (fetched || s->kind == ST_PAGE))
			pe = run_checks(e, s);
		if (pe == PE_NONE && fetched)
			pe = status_check(e, s);
		if (pe == PE_NONE)
			pe = run_captures(e, s);
		if (pe != PE_NONE)
			return reclassify(e, pe);
	}
	return PE_NONE;
}
