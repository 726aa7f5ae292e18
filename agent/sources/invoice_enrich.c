/* invoice_enrich — see invoice_enrich.h. */
#include "sources/invoice_enrich.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/dirstamp.h"
#include "core/invkeys.h"
#include "core/log.h"
#include "core/spool.h"
#include "formats/fa3.h"
#include "formats/invoice.h"
#include "formats/invpdf.h"
#include "formats/pdftext.h"
#include "sources/invoice_xml.h"
#include "sources/source.h"

/* The field rules of this process: loaded at first use, and again when the folders they
 * come from have changed since (a worker of the daemon takes run after run: a person's edit
 * counts from the next document on). */
static struct inv_rules *rules;
static char *rules_confdir;
static struct dirstamp rules_stamp;

static bool rules_current(const char *confdir)
{
	char *folders[2];
	inv_rules_folders(confdir, folders);
	bool changed = dirstamp_changed(&rules_stamp, (const char *const *)folders, 2);
	free(folders[0]);
	free(folders[1]);
	return !changed && rules_confdir && strcmp(rules_confdir, confdir) == 0;
}

static const struct inv_rules *field_rules(const char *confdir)
{
	if (rules_current(confdir))
		return rules; /* loaded (or found broken) already */
	inv_rules_free(rules);
	free(rules_confdir);
	struct diag diag = {0};
	rules = inv_rules_load(confdir, &diag);
	rules_confdir = xstrdup(confdir);
	if (!rules) /* said once per change; goniec check shows every problem */
		log_error("invoice field rules: %s:%d:%d: %s (PDFs are filed without their "
			  "invoice fields until the rules are fixed)",
			  diag.len ? diag.items[0].pos.file : confdir, diag.len ? diag.items[0].pos.line : 0,
			  diag.len ? diag.items[0].pos.col : 0, diag.len ? diag.items[0].msg : "?");
	diag_free(&diag);
	return rules;
}

/* An XML document's invoice (sources/invoice_xml.h); false when it holds none. */
static bool read_xml(const struct invoice_enrich_doc *doc, struct invoice *inv)
{
	char *xml;
	size_t len;
	struct gerr err;
	if (read_file(doc->path, FA3_MAX_BYTES, &xml, &len, &err) != 0)
		return false;
	bool claimed = doc->kind && strcmp(doc->kind, "invoice") == 0;
	json_t *j = invoice_xml_json(xml, len, claimed, doc->invoice, doc->company_nip);
	free(xml);
	bool ok = j && invoice_from_json(j, inv, &err) == 0;
	if (j && !ok)
		log_warn("%s: %s", doc->path, err.msg);
	json_decref(j);
	return ok;
}

/* The invoice of the document; false when it holds none goniec can read. */
static bool read_invoice(const struct config *cfg, const struct invoice_enrich_doc *doc,
			 struct invoice *inv, bool *ok, struct gerr *err)
{
	*ok = true;
	if (strcmp(doc->type, "xml") == 0)
		return read_xml(doc, inv);
	if (strcmp(doc->type, "pdf") != 0)
		return false;
	struct gerr e;
	if (doc->invoice && invoice_from_json(doc->invoice, inv, &e) != 0) {
		log_warn("%s: the source's invoice fields are kept as they are: %s", doc->path, e.msg);
		return false; /* what the source gave stays untouched */
	}
	const struct inv_rules *rs = field_rules(cfg->confdir);
	if (!rs)
		return false; /* broken rules: filed without fields (logged) */
	const struct pdftext_limits lim = pdftext_limits_of(&cfg->agent.pdf);
	if (invpdf_read(doc->path, rs, &lim, inv, NULL, err) != 0) {
		*ok = false; /* the reader could not run: the filing is retried */
		return false;
	}
	invoice_direction_from_company(inv, doc->company_nip);
	return true;
}

static int check_copies(const struct config *cfg, const char *spool_root,
			const struct invoice_enrich_doc *doc, const struct invoice *inv,
			json_t *fields, struct gerr *err)
{
	struct invkey_doc key = {
		.ksef_number = invoice_has(inv, INV_KSEF_NUMBER) ? inv->ksef_number : NULL,
		.seller_nip = invoice_has(inv, INV_SELLER_NIP) ? inv->seller.nip : NULL,
		.number = invoice_has(inv, INV_NUMBER) ? inv->number : NULL,
		.has_gross = invoice_has(inv, INV_GROSS) && invoice_has(inv, INV_CURRENCY),
		.gross = inv->gross,
		.currency = inv->currency,
		.sha256 = doc->sha256,
	};
	if (!invkeys_has_key(&key))
		return 0; /* nothing to look up or record: the index is not opened */
	struct invkeys *ik = invkeys_shared(cfg->agent.state_dir, spool_root, err);
	if (!ik)
		return -1;
	char *first, *reason;
	int rc = invkeys_check_and_add(ik, &key, &first, &reason, err);
	if (rc == 0 && first) {
		json_object_set_new(fields, "duplicate_of", json_string(first));
		json_object_set_new(fields, "duplicate_reason", json_string(reason));
	}
	free(first);
	free(reason);
	return rc;
}

int invoice_enrich(const struct config *cfg, const char *spool_root,
		   const struct invoice_enrich_doc *doc, json_t *fields, struct gerr *err)
{
	struct invoice inv = {0};
	bool ok;
	int rc = 0;
	if (read_invoice(cfg, doc, &inv, &ok, err)) {
		json_object_set_new(fields, "invoice", invoice_to_json(&inv));
		/* a document nobody called anything is an invoice once it has an invoice's number */
		bool plain = !doc->kind || strcmp(doc->kind, "document") == 0;
		if (plain && (invoice_has(&inv, INV_NUMBER) || invoice_has(&inv, INV_KSEF_NUMBER)))
			json_object_set_new(fields, "kind", json_string("invoice"));
		rc = check_copies(cfg, spool_root, doc, &inv, fields, err);
	} else if (!ok) {
		rc = -1;
	}
	invoice_free(&inv);
	return rc;
}

int invoice_enrich_filing(struct source_run *run, const struct spool_view *view,
			  json_t *fields, struct gerr *err)
{
	const struct company_conf *co = run->src->company;
	struct invoice_enrich_doc d = {
		.path = view->path, .type = view->type, .kind = view->kind, .sha256 = view->sha256,
		.invoice = view->invoice, .company_nip = co ? co->nip : NULL,
	};
	return invoice_enrich(run->cfg, run->spool->root, &d, fields, err);
}

bool invoice_enrich_prepare(struct source_run *run, const struct spool_view *view)
{
	if (strcmp(view->type, "pdf") != 0 || !field_rules(run->cfg->confdir))
		return false; /* nothing to read, or nothing to read it for */
	const struct pdftext_limits lim = pdftext_limits_of(&run->cfg->agent.pdf);
	return pdftext_prefetch(view->path, &lim);
}
