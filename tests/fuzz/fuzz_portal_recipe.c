/* libFuzzer target: the provider recipe loader and validator on arbitrary YAML. Whatever
 * the input, it must either load or report diagnostics, without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>

#include "sources/portal/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = {0};
	struct recipe *r = recipe_load_string("fuzz.yaml", (const char *)data, size, &d);
	recipe_free(r);
	diag_free(&d);
	return 0;
}
