/* master — the daemon's main loop; see master.h. */
#include "daemon/master.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/load.h"
#include "core/log.h"
#include "core/strset.h"
#include "daemon/alert.h"
#include "daemon/control.h"
#include "daemon/fwdproc.h"
#include "daemon/matcher.h"
#include "daemon/notify.h"
#include "daemon/plan.h"
#include "daemon/status.h"
#include "daemon/worker.h"
#include "formats/pdftext.h"
#include "payments/update.h"
#include "sources/source.h"

struct client {
	unsigned id;
	int fd;
	struct line_buf in;
	size_t waiting;    /* runs whose outcome it still waits for */
	int64_t since_ms;  /* connected at; one that sends no request in time is dropped */
};

#define CLIENT_MAX 64
#define FAR_FUTURE ((time_t)INT64_MAX)
#define CLIENT_REQUEST_MS 10000

struct idlist {
	unsigned *ids;
	size_t len;
};

/* A source worker (daemon/worker.h): it takes run after run. */
struct runner {
	struct worker w;
	size_t slot;                   /* the slot whose run it does; NO_SLOT while idle */
	bool door;                     /* forked with the shared PDF reader's door */
};
#define NO_SLOT SIZE_MAX

struct slot {
	char *name;
	const struct source_conf *src; /* NULL when a reload removed the source */
	struct source_status st;
	time_t due;                    /* next scheduled start, NEXTRUN_NEVER: none */
	bool queued;                   /* waiting for a free worker */
	bool again;                    /* asked for while running: run once more after */
	struct runner *r;              /* its worker while it runs, NULL otherwise */
	time_t late_since;             /* queued for the start due then; 0: not for a schedule */
	time_t run_start;
	struct idlist waiters;         /* clients waiting for the current run */
	struct idlist next_waiters;    /* clients waiting for the next run */
};

struct master {
	const struct daemon_opts *o;
	struct config *cfg;
	bool reload_rejected;
	char *reload_error;
	char *snapshot;          /* the copy of the configuration in force, NULL: none made */
	unsigned snapshot_gen;
	time_t config_loaded, started;
	struct slot *slots;
	size_t nslots;
	struct strset slot_index;      /* name -> index + 1 */
	size_t nmine;                  /* the configuration's sources this daemon runs (its shard) */
	struct runner **runners;       /* the source workers, busy, idle and ending, in no order */
	size_t nrunners;
	unsigned config_gen;           /* the configuration's generation: new workers get it */
	time_t next_due;               /* earliest due of all slots: none is looked at before */
	size_t *queue;
	size_t qhead, qlen, qcap;
	size_t running;
	struct client **clients;
	size_t nclients;
	unsigned next_client_id;
	int sigfd, lfd;
	char *sock_path;
	bool stopping;
	int64_t stop_deadline_ms;
	int64_t watchdog_ms, next_watchdog_ms;
	struct fwdproc fwd;            /* the forwarder process */
	struct matcher mt;             /* the payments matcher (one company at a time) */
};

/* ---- helpers ------------------------------------------------------------------------- */

static void idlist_add(struct idlist *l, unsigned id)
{
	l->ids = xrealloc(l->ids, (l->len + 1) * sizeof(*l->ids));
	l->ids[l->len++] = id;
}

static struct slot *slot_by_name(struct master *m, const char *name)
{
	uintptr_t i = (uintptr_t)strset_get(&m->slot_index, name);
	return i ? &m->slots[i - 1] : NULL;
}

static struct runner *runner_add(struct master *m)
{
	struct runner *r = xcalloc(1, sizeof(*r));
	r->slot = NO_SLOT;
	m->runners = xrealloc(m->runners, (m->nrunners + 1) * sizeof(*m->runners));
	m->runners[m->nrunners++] = r;
	return r;
}

static void runner_remove(struct master *m, size_t i)
{
	free(m->runners[i]);
	m->runners[i] = m->runners[--m->nrunners];
}

/* A worker that may take the next run: of the configuration in force, and with the shared
 * PDF reader's door when there is one now (one forked while there was none would start a
 * reader's server of its own for each run). */
static bool runner_current(const struct master *m, const struct runner *r)
{
	return !r->w.retiring && r->w.gen == m->config_gen && (r->door || pdftext_door_fd() < 0);
}

/* An idle worker that may take the next run, or NULL. */
static struct runner *idle_runner(struct master *m)
{
	for (size_t i = 0; i < m->nrunners; i++) {
		struct runner *r = m->runners[i];
		if (r->slot == NO_SLOT && runner_current(m, r))
			return r;
	}
	return NULL;
}

/* Idle workers that may not take the next run end, and all of them when the daemon stops;
 * so do those idle for WORKER_IDLE_MS or older than WORKER_MAX_AGE_MS. */
static void retire_idle_runners(struct master *m)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < m->nrunners; i++) {
		struct runner *r = m->runners[i];
		if (r->slot != NO_SLOT || r->w.retiring)
			continue;
		if (m->stopping || !runner_current(m, r) || now - r->w.idle_since_ms >= WORKER_IDLE_MS ||
		    now - r->w.born_ms >= WORKER_MAX_AGE_MS)
			worker_retire(&r->w);
	}
}

/* Every worker ends (a busy one after its run): the door they inherited has ended. */
static void retire_all_runners(struct master *m)
{
	for (size_t i = 0; i < m->nrunners; i++)
		worker_retire(&m->runners[i]->w);
}

static struct client *client_by_id(struct master *m, unsigned id)
{
	for (size_t i = 0; i < m->nclients; i++)
		if (m->clients[i]->id == id)
			return m->clients[i];
	return NULL;
}

static void client_close(struct master *m, struct client *c)
{
	for (size_t i = 0; i < m->nclients; i++) {
		if (m->clients[i] != c)
			continue;
		m->clients[i] = m->clients[--m->nclients];
		break;
	}
	close(c->fd);
	buf_free(&c->in.data);
	free(c);
}

static int64_t worker_limit(const struct master *m)
{
	return m->cfg->agent.workers > 0 ? m->cfg->agent.workers : 4;
}

static void enqueue(struct master *m, struct slot *s)
{
	if (s->queued)
		return;
	if (m->qhead + m->qlen == m->qcap) {
		if (m->qhead > 0)
			memmove(m->queue, m->queue + m->qhead, m->qlen * sizeof(*m->queue));
		m->qhead = 0;
		if (m->qlen == m->qcap) {
			m->qcap = m->qcap ? m->qcap * 2 : 64;
			m->queue = xrealloc(m->queue, m->qcap * sizeof(*m->queue));
		}
	}
	m->queue[m->qhead + m->qlen++] = (size_t)(s - m->slots);
	s->queued = true;
}

static void update_systemd_status(struct master *m)
{
	sd_notifyf("STATUS=%zu sources, %zu running, %zu queued%s", m->nmine, m->running,
		   m->qlen, m->reload_rejected ? "; last reload rejected" : "");
}

/* ---- answering clients ------------------------------------------------------------------ */

static void answer_waiters(struct master *m, struct idlist *l, json_t *event)
{
	for (size_t i = 0; i < l->len; i++) {
		struct client *c = client_by_id(m, l->ids[i]);
		if (!c)
			continue;
		bool gone = control_send(c->fd, event) < 0;
		if (!gone && --c->waiting == 0) {
			json_t *end = json_pack("{s:s}", "event", "end");
			control_send(c->fd, end);
			json_decref(end);
			gone = true;
		}
		if (gone)
			client_close(m, c);
	}
	free(l->ids);
	l->ids = NULL;
	l->len = 0;
}

static json_t *done_event(const char *name, enum run_outcome outcome,
			  const struct run_stats *stats, const char *error)
{
	return json_pack("{s:s,s:s,s:s,s:o,s:o}", "event", "done", "source", name, "outcome",
			 run_outcome_name(outcome),
			 "stats", status_stats_to_json(stats), "error", error ? json_string(error) : json_null());
}

/* Answer the clients waiting for a run that will not happen. */
static void drop_waiters(struct master *m, struct slot *s, const char *why)
{
	if (!s->next_waiters.len)
		return;
	struct run_stats none = {0};
	json_t *ev = done_event(s->name, RUN_NOT_RUN, &none, why);
	answer_waiters(m, &s->next_waiters, ev);
	json_decref(ev);
}

/* ---- runs ------------------------------------------------------------------------------ */

static void file_alerts(struct master *m, struct slot *s, time_t now)
{
	struct alert_notice notices[ALERT_MAX_NOTICES];
	const struct source_type *type = s->src->type;
	struct alert_stages stages = {0};
	char *attention = type->attention ? type->attention(m->cfg, s->src, &stages) : NULL;
	size_t n = alert_decide(&s->st, attention, &stages, now, notices);
	free(attention);
	for (size_t i = 0; i < n; i++) {
		struct gerr err = {0};
		log_msg(notices[i].resolved ? LOG_NOTICE : LOG_WARNING, "source %s: alert %s %s: %s",
			s->name, notices[i].cause, notices[i].resolved ? "resolved" : "open",
			notices[i].message);
		if (alert_file(m->cfg, s->src, &notices[i], &err) < 0)
			log_error("source %s: cannot file the alert notice: %s", s->name, err.msg);
	}
	alert_notices_free(notices, n);
}

static void record_run(struct master *m, struct slot *s, const struct worker_result *res)
{
	time_t now = time(NULL);
	const struct run_stats *st = &res->stats;
	log_msg(run_outcome_failed(res->outcome) ? LOG_WARNING : LOG_INFO,
		"source %s: %s, %lu filed, %lu looked at, %llu bytes, %ld s%s%s", s->name,
		run_outcome_name(res->outcome), st->filed, st->looked_at, (unsigned long long)st->bytes,
		(long)(now - s->run_start), res->error ? ": " : "", res->error ? res->error : "");
	if (!s->src)
		return; /* removed by a reload while it ran */
	status_record(&s->st, res->outcome, st, res->error, s->run_start, now);
	if (!s->st.interrupted)
		file_alerts(m, s, now);
	struct gerr err = {0};
	if (status_save(m->cfg->agent.state_dir, s->name, &s->st, &err) < 0)
		log_error("source %s: cannot save its status: %s", s->name, err.msg);
}

static void run_finished(struct master *m, struct slot *s, struct worker_result *res)
{
	record_run(m, s, res);
	if (s->src && s->src->company && res->stats.filed > 0)
		matcher_request(&m->mt, s->src->company->id); /* what it filed may pay or be paid */
	json_t *ev = done_event(s->name, res->outcome, &res->stats, res->error);
	answer_waiters(m, &s->waiters, ev);
	json_decref(ev);
	m->running--;
	if (s->again && s->src)
		enqueue(m, s);
	else
		drop_waiters(m, s, "the source is no longer in the configuration");
	s->again = false;
	update_systemd_status(m);
}

/* goniec's command line for a child: the global options that give it the daemon's
 * configuration (the copy of the one in force: edits to conf.d count from a reload on),
 * then tail. */
static char **child_argv(struct master *m, const char *const *tail)
{
	size_t ntail = 0;
	while (tail[ntail])
		ntail++;
	char **argv = xcalloc(10 + ntail, sizeof(char *));
	size_t n = 0;
	const struct shard_conf *sh = &m->cfg->agent.shard;
	argv[n++] = xstrdup(m->o->self);
	argv[n++] = xstrdup("--confdir");
	argv[n++] = xstrdup(m->snapshot ? m->snapshot : m->o->confdir);
	argv[n++] = xstrdup("--spool");
	argv[n++] = xstrdup(m->cfg->agent.spool_dir);
	argv[n++] = xstrdup("--state");
	argv[n++] = xstrdup(m->cfg->agent.state_dir);
	if (sh->index_set) { /* the spool and state above are the shard's own */
		argv[n++] = xstrdup("--shard");
		argv[n++] = xasprintf("%ld/%ld", sh->index, sh->of);
	}
	for (size_t i = 0; i < ntail; i++)
		argv[n++] = xstrdup(tail[i]);
	return argv;
}

static void free_argv(char **argv)
{
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* A worker for the next run: an idle one of the configuration in force, or a new one;
 * NULL with err set when none can be started. */
static struct runner *runner_for_run(struct master *m, struct gerr *err)
{
	struct gerr door_err = {0};
	if (pdftext_door_open(&door_err) < 0) /* runs read their PDFs with a server of their own */
		log_warn("the shared PDF reader: %s", door_err.msg);
	struct runner *r = idle_runner(m);
	if (r)
		return r;
	r = runner_add(m);
	r->door = pdftext_door_fd() >= 0;
	if (worker_fork_runner(&r->w, m->cfg, m->config_gen, err) < 0) {
		runner_remove(m, m->nrunners - 1);
		return NULL;
	}
	log_debug("worker %d started", (int)r->w.pid);
	return r;
}

/* The run handed to a worker; NULL with err set when no worker took it (one that ended
 * meanwhile is replaced once). */
static struct runner *hand_run(struct master *m, struct slot *s, struct gerr *err)
{
	for (int tries = 0; tries < 2; tries++) {
		struct runner *r = runner_for_run(m, err);
		if (!r)
			return NULL;
		if (worker_hand(&r->w, s->name, s->src->timeout) == 0) {
			r->slot = (size_t)(s - m->slots);
			return r;
		}
		worker_retire(&r->w); /* gone: its exit is reaped */
	}
	gerr_set(err, "no worker took the run");
	return NULL;
}

static void start_run(struct master *m, struct slot *s)
{
	s->waiters = s->next_waiters;
	s->next_waiters = (struct idlist){0};
	s->run_start = time(NULL);
	s->late_since = 0;
	struct gerr err = {0};
	s->r = hand_run(m, s, &err);
	m->running++;
	if (!s->r) {
		struct worker_result res = {.outcome = RUN_FAILED, .error = xstrdup(err.msg)};
		run_finished(m, s, &res);
		worker_result_free(&res);
		return;
	}
	log_debug("source %s: run handed to worker %d", s->name, (int)s->r->w.pid);
	update_systemd_status(m);
}

/* The payments matcher: the next company waiting, when none is being matched. */
static void dispatch_matcher(struct master *m)
{
	char *company = m->stopping ? NULL : matcher_next(&m->mt, m->qlen > 0);
	if (!company)
		return;
	struct gerr err = {0};
	int rc = worker_fork(&m->mt.w, matcher_main, m->cfg, company, m->cfg->agent.worker_timeout, &err);
	matcher_started(&m->mt, company, rc, &err);
}

static void dispatch(struct master *m)
{
	while (!m->stopping && m->qlen > 0 && (int64_t)m->running < worker_limit(m)) {
		struct slot *s = &m->slots[m->queue[m->qhead]];
		m->qhead++;
		m->qlen--;
		s->queued = false;
		if (!s->src)
			continue;
		if (s->r) {
			s->again = true; /* never two runs of one source at once */
			continue;
		}
		start_run(m, s);
	}
}

/* Queue the sources whose start is due. Only when the earliest due time has come are
 * the slots looked at (with 15,000 sources the loop turns often). */
static void schedule_due(struct master *m, time_t now)
{
	if (m->stopping || now < m->next_due)
		return;
	m->next_due = FAR_FUTURE;
	for (size_t i = 0; i < m->nslots; i++) {
		struct slot *s = &m->slots[i];
		if (!s->src || !s->src->enabled || s->due == NEXTRUN_NEVER)
			continue;
		if (s->due <= now) {
			time_t was_due = s->due;
			s->due = plan_next(s->src, now);
			if (s->r) {
				s->again = true;
			} else if (!s->queued) {
				enqueue(m, s);
				s->late_since = was_due;
			}
		}
		if (s->due != NEXTRUN_NEVER && s->due < m->next_due)
			m->next_due = s->due;
	}
}

/* Pass a run's progress on to the clients waiting for it. */
static void relay_progress(struct master *m, struct slot *s, struct worker *w)
{
	struct run_stats st;
	if (!worker_take_progress(w, &st) || !s->waiters.len)
		return;
	json_t *ev = json_pack("{s:s,s:s,s:o}", "event", "progress", "source", s->name, "stats",
			       status_stats_to_json(&st));
	for (size_t i = 0; i < s->waiters.len; i++) {
		struct client *c = client_by_id(m, s->waiters.ids[i]);
		if (c && control_send(c->fd, ev) < 0)
			client_close(m, c);
	}
	json_decref(ev);
}

/* Read a worker's connection: progress, and the result of a run after which the worker
 * lives on (it is idle again). */
static void runner_input(struct master *m, struct runner *r)
{
	worker_read(&r->w);
	if (r->slot == NO_SLOT)
		return;
	struct slot *s = &m->slots[r->slot];
	relay_progress(m, s, &r->w);
	if (!worker_run_ended(&r->w))
		return;
	struct worker_result res;
	worker_take_result(&r->w, &res);
	r->slot = NO_SLOT;
	s->r = NULL;
	run_finished(m, s, &res);
	worker_result_free(&res);
}

/* A worker's exit: the run it was doing, if any, ends with it (worker_finish says how). */
static void runner_exited(struct master *m, size_t i, int wstatus)
{
	struct runner *r = m->runners[i];
	struct worker_result res;
	worker_finish(&r->w, wstatus, &res);
	if (r->slot != NO_SLOT) {
		struct slot *s = &m->slots[r->slot];
		s->r = NULL;
		run_finished(m, s, &res);
	}
	worker_result_free(&res);
	runner_remove(m, i);
}

static void reap(struct master *m)
{
	int wstatus;
	pid_t pid;
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pdftext_door_reaped(pid)) {
			log_debug("the shared PDF reader %d ended (status %d)", (int)pid, wstatus);
			retire_all_runners(m);
			continue;
		}
		if (pid == m->fwd.w.pid) {
			fwdproc_exited(&m->fwd, wstatus, m->stopping);
			continue;
		}
		if (pid == m->mt.w.pid) {
			matcher_finished(&m->mt, wstatus);
			continue;
		}
		for (size_t i = 0; i < m->nrunners; i++)
			if (m->runners[i]->w.pid == pid) {
				runner_exited(m, i, wstatus);
				break;
			}
	}
}

static void start_forwarder(struct master *m)
{
	if (m->stopping || !fwdproc_due(&m->fwd, now_ms()))
		return;
	char **argv = child_argv(m, (const char *const[]){"forward", "--watch", NULL});
	fwdproc_start(&m->fwd, argv);
	free_argv(argv);
}

/* A child past its time limit gets SIGTERM, then SIGKILL. `what`: "source acme-mail". */
static void enforce_deadline(const char *what, struct worker *w, int64_t now)
{
	if (!w->pid || w->deadline_ms > now)
		return;
	if (!w->term_sent) {
		log_warn("%s: run exceeded its time limit of %lld s; stopping worker %d", what,
			 (long long)w->timeout_s, (int)w->pid);
		worker_terminate(w, true);
	} else {
		log_warn("%s: worker %d did not stop; killing it", what, (int)w->pid);
		worker_kill(w);
	}
}

static void check_deadlines(struct master *m)
{
	int64_t now = now_ms();
	for (size_t i = 0; i < m->nrunners; i++) {
		struct runner *r = m->runners[i];
		if (r->w.deadline_ms > now)
			continue;
		char *what = r->slot != NO_SLOT ? xasprintf("source %s", m->slots[r->slot].name)
						: xstrdup("an idle worker");
		enforce_deadline(what, &r->w, now);
		free(what);
	}
	enforce_deadline("payments matcher", &m->mt.w, now);
}

/* ---- configuration ----------------------------------------------------------------------- */

static void remove_tree_flat(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* Link each folder of confdir (providers/, invoices/, banks/...: read while runs go on)
 * into the copy dir. */
static int link_subfolders(const char *confdir, const char *dir, struct gerr *err)
{
	DIR *d = opendir(confdir);
	if (!d)
		return 0;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = path_join(confdir, e->d_name);
		char *from = realpath(path, NULL); /* absolute: the link lives elsewhere */
		struct stat st;
		if (from && stat(from, &st) == 0 && S_ISDIR(st.st_mode)) {
			char *to = path_join(dir, e->d_name);
			if (symlink(from, to) < 0)
				rc = gerr_sys(err, "%s", to);
			free(to);
		}
		free(from);
		free(path);
	}
	closedir(d);
	return rc;
}

/* Copy the files of cfg (its folders linked) into the new directory dir. */
static int copy_config(const struct config *cfg, const char *dir, struct gerr *err)
{
	remove_tree_flat(dir);
	int rc = mkdir_p(dir, 0700, err);
	for (size_t i = 0; rc == 0 && i < cfg->files.len; i++) {
		char *text;
		size_t len;
		const char *base = strrchr(cfg->files.items[i], '/');
		base = base ? base + 1 : cfg->files.items[i];
		char *to = path_join(dir, base);
		rc = read_file(cfg->files.items[i], 16 << 20, &text, &len, err);
		if (rc == 0) {
			/* 0600: conf.d files may hold secrets */
			int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			rc = fd >= 0 && write_all(fd, text, len) == 0 ? 0 : -1;
			if (fd >= 0 && close(fd) != 0)
				rc = -1;
			if (rc < 0)
				gerr_sys(err, "%s", to);
			free(text);
		}
		free(to);
	}
	return rc == 0 ? link_subfolders(cfg->confdir, dir, err) : rc;
}

/* Remove the copies in <state>/daemon but the current and the one before it (a child
 * started just before a reload may still be reading that). */
static void prune_snapshots(const char *daemon_dir, unsigned gen)
{
	DIR *d = opendir(daemon_dir);
	if (!d)
		return;
	char *keep = xasprintf("conf.d.good.%u", gen), *keep_prev = xasprintf("conf.d.good.%u", gen - 1);
	struct dirent *e;
	while ((e = readdir(d)))
		if (str_starts_with(e->d_name, "conf.d.good") && strcmp(e->d_name, keep) &&
		    strcmp(e->d_name, keep_prev)) {
			char *path = path_join(daemon_dir, e->d_name);
			remove_tree_flat(path);
			free(path);
		}
	closedir(d);
	free(keep);
	free(keep_prev);
}

/* Copy the configuration taking effect into <state>/daemon/conf.d.good.N, a new
 * directory each time: children load it, so that conf.d edits count only from a reload
 * on, and a rejected reload leaves them on the last good one. Children started before
 * keep the copy they were given; the one before is kept for those still reading it. */
static void snapshot_config(struct master *m, const struct config *cfg)
{
	char *daemon_dir = path_join(cfg->agent.state_dir, "daemon");
	unsigned gen = ++m->snapshot_gen;
	char *name = xasprintf("conf.d.good.%u", gen);
	char *dir = path_join(daemon_dir, name);
	struct gerr err = {0};
	free(m->snapshot);
	m->snapshot = NULL;
	if (copy_config(cfg, dir, &err) == 0) {
		m->snapshot = dir;
		dir = NULL;
	} else {
		log_warn("cannot keep a copy of the configuration (workers read conf.d): %s",
			 err.msg);
	}
	prune_snapshots(daemon_dir, gen);
	free(dir);
	free(name);
	free(daemon_dir);
}

static void apply_timezone(const struct config *cfg)
{
	if (cfg->agent.timezone)
		setenv("TZ", cfg->agent.timezone, 1);
	tzset();
}

/* Point every slot at the sources of cfg; new sources get a slot and a first start. */
static void adopt_config(struct master *m, struct config *cfg)
{
	time_t now = time(NULL);
	apply_timezone(cfg); /* schedules are computed in the new zone */
	for (size_t i = 0; i < m->nslots; i++)
		m->slots[i].src = NULL;
	m->nmine = 0;
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_conf *src = cfg->sources[i];
		if (!config_runs_source(cfg, src))
			continue; /* another shard's */
		m->nmine++;
		struct slot *s = slot_by_name(m, src->name);
		if (!s) {
			m->slots = xrealloc(m->slots, (m->nslots + 1) * sizeof(*m->slots));
			s = &m->slots[m->nslots++];
			memset(s, 0, sizeof(*s));
			s->name = xstrdup(src->name);
			strset_put(&m->slot_index, s->name, (void *)(uintptr_t)m->nslots);
			struct gerr err = {0};
			if (status_load(cfg->agent.state_dir, src->name, &s->st, &err) < 0)
				log_warn("source %s: %s", src->name, err.msg);
		}
		s->src = src;
		if (s->queued)
			s->due = plan_next(src, now);
		else if (s->r)
			s->due = plan_first(src, s->run_start, now);
		else
			s->due = s->st.interrupted ? now : plan_first(src, s->st.last_start, now);
	}
	for (size_t i = 0; i < m->nslots; i++)
		if (!m->slots[i].src && !m->slots[i].r)
			drop_waiters(m, &m->slots[i], "the source is no longer in the configuration");
	m->next_due = 0; /* look at every slot's due time again */
	m->config_gen++; /* workers of the one before take no more runs */
	struct config *old = m->cfg;
	m->cfg = cfg;
	config_free(old);
	if (old) {
		fwdproc_want(&m->fwd, cfg->nroutes > 0);
		fwdproc_reload(&m->fwd);
	}
	m->config_loaded = now;
	m->reload_rejected = false;
	free(m->reload_error);
	m->reload_error = NULL;
	snapshot_config(m, cfg);
}

/* Log each error of a rejected configuration; return them on one line. */
static char *log_diag_errors(const struct diag *d)
{
	struct buf b = {0};
	buf_printf(&b, "%zu error(s)", d->errors);
	for (size_t i = 0; i < d->len; i++) {
		const struct diag_item *it = &d->items[i];
		if (it->warning)
			continue;
		buf_printf(&b, "; %s:%d:%d: %s", it->pos.file ? it->pos.file : "conf.d", it->pos.line,
			   it->pos.col, it->msg);
		log_error("%s:%d:%d: %s", it->pos.file ? it->pos.file : "conf.d", it->pos.line,
			  it->pos.col, it->msg);
	}
	return buf_take(&b);
}

/* Re-read conf.d; returns 0 when the new configuration took effect. */
static int reload(struct master *m, char **error)
{
	sd_notify_send("RELOADING=1");
	log_notice("reloading the configuration from %s", m->o->confdir);
	struct diag d = {0};
	const struct shard_conf *sh = &m->cfg->agent.shard;
	char *shard = sh->index_set ? xasprintf("%ld/%ld", sh->index, sh->of) : NULL;
	struct config_overrides ov = {.spool_dir = m->cfg->agent.spool_dir,
				      .state_dir = m->cfg->agent.state_dir, .shard = shard};
	struct config *cfg = config_load(m->o->confdir, &ov, &d);
	free(shard);
	int rc = 0;
	if (!cfg) {
		char *summary = log_diag_errors(&d);
		log_error("reload rejected (%s); the configuration loaded before stays in force",
			  summary);
		free(m->reload_error);
		m->reload_error = summary;
		m->reload_rejected = true;
		if (error)
			*error = xstrdup(summary);
		rc = -1;
	} else {
		adopt_config(m, cfg);
		log_notice("configuration reloaded: %zu sources", m->nmine);
	}
	diag_free(&d);
	sd_notify_send("READY=1");
	update_systemd_status(m);
	return rc;
}

/* ---- control requests -------------------------------------------------------------------- */

/* The forwarder's own status file, with its process; with no routes, none (a file left by
 * an earlier configuration's forwarder is not shown). */
static json_t *forward_status(struct master *m)
{
	json_t *f = m->fwd.wanted ? status_forward_file(m->cfg->agent.state_dir)
				  : json_pack("{s:[]}", "routes");
	if (!json_is_object(f)) {
		json_decref(f);
		f = json_object();
	}
	json_object_set_new(f, "pid", m->fwd.w.pid ? json_integer(m->fwd.w.pid) : json_null());
	json_object_set_new(f, "restarts", json_integer(m->fwd.restarts));
	return f;
}

/* One source's entry: its status, and while it runs its progress; while it waits for a
 * worker past its scheduled start, how late it is. */
static json_t *slot_status(struct master *m, const struct slot *s, time_t now)
{
	json_t *e = status_entry(m->cfg->agent.state_dir, s->src, &s->st, s->due, s->r != NULL);
	if (s->r)
		json_object_set_new(e, "progress", status_stats_to_json(&s->r->w.progress));
	json_object_set_new(e, "queued", json_boolean(s->queued));
	if (s->queued && s->late_since)
		json_object_set_new(e, "late", json_integer((json_int_t)(now - s->late_since)));
	return e;
}

static void append_json(struct buf *b, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	buf_puts(b, text);
	free(text);
	json_decref(j);
}

/* The status document as one line of compact JSON, written entry by entry: with
 * thousands of sources only one entry is held as a JSON tree at a time. */
static void status_document(struct master *m, struct buf *out)
{
	time_t now = time(NULL);
	buf_puts(out, "{\"ok\":true,\"daemon\":");
	append_json(out, json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "pid", (json_int_t)getpid(),
				   "started", (json_int_t)m->started,
				   "config_loaded", (json_int_t)m->config_loaded,
				   "running", (json_int_t)m->running, "queued", (json_int_t)m->qlen,
				   "reload_error",
				   m->reload_error ? json_string(m->reload_error) : json_null()));
	buf_puts(out, ",\"forward\":");
	append_json(out, forward_status(m));
	json_t *pay = payments_status(m->cfg->agent.state_dir);
	buf_puts(out, ",\"payments\":");
	append_json(out, json_pack("{s:o,s:o}", "companies", pay ? pay : json_array(), "matcher",
				   matcher_status(&m->mt)));
	buf_puts(out, ",\"sources\":[");
	bool first = true;
	for (size_t i = 0; i < m->nslots; i++) {
		if (!m->slots[i].src)
			continue;
		if (!first)
			buf_puts(out, ",");
		first = false;
		append_json(out, slot_status(m, &m->slots[i], now));
	}
	buf_puts(out, "]}");
}

static json_t *error_reply(const char *fmt, ...) PRINTF_LIKE(1, 2);
static json_t *error_reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	json_t *r = json_pack("{s:b,s:s}", "ok", 0, "error", msg);
	free(msg);
	return r;
}

/* Check the names of a fetch request; NULL when all are runnable, else the reply. */
static json_t *check_fetch_names(struct master *m, json_t *names)
{
	if (!json_is_array(names))
		return error_reply("%s", "\"sources\" must be a list of source names");
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		struct slot *s = name ? slot_by_name(m, name) : NULL;
		if (!name)
			return error_reply("%s", "\"sources\" must be a list of source names");
		const struct source_conf *src = s ? NULL : config_find_source(m->cfg, name);
		if (src)
			return error_reply("source '%s' is in shard %ld of %ld; this daemon runs shard %ld",
					   name, source_shard(src, m->cfg->agent.shard.of),
					   m->cfg->agent.shard.of, m->cfg->agent.shard.index);
		if (!s || !s->src)
			return error_reply("no source named '%s' in the configuration", name);
		if (!s->src->enabled)
			return error_reply("source '%s' is disabled (enabled: false)", name);
	}
	return NULL;
}

static void request_run(struct master *m, struct slot *s, struct client *c)
{
	if (c) {
		idlist_add(&s->next_waiters, c->id);
		c->waiting++;
	}
	if (s->r)
		s->again = true;
	else
		enqueue(m, s);
}

/* Returns true when the client stays connected (it waits for outcomes). */
static bool handle_fetch(struct master *m, struct client *c, json_t *req)
{
	json_t *names = json_object_get(req, "sources");
	bool wait = !json_is_false(json_object_get(req, "wait"));
	json_t *reply = m->stopping ? error_reply("%s", "the daemon is stopping")
				    : check_fetch_names(m, names ? names : json_array());
	if (reply) {
		control_send(c->fd, reply);
		json_decref(reply);
		return false;
	}
	json_t *accepted = json_array();
	size_t count = names ? json_array_size(names) : 0;
	for (size_t i = 0; i < (count ? count : m->nslots); i++) {
		struct slot *s = count ? slot_by_name(m, json_string_value(json_array_get(names, i)))
				       : &m->slots[i];
		if (!s->src || !s->src->enabled)
			continue;
		request_run(m, s, wait ? c : NULL);
		json_array_append_new(accepted, json_string(s->name));
	}
	log_info("on-demand run of %zu source(s) requested", json_array_size(accepted));
	reply = json_pack("{s:b,s:o}", "ok", 1, "sources", accepted);
	control_send(c->fd, reply);
	json_decref(reply);
	return wait && c->waiting > 0;
}

static bool handle_request(struct master *m, struct client *c, const char *line)
{
	struct gerr err = {0};
	json_t *req = control_parse_request(line, &err);
	json_t *reply = NULL;
	bool keep = false;
	if (!req) {
		reply = error_reply("%s", err.msg);
	} else {
		const char *cmd = json_string_value(json_object_get(req, "cmd"));
		if (!strcmp(cmd, "fetch")) {
			keep = handle_fetch(m, c, req);
		} else if (!strcmp(cmd, "status")) {
			struct buf doc = {0};
			status_document(m, &doc);
			control_send_line(c->fd, &doc);
			buf_free(&doc);
		} else if (!strcmp(cmd, "reload")) {
			char *msg = NULL;
			reply = reload(m, &msg) == 0 ? json_pack("{s:b}", "ok", 1)
						     : error_reply("reload rejected: %s", msg);
			free(msg);
		} else {
			reply = error_reply("unknown command '%s' (fetch, status, reload)", cmd);
		}
	}
	if (reply) {
		control_send(c->fd, reply);
		json_decref(reply);
	}
	json_decref(req);
	return keep;
}

static void accept_client(struct master *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	bool allowed = control_peer_allowed(fd);
	if (!allowed || m->nclients >= CLIENT_MAX) {
		json_t *r = error_reply("%s", allowed ? "too many connections; try again"
						      : "permission denied: not in the daemon's group");
		control_send(fd, r);
		json_decref(r);
		close(fd);
		return;
	}
	struct client *c = xcalloc(1, sizeof(*c));
	c->id = ++m->next_client_id;
	c->fd = fd;
	c->in.max = control_request_limit(m->nslots);
	c->since_ms = now_ms();
	m->clients = xrealloc(m->clients, (m->nclients + 1) * sizeof(*m->clients));
	m->clients[m->nclients++] = c;
}

static void client_input(struct master *m, struct client *c)
{
	char chunk[4096];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));
	if (n <= 0) {
		client_close(m, c); /* waiters for a gone client are skipped */
		return;
	}
	if (c->waiting > 0)
		return; /* one request per connection */
	control_line_feed(&c->in, chunk, (size_t)n);
	char *line = control_line_take(&c->in);
	if (!line && !c->in.overflow)
		return;
	bool keep = line ? handle_request(m, c, line) : false;
	if (!line) {
		json_t *r = error_reply("%s", "request too long");
		control_send(c->fd, r);
		json_decref(r);
	}
	free(line);
	if (!keep)
		client_close(m, c);
}

/* Close connections that sent no request in time (they would hold a slot for ever). */
static void drop_idle_clients(struct master *m)
{
	int64_t now = now_ms();
	for (size_t i = m->nclients; i-- > 0;) {
		struct client *c = m->clients[i];
		if (!c->waiting && now - c->since_ms >= CLIENT_REQUEST_MS)
			client_close(m, c);
	}
}

/* ---- stop -------------------------------------------------------------------------------- */

static void begin_stop(struct master *m, int sig)
{
	if (m->stopping)
		return;
	m->stopping = true;
	int64_t grace = m->cfg->agent.stop_grace;
	m->stop_deadline_ms = now_ms() + grace * 1000;
	sd_notify_send("STOPPING=1");
	log_notice("stopping on %s: %zu run(s) in progress get %lld s to finish", strsignal(sig),
		   m->running, (long long)grace);
	fwdproc_stop(&m->fwd);
	matcher_clear_queue(&m->mt);
	m->qhead = m->qlen = 0;
	for (size_t i = 0; i < m->nslots; i++) {
		m->slots[i].queued = m->slots[i].again = false;
		drop_waiters(m, &m->slots[i], "the daemon is stopping");
	}
}

static void stop_workers_after_grace(struct master *m)
{
	if (!m->stopping || now_ms() < m->stop_deadline_ms)
		return;
	for (size_t i = 0; i < m->nrunners; i++) {
		struct runner *r = m->runners[i];
		if (r->w.term_sent)
			continue;
		if (r->slot != NO_SLOT)
			log_warn("source %s: stopping its worker; the run is repeated at the next start",
				 m->slots[r->slot].name);
		worker_terminate(&r->w, false);
	}
	if (m->mt.w.pid && !m->mt.w.term_sent)
		worker_terminate(&m->mt.w, false); /* one transaction: the next run does it again */
}

/* ---- the loop ---------------------------------------------------------------------------- */

static int poll_timeout(struct master *m)
{
	int64_t now = now_ms(), next = now + 60000;
	for (size_t i = 0; i < m->nrunners; i++) {
		const struct worker *w = &m->runners[i]->w;
		int64_t idle_end = w->idle_since_ms + WORKER_IDLE_MS;
		if (w->deadline_ms < next)
			next = w->deadline_ms;
		if (m->runners[i]->slot == NO_SLOT && !w->retiring && idle_end < next)
			next = idle_end;
	}
	if (!m->stopping && m->next_due != FAR_FUTURE) {
		int64_t at = now + ((int64_t)m->next_due - (int64_t)time(NULL)) * 1000;
		if (at < next)
			next = at;
	}
	if (m->mt.w.pid && m->mt.w.deadline_ms < next)
		next = m->mt.w.deadline_ms;
	if (m->stopping && m->stop_deadline_ms < next)
		next = m->stop_deadline_ms;
	if (m->watchdog_ms && m->next_watchdog_ms < next)
		next = m->next_watchdog_ms;
	if (fwdproc_next_ms(&m->fwd) < next)
		next = fwdproc_next_ms(&m->fwd);
	for (size_t i = 0; i < m->nclients; i++)
		if (!m->clients[i]->waiting && m->clients[i]->since_ms + CLIENT_REQUEST_MS < next)
			next = m->clients[i]->since_ms + CLIENT_REQUEST_MS;
	return next <= now ? 0 : (int)(next - now);
}

static void handle_signals(struct master *m)
{
	struct signalfd_siginfo si;
	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(m);
		else if (si.ssi_signo == SIGHUP && !m->stopping)
			reload(m, NULL);
		else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			begin_stop(m, (int)si.ssi_signo);
	}
}

static void watchdog(struct master *m)
{
	if (!m->watchdog_ms || now_ms() < m->next_watchdog_ms)
		return;
	sd_notify_send("WATCHDOG=1");
	m->next_watchdog_ms = now_ms() + m->watchdog_ms;
}

static void loop_once(struct master *m)
{
	size_t cap = 3 + m->nclients + m->nrunners;
	struct pollfd *fds = xcalloc(cap, sizeof(*fds));
	void **owner = xcalloc(cap, sizeof(*owner));
	unsigned *client_ids = xcalloc(cap, sizeof(*client_ids));
	size_t n = 0;
	fds[n++] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
	fds[n++] = (struct pollfd){.fd = m->stopping ? -1 : m->lfd, .events = POLLIN};
	for (size_t i = 0; i < m->nclients; i++) {
		client_ids[n] = m->clients[i]->id;
		fds[n++] = (struct pollfd){.fd = m->clients[i]->fd, .events = POLLIN};
	}
	size_t first_worker = n;
	for (size_t i = 0; i < m->nrunners; i++)
		if (m->runners[i]->w.fd >= 0) {
			owner[n] = m->runners[i];
			fds[n++] = (struct pollfd){.fd = m->runners[i]->w.fd, .events = POLLIN};
		}
	size_t matcher_at = n;
	if (m->mt.w.pid && m->mt.w.fd >= 0)
		fds[n++] = (struct pollfd){.fd = m->mt.w.fd, .events = POLLIN};
	int rc = poll(fds, n, poll_timeout(m));
	if (rc > 0) {
		for (size_t i = first_worker; i < matcher_at; i++)
			if (fds[i].revents)
				runner_input(m, owner[i]);
		if (matcher_at < n && fds[matcher_at].revents)
			worker_read(&m->mt.w);
		if (fds[0].revents)
			handle_signals(m);
		if (fds[1].revents)
			accept_client(m);
		for (size_t i = 2; i < first_worker; i++) {
			struct client *c = fds[i].revents ? client_by_id(m, client_ids[i]) : NULL;
			if (c)
				client_input(m, c);
		}
	}
	free(fds);
	free(owner);
	free(client_ids);
}

static int setup_signals(struct master *m)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return m->sigfd < 0 ? -1 : 0;
}

static int start(struct master *m, struct config *cfg)
{
	struct gerr err = {0};
	m->cfg = cfg;
	/* 0710: the group passes through to the control socket (a shard's own state folder
	 * is made here; the unit makes the others so) */
	if (mkdir_p(m->cfg->agent.state_dir, 0710, &err) < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	m->sock_path = control_socket_path(m->cfg->agent.state_dir);
	m->lfd = control_listen(m->sock_path, &err);
	if (m->lfd < 0) {
		log_error("%s", err.msg);
		return -1;
	}
	if (setup_signals(m) < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	m->cfg = NULL;
	adopt_config(m, cfg);
	srandom((unsigned)(time(NULL) ^ getpid()));
	worker_preload();
	fwdproc_init(&m->fwd);
	fwdproc_want(&m->fwd, m->cfg->nroutes > 0);
	/* at start, the companies that got something new while the daemon was down (and a
	 * report an interrupted run left due) */
	matcher_request(&m->mt, MATCHER_NEW);
	return 0;
}

static void shutdown_master(struct master *m)
{
	while (m->nclients)
		client_close(m, m->clients[0]);
	free(m->clients);
	if (m->lfd >= 0) {
		close(m->lfd);
		unlink(m->sock_path);
	}
	if (m->sigfd >= 0)
		close(m->sigfd);
	for (size_t i = 0; i < m->nslots; i++) {
		struct slot *s = &m->slots[i];
		free(s->name);
		status_release(&s->st);
		free(s->waiters.ids);
		free(s->next_waiters.ids);
	}
	free(m->slots);
	strset_free(&m->slot_index);
	for (size_t i = 0; i < m->nrunners; i++)
		free(m->runners[i]);
	free(m->runners);
	free(m->queue);
	free(m->sock_path);
	free(m->reload_error);
	free(m->snapshot);
	matcher_free(&m->mt);
	config_free(m->cfg);
}

int daemon_run(const struct daemon_opts *o, struct config *cfg)
{
	struct master m = {.o = o, .lfd = -1, .sigfd = -1, .started = time(NULL)};
	matcher_init(&m.mt);
	if (start(&m, cfg) < 0) {
		shutdown_master(&m);
		return 1;
	}
	m.watchdog_ms = sd_watchdog_interval_ms();
	m.next_watchdog_ms = now_ms();
	log_notice("started: %zu sources, up to %lld workers, control socket %s", m.nmine,
		   (long long)worker_limit(&m), m.sock_path);
	sd_notify_send("READY=1");
	update_systemd_status(&m);
	while (!m.stopping || m.running > 0 || m.nrunners > 0 || m.fwd.w.pid || m.mt.w.pid) {
		time_t now = time(NULL);
		schedule_due(&m, now);
		retire_idle_runners(&m);
		dispatch(&m);
		dispatch_matcher(&m);
		start_forwarder(&m);
		watchdog(&m);
		loop_once(&m);
		check_deadlines(&m);
		fwdproc_check_deadline(&m.fwd, now_ms());
		stop_workers_after_grace(&m);
		drop_idle_clients(&m);
	}
	log_notice("stopped");
	shutdown_master(&m);
	return 0;
}
