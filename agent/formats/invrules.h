/* invrules — invoice fields from the text of an invoice, by rules kept in YAML.
 *
 * The rules live in data, not here: the shipped file (conf.d/invoices/rules.yaml in the
 * source tree, installed under GONIEC_DATADIR/goniec/invoices/) and the user's files in
 * the .yaml files in <confdir>/invoices/. The user's rules are tried first; a user's rule with the
 * name of a shipped one replaces it, a user's file with the name of a shipped file
 * replaces that file, and `disable: [names]` turns shipped rules off. The format is
 * described in the shipped file itself and in docs/invoices.md.
 *
 * The text is the layout text of formats/pdftext.h (lines; columns apart by two or more
 * spaces; pages by '\f'). Party blocks (a "Sprzedawca" label and what is printed under
 * it) decide whose NIP and account a number is. Each field is read by the first rule
 * that finds a value (`take: qr` rules: in the texts of the PDF's QR codes); what no rule
 * reads stays absent. Every value found says which rule
 * found it, on which page and line.
 *
 * Ownership: inv_rules_load*() return a rule set the caller frees with inv_rules_free();
 * struct inv_reading is plain data (no pointers the caller frees; rule names point into
 * the rule set, which must outlive it).
 * Errors: loading reports every problem of the files through `diag` (file:line:col) and
 * returns NULL when there was one; reading text cannot fail.
 */
#ifndef GONIEC_FORMATS_INVRULES_H
#define GONIEC_FORMATS_INVRULES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/confschema.h"
#include "formats/invvalue.h"
#include "formats/pdftext.h"

enum inv_tfield {
	TF_NUMBER, TF_ISSUE_DATE, TF_SALE_DATE, TF_DUE_DATE, TF_SELLER_NIP, TF_BUYER_NIP,
	TF_NET, TF_VAT, TF_GROSS, TF_CURRENCY, TF_ACCOUNT, TF_SPLIT_PAYMENT, TF_KSEF_NUMBER,
	TF_VERIFY_URL, TF_KIND,
	TF_COUNT
};

struct inv_hit {
	bool found;
	char value[INV_URL_MAX + 1]; /* as written to JSON: "2026-01-12", "1234.56", ... */
	int64_t amount;              /* net, vat, gross: minor units */
	const char *rule;            /* the rule's name (owned by the rule set) */
	int page, line;              /* 1-based */
};

struct inv_reading {
	struct inv_hit f[TF_COUNT];
};

struct inv_rules;

/* The shipped files and the user's (<confdir>/invoices/). The shipped folder is
 * GONIEC_DATADIR/goniec/invoices, or $GONIEC_INVOICE_RULES_DIR when set. */
struct inv_rules *inv_rules_load(const char *confdir, struct diag *diag);
/* The two folders inv_rules_load() reads: [0] the user's, [1] the shipped one; the caller
 * frees both. */
void inv_rules_folders(const char *confdir, char *out[2]);
/* One file's text alone (tests, the fuzz target). */
struct inv_rules *inv_rules_load_string(const char *name, const char *text, size_t len,
					struct diag *diag);
void inv_rules_free(struct inv_rules *rs);
/* How many rules the set holds (for `goniec check` and tests). */
size_t inv_rules_count(const struct inv_rules *rs);

/* Read the fields of one invoice's layout text. */
void inv_rules_read(const struct inv_rules *rs, const char *text, struct inv_reading *out);
/* The same, with the texts of the PDF's QR codes, which `take: qr` rules read (a rule
 * takes a code only when its whole text is the field's value: a code holding anything
 * else is not read). */
void inv_rules_read_codes(const struct inv_rules *rs, const char *text,
			  const struct pdftext_code *codes, size_t ncodes, struct inv_reading *out);

/* The JSON path of a field ("number", "seller.nip", "ksef_number"...). */
const char *inv_tfield_name(enum inv_tfield f);

#endif
