/* utf7 — see utf7.h. */
#include "formats/utf7.h"

#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64value(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;
	return p ? (int)(p - b64chars) : -1;
}

static void put_utf8(struct buf *b, uint32_t cp)
{
	char o[4];
	size_t n;
	if (cp < 0x80) {
		o[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		o[0] = (char)(0xF0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(b, o, n);
}

/* Decode one "&...-" run (p points after '&', end at '-'). Returns 0 or -1. */
static int decode_run(struct buf *out, const char *p, const char *end)
{
	uint32_t bits = 0, high = 0;
	int nbits = 0;
	if (p == end)
		return -1; /* "&-" is handled by the caller; an empty run is not valid here */
	for (; p < end; p++) {
		int v = b64value(*p);
		if (v < 0)
			return -1;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = (bits >> nbits) & 0xFFFF;
		if (u >= 0xD800 && u < 0xDC00) {
			if (high)
				return -1;
			high = u;
		} else if (u >= 0xDC00 && u < 0xE000) {
			if (!high)
				return -1;
			put_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00));
			high = 0;
		} else {
			if (high || u == 0 || (u >= 0x20 && u < 0x7F))
				return -1; /* NUL, or printable ASCII, which must not be encoded */
			put_utf8(out, u);
		}
	}
	/* leftover bits must be zero padding, fewer than 6 of them */
	if (high || nbits >= 6 || (bits & ((1u << nbits) - 1)))
		return -1;
	return 0;
}

char *imap_utf7_decode(const char *s)
{
	struct buf out = {0};
	buf_puts(&out, "");
	while (*s) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			goto bad;
		if (*s != '&') {
			buf_append(&out, s++, 1);
			continue;
		}
		const char *end = strchr(s + 1, '-');
		if (!end)
			goto bad;
		if (end == s + 1)
			buf_puts(&out, "&");
		else if (decode_run(&out, s + 1, end) < 0 || (end[1] == '&' && end[2] != '-'))
			goto bad; /* two runs in a row are not canonical: one run must hold both */
		s = end + 1;
	}
	return buf_take(&out);
bad:
	buf_free(&out);
	return NULL;
}

static void flush_bits(struct buf *out, uint32_t *bits, int *nbits)
{
	if (*nbits > 0) {
		char c = b64chars[(*bits << (6 - *nbits)) & 0x3F];
		buf_append(out, &c, 1);
	}
	*bits = 0;
	*nbits = 0;
}

static void put_u16(struct buf *out, uint32_t u, uint32_t *bits, int *nbits)
{
	*bits = (*bits << 16) | u;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		char c = b64chars[(*bits >> *nbits) & 0x3F];
		buf_append(out, &c, 1);
	}
	*bits &= (1u << *nbits) - 1;
}

char *imap_utf7_encode(const char *utf8)
{
	struct buf out = {0};
	const unsigned char *p = (const unsigned char *)utf8, *end = p + strlen(utf8);
	uint32_t bits = 0;
	int nbits = 0;
	bool in_run = false;
	buf_puts(&out, "");
	while (*p) {
		long cp = utf8_next(&p, (size_t)(end - p));
		if (cp < 0) {
			buf_free(&out);
			return NULL;
		}
		if (cp >= 0x20 && cp < 0x7F) {
			if (in_run) {
				flush_bits(&out, &bits, &nbits);
				buf_puts(&out, "-");
				in_run = false;
			}
			buf_puts(&out, cp == '&' ? "&-" : (char[]){(char)cp, 0});
			continue;
		}
		if (!in_run) {
			buf_puts(&out, "&");
			in_run = true;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_u16(&out, 0xD800 + ((uint32_t)cp >> 10), &bits, &nbits);
			put_u16(&out, 0xDC00 + ((uint32_t)cp & 0x3FF), &bits, &nbits);
		} else {
			put_u16(&out, (uint32_t)cp, &bits, &nbits);
		}
	}
	if (in_run) {
		flush_bits(&out, &bits, &nbits);
		buf_puts(&out, "-");
	}
	return buf_take(&out);
}
