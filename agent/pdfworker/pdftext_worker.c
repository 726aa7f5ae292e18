/* goniec-pdftext — the server that reads the text of PDFs with poppler-glib.
 *
 *   goniec-pdftext          (started by formats/pdftext.c: its stdin is the socket)
 *   goniec-pdftext --door   (the daemon's: its stdin is a door, through which each
 *                            connection comes in)
 *
 * goniec starts it once per process, at the first PDF (formats/pdftext.c), and talks to
 * it over the socket on its stdin (formats/pdfproto.h). It is a program apart from goniec
 * so that goniec itself never loads poppler, glib and their libraries; and it is a
 * server so that they are loaded once, not once per document. The daemon starts one with
 * --door for all its workers, so that they are loaded once per daemon, not once per run:
 * each worker hands it a connection (PDFPROTO_CONNECT), which this process serves beside
 * the others until it ends (one poll() over the door, the connections and their readers).
 *
 * The readers: forked by this process, each for one connection, never shared with
 * another (the door serves the workers of different companies: a reader a hostile PDF has
 * taken over sees that connection's documents, no other's). A reader dies with the server
 * (PR_SET_PDEATHSIG), keeps nothing of the server's open, and reads one document after
 * another, each handed to it over a socket of its own with the document's descriptors: the
 * PDF, the text file and the diagnostics file (goniec's memfds). Its limits: RLIMIT_AS
 * (memory) and RLIMIT_FSIZE (no file written beyond goniec's two, the text at most
 * max_text and a margin) set at its first document, no core; and per document an alarm for
 * the wall clock and RLIMIT_CPU raised to what it has used plus the document's seconds. So
 * a hostile PDF (one that loops, recurses, or asks for gigabytes) can only hurt its reader;
 * the server reports how the reading ended and goes on. A reader that dies on a document
 * after it read others is replaced and the document read again by the new one
 * (PDFPROTO_AGAIN): a limit is charged to the document that passed it, and an earlier
 * document's leftovers never fail a later one. A reader takes at most
 * PDFPROTO_READER_DOCS documents, none once its peak resident memory has grown by
 * READER_GROWTH since its first, and none whose limits differ from its first's; then a new
 * one is forked. goniec may
 * hand several documents before it collects the first: up to PDFPROTO_READERS are read at
 * once per connection, the others wait in order.
 *
 * What a reader writes for a document: pdfworker/pdfread.h; its exit codes (and the codes
 * it reports for a document it read to the end) are PDFPROTO_EXIT_*.
 *
 * In the test build (GONIEC_TESTING), with GONIEC_PDFTEXT_HOOKS set, a document can ask its
 * reader to misbehave once its limits are set (test_hook(); core/testhook.h), and
 * GONIEC_PDFTEXT_STARTS / GONIEC_PDFTEXT_READERS name files where each start of a server
 * or of a reader is noted.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/testhook.h"
#include "pdfworker/colour.h"
#include "formats/pdfproto.h"
#include "pdfworker/pdfread.h"

#define SOCK_FD 0          /* the socket to goniec, or the door */
#define READER_PDF_FD 3    /* where a reader has its document's PDF */
#define READER_SOCK_FD 4   /* a reader's socket to the server */
#define START_ROOM (16ULL << 20) /* address space a reader needs beyond what it maps */
#define TEXT_ROOM (1ULL << 20)   /* file size allowed beyond max_text */
#define READER_GROWTH (64ULL << 20) /* a reader whose peak memory grew this much retires */
#define READER_BUDGETS 4   /* a reader's CPU (hard limit): this many documents' seconds */
#define EXIT_USAGE_ERR 2

/* reader → server, for each document it read to the end */
struct reader_done {
	int32_t exit_code;   /* 0 or PDFPROTO_EXIT_* */
	int64_t peak_kib;    /* the reader's peak resident memory so far */
	int64_t cpu_us;      /* the CPU it used for this document */
	uint32_t last;       /* it takes no more documents: it exits */
};

static void set_limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
	setrlimit(resource, &rl);
}

/* The address space the reader maps already (the server's libraries and heap). */
static unsigned long long mapped_bytes(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

#ifdef GONIEC_TESTING
/* CPU spent here until this process has used `ms` milliseconds of it. */
static void spin_until(long ms)
{
	for (;;) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		if ((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000 >= ms)
			return;
	}
}

/* With GONIEC_PDFTEXT_HOOKS set, a document that begins "%goniec-test-hook NAME" makes
 * its reader misbehave: sleep (past the wall clock), alloc (past the memory limit), segv,
 * kill-server (the server is killed in the middle of the document), poison (the reader
 * crashes on the next document it is given), grow (the reader keeps READER_GROWTH and more
 * allocated), spin (the reader has used 1.1 s of CPU); or answer for the document: limits
 * (its text is RLIMIT_AS in KiB and RLIMIT_CPU). True when the hook answered. */
static bool test_hook(int fd)
{
	static const char mark[] = "%goniec-test-hook ";
	static bool poisoned;
	char head[64] = "";
	if (!test_hook_env("GONIEC_PDFTEXT_HOOKS"))
		return false;
	if (poisoned)
		raise(SIGSEGV);
	if (pread(fd, head, sizeof head - 1, 0) <= 0 || strncmp(head, mark, strlen(mark)) != 0)
		return false;
	const char *hook = head + strlen(mark);
	if (strncmp(hook, "sleep", 5) == 0 || strncmp(hook, "kill-server", 11) == 0) {
		if (strncmp(hook, "kill-server", 11) == 0)
			kill(getppid(), SIGKILL);
		for (;;)
			pause();
	} else if (strncmp(hook, "alloc", 5) == 0) {
		for (;;)
			g_malloc(64 << 20); /* GLib's own words when it fails, as with a bomb */
	} else if (strncmp(hook, "segv", 4) == 0) {
		raise(SIGSEGV);
	} else if (strncmp(hook, "poison", 6) == 0) {
		poisoned = true;
	} else if (strncmp(hook, "grow", 4) == 0) {
		static char *kept;
		kept = g_malloc(READER_GROWTH + (16 << 20));
		memset(kept, 1, READER_GROWTH + (16 << 20));
	} else if (strncmp(hook, "spin", 4) == 0) {
		spin_until(1100);
	} else if (strncmp(hook, "limits", 6) == 0) {
		struct rlimit as, cpu;
		getrlimit(RLIMIT_AS, &as);
		getrlimit(RLIMIT_CPU, &cpu);
		printf("%llu %llu\n", (unsigned long long)as.rlim_cur >> 10,
		       (unsigned long long)cpu.rlim_cur);
		return true;
	}
	return false;
}

/* With the environment variable `env` naming a file, a line `what` is appended to it: each
 * start of a server ("door" or "server", GONIEC_PDFTEXT_STARTS) or of a reader ("reader",
 * GONIEC_PDFTEXT_READERS), counted by the tests. */
static void note_start(const char *env, const char *what)
{
	const char *path = test_hook_env(env);
	int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd >= 0) {
		dprintf(fd, "%s\n", what);
		close(fd);
	}
}
#else
static bool test_hook(int fd)
{
	(void)fd;
	return false;
}

static void note_start(const char *env, const char *what)
{
	(void)env;
	(void)what;
}
#endif

/* ---- a reader (a forked child) ------------------------------------------------------ */

/* Between documents: stdout, stderr and READER_PDF_FD on /dev/null (fd 0). */
static bool drop_document(void)
{
	return dup2(0, 1) >= 0 && dup2(0, 2) >= 0 && dup2(0, READER_PDF_FD) >= 0;
}

/* The file on fd empty, written from its start. */
static bool emptied(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);
	return end == 0 || (end > 0 && ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
}

/* A document's descriptors in place (taken): stdout its text file, stderr its diagnostics
 * (both emptied: a reader that died on it before may have begun them), the PDF on
 * READER_PDF_FD. */
static bool take_document(const int *fds)
{
	bool ok = dup2(fds[PDFPROTO_TEXT_FD], 1) >= 0 && dup2(fds[PDFPROTO_DIAG_FD], 2) >= 0 &&
		  dup2(fds[PDFPROTO_PDF_FD], READER_PDF_FD) >= 0;
	for (int i = 0; i < PDFPROTO_READ_FDS; i++)
		close(fds[i]);
	clearerr(stdout);
	return ok && emptied(1) && emptied(2);
}

/* The CPU seconds this process has used, to the nearest. */
/* The CPU this process has used, microseconds. */
static int64_t cpu_us_used(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static rlim_t cpu_seconds_used(void)
{
	return (rlim_t)((cpu_us_used() + 500000) / 1000000);
}

/* The limits of a reader's life, from its first document: its address space, the size of
 * what it writes, no core, and its CPU for READER_BUDGETS documents (the hard limit: the
 * soft one is raised per document). Returns that hard limit. */
static rlim_t set_reader_limits(const struct pdfproto_request *rq)
{
	rlim_t cpu = (rlim_t)READER_BUDGETS * rq->seconds + 1;
	set_limit(RLIMIT_AS, rq->memory, rq->memory);
	set_limit(RLIMIT_CPU, rq->seconds, cpu);
	set_limit(RLIMIT_CORE, 0, 0);
	/* the text and diagnostics files are goniec's memfds; nothing else is written */
	set_limit(RLIMIT_FSIZE, rq->max_text + TEXT_ROOM, rq->max_text + TEXT_ROOM);
	return cpu;
}

/* One document, under its own alarm and CPU seconds: its exit code. */
static int read_one(const struct pdfproto_request *rq, rlim_t cpu_hard)
{
	set_limit(RLIMIT_CPU, cpu_seconds_used() + rq->seconds, cpu_hard);
	alarm(rq->seconds);
	int rc = test_hook(READER_PDF_FD) ? 0
					  : pdfread_document(READER_PDF_FD, rq->max_pages, rq->max_text);
	alarm(0);
	fflush(NULL);
	return rc;
}

/* The reader's peak resident memory so far, KiB. */
static long peak_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Before the reader's first document: its limits (the hard one of its CPU returned), or
 * its end when the memory limit leaves no room to read (PDFPROTO_EXIT_NO_ROOM). */
static rlim_t start_reading(const struct pdfproto_request *rq)
{
	unsigned long long mapped = mapped_bytes();
	if (rq->memory < mapped + START_ROOM) {
		fprintf(stderr, "pdftext: no room: the reader maps %llu MiB already\n", mapped >> 20);
		_exit(PDFPROTO_EXIT_NO_ROOM);
	}
	return set_reader_limits(rq);
}

/* In a forked reader: nothing of the server's kept but the socket sock (moved to
 * READER_SOCK_FD), then the documents that come on it, one by one, each answered with a
 * struct reader_done. Never returns: it exits at the end of the socket, after its last
 * document, or dies on a document. */
_Noreturn static void reader(pid_t server, int sock)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != server)
		_exit(PDFPROTO_EXIT_UNREADABLE);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGXCPU, SIG_DFL);
	signal(SIGXFSZ, SIG_IGN); /* a full text file is a short write (EFBIG) */
	note_start("GONIEC_PDFTEXT_READERS", "reader");
	if (dup2(sock, READER_SOCK_FD) < 0)
		_exit(PDFPROTO_EXIT_UNREADABLE);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || !drop_document())
		_exit(PDFPROTO_EXIT_UNREADABLE);
	close_range(READER_SOCK_FD + 1, ~0U, 0);
	rlim_t cpu_hard = 0;
	long grown_kib = 0;
	for (unsigned docs = 1;; docs++) {
		struct pdfproto_request rq;
		int fds[PDFPROTO_READ_FDS];
		if (pdfproto_receive(READER_SOCK_FD, &rq, fds) != PDFPROTO_READ_FDS ||
		    !take_document(fds))
			_exit(0);
		if (docs == 1) {
			cpu_hard = start_reading(&rq);
			grown_kib = peak_kib() + (long)(READER_GROWTH >> 10);
		}
		int64_t cpu_before = cpu_us_used();
		struct reader_done done = {.exit_code = read_one(&rq, cpu_hard)};
		done.peak_kib = peak_kib();
		done.cpu_us = cpu_us_used() - cpu_before;
		done.last = docs >= PDFPROTO_READER_DOCS || done.peak_kib > grown_kib ||
			    cpu_seconds_used() + rq.seconds + 1 > cpu_hard;
		if (!drop_document() || send(READER_SOCK_FD, &done, sizeof done, MSG_NOSIGNAL) < 0 ||
		    done.last)
			_exit(0);
	}
}

/* ---- the server ----------------------------------------------------------------------- */

/* A document of a connection, from its READ to its END. */
struct job {
	struct pdfproto_request rq;
	int fds[PDFPROTO_READ_FDS]; /* kept until its END: a new reader may need them */
	bool started;               /* a reader has it */
	bool fresh;                 /* it ended a reader that had read others: a new one reads it */
	bool killed;                /* goniec asked */
};

/* A reader of a connection. */
struct reader {
	pid_t pid;                  /* 0: none in this place */
	int pidfd, sock;
	struct pdfproto_request lim; /* its first document's request: the limits it has */
	unsigned docs;              /* documents it read to the end */
	struct job *job;            /* the one it reads, NULL while it waits */
	bool last;                  /* it takes no more */
};

/* A connection: its socket, its documents in the order they came, its readers. */
struct conn {
	int sock;
	struct job **jobs;
	size_t njobs, cap;
	struct reader readers[PDFPROTO_READERS];
	bool gone;                  /* its socket ended, or goniec talks nonsense */
};

#define CONN_POLLS (1 + 2 * PDFPROTO_READERS) /* its socket, each reader's pidfd and socket */

static struct {
	pid_t self;
	bool door;                  /* SOCK_FD is the door, still open */
	struct conn **v;
	size_t n;
} server;

static void reply(struct conn *c, const struct pdfproto_reply *r)
{
	if (send(c->sock, r, sizeof *r, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof *r)
		c->gone = true; /* goniec is gone, or reads nothing */
}

/* j out of c's documents, its descriptors closed. */
static void drop_job(struct conn *c, struct job *j)
{
	for (size_t i = 0; i < c->njobs; i++)
		if (c->jobs[i] == j) {
			memmove(&c->jobs[i], &c->jobs[i + 1], (c->njobs - i - 1) * sizeof *c->jobs);
			c->njobs--;
			break;
		}
	for (int i = 0; i < PDFPROTO_READ_FDS; i++)
		close(j->fds[i]);
	free(j);
}

static void end_job(struct conn *c, struct job *j, const struct pdfproto_reply *r)
{
	reply(c, r);
	drop_job(c, j);
}

static void add_job(struct conn *c, const struct pdfproto_request *rq, const int *fds)
{
	if (c->njobs == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->jobs = realloc(c->jobs, c->cap * sizeof *c->jobs);
		if (!c->jobs)
			abort();
	}
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		abort();
	j->rq = *rq;
	memcpy(j->fds, fds, sizeof j->fds);
	c->jobs[c->njobs++] = j;
}

/* Kill a reader and wait for it (it may be dying already); its place is free. */
static void stop_reader(struct reader *r)
{
	if (!r->pid)
		return;
	kill(r->pid, SIGKILL);
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(r->pidfd);
	close(r->sock);
	*r = (struct reader){0};
}

/* Fork a reader into the free place r: false (r still free) when it could not be. */
static bool fork_reader(struct reader *r, int *fork_errno)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		*fork_errno = errno;
		return false;
	}
	fflush(NULL);
	pid_t pid = fork();
	*fork_errno = errno;
	if (pid == 0)
		reader(server.self, sv[1]);
	close(sv[1]);
	int pidfd = pid > 0 ? (int)pidfd_open(pid, 0) : -1;
	if (pidfd < 0) {
		*fork_errno = pid < 0 ? *fork_errno : EMFILE;
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(sv[0]);
		return false;
	}
	*r = (struct reader){.pid = pid, .pidfd = pidfd, .sock = sv[0]};
	return true;
}

static bool same_limits(const struct pdfproto_request *a, const struct pdfproto_request *b)
{
	return a->seconds == b->seconds && a->memory == b->memory && a->max_text == b->max_text;
}

/* Hand j to the reader r (waiting, or new). A reader that cannot take it is stopped;
 * when it was a new one, that ends the document (another would fare no better). */
static void give(struct conn *c, struct reader *r, struct job *j)
{
	if (pdfproto_send(r->sock, &j->rq, j->fds, PDFPROTO_READ_FDS, MSG_DONTWAIT) == 0) {
		if (!r->docs && !r->job)
			r->lim = j->rq;
		r->job = j;
		j->started = true;
		return;
	}
	int send_errno = errno;
	bool new_reader = !r->docs;
	stop_reader(r);
	if (new_reader)
		end_job(c, j, &(struct pdfproto_reply){.type = PDFPROTO_END, .id = j->rq.id,
						       .fork_errno = send_errno});
}

/* The reader for j: a waiting one with its limits (not for a document read again), else a
 * new one in a free place or in the place of a waiting one; NULL when all are busy. A
 * reader that cannot be forked ends the document (fork_errno). */
static struct reader *reader_for(struct conn *c, struct job *j)
{
	struct reader *idle = NULL, *free_place = NULL;
	for (int i = 0; i < PDFPROTO_READERS; i++) {
		struct reader *r = &c->readers[i];
		if (r->pid && !r->job && !r->last && !j->fresh && same_limits(&r->lim, &j->rq))
			return r;
		if (!r->pid)
			free_place = r;
		else if (!r->job)
			idle = r;
	}
	if (!free_place && !idle)
		return NULL;
	if (!free_place) {
		stop_reader(idle);
		free_place = idle;
	}
	int fork_errno = 0;
	if (fork_reader(free_place, &fork_errno))
		return free_place;
	end_job(c, j, &(struct pdfproto_reply){.type = PDFPROTO_END, .id = j->rq.id,
					       .fork_errno = fork_errno});
	return NULL;
}

/* Hand the waiting documents to readers, in order, while a reader is to be had. */
static void dispatch(struct conn *c)
{
	for (size_t i = 0; i < c->njobs && !c->gone;) {
		struct job *j = c->jobs[i];
		if (j->started) {
			i++;
			continue;
		}
		size_t before = c->njobs;
		struct reader *r = reader_for(c, j);
		if (r)
			give(c, r, j);
		else if (c->njobs == before)
			return; /* every reader busy */
	}
}

/* The reader's word on the document it read to the end: its END. Its socket's end, or
 * anything else it says, gets it killed (its pidfd tells the rest). */
static void take_done(struct conn *c, struct reader *r)
{
	struct reader_done d;
	ssize_t n = recv(r->sock, &d, sizeof d, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof d || !r->job) {
		kill(r->pid, SIGKILL);
		return;
	}
	struct job *j = r->job;
	r->job = NULL;
	r->docs++;
	r->last = d.last;
	end_job(c, j, &(struct pdfproto_reply){.type = PDFPROTO_END, .id = j->rq.id,
					       .wait_status = W_EXITCODE(d.exit_code & 0xff, 0),
					       .peak_kib = d.peak_kib, .cpu_us = d.cpu_us});
}

/* A reader has ended. On its first document, or one goniec had killed, that is the
 * document's END; on a later one the document is read again by a new reader. */
static void reader_ended(struct conn *c, struct reader *r)
{
	take_done(c, r);
	struct rusage ru = {0};
	int st = 0;
	while (wait4(r->pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	struct job *j = r->job;
	bool first = r->docs == 0;
	close(r->pidfd);
	close(r->sock);
	*r = (struct reader){0};
	if (!j)
		return;
	if (first || j->killed) {
		end_job(c, j, &(struct pdfproto_reply){.type = PDFPROTO_END, .id = j->rq.id,
						       .wait_status = st, .peak_kib = ru.ru_maxrss});
		return;
	}
	j->started = false;
	j->fresh = true;
	reply(c, &(struct pdfproto_reply){.type = PDFPROTO_AGAIN, .id = j->rq.id});
}

/* A KILL: the reader killed (the END follows when it has ended), or the document dropped
 * from the queue; one already ended is ignored. */
static void kill_job(struct conn *c, uint32_t id)
{
	for (size_t i = 0; i < c->njobs; i++) {
		struct job *j = c->jobs[i];
		if (j->rq.id != id)
			continue;
		for (int k = 0; j->started && k < PDFPROTO_READERS; k++)
			if (c->readers[k].job == j)
				kill(c->readers[k].pid, SIGKILL);
		j->killed = true;
		if (!j->started)
			end_job(c, j, &(struct pdfproto_reply){.type = PDFPROTO_END, .id = id,
							       .wait_status = SIGKILL});
		return;
	}
}

/* The connection's next request: a READ queued, a KILL done; anything else (or the end of
 * the socket) ends the connection. */
static void take_request(struct conn *c)
{
	struct pdfproto_request rq;
	int fds[PDFPROTO_READ_FDS];
	int got = pdfproto_receive(c->sock, &rq, fds);
	if (rq.type == PDFPROTO_READ && got == PDFPROTO_READ_FDS && rq.max_pages > 0) {
		add_job(c, &rq, fds);
		return;
	}
	if (rq.type == PDFPROTO_KILL && got == 0) {
		kill_job(c, rq.id);
		return;
	}
	for (int i = 0; i < got; i++)
		close(fds[i]);
	c->gone = true;
}

static void open_conn(int sock)
{
	struct conn *c = calloc(1, sizeof *c);
	server.v = realloc(server.v, (server.n + 1) * sizeof *server.v);
	if (!c || !server.v)
		abort();
	c->sock = sock;
	server.v[server.n++] = c;
	reply(c, &(struct pdfproto_reply){.type = PDFPROTO_READY});
}

/* The end of a connection: its readers killed, its documents dropped. */
static void close_conn(size_t i)
{
	struct conn *c = server.v[i];
	for (int k = 0; k < PDFPROTO_READERS; k++)
		stop_reader(&c->readers[k]);
	while (c->njobs)
		drop_job(c, c->jobs[0]);
	free(c->jobs);
	close(c->sock);
	free(c);
	memmove(&server.v[i], &server.v[i + 1], (server.n - i - 1) * sizeof *server.v);
	server.n--;
}

/* A message on the door: a connection (PDFPROTO_CONNECT with its descriptor) is served
 * from now on; the end of the door (goniec is gone) stops taking new ones. */
static void take_connection(void)
{
	struct pdfproto_request rq;
	int fds[PDFPROTO_READ_FDS];
	int got = pdfproto_receive(SOCK_FD, &rq, fds);
	if (got < 0) {
		server.door = false;
		return;
	}
	if (rq.type == PDFPROTO_CONNECT && got == 1) {
		open_conn(fds[0]);
		return;
	}
	for (int i = 0; i < got; i++)
		close(fds[i]);
}

/* What poll() said about connection c (its CONN_POLLS entries at p). */
static void serve_conn(struct conn *c, const struct pollfd *p)
{
	for (int k = 0; k < PDFPROTO_READERS; k++) {
		struct reader *r = &c->readers[k];
		if (r->pid && p[2 + 2 * k].revents)
			take_done(c, r);
		if (r->pid && p[1 + 2 * k].revents)
			reader_ended(c, r);
	}
	if (p[0].revents)
		take_request(c);
}

static void watch_conn(const struct conn *c, struct pollfd *p)
{
	p[0] = (struct pollfd){.fd = c->sock, .events = POLLIN};
	for (int k = 0; k < PDFPROTO_READERS; k++) {
		const struct reader *r = &c->readers[k];
		p[1 + 2 * k] = (struct pollfd){.fd = r->pid ? r->pidfd : -1, .events = POLLIN};
		p[2 + 2 * k] = (struct pollfd){.fd = r->pid ? r->sock : -1, .events = POLLIN};
	}
}

/* Serve the door and the connections until the door has ended and no connection is left. */
_Noreturn static void serve(void)
{
	struct pollfd *p = NULL;
	while (server.door || server.n) {
		for (size_t i = 0; i < server.n; i++)
			dispatch(server.v[i]);
		for (size_t i = server.n; i-- > 0;)
			if (server.v[i]->gone)
				close_conn(i);
		p = realloc(p, (1 + server.n * CONN_POLLS) * sizeof *p);
		if (!p)
			abort();
		p[0] = (struct pollfd){.fd = server.door ? SOCK_FD : -1, .events = POLLIN};
		for (size_t i = 0; i < server.n; i++)
			watch_conn(server.v[i], &p[1 + i * CONN_POLLS]);
		if (poll(p, 1 + server.n * CONN_POLLS, -1) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		size_t n = server.n; /* connections taken from the door now come after these */
		for (size_t i = 0; i < n; i++)
			serve_conn(server.v[i], &p[1 + i * CONN_POLLS]);
		if (p[0].revents)
			take_connection();
	}
	exit(0);
}

int main(int argc, char **argv)
{
	bool door = argc == 2 && strcmp(argv[1], "--door") == 0;
	if (argc != 1 && !door) {
		fprintf(stderr, "usage: goniec-pdftext [--door] (started by goniec, its stdin the socket)\n");
		return EXIT_USAGE_ERR;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* its readers are its own to wait for */
	note_start("GONIEC_PDFTEXT_STARTS", door ? "door" : "server");
	colour_skip_display_transforms();
	pdfread_warm_up();
	server.self = getpid();
	server.door = door;
	if (!door)
		open_conn(SOCK_FD);
	serve();
}
