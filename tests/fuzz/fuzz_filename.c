/* libFuzzer target: attachment-name decoding (RFC 2231 continuations, RFC 2047 words,
 * charsets via iconv) and IMAP modified UTF-7. Input: lines "name=value" become MIME
 * parameters; the whole input is also tried as a header value and as a folder name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "formats/filename.h"
#include "formats/utf7.h"

#define MAX_PARAMS 32

static void check_utf8(char *s)
{
	if (s && !utf8_valid(s, strlen(s)))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	check_utf8(mime_header_decode(text));
	char *utf8 = imap_utf7_decode(text);
	if (utf8) {
		char *back = imap_utf7_encode(utf8);
		if (!back || strcmp(back, text) != 0)
			abort(); /* a valid modified UTF-7 name must round-trip */
		free(back);
	}
	free(utf8);
	free(imap_utf7_encode(text));

	struct mime_param params[MAX_PARAMS];
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && n < MAX_PARAMS;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		params[n].name = line;
		params[n].value = eq + 1;
		n++;
	}
	check_utf8(mime_part_filename(params, n, params, n));
	check_utf8(mime_param_decode(params, n, "name"));
	free(text);
	return 0;
}
