/* goniec payments — what is paid: a company's transactions left for a person beside its
 * open invoices, with the best candidates; a person's decisions; the matcher run the
 * daemon starts; and goniec ledger rebuild. Every command brings the ledger up to date
 * first (payments/update.h), so the answer is never stale. */
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "daemon/status.h"
#include "payments/ledger.h"
#include "payments/update.h"

/* ---- printing ------------------------------------------------------------------------------ */

static const char *s(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static const char *cp_name(const json_t *o)
{
	const char *v = s(json_object_get(o, "counterparty"), "name");
	return *v ? v : "-";
}

/* v in `width` characters (not bytes: a name with Polish letters is cut between characters
 * and padded to the same column). */
static void put_cell(const char *v, int width)
{
	size_t n = 0;
	int chars = 0;
	for (; v[n] && chars < width; chars++)
		for (n++; ((unsigned char)v[n] & 0xC0) == 0x80; n++)
			;
	printf("%.*s%*s", (int)n, v, width - chars, "");
}

static void print_tx_line(const json_t *t)
{
	printf("  %-10s  %-10s %14s %s  ", s(t, "ref"), s(t, "date"), s(t, "amount"), s(t, "currency"));
	put_cell(cp_name(t), 26);
	printf("  %s\n", s(t, "title"));
}

static void print_invoice_line(const char *indent, const json_t *inv)
{
	const json_t *days = json_object_get(inv, "overdue_days");
	printf("%s%-10s  ", indent, s(inv, "ref"));
	put_cell(s(inv, "number"), 18);
	printf(" %-8s ", s(inv, "direction"));
	put_cell(cp_name(inv), 24);
	printf(" due %-10s %12s %s%s", *s(inv, "due_date") ? s(inv, "due_date") : "-", s(inv, "open"),
	       s(inv, "currency"), days ? "" : "\n");
	if (days)
		printf("  overdue %lld d\n", (long long)json_integer_value(days));
}

static void print_payments(const json_t *doc, const struct payments_update *u)
{
	const json_t *c = json_object_get(doc, "counts");
	printf("%s: %lld matched, %lld left for a person, %lld open invoices (%lld overdue)%s%s\n", s(doc, "company"),
	       (long long)json_integer_value(json_object_get(c, "matched")),
	       (long long)(json_integer_value(json_object_get(c, "person")) +
			   json_integer_value(json_object_get(c, "unmatched"))),
	       (long long)json_integer_value(json_object_get(c, "open_invoices")),
	       (long long)json_integer_value(json_object_get(c, "overdue_invoices")),
	       *s(doc, "last_run") ? "; matched at " : "", s(doc, "last_run"));
	if (u->reports.len)
		printf("report: %s\n", u->reports.items[u->reports.len - 1]);
	size_t i, k;
	const json_t *e, *x;
	const json_t *left = json_object_get(doc, "unmatched");
	printf("\nLeft for a person (%zu):\n", json_array_size(left));
	json_array_foreach(left, i, e) {
		print_tx_line(json_object_get(e, "transaction"));
		printf("      why: %s\n", s(e, "reason"));
		json_array_foreach(json_object_get(e, "candidates"), k, x) {
			printf("      candidate (%s): ", s(x, "why"));
			print_invoice_line("", x);
		}
	}
	const json_t *open = json_object_get(doc, "open_invoices");
	printf("\nOpen invoices (%zu):\n", json_array_size(open));
	json_array_foreach(open, i, e)
		print_invoice_line("  ", e);
	const json_t *matched = json_object_get(doc, "matched");
	printf("\nMatched%s (%zu):\n", json_is_true(json_object_get(doc, "all_matches")) ? "" : " in the last run",
	       json_array_size(matched));
	json_array_foreach(matched, i, e) {
		print_tx_line(json_object_get(e, "transaction"));
		json_array_foreach(json_object_get(e, "invoices"), k, x)
			printf("      pays %s %s %s (%s)\n", s(x, "number"), s(x, "paid"), s(x, "currency"), cp_name(x));
		printf("      %s, %s: %s\n", s(e, "rule"), s(e, "certainty"), s(e, "reason"));
	}
	if (json_array_size(left))
		printf("\nDecide: goniec payments pair REF INVOICE...  |  reject REF INVOICE...  |  dismiss REF  |  undo REF\n"
		       "(INVOICE: its ref or its number)\n");
}

/* ---- commands ---------------------------------------------------------------------------- */

static const struct company_conf *find_company(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ncompanies; i++)
		if (!strcmp(cfg->companies[i]->id, id))
			return cfg->companies[i];
	return NULL;
}

static int update(const struct config *cfg, const char *company, bool full, struct payments_update *u)
{
	struct gerr err = {0};
	if (payments_update(cfg, company, full, u, &err) < 0) {
		log_error("payments: %s", err.msg);
		return err.kind == GERR_BUSY ? EXIT_TEMPFAIL : EXIT_FAILED;
	}
	return EXIT_OK;
}

static int list(const struct config *cfg, const char *company, bool json, bool all)
{
	struct payments_update u;
	int rc = update(cfg, company, false, &u);
	if (rc != EXIT_OK)
		return rc;
	struct ledger *lg;
	struct gerr err = {0};
	json_t *doc = NULL;
	char today[11];
	payments_today(today);
	if (ledger_open(cfg->agent.state_dir, LEDGER_READ, &lg, &err) == 0) {
		doc = ledger_payments_json(lg, company, today, all, &err);
		ledger_close(lg);
	}
	if (!doc) {
		log_error("payments: %s", err.msg);
		payments_update_free(&u);
		return EXIT_FAILED;
	}
	if (all)
		json_object_set_new(doc, "all_matches", json_true());
	if (json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		print_payments(doc, &u);
	}
	json_decref(doc);
	payments_update_free(&u);
	return EXIT_OK;
}

static const char *who(void)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	return sudo && *sudo ? sudo : pw ? pw->pw_name : "?";
}

/* pair, reject, dismiss, undo: record, then run the matcher and show the outcome. */
static int decide(const struct config *cfg, const char *verb, const char *tx, char **invs, int ninvs, bool json)
{
	enum pm_decision_kind kind = !strcmp(verb, "pair") ? PM_PAIR : !strcmp(verb, "reject") ? PM_REJECT : PM_DISMISS;
	bool undo = !strcmp(verb, "undo");
	if ((kind != PM_DISMISS && !undo && ninvs < 1) || ((kind == PM_DISMISS || undo) && ninvs > 0)) {
		log_error("payments %s: %s", verb, undo || kind == PM_DISMISS ? "give the transaction only"
									  : "give the transaction and the invoice(s)");
		return EXIT_USAGE;
	}
	struct payments_update u;
	int rc = update(cfg, NULL, false, &u);
	payments_update_free(&u);
	if (rc != EXIT_OK)
		return rc;
	struct ledger *lg;
	struct gerr err = {0};
	char *company = NULL;
	if (ledger_open(cfg->agent.state_dir, LEDGER_WRITE, &lg, &err) == 0) {
		rc = undo ? ledger_undecide(lg, NULL, tx, &company, &err)
			  : ledger_decide(lg, NULL, kind, tx, (const char *const *)invs, (size_t)ninvs, who(), &company,
					  &err);
		ledger_close(lg);
	} else {
		rc = -1;
	}
	if (rc < 0) {
		log_error("payments %s: %s", verb, err.msg);
		return err.kind == GERR_BUSY ? EXIT_TEMPFAIL : EXIT_FAILED;
	}
	rc = list(cfg, company, json, false);
	free(company);
	return rc;
}

static int rebuild(const struct config *cfg)
{
	struct ledger *lg;
	struct gerr err = {0};
	size_t n = cfg->ncompanies;
	struct ledger_company *cs = xcalloc(n + 1, sizeof(*cs));
	for (size_t i = 0; i < n; i++)
		payments_company(cfg->companies[i], &cs[i]);
	int rc = ledger_open(cfg->agent.state_dir, LEDGER_WRITE, &lg, &err);
	if (rc == 0) {
		rc = ledger_rebuild(lg, cfg->agent.spool_dir, cs, n, &err);
		ledger_close(lg);
	}
	free(cs);
	if (rc < 0) {
		log_error("ledger rebuild: %s", err.msg);
		return err.kind == GERR_BUSY ? EXIT_TEMPFAIL : EXIT_FAILED;
	}
	printf("ledger rebuilt from %s (a person's decisions kept)\n", cfg->agent.spool_dir);
	return EXIT_OK;
}

int cmd_payments(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"all", no_argument, NULL, 'a'},
		{"full", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	bool json = false, all = false, full = false;
	int c;
	while ((c = getopt_long(argc, argv, "jafh", opts, NULL)) != -1) {
		if (c == 'h') {
			cli_print_command_help(cli_find_command("payments"));
			return EXIT_OK;
		}
		if (c == '?')
			return EXIT_USAGE;
		json |= c == 'j';
		all |= c == 'a';
		full |= c == 'f';
	}
	const char *verb = optind < argc ? argv[optind] : NULL;
	if (!verb) {
		log_error("payments: name a company (or pair, reject, dismiss, undo, update); see goniec payments --help");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	int rc;
	if (!strcmp(verb, "pair") || !strcmp(verb, "reject") || !strcmp(verb, "dismiss") || !strcmp(verb, "undo")) {
		if (optind + 1 >= argc) {
			log_error("payments %s: give the transaction's reference", verb);
			rc = EXIT_USAGE;
		} else {
			rc = decide(cfg, verb, argv[optind + 1], argv + optind + 2, argc - optind - 2, json);
		}
	} else if (!strcmp(verb, "update")) {
		struct payments_update u;
		const char *company = optind + 1 < argc ? argv[optind + 1] : NULL;
		struct gerr err = {0};
		rc = payments_update(cfg, company, full, &u, &err) == 0 ? EXIT_OK
		     : err.kind == GERR_BUSY				  ? EXIT_TEMPFAIL
									  : EXIT_FAILED;
		if (rc != EXIT_OK)
			log_error("payments: %s", err.msg);
		if (rc == EXIT_OK) {
			printf("payments: %lu documents read (%lu transactions, %lu invoices); %lu changed: %lu matched, "
			       "%lu for a person, %lu unmatched; %.3f s\n", u.ingest.documents, u.ingest.transactions,
			       u.ingest.invoices, u.changed, u.matched, u.person, u.unmatched, u.seconds);
			for (size_t i = 0; i < u.reports.len; i++)
				printf("report: %s\n", u.reports.items[i]);
		}
		payments_update_free(&u);
	} else if (!find_company(cfg, verb)) {
		log_error("payments: no company '%s' in the configuration", verb);
		rc = EXIT_USAGE;
	} else {
		rc = list(cfg, verb, json, all);
	}
	config_free(cfg);
	return rc;
}

int cmd_ledger(struct cli *cli, int argc, char **argv)
{
	const struct command *cmd = cli_find_command("ledger");
	int o = cli_simple_options(cmd, argc, argv);
	if (o)
		return o > 0 ? EXIT_OK : EXIT_USAGE;
	if (argc != 2 || strcmp(argv[1], "rebuild") != 0) {
		log_error("ledger: the one subcommand is rebuild (see goniec ledger --help)");
		return EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg)
		return EXIT_CONFIG;
	int rc = rebuild(cfg);
	config_free(cfg);
	return rc;
}
