/* pdftext — see pdftext.h. */
#include "formats/pdftext.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/pdfproto.h"

#ifndef GONIEC_LIBEXECDIR
#define GONIEC_LIBEXECDIR "/usr/libexec"
#endif
#define WORKER_NAME "goniec-pdftext"
#define ERR_KEEP 4096
#define START_MS 30000          /* the server's start: its libraries loaded */
#define DEADLINE_GRACE_MS 1000  /* goniec's deadline, after the reader's own alarm */
#define KILL_GRACE_MS 2000      /* a killed reader's END */

const struct pdftext_limits pdftext_default_limits = {
	.seconds = 20, .memory = (uint64_t)512 << 20, .max_pages = 100, .max_text = 4 << 20,
};

struct pdftext_limits pdftext_limits_of(const struct agent_pdf *conf)
{
	return (struct pdftext_limits){.seconds = (int)conf->time, .memory = conf->memory,
				       .max_pages = (int)conf->pages, .max_text = (size_t)conf->text};
}

static char *worker_override;

static void server_stop(void);

void pdftext_set_worker(const char *path)
{
	server_stop();
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
	for (size_t i = 0; i < t->ncodes; i++)
		free(t->codes[i].text);
	free(t->codes);
	memset(t, 0, sizeof *t);
}

/* The server of this process: started at its first PDF, started again when it ended,
 * never shared with a forked child (which forgets it). */
static struct {
	pid_t pid;
	int sock;
} server = {-1, -1};

static void server_forget(void)
{
	if (server.sock >= 0)
		close(server.sock);
	server.sock = -1;
	server.pid = -1;
}

static void server_stop(void)
{
	if (server.sock >= 0)
		close(server.sock);
	server.sock = -1;
	if (server.pid > 0) {
		kill(server.pid, SIGKILL);
		while (waitpid(server.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	server.pid = -1;
}

void pdftext_stop(void)
{
	server_stop();
}

/* In the child: the socket as stdin, stdout and stderr on /dev/null, nothing else of
 * goniec's open, and death with goniec; then the server. Never returns. */
static void exec_server(const char *worker, int sock, pid_t parent)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	int devnull = open("/dev/null", O_RDWR);
	int s = fcntl(sock, F_DUPFD, 3), d = fcntl(devnull, F_DUPFD, 3);
	if (s < 0 || d < 0 || dup2(s, 0) < 0 || dup2(d, 1) < 0 || dup2(d, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0);
	execl(worker, WORKER_NAME, (char *)NULL);
	_exit(127);
}

/* The server's next message by the deadline: 1 with it, 0 when the server ended, -1 when
 * the deadline passed. */
static int await_reply(struct pdfproto_reply *r, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = {.fd = server.sock, .events = POLLIN};
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n <= 0)
			continue;
		ssize_t got = recv(server.sock, r, sizeof *r, 0);
		if (got < 0 && errno == EINTR)
			continue;
		return got == (ssize_t)sizeof *r ? 1 : 0;
	}
}

static int server_start(struct gerr *err)
{
	static bool hooked;
	if (!hooked) {
		pthread_atfork(NULL, NULL, server_forget);
		atexit(server_stop);
		hooked = true;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return gerr_sys(err, "cannot start the PDF reader: socketpair");
	char *worker = worker_path();
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_server(worker, sv[1], parent);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		free(worker);
		return gerr_sys(err, "cannot start the PDF reader");
	}
	server.pid = pid;
	server.sock = sv[0];
	struct pdfproto_reply hello;
	int rc = 0;
	if (await_reply(&hello, now_ms() + START_MS) != 1 || hello.type != PDFPROTO_READY) {
		server_stop();
		rc = gerr_set(err, "cannot run the PDF reader %s", worker);
	}
	free(worker);
	return rc;
}

/* A server ready for a document: the running one, unless it has ended (its socket says
 * something while no document is out), else a new one. */
static int server_ready(struct gerr *err)
{
	if (server.sock >= 0) {
		struct pollfd p = {.fd = server.sock, .events = POLLIN};
		if (poll(&p, 1, 0) == 0)
			return 0;
		server_stop();
	}
	return server_start(err);
}

static int send_request(const struct pdfproto_request *rq, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(PDFPROTO_READ_FDS * sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = {.iov_base = (void *)rq, .iov_len = sizeof *rq};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		m.msg_control = &ctl;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	ssize_t n;
	while ((n = sendmsg(server.sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof *rq ? 0 : -1;
}

/* Hand the document to the server: a new one if the last has ended since. */
static int start_reading(int pdf, int text_w, int diag_w, const struct pdftext_limits *lim,
			 struct gerr *err)
{
	const struct pdfproto_request rq = {.type = PDFPROTO_READ, .seconds = (uint32_t)lim->seconds,
					    .memory = lim->memory, .max_pages = lim->max_pages};
	const int fds[PDFPROTO_READ_FDS] = {[PDFPROTO_PDF_FD] = pdf, [PDFPROTO_TEXT_FD] = text_w,
					    [PDFPROTO_DIAG_FD] = diag_w};
	for (int attempt = 0; attempt < 2; attempt++) {
		if (server_ready(err) != 0)
			return -1;
		if (send_request(&rq, fds, PDFPROTO_READ_FDS) == 0)
			return 0;
		server_stop(); /* it ended between two looks */
	}
	return gerr_sys(err, "cannot hand the document to the PDF reader");
}

/* The reader's END: 1 with it, 0 when the server ended, -1 when none came in time. A
 * reader still running is killed first when kill_now, else after the deadline. */
static int reader_end(struct pdfproto_reply *end, bool kill_now, int64_t deadline_ms)
{
	static const struct pdfproto_request kill_rq = {.type = PDFPROTO_KILL};
	if (kill_now && send_request(&kill_rq, NULL, 0) != 0)
		return 0;
	int got = await_reply(end, kill_now ? now_ms() + KILL_GRACE_MS : deadline_ms);
	if (got < 0 && !kill_now)
		return reader_end(end, true, 0);
	return got == 1 && end->type != PDFPROTO_END ? 0 : got;
}

struct reading {
	int fd[2];           /* the reader's text and diagnostics pipes; -1 when closed */
	struct buf text, errs;
	size_t max_text;
	bool truncated, timed_out;
};

/* Keep the tail of what the reader says on its diagnostics pipe (its verdict is the last line). */
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

/* Collect the reader's output until both streams end, the text is long enough, or the
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

/* The reader's last verdict line ("pdftext: ..."), without the prefix; NULL if none. */
static const char *verdict(const struct buf *errs)
{
	const char *last = NULL;
	for (const char *p = errs->data; p && (p = strstr(p, "pdftext: ")); p++)
		if ((p == errs->data || p[-1] == '\n') &&
		    strncmp(p, PDFPROTO_QR_LINE, strlen(PDFPROTO_QR_LINE)) != 0)
			last = p + strlen("pdftext: ");
	return last;
}

/* The QR codes the reader told ("pdftext: qr PAGE TEXT" lines). */
static void take_codes(const struct buf *errs, struct pdftext *out)
{
	const size_t mark = strlen(PDFPROTO_QR_LINE);
	for (const char *p = errs->data; p && (p = strstr(p, PDFPROTO_QR_LINE)); p += mark) {
		int page, at = 0;
		if ((p != errs->data && p[-1] != '\n') || sscanf(p + mark, "%d %n", &page, &at) != 1 ||
		    !at || page < 1)
			continue;
		const char *text = p + mark + at;
		size_t len = strcspn(text, "\n");
		if (!len || len > PDFPROTO_QR_MAX || text[len] != '\n')
			continue;
		out->codes = xrealloc(out->codes, (out->ncodes + 1) * sizeof *out->codes);
		out->codes[out->ncodes++] = (struct pdftext_code){.page = page,
								  .text = xstrndup(text, len)};
	}
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

/* What the reader's end means. */
static void judge_end(int st, struct reading *r, const struct pdftext_limits *lim,
		      struct pdftext *out)
{
	if (r->timed_out ||
	    (WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU || WTERMSIG(st) == SIGALRM))) {
		out->status = PDFTEXT_TIME_LIMIT;
		out->why = xasprintf("reading it took longer than the limit of %d s", lim->seconds);
	} else if (WIFSIGNALED(st) && !r->truncated) {
		bool mem = r->errs.data && (strstr(r->errs.data, "alloc") || strstr(r->errs.data, "memory"));
		out->status = mem ? PDFTEXT_MEMORY_LIMIT : PDFTEXT_UNREADABLE;
		out->why = mem ? xasprintf("reading it needed more than the limit of %llu MiB of memory",
					   (unsigned long long)(lim->memory >> 20))
			       : xasprintf("the PDF reader stopped on it (signal %d)", WTERMSIG(st));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == PDFPROTO_EXIT_NO_ROOM) {
		out->status = PDFTEXT_MEMORY_LIMIT;
		out->why = xasprintf("the memory limit of %llu MiB is too small to start the PDF reader",
				     (unsigned long long)(lim->memory >> 20));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == PDFPROTO_EXIT_ENCRYPTED) {
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
}

/* Collect the reader's output and its END; judge it. -1 when the server ended with the
 * document (the next one gets a new server) or could not fork. */
static int finish_reading(struct reading *r, const struct pdftext_limits *lim,
			  struct pdftext *out, struct gerr *err)
{
	int64_t deadline = now_ms() + (int64_t)lim->seconds * 1000 + DEADLINE_GRACE_MS;
	collect(r, deadline);
	bool kill_now = r->timed_out || r->truncated || r->fd[0] >= 0 || r->fd[1] >= 0;
	struct pdfproto_reply end = {0};
	int got = reader_end(&end, kill_now, deadline);
	if (got != 1) {
		server_stop(); /* ended, or not answering: killed with its reader */
		if (got == 0 && !r->timed_out)
			return gerr_set(err, "the PDF reader ended while reading it");
		r->timed_out = true;
	} else if (end.fork_errno) {
		errno = end.fork_errno;
		return gerr_sys(err, "cannot start the PDF reader");
	}
	judge_end(end.wait_status, r, lim, out);
	out->peak_kib = end.peak_kib;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int pdftext_read(const char *path, const struct pdftext_limits *lim, struct pdftext *out,
		 struct gerr *err)
{
	if (!lim)
		lim = &pdftext_default_limits;
	memset(out, 0, sizeof *out);
	int pdf = open(path, O_RDONLY | O_CLOEXEC);
	if (pdf < 0)
		return gerr_sys(err, "cannot read %s", path);
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	int rc;
	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0)
		rc = gerr_sys(err, "pipe");
	else
		rc = start_reading(pdf, po[1], pe[1], lim, err);
	close(pdf);
	close_fd(&po[1]);
	close_fd(&pe[1]);
	struct reading r = {.fd = {po[0], pe[0]}, .max_text = lim->max_text};
	if (rc == 0)
		rc = finish_reading(&r, lim, out, err);
	for (int i = 0; i < 2; i++)
		close_fd(&r.fd[i]);
	if (rc == 0 && out->status == PDFTEXT_OK) {
		out->len = r.text.len;
		out->text = buf_take(&r.text);
		take_codes(&r.errs, out);
	} else {
		out->text = xstrdup("");
		if (rc != 0)
			pdftext_free(out);
	}
	buf_free(&r.text);
	buf_free(&r.errs);
	if (rc != 0)
		gerr_prefix(err, "%s", path);
	return rc;
}
