/* pdfproto — the messages between formats/pdftext.c and its PDF text server,
 * goniec-pdftext (agent/pdfworker/).
 *
 * The server is started once per goniec process, with one end of an AF_UNIX
 * SOCK_SEQPACKET socket pair as its stdin (each message one packet). It says
 * PDFPROTO_READY once it runs. Then, for each document, under an id goniec chooses:
 *   goniec → server  PDFPROTO_READ with three descriptors (SCM_RIGHTS): the PDF open for
 *                    reading, the file the text goes to and the file the diagnostics go
 *                    to (both empty memfds of goniec's, so that a reader never waits for
 *                    goniec to read). A reader of this connection reads it, with the
 *                    limits of the request from the moment it begins it, and writes the
 *                    text and its verdict straight into the files. Several READs may be
 *                    outstanding: the server runs up to PDFPROTO_READERS readers at once
 *                    and queues the others in order.
 *   goniec → server  PDFPROTO_KILL (optional, no descriptors): that reader is killed now
 *                    (goniec's deadline passed), or dropped from the queue.
 *   server → goniec  PDFPROTO_AGAIN with the id (optional): the reader died on that
 *                    document after it had read others; a new reader reads it again from
 *                    the start (into the same files, emptied), so that a limit is charged
 *                    to the document that passed it. goniec's deadline starts again.
 *   server → goniec  PDFPROTO_END with the id: how the reading ended, as a wait status
 *                    (the reader's exit code for it, or its death by a signal), its peak
 *                    memory, or that no reader could be forked (fork_errno).
 * A reader reads one document after another (fork, copy-on-write faults and exit are
 * spent once per reader, not per document), only ever this connection's: at most
 * PDFPROTO_READER_DOCS of them, and only while its memory has not grown much; a document
 * with other limits (seconds, memory, max_text) gets a new reader. A KILL that crosses its
 * END is ignored. At the end of its socket the server kills the connection's readers.
 *
 * A server started with --door (the daemon's, shared by its workers) has a door as its
 * stdin instead: a socket on which it only receives, and says nothing. Each process that
 * wants a connection makes a socket pair and sends one end through the door:
 *   goniec → door    PDFPROTO_CONNECT with one descriptor (the server's end).
 * The server says PDFPROTO_READY on that connection and serves it as above, beside the
 * others, in the same process (each connection with readers of its own); at the end of
 * the door it serves the connections it has until they end, then exits.
 *
 * The reader's own exit codes (beside death by a signal) are the PDFPROTO_EXIT_* below; its
 * last line on the diagnostics file is its verdict ("pdftext: pages READ of TOTAL",
 * "pdftext: unreadable: ..."). Before it, the reader may tell the texts of QR codes it
 * found, one line each: PDFPROTO_QR_LINE, the page (1-based), a space, the text (printable
 * ASCII, at most PDFPROTO_QR_MAX bytes; other codes are not told).
 *
 * Both programs are built from one tree, so the structures are sent as they are.
 */
#ifndef GONIEC_FORMATS_PDFPROTO_H
#define GONIEC_FORMATS_PDFPROTO_H

#include <stddef.h>
#include <stdint.h>

enum pdfproto_type {
	PDFPROTO_READY = 1,  /* server → goniec, once at its start */
	PDFPROTO_READ,       /* goniec → server, with PDFPROTO_READ_FDS descriptors */
	PDFPROTO_KILL,       /* goniec → server */
	PDFPROTO_END,        /* server → goniec, once per READ */
	PDFPROTO_CONNECT,    /* goniec → door, with one descriptor: a new connection */
	PDFPROTO_AGAIN,      /* server → goniec: the document is read again by a new reader */
};

enum { PDFPROTO_PDF_FD, PDFPROTO_TEXT_FD, PDFPROTO_DIAG_FD, PDFPROTO_READ_FDS };

struct pdfproto_request {
	uint32_t type;       /* PDFPROTO_READ, PDFPROTO_KILL or PDFPROTO_CONNECT */
	uint32_t id;         /* goniec's name of the document, echoed in its END */
	uint32_t seconds;    /* wall clock (alarm) and CPU (RLIMIT_CPU) of the reader */
	uint64_t memory;     /* its address space (RLIMIT_AS), bytes */
	int32_t max_pages;   /* the first pages read */
	uint64_t max_text;   /* the reader stops after the page that passes this many bytes */
};

struct pdfproto_reply {
	uint32_t type;       /* PDFPROTO_READY, PDFPROTO_AGAIN or PDFPROTO_END */
	uint32_t id;         /* the READ's */
	int32_t wait_status; /* the reader's, as wait4() gives it */
	int32_t fork_errno;  /* not 0: no reader was started */
	int64_t peak_kib;    /* the reader's peak resident memory (ru_maxrss) */
	int64_t cpu_us;      /* the CPU its reader used for it; 0 when the reader died on it */
};

#define PDFPROTO_READERS 2 /* readers running at once; more READs wait their turn */
#define PDFPROTO_READER_DOCS 64 /* documents one reader reads, at most */
#define PDFPROTO_QR_LINE "pdftext: qr "
#define PDFPROTO_QR_MAX 512

#define PDFPROTO_EXIT_ENCRYPTED 10 /* it needs a password */
#define PDFPROTO_EXIT_UNREADABLE 11 /* not a PDF poppler can open, or the text not written */
#define PDFPROTO_EXIT_NO_ROOM 12   /* the memory limit is below what the reader already maps */

/* Send rq (with nfds descriptors, at most PDFPROTO_READ_FDS) as one message; flags are
 * sendmsg()'s (MSG_NOSIGNAL always). 0, or -1 with errno. */
int pdfproto_send(int sock, const struct pdfproto_request *rq, const int *fds, size_t nfds,
		  int flags);
/* Receive one request: how many descriptors came with it (into fds, close-on-exec, at most
 * PDFPROTO_READ_FDS), or -1 at the end of the socket or for a malformed message (any
 * descriptors that came with it closed). */
int pdfproto_receive(int sock, struct pdfproto_request *rq, int *fds);

#endif
