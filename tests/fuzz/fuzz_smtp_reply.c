/* libFuzzer target: the SMTP reply reader and its classification (forward/smtpreply.h),
 * fed whatever a server could send. */
#include <stdint.h>
#include <string.h>

#include "forward/smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_reply r;
	int64_t window;
	const char *what;

	smtp_reply_parse((const char *)data, size, &r);
	if (strlen(r.text) >= sizeof(r.text))
		__builtin_trap();
	(void)smtp_reply_classify(&r, &window, &what);
	return 0;
}
