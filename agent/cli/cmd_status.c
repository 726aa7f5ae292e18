/* status — what each source did last, when it runs next, what needs a person, and the
 * forwarder; from the running daemon, or from the status files when none runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "daemon/control.h"
#include "daemon/plan.h"
#include "daemon/status.h"
#include "payments/update.h"

/* The status document built from the files when no daemon runs. */
static json_t *offline_status(const struct config *cfg)
{
	json_t *sources = json_array();
	time_t now = time(NULL);
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_conf *src = cfg->sources[i];
		if (!config_runs_source(cfg, src))
			continue;
		struct source_status st;
		struct gerr err = {0};
		if (status_load(cfg->agent.state_dir, src->name, &st, &err) < 0)
			log_warn("%s", err.msg);
		time_t next = st.interrupted ? now : plan_first(src, st.last_start, now);
		json_array_append_new(sources, status_entry(cfg->agent.state_dir, src, &st, next, false));
		status_release(&st);
	}
	/* with no routes, no forwarder runs: a file an earlier configuration's left is not shown */
	json_t *fw = cfg->nroutes ? status_forward_file(cfg->agent.state_dir)
				  : json_pack("{s:[]}", "routes");
	json_t *pay = payments_status(cfg->agent.state_dir);
	return json_pack("{s:b,s:n,s:o,s:o,s:{s:o}}", "ok", 1, "daemon", "sources", sources, "forward",
			 fw ? fw : json_null(), "payments", "companies", pay ? pay : json_array());
}

/* Ask the daemon; NULL when none runs (or it failed to answer, after a message). */
static json_t *daemon_status(const char *state_dir)
{
	json_t *req = json_pack("{s:s}", "cmd", "status");
	struct gerr err = {0};
	int fd = control_ask(state_dir, req, &err);
	json_decref(req);
	if (fd == -2)
		log_warn("status: %s; showing the saved status", err.msg);
	if (fd < 0)
		return NULL;
	struct line_buf lb = {0};
	json_t *doc = control_recv(fd, &lb, &err);
	close(fd);
	buf_free(&lb.data);
	if (!doc)
		log_warn("status: %s; showing the saved status", err.msg);
	return doc;
}

static void fmt_time(json_t *v, char out[20])
{
	time_t t = (time_t)json_integer_value(v);
	if (!json_is_integer(v) || t <= 0) {
		strcpy(out, "-");
		return;
	}
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 20, "%Y-%m-%d %H:%M", &tm);
}

/* "late 45s", "late 12m", "late 2h05m": how long a source has waited for a worker past
 * its scheduled start. */
static void fmt_late(json_int_t s, char out[40])
{
	if (s < 60)
		snprintf(out, 40, "late %llds", (long long)s);
	else if (s < 3600)
		snprintf(out, 40, "late %lldm", (long long)(s / 60));
	else
		snprintf(out, 40, "late %lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
}

static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : dflt;
}

static void print_attention(json_t *src)
{
	json_t *alerts = json_object_get(src, "alerts");
	json_t *progress = json_object_get(src, "progress");
	if (json_is_object(progress) && json_array_size(alerts) == 0) {
		printf("running: %lld looked at, %lld filed\n",
		       json_integer_value(json_object_get(progress, "looked_at")),
		       json_integer_value(json_object_get(progress, "filed")));
		return;
	}
	if (json_array_size(alerts) == 0) {
		const char *err = json_string_value(json_object_get(src, "error"));
		printf("%s\n", err ? err : "-");
		return;
	}
	size_t i;
	json_t *a;
	json_array_foreach(alerts, i, a)
		printf("%s%s: %s", i ? "; " : "", str_or(a, "cause", "?"), str_or(a, "message", ""));
	printf("\n");
}

static void print_daemon(json_t *d)
{
	if (!json_is_object(d)) {
		printf("daemon: not running (saved status; next runs are estimates)\n");
		return;
	}
	char since[20], loaded[20];
	fmt_time(json_object_get(d, "started"), since);
	fmt_time(json_object_get(d, "config_loaded"), loaded);
	printf("daemon: running, pid %lld, since %s; configuration of %s; %lld running, %lld queued\n",
	       json_integer_value(json_object_get(d, "pid")), since, loaded,
	       json_integer_value(json_object_get(d, "running")),
	       json_integer_value(json_object_get(d, "queued")));
	const char *rej = json_string_value(json_object_get(d, "reload_error"));
	if (rej)
		printf("last reload REJECTED (old configuration in force): %s\n", rej);
}

static void print_forward(json_t *f)
{
	if (!json_is_object(f)) {
		printf("forward: %s\n", json_is_null(f) ? "not running" : "?");
		return;
	}
	json_t *routes = json_object_get(f, "routes");
	size_t i;
	json_t *r;
	if (json_array_size(routes) == 0) {
		printf("forward: no routes\n");
		return;
	}
	printf("%-24s %8s %10s %8s\n", "ROUTE", "PENDING", "DELIVERED", "FAILING");
	json_array_foreach(routes, i, r)
		printf("%-24s %8lld %10lld %8lld\n", str_or(r, "name", "?"),
		       json_integer_value(json_object_get(r, "pending")),
		       json_integer_value(json_object_get(r, "delivered")),
		       json_integer_value(json_object_get(r, "failing")));
}

/* A KSeF source's subjects: the latest invoice of each direction and how many were filed. */
static void print_subjects(json_t *subjects)
{
	const char *name;
	json_t *s;
	char stored[20];
	json_object_foreach(subjects, name, s) {
		fmt_time(json_object_get(s, "last_stored_at"), stored);
		printf("  %-9s %lld filed; last invoice %s, stored by KSeF %s\n", name,
		       json_integer_value(json_object_get(s, "filed")), str_or(s, "last_issue_date", "-"),
		       stored);
	}
}

/* A source's "details" under its line: a bank source's consent and accounts, a KSeF
 * source's subjects. */
static void print_details(json_t *d)
{
	json_t *c = json_object_get(d, "consent"), *a;
	size_t i;
	char until[20];

	if (!json_is_object(d))
		return;
	print_subjects(json_object_get(d, "subjects"));
	fmt_time(json_object_get(c, "valid_until"), until);
	if (json_string_value(json_object_get(c, "bank")))
		printf("  consent: %s, %s, valid until %s\n", str_or(c, "bank", "?"), str_or(c, "status", "?"), until);
	json_array_foreach(json_object_get(d, "accounts"), i, a) {
		json_t *b = json_object_get(a, "balance"), *t = json_object_get(a, "last_booked");
		printf("  %-30s", str_or(a, "iban", "?"));
		if (json_is_object(b))
			printf(" balance %s %s (%s)", str_or(b, "amount", "?"), str_or(b, "currency", ""),
			       str_or(b, "date", str_or(b, "type", "")));
		if (json_is_object(t))
			printf("; last booked %s %s %s %s", str_or(t, "date", "?"), str_or(t, "amount", "?"),
			       str_or(t, "currency", ""), str_or(t, "counterparty", ""));
		if (json_string_value(json_object_get(a, "error")))
			printf("; error: %s", str_or(a, "error", ""));
		printf("\n");
	}
}

/* Per company: what is left for a person and the oldest of it; the matcher. */
static void print_payments(json_t *p)
{
	json_t *companies = json_object_get(p, "companies"), *mt = json_object_get(p, "matcher");
	if (!json_array_size(companies) && !mt)
		return;
	const char *running = json_string_value(json_object_get(mt, "running"));
	printf("payments:%s%s%s\n", running ? " matching " : "", running ? running : "",
	       json_array_size(json_object_get(mt, "queued")) ? " (more queued)" : "");
	size_t i;
	json_t *c;
	json_array_foreach(companies, i, c) {
		json_t *old = json_object_get(c, "oldest_unmatched");
		printf("  %-22s %lld left for a person, %lld open invoices (%lld overdue)", str_or(c, "company", "?"),
		       json_integer_value(json_object_get(c, "unmatched")),
		       json_integer_value(json_object_get(c, "open_invoices")),
		       json_integer_value(json_object_get(c, "overdue_invoices")));
		if (old)
			printf("; oldest: %s %s %s %s", str_or(old, "date", "?"), str_or(old, "amount", "?"),
			       str_or(old, "currency", ""), str_or(old, "title", ""));
		printf("\n");
	}
	const char *error = json_string_value(json_object_get(mt, "last_error"));
	if (error)
		printf("  last matcher run failed: %s\n", error);
}

static void print_table(json_t *doc)
{
	print_daemon(json_object_get(doc, "daemon"));
	printf("%-24s %-7s %-16s %-12s %5s  %-16s %s\n", "SOURCE", "TYPE", "LAST RUN", "OUTCOME",
	       "DOCS", "NEXT RUN", "ATTENTION");
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(doc, "sources"), i, s) {
		char last[20], next[40];
		fmt_time(json_object_get(s, "last_start"), last);
		fmt_time(json_object_get(s, "next_run"), next);
		const char *outcome = json_is_true(json_object_get(s, "running")) ? "running"
					: str_or(s, "outcome", "-");
		json_t *late = json_object_get(s, "late");
		if (!json_is_true(json_object_get(s, "enabled")))
			strcpy(next, "disabled");
		else if (json_is_integer(late))
			fmt_late(json_integer_value(late), next);
		else if (json_is_true(json_object_get(s, "queued")))
			strcpy(next, "queued");
		printf("%-24s %-7s %-16s %-12s %5lld  %-16s ", str_or(s, "name", "?"),
		       str_or(s, "type", "?"), last, outcome,
		       json_integer_value(json_object_get(json_object_get(s, "stats"), "filed")), next);
		print_attention(s);
		print_details(json_object_get(s, "details"));
	}
	print_forward(json_object_get(doc, "forward"));
	print_payments(json_object_get(doc, "payments"));
}

/* With conf.d broken, the daemon (which keeps its last good configuration) is looked
 * for in the state directory given by --state, else the default one. */
static char *fallback_state_dir(const struct cli *cli)
{
	if (cli->state_dir)
		return xstrdup(cli->state_dir);
	if (cli->tree)
		return path_join(cli->tree, "state");
	return xstrdup(GONIEC_LOCALSTATEDIR "/lib/goniec");
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	bool as_json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = true;
		} else {
			int opt = cli_simple_options(cli_find_command("status"), 2,
						     (char *[]){argv[0], argv[i], NULL});
			if (opt > 0)
				return EXIT_OK;
			if (opt == 0)
				log_error("status: takes no arguments (see goniec status --help)");
			return EXIT_USAGE;
		}
	}
	struct config *cfg = cli_load_shard_config(cli);
	char *fallback = cfg ? NULL : fallback_state_dir(cli);
	json_t *doc = daemon_status(cfg ? cfg->agent.state_dir : fallback);
	int rc = cfg ? EXIT_OK : EXIT_CONFIG;
	if (doc && !json_is_true(json_object_get(doc, "ok"))) {
		log_error("status: the daemon refused: %s",
			  json_string_value(json_object_get(doc, "error")));
		json_decref(doc);
		doc = NULL;
		rc = EXIT_FAILED;
	} else if (!doc && cfg) {
		doc = offline_status(cfg);
	}
	if (doc && as_json) {
		json_dumpf(doc, stdout, JSON_INDENT(2));
		printf("\n");
	} else if (doc) {
		print_table(doc);
	}
	json_decref(doc);
	config_free(cfg);
	free(fallback);
	return rc;
}
