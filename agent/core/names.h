/* names — safe file names from untrusted input (mail attachments, portal fields).
 *
 * sanitize_filename() keeps UTF-8 letters (Polish ones included), turns '/', '\\',
 * control characters, characters Windows/SMB shares refuse (<>:"|?*) and invalid UTF-8
 * into '_', strips leading dots and spaces and trailing dots and spaces, refuses ".."
 * and reserved DOS device names, and caps the length (in bytes, at a UTF-8 boundary,
 * keeping the extension). It never returns an empty name: `fallback` is used then.
 * Ownership: the result is owned by the caller.
 */
#ifndef GONIEC_NAMES_H
#define GONIEC_NAMES_H

#include <stddef.h>

#define NAME_MAX_BYTES 180

char *sanitize_filename(const char *untrusted, const char *fallback);
/* Same, capping at max_bytes (>= 16). */
char *sanitize_filename_max(const char *untrusted, const char *fallback, size_t max_bytes);
/* "name.pdf" -> "name-2.pdf" (n >= 2). */
char *name_with_suffix(const char *name, unsigned n);
/* Replace the extension (or add one) so that it matches the sniffed type. */
char *name_with_extension(const char *name, const char *ext);

#endif
