/* csvrows — the rows of a CSV file with the line each begins on, cells in UTF-8.
 *
 * libcsv does the quoting; the text is fed line by line so that every row knows the line
 * it starts on (a quoted cell may span lines), and each cell is decoded from the file's
 * encoding (formats/stmtenc.h), a UTF-8 byte-order mark before the first cell dropped,
 * and trimmed of surrounding spaces. The bank CSV reader (bankcsv.h) and the invoice
 * register reader (register.h) read through it.
 *
 * Limits: a cell over CSVROWS_CELL_MAX bytes or a row over CSVROWS_CELLS_MAX cells stops
 * the reading (CSVROWS_TOO_LARGE), so a quote left open cannot swallow a whole file into
 * memory; one left open at the end is CSVROWS_OPEN_QUOTE.
 *
 * Ownership: the cells handed to the row callback belong to the reader and live until the
 * callback returns. Errors: the feed and end functions return 0 or a CSVROWS_* code;
 * csvrows_error() words it with the file's name and line.
 */
#ifndef GONIEC_FORMATS_CSVROWS_H
#define GONIEC_FORMATS_CSVROWS_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"
#include "formats/stmtenc.h"

#define CSVROWS_CELL_MAX 65536
#define CSVROWS_CELLS_MAX 512

enum {
	CSVROWS_PARSER = -1,      /* libcsv refused the text, or the row callback failed */
	CSVROWS_TOO_LARGE = -2,
	CSVROWS_OPEN_QUOTE = -3,
};

/* The row callback: 0 to go on, > 0 to stop reading (not an error), < 0 an error. */
typedef int (*csvrows_fn)(void *ctx, char **cells, size_t n, unsigned long line);

struct csvrows {
	struct csv_parser p;
	const struct stmt_enc *enc;
	char **cells;
	size_t n, cap;
	unsigned long line;	/* the line being fed */
	unsigned long row_line;	/* where the row being built started */
	bool in_row;
	bool first;		/* no row yet: a BOM may lead */
	unsigned long bad_bytes;	/* bytes not valid in the encoding (shown as U+FFFD) */
	csvrows_fn row;
	void *ctx;
	int rc;
	bool stop;		/* the row callback asked to stop */
};

void csvrows_init(struct csvrows *r, const struct stmt_enc *enc, char separator, csvrows_fn row, void *ctx);
void csvrows_free(struct csvrows *r);
/* Feed text (whole lines; the last may lack its '\n'). */
int csvrows_feed(struct csvrows *r, const char *s, size_t n);
/* The end of the text: the last row is handed over. */
int csvrows_end(struct csvrows *r);
/* "<name>: line N: <what went wrong>" for a CSVROWS_* code. Returns -1. */
int csvrows_error(const struct csvrows *r, int rc, const char *name, struct gerr *err);

/* A date as banks and accounting programs write it — "2025-02-26", "26.02.2025",
 * "26-02-2025", "26/02/2025", a time after it allowed — into "YYYY-MM-DD"; false (and out
 * "") when it is none or no calendar date. */
bool csvrows_date(const char *s, char out[11]);

#endif
