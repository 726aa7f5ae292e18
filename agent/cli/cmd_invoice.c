/* goniec invoice FILE... — the invoice fields goniec reads from a PDF (or FA(3) XML), and
 * which rule found each: for a person teaching goniec a new layout (docs/invoices.md). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/log.h"
#include "formats/invrules.h"
#include "formats/pdftext.h"

struct invoice_opts {
	bool json, text;
};

static json_t *reading_json(const struct inv_reading *r)
{
	json_t *fields = json_object();
	for (int f = 0; f < TF_COUNT; f++) {
		const struct inv_hit *h = &r->f[f];
		if (h->found)
			json_object_set_new(fields, inv_tfield_name(f),
					    json_pack("{s:s, s:s, s:i, s:i}", "value", h->value, "rule",
						      h->rule, "page", h->page, "line", h->line));
	}
	return fields;
}

static void print_reading(const char *file, const struct pdftext *t, const struct inv_reading *r)
{
	printf("%s: pdf, %d of %d page%s read, text: %s%s%s\n", file, t->pages_read,
	       t->pages_total, t->pages_total == 1 ? "" : "s", pdftext_status_name(t->status),
	       t->why ? " - " : "", t->why ? t->why : "");
	if (t->status != PDFTEXT_OK)
		return;
	struct buf missing = {0};
	for (int f = 0; f < TF_COUNT; f++) {
		const struct inv_hit *h = &r->f[f];
		if (h->found)
			printf("  %-15s %-36s %s, page %d line %d\n", inv_tfield_name(f), h->value,
			       h->rule, h->page, h->line);
		else
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", inv_tfield_name(f));
	}
	if (missing.len)
		printf("  not found: %s\n", missing.data);
	buf_free(&missing);
}

static int read_one(const struct inv_rules *rs, const char *file, const struct invoice_opts *o,
		    json_t *all)
{
	struct pdftext t;
	struct gerr err;
	if (pdftext_read(file, NULL, &t, &err) != 0) {
		log_error("%s", err.msg);
		return -1;
	}
	struct inv_reading r;
	inv_rules_read(rs, t.text, &r);
	if (o->text)
		printf("%s\n", t.text);
	if (o->json) {
		json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:b}", "file", file, "text",
				      pdftext_status_name(t.status), "pages", t.pages_total,
				      "pages_read", t.pages_read, "truncated", t.truncated);
		if (t.why)
			json_object_set_new(j, "why", json_string(t.why));
		json_object_set_new(j, "fields", reading_json(&r));
		json_array_append_new(all, j);
	} else {
		print_reading(file, &t, &r);
	}
	pdftext_free(&t);
	return 0;
}

int cmd_invoice(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"text", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'}, {0},
	};
	struct invoice_opts o = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 't': o.text = true; break;
		case 'h': cli_print_command_help(cli_find_command("invoice")); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_error("invoice: name at least one file (see goniec invoice --help)");
		return EXIT_USAGE;
	}
	struct diag diag = {0};
	struct inv_rules *rs = inv_rules_load(cli->confdir, &diag);
	if (!rs) {
		diag_print(&diag, stderr);
		diag_free(&diag);
		return EXIT_CONFIG;
	}
	diag_free(&diag);
	json_t *all = json_array();
	int rc = EXIT_OK;
	for (int i = optind; i < argc; i++)
		if (read_one(rs, argv[i], &o, all) != 0)
			rc = EXIT_FAILED;
	if (o.json) {
		char *s = json_dumps(all, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		printf("%s\n", s);
		free(s);
	}
	json_decref(all);
	inv_rules_free(rs);
	return rc;
}
