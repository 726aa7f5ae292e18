/* syncer — see syncer.h. */
#include "forward/syncer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/testhook.h"

enum sync_state { SYNC_IDLE, SYNC_POSTED, SYNC_DONE, SYNC_QUIT };

struct syncer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	enum sync_state state;
	struct target_job *const *jobs;
	size_t n;
	enum deliver_status *st;
	struct gerr *errs;
	int datasync_fd;
	int rc;                /* of the fdatasync */
	struct gerr err;
	const char *wait_for;  /* test build: GONIEC_FORWARD_SYNC_WAIT */
	const char *journal_wait_for; /* test build: GONIEC_FORWARD_JOURNAL_WAIT */
};

void group_carry_out(struct target_job *const *jobs, size_t n, enum deliver_status *st,
		     struct gerr *errs)
{
	if (!n)
		return;
	struct gerr err = {0};
	if (jobs[0]->type->commit(jobs, n, &err) == 0) {
		jobs[0]->type->deliver(jobs, n, st, errs);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		st[i] = DELIVER_RETRY;
		errs[i] = err;
	}
}

/* A test's slow sync: wait while the file is missing. */
static void test_wait(const char *path)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	while (path && access(path, F_OK) < 0)
		nanosleep(&tick, NULL);
}

/* The journal's fdatasync, in a thread of its own while the group is carried out. */
struct datasync {
	int fd;
	const char *wait_for;  /* test build: GONIEC_FORWARD_JOURNAL_WAIT */
	int rc;
	struct gerr err;
};

static void *datasync(void *arg)
{
	struct datasync *d = arg;
	if (d->fd < 0)
		return NULL;
	test_wait(d->wait_for);
	if (fdatasync(d->fd) < 0)
		d->rc = gerr_sys(&d->err, "the delivery journal: fdatasync");
	return NULL;
}

/* The journal's records and the group made durable side by side: neither depends on the
 * other (the records are of groups done before), and on a busy disk each waits in the
 * device's queue — one wait instead of two. */
static void carry_out_with_journal(struct syncer *s, struct datasync *d)
{
	pthread_t t;
	bool apart = d->fd >= 0 && s->n && pthread_create(&t, NULL, datasync, d) == 0;
	if (!apart)
		datasync(d);
	group_carry_out(s->jobs, s->n, s->st, s->errs);
	if (apart)
		pthread_join(t, NULL);
}

static void *run(void *arg)
{
	struct syncer *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->state != SYNC_POSTED && s->state != SYNC_QUIT)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->state == SYNC_QUIT)
			break;
		pthread_mutex_unlock(&s->mu);
		test_wait(s->wait_for);
		struct datasync d = {.fd = s->datasync_fd,
				     .wait_for = s->n ? s->journal_wait_for : NULL};
		carry_out_with_journal(s, &d);
		pthread_mutex_lock(&s->mu);
		s->rc = d.rc;
		s->err = d.err;
		s->state = SYNC_DONE;
		pthread_cond_broadcast(&s->cv);
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* cannot fail: the counter is read after every group */
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct syncer *syncer_start(struct gerr *err)
{
	struct syncer *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->wait_for = test_hook_env("GONIEC_FORWARD_SYNC_WAIT");
	s->journal_wait_for = test_hook_env("GONIEC_FORWARD_JOURNAL_WAIT");
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
		gerr_sys(err, "cannot start the sync thread");
		if (s->efd >= 0)
			close(s->efd);
		free(s);
		return NULL;
	}
	return s;
}

void syncer_stop(struct syncer *s)
{
	if (!s)
		return;
	struct gerr err;
	syncer_collect(s, true, &err);
	pthread_mutex_lock(&s->mu);
	s->state = SYNC_QUIT;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	close(s->efd);
	free(s);
}

int syncer_fd(const struct syncer *s)
{
	return s->efd;
}

void syncer_post(struct syncer *s, struct target_job *const *jobs, size_t n,
		 enum deliver_status *st, struct gerr *errs, int datasync_fd)
{
	pthread_mutex_lock(&s->mu);
	s->jobs = jobs;
	s->n = n;
	s->st = st;
	s->errs = errs;
	s->datasync_fd = datasync_fd;
	s->state = SYNC_POSTED;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int syncer_collect(struct syncer *s, bool wait, struct gerr *err)
{
	pthread_mutex_lock(&s->mu);
	while (wait && s->state == SYNC_POSTED)
		pthread_cond_wait(&s->cv, &s->mu);
	int rc = 1;
	if (s->state == SYNC_DONE) {
		rc = s->rc;
		if (rc < 0)
			*err = s->err;
		s->state = SYNC_IDLE;
		uint64_t v;
		if (read(s->efd, &v, sizeof(v)) < 0) {
			/* already read: nothing pending */
		}
	} else if (s->state == SYNC_IDLE) {
		rc = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
