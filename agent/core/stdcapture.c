/* stdcapture — see stdcapture.h. */
#include "core/stdcapture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SANITIZER_REPORT_TO(fd) __sanitizer_set_report_fd((void *)(intptr_t)(fd))
#else
#define SANITIZER_REPORT_TO(fd) ((void)(fd))
#endif

#include "core/log.h"

#define LINE_MAX_BYTES 2000 /* a longer line is cut there */

static struct {
	bool on;
	char *label;
	int saved;      /* the real stderr, where the log goes meanwhile */
	FILE *out;      /* the log's stream on it */
	int rd;         /* the pipe's read end (non-blocking) */
	int stop;       /* eventfd: end the capture */
	pthread_t thread;
} cap = {.saved = -1, .rd = -1, .stop = -1};

static void emit(struct buf *line)
{
	if (line->len)
		log_warn("%s: %.*s", cap.label, (int)line->len, line->data);
	line->len = 0;
}

/* Split what was read into lines; a line too long is cut at LINE_MAX_BYTES. */
static void take(struct buf *line, const char *p, size_t n)
{
	for (const char *end = p + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = (size_t)((nl ? nl : end) - p);
		size_t room = LINE_MAX_BYTES > line->len ? LINE_MAX_BYTES - line->len : 0;
		buf_append(line, p, k < room ? k : room);
		if (nl)
			emit(line);
		p += k + (nl != NULL);
	}
}

/* Read until the pipe is empty; false at its end (or an error). */
static bool drain(struct buf *line)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = read(cap.rd, chunk, sizeof chunk);
		if (n > 0)
			take(line, chunk, (size_t)n);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			return n < 0 && errno == EAGAIN;
	}
}

static void *reader(void *arg)
{
	(void)arg;
	struct buf line = {0};
	struct pollfd fds[2] = {{.fd = cap.rd, .events = POLLIN}, {.fd = cap.stop, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (!drain(&line) || fds[1].revents)
			break;
	}
	drain(&line);
	emit(&line);
	buf_free(&line);
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int stderr_capture_begin(const char *label, struct gerr *err)
{
	int p[2];
	if (cap.on)
		return 0;
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
		return gerr_sys(err, "cannot capture stderr");
	/* the write end (our new stderr) blocks as a terminal would */
	fcntl(p[1], F_SETFL, 0);
	cap.rd = p[0];
	cap.stop = eventfd(0, EFD_CLOEXEC);
	cap.saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	cap.out = cap.saved >= 0 && cap.stop >= 0 ? fdopen(cap.saved, "w") : NULL;
	if (!cap.out || dup2(p[1], 2) < 0) {
		gerr_sys(err, "cannot capture stderr");
		goto undo;
	}
	setvbuf(cap.out, NULL, _IOLBF, 0);
	log_set_stream(cap.out);
	SANITIZER_REPORT_TO(cap.saved);
	cap.label = xstrdup(label);
	if (pthread_create(&cap.thread, NULL, reader, NULL) != 0) {
		gerr_set(err, "cannot capture stderr: no thread");
		free(cap.label);
		dup2(cap.saved, 2);
		log_set_stream(NULL);
		SANITIZER_REPORT_TO(2);
		goto undo;
	}
	close(p[1]);
	cap.on = true;
	return 0;
undo:
	close(p[1]);
	if (cap.out)
		fclose(cap.out); /* closes saved */
	else
		close_fd(&cap.saved);
	cap.out = NULL;
	cap.saved = -1;
	close_fd(&cap.rd);
	close_fd(&cap.stop);
	return -1;
}

void stderr_capture_end(void)
{
	if (!cap.on)
		return;
	fflush(stderr);
	dup2(cap.saved, 2); /* the pipe's write end goes: the reader sees its end */
	uint64_t one = 1;
	if (write(cap.stop, &one, sizeof one) < 0) {
		/* an eventfd write cannot fail here; the pipe's end stops the reader anyway */
	}
	pthread_join(cap.thread, NULL);
	log_set_stream(NULL);
	SANITIZER_REPORT_TO(2);
	fclose(cap.out);
	cap.out = NULL;
	cap.saved = -1;
	close_fd(&cap.rd);
	close_fd(&cap.stop);
	free(cap.label);
	cap.label = NULL;
	cap.on = false;
}
