/* engine — runs the steps of a provider recipe against a portal.
 *
 * The engine keeps the current page (the last response), the variables and the HTTP
 * client with its cookies. It runs one step list at a time (login, check, fetch) and stops
 * at the first typed failure: a fail_if that matched, an expect that did not (the site
 * changed), a capture or field that found nothing, an unusable response (unavailable), or
 * an otp step whose code is not known yet (code needed; `resume_at` says where to go on).
 *
 * What is found is handed to the caller through hooks: each consumption point (the hook
 * says whether it is enabled), each document (whether it is wanted) and each downloaded
 * document (a file descriptor of a verified PDF). A download that is not a PDF (an HTML
 * error page) is not filed: it is counted in doc_failures and the run goes on.
 *
 * Ownership: the engine borrows the recipe and the hooks; engine_free() releases what it
 * made. Errors: the enum portal_error result, with a message in e->err naming the step
 * (file:line) and what was expected; never a secret or page content.
 */
#ifndef GONIEC_PORTAL_ENGINE_H
#define GONIEC_PORTAL_ENGINE_H

#include "sources/portal/extract.h"
#include "sources/portal/http.h"
#include "sources/portal/recipe.h"
#include "sources/portal/trace.h"
#include "sources/portal/vars.h"

struct doc_info {
	const char *id, *number, *issue_date, *due_date, *period_from, *period_to;
	const char *gross, *net, *currency, *point, *link, *name;
};

struct engine_hooks {
	void *ud;
	bool (*point)(void *ud, const char *id, const char *name);
	bool (*want)(void *ud, const struct doc_info *d);
	int (*file)(void *ud, const struct doc_info *d, int fd, struct gerr *err);
};

struct engine {
	const struct recipe *recipe;
	struct engine_hooks hooks;
	struct http http;
	struct vars vars;
	struct http_response resp;   /* the current page */
	struct ex_page page;
	const char *tmp_dir;         /* where downloads are spooled before filing */
	size_t resume_at;            /* after PE_CODE_NEEDED: the otp step's index in login */
	unsigned long documents, doc_failures;
	unsigned long listed_only;   /* documents of a list whose recipe cannot download them */
	struct trace *trace;         /* recording or replaying (trace.h), or NULL; borrowed */
	bool replay_mismatch;        /* a replay failed: the recipe asked for another request */
	struct gerr err;
};

int engine_init(struct engine *e, const struct recipe *r, const struct http_opts *o,
		const struct engine_hooks *hooks, const char *tmp_dir, struct gerr *err);
void engine_free(struct engine *e);

/* Run steps[start..]. */
enum portal_error engine_run(struct engine *e, const struct steps *steps, size_t start);

/* A value to mask in the run's trace when `secret` or its name says it is one (see
 * trace.h); nothing without a trace. */
void engine_note_secret(struct engine *e, const char *name, const char *value, bool secret);

/* Forget the current page (after a session is dropped). */
void engine_reset_page(struct engine *e);

#endif
