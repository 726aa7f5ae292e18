/* fwdproc — the supervised forwarder process; see fwdproc.h. */
#include "daemon/fwdproc.h"

#include <sys/wait.h>

#include "core/log.h"

void fwdproc_init(struct fwdproc *f)
{
	*f = (struct fwdproc){.restart_at_ms = now_ms(), .backoff_ms = FWDPROC_BACKOFF_MIN_MS,
			      .wanted = true};
	f->w.fd = -1;
}

static void plan_restart(struct fwdproc *f)
{
	f->restart_at_ms = now_ms() + f->backoff_ms;
	f->backoff_ms = f->backoff_ms * 2 > FWDPROC_BACKOFF_MAX_MS ? FWDPROC_BACKOFF_MAX_MS
								   : f->backoff_ms * 2;
}

void fwdproc_start(struct fwdproc *f, char *const *argv)
{
	struct gerr err = {0};
	f->restart_at_ms = INT64_MAX;
	if (worker_spawn(&f->w, argv, 0, &err) < 0) {
		log_error("forwarder: cannot start: %s; retrying in %lld s", err.msg,
			  (long long)(f->backoff_ms / 1000));
		plan_restart(f);
		return;
	}
	log_info("forwarder: started (pid %d)", (int)f->w.pid);
}

bool fwdproc_due(const struct fwdproc *f, int64_t now)
{
	return !f->w.pid && f->restart_at_ms <= now;
}

void fwdproc_exited(struct fwdproc *f, int wstatus, bool stopping)
{
	int64_t ran = now_ms() - f->w.started_ms;
	struct worker_result res;
	worker_finish(&f->w, wstatus, &res);
	if (stopping) {
		log_info("forwarder: stopped");
	} else if (!f->wanted) {
		log_info("forwarder: stopped: the configuration has no routes");
	} else if (f->restart_now) {
		f->restart_now = false;
		f->restart_at_ms = now_ms();
	} else {
		if (ran >= FWDPROC_STABLE_MS)
			f->backoff_ms = FWDPROC_BACKOFF_MIN_MS;
		if (WIFSIGNALED(wstatus))
			log_error("forwarder: killed by signal %d; restarting in %lld s",
				  WTERMSIG(wstatus), (long long)(f->backoff_ms / 1000));
		else
			log_error("forwarder: exited with status %d; restarting in %lld s",
				  WEXITSTATUS(wstatus), (long long)(f->backoff_ms / 1000));
		plan_restart(f);
		f->restarts++;
	}
	worker_result_free(&res);
}

void fwdproc_want(struct fwdproc *f, bool wanted)
{
	if (wanted == f->wanted)
		return;
	f->wanted = wanted;
	if (wanted) {
		if (!f->w.pid)
			f->restart_at_ms = now_ms();
		else if (f->w.term_sent)
			f->restart_now = true; /* still stopping: start again once it is gone */
		return;
	}
	log_info("forwarder: not needed: the configuration has no routes");
	f->restart_at_ms = INT64_MAX;
	f->restart_now = false;
	if (f->w.pid)
		worker_terminate(&f->w, false);
}

void fwdproc_reload(struct fwdproc *f)
{
	if (!f->wanted)
		return;
	if (f->w.pid) {
		f->restart_now = true;
		worker_terminate(&f->w, false);
	} else {
		f->restart_at_ms = now_ms();
	}
}

void fwdproc_stop(struct fwdproc *f)
{
	f->restart_at_ms = INT64_MAX;
	f->restart_now = false;
	worker_terminate(&f->w, false);
}

void fwdproc_check_deadline(struct fwdproc *f, int64_t now)
{
	if (f->w.pid && f->w.term_sent && f->w.deadline_ms <= now) {
		log_warn("forwarder: did not stop; killing it");
		worker_kill(&f->w);
	}
}

int64_t fwdproc_next_ms(const struct fwdproc *f)
{
	if (f->w.pid)
		return f->w.term_sent ? f->w.deadline_ms : INT64_MAX;
	return f->restart_at_ms;
}
