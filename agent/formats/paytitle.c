/* paytitle — see paytitle.h. */
#include "formats/paytitle.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

/* ---- folding ---------------------------------------------------------------------------- */

/* Two-byte UTF-8 letters folded to one ASCII capital: the Polish ones, and the few other
 * Latin letters Polish counterparties' names carry. */
static const struct {
	unsigned char b0, b1;
	char to;
} fold2[] = {
	{0xC4, 0x84, 'A'}, {0xC4, 0x85, 'A'}, {0xC4, 0x86, 'C'}, {0xC4, 0x87, 'C'},
	{0xC4, 0x98, 'E'}, {0xC4, 0x99, 'E'}, {0xC5, 0x81, 'L'}, {0xC5, 0x82, 'L'},
	{0xC5, 0x83, 'N'}, {0xC5, 0x84, 'N'}, {0xC3, 0x93, 'O'}, {0xC3, 0xB3, 'O'},
	{0xC5, 0x9A, 'S'}, {0xC5, 0x9B, 'S'}, {0xC5, 0xB9, 'Z'}, {0xC5, 0xBA, 'Z'},
	{0xC5, 0xBB, 'Z'}, {0xC5, 0xBC, 'Z'}, {0xC3, 0x84, 'A'}, {0xC3, 0xA4, 'A'},
	{0xC3, 0x96, 'O'}, {0xC3, 0xB6, 'O'}, {0xC3, 0x9C, 'U'}, {0xC3, 0xBC, 'U'},
	{0xC3, 0x89, 'E'}, {0xC3, 0xA9, 'E'}, {0xC4, 0x8C, 'C'}, {0xC4, 0x8D, 'C'},
	{0xC5, 0xA0, 'S'}, {0xC5, 0xA1, 'S'}, {0xC5, 0xBD, 'Z'}, {0xC5, 0xBE, 'Z'},
};

static bool fold_space(const unsigned char *p, size_t *len)
{
	if (*p < 0x80) {
		*len = 1;
		return isspace(*p) || iscntrl(*p);
	}
	if (p[0] == 0xC2 && p[1] == 0xA0) { /* no-break space */
		*len = 2;
		return true;
	}
	if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF) { /* narrow no-break space */
		*len = 3;
		return true;
	}
	return false;
}

/* Typographic punctuation as its ASCII form: dashes as '-', quotes and guillemets as
 * '"', the ellipsis as '.'; 0 for anything else. */
static char fold_punct(const unsigned char *p, size_t *len)
{
	if (p[0] == 0xC2 && (p[1] == 0xAB || p[1] == 0xBB)) {
		*len = 2;
		return '"';
	}
	if (p[0] != 0xE2 || p[1] != 0x80 || !p[2])
		return 0;
	*len = 3;
	if (p[2] >= 0x90 && p[2] <= 0x95)
		return '-';
	if (p[2] >= 0x98 && p[2] <= 0x9F)
		return '"';
	if (p[2] == 0xA6)
		return '.';
	return 0;
}

char *paytitle_fold(const char *text)
{
	if (!text)
		return xstrdup("");
	size_t n = strlen(text);
	char *out = xmalloc(n + 1);
	size_t o = 0;
	bool space = false;
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		size_t len;
		if (fold_space(p, &len)) {
			space = o > 0;
			p += len;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		if (*p < 0x80) {
			out[o++] = (char)toupper(*p++);
			continue;
		}
		len = 1;
		char to = fold_punct(p, &len);
		for (size_t i = 0; !to && i < ARRAY_LEN(fold2) && p[1]; i++)
			if (fold2[i].b0 == p[0] && fold2[i].b1 == p[1]) {
				to = fold2[i].to;
				len = 2;
			}
		if (to) {
			out[o++] = to;
			p += len;
		} else {
			out[o++] = (char)*p++;
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- character classes ------------------------------------------------------------------ */

enum cclass { C_GLUE, C_SOFT, C_HARD };

static enum cclass cclass(unsigned char c)
{
	if (c >= 0x80 || isalnum(c) || c == '/' || c == '\\' || c == '_')
		return C_GLUE;
	if (c == '-' || c == '.')
		return C_SOFT;
	return C_HARD;
}

static bool glue_at(const char *s, size_t i)
{
	return s[i] && cclass((unsigned char)s[i]) == C_GLUE;
}

static bool has_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isdigit((unsigned char)s[i]))
			return true;
	return false;
}

/* ---- invoice numbers -------------------------------------------------------------------- */

bool paytitle_number_key(const char *number, struct paytitle_key *k)
{
	memset(k, 0, sizeof(*k));
	char *f = paytitle_fold(number);
	/* separators around the number are no part of it */
	size_t b = 0, e = strlen(f);
	while (b < e && cclass((unsigned char)f[b]) != C_GLUE)
		b++;
	while (e > b && cclass((unsigned char)f[e - 1]) != C_GLUE)
		e--;
	bool ok = e - b <= PAYTITLE_KEY_MAX;
	if (ok) {
		memcpy(k->full, f + b, e - b);
		k->full[e - b] = '\0';
	}
	free(f);
	if (!ok)
		return false;
	/* the core: leading words without a digit dropped */
	const char *core = k->full;
	for (;;) {
		const char *sp = strchr(core, ' ');
		if (!sp || has_digit(core, (size_t)(sp - core)))
			break;
		core = sp + 1;
	}
	snprintf(k->core, sizeof(k->core), "%s", core);
	const char *last = strrchr(k->full, ' ');
	snprintf(k->last, sizeof(k->last), "%s", last ? last + 1 : k->full);
	return strlen(k->core) >= PAYTITLE_KEY_MIN && has_digit(k->core, strlen(k->core));
}

void paytitle_spans(const char *folded, paytitle_span_fn fn, void *ctx)
{
	size_t count = 0, n = strlen(folded);
	for (size_t w = 0; w < n && count < PAYTITLE_SPANS_MAX;) {
		if (cclass((unsigned char)folded[w]) == C_HARD) {
			w++;
			continue;
		}
		size_t we = w;
		while (we < n && cclass((unsigned char)folded[we]) != C_HARD)
			we++;
		/* a span begins at a glue character at the word's start or after a soft one,
		 * and ends at a glue character before the word's end or a soft one */
		for (size_t s = w; s < we && count < PAYTITLE_SPANS_MAX; s++) {
			if (!glue_at(folded, s) || (s > w && glue_at(folded, s - 1)))
				continue;
			for (size_t e = s + 1; e <= we && e - s <= PAYTITLE_KEY_MAX; e++) {
				if (!glue_at(folded, e - 1) || (e < we && glue_at(folded, e)))
					continue;
				if (e - s < PAYTITLE_KEY_MIN || !has_digit(folded + s, e - s))
					continue;
				fn(ctx, folded, s, e);
				if (++count == PAYTITLE_SPANS_MAX)
					break;
			}
		}
		w = we;
	}
}

/* Does form stand in folded as a whole token ending at end? */
static long form_at(const char *folded, size_t end, const char *form)
{
	size_t len = strlen(form);
	if (!len || len > end || memcmp(folded + end - len, form, len) != 0)
		return -1;
	size_t start = end - len;
	if ((start > 0 && glue_at(folded, start - 1)) || glue_at(folded, end))
		return -1;
	return (long)start;
}

long paytitle_key_at(const char *folded, size_t end, const struct paytitle_key *k)
{
	if (end > strlen(folded))
		return -1;
	long at = form_at(folded, end, k->full);
	return at >= 0 ? at : form_at(folded, end, k->core);
}

/* ---- split payment ---------------------------------------------------------------------- */

static void copy_trimmed(char *out, size_t cap, const char *s, size_t n)
{
	while (n && s[0] == ' ') {
		s++;
		n--;
	}
	while (n && s[n - 1] == ' ')
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

bool paytitle_mpp(const char *folded, struct paytitle_mpp *m)
{
	memset(m, 0, sizeof(*m));
	const char *vat = str_starts_with(folded, "/VAT/") ? folded + 5 : NULL;
	const char *idc = vat ? strstr(vat, "/IDC/") : NULL;
	const char *inv = idc ? strstr(idc + 5, "/INV/") : NULL;
	if (!inv)
		return false;
	const char *txt = strstr(inv + 5, "/TXT/");
	char text[32];
	copy_trimmed(text, sizeof(text), vat, (size_t)(idc - vat));
	struct gerr err = {0};
	m->has_vat = text[0] && money_parse(text, ',', 2, &m->vat, &err) == 0;
	copy_trimmed(m->idc, sizeof(m->idc), idc + 5, (size_t)(inv - idc - 5));
	if (!nip_normalise(m->idc, m->nip) || !nip_valid(m->nip))
		m->nip[0] = '\0';
	const char *inv_end = txt ? txt : inv + 5 + strlen(inv + 5);
	copy_trimmed(m->inv, sizeof(m->inv), inv + 5, (size_t)(inv_end - inv - 5));
	m->txt = txt ? (size_t)(txt + 5 - folded) : 0;
	return true;
}

/* ---- NIPs and accounts ------------------------------------------------------------------ */

/* Digits from p, allowing one space or dash between two digits, up to want digits.
 * Returns the digits read (want + 1 when a digit follows them at once: a longer run);
 * *endp after the last. */
static size_t read_digits(const char *p, char *out, size_t want, const char **endp)
{
	size_t n = 0;
	while (n < want) {
		if (isdigit((unsigned char)*p)) {
			out[n++] = *p++;
			*endp = p;
		} else if ((*p == ' ' || *p == '-') && n > 0 && isdigit((unsigned char)p[1])) {
			p++;
		} else {
			break;
		}
	}
	return n == want && isdigit((unsigned char)*p) ? n + 1 : n;
}

/* A run of digits that begins a token at i (a "PL" before it is allowed). */
static bool digits_begin(const char *s, size_t i)
{
	if (!isdigit((unsigned char)s[i]))
		return false;
	if (i == 0 || !glue_at(s, i - 1))
		return true;
	return i >= 2 && s[i - 2] == 'P' && s[i - 1] == 'L' && (i == 2 || !glue_at(s, i - 3));
}

static size_t find_numbers(const char *folded, size_t want, bool (*take)(const char *digits, char *out),
			   char *out, size_t stride, size_t max)
{
	size_t found = 0, n = strlen(folded);
	char digits[32], value[IBAN_MAX_LEN + 1];
	for (size_t i = 0; i < n && found < max; i++) {
		if (!digits_begin(folded, i))
			continue;
		const char *end = folded + i;
		size_t got = read_digits(folded + i, digits, want, &end);
		if (got != want || glue_at(end, 0))
			continue;
		digits[want] = '\0';
		bool dup = false;
		if (!take(digits, value))
			continue;
		for (size_t j = 0; j < found; j++)
			dup = dup || strcmp(out + j * stride, value) == 0;
		if (!dup)
			memcpy(out + found++ * stride, value, strlen(value) + 1);
		i = (size_t)(end - folded);
	}
	return found;
}

static bool take_nip(const char *digits, char *out)
{
	memcpy(out, digits, NIP_LEN + 1);
	return nip_valid(out);
}

static bool take_account(const char *digits, char *out)
{
	return account_normalise(digits, out) && iban_valid(out);
}

size_t paytitle_nips(const char *folded, char (*out)[NIP_LEN + 1], size_t max)
{
	return find_numbers(folded, NIP_LEN, take_nip, (char *)out, NIP_LEN + 1, max);
}

size_t paytitle_accounts(const char *folded, char (*out)[IBAN_MAX_LEN + 1], size_t max)
{
	return find_numbers(folded, 26, take_account, (char *)out, IBAN_MAX_LEN + 1, max);
}

/* ---- words ------------------------------------------------------------------------------ */

/* Legal forms and the usual words of a transfer title: they name no one. (With their
 * lengths: every word of every title and name is looked up here.) */
#define W(s) {s, sizeof(s) - 1}
static const struct {
	const char *w;
	size_t n;
} noise_words[] = {
	W("SP"), W("ZOO"), W("OO"), W("SA"), W("SK"), W("SKA"), W("SJ"), W("SC"), W("SPK"), W("SPJ"),
	W("SPP"), W("PSA"), W("SPOLKA"), W("SPOLKI"), W("SPOLKE"), W("AKCYJNA"), W("KOMANDYTOWA"),
	W("KOMANDYTOWO"), W("JAWNA"), W("CYWILNA"), W("PARTNERSKA"), W("OGRANICZONA"),
	W("OGRANICZONEJ"), W("ODPOWIEDZIALNOSCIA"), W("ODPOWIEDZIALNOSC"), W("GMBH"), W("LTD"),
	W("INC"), W("LLC"), W("AG"), W("BV"), W("KG"), W("CO"), W("PLC"), W("SRO"), W("FAKTURA"),
	W("FAKTURY"), W("FAKTURE"), W("FAKTURZE"), W("FAKTUR"), W("FV"), W("FA"), W("FVAT"), W("VAT"),
	W("NR"), W("NUMER"), W("ZAPLATA"), W("ZAPL"), W("OPLATA"), W("PLATNOSC"), W("PRZELEW"),
	W("TYTULEM"), W("ZA"), W("DLA"), W("OD"), W("DO"), W("NA"), W("PL"), W("KOREKTA"), W("KORYG"),
	W("KOR"), W("RACHUNEK"), W("RACH"), W("INV"), W("IDC"), W("TXT"), W("PLN"), W("EUR"),
	W("USD"), W("MINUS"),
};
#undef W

static bool noise(const char *w, size_t n)
{
	if (n < 2)
		return true;
	bool digits = true;
	for (size_t i = 0; i < n; i++)
		digits = digits && isdigit((unsigned char)w[i]);
	if (digits)
		return true;
	for (size_t i = 0; i < ARRAY_LEN(noise_words); i++)
		if (noise_words[i].n == n && memcmp(noise_words[i].w, w, n) == 0)
			return true;
	return false;
}

void paytitle_words(const char *text, struct strlist *out)
{
	char *f = paytitle_fold(text);
	for (char *p = f; *p;) {
		unsigned char c = (unsigned char)*p;
		if (!(c >= 0x80 || isalnum(c))) {
			p++;
			continue;
		}
		char *w = p;
		while (*p && ((unsigned char)*p >= 0x80 || isalnum((unsigned char)*p)))
			p++;
		char saved = *p;
		*p = '\0';
		if (!noise(w, (size_t)(p - w)) && !strlist_contains(out, w))
			strlist_add(out, w);
		*p = saved;
	}
	free(f);
}
