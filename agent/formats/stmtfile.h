/* stmtfile — read any statement file goniec knows, whatever its format.
 *
 * stmt_sniff() tells the format from the first bytes of a file: MT940/MT942 (a ":20:"
 * tag near the start), CAMT.052/053/054 (an ISO 20022 namespace or root element), a
 * bank's CSV export (a header a bank map in bankcsv.h recognises), or goniec's own
 * goniec.transactions/1 JSON. stmt_read() sniffs and hands the input to that reader.
 * stmt_name_claims() says whether a file name alone claims a statement (".sta", ".940",
 * ".mt940", ...), so that such a file that cannot be read is reported, not ignored.
 *
 * Ownership: results go to the sink and into f (statement.h); the input is the caller's.
 * Errors: -1 with err naming the file: not a statement format goniec reads, or the
 * reader's own error (which names the line or item).
 */
#ifndef GONIEC_FORMATS_STMTFILE_H
#define GONIEC_FORMATS_STMTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/statement.h"
#include "formats/stmtinput.h"

/* How many first bytes stmt_sniff() wants to see. */
#define STMT_SNIFF_BYTES 8192
/* Largest goniec.transactions/1 document read (it is read whole). */
#define STMT_JSON_MAX_BYTES (64 * 1024 * 1024)

enum stmt_format stmt_sniff(const char *head, size_t len);
bool stmt_name_claims(const char *name);
int stmt_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	      struct gerr *err);
/* stmt_read() of a file by path (f->name is the path unless already set). */
int stmt_read_path(const char *path, struct stmt_file *f, const struct stmt_sink *sink,
		   struct gerr *err);

#endif
