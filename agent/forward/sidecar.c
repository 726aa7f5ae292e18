#include "forward/sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/confschema.h"

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

/* Fields of goniec.document/1; a trailing ".*" admits anything below. */
static const char *const known_fields[] = {
	"schema", "file", "stem", "ext", "sha256", "size", "media_type", "kind", "company",
	"source", "source.name", "source.type", "point", "property", "fetched_at",
	"sender", "subject", "duplicate_of", "duplicate_reason", "duplicate", "origin.*", "type", "original_name", "count", "files",
	"invoice", "invoice.number", "invoice.kind", "invoice.direction", "invoice.issue_date",
	"invoice.sale_date", "invoice.period.from", "invoice.period.to", "invoice.due_date",
	"invoice.gross", "invoice.net", "invoice.vat", "invoice.currency", "invoice.vat_pln",
	"invoice.exchange_rate", "invoice.ksef_number", "invoice.payment_form",
	"invoice.payment_note", "invoice.paid", "invoice.partly_paid", "invoice.paid_date",
	"invoice.split_payment", "invoice.verify_url", "invoice.text", "invoice.error", "invoice.seller", "invoice.seller.name",
	"invoice.seller.nip", "invoice.seller.foreign_id", "invoice.seller.address",
	"invoice.seller.country", "invoice.seller.account", "invoice.buyer",
	"invoice.buyer.name", "invoice.buyer.nip", "invoice.buyer.foreign_id",
	"invoice.buyer.address", "invoice.buyer.country",
	"statement.*", "alert.*", NULL,
};

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
