/* zygote — the process that forks the workers of source runs; see zygote.h. */
#include "daemon/zygote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/pdftext.h"

enum { ZYGOTE_STARTED = 1, ZYGOTE_EXITED = 2 };

struct zygote_note {
	int32_t kind;
	int32_t pid;      /* ZYGOTE_STARTED: -errno when the fork failed */
	int32_t wstatus;
};

union fd_space {
	struct cmsghdr h;
	char space[CMSG_SPACE(sizeof(int))];
};

static int send_note(int sock, int32_t kind, int32_t pid, int32_t wstatus)
{
	struct zygote_note n = {kind, pid, wstatus};
	ssize_t w;
	while ((w = send(sock, &n, sizeof n, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return w == (ssize_t)sizeof n ? 0 : -1;
}

/* ---- the zygote's side ----------------------------------------------------------------- */

/* One request: the name (NUL-terminated into name) and the descriptor that came with it.
 * 1: a request; 0: the socket's end; -1: a bad request (its descriptor closed); -2: the
 * socket failed. */
static int receive_request(int sock, char *name, size_t cap, int *fd)
{
	union fd_space ctl;
	struct iovec iov = {.iov_base = name, .iov_len = cap - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			   .msg_controllen = sizeof ctl};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return n == 0 ? 0 : -2;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	*fd = -1;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	name[n] = '\0';
	if (*fd >= 0 && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return 1;
	if (*fd >= 0)
		close(*fd);
	return -1;
}

/* Reap the workers that ended and tell the master. */
static void report_exits(int sock, int sigfd)
{
	struct signalfd_siginfo si;
	while (read(sigfd, &si, sizeof si) == sizeof si)
		;
	int wstatus;
	pid_t pid;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
		send_note(sock, ZYGOTE_EXITED, pid, wstatus);
}

static void fork_worker(int sock, int sigfd, worker_main_fn *fn, const struct config *cfg,
			const char *name, int result_w)
{
	pid_t pid = fork();
	if (pid == 0) {
		close(sock);
		close(sigfd);
		worker_child(fn, cfg, name, result_w);
	}
	int e = errno;
	close(result_w);
	if (pid > 0)
		setpgid(pid, pid); /* also in the child: whichever runs first */
	send_note(sock, ZYGOTE_STARTED, pid > 0 ? pid : -e, 0);
}

/* The zygote: serves requests until its socket ends. Signals as the master's children
 * have them but SIGCHLD, which is read from a signalfd; a SIGTERM ends it. */
static void zygote_main(int sock, worker_main_fn *fn, const struct config *cfg)
{
	prctl(PR_SET_NAME, "goniec-zygote");
	worker_close_fds_but(STDERR_FILENO + 1, sock, pdftext_door_fd());
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	int sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0)
		_exit(1);
	static char name[ZYGOTE_NAME_MAX + 1];
	for (;;) {
		struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[0].revents)
			report_exits(sock, sigfd);
		if (!p[1].revents)
			continue;
		int fd, rc = receive_request(sock, name, sizeof name, &fd);
		if (rc == 0 || rc == -2)
			_exit(0); /* the master ended it (its running workers become the master's) */
		if (rc > 0)
			fork_worker(sock, sigfd, fn, cfg, name, fd);
		else
			send_note(sock, ZYGOTE_STARTED, -EINVAL, 0);
	}
}

/* ---- the master's side ----------------------------------------------------------------- */

void zygote_init(struct zygote *z)
{
	memset(z, 0, sizeof *z);
	z->fd = -1;
	z->door = -1;
}

void zygote_become_subreaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int zygote_start(struct zygote *z, worker_main_fn *fn, const struct config *cfg, unsigned gen,
		 struct gerr *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return gerr_sys(err, "socketpair");
	pid_t pid = worker_fork_with(sv, err);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		zygote_main(sv[1], fn, cfg);
		_exit(1);
	}
	z->pid = pid;
	z->fd = sv[0];
	z->gen = gen;
	z->door = pdftext_door_fd();
	return 0;
}

bool zygote_fits(const struct zygote *z, unsigned gen)
{
	return z->pid > 0 && z->fd >= 0 && z->gen == gen && z->door == pdftext_door_fd();
}

static void keep_exit(struct zygote *z, pid_t pid, int wstatus)
{
	z->exits = xrealloc(z->exits, (z->nexits + 1) * sizeof *z->exits);
	z->exits[z->nexits++] = (struct zygote_exit){pid, wstatus};
}

/* One note (blocking or not); 0 when one was read, -1 at the end or when none is there. */
static int read_note(struct zygote *z, bool wait, struct zygote_note *n)
{
	ssize_t r;
	while ((r = recv(z->fd, n, sizeof *n, wait ? 0 : MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	return r == (ssize_t)sizeof *n ? 0 : -1;
}

void zygote_read(struct zygote *z)
{
	struct zygote_note n;
	while (z->fd >= 0 && read_note(z, false, &n) == 0)
		if (n.kind == ZYGOTE_EXITED)
			keep_exit(z, n.pid, n.wstatus);
}

bool zygote_take_exit(struct zygote *z, pid_t *pid, int *wstatus)
{
	if (!z->nexits)
		return false;
	*pid = z->exits[0].pid;
	*wstatus = z->exits[0].wstatus;
	memmove(z->exits, z->exits + 1, --z->nexits * sizeof *z->exits);
	return true;
}

static int send_request(int sock, const char *name, int fd)
{
	union fd_space ctl;
	memset(&ctl, 0, sizeof ctl);
	struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			   .msg_controllen = CMSG_SPACE(sizeof(int))};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	ssize_t n;
	while ((n = sendmsg(sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)iov.iov_len ? 0 : -1;
}

int zygote_fork(struct zygote *z, struct worker *w, const char *name, int64_t timeout_s,
		struct gerr *err)
{
	if (!*name || strlen(name) >= ZYGOTE_NAME_MAX)
		return gerr_set(err, "the zygote takes no name of %zu bytes", strlen(name));
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return gerr_sys(err, "pipe");
	int rc = send_request(z->fd, name, p[1]);
	close(p[1]);
	struct zygote_note n = {0};
	while (rc == 0 && (rc = read_note(z, true, &n)) == 0 && n.kind == ZYGOTE_EXITED)
		keep_exit(z, n.pid, n.wstatus); /* a worker that ended meanwhile */
	if (rc == 0 && n.pid > 0) {
		worker_started(w, n.pid, p[0], timeout_s);
		return 0;
	}
	close(p[0]);
	errno = rc == 0 ? -n.pid : EPIPE;
	return gerr_sys(err, "the zygote could not start a worker");
}

/* Read what the zygote sent until its end, close the socket. */
static void drain(struct zygote *z)
{
	struct zygote_note n;
	while (read_note(z, true, &n) == 0)
		if (n.kind == ZYGOTE_EXITED)
			keep_exit(z, n.pid, n.wstatus);
	close(z->fd);
	z->fd = -1;
}

void zygote_stop(struct zygote *z)
{
	if (z->pid <= 0)
		return;
	shutdown(z->fd, SHUT_WR); /* the zygote sees the end, sends what it has, and ends */
	drain(z);
	while (waitpid(z->pid, NULL, 0) < 0 && errno == EINTR)
		;
	z->pid = 0;
}

bool zygote_reaped(struct zygote *z, pid_t pid)
{
	if (pid <= 0 || pid != z->pid)
		return false;
	drain(z); /* it is gone: what it sent is all there */
	z->pid = 0;
	return true;
}

void zygote_free(struct zygote *z)
{
	zygote_stop(z);
	free(z->exits);
	z->exits = NULL;
	z->nexits = 0;
}
