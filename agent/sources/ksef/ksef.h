/* ksef — the `ksef` source: a client company's invoices from KSeF, Poland's national
 * e-invoice system (API 2.0), signed in with a KSeF token.
 *
 * A run: sign in (ksef/auth.h) → the effective rate limits (GET /rate-limits) → for each
 * configured subject (purchase, sales) the invoices KSeF stored since the last run,
 * each filed as its FA(3) XML with the sidecar's `invoice` (ksef/sync.h) → sign out.
 * Configuration (goniec.conf(5), docs/ksef.md):
 *   nip          the company's NIP (checksum verified), the context signed in to
 *   token        the KSeF token (token_file / token_env / token_credential)
 *   environment  prod | demo | test, each with its base URL; base_url overrides
 *   subjects     [purchase] by default; [purchase, sales] when asked
 *   history      where the first run begins: a date ("2026-02-01") or a span back ("90d");
 *                default: the first day of the previous month
 *   ca_file      CA certificates to trust instead of the system store (tests)
 * The default schedule is three times a day; a schedule more often than every 15 minutes
 * is refused (KSeF's guidance for each subject).
 *
 * Ownership: ksef_conf is filled and freed by the config layer (its table).
 * Errors: run() leaves a message for a person in run->err; needs-person when KSeF refuses
 * the token, with KSeF's reason.
 */
#ifndef GONIEC_SOURCES_KSEF_H
#define GONIEC_SOURCES_KSEF_H

#include <jansson.h>

#include "core/config.h"
#include "sources/source.h"

#define KSEF_MIN_INTERVAL 900   /* seconds: KSeF asks for no more than one query per 15 min */

enum ksef_environment { KSEF_ENV_PROD, KSEF_ENV_DEMO, KSEF_ENV_TEST };

struct ksef_conf {
	char *nip;               /* compact, checksum verified (CF_NIP) */
	struct secret token;
	int environment;
	char *base_url;          /* NULL: the environment's */
	struct strlist subjects;
	char *history;
	char *ca_file;
};

extern const struct source_type source_type_ksef;

/* The API base the source talks to ("https://api.ksef.mf.gov.pl/v2"). */
const char *ksef_base_url(const struct ksef_conf *c);
/* What `goniec status` shows of a KSeF source (its `details`), from its state file:
 * {"subjects": {"purchase": {"last_issue_date", "last_stored", "last_stored_at", "filed"},
 * ...}}, the latest invoice of each subject (its issue date, and when KSeF stored it: as
 * KSeF wrote it, and in seconds since 1970) and how many were filed; NULL when it never
 * ran. Owned by the caller. */
json_t *ksef_details(const char *state_dir, const struct source_conf *src);

#endif
