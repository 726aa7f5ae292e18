/* filing — see filing.h. */
#include "sources/filing.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sources/invoice_enrich.h"
#include "sources/statement_enrich.h"

/* The enrichers by type: invoices and their copies (PDF text, FA(3) XML); bank
 * statements (MT940, CAMT, goniec.transactions/1, a bank's CSV, camt.054 typed xml, a
 * file whose name claims a statement). */
static const struct filing_enricher filing_enrichers[] = {
	{"pdf", invoice_enrich_filing, invoice_enrich_prepare}, /* invoice fields from the text; copies */
	{"xml", invoice_enrich_filing, NULL},   /* FA(3) invoices; copies */
	{"mt940", statement_enrich_filing, NULL},
	{"camt", statement_enrich_filing, NULL},
	{"transactions", statement_enrich_filing, NULL},
	{"csv", statement_enrich_filing, NULL},
	{"xml", statement_enrich_filing, NULL},
	{"text", statement_enrich_filing, NULL},
	{NULL, NULL, NULL},
};

static const struct filing_enricher *enrichers = filing_enrichers;

void filing_set_enrichers(const struct filing_enricher *table)
{
	enrichers = table ? table : filing_enrichers;
}

/* Begin the enrichers' work early, when every enricher of the type can (filing.h). */
static bool prepare_by_type(void *ctx, const struct spool_view *doc)
{
	struct source_run *run = ctx;
	bool any = false, all = true;
	for (const struct filing_enricher *e = enrichers; e->type; e++)
		if (strcmp(e->type, doc->type) == 0) {
			any = true;
			all = all && e->prepare;
		}
	if (!any || !all)
		return false;
	bool begun = false;
	for (const struct filing_enricher *e = enrichers; e->type; e++)
		if (strcmp(e->type, doc->type) == 0 && e->prepare(run, doc))
			begun = true;
	return begun;
}

struct filing {
	struct source_run *run;
	struct spool_doc *doc;
	char *label;
};

static int enrich_by_type(void *ctx, const struct spool_view *doc, json_t *fields,
			  struct gerr *err)
{
	struct source_run *run = ctx;
	for (const struct filing_enricher *e = enrichers; e->type; e++)
		if (strcmp(e->type, doc->type) == 0 && e->enrich(run, doc, fields, err) != 0)
			return -1;
	return 0;
}

struct filing *filing_begin(struct source_run *run, const struct filing_doc *d,
			    struct gerr *err)
{
	const struct source_conf *src = run->src;
	const struct spool_enricher enricher = {enrich_by_type, run, prepare_by_type};
	const struct doc_meta meta = {
		.source_name = src->name,
		.source_type = src->type ? src->type->name : NULL,
		.company = src->company ? src->company->id : NULL,
		.name_hint = d->name_hint,
		.kind = d->kind,
		.source_id = d->source_id,
		.point = d->point,
		.property = d->property,
		.accept = d->accept ? d->accept : &src->accept,
		.origin = d->origin,
		.invoice = d->invoice,
		.extra = d->extra,
		.enricher = &enricher,
	};
	struct spool_doc *doc = spool_begin(run->spool, run->dedupe, &meta, err);
	if (!doc)
		return NULL;
	struct filing *f = xcalloc(1, sizeof *f);
	f->run = run;
	f->doc = doc;
	const char *label = d->label ? d->label : d->name_hint;
	f->label = xstrdup(label ? label : "(no name)");
	return f;
}

int filing_write(struct filing *f, const void *data, size_t len, struct gerr *err)
{
	return spool_write(f->doc, data, len, err);
}

int filing_sink(void *filing, const void *data, size_t len, struct gerr *err)
{
	return filing_write(filing, data, len, err);
}

static void filing_free(struct filing *f)
{
	free(f->label);
	free(f);
}

/* The one place a spool result becomes counters and a log line. */
static void account(struct filing *f, const struct spool_result *res)
{
	struct source_run *run = f->run;
	const char *name = run->src->name;
	switch (res->status) {
	case SPOOL_FILED:
		run->stats.filed++;
		run->stats.bytes += res->size;
		log_info("%s: filed %s as %s", name, f->label, res->path);
		break;
	case SPOOL_DUPLICATE:
		run->stats.duplicates++;
		log_info("%s: %s was filed before", name, f->label);
		break;
	case SPOOL_QUARANTINED:
		run->stats.quarantined++;
		log_warn("%s: %s quarantined: %s", name, f->label,
			 res->reason ? res->reason : "refused");
		break;
	}
	if (run->progress)
		run->progress(run);
}

int filing_commit(struct filing *f, enum spool_status *status, struct gerr *err)
{
	return filing_commit_path(f, status, NULL, err);
}

int filing_commit_path(struct filing *f, enum spool_status *status, char **path, struct gerr *err)
{
	struct spool_result res;
	int rc = spool_commit(f->doc, &res, err);
	f->doc = NULL;
	if (rc == 0) {
		account(f, &res);
		if (status)
			*status = res.status;
		if (path) {
			const char *root = f->run->spool->root;
			size_t n = strlen(root);
			bool inside = res.path && !strncmp(res.path, root, n) && res.path[n] == '/';
			*path = res.path ? xstrdup(inside ? res.path + n + 1 : res.path) : NULL;
		}
		spool_result_free(&res);
	}
	filing_free(f);
	return rc;
}

void filing_abort(struct filing *f)
{
	if (!f)
		return;
	spool_abort(f->doc);
	filing_free(f);
}

int filing_buffer(struct source_run *run, const struct filing_doc *doc, const void *data,
		  size_t len, enum spool_status *status, struct gerr *err)
{
	struct filing *f = filing_begin(run, doc, err);
	if (!f)
		return -1;
	if (filing_write(f, data, len, err) != 0) {
		filing_abort(f);
		return -1;
	}
	return filing_commit(f, status, err);
}

int filing_fd(struct source_run *run, const struct filing_doc *doc, int fd,
	      enum spool_status *status, struct gerr *err)
{
	struct filing *f = filing_begin(run, doc, err);
	if (!f)
		return -1;
	if (read_chunks(fd, filing_sink, f, "the document", err) != 0) {
		filing_abort(f);
		return -1;
	}
	return filing_commit(f, status, err);
}
