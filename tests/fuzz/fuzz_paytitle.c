/* libFuzzer target: the transfer-title reader (formats/paytitle.h) on arbitrary bytes:
 * folding, one-word candidates, numbers as whole tokens, split-payment messages, NIPs,
 * account numbers and words. Checks the header's promises: folded text has no control
 * characters, no leading, trailing or doubled spaces, and folds to itself; every candidate
 * span lies inside the text, is within the length limits and has a digit; a number's key
 * found at a span stands inside the text; what is found as a NIP or account is valid. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/paytitle.h"

static void check_fold(const char *f)
{
	size_t n = strlen(f);
	if (n && (f[0] == ' ' || f[n - 1] == ' '))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((f[i] == ' ' && f[i + 1] == ' ') || ((unsigned char)f[i] < 0x20))
			abort();
	char *again = paytitle_fold(f);
	if (strcmp(again, f) != 0)
		abort();
	free(again);
}

struct ctx {
	const char *text;
	size_t len;
};

static void span(void *p, const char *folded, size_t start, size_t end)
{
	struct ctx *c = p;
	if (folded != c->text || start >= end || end > c->len || end - start > PAYTITLE_KEY_MAX ||
	    end - start < PAYTITLE_KEY_MIN)
		abort();
	bool digit = false;
	for (size_t i = start; i < end; i++)
		digit = digit || isdigit((unsigned char)folded[i]);
	if (!digit)
		abort();
	/* the span read as an invoice number stands where it was found */
	char word[PAYTITLE_KEY_MAX + 1];
	memcpy(word, folded + start, end - start);
	word[end - start] = '\0';
	struct paytitle_key k;
	if (paytitle_number_key(word, &k)) {
		long at = paytitle_key_at(folded, end, &k);
		if (at > (long)end)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	char *f = paytitle_fold(text);
	check_fold(f);
	struct ctx c = {f, strlen(f)};
	paytitle_spans(f, span, &c);
	struct paytitle_mpp m;
	if (paytitle_mpp(f, &m) && (m.txt > c.len || (m.nip[0] && !nip_valid(m.nip))))
		abort();
	char nips[4][NIP_LEN + 1];
	size_t n = paytitle_nips(f, nips, 4);
	for (size_t i = 0; i < n; i++)
		if (!nip_valid(nips[i]))
			abort();
	char accs[4][IBAN_MAX_LEN + 1];
	n = paytitle_accounts(f, accs, 4);
	for (size_t i = 0; i < n; i++)
		if (!iban_valid(accs[i]))
			abort();
	struct strlist words = {0};
	paytitle_words(text, &words);
	for (size_t i = 0; i < words.len; i++)
		if (strlen(words.items[i]) < 2)
			abort();
	strlist_free(&words);
	struct paytitle_key k;
	if (paytitle_number_key(text, &k) && (strlen(k.core) < PAYTITLE_KEY_MIN || strlen(k.full) > PAYTITLE_KEY_MAX))
		abort();
	free(f);
	free(text);
	return 0;
}
