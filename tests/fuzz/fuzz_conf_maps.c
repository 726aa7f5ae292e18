/* libFuzzer target: the two kinds of conf.d files that teach goniec a format, on
 * arbitrary YAML — a bank CSV map (conf.d/banks/NAME.yaml, bankcsv_load_string) and invoice
 * field rules (conf.d/invoices/NAME.yaml, inv_rules_load_string) — and each loaded one put to
 * work the way goniec uses it: the map on the bank CSV seeds of fuzz_bankcsv (the reader's
 * checks of stmt_fuzz.h), the rules on an invoice's text (the reading's checks of
 * invoice_fuzz.h). Loading either refuses with diagnostics or loads; nothing may crash,
 * hang or leak. Run from the checkout root (make fuzz). */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/bankcsv.h"
#include "formats/invrules.h"
#include "invoice_fuzz.h"
#include "stmt_fuzz.h"

#define CSV_SEEDS "tests/fuzz/corpus/fuzz_bankcsv"

static const char invoice_text[] =
	"FAKTURA VAT nr FV/12/2026\n"
	"Data wystawienia: 2026-03-02        Data sprzedaży: 2026-02-28\n"
	"Sprzedawca: ACME sp. z o.o.  NIP: 526-587-76-35\n"
	"Nabywca: Biuro  NIP 725-180-11-26\n"
	"Razem netto 1 000,00  VAT 230,00  brutto 1 230,00 PLN\n"
	"Termin płatności: 2026-03-16  Konto: PL61 1090 1014 0000 0712 1981 2874\n"
	"Mechanizm podzielonej płatności\f"
	"Numer KSeF: 5265877635-20260302-0100A0B1C2D3-8F\n";

static struct strlist csv_seeds;

static void load_csv_seeds(void)
{
	DIR *d = opendir(CSV_SEEDS);
	struct dirent *e;
	if (!d)
		abort();
	while ((e = readdir(d))) {
		char *path, *text;
		size_t len;
		struct gerr err;
		if (e->d_name[0] == '.')
			continue;
		path = path_join(CSV_SEEDS, e->d_name);
		if (read_file(path, 1 << 20, &text, &len, &err) != 0)
			abort();
		strlist_add(&csv_seeds, text);
		free(text);
		free(path);
	}
	closedir(d);
	if (!csv_seeds.len)
		abort();
}

static void try_bank_map(const char *text, size_t size)
{
	struct diag d = {0};
	if (bankcsv_load_string("fuzz.yaml", text, size, &d) > 0)
		for (size_t i = 0; i < csv_seeds.len; i++)
			fuzz_reader((const uint8_t *)csv_seeds.items[i], strlen(csv_seeds.items[i]),
				    bankcsv_read);
	bankcsv_maps_free(); /* the next input starts from the built-in maps again */
	diag_free(&d);
}

static void try_invoice_rules(const char *text, size_t size)
{
	struct diag d = {0};
	struct inv_rules *rs = inv_rules_load_string("fuzz.yaml", text, size, &d);
	if (!rs && !d.errors)
		abort();
	if (rs) {
		struct inv_reading r;
		inv_rules_read_codes(rs, invoice_text, NULL, 0, &r);
		check_inv_reading(&r);
		inv_rules_free(rs);
	}
	diag_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!csv_seeds.len)
		load_csv_seeds();
	try_bank_map((const char *)data, size);
	try_invoice_rules((const char *)data, size);
	return 0;
}
