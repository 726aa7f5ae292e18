/* fetch — run sources now: through the running daemon when there is one (so that its
 * schedule and an on-demand run never overlap), else in this process, one after the
 * other. On a terminal a local run shows its progress. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/log.h"
#include "daemon/control.h"
#include "daemon/status.h"
#include "sources/source.h"

/* Sources named on the command line (a company id names all of its sources); with no
 * names, every enabled source (of this shard). Returns -1 after reporting an unknown
 * name, or one that has sources in another shard. */
static int select_sources(const struct config *cfg, int argc, char **argv, bool *chosen)
{
	for (size_t i = 0; i < cfg->nsources && argc <= 1; i++)
		chosen[i] = cfg->sources[i]->enabled && config_runs_source(cfg, cfg->sources[i]);
	for (int a = 1; a < argc; a++) {
		const struct source_conf *other = NULL;
		bool found = false;
		for (size_t i = 0; i < cfg->nsources; i++) {
			const struct source_conf *s = cfg->sources[i];
			if (strcmp(s->name, argv[a]) != 0 &&
			    !(s->company && strcmp(s->company->id, argv[a]) == 0))
				continue;
			found = true;
			chosen[i] = config_runs_source(cfg, s);
			other = chosen[i] ? other : s;
		}
		if (!found) {
			log_error("fetch: no source or company named '%s' (see goniec list)", argv[a]);
			return -1;
		}
		if (other) {
			log_error("fetch: source %s is in shard %ld of %ld (give --shard %ld)", other->name,
				  source_shard(other, cfg->agent.shard.of), cfg->agent.shard.of,
				  source_shard(other, cfg->agent.shard.of));
			return -1;
		}
	}
	return 0;
}

static int exit_for(enum run_outcome o)
{
	switch (o) {
	case RUN_OK: return EXIT_OK;
	case RUN_NEEDS_PERSON: return EXIT_NEEDS_PERSON;
	case RUN_BUSY: return EXIT_TEMPFAIL;
	default: return EXIT_FAILED;
	}
}

/* With --json: the outcomes collected here and printed at the end as one array. */
static json_t *json_results;

/* Show progress lines? On a terminal, and not with --json. */
static bool show_tty(void)
{
	return !json_results && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO);
}

static void print_result(const char *name, const char *outcome, const struct run_stats *st,
			 const char *error)
{
	bool ok = strcmp(outcome, "ok") == 0;
	if (json_results) {
		json_array_append_new(json_results,
				      json_pack("{s:s,s:s,s:o,s:o}", "source", name, "outcome", outcome,
						"stats", status_stats_to_json(st), "error",
						ok || !error || !*error ? json_null() : json_string(error)));
		return;
	}
	char unreadable[64] = "";
	if (st->unreadable)
		snprintf(unreadable, sizeof unreadable, " (%lu of them could not be read)",
			 st->unreadable);
	printf("%s: %s — %lu filed%s, %lu already had, %lu quarantined, %lu failed%s%s\n", name,
	       outcome, st->filed, unreadable, st->duplicates, st->quarantined, st->failed,
	       ok || !error ? "" : ": ", ok || !error ? "" : error);
	fflush(stdout);
}

/* Fold one source's exit status into the command's. */
static int merge_exit(int rc, int code)
{
	return code != EXIT_OK && (rc == EXIT_OK || code == EXIT_FAILED) ? code : rc;
}

/* The exit status for an outcome reported by name (the daemon adds timeout, crashed...). */
static int exit_for_name(const char *outcome)
{
	enum run_outcome o = RUN_FAILED;
	run_outcome_parse(outcome, &o);
	return exit_for(o);
}

static void human_bytes(uint64_t n, char out[32])
{
	if (n >= 10u << 20)
		snprintf(out, 32, "%llu MB", (unsigned long long)(n >> 20));
	else if (n >= 10u << 10)
		snprintf(out, 32, "%llu kB", (unsigned long long)(n >> 10));
	else
		snprintf(out, 32, "%llu B", (unsigned long long)n);
}

/* A terminal line per source, rewritten as documents come in. */
static void print_progress(const char *name, const struct run_stats *st)
{
	char b[32];
	human_bytes(st->bytes, b);
	fprintf(log_stream(), "\r\033[K%s: %lu looked at, %lu filed, %s", name, st->looked_at,
		st->filed, b);
	log_progress_line(true);
}

static void show_progress(const struct source_run *run)
{
	print_progress(run->src->name, &run->stats);
}

/* A run made here is recorded where `goniec status` (and the daemon, at its next start)
 * reads runs: the source's status file. A run refused by the lock ran elsewhere. */
static void record_run(const struct config *cfg, const char *name, enum run_outcome o,
		       const struct run_stats *st, const struct gerr *err, time_t start)
{
	if (o == RUN_BUSY)
		return;
	struct source_status ss = {0};
	struct gerr e;
	if (status_load(cfg->agent.state_dir, name, &ss, &e) != 0)
		log_warn("%s", e.msg);
	status_record(&ss, o, st, o == RUN_OK ? NULL : err->msg, start,
		      time(NULL));
	if (status_save(cfg->agent.state_dir, name, &ss, &e) != 0)
		log_warn("%s: %s", name, e.msg);
	status_release(&ss);
}

static int fetch_here(const struct config *cfg, const bool *chosen)
{
	bool tty = show_tty();
	source_run_set_progress(tty ? show_progress : NULL);
	int rc = EXIT_OK;
	struct run_stats total = {0};
	for (size_t i = 0; i < cfg->nsources; i++) {
		if (!chosen[i])
			continue;
		const struct source_conf *s = cfg->sources[i];
		struct run_stats st = {0};
		struct gerr err = {0};
		if (tty) {
			fprintf(stderr, "%s: starting", s->name);
			log_progress_line(true);
		}
		time_t start = time(NULL);
		enum run_outcome o = source_run_once(cfg, s, &st, &err);
		record_run(cfg, s->name, o, &st, &err, start);
		if (tty) {
			fprintf(stderr, "\r\033[K");
			log_progress_line(false);
		}
		print_result(s->name, run_outcome_name(o), &st, err.msg);
		rc = merge_exit(rc, exit_for(o));
		total.filed += st.filed;
		total.looked_at += st.looked_at;
		total.bytes += st.bytes;
	}
	if (tty) {
		char b[32];
		human_bytes(total.bytes, b);
		fprintf(stderr, "total: %lu looked at, %lu filed, %s\n", total.looked_at, total.filed, b);
	}
	return rc;
}

/* Wait for the daemon's "done" events until "end"; returns the exit status. lb is the
 * connection's line buffer: it may already hold events read with the first reply. */
static int daemon_outcomes(int fd, struct line_buf *lb)
{
	struct gerr err = {0};
	int rc = EXIT_OK;
	bool tty = show_tty();
	json_t *ev;
	while ((ev = control_recv(fd, lb, &err))) {
		const char *kind = json_string_value(json_object_get(ev, "event"));
		const char *name = json_string_value(json_object_get(ev, "source"));
		bool end = !kind || strcmp(kind, "end") == 0;
		if (tty && kind && name && strcmp(kind, "progress") == 0) {
			struct run_stats st = {0};
			status_stats_from_json(json_object_get(ev, "stats"), &st);
			print_progress(name, &st);
		}
		if (tty && kind && strcmp(kind, "done") == 0) {
			fprintf(stderr, "\r\033[K");
			log_progress_line(false);
		}
		if (kind && strcmp(kind, "done") == 0) {
			struct run_stats st = {0};
			const char *outcome = json_string_value(json_object_get(ev, "outcome"));
			const char *error = json_string_value(json_object_get(ev, "error"));
			status_stats_from_json(json_object_get(ev, "stats"), &st);
			outcome = outcome ? outcome : "unknown";
			print_result(json_string_value(json_object_get(ev, "source")), outcome, &st, error);
			rc = merge_exit(rc, exit_for_name(outcome));
		}
		json_decref(ev);
		if (end)
			break;
	}
	if (!ev) {
		log_error("fetch: %s", err.msg);
		rc = EXIT_FAILED;
	}
	return rc;
}

/* Ask the running daemon to run the chosen sources (all: every enabled source of the
 * daemon's configuration, asked for with an empty list). Returns -1 when none runs. */
static int fetch_via_daemon(const struct config *cfg, const bool *chosen, bool all, bool wait)
{
	json_t *names = json_array();
	for (size_t i = 0; i < cfg->nsources && !all; i++)
		if (chosen[i])
			json_array_append_new(names, json_string(cfg->sources[i]->name));
	json_t *req = json_pack("{s:s,s:o,s:b}", "cmd", "fetch", "sources", names, "wait", wait);
	struct gerr err = {0};
	int fd = control_ask(cfg->agent.state_dir, req, &err);
	json_decref(req);
	if (fd == -1)
		return -1;
	if (fd < 0) {
		log_error("fetch: %s", err.msg);
		return EXIT_FAILED;
	}
	struct line_buf lb = {0};
	json_t *reply = control_recv(fd, &lb, &err);
	int rc = EXIT_OK;
	if (!reply) {
		log_error("fetch: %s", err.msg);
		rc = EXIT_FAILED;
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		log_error("fetch: the daemon refused: %s",
			  json_string_value(json_object_get(reply, "error")));
		rc = EXIT_USAGE;
	} else if (!wait && json_results) {
		json_array_extend(json_results, json_object_get(reply, "sources"));
	} else if (!wait) {
		printf("requested from the daemon: %zu source(s)\n",
		       json_array_size(json_object_get(reply, "sources")));
	} else {
		rc = json_array_size(json_object_get(reply, "sources")) ? daemon_outcomes(fd, &lb)
									: EXIT_OK;
	}
	buf_free(&lb.data);
	json_decref(reply);
	close(fd);
	return rc;
}

int cmd_fetch(struct cli *cli, int argc, char **argv)
{
	bool wait = true, local = false;
	const char *trace = NULL;
	char **args = xcalloc((size_t)argc + 1, sizeof(char *));
	int n = 0;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--no-wait") == 0)
			wait = false;
		else if (i > 0 && strcmp(argv[i], "--here") == 0)
			local = true;
		else if (i > 0 && strcmp(argv[i], "--json") == 0 && !json_results)
			json_results = json_array();
		else if (i > 0 && strcmp(argv[i], "--trace") == 0 && i + 1 < argc)
			trace = argv[++i];
		else
			args[n++] = argv[i];
	}
	int rc = cli_simple_options(cli_find_command("fetch"), n, args);
	if (rc) {
		free(args);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	struct config *cfg = cli_load_shard_config(cli);
	if (!cfg) {
		free(args);
		return EXIT_CONFIG;
	}
	bool *chosen = xcalloc(cfg->nsources + 1, sizeof *chosen);
	rc = select_sources(cfg, n, args, chosen) != 0 ? EXIT_USAGE : -1;
	source_run_set_trace(trace);
	if (trace)
		local = true; /* the trace is written by the run itself */
	if (rc == -1 && !local)
		rc = fetch_via_daemon(cfg, chosen, n <= 1, wait);
	if (rc == -1)
		rc = fetch_here(cfg, chosen);
	if (json_results && rc != EXIT_USAGE) {
		json_dumpf(json_results, stdout, JSON_INDENT(2));
		printf("\n");
	}
	json_decref(json_results);
	json_results = NULL;
	free(chosen);
	free(args);
	config_free(cfg);
	return rc;
}
