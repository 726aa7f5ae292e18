/* mt940_write — one statement of the transaction model (formats/statement.h) rendered as
 * an MT940 file in the Polish structured dialect: ":86:" holds the transaction code and
 * "~NN" subfields (~00 code, ~20–~25 the title in 27-character pieces, ~32–~33 the
 * counterparty's name, ~38 its IBAN), as PKO BP, ING, Pekao and Millennium write it, so
 * that Polish accounting programs import it as a bank's file.
 *
 *   :20: statement id (16 characters)   :25:/<IBAN>   :28C: number
 *   :60F: opening balance   :61: + :86: per booked transaction   :62F: closing
 *   :64: closing available (when known)
 *
 * Lines end in CRLF; text is UTF-8 with '~' in values replaced by '-' and line breaks
 * by spaces; a title longer than six pieces (162 characters) or a name longer than two
 * (54) is cut. Pending transactions are left out (MT940 reports booked ones only).
 * An absent balance is written as zero (MT940 has no way to leave it out).
 *
 * Ownership: appends to the caller's buffer. Errors: none (the model is already valid).
 */
#ifndef GONIEC_MT940_WRITE_H
#define GONIEC_MT940_WRITE_H

#include "core/util.h"
#include "formats/statement.h"

void mt940_write(const struct stmt *st, struct buf *out);

#endif
