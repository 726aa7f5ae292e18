/* confschema — see confschema.h. */
#include "core/confschema.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/idnum.h"
#include "core/strset.h"

/* ---- diagnostics ------------------------------------------------------------------- */

static void diag_vadd(struct diag *d, struct conf_pos pos, bool warning, const char *fmt,
		      va_list ap) PRINTF_LIKE(4, 0);
static void diag_vadd(struct diag *d, struct conf_pos pos, bool warning, const char *fmt,
		      va_list ap)
{
	if (warning)
		d->warnings++;
	else
		d->errors++;
	if (diag_full(d)) {
		d->dropped++;
		return;
	}
	if (d->len == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 16;
		d->items = xrealloc(d->items, d->cap * sizeof *d->items);
	}
	/* The item keeps its own copy of the file name: it outlives the config. */
	pos.file = pos.file ? xstrdup(pos.file) : NULL;
	d->items[d->len++] = (struct diag_item){pos, warning, xvasprintf(fmt, ap)};
}

void diag_add(struct diag *d, struct conf_pos pos, bool warning, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(d, pos, warning, fmt, ap);
	va_end(ap);
}

bool diag_full(const struct diag *d)
{
	return d->len == DIAG_MAX_ITEMS;
}

void diag_print(const struct diag *d, void *stream)
{
	for (size_t i = 0; i < d->len; i++) {
		const struct diag_item *it = &d->items[i];
		const char *what = it->warning ? "warning" : "error";
		if (it->pos.file && it->pos.line > 0)
			fprintf(stream, "%s:%d:%d: %s: %s\n", it->pos.file, it->pos.line,
				it->pos.col, what, it->msg);
		else if (it->pos.file)
			fprintf(stream, "%s: %s: %s\n", it->pos.file, what, it->msg);
		else
			fprintf(stream, "%s: %s\n", what, it->msg);
	}
	if (d->dropped)
		fprintf(stream, "... and %zu more (only the first %d are shown)\n", d->dropped,
			DIAG_MAX_ITEMS);
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->len; i++) {
		free(d->items[i].msg);
		free((char *)d->items[i].pos.file);
	}
	free(d->items);
	memset(d, 0, sizeof *d);
}

struct conf_pos cf_pos(struct cf_ctx *ctx, yaml_node_t *node)
{
	struct conf_pos pos = {ctx->file, 0, 0};
	if (node) {
		pos.line = (int)node->start_mark.line + 1;
		pos.col = (int)node->start_mark.column + 1;
	}
	return pos;
}

int cf_error(struct cf_ctx *ctx, yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vadd(ctx->diag, cf_pos(ctx, node), false, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- small helpers ----------------------------------------------------------------- */

const char *cf_scalar(yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
						       : NULL;
}

bool cf_is_null(yaml_node_t *node)
{
	const char *s = cf_scalar(node);
	if (!s || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

yaml_node_t *cf_get(struct cf_ctx *ctx, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = cf_scalar(yaml_document_get_node(ctx->doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(ctx->doc, p->value);
	}
	return NULL;
}

static const char *node_kind(yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag_prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag_prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag_prev = up;
		}
	}
	return row[lb];
}

const char *cf_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = edit_distance(word, candidates[i]);
		size_t limit = strlen(candidates[i]) <= 3 ? 1 : 2;
		if (d <= limit && d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

/* ---- value parsers ----------------------------------------------------------------- */

static int parse_unsigned_with_unit(const char *text, uint64_t *out, const char *const units[],
				    const uint64_t factors[])
{
	errno = 0;
	char *end;
	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return -1;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	uint64_t factor = 1;
	if (*end) {
		size_t i;
		for (i = 0; units[i]; i++)
			if (strcasecmp(end, units[i]) == 0)
				break;
		if (!units[i])
			return -1;
		factor = factors[i];
	}
	if (factor && v > UINT64_MAX / factor)
		return -1;
	*out = v * factor;
	return 0;
}

int cf_parse_size(const char *text, uint64_t *out)
{
	static const char *const units[] = {"b", "k", "kb", "kib", "m", "mb", "mib",
					    "g", "gb", "gib", NULL};
	static const uint64_t f[] = {1, 1024, 1000, 1024, 1 << 20, 1000000, 1 << 20,
				     1 << 30, 1000000000, 1 << 30};
	return parse_unsigned_with_unit(text, out, units, f);
}

int cf_parse_duration(const char *text, int64_t *out)
{
	static const char *const units[] = {"s", "sec", "m", "min", "h", "d", NULL};
	static const uint64_t f[] = {1, 1, 60, 60, 3600, 86400};
	uint64_t v;
	if (parse_unsigned_with_unit(text, &v, units, f) != 0)
		return -1;
	if (v > CF_DURATION_MAX)
		return -2;
	*out = (int64_t)v;
	return 0;
}

int cf_parse_time_of_day(const char *text, int *minutes)
{
	int h, m, n = 0;
	if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] != '\0' || n < 4 ||
	    !isdigit((unsigned char)text[0]) || h < 0 || h > 23 || m < 0 || m > 59 ||
	    strlen(text) != (size_t)n || text[n - 3] != ':')
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

static bool valid_timezone(const char *name)
{
	if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	const char *dir = getenv("TZDIR");
	char *path = path_join(dir && *dir ? dir : "/usr/share/zoneinfo", name);
	bool ok = access(path, R_OK) == 0;
	free(path);
	return ok;
}

static bool valid_wildcard(const char *w)
{
	if (!*w)
		return false;
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (*p < 0x80 && !isalnum(*p) && !strchr(".-_+@*=", *p))
			return false;
	return true;
}

/* ---- fields -------------------------------------------------------------------------- */

#define FIELD_PTR(obj, f) ((void *)((char *)(obj) + (f)->offset))

static void release_field(const struct cf_field *f, void *obj)
{
	void *p = FIELD_PTR(obj, f);
	switch (f->type) {
	case CF_STRING:
	case CF_TIMEZONE:
	case CF_NIP:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case CF_STRLIST:
	case CF_WILDCARDS:
		strlist_free(p);
		break;
	case CF_TIMES:
		times_of_day_free(p);
		break;
	case CF_SECRET:
		secret_free(p);
		break;
	case CF_STRUCT:
		cf_free(f->sub, p);
		break;
	case CF_CUSTOM:
		if (f->release)
			f->release(p);
		break;
	default:
		break;
	}
}

/* Parse one scalar item of a list-valued field, or a scalar field. node may be NULL
 * when `text` is a built-in default. */
static int parse_scalar(struct cf_ctx *ctx, yaml_node_t *node, const char *text,
			const struct cf_field *f, void *p)
{
	switch (f->type) {
	case CF_STRING:
		free(*(char **)p);
		*(char **)p = xstrdup(text);
		return 0;
	case CF_TIMEZONE:
		if (!valid_timezone(text))
			return cf_error(ctx, node, "%s: unknown time zone '%s' (expected a name such as Europe/Warsaw)",
					f->key, text);
		free(*(char **)p);
		*(char **)p = xstrdup(text);
		return 0;
	case CF_NIP: {
		char nip[NIP_LEN + 1];
		if (!nip_normalise(text, nip))
			return cf_error(ctx, node, "%s: '%s' is not a NIP (ten digits, may be written with "
					"PL, spaces or dashes)", f->key, text);
		if (!nip_valid(nip))
			return cf_error(ctx, node, "%s: '%s' fails the NIP checksum (a digit wrong?)",
					f->key, text);
		free(*(char **)p);
		*(char **)p = xstrdup(nip);
		return 0;
	}
	case CF_INT: {
		char *end;
		errno = 0;
		long v = strtol(text, &end, 10);
		if (!*text || *end || errno)
			return cf_error(ctx, node, "%s: expected a whole number, got '%s'", f->key, text);
		if ((f->min || f->max) && (v < f->min || v > f->max))
			return cf_error(ctx, node, "%s: %ld is out of range (%ld to %ld)", f->key, v,
					f->min, f->max);
		*(long *)p = v;
		return 0;
	}
	case CF_BOOL: {
		static const char *const yes[] = {"true", "yes", "on", NULL};
		static const char *const no[] = {"false", "no", "off", NULL};
		for (int i = 0; yes[i]; i++) {
			if (strcasecmp(text, yes[i]) == 0)
				return *(bool *)p = true, 0;
			if (strcasecmp(text, no[i]) == 0)
				return *(bool *)p = false, 0;
		}
		return cf_error(ctx, node, "%s: expected true or false, got '%s'", f->key, text);
	}
	case CF_SIZE: {
		uint64_t v;
		if (cf_parse_size(text, &v) != 0)
			return cf_error(ctx, node, "%s: expected a size such as 50MB or 512k, got '%s'",
					f->key, text);
		if ((f->min || f->max) && (v < (uint64_t)f->min || v > (uint64_t)f->max))
			return cf_error(ctx, node, "%s: '%s' is out of range (%ld to %ld bytes)", f->key,
					text, f->min, f->max);
		*(uint64_t *)p = v;
		return 0;
	}
	case CF_DURATION: {
		int64_t v;
		int rc = cf_parse_duration(text, &v);
		if (rc == -2)
			return cf_error(ctx, node, "%s: '%s' is longer than goniec waits for anything "
					"(%s at most)", f->key, text, CF_DURATION_MAX_TEXT);
		if (rc != 0)
			return cf_error(ctx, node, "%s: expected a duration such as 90s, 15m or 6h, got '%s'",
					f->key, text);
		if ((f->min || f->max) && (v < f->min || v > f->max))
			return cf_error(ctx, node, "%s: '%s' is out of range (%ld to %ld s)", f->key, text,
					f->min, f->max);
		*(int64_t *)p = v;
		return 0;
	}
	case CF_ENUM:
		for (int i = 0; f->enum_values[i]; i++)
			if (strcmp(text, f->enum_values[i]) == 0)
				return *(int *)p = i, 0;
		{
			struct buf b = {0};
			for (int i = 0; f->enum_values[i]; i++)
				buf_printf(&b, "%s%s", i ? ", " : "", f->enum_values[i]);
			const char *hint = cf_suggest(text, f->enum_values);
			cf_error(ctx, node, "%s: '%s' is not one of: %s%s%s%s", f->key, text, b.data,
				 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
			buf_free(&b);
		}
		return -1;
	case CF_STRLIST:
		strlist_add(p, text);
		return 0;
	case CF_WILDCARDS:
		if (!valid_wildcard(text))
			return cf_error(ctx, node, "%s: bad pattern '%s': use letters, digits, . - _ + @ and * only, as in *@pge.pl",
					f->key, text);
		strlist_add(p, text);
		return 0;
	case CF_TIMES: {
		int m;
		struct times_of_day *t = p;
		if (cf_parse_time_of_day(text, &m) != 0)
			return cf_error(ctx, node, "%s: bad time of day '%s' (expected HH:MM, 00:00 to 23:59)",
					f->key, text);
		t->minutes = xrealloc(t->minutes, (t->len + 1) * sizeof *t->minutes);
		t->minutes[t->len++] = m;
		return 0;
	}
	default:
		return cf_error(ctx, node, "%s: internal: no scalar parser", f->key);
	}
}

static bool is_list_type(enum cf_type t)
{
	return t == CF_STRLIST || t == CF_WILDCARDS || t == CF_TIMES;
}

/* Defaults of list fields are written as space-separated words. */
static void apply_default(const struct cf_field *f, void *obj)
{
	void *p = FIELD_PTR(obj, f);
	struct diag scratch = {0};
	struct cf_ctx ctx = {.file = "(built-in default)", .diag = &scratch};
	if (f->type == CF_STRUCT) {
		cf_defaults(f->sub, p);
		return;
	}
	if (!f->dflt || f->type == CF_CUSTOM || f->type == CF_SECRET)
		return;
	if (is_list_type(f->type)) {
		char *copy = xstrdup(f->dflt), *save = NULL;
		for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
			parse_scalar(&ctx, NULL, w, f, p);
		free(copy);
	} else {
		parse_scalar(&ctx, NULL, f->dflt, f, p);
	}
	diag_free(&scratch);
}

void cf_defaults(const struct cf_field *fields, void *out)
{
	for (const struct cf_field *f = fields; f->key; f++)
		apply_default(f, out);
}

static int parse_list(struct cf_ctx *ctx, yaml_node_t *node, const struct cf_field *f, void *p)
{
	release_field(f, (char *)p - f->offset); /* a given list replaces the default */
	if (cf_scalar(node))
		return cf_is_null(node) ? 0 : parse_scalar(ctx, node, cf_scalar(node), f, p);
	if (node->type != YAML_SEQUENCE_NODE)
		return cf_error(ctx, node, "%s: expected a list, got %s", f->key, node_kind(node));
	int rc = 0;
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ctx->doc, *it);
		const char *s = cf_scalar(item);
		if (!s)
			rc = cf_error(ctx, item, "%s: expected a list of words, got %s in it", f->key,
				      node_kind(item));
		else if (parse_scalar(ctx, item, s, f, p) != 0)
			rc = -1;
	}
	return rc;
}

static const char *const secret_suffixes[] = {"", "_file", "_env", "_credential"};

static int parse_secret(struct cf_ctx *ctx, yaml_node_t *node, const struct cf_field *f,
			enum secret_kind kind, void *p)
{
	struct secret *s = p;
	const char *text = cf_scalar(node);
	if (!text || !*text)
		return cf_error(ctx, node, "%s%s: expected a string", f->key,
				secret_suffixes[kind - SECRET_INLINE]);
	if (s->kind != SECRET_NONE)
		return cf_error(ctx, node, "%s is given more than once (as %s, %s_file, %s_env or %s_credential): keep one",
				f->key, f->key, f->key, f->key, f->key);
	s->kind = kind;
	s->value = xstrdup(text);
	s->pos = cf_pos(ctx, node);
	if (kind == SECRET_INLINE)
		ctx->inline_secret_seen = true;
	return 0;
}

static int parse_field(struct cf_ctx *ctx, yaml_node_t *node, const struct cf_field *f,
		       void *obj)
{
	void *p = FIELD_PTR(obj, f);
	if (f->type == CF_CUSTOM)
		return f->parse(ctx, node, p, f);
	if (cf_is_null(node) && (f->flags & CF_NULLABLE)) {
		release_field(f, obj);
		return 0;
	}
	if (f->type == CF_STRUCT) {
		if (node->type != YAML_MAPPING_NODE)
			return cf_error(ctx, node, "%s: expected a mapping, got %s", f->key,
					node_kind(node));
		return cf_map(ctx, node, f->sub, NULL, p);
	}
	if (is_list_type(f->type))
		return parse_list(ctx, node, f, p);
	const char *text = cf_scalar(node);
	if (!text)
		return cf_error(ctx, node, "%s: expected a single value, got %s", f->key,
				node_kind(node));
	if (cf_is_null(node))
		return cf_error(ctx, node, "%s: a value is needed here", f->key);
	return parse_scalar(ctx, node, text, f, p);
}

/* Which field (and which secret form) does this key name? */
static const struct cf_field *find_field(const struct cf_field *fields, const char *key,
					 enum secret_kind *kind)
{
	for (const struct cf_field *f = fields; f->key; f++) {
		size_t kl = strlen(f->key);
		if (f->type != CF_SECRET) {
			if (strcmp(key, f->key) == 0)
				return f;
			continue;
		}
		if (strncmp(key, f->key, kl) != 0)
			continue;
		for (int i = 0; i < 4; i++)
			if (strcmp(key + kl, secret_suffixes[i]) == 0) {
				*kind = SECRET_INLINE + i;
				return f;
			}
	}
	return NULL;
}

static void unknown_key(struct cf_ctx *ctx, yaml_node_t *keynode, const char *key,
			const struct cf_field *fields, const char *const *ignore)
{
	if (diag_full(ctx->diag)) { /* counted only: no hint to look for */
		cf_error(ctx, keynode, "unknown key '%s'", key);
		return;
	}
	const char *cands[128];
	size_t n = 0;
	char *owned[64];
	size_t nowned = 0;
	for (const struct cf_field *f = fields; f->key && n < 120; f++) {
		cands[n++] = f->key;
		if (f->type == CF_SECRET && nowned + 3 <= ARRAY_LEN(owned))
			for (int i = 1; i < 4; i++)
				cands[n++] = owned[nowned++] = xasprintf("%s%s", f->key, secret_suffixes[i]);
	}
	for (size_t i = 0; ignore && ignore[i] && n < 127; i++)
		cands[n++] = ignore[i];
	cands[n] = NULL;
	const char *hint = cf_suggest(key, cands);
	if (hint)
		cf_error(ctx, keynode, "unknown key '%s' (did you mean '%s'?)", key, hint);
	else
		cf_error(ctx, keynode, "unknown key '%s'", key);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* An ignored key, also in a secret's other forms (KEY_file, KEY_env, KEY_credential):
 * the other table, which owns the key, checks that it is really a secret. */
static bool is_ignored(const char *const *ignore, const char *key)
{
	if (in_list(ignore, key))
		return true;
	for (size_t i = 1; i < ARRAY_LEN(secret_suffixes); i++) {
		size_t kl = strlen(key), sl = strlen(secret_suffixes[i]);
		if (kl > sl && strcmp(key + kl - sl, secret_suffixes[i]) == 0) {
			char *base = xstrndup(key, kl - sl);
			bool found = in_list(ignore, base);
			free(base);
			if (found)
				return true;
		}
	}
	return false;
}

static bool field_is_set(const struct cf_field *f, void *obj)
{
	void *p = FIELD_PTR(obj, f);
	switch (f->type) {
	case CF_STRING:
	case CF_TIMEZONE:
	case CF_NIP: return *(char **)p != NULL;
	case CF_SECRET: return ((struct secret *)p)->kind != SECRET_NONE;
	case CF_STRLIST:
	case CF_WILDCARDS: return ((struct strlist *)p)->len > 0;
	case CF_TIMES: return ((struct times_of_day *)p)->len > 0;
	default: return true;
	}
}

int cf_map(struct cf_ctx *ctx, yaml_node_t *map, const struct cf_field *fields,
	   const char *const *ignore, void *out)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return cf_error(ctx, map, "expected a mapping of keys to values, got %s",
				map ? node_kind(map) : "nothing");
	size_t before = ctx->diag->errors;
	bool seen[128] = {0};
	struct strset keys = {.borrowed = true}; /* the document's strings */
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(ctx->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(ctx->doc, pair->value);
		const char *key = cf_scalar(k);
		if (!key) {
			cf_error(ctx, k, "a key must be a plain word, not %s", node_kind(k));
			continue;
		}
		if (is_ignored(ignore, key))
			continue;
		if (!strset_add(&keys, key)) {
			/* the first value stands; the second is reported, not parsed */
			cf_error(ctx, k, "key '%s' is given twice in this block", key);
			continue;
		}
		enum secret_kind kind = SECRET_NONE;
		const struct cf_field *f = find_field(fields, key, &kind);
		if (!f) {
			if (!ctx->unknown_reported)
				unknown_key(ctx, k, key, fields, ignore);
			continue;
		}
		size_t idx = (size_t)(f - fields);
		if (idx < ARRAY_LEN(seen))
			seen[idx] = true;
		if (f->type == CF_SECRET)
			parse_secret(ctx, v, f, kind, FIELD_PTR(out, f));
		else
			parse_field(ctx, v, f, out);
	}
	strset_free(&keys);
	for (const struct cf_field *f = fields; f->key; f++) {
		size_t idx = (size_t)(f - fields);
		if ((f->flags & CF_REQUIRED) && !(idx < ARRAY_LEN(seen) && seen[idx]) &&
		    !field_is_set(f, out))
			cf_error(ctx, map, "missing required key '%s'%s%s", f->key,
				 f->help ? ": " : "", f->help ? f->help : "");
	}
	return ctx->diag->errors == before ? 0 : -1;
}

void cf_free(const struct cf_field *fields, void *obj)
{
	if (!obj)
		return;
	for (const struct cf_field *f = fields; f->key; f++)
		release_field(f, obj);
}

void cf_each_secret(const struct cf_field *fields, const void *obj,
		    void (*fn)(const struct secret *s, const char *key, void *arg), void *arg)
{
	for (const struct cf_field *f = fields; obj && f->key; f++) {
		const void *p = (const char *)obj + f->offset;
		if (f->type == CF_SECRET && ((const struct secret *)p)->kind != SECRET_NONE)
			fn(p, f->key, arg);
		else if (f->type == CF_STRUCT)
			cf_each_secret(f->sub, p, fn, arg);
	}
}

void times_of_day_free(struct times_of_day *t)
{
	free(t->minutes);
	t->minutes = NULL;
	t->len = 0;
}

void secret_free(struct secret *s)
{
	if (s->kind == SECRET_INLINE)
		free_secret(s->value);
	else
		free(s->value);
	s->value = NULL;
	s->kind = SECRET_NONE;
}
