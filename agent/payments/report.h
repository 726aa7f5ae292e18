/* report — a company's payments report in the forms people and accounting programs read,
 * made from its goniec.payments/1 document (ledger_payments_json):
 *
 *   CSV   one row per invoice a matched payment pays (the latest run's matches): payment
 *         date, amount, currency, the company's account, counterparty and its account,
 *         title, invoice number, KSeF number, direction, amount paid towards the invoice,
 *         rule, certainty, references. Separator ';', UTF-8, a header row, fields quoted
 *         as RFC 4180 says. What accounting programs import as payments.
 *   HTML  one page: counts, balances per account, what was matched and why, what is left
 *         for a person (with the candidates and the command that decides), overdue and
 *         open invoices; each table shows at most PAYMENTS_HTML_ROWS rows and says how
 *         many more the JSON (and, for the matches, the CSV) holds, so that a run over
 *         100,000 transactions gives a page a person can open. Self-contained (styles inline, no scripts, nothing fetched), so
 *         it reads the same in a browser and as an e-mail attachment. Built as a libxml2
 *         tree, so every text from outside (titles, names) is escaped.
 *
 * The three are filed into the spool as documents of kind "payments" by the matcher
 * (payments/update.h), and routes forward them like any document.
 *
 * Ownership: results are strings the caller frees. Errors: none (a document missing
 * parts gives a report without them).
 */
#ifndef GONIEC_PAYMENTS_REPORT_H
#define GONIEC_PAYMENTS_REPORT_H

#include <jansson.h>

/* The CSV's header row, as written. */
#define PAYMENTS_CSV_HEADER "payment_date;amount;currency;account;counterparty;counterparty_account;" \
	"title;invoice_number;ksef_number;direction;paid;rule;certainty;transaction_ref;invoice_ref"

/* Rows of each table of the HTML page at most. */
#define PAYMENTS_HTML_ROWS 1000

char *payments_csv(const json_t *doc);
char *payments_html(const json_t *doc);

#endif
