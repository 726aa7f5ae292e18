/* money — amounts as integer minor units of their currency, read from and written as text.
 *
 * Inside goniec every amount is an int64_t count of the currency's minor units (grosze
 * for PLN, cents for EUR), never a floating-point number. Outside data writes amounts in
 * many ways — "959,45" (MT940), "1234.56" (CAMT, FA(3), bank APIs), "-1 788,32" (bank
 * CSV, invoice text), "1.234,56", "+3.99" — and money_parse() reads all of them given
 * which character is the decimal separator. In JSON that goniec writes (sidecars,
 * goniec.transactions/1, reports), an amount is the decimal string money_format() gives,
 * with exactly the currency's decimals ("-1788.32"), next to its currency code.
 *
 * Ownership: no allocation; output buffers are the caller's.
 * Errors: money_parse() returns -1 with a message in err that quotes the text (amounts
 * are not secrets) and says what is wrong; nothing is rounded silently.
 */
#ifndef GONIEC_MONEY_H
#define GONIEC_MONEY_H

#include <stdint.h>

#include "core/util.h"

/* Decimal places of an ISO 4217 currency code: 2 for most (PLN, EUR, USD, GBP, CHF…),
 * 0 for JPY, KRW, HUF is 2, 3 for BHD, KWD, OMR, TND, JOD, IQD, LYD. Unknown codes: 2. */
int currency_exponent(const char *code);

/* Read a written amount into minor units of a currency with `exponent` decimal places.
 * `decimal` is the decimal separator ('.' or ','). Accepted: a sign '+' or '-' before
 * the digits (or a '-' after them), digit groups of three separated by spaces, no-break
 * spaces (U+00A0, U+202F), apostrophes or the other of '.'/',', a decimal part (may be
 * empty: "1000,"), surrounding spaces. Refused: no digits, other characters, more than
 * 18 digits, more decimals than the currency has unless the extra ones are zeros. */
int money_parse(const char *text, char decimal, int exponent, int64_t *minor, struct gerr *err);

#define MONEY_TEXT_MAX 24
/* "-1788.32" for (-178832, 2); "5" for (5, 0). Always '.' and no grouping. */
void money_format(int64_t minor, int exponent, char out[MONEY_TEXT_MAX]);

#endif
