/* invpdf — invoice data from a PDF: its text (formats/pdftext.h) read by the field
 * rules (formats/invrules.h) into the invoice model (formats/invoice.h).
 *
 * What is there already wins: invpdf_fill() only fills fields the invoice does not have
 * (an FA(3) reading, a portal's list page), each found by FOUND_RULE with the rule's name
 * and page. Net and VAT read from the text are dropped when they do not add up to a
 * gross that was there already; amounts are not read for a currency without two decimal
 * places.
 *
 * The text layer's outcome is kept in the model: a PDF without one gets
 * text = INVOICE_TEXT_NONE ("text": "none"); one that could not be read (encrypted,
 * broken, over the time or memory limit) gets its reason in `error`.
 *
 * Ownership: the caller's invoice is filled in place (invoice_free() as always).
 * Errors: invpdf_read() returns -1 only when the PDF reader could not run (err set); a
 * PDF that cannot be read is an outcome, not an error.
 */
#ifndef GONIEC_FORMATS_INVPDF_H
#define GONIEC_FORMATS_INVPDF_H

#include "formats/invoice.h"
#include "formats/invrules.h"
#include "formats/pdftext.h"

/* Fill what the invoice lacks from a reading of its text. */
void invpdf_fill(struct invoice *inv, const struct inv_reading *r);

/* Read the PDF at path (limits may be NULL: the defaults) and fill what inv lacks.
 * `text` (may be NULL) receives the text outcome; the caller frees it. */
int invpdf_read(const char *path, const struct inv_rules *rs, const struct pdftext_limits *lim,
		struct invoice *inv, struct pdftext *text, struct gerr *err);

#endif
