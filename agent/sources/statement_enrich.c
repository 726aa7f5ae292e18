/* statement_enrich — see statement_enrich.h. */
#include "sources/statement_enrich.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dirstamp.h"
#include "core/log.h"
#include "core/spool.h"
#include "formats/bankcsv.h"
#include "formats/stmtfile.h"
#include "sources/source.h"

/* Types that are statements by their content alone. */
static bool statement_type(const char *type)
{
	return !strcmp(type, "mt940") || !strcmp(type, "camt") || !strcmp(type, "transactions");
}

bool statement_enrich_wants(const char *type, const char *name_hint)
{
	return statement_type(type) || !strcmp(type, "csv") || !strcmp(type, "xml") ||
	       (name_hint && stmt_name_claims(name_hint));
}

/* Does the document claim to be a statement, or is a CSV/XML one of a kind goniec reads? */
static bool claims(const struct statement_enrich_doc *doc, struct gerr *err)
{
	if (statement_type(doc->type) || (doc->name_hint && stmt_name_claims(doc->name_hint)))
		return true;
	int fd = open(doc->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gerr_sys(err, "cannot open %s", doc->path);
		return true;
	}
	struct stmt_input in;
	const char *head;
	size_t len;
	stmt_input_fd(&in, fd, doc->path);
	bool is = stmt_input_peek(&in, STMT_SNIFF_BYTES, &head, &len, err) < 0 ||
		  stmt_sniff(head, len) != STMT_FORMAT_UNKNOWN;
	stmt_input_free(&in);
	close(fd);
	return is;
}

/* The bank CSV maps of <confdir>/banks, read again when the folder has changed since they
 * were read (a worker of the daemon takes run after run: a person's new map counts from the
 * next document on). */
static void load_maps(const char *confdir)
{
	static struct dirstamp seen;
	char *banks = path_join(confdir, "banks");
	if (dirstamp_changed(&seen, (const char *const *)&banks, 1))
		bankcsv_maps_free();
	free(banks);
	struct diag diag = {0};
	bankcsv_load_confdir(confdir, &diag);
	for (size_t i = 0; i < diag.len; i++) /* goniec check reports them too */
		log_warn("%s:%d:%d: %s", diag.items[i].pos.file, diag.items[i].pos.line,
			 diag.items[i].pos.col, diag.items[i].msg);
	diag_free(&diag);
}

void statement_enrich(const char *confdir, const struct statement_enrich_doc *doc,
		      json_t *fields, bool *unreadable)
{
	struct gerr err = {0};
	*unreadable = false;
	if (!statement_enrich_wants(doc->type, doc->name_hint))
		return;
	load_maps(confdir); /* before claims(): a CSV is known by the maps, the user's too */
	if (!claims(doc, &err))
		return;
	struct stmt_file f;
	/* messages name the document as the source named it, not the spool's temporary name */
	stmt_file_init(&f, doc->name_hint ? doc->name_hint : "statement");
	/* whatever the content's first look said, it is a bank statement to a route */
	json_object_set_new(fields, "kind", json_string("statement"));
	if (!err.msg[0] && stmt_read_path(doc->path, &f, NULL, &err) == 0) {
		json_object_set_new(fields, "statement", stmt_sidecar_json(&f));
	} else {
		json_object_set_new(fields, "statement", stmt_sidecar_error_json(f.format, err.msg));
		*unreadable = true;
	}
	stmt_file_free(&f);
}

int statement_enrich_filing(struct source_run *run, const struct spool_view *view,
			    json_t *fields, struct gerr *err)
{
	(void)err; /* a document's content never fails its filing */
	if (json_object_get(view->extra, "statement"))
		return 0; /* the source knows its statement better (a bank's own) */
	bool unreadable;
	const struct statement_enrich_doc doc = {
		.path = view->path, .type = view->type, .name_hint = view->name_hint};
	statement_enrich(run->cfg->confdir, &doc, fields, &unreadable);
	if (unreadable) {
		run->stats.unreadable++;
		log_warn("%s: %s is filed, but it could not be read as a statement: %s",
			 run->src->name, view->name_hint ? view->name_hint : "a document",
			 json_string_value(json_object_get(json_object_get(fields, "statement"),
							   "error")));
	}
	return 0;
}
