/* libFuzzer target: IMAP mailbox names in modified UTF-7 (formats/utf7.h), which come from
 * the server's LIST answers, on arbitrary bytes (up to the first NUL, as a C string).
 * Checks the header's promises both ways: a name that decodes is canonical, so encoding
 * what it decodes to gives the same name back (the folder a person picks from `goniec
 * folders` is the folder a run selects); text that encodes decodes to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/utf7.h"

/* encode(text) must exist and decode back to text. */
static void check_round_trip(const char *text)
{
	char *name = imap_utf7_encode(text);
	if (!name)
		abort();
	char *back = imap_utf7_decode(name);
	if (!back || strcmp(back, text) != 0)
		abort();
	free(back);
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	char *decoded = imap_utf7_decode(s);
	if (decoded) {
		char *again = imap_utf7_encode(decoded);
		if (!again || strcmp(again, s) != 0)
			abort();
		free(again);
		check_round_trip(decoded);
		free(decoded);
	}
	char *name = imap_utf7_encode(s); /* NULL: not UTF-8 */
	if (name) {
		free(name);
		check_round_trip(s);
	}
	free(s);
	return 0;
}
