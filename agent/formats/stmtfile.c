/* stmtfile — see stmtfile.h. */
#include "formats/stmtfile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "formats/bankcsv.h"
#include "formats/camt.h"
#include "formats/mt940.h"

/* The first non-space byte after an optional UTF-8 byte order mark. */
static const char *skip_bom_space(const char *s, size_t len, size_t *left)
{
	const char *end = s + len;
	if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	*left = (size_t)(end - s);
	return s;
}

enum stmt_format stmt_sniff(const char *head, size_t len)
{
	size_t left;
	if (len == 0) /* (head may be NULL then: an empty file) */
		return STMT_FORMAT_UNKNOWN;
	const char *s = skip_bom_space(head, len, &left);
	if (left > 0 && *s == '{' && memmem(s, left, "\"" TRANSACTIONS_SCHEMA "\"",
					   strlen(TRANSACTIONS_SCHEMA) + 2))
		return STMT_FORMAT_TRANSACTIONS_JSON;
	if (left > 0 && *s == '<')
		return camt_sniff(s, left);
	if (mt940_sniff(head, len))
		return STMT_FORMAT_MT940;
	if (bankcsv_sniff(head, len))
		return STMT_FORMAT_CSV;
	return STMT_FORMAT_UNKNOWN;
}

bool stmt_name_claims(const char *name)
{
	static const char *const exts[] = {".sta", ".940", ".942", ".mt940", ".mt942", ".swi",
					   ".camt", ".camt053", ".053"};
	const char *dot = strrchr(name, '.');
	if (!dot)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(exts); i++)
		if (strcasecmp(dot, exts[i]) == 0)
			return true;
	return false;
}

static int read_transactions_json(struct stmt_input *in, struct stmt_file *f,
				  const struct stmt_sink *sink, struct gerr *err)
{
	struct buf text = {0};
	char chunk[65536];
	for (;;) {
		ssize_t r = stmt_input_read(in, chunk, sizeof chunk, err);
		if (r < 0) {
			buf_free(&text);
			return -1;
		}
		if (r == 0)
			break;
		if (text.len + (size_t)r > STMT_JSON_MAX_BYTES) {
			buf_free(&text);
			return gerr_set(err, "%s: larger than %d bytes", f->name, STMT_JSON_MAX_BYTES);
		}
		buf_append(&text, chunk, (size_t)r);
	}
	json_error_t jerr;
	json_t *doc = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
	buf_free(&text);
	if (!doc)
		return gerr_set(err, "%s: line %d: %s", f->name, jerr.line, jerr.text);
	int rc = stmt_from_transactions_json(doc, f, sink, err);
	json_decref(doc);
	return rc;
}

int stmt_read(struct stmt_input *in, struct stmt_file *f, const struct stmt_sink *sink,
	      struct gerr *err)
{
	const char *head;
	size_t len;
	if (stmt_input_peek(in, STMT_SNIFF_BYTES, &head, &len, err) < 0)
		return -1;
	enum stmt_format format = stmt_sniff(head, len);
	switch (format) {
	case STMT_FORMAT_MT940:
	case STMT_FORMAT_MT942:
		return mt940_read(in, f, sink, err);
	case STMT_FORMAT_CAMT052:
	case STMT_FORMAT_CAMT053:
	case STMT_FORMAT_CAMT054:
		return camt_read(in, f, sink, err);
	case STMT_FORMAT_CSV:
		return bankcsv_read(in, f, sink, err);
	case STMT_FORMAT_TRANSACTIONS_JSON:
		return read_transactions_json(in, f, sink, err);
	case STMT_FORMAT_UNKNOWN:
		break;
	}
	if (len == 0)
		return gerr_set(err, "%s: empty file", f->name);
	return gerr_set(err,
			"%s: not a statement format goniec reads (MT940/MT942, CAMT.052/053/054, "
			"a known bank's CSV, " TRANSACTIONS_SCHEMA ")",
			f->name);
}

int stmt_read_path(const char *path, struct stmt_file *f, const struct stmt_sink *sink,
		   struct gerr *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gerr_sys(err, "cannot open %s", path);
	struct stmt_input in;
	stmt_input_fd(&in, fd, f->name ? f->name : path);
	int rc = stmt_read(&in, f, sink, err);
	stmt_input_free(&in);
	close(fd);
	return rc;
}
