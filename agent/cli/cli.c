/* cli — the command table and what commands share (see commands.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"

static const struct command commands[] = {
	{"check", cmd_check, "", "validate conf.d and print what it defines",
	 "Reads every conf.d file and reports each problem as file:line:col. Secrets given\n"
	 "as files, environment variables or credentials are checked for readability.\n"
	 "Prints \"OK: N sources, M routes\" and exits 0 when all is well, 2 otherwise.\n"},
	{"fetch", cmd_fetch, "[OPTS] [NAME...]",
	 "run sources now (all, or the named sources or companies)",
	 "Runs each named source once (a company id names all its sources; no name: every\n"
	 "enabled source) and prints one line per source. When `goniec run` is running, the\n"
	 "daemon runs them (never alongside its own run of a source) and this waits for the\n"
	 "outcomes; --no-wait returns at once. Without a daemon, or with --here, they run in\n"
	 "this process, showing progress on a terminal. A source already running elsewhere\n"
	 "is reported and skipped (exit 75).\n"
	 "\n"
	 "  --no-wait  through the daemon: return once it accepted the request\n"
	 "  --here     run in this process even when the daemon runs\n"
	 "  --json     print the outcomes as one JSON array (with --no-wait: the names)\n"
	 "  --trace DIR  run here and record every request and answer of portal sources in\n"
	 "             DIR (trace.json; passwords, tokens, cookies and codes masked) for\n"
	 "             whoever maintains the recipe; the traced run logs in afresh and\n"
	 "             downloads every document again (filing still skips what it has)\n"},
	{"consent", cmd_consent, "NAME", "admin-consent link and access check of a graph source",
	 "Prints the link a tenant administrator opens to grant the app registration of a\n"
	 "Microsoft 365 (graph) source its consent, then signs in and opens the mailbox to\n"
	 "tell whether access works. Exit 0 when it does, 3 when a person must act.\n"},
	{"folders", cmd_folders, "NAME", "list a mailbox source's folders (proves the login works)",
	 "Logs in to the IMAP or Microsoft 365 (graph) source NAME and prints its folders\n"
	 "(IMAP names decoded from modified UTF-7, Graph folders as display paths such as\n"
	 "Inbox/Faktury); '*' marks the ones a run reads, (junk) the junk folder.\n"},
	{"forward", cmd_forward, "[-w] [-p] [-i T]", "deliver new documents by the routes",
	 "Looks at every document in the spool and delivers it by each route that wants it\n"
	 "and has not had it yet (the journal in <state>/forward/ remembers), then prints\n"
	 "one line per route. Exits 1 when a delivery failed (it is retried next time).\n"
	 "  -w, --watch   keep going: watch the spool (inotify; polling on NFS/SMB)\n"
	 "  -p, --poll    poll the spool even on a local file system\n"
	 "  -i, --interval T  rescan (inotify) or poll interval: 5m and 10s by default\n"
	 "Exits 75 when another forwarder (goniec run) holds the journal.\n"},
	{"invoice", cmd_invoice, "[OPTS] FILE...",
	 "show the invoice fields read from PDFs and the rule that found each",
	 "Reads each PDF's text (in a worker with time and memory limits) and applies the\n"
	 "invoice field rules (shipped, and yours in conf.d/invoices/): prints each field,\n"
	 "the rule that found it and where (page, line), and the fields not found. A PDF\n"
	 "without a text layer shows \"text: none\". A FILE that is not a PDF is read as\n"
	 "FA(3) XML, the e-invoice of KSeF. See docs/invoices.md.\n"
	 "  --json   print one JSON array, an object per file\n"
	 "  --text   also print the text the rules read (columns kept as on the page)\n"
	 "  --time-limit T, --memory-limit SIZE  for each PDF (default: agent.pdf's time\n"
	 "           and memory in conf.d, 20s and 512MiB unless set there)\n"
	 "Exits 1 when a file could not be read at all, 2 when conf.d or the rules have\n"
	 "errors.\n"},
	{"list", cmd_list, "", "list sources and routes", "Prints one line per source and route.\n"},
	{"oauth", cmd_oauth, "[--device|--browser] NAME",
	 "sign in once for a source or route that uses OAuth 2.0 (Microsoft 365, Gmail)",
	 "For the imap source or e-mail route NAME with `oauth:` settings: a person signs in\n"
	 "once and the refresh token is kept in the state directory (mode 0600), renewed as\n"
	 "the provider rotates it. Microsoft: the device code (open the address shown, enter\n"
	 "the code); Google: the browser, answering to a listener on 127.0.0.1 (or paste the\n"
	 "address the browser ends on). With `flow: app` it only proves the app registration\n"
	 "signs in. Exit 0 when signed in, 3 when a person must act, 1 when the service did\n"
	 "not answer.\n"
	 "  --device   the device-code flow (RFC 8628)\n"
	 "  --browser  the browser with a loopback redirect and PKCE (RFC 8252, RFC 7636)\n"},
	{"run", cmd_run, "[--shard K/N]", "run the daemon: schedules, workers, forwarder, control socket",
	 "Runs in the foreground until SIGTERM (systemd Type=notify). Each source runs on its\n"
	 "schedule in a worker process of its own; SIGHUP or `goniec reload` re-reads conf.d\n"
	 "(a configuration with errors is rejected and the old one kept). See docs/daemon.md.\n"
	 "  --shard K/N  run only shard K of N (the global option; see docs/scale.md)\n"},
	{"status", cmd_status, "[--json]", "show each source's last and next run and alerts",
	 "Asks the running daemon (or reads the saved status when none runs) and prints per\n"
	 "source: last run, outcome, documents, next run, what needs a person; then the\n"
	 "forwarder's routes. --json prints the same as a JSON document.\n"},
	{"statement", cmd_statement, "[--json|--csv] [--summary] FILE...",
	 "print the statements and transactions of bank statement files",
	 "Reads each FILE as goniec does when a statement is filed (MT940/MT942, CAMT.052/\n"
	 "053/054, a bank's CSV export, goniec.transactions/1) and prints its statements:\n"
	 "account, period, balances, transactions, whether opening + transactions = closing,\n"
	 "and the problems found. Exits 1 when a file cannot be read (the error names the\n"
	 "line).\n"
	 "\n"
	 "  --json  one goniec.transactions/1 document per file and line (holds the file's\n"
	 "          transactions in memory; --csv streams)\n"
	 "  --csv   one row per transaction, with a header row\n"
	 "  --summary  the statements without their transactions (with --json: the\n"
	 "          sidecar's \"statement\" object); memory stays flat however big the file\n"
	 "  --maps  list the bank CSV maps in use and print the built-in ones as YAML\n"},
	{"reload", cmd_reload, "", "make the running daemon re-read conf.d",
	 "Checks conf.d, then asks the daemon to load it; prints the errors if it is rejected.\n"},
	{"points", cmd_points, "NAME", "list the consumption points of a portal source",
	 "Prints each point the portal showed (id, name or address), the property it is\n"
	 "mapped to in conf.d and its state: mapped, unmapped, disabled, or not seen yet.\n"},
	{"otp", cmd_otp, "NAME [CODE]", "give a portal login the one-time code it waits for",
	 "Completes a login that stopped with \"code needed\" and runs the source. Without\n"
	 "CODE it asks on the terminal (first logging in, so that the portal sends a code,\n"
	 "when no login is waiting). The session is kept and reused on later runs.\n"},
	{"bank", cmd_bank, "link|accounts NAME [--code ADDRESS]",
	 "connect a bank source's accounts (open banking) and list them",
	 "  goniec bank link NAME        with no bank: set in the source, list the banks of its\n"
	 "                               country; else start a consent and print the address\n"
	 "                               to open in a browser, with the consent's validity\n"
	 "  goniec bank link NAME --code 'ADDRESS'\n"
	 "                               finish it with the address the bank sent the browser\n"
	 "                               to (or the code alone); prints the accounts found\n"
	 "  goniec bank accounts NAME    the accounts of the consent, and which are taken\n"
	 "Exit 0 when done, 1 on a failure, 3 when a person must act first.\n"},
	{"providers", cmd_providers, "[--json]", "list the portal recipes and what each can do",
	 "Prints every provider recipe (conf.d/providers, then the shipped ones): its portal,\n"
	 "how it logs in, whether it finds consumption points, asks for a one-time code and\n"
	 "pages through lists, which public clients or documents it follows and when it was\n"
	 "last checked; then the portals with no recipe and why. See docs/portal.md.\n"},
	{"recipe", cmd_recipe, "test FILE --trace DIR", "run a recipe against a recorded trace",
	 "Replays the trace in DIR (from `goniec fetch NAME --trace DIR`) against the recipe\n"
	 "FILE with no network: each request the recipe makes must be the next one of the\n"
	 "trace. Prints the points and documents found. Exit 0 when the recipe works on the\n"
	 "trace, 1 when it fails (the message names the step), 2 when the recipe or the\n"
	 "trace has errors.\n"},
	{"payments", cmd_payments, "COMPANY | VERB ...",
	 "what is paid: transactions left for a person, open invoices, decisions",
	 "  goniec payments COMPANY      brings the ledger up to date (reads what is new in the\n"
	 "                               spool, matches, files the report), then prints the\n"
	 "                               transactions left for a person with their best\n"
	 "                               candidates, the open invoices (overdue marked) and what\n"
	 "                               the last run matched, with the rule and why\n"
	 "      --json                   the goniec.payments/1 document instead\n"
	 "      --all                    every match, not only the last run's\n"
	 "  goniec payments pair REF INVOICE...   REF pays these invoices (a number or a ref)\n"
	 "  goniec payments reject REF INVOICE... REF does not pay these\n"
	 "  goniec payments dismiss REF           REF pays no invoice (a fee, a tax, a salary)\n"
	 "  goniec payments undo REF              forget the decisions about REF\n"
	 "  goniec payments update [--full] [COMPANY]\n"
	 "                               the matcher run (the daemon's): read, match, report\n"
	 "A person's decisions are kept in the ledger and no automatic run overrides them.\n"
	 "See docs/payments.md. Exit 75 when the ledger stays busy.\n"},
	{"ledger", cmd_ledger, "rebuild", "rebuild the payments ledger from the spool",
	 "Drops the ledger's invoices, transactions and matches, reads every document of the\n"
	 "spool again and matches everything; a person's decisions are kept. Gives the same\n"
	 "matches as the runs before it.\n"},
	{"version", cmd_version, "", "print the version", ""},
};

const struct command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void cli_usage(FILE *out)
{
	fputs("Usage: goniec [OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "Collects invoices and bank statements from mailboxes, portals, banks and KSeF\n"
	      "into a dated spool with JSON sidecars, and forwards them.\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(out, "  %-8s %-20s %s\n", commands[i].name, commands[i].args,
			commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -c, --confdir DIR  configuration directory (installed: /etc/goniec/conf.d;\n"
	      "                     in the source tree: ./conf.d)\n"
	      "      --spool DIR    spool directory (overrides agent.spool)\n"
	      "      --state DIR    state directory (overrides agent.state)\n"
	      "      --shard K/N    run or look at shard K of N (see agent.shard; N may come\n"
	      "                     from agent.shard.of: --shard K)\n"
	      "  -v, --verbose      more detail (debug lines)\n"
	      "  -q, --quiet        only warnings and errors\n"
	      "  -h, --help         this help; `goniec COMMAND --help` for a command\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Exit status: 0 ok, 1 a run failed, 2 invalid configuration, 3 a source needs a\n"
	      "person, 64 usage error, 75 already running (try later). See goniec(8).\n",
	      out);
}

void cli_print_command_help(const struct command *cmd)
{
	printf("Usage: goniec [OPTIONS] %s %s\n\n%s.\n\n%s", cmd->name, cmd->args, cmd->summary,
	       cmd->help);
}

int cli_simple_options(const struct command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_print_command_help(cmd);
			return 1;
		}
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-') {
			log_error("%s: unknown option %s (see goniec %s --help)", cmd->name, argv[i],
				  cmd->name);
			return -1;
		}
	}
	return 0;
}

/* Run from a build directory of the source tree? Then conf.d, spool and state default to
 * the tree's own folders. The tree is marked by the file .goniec-source-tree. */
char *cli_find_source_tree(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash || slash == exe)
			return NULL;
		*slash = '\0';
		char *marker = path_join(exe, ".goniec-source-tree");
		bool found = access(marker, F_OK) == 0;
		free(marker);
		if (found)
			return xstrdup(exe);
	}
	return NULL;
}

struct config *cli_load_config(struct cli *cli)
{
	char *spool = cli->tree ? path_join(cli->tree, "spool") : NULL;
	char *state = cli->tree ? path_join(cli->tree, "state") : NULL;
	struct config_overrides ov = {cli->spool_dir, cli->state_dir, spool, state, cli->shard};
	struct diag diag = {0};
	struct config *cfg = config_load(cli->confdir, &ov, &diag);
	diag_print(&diag, stderr);
	if (!cfg)
		fprintf(stderr, "goniec: %zu error(s) in %s; nothing was run\n", diag.errors,
			cli->confdir);
	diag_free(&diag);
	free(spool);
	free(state);
	if (cfg) {
		setenv("TZ", cfg->agent.timezone, 1);
		tzset();
	}
	return cfg;
}

struct config *cli_load_shard_config(struct cli *cli)
{
	struct config *cfg = cli_load_config(cli);
	struct gerr err = {0};
	if (cfg && config_need_shard(cfg, &err) != 0) {
		log_error("%s", err.msg);
		config_free(cfg);
		return NULL;
	}
	return cfg;
}
