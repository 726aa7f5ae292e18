/* base64 — Base64 and base64url. See base64.h. */
#include "core/base64.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

static char *encode(const void *data, size_t len, bool url)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out = xmalloc(cap);
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (url) {
		while (n > 0 && out[n - 1] == '=')
			n--;
		out[n] = '\0';
		for (char *c = out; *c; c++)
			*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	}
	return out;
}

char *b64_encode(const void *data, size_t len)
{
	return encode(data, len, false);
}

char *b64url_encode(const void *data, size_t len)
{
	return encode(data, len, true);
}

static bool b64_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* The value of a Base64 digit in either alphabet; which alphabet in *alpha (0 either,
 * 1 standard, 2 url); -1 for anything else. */
static int digit(char c, int *alpha)
{
	int a = 0;
	int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
		c >= '0' && c <= '9' ? c - '0' + 52 : -1;
	if (c == '+' || c == '/') {
		a = 1;
		v = c == '+' ? 62 : 63;
	} else if (c == '-' || c == '_') {
		a = 2;
		v = c == '-' ? 62 : 63;
	}
	if (v >= 0 && a) {
		if (*alpha && *alpha != a)
			return -1;
		*alpha = a;
	}
	return v;
}

int b64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len,
	       struct gerr *err)
{
	char *clean = xmalloc(len + 4);
	size_t n = 0, pad = 0;
	int alpha = 0, last = 0;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		int v;
		if (b64_space(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad) {
			free(clean);
			return gerr_set(err, "Base64: text after the padding at offset %zu", i);
		}
		if ((v = digit(c, &alpha)) < 0) {
			free(clean);
			return gerr_set(err, "Base64: byte 0x%02x at offset %zu is not of the alphabet "
					"(or mixes standard and url-safe)", (unsigned char)c, i);
		}
		last = v;
		clean[n++] = v == 62 ? '+' : v == 63 ? '/' : c;
	}
	if (n % 4 == 1 || pad > 2 || (pad && (n + pad) % 4) ||
	    (n % 4 == 2 && (last & 0x0f)) || (n % 4 == 3 && (last & 0x03))) {
		free(clean);
		return gerr_set(err, "Base64: %zu characters cannot be Base64", n + pad);
	}
	size_t whole = n - n % 4, rest = n % 4;
	if (rest) {
		memset(clean + n, '=', 4 - rest);
		n += 4 - rest;
	}
	unsigned char *bytes = xmalloc(n / 4 * 3 + 1);
	int got = n ? EVP_DecodeBlock(bytes, (unsigned char *)clean, (int)n) : 0;
	free(clean);
	if (got < 0) {
		free(bytes);
		return gerr_set(err, "Base64: cannot be decoded");
	}
	/* EVP_DecodeBlock counts the padding as zero bytes: count what the digits carry */
	*out_len = whole / 4 * 3 + (rest == 2 ? 1 : rest == 3 ? 2 : 0);
	bytes[*out_len] = '\0';
	*out = bytes;
	return 0;
}
