/* smtpreply — what an SMTP server's reply means for a delivery: read the last reply of a
 * session (RFC 5321 reply lines, RFC 3463 enhanced status codes) and decide whether the
 * message may go later or waits for a person.
 *
 * The rule (documented in docs/forward.md, "SMTP replies"):
 *   2xx, 3xx          not a failure
 *   4xx               temporary: retried with the usual growing delays
 *   5xx               permanent (a person must act), except
 *     - an enhanced code of class 4 (a provider sending "550 4.7.0 ..."): temporary;
 *     - the quota replies of smtp_quotas[] (a daily sending limit that clears by itself:
 *       Gmail's 5.4.5, Microsoft 365's submission and tenant limits): temporary, retried
 *       after the provider's window.
 *
 * The parser takes untrusted bytes (whatever the server sent, several replies, broken
 * lines) and never fails: what it cannot read gives code 0.
 *
 * Ownership: struct smtp_reply holds its text (bounded) in place; nothing is allocated.
 */
#ifndef GONIEC_FORWARD_SMTPREPLY_H
#define GONIEC_FORWARD_SMTPREPLY_H

#include <stddef.h>
#include <stdint.h>

#define SMTP_REPLY_TEXT_MAX 400

struct smtp_reply {
	int code;                 /* 250, 550, ...; 0: none could be read */
	int cls, subject, detail; /* the enhanced status code 5.4.5; cls 0: none given */
	char text[SMTP_REPLY_TEXT_MAX]; /* the reply's text, lines joined by a space, without
					 * the codes; control characters replaced */
};

/* The reply that ended the session in `data` (a session's server lines, CRLF or LF
 * ended): the last complete failure reply (4xx, 5xx) when there is one — libcurl may
 * still say QUIT after it — else the last complete reply. */
void smtp_reply_parse(const char *data, size_t len, struct smtp_reply *out);

enum smtp_verdict { SMTP_VERDICT_OK, SMTP_VERDICT_TEMPORARY, SMTP_VERDICT_QUOTA,
		    SMTP_VERDICT_PERMANENT };

/* What the reply means. For SMTP_VERDICT_QUOTA, *window_s is the provider's window and
 * *what names the limit ("Gmail's daily sending limit"); else they are 0 and NULL. */
enum smtp_verdict smtp_reply_classify(const struct smtp_reply *r, int64_t *window_s,
				      const char **what);

#endif
