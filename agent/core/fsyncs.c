/* fsyncs — see fsyncs.h. */
#include "core/fsyncs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One fsync_all() call: its targets, taken one at a time by the caller and the workers. */
struct job {
	const struct sync_target *v;
	size_t n, taken, finished;
	bool failed;
	struct gerr err;           /* the first failure */
	pthread_cond_t finished_all;
	struct job *next;          /* in the queue while some target is not taken */
};

/* The workers, kept from one call to the next: on a quiet disk a thread costs more to
 * start than the fdatasync it would do (a spool flush of a 1 MiB FETCH started ~30). Each
 * process has its own: a child forked while some were running starts with none. Idle ones
 * end after FSYNC_IDLE_MS; fsync_pool_stop() ends them at once and joins them. */
#define POOL_WORKERS (FSYNC_THREADS - 1) /* with the caller, FSYNC_THREADS at once */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;       /* a job was queued, or stop */
	struct job *queue;
	pthread_t threads[POOL_WORKERS];
	bool running[POOL_WORKERS], ended[POOL_WORKERS]; /* ended: to be joined */
	unsigned workers, idle;
	bool stopping;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
	pthread_mutex_lock(&pool.mu);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&pool.mu);
}

/* The child has none of the parent's threads and none of its calls in progress. */
static void after_fork_child(void)
{
	memset(pool.running, 0, sizeof pool.running);
	memset(pool.ended, 0, sizeof pool.ended);
	pool.queue = NULL;
	pool.workers = pool.idle = 0;
	pool.stopping = false;
	pthread_cond_init(&pool.work, NULL);
	pthread_mutex_init(&pool.mu, NULL);
}

static void register_fork_handlers(void)
{
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

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

/* Under pool.mu: the next target of j; j leaves the queue with its last one. */
static size_t take(struct job *j)
{
	size_t i = j->taken++;
	if (j->taken == j->n)
		for (struct job **p = &pool.queue; *p; p = &(*p)->next)
			if (*p == j) {
				*p = j->next;
				break;
			}
	return i;
}

/* Sync target i of j, pool.mu dropped meanwhile; counted as finished under it. */
static void sync_taken(struct job *j, size_t i)
{
	pthread_mutex_unlock(&pool.mu);
	struct gerr e;
	int rc = sync_one(&j->v[i], &e);
	pthread_mutex_lock(&pool.mu);
	if (rc != 0 && !j->failed) {
		j->err = e;
		j->failed = true;
	}
	if (++j->finished == j->n)
		pthread_cond_signal(&j->finished_all);
}

/* Under pool.mu: wait for work; false when the worker should end. */
static bool wait_for_work(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)FSYNC_IDLE_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pool.idle++;
	int rc = 0;
	while (!pool.queue && !pool.stopping && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&pool.work, &pool.mu, &until);
	pool.idle--;
	return pool.queue != NULL;
}

static void *worker(void *arg)
{
	size_t slot = (size_t)(uintptr_t)arg;
	pthread_mutex_lock(&pool.mu);
	while (pool.queue || wait_for_work()) {
		struct job *j = pool.queue;
		sync_taken(j, take(j));
	}
	pool.workers--;
	pool.ended[slot] = true;
	pthread_mutex_unlock(&pool.mu);
	return NULL;
}

/* Under pool.mu: join the workers that ended. */
static void reap(void)
{
	for (size_t k = 0; k < POOL_WORKERS; k++)
		if (pool.ended[k]) {
			pthread_join(pool.threads[k], NULL);
			pool.ended[k] = pool.running[k] = false;
		}
}

/* Under pool.mu: `wanted` workers ready for a new job, the idle ones first. */
static void staff(size_t wanted)
{
	reap();
	size_t ready = pool.idle;
	for (size_t k = 0; k < POOL_WORKERS && ready < wanted; k++) {
		if (pool.running[k])
			continue;
		if (fsync_thread_start(&pool.threads[k], worker, (void *)(uintptr_t)k) != 0)
			break;
		pool.running[k] = true;
		pool.workers++;
		ready++;
	}
	pthread_cond_broadcast(&pool.work);
}

int fsync_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int rc = pthread_attr_init(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_setstacksize(&attr, FSYNC_THREAD_STACK);
	/* started with every signal blocked: a signal for the process is for the threads
	 * that do its work, not for one that syncs (a pool thread lives on between calls) */
	sigset_t all, was;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &was);
	if (rc == 0)
		rc = pthread_create(thread, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

int fsync_all(const struct sync_target *v, size_t n, struct gerr *err)
{
	struct job j = {.v = v, .n = n};
	if (n == 0)
		return 0;
	pthread_once(&fork_handlers_once, register_fork_handlers);
	pthread_cond_init(&j.finished_all, NULL);
	pthread_mutex_lock(&pool.mu);
	if (n > 1) { /* one target needs no thread; the caller's thread is a worker too */
		j.next = pool.queue;
		pool.queue = &j;
		staff(n - 1 < POOL_WORKERS ? n - 1 : POOL_WORKERS);
	}
	while (j.taken < j.n)
		sync_taken(&j, take(&j));
	while (j.finished < j.n)
		pthread_cond_wait(&j.finished_all, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
	pthread_cond_destroy(&j.finished_all);
	if (!j.failed)
		return 0;
	*err = j.err;
	return -1;
}

void fsync_pool_stop(void)
{
	pthread_mutex_lock(&pool.mu);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.work);
	for (size_t k = 0; k < POOL_WORKERS; k++)
		if (pool.running[k]) {
			pthread_t t = pool.threads[k];
			pthread_mutex_unlock(&pool.mu);
			pthread_join(t, NULL);
			pthread_mutex_lock(&pool.mu);
			pool.running[k] = pool.ended[k] = false;
		}
	pool.stopping = false;
	pthread_mutex_unlock(&pool.mu);
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
