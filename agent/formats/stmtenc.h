/* stmtenc — which 8-bit encoding a bank file uses, and its text in UTF-8.
 *
 * Polish bank files come in UTF-8, ISO-8859-2, Windows-1250 and CP852 (IBM 852), with
 * nothing in the file saying which. stmt_enc_detect() decides once per file from a sample
 * of its bytes: valid UTF-8 with non-ASCII bytes is UTF-8; otherwise each 8-bit candidate
 * scores the sample's high bytes (a Polish letter +3, another Latin letter +1, a control
 * or symbol -2; 0xFF, the filler some banks write into empty fields, scores nothing) and
 * the best wins (ties: ISO-8859-2, then Windows-1250, then CP852). A sample without
 * high bytes is "ASCII", converted as UTF-8.
 *
 * Conversion uses a 256-entry table built with iconv for the chosen encoding, so that a
 * gigabyte file is converted at memory speed. Bytes the encoding does not define, and
 * invalid UTF-8, become U+FFFD and are counted so the reader can report them.
 *
 * Ownership: struct stmt_enc is the caller's (no allocation beyond it).
 * Errors: none; bad bytes are replaced and counted.
 */
#ifndef GONIEC_FORMATS_STMTENC_H
#define GONIEC_FORMATS_STMTENC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

struct stmt_enc {
	const char *name;	/* "UTF-8", "ASCII", "ISO-8859-2", "WINDOWS-1250", "CP852" */
	bool utf8;		/* UTF-8 or ASCII: bytes pass through (validated) */
	char table[128][4];	/* UTF-8 of bytes 0x80..0xFF (single-byte encodings) */
	unsigned char table_len[128];
};

/* Decide from a sample (the start of the file). `complete` is true when the sample is the
 * whole file, so a UTF-8 sequence cut at its end is an error rather than a cut. */
void stmt_enc_detect(struct stmt_enc *e, const char *sample, size_t len, bool complete);
/* Set up a named encoding ("UTF-8", "ISO-8859-2", "WINDOWS-1250", "CP852"); false if
 * iconv does not know it. */
bool stmt_enc_set(struct stmt_enc *e, const char *name);
/* Append the UTF-8 of n bytes to out; returns how many bytes were not valid. */
size_t stmt_enc_append(const struct stmt_enc *e, struct buf *out, const char *s, size_t n);

#endif
