/* pdfproto — see pdfproto.h. Built into goniec and into goniec-pdftext alike: plain libc. */
#include "formats/pdfproto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

union fds_space {
	struct cmsghdr h;
	char space[CMSG_SPACE(PDFPROTO_READ_FDS * sizeof(int))];
};

int pdfproto_send(int sock, const struct pdfproto_request *rq, const int *fds, size_t nfds,
		  int flags)
{
	union fds_space ctl;
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
	while ((n = sendmsg(sock, &m, MSG_NOSIGNAL | flags)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof *rq ? 0 : -1;
}

int pdfproto_receive(int sock, struct pdfproto_request *rq, int *fds)
{
	union fds_space ctl;
	struct iovec iov = {.iov_base = rq, .iov_len = sizeof *rq};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			   .msg_controllen = sizeof ctl};
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	/* the control buffer, rounded up for alignment, may hold one more descriptor than the
	 * protocol sends: such a message is malformed, and every descriptor of it closed */
	enum { ROOM = PDFPROTO_READ_FDS + 1 };
	int all[ROOM], got = 0;
	struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		got = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		got = got < ROOM ? got : ROOM;
		memcpy(all, CMSG_DATA(c), (size_t)got * sizeof(int));
	}
	if (n == (ssize_t)sizeof *rq && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	    got <= PDFPROTO_READ_FDS) {
		memcpy(fds, all, (size_t)got * sizeof(int));
		return got;
	}
	for (int i = 0; i < got; i++)
		close(all[i]);
	return -1;
}
