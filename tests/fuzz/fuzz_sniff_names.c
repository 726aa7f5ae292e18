/* libFuzzer target: what the spool does with untrusted bytes and names — type sniffing of
 * a document's head and tail, and making a file name safe. Checks the promises of
 * names.h: never empty, never "." or "..", no '/' or control characters, at most
 * NAME_MAX_BYTES, valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/sniff.h"
#include "core/util.h"

static void check_name(const char *n)
{
	size_t len = strlen(n);
	if (!len || len > NAME_MAX_BYTES || strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
	    strchr(n, '/') || n[0] == '.')
		abort();
	for (const unsigned char *p = (const unsigned char *)n; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			abort();
		if (*p >= 0x80) { /* a complete UTF-8 sequence */
			int more = (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
			if (more < 0)
				abort();
			for (int i = 0; i < more; i++)
				if ((*++p & 0xC0) != 0x80)
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t tail = size < 1024 ? size : 1024;
	struct sniff_result r = sniff_type(data, size < 4096 ? size : 4096, data + size - tail, tail,
					   size);
	if (!r.type || !r.media_type || !r.kind)
		abort();
	sniff_problem(&r, data + size - tail, tail, size);
	char *text = xstrndup((const char *)data, size);
	char *name = sanitize_filename(text, "fallback.pdf");
	check_name(name);
	char *with_ext = name_with_extension(name, sniff_extension(r.type));
	char *suffixed = name_with_suffix(name, 2);
	free(suffixed);
	free(with_ext);
	free(name);
	free(text);
	return 0;
}
