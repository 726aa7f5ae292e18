/* stmtinput — the bytes of a statement file, read in chunks from a descriptor or memory.
 *
 * Statement readers stream: they take the file a chunk at a time and never hold all of
 * it. Before reading, a caller may peek at the first bytes (to tell the format, the
 * encoding, the bank) without consuming them; the peeked bytes are handed out again by
 * the first reads.
 *
 * Ownership: the input borrows the descriptor (the caller closes it) or the memory (the
 * caller keeps it alive); stmt_input_free() releases the peek buffer.
 * Errors: -1 with err naming the input (stmt_input.name) on a read error.
 */
#ifndef GONIEC_FORMATS_STMTINPUT_H
#define GONIEC_FORMATS_STMTINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/util.h"

struct stmt_input {
	const char *name;	/* for messages */
	int fd;			/* -1 when reading memory */
	const char *mem;
	size_t mem_len, mem_pos;
	char *head;		/* peeked bytes not yet handed out */
	size_t head_len, head_pos, head_cap;
	bool eof;		/* the source has no more bytes (the head may) */
};

void stmt_input_fd(struct stmt_input *in, int fd, const char *name);
void stmt_input_mem(struct stmt_input *in, const void *data, size_t len, const char *name);
/* Make at least `want` bytes (fewer at the end of the input) available without consuming
 * them; data and len show every byte peeked so far, from the first unconsumed one. */
int stmt_input_peek(struct stmt_input *in, size_t want, const char **data, size_t *len,
		    struct gerr *err);
/* Up to n bytes into buf; 0 at the end. */
ssize_t stmt_input_read(struct stmt_input *in, char *buf, size_t n, struct gerr *err);
void stmt_input_free(struct stmt_input *in);

#endif
