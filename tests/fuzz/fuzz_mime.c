/* libFuzzer target: the raw-MIME part walk and the streaming transfer decoder.
 * Input: an RFC 5322 message. Every candidate part is decoded in full. */
#include <stdint.h>
#include <stdlib.h>

#include "formats/mime.h"

static int count(void *ctx, const void *data, size_t len, struct gerr *err)
{
	(void)data, (void)err;
	*(size_t *)ctx += len;
	return 0;
}

static int on_part(void *ctx, const struct mime_part *part, const struct mime_body *body,
		   struct gerr *err)
{
	(void)part;
	(void)mime_body_decode(body, count, ctx, err); /* a bad body must not stop the walk */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist accept = {0};
	strlist_add(&accept, "pdf");
	strlist_add(&accept, "xml");
	strlist_add(&accept, "zip");
	size_t total = 0;
	struct gerr err;
	(void)mime_walk_raw((const char *)data, size, &accept, on_part, &total, &err);
	/* the decoder alone, fed in uneven chunks */
	struct mime_decoder d;
	mime_decoder_init(&d, size && data[0] & 1 ? MIME_ENC_QP : MIME_ENC_BASE64, count, &total);
	for (size_t off = 0, step = 1; off < size; off += step, step = step * 2 + 1)
		if (mime_decoder_feed(&d, (const char *)data + off, size - off < step ? size - off : step,
				      &err) != 0)
			break;
	(void)mime_decoder_finish(&d, &err);
	strlist_free(&accept);
	return 0;
}
