/* invoice_fuzz — what the invoice fuzz targets (fuzz_fa3, fuzz_invrules) check on an
 * invoice they read or filled: it goes to the sidecar's JSON (invoice_to_json) and back
 * (invoice_from_json) unchanged. A broken promise aborts. */
#ifndef GONIEC_INVOICE_FUZZ_H
#define GONIEC_INVOICE_FUZZ_H

#include <stdlib.h>

#include "formats/invoice.h"

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

#endif
