/* extract — XPath / JSONPath / regex over portal pages; amounts and dates. See extract.h. */
#include "sources/portal/extract.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <libxml/xpath.h>

#include "core/base64.h"
#include "core/regexcost.h"

const char *const ex_kind_names[] = {"xpath", "jsonpath", "regex", "header", "cookie",
				     "url_param", "jwt", NULL};

#define MAX_VALUES 100000

/* libxml2 would print parser and XPath complaints on stderr; pages are hostile and
 * messages are ours to make. */
static void quiet_xml(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_structured(void *ctx, const xmlError *e)
{
	(void)ctx;
	(void)e;
}

static void xml_quiet(void)
{
	static bool done;
	if (!done) {
		xmlSetGenericErrorFunc(NULL, quiet_xml);
		xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)quiet_structured);
		done = true;
	}
}

void ex_page_init(struct ex_page *p, const char *body, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->body = xmalloc(len + 1);
	memcpy(p->body, body, len);
	p->body[len] = '\0';
	p->len = len;
}

void ex_page_free(struct ex_page *p)
{
	if (p->html)
		xmlFreeDoc(p->html);
	json_decref(p->json);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

struct ex_ctx ex_page_ctx(struct ex_page *p)
{
	return (struct ex_ctx){.kind = CTX_PAGE, .page = p};
}

static htmlDocPtr page_html(struct ex_page *p, struct gerr *err)
{
	if (!p->html_tried) {
		p->html_tried = true;
		xml_quiet();
		if (p->len > 0 && p->len < (size_t)1 << 30)
			p->html = htmlReadMemory(p->body, (int)p->len, "page.html", NULL,
						 HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
						 HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	}
	if (!p->html)
		gerr_set(err, "page is empty or not HTML");
	return p->html;
}

static json_t *page_json(struct ex_page *p, struct gerr *err)
{
	if (!p->json_tried) {
		json_error_t je;
		p->json_tried = true;
		p->json = json_loadb(p->body, p->len, JSON_DECODE_ANY, &je);
		if (!p->json) {
			gerr_set(err, "page is not JSON (line %d, column %d)", je.line, je.column);
			return NULL;
		}
	}
	if (!p->json)
		gerr_set(err, "page is not JSON");
	return p->json;
}

/* ---- text helpers --------------------------------------------------------------- */

/* Collapse runs of ASCII white space into one space and trim. */
static char *squeeze(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	bool space = false;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static char *node_text(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s = squeeze(c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

static char *json_text(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return xstrndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: return xasprintf("%.15g", json_real_value(v));
	case JSON_TRUE: return xstrdup("true");
	case JSON_FALSE: return xstrdup("false");
	case JSON_NULL: return NULL;
	default: {
		char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		char *s = xstrdup(d ? d : "");
		free(d);
		return s;
	}
	}
}

/* The text a regex runs over in this context (owned by the caller). */
static char *ctx_text(const struct ex_ctx *ctx)
{
	switch (ctx->kind) {
	case CTX_PAGE: return xstrdup(ctx->page->body);
	case CTX_NODE: return node_text(ctx->node);
	case CTX_JSON: {
		char *s = json_text(ctx->json);
		return s ? s : xstrdup("");
	}
	case CTX_TEXT: return xstrdup(ctx->text);
	}
	return xstrdup("");
}

/* ---- XPath ---------------------------------------------------------------------- */

static xmlXPathObjectPtr xpath_eval(const struct ex_ctx *ctx, const char *expr,
				    struct gerr *err)
{
	htmlDocPtr doc;
	xmlXPathContextPtr xc;
	xmlXPathObjectPtr res;

	if (ctx->kind == CTX_JSON || ctx->kind == CTX_TEXT) {
		gerr_set(err, "XPath '%s' used on a %s item", expr,
			 ctx->kind == CTX_JSON ? "JSON" : "text");
		return NULL;
	}
	doc = page_html(ctx->page, err);
	if (!doc)
		return NULL;
	xc = xmlXPathNewContext(doc);
	if (ctx->kind == CTX_NODE)
		xc->node = ctx->node;
	res = xmlXPathEvalExpression((const xmlChar *)expr, xc);
	xmlXPathFreeContext(xc);
	if (!res)
		gerr_set(err, "bad XPath '%s'", expr);
	return res;
}

static int xpath_values(const struct ex_ctx *ctx, const char *expr, struct strlist *out,
			struct gerr *err)
{
	xmlXPathObjectPtr r = xpath_eval(ctx, expr, err);
	if (!r)
		return -1;
	switch (r->type) {
	case XPATH_NODESET:
		for (int i = 0; r->nodesetval && i < r->nodesetval->nodeNr && i < MAX_VALUES; i++) {
			char *s = node_text(r->nodesetval->nodeTab[i]);
			strlist_add(out, s);
			free(s);
		}
		break;
	case XPATH_BOOLEAN:
		if (r->boolval)
			strlist_add(out, "true");
		break;
	case XPATH_NUMBER: {
		char *s = xasprintf("%.15g", r->floatval);
		if (r->floatval == r->floatval) /* NaN: nothing */
			strlist_add(out, s);
		free(s);
		break;
	}
	case XPATH_STRING: {
		char *s = squeeze((const char *)r->stringval);
		strlist_add(out, s);
		free(s);
		break;
	}
	default:
		break;
	}
	xmlXPathFreeObject(r);
	return 0;
}

static void items_add(struct ex_items *it, struct ex_ctx c)
{
	it->items = xrealloc(it->items, (it->len + 1) * sizeof(*it->items));
	it->items[it->len++] = c;
}

static int xpath_items(const struct ex_ctx *ctx, const char *expr, struct ex_items *out,
		       struct gerr *err)
{
	xmlXPathObjectPtr r = xpath_eval(ctx, expr, err);
	if (!r)
		return -1;
	if (r->type == XPATH_NODESET && r->nodesetval) {
		for (int i = 0; i < r->nodesetval->nodeNr && i < MAX_VALUES; i++)
			items_add(out, (struct ex_ctx){.kind = CTX_NODE, .page = ctx->page,
						       .node = r->nodesetval->nodeTab[i]});
	} else if (r->type == XPATH_STRING) {
		items_add(out, (struct ex_ctx){.kind = CTX_TEXT, .page = ctx->page,
					       .text = xstrdup((const char *)r->stringval)});
	}
	xmlXPathFreeObject(r);
	return 0;
}

/* ---- JSONPath subset -------------------------------------------------------------- */

enum jp_op { JP_KEY, JP_INDEX, JP_ALL, JP_DESCEND };
struct jp_step {
	enum jp_op op;
	char *key;
	long index;
};
struct jpath {
	struct jp_step *steps;
	size_t len;
};

static void jpath_free(struct jpath *jp)
{
	for (size_t i = 0; i < jp->len; i++)
		free(jp->steps[i].key);
	free(jp->steps);
}

static void jp_add(struct jpath *jp, enum jp_op op, char *key, long index)
{
	jp->steps = xrealloc(jp->steps, (jp->len + 1) * sizeof(*jp->steps));
	jp->steps[jp->len++] = (struct jp_step){op, key, index};
}

static size_t name_len(const char *p)
{
	size_t n = strcspn(p, ".[]'\" \t\r\n");
	return n;
}

static int jp_bracket(struct jpath *jp, const char **pp, const char *expr, struct gerr *err)
{
	const char *p = *pp + 1;
	if (*p == '*' && p[1] == ']') {
		jp_add(jp, JP_ALL, NULL, 0);
		*pp = p + 2;
		return 0;
	}
	if (*p == '\'' || *p == '"') {
		const char *end = strchr(p + 1, *p);
		if (!end || end[1] != ']')
			return gerr_set(err, "bad JSONPath '%s': unclosed quoted key", expr);
		jp_add(jp, JP_KEY, xstrndup(p + 1, (size_t)(end - p - 1)), 0);
		*pp = end + 2;
		return 0;
	}
	char *end;
	long n = strtol(p, &end, 10);
	if (end == p || *end != ']' || n > 1000000 || n < -1000000)
		return gerr_set(err, "bad JSONPath '%s': expected [number], ['key'] or [*]", expr);
	jp_add(jp, JP_INDEX, NULL, n);
	*pp = end + 1;
	return 0;
}

static int jpath_parse(const char *expr, struct jpath *jp, struct gerr *err)
{
	const char *p = expr;
	memset(jp, 0, sizeof(*jp));
	if (*p != '$')
		return gerr_set(err, "bad JSONPath '%s': must start with '$'", expr);
	p++;
	while (*p) {
		size_t n;
		if (p[0] == '.' && p[1] == '.') {
			p += 2;
			n = name_len(p);
			if (n == 0)
				goto bad;
			jp_add(jp, JP_DESCEND, xstrndup(p, n), 0);
			p += n;
		} else if (*p == '.') {
			p++;
			if (*p == '*') {
				jp_add(jp, JP_ALL, NULL, 0);
				p++;
				continue;
			}
			n = name_len(p);
			if (n == 0)
				goto bad;
			jp_add(jp, JP_KEY, xstrndup(p, n), 0);
			p += n;
		} else if (*p == '[') {
			if (jp_bracket(jp, &p, expr, err) < 0) {
				jpath_free(jp);
				return -1;
			}
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	jpath_free(jp);
	return gerr_set(err, "bad JSONPath '%s' at offset %zu", expr, (size_t)(p - expr));
}

struct jp_results {
	json_t **v;
	size_t len;
};

static void jr_add(struct jp_results *r, json_t *v)
{
	if (r->len >= MAX_VALUES)
		return;
	r->v = xrealloc(r->v, (r->len + 1) * sizeof(*r->v));
	r->v[r->len++] = v;
}

static void jp_eval(json_t *node, const struct jpath *jp, size_t i, struct jp_results *r);

static void jp_descend(json_t *node, const struct jpath *jp, size_t i, struct jp_results *r)
{
	const char *k;
	json_t *v;
	size_t idx;
	if (json_is_object(node)) {
		json_t *hit = json_object_get(node, jp->steps[i].key);
		if (hit)
			jp_eval(hit, jp, i + 1, r);
		json_object_foreach(node, k, v)
			jp_descend(v, jp, i, r);
	} else if (json_is_array(node)) {
		json_array_foreach(node, idx, v)
			jp_descend(v, jp, i, r);
	}
}

static void jp_eval(json_t *node, const struct jpath *jp, size_t i, struct jp_results *r)
{
	const struct jp_step *s;
	const char *k;
	json_t *v;
	size_t idx;

	if (i == jp->len) {
		jr_add(r, node);
		return;
	}
	s = &jp->steps[i];
	switch (s->op) {
	case JP_KEY:
		if ((v = json_object_get(node, s->key)))
			jp_eval(v, jp, i + 1, r);
		break;
	case JP_INDEX: {
		long n = s->index, size = (long)json_array_size(node);
		if (n < 0)
			n += size;
		if (n >= 0 && n < size)
			jp_eval(json_array_get(node, (size_t)n), jp, i + 1, r);
		break;
	}
	case JP_ALL:
		if (json_is_array(node)) {
			json_array_foreach(node, idx, v)
				jp_eval(v, jp, i + 1, r);
		} else if (json_is_object(node)) {
			json_object_foreach(node, k, v)
				jp_eval(v, jp, i + 1, r);
		}
		break;
	case JP_DESCEND:
		jp_descend(node, jp, i, r);
		break;
	}
}

static int jsonpath_select(const struct ex_ctx *ctx, const char *expr, struct jp_results *r,
			   struct gerr *err)
{
	struct jpath jp;
	json_t *root;

	if (jpath_parse(expr, &jp, err) < 0)
		return -1;
	if (ctx->kind == CTX_JSON) {
		root = ctx->json;
	} else if (ctx->kind == CTX_PAGE) {
		root = page_json(ctx->page, err);
	} else {
		gerr_set(err, "JSONPath '%s' used on an HTML or text item", expr);
		root = NULL;
	}
	if (root)
		jp_eval(root, &jp, 0, r);
	jpath_free(&jp);
	return root ? 0 : -1;
}

static int jsonpath_values(const struct ex_ctx *ctx, const char *expr, struct strlist *out,
			   struct gerr *err)
{
	struct jp_results r = {0};
	if (jsonpath_select(ctx, expr, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r.len; i++) {
		char *s = json_text(r.v[i]);
		if (s)
			strlist_add(out, s);
		free(s);
	}
	free(r.v);
	return 0;
}

static int jsonpath_items(const struct ex_ctx *ctx, const char *expr, struct ex_items *out,
			  struct gerr *err)
{
	struct jp_results r = {0};
	if (jsonpath_select(ctx, expr, &r, err) < 0)
		return -1;
	for (size_t i = 0; i < r.len; i++)
		items_add(out, (struct ex_ctx){.kind = CTX_JSON, .page = ctx->page, .json = r.v[i]});
	free(r.v);
	return 0;
}

/* ---- regex ---------------------------------------------------------------------- */

static int regex_compile(regex_t *re, const char *expr, int *group, struct gerr *err)
{
	int rc;
	if (strlen(expr) > 512)
		return gerr_set(err, "regex longer than 512 characters");
	if (regex_expanded_size(expr) > REGEX_EXPANDED_MAX) /* (see core/regexcost.h) */
		return gerr_set(err, "bad regex '%s': repetition of a repetition", expr);
	rc = regcomp(re, expr, REG_EXTENDED);
	if (rc != 0) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		regfree(re);
		return gerr_set(err, "bad regex '%s': %s", expr, msg);
	}
	if (*group < 0)
		*group = re->re_nsub > 0 ? 1 : 0;
	if ((size_t)*group > re->re_nsub || *group > 9) {
		regfree(re);
		return gerr_set(err, "regex '%s' has no group %d", expr, *group);
	}
	return 0;
}

static int regex_values(const struct ex_ctx *ctx, const char *expr, int group,
			struct strlist *out, struct gerr *err)
{
	regex_t re;
	regmatch_t m[10];
	char *text, *p;
	int flags = 0;

	if (regex_compile(&re, expr, &group, err) < 0)
		return -1;
	text = ctx_text(ctx);
	p = text;
	for (size_t n = 0; n < MAX_VALUES && regexec(&re, p, 10, m, flags) == 0; n++) {
		if (m[group].rm_so >= 0) {
			char *v = xstrndup(p + m[group].rm_so, (size_t)(m[group].rm_eo - m[group].rm_so));
			strlist_add(out, v);
			free(v);
		}
		if (m[0].rm_eo == 0) {
			if (!*p)
				break;
			p++;
		} else {
			p += m[0].rm_eo;
		}
		flags = REG_NOTBOL;
	}
	free(text);
	regfree(&re);
	return 0;
}

/* ---- public --------------------------------------------------------------------- */

int ex_values(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
	      struct strlist *out, struct gerr *err)
{
	switch (kind) {
	case EX_XPATH: return xpath_values(ctx, expr, out, err);
	case EX_JSONPATH: return jsonpath_values(ctx, expr, out, err);
	case EX_REGEX: return regex_values(ctx, expr, group, out, err);
	default: return gerr_set(err, "%s is not available here", ex_kind_names[kind]);
	}
}

int ex_items(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
	     struct ex_items *out, struct gerr *err)
{
	switch (kind) {
	case EX_XPATH: return xpath_items(ctx, expr, out, err);
	case EX_JSONPATH: return jsonpath_items(ctx, expr, out, err);
	case EX_REGEX: {
		struct strlist vals = {0};
		if (regex_values(ctx, expr, group, &vals, err) < 0)
			return -1;
		for (size_t i = 0; i < vals.len; i++)
			items_add(out, (struct ex_ctx){.kind = CTX_TEXT, .page = ctx->page,
						       .text = xstrdup(vals.items[i])});
		strlist_free(&vals);
		return 0;
	}
	default: return gerr_set(err, "%s cannot select items", ex_kind_names[kind]);
	}
}

void ex_items_free(struct ex_items *items)
{
	for (size_t i = 0; i < items->len; i++)
		free(items->items[i].text);
	free(items->items);
	items->items = NULL;
	items->len = 0;
}

bool ex_matches(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
		struct gerr *err)
{
	struct strlist vals = {0};
	bool hit = false;
	if (kind == EX_XPATH) {
		xmlXPathObjectPtr r = xpath_eval(ctx, expr, err);
		if (!r)
			return false;
		hit = xmlXPathCastToBoolean(r) != 0;
		xmlXPathFreeObject(r);
		return hit;
	}
	if (ex_values(ctx, kind, expr, group, &vals, err) < 0)
		return false;
	for (size_t i = 0; i < vals.len && !hit; i++)
		hit = kind == EX_REGEX || (vals.items[i][0] && strcmp(vals.items[i], "false") != 0);
	strlist_free(&vals);
	return hit;
}

int ex_check(enum ex_kind kind, const char *expr, struct gerr *err)
{
	switch (kind) {
	case EX_XPATH: {
		xmlXPathCompExprPtr c;
		xml_quiet();
		c = xmlXPathCompile((const xmlChar *)expr);
		if (!c)
			return gerr_set(err, "bad XPath '%s'", expr);
		xmlXPathFreeCompExpr(c);
		return 0;
	}
	case EX_JSONPATH: {
		struct jpath jp;
		if (jpath_parse(expr, &jp, err) < 0)
			return -1;
		jpath_free(&jp);
		return 0;
	}
	case EX_REGEX: {
		regex_t re;
		int group = -1;
		if (regex_compile(&re, expr, &group, err) < 0)
			return -1;
		regfree(&re);
		return 0;
	}
	default:
		if (!*expr)
			return gerr_set(err, "empty %s name", ex_kind_names[kind]);
		return 0;
	}
}

/* ---- URLs, tokens, single matches ----------------------------------------------- */

/* The value of `name` in "a=1&b=2" (n bytes), percent-decoded, or NULL. */
static char *param_in(const char *s, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *end = s + n;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		if ((size_t)(stop - s) > nl && strncmp(s, name, nl) == 0 && s[nl] == '=') {
			int len = 0;
			char *v = curl_easy_unescape(NULL, s + nl + 1, (int)(stop - s - nl - 1), &len);
			char *out = v ? xstrndup(v, (size_t)len) : NULL;
			curl_free(v);
			return out;
		}
		s = stop + 1;
	}
	return NULL;
}

char *ex_url_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?'), *f = strchr(url, '#');
	char *v = NULL;
	if (q && (!f || q < f))
		v = param_in(q + 1, f ? (size_t)(f - q - 1) : strlen(q + 1), name);
	if (!v && f)
		v = param_in(f + 1, strlen(f + 1), name);
	return v;
}

int ex_jwt_claim(const char *token, const char *claim, char **out, struct gerr *err)
{
	const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	unsigned char *payload;
	size_t len;
	json_error_t je;
	json_t *root, *v;
	char *path, *save = NULL;

	*out = NULL;
	if (!dot1 || !dot2 || strchr(dot2 + 1, '.'))
		return gerr_set(err, "the token is not a JWT (header.payload.signature)");
	if (b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &len, err) < 0)
		return gerr_prefix(err, "the JWT's payload");
	root = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &je);
	free_secret((char *)payload);
	if (!json_is_object(root)) {
		json_decref(root);
		return gerr_set(err, "the JWT's payload is not a JSON object");
	}
	path = xstrdup(claim);
	v = root;
	for (char *part = strtok_r(path, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
		v = json_object_get(v, part);
	free(path);
	if (json_is_string(v))
		*out = xstrdup(json_string_value(v));
	else if (json_is_integer(v) || json_is_real(v) || json_is_boolean(v))
		*out = json_dumps(v, JSON_ENCODE_ANY);
	json_decref(root);
	return *out ? 0 : gerr_set(err, "the JWT has no claim '%s'", claim);
}

char *ex_regex_first(const char *text, const char *re_text, struct gerr *err)
{
	regex_t re;
	regmatch_t m[10];
	int group = -1;
	char *v = NULL;
	if (regex_compile(&re, re_text, &group, err) < 0)
		return NULL;
	if (regexec(&re, text, 10, m, 0) == 0 && m[group].rm_so >= 0)
		v = xstrndup(text + m[group].rm_so, (size_t)(m[group].rm_eo - m[group].rm_so));
	regfree(&re);
	return v;
}

/* ---- amounts and dates ---------------------------------------------------------- */

/* Length of a thousands-separating space at p (ASCII, U+00A0, U+202F), else 0. */
static size_t space_len(const char *p)
{
	if (*p == ' ' || *p == '\t')
		return 1;
	if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0)
		return 2;
	if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xAF)
		return 3;
	return 0;
}

static const char *skip_spaces(const char *p)
{
	size_t n;
	while ((n = space_len(p)) > 0)
		p += n;
	return p;
}

static const char *currency_word(const char **pp)
{
	static const struct { const char *word, *code; } words[] = {
		{"zł", "PLN"}, {"zl", "PLN"}, {"PLN", "PLN"}, {"EUR", "EUR"}, {"€", "EUR"},
		{"USD", "USD"}, {"GBP", "GBP"}, {"CHF", "CHF"},
	};
	for (size_t i = 0; i < ARRAY_LEN(words); i++) {
		size_t n = strlen(words[i].word);
		if (strncasecmp(*pp, words[i].word, n) == 0) {
			*pp += n;
			if (**pp == '.')
				(*pp)++;
			return words[i].code;
		}
	}
	return NULL;
}

int ex_parse_amount(const char *text, char out[32], const char **currency)
{
	char digits[32];
	size_t nd = 0, decimals_at = (size_t)-1;
	const char *p = skip_spaces(text), *cur;
	bool neg = false;

	cur = currency_word(&p);
	p = skip_spaces(p);
	if (*p == '-' || *p == '+') {
		neg = *p == '-';
		p = skip_spaces(p + 1);
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	while (*p) {
		size_t sl;
		if (isdigit((unsigned char)*p)) {
			if (nd >= 24)
				return -1;
			digits[nd++] = *p++;
		} else if (*p == ',' || *p == '.') {
			size_t run = strspn(p + 1, "0123456789");
			if (run == 0)
				break;
			if (run != 3 || *p == ',' ) {
				/* the decimal separator: must be the last one */
				if (decimals_at != (size_t)-1)
					return -1;
				decimals_at = nd;
			}
			p++;
		} else if ((sl = space_len(p)) > 0 && isdigit((unsigned char)p[sl]) &&
			   decimals_at == (size_t)-1) {
			p += sl;
		} else {
			break;
		}
	}
	p = skip_spaces(p);
	if (*p) {
		const char *c = currency_word(&p);
		if (!c || cur)
			return -1;
		cur = c;
		p = skip_spaces(p);
		if (*p)
			return -1;
	}
	if (decimals_at == (size_t)-1)
		decimals_at = nd;
	{
		size_t ndec = nd - decimals_at, o = 0;
		if (neg)
			out[o++] = '-';
		memcpy(out + o, digits, decimals_at);
		o += decimals_at;
		out[o++] = '.';
		memcpy(out + o, digits + decimals_at, ndec);
		o += ndec;
		for (; ndec < 2; ndec++)
			out[o++] = '0';
		out[o] = '\0';
	}
	if (currency)
		*currency = cur;
	return 0;
}

static int date_with(const char *text, const char *format, char out[11])
{
	struct tm tm = {.tm_mday = 1}, check; /* a month and year alone mean the 1st */
	const char *end = strptime(text, format, &tm);
	time_t t;

	if (!end || *skip_spaces(end))
		return -1;
	check = tm;
	t = timegm(&check);
	if (t == (time_t)-1 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon ||
	    tm.tm_year < 0 || tm.tm_year > 8099)
		return -1;
	strftime(out, 11, "%Y-%m-%d", &check);
	return 0;
}

int ex_parse_date(const char *text, const char *format, char out[11])
{
	static const char *const usual[] = {"%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"};
	text = skip_spaces(text);
	if (format)
		return date_with(text, format, out);
	for (size_t i = 0; i < ARRAY_LEN(usual); i++) {
		/* ISO timestamps ("2026-11-02T00:00:00Z"): take the date part */
		if (i == 0 && strlen(text) > 10 && text[10] == 'T') {
			char d[11];
			memcpy(d, text, 10);
			d[10] = '\0';
			if (date_with(d, usual[0], out) == 0)
				return 0;
		}
		if (date_with(text, usual[i], out) == 0)
			return 0;
	}
	return -1;
}
