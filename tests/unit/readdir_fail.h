/* readdir_fail — a disk error in the middle of listing one directory, for the unit tests
 * of code that lists directories. Include it in one test file only: the readdir() it
 * defines replaces libc's for every goniec object linked into that test binary.
 *
 * readdir_fail_at(path, n) lets n entries of directories opened on path through, then
 * readdir() on them returns NULL with errno EIO, as getdents64() does when the disk fails
 * (readdir() returns NULL at the end of a directory too; only errno tells them apart).
 * readdir_fail_at(NULL, 0) ends it. Other directories are read as usual. */
#ifndef GONIEC_TEST_READDIR_FAIL_H
#define GONIEC_TEST_READDIR_FAIL_H

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char readdir_fail_path[PATH_MAX];
static long readdir_fail_left;

static inline void readdir_fail_at(const char *path, long n)
{
	readdir_fail_path[0] = '\0';
	if (path && !realpath(path, readdir_fail_path))
		readdir_fail_path[0] = '\0';
	readdir_fail_left = n;
}

static bool readdir_fail_here(DIR *d)
{
	char link[64], target[PATH_MAX];
	if (!readdir_fail_path[0])
		return false;
	snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd(d));
	ssize_t n = readlink(link, target, sizeof target - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, readdir_fail_path) == 0;
}

struct dirent *readdir(DIR *d)
{
	static struct dirent *(*real)(DIR *);
	if (!real)
		real = (struct dirent * (*)(DIR *)) dlsym(RTLD_NEXT, "readdir");
	if (readdir_fail_here(d) && readdir_fail_left-- <= 0) {
		errno = EIO;
		return NULL;
	}
	return real(d);
}

#endif
