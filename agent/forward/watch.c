/* watch — see watch.h. */
#include "forward/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sidecar.h"

#define MAX_DEPTH 12
#define DIR_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW | \
		  IN_EXCL_UNLINK)

struct watch {
	char *root;
	int fd;            /* inotify, -1 when polling */
	const char *poll_reason;
	char **dirs;       /* wd -> spool-relative directory ("" for the root) */
	size_t ndirs;      /* size of dirs */
};

static const struct {
	long magic;
	const char *name;
} network_fs[] = {
	{0x6969, "nfs"}, {0x517B, "smb"}, {(long)0xFF534D42, "cifs"}, {(long)0xFE534D42, "smb2"},
	{0x5346414F, "afs"}, {0x00C36400, "ceph"}, {0x01021997, "9p"},
	{0x65735546, "fuse"}, /* sshfs, rclone, s3fs, ...: changes made elsewhere send no events */
};

static const char *network_fs_name(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_LEN(network_fs); i++)
		if ((long)(unsigned int)sf.f_type == (long)(unsigned int)network_fs[i].magic)
			return network_fs[i].name;
	return NULL;
}

struct watch *watch_open(const char *root, bool watch, bool force_poll, struct gerr *err)
{
	struct stat st;
	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		gerr_sys(err, "spool %s", root);
		return NULL;
	}
	struct watch *w = xcalloc(1, sizeof(*w));
	w->root = xstrdup(root);
	w->fd = -1;
	if (!watch)
		return w;
	w->poll_reason = force_poll ? "asked" : network_fs_name(root);
	if (!w->poll_reason) {
		w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (w->fd < 0) {
			log_warn("inotify: %s; polling the spool instead", strerror(errno));
			w->poll_reason = "no inotify";
		}
	}
	return w;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i]);
	free(w->dirs);
	free(w->root);
	free(w);
}

int watch_fd(const struct watch *w)
{
	return w->fd;
}

bool watch_polling(const struct watch *w)
{
	return w->poll_reason != NULL;
}

const char *watch_poll_reason(const struct watch *w)
{
	return w->poll_reason;
}

static void fall_back_to_polling(struct watch *w, const char *why)
{
	close(w->fd);
	w->fd = -1;
	w->poll_reason = why;
}

static void add_watch(struct watch *w, const char *path, const char *reldir)
{
	if (w->fd < 0)
		return;
	int wd = inotify_add_watch(w->fd, path, DIR_MASK);
	if (wd < 0) {
		if (errno == ENOSPC) {
			log_error("inotify: out of watches at %s; raise fs.inotify.max_user_watches "
				  "(sysctl); polling the spool meanwhile", path);
			fall_back_to_polling(w, "no more watches");
		} else {
			log_warn("inotify: cannot watch %s: %s", path, strerror(errno));
		}
		return;
	}
	if ((size_t)wd >= w->ndirs) {
		size_t n = (size_t)wd * 2 + 16;
		w->dirs = xrealloc(w->dirs, n * sizeof(*w->dirs));
		memset(w->dirs + w->ndirs, 0, (n - w->ndirs) * sizeof(*w->dirs));
		w->ndirs = n;
	}
	free(w->dirs[wd]);
	w->dirs[wd] = xstrdup(reldir);
}

static char *rel_join(const char *dir, const char *name)
{
	return *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

/* A sidecar's name gives its document's relpath; NULL for other names. */
static char *doc_of(const char *reldir, const char *name)
{
	size_t n = strlen(name), s = strlen(SIDECAR_SUFFIX);
	if (name[0] == '.' || n <= s || strcmp(name + n - s, SIDECAR_SUFFIX) != 0)
		return NULL;
	char *base = xstrndup(name, n - s);
	char *rel = rel_join(reldir, base);
	free(base);
	return rel;
}

static bool skip_dir(const char *reldir, const char *name)
{
	return name[0] == '.' || (!*reldir && strcmp(name, "quarantine") == 0);
}

static long scan(struct watch *w, const char *reldir, int depth, watch_doc_fn fn, void *ctx)
{
	char *path = *reldir ? path_join(w->root, reldir) : xstrdup(w->root);
	add_watch(w, path, reldir); /* before reading: nothing created meanwhile is missed */
	DIR *d = opendir(path);
	long found = 0;
	if (!d) {
		if (errno != ENOENT)
			log_warn("spool: cannot read %s: %s", path, strerror(errno));
		free(path);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d));) {
		bool isdir = e->d_type == DT_DIR;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			isdir = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				S_ISDIR(st.st_mode);
		}
		if (isdir) {
			if (!skip_dir(reldir, e->d_name) && depth < MAX_DEPTH) {
				char *sub = rel_join(reldir, e->d_name);
				found += scan(w, sub, depth + 1, fn, ctx);
				free(sub);
			}
			continue;
		}
		char *doc = doc_of(reldir, e->d_name);
		if (doc) {
			fn(doc, ctx);
			found++;
			free(doc);
		}
	}
	closedir(d);
	free(path);
	return found;
}

long watch_scan(struct watch *w, const char *reldir, watch_doc_fn fn, void *ctx)
{
	int depth = 0;
	for (const char *c = reldir; *c; c++)
		depth += *c == '/';
	return scan(w, reldir, *reldir ? depth + 1 : 0, fn, ctx);
}

static int handle_event(struct watch *w, const struct inotify_event *ev, watch_doc_fn fn,
			void *ctx)
{
	if (ev->mask & IN_Q_OVERFLOW)
		return 1;
	if (ev->wd < 0 || (size_t)ev->wd >= w->ndirs || !w->dirs[ev->wd])
		return 0;
	if (ev->mask & IN_IGNORED) {
		free(w->dirs[ev->wd]);
		w->dirs[ev->wd] = NULL;
		return 0;
	}
	const char *reldir = w->dirs[ev->wd];
	if (!ev->len)
		return 0;
	if (ev->mask & IN_ISDIR) {
		if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && !skip_dir(reldir, ev->name)) {
			char *sub = rel_join(reldir, ev->name);
			watch_scan(w, sub, fn, ctx);
			free(sub);
		}
		return 0;
	}
	if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
		char *doc = doc_of(reldir, ev->name);
		if (doc)
			fn(doc, ctx);
		free(doc);
	}
	return 0;
}

int watch_read(struct watch *w, watch_doc_fn fn, void *ctx)
{
	char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	int overflow = 0;
	while (w->fd >= 0) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			overflow |= handle_event(w, ev, fn, ctx);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (overflow)
		log_notice("inotify: event queue overflowed; rescanning the spool");
	return overflow;
}
