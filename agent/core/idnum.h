/* idnum — identifiers that bank statements, invoices and conf.d carry: the Polish tax id
 * (NIP) and bank account numbers (IBAN, and the Polish 26-digit NRB, which is an IBAN
 * without its "PL").
 *
 * Written forms vary ("PL 526-025-09-95", "5260250995"; "PL61 1090 1014 0000 0712 1981
 * 2874", "61109010140000071219812874"), so each identifier has a normalise function that
 * reduces a written form to its compact form and a valid function that checks the
 * checksum of a compact form. Normalising never checks the checksum; validating never
 * normalises.
 *
 * Ownership: no allocation; output buffers are the caller's, of the sizes given here.
 * Errors: functions return false for input that is not the identifier; nothing else.
 */
#ifndef GONIEC_IDNUM_H
#define GONIEC_IDNUM_H

#include <stdbool.h>

#define NIP_LEN 10
#define IBAN_MAX_LEN 34

/* "PL 526-025-09-95", "526 025 09 95", "5260250995" → "5260250995". Accepts an optional
 * "PL" prefix (any case), spaces and dashes between digits; anything else, or not
 * exactly ten digits, is refused. */
bool nip_normalise(const char *written, char out[NIP_LEN + 1]);
/* Ten digits whose weighted sum (6 5 7 2 3 4 5 6 7) mod 11 equals the last digit. */
bool nip_valid(const char *compact);

/* An account number as written → compact IBAN: spaces, dashes and a leading "IBAN"
 * label dropped, letters upper-cased; 26 digits alone (a Polish NRB) get "PL" in front.
 * Refuses other characters and lengths outside what an IBAN can be. */
bool account_normalise(const char *written, char out[IBAN_MAX_LEN + 1]);
/* Two letters, two check digits, up to 30 letters/digits, and mod 97 == 1 (ISO 13616).
 * A "PL" IBAN must also be 28 characters long. */
bool iban_valid(const char *compact);

#endif
