/* invvalue — readers of single values in invoice text: dates, amounts, NIPs, account
 * numbers, invoice numbers, KSeF numbers, KSeF verification links, currencies; and the
 * folding of text to the form the field rules match (formats/invrules.h).
 *
 * Each reader looks at the text at `s` (UTF-8, NUL-terminated) and either reads one
 * value that starts exactly there, returning how many bytes it took, or returns 0. They
 * are strict: a value is read only when it is whole (a date that is a real calendar day,
 * an amount with exactly two decimals and no digit glued to it, a NIP or account whose
 * checksum holds, a KSeF number of the published pattern), so that a field is absent
 * rather than wrong.
 *
 * Ownership: no allocation except inv_fold() (caller frees). Errors: none (0 = no value).
 */
#ifndef GONIEC_FORMATS_INVVALUE_H
#define GONIEC_FORMATS_INVVALUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/idnum.h"

#define INV_NUMBER_MAX 64
#define INV_KSEF_LEN 35
#define INV_URL_MAX 512

/* Lower case, Polish letters without their marks, ligatures (ﬁ, ﬂ) spelt out, no-break
 * spaces as spaces. `map` (may be NULL) gets, for each byte of the result, the offset of
 * the byte of `s` it came from (len + 1 entries, the last maps the end). */
char *inv_fold(const char *s, size_t **map);

/* "2026-01-12", "12.01.2026", "12-01-2026", "12/01/2026", "1 stycznia 2022",
 * "18 sty 2022" → "YYYY-MM-DD". */
size_t inv_read_date(const char *s, char out[11]);
/* "1 234,56", "1234.56", "-17,22", "1.234,56", glued or spaced currency after it
 * ("259,33PLN", "42,94 zł"): minor units (two decimals) and the currency if written
 * ("" if not). Not when followed by '%' (a rate) or more digits. */
size_t inv_read_amount(const char *s, int64_t *minor, char currency[4]);
/* A currency written alone: ISO code (PLN, EUR, USD, ...), "zł", "zl", "złotych",
 * "polski złoty". */
size_t inv_read_currency(const char *s, char out[4]);
/* "NIP: PL 526-025-09-95" without the label: an optional "PL", ten digits with dashes or
 * spaces in the usual groups; checksum valid; not 0000000000. */
size_t inv_read_nip(const char *s, char out[NIP_LEN + 1]);
/* An NRB (26 digits, spaced in groups or not) or an IBAN; checksum valid. */
size_t inv_read_account(const char *s, char out[IBAN_MAX_LEN + 1]);
/* An invoice number: one token of letters, digits and / - _ . \ holding a digit, with an
 * upper-case prefix token before it ("FV 1/05/2021"). Leading ':', '.', '#' skipped. */
size_t inv_read_number(const char *s, char out[INV_NUMBER_MAX + 1]);
/* A KSeF number: NIP-YYYYMMDD-12 hex-2 hex (35 characters). */
size_t inv_read_ksef(const char *s, char out[INV_KSEF_LEN + 1]);
/* A link to KSeF's verification of an invoice (https://…mf.gov.pl/…). */
size_t inv_read_url(const char *s, char out[INV_URL_MAX + 1]);

#endif
