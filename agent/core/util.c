/* util — see util.h. */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/utf8.h"

/* A message cut at the end of its buffer ends with whole UTF-8 characters: a sequence
 * the cut left incomplete is dropped. */
static void drop_cut_character(char *msg, size_t cap)
{
	size_t n = strlen(msg);
	if (n + 1 < cap)
		return;
	size_t lead = n;
	while (lead > 0 && ((unsigned char)msg[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead == 0 || (unsigned char)msg[lead - 1] < 0xC0)
		return;
	unsigned char c = (unsigned char)msg[lead - 1];
	size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
	if (n - (lead - 1) < want)
		msg[lead - 1] = '\0';
}

static int gerr_vset(struct gerr *err, const char *fmt, va_list ap)
{
	if (err) {
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		drop_cut_character(err->msg, sizeof err->msg);
		utf8_scrub(err->msg); /* what it quotes of outside data may not be UTF-8 */
	}
	return -1;
}

static void gerr_classify(struct gerr *err, enum gerr_kind kind, int sys_errno)
{
	if (err) {
		err->kind = kind;
		err->sys_errno = sys_errno;
	}
}

int gerr_set(struct gerr *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gerr_vset(err, fmt, ap);
	va_end(ap);
	gerr_classify(err, GERR_TEMPORARY, 0);
	return -1;
}

int gerr_setk(struct gerr *err, enum gerr_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gerr_vset(err, fmt, ap);
	va_end(ap);
	gerr_classify(err, kind, 0);
	return -1;
}

int gerr_mark(struct gerr *err, enum gerr_kind kind)
{
	if (err)
		err->kind = kind;
	return -1;
}

const char *gerr_kind_name(enum gerr_kind kind)
{
	static const char *const names[] = {"temporary", "permanent", "needs-person", "busy"};
	return (unsigned)kind < ARRAY_LEN(names) ? names[kind] : "unknown";
}

int gerr_sys(struct gerr *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	gerr_vset(err, fmt, ap);
	va_end(ap);
	if (err) {
		size_t len = strlen(err->msg);
		snprintf(err->msg + len, sizeof err->msg - len, ": %s", strerror(saved));
	}
	gerr_classify(err, GERR_TEMPORARY, saved);
	errno = saved;
	return -1;
}

int gerr_prefix(struct gerr *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char old[sizeof err->msg];
	memcpy(old, err->msg, sizeof old);
	va_list ap;
	va_start(ap, fmt);
	gerr_vset(err, fmt, ap);
	va_end(ap);
	size_t len = strlen(err->msg);
	snprintf(err->msg + len, sizeof err->msg - len, ": %s", old);
	drop_cut_character(err->msg, sizeof err->msg);
	return -1;
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("goniec: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n) { return check_alloc(malloc(n ? n : 1)); }
void *xcalloc(size_t count, size_t n) { return check_alloc(calloc(count ? count : 1, n ? n : 1)); }
void *xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check_alloc(strdup(s)); }
char *xstrndup(const char *s, size_t n) { return check_alloc(strndup(s, n)); }

char *xvasprintf(const char *fmt, va_list ap)
{
	char *out = NULL;
	if (vasprintf(&out, fmt, ap) < 0)
		check_alloc(NULL);
	return out;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = xvasprintf(fmt, ap);
	va_end(ap);
	return out;
}

void free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
	free(s);
}

char *buf_take(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void strlist_add(struct strlist *l, const char *s)
{
	l->items = xrealloc(l->items, (l->len + 2) * sizeof *l->items);
	l->items[l->len++] = xstrdup(s);
	l->items[l->len] = NULL;
}

bool strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->len; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

static int strlist_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
	if (l->len > 1)
		qsort(l->items, l->len, sizeof *l->items, strlist_cmp);
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->len = 0;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

bool wildcard_match(const char *p, const char *t)
{
	const char *star = NULL, *resume = NULL;
	while (*t) {
		if (*p == '*') {
			star = p++;
			resume = t;
		} else if (*p && tolower((unsigned char)*p) == tolower((unsigned char)*t)) {
			p++;
			t++;
		} else if (star) {
			p = star + 1;
			t = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

char *path_join(const char *dir, const char *name)
{
	size_t l = strlen(dir);
	if (l && dir[l - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

/* After mkdir of path made it: its parent synced when durable. */
static int made_dir(const char *path, bool durable, struct gerr *err)
{
	const char *slash = strrchr(path, '/');
	if (!durable || !slash)
		return 0;
	char *parent = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	int rc = fsync_dir(parent, err);
	free(parent);
	return rc;
}

static int make_dirs(const char *path, mode_t mode, bool durable, struct gerr *err)
{
	/* The usual cases in one call: the directory is there, or only its last part is new
	 * (a run's state folder, the day's folder of a source); each part from the root
	 * otherwise. */
	if (mkdir(path, mode) == 0)
		return made_dir(path, durable, err);
	struct stat st;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	char *p = xstrdup(path);
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		bool made = mkdir(p, mode) == 0;
		if (!made && errno != EEXIST) {
			gerr_sys(err, "cannot create directory %s", p);
			free(p);
			return -1;
		}
		if (made && made_dir(p, durable, err) != 0) {
			free(p);
			return -1;
		}
		*s = saved;
		if (!saved)
			break;
	}
	int rc = 0;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		rc = gerr_set(err, "%s is not a directory", path);
	free(p);
	return rc;
}

int mkdir_p(const char *path, mode_t mode, struct gerr *err)
{
	return make_dirs(path, mode, false, err);
}

int mkdir_p_durable(const char *path, mode_t mode, struct gerr *err)
{
	return make_dirs(path, mode, true, err);
}

int fsync_dir(const char *path, struct gerr *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gerr_sys(err, "cannot open directory %s", path);
	/* Some network file systems refuse fsync on directories; rename is durable there
	 * once the server answered, so EINVAL is not an error. */
	int rc = 0;
	if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
		rc = gerr_sys(err, "cannot sync directory %s", path);
	close(fd);
	return rc;
}

struct dirent *dir_next(DIR *d, int *error)
{
	errno = 0;
	struct dirent *e = readdir(d);
	if (!e && errno)
		*error = errno;
	return e;
}

int yaml_files_of(const char *dir, struct strlist *out, struct gerr *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : gerr_sys(err, "cannot read folder %s", dir);
	struct strlist names = {0};
	int error = 0;
	for (struct dirent *e; (e = dir_next(d, &error));)
		if (e->d_name[0] != '.' && (str_ends_with(e->d_name, ".yaml") || str_ends_with(e->d_name, ".yml")))
			strlist_add(&names, e->d_name);
	closedir(d);
	if (error) {
		strlist_free(&names);
		errno = error;
		return gerr_sys(err, "cannot read folder %s", dir);
	}
	strlist_sort(&names);
	for (size_t i = 0; i < names.len; i++)
		strlist_add(out, names.items[i]);
	strlist_free(&names);
	return 0;
}

int read_chunks(int fd, int (*sink)(void *ctx, const void *data, size_t len, struct gerr *err),
		void *ctx, const char *what, struct gerr *err)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return gerr_sys(err, "cannot read %s", what);
		if (n == 0)
			return 0;
		if (sink(ctx, chunk, (size_t)n, err) != 0)
			return -1;
	}
}

struct capped_buf {
	struct buf b;
	size_t max;
	const char *path;
};

static int append_capped(void *ctx, const void *data, size_t len, struct gerr *err)
{
	struct capped_buf *cb = ctx;
	if (cb->b.len + len > cb->max)
		return gerr_set(err, "%s is larger than %zu bytes", cb->path, cb->max);
	buf_append(&cb->b, data, len);
	return 0;
}

static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a plain file";
}

int read_file(const char *path, size_t max, char **out, size_t *len, struct gerr *err)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 && errno == ENXIO && stat(path, &st) == 0) /* a socket */
		return gerr_set(err, "%s is %s, not a regular file", path, file_kind(st.st_mode));
	if (fd < 0)
		return gerr_sys(err, "cannot open %s", path);
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = gerr_sys(err, "cannot read %s", path);
	else if (!S_ISREG(st.st_mode))
		rc = gerr_set(err, "%s is %s, not a regular file", path, file_kind(st.st_mode));
	if (rc != 0) {
		close(fd);
		return -1;
	}
	struct capped_buf cb = {.max = max, .path = path};
	rc = read_chunks(fd, append_capped, &cb, path, err);
	close(fd);
	if (rc != 0) {
		buf_free(&cb.b);
		return -1;
	}
	if (len)
		*len = cb.b.len;
	*out = buf_take(&cb.b); /* "" for an empty file */
	return 0;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int replace_file(const char *path, const void *data, size_t len, mode_t mode,
			bool durable, struct gerr *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	char *tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		gerr_sys(err, "cannot create %s", tmp);
		goto out;
	}
	if (write_all(fd, data, len) != 0 || (durable && fsync(fd) != 0)) {
		gerr_sys(err, "cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0) {
		gerr_sys(err, "cannot write %s", tmp);
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		gerr_sys(err, "cannot rename %s to %s", tmp, path);
		unlink(tmp);
		goto out;
	}
	rc = durable ? fsync_dir(dir, err) : 0;
out:
	free(tmp);
	free(dir);
	return rc;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct gerr *err)
{
	return replace_file(path, data, len, mode, true, err);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		       struct gerr *err)
{
	return replace_file(path, data, len, mode, false, err);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
