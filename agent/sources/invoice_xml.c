/* invoice_xml — FA(3) XML to the sidecar's `invoice` (see invoice_xml.h). */
#include "sources/invoice_xml.h"

#include <string.h>

#include "core/idnum.h"
#include "core/log.h"
#include "formats/fa3.h"

static void direction_from_company(struct invoice *inv, const char *company_nip)
{
	char nip[NIP_LEN + 1];
	if (invoice_has(inv, INV_DIRECTION) || !company_nip || !nip_normalise(company_nip, nip))
		return;
	if (invoice_has(inv, INV_SELLER_NIP) && strcmp(inv->seller.nip, nip) == 0)
		inv->direction = INVOICE_SALES;
	else if (invoice_has(inv, INV_BUYER_NIP) && strcmp(inv->buyer.nip, nip) == 0)
		inv->direction = INVOICE_PURCHASE;
	else
		return;
	invoice_found_set(inv, INV_DIRECTION, FOUND_SOURCE, "company.nip", 0);
}

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
	direction_from_company(&inv, company_nip);
	json_t *j = invoice_to_json(&inv);
	invoice_free(&inv);
	invoice_free(&known);
	return j;
}
