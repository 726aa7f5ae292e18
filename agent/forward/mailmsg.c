#include "forward/mailmsg.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *mail_message_id(const char *route, const char *const *sha256, size_t n, const char *from)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, route, strlen(route) + 1);
	for (size_t i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, sha256[i], strlen(sha256[i]) + 1);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	hex_encode(md, 16, hex);
	const char *at = from ? strrchr(from, '@') : NULL;
	return xasprintf("<%s@goniec.%s>", hex, at && at[1] ? at + 1 : "localhost");
}

void mail_base64(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned char line[80];
	while (len > 0) {
		size_t n = len > 57 ? 57 : len;
		int w = EVP_EncodeBlock(line, p, (int)n);
		buf_append(out, line, (size_t)w);
		buf_append(out, "\r\n", 2);
		p += n;
		len -= n;
	}
}

size_t mail_size_estimate(size_t payload, size_t natt)
{
	return payload / 57 * 78 + 78 + natt * 400 + 4096;
}

static bool needs_encoding(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c >= 0x7f || *c < 0x20)
			return true;
	return strstr(s, "=?") != NULL || strlen(s) > 900;
}

/* Length of the UTF-8 sequence starting at s (1 for a stray byte). */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return i;
	return n;
}

char *mail_encode_header(const char *value, size_t name_len)
{
	struct buf out = {0};
	if (!needs_encoding(value)) {
		buf_puts(&out, value);
		return buf_take(&out);
	}
	/* "=?UTF-8?B?" + base64 + "?=": at most 39 input bytes (52 characters) per word, so
	 * that even the first word fits beside the longest header name we use */
	const unsigned char *p = (const unsigned char *)value;
	size_t col = name_len;
	while (*p) {
		size_t n = 0;
		while (p[n]) {
			size_t l = utf8_len(p + n);
			if (n + l > 39)
				break;
			n += l;
		}
		unsigned char chunk[48], enc[68];
		memcpy(chunk, p, n);
		for (size_t i = 0; i < n; i++)
			if (chunk[i] < 0x20 || chunk[i] == 0x7f)
				chunk[i] = ' ';
		int w = EVP_EncodeBlock(enc, chunk, (int)n);
		if (out.len && col + (size_t)w + 12 > 76) {
			buf_puts(&out, "\r\n ");
			col = 1;
		} else if (out.len) {
			buf_puts(&out, " ");
			col++;
		}
		buf_printf(&out, "=?UTF-8?B?%.*s?=", w, (const char *)enc);
		col += (size_t)w + 12;
		p += n;
	}
	return buf_take(&out);
}

static bool attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$&+-.^_`|~", c) != NULL;
}

char *mail_filename_params(const char *filename)
{
	struct buf out = {0}, ascii = {0}, enc = {0};
	bool plain = true;
	for (const unsigned char *c = (const unsigned char *)filename; *c; c++) {
		char ch = (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\') ? (char)*c : '_';
		plain = plain && ch == (char)*c;
		if ((*c & 0xC0) != 0x80) /* one '_' per character, not per byte */
			buf_append(&ascii, &ch, 1);
		if (attr_char(*c))
			buf_append(&enc, c, 1);
		else
			buf_printf(&enc, "%%%02X", *c);
	}
	if (!plain || ascii.len > 60) {
		/* RFC 2231 continuations of at most 60 characters, never splitting a %XX */
		size_t i = 0;
		for (unsigned k = 0; i < enc.len; k++) {
			size_t n = enc.len - i > 60 ? 60 : enc.len - i;
			if (i + n < enc.len && n >= 2 && enc.data[i + n - 1] == '%')
				n -= 1;
			else if (i + n < enc.len && n >= 2 && enc.data[i + n - 2] == '%')
				n -= 2;
			buf_printf(&out, "filename*%u*=%s%.*s;\r\n ", k, k == 0 ? "UTF-8''" : "",
				   (int)n, enc.data + i);
			i += n;
		}
	}
	/* the plain form last: some readers take the first filename they see */
	buf_printf(&out, "filename=\"%s\"", ascii.data ? ascii.data : "document");
	buf_free(&ascii);
	buf_free(&enc);
	return buf_take(&out);
}

char *mail_name_param(const char *filename)
{
	if (needs_encoding(filename)) {
		/* RFC 2047 words inside the quotes (what Outlook and Thunderbird send): read by
		 * importers that know no RFC 2231; after "Content-Type: ...;\r\n name=\"" */
		char *words = mail_encode_header(filename, 7);
		char *p = xasprintf("name=\"%s\"", words);
		free(words);
		return p;
	}
	char *p = xasprintf("name=\"%s\"", filename);
	for (char *c = p + 6; c[1]; c++)
		if (*c == '"' || *c == '\\')
			*c = '_';
	return p;
}

bool mail_address_ok(const char *addr)
{
	const char *at = strchr(addr, '@');
	if (!at || at == addr || !at[1] || strchr(at + 1, '@') || strlen(addr) > 254)
		return false;
	for (const unsigned char *c = (const unsigned char *)addr; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || strchr("<>()[],;:\\\"", *c))
			return false;
	return true;
}

static bool media_type_ok(const char *t)
{
	const char *slash = strchr(t, '/');
	if (!slash || slash == t || !slash[1] || strlen(t) > 100)
		return false;
	for (const char *c = t; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("/.+-", *c)))
			return false;
	return strchr(slash + 1, '/') == NULL;
}

static void header(struct buf *out, const char *name, const char *value)
{
	char *enc = mail_encode_header(value, strlen(name) + 2);
	buf_printf(out, "%s: %s\r\n", name, enc);
	free(enc);
}

char *mail_build(const struct mail_spec *m, size_t *len)
{
	struct buf out = {0};
	char date[64];
	struct tm tm;
	localtime_r(&m->date, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	/* the boundary cannot occur in base64 text: it holds '=' and '_' */
	char boundary[64];
	snprintf(boundary, sizeof(boundary), "=_goniec_%.24s", m->message_id + 1);
	buf_printf(&out, "From: %s\r\n", m->from);
	buf_puts(&out, "To: ");
	for (size_t i = 0; i < m->to->len; i++)
		buf_printf(&out, "%s%s", i ? ",\r\n " : "", m->to->items[i]);
	buf_puts(&out, "\r\n");
	header(&out, "Subject", m->subject);
	buf_printf(&out, "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n", date, m->message_id);
	buf_puts(&out, "Auto-Submitted: auto-generated\r\nX-Mailer: goniec\r\n");
	buf_printf(&out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
	buf_puts(&out, "This is a MIME message.\r\n");
	buf_printf(&out, "\r\n--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	mail_base64(&out, m->body, strlen(m->body));
	for (size_t i = 0; i < m->natt; i++) {
		const struct mail_attachment *a = &m->att[i];
		char *params = mail_filename_params(a->filename);
		char *name = mail_name_param(a->filename);
		buf_printf(&out, "\r\n--%s\r\nContent-Type: %s;\r\n %s\r\n"
				 "Content-Transfer-Encoding: base64\r\n"
				 "Content-Disposition: attachment;\r\n %s\r\n\r\n",
			   boundary, media_type_ok(a->media_type) ? a->media_type
				   : "application/octet-stream", name, params);
		free(name);
		free(params);
		mail_base64(&out, a->data, a->len);
	}
	buf_printf(&out, "\r\n--%s--\r\n", boundary);
	*len = out.len;
	return buf_take(&out);
}
