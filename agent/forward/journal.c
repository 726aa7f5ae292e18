#include "forward/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct journal {
	char *path;
	int fd;
	json_t *delivered; /* "route\trelpath" -> true */
	json_t *settled;   /* relpath -> generation */
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

/* Apply one record (without its newline); unknown records are skipped. */
static void apply(struct journal *j, char *line)
{
	char *t1 = strchr(line, '\t');
	char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	if (!t2 || t1 != line + 1 || !t2[1])
		return;
	if (line[0] == 'd') {
		json_object_set_new_nocheck(j->delivered, t1 + 1, json_true());
	} else if (line[0] == 's' || line[0] == 'u') {
		*t2 = '\0';
		line[1] = line[0]; /* the value keeps the kind: "s<gen>" or "u<gen>" */
		json_object_set_new_nocheck(j->settled, t2 + 1, json_string_nocheck(line + 1));
	}
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
	const char *key;
	json_t *v;
	buf_puts(&b, "");
	json_object_foreach(j->delivered, key, v)
		buf_printf(&b, "d\t%s\n", key);
	json_object_foreach(j->settled, key, v)
		add_line(&b, json_string_value(v)[0], json_string_value(v) + 1, key);
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
	j->lines = json_object_size(j->delivered) + json_object_size(j->settled);
	return 0;
}

struct journal *journal_open(const char *state_dir, struct gerr *err)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	char *dir = path_join(state_dir, "forward");
	j->path = path_join(dir, "journal");
	j->delivered = json_object();
	j->settled = json_object();
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
			gerr_set(err, "%s: another forwarder is running (goniec run or goniec forward)",
				 j->path);
		else
			gerr_sys(err, "%s: lock", j->path);
		goto fail;
	}
	if (load(j, err) < 0)
		goto fail;
	size_t live = json_object_size(j->delivered) + json_object_size(j->settled);
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
	json_decref(j->delivered);
	json_decref(j->settled);
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
	bool r = json_object_get(j->delivered, k) != NULL;
	free(k);
	return r;
}

int journal_mark_delivered(struct journal *j, const char *route, const char *relpath,
			   struct gerr *err)
{
	if (append(j, 'd', route, relpath, err) < 0)
		return -1;
	char *k = dkey(route, relpath);
	json_object_set_new_nocheck(j->delivered, k, json_true());
	free(k);
	return 0;
}

bool journal_settled(const struct journal *j, const char *relpath, const char *generation)
{
	const char *g = json_string_value(json_object_get(j->settled, relpath));
	return g && strcmp(g + 1, generation) == 0;
}

int journal_mark_settled(struct journal *j, const char *relpath, const char *generation,
			 bool routed, struct gerr *err)
{
	char kind = routed ? 's' : 'u';
	if (append(j, kind, generation, relpath, err) < 0)
		return -1;
	char *v = xasprintf("%c%s", kind, generation);
	json_object_set_new_nocheck(j->settled, relpath, json_string_nocheck(v));
	free(v);
	return 0;
}

size_t journal_unrouted(const struct journal *j, const char *generation)
{
	const char *key;
	json_t *v;
	size_t n = 0;
	json_object_foreach(j->settled, key, v) {
		const char *g = json_string_value(v);
		n += g[0] == 'u' && strcmp(g + 1, generation) == 0;
	}
	return n;
}

size_t journal_delivered_by(const struct journal *j, const char *route)
{
	const char *key;
	json_t *v;
	size_t n = 0, len = strlen(route);
	json_object_foreach(j->delivered, key, v)
		n += strncmp(key, route, len) == 0 && key[len] == '\t';
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

