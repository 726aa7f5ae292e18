/* charset — see charset.h. */
#include "formats/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"

/* Convert with iconv; lossy turns invalid input into '?' instead of failing. */
static char *convert(const char *charset, const char *bytes, size_t len, bool lossy)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return NULL;
	struct buf out = {0};
	char *in = (char *)bytes;
	size_t inleft = len;
	char tmp[512];
	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof tmp;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		buf_append(&out, tmp, (size_t)(o - tmp));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		if (!lossy) {
			buf_free(&out);
			iconv_close(cd);
			return NULL;
		}
		buf_puts(&out, "?"); /* EILSEQ or EINVAL (truncated): skip one byte */
		in++;
		inleft--;
	}
	iconv_close(cd);
	buf_puts(&out, "");
	/* iconv accepts odd charset names and some converters let invalid bytes through */
	if (!utf8_valid(out.data, out.len)) {
		buf_free(&out);
		return lossy ? xstrdup("?") : NULL;
	}
	return buf_take(&out);
}

char *charset_to_utf8(const char *charset, const char *bytes, size_t len)
{
	if (!charset || !*charset)
		return charset_guess_to_utf8(bytes, len);
	if (!strcasecmp(charset, "utf-8") || !strcasecmp(charset, "utf8") ||
	    !strcasecmp(charset, "us-ascii"))
		return utf8_valid(bytes, len) ? xstrndup(bytes, len) : NULL;
	return convert(charset, bytes, len, false);
}

char *charset_guess_to_utf8(const char *bytes, size_t len)
{
	if (utf8_valid(bytes, len))
		return xstrndup(bytes, len);
	char *s = convert("WINDOWS-1250", bytes, len, true);
	return s ? s : xstrndup("?", 1);
}

long utf8_to_charset(const char *charset, const char *text, size_t len, struct buf *out)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	if (cd == (iconv_t)-1)
		return -1;
	char *in = (char *)text;
	size_t inleft = len;
	long replaced = 0;
	char tmp[512];
	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof tmp;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		buf_append(out, tmp, (size_t)(o - tmp));
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ (not in the charset, or invalid) or EINVAL (cut at the end) */
		const unsigned char *p = (const unsigned char *)in;
		size_t skip = utf8_next(&p, inleft) < 0 ? 1 : (size_t)((const char *)p - in);
		buf_puts(out, "?");
		replaced++;
		in += skip;
		inleft -= skip;
	}
	char *o = tmp;
	size_t oleft = sizeof tmp;
	iconv(cd, NULL, NULL, &o, &oleft);   /* a stateful charset's closing bytes */
	buf_append(out, tmp, (size_t)(o - tmp));
	iconv_close(cd);
	return replaced;
}
