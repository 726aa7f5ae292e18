/* libFuzzer target: what goniec makes of a PDF reader's work (pdftext_judge(), which
 * pdftext_read() ends with). A reader that read a hostile PDF may be the attacker's, so
 * its wait status, the text it wrote and its diagnostics (verdict, QR code lines) are all
 * taken from the input: 4 bytes of wait status, 1 byte of flags (text past max_text,
 * killed at the deadline), 2 bytes of the text's length, the text, then the diagnostics.
 *
 * Checks formats/pdftext.h's promises: a known status; `why` for every status but
 * PDFTEXT_OK and only then; a NUL-terminated text of `len` bytes (the reader's whole text
 * for PDFTEXT_OK, else empty); codes only for PDFTEXT_OK, each on a page from 1, one line
 * of printable ASCII of at most PDFPROTO_QR_MAX bytes; a reading past max_text stays
 * truncated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pdfproto.h"
#include "formats/pdftext.h"

static void check(const struct pdftext *out, size_t text_len, bool truncated)
{
	if (out->status < PDFTEXT_OK || out->status > PDFTEXT_MEMORY_LIMIT)
		abort();
	if ((out->status == PDFTEXT_OK) != (out->why == NULL) || !out->text ||
	    out->text[out->len] != '\0' || strlen(out->text) > out->len)
		abort();
	if (out->len != (out->status == PDFTEXT_OK ? text_len : 0))
		abort();
	if (out->ncodes && out->status != PDFTEXT_OK)
		abort();
	for (size_t i = 0; i < out->ncodes; i++) {
		const char *c = out->codes[i].text;
		size_t n = strlen(c);
		if (out->codes[i].page < 1 || n == 0 || n > PDFPROTO_QR_MAX)
			abort();
		for (size_t k = 0; k < n; k++)
			if (c[k] < 0x20 || c[k] > 0x7e)
				abort();
	}
	if (truncated && !out->truncated)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 7)
		return 0;
	int32_t status;
	memcpy(&status, data, sizeof status);
	bool truncated = data[4] & 1, timed_out = data[4] & 2;
	size_t text_len = (size_t)data[5] | (size_t)data[6] << 8;
	data += 7;
	size -= 7;
	if (text_len > size)
		text_len = size;

	struct pdftext_reading r = {.truncated = truncated, .timed_out = timed_out};
	buf_append(&r.text, data, text_len);
	buf_append(&r.errs, data + text_len, size - text_len);
	struct pdftext out = {0};
	pdftext_judge(status, &r, &pdftext_default_limits, &out);
	check(&out, text_len, truncated);
	pdftext_free(&out);
	buf_free(&r.text);
	buf_free(&r.errs);
	return 0;
}
