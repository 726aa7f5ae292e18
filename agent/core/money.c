/* money — parsing and formatting amounts in integer minor units. */
#include "core/money.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_DIGITS 18 /* 10^18 - 1 < INT64_MAX */

int currency_exponent(const char *code)
{
	static const char *const zero[] = {"JPY", "KRW", "ISK", "CLP", "VND", "XOF", "XAF"};
	static const char *const three[] = {"BHD", "KWD", "OMR", "TND", "JOD", "IQD", "LYD"};
	for (size_t i = 0; i < ARRAY_LEN(zero); i++)
		if (strcasecmp(code, zero[i]) == 0)
			return 0;
	for (size_t i = 0; i < ARRAY_LEN(three); i++)
		if (strcasecmp(code, three[i]) == 0)
			return 3;
	return 2;
}

/* Length of a grouping separator at p (a space, an apostrophe, U+00A0, U+202F, or the
 * non-decimal one of '.' and ','), 0 if there is none. */
static size_t group_separator_len(const char *p, char decimal)
{
	if (*p == ' ' || *p == '\'' || (*p == '.' && decimal == ',') || (*p == ',' && decimal == '.'))
		return 1;
	if ((unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0)
		return 2;
	if ((unsigned char)p[0] == 0xE2 && (unsigned char)p[1] == 0x80 && (unsigned char)p[2] == 0xAF)
		return 3;
	return 0;
}

static bool three_digits_follow(const char *p)
{
	return isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	       isdigit((unsigned char)p[2]) && !isdigit((unsigned char)p[3]);
}

struct amount_reader {
	const char *text;   /* the whole text, for messages */
	const char *p;
	char decimal;
	int exponent;
	int64_t value;
	int digits;         /* significant digits taken */
	int decimals;       /* decimal digits taken into value */
	struct gerr *err;
};

static int take_digit(struct amount_reader *r, char c, bool after_point)
{
	if (after_point && r->decimals == r->exponent) {
		if (c != '0')
			return gerr_set(r->err, "amount \"%s\" has more than %d decimal places",
					r->text, r->exponent);
		return 0;
	}
	if (r->digits > 0 || c != '0')
		r->digits++;
	if (r->digits > MAX_DIGITS)
		return gerr_set(r->err, "amount \"%s\" has too many digits", r->text);
	r->value = r->value * 10 + (c - '0');
	if (after_point)
		r->decimals++;
	return 0;
}

static int read_integer_part(struct amount_reader *r, bool *any)
{
	while (*r->p) {
		if (isdigit((unsigned char)*r->p)) {
			if (take_digit(r, *r->p++, false) < 0)
				return -1;
			*any = true;
			continue;
		}
		size_t sep = group_separator_len(r->p, r->decimal);
		if (sep == 0 || !*any || !three_digits_follow(r->p + sep))
			break;
		r->p += sep;
	}
	return 0;
}

static int read_decimal_part(struct amount_reader *r, bool *any)
{
	if (*r->p != r->decimal)
		return 0;
	r->p++;
	while (isdigit((unsigned char)*r->p)) {
		if (take_digit(r, *r->p++, true) < 0)
			return -1;
		*any = true;
	}
	return 0;
}

/* How many bytes of p, at most max, end at a character's end (UTF-8). */
static int whole_characters(const char *p, size_t max)
{
	size_t n = strnlen(p, max);
	while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int money_parse(const char *text, char decimal, int exponent, int64_t *minor, struct gerr *err)
{
	struct amount_reader r = {.text = text, .decimal = decimal, .exponent = exponent, .err = err};
	r.p = skip_spaces(text);
	bool negative = false, any = false, sign_given = false;
	if (*r.p == '-' || *r.p == '+') {
		negative = *r.p++ == '-';
		sign_given = true;
	}
	if (read_integer_part(&r, &any) < 0 || read_decimal_part(&r, &any) < 0)
		return -1;
	if (!any)
		return gerr_set(err, "\"%s\" is not an amount", text);
	if (*r.p == '-' && !sign_given) {
		negative = true;
		r.p++;
	}
	if (*skip_spaces(r.p) != '\0')
		return gerr_set(err, "\"%s\" is not an amount (unexpected \"%.*s\")", text,
				whole_characters(r.p, 8), r.p);
	for (; r.decimals < exponent; r.decimals++) {
		if (++r.digits > MAX_DIGITS)
			return gerr_set(err, "amount \"%s\" has too many digits", text);
		r.value *= 10;
	}
	*minor = negative ? -r.value : r.value;
	return 0;
}

void money_format(int64_t minor, int exponent, char out[MONEY_TEXT_MAX])
{
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t scale = 1;
	for (int i = 0; i < exponent; i++)
		scale *= 10;
	const char *sign = minor < 0 ? "-" : "";
	if (exponent == 0)
		snprintf(out, MONEY_TEXT_MAX, "%s%llu", sign, (unsigned long long)mag);
	else
		snprintf(out, MONEY_TEXT_MAX, "%s%llu.%0*llu", sign, (unsigned long long)(mag / scale),
			 exponent, (unsigned long long)(mag % scale));
}
