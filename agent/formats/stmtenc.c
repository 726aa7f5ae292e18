/* stmtenc — see stmtenc.h. */
#include "formats/stmtenc.h"

#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "formats/charset.h"

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

static const char *const candidates[] = {"ISO-8859-2", "WINDOWS-1250", "CP852"};

/* The table of one 8-bit encoding, built with iconv. */
static void build_table(struct stmt_enc *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->name = name;
	for (int b = 0x80; b <= 0xFF; b++) {
		char byte = (char)b;
		char *u = charset_to_utf8(e->name, &byte, 1);
		const char *text = u && u[0] && strlen(u) < 4 ? u : REPLACEMENT;
		memcpy(e->table[b - 0x80], text, strlen(text));
		e->table_len[b - 0x80] = (unsigned char)strlen(text);
		free(u);
	}
}

bool stmt_enc_set(struct stmt_enc *e, const char *name)
{
	/* built once per process: iconv_open is slow, and detection tries each */
	static struct stmt_enc tables[ARRAY_LEN(candidates)];
	memset(e, 0, sizeof(*e));
	if (strcmp(name, "UTF-8") == 0 || strcmp(name, "ASCII") == 0) {
		e->name = strcmp(name, "UTF-8") == 0 ? "UTF-8" : "ASCII";
		e->utf8 = true;
		return true;
	}
	for (size_t i = 0; i < ARRAY_LEN(candidates); i++) {
		if (strcmp(name, candidates[i]) != 0)
			continue;
		if (!tables[i].name)
			build_table(&tables[i], candidates[i]);
		*e = tables[i];
		return true;
	}
	return false;
}

/* Polish letters, upper and lower case. */
static bool is_polish_letter(long cp)
{
	static const long letters[] = {0x104, 0x105, 0x106, 0x107, 0x118, 0x119, 0x141, 0x142,
				       0x143, 0x144, 0xD3,  0xF3,  0x15A, 0x15B, 0x179, 0x17A,
				       0x17B, 0x17C};
	for (size_t i = 0; i < ARRAY_LEN(letters); i++)
		if (cp == letters[i])
			return true;
	return false;
}

/* Latin letters of Latin-1 Supplement and Latin Extended-A/B (not × and ÷). */
static bool is_latin_letter(long cp)
{
	return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

static int byte_score(const struct stmt_enc *e, unsigned char b)
{
	if (b == 0xFF)
		return 0;
	const unsigned char *p = (const unsigned char *)e->table[b - 0x80];
	long cp = utf8_next(&p, e->table_len[b - 0x80]);
	if (is_polish_letter(cp))
		return 3;
	return is_latin_letter(cp) ? 1 : -2;
}

/* Valid UTF-8 throughout, except perhaps a sequence cut by the end of the sample. */
static bool sample_is_utf8(const char *s, size_t len, bool complete)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		if (utf8_next(&p, (size_t)(end - p)) >= 0)
			continue;
		return !complete && end - p < 4;
	}
	return true;
}

void stmt_enc_detect(struct stmt_enc *e, const char *sample, size_t len, bool complete)
{
	size_t counts[128] = {0};
	bool high = false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)sample[i] >= 0x80) {
			counts[(unsigned char)sample[i] - 0x80]++;
			high = true;
		}
	if (!high || sample_is_utf8(sample, len, complete)) {
		stmt_enc_set(e, high ? "UTF-8" : "ASCII");
		return;
	}
	long best_score = 0;
	size_t best = 0;
	for (size_t c = 0; c < ARRAY_LEN(candidates); c++) {
		struct stmt_enc cand;
		stmt_enc_set(&cand, candidates[c]);
		long score = 0;
		for (int b = 0; b < 128; b++)
			score += (long)counts[b] * byte_score(&cand, (unsigned char)(b + 0x80));
		if (c == 0 || score > best_score) {
			best_score = score;
			best = c;
		}
	}
	stmt_enc_set(e, candidates[best]);
}

size_t stmt_enc_append(const struct stmt_enc *e, struct buf *out, const char *s, size_t n)
{
	size_t bad = 0;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		const unsigned char *run = p;
		while (p < end && *p < 0x80)
			p++;
		if (p > run)
			buf_append(out, run, (size_t)(p - run));
		if (p == end)
			break;
		if (!e->utf8) {
			buf_append(out, e->table[*p - 0x80], e->table_len[*p - 0x80]);
			bad += memcmp(e->table[*p - 0x80], REPLACEMENT, 3) == 0;
			p++;
			continue;
		}
		const unsigned char *start = p;
		if (utf8_next(&p, (size_t)(end - p)) < 0) {
			buf_puts(out, REPLACEMENT);
			bad++;
			p++;
		} else {
			buf_append(out, start, (size_t)(p - start));
		}
	}
	return bad;
}
