/* libFuzzer target: the MT940/MT942 reader on arbitrary bytes (see stmt_fuzz.h for what is
 * checked on what it reads). */
#include "formats/mt940.h"
#include "stmt_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, mt940_read);
	return 0;
}
