/* charset — text in mail charsets to UTF-8 and back (iconv); UTF-8 checks are core/utf8.h's.
 *
 * Used for RFC 2047/2231 file names, subjects and 8-bit headers. The charsets that
 * matter for Polish mail are UTF-8, ISO-8859-2 and Windows-1250, but anything iconv
 * knows is accepted. Text without a charset that is not valid UTF-8 is taken as
 * Windows-1250 (the usual 8-bit Polish mailer), which can represent any byte sequence
 * except a few unassigned bytes; those become '?'.
 *
 * Ownership: results are owned by the caller (free()).
 * Errors: charset_to_utf8() returns NULL for an unknown charset or bytes invalid in it.
 */
#ifndef GONIEC_CHARSET_H
#define GONIEC_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"


char *charset_to_utf8(const char *charset, const char *bytes, size_t len);
/* Bytes of unknown charset: a copy when valid UTF-8, else converted from Windows-1250. */
char *charset_guess_to_utf8(const char *bytes, size_t len);

/* UTF-8 text written in `charset` (a name iconv knows), appended to out; a character
 * the charset cannot hold, or an invalid UTF-8 sequence, becomes '?'. Returns how many
 * were replaced, or -1 (nothing appended) when iconv does not know the charset. */
long utf8_to_charset(const char *charset, const char *text, size_t len, struct buf *out);

#endif
