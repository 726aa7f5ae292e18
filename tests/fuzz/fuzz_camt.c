/* libFuzzer target: the CAMT.052/053/054 reader on arbitrary bytes (see stmt_fuzz.h for what is
 * checked on what it reads). */
#include "formats/camt.h"
#include "stmt_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, camt_read);
	return 0;
}
