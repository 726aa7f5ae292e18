/* syncer — see syncer.h. */
#include "forward/syncer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum sync_state { SYNC_IDLE, SYNC_POSTED, SYNC_DONE, SYNC_QUIT };

struct syncer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	enum sync_state state;
	struct target_job *const *jobs;
	size_t n;
	int rc;
	struct gerr err;
};

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
		int rc = s->jobs[0]->type->commit(s->jobs, s->n, &s->err);
		pthread_mutex_lock(&s->mu);
		s->rc = rc;
		s->state = SYNC_DONE;
		pthread_cond_broadcast(&s->cv);
		uint64_t one = 1;
		if (write(s->efd, &one, sizeof(one)) < 0) {
			/* cannot fail: the counter is read after every sync */
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

bool syncer_busy(struct syncer *s)
{
	pthread_mutex_lock(&s->mu);
	bool busy = s->state != SYNC_IDLE;
	pthread_mutex_unlock(&s->mu);
	return busy;
}

void syncer_post(struct syncer *s, struct target_job *const *jobs, size_t n)
{
	pthread_mutex_lock(&s->mu);
	s->jobs = jobs;
	s->n = n;
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
