/* update — see update.h. */
#include "payments/update.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fault.h"
#include "core/fsyncs.h"
#include "core/log.h"
#include "core/sidecar.h"
#include "core/spool.h"
#include "payments/report.h"
#include "sources/filing.h"

void payments_company(const struct company_conf *c, struct ledger_company *out)
{
	memset(out, 0, sizeof(*out));
	out->id = c->id;
	snprintf(out->nip, sizeof(out->nip), "%s", c->nip ? c->nip : "");
	out->partial = c->payments.partial;
}

void payments_today(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

json_t *payments_status(const char *state_dir)
{
	char *path = path_join(state_dir, LEDGER_FILE);
	bool there = access(path, F_OK) == 0;
	free(path);
	if (!there)
		return json_array();
	struct ledger *lg;
	struct gerr err = {0};
	char today[11];
	payments_today(today);
	json_t *st = ledger_open(state_dir, LEDGER_READ, &lg, &err) == 0 ? ledger_status_json(lg, today, &err) : NULL;
	ledger_close(lg);
	if (!st && err.kind == GERR_BUSY) /* being created: nothing to say yet */
		return json_array();
	if (!st)
		log_warn("payments: %s", err.msg);
	return st;
}

void payments_update_free(struct payments_update *u)
{
	strlist_free(&u->reports);
	memset(u, 0, sizeof(*u));
}

/* ---- the report ---------------------------------------------------------------------------- */

static const struct source_type payments_type = {.name = PAYMENTS_SOURCE};

/* Is the report of this name (company and generation) in today's folder already, with its
 * sidecar? A run that filed it and was killed before the ledger noted it (ledger_report_filed)
 * leaves it there: the next run must not file it twice (the forwarder delivered it). It is
 * made durable again, as the interrupted run may not have. *relpath gets its spool path. */
static bool filed_already(const struct config *cfg, const char *name, char **relpath)
{
	char day[11];
	spool_date_dir(time(NULL), day);
	char *rel = xasprintf("%s/%s/%s", day, PAYMENTS_SOURCE, name);
	char *doc = path_join(cfg->agent.spool_dir, rel);
	char *side = xasprintf("%s%s", doc, SIDECAR_SUFFIX);
	char *folder = xstrndup(doc, (size_t)(strrchr(doc, '/') - doc));
	struct stat a, b;
	struct sync_target v[] = {{AT_FDCWD, doc, false}, {AT_FDCWD, side, false}, {AT_FDCWD, folder, true}};
	struct gerr err;
	bool there = stat(doc, &a) == 0 && S_ISREG(a.st_mode) && stat(side, &b) == 0 && S_ISREG(b.st_mode) &&
		     fsync_all(v, ARRAY_LEN(v), &err) == 0;
	free(folder);
	free(side);
	free(doc);
	if (there)
		*relpath = rel;
	else
		free(rel);
	return there;
}

/* File one form of the report; its spool-relative path is added to u->reports. */
static int file_one(struct source_run *run, const char *name, const char *text, json_t *extra,
		    struct payments_update *u, struct gerr *err)
{
	char *filed;
	if (filed_already(run->cfg, name, &filed)) {
		log_info("payments: %s was filed before the last run was interrupted", filed);
		strlist_add(&u->reports, filed);
		free(filed);
		return 0;
	}
	struct filing_doc d = {.name_hint = name, .kind = "payments", .extra = extra};
	enum spool_status status;
	char *path = NULL;
	struct filing *f = filing_begin(run, &d, err);
	if (!f)
		return -1;
	if (filing_write(f, text, strlen(text), err) < 0) {
		filing_abort(f);
		return -1;
	}
	if (filing_commit_path(f, &status, &path, err) < 0)
		return -1;
	if (path)
		strlist_add(&u->reports, path);
	free(path);
	return 0;
}

static const struct company_conf *configured(const struct config *cfg, const char *id)
{
	for (size_t i = 0; i < cfg->ncompanies; i++)
		if (!strcmp(cfg->companies[i]->id, id))
			return cfg->companies[i];
	return NULL;
}

/* A company this configuration's shard runs (one not configured: whoever reads its documents). */
static bool runs_here(const struct config *cfg, const char *id)
{
	const struct company_conf *cc = configured(cfg, id);
	return !cc || config_runs_company(cfg, cc);
}

static int file_report(const struct config *cfg, struct ledger *lg, const char *company,
		       struct payments_update *u, struct gerr *err)
{
	char today[11];
	payments_today(today);
	json_t *doc = ledger_payments_json(lg, company, today, false, err);
	if (!doc)
		return -1;
	struct company_conf fallback = {.id = (char *)company};
	const struct company_conf *cc = configured(cfg, company);
	struct source_conf src = {.name = PAYMENTS_SOURCE, .type_name = PAYMENTS_SOURCE, .type = &payments_type,
				  .company = cc ? cc : &fallback};
	strlist_add(&src.accept, "payments");
	strlist_add(&src.accept, "csv");
	strlist_add(&src.accept, "html");
	struct spool sp;
	/* no size limit: agent.max_document_size guards against outside documents, and the
	 * report of a big company is as large as its ledger makes it (over 100 MB of JSON for
	 * 100,000 transactions) */
	int rc = spool_open(&sp, cfg->agent.spool_dir, cfg->agent.state_dir, 0, err);
	if (rc == 0) {
		struct source_run run = {.cfg = cfg, .src = &src, .spool = &sp};
		const json_t *counts = json_object_get(doc, "counts");
		json_int_t gen = json_integer_value(json_object_get(doc, "generation"));
		json_t *extra = json_pack("{s:{s:s,s:I,s:I,s:I,s:I,s:I}}", "payments", "company", company,
					  "generation", gen, "matched",
					  (json_int_t)json_array_size(json_object_get(doc, "matched")), "left",
					  (json_int_t)json_array_size(json_object_get(doc, "unmatched")), "open_invoices",
					  json_integer_value(json_object_get(counts, "open_invoices")),
					  "overdue_invoices", json_integer_value(json_object_get(counts, "overdue_invoices")));
		char *json_text = json_dumps(doc, JSON_INDENT(2)); /* "schema" first: the sniffer finds it */
		char *csv = payments_csv(doc), *html = payments_html(doc);
		const char *forms[][2] = {{"json", json_text}, {"csv", csv}, {"html", html}};
		for (size_t i = 0; rc == 0 && i < ARRAY_LEN(forms); i++) {
			char *name = xasprintf("payments-%s-%lld.%s", company, (long long)gen, forms[i][0]);
			rc = file_one(&run, name, forms[i][1], extra, u, err);
			free(name);
		}
		free(json_text);
		free(csv);
		free(html);
		json_decref(extra);
		spool_close(&sp);
	}
	strlist_free(&src.accept);
	json_decref(doc);
	return rc;
}

/* ---- the run -------------------------------------------------------------------------------- */

static int match_company(const struct config *cfg, struct ledger *lg, const char *id, bool full,
			 struct payments_update *u, struct gerr *err)
{
	struct ledger_company c = {.id = id};
	const struct company_conf *cc = configured(cfg, id);
	if (cc)
		payments_company(cc, &c);
	struct ledger_run run;
	if (ledger_match(lg, &c, full, &run, err) < 0)
		return -1;
	u->changed += run.changed;
	u->matched += run.matched;
	u->person += run.person;
	u->unmatched += run.unmatched;
	if (run.changed)
		log_info("payments %s: %lu changed (%lu matched, %lu for a person, %lu unmatched) of %lu "
			 "transactions looked at, %.3f s (%.3f s CPU)", id, run.changed, run.matched, run.person,
			 run.unmatched, run.scope_txns, run.seconds, run.cpu_seconds);
	return 0;
}

int payments_update(const struct config *cfg, const char *company, bool full, struct payments_update *u,
		    struct gerr *err)
{
	memset(u, 0, sizeof(*u));
	int64_t t0 = now_ms();
	size_t n = 0;
	struct ledger_company *cs = xcalloc(cfg->ncompanies + 1, sizeof(*cs));
	for (size_t i = 0; i < cfg->ncompanies; i++)
		if (config_runs_company(cfg, cfg->companies[i])) /* a shard: only its share */
			payments_company(cfg->companies[i], &cs[n++]);
	struct ledger *lg;
	int rc = ledger_open(cfg->agent.state_dir, LEDGER_WRITE, &lg, err);
	if (rc == 0)
		rc = ledger_ingest_spool(lg, cfg->agent.spool_dir, cs, n, &u->ingest, err);
	struct strlist ids = {0};
	if (rc == 0 && company)
		strlist_add(&ids, company);
	else if (rc == 0)
		rc = full ? ledger_companies(lg, &ids, err) : ledger_companies_pending(lg, &ids, err);
	for (size_t i = 0; rc == 0 && i < ids.len; i++)
		if (company || runs_here(cfg, ids.items[i]))
			rc = match_company(cfg, lg, ids.items[i], full, u, err);
	/* every report still due, also one an interrupted run left */
	struct strlist due = {0};
	if (rc == 0)
		rc = ledger_reports_due(lg, &due, err);
	for (size_t i = 0; rc == 0 && i < due.len; i++) {
		rc = file_report(cfg, lg, due.items[i], u, err);
		fault_point("payments-report-filed"); /* filed, not yet noted in the ledger */
		if (rc == 0)
			rc = ledger_report_filed(lg, due.items[i], err);
	}
	strlist_free(&due);
	strlist_free(&ids);
	ledger_close(lg);
	free(cs);
	u->seconds = (double)(now_ms() - t0) / 1000.0;
	return rc;
}
