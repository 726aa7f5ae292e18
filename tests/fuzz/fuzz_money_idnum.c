/* libFuzzer target: amounts (money_parse with both decimal separators and several
 * exponents) and identifiers (NIP, account numbers) from arbitrary text. Checks the
 * promises of the headers: a parsed amount formats back to a string money_parse reads
 * to the same value; normalised identifiers are compact (digits/upper-case only). */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/idnum.h"
#include "core/money.h"

static void check_amount(const char *text, char decimal, int exponent)
{
	struct gerr err;
	int64_t v, back;
	if (money_parse(text, decimal, exponent, &v, &err) < 0)
		return;
	char out[MONEY_TEXT_MAX];
	money_format(v, exponent, out);
	if (money_parse(out, '.', exponent, &back, &err) < 0 || back != v)
		abort();
}

static void check_compact(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !isupper((unsigned char)*s))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	for (int exponent = 0; exponent <= 3; exponent++) {
		check_amount(text, '.', exponent);
		check_amount(text, ',', exponent);
	}
	char nip[NIP_LEN + 1], iban[IBAN_MAX_LEN + 1];
	if (nip_normalise(text, nip)) {
		check_compact(nip);
		(void)nip_valid(nip);
	}
	if (account_normalise(text, iban)) {
		check_compact(iban);
		(void)iban_valid(iban);
	}
	free(text);
	return 0;
}
