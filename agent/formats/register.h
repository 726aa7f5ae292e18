/* register — an accounting program's invoice register: the invoices it knows (issued and
 * received, also those goniec never saw as documents), with what is paid of them.
 *
 * Two inputs, one result:
 *   CSV   an export with a header row, read through a column map written in conf.d
 *         (struct register_map: which header names hold the number, dates, gross, ...;
 *         the separator and decimal separator; how the direction is written). Rows
 *         before the header row (a title, a period) are passed over; rows without an
 *         invoice number (blank lines, a "Razem" total) are skipped and counted.
 *   JSON  {"invoices": [entry, ...]} (or a bare list of entries), each entry in the form
 *         goniec.register/1 keeps (below); amounts as decimal strings ("1230.00" or
 *         "1230,00") or whole numbers, never fractions of a JSON number.
 * Each row becomes a struct register_entry handed to the caller. The register source
 * (sources/register.c) files the entries as one goniec.register/1 document:
 *   {"schema": "goniec.register/1", "file": "<export's name>", "rows": N, "skipped": N,
 *    "problems": ["line 7: ...", ...],
 *    "invoices": [{"line", "number", "ksef_number", "direction": "sales"|"purchase",
 *                  "issue_date", "due_date", "gross", "currency", "paid", "corrects",
 *                  "counterparty": {"name", "nip", "account"}}, ...]}
 * and the ledger reads that back with register_doc_read_path().
 *
 * A value the export gets wrong (a date that is no date, an amount that is no amount, a
 * direction the map does not know, no gross) refuses the whole file with an error naming
 * the file, the line (or entry) and the column: nothing is half-taken. A NIP whose
 * checksum fails is left out of its entry and listed in `problems` (the invoice itself is
 * still good); so is an account number that is no IBAN.
 *
 * Ownership: entries handed to the callback are the reader's, valid during the call; a
 * map's strings are its own (register_map_free). JSON results are new references.
 * Errors: -1 with err naming the file and where in it.
 */
#ifndef GONIEC_FORMATS_REGISTER_H
#define GONIEC_FORMATS_REGISTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/idnum.h"
#include "core/util.h"
#include "formats/invoice.h"

#define REGISTER_SCHEMA "goniec.register/1"
#define REGISTER_MAX_BYTES (64 * 1024 * 1024)
#define REGISTER_PROBLEMS_MAX 50

enum register_col {
	REG_NUMBER, REG_KSEF_NUMBER, REG_DIRECTION, REG_ISSUE_DATE, REG_DUE_DATE, REG_GROSS,
	REG_CURRENCY, REG_NAME, REG_NIP, REG_ACCOUNT, REG_PAID, REG_CORRECTS,
	REG_COL_COUNT
};


struct register_map {
	char *columns[REG_COL_COUNT];   /* the header's names; NULL: not in the export */
	char separator;                 /* 0: the first of ';', ',', TAB the header row has */
	char decimal;                   /* ',' or '.' */
	enum invoice_direction direction;  /* every row's, when there is no direction column */
	struct strlist sales, purchases;   /* how the direction column writes each (folded;
					    * empty: "S", "sprzedaż", "sales" and "Z", "K",
					    * "zakup", "koszt", "purchase") */
	char *encoding;                 /* NULL: detected (UTF-8, ISO-8859-2, Windows-1250) */
};
void register_map_free(struct register_map *m);

struct register_entry {
	unsigned long line;             /* CSV line, or entry number in JSON (1-based) */
	char *number, *ksef_number, *corrects;
	enum invoice_direction direction;
	char issue_date[11], due_date[11];
	bool has_gross;
	int64_t gross;                  /* minor units of currency */
	char currency[4];               /* "" when not given (PLN is meant) */
	char *name;
	char nip[NIP_LEN + 1];
	char account[IBAN_MAX_LEN + 1];
	bool has_paid;
	int64_t paid;
};

typedef int (*register_fn)(void *ctx, const struct register_entry *e, struct gerr *err);

/* What a reading saw beside its entries. */
struct register_read {
	register_fn fn;
	void *ctx;
	unsigned long rows, skipped;
	struct strlist problems;        /* at most REGISTER_PROBLEMS_MAX */
};

int register_read_csv(const char *name, const char *data, size_t len, const struct register_map *map,
		      struct register_read *rd, struct gerr *err);
/* map may be NULL; its direction (if any) is the default of entries without one. */
int register_read_json(const char *name, const char *data, size_t len, const struct register_map *map,
		       struct register_read *rd, struct gerr *err);

/* One entry in goniec.register/1 form. */
json_t *register_entry_json(const struct register_entry *e);
/* Read a goniec.register/1 document (a file goniec filed) and hand over its entries. */
int register_doc_read_path(const char *path, register_fn fn, void *ctx, struct gerr *err);

#endif
