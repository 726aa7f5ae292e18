/* libFuzzer target: the token endpoint's answers (core/oauth.h): a token, an error with
 * its explanation, a device authorization; whatever a sign-in service could send. */
#include <stdint.h>
#include <stdlib.h>

#include "core/oauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct oauth_token tok;
	struct oauth_error e;
	struct oauth_device d;
	struct gerr err;

	if (oauth_parse_token(text, size, &tok, &err) == 0)
		oauth_token_free(&tok);
	if (oauth_parse_device(text, size, &d, &err) == 0)
		oauth_device_free(&d);
	oauth_parse_error(text, size, &e);
	char *msg = oauth_explain(&e, size ? 300 + data[0] : 400, size && (data[0] & 1),
				  "goniec oauth x");
	(void)oauth_needs_person(&e, size ? 300 + data[0] : 0);
	free(msg);
	oauth_error_free(&e);
	return 0;
}
