/* sniff — see sniff.h. */
#include "core/sniff.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct sniff_result
	R_EMPTY = {"empty", "application/octet-stream", "document"},
	R_PDF = {"pdf", "application/pdf", "document"},
	R_ZIP = {"zip", "application/zip", "document"},
	R_JPEG = {"jpeg", "image/jpeg", "document"},
	R_PNG = {"png", "image/png", "document"},
	R_GIF = {"gif", "image/gif", "document"},
	R_HTML = {"html", "text/html", "document"},
	R_FA = {"xml", "application/xml", "invoice"},
	R_CAMT = {"camt", "application/xml", "statement"},
	R_XML = {"xml", "application/xml", "document"},
	R_MT940 = {"mt940", "text/plain", "statement"},
	R_CSV = {"csv", "text/csv", "document"},
	R_TEXT = {"text", "text/plain", "document"},
	R_TRANSACTIONS = {"transactions", "application/json", "statement"},
	R_REGISTER = {"register", "application/json", "register"},
	R_PAYMENTS = {"payments", "application/json", "payments"},
	R_UNKNOWN = {"unknown", "application/octet-stream", "document"};

static const void *find(const unsigned char *h, size_t n, const char *needle)
{
	return memmem(h, n, needle, strlen(needle));
}

static bool starts(const unsigned char *h, size_t n, const void *magic, size_t m)
{
	return n >= m && memcmp(h, magic, m) == 0;
}

/* Skip a UTF-8 byte order mark and leading white space. */
static size_t skip_lead(const unsigned char *h, size_t n)
{
	size_t i = starts(h, n, "\xEF\xBB\xBF", 3) ? 3 : 0;
	while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n'))
		i++;
	return i;
}

/* Text: no NUL, no control bytes but white space, form feed and DOS's end of file (and,
 * with `swift_frame`, the SOH/ETX bytes that frame SWIFT messages, as mBank writes MT940). */
static bool looks_like_text(const unsigned char *h, size_t n, bool swift_frame)
{
	for (size_t i = 0; i < n; i++)
		if (h[i] == 0 || (h[i] < 0x20 && h[i] != '\t' && h[i] != '\r' && h[i] != '\n' &&
				  h[i] != 0x0c && h[i] != 0x1a &&
				  !(swift_frame && (h[i] == 0x01 || h[i] == 0x03))))
			return false;
	return true;
}

static struct sniff_result sniff_markup(const unsigned char *h, size_t n)
{
	size_t i = skip_lead(h, n);
	const unsigned char *p = h + i;
	size_t m = n - i;
	if ((m >= 9 && strncasecmp((const char *)p, "<!doctype", 9) == 0 &&
	     find(p, m < 64 ? m : 64, "html")) ||
	    (m >= 5 && strncasecmp((const char *)p, "<html", 5) == 0))
		return R_HTML;
	if (find(h, n, "camt.053") || find(h, n, "camt.052"))
		return R_CAMT;
	if (find(h, n, "crd.gov.pl/wzor") || find(h, n, "<Faktura"))
		return R_FA;
	return R_XML;
}

/* MT940: SWIFT tags :20: (reference) and :25: (account) near the top. */
static bool looks_like_mt940(const unsigned char *h, size_t n)
{
	size_t i = skip_lead(h, n);
	bool opens = starts(h + i, n - i, ":20:", 4) || starts(h + i, n - i, "{1:", 3) ||
		     starts(h + i, n - i, ":940:", 5) || find(h, n, "\n:20:");
	return opens && find(h, n, ":25:") && (find(h, n, ":60F:") || find(h, n, ":60M:") ||
					       find(h, n, ":28C:") || find(h, n, ":28:"));
}

/* CSV: at least two lines carrying the same number (>= 1) of ';' or ','. */
/* goniec's own JSON documents name their schema near the start: "schema": "goniec.X/N". */
static bool goniec_schema(const unsigned char *h, size_t n, const char *prefix)
{
	char spaced[64], tight[64];
	snprintf(spaced, sizeof(spaced), "\"schema\": \"%s", prefix);
	snprintf(tight, sizeof(tight), "\"schema\":\"%s", prefix);
	return find(h, n, spaced) || find(h, n, tight);
}

/* The same number of separators (outside quotes) on the first two lines; or a file that is
 * one line (a header with no rows yet) with at least two of them. */
static bool looks_like_csv(const unsigned char *h, size_t n, bool whole)
{
	for (const char *sep = ";,"; *sep; sep++) {
		int counts[2] = {0, 0}, line = 0;
		bool quoted = false;
		size_t i;
		for (i = 0; i < n && line < 2; i++) {
			if (h[i] == '"')
				quoted = !quoted;
			else if (quoted)
				continue;
			else if (h[i] == (unsigned char)*sep)
				counts[line]++;
			else if (h[i] == '\n')
				line++;
		}
		if (line >= 1 && counts[0] > 0 && counts[0] == counts[1])
			return true;
		if (whole && line == 1 && i == n && counts[0] >= 2)
			return true;
	}
	return false;
}

struct sniff_result sniff_type(const unsigned char *head, size_t head_len,
			       const unsigned char *tail, size_t tail_len, size_t total)
{
	(void)tail;
	(void)tail_len;
	if (total == 0)
		return R_EMPTY;
	if (find(head, head_len < 1024 ? head_len : 1024, "%PDF-"))
		return R_PDF;
	if (starts(head, head_len, "PK\x03\x04", 4) || starts(head, head_len, "PK\x05\x06", 4))
		return R_ZIP;
	if (starts(head, head_len, "\xFF\xD8\xFF", 3))
		return R_JPEG;
	if (starts(head, head_len, "\x89PNG\r\n\x1a\n", 8))
		return R_PNG;
	if (starts(head, head_len, "GIF8", 4))
		return R_GIF;
	size_t lead = skip_lead(head, head_len);
	if (lead < head_len && head[lead] == '<' && looks_like_text(head, head_len, false))
		return sniff_markup(head, head_len);
	if (!looks_like_text(head, head_len, false))
		return looks_like_text(head, head_len, true) && looks_like_mt940(head, head_len)
			       ? R_MT940
			       : R_UNKNOWN;
	if (lead < head_len && head[lead] == '{' && goniec_schema(head, head_len, "goniec.transactions/"))
		return R_TRANSACTIONS;
	if (lead < head_len && head[lead] == '{' && goniec_schema(head, head_len, "goniec.register/"))
		return R_REGISTER;
	if (lead < head_len && head[lead] == '{' && goniec_schema(head, head_len, "goniec.payments/"))
		return R_PAYMENTS;
	if (looks_like_mt940(head, head_len))
		return R_MT940;
	if (looks_like_csv(head, head_len, head_len == total))
		return R_CSV;
	return R_TEXT;
}

const char *sniff_problem(const struct sniff_result *r, const unsigned char *tail,
			  size_t tail_len, size_t total)
{
	if (total == 0)
		return "the file is empty";
	if (strcmp(r->type, "pdf") == 0 && !memmem(tail, tail_len, "%%EOF", 5))
		return "truncated PDF: no %%EOF marker at its end";
	return NULL;
}

const char *sniff_extension(const char *type)
{
	static const char *const map[][2] = {
		{"pdf", ".pdf"}, {"xml", ".xml"}, {"camt", ".xml"}, {"mt940", ".sta"},
		{"csv", ".csv"}, {"zip", ".zip"}, {"jpeg", ".jpg"}, {"png", ".png"},
		{"gif", ".gif"}, {"html", ".html"}, {"text", ".txt"},
		{"transactions", ".json"}, {"register", ".json"}, {"payments", ".json"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], type) == 0)
			return map[i][1];
	return ".bin";
}
