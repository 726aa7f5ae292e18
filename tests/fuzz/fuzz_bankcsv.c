/* libFuzzer target: the bank CSV reader (built-in maps) on arbitrary bytes (see stmt_fuzz.h for what is
 * checked on what it reads). */
#include "formats/bankcsv.h"
#include "stmt_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, bankcsv_read);
	return 0;
}
