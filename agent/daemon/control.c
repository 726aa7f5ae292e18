/* control — control socket, JSON lines; see control.h. */
#include "daemon/control.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

size_t control_request_limit(size_t nsources)
{
	return CONTROL_MAX_REQUEST + nsources * CONTROL_NAME_BYTES;
}

char *control_socket_path(const char *state_dir)
{
	return path_join(state_dir, "control.sock");
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int control_connect(const char *path)
{
	struct sockaddr_un sa;
	if (fill_addr(&sa, path) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int control_listen(const char *path, struct gerr *err)
{
	struct sockaddr_un sa;
	if (fill_addr(&sa, path) < 0)
		return gerr_sys(err, "control socket %s", path);
	int probe = control_connect(path);
	if (probe >= 0) {
		close(probe);
		return gerr_set(err, "control socket %s: another daemon is running", path);
	}
	if (errno == ECONNREFUSED)
		unlink(path); /* left by a daemon that died */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return gerr_sys(err, "control socket");
	mode_t old = umask(0117);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		gerr_sys(err, "control socket %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Is the user `uid` a member of group `gid` (primary or supplementary)? */
static bool user_in_group(uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);
	if (!pw)
		return false;
	if (pw->pw_gid == gid)
		return true;
	int n = 64;
	gid_t groups[64];
	if (getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool control_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid() || cred.gid == getegid())
		return true;
	return user_in_group(cred.uid, getegid());
}

/* Write it all; on a socket without SIGPIPE (a peer that hung up is an error, not the
 * end of this process); pipes (a worker's result) go through write_all(). */
static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			return write_all(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int control_send(int fd, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return -1;
	struct buf line = {.data = text, .len = strlen(text), .cap = strlen(text) + 1};
	int rc = control_send_line(fd, &line);
	buf_free(&line);
	return rc;
}

int control_send_line(int fd, struct buf *line)
{
	buf_puts(line, "\n");
	return send_all(fd, line->data, line->len);
}

void control_line_feed(struct line_buf *lb, const char *bytes, size_t n)
{
	buf_append(&lb->data, bytes, n);
}

char *control_line_take(struct line_buf *lb)
{
	char *nl = lb->data.len > lb->scanned
			   ? memchr(lb->data.data + lb->scanned, '\n', lb->data.len - lb->scanned)
			   : NULL;
	if (!nl) {
		lb->scanned = lb->data.len;
		if (lb->max && lb->data.len > lb->max)
			lb->overflow = true;
		return NULL;
	}
	lb->scanned = 0;
	size_t n = (size_t)(nl - lb->data.data);
	if (lb->max && n > lb->max) {
		lb->overflow = true;
		return NULL;
	}
	char *line = xstrndup(lb->data.data, n);
	size_t rest = lb->data.len - n - 1;
	memmove(lb->data.data, nl + 1, rest);
	lb->data.len = rest;
	lb->data.data[rest] = '\0';
	return line;
}

json_t *control_parse_request(const char *line, struct gerr *err)
{
	json_error_t jerr;
	json_t *req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		gerr_set(err, "bad request: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "cmd"))) {
		json_decref(req);
		gerr_set(err, "bad request: an object with a \"cmd\" string is expected");
		return NULL;
	}
	return req;
}

json_t *control_recv(int fd, struct line_buf *lb, struct gerr *err)
{
	for (;;) {
		char *line = control_line_take(lb);
		if (line) {
			json_error_t jerr;
			json_t *msg = json_loads(line, 0, &jerr);
			free(line);
			if (!msg)
				gerr_set(err, "bad reply from the daemon: %s", jerr.text);
			return msg;
		}
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gerr_set(err, "the daemon closed the connection");
			return NULL;
		}
		control_line_feed(lb, chunk, (size_t)n);
	}
}

int control_ask(const char *state_dir, json_t *req, struct gerr *err)
{
	char *path = control_socket_path(state_dir);
	int fd = control_connect(path);
	if (fd < 0) {
		int rc = errno == ENOENT || errno == ECONNREFUSED ? -1 : -2;
		if (rc == -2)
			gerr_sys(err, "control socket %s", path);
		free(path);
		return rc;
	}
	free(path);
	/* A failed send still leaves the daemon's reply to read: it may have refused us
	 * (and hung up) before the request went out. */
	control_send(fd, req);
	return fd;
}
