/* fsyncs — see fsyncs.h. */
#include "core/fsyncs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
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

int fsync_all(const struct sync_target *v, size_t n, struct gerr *err)
{
	struct pool p = {.v = v, .n = n};
	pthread_t threads[FSYNC_THREADS];
	size_t nthreads = 0;
	pthread_mutex_init(&p.mu, NULL);
	/* one target needs no thread; the caller's thread is a worker too */
	while (n > 1 && nthreads < FSYNC_THREADS - 1 && nthreads + 1 < n &&
	       pthread_create(&threads[nthreads], NULL, worker, &p) == 0)
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
