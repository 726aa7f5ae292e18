#include "forward/journal.h"

#include "core/strset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct journal {
	char *path;
	char *generation;
	int fd;
	struct strset delivered; /* "route\trelpath" */
	struct strset settled;   /* relpaths settled in this generation */
	struct strset unrouted;  /* those of them no route wanted */
	size_t lines;
	bool dirty;
};

bool journal_key_ok(const char *s)
{
	return *s && !strpbrk(s, "\t\n\r");
}

static char *dkey(const char *route, const char *relpath)
{
	return xasprintf("%s\t%s", route, relpath);
}

/* Apply one record (without its newline); unknown records and settled records of other
 * generations (stale: the routes changed since) are skipped. */
static void apply(struct journal *j, char *line)
{
	char *t1 = strchr(line, '\t');
	char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	if (!t2 || t1 != line + 1 || !t2[1])
		return;
	if (line[0] == 'd') {
		strset_add(&j->delivered, t1 + 1);
		return;
	}
	*t2 = '\0';
	if ((line[0] != 's' && line[0] != 'u') || strcmp(t1 + 1, j->generation) != 0)
		return;
	if (strset_add(&j->settled, t2 + 1) && line[0] == 'u')
		strset_add(&j->unrouted, t2 + 1);
}

static int load(struct journal *j, struct gerr *err)
{
	char *text = NULL;
	size_t len = 0;
	if (read_file(j->path, (size_t)1 << 34, &text, &len, err) < 0)
		return -1;
	size_t good = 0;
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		if (!nl)
			break;
		*nl = '\0';
		apply(j, p);
		j->lines++;
		p = nl + 1;
		good = (size_t)(p - text);
	}
	free(text);
	if (good < len && ftruncate(j->fd, (off_t)good) < 0)
		return gerr_sys(err, "%s: cutting off a torn record", j->path);
	return 0;
}

static void add_line(struct buf *b, char kind, const char *a, const char *c)
{
	buf_printf(b, "%c\t%s\t%s\n", kind, a, c);
}

/* Rewrite the file with the live records only. */
static int compact(struct journal *j, struct gerr *err)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (size_t i = 0; i < j->delivered.cap; i++)
		if (j->delivered.slots[i])
			buf_printf(&b, "d\t%s\n", j->delivered.slots[i]);
	for (size_t i = 0; i < j->settled.cap; i++) {
		const char *rel = j->settled.slots[i];
		if (rel)
			add_line(&b, strset_has(&j->unrouted, rel) ? 'u' : 's', j->generation, rel);
	}
	int rc = write_file_atomic(j->path, b.data, b.len, 0600, err);
	buf_free(&b);
	if (rc < 0)
		return -1;
	/* keep the lock: reopen the new file and lock it before the old fd is closed */
	int fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (fd >= 0)
			close(fd);
		return gerr_sys(err, "%s", j->path);
	}
	close(j->fd);
	j->fd = fd;
	j->lines = j->delivered.len + j->settled.len;
	return 0;
}

struct journal *journal_open(const char *state_dir, const char *generation, struct gerr *err)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	char *dir = path_join(state_dir, "forward");
	j->path = path_join(dir, "journal");
	j->generation = xstrdup(generation);
	j->fd = -1;
	if (mkdir_p(dir, 0700, err) < 0)
		goto fail;
	j->fd = open(j->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd < 0) {
		gerr_sys(err, "%s", j->path);
		goto fail;
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			gerr_setk(err, GERR_BUSY, "%s: another forwarder is running (goniec run or goniec forward)",
				 j->path);
		else
			gerr_sys(err, "%s: lock", j->path);
		goto fail;
	}
	if (load(j, err) < 0)
		goto fail;
	size_t live = j->delivered.len + j->settled.len;
	if (j->lines > 2 * live + 10000 && compact(j, err) < 0)
		goto fail;
	free(dir);
	return j;
fail:
	free(dir);
	journal_close(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0) {
		if (j->dirty)
			fdatasync(j->fd);
		close(j->fd);
	}
	strset_free(&j->delivered);
	strset_free(&j->settled);
	strset_free(&j->unrouted);
	free(j->generation);
	free(j->path);
	free(j);
}

static int append(struct journal *j, char kind, const char *a, const char *c, struct gerr *err)
{
	if (!journal_key_ok(a) || !journal_key_ok(c))
		return gerr_set(err, "%s: a name with a TAB or newline cannot be journaled", j->path);
	struct buf b = {0};
	add_line(&b, kind, a, c);
	int rc = write_all(j->fd, b.data, b.len);
	buf_free(&b);
	if (rc < 0)
		return gerr_sys(err, "%s: write", j->path);
	j->lines++;
	j->dirty = true;
	return 0;
}

bool journal_delivered(const struct journal *j, const char *route, const char *relpath)
{
	char *k = dkey(route, relpath);
	bool r = strset_has(&j->delivered, k);
	free(k);
	return r;
}

int journal_mark_delivered(struct journal *j, const char *route, const char *relpath,
			   struct gerr *err)
{
	if (append(j, 'd', route, relpath, err) < 0)
		return -1;
	char *k = dkey(route, relpath);
	strset_add(&j->delivered, k);
	free(k);
	return 0;
}

bool journal_settled(const struct journal *j, const char *relpath)
{
	return strset_has(&j->settled, relpath);
}

int journal_mark_settled(struct journal *j, const char *relpath, bool routed, struct gerr *err)
{
	if (append(j, routed ? 's' : 'u', j->generation, relpath, err) < 0)
		return -1;
	if (strset_add(&j->settled, relpath) && !routed)
		strset_add(&j->unrouted, relpath);
	return 0;
}

size_t journal_unrouted(const struct journal *j)
{
	return j->unrouted.len;
}

size_t journal_delivered_by(const struct journal *j, const char *route)
{
	size_t n = 0, len = strlen(route);
	for (size_t i = 0; i < j->delivered.cap; i++) {
		const char *key = j->delivered.slots[i];
		n += key && strncmp(key, route, len) == 0 && key[len] == '\t';
	}
	return n;
}

int journal_sync(struct journal *j, struct gerr *err)
{
	if (!j->dirty)
		return 0;
	if (fdatasync(j->fd) < 0)
		return gerr_sys(err, "%s: fdatasync", j->path);
	j->dirty = false;
	return 0;
}


int journal_sync_fd(struct journal *j)
{
	if (!j->dirty)
		return -1;
	j->dirty = false;
	return j->fd;
}
