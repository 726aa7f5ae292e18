/* csvrows — see csvrows.h. */
#include "formats/csvrows.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "formats/statement.h"

static void cell_done(void *s, size_t len, void *data)
{
	struct csvrows *r = data;
	if (r->rc < 0 || r->stop)
		return;
	if (r->n == CSVROWS_CELLS_MAX) {
		r->rc = CSVROWS_TOO_LARGE;
		return;
	}
	struct buf b = {0};
	const char *bytes = s ? s : "";
	if (r->first && r->n == 0 && len >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3)) {
		bytes += 3;
		len -= 3;
	}
	r->bad_bytes += stmt_enc_append(r->enc, &b, bytes, len);
	char *text = NULL;
	txn_set_trimmed(&text, b.data ? b.data : "", b.len);
	buf_free(&b);
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->cells = xrealloc(r->cells, r->cap * sizeof(*r->cells));
	}
	r->cells[r->n++] = text ? text : xstrdup("");
}

static void clear_cells(struct csvrows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cells[i]);
	r->n = 0;
}

static void row_done(int c, void *data)
{
	(void)c;
	struct csvrows *r = data;
	if (r->rc == 0 && !r->stop && r->n) {
		int rc = r->row(r->ctx, r->cells, r->n, r->row_line);
		if (rc < 0)
			r->rc = CSVROWS_PARSER;
		else if (rc > 0)
			r->stop = true;
	}
	r->first = false;
	r->in_row = false;
	clear_cells(r);
}

void csvrows_init(struct csvrows *r, const struct stmt_enc *enc, char separator, csvrows_fn row, void *ctx)
{
	memset(r, 0, sizeof(*r));
	csv_init(&r->p, CSV_STRICT_FINI | CSV_APPEND_NULL);
	csv_set_delim(&r->p, (unsigned char)separator);
	r->enc = enc;
	r->row = row;
	r->ctx = ctx;
	r->first = true;
}

void csvrows_free(struct csvrows *r)
{
	clear_cells(r);
	free(r->cells);
	csv_free(&r->p);
}

/* Feed one line (with its '\n'). */
static int csvrows_line(struct csvrows *r, const char *s, size_t n)
{
	r->line++;
	if (!r->in_row) {
		r->in_row = true;
		r->row_line = r->line;
	}
	if (csv_parse(&r->p, s, n, cell_done, row_done, r) != n)
		return CSVROWS_PARSER;
	if (r->rc == 0 && csv_get_buffer_size(&r->p) > CSVROWS_CELL_MAX)
		r->rc = CSVROWS_TOO_LARGE;
	return r->rc;
}

/* libcsv's parser state (struct csv_parser is public): inside a quoted field. */
#define LIBCSV_FIELD_BEGUN 2

int csvrows_end(struct csvrows *r)
{
	if (r->rc < 0)
		return r->rc;
	/* csv_fini would hand the unfinished row over before it reports the open quote */
	if (r->p.quoted && r->p.pstate == LIBCSV_FIELD_BEGUN)
		return CSVROWS_OPEN_QUOTE;
	if (csv_fini(&r->p, cell_done, row_done, r) != 0)
		return CSVROWS_OPEN_QUOTE;
	return r->rc;
}

int csvrows_feed(struct csvrows *r, const char *s, size_t n)
{
	if (n == 0) /* nothing to feed (and s may be NULL) */
		return 0;
	const char *end = s + n;
	while (s < end && !r->stop) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl + 1 : end;
		int rc = csvrows_line(r, s, (size_t)(stop - s));
		if (rc < 0)
			return rc;
		s = stop;
	}
	return 0;
}

/* "2025-02-26", "26.02.2025", "26-02-2025", "26/02/2025", a time after it allowed. */
bool csvrows_date(const char *s, char out[STMT_DATE_LEN + 1])
{
	out[0] = '\0';
	size_t n = strcspn(s, " T");
	if (n != 10)
		return false;
	for (size_t i = 0; i < 10; i++)
		if (!isdigit((unsigned char)s[i]) && !strchr("-./", s[i]))
			return false;
	if (s[4] == '-' && s[7] == '-')
		return stmt_date_set(out, atoi(s), atoi(s + 5), atoi(s + 8));
	if (strchr(".-/", s[2]) && s[5] == s[2])
		return stmt_date_set(out, atoi(s + 6), atoi(s + 3), atoi(s));
	return false;
}

int csvrows_error(const struct csvrows *r, int rc, const char *name, struct gerr *err)
{
	if (rc == CSVROWS_TOO_LARGE)
		return gerr_set(err, "%s: line %lu: a cell or row larger than %d bytes or %d cells (a quote "
				"left open?)", name, r->row_line, CSVROWS_CELL_MAX, CSVROWS_CELLS_MAX);
	if (rc == CSVROWS_OPEN_QUOTE)
		return gerr_set(err, "%s: line %lu: a quote is left open at the end of the file", name,
				r->row_line);
	return gerr_set(err, "%s: line %lu: %s", name, r->row_line,
			csv_strerror(csv_error((struct csv_parser *)&r->p)));
}
