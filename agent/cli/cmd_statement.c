/* statement — print the statements and transactions of bank statement files as goniec
 * reads them: text for a person, --json (goniec.transactions/1) or --csv for scripts. */
#include <csv.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "core/money.h"
#include "formats/bankcsv.h"
#include "formats/stmtfile.h"

enum output { OUT_TEXT, OUT_JSON, OUT_CSV };

static void amount_text(int64_t minor, const char *currency, char out[MONEY_TEXT_MAX])
{
	money_format(minor, currency_exponent(currency), out);
}

/* ---- text ------------------------------------------------------------------------------ */

static int text_txn(void *ctx, const struct stmt_file *f, const struct stmt *st,
		    const struct txn *t, struct gerr *err)
{
	(void)ctx, (void)f, (void)st, (void)err;
	char amount[MONEY_TEXT_MAX];
	amount_text(t->amount, t->currency, amount);
	printf("  %-10s %15s %s%s  %s%s%s\n", t->booking_date[0] ? t->booking_date : t->value_date,
	       amount, t->currency, t->status == TXN_BOOKED ? "" : t->status == TXN_PENDING ? " (pending)" : " (info)",
	       t->counterparty_name ? t->counterparty_name : "",
	       t->counterparty_name && t->title ? " | " : "", t->title ? t->title : "");
	return 0;
}

static void text_balance(const char *what, const struct stmt_balance *b)
{
	char amount[MONEY_TEXT_MAX];
	if (!b->present) {
		printf("  %s: none\n", what);
		return;
	}
	amount_text(b->amount, b->currency, amount);
	printf("  %s: %s %s%s%s%s\n", what, amount, b->currency, b->date[0] ? " (" : "", b->date,
	       b->date[0] ? ")" : "");
}

static int text_end(void *ctx, const struct stmt_file *f, const struct stmt *st, struct gerr *err)
{
	(void)ctx, (void)f, (void)err;
	char credits[MONEY_TEXT_MAX], debits[MONEY_TEXT_MAX];
	amount_text(st->credits_sum, st->currency, credits);
	amount_text(st->debits_sum, st->currency, debits);
	printf("statement %u: %s %s%s%s, %s to %s\n", st->index + 1,
	       st->account[0] ? st->account : "(no account)", st->currency,
	       st->number ? ", no. " : "", st->number ? st->number : "",
	       st->period_from[0] ? st->period_from : "?", st->period_to[0] ? st->period_to : "?");
	text_balance("opening", &st->opening);
	printf("  %lu transactions: %lu credits %s, %lu debits %s", st->count, st->credits_count,
	       credits, st->debits_count, debits);
	if (st->pending_count)
		printf(", %lu pending", st->pending_count);
	printf("\n");
	text_balance("closing", &st->closing);
	printf("  %s\n", st->reconciles ? "reconciles" : "DOES NOT RECONCILE");
	for (size_t i = 0; i < st->problems.len; i++)
		printf("  problem: %s\n", st->problems.items[i]);
	return 0;
}

static void text_file(const struct stmt_file *f)
{
	printf("%s: %s%s%s%s, %s%s%s: %lu statement%s, %lu transactions\n", f->name,
	       stmt_format_name(f->format), f->dialect ? " (" : "", f->dialect ? f->dialect : "",
	       f->dialect ? ")" : "", f->encoding ? f->encoding : "?", f->bank ? ", " : "",
	       f->bank ? f->bank : "", f->statements_total, f->statements_total == 1 ? "" : "s",
	       f->txns_total);
	for (size_t i = 0; i < f->problems.len; i++)
		printf("  problem: %s\n", f->problems.items[i]);
}

/* ---- CSV ------------------------------------------------------------------------------- */

static const char *const csv_columns[] = {
	"file", "statement", "account", "currency", "booking_date", "value_date", "amount",
	"status", "reversal", "counterparty_name", "counterparty_account", "title", "bank_ref",
	"transaction_id", "customer_ref", "type_code", "type_text", "line",
};

static void csv_row(const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		const char *c = cells[i] ? cells[i] : "";
		csv_fwrite(stdout, c, strlen(c));
	}
	putchar('\n');
}

static int csv_txn(void *ctx, const struct stmt_file *f, const struct stmt *st,
		   const struct txn *t, struct gerr *err)
{
	(void)ctx, (void)st, (void)err;
	char amount[MONEY_TEXT_MAX], statement[24], line[24];
	amount_text(t->amount, t->currency, amount);
	snprintf(statement, sizeof(statement), "%u", t->origin.statement + 1);
	snprintf(line, sizeof(line), "%lu", t->origin.line);
	const char *cells[] = {
		f->name, statement, t->account, t->currency, t->booking_date, t->value_date, amount,
		txn_status_name(t->status), t->reversal ? "true" : "false", t->counterparty_name, t->counterparty_account, t->title,
		t->bank_ref, t->transaction_id, t->customer_ref, t->type_code, t->type_text, line,
	};
	_Static_assert(ARRAY_LEN(cells) == ARRAY_LEN(csv_columns), "one cell per column");
	csv_row(cells, ARRAY_LEN(cells));
	return 0;
}

/* ---- one file ----------------------------------------------------------------------------- */

/* summary: statements only (no transactions kept or printed): memory stays flat. */
static int read_one(const char *path, enum output out, bool summary)
{
	struct stmt_file f;
	stmt_file_init(&f, path);
	f.keep_txns = out == OUT_JSON && !summary;
	struct stmt_sink text = {NULL, summary ? NULL : text_txn, text_end};
	struct stmt_sink csv = {NULL, csv_txn, NULL};
	const struct stmt_sink *sink = out == OUT_TEXT ? &text : out == OUT_CSV ? &csv : NULL;
	struct gerr err = {0};
	int rc = stmt_read_path(path, &f, sink, &err);
	if (out == OUT_TEXT && rc == 0)
		text_file(&f);
	if (out == OUT_JSON) {
		json_t *doc = rc < 0 ? json_object() : summary ? stmt_sidecar_json(&f)
							       : stmt_transactions_json(&f);
		if (rc == 0 && !summary)
			json_object_set_new(doc, "problems", json_array());
		for (size_t i = 0; rc == 0 && !summary && i < f.problems.len; i++)
			json_array_append_new(json_object_get(doc, "problems"),
					      json_string(f.problems.items[i]));
		json_object_set_new(doc, "file", json_string(path));
		if (rc < 0)
			json_object_set_new(doc, "error", json_string(err.msg));
		json_dumpf(doc, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
		putchar('\n');
		json_decref(doc);
	}
	if (rc < 0)
		log_error("statement: %s", err.msg);
	stmt_file_free(&f);
	return rc;
}

/* printf's field width that shows `text` (UTF-8) in `columns` columns: bytes, not
 * characters, are what printf counts. */
static int columns_for(const char *text, int columns)
{
	for (; *text; text++)
		columns += ((unsigned char)*text & 0xC0) == 0x80;
	return columns;
}

int cmd_statement(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"csv", no_argument, NULL, 'C'},
		{"maps", no_argument, NULL, 'm'},
		{"summary", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	enum output out = OUT_TEXT;
	bool show_maps = false, summary = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': out = OUT_JSON; break;
		case 'C': out = OUT_CSV; break;
		case 'm': show_maps = true; break;
		case 's': summary = true; break;
		case 'h': cli_print_command_help(cli_find_command("statement")); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	struct diag diag = {0};
	bankcsv_load_confdir(cli->confdir, &diag);
	diag_print(&diag, stderr);
	bool maps_bad = diag.errors > 0;
	diag_free(&diag);
	if (show_maps) {
		size_t n;
		const struct bankcsv_map *const *maps = bankcsv_maps(&n);
		printf("# CSV maps in use:\n");
		for (size_t i = 0; i < n; i++)
			printf("#   %-24s %-*s %s\n", maps[i]->id, columns_for(maps[i]->bank, 22),
			       maps[i]->bank, maps[i]->origin);
		printf("# The built-in ones, as conf.d/banks/*.yaml would hold them:\n---\n");
		fputs(bankcsv_builtin_yaml, stdout);
		return maps_bad ? EXIT_CONFIG : EXIT_OK;
	}
	if (optind >= argc) {
		log_error("statement: name one or more files (see goniec statement --help)");
		return EXIT_USAGE;
	}
	if (out == OUT_CSV && summary) {
		log_error("statement: --summary goes with the text output or --json");
		return EXIT_USAGE;
	}
	if (out == OUT_CSV)
		csv_row(csv_columns, ARRAY_LEN(csv_columns));
	int failed = 0;
	for (int i = optind; i < argc; i++)
		failed += read_one(argv[i], out, summary) < 0;
	fflush(stdout);
	return failed ? EXIT_FAILED : EXIT_OK;
}
