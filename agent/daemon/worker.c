/* worker — source runs in worker processes; see worker.h. */
#include "daemon/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/log.h"
#include "core/testhook.h"
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

static int spawn(struct worker *w, int64_t timeout_s, void (*child)(void *arg), void *arg,
		 struct gerr *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return gerr_sys(err, "pipe");
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
	return spawn(w, timeout_s, exec_child, (void *)argv, err);
}

struct run_request {
	worker_main_fn *fn;
	const struct config *cfg;
	const char *name;
};

/* Close the descriptors from first up, but keep (if it is one of them). */
static void close_all_but(int first, int keep)
{
	if (keep > first)
		close_range((unsigned)first, (unsigned)keep - 1, 0);
	closefrom(keep >= first ? keep + 1 : first);
}

/* The thread of a forked child's run, once started (see run_child). */
static pthread_t run_thread_id;
static volatile sig_atomic_t run_thread_started;

/* The run ends the process with _exit(): the libraries' exit handlers (gnutls, p11-kit,
 * ...) belong to the master. */
static void *run_thread(void *arg)
{
	const struct run_request *rq = arg;
	int rc = rq->fn(rq->cfg, rq->name, WORKER_RESULT_FD);
	fflush(NULL);
	_exit(rc);
}

/* A forked run: nothing of the master's is kept open but the result pipe and the shared PDF
 * reader's door (formats/pdftext.h). */
static void run_child(void *arg)
{
	prctl(PR_SET_NAME, "goniec-worker"); /* what ps and top show (15 characters) */
	close_all_but(WORKER_RESULT_FD + 1, pdftext_door_fd());
	srandom((unsigned)(getpid() ^ time(NULL)));
	/* The run allocates in a thread of its own, so from an arena of its own: fresh pages
	 * in a row, instead of the free chunks all over the heap it shares with the master
	 * (each a copy-on-write fault, and the bins' upkeep writing to many more). A SIGTERM
	 * for the process reaches this first thread; on_sigterm() passes it on to the run. */
	if (pthread_create(&run_thread_id, NULL, run_thread, arg) == 0) {
		run_thread_started = 1;
		pthread_join(run_thread_id, NULL); /* the run's thread ends the process */
	}
	run_thread(arg);
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
	struct run_request rq = {fn, cfg, name};
	return spawn(w, timeout_s, run_child, &rq, err);
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
/* Test hook (see worker.h): after each document, sleep, wait or crash as the environment
 * says. */
static const char *hook_action;

static void report_progress(const struct source_run *run)
{
	if (now_ms() - progress_sent_ms >= WORKER_PROGRESS_MS) {
		json_t *j = json_pack("{s:o}", "progress", status_stats_to_json(&run->stats));
		control_send(progress_fd, j);
		json_decref(j);
		progress_sent_ms = now_ms();
	}
	if (hook_action && str_starts_with(hook_action, "abort"))
		abort();
	if (hook_action && str_starts_with(hook_action, "sleep:"))
		sleep((unsigned)atoi(hook_action + 6));
	if (hook_action && str_starts_with(hook_action, "wait:")) {
		char *path = xstrndup(hook_action + 5, strcspn(hook_action + 5, ","));
		while (access(path, F_OK) != 0 && !source_run_stopping())
			usleep(20000);
		free(path);
	}
}

static void install_test_hook(const char *name)
{
	const char *hook = test_hook_env("GONIEC_TEST_WORKER_HOOK");
	size_t n = strlen(name);
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

/* SIGTERM (the daemon stopping) lets the run end at a safe point within the grace period;
 * no SA_RESTART, so a sleeping or waiting worker wakes up to look. */
static void stop_at_safe_point_on_sigterm(void)
{
	struct sigaction sa = {.sa_handler = on_sigterm};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
}

int worker_main(const struct config *cfg, const char *name, int fd)
{
	stop_at_safe_point_on_sigterm();
	const struct source_conf *src = config_find_source(cfg, name);
	struct run_stats stats = {0};
	struct gerr err = {0};
	enum run_outcome o;
	install_test_hook(name);
	progress_fd = fd;
	progress_sent_ms = 0; /* the first report goes out at once */
	source_run_set_progress(report_progress);
	if (!src) {
		o = RUN_FAILED;
		gerr_set(&err, "no source named '%s' in the configuration", name);
	} else {
		o = source_run_once(cfg, src, &stats, &err);
	}
	json_t *j = json_pack("{s:s,s:o,s:o}", "outcome", run_outcome_name(o),
			      "stats", status_stats_to_json(&stats),
			      "error", o == RUN_OK || !err.msg[0] ? json_null() : json_string(err.msg));
	int rc = control_send(fd, j);
	json_decref(j);
	return rc < 0 ? 1 : 0;
}
