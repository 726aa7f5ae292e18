/* bankcsv — the CSV exports of Polish banks, read through declarative column maps.
 *
 * Each bank's export is described by a map (struct bankcsv_map): the separator and
 * decimal separator, the cells its header row starts with (how the file is recognised),
 * which header names (or, for a file without a header row, which 1-based positions) hold
 * the dates, the amount (signed, or debit and credit columns, or a card-hold column that
 * makes a pending transaction), the currency, the balance after the operation, the title,
 * the counterparty, references, the account of each row, and rules that read values from
 * the lines before the header (period, account, currency, stated sums). Two layouts split
 * a cell that packs several fields: "mbank" (mBank's "#Opis operacji": name, title,
 * address, type and account in one cell, separated by runs of spaces) and "labels" (PKO
 * BP's extra cells "Tytuł: …", "Nazwa odbiorcy: …", "Rachunek odbiorcy: …").
 *
 * Maps come from a table built into goniec (mBank "Lista operacji" and eKonto, ING Bank
 * Śląski, PKO BP, Pekao, Millennium, Alior, Santander) and from YAML files in
 * conf.d/banks/ (goniec.conf(5)), so a new bank's export needs no recompile; a file there
 * with a built-in id replaces the built-in map.
 *
 * Reading: the encoding is detected per file (stmtenc.h; a UTF-8 BOM is dropped), the map
 * from the header (or, without one, from a first row whose account cell is an account
 * number); libcsv does the quoting. Rows of several accounts (ING's "Konto", Millennium's
 * "Numer rachunku/karty") become one statement per account. Opening and closing balances
 * come from the preamble, or from the balance-after column (the chain of balances,
 * newest-first or oldest-first), so a missing row shows as balances that do not reconcile;
 * sums stated in the preamble (mBank's "#Wpływy;#Wydatki") are checked. Pending rows (card
 * holds) are counted but not in the sums.
 *
 * Errors: a row whose date or amount does not fit the map, a quote left open, a cell over
 * 64 KiB: -1 with err naming the file, the line and the bank's map. A map file with
 * errors is reported as file:line:col through struct diag.
 * Ownership: the loaded maps live for the process; bankcsv_maps_free() releases them.
 */
#ifndef GONIEC_FORMATS_BANKCSV_H
#define GONIEC_FORMATS_BANKCSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/confschema.h"
#include "formats/statement.h"
#include "formats/stmtinput.h"

/* Columns a map can name. */
enum bankcsv_col {
	BANKCSV_BOOKING_DATE,
	BANKCSV_VALUE_DATE,
	BANKCSV_AMOUNT,		/* signed; may end with a currency code ("-1 788,32 PLN") */
	BANKCSV_DEBIT,		/* separate debit column (sign ignored: always a debit) */
	BANKCSV_CREDIT,
	BANKCSV_HOLD,		/* card hold: a pending transaction when the amount is empty */
	BANKCSV_CURRENCY,
	BANKCSV_BALANCE,	/* balance after the operation */
	BANKCSV_TITLE,
	BANKCSV_DESCRIPTION,	/* a cell the layout splits (or the title when none) */
	BANKCSV_COUNTERPARTY_NAME,
	BANKCSV_COUNTERPARTY_NAME_DEBIT,	/* for debits, when the file has two columns */
	BANKCSV_COUNTERPARTY_ACCOUNT,
	BANKCSV_COUNTERPARTY_ACCOUNT_DEBIT,	/* for debits, when the file has two columns */
	BANKCSV_ACCOUNT,	/* the row's own account: one statement per value */
	BANKCSV_BANK_REF,
	BANKCSV_TRANSACTION_ID,
	BANKCSV_TYPE,
	BANKCSV_COLS
};

/* A value read from the lines before the header: the row after the one whose first cell
 * is `after` (or absolute row `row`, 1-based), its cells in order (NULL or "skip" to
 * skip one): account, currency, period_from, period_to, opening, closing, credits_sum,
 * debits_sum. */
struct bankcsv_rule {
	char *after;
	long row;
	struct strlist cells;
};

enum bankcsv_layout { BANKCSV_LAYOUT_NONE, BANKCSV_LAYOUT_MBANK, BANKCSV_LAYOUT_LABELS };

struct bankcsv_map {
	char *id;		/* "mbank-lista-operacji" */
	char *bank;		/* "mBank" */
	char *separator;	/* the separator; two characters: either (";,") */
	char *decimal;		/* "," or "." */
	char *currency;		/* when the file does not say */
	int layout;		/* enum bankcsv_layout */
	struct strlist header;	/* the first cells of the header row; empty: no header */
	char *columns[BANKCSV_COLS];	/* header names, or positions "1".. without a header */
	struct bankcsv_rule *rules;
	size_t nrules;
	const char *origin;	/* "built-in" or the YAML file */
};

/* The built-in maps as YAML (what `goniec statement --maps` prints). */
extern const char bankcsv_builtin_yaml[];

/* Add (or replace by id) the maps of every *.yaml in dir; a missing dir is fine. Errors
 * go to diag as file:line:col; maps with errors are not added. Returns the number of
 * maps loaded. Safe to call again: files already loaded from this dir are skipped. */
int bankcsv_load_dir(const char *dir, struct diag *diag);
/* bankcsv_load_dir() of <confdir>/banks. */
int bankcsv_load_confdir(const char *confdir, struct diag *diag);
/* One map file's text (also used by goniec check and the tests). */
int bankcsv_load_string(const char *name, const char *text, size_t len, struct diag *diag);
/* The maps in use: the built-in ones and what bankcsv_load_dir() added. */
const struct bankcsv_map *const *bankcsv_maps(size_t *n);
void bankcsv_maps_free(void);

/* Is the start of the file a CSV that a map recognises? */
bool bankcsv_sniff(const char *head, size_t len);
int bankcsv_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
		 struct gerr *err);

#endif
