/* invvalue — see invvalue.h. */
#include "formats/invvalue.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/util.h"

/* ---- folding ------------------------------------------------------------------------- */

struct fold_entry {
	const char *from, *to;
};

static const struct fold_entry folds[] = {
	{"\xc4\x85", "a"}, {"\xc4\x84", "a"}, {"\xc4\x87", "c"}, {"\xc4\x86", "c"},
	{"\xc4\x99", "e"}, {"\xc4\x98", "e"}, {"\xc5\x82", "l"}, {"\xc5\x81", "l"},
	{"\xc5\x84", "n"}, {"\xc5\x83", "n"}, {"\xc3\xb3", "o"}, {"\xc3\x93", "o"},
	{"\xc5\x9b", "s"}, {"\xc5\x9a", "s"}, {"\xc5\xba", "z"}, {"\xc5\xb9", "z"},
	{"\xc5\xbc", "z"}, {"\xc5\xbb", "z"}, {"\xef\xac\x81", "fi"}, {"\xef\xac\x82", "fl"},
	{"\xc2\xa0", " "}, {"\xe2\x80\xaf", " "}, {"\xe2\x88\x92", "-"}, {"\xe2\x80\x93", "-"},
};

/* The fold of the character at s, or NULL; *n gets its length in s. Combining marks
 * (U+0300..U+036F, as in a decomposed "ą") fold to nothing. */
static const char *fold_char(const char *s, size_t *n)
{
	unsigned char c0 = (unsigned char)s[0], c1 = (unsigned char)s[1];
	if ((c0 == 0xcc && c1 >= 0x80 && c1 <= 0xbf) || (c0 == 0xcd && c1 >= 0x80 && c1 <= 0xaf)) {
		*n = 2;
		return "";
	}
	for (size_t i = 0; i < ARRAY_LEN(folds); i++) {
		size_t l = strlen(folds[i].from);
		if (strncmp(s, folds[i].from, l) == 0) {
			*n = l;
			return folds[i].to;
		}
	}
	return NULL;
}

char *inv_fold(const char *s, size_t **map)
{
	size_t len = strlen(s);
	char *out = xmalloc(2 * len + 1); /* a ligature doubles at most */
	size_t *m = map ? xmalloc((2 * len + 1) * sizeof *m) : NULL;
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = 1;
		const char *to = fold_char(s + i, &n);
		if (!to) {
			char c = s[i];
			out[o] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
			if (m)
				m[o] = i;
			o++;
			i++;
			continue;
		}
		for (const char *t = to; *t; t++) {
			if (m)
				m[o] = i;
			out[o++] = *t;
		}
		i += n;
	}
	out[o] = '\0';
	if (m) {
		m[o] = len;
		*map = m;
	}
	return out;
}

/* ---- small helpers -------------------------------------------------------------------- */

static size_t digits(const char *s, size_t max, int *value)
{
	size_t n = 0;
	int v = 0;
	while (n < max && isdigit((unsigned char)s[n])) {
		if (n < 9) /* the value is wanted of short runs only; long ones are counted */
			v = v * 10 + (s[n] - '0');
		n++;
	}
	if (isdigit((unsigned char)s[n]))
		return 0; /* longer than wanted */
	*value = v;
	return n;
}

static bool is_word_char(const char *s)
{
	unsigned char c = (unsigned char)*s;
	return isalnum(c) || c >= 0x80;
}

/* The no-break spaces count as spaces; returns the length of the space at s or 0. */
static size_t space_at(const char *s)
{
	if (*s == ' ')
		return 1;
	if ((unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	if (strncmp(s, "\xe2\x80\xaf", 3) == 0)
		return 3;
	return 0;
}

/* ---- dates ---------------------------------------------------------------------------- */

static bool valid_day(int y, int m, int d)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1990 || y > 2099 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static size_t date_out(int y, int m, int d, size_t n, char out[11])
{
	if (!valid_day(y, m, d))
		return 0;
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
	memcpy(out, tmp, 11);
	return n;
}

/* A Polish month name (folded) at s: genitive, nominative or a three-letter short form
 * with an optional dot. Returns its length and sets *month. */
static size_t month_name(const char *s, int *month)
{
	static const char *const names[12][3] = {
		{"stycznia", "styczen", "sty"}, {"lutego", "luty", "lut"},
		{"marca", "marzec", "mar"}, {"kwietnia", "kwiecien", "kwi"},
		{"maja", "maj", "maj"}, {"czerwca", "czerwiec", "cze"},
		{"lipca", "lipiec", "lip"}, {"sierpnia", "sierpien", "sie"},
		{"wrzesnia", "wrzesien", "wrz"}, {"pazdziernika", "pazdziernik", "paz"},
		{"listopada", "listopad", "lis"}, {"grudnia", "grudzien", "gru"},
	};
	size_t n = 0;
	while (s[n] && is_word_char(s + n) && n < 32)
		n++;
	char word[40];
	memcpy(word, s, n);
	word[n] = '\0';
	char *f = inv_fold(word, NULL);
	size_t used = 0;
	for (int m = 0; m < 12 && !used; m++)
		for (int k = 0; k < 3 && !used; k++)
			if (strcmp(f, names[m][k]) == 0) {
				*month = m + 1;
				used = n + (k == 2 && s[n] == '.');
			}
	free(f);
	return used;
}

size_t inv_read_date(const char *s, char out[11])
{
	int a, b, c;
	size_t n1 = digits(s, 4, &a);
	if (n1 == 0)
		return 0;
	char sep = s[n1];
	if (n1 == 4 && (sep == '-' || sep == '.' || sep == '/')) {
		size_t n2 = digits(s + n1 + 1, 2, &b);
		if (n2 && s[n1 + 1 + n2] == sep) {
			size_t n3 = digits(s + n1 + n2 + 2, 2, &c);
			if (n3)
				return date_out(a, b, c, n1 + n2 + n3 + 2, out);
		}
		return 0;
	}
	if (n1 > 2)
		return 0;
	if (sep == '-' || sep == '.' || sep == '/') {
		size_t n2 = digits(s + n1 + 1, 2, &b);
		if (n2 && s[n1 + 1 + n2] == sep) {
			size_t n3 = digits(s + n1 + n2 + 2, 4, &c);
			if (n3 == 4)
				return date_out(c, b, a, n1 + n2 + 6, out);
		}
		return 0;
	}
	size_t sp = space_at(s + n1);
	if (!sp)
		return 0;
	size_t p = n1 + sp, mn = month_name(s + p, &b);
	if (!mn)
		return 0;
	p += mn;
	size_t sp2 = space_at(s + p);
	if (!sp2 || digits(s + p + sp2, 4, &c) != 4)
		return 0;
	return date_out(c, b, a, p + sp2 + 4, out);
}

/* ---- currencies ------------------------------------------------------------------------- */

size_t inv_read_currency(const char *s, char out[4])
{
	static const char *const codes[] = {"PLN", "EUR", "USD", "GBP", "CHF", "CZK", "SEK",
					    "NOK", "DKK", "HUF", "JPY", "CNY", "UAH", NULL};
	static const char *const zloty[] = {"polski zloty", "polskich zlotych", "zlotych",
					    "zloty", "zl", "pln", NULL};
	for (size_t i = 0; codes[i]; i++)
		if (strncmp(s, codes[i], 3) == 0 && !is_word_char(s + 3)) {
			memcpy(out, codes[i], 4);
			return 3;
		}
	char head[24];
	snprintf(head, sizeof head, "%s", s);
	size_t *map;
	char *f = inv_fold(head, &map);
	size_t used = 0;
	for (size_t i = 0; zloty[i] && !used; i++) {
		size_t l = strlen(zloty[i]);
		if (strncmp(f, zloty[i], l) == 0 && (strlen(f) == l || !is_word_char(f + l)) &&
		    !is_word_char(s + map[l])) {
			used = map[l];
			memcpy(out, "PLN", 4);
		}
	}
	free(map);
	free(f);
	return used;
}

/* ---- amounts ---------------------------------------------------------------------------- */

/* Groups after the first: a separator and exactly three digits, the same separator each
 * time. Returns the length of all groups; *sep gets the separator (0: none). */
static size_t digit_groups(const char *s, char *sep)
{
	size_t p = 0;
	*sep = 0;
	for (;;) {
		size_t sl = space_at(s + p);
		char c = sl ? ' ' : s[p];
		if (!sl && c != '.' && c != ',' && c != '\'')
			break;
		if (!sl)
			sl = 1;
		int v;
		if ((*sep && *sep != c) || digits(s + p + sl, 3, &v) != 3)
			break;
		/* "1.234" followed by nothing else is three decimals, not a group */
		*sep = c;
		p += sl + 3;
	}
	return p;
}

size_t inv_read_amount(const char *s, int64_t *minor, char currency[4])
{
	size_t p = 0;
	if (s[0] == '-')
		p = 1;
	else if (strncmp(s, "\xe2\x88\x92", 3) == 0)
		p = 3;
	int v;
	size_t first = 0;
	while (isdigit((unsigned char)s[p + first]))
		first++;
	if (first == 0 || first > 15)
		return 0;
	size_t q = p + first;
	char sep = 0;
	if (first <= 3)
		q += digit_groups(s + q, &sep);
	char dec = s[q];
	if ((dec != ',' && dec != '.') || dec == sep || digits(s + q + 1, 2, &v) != 2)
		return 0;
	size_t end = q + 3;
	if ((s[end] == ',' || s[end] == '.') && isdigit((unsigned char)s[end + 1]))
		return 0;
	if (s[end] == '%' || (s[end] == ' ' && s[end + 1] == '%'))
		return 0;
	char text[64];
	if (end - p + 2 > sizeof text)
		return 0;
	snprintf(text, sizeof text, "%s%.*s", p ? "-" : "", (int)(end - p), s + p);
	struct gerr err;
	if (money_parse(text, dec, 2, minor, &err) != 0)
		return 0;
	currency[0] = '\0';
	size_t sp = space_at(s + end);
	size_t cl = inv_read_currency(s + end + (sp == 1 ? 1 : 0), currency);
	if (cl)
		return end + (sp == 1 ? 1 : 0) + cl;
	currency[0] = '\0';
	if (is_word_char(s + end))
		return 0;
	return end;
}

/* ---- identifiers ------------------------------------------------------------------------- */

/* Digits with single separators (one kind: '-' or ' ') between groups of two or more,
 * up to `want` digits. Copies the digits to out; returns the length taken or 0. */
static size_t spaced_digits(const char *s, size_t want, char *out)
{
	size_t p = 0, got = 0, group = 0;
	char sep = 0;
	while (got < want) {
		if (isdigit((unsigned char)s[p])) {
			out[got++] = s[p++];
			group++;
			continue;
		}
		bool is_sep = (s[p] == '-' || s[p] == ' ') && isdigit((unsigned char)s[p + 1]);
		if (!is_sep || group < 2 || (sep && sep != s[p]))
			return 0;
		sep = s[p++];
		group = 0;
	}
	out[got] = '\0';
	if (group < 2 || isdigit((unsigned char)s[p]))
		return 0;
	return p;
}

size_t inv_read_nip(const char *s, char out[NIP_LEN + 1])
{
	size_t p = 0;
	if ((s[0] == 'P' || s[0] == 'p') && (s[1] == 'L' || s[1] == 'l'))
		p = s[2] == ' ' ? 3 : 2;
	char d[NIP_LEN + 1];
	size_t n = spaced_digits(s + p, NIP_LEN, d);
	if (!n || is_word_char(s + p + n) || !nip_valid(d) || strcmp(d, "0000000000") == 0)
		return 0;
	memcpy(out, d, NIP_LEN + 1);
	return p + n;
}

static size_t account_span(const char *s, char *compact, size_t *ndigits)
{
	size_t p = 0, n = 0;
	while (n < IBAN_MAX_LEN) {
		if (isalnum((unsigned char)s[p])) {
			compact[n++] = s[p++];
		} else if ((s[p] == ' ' || s[p] == '-') && isalnum((unsigned char)s[p + 1]) && n) {
			p++;
		} else {
			break;
		}
	}
	compact[n] = '\0';
	*ndigits = n;
	return p;
}

size_t inv_read_account(const char *s, char out[IBAN_MAX_LEN + 1])
{
	bool iban = isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]);
	char d[IBAN_MAX_LEN + 1];
	if (!iban) {
		size_t n = spaced_digits(s, 26, d);
		if (!n || is_word_char(s + n) || !account_normalise(d, out) || !iban_valid(out))
			return 0;
		return n;
	}
	/* an IBAN: the longest prefix (whole groups) that is valid */
	size_t nd, len = account_span(s, d, &nd);
	while (len > 4) {
		char tmp[IBAN_MAX_LEN + 1];
		snprintf(tmp, sizeof tmp, "%.*s", (int)len, s);
		if (!is_word_char(s + len) && account_normalise(tmp, out) && iban_valid(out))
			return len;
		while (len > 0 && s[len - 1] != ' ' && s[len - 1] != '-')
			len--;
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '-'))
			len--;
	}
	return 0;
}

static bool number_char(char c)
{
	return isalnum((unsigned char)c) || strchr("/-_.\\", c);
}

static size_t token_len(const char *s)
{
	size_t n = 0;
	while (s[n] && number_char(s[n]))
		n++;
	return n;
}

static bool has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			return true;
	return false;
}

static bool upper_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]))
			return false;
	return n >= 1 && n <= 5;
}

size_t inv_read_number(const char *s, char out[INV_NUMBER_MAX + 1])
{
	size_t p = 0;
	while (s[p] == ' ' || s[p] == ':' || s[p] == '.' || s[p] == '#')
		p++;
	size_t start = p, n = token_len(s + p);
	if (n && upper_word(s + p, n) && s[p + n] == ' ' && has_digit(s + p + n + 1, token_len(s + p + n + 1)))
		n += 1 + token_len(s + p + n + 1);
	if (!n || !has_digit(s + start, n) || is_word_char(s + start + n))
		return 0;
	while (n > 1 && (s[start + n - 1] == '.' || s[start + n - 1] == ','))
		n--;
	if (n > INV_NUMBER_MAX)
		return 0;
	memcpy(out, s + start, n);
	out[n] = '\0';
	char d[11];
	if (inv_read_date(out, d) == n && !strchr(out, '/'))
		return 0; /* a date, not a number ("2/11/2023" may be either: kept) */
	return start + n;
}

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

size_t inv_read_ksef(const char *s, char out[INV_KSEF_LEN + 1])
{
	int v;
	char nip[NIP_LEN + 1];
	if (strlen(s) < INV_KSEF_LEN || digits(s, 10, &v) != 10 || s[10] != '-' ||
	    digits(s + 11, 8, &v) != 8 || s[19] != '-' || !hex_run(s + 20, 12) || s[32] != '-' ||
	    !hex_run(s + 33, 2) || is_word_char(s + 35))
		return 0;
	memcpy(nip, s, NIP_LEN);
	nip[NIP_LEN] = '\0';
	int y = (s[11] - '0') * 1000 + (s[12] - '0') * 100 + (s[13] - '0') * 10 + (s[14] - '0');
	int m = (s[15] - '0') * 10 + (s[16] - '0'), d = (s[17] - '0') * 10 + (s[18] - '0');
	if (!valid_day(y, m, d) || nip[0] == '0')
		return 0;
	for (size_t i = 0; i < INV_KSEF_LEN; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[INV_KSEF_LEN] = '\0';
	return INV_KSEF_LEN;
}

size_t inv_read_url(const char *s, char out[INV_URL_MAX + 1])
{
	if (strncmp(s, "https://", 8) != 0)
		return 0;
	size_t n = 8;
	while (s[n] && s[n] != ' ' && (unsigned char)s[n] > 0x20 && (unsigned char)s[n] < 0x7f)
		n++;
	size_t host_end = 8;
	while (host_end < n && s[host_end] != '/')
		host_end++;
	bool mf = host_end - 8 >= 9 && strncmp(s + host_end - 9, "mf.gov.pl", 9) == 0 &&
		  (host_end - 8 == 9 || s[host_end - 10] == '.');
	if (!mf || n > INV_URL_MAX)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}
