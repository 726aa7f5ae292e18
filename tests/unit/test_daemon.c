/* Unit tests of the daemon's parts: status files, alert decisions, the control
 * protocol's framing and request checks (hostile input), worker results, a worker taking
 * runs in turn, schedule text. */
#include "testutil.h"

#include <poll.h>
#include <sys/wait.h>
#include <time.h>

#include "conf/load.h"
#include "daemon/alert.h"
#include "daemon/control.h"
#include "daemon/fwdproc.h"
#include "daemon/matcher.h"
#include "daemon/plan.h"
#include "daemon/status.h"
#include "daemon/worker.h"

static int warsaw(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Warsaw", 1);
	tzset();
	return 0;
}

static void test_status_roundtrip(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct source_status st = {0}, back;
	struct run_stats rs = {.looked_at = 7, .filed = 3, .bytes = 12345};
	status_record(&st, RUN_FAILED, &rs, "server said no", 1000, 1010);
	status_record(&st, RUN_FAILED, &rs, "server said no", 2000, 2010);
	status_add_alert(&st, "failing", "2 runs failed", 2010);
	strcpy(st.alerts[0].notified, "2026-11-21");
	struct gerr err = {0};
	assert_int_equal(status_save(dir, "acme-mail", &st, &err), 0);
	assert_int_equal(status_load(dir, "acme-mail", &back, &err), 0);
	assert_int_equal(back.last_start, 2000);
	assert_int_equal(back.last_end, 2010);
	assert_true(back.ran);
	assert_int_equal(back.outcome, RUN_FAILED);
	assert_string_equal(back.error, "server said no");
	assert_int_equal(back.failures, 2);
	assert_int_equal(back.stats.filed, 3);
	assert_int_equal(back.stats.bytes, 12345);
	assert_int_equal(back.nalerts, 1);
	assert_string_equal(back.alerts[0].notified, "2026-11-21");
	/* a never-run source has no file: zeroed, no error */
	struct source_status none;
	assert_int_equal(status_load(dir, "never", &none, &err), 0);
	assert_false(none.ran);
	assert_int_equal(none.last_start, 0);
	status_release(&st);
	status_release(&back);
	rm_rf(dir);
	free(dir);
}

static void test_status_hostile_file(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "{", "[]", "null", "{\"outcome\": 5, \"failures\": -3, \"alerts\": {}}",
		"{\"alerts\": [{\"cause\": 1}, 7, {\"cause\": \"x\", \"message\": \"m\", \"notified\": \"far-too-long-a-date\"}]}",
		"{\"a\":1,\"a\":2}",
	};
	char *dir = scratch_dir();
	char *sdir = xasprintf("%s/sources/x", dir);
	struct gerr err = {0};
	assert_int_equal(mkdir_p(sdir, 0700, &err), 0);
	char *path = xasprintf("%s/status.json", sdir);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		write_text(path, bad[i]);
		struct source_status st;
		status_load(dir, "x", &st, &err); /* may fail; must not crash or keep junk */
		assert_true(st.failures == 0);
		assert_false(st.ran);
		for (size_t a = 0; a < st.nalerts; a++)
			assert_true(strlen(st.alerts[a].notified) < sizeof(st.alerts[a].notified));
		status_release(&st);
	}
	write_text(path, "{");
	struct source_status st;
	assert_int_equal(status_load(dir, "x", &st, &err), -1);
	assert_non_null(strstr(err.msg, "status.json"));
	free(path);
	free(sdir);
	rm_rf(dir);
	free(dir);
}

static void test_status_interrupted_is_no_failure(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct run_stats rs = {0};
	status_record(&st, RUN_TIMEOUT, &rs, "killed", 1, 2);
	status_record(&st, RUN_INTERRUPTED, &rs, "stopped", 3, 4);
	assert_true(st.interrupted);
	assert_int_equal(st.failures, 1);
	status_record(&st, RUN_CRASHED, &rs, "signal 11", 5, 6);
	assert_false(st.interrupted);
	assert_int_equal(st.failures, 2);
	status_record(&st, RUN_PARTIAL, &rs, "one failed", 7, 8);
	assert_int_equal(st.failures, 0);
	status_release(&st);
}

static time_t day_at(int mday, int hour)
{
	struct tm tm = {.tm_year = 126, .tm_mon = 10, .tm_mday = mday, .tm_hour = hour, .tm_isdst = -1};
	return mktime(&tm);
}

static size_t decide(struct source_status *st, enum run_outcome outcome, unsigned long quarantined,
		     time_t now, struct alert_notice *n)
{
	struct run_stats rs = {.quarantined = quarantined};
	status_record(st, outcome, &rs, "why", now, now);
	return alert_decide(st, NULL, NULL, now, n);
}

/* Exactly one notice, open, of this cause and message (released here). */
static void expect_one_open(struct alert_notice *n, size_t k, const char *cause, const char *msg)
{
	assert_int_equal(k, 1);
	assert_string_equal(n[0].cause, cause);
	assert_string_equal(n[0].message, msg);
	assert_false(n[0].resolved);
	alert_notices_free(n, k);
}

/* A source type's attention message (an unmapped point) opens an alert while runs
 * succeed, notices once a day, and resolves when the message goes away. */
static void test_alert_attention(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	struct run_stats rs = {0};
	const char *msg = "consumption point(s) 590243000000000002 are mapped to no property";
	status_record(&st, RUN_OK, &rs, NULL, day_at(21, 5), day_at(21, 5));
	expect_one_open(n, alert_decide(&st, msg, NULL, day_at(21, 5), n), "attention", msg);
	assert_int_equal(alert_decide(&st, msg, NULL, day_at(21, 12), n), 0);
	size_t k = alert_decide(&st, msg, NULL, day_at(22, 5), n);
	assert_int_equal(k, 1);
	alert_notices_free(n, k);
	k = alert_decide(&st, NULL, NULL, day_at(22, 12), n);
	assert_int_equal(k, 1);
	assert_true(n[0].resolved);
	alert_notices_free(n, k);
	status_release(&st);
}

/* A staged attention (a consent 14 days, then 3 days before it expires) is told once per
 * stage, not daily; when it goes away in a run that needs a person (the consent expired)
 * it closes without a "resolved" notice and the needs-person alert tells — once, in the
 * stage "ended", not daily and with no "failing" beside it; renewed, that one resolves. */
static void test_alert_staged_attention(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	struct run_stats rs = {0};
	const char *warn = "the consent expires on 2026-12-05, in less than 14 days";
	const char *urgent = "the consent expires on 2026-12-05, in less than 3 days";
	const struct alert_stages consent_14d = {.attention = "14d"}, consent_3d = {.attention = "3d"},
				  consent_ended = {.runs = "ended"};
	status_record(&st, RUN_OK, &rs, NULL, day_at(21, 5), day_at(21, 5));
	expect_one_open(n, alert_decide(&st, warn, &consent_14d, day_at(21, 12), n), "attention", warn);
	for (int day = 22; day <= 30; day++)   /* daily runs: quiet */
		assert_int_equal(alert_decide(&st, warn, &consent_14d, day_at(day, 12), n), 0);
	expect_one_open(n, alert_decide(&st, urgent, &consent_3d, day_at(30, 18), n), "attention", urgent);
	assert_int_equal(alert_decide(&st, urgent, &consent_3d, day_at(30, 20), n), 0);

	/* kept across a restart */
	char *dir = scratch_dir();
	struct gerr err = {0};
	assert_int_equal(status_save(dir, "bank", &st, &err), 0);
	status_release(&st);
	assert_int_equal(status_load(dir, "bank", &st, &err), 0);
	rm_rf(dir);
	free(dir);
	assert_int_equal(alert_decide(&st, urgent, &consent_3d, day_at(31, 12), n), 0);

	status_record(&st, RUN_NEEDS_PERSON, &rs, "the consent expired; renew it", day_at(31, 18),
		      day_at(31, 18));
	expect_one_open(n, alert_decide(&st, NULL, &consent_ended, day_at(31, 18), n), "needs-person",
			"the consent expired; renew it");
	assert_null(status_find_alert(&st, "attention"));
	for (int day = 32; day <= 40; day++) {   /* three runs a day, each needing a person */
		for (int hour = 11; hour <= 18; hour += 3) {
			status_record(&st, RUN_NEEDS_PERSON, &rs, "the consent expired; renew it",
				      day_at(day, hour), day_at(day, hour));
			assert_int_equal(alert_decide(&st, NULL, &consent_ended, day_at(day, hour), n), 0);
		}
	}
	assert_null(status_find_alert(&st, "failing"));
	status_record(&st, RUN_OK, &rs, NULL, day_at(41, 12), day_at(41, 12));
	size_t k = alert_decide(&st, NULL, NULL, day_at(41, 12), n);
	assert_int_equal(k, 1);
	assert_string_equal(n[0].cause, "needs-person");
	assert_true(n[0].resolved);
	alert_notices_free(n, k);
	status_release(&st);
}

/* A failure the source type stages (a portal whose site no longer fits its recipe: every
 * run fails the same way until the recipe is fixed) is told at the first failed run, not
 * after ALERT_FAILURES, then not daily but once per stage the hook names (a reminder every
 * 7 days), and resolved when a run succeeds again. */
static void test_alert_staged_failing(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	struct run_stats rs = {0};
	const char *why = "the site changed (provider pge): step 'invoices of the account' "
			  "(pge.yaml:57) found nothing at jsonpath '$.documents[*]'";
	const struct alert_stages changed = {.runs = "changed"}, reminder = {.runs = "reminder"};
	status_record(&st, RUN_FAILED, &rs, why, day_at(21, 5), day_at(21, 5));
	size_t k = alert_decide(&st, NULL, &changed, day_at(21, 5), n);
	char *first = xasprintf("the last run failed: %s", why);
	expect_one_open(n, k, "failing", first);
	free(first);
	for (int day = 22; day <= 27; day++) {   /* a run a day, each failing the same way */
		status_record(&st, RUN_FAILED, &rs, why, day_at(day, 5), day_at(day, 5));
		assert_int_equal(alert_decide(&st, NULL, &changed, day_at(day, 5), n), 0);
	}
	status_record(&st, RUN_FAILED, &rs, why, day_at(28, 5), day_at(28, 5));
	k = alert_decide(&st, NULL, &reminder, day_at(28, 5), n);
	char *again = xasprintf("8 runs in a row failed; the last: %s", why);
	expect_one_open(n, k, "failing", again);
	free(again);
	status_record(&st, RUN_FAILED, &rs, why, day_at(29, 5), day_at(29, 5));
	assert_int_equal(alert_decide(&st, NULL, &reminder, day_at(29, 5), n), 0);
	status_record(&st, RUN_OK, &rs, NULL, day_at(30, 5), day_at(30, 5));
	k = alert_decide(&st, NULL, NULL, day_at(30, 5), n);
	assert_int_equal(k, 1);
	assert_string_equal(n[0].cause, "failing");
	assert_true(n[0].resolved);
	alert_notices_free(n, k);
	assert_int_equal(st.nalerts, 0);
	status_release(&st);
}

static void test_alert_once_per_cause_per_day(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	assert_int_equal(decide(&st, RUN_FAILED, 0, day_at(21, 5), n), 0);
	assert_int_equal(decide(&st, RUN_FAILED, 0, day_at(21, 12), n), 0);
	size_t k = decide(&st, RUN_FAILED, 0, day_at(21, 14), n); /* third in a row */
	assert_int_equal(k, 1);
	assert_string_equal(n[0].cause, "failing");
	assert_false(n[0].resolved);
	assert_non_null(strstr(n[0].message, "3 runs in a row"));
	alert_notices_free(n, k);
	assert_int_equal(decide(&st, RUN_FAILED, 0, day_at(21, 20), n), 0); /* same day: quiet */
	k = decide(&st, RUN_FAILED, 0, day_at(22, 5), n);                    /* next day: again */
	assert_int_equal(k, 1);
	alert_notices_free(n, k);
	assert_int_equal(st.nalerts, 1);
	k = decide(&st, RUN_OK, 0, day_at(22, 12), n);                       /* fixed */
	assert_int_equal(k, 1);
	assert_true(n[0].resolved);
	assert_string_equal(n[0].cause, "failing");
	alert_notices_free(n, k);
	assert_int_equal(st.nalerts, 0);
	assert_int_equal(decide(&st, RUN_OK, 0, day_at(22, 14), n), 0);
	status_release(&st);
}

static void test_alert_needs_person_and_quarantine(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	size_t k = decide(&st, RUN_NEEDS_PERSON, 0, day_at(21, 5), n);
	assert_int_equal(k, 1); /* at once, not after three runs */
	assert_string_equal(n[0].cause, "needs-person");
	assert_string_equal(n[0].message, "why");
	alert_notices_free(n, k);
	k = decide(&st, RUN_OK, 2, day_at(21, 12), n);
	assert_int_equal(k, 2); /* needs-person resolved, quarantined opened */
	assert_true((n[0].resolved && !strcmp(n[0].cause, "needs-person")));
	assert_true((!n[1].resolved && !strcmp(n[1].cause, "quarantined")));
	alert_notices_free(n, k);
	status_release(&st);
}

/* A run that left a message for a person (over a limit) opens a "held" alert whose text is
 * the run's error, which names the message; a run without one resolves it. */
static void test_alert_held(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	struct run_stats rs = {.filed = 3, .held = 1};
	const char *why = "1 message(s) left where they are for a person: INBOX UID 7 (from a@pge.pl, "
			  "\"x\"): forwarded messages are nested more than 16 deep (at section 2)";
	status_record(&st, RUN_PARTIAL, &rs, why, day_at(21, 5), day_at(21, 5));
	expect_one_open(n, alert_decide(&st, NULL, NULL, day_at(21, 5), n), "held", why);
	rs.held = 0;
	status_record(&st, RUN_OK, &rs, NULL, day_at(21, 12), day_at(21, 12));
	size_t k = alert_decide(&st, NULL, NULL, day_at(21, 12), n);
	assert_int_equal(k, 1);
	assert_true(n[0].resolved);
	alert_notices_free(n, k);
	status_release(&st);
}

/* A run that filed statements it could not read (statement.error) opens an "unreadable"
 * alert, although the run itself is ok; it survives the status file; a run without one
 * resolves it. */
static void test_alert_unreadable(void **state)
{
	(void)state;
	struct source_status st = {0};
	struct alert_notice n[ALERT_MAX_NOTICES];
	struct run_stats rs = {.filed = 4, .unreadable = 2};
	status_record(&st, RUN_OK, &rs, NULL, day_at(21, 5), day_at(21, 5));
	json_t *saved = status_stats_to_json(&st.stats);
	struct run_stats back = {0};
	status_stats_from_json(saved, &back);
	json_decref(saved);
	assert_int_equal(back.unreadable, 2);
	expect_one_open(n, alert_decide(&st, NULL, NULL, day_at(21, 5), n), "unreadable",
			"the last run filed 2 statement(s) that could not be read; their sidecars "
			"say why (statement.error)");
	rs.unreadable = 0;
	status_record(&st, RUN_OK, &rs, NULL, day_at(21, 12), day_at(21, 12));
	size_t k = alert_decide(&st, NULL, NULL, day_at(21, 12), n);
	assert_int_equal(k, 1);
	assert_true(n[0].resolved);
	alert_notices_free(n, k);
	status_release(&st);
}

static void test_alert_text(void **state)
{
	(void)state;
	struct source_conf src = {.name = "acme-energa", .type_name = "portal"};
	struct company_conf co = {.id = "acme"};
	src.company = &co;
	struct alert_notice n = {"needs-person", "a one-time code is needed", false, day_at(21, 5)};
	char *t = alert_text(&src, &n);
	assert_non_null(strstr(t, "needs attention: source acme-energa of company acme (portal)"));
	assert_non_null(strstr(t, "cause: needs-person"));
	assert_non_null(strstr(t, "since: 2026-11-21T05:00:00+01:00"));
	free(t);
	n.resolved = true;
	t = alert_text(&src, &n);
	assert_non_null(strstr(t, "resolved"));
	free(t);
}

static void test_line_buf(void **state)
{
	(void)state;
	struct line_buf lb = {.max = 16};
	control_line_feed(&lb, "ab", 2);
	assert_null(control_line_take(&lb));
	control_line_feed(&lb, "c\nde\n\nf", 7);
	char *l = control_line_take(&lb);
	assert_string_equal(l, "abc");
	free(l);
	l = control_line_take(&lb);
	assert_string_equal(l, "de");
	free(l);
	l = control_line_take(&lb);
	assert_string_equal(l, "");
	free(l);
	assert_null(control_line_take(&lb));
	assert_false(lb.overflow);
	control_line_feed(&lb, "0123456789abcdefghij", 20); /* no newline, over the limit */
	assert_null(control_line_take(&lb));
	assert_true(lb.overflow);
	buf_free(&lb.data);
	struct line_buf nul = {.max = 64};
	control_line_feed(&nul, "a\0b\n", 4); /* a NUL inside a line ends the C string, safely */
	l = control_line_take(&nul);
	assert_string_equal(l, "a");
	free(l);
	buf_free(&nul.data);
}

/* A request naming 15,000 sources (over 1 MB, as 64 KB reads come) is one line: bytes
 * already looked at are not looked at again, and a line after it is found whole. */
static void test_long_request_line(void **state)
{
	(void)state;
	struct line_buf lb = {.max = control_request_limit(15000)};
	assert_true(lb.max >= 15000 * (64 + 4) + 64 * 1024);
	struct buf req = {0};
	buf_puts(&req, "{\"cmd\":\"fetch\",\"sources\":[");
	for (int i = 0; i < 15000; i++)
		buf_printf(&req, "%s\"%064d\"", i ? "," : "", i);
	buf_puts(&req, "]}\n{\"cmd\":\"status\"}\n");
	for (size_t off = 0; off < req.len; off += 65536) {
		size_t n = req.len - off < 65536 ? req.len - off : 65536;
		control_line_feed(&lb, req.data + off, n);
		if (off + n < req.len - 18)
			assert_null(control_line_take(&lb));
	}
	char *l = control_line_take(&lb);
	struct gerr err = {0};
	json_t *j = control_parse_request(l, &err);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "sources")), 15000);
	json_decref(j);
	free(l);
	l = control_line_take(&lb);
	assert_string_equal(l, "{\"cmd\":\"status\"}");
	free(l);
	assert_false(lb.overflow);
	buf_free(&lb.data);
	buf_free(&req);
}

static void test_control_requests_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "nonsense", "[]", "\"fetch\"", "{}", "{\"cmd\": 5}", "{\"cmd\": null}",
		"{\"cmd\": \"a\", \"cmd\": \"b\"}", "{\"cmd\": \"status\"", "{\"cmd\": \"st\\u0000\"} x",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct gerr err = {0};
		json_t *r = control_parse_request(bad[i], &err);
		assert_null(r);
		assert_true(str_starts_with(err.msg, "bad request"));
	}
	struct gerr err = {0};
	json_t *r = control_parse_request("{\"cmd\": \"fetch\", \"sources\": [\"a\"]}", &err);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "cmd")), "fetch");
	json_decref(r);
}

static void test_worker_results(void **state)
{
	(void)state;
	struct worker_result res = {0};
	struct gerr err = {0};
	assert_int_equal(worker_parse_result("{\"outcome\":\"partial\",\"stats\":{\"filed\":2,"
					     "\"bytes\":99,\"looked_at\":-5,\"failed\":\"x\"},"
					     "\"error\":\"one failed\"}", &res, &err), 0);
	assert_int_equal(res.outcome, RUN_PARTIAL);
	assert_int_equal(res.stats.filed, 2);
	assert_int_equal(res.stats.bytes, 99);
	assert_int_equal(res.stats.looked_at, 0);
	assert_int_equal(res.stats.failed, 0);
	assert_string_equal(res.error, "one failed");
	worker_result_free(&res);
	static const char *const bad[] = {"", "{", "[]", "{\"outcome\": 1}", "{\"stats\": {}}", "7",
					  "{\"outcome\": \"fine\"}"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(worker_parse_result(bad[i], &res, &err), -1);
		assert_true(str_starts_with(err.msg, "bad worker result"));
	}
}

/* Until the run handed to w has its result (10 s at most). */
static void await_run(struct worker *w)
{
	int64_t deadline = now_ms() + 10000;
	while (!worker_run_ended(w) && w->fd >= 0 && now_ms() < deadline) {
		struct pollfd p = {.fd = w->fd, .events = POLLIN};
		poll(&p, 1, 100);
		worker_read(w);
	}
	assert_true(worker_run_ended(w));
}

/* A source worker takes run after run of its configuration, and refuses one of another
 * generation (and ends). */
/* A source worker of an empty configuration, generation gen. */
static void fork_runner(struct worker *w, unsigned gen)
{
	static struct config cfg;
	struct gerr err = {0};
	assert_int_equal(worker_fork_runner(w, &cfg, gen, &err), 0);
}

/* The worker ended with status 0. */
static void await_clean_exit(struct worker *w)
{
	int st;
	struct worker_result res;
	assert_int_equal(waitpid(w->pid, &st, 0), w->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	worker_finish(w, st, &res);
	worker_result_free(&res);
}

static void test_worker_runs_in_turn(void **state)
{
	(void)state;
	struct worker w;
	struct worker_result res;
	fork_runner(&w, 7);
	pid_t first = w.pid;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(worker_hand(&w, "nosuch", 0), 0);
		assert_true(w.busy);
		await_run(&w);
		worker_take_result(&w, &res);
		assert_int_equal(res.outcome, RUN_FAILED); /* no such source in cfg */
		assert_non_null(res.error);
		assert_false(res.last);
		assert_false(w.busy);
		assert_false(w.retiring);
		assert_int_equal(w.pid, first);
		worker_result_free(&res);
	}
	w.gen = 6; /* the master's request speaks of another configuration */
	assert_int_equal(worker_hand(&w, "nosuch", 0), 0);
	await_run(&w);
	worker_take_result(&w, &res);
	assert_int_equal(res.outcome, RUN_NOT_RUN);
	assert_true(res.last);
	assert_true(w.retiring);
	worker_result_free(&res);
	await_clean_exit(&w);
}

/* A worker told to retire while idle ends at once. */
static void test_worker_retires_when_idle(void **state)
{
	(void)state;
	struct worker w;
	fork_runner(&w, 1);
	worker_retire(&w);
	await_clean_exit(&w);
}

static struct config *load(const char *yaml)
{
	struct diag d = {0};
	struct config *cfg = config_load_string("test.yaml", yaml, strlen(yaml), &d);
	diag_print(&d, stderr);
	diag_free(&d);
	assert_non_null(cfg);
	return cfg;
}

static void test_plan_describe(void **state)
{
	(void)state;
	struct config *cfg = load(
		"sources:\n"
		"  - {name: a, type: folder, path: /tmp/a, schedule: [\"05:00\", \"12:30\"]}\n"
		"  - {name: b, type: folder, path: /tmp/b, schedule: {every: 6h, jitter: 10m}}\n"
		"  - {name: c, type: folder, path: /tmp/c, schedule: manual}\n"
		"  - {name: d, type: folder, path: /tmp/d, schedule: {every: 2s}}\n"
		"  - {name: e, type: folder, path: /tmp/e}\n"
		"  - {name: f, type: folder, path: /tmp/f, schedule: {times: [\"05:00\"], jitter: 0}}\n");
	/* agent.jitter (10m by default) spreads what has no jitter of its own, at most a
	 * tenth of an `every` interval; `jitter: 0` keeps a schedule exact */
	static const char *const want[] = {"05:00 12:30 (+ up to 10m)", "every 6h (+ up to 10m)",
					   "manual", "every 2s", NULL};
	for (size_t i = 0; want[i]; i++) {
		char *d = plan_describe(cfg->sources[i]);
		assert_string_equal(d, want[i]);
		free(d);
	}
	char *d = plan_describe(cfg->sources[4]); /* the folder type's default */
	assert_string_equal(d, "every 5m (+ up to 30s)");
	free(d);
	d = plan_describe(cfg->sources[5]);
	assert_string_equal(d, "05:00");
	free(d);
	time_t now0 = 1790000000;
	assert_int_equal(plan_first(cfg->sources[4], 0, now0), now0); /* every: runs at start */
	time_t e = plan_next(cfg->sources[4], now0);
	assert_true(e >= now0 + 300 && e <= now0 + 330);
	time_t now = 1790000000;
	assert_int_equal(plan_first(cfg->sources[2], 0, now), NEXTRUN_NEVER);
	time_t t = plan_next(cfg->sources[1], now);
	assert_true(t >= now + 6 * 3600 && t <= now + 6 * 3600 + 600);
	assert_int_equal(plan_first(cfg->sources[3], now - 100, now), now); /* missed: now */
	config_free(cfg);
}

static void test_forwarder_backoff(void **state)
{
	(void)state;
	struct fwdproc f;
	fwdproc_init(&f);
	assert_true(fwdproc_due(&f, now_ms())); /* started at once */
	int64_t want = FWDPROC_BACKOFF_MIN_MS;
	for (int i = 0; i < 10; i++) {
		f.w.pid = 999999; /* pretend it ran and died young (no process is touched) */
		f.w.started_ms = now_ms();
		int64_t before = now_ms();
		fwdproc_exited(&f, 9 /* killed by SIGKILL */, false);
		assert_int_equal(f.w.pid, 0);
		assert_true(f.restart_at_ms >= before + want && f.restart_at_ms <= now_ms() + want);
		assert_false(fwdproc_due(&f, before));
		want = want * 2 > FWDPROC_BACKOFF_MAX_MS ? FWDPROC_BACKOFF_MAX_MS : want * 2;
	}
	assert_int_equal(f.backoff_ms, FWDPROC_BACKOFF_MAX_MS);
	assert_int_equal(f.restarts, 10);
	/* one that ran long gets the short delay again */
	f.w.pid = 999999;
	f.w.started_ms = now_ms() - FWDPROC_STABLE_MS;
	int64_t before = now_ms();
	fwdproc_exited(&f, 0, false);
	assert_true(f.restart_at_ms <= before + FWDPROC_BACKOFF_MIN_MS + 1000);
	/* terminated for a reload: back at once; while stopping: never */
	f.w.pid = 999999;
	f.restart_now = true;
	fwdproc_exited(&f, 15, false);
	assert_true(fwdproc_due(&f, now_ms()));
	f.w.pid = 999999;
	f.restart_at_ms = INT64_MAX;
	fwdproc_exited(&f, 15, true);
	assert_false(fwdproc_due(&f, now_ms()));
	assert_int_equal(fwdproc_next_ms(&f), INT64_MAX);
}

/* No routes, no forwarder: not started, not restarted, not woken for; routes again: at once. */
static void test_forwarder_wanted(void **state)
{
	(void)state;
	struct fwdproc f;
	fwdproc_init(&f);
	fwdproc_want(&f, false);
	assert_false(fwdproc_due(&f, now_ms()));
	assert_int_equal(fwdproc_next_ms(&f), INT64_MAX); /* the master's loop does not wake for it */
	fwdproc_reload(&f);
	assert_false(fwdproc_due(&f, now_ms()));
	/* one that ends after its routes went away is not restarted (no process is touched) */
	f.w.pid = 999999;
	f.w.started_ms = now_ms();
	fwdproc_exited(&f, 15, false);
	assert_false(fwdproc_due(&f, now_ms()));
	assert_int_equal(f.restarts, 0);
	fwdproc_want(&f, true);
	assert_true(fwdproc_due(&f, now_ms()));
	/* routes back while the old one is still stopping: started again once it is gone */
	fwdproc_want(&f, false);
	f.w.pid = 999999;
	f.w.term_sent = true;
	fwdproc_want(&f, true);
	assert_false(fwdproc_due(&f, now_ms()));
	fwdproc_exited(&f, 15, false);
	assert_true(fwdproc_due(&f, now_ms()));
	assert_int_equal(f.restarts, 0);
}

/* While sources wait for a worker, requests are held (a company is matched once after a
 * burst, not after each of its sources) — but none longer than MATCHER_HOLD_MAX_S. */
static void test_matcher_held_during_a_burst(void **state)
{
	(void)state;
	struct matcher mt;
	matcher_init(&mt);
	matcher_request(&mt, "acme");
	matcher_request(&mt, "beta");
	matcher_request(&mt, "acme"); /* coalesced */
	assert_int_equal(mt.queue.len, 2);
	assert_null(matcher_next(&mt, true));
	mt.asked[1] -= MATCHER_HOLD_MAX_S; /* beta has waited long enough */
	char *c = matcher_next(&mt, true);
	assert_string_equal(c, "beta");
	free(c);
	assert_null(matcher_next(&mt, true));
	c = matcher_next(&mt, false); /* the burst is over */
	assert_string_equal(c, "acme");
	free(c);
	assert_null(matcher_next(&mt, false));
	matcher_free(&mt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_roundtrip),
		cmocka_unit_test(test_matcher_held_during_a_burst),
		cmocka_unit_test(test_status_hostile_file),
		cmocka_unit_test(test_status_interrupted_is_no_failure),
		cmocka_unit_test(test_alert_once_per_cause_per_day),
		cmocka_unit_test(test_alert_attention),
		cmocka_unit_test(test_alert_staged_attention),
		cmocka_unit_test(test_alert_staged_failing),
		cmocka_unit_test(test_alert_needs_person_and_quarantine),
		cmocka_unit_test(test_alert_held),
		cmocka_unit_test(test_alert_unreadable),
		cmocka_unit_test(test_alert_text),
		cmocka_unit_test(test_line_buf),
		cmocka_unit_test(test_long_request_line),
		cmocka_unit_test(test_control_requests_hostile),
		cmocka_unit_test(test_worker_results),
		cmocka_unit_test(test_worker_runs_in_turn),
		cmocka_unit_test(test_worker_retires_when_idle),
		cmocka_unit_test(test_plan_describe),
		cmocka_unit_test(test_forwarder_backoff),
		cmocka_unit_test(test_forwarder_wanted),
	};
	return cmocka_run_group_tests(tests, warsaw, NULL);
}
