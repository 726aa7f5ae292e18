/* idnum — NIP and bank account numbers: normalising written forms, checking checksums. */
#include "core/idnum.h"

#include <ctype.h>
#include <string.h>

static bool is_separator(char c)
{
	return c == ' ' || c == '-' || c == '\t';
}

static const char *skip_prefix_ci(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncasecmp(s, prefix, n) == 0 ? s + n : s;
}

bool nip_normalise(const char *written, char out[NIP_LEN + 1])
{
	const char *p = written;
	while (is_separator(*p))
		p++;
	p = skip_prefix_ci(p, "PL");
	size_t n = 0;
	for (; *p; p++) {
		if (is_separator(*p))
			continue;
		if (!isdigit((unsigned char)*p) || n == NIP_LEN)
			return false;
		out[n++] = *p;
	}
	out[n] = '\0';
	return n == NIP_LEN;
}

bool nip_valid(const char *compact)
{
	static const int weights[9] = {6, 5, 7, 2, 3, 4, 5, 6, 7};
	if (strlen(compact) != NIP_LEN)
		return false;
	int sum = 0;
	for (int i = 0; i < NIP_LEN; i++) {
		if (!isdigit((unsigned char)compact[i]))
			return false;
		if (i < 9)
			sum += weights[i] * (compact[i] - '0');
	}
	int check = sum % 11;
	return check != 10 && check == compact[9] - '0';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

bool account_normalise(const char *written, char out[IBAN_MAX_LEN + 1])
{
	const char *p = written;
	while (is_separator(*p))
		p++;
	p = skip_prefix_ci(p, "IBAN");
	size_t n = 0;
	for (; *p; p++) {
		if (is_separator(*p))
			continue;
		if (!isalnum((unsigned char)*p) || n == IBAN_MAX_LEN)
			return false;
		out[n++] = (char)toupper((unsigned char)*p);
	}
	out[n] = '\0';
	if (n == 26 && all_digits(out, n)) {
		memmove(out + 2, out, n + 1);
		out[0] = 'P';
		out[1] = 'L';
		n += 2;
	}
	return n >= 15 && isalpha((unsigned char)out[0]) && isalpha((unsigned char)out[1]);
}

/* The IBAN's value mod 97, reading it from its fifth character on and wrapping around,
 * letters counting as 10..35 (ISO 13616). */
static int iban_mod97(const char *iban, size_t n)
{
	int rem = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)iban[(k + 4) % n];
		if (isdigit(c))
			rem = (rem * 10 + (c - '0')) % 97;
		else
			rem = (rem * 100 + (toupper(c) - 'A' + 10)) % 97;
	}
	return rem;
}

bool iban_valid(const char *compact)
{
	size_t n = strlen(compact);
	if (n < 15 || n > IBAN_MAX_LEN)
		return false;
	if (!isupper((unsigned char)compact[0]) || !isupper((unsigned char)compact[1]) ||
	    !isdigit((unsigned char)compact[2]) || !isdigit((unsigned char)compact[3]))
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isdigit((unsigned char)compact[i]) && !isupper((unsigned char)compact[i]))
			return false;
	if (strncmp(compact, "PL", 2) == 0 && (n != 28 || !all_digits(compact + 2, n - 2)))
		return false;
	return iban_mod97(compact, n) == 1;
}
