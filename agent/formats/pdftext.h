/* pdftext — the text of a PDF, read by a worker process with a time and memory limit.
 *
 * The reading itself is poppler-glib's, in the separate program goniec-pdftext
 * (agent/pdfworker/): goniec never loads poppler itself. That program is a server: a
 * process starts it once, at its first PDF (again if it has ended), and hands it each
 * document over a socket (formats/pdfproto.h). The server forks readers, which read this
 * process's documents one after another (a few dozen each) with RLIMIT_AS (memory), and
 * per document RLIMIT_CPU and an alarm for the wall clock; so a hostile PDF (one that
 * loops, recurses, or asks for gigabytes) can only hurt its reader, and the server reports
 * how the reading ended. A reader that dies on a document after it read others is replaced
 * and the document read again by a new one, so that a limit is charged to the document
 * that passed it. goniec keeps a deadline of its own too: past it the reader is killed,
 * and a server that does not answer is killed and replaced at the next document. Only the
 * first `max_pages` pages are read and at most `max_text` bytes of text are kept.
 *
 * The server lives as long as the process that started it, in its process group, and
 * dies with it (PR_SET_PDEATHSIG), so stopping a daemon worker's group stops its readers;
 * a forked child never uses its parent's server (it starts its own at its first PDF); its
 * descriptors are close-on-exec. At exit, or with pdftext_stop(), the server is killed
 * and reaped.
 *
 * A shared server (the daemon's): pdftext_door_open() starts one server whose door this
 * process's forked children (the daemon's workers) inherit. At its first PDF such a child
 * connects through the door instead of starting a server of its own: the shared server
 * serves the connection, beside the others, as a server of its own would (readers of its
 * own, never another connection's; limits, deadline and kills the same), so poppler's
 * libraries are loaded once per daemon, not once per run. A child's end (killed at its
 * time limit) ends its connection and its readers. When the door does not answer, the
 * child starts a server of its own as before.
 *
 * The text is laid out as the page shows it: one line per printed line, columns apart by
 * two or more spaces, a blank line for a vertical gap, pages separated by '\f'.
 *
 * A caller that has other work meanwhile (a source fetching its next messages) hands a PDF
 * over early with pdftext_prefetch(): the server reads it while the caller goes on, and
 * the pdftext_read() of the same file (by inode: it may have been renamed since) with the
 * same limits collects the result. Up to PDFTEXT_IN_FLIGHT documents wait to be collected;
 * the server reads a few at once (PDFPROTO_READERS), each reader with its own limits from
 * the moment it starts. The reader writes into files of goniec's (memfds), so it never
 * waits for goniec to read.
 *
 * QR codes: when the text speaks of KSeF but prints no link to mf.gov.pl, the reader
 * also decodes the QR codes of the first pages (a KSeF invoice's verification link may
 * be only there); their texts are in `codes`, as they are (whatever the code holds).
 *
 * Outcomes: every PDF ends in one status with a reason a person can read (`why`); only a
 * failure on our side (no worker program, no fork, a server that ended in the middle of
 * the document) is an error (-1), and the document may be read again later.
 *
 * Ownership: struct pdftext is filled by pdftext_read() and released with
 * pdftext_free(); the server and the documents in flight are this module's own. Not
 * thread-safe: one thread of a process uses it. Errors: -1 with err set (names the file).
 */
#ifndef GONIEC_FORMATS_PDFTEXT_H
#define GONIEC_FORMATS_PDFTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config.h"
#include "core/util.h"

enum pdftext_status {
	PDFTEXT_OK = 0,      /* text read */
	PDFTEXT_NO_TEXT,     /* readable, but no text layer (a scan) */
	PDFTEXT_ENCRYPTED,   /* needs a password */
	PDFTEXT_UNREADABLE,  /* not a PDF poppler can open, or the reader crashed on it */
	PDFTEXT_TIME_LIMIT,  /* the worker ran out of time */
	PDFTEXT_MEMORY_LIMIT,/* the worker ran out of memory */
};

struct pdftext_limits {
	int seconds;           /* wall clock and CPU, per document */
	uint64_t memory;       /* bytes of address space */
	int max_pages;
	size_t max_text;       /* bytes of text kept */
};
/* 20 s, 512 MiB, 100 pages, 4 MiB of text (agent.pdf's defaults in conf.d too). */
extern const struct pdftext_limits pdftext_default_limits;
/* The limits conf.d sets (agent.pdf: time, memory, pages, text). */
struct pdftext_limits pdftext_limits_of(const struct agent_pdf *conf);

struct pdftext_code {
	int page;          /* 1-based */
	char *text;        /* one line of printable ASCII */
};

struct pdftext {
	enum pdftext_status status;
	char *text;        /* NUL-terminated (empty unless PDFTEXT_OK) */
	size_t len;
	int pages_read, pages_total;
	bool truncated;    /* pages or text cut at the limits */
	long peak_kib;     /* the reader's peak resident memory */
	long cpu_ms;       /* the CPU the reader used for this document (0 if it died on it) */
	char *why;         /* for any status but PDFTEXT_OK */
	struct pdftext_code *codes; /* QR codes found (PDFTEXT_OK only) */
	size_t ncodes;
};

/* Read the text of the PDF at path. lim may be NULL (the defaults). */
int pdftext_read(const char *path, const struct pdftext_limits *lim, struct pdftext *out,
		 struct gerr *err);
void pdftext_free(struct pdftext *t);

/* What a reader left of one document: the text it wrote (at most max_text bytes), the
 * tail of its diagnostics, whether the text went past max_text, whether goniec killed it
 * at its deadline. */
struct pdftext_reading {
	struct buf text, errs;
	bool truncated, timed_out;
};
/* What goniec makes of a reading, with the reader's wait status (pdftext_read() ends with
 * it; no I/O). A reader that read a hostile PDF may write anything, so whatever r holds:
 * out gets a status, `why` for any status but PDFTEXT_OK, a NUL-terminated text of len
 * bytes (r->text is taken for PDFTEXT_OK), the verdict's pages, and as `codes` only lines
 * of printable ASCII of at most PDFPROTO_QR_MAX bytes on a page from 1. Fuzzed by
 * tests/fuzz/fuzz_pdftext.c. */
void pdftext_judge(int wait_status, struct pdftext_reading *r, const struct pdftext_limits *lim,
		   struct pdftext *out);

/* Documents handed over and not yet collected, at most. */
#define PDFTEXT_IN_FLIGHT 32
/* Hand the PDF at path to the server now; its pdftext_read() with the same limits (NULL:
 * the defaults) collects it. False when it was not handed over (PDFTEXT_IN_FLIGHT waiting
 * already, or an error, which pdftext_read() meets again and reports): pdftext_read() then
 * reads it as usual. A document never collected is dropped with the server. */
bool pdftext_prefetch(const char *path, const struct pdftext_limits *lim);
/* "ok", "none", "encrypted", "unreadable", "time-limit", "memory-limit". */
const char *pdftext_status_name(enum pdftext_status s);

/* Kill and reap this process's server, if it has one (the next document starts a new
 * one), and the shared server it started; drop the documents handed over early. Done at
 * exit too. */
void pdftext_stop(void);

/* Start the shared server (goniec-pdftext --door), without waiting for it: this
 * process and the children it forks from now on read their PDFs through it. Nothing is
 * done while it runs, nor within 10 s of its last start. -1 with err set when it cannot be
 * started (no socket, no fork); a program that does not run shows as its early end. */
int pdftext_door_open(struct gerr *err);
/* The door's descriptor (close-on-exec), -1 without one: a forked child that closes its
 * descriptors keeps this one. */
int pdftext_door_fd(void);
/* For the process that reaps its children: true when pid was the shared server (it has
 * ended; the next pdftext_door_open() starts another). */
bool pdftext_door_reaped(pid_t pid);
/* End this process's connection to its server (through the door, or its own server), and
 * with it the readers reading for it; drop the documents handed over early. The next PDF
 * connects again. A daemon worker does this after each run, so that no reader reads the
 * documents of two runs. */
void pdftext_disconnect(void);

/* The server program to run (default: goniec-pdftext beside the running program, or in
 * ../libexec/goniec/ of the tree it runs from, else the installed one under
 * GONIEC_LIBEXECDIR). Stops the running server. For tests; NULL restores the default. */
void pdftext_set_worker(const char *path);

#endif
