/* invoice_enrich — what a document being filed says as an invoice, and whether the same
 * invoice was filed before from any source: the sidecar's `invoice`, `duplicate_of` and
 * `duplicate_reason` (goniec-sidecar(5)).
 *
 *   FA(3) XML  read by sources/invoice_xml.h (formats/fa3.h; exact);
 *   PDF        its text read by the field rules (formats/invpdf.h), filling only what
 *              the source knew less exactly or not at all: a portal's list-page fields
 *              (the `invoice` the source passes) win over the text's; read under the
 *              limits of agent.pdf in conf.d; its direction (sale or purchase), when
 *              nothing said it, from the company's NIP as for XML
 *              (invoice_direction_from_company());
 *   a document of kind "document" (what the content alone said) with an invoice number
 *   or KSeF number becomes kind "invoice";
 *   then the invoice's keys (KSeF number; seller NIP + number; gross) are looked up in,
 *   and added to, the invoice-key index (core/invkeys.h) in the state directory.
 *
 * The field rules are loaded once per process from the configuration's folder. A PDF
 * whose text cannot be read is filed all the same, its invoice saying why; an XML that
 * is not FA(3) gets no invoice fields unless it claimed to be an invoice (then its
 * invoice says why it could not be read).
 *
 * Ownership: the caller's `fields` object gets new members (references taken by it).
 * Errors: -1 with err when the PDF reader cannot run or the index cannot be used (the
 * filing fails and is retried); a document's own content never fails the filing, nor do
 * broken field rules (logged once; PDFs are filed without their fields meanwhile).
 */
#ifndef GONIEC_SOURCES_INVOICE_ENRICH_H
#define GONIEC_SOURCES_INVOICE_ENRICH_H

#include <jansson.h>

#include "core/util.h"

struct config;
struct source_run;
struct spool_view;

struct invoice_enrich_doc {
	const char *path;       /* the complete document */
	const char *type;       /* sniffed: pdf, xml, ... */
	const char *kind;       /* invoice, statement, document (may be NULL) */
	const char *sha256;
	const json_t *invoice;  /* what the source knows of the invoice (may be NULL) */
	const char *company_nip;/* the company's NIP, for the direction (may be NULL) */
};

int invoice_enrich(const struct config *cfg, const char *spool_root,
		   const struct invoice_enrich_doc *doc, json_t *fields, struct gerr *err);

/* The same as a filing enricher (sources/filing.h) for pdf and xml documents. */
int invoice_enrich_filing(struct source_run *run, const struct spool_view *view,
			  json_t *fields, struct gerr *err);
/* Its early step for a PDF: the document handed to the PDF reader now (pdftext_prefetch),
 * for invoice_enrich_filing() to collect at the flush. False when it was not. */
bool invoice_enrich_prepare(struct source_run *run, const struct spool_view *view);

#endif
