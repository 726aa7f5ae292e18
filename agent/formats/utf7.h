/* utf7 — IMAP mailbox names in modified UTF-7 (RFC 3501 §5.1.3) <-> UTF-8.
 *
 * Servers send and expect folder names such as "Wys&AUI-ane" for "Wysłane"; libetpan
 * passes them through untouched, so the IMAP source converts at its edges: names from
 * LIST are decoded for people, names from conf.d are encoded before SELECT/CREATE.
 *
 * Ownership: results are owned by the caller (free()).
 * Errors: imap_utf7_decode() returns NULL for a name that is not valid modified UTF-7
 * (the caller then shows the raw name); imap_utf7_encode() returns NULL for invalid UTF-8.
 */
#ifndef GONIEC_UTF7_H
#define GONIEC_UTF7_H

char *imap_utf7_decode(const char *mutf7);
char *imap_utf7_encode(const char *utf8);

#endif
