/* libFuzzer target: the conf.d loader on arbitrary YAML text. Whatever the input, it must
 * either load or report diagnostics, without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "conf/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = {0};
	struct config *cfg = config_load_string("fuzz.yaml", (const char *)data, size, &d);
	config_free(cfg);
	diag_free(&d);
	return 0;
}
