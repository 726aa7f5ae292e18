/* invoice_fuzz — what the invoice fuzz targets (fuzz_fa3, fuzz_invrules, fuzz_conf_maps)
 * check: an invoice they read or filled goes to the sidecar's JSON (invoice_to_json) and
 * back (invoice_from_json) unchanged; a reading of the field rules (formats/invrules.h)
 * holds only whole values (a real date, a NIP and account whose checksums hold, totals
 * that add up) and says where each was found. A broken promise aborts. */
#ifndef GONIEC_INVOICE_FUZZ_H
#define GONIEC_INVOICE_FUZZ_H

#include <stdlib.h>
#include <string.h>

#include "core/idnum.h"
#include "formats/invoice.h"
#include "formats/invrules.h"

static inline void check_invoice_round_trip(const struct invoice *inv)
{
	struct invoice back;
	struct gerr err;
	json_t *first = invoice_to_json(inv);
	if (invoice_from_json(first, &back, &err) < 0)
		abort();
	json_t *second = invoice_to_json(&back);
	if (!json_equal(first, second))
		abort();
	json_decref(first);
	json_decref(second);
	invoice_free(&back);
}

static inline void check_inv_reading(const struct inv_reading *r)
{
	char d[11];
	for (int f = 0; f < TF_COUNT; f++) {
		const struct inv_hit *h = &r->f[f];
		if (!h->found)
			continue;
		if (!h->rule || h->page < 1 || h->line < 1 || strlen(h->value) == 0)
			abort();
		if ((f == TF_ISSUE_DATE || f == TF_SALE_DATE || f == TF_DUE_DATE) &&
		    (inv_read_date(h->value, d) != 10 || strcmp(d, h->value) != 0))
			abort();
		if ((f == TF_SELLER_NIP || f == TF_BUYER_NIP) && !nip_valid(h->value))
			abort();
		if (f == TF_ACCOUNT && !iban_valid(h->value))
			abort();
	}
	const struct inv_hit *n = &r->f[TF_NET], *v = &r->f[TF_VAT], *g = &r->f[TF_GROSS];
	if (n->found && v->found && g->found && n->amount + v->amount != g->amount)
		abort();
}

#endif
