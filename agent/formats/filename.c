/* filename — see filename.h. */
#include "formats/filename.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/utf8.h"
#include "core/util.h"
#include "formats/charset.h"

#define MAX_SEGMENTS 64

char *mime_header_decode(const char *value)
{
	size_t len = strlen(value), idx = 0;
	const char *fallback = utf8_valid(value, len) ? "utf-8" : "windows-1250";
	char *decoded = NULL;
	if (!strstr(value, "=?"))
		return charset_guess_to_utf8(value, len);
	if (mailmime_encoded_phrase_parse(fallback, value, len, &idx, "utf-8", &decoded) !=
		    MAILIMF_NO_ERROR || !decoded)
		return charset_guess_to_utf8(value, len);
	char *out = charset_guess_to_utf8(decoded, strlen(decoded));
	free(decoded);
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 2231 percent-decoding. A NUL ("%00") would cut the name short in every C string
 * after this: it becomes '_', and the text after it is kept. */
static void percent_decode(struct buf *b, const char *s)
{
	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hexval(s[1])) >= 0 && (lo = hexval(s[2])) >= 0) {
			char c = hi || lo ? (char)(hi * 16 + lo) : '_';
			buf_append(b, &c, 1);
			s += 2;
		} else {
			buf_append(b, s, 1);
		}
	}
}

/* Split "charset'language'rest": copies the charset out, returns rest (or s itself
 * when there are not two quotes). */
static const char *split_charset(const char *s, char **charset)
{
	const char *q1 = strchr(s, '\'');
	const char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q2) {
		*charset = NULL;
		return s;
	}
	*charset = xstrndup(s, (size_t)(q1 - s));
	return q2 + 1;
}

/* Is `name` "<key>*", "<key>*N" or "<key>*N*"? Sets *index (-1 for "<key>*") and
 * *extended (trailing star: percent-encoded). */
static bool rfc2231_name(const char *name, const char *key, int *index, bool *extended)
{
	size_t kl = strlen(key);
	if (strncasecmp(name, key, kl) || name[kl] != '*')
		return false;
	const char *p = name + kl + 1;
	if (!*p) {
		*index = -1;
		*extended = true;
		return true;
	}
	if (!isdigit((unsigned char)*p) || (*p == '0' && isdigit((unsigned char)p[1])))
		return false;
	char *end;
	long v = strtol(p, &end, 10);
	if (v >= MAX_SEGMENTS || (*end && strcmp(end, "*")))
		return false;
	*index = (int)v;
	*extended = *end == '*';
	return true;
}

static char *rfc2231_decode(const struct mime_param *params, size_t n, const char *key)
{
	const struct mime_param *seg[MAX_SEGMENTS] = {0};
	bool ext[MAX_SEGMENTS] = {0};
	const struct mime_param *single = NULL;
	for (size_t i = 0; i < n; i++) {
		int idx;
		bool e;
		if (!params[i].name || !params[i].value ||
		    !rfc2231_name(params[i].name, key, &idx, &e))
			continue;
		if (idx < 0) {
			single = single ? single : &params[i];
		} else if (!seg[idx]) {
			seg[idx] = &params[i];
			ext[idx] = e;
		}
	}
	if (!single && !seg[0])
		return NULL;
	struct buf bytes = {0};
	char *charset = NULL;
	if (single) {
		percent_decode(&bytes, split_charset(single->value, &charset));
	} else {
		for (int i = 0; i < MAX_SEGMENTS && seg[i]; i++) {
			const char *v = seg[i]->value;
			if (i == 0 && ext[0])
				v = split_charset(v, &charset);
			if (ext[i])
				percent_decode(&bytes, v);
			else
				buf_puts(&bytes, v);
		}
	}
	buf_puts(&bytes, "");
	char *out = charset_to_utf8(charset, bytes.data, bytes.len);
	if (!out)
		out = charset_guess_to_utf8(bytes.data, bytes.len);
	free(charset);
	buf_free(&bytes);
	return out;
}

char *mime_param_decode(const struct mime_param *params, size_t n, const char *key)
{
	char *v = rfc2231_decode(params, n, key);
	if (v)
		return v;
	for (size_t i = 0; i < n; i++)
		if (params[i].name && params[i].value && !strcasecmp(params[i].name, key))
			return mime_header_decode(params[i].value);
	return NULL;
}

char *mime_part_filename(const struct mime_param *disp, size_t ndisp,
			 const struct mime_param *ctype, size_t nctype)
{
	char *v = mime_param_decode(disp, ndisp, "filename");
	if (v && *v)
		return v;
	free(v);
	v = mime_param_decode(ctype, nctype, "name");
	if (v && *v)
		return v;
	free(v);
	return NULL;
}
