/* libFuzzer target: the FA(3) reader on arbitrary bytes. Checks the promises of the
 * headers: a read invoice goes to JSON and back unchanged (invoice_to_json /
 * invoice_from_json), every present field says how it was found, and a refusal leaves
 * the invoice empty with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fa3.h"
#include "invoice_fuzz.h"

static void check_read(const struct invoice *inv)
{
	for (size_t f = 0; f < INVOICE_FIELD_COUNT; f++)
		if (inv->found[f].by != FOUND_NONE && inv->found[f].by != FOUND_FA3)
			abort();
	check_invoice_round_trip(inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct invoice inv;
	struct gerr err = {0};
	if (fa3_read(data, size, &inv, &err) == 0) {
		check_read(&inv);
		invoice_free(&inv);
	} else if (!err.msg[0] || inv.number || inv.nrates) {
		abort();
	}
	return 0;
}
