/* names — see names.h. */
#include "core/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xE0) == 0xC0)
		n = 2, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		n = 3, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		n = 4, c &= 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Code points that must not stand in a file name: controls, C1 controls, bidi
 * overrides that disguise an extension, and characters Windows shares refuse. */
static bool unwanted(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))
		return true;
	if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
	    cp == 0x200F || cp == 0xFEFF)
		return true;
	return cp < 0x80 && strchr("/\\<>:\"|?*", (int)cp);
}

static char *replace_unwanted(const char *in)
{
	struct buf b = {0};
	const unsigned char *s = (const unsigned char *)in;
	while (*s) {
		uint32_t cp;
		size_t n = utf8_seq(s, &cp);
		if (!n || unwanted(cp)) {
			buf_puts(&b, "_");
			s += n ? n : 1;
		} else {
			buf_append(&b, s, n);
			s += n;
		}
	}
	return buf_take(&b);
}

static void trim(char *s)
{
	size_t start = 0, len = strlen(s);
	while (s[start] == '.' || s[start] == ' ' || s[start] == '-')
		start++;
	while (len > start && (s[len - 1] == '.' || s[len - 1] == ' '))
		len--;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
}

static bool reserved_dos_name(const char *s)
{
	static const char *const names[] = {"CON", "PRN", "AUX", "NUL", NULL};
	size_t base = strcspn(s, ".");
	for (size_t i = 0; names[i]; i++)
		if (base == 3 && strncasecmp(s, names[i], 3) == 0)
			return true;
	return base == 4 && (strncasecmp(s, "COM", 3) == 0 || strncasecmp(s, "LPT", 3) == 0) &&
	       isdigit((unsigned char)s[3]);
}

/* Back up to the start of a UTF-8 sequence. */
static size_t utf8_floor(const char *s, size_t at)
{
	while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80)
		at--;
	return at;
}

static char *cap_length(char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return s;
	const char *dot = strrchr(s, '.');
	size_t ext = dot && strlen(dot) <= 12 ? strlen(dot) : 0;
	size_t keep = utf8_floor(s, max - ext);
	char *out = xasprintf("%.*s%s", (int)keep, s, ext ? dot : "");
	free(s);
	return out;
}

char *sanitize_filename_max(const char *untrusted, const char *fallback, size_t max_bytes)
{
	char *s = replace_unwanted(untrusted ? untrusted : "");
	trim(s);
	if (!*s || strcmp(s, "_") == 0) {
		free(s);
		s = replace_unwanted(fallback);
		trim(s);
	}
	if (reserved_dos_name(s)) {
		char *t = xasprintf("_%s", s);
		free(s);
		s = t;
	}
	return cap_length(s, max_bytes < 16 ? 16 : max_bytes);
}

char *sanitize_filename(const char *untrusted, const char *fallback)
{
	return sanitize_filename_max(untrusted, fallback, NAME_MAX_BYTES);
}

char *name_with_suffix(const char *name, unsigned n)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name)
		return xasprintf("%s-%u", name, n);
	return xasprintf("%.*s-%u%s", (int)(dot - name), name, n, dot);
}

char *name_with_extension(const char *name, const char *ext)
{
	const char *dot = strrchr(name, '.');
	if (dot && strcasecmp(dot, ext) == 0)
		return xstrdup(name);
	return xasprintf("%s%s", name, ext);
}
