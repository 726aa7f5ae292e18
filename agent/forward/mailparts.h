/* mailparts — what one message of a mail-like target (email over SMTP, graph through
 * Microsoft Graph) carries: the documents read from the spool, the body and the subject
 * rendered from the route's templates (core/template.h) with each document's sidecar.
 *
 * A delivery of n documents is one message: each document an attachment, the body the
 * body template once per document; an alert alone (kind alert, text up to
 * MAIL_ALERT_BODY_MAX) is the body itself, with nothing attached. The subject is rendered
 * with the first document's sidecar plus {count} and {files} of the message.
 *
 * Ownership: struct mail_parts owns what it holds (mail_parts_free()); the sidecars are
 * borrowed and must outlive it (the attachments' names point into them).
 * Errors: mail_parts_load() returns DELIVER_RETRY when a document cannot be read now,
 * DELIVER_FAILED when it is gone or larger than max_size; err names the file.
 */
#ifndef GONIEC_FORWARD_MAILPARTS_H
#define GONIEC_FORWARD_MAILPARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "forward/mailmsg.h"
#include "forward/target.h"

#define MAIL_ALERT_BODY_MAX (64 * 1024)

struct tmpl;

struct mail_parts {
	struct mail_attachment *att;  /* n of them (none count when inline_text) */
	char **data;
	const char **hashes;          /* sha256 of each document (its relpath when unknown) */
	struct buf body;
	bool inline_text;             /* an alert: its text is the body, nothing attached */
};

enum deliver_status mail_parts_load(const struct sidecar *const *scs, size_t n,
				    uint64_t max_size, const struct tmpl *body_t,
				    struct mail_parts *p, struct gerr *err);
void mail_parts_free(struct mail_parts *p, size_t n);
/* The subject; *files_out the documents' names, comma separated (both owned). */
char *mail_parts_subject(const struct tmpl *subject_t, const struct sidecar *const *scs, size_t n,
			 char **files_out);

/* Do n documents fit in one message of max_size (mail_size_estimate())? */
bool mail_parts_fit(const struct sidecar *scs, size_t n, uint64_t max_size);
/* prepare() of a mail-like target: DELIVERED when the document fits alone, else
 * DELIVER_FAILED naming it. */
enum deliver_status mail_parts_check(const struct sidecar *sc, uint64_t max_size, struct gerr *err);

/* Send the n documents of a delivery as one message and give every job the outcome (a
 * target's deliver()). send() sets *where on success and *window_ms when the server
 * named its wait. */
typedef enum deliver_status (*mail_send_fn)(const struct target_job *job,
					    const struct sidecar *const *scs, size_t n,
					    char **where, int64_t *window_ms, struct gerr *err);
void mail_deliver_as_one(struct target_job *const *jobs, size_t n, enum deliver_status *st,
			 struct gerr *errs, mail_send_fn send);

/* ---- settings the mail-like targets share ---- */
#define MAIL_DEFAULT_SUBJECT "[goniec] {company|} {kind|document} {file}"
#define MAIL_DEFAULT_BODY                                                                  \
	"{file} from {source|?} ({company|-}), fetched {fetched_at|?}.\n"                  \
	"Invoice {invoice.number|-} of {invoice.issue_date|-}, {invoice.gross|-} "          \
	"{invoice.currency|}\n"
/* validate(): each of `to` an address; the subject and body templates compiled (set
 * when they compile; errors via cf_error). */
void mail_settings_validate(struct cf_ctx *ctx, yaml_node_t *tnode, const struct strlist *to,
			    const char *subject, const char *body, struct tmpl **subject_t,
			    struct tmpl **body_t);
/* The recipients, for a fingerprint. */
void mail_recipients_fingerprint(struct buf *b, const struct strlist *to);

#endif
