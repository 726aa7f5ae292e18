/* util — allocation, strings, small file helpers shared by every module.
 *
 * Ownership: every x*alloc/xstrdup result is owned by the caller and released with free().
 * The x* allocators never return NULL: on exhaustion they print a message and abort,
 * so callers need no NULL checks (the isync/Postfix "no-fail" rule).
 *
 * Errors: functions that can fail for reasons outside the program (I/O, bad input)
 * return 0 on success and -1 on failure, and describe the failure in a `struct gerr`
 * that the caller owns (usually on the stack). gerr_set() returns -1 so that
 * `return gerr_set(err, "...")` reads naturally. Messages never contain secrets.
 *
 * An error carries its kind (what the caller can do about it) and the errno that caused
 * it, if any. Callers decide by the kind, never by the message text: the message is for a
 * person. gerr_set() and gerr_sys() make a temporary error; gerr_setk() names the kind;
 * gerr_prefix() keeps both kind and errno.
 */
#ifndef GONIEC_UTIL_H
#define GONIEC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <sys/types.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

enum gerr_kind {
	GERR_TEMPORARY = 0, /* may work later: network, server, disk (the default) */
	GERR_PERMANENT,     /* fails the same way until something changes: bad input, config */
	GERR_NEEDS_PERSON,  /* credentials rejected, a one-time code or a consent needed */
	GERR_BUSY,          /* another process holds what is needed: nobody's failure */
};

struct gerr {
	char msg[1024];
	enum gerr_kind kind;
	int sys_errno;      /* the errno gerr_sys() saw; 0 when none */
};

int gerr_set(struct gerr *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Like gerr_set, of the given kind. */
int gerr_setk(struct gerr *err, enum gerr_kind kind, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Like gerr_set, with ": strerror(errno)" appended. */
int gerr_sys(struct gerr *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Prefix an existing message: "<prefix>: <old message>" (kind and errno kept). */
int gerr_prefix(struct gerr *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Change the kind of an error already set; returns -1. */
int gerr_mark(struct gerr *err, enum gerr_kind kind);
/* "temporary", "permanent", "needs-person", "busy". */
const char *gerr_kind_name(enum gerr_kind kind);

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);
/* Overwrite then free a string that held a secret. NULL is fine. */
void free_secret(char *s);

/* A growable NUL-terminated byte buffer. */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_append(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Hand the string over to the caller (never NULL) and reset the buffer. */
char *buf_take(struct buf *b);
void buf_free(struct buf *b);

/* A NULL-terminated, owned array of owned strings. */
struct strlist {
	char **items;
	size_t len;
};
void strlist_add(struct strlist *l, const char *s);
bool strlist_contains(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);
/* Sort the strings in byte order (strcmp); an empty list is left as it is. */
void strlist_sort(struct strlist *l);

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
/* Case-insensitive (ASCII) glob match where only '*' is special. */
bool wildcard_match(const char *pattern, const char *text);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Join a directory and a name with one '/'. */
char *path_join(const char *dir, const char *name);
/* mkdir -p with the given mode for created directories. */
int mkdir_p(const char *path, mode_t mode, struct gerr *err);
/* mkdir_p(), and each directory it creates made durable at once (its parent fsynced), so
 * that a file later synced in it cannot vanish with it after a crash. */
int mkdir_p_durable(const char *path, mode_t mode, struct gerr *err);
/* fsync a directory by path. */
int fsync_dir(const char *path, struct gerr *err);
/* The next entry of d, or NULL at its end or on a read error: readdir() returns NULL for
 * both, and only errno tells them apart, so *error is set to readdir()'s errno on an error
 * (and left alone at the end). A caller that stopped at NULL checks *error before taking
 * what it listed for the whole directory. */
struct dirent *dir_next(DIR *d, int *error);
/* The names of dir's .yaml and .yml files (dot files left out), sorted, appended to out.
 * A folder that does not exist holds none (0). -1 with err naming the folder when it
 * cannot be opened or read to its end: then nothing is appended (what a partial listing
 * would leave out — conf.d/banks maps, invoice field rules — must not go missing quietly). */
int yaml_files_of(const char *dir, struct strlist *out, struct gerr *err);
/* Read fd to its end in chunks, handing each to sink (which returns -1 with err set to
 * stop). `what` names the input in a read error. Returns 0, or -1 with err set. */
int read_chunks(int fd, int (*sink)(void *ctx, const void *data, size_t len, struct gerr *err),
		void *ctx, const char *what, struct gerr *err);
/* Read a whole (small) regular file; the result is NUL-terminated. max caps its size.
 * Anything else (a FIFO, socket, device or directory) is refused without waiting. */
int read_file(const char *path, size_t max, char **out, size_t *len, struct gerr *err);
/* Write a whole file atomically: temp in the same dir, fsync, rename, fsync dir. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct gerr *err);
/* The same without the fsyncs: a reader sees the old or the new content, never a mix,
 * but after a power loss the file may be old or empty. For a file rewritten often that
 * nothing depends on (a status view), where waiting for the disk would cost more. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		       struct gerr *err);
/* write(2) all of it, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);

/* Monotonic clock in milliseconds. */
int64_t now_ms(void);
/* Sleep this long (the rest again after a signal). */
void sleep_ms(int64_t ms);

#endif
