/* pdftext — see pdftext.h. */
#include "formats/pdftext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GONIEC_LIBEXECDIR
#define GONIEC_LIBEXECDIR "/usr/libexec"
#endif
#define WORKER_NAME "goniec-pdftext"
#define EXIT_ENCRYPTED 10   /* the worker's exit codes (pdfworker/pdftext_worker.c) */
#define EXIT_UNREADABLE 11
#define ERR_KEEP 4096

const struct pdftext_limits pdftext_default_limits = {
	.seconds = 20, .memory = (uint64_t)512 << 20, .max_pages = 100, .max_text = 4 << 20,
};

struct pdftext_limits pdftext_limits_of(const struct agent_pdf *conf)
{
	return (struct pdftext_limits){.seconds = (int)conf->time, .memory = conf->memory,
				       .max_pages = (int)conf->pages, .max_text = (size_t)conf->text};
}

static char *worker_override;

void pdftext_set_worker(const char *path)
{
	free(worker_override);
	worker_override = path ? xstrdup(path) : NULL;
}

static char *worker_path(void)
{
	if (worker_override)
		return xstrdup(worker_override);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* beside the program (a build tree), or in the libexec of the tree it is
			 * installed in (a package unpacked elsewhere than /) */
			static const char *const near[] = {WORKER_NAME, "../libexec/goniec/" WORKER_NAME};
			for (size_t i = 0; i < sizeof near / sizeof *near; i++) {
				char *path = path_join(self, near[i]);
				if (access(path, X_OK) == 0)
					return path;
				free(path);
			}
		}
	}
	return xstrdup(GONIEC_LIBEXECDIR "/goniec/" WORKER_NAME);
}

const char *pdftext_status_name(enum pdftext_status s)
{
	static const char *const names[] = {
		[PDFTEXT_OK] = "ok", [PDFTEXT_NO_TEXT] = "none", [PDFTEXT_ENCRYPTED] = "encrypted",
		[PDFTEXT_UNREADABLE] = "unreadable", [PDFTEXT_TIME_LIMIT] = "time-limit",
		[PDFTEXT_MEMORY_LIMIT] = "memory-limit",
	};
	return (size_t)s < ARRAY_LEN(names) ? names[s] : "unreadable";
}

void pdftext_free(struct pdftext *t)
{
	free(t->text);
	free(t->why);
	memset(t, 0, sizeof *t);
}

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
	setrlimit(resource, &rl);
}

/* In the child: limits, descriptors, then the worker. Never returns. */
static void exec_worker(const char *worker, const char *path, const struct pdftext_limits *lim,
			int out_w, int err_w)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	set_limit(RLIMIT_AS, lim->memory, lim->memory);
	set_limit(RLIMIT_CPU, (rlim_t)lim->seconds, (rlim_t)lim->seconds + 1);
	set_limit(RLIMIT_CORE, 0, 0);
	set_limit(RLIMIT_FSIZE, 0, 0);
	char pages[16];
	snprintf(pages, sizeof pages, "%d", lim->max_pages);
	execl(worker, WORKER_NAME, "--pages", pages, path, (char *)NULL);
	_exit(127);
}

struct reading {
	int fd[2];           /* the worker's stdout, stderr; -1 when closed */
	struct buf text, errs;
	size_t max_text;
	bool truncated, timed_out;
};

/* Keep the tail of what the worker says on stderr (its verdict is the last line). */
static void keep_err(struct buf *b, const char *data, size_t n)
{
	buf_append(b, data, n);
	if (b->len > 2 * ERR_KEEP) {
		memmove(b->data, b->data + b->len - ERR_KEEP, ERR_KEEP);
		b->len = ERR_KEEP;
		b->data[b->len] = '\0';
	}
}

/* Read what is ready on one stream; false at its end. */
static bool drain(struct reading *r, int which)
{
	char chunk[16384];
	ssize_t n = read(r->fd[which], chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (which == 1) {
		keep_err(&r->errs, chunk, (size_t)n);
	} else if (r->text.len + (size_t)n <= r->max_text) {
		buf_append(&r->text, chunk, (size_t)n);
	} else {
		buf_append(&r->text, chunk, r->max_text - r->text.len);
		r->truncated = true;
		return false;
	}
	return true;
}

/* Collect the worker's output until both streams end, the text is long enough, or the
 * deadline passes. */
static void collect(struct reading *r, int64_t deadline_ms)
{
	while (r->fd[0] >= 0 || r->fd[1] >= 0) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0) {
			r->timed_out = true;
			return;
		}
		struct pollfd p[2] = {{.fd = r->fd[0], .events = POLLIN},
				      {.fd = r->fd[1], .events = POLLIN}};
		int n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return;
		for (int i = 0; i < 2 && n > 0; i++) {
			if (r->fd[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!drain(r, i)) {
				close(r->fd[i]);
				r->fd[i] = -1;
				if (r->truncated)
					return;
			}
		}
	}
}

/* The worker's last verdict line ("pdftext: ..."), without the prefix; NULL if none. */
static const char *verdict(const struct buf *errs)
{
	const char *last = NULL;
	for (const char *p = errs->data; p && (p = strstr(p, "pdftext: ")); p++)
		if (p == errs->data || p[-1] == '\n')
			last = p + strlen("pdftext: ");
	return last;
}

static char *verdict_text(const struct buf *errs, const char *fallback)
{
	const char *v = verdict(errs);
	if (!v)
		return xstrdup(fallback);
	return xstrndup(v, strcspn(v, "\n"));
}

static bool only_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\f' && s[i] != '\t')
			return false;
	return true;
}

/* What the worker's end means. Returns -1 only when the worker could not run. */
static int judge_end(int st, struct reading *r, const struct pdftext_limits *lim,
		     struct pdftext *out, const char *worker, struct gerr *err)
{
	if (r->timed_out || (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)) {
		out->status = PDFTEXT_TIME_LIMIT;
		out->why = xasprintf("reading it took longer than the limit of %d s", lim->seconds);
	} else if (WIFSIGNALED(st) && !r->truncated) {
		bool mem = r->errs.data && (strstr(r->errs.data, "alloc") || strstr(r->errs.data, "memory"));
		out->status = mem ? PDFTEXT_MEMORY_LIMIT : PDFTEXT_UNREADABLE;
		out->why = mem ? xasprintf("reading it needed more than the limit of %llu MiB of memory",
					   (unsigned long long)(lim->memory >> 20))
			       : xasprintf("the PDF reader stopped on it (signal %d)", WTERMSIG(st));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && r->errs.data &&
		   strstr(r->errs.data, "loading shared libraries")) {
		/* the loader could not map the reader's libraries within the memory limit */
		out->status = PDFTEXT_MEMORY_LIMIT;
		out->why = xasprintf("the memory limit of %llu MiB is too small to start the PDF reader",
				     (unsigned long long)(lim->memory >> 20));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		return gerr_set(err, "cannot run the PDF reader %s", worker);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_ENCRYPTED) {
		out->status = PDFTEXT_ENCRYPTED;
		out->why = xstrdup("encrypted: it needs a password");
	} else if (WIFEXITED(st) && WEXITSTATUS(st) != 0 && !r->truncated) {
		out->status = PDFTEXT_UNREADABLE;
		out->why = verdict_text(&r->errs, "not a PDF the reader can open");
	} else if (only_space(r->text.data ? r->text.data : "", r->text.len)) {
		out->status = PDFTEXT_NO_TEXT;
		out->why = xstrdup("it has no text layer (a scanned image?)");
	}
	const char *v = verdict(&r->errs);
	if (v && sscanf(v, "pages %d of %d", &out->pages_read, &out->pages_total) == 2 &&
	    out->pages_read < out->pages_total)
		r->truncated = true;
	out->truncated = r->truncated;
	return 0;
}

int pdftext_read(const char *path, const struct pdftext_limits *lim, struct pdftext *out,
		 struct gerr *err)
{
	if (!lim)
		lim = &pdftext_default_limits;
	memset(out, 0, sizeof *out);
	if (access(path, R_OK) != 0)
		return gerr_sys(err, "cannot read %s", path);
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) != 0)
		return gerr_sys(err, "pipe");
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		return gerr_sys(err, "pipe");
	}
	char *worker = worker_path();
	pid_t pid = fork();
	if (pid == 0)
		exec_worker(worker, path, lim, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	struct reading r = {.fd = {po[0], pe[0]}, .max_text = lim->max_text};
	int rc = 0;
	if (pid < 0) {
		rc = gerr_sys(err, "cannot start the PDF reader");
	} else {
		collect(&r, now_ms() + (int64_t)lim->seconds * 1000);
		if (r.timed_out || r.truncated || r.fd[0] >= 0 || r.fd[1] >= 0)
			kill(pid, SIGKILL); /* over a limit, or its output could not be read */
		int st = 0;
		struct rusage ru = {0};
		while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
			;
		rc = judge_end(st, &r, lim, out, worker, err);
		out->peak_kib = ru.ru_maxrss;
	}
	for (int i = 0; i < 2; i++)
		if (r.fd[i] >= 0)
			close(r.fd[i]);
	if (rc == 0 && out->status == PDFTEXT_OK) {
		out->len = r.text.len;
		out->text = buf_take(&r.text);
	} else {
		out->text = xstrdup("");
		if (rc != 0)
			pdftext_free(out);
	}
	buf_free(&r.text);
	buf_free(&r.errs);
	free(worker);
	if (rc != 0)
		gerr_prefix(err, "%s", path);
	return rc;
}
