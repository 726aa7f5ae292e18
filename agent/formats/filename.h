/* filename — the name of a MIME part as a person meant it, in UTF-8.
 *
 * Mailers encode attachment names in several ways, all of which occur in Polish mail:
 *   filename*=utf-8''Faktura%20%C5%BC.pdf                RFC 2231 extended value
 *   filename*0*=iso-8859-2''Faktura%20; filename*1=x.pdf   RFC 2231 continuations
 *   filename="=?UTF-8?Q?Faktura_=C5=BC.pdf?="             RFC 2047 words (non-standard
 *                                                         but common) inside the value
 *   name="Faktura.pdf" on Content-Type                    when the disposition has none
 *   raw 8-bit bytes                                       UTF-8, else Windows-1250
 * libetpan 1.9.4 hands every one of them over as a plain (name, value) parameter, both
 * from IMAP BODYSTRUCTURE and from its MIME parser, so this module works on such lists.
 *
 * The result is not safe as a file name yet: the spool sanitises it (core/names.h).
 * Ownership: results are owned by the caller (free()).
 * Errors: none; broken encodings decode as far as they can, never fail.
 */
#ifndef GONIEC_FILENAME_H
#define GONIEC_FILENAME_H

#include <stddef.h>

struct mime_param {
	const char *name;
	const char *value;
};

/* The decoded value of parameter `key` (e.g. "filename"): RFC 2231 forms first, then
 * the plain parameter with RFC 2047 words decoded. NULL when absent. */
char *mime_param_decode(const struct mime_param *params, size_t n, const char *key);

/* A header value (Subject, a display name) with RFC 2047 words decoded to UTF-8. */
char *mime_header_decode(const char *value);

/* The attachment's name from its disposition parameters ("filename") and its
 * Content-Type parameters ("name"), in that order of preference; NULL when none. */
char *mime_part_filename(const struct mime_param *disp, size_t ndisp,
			 const struct mime_param *ctype, size_t nctype);

#endif
