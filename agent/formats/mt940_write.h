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
 * Lines end in CRLF; '~' in values is replaced by '-' and line breaks by spaces; a title
 * longer than six pieces (162 characters) or a name longer than two (54) is cut. The
 * text is written in the encoding asked for: UTF-8, or the 8-bit code pages Polish banks
 * write and accounting programs expect — Windows-1250, ISO-8859-2, or CP852 (the DOS
 * Latin-2 of older home-banking exports); a character the code page cannot hold becomes
 * '?' (Polish letters are in all of them). Pending transactions are left out (MT940 reports booked ones only).
 * An absent balance is written as zero (MT940 has no way to leave it out).
 *
 * Ownership: appends to the caller's buffer. Errors: none from the model (it is already
 * valid); -1 when the system's iconv cannot write the code page.
 */
#ifndef GONIEC_MT940_WRITE_H
#define GONIEC_MT940_WRITE_H

#include "core/util.h"
#include "formats/statement.h"

enum mt940_charset { MT940_UTF8, MT940_WINDOWS_1250, MT940_ISO_8859_2, MT940_CP852 };
/* Their names as conf.d writes them, in enum order (NULL-terminated, a CF_ENUM list). */
extern const char *const mt940_charset_names[];

/* Appends the file to out; -1 with err set only when iconv lacks the code page. */
int mt940_write(const struct stmt *st, enum mt940_charset cs, struct buf *out, struct gerr *err);

#endif
