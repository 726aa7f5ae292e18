/* goniec invoice FILE... — the invoice fields goniec reads from a PDF or FA(3) XML, and
 * how each was found (the rule and page for a PDF, the element for XML): for a person
 * teaching goniec a new layout (docs/invoices.md). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/confschema.h"
#include "core/log.h"
#include "formats/fa3.h"
#include "formats/invpdf.h"
#include "formats/invrules.h"
#include "formats/pdftext.h"

struct invoice_opts {
	bool json, text;
	struct pdftext_limits limits;
};

/* Print a value of the invoice object with how it was found; nested objects flattened
 * ("seller.nip"). `lines` (may be NULL) holds the line each rule read its field on. */
static void print_value(const char *path, json_t *v, json_t *found, json_t *lines)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *sub;
		json_object_foreach(v, k, sub) {
			char *p = xasprintf("%s.%s", path, k);
			print_value(p, sub, found, lines);
			free(p);
		}
		return;
	}
	char *text = json_is_string(v) ? xstrdup(json_string_value(v))
				       : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	const char *top = path;
	char field[64];
	snprintf(field, sizeof field, "%s", path);
	json_t *how = json_object_get(found, field);
	while (!how && strrchr(field, '.')) { /* seller.nip's finding is under "seller.nip" */
		*strrchr(field, '.') = '\0';
		how = json_object_get(found, field);
	}
	const char *by = json_string_value(json_object_get(how, "by"));
	const char *at = json_string_value(json_object_get(how, "at"));
	json_int_t page = json_integer_value(json_object_get(how, "page"));
	printf("  %-16s %-36s %s%s%s", top, text, by ? by : "", at ? " " : "", at ? at : "");
	if (page)
		printf(", page %lld", (long long)page);
	json_t *where = json_object_get(lines, strcmp(field, "seller.accounts") == 0 ? "seller.account" : field);
	const char *rule = json_string_value(json_object_get(where, "rule"));
	if (rule && at && strcmp(rule, at) == 0)
		printf(", line %lld", (long long)json_integer_value(json_object_get(where, "line")));
	printf("\n");
	free(text);
}

static void print_invoice(const char *file, const char *what, json_t *inv, json_t *lines)
{
	printf("%s: %s\n", file, what);
	json_t *found = json_object_get(inv, "found");
	const char *k;
	json_t *v;
	json_object_foreach(inv, k, v)
		if (strcmp(k, "found") != 0)
			print_value(k, v, found, lines);
	struct buf missing = {0};
	for (int f = 0; f < TF_COUNT; f++) {
		const char *name = inv_tfield_name(f);
		bool have = json_object_get(found, name) != NULL;
		if (!have && strcmp(name, "seller.account") == 0)
			have = json_object_get(found, "seller.accounts") != NULL;
		if (!have)
			buf_printf(&missing, "%s%s", missing.len ? ", " : "", name);
	}
	if (missing.len)
		printf("  not found: %s\n", missing.data);
	buf_free(&missing);
}

/* Where on its page each rule read its field ({"number": {"rule": R, "line": N}}): the
 * line a person finds in the --text output. */
static json_t *rule_lines(const struct inv_rules *rs, const char *text)
{
	struct inv_reading r;
	inv_rules_read(rs, text, &r);
	json_t *lines = json_object();
	for (int f = 0; f < TF_COUNT; f++)
		if (r.f[f].found)
			json_object_set_new(lines, inv_tfield_name(f),
					    json_pack("{s:s, s:i}", "rule", r.f[f].rule, "line", r.f[f].line));
	return lines;
}

/* Read one file into inv; `what` says what it was. Returns -1 when it cannot be read. */
static int read_file_invoice(const struct inv_rules *rs, const char *file,
			     const struct invoice_opts *o, struct invoice *inv, json_t *desc)
{
	char head[8] = {0};
	FILE *f = fopen(file, "rb");
	if (!f) {
		log_error("cannot open %s: %m", file);
		return -1;
	}
	size_t n = fread(head, 1, sizeof head - 1, f);
	fclose(f);
	struct gerr err;
	if (n >= 5 && memcmp(head, "%PDF-", 5) == 0) {
		struct pdftext t;
		int64_t start = now_ms();
		if (invpdf_read(file, rs, &o->limits, inv, &t, &err) != 0) {
			log_error("%s", err.msg);
			return -1;
		}
		json_object_set_new(desc, "ms", json_integer(now_ms() - start));
		json_object_set_new(desc, "reader_peak_kib", json_integer(t.peak_kib));
		json_object_set_new(desc, "reader_cpu_ms", json_integer(t.cpu_ms));
		if (o->text)
			printf("%s\n", t.text);
		json_object_set_new(desc, "type", json_string("pdf"));
		json_object_set_new(desc, "text", json_string(pdftext_status_name(t.status)));
		json_object_set_new(desc, "pages", json_integer(t.pages_total));
		json_object_set_new(desc, "pages_read", json_integer(t.pages_read));
		if (t.why)
			json_object_set_new(desc, "why", json_string(t.why));
		if (t.status == PDFTEXT_OK)
			json_object_set_new(desc, "lines", rule_lines(rs, t.text));
		pdftext_free(&t);
		return 0;
	}
	char *xml;
	size_t len;
	if (read_file(file, FA3_MAX_BYTES, &xml, &len, &err) != 0) {
		log_error("%s", err.msg);
		return -1;
	}
	int rc = fa3_read(xml, len, inv, &err);
	free(xml);
	if (rc != 0) {
		log_error("%s: not a PDF, and not FA(3) XML: %s", file, err.msg);
		return -1;
	}
	json_object_set_new(desc, "type", json_string("fa3"));
	return 0;
}

static int read_one(const struct inv_rules *rs, const char *file, const struct invoice_opts *o,
		    json_t *all)
{
	struct invoice inv = {0};
	json_t *desc = json_pack("{s:s}", "file", file);
	int rc = read_file_invoice(rs, file, o, &inv, desc);
	if (rc == 0) {
		json_t *j = invoice_to_json(&inv);
		if (o->json) {
			json_object_set(desc, "invoice", j);
			json_array_append(all, desc);
		} else {
			const char *type = json_string_value(json_object_get(desc, "type"));
			char *what = strcmp(type, "pdf") == 0
				? xasprintf("pdf, %lld of %lld pages read, text: %s%s%s",
					    (long long)json_integer_value(json_object_get(desc, "pages_read")),
					    (long long)json_integer_value(json_object_get(desc, "pages")),
					    json_string_value(json_object_get(desc, "text")),
					    json_object_get(desc, "why") ? " - " : "",
					    json_object_get(desc, "why") ? json_string_value(json_object_get(desc, "why")) : "")
				: xstrdup("FA(3) XML");
			print_invoice(file, what, j, json_object_get(desc, "lines"));
			free(what);
		}
		json_decref(j);
	}
	json_decref(desc);
	invoice_free(&inv);
	return rc;
}

int cmd_invoice(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"text", no_argument, NULL, 't'},
		{"time-limit", required_argument, NULL, 'T'},
		{"memory-limit", required_argument, NULL, 'M'},
		{"help", no_argument, NULL, 'h'}, {0},
	};
	struct invoice_opts o = {0};
	int c;
	int64_t secs = 0;
	uint64_t memory = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o.json = true; break;
		case 't': o.text = true; break;
		case 'T':
			if (cf_parse_duration(optarg, &secs) != 0 || secs < 1 || secs > 3600) {
				log_error("invoice: --time-limit: '%s' is not a duration of 1 s to 1 h", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'M':
			if (cf_parse_size(optarg, &memory) != 0 || memory < (1 << 20)) {
				log_error("invoice: --memory-limit: '%s' is not a size of 1 MiB or more", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': cli_print_command_help(cli_find_command("invoice")); return EXIT_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_error("invoice: name at least one file (see goniec invoice --help)");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_config(cli); /* agent.pdf: the limits goniec reads with */
	if (!cfg)
		return EXIT_CONFIG;
	o.limits = pdftext_limits_of(&cfg->agent.pdf);
	config_free(cfg);
	if (secs)
		o.limits.seconds = (int)secs;
	if (memory)
		o.limits.memory = memory;
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
