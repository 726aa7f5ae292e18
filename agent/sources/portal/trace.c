/* trace — record and replay a portal run. See trace.h. */
#include "sources/portal/trace.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/spool.h"

#define MASK_OPEN "\xc2\xab" "masked:"  /* «masked:NAME» */
#define MASK_CLOSE "\xc2\xbb"
#define TRACE_MAX_TEXT (64u << 20)

struct secret {
	char *value;
	char *name;
};

struct trace {
	char *dir;
	bool replay;
	json_t *root;         /* the document; its "exchanges" array */
	json_t *exchanges;    /* borrowed from root */
	size_t pos;           /* next exchange to replay / recorded so far */
	struct secret *secrets;
	size_t nsecrets;
};

static const char *const secret_words[] = {
	"password", "passwd", "haslo", "pin", "token", "secret", "code", "otp", "verifier",
	"challenge", "state", "nonce", "ticket", "session", "cookie", "auth", "saml", NULL,
};

/* Credentials in an answer, whether or not the recipe captured them (a refresh token, a
 * session id): narrower than secret_words, for an answer's "zipCode" or "state" is data
 * a replay needs. */
static const char *const credential_words[] = {
	"token", "secret", "password", "passwd", "session", "ticket", "cookie", NULL,
};

static bool has_word(const char *const *words, const char *name)
{
	for (int i = 0; words[i]; i++)
		if (strcasestr(name, words[i]))
			return true;
	return false;
}

bool trace_secret_name(const char *name)
{
	return has_word(secret_words, name);
}

static bool credential_name(const char *name)
{
	return has_word(credential_words, name);
}

bool trace_replaying(const struct trace *t)
{
	return t && t->replay;
}

size_t trace_position(const struct trace *t)
{
	return t->pos;
}

size_t trace_length(const struct trace *t)
{
	return json_array_size(t->exchanges);
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nsecrets; i++) {
		free_secret(t->secrets[i].value);
		free(t->secrets[i].name);
	}
	free(t->secrets);
	json_decref(t->root);
	free(t->dir);
	free(t);
}

/* ---- recording ------------------------------------------------------------------- */

struct trace *trace_start(const char *dir, const char *recipe_id, const char *base_url,
			  struct gerr *err)
{
	char when[32];
	if (mkdir_p(dir, 0700, err) < 0)
		return NULL;
	struct trace *t = xcalloc(1, sizeof(*t));
	t->dir = xstrdup(dir);
	spool_iso_time(time(NULL), when);
	t->root = json_pack("{s:s,s:s,s:s,s:s?,s:[]}", "format", TRACE_FORMAT, "recipe", recipe_id,
			    "recorded", when, "base_url", base_url, "exchanges");
	t->exchanges = json_object_get(t->root, "exchanges");
	return t;
}

static void add_secret(struct trace *t, const char *value, const char *name)
{
	for (size_t i = 0; i < t->nsecrets; i++)
		if (strcmp(t->secrets[i].value, value) == 0)
			return;
	t->secrets = xrealloc(t->secrets, (t->nsecrets + 1) * sizeof(*t->secrets));
	t->secrets[t->nsecrets++] = (struct secret){xstrdup(value), xstrdup(name)};
}

void trace_secret(struct trace *t, const char *value, const char *name)
{
	if (!t || t->replay || !value || strlen(value) < 3)
		return;
	add_secret(t, value, name);
	/* as it may appear in a URL or inside a JSON string */
	char *esc = curl_easy_escape(NULL, value, 0);
	if (esc && strcmp(esc, value) != 0)
		add_secret(t, esc, name);
	curl_free(esc);
	json_t *js = json_string(value);
	char *dumped = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
	if (dumped && strlen(dumped) >= 2) {
		dumped[strlen(dumped) - 1] = '\0';
		if (strcmp(dumped + 1, value) != 0)
			add_secret(t, dumped + 1, name);
	}
	free_secret(dumped);
	json_decref(js);
}

static bool is_text(const char *ctype, const char *body, size_t len)
{
	if (ctype && (strstr(ctype, "json") || strstr(ctype, "html") || strstr(ctype, "xml") ||
		      strstr(ctype, "text") || strstr(ctype, "javascript")))
		return true;
	return len == 0 || memchr(body, '\0', len) == NULL;
}

/* A JSON string of text, or FALLBACK when the text is not UTF-8. */
static json_t *json_text_or(const char *text, const char *fallback)
{
	json_t *j = json_string(text);
	return j ? j : json_string(fallback);
}

static json_t *strlist_json(const struct strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; l && i < l->len; i++)
		json_array_append_new(a, json_text_or(l->items[i], "(not UTF-8)"));
	return a;
}

/* The answer's body: inline text, or a file of its own. */
static int record_body(struct trace *t, json_t *x, const struct http_response *r, int fd,
		       struct gerr *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc = 0;
	if (fd >= 0) {
		off_t size = lseek(fd, 0, SEEK_END);
		if (size < 0 || (uint64_t)size > TRACE_MAX_TEXT * 4ull)
			return gerr_sys(err, "the download for the trace");
		data = xmalloc((size_t)size + 1);
		if (pread(fd, data, (size_t)size, 0) != size) {
			free(data);
			return gerr_sys(err, "the download for the trace");
		}
		len = (size_t)size;
	}
	const char *body = fd >= 0 ? data : r->body.data ? r->body.data : "";
	if (fd < 0)
		len = r->body.len;
	json_t *text = is_text(r->content_type, body, len) ? json_stringn(body, len) : NULL;
	if (text) {
		json_object_set_new(x, "body", text);
	} else {
		char name[32], *path;
		snprintf(name, sizeof(name), "%04zu.bin", t->pos + 1);
		path = path_join(t->dir, name);
		rc = write_file_atomic(path, body, len, 0600, err);
		free(path);
		json_object_set_new(x, "body_file", json_string(name));
	}
	free(data);
	return rc;
}

/* The values of a URL's query parameters named like a secret that look like credentials
 * (12 characters or more, a digit among them: a Keycloak session_code, a ticket — not a
 * "state=active"), to be masked wherever they appear (the form that held the URL). */
static void url_secrets(struct trace *t, const char *url)
{
	const char *p = strchr(url, '?');
	while (p && *p && *p != '#') {
		p++;
		size_t n = strcspn(p, "&#");
		const char *eq = memchr(p, '=', n);
		if (eq && (size_t)(eq - p + 1) < n) {
			char *key = xstrndup(p, (size_t)(eq - p));
			char *value = xstrndup(eq + 1, n - (size_t)(eq - p + 1));
			if (trace_secret_name(key) && strlen(value) >= 12 && strpbrk(value, "0123456789"))
				trace_secret(t, value, key);
			free(key);
			free_secret(value);
		}
		p += n;
		if (*p != '&')
			break;
	}
}

int trace_record(struct trace *t, const struct http_call *c, const struct http_response *r,
		 int fd, struct gerr *err)
{
	url_secrets(t, c->url);
	json_t *x = json_object();
	json_t *req = json_pack("{s:o}", "headers", strlist_json(c->headers));
	if (c->content_type) {
		char *h = xasprintf("Content-Type: %s", c->content_type);
		json_array_append_new(json_object_get(req, "headers"), json_string(h));
		free(h);
	}
	if (c->body) {
		json_t *b = json_stringn(c->body, c->body_len);
		json_object_set_new(req, "body", b ? b : json_string("(not UTF-8)"));
	}
	json_object_set_new(x, "method", json_string(c->method ? c->method :
						     c->body ? "POST" : "GET"));
	json_object_set_new(x, "url", json_string(c->url));
	json_object_set_new(x, "request", req);
	json_object_set_new(x, "status", json_integer(r->status));
	if (r->url)
		json_object_set_new(x, "url_after", json_string(r->url));
	if (r->content_type)
		json_object_set_new(x, "content_type", json_string(r->content_type));
	json_object_set_new(x, "headers", strlist_json(&r->headers));
	int rc = record_body(t, x, r, fd, err);
	json_array_append_new(t->exchanges, x);
	t->pos++;
	return rc;
}

/* ---- masking --------------------------------------------------------------------- */

static char *mask_of(const struct secret *s)
{
	const char *d1 = strchr(s->value, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (d2 && !strchr(d2 + 1, '.') && d1 - s->value > 8 && d2 - d1 > 8) /* a JWT */
		return xasprintf("%.*s" MASK_OPEN "%s" MASK_CLOSE, (int)(d2 - s->value + 1),
				 s->value, s->name);
	return xasprintf(MASK_OPEN "%s" MASK_CLOSE, s->name);
}

static int by_length(const void *a, const void *b)
{
	size_t la = strlen(((const struct secret *)a)->value);
	size_t lb = strlen(((const struct secret *)b)->value);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* text with every registered secret replaced (longest first). */
static char *mask_values(const struct trace *t, const char *text)
{
	char *cur = xstrdup(text);
	for (size_t i = 0; i < t->nsecrets; i++) {
		const char *v = t->secrets[i].value;
		if (!strstr(cur, v))
			continue;
		char *m = mask_of(&t->secrets[i]);
		struct buf b = {0};
		const char *p = cur, *hit;
		while ((hit = strstr(p, v))) {
			buf_append(&b, p, (size_t)(hit - p));
			buf_puts(&b, m);
			p = hit + strlen(v);
		}
		buf_puts(&b, p);
		free(m);
		free_secret(cur);
		cur = buf_take(&b);
	}
	return cur;
}

/* "a=1&password=x" with the values of secret-named keys masked. */
static char *mask_pairs(const char *text)
{
	struct buf b = {0};
	const char *p = text;
	buf_puts(&b, "");
	while (*p) {
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		if (eq) {
			char *key = xstrndup(p, (size_t)(eq - p));
			if (trace_secret_name(key))
				buf_printf(&b, "%s=" MASK_OPEN "%s" MASK_CLOSE, key, key);
			else
				buf_append(&b, p, n);
			free(key);
		} else {
			buf_append(&b, p, n);
		}
		p += n;
		if (*p == '&')
			buf_append(&b, p++, 1);
	}
	return buf_take(&b);
}

static char *mask_url(const char *url)
{
	const char *q = strchr(url, '?');
	if (!q)
		return xstrdup(url);
	char *pairs = mask_pairs(q + 1);
	char *out = xasprintf("%.*s?%s", (int)(q - url + 0), url, pairs);
	free(pairs);
	return out;
}

/* Mask the string members of v whose names `secret` picks (those masked already, a JWT
 * keeping its claims, stay as they are); how many were masked. */
static size_t mask_json_keys(json_t *v, bool (*secret)(const char *name))
{
	const char *k;
	json_t *m;
	size_t i, n = 0;
	json_object_foreach(v, k, m) {
		if (json_is_string(m) && secret(k) && !strstr(json_string_value(m), MASK_OPEN)) {
			char *mk = xasprintf(MASK_OPEN "%s" MASK_CLOSE, k);
			json_object_set_new(v, k, json_string(mk));
			free(mk);
			n++;
		} else {
			n += mask_json_keys(m, secret);
		}
	}
	json_array_foreach(v, i, m)
		n += mask_json_keys(m, secret);
	return n;
}

/* A JSON text with the members `secret` picks masked; NULL when it is not JSON or has
 * none. */
static char *mask_json_text(const char *text, bool (*secret)(const char *name))
{
	json_t *doc = json_loads(text, JSON_DECODE_ANY, NULL);
	char *out = doc && mask_json_keys(doc, secret) ?
		json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(doc);
	return out;
}

/* A request body: form fields or JSON members named like a secret. */
static char *mask_body(const char *body, const json_t *headers)
{
	size_t i;
	json_t *h;
	bool form = false, js = false;
	json_array_foreach(headers, i, h) {
		const char *l = json_string_value(h);
		if (l && strncasecmp(l, "Content-Type:", 13) == 0) {
			form = strstr(l, "x-www-form-urlencoded") != NULL;
			js = strstr(l, "json") != NULL;
		}
	}
	if (form)
		return mask_pairs(body);
	char *out = js ? mask_json_text(body, trace_secret_name) : NULL;
	return out ? out : xstrdup(body);
}

/* A header line with its value masked when it carries credentials. */
static char *mask_header(const char *line)
{
	static const char *const whole[] = {"Authorization:", "Proxy-Authorization:", "Cookie:",
					    NULL};
	for (int i = 0; whole[i]; i++)
		if (strncasecmp(line, whole[i], strlen(whole[i])) == 0)
			return xasprintf("%s " MASK_OPEN "%.*s" MASK_CLOSE, whole[i],
					 (int)strlen(whole[i]) - 1, whole[i]);
	if (strncasecmp(line, "Set-Cookie:", 11) == 0) {
		const char *v = line + 11 + strspn(line + 11, " ");
		size_t name = strcspn(v, "=;");
		const char *rest = v + name + strcspn(v + name, ";");
		return xasprintf("Set-Cookie: %.*s=" MASK_OPEN "cookie" MASK_CLOSE "%s", (int)name, v,
				 rest);
	}
	return xstrdup(line);
}

static void set_masked(const struct trace *t, json_t *obj, const char *key, char *(*pre)(const char *))
{
	const char *v = json_string_value(json_object_get(obj, key));
	if (!v)
		return;
	char *a = pre ? pre(v) : xstrdup(v);
	char *b = mask_values(t, a);
	json_object_set_new(obj, key, json_text_or(b, ""));
	free_secret(a);
	free_secret(b);
}

static void mask_lines(const struct trace *t, json_t *arr)
{
	size_t i;
	json_t *h;
	json_array_foreach(arr, i, h) {
		char *a = mask_header(json_string_value(h) ? json_string_value(h) : "");
		char *b = mask_values(t, a);
		json_array_set_new(arr, i, json_string(b));
		free_secret(a);
		free_secret(b);
	}
}

/* A JSON answer's members that carry credentials (a refresh token the recipe never
 * captured), masked after the registered secrets. */
static void mask_answer_json(json_t *x)
{
	const char *ctype = json_string_value(json_object_get(x, "content_type"));
	const char *body = json_string_value(json_object_get(x, "body"));
	char *out = ctype && strstr(ctype, "json") && body ? mask_json_text(body, credential_name)
							   : NULL;
	if (out)
		json_object_set_new(x, "body", json_text_or(out, ""));
	free_secret(out);
}

static void mask_exchange(const struct trace *t, json_t *x)
{
	json_t *req = json_object_get(x, "request");
	set_masked(t, x, "url", mask_url);
	set_masked(t, x, "url_after", mask_url);
	mask_lines(t, json_object_get(x, "headers"));
	set_masked(t, x, "body", NULL);
	mask_answer_json(x);
	if (json_is_string(json_object_get(req, "body"))) {
		char *a = mask_body(json_string_value(json_object_get(req, "body")),
				    json_object_get(req, "headers"));
		char *b = mask_values(t, a);
		json_object_set_new(req, "body", json_string(b));
		free_secret(a);
		free_secret(b);
	}
	mask_lines(t, json_object_get(req, "headers"));
}

int trace_finish(struct trace *t, struct gerr *err)
{
	size_t i;
	json_t *x;
	qsort(t->secrets, t->nsecrets, sizeof(*t->secrets), by_length);
	json_array_foreach(t->exchanges, i, x)
		mask_exchange(t, x);
	char *text = json_dumps(t->root, JSON_INDENT(1));
	char *path = path_join(t->dir, "trace.json");
	int rc = write_file_atomic(path, text, strlen(text), 0600, err);
	free(path);
	free_secret(text);
	return rc;
}

/* ---- replaying ------------------------------------------------------------------- */

static int bad(struct gerr *err, size_t i, const char *what)
{
	return gerr_set(err, "trace.json: exchange %zu: %s", i + 1, what);
}

static bool all_strings(const json_t *a)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

static int check_exchange(const json_t *x, size_t i, struct gerr *err)
{
	const json_t *st = json_object_get(x, "status");
	const char *file = json_string_value(json_object_get(x, "body_file"));
	if (!json_is_object(x))
		return bad(err, i, "not an object");
	if (!json_is_string(json_object_get(x, "method")) ||
	    !json_is_string(json_object_get(x, "url")))
		return bad(err, i, "needs method and url (strings)");
	if (!json_is_integer(st) || json_integer_value(st) < 100 || json_integer_value(st) > 599)
		return bad(err, i, "needs status (an HTTP status)");
	if (json_object_get(x, "headers") && !all_strings(json_object_get(x, "headers")))
		return bad(err, i, "headers must be a list of strings");
	if (json_object_get(x, "url_after") && !json_is_string(json_object_get(x, "url_after")))
		return bad(err, i, "url_after must be a string");
	if (json_object_get(x, "content_type") &&
	    !json_is_string(json_object_get(x, "content_type")))
		return bad(err, i, "content_type must be a string");
	if (json_object_get(x, "body") && !json_is_string(json_object_get(x, "body")))
		return bad(err, i, "body must be a string");
	if (file && (strlen(file) != 8 || strspn(file, "0123456789") != 4 ||
		     strcmp(file + 4, ".bin") != 0))
		return bad(err, i, "body_file must be a name such as 0003.bin");
	if (json_object_get(x, "body_file") && !file)
		return bad(err, i, "body_file must be a string");
	return 0;
}

struct trace *trace_parse(const char *text, size_t len, const char *dir, struct gerr *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *x;
	size_t i;
	if (!root) {
		gerr_set(err, "trace.json: line %d: %s", je.line, je.text);
		return NULL;
	}
	const char *fmt = json_string_value(json_object_get(root, "format"));
	json_t *ex = json_object_get(root, "exchanges");
	if (!fmt || strcmp(fmt, TRACE_FORMAT) != 0 || !json_is_array(ex)) {
		gerr_set(err, "trace.json: not a goniec trace (format %s with exchanges)",
			 TRACE_FORMAT);
		json_decref(root);
		return NULL;
	}
	json_array_foreach(ex, i, x)
		if (check_exchange(x, i, err) < 0) {
			json_decref(root);
			return NULL;
		}
	struct trace *t = xcalloc(1, sizeof(*t));
	t->replay = true;
	t->dir = dir ? xstrdup(dir) : NULL;
	t->root = root;
	t->exchanges = ex;
	return t;
}

const char *trace_base_url(const struct trace *t)
{
	return json_string_value(json_object_get(t->root, "base_url"));
}

const char *trace_recorded(const struct trace *t)
{
	return json_string_value(json_object_get(t->root, "recorded"));
}

struct trace *trace_load(const char *dir, struct gerr *err)
{
	char *path = path_join(dir, "trace.json"), *text;
	size_t len;
	struct trace *t = NULL;
	if (read_file(path, TRACE_MAX_TEXT, &text, &len, err) == 0) {
		t = trace_parse(text, len, dir, err);
		free(text);
	}
	if (!t)
		gerr_prefix(err, "%s", dir);
	free(path);
	return t;
}

/* The parts of a recorded URL: literal text, and «masked:…» standing for any value. */
struct url_part {
	const char *lit;       /* NULL: a mask */
	size_t len;
};

/* pat's parts into *parts (owned by the caller); -1 for a mask that is not closed. */
static int url_parts(const char *pat, struct url_part **parts, size_t *n)
{
	*parts = NULL;
	*n = 0;
	while (*pat) {
		const char *m = strstr(pat, MASK_OPEN), *end = m ? strstr(m, MASK_CLOSE) : NULL;
		if (m && !end)
			return -1;
		size_t lit = m ? (size_t)(m - pat) : strlen(pat);
		*parts = xrealloc(*parts, (*n + 2) * sizeof **parts);
		if (lit)
			(*parts)[(*n)++] = (struct url_part){pat, lit};
		if (!m)
			break;
		(*parts)[(*n)++] = (struct url_part){NULL, 0};
		pat = end + strlen(MASK_CLOSE);
	}
	return 0;
}

/* Does `url` match the recorded `pat`, where «masked:…» stands for any value (no '&',
 * '#', '/' or '?')? Part by part from the end, for every position of the URL at once: a
 * trace comes from elsewhere, and trying each mask's lengths in turn takes exponential
 * time on a URL of many masks (fuzz_portal_trace). */
static bool url_matches(const char *pat, const char *url)
{
	struct url_part *parts;
	size_t nparts, n = strlen(url);
	if (url_parts(pat, &parts, &nparts) < 0)
		return false;
	/* rest[j]: the parts after the one at hand match url + j to its end */
	bool *rest = xcalloc(n + 1, sizeof *rest), *here = xcalloc(n + 1, sizeof *here), *swap;
	rest[n] = true;
	for (size_t k = nparts; k-- > 0; swap = rest, rest = here, here = swap) {
		const struct url_part *p = &parts[k];
		for (size_t j = n + 1; j-- > 0;)
			here[j] = p->lit ? j + p->len <= n && memcmp(url + j, p->lit, p->len) == 0 &&
						   rest[j + p->len]
					 : rest[j] || (j < n && !strchr("&#/?", url[j]) && here[j + 1]);
	}
	bool ok = rest[0];
	free(rest);
	free(here);
	free(parts);
	return ok;
}

static int replay_body(const struct trace *t, const json_t *x, int fd,
		       struct http_response *r, struct gerr *err)
{
	const char *text = json_string_value(json_object_get(x, "body"));
	const char *file = json_string_value(json_object_get(x, "body_file"));
	char *data = NULL;
	size_t len = 0;
	if (file) {
		char *path = t->dir ? path_join(t->dir, file) : xstrdup(file);
		int rc = read_file(path, TRACE_MAX_TEXT * 4u, &data, &len, err);
		free(path);
		if (rc < 0)
			return -1;
	} else {
		len = text ? json_string_length(json_object_get(x, "body")) : 0;
	}
	const char *body = file ? data : text ? text : "";
	int rc = 0;
	if (fd >= 0) {
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 || write_all(fd, body, len) < 0)
			rc = gerr_sys(err, "temporary file");
	} else {
		buf_append(&r->body, body, len);
	}
	buf_puts(&r->body, "");
	free(data);
	return rc;
}

int trace_replay(struct trace *t, const struct http_call *c, int fd, struct http_response *r,
		 struct gerr *err)
{
	const char *method = c->method ? c->method : c->body ? "POST" : "GET";
	json_t *x = json_array_get(t->exchanges, t->pos), *h;
	size_t i;
	char *want = http_url_for_message(c->url);
	int rc = 0;

	http_response_free(r);
	if (!x) {
		rc = gerr_set(err, "the trace ends after %zu requests; the recipe asks for another: "
			      "%s %s", t->pos, method, want);
	} else if (strcmp(json_string_value(json_object_get(x, "method")), method) != 0 ||
		   !url_matches(json_string_value(json_object_get(x, "url")), c->url)) {
		char *had = http_url_for_message(json_string_value(json_object_get(x, "url")));
		rc = gerr_set(err, "request %zu of the trace is %s %s; the recipe asks for %s %s%s",
			      t->pos + 1, json_string_value(json_object_get(x, "method")), had,
			      method, want, strcmp(had, want) == 0 ? " with another query" : "");
		free(had);
	}
	free(want);
	if (rc < 0)
		return -1;
	t->pos++;
	r->status = (long)json_integer_value(json_object_get(x, "status"));
	r->url = xstrdup(json_string_value(json_object_get(x, "url_after")) ?
			 json_string_value(json_object_get(x, "url_after")) : c->url);
	if (json_string_value(json_object_get(x, "content_type")))
		r->content_type = xstrdup(json_string_value(json_object_get(x, "content_type")));
	json_array_foreach(json_object_get(x, "headers"), i, h)
		strlist_add(&r->headers, json_string_value(h));
	return replay_body(t, x, fd, r, err);
}
