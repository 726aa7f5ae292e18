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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/pdfproto.h"

#ifndef GONIEC_LIBEXECDIR
#define GONIEC_LIBEXECDIR "/usr/libexec"
#endif
#define WORKER_NAME "goniec-pdftext"
#define START_MS 30000          /* the server's start: its libraries loaded */
#define DEADLINE_GRACE_MS 1000  /* goniec's deadline, after the reader's own alarm */
#define DOOR_RETRY_MS 10000     /* the shared server started again at most this often */
#define KILL_GRACE_MS 2000      /* a killed reader's END */
#define ERR_KEEP 4096           /* the tail of the diagnostics kept */

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
 * never shared with a forked child (which forgets it). gen counts the servers started, so
 * that a document handed to one that has ended since is handed again. */
static struct {
	pid_t pid;
	int sock;
	unsigned gen;
} server = {-1, -1, 0};

/* The shared server's door: inherited by forked children, which connect through it; its
 * pid is known only in the process that started it (the daemon's master). A connection
 * through it is this process's server with pid -1 (ended by closing the socket). */
static struct {
	pid_t pid;
	int sock;
	int64_t started_ms;
} door = {-1, -1, 0};

/* A document handed to the server and not yet collected. */
struct job {
	uint32_t id;
	unsigned gen;          /* the server it was handed to */
	int pdf, text, diag;   /* the PDF (kept to hand it again), the reader's two memfds */
	dev_t dev;
	ino_t ino;
	struct pdftext_limits lim;
	bool ended, timed_out;
	bool again;            /* handed to a second server already */
	struct pdfproto_reply end;
};

/* Documents handed over early (pdftext_prefetch), oldest first. */
static struct {
	struct job *v[PDFTEXT_IN_FLIGHT];
	size_t n;
	uint32_t last_id;
} flight;

static void job_free(struct job *j)
{
	if (!j)
		return;
	int fds[] = {j->pdf, j->text, j->diag};
	for (size_t i = 0; i < ARRAY_LEN(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(j);
}

static void flight_drop(void)
{
	for (size_t i = 0; i < flight.n; i++)
		job_free(flight.v[i]);
	flight.n = 0;
}

static void server_forget(void)
{
	if (server.sock >= 0)
		close(server.sock);
	server.sock = -1;
	server.pid = -1;
	flight_drop();
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

static void door_close(void)
{
	if (door.sock >= 0)
		close(door.sock);
	door.sock = -1;
	door.pid = -1;
}

void pdftext_stop(void)
{
	server_stop();
	flight_drop();
	if (door.pid > 0) {
		kill(door.pid, SIGKILL);
		while (waitpid(door.pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	door_close();
	door.started_ms = 0;
}

void pdftext_disconnect(void)
{
	server_stop();
	flight_drop();
}

/* In a forked child: its parent's server is not its own, nor is the shared server (but
 * its door is, to connect through). */
static void forget_at_fork(void)
{
	server_forget();
	door.pid = -1;
}

static void hook_once(void)
{
	static bool hooked;
	if (!hooked) {
		pthread_atfork(NULL, NULL, forget_at_fork);
		atexit(pdftext_stop);
		hooked = true;
	}
}

/* In the child: the socket as stdin, stdout and stderr on /dev/null, nothing else of
 * goniec's open, and death with goniec; then the server (with arg, if not NULL). Never
 * returns. */
static void exec_server(const char *worker, const char *arg, int sock, pid_t parent)
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
	execl(worker, WORKER_NAME, arg, (char *)NULL);
	_exit(127);
}

/* Fork and exec the server program (with arg): its pid and our end of its socket. */
static int spawn_server(const char *worker, const char *arg, pid_t *pid, int *sock,
			struct gerr *err)
{
	hook_once();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return gerr_sys(err, "cannot start the PDF reader: socketpair");
	pid_t parent = getpid();
	*pid = fork();
	if (*pid == 0)
		exec_server(worker, arg, sv[1], parent);
	close(sv[1]);
	if (*pid < 0) {
		close(sv[0]);
		return gerr_sys(err, "cannot start the PDF reader");
	}
	*sock = sv[0];
	return 0;
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

/* The server's PDFPROTO_READY on server.sock (a new server: gen counts it); else the
 * server is stopped. */
static bool server_greets(void)
{
	server.gen++;
	struct pdfproto_reply hello;
	if (await_reply(&hello, now_ms() + START_MS) == 1 && hello.type == PDFPROTO_READY)
		return true;
	server_stop();
	return false;
}

/* A connection to the shared server, through the door: true with server.sock that
 * connection. When the door does not answer, this process stops using it. */
static bool door_connect(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	static const struct pdfproto_request rq = {.type = PDFPROTO_CONNECT};
	int sent = pdfproto_send(door.sock, &rq, &sv[1], 1, MSG_DONTWAIT);
	close(sv[1]);
	server.pid = -1;
	server.sock = sv[0];
	if (sent == 0 && server_greets())
		return true;
	server_stop();
	if (door.pid < 0) /* the process that started it learns of its end by reaping it */
		door_close();
	return false;
}

static int server_start(struct gerr *err)
{
	hook_once();
	if (door.sock >= 0 && door_connect())
		return 0;
	char *worker = worker_path();
	int rc = spawn_server(worker, NULL, &server.pid, &server.sock, err);
	if (rc == 0 && !server_greets())
		rc = gerr_set(err, "cannot run the PDF reader %s", worker);
	free(worker);
	return rc;
}

int pdftext_door_open(struct gerr *err)
{
	if (door.sock >= 0 || (door.started_ms && now_ms() - door.started_ms < DOOR_RETRY_MS))
		return 0;
	door.started_ms = now_ms();
	char *worker = worker_path();
	int rc = spawn_server(worker, "--door", &door.pid, &door.sock, err);
	free(worker);
	return rc;
}

int pdftext_door_fd(void)
{
	return door.sock;
}

bool pdftext_door_reaped(pid_t pid)
{
	if (pid <= 0 || pid != door.pid)
		return false;
	door_close();
	return true;
}

/* A server ready for a document: the running one, unless it has ended (its socket is at
 * its end), else a new one. */
static int server_ready(struct gerr *err)
{
	if (server.sock >= 0) {
		struct pollfd p = {.fd = server.sock, .events = POLLIN};
		if (poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLERR)))
			return 0;
		server_stop();
	}
	return server_start(err);
}

static int send_request(const struct pdfproto_request *rq, const int *fds, size_t nfds)
{
	return pdfproto_send(server.sock, rq, fds, nfds, 0);
}

/* Hand the document to the server (a new one if the last has ended since), with new files
 * for what its reader writes (a reader of an ended server may still be dying into the old
 * ones). */
static int hand_over(struct job *j, struct gerr *err)
{
	int *files[] = {&j->text, &j->diag};
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		if (*files[i] >= 0)
			close(*files[i]);
		*files[i] = memfd_create("pdftext", MFD_CLOEXEC);
		if (*files[i] < 0)
			return gerr_sys(err, "cannot make the PDF reader's files");
	}
	const struct pdfproto_request rq = {
		.type = PDFPROTO_READ, .id = j->id, .seconds = (uint32_t)j->lim.seconds,
		.memory = j->lim.memory, .max_pages = j->lim.max_pages, .max_text = j->lim.max_text,
	};
	const int fds[PDFPROTO_READ_FDS] = {[PDFPROTO_PDF_FD] = j->pdf, [PDFPROTO_TEXT_FD] = j->text,
					    [PDFPROTO_DIAG_FD] = j->diag};
	for (int attempt = 0; attempt < 2; attempt++) {
		if (server_ready(err) != 0)
			return -1;
		if (send_request(&rq, fds, PDFPROTO_READ_FDS) == 0) {
			j->gen = server.gen;
			j->ended = false;
			return 0;
		}
		server_stop(); /* it ended between two looks */
	}
	return gerr_sys(err, "cannot hand the document to the PDF reader");
}

/* A job for the PDF open on pdf (taken), not yet handed over. */
static struct job *job_new(int pdf, const struct pdftext_limits *lim, struct gerr *err)
{
	struct job *j = xcalloc(1, sizeof *j);
	j->pdf = pdf;
	j->text = j->diag = -1;
	j->lim = *lim;
	j->id = ++flight.last_id;
	struct stat st;
	if (fstat(pdf, &st) != 0) {
		gerr_sys(err, "cannot read the document");
		job_free(j);
		return NULL;
	}
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	return j;
}

static struct job *job_start(const char *path, const struct pdftext_limits *lim, struct gerr *err)
{
	int pdf = open(path, O_RDONLY | O_CLOEXEC);
	if (pdf < 0) {
		gerr_sys(err, "cannot read %s", path);
		return NULL;
	}
	struct job *j = job_new(pdf, lim, err);
	if (j && hand_over(j, err) != 0) {
		job_free(j);
		return NULL;
	}
	return j;
}

bool pdftext_prefetch(const char *path, const struct pdftext_limits *lim)
{
	if (!lim)
		lim = &pdftext_default_limits;
	struct gerr err;
	if (flight.n == PDFTEXT_IN_FLIGHT)
		return false;
	struct job *j = job_start(path, lim, &err);
	if (!j)
		return false; /* pdftext_read() tries again and says why */
	flight.v[flight.n++] = j;
	return true;
}

static bool same_limits(const struct pdftext_limits *a, const struct pdftext_limits *b)
{
	return a->seconds == b->seconds && a->memory == b->memory &&
	       a->max_pages == b->max_pages && a->max_text == b->max_text;
}

/* The job prefetched for this file (the same inode) with these limits, out of the flight. */
static struct job *take_prefetched(const char *path, const struct pdftext_limits *lim)
{
	struct stat st;
	if (!flight.n || stat(path, &st) != 0)
		return NULL;
	for (size_t i = 0; i < flight.n; i++) {
		struct job *j = flight.v[i];
		if (j->dev != st.st_dev || j->ino != st.st_ino || !same_limits(&j->lim, lim))
			continue;
		memmove(&flight.v[i], &flight.v[i + 1], (flight.n - i - 1) * sizeof *flight.v);
		flight.n--;
		return j;
	}
	return NULL;
}

/* A message of the server: the END of a job in flight or of j. */
static void note_end(struct job *j, const struct pdfproto_reply *r)
{
	if (r->type != PDFPROTO_END)
		return;
	for (size_t i = 0; i < flight.n; i++)
		if (flight.v[i]->id == r->id && flight.v[i]->gen == server.gen) {
			flight.v[i]->ended = true;
			flight.v[i]->end = *r;
		}
	if (j->id == r->id) {
		j->ended = true;
		j->end = *r;
	}
}

/* Wait for j's END. Each message (the END of any document, or an AGAIN: a document read
 * again by a new reader) gives the server another reading's time; past it, j's reader is killed (a time limit), and a server that does not answer even
 * then is killed with its readers. A server that ends gets the document again once (it may
 * have ended before it reached it); -1 when the second one ends too. */
static int await_end(struct job *j, struct gerr *err)
{
	static const int64_t grace = DEADLINE_GRACE_MS;
	int64_t deadline = now_ms() + (int64_t)j->lim.seconds * 1000 + grace;
	bool killing = false;
	while (!j->ended) {
		struct pdfproto_reply r;
		int got = await_reply(&r, deadline);
		if (got == 1) {
			note_end(j, &r);
			if (!killing)
				deadline = now_ms() + (int64_t)j->lim.seconds * 1000 + grace;
			continue;
		}
		if (got < 0 && !killing) {
			const struct pdfproto_request kill_rq = {.type = PDFPROTO_KILL, .id = j->id};
			j->timed_out = true;
			killing = true;
			deadline = now_ms() + KILL_GRACE_MS;
			if (send_request(&kill_rq, NULL, 0) == 0)
				continue;
		}
		server_stop(); /* ended, or not answering: killed with its readers */
		if (!j->timed_out && !j->again) { /* perhaps before it reached this document */
			j->again = true;
			if (hand_over(j, err) != 0)
				return -1;
			deadline = now_ms() + (int64_t)j->lim.seconds * 1000 + grace;
			continue;
		}
		if (!j->timed_out)
			return gerr_set(err, "the PDF reader ended while reading it");
		j->end.wait_status = SIGKILL;
		j->ended = true;
	}
	if (j->end.fork_errno) {
		errno = j->end.fork_errno;
		return gerr_sys(err, "cannot start the PDF reader");
	}
	return 0;
}

static void read_back(int fd, off_t from, size_t len, struct buf *b)
{
	char chunk[16384];
	while (len) {
		ssize_t n = pread(fd, chunk, len < sizeof chunk ? len : sizeof chunk, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf_append(b, chunk, (size_t)n);
		from += n;
		len -= (size_t)n;
	}
}

static void read_outputs(const struct job *j, struct pdftext_reading *r)
{
	off_t text = lseek(j->text, 0, SEEK_END), diag = lseek(j->diag, 0, SEEK_END);
	if (text > 0)
		read_back(j->text, 0, (size_t)text < j->lim.max_text ? (size_t)text : j->lim.max_text,
			  &r->text);
	r->truncated = text > 0 && (size_t)text > j->lim.max_text;
	if (diag > 0) {
		off_t from = diag > ERR_KEEP ? diag - ERR_KEEP : 0;
		read_back(j->diag, from, (size_t)(diag - from), &r->errs);
	}
	r->timed_out = j->timed_out;
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

static bool printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* The QR codes the reader told ("pdftext: qr PAGE TEXT" lines); a line that breaks the
 * protocol's promise (printable ASCII, at most PDFPROTO_QR_MAX bytes) is not taken. */
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
		if (!len || len > PDFPROTO_QR_MAX || text[len] != '\n' || !printable_ascii(text, len))
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
static void judge_end(int st, struct pdftext_reading *r, const struct pdftext_limits *lim,
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

void pdftext_judge(int wait_status, struct pdftext_reading *r, const struct pdftext_limits *lim,
		   struct pdftext *out)
{
	judge_end(wait_status, r, lim, out);
	if (out->status == PDFTEXT_OK) {
		out->len = r->text.len;
		out->text = r->text.data ? buf_take(&r->text) : xstrdup("");
		take_codes(&r->errs, out);
	} else {
		out->text = xstrdup("");
	}
}

/* Collect j (a document handed to a server that has ended since is handed again): its
 * END, its text, the verdict. */
static int finish(struct job *j, struct pdftext *out, struct gerr *err)
{
	if (j->gen != server.gen && !j->ended && hand_over(j, err) != 0)
		return -1;
	if (await_end(j, err) != 0)
		return -1;
	struct pdftext_reading r = {0};
	read_outputs(j, &r);
	pdftext_judge(j->end.wait_status, &r, &j->lim, out);
	out->peak_kib = j->end.peak_kib;
	out->cpu_ms = (long)(j->end.cpu_us / 1000);
	buf_free(&r.text);
	buf_free(&r.errs);
	return 0;
}

int pdftext_read(const char *path, const struct pdftext_limits *lim, struct pdftext *out,
		 struct gerr *err)
{
	if (!lim)
		lim = &pdftext_default_limits;
	memset(out, 0, sizeof *out);
	struct job *j = take_prefetched(path, lim);
	if (!j)
		j = job_start(path, lim, err);
	int rc = j ? finish(j, out, err) : -1;
	job_free(j);
	if (rc != 0) {
		pdftext_free(out);
		gerr_prefix(err, "%s", path);
	}
	return rc;
}
