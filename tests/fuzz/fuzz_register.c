/* libFuzzer target: the invoice register reader (formats/register.h) on arbitrary bytes,
 * as CSV through a column map (both separators, both decimal separators) and as JSON; and
 * each entry it hands over written as goniec.register/1 and read back the same. Checks:
 * dates are YYYY-MM-DD, NIPs and accounts handed over are valid, amounts read back equal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/register.h"

static int check_entry(void *ctx, const struct register_entry *e, struct gerr *err)
{
	(void)ctx;
	(void)err;
	if ((e->issue_date[0] && strlen(e->issue_date) != 10) || (e->due_date[0] && strlen(e->due_date) != 10))
		abort();
	if ((e->nip[0] && !nip_valid(e->nip)) || (e->account[0] && !iban_valid(e->account)))
		abort();
	if (!e->has_gross || e->direction == INVOICE_DIRECTION_UNKNOWN)
		abort();
	return 0;
}

struct back {
	int64_t gross;
	bool seen;
};

static int read_back(void *ctx, const struct register_entry *e, struct gerr *err)
{
	(void)err;
	struct back *b = ctx;
	b->seen = true;
	if (e->gross != b->gross)
		abort();
	return 0;
}

/* Each entry through goniec.register/1 and back. */
static int round_trip(void *ctx, const struct register_entry *e, struct gerr *err)
{
	(void)ctx;
	check_entry(NULL, e, err);
	json_t *doc = json_pack("{s:s,s:[o]}", "schema", REGISTER_SCHEMA, "invoices", register_entry_json(e));
	char path[] = "/tmp/fuzz-register-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	close(fd);
	json_dump_file(doc, path, 0);
	json_decref(doc);
	struct back b = {e->gross, false};
	struct gerr e2 = {0};
	if (register_doc_read_path(path, read_back, &b, &e2) < 0 || !b.seen)
		abort();
	unlink(path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct register_map map = {0};
	const char *cols[REG_COL_COUNT] = {"Numer", "KSeF", "Rodzaj", "Data", "Termin", "Brutto", "Waluta",
					   "Kontrahent", "NIP", "Rachunek", "Zapłacono", "Korekta"};
	for (size_t i = 0; i < REG_COL_COUNT; i++)
		map.columns[i] = strdup(cols[i]);
	for (int pass = 0; pass < 2; pass++) {
		map.separator = pass ? ',' : 0;
		map.decimal = pass ? '.' : ',';
		struct register_read rd = {.fn = round_trip};
		struct gerr err = {0};
		register_read_csv("fuzz.csv", (const char *)data, size, &map, &rd, &err);
		strlist_free(&rd.problems);
	}
	map.direction = INVOICE_SALES;
	struct register_read rd = {.fn = check_entry};
	struct gerr err = {0};
	register_read_json("fuzz.json", (const char *)data, size, &map, &rd, &err);
	strlist_free(&rd.problems);
	register_map_free(&map);
	return 0;
}
