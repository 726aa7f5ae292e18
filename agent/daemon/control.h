/* control — the daemon's control socket: a Unix stream socket speaking JSON lines.
 *
 * The socket is <state_dir>/control.sock (mode 0660: the service user and its group;
 * the state directory may be 0710 so that group members reach the socket without
 * listing the directory). The daemon also checks each peer's credentials: root, its own
 * user, and members of its group are served, anyone else is refused.
 *
 * Protocol: one JSON object per line each way. Requests:
 *   {"cmd":"fetch","sources":["a","b"],"wait":true}   run now (empty list: all enabled)
 *   {"cmd":"status"}                                    the status document
 *   {"cmd":"reload"}                                    re-read conf.d
 * Replies: {"ok":true,...} or {"ok":false,"error":"..."}; a waiting fetch then gets
 * {"event":"progress","source":...,"stats":{...}} while its runs go on, one
 * {"event":"done","source":...,"outcome":...,...} per source and a final {"event":"end"}.
 *
 * Ownership: returned strings and JSON values belong to the caller. Errors: -1 with err
 * set (or errno for control_connect, so that ENOENT/ECONNREFUSED mean "no daemon").
 */
#ifndef GONIEC_DAEMON_CONTROL_H
#define GONIEC_DAEMON_CONTROL_H

#include <jansson.h>
#include <stdbool.h>

#include "core/util.h"

/* A request line may hold the name of every source: its limit grows with their number
 * (control_request_limit), so that no user reaches it by having many sources, while a
 * client cannot make the daemon hold more than that. Replies have no limit: they come
 * from the daemon the client asked. */
#define CONTROL_MAX_REQUEST (64 * 1024)        /* besides the names */
#define CONTROL_NAME_BYTES 72                  /* a source name (64 at most), quoted, a comma */
size_t control_request_limit(size_t nsources);

char *control_socket_path(const char *state_dir);

/* Server side: bind and listen (a stale socket is replaced; a live one is an error). */
int control_listen(const char *path, struct gerr *err);
bool control_peer_allowed(int fd);

/* Send one message as a line. Returns 0 or -1 (peer gone). */
int control_send(int fd, json_t *msg);
/* Send one message already written as compact JSON (a newline is added to line). */
int control_send_line(int fd, struct buf *line);

/* Split received bytes into lines. control_line_take() returns the next complete line
 * (owned by the caller, without '\n') or NULL when more bytes are needed; each byte is
 * looked at once, however long the line. */
struct line_buf {
	struct buf data;
	size_t max;      /* a line longer than this is an error; 0: no limit */
	bool overflow;
	size_t scanned;  /* bytes of data known to hold no '\n' */
};
void control_line_feed(struct line_buf *lb, const char *bytes, size_t n);
char *control_line_take(struct line_buf *lb);

/* Parse a request line: an object with a string "cmd". NULL with err set otherwise. */
json_t *control_parse_request(const char *line, struct gerr *err);

/* Client side. */
int control_connect(const char *path);
/* Connect to the daemon of state_dir and send req. Returns the connected fd; -1 when
 * no daemon is running there (err empty); -2 on another error (err set). */
int control_ask(const char *state_dir, json_t *req, struct gerr *err);
/* Block until one message arrives; NULL on EOF or a bad line (err says which). */
json_t *control_recv(int fd, struct line_buf *lb, struct gerr *err);

#endif
