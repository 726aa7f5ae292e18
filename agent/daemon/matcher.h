/* matcher — the payments matcher in the daemon (docs/payments.md, "When it runs").
 *
 * After a run of a company's source that filed something, the master asks for the
 * company (matcher_request). Requests are coalesced: a company waits in the queue once,
 * however many of its sources filed meanwhile; one asked for while it is being matched
 * waits for one more run after it. While sources wait for a free worker (a burst: 05:00,
 * `goniec fetch` of all) a company's request is held until the burst is over, or for at
 * most MATCHER_HOLD_MAX_S: matched once after its sources rather than after each of them
 * (each match reads what is new in the spool). One company is matched at a time, in a
 * process of its
 * own — what `goniec payments update COMPANY` does, in a child forked from the master with
 * the configuration in force (matcher_main, through worker_fork(): nothing is loaded
 * again, so it costs the same however many sources there are), limited in time and
 * signalled like a source's worker (daemon/worker.h: the same result line) — never inside
 * a source's worker, so a source's run never waits for the ledger.
 *
 * At start the master asks for MATCHER_NEW: one run that reads what was filed while the
 * daemon was down and matches only the companies that got something new to decide
 * (payments_update with no company); the others are not matched and their ledger not
 * written.
 *
 * Ownership: struct matcher is the master's; matcher_free() releases it.
 * Errors: a run that fails is logged and recorded (last_error); the company is asked for
 * again by its next filing.
 */
#ifndef GONIEC_DAEMON_MATCHER_H
#define GONIEC_DAEMON_MATCHER_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "daemon/worker.h"

/* The request for every company with new documents (no company id is empty). */
#define MATCHER_NEW ""
/* The longest a request is held while sources wait for a worker. */
#define MATCHER_HOLD_MAX_S 300

struct matcher {
	struct worker w;             /* w.pid != 0 while a company is matched */
	char *company;               /* the company being matched */
	struct strlist queue;        /* waiting, each once, in the order asked */
	time_t *asked;               /* when each of the queue was asked for */
	unsigned long runs;
	time_t last_end;
	char *last_company, *last_error;
};

void matcher_init(struct matcher *mt);
void matcher_free(struct matcher *mt);
void matcher_request(struct matcher *mt, const char *company);
/* The next company to match, taken off the queue (the caller frees it), or NULL when one
 * runs or none waits — or, while sources_waiting (sources queued for a worker), none was
 * asked for MATCHER_HOLD_MAX_S ago or more. */
char *matcher_next(struct matcher *mt, bool sources_waiting);
/* The process started for `company` (taken over); on failure it is recorded as failed. */
void matcher_started(struct matcher *mt, char *company, int rc, const struct gerr *err);
/* After waitpid() reported the matcher's exit. */
void matcher_finished(struct matcher *mt, int wstatus);
/* In the forked child: bring the company's ledger up to date, write the result line on fd;
 * returns the exit status. */
worker_main_fn matcher_main;
/* Stopping: nothing more is started. */
void matcher_clear_queue(struct matcher *mt);
/* {"running": company|null, "queued": [...], "runs": N, "last_company", "last_end",
 *  "last_error"} for goniec status (MATCHER_NEW as "(companies with new documents)"). */
json_t *matcher_status(const struct matcher *mt);

#endif
