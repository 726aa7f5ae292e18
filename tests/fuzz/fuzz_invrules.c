/* libFuzzer target: the invoice field rules (the shipped conf.d/invoices/rules.yaml) and
 * every value reader over arbitrary text. Checks the promises of formats/invvalue.h and
 * formats/invrules.h: readers never read past the text; every field read is whole (a real
 * date, a NIP and account whose checksums hold, totals that add up) and says where it was
 * found; and, as the PDF enricher fills the invoice model from a reading (formats/invpdf.h),
 * what the invoice had stays and the result goes to the sidecar's JSON and back unchanged.
 * Run from the checkout root (make fuzz). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/idnum.h"
#include "formats/invpdf.h"
#include "formats/invrules.h"
#include "formats/invvalue.h"
#include "invoice_fuzz.h"

static struct inv_rules *rules;

static void load_rules(void)
{
	char *text;
	size_t len;
	struct gerr err;
	struct diag d = {0};
	if (read_file("conf.d/invoices/rules.yaml", 1 << 20, &text, &len, &err) != 0)
		abort();
	rules = inv_rules_load_string("rules.yaml", text, len, &d);
	free(text);
	diag_free(&d);
	if (!rules)
		abort();
}

static void check_readers(const char *s, size_t len)
{
	char buf[INV_URL_MAX + 1];
	int64_t m;
	char cur[4];
	size_t n[] = {
		inv_read_date(s, buf), inv_read_amount(s, &m, cur), inv_read_currency(s, cur),
		inv_read_nip(s, buf), inv_read_account(s, buf), inv_read_number(s, buf),
		inv_read_ksef(s, buf), inv_read_url(s, buf),
	};
	for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
		if (n[i] > len)
			abort();
}

/* The reading into the invoice model as the PDF enricher does it (invpdf_fill), into an
 * empty invoice or one with a gross already: what was there stays, and the filled invoice
 * goes to the sidecar's JSON and back unchanged. */
static void check_fill(const struct inv_reading *r, bool had_gross)
{
	struct invoice inv = {0};
	if (had_gross) {
		inv.gross = 12300;
		invoice_found_set(&inv, INV_GROSS, FOUND_FA3, "Fa/P_15", 0);
	}
	invpdf_fill(&inv, r);
	if (had_gross && (inv.gross != 12300 || inv.found[INV_GROSS].by != FOUND_FA3))
		abort();
	if (had_gross && invoice_has(&inv, INV_NET) && invoice_has(&inv, INV_VAT) &&
	    inv.net + inv.vat != inv.gross)
		abort();
	check_invoice_round_trip(&inv);
	invoice_free(&inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rules)
		load_rules();
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	size_t len = strlen(text);
	for (size_t i = 0; i < len && i < 64; i++)
		check_readers(text + i, len - i);
	struct inv_reading r;
	struct pdftext_code code = {.page = 1, .text = text}; /* the input as a QR code too */
	inv_rules_read_codes(rules, text, &code, 1, &r);
	check_inv_reading(&r);
	check_fill(&r, size && data[0] & 1);
	free(text);
	return 0;
}
