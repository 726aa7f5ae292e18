/* template — see template.h. */
#include "core/template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "core/base64.h"
#include "core/sidecar.h"

struct part {
	char *text;   /* literal text, or the field path */
	char *format; /* strftime format or NULL */
	char *dflt;   /* default or NULL */
	bool field;
};

struct tmpl {
	struct part *parts;
	size_t len;
	size_t old;   /* placeholders in an old spelling */
};

static void add_part(struct tmpl *t, struct part p)
{
	t->parts = xrealloc(t->parts, (t->len + 1) * sizeof(*t->parts));
	t->parts[t->len++] = p;
}

static bool valid_path(const char *p)
{
	if (!*p || *p == '.')
		return false;
	for (const char *c = p; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';
		if (!ok || (c[0] == '.' && (c[1] == '.' || c[1] == '\0')))
			return false;
	}
	return true;
}

/* The escaping filters a placeholder may name instead of a date format. */
enum filter { F_URL, F_JSON, F_BASE64, F_BASE64URL, F_SHA256 };
static const char *const filter_names[] = {"url", "json", "base64", "base64url", "sha256", NULL};

static int value_filter(const char *fmt)
{
	for (int i = 0; filter_names[i]; i++)
		if (strcmp(fmt, filter_names[i]) == 0)
			return i;
	return -1;
}

/* Parse "path[:format][|default]" (the text between braces). */
static int parse_field(struct tmpl *t, const char *s, size_t n, size_t at, struct gerr *err)
{
	char *spec = xstrndup(s, n);
	char *bar = strchr(spec, '|');
	char *dflt = NULL, *fmt = NULL;
	if (bar) {
		*bar = '\0';
		dflt = xstrdup(bar + 1);
	}
	char *colon = strchr(spec, ':');
	if (colon) {
		*colon = '\0';
		fmt = xstrdup(colon + 1);
	}
	bool date = fmt && strchr(fmt, '%');
	if (!valid_path(spec) || (fmt && !*fmt) || (fmt && !date && value_filter(fmt) < 0)) {
		gerr_set(err, "column %zu: bad placeholder {%.*s}", at + 1, (int)(n > 60 ? 60 : n), s);
		free(spec);
		free(dflt);
		free(fmt);
		return -1;
	}
	add_part(t, (struct part){.text = spec, .format = fmt, .dflt = dflt, .field = true});
	return 0;
}

/* A recipe's old "{{ name }}" or "{{ name|url }}" at s: its length, and the placeholder
 * in today's spelling ("name" or "name:url") in *spec; 0 when s is none. */
static size_t old_placeholder(const char *s, char **spec)
{
	if (s[0] != '{' || s[1] != '{')
		return 0;
	const char *p = s + 2, *name, *end;
	while (*p == ' ')
		p++;
	name = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')
		p++;
	end = p;
	bool url = strncmp(p, "|url", 4) == 0;
	if (url)
		p += 4;
	while (*p == ' ')
		p++;
	if (end == name || p[0] != '}' || p[1] != '}')
		return 0;
	*spec = xasprintf("%.*s%s", (int)(end - name), name, url ? ":url" : "");
	return (size_t)(p + 2 - s);
}

/* Why a recipe's "{{" at s is no old placeholder, in the words recipes always had. */
static void old_placeholder_error(const char *s, struct gerr *err)
{
	const char *end = strstr(s + 2, "}}"), *b = s + 2, *e;
	if (!end) {
		gerr_set(err, "unclosed '{{' in template");
		return;
	}
	while (b < end && *b == ' ')
		b++;
	e = end;
	while (e > b && e[-1] == ' ')
		e--;
	const char *bar = memchr(b, '|', (size_t)(e - b));
	if (bar)
		gerr_set(err, "unknown template filter in '%.*s' (only |url)", (int)(end + 2 - s), s);
	else if (e == b)
		gerr_set(err, "empty '{{ }}' in template");
	else
		gerr_set(err, "bad variable name '%.*s' in template", (int)(e - b), b);
}

/* Does a placeholder of today's syntax start at s ("{name...}")? */
static bool placeholder_at(const char *s)
{
	const char *end = strchr(s + 1, '}');
	if (!end)
		return false;
	struct tmpl probe = {0};
	struct gerr e;
	bool ok = parse_field(&probe, s + 1, (size_t)(end - s - 1), 0, &e) == 0;
	for (size_t i = 0; i < probe.len; i++) {
		free(probe.parts[i].text);
		free(probe.parts[i].format);
		free(probe.parts[i].dflt);
	}
	free(probe.parts);
	return ok;
}

struct tmpl *tmpl_compile(const char *text, struct gerr *err)
{
	return tmpl_compile_flags(text, 0, err);
}

size_t tmpl_old_spellings(const struct tmpl *t)
{
	return t->old;
}

struct tmpl *tmpl_compile_flags(const char *text, unsigned flags, struct gerr *err)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	struct buf lit = {0};
	for (size_t i = 0; text[i];) {
		char *spec = NULL;
		size_t n = flags & TMPL_OLD_BRACES ? old_placeholder(text + i, &spec) : 0;
		if (n) {
			if (lit.len)
				add_part(t, (struct part){.text = buf_take(&lit)});
			int rc = parse_field(t, spec, strlen(spec), i, err);
			free(spec);
			if (rc < 0)
				goto fail;
			t->old++;
			i += n;
		} else if ((flags & TMPL_OLD_BRACES) && text[i] == '{' && text[i + 1] == '{') {
			old_placeholder_error(text + i, err);
			goto fail;
		} else if ((flags & TMPL_OLD_BRACES) && (text[i] == '}' ||
							 (text[i] == '{' && !placeholder_at(text + i)))) {
			buf_append(&lit, &text[i++], 1); /* a recipe's literal brace (a JSON body) */
		} else if ((text[i] == '{' && text[i + 1] == '{') || (text[i] == '}' && text[i + 1] == '}')) {
			buf_append(&lit, &text[i], 1);
			i += 2;
		} else if (text[i] == '{') {
			const char *end = strchr(text + i + 1, '}');
			if (!end) {
				gerr_set(err, "column %zu: '{' without '}'", i + 1);
				goto fail;
			}
			if (lit.len)
				add_part(t, (struct part){.text = buf_take(&lit)});
			if (parse_field(t, text + i + 1, (size_t)(end - text - i - 1), i, err) < 0)
				goto fail;
			i = (size_t)(end - text) + 1;
		} else if (text[i] == '}') {
			gerr_set(err, "column %zu: '}' without '{' (write '}}' for a brace)", i + 1);
			goto fail;
		} else {
			buf_append(&lit, &text[i++], 1);
		}
	}
	if (lit.len)
		add_part(t, (struct part){.text = buf_take(&lit)});
	buf_free(&lit);
	return t;
fail:
	buf_free(&lit);
	tmpl_free(t);
	return NULL;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++) {
		free(t->parts[i].text);
		free(t->parts[i].format);
		free(t->parts[i].dflt);
	}
	free(t->parts);
	free(t);
}

void tmpl_each_field(const struct tmpl *t, void (*fn)(const char *path, void *ctx), void *ctx)
{
	for (size_t i = 0; i < t->len; i++)
		if (t->parts[i].field)
			fn(t->parts[i].text, ctx);
}

/* "YYYY-MM-DD" with an optional "THH:MM[:SS]..." (the rest, a zone, is ignored). */
static bool parse_date(const char *s, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &tm->tm_year, &tm->tm_mon, &tm->tm_mday, &n) != 3 || n != 10)
		return false;
	if (s[10] == 'T' || s[10] == ' ')
		sscanf(s + 11, "%2d:%2d:%2d", &tm->tm_hour, &tm->tm_min, &tm->tm_sec);
	if (tm->tm_mon < 1 || tm->tm_mon > 12 || tm->tm_mday < 1 || tm->tm_mday > 31 ||
	    tm->tm_hour < 0 || tm->tm_hour > 23 || tm->tm_min < 0 || tm->tm_min > 59 ||
	    tm->tm_sec < 0 || tm->tm_sec > 60)
		return false;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	struct tm copy = *tm;
	timegm(&copy); /* fills tm_wday and tm_yday for %a, %j and friends */
	tm->tm_wday = copy.tm_wday;
	tm->tm_yday = copy.tm_yday;
	return true;
}

/* strftime with a format from the configuration (checked at load, not by the compiler). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t format_date(char *out, size_t n, const char *fmt, const struct tm *tm)
{
	return strftime(out, n, fmt, tm);
}
#pragma GCC diagnostic pop

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

/* A value escaped for where it goes: a URL, the inside of a JSON string, Base64. */
static void put_filtered(struct buf *out, const char *v, enum filter f)
{
	char *enc = NULL;
	switch (f) {
	case F_URL:
		url_encode(out, v);
		return;
	case F_JSON: {
		json_t *js = json_string(v);
		enc = js ? json_dumps(js, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		json_decref(js);
		if (enc) /* without its quotes */
			buf_append(out, enc + 1, strlen(enc) - 2);
		free_secret(enc);
		return;
	}
	case F_BASE64:
	case F_BASE64URL:
		enc = f == F_BASE64 ? b64_encode(v, strlen(v)) : b64url_encode(v, strlen(v));
		buf_puts(out, enc);
		free_secret(enc);
		return;
	case F_SHA256: {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int n = 0;
		char hex[2 * 32 + 1];
		if (EVP_Digest(v, strlen(v), md, &n, EVP_sha256(), NULL) == 1 && n == 32) {
			hex_encode(md, 32, hex);
			buf_puts(out, hex);
		}
		return;
	}
	}
}

static void put_value(struct buf *out, const char *v, unsigned flags)
{
	if (flags & TMPL_RAW) {
		buf_puts(out, v);
		return;
	}
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		unsigned char ch = *c;
		if (ch < 0x20 || ch == 0x7f)
			ch = ' ';
		else if ((flags & TMPL_PATH) && (ch == '/' || ch == '\\'))
			ch = '_';
		buf_append(out, &ch, 1);
	}
}

char *tmpl_render_with(const struct tmpl *t, tmpl_lookup lookup, void *ctx, unsigned flags,
		       const char **missing)
{
	struct buf out = {0};
	buf_puts(&out, "");
	*missing = NULL;
	for (size_t i = 0; i < t->len && ((flags & TMPL_RAW) || out.len < TMPL_MAX_OUTPUT); i++) {
		const struct part *p = &t->parts[i];
		if (!p->field) {
			buf_puts(&out, p->text);
			continue;
		}
		char scratch[64];
		const char *v = lookup(ctx, p->text, scratch);
		char datebuf[256];
		struct tm tm;
		int filter = p->format ? value_filter(p->format) : -1;
		if (v && p->format && filter < 0) {
			if (parse_date(v, &tm) && format_date(datebuf, sizeof(datebuf), p->format, &tm) > 0)
				v = datebuf;
			else
				v = NULL;
		}
		if (!v && p->dflt)
			v = p->dflt;
		if (!v && !*missing)
			*missing = p->text;
		if (v && filter >= 0)
			put_filtered(&out, v, (enum filter)filter);
		else if (v)
			put_value(&out, v, flags);
	}
	if (!(flags & TMPL_RAW) && out.len > TMPL_MAX_OUTPUT) {
		/* cut at a UTF-8 boundary */
		size_t n = TMPL_MAX_OUTPUT;
		while (n > 0 && ((unsigned char)out.data[n] & 0xC0) == 0x80)
			n--;
		out.data[n] = '\0';
		out.len = n;
	}
	return buf_take(&out);
}

struct sidecar_lookup {
	const json_t *root;
	const char *file;
};

static const char *from_sidecar(void *ctx, const char *name, char *scratch)
{
	const struct sidecar_lookup *l = ctx;
	struct sidecar_scratch s;
	const char *v = sidecar_get(l->root, name, l->file, &s);
	if (v == s.buf) { /* a number or stem made in the scratch: copy it out */
		snprintf(scratch, 64, "%s", s.buf);
		return scratch;
	}
	return v;
}

char *tmpl_render(const struct tmpl *t, const json_t *sidecar, const char *file,
		  unsigned flags, const char **missing)
{
	struct sidecar_lookup l = {sidecar, file};
	return tmpl_render_with(t, from_sidecar, &l, flags, missing);
}

static const char *from_date(void *ctx, const char *name, char *scratch)
{
	const struct tm *tm = ctx;
	if (strcmp(name, "year") != 0)
		return NULL;
	snprintf(scratch, 64, "%04d", tm->tm_year + 1900);
	return scratch;
}

char *tmpl_expand_date(const char *text, time_t now, struct gerr *err)
{
	struct tmpl *t = tmpl_compile(text, err);
	if (!t)
		return NULL;
	struct tm tm;
	localtime_r(&now, &tm);
	const char *missing;
	char *out = tmpl_render_with(t, from_date, &tm, TMPL_PATH, &missing);
	if (missing) { /* missing points into t */
		gerr_setk(err, GERR_PERMANENT, "{%s} is unknown here: the only placeholder is {year}",
			  missing);
		free(out);
		out = NULL;
	}
	tmpl_free(t);
	return out;
}
