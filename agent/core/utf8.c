/* utf8 — see utf8.h. */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

long utf8_next(const unsigned char **p, size_t left)
{
	static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
	const unsigned char *s = *p;
	uint32_t cp;
	size_t extra;
	if (left == 0)
		return -1;
	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		cp = s[0] & 0x1F;
		extra = 1;
	} else if ((s[0] & 0xF0) == 0xE0) {
		cp = s[0] & 0x0F;
		extra = 2;
	} else if ((s[0] & 0xF8) == 0xF0) {
		cp = s[0] & 0x07;
		extra = 3;
	} else {
		return -1;
	}
	if (extra >= left)
		return -1;
	for (size_t i = 1; i <= extra; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
		return -1;
	*p = s + extra + 1;
	return (long)cp;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end)
		if (utf8_next(&p, (size_t)(end - p)) < 0)
			return false;
	return true;
}

size_t utf8_scrub(char *s)
{
	size_t replaced = 0;
	unsigned char *p = (unsigned char *)s, *end = p + strlen(s);
	while (p < end) {
		if (utf8_next((const unsigned char **)&p, (size_t)(end - p)) < 0) {
			*p++ = '?';
			replaced++;
		}
	}
	return replaced;
}
