/* testutil — shared helpers for cmocka unit tests: scratch directories and file helpers.
 * Everything is static inline so each test binary stays one file. */
#ifndef GONIEC_TESTUTIL_H
#define GONIEC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "core/util.h"

/* A fresh scratch directory under /tmp; the caller frees the string and removes it
 * with rm_rf(). */
static inline char *scratch_dir(void)
{
	char tmpl[] = "/tmp/goniec-unit.XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return xstrdup(d);
}

/* CPU time this process has used, in milliseconds: for bounds that a busy machine
 * must not break (the wall clock stretches under load, CPU time hardly does). */
static inline int64_t cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static inline void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A scratch directory with spool/ and state/ folders in it (mode 0700); the caller
 * releases the three with free_spool_tree(). */
struct spool_tree {
	char *dir, *spool, *state;
};

static inline void make_spool_tree(struct spool_tree *t)
{
	t->dir = scratch_dir();
	t->spool = path_join(t->dir, "spool");
	t->state = path_join(t->dir, "state");
	assert_int_equal(mkdir(t->spool, 0700), 0);
	assert_int_equal(mkdir(t->state, 0700), 0);
}

static inline void free_spool_tree(struct spool_tree *t)
{
	rm_rf(t->dir);
	free(t->dir);
	free(t->spool);
	free(t->state);
}

/* A program built beside the test binaries' folder (build/tests/../NAME), such as the
 * PDF text worker; the caller frees the string. */
static inline char *built_program(const char *argv0, const char *name)
{
	char *self = xstrdup(argv0);
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	char *p = xasprintf("%s/../%s", slash ? self : ".", name);
	free(self);
	return p;
}

#endif
