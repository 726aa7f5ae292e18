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
#include <cmocka.h>

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
