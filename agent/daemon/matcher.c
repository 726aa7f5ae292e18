/* matcher — see matcher.h. */
#include "daemon/matcher.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/status.h"
#include "payments/update.h"

/* The result line, as a source's worker writes it: looked_at counts the documents read,
 * filed the reports. */
static void report_result(int fd, int rc, const struct payments_update *u, const struct gerr *err)
{
	struct run_stats st = {.looked_at = u->ingest.documents, .filed = u->reports.len};
	enum run_outcome o = rc == 0 ? RUN_OK : err->kind == GERR_BUSY ? RUN_BUSY : RUN_FAILED;
	json_t *j = json_pack("{s:s,s:o,s:o}", "outcome", run_outcome_name(o), "stats", status_stats_to_json(&st),
			      "error", o == RUN_OK ? json_null() : json_string(err->msg));
	control_send(fd, j);
	json_decref(j);
}

int matcher_main(const struct config *cfg, const char *company, int fd)
{
	struct payments_update u;
	struct gerr err = {0};
	int rc = payments_update(cfg, *company ? company : NULL, false, &u, &err);
	report_result(fd, rc, &u, &err); /* the master logs it */
	payments_update_free(&u);
	return rc < 0 ? 1 : 0;
}

/* The company as the log names it. */
static const char *shown(const char *company)
{
	return !company ? "?" : *company ? company : "(companies with new documents)";
}

void matcher_init(struct matcher *mt)
{
	memset(mt, 0, sizeof(*mt));
	mt->w.fd = -1;
}

void matcher_free(struct matcher *mt)
{
	free(mt->company);
	free(mt->last_company);
	free(mt->last_error);
	strlist_free(&mt->queue);
	free(mt->asked);
}

void matcher_request(struct matcher *mt, const char *company)
{
	if (strlist_contains(&mt->queue, company))
		return;
	strlist_add(&mt->queue, company);
	mt->asked = xrealloc(mt->asked, mt->queue.len * sizeof(*mt->asked));
	mt->asked[mt->queue.len - 1] = time(NULL);
}

char *matcher_next(struct matcher *mt, bool sources_waiting)
{
	if (mt->w.pid || !mt->queue.len)
		return NULL;
	size_t i = 0;
	time_t now = time(NULL);
	while (sources_waiting && i < mt->queue.len && now - mt->asked[i] < MATCHER_HOLD_MAX_S)
		i++;
	if (i == mt->queue.len)
		return NULL;
	char *company = mt->queue.items[i];
	size_t after = mt->queue.len - i - 1;
	memmove(mt->queue.items + i, mt->queue.items + i + 1, after * sizeof(*mt->queue.items));
	memmove(mt->asked + i, mt->asked + i + 1, after * sizeof(*mt->asked));
	mt->queue.items[--mt->queue.len] = NULL;
	return company;
}

static void record_end(struct matcher *mt, const char *error)
{
	mt->runs++;
	mt->last_end = time(NULL);
	free(mt->last_company);
	mt->last_company = mt->company;
	mt->company = NULL;
	free(mt->last_error);
	mt->last_error = error ? xstrdup(error) : NULL;
}

void matcher_started(struct matcher *mt, char *company, int rc, const struct gerr *err)
{
	mt->company = company;
	if (rc == 0) {
		log_debug("payments %s: matcher %d started", shown(company), (int)mt->w.pid);
		return;
	}
	log_error("payments %s: cannot start the matcher: %s", shown(company), err->msg);
	record_end(mt, err->msg);
}

void matcher_finished(struct matcher *mt, int wstatus)
{
	struct worker_result res;
	worker_finish(&mt->w, wstatus, &res);
	const char *company = shown(mt->company);
	if (res.outcome == RUN_OK)
		log_info("payments %s: matched (%lu documents read, %lu reports filed)", company,
			 res.stats.looked_at, res.stats.filed);
	else
		log_warn("payments %s: matcher %s: %s", company, run_outcome_name(res.outcome),
			 res.error ? res.error : "no result");
	record_end(mt, res.outcome == RUN_OK ? NULL : res.error ? res.error : run_outcome_name(res.outcome));
	worker_result_free(&res);
}

void matcher_clear_queue(struct matcher *mt)
{
	strlist_free(&mt->queue);
	free(mt->asked);
	mt->asked = NULL;
}

json_t *matcher_status(const struct matcher *mt)
{
	json_t *queued = json_array();
	for (size_t i = 0; i < mt->queue.len; i++)
		json_array_append_new(queued, json_string(shown(mt->queue.items[i])));
	json_t *s = json_pack("{s:o,s:o,s:I}", "running", mt->company ? json_string(shown(mt->company)) : json_null(),
			      "queued", queued, "runs", (json_int_t)mt->runs);
	if (mt->last_company)
		json_object_set_new(s, "last_company", json_string(shown(mt->last_company)));
	if (mt->last_end)
		json_object_set_new(s, "last_end", json_integer((json_int_t)mt->last_end));
	if (mt->last_error)
		json_object_set_new(s, "last_error", json_string(mt->last_error));
	return s;
}
