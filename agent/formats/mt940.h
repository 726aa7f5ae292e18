/* mt940 — SWIFT MT940 statements (and MT942 interim reports) as banks really write them.
 *
 * The frame: with or without SWIFT blocks ({1:}{2:}{4: ... -}), mBank's SOH/ETX bytes,
 * ":940:" first lines, header junk before ":20:", "-" between messages, CRLF or LF. One
 * file may hold many statements (one per account, currency or day).
 *
 * Tags read: :20: (a new statement), :25: (account: IBAN, "/IBAN", "IBAN CCY",
 * "BIC/account/CCY", sort code/account), :28C:/:28:, :60F:/:60M:, :61:, :86:, :62F:/:62M:,
 * :64:, :65:, and MT942's :13D:, :34F:, :90D:/:90C:. A :61: is value date, optional
 * entry date (its year taken from the value date, across a new year), C/D/RC/RD with an
 * optional funds-code letter (CN, DN, CR, CD are credit/debit with funds code N, R, D —
 * not reversals), the amount, the transaction type (N/F/S + 3), the customer reference up
 * to "//" (spaces and Polish letters allowed), the bank reference after it, and
 * supplementary lines.
 *
 * :86: dialects, detected per :86: and reported per file (the first seen):
 *   "structured-tilde" / "structured-lt" / "structured-caret" / "structured-question":
 *       a 3-digit code, then subfields ~NN (<NN, ^NN, ?NN): in any order, wrapped mid-
 *       subfield (lines are joined without a separator), empty ones omitted or filled
 *       with 0xFF (dropped). Title: 20–25 (?NN: 20–29 and 60–63) in number order, joined
 *       as the bank cut them: spaces around a cut become one space, none is invented
 *       where the bank cut inside a word or invoice number. Counterparty: 32–33
 *       (else 27–29), account 38 (else an IBAN in 31, an account in 29 or 26, else 30+31
 *       as written). Two :86: for one :61: (ING writes the code alone first) are merged.
 *   "mbank": "NNN TEXT; Z RACH.: …; OD: …; TYT.: …; TNR: …" — labelled pieces split at
 *       ";" before a known label (a ";" before anything else stays in the value), lines
 *       joined without a separator (mBank keeps the trailing spaces of words).
 *   "plain": free text (lines joined with a space, or with none after a full 65-character
 *       line); it is the title.
 * Every subfield or label is also kept in txn.raw as written (after decoding).
 *
 * Encodings: detected once per file from its first megabyte (stmtenc.h); every text
 * field is UTF-8 in the model.
 *
 * A statement whose balances do not reconcile, without a closing balance, with a date
 * that does not exist (310229: the date is left empty) or an unknown tag is read and
 * flagged (stmt.problems). A :61: that cannot be read (no amount, an amount of more than
 * 18 digits, no C/D mark), a line over 8 KiB, a field over 64 KiB, or a file without any
 * statement is an error naming the line.
 *
 * Memory: one line, one field and one transaction at a time; flat in the file's size.
 * Ownership: results go to the sink and into f (see statement.h).
 */
#ifndef GONIEC_FORMATS_MT940_H
#define GONIEC_FORMATS_MT940_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/statement.h"
#include "formats/stmtinput.h"

/* Does the start of a file look like MT940/MT942 (a ":20:" tag near the start, after
 * optional SWIFT blocks, SOH or header lines, and a ":25:" or ":60" soon after)? */
bool mt940_sniff(const char *head, size_t len);
/* Read every statement of the input; f->format becomes MT940 or MT942. */
int mt940_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	       struct gerr *err);

#endif
