/* register — the `register` source: an accounting program's invoice register (its export),
 * for invoices goniec never sees as documents.
 *
 * Each run reads the export at `path` — CSV through the column map of the source's
 * conf.d (`columns:`, `separator`, `decimal`, `encoding`, `direction`, `sales`,
 * `purchases`), or JSON — with formats/register.h, and files its rows as one
 * goniec.register/1 document (kind "register", named after the export) with a `register`
 * sidecar member {file, rows, skipped, problems}. The document is written the same way
 * for the same export, so an export that did not change is a duplicate and nothing new
 * is filed. An export that cannot be read fails the run with an error naming the line and
 * the column (a person fixes the export; the next run tries again); nothing of it is
 * filed. The ledger reads the filed document like any other (docs/payments.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "formats/register.h"
#include "sources/filing.h"

struct register_conf {
	char *path;
	int format;
	char *separator, *decimal, *encoding;
	int direction;
	struct register_map map;   /* columns, sales, purchases (the rest filled at run) */
};

enum { FORMAT_AUTO, FORMAT_CSV, FORMAT_JSON };
static const char *const format_values[] = {"auto", "csv", "json", NULL};
static const char *const direction_values[] = {"none", "sales", "purchase", NULL};

static const struct cf_field column_fields[] = {
	{.key = "number", .type = CF_STRING, .offset = REG_NUMBER * sizeof(char *),
	 .help = "the invoice number's column (needed)"},
	{.key = "ksef_number", .type = CF_STRING, .offset = REG_KSEF_NUMBER * sizeof(char *),
	 .help = "the KSeF number's column"},
	{.key = "direction", .type = CF_STRING, .offset = REG_DIRECTION * sizeof(char *),
	 .help = "the column saying sale or purchase (see sales:, purchases:)"},
	{.key = "issue_date", .type = CF_STRING, .offset = REG_ISSUE_DATE * sizeof(char *),
	 .help = "the issue date's column"},
	{.key = "due_date", .type = CF_STRING, .offset = REG_DUE_DATE * sizeof(char *),
	 .help = "the due date's column"},
	{.key = "gross", .type = CF_STRING, .offset = REG_GROSS * sizeof(char *),
	 .help = "the gross amount's column (needed)"},
	{.key = "currency", .type = CF_STRING, .offset = REG_CURRENCY * sizeof(char *),
	 .help = "the currency's column (default PLN)"},
	{.key = "name", .type = CF_STRING, .offset = REG_NAME * sizeof(char *),
	 .help = "the counterparty's name"},
	{.key = "nip", .type = CF_STRING, .offset = REG_NIP * sizeof(char *),
	 .help = "the counterparty's NIP"},
	{.key = "account", .type = CF_STRING, .offset = REG_ACCOUNT * sizeof(char *),
	 .help = "the counterparty's bank account"},
	{.key = "paid", .type = CF_STRING, .offset = REG_PAID * sizeof(char *),
	 .help = "the amount already paid"},
	{.key = "corrects", .type = CF_STRING, .offset = REG_CORRECTS * sizeof(char *),
	 .help = "for a correction: the number of the invoice it corrects"},
	CF_END,
};

static const struct cf_field register_fields[] = {
	{.key = "path", .type = CF_STRING, .offset = offsetof(struct register_conf, path), .flags = CF_REQUIRED,
	 .help = "the export file (absolute path)"},
	{.key = "format", .type = CF_ENUM, .offset = offsetof(struct register_conf, format),
	 .enum_values = format_values, .dflt = "auto", .help = "csv, json, or auto (by its content)"},
	{.key = "separator", .type = CF_STRING, .offset = offsetof(struct register_conf, separator),
	 .help = "CSV separator; default: the first of ; , TAB in the header row"},
	{.key = "decimal", .type = CF_STRING, .offset = offsetof(struct register_conf, decimal), .dflt = ",",
	 .help = "CSV decimal separator: , or ."},
	{.key = "encoding", .type = CF_STRING, .offset = offsetof(struct register_conf, encoding),
	 .help = "CSV encoding (UTF-8, ISO-8859-2, WINDOWS-1250); default: detected"},
	{.key = "direction", .type = CF_ENUM, .offset = offsetof(struct register_conf, direction),
	 .enum_values = direction_values, .dflt = "none",
	 .help = "sales or purchase: every row's, when the export has no direction column"},
	{.key = "columns", .type = CF_STRUCT, .offset = offsetof(struct register_conf, map.columns),
	 .sub = column_fields, .help = "the export's header names (CSV)"},
	{.key = "sales", .type = CF_STRLIST, .offset = offsetof(struct register_conf, map.sales),
	 .help = "how the direction column writes a sale"},
	{.key = "purchases", .type = CF_STRLIST, .offset = offsetof(struct register_conf, map.purchases),
	 .help = "how the direction column writes a purchase"},
	CF_END,
};

static int register_validate(struct cf_ctx *ctx, yaml_node_t *node, struct source_conf *src)
{
	const struct register_conf *rc = src->typed;
	int bad = 0;
	if (rc->path && rc->path[0] != '/')
		bad = cf_error(ctx, cf_get(ctx, node, "path"), "path: '%s' must be an absolute path", rc->path);
	if (rc->separator && strlen(rc->separator) != 1)
		bad = cf_error(ctx, cf_get(ctx, node, "separator"), "separator: one character (; , or a tab)");
	if (rc->decimal && strcmp(rc->decimal, ",") && strcmp(rc->decimal, "."))
		bad = cf_error(ctx, cf_get(ctx, node, "decimal"), "decimal: ',' or '.'");
	if (rc->format != FORMAT_JSON && (!rc->map.columns[REG_NUMBER] || !rc->map.columns[REG_GROSS]))
		bad = cf_error(ctx, node, "a CSV register needs columns: with at least number: and gross: "
			       "(the export's header names)");
	return bad;
}

/* ---- a run ------------------------------------------------------------------------------- */

static int collect(void *ctx, const struct register_entry *e, struct gerr *err)
{
	(void)err;
	json_array_append_new(ctx, register_entry_json(e));
	return 0;
}

static bool looks_json(const char *path, const char *text, size_t len)
{
	if (str_ends_with(path, ".json"))
		return true;
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
			return text[i] == '{' || text[i] == '[';
	return false;
}

static enum run_outcome register_run(struct source_run *run)
{
	struct register_conf *rc = run->src->typed;
	struct gerr err = {0};
	char *text;
	size_t len;
	if (read_file(rc->path, REGISTER_MAX_BYTES, &text, &len, &err) < 0) {
		source_run_error(run, &err);
		return RUN_FAILED;
	}
	run->stats.looked_at++;
	struct register_map map = rc->map;   /* borrowed strings: not freed here */
	map.separator = rc->separator ? rc->separator[0] : 0;
	map.decimal = rc->decimal ? rc->decimal[0] : ',';
	map.encoding = rc->encoding;
	map.direction = rc->direction == 1 ? INVOICE_SALES : rc->direction == 2 ? INVOICE_PURCHASE
										 : INVOICE_DIRECTION_UNKNOWN;
	json_t *entries = json_array();
	struct register_read rd = {.fn = collect, .ctx = entries};
	bool json = rc->format == FORMAT_JSON || (rc->format == FORMAT_AUTO && looks_json(rc->path, text, len));
	int r = json ? register_read_json(rc->path, text, len, &map, &rd, &err)
		     : register_read_csv(rc->path, text, len, &map, &rd, &err);
	free(text);
	enum run_outcome outcome = RUN_OK;
	if (r < 0) {
		err.kind = GERR_PERMANENT; /* a person fixes the export */
		source_run_error(run, &err);
		run->stats.failed++;
		outcome = RUN_FAILED;
	} else {
		const char *base = strrchr(rc->path, '/') ? strrchr(rc->path, '/') + 1 : rc->path;
		json_t *problems = json_array();
		for (size_t i = 0; i < rd.problems.len; i++)
			json_array_append_new(problems, json_string(rd.problems.items[i]));
		json_t *summary = json_pack("{s:s,s:I,s:I,s:o}", "file", base, "rows", (json_int_t)rd.rows,
					    "skipped", (json_int_t)rd.skipped, "problems", problems);
		json_t *doc = json_pack("{s:s,s:O,s:O}", "schema", REGISTER_SCHEMA, "register", summary,
					"invoices", entries);
		char *out = json_dumps(doc, JSON_INDENT(1)); /* "schema" first: the sniffer finds it */
		char *name = xasprintf("%s.register.json", base);
		struct strlist accept = {0};
		strlist_add(&accept, "register");
		json_t *extra = json_pack("{s:O}", "register", summary);
		struct filing_doc d = {.name_hint = name, .kind = "register", .extra = extra, .accept = &accept};
		for (size_t i = 0; i < rd.problems.len; i++)
			log_warn("%s: %s", run->src->name, rd.problems.items[i]);
		if (filing_buffer(run, &d, out, strlen(out), NULL, &err) < 0) {
			source_run_error(run, &err);
			outcome = RUN_FAILED;
		}
		json_decref(extra);
		strlist_free(&accept);
		free(name);
		free(out);
		json_decref(doc);
		json_decref(summary);
	}
	json_decref(entries);
	strlist_free(&rd.problems);
	return outcome;
}

const struct source_type source_type_register = {
	.name = "register",
	.fields = register_fields,
	.conf_size = sizeof(struct register_conf),
	.validate = register_validate,
	.default_accept = "register",
	.default_every = 3600,
	.run = register_run,
};
