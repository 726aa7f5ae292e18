/* stmtinput — see stmtinput.h. */
#include "formats/stmtinput.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void stmt_input_fd(struct stmt_input *in, int fd, const char *name)
{
	memset(in, 0, sizeof(*in));
	in->fd = fd;
	in->name = name;
}

void stmt_input_mem(struct stmt_input *in, const void *data, size_t len, const char *name)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->mem = data;
	in->mem_len = len;
	in->name = name;
}

/* Read from the source itself, past the head. */
static ssize_t source_read(struct stmt_input *in, char *buf, size_t n, struct gerr *err)
{
	if (in->eof)
		return 0;
	if (in->fd < 0) {
		size_t left = in->mem_len - in->mem_pos;
		size_t k = left < n ? left : n;
		if (k)
			memcpy(buf, in->mem + in->mem_pos, k);
		in->mem_pos += k;
		in->eof = in->mem_pos == in->mem_len;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t r = read(in->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gerr_sys(err, "cannot read %s", in->name);
		in->eof = r == 0;
		return r;
	}
}

int stmt_input_peek(struct stmt_input *in, size_t want, const char **data, size_t *len,
		    struct gerr *err)
{
	if (in->head_pos > 0) {
		memmove(in->head, in->head + in->head_pos, in->head_len - in->head_pos);
		in->head_len -= in->head_pos;
		in->head_pos = 0;
	}
	while (in->head_len < want && !in->eof) { /* grow by what comes, not by want */
		size_t step = want - in->head_len < 65536 ? want - in->head_len : 65536;
		if (in->fd < 0 && in->mem_len - in->mem_pos < step)
			step = in->mem_len - in->mem_pos;
		if (step == 0) { /* memory read to its end */
			in->eof = true;
			break;
		}
		if (in->head_len + step > in->head_cap) {
			in->head_cap = in->head_len + step > in->head_cap * 2 ? in->head_len + step
									       : in->head_cap * 2;
			in->head = xrealloc(in->head, in->head_cap);
		}
		ssize_t r = source_read(in, in->head + in->head_len, step, err);
		if (r < 0)
			return -1;
		in->head_len += (size_t)r;
	}
	*data = in->head;
	*len = in->head_len;
	return 0;
}

ssize_t stmt_input_read(struct stmt_input *in, char *buf, size_t n, struct gerr *err)
{
	if (in->head_pos < in->head_len) {
		size_t left = in->head_len - in->head_pos;
		size_t k = left < n ? left : n;
		memcpy(buf, in->head + in->head_pos, k);
		in->head_pos += k;
		return (ssize_t)k;
	}
	return source_read(in, buf, n, err);
}

void stmt_input_free(struct stmt_input *in)
{
	free(in->head);
	in->head = NULL;
	in->head_len = in->head_pos = in->head_cap = 0;
}
