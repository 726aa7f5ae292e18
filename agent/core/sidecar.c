#include "core/sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/confschema.h"
#include "core/log.h"

int sidecar_parse(const char *text, size_t len, json_t **out, struct gerr *err)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return gerr_set(err, "line %d: %s", je.line, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return gerr_set(err, "not a JSON object");
	}
	*out = root;
	return 0;
}

int sidecar_load(const char *spool_root, const char *relpath, struct sidecar *sc,
		 struct gerr *err)
{
	memset(sc, 0, sizeof(*sc));
	sc->relpath = xstrdup(relpath);
	sc->docpath = path_join(spool_root, relpath);
	const char *slash = strrchr(relpath, '/');
	sc->file = xstrdup(slash ? slash + 1 : relpath);
	char *metapath = xasprintf("%s" SIDECAR_SUFFIX, sc->docpath);
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(metapath, SIDECAR_MAX_BYTES, &text, &len, err);
	if (rc == 0 && sidecar_parse(text, len, &sc->root, err) < 0)
		rc = gerr_prefix(err, "%s", metapath);
	if (rc == 0 && lstat(sc->docpath, &sc->st) < 0)
		rc = gerr_sys(err, "%s", sc->docpath);
	if (rc == 0 && !S_ISREG(sc->st.st_mode))
		rc = gerr_set(err, "%s: not a regular file", sc->docpath);
	free(text);
	free(metapath);
	if (rc < 0)
		sidecar_release(sc);
	return rc;
}

void sidecar_release(struct sidecar *sc)
{
	json_decref(sc->root);
	free(sc->relpath);
	free(sc->docpath);
	free(sc->file);
	memset(sc, 0, sizeof(*sc));
}

/* The first object under "origin" ({"imap": {...}}). */
static const json_t *first_origin(const json_t *root)
{
	const json_t *origin = json_object_get(root, "origin");
	const char *key;
	const json_t *val;
	if (!json_is_object(origin))
		return NULL;
	json_object_foreach((json_t *)origin, key, val)
		if (json_is_object(val))
			return val;
	return NULL;
}

static const json_t *walk(const json_t *node, const char *path)
{
	while (node && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (!json_is_object(node) || n == 0)
			return NULL;
		node = json_object_getn(node, path, n);
		path += n + (dot ? 1 : 0);
		if (dot && !*path)
			return NULL;
	}
	return node;
}

static const char *derived(const json_t *root, const char *path, const char *file,
			   struct sidecar_scratch *s)
{
	if (strcmp(path, "duplicate") == 0) { /* a copy of a document filed before */
		const json_t *d = json_object_get(root, "duplicate_of");
		return json_is_string(d) && json_string_length(d) ? "true" : "false";
	}
	if (strcmp(path, "sender") == 0 || strcmp(path, "subject") == 0) {
		const json_t *v = json_object_get(first_origin(root),
						  path[1] == 'e' ? "from" : "subject");
		return json_is_string(v) ? json_string_value(v) : NULL;
	}
	if (!file)
		return NULL;
	const char *dot = strrchr(file, '.');
	if (strcmp(path, "file") == 0)
		return file;
	if (strcmp(path, "ext") == 0)
		return dot ? dot + 1 : NULL;
	if (strcmp(path, "stem") == 0) {
		size_t n = dot && dot != file ? (size_t)(dot - file) : strlen(file);
		if (n >= sizeof(s->buf))
			n = sizeof(s->buf) - 1;
		memcpy(s->buf, file, n);
		s->buf[n] = '\0';
		return s->buf;
	}
	return NULL;
}

const char *sidecar_get(const json_t *root, const char *path, const char *file,
			struct sidecar_scratch *scratch)
{
	static const char *const derived_paths[] = {"sender", "subject", "file", "ext", "stem",
						    "duplicate", NULL};
	for (size_t i = 0; derived_paths[i]; i++)
		if (strcmp(path, derived_paths[i]) == 0)
			return derived(root, path, file, scratch);
	const json_t *v = walk(root, path);
	if (json_is_object(v))
		v = json_object_get(v, "name");
	if (json_is_string(v))
		return json_string_length(v) ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		snprintf(scratch->buf, sizeof(scratch->buf), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return scratch->buf;
	}
	if (json_is_real(v)) {
		snprintf(scratch->buf, sizeof(scratch->buf), "%.17g", json_real_value(v));
		return scratch->buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

bool sidecar_any(const json_t *root, const char *path, const char *file,
		 bool (*test)(const char *value, void *arg), void *arg)
{
	static const char *const per_statement[] = {"statement.account", "statement.currency"};
	struct sidecar_scratch s;
	const char *v = sidecar_get(root, path, file, &s);
	if (v && test(v, arg))
		return true;
	size_t i;
	json_t *one;
	json_array_foreach((json_t *)walk(root, path), i, one) { /* a list: any of its texts */
		v = json_string_value(one);
		if (v && *v && test(v, arg))
			return true;
	}
	for (size_t k = 0; k < ARRAY_LEN(per_statement); k++) {
		if (strcmp(path, per_statement[k]) != 0)
			continue;
		const char *member = strchr(path, '.') + 1;
		json_array_foreach((json_t *)walk(root, "statement.statements"), i, one) {
			v = json_string_value(json_object_get(one, member));
			if (v && *v && test(v, arg))
				return true;
		}
	}
	return false;
}

/* Every field of goniec.document/1, by dotted path; a trailing ".*" admits anything
 * below. The one list (see sidecar.h): the builder, `goniec check` and the "did you
 * mean" hints all read it. goniec-sidecar(5) describes each for people. */
static const char *const known_fields[] = {
	/* written by the spool for every document */
	"schema", "file", "sha256", "size", "media_type", "type", "kind", "company",
	"source", "source.name", "source.type", "point", "property", "fetched_at",
	"original_name", "origin", "origin.*", "duplicate_of", "duplicate_reason", "duplicate", "quarantine", "quarantine.reason",
	"quarantine.content_kept",
	/* derived when read (sidecar_get) */
	"stem", "ext", "sender", "subject",
	/* given by sources: portal points, alert notices */
	"unmapped", "point_name", "alert.*", "count", "files",
	/* invoice data (formats/invoice.h): portals, XML/PDF invoices and KSeF */
	"invoice", "invoice.number", "invoice.kind", "invoice.direction", "invoice.issue_date",
	"invoice.sale_date", "invoice.period", "invoice.period.from", "invoice.period.to",
	"invoice.due_date", "invoice.gross", "invoice.net", "invoice.vat", "invoice.currency",
	"invoice.vat_pln", "invoice.exchange_rate", "invoice.ksef_number",
	"invoice.payment_form", "invoice.payment_note", "invoice.paid", "invoice.partly_paid",
	"invoice.paid_date", "invoice.split_payment", "invoice.verify_url", "invoice.text",
	"invoice.error", "invoice.seller", "invoice.seller.name", "invoice.seller.nip",
	"invoice.seller.foreign_id", "invoice.seller.address", "invoice.seller.country",
	"invoice.seller.account", "invoice.buyer", "invoice.buyer.name", "invoice.buyer.nip",
	"invoice.buyer.foreign_id", "invoice.buyer.address", "invoice.buyer.country",
	/* a parsed bank statement (formats/statement.h); a bank source's balances */
	"statement.*", "balances",
	/* an invoice register's export (sources/register.c); a payments report (payments/update.h) */
	"register", "register.file", "register.rows", "register.skipped", "register.problems",
	"payments", "payments.company", "payments.generation", "payments.matched", "payments.left",
	"payments.open_invoices", "payments.overdue_invoices",
	NULL,
};

/* Is `key` a top-level member the list admits? */
static bool top_level_known(const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; known_fields[i]; i++)
		if (strncmp(known_fields[i], key, n) == 0 &&
		    (known_fields[i][n] == 0 || known_fields[i][n] == '.'))
			return true;
	return false;
}

/* Merge the members of `from` the list knows (replace: override, else fill in). */
static void merge_known(json_t *j, json_t *from, bool replace, const char *what)
{
	const char *key;
	json_t *val;
	json_object_foreach(from, key, val) {
		if (!top_level_known(key)) {
			log_error("sidecar: %s member '%s' is no field of " SIDECAR_SCHEMA
				  " (core/sidecar.c); left out", what, key);
			continue;
		}
		if (replace || !json_object_get(j, key))
			json_object_set(j, key, val);
	}
}

static void set_str(json_t *obj, const char *key, const char *value)
{
	json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

json_t *sidecar_build(const struct sidecar_doc *d)
{
	json_t *j = json_object();
	set_str(j, "schema", SIDECAR_SCHEMA);
	set_str(j, "file", d->file);
	set_str(j, "sha256", d->sha256);
	json_object_set_new(j, "size", json_integer((json_int_t)d->size));
	set_str(j, "media_type", d->media_type);
	set_str(j, "type", d->type);
	set_str(j, "kind", d->kind);
	set_str(j, "company", d->company);
	json_object_set_new(j, "source", json_pack("{s:s?, s:s?}", "name", d->source_name,
						   "type", d->source_type));
	set_str(j, "point", d->point);
	set_str(j, "property", d->property);
	set_str(j, "fetched_at", d->fetched_at);
	set_str(j, "original_name", d->original_name);
	json_object_set_new(j, "origin", d->origin ? json_incref(d->origin) : json_object());
	if (d->invoice)
		json_object_set(j, "invoice", d->invoice);
	set_str(j, "duplicate_of", d->duplicate_of);
	if (d->quarantine_reason)
		json_object_set_new(j, "quarantine", json_pack("{s:s, s:b}", "reason",
							      d->quarantine_reason, "content_kept",
							      d->content_kept));
	if (d->enriched)
		merge_known(j, d->enriched, true, "an enricher's");
	if (d->extra)
		merge_known(j, d->extra, false, "a source's");
	return j;
}

bool sidecar_field_known(const char *path)
{
	for (size_t i = 0; known_fields[i]; i++) {
		const char *k = known_fields[i];
		size_t n = strlen(k);
		if (n > 2 && strcmp(k + n - 2, ".*") == 0) {
			if (strncmp(path, k, n - 1) == 0 && path[n - 1])
				return true;
		} else if (strcmp(path, k) == 0) {
			return true;
		}
	}
	return false;
}

const char *sidecar_field_suggest(const char *path)
{
	return cf_suggest(path, known_fields);
}
