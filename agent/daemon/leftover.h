/* leftover — what a source's run left behind in a worker that goes on to the next run.
 *
 * A worker process (daemon/worker.h) runs source after source. Before its first run it
 * takes a picture of the process-wide state a run could change and the next run would
 * inherit: the working directory, the environment, the file mode mask, the signal
 * dispositions, what descriptors 0-2 are, how many descriptors are open, the threads,
 * and the memory in use. After each run it compares: a run that changed any of them (a
 * chdir, a setenv, a signal handler, a thread still running, stdin/stdout/stderr pointing
 * elsewhere) or that made the process grow past the bounds below (descriptors left open,
 * memory not given back) is named, and the worker ends after that run: the next one
 * starts in a fresh worker forked from the master. Per-thread state needs no check:
 * every run is in a new thread.
 *
 * Bounds: at most LEFTOVER_FD_SLACK more descriptors than at the picture (what a worker
 * keeps open on purpose between runs: its connection to the PDF reader, the content
 * index's database); at most LEFTOVER_RSS_GROWTH_KIB more resident memory.
 *
 * Ownership: struct leftover_base holds copies; leftover_base_free() releases them.
 * Errors: none; state that cannot be read counts as changed (the worker ends).
 */
#ifndef GONIEC_DAEMON_LEFTOVER_H
#define GONIEC_DAEMON_LEFTOVER_H

#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LEFTOVER_FD_SLACK 16
#define LEFTOVER_RSS_GROWTH_KIB (64 * 1024)
#define LEFTOVER_SIGNALS 32 /* the classic signals, 1-31 */

struct leftover_base {
	char *cwd;
	char **env;          /* a copy of environ, NULL-terminated */
	struct sigaction act[LEFTOVER_SIGNALS];
	mode_t umask;
	dev_t std_dev[3];    /* descriptors 0, 1, 2 */
	ino_t std_ino[3];
	long fds;
	long rss_kib;
};

void leftover_base_take(struct leftover_base *b);
/* NULL when the process is as the picture (within the bounds); otherwise what a run left
 * behind, a constant text for the log ("a running thread"). */
const char *leftover_find(const struct leftover_base *b);
void leftover_base_free(struct leftover_base *b);

#endif
