/* fsyncs — see fsyncs.h. */
#include "core/fsyncs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pool {
	const struct sync_target *v;
	size_t n, next;
	pthread_mutex_t mu;
	bool failed;
	struct gerr err;
};

static int sync_one(const struct sync_target *t, struct gerr *err)
{
	int fd = openat(t->dirfd, t->path, O_RDONLY | O_CLOEXEC | (t->dir ? O_DIRECTORY : 0));
	if (fd < 0)
		return gerr_sys(err, "cannot open %s to sync it", t->path);
	int rc = 0;
	if (t->dir ? fsync(fd) != 0 && errno != EINVAL && errno != EROFS : fdatasync(fd) != 0)
		rc = gerr_sys(err, "cannot sync %s", t->path);
	close(fd);
	return rc;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			return NULL;
		struct gerr e;
		if (sync_one(&p->v[i], &e) == 0)
			continue;
		pthread_mutex_lock(&p->mu);
		if (!p->failed)
			p->err = e;
		p->failed = true;
		pthread_mutex_unlock(&p->mu);
	}
}

int fsync_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, FSYNC_THREAD_STACK);
	if (rc == 0)
		rc = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc;
}

int fsync_all(const struct sync_target *v, size_t n, struct gerr *err)
{
	struct pool p = {.v = v, .n = n};
	pthread_t threads[FSYNC_THREADS];
	size_t nthreads = 0;
	pthread_mutex_init(&p.mu, NULL);
	/* one target needs no thread; the caller's thread is a worker too */
	while (n > 1 && nthreads < FSYNC_THREADS - 1 && nthreads + 1 < n &&
	       fsync_thread_start(&threads[nthreads], worker, &p) == 0)
		nthreads++;
	worker(&p);
	for (size_t i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&p.mu);
	if (!p.failed)
		return 0;
	*err = p.err;
	return -1;
}

/* Bytes the system holds unwritten (Dirty + Writeback of /proc/meminfo); UINT64_MAX when
 * that cannot be read. */
static uint64_t unwritten_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[128];
	uint64_t total = 0;
	int seen = 0;
	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof line, f)) {
		unsigned long long kb;
		/* only the two lines are scanned (a scanf per line of ~55 was ~1.5 % of a daemon
		 * run's CPU) */
		bool wanted = str_starts_with(line, "Dirty:") || str_starts_with(line, "Writeback:");
		if (wanted && sscanf(strchr(line, ':') + 1, " %llu kB", &kb) == 1) {
			total += (uint64_t)kb << 10;
			seen++;
		}
	}
	fclose(f);
	return seen == 2 ? total : UINT64_MAX;
}

/* One syncfs per file system of the targets; false (nothing done) when a target cannot be
 * looked at or others' unwritten data would make it dear. */
static bool try_syncfs(const struct sync_target *v, size_t n, int *rc, struct gerr *err)
{
	dev_t *devs = xcalloc(n + 1, sizeof *devs);
	size_t *first = xcalloc(n + 1, sizeof *first), ndevs = 0;
	uint64_t own = 0;
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		struct stat st;
		ok = fstatat(v[i].dirfd, v[i].path, &st, 0) == 0;
		own += ok && !v[i].dir ? (uint64_t)st.st_size : 0;
		size_t k = 0;
		while (ok && k < ndevs && devs[k] != st.st_dev)
			k++;
		if (ok && k == ndevs) {
			devs[ndevs] = st.st_dev;
			first[ndevs++] = i;
		}
	}
	uint64_t dirty = ok ? unwritten_bytes() : UINT64_MAX;
	ok = ok && dirty != UINT64_MAX && dirty <= own + FSYNC_FS_SLACK;
	*rc = 0;
	for (size_t k = 0; ok && k < ndevs && *rc == 0; k++) {
		const struct sync_target *t = &v[first[k]];
		int fd = openat(t->dirfd, t->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) != 0)
			*rc = gerr_sys(err, "cannot sync the file system of %s", t->path);
		if (fd >= 0)
			close(fd);
	}
	free(devs);
	free(first);
	return ok;
}

int fsync_group(const struct sync_target *v, size_t n, struct gerr *err)
{
	int rc;
	if (n > 1 && try_syncfs(v, n, &rc, err))
		return rc;
	return fsync_all(v, n, err);
}
