/* pdfread — the text of one PDF with poppler-glib, inside goniec-pdftext's reader
 * (pdftext_worker.c, which sets the reader's limits and descriptors before it calls this).
 *
 * The text goes to stdout, laid out as the page shows it: one text line per printed line,
 * columns kept apart by two or more spaces, a blank line where the page leaves a gap,
 * pages separated by a form feed (\f). Only the first max_pages pages are read, and no page
 * after the one that passes max_text bytes (a file size limit that cuts a write short is
 * the end of the text kept). The verdict is the last line on stderr:
 * "pdftext: pages READ of TOTAL", "pdftext: encrypted: ...", "pdftext: unreadable: ...".
 *
 * QR codes: when the text speaks of KSeF but holds no link to mf.gov.pl (a KSeF invoice
 * whose verification link is only in its QR code), the first pages are rendered (cairo, at
 * most a few million pixels a page whatever its size) and scanned with zbar; each QR code's
 * text that is one line of printable ASCII goes to stderr before the verdict, as
 * "pdftext: qr PAGE TEXT" (PDFPROTO_QR_LINE).
 *
 * Ownership: nothing is kept from one document to the next but poppler's own global
 * caches and the buffer a PDF is read into (as large as the largest PDF up to 32 MiB read
 * so far; a larger one is read from its file). Not thread-safe (one reader, one
 * thread). Errors: the return value (PDFPROTO_EXIT_*, 0 when the text was read).
 */
#ifndef GONIEC_PDFWORKER_PDFREAD_H
#define GONIEC_PDFWORKER_PDFREAD_H

#include <stdint.h>

/* Read the PDF open on fd: 0, PDFPROTO_EXIT_ENCRYPTED or PDFPROTO_EXIT_UNREADABLE. */
int pdfread_document(int fd, int max_pages, uint64_t max_text);

/* Read a small PDF of our own once and keep it open, so that poppler's global tables and
 * the time zone are loaded in the process that forks the readers, not again in each. */
void pdfread_warm_up(void);

#endif
