/* worker — source runs in worker processes; see worker.h. */
#include "daemon/worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/fsyncs.h"
#include "core/log.h"
#include "core/testhook.h"
#include "daemon/leftover.h"
#include "daemon/status.h"
#include "formats/pdftext.h"

/* In a new child: default signal handling, a process group of its own, stdin on
 * /dev/null, the write end of the result pipe as WORKER_RESULT_FD. */
static void child_setup(int result_w)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		if (devnull != 0)
			close(devnull);
	}
	if (dup2(result_w, WORKER_RESULT_FD) < 0)
		_exit(127);
	if (result_w != WORKER_RESULT_FD)
		close(result_w);
}

/* duplex: a connection both ways (a socket pair: results up, runs down) instead of a
 * pipe for the result. */
static int spawn(struct worker *w, int64_t timeout_s, void (*child)(void *arg), void *arg,
		 bool duplex, struct gerr *err)
{
	int p[2];
	if (duplex ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0 : pipe2(p, O_CLOEXEC) < 0)
		return gerr_sys(err, duplex ? "socketpair" : "pipe");
	fflush(NULL); /* or the child would write what is buffered a second time */
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return gerr_sys(err, "fork");
	}
	if (pid == 0) {
		child_setup(p[1]);
		child(arg);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	setpgid(pid, pid); /* also in the child: whichever runs first */
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->fd = p[0];
	w->out.max = 1 << 20;
	w->started_ms = now_ms();
	w->timeout_s = timeout_s;
	w->deadline_ms = timeout_s > 0 ? w->started_ms + timeout_s * 1000 : INT64_MAX;
	return 0;
}

static void exec_child(void *arg)
{
	char *const *argv = arg;
	execv(argv[0], argv);
	log_error("cannot run %s: %s", argv[0], strerror(errno));
}

int worker_spawn(struct worker *w, char *const *argv, int64_t timeout_s, struct gerr *err)
{
	return spawn(w, timeout_s, exec_child, (void *)argv, false, err);
}

/* Close the descriptors from first up, but keep (if it is one of them). */
static void close_all_but(int first, int keep)
{
	if (keep > first)
		close_range((unsigned)first, (unsigned)keep - 1, 0);
	closefrom(keep >= first ? keep + 1 : first);
}

/* What every forked child of the master does first: its name, nothing of the master's
 * kept open but its connection and the shared PDF reader's door (formats/pdftext.h). */
static void forked_child_setup(void)
{
	prctl(PR_SET_NAME, "goniec-worker"); /* what ps and top show (15 characters) */
	close_all_but(WORKER_RESULT_FD + 1, pdftext_door_fd());
	srandom((unsigned)(getpid() ^ time(NULL)));
}

/* The thread of the run going on, while there is one (see on_sigterm). */
static pthread_t run_thread_id;
static volatile sig_atomic_t run_thread_started;

struct run_request {
	worker_main_fn *fn;      /* a one-run child's; NULL: a source's run */
	const struct config *cfg;
	const char *name;
	json_t *result;          /* a source's run: its result line */
};

static json_t *run_source(const struct config *cfg, const char *name);

static void *run_thread(void *arg)
{
	struct run_request *rq = arg;
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	if (rq->fn)
		return (void *)(intptr_t)rq->fn(rq->cfg, rq->name, WORKER_RESULT_FD);
	rq->result = run_source(rq->cfg, rq->name);
	return NULL;
}

/* Run rq in a thread of its own: it allocates from a malloc arena of its own (fresh pages
 * in a row, instead of the free chunks all over the heap shared with the master: each a
 * copy-on-write fault, and the bins' upkeep writing to many more), with thread-local
 * state of its own. A SIGTERM for the process reaches this thread; on_sigterm() passes
 * it on to the run's. Returns the thread's value. */
static intptr_t run_in_thread(struct run_request *rq)
{
	sigset_t term, was;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &was); /* run_thread_started changes with no handler between */
	void *rc = NULL;
	if (pthread_create(&run_thread_id, NULL, run_thread, rq) != 0) {
		pthread_sigmask(SIG_SETMASK, &was, NULL);
		return (intptr_t)run_thread(rq);
	}
	run_thread_started = 1;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	pthread_join(run_thread_id, &rc);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	run_thread_started = 0;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	return (intptr_t)rc;
}

/* A one-run child. It ends with _exit(): the libraries' exit handlers (gnutls, p11-kit,
 * ...) belong to the master. */
static void one_run_child(void *arg)
{
	forked_child_setup();
	int rc = (int)run_in_thread(arg);
	fflush(NULL);
	_exit(rc);
}

void worker_preload(void)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	EVP_Digest("", 0, md, NULL, EVP_sha256(), NULL);
}

#define BIND_NOW_MARK "GONIEC_DAEMON_BIND_NOW"

/* The command line this process was started with (/proc/self/cmdline), NULL when it
 * cannot be read. */
static char **own_command_line(void)
{
	char *text;
	size_t len;
	struct gerr err = {0};
	if (read_file("/proc/self/cmdline", 1 << 20, &text, &len, &err) < 0)
		return NULL;
	if (!len) {
		free(text);
		return NULL;
	}
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\0';
	char **argv = xcalloc(n + 2, sizeof(*argv));
	n = 0;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		argv[n++] = xstrdup(text + i);
	free(text);
	return argv;
}

void worker_bind_now(const char *self)
{
	const char *mark = getenv(BIND_NOW_MARK);
	if (mark) { /* the image bound now: what it starts (exec) starts as it would */
		if (!strcmp(mark, "set"))
			unsetenv("LD_BIND_NOW");
		unsetenv(BIND_NOW_MARK);
		return;
	}
	const char *now = getenv("LD_BIND_NOW");
	char **argv = now && *now ? NULL : own_command_line();
	if (!argv)
		return;
	setenv("LD_BIND_NOW", "1", 1);
	setenv(BIND_NOW_MARK, "set", 1);
	fflush(NULL);
	execv(self, argv); /* not /proc/self/exe: its name is the process's (ps, journal) */
	log_warn("cannot start again with every symbol bound (the workers bind theirs): %s",
		 strerror(errno));
	unsetenv("LD_BIND_NOW");
	unsetenv(BIND_NOW_MARK);
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

int worker_fork(struct worker *w, worker_main_fn *fn, const struct config *cfg, const char *name,
		int64_t timeout_s, struct gerr *err)
{
	struct run_request rq = {.fn = fn, .cfg = cfg, .name = name};
	return spawn(w, timeout_s, one_run_child, &rq, false, err);
}

/* Sort the complete lines read so far: progress reports and the result. */
static void worker_lines(struct worker *w)
{
	char *line;
	while ((line = control_line_take(&w->out))) {
		json_t *j = json_loads(line, 0, NULL);
		json_t *p = json_object_get(j, "progress");
		if (json_is_object(p)) {
			status_stats_from_json(p, &w->progress);
			w->progressed = true;
			free(line);
		} else {
			free(w->result);
			w->result = line;
		}
		json_decref(j);
	}
}

bool worker_take_progress(struct worker *w, struct run_stats *out)
{
	if (!w->progressed)
		return false;
	w->progressed = false;
	*out = w->progress;
	return true;
}

void worker_read(struct worker *w)
{
	char chunk[4096];
	while (w->fd >= 0) {
		ssize_t n = read(w->fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (w->out.data.len < w->out.max)
				control_line_feed(&w->out, chunk, (size_t)n);
			worker_lines(w);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(w->fd);
		w->fd = -1;
	}
}

void worker_terminate(struct worker *w, bool for_timeout)
{
	if (w->pid <= 0 || w->term_sent)
		return;
	w->term_sent = true;
	w->timed_out = for_timeout;
	w->stopped = !for_timeout;
	kill(-w->pid, SIGTERM);
	w->deadline_ms = now_ms() + WORKER_KILL_GRACE_MS;
}

void worker_kill(struct worker *w)
{
	if (w->pid > 0)
		kill(-w->pid, SIGKILL);
	w->deadline_ms = INT64_MAX;
}

int worker_parse_result(const char *line, struct worker_result *res, struct gerr *err)
{
	json_error_t jerr;
	json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return gerr_set(err, "bad worker result: %s", jerr.text);
	const char *outcome = json_string_value(json_object_get(j, "outcome"));
	if (!json_is_object(j) || run_outcome_parse(outcome, &res->outcome) != 0) {
		json_decref(j);
		return gerr_set(err, "bad worker result: no known outcome");
	}
	status_stats_from_json(json_object_get(j, "stats"), &res->stats);
	const char *e = json_string_value(json_object_get(j, "error"));
	res->error = e && *e ? xstrdup(e) : NULL;
	res->last = json_is_true(json_object_get(j, "last"));
	json_decref(j);
	return 0;
}

static void set_result(struct worker_result *res, enum run_outcome outcome, char *error)
{
	free(res->error);
	res->outcome = outcome;
	res->error = error;
}

void worker_finish(struct worker *w, int wstatus, struct worker_result *res)
{
	memset(res, 0, sizeof(*res));
	worker_read(w);
	struct gerr err = {0};
	bool have = w->result && worker_parse_result(w->result, res, &err) == 0;
	free(w->result);
	w->result = NULL;
	if (w->timed_out)
		set_result(res, RUN_TIMEOUT,
			   xasprintf("killed after %lld s: the run took longer than its time limit",
				     (long long)w->timeout_s));
	else if (w->stopped && (!have || res->outcome != RUN_OK))
		/* Stopped at a safe point or killed: what it filed is kept, the rest is
		 * repeated at the next start. */
		set_result(res, RUN_INTERRUPTED, xstrdup("the daemon stopped during the run"));
	else if (!have && WIFSIGNALED(wstatus))
		set_result(res, RUN_CRASHED, xasprintf("the worker died of signal %d (%s)",
						      WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus))));
	else if (!have)
		set_result(res, RUN_CRASHED, xasprintf("the worker exited with status %d without a result%s%s",
						      WEXITSTATUS(wstatus), err.msg[0] ? ": " : "", err.msg));
	if (w->fd >= 0)
		close(w->fd);
	buf_free(&w->out.data);
	w->fd = -1;
	w->pid = 0;
}

void worker_result_free(struct worker_result *res)
{
	free(res->error);
	memset(res, 0, sizeof(*res));
}

static int progress_fd = -1;
static int64_t progress_sent_ms;
/* Test hook (see worker.h): after each document, what the environment says. */
static const char *hook_action;

/* The hook's argument: what follows "verb:" up to the next hook (the caller frees it). */
static char *hook_arg(const char *verb)
{
	const char *a = hook_action + strlen(verb);
	return xstrndup(a, strcspn(a, ","));
}

static void *sleeping_thread(void *arg)
{
	(void)arg;
	sleep(3600);
	return NULL;
}

/* leak:WHAT — leave behind what a faulty run would. */
static void leak(const char *what)
{
	pthread_t t;
	if (!strcmp(what, "fds"))
		for (int i = 0; i <= LEFTOVER_FD_SLACK; i++)
			(void)!open("/dev/null", O_RDONLY);
	else if (!strcmp(what, "thread") && pthread_create(&t, NULL, sleeping_thread, NULL) == 0)
		pthread_detach(t);
	else if (!strcmp(what, "env"))
		setenv("GONIEC_TEST_LEFT", "1", 1);
	else if (!strcmp(what, "cwd"))
		(void)!chdir("/");
	else if (!strcmp(what, "memory")) /* in use, never given back */
		memset(xmalloc((LEFTOVER_RSS_GROWTH_KIB + 1024) * 1024L), 1,
		       (LEFTOVER_RSS_GROWTH_KIB + 1024) * 1024L);
}

/* note:PATH — "PID DESCRIPTORS" appended to PATH. */
static void note(const char *path)
{
	long fds = -1;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		fds += e->d_name[0] != '.';
	if (d)
		closedir(d);
	FILE *f = fopen(path, "ae");
	if (f) {
		fprintf(f, "%d %ld\n", (int)getpid(), fds); /* the opendir's own not counted */
		fclose(f);
	}
}

static void run_test_hook(void)
{
	char *arg = NULL;
	if (str_starts_with(hook_action, "abort"))
		abort();
	if (str_starts_with(hook_action, "sleep:"))
		sleep((unsigned)atoi(hook_action + 6));
	if (str_starts_with(hook_action, "wait:")) {
		arg = hook_arg("wait:");
		while (access(arg, F_OK) != 0 && !source_run_stopping())
			usleep(20000);
	}
	if (str_starts_with(hook_action, "note:"))
		note(arg = hook_arg("note:"));
	if (str_starts_with(hook_action, "leak:"))
		leak(arg = hook_arg("leak:"));
	free(arg);
}

static void report_progress(const struct source_run *run)
{
	if (now_ms() - progress_sent_ms >= WORKER_PROGRESS_MS) {
		json_t *j = json_pack("{s:o}", "progress", status_stats_to_json(&run->stats));
		control_send(progress_fd, j);
		json_decref(j);
		progress_sent_ms = now_ms();
	}
	if (hook_action)
		run_test_hook();
}

static void install_test_hook(const char *name)
{
	const char *hook = test_hook_env("GONIEC_TEST_WORKER_HOOK");
	size_t n = strlen(name);
	hook_action = NULL; /* the last run's is not this one's */
	for (const char *h = hook; h && *h; h = strchr(h, ',') ? strchr(h, ',') + 1 : NULL)
		if (strncmp(h, name, n) == 0 && h[n] == ':')
			hook_action = h + n + 1;
}

static void on_sigterm(int sig)
{
	source_run_request_stop();
	/* the run's own system call (a sleep, a poll) is the one to interrupt */
	if (run_thread_started && !pthread_equal(pthread_self(), run_thread_id))
		pthread_kill(run_thread_id, sig);
}

/* SIGTERM (the daemon stopping, or a run's time limit) lets the run end at a safe point
 * within the grace period; no SA_RESTART, so a sleeping or waiting worker wakes up to
 * look. */
static void stop_at_safe_point_on_sigterm(void)
{
	struct sigaction sa = {.sa_handler = on_sigterm};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
}

static json_t *result_json(enum run_outcome o, const struct run_stats *stats, const struct gerr *err)
{
	return json_pack("{s:s,s:o,s:o}", "outcome", run_outcome_name(o),
			 "stats", status_stats_to_json(stats),
			 "error", o == RUN_OK || !err->msg[0] ? json_null() : json_string(err->msg));
}

/* One run of source name (in the run's thread): its result line. */
static json_t *run_source(const struct config *cfg, const char *name)
{
	const struct source_conf *src = config_find_source(cfg, name);
	struct run_stats stats = {0};
	struct gerr err = {0};
	enum run_outcome o;
	install_test_hook(name);
	progress_fd = WORKER_RESULT_FD;
	progress_sent_ms = 0; /* the first report goes out at once */
	source_run_set_progress(report_progress);
	if (!src) {
		o = RUN_FAILED;
		gerr_set(&err, "no source named '%s' in the configuration", name);
	} else {
		o = source_run_once(cfg, src, &stats, &err);
	}
	return result_json(o, &stats, &err);
}

struct runner_conf {
	const struct config *cfg;
	unsigned gen;
};

/* The next request's source name (the caller frees it); NULL at the end of the
 * connection, or when the daemon stops. A request of another configuration generation
 * gets its refusal here (and NULL). */
static char *next_request(struct line_buf *in, unsigned gen)
{
	char *line, chunk[512];
	while (!(line = control_line_take(in))) {
		ssize_t n = read(WORKER_RESULT_FD, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR && !source_run_stopping())
			continue;
		if (n <= 0)
			return NULL;
		control_line_feed(in, chunk, (size_t)n);
	}
	json_t *rq = json_loads(line, 0, NULL);
	free(line);
	const char *name = json_string_value(json_object_get(rq, "run"));
	json_int_t of = json_integer_value(json_object_get(rq, "gen"));
	char *copy = name && of == (json_int_t)gen ? xstrdup(name) : NULL;
	if (!copy) {
		struct run_stats none = {0};
		struct gerr err = {0};
		gerr_set(&err, "the worker refused the run: its configuration (generation %u) is "
			 "not the daemon's current one (%lld)", gen, (long long)of);
		json_t *j = result_json(RUN_NOT_RUN, &none, &err);
		json_object_set_new(j, "last", json_true());
		control_send(WORKER_RESULT_FD, j);
		json_decref(j);
	}
	json_decref(rq);
	return copy;
}

/* A source worker: run after run as the master hands them, until it ends (see worker.h). */
static void runner_child(void *arg)
{
	const struct runner_conf *rc = arg;
	struct line_buf in = {.max = 1 << 16};
	struct leftover_base base;
	forked_child_setup();
	stop_at_safe_point_on_sigterm();
	leftover_base_take(&base);
	char *name;
	for (unsigned long runs = 1; (name = next_request(&in, rc->gen)); runs++) {
		struct run_request rq = {.cfg = rc->cfg, .name = name};
		run_in_thread(&rq);
		pdftext_disconnect(); /* the next run's PDFs go to readers of their own */
		fsync_pool_stop();    /* its sync threads are not a leftover */
		const char *left = leftover_find(&base);
		bool last = left || runs >= WORKER_MAX_RUNS || source_run_stopping();
		if (left)
			log_notice("worker %d ends after the run of %s: it left behind %s",
				   (int)getpid(), name, left);
		json_object_set_new(rq.result, "last", json_boolean(last));
		int sent = control_send(WORKER_RESULT_FD, rq.result);
		json_decref(rq.result);
		free(name);
		if (sent < 0 || last)
			break;
	}
	fflush(NULL);
	_exit(0);
}

int worker_fork_runner(struct worker *w, const struct config *cfg, unsigned gen, struct gerr *err)
{
	struct runner_conf rc = {cfg, gen};
	if (spawn(w, 0, runner_child, &rc, true, err) < 0)
		return -1;
	w->deadline_ms = INT64_MAX;
	w->gen = gen;
	w->born_ms = w->idle_since_ms = w->started_ms;
	return 0;
}

int worker_hand(struct worker *w, const char *name, int64_t timeout_s)
{
	json_t *rq = json_pack("{s:s,s:I}", "run", name, "gen", (json_int_t)w->gen);
	int rc = control_send(w->fd, rq);
	json_decref(rq);
	if (rc < 0)
		return -1;
	free(w->result);
	w->result = NULL;
	w->progress = (struct run_stats){0};
	w->progressed = false;
	w->busy = true;
	w->runs++;
	w->started_ms = now_ms();
	w->timeout_s = timeout_s;
	w->deadline_ms = timeout_s > 0 ? w->started_ms + timeout_s * 1000 : INT64_MAX;
	return 0;
}

bool worker_run_ended(const struct worker *w)
{
	return w->busy && w->result && !w->term_sent;
}

void worker_take_result(struct worker *w, struct worker_result *res)
{
	struct gerr err = {0};
	memset(res, 0, sizeof(*res));
	bool bad = worker_parse_result(w->result, res, &err) < 0;
	if (bad) {
		res->outcome = RUN_CRASHED;
		res->error = xstrdup(err.msg);
	}
	free(w->result);
	w->result = NULL;
	w->busy = false;
	w->deadline_ms = INT64_MAX;
	w->idle_since_ms = now_ms();
	if (bad)
		worker_retire(w);
	else if (res->last)
		w->retiring = true; /* it ends of itself */
}

void worker_retire(struct worker *w)
{
	if (!w->retiring && w->fd >= 0)
		shutdown(w->fd, SHUT_WR);
	w->retiring = true;
}
