/* invoice_xml — FA(3) XML to the sidecar's `invoice` (see invoice_xml.h). */
#include "sources/invoice_xml.h"

#include "core/log.h"
#include "formats/fa3.h"

json_t *invoice_xml_json(const void *xml, size_t len, bool is_invoice, const json_t *given,
			 const char *company_nip)
{
	struct invoice inv, known = {0};
	struct gerr err = {0};
	if (fa3_read(xml, len, &inv, &err) < 0) {
		if (!is_invoice && !given)
			return NULL;
		inv.error = xstrdup(err.msg);
	}
	if (given && invoice_from_json(given, &known, &err) < 0)
		log_warn("invoice data given by the source left out: %s", err.msg);
	invoice_merge(&inv, &known);
	invoice_direction_from_company(&inv, company_nip);
	json_t *j = invoice_to_json(&inv);
	invoice_free(&inv);
	invoice_free(&known);
	return j;
}
