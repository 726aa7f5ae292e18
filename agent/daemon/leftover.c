/* leftover — what a run left behind in a worker; see leftover.h. */
#include "daemon/leftover.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

extern char **environ;

/* Entries of a /proc folder ("." and ".." not counted); -1 when it cannot be read. */
static long count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	long size, resident = -1;
	if (f && fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	if (f)
		fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static char **copy_env(void)
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(environ[i]);
	return copy;
}

static bool same_env(char **copy)
{
	size_t i = 0;
	for (; environ && environ[i]; i++)
		if (!copy[i] || strcmp(copy[i], environ[i]) != 0)
			return false;
	return !copy[i];
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

static void take_std(dev_t *dev, ino_t *ino)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;
		bool ok = fstat(fd, &st) == 0;
		dev[fd] = ok ? st.st_dev : 0;
		ino[fd] = ok ? st.st_ino : 0;
	}
}

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The flags that matter: the C library adds SA_RESTORER to every disposition it sets, so
 * one set back as it was reads with it, and one never set without it. */
static int signal_flags(const struct sigaction *a)
{
	return a->sa_flags & ~SA_RESTORER;
}

static bool same_signals(const struct sigaction *act)
{
	for (int sig = 1; sig < LEFTOVER_SIGNALS; sig++) {
		struct sigaction now;
		if (sigaction(sig, NULL, &now) != 0)
			continue; /* SIGKILL, SIGSTOP */
		if (now.sa_handler != act[sig].sa_handler || signal_flags(&now) != signal_flags(&act[sig]))
			return false;
	}
	return true;
}

void leftover_base_take(struct leftover_base *b)
{
	memset(b, 0, sizeof(*b));
	b->cwd = getcwd(NULL, 0);
	b->env = copy_env();
	for (int sig = 1; sig < LEFTOVER_SIGNALS; sig++)
		sigaction(sig, NULL, &b->act[sig]);
	b->umask = current_umask();
	take_std(b->std_dev, b->std_ino);
	b->fds = count_entries("/proc/self/fd");
	b->rss_kib = rss_kib();
}

static bool same_cwd(const char *cwd)
{
	char *now = getcwd(NULL, 0);
	bool same = now && cwd && strcmp(now, cwd) == 0;
	free(now);
	return same;
}

static bool same_std(const struct leftover_base *b)
{
	dev_t dev[3];
	ino_t ino[3];
	take_std(dev, ino);
	return !memcmp(dev, b->std_dev, sizeof(dev)) && !memcmp(ino, b->std_ino, sizeof(ino));
}

/* Only this thread left. A thread just joined may still be listed for a moment (the
 * kernel wakes the joiner before it has removed the task): looked at again a few times. */
static bool single_thread(void)
{
	for (int i = 0; i < 20; i++) {
		if (count_entries("/proc/self/task") == 1)
			return true;
		usleep(500);
	}
	return false;
}

const char *leftover_find(const struct leftover_base *b)
{
	long fds = count_entries("/proc/self/fd"), rss = rss_kib();
	if (!single_thread())
		return "a running thread";
	if (fds < 0 || b->fds < 0 || fds > b->fds + LEFTOVER_FD_SLACK)
		return "open descriptors";
	if (rss < 0 || b->rss_kib < 0 || rss > b->rss_kib + LEFTOVER_RSS_GROWTH_KIB)
		return "memory past its bound";
	if (!same_cwd(b->cwd))
		return "another working directory";
	if (!same_env(b->env))
		return "a changed environment";
	if (current_umask() != b->umask)
		return "another file mode mask";
	if (!same_signals(b->act))
		return "changed signal handling";
	if (!same_std(b))
		return "stdin, stdout or stderr changed";
	return NULL;
}

void leftover_base_free(struct leftover_base *b)
{
	free(b->cwd);
	for (char **e = b->env; e && *e; e++)
		free(*e);
	free(b->env);
	memset(b, 0, sizeof(*b));
}
