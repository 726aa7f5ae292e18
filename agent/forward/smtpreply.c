/* smtpreply — see smtpreply.h. */
#include "forward/smtpreply.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* 5xx replies that are sending quotas: they clear by themselves once the provider's
 * window has passed. `text` (when set) must occur in the reply, without regard to case.
 * Sources: RFC 3463 (X.4.5 "mail system congestion" is transient by definition; Gmail
 * answers its daily limits with "550 5.4.5 Daily user sending limit exceeded" and "Daily
 * SMTP relay limit exceeded"), Microsoft's Exchange Online limits ("554 5.2.0
 * STOREDRV.Submission.Exception:SubmissionQuotaExceededException" for the 10,000
 * recipients a day of a mailbox, "550 5.7.233" for the tenant's external recipient rate
 * limit; both over a sliding 24 hours, so room comes back hour by hour). */
static const struct smtp_quota {
	int cls, subject, detail;
	const char *text;
	int64_t window_s;
	const char *what;
} smtp_quotas[] = {
	{5, 4, 5, NULL, 3600, "a daily sending limit (Gmail: 5.4.5)"},
	{5, 2, 0, "SubmissionQuotaExceeded", 3600,
	 "Microsoft 365's daily recipient limit of the mailbox"},
	{5, 7, 233, NULL, 3600, "Microsoft 365's daily external recipient limit of the tenant"},
};

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "NNN" then ' ', '-' or the end of the line. */
static int line_code(const char *p, size_t n, char *sep)
{
	if (n < 3 || !digit(p[0]) || !digit(p[1]) || !digit(p[2]) || p[0] < '2' || p[0] > '5')
		return 0;
	*sep = n > 3 ? p[3] : ' ';
	if (*sep != ' ' && *sep != '-')
		return 0;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/* A number of 1..3 digits at *p (advanced); -1 when there is none. */
static int small_number(const char **p, const char *end)
{
	int v = 0, n = 0;

	while (*p < end && digit(**p) && n < 3) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

/* "5.4.5 " at the start of a line's text: fills the enhanced code and skips it. */
static const char *enhanced(const char *p, const char *end, struct smtp_reply *r)
{
	const char *q = p;
	int c, s, d;

	if (q >= end || (*q != '2' && *q != '4' && *q != '5') || q + 1 >= end || q[1] != '.')
		return p;
	c = *q - '0';
	q += 2;
	if ((s = small_number(&q, end)) < 0 || q >= end || *q != '.')
		return p;
	q++;
	if ((d = small_number(&q, end)) < 0 || (q < end && *q != ' '))
		return p;
	r->cls = c;
	r->subject = s;
	r->detail = d;
	while (q < end && *q == ' ')
		q++;
	return q;
}

static void add_text(struct smtp_reply *r, const char *p, const char *end)
{
	size_t len = strlen(r->text);

	if (len && len + 1 < sizeof(r->text))
		r->text[len++] = ' ';
	for (; p < end && len + 1 < sizeof(r->text); p++)
		r->text[len++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	r->text[len] = 0;
}

void smtp_reply_parse(const char *data, size_t len, struct smtp_reply *out)
{
	struct smtp_reply cur;
	const char *p = data, *end = data + len;
	bool open = false; /* a reply has begun ("NNN-" lines) and not ended */

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	while (data && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *te = le > p && le[-1] == '\r' ? le - 1 : le;
		char sep;
		int code = line_code(p, (size_t)(te - p), &sep);

		if (code && (!open || code == cur.code)) {
			if (!open)
				memset(&cur, 0, sizeof(cur));
			cur.code = code;
			const char *t = te - p > 4 ? p + 4 : te;
			int c = cur.cls, s = cur.subject, d = cur.detail;
			t = enhanced(t, te, &cur);
			if (c) { /* the first line's enhanced code is the reply's */
				cur.cls = c;
				cur.subject = s;
				cur.detail = d;
			}
			add_text(&cur, t, te);
			open = sep == '-';
			if (!open && (cur.code >= 400 || out->code < 400))
				*out = cur; /* the last failure, else the last reply */
		} else {
			open = false; /* a broken line ends whatever was open */
		}
		p = nl ? nl + 1 : end;
	}
}

enum smtp_verdict smtp_reply_classify(const struct smtp_reply *r, int64_t *window_s,
				      const char **what)
{
	*window_s = 0;
	*what = NULL;
	if (r->code < 400)
		return SMTP_VERDICT_OK;
	if (r->code < 500)
		return SMTP_VERDICT_TEMPORARY;
	for (size_t i = 0; i < sizeof(smtp_quotas) / sizeof(smtp_quotas[0]); i++) {
		const struct smtp_quota *q = &smtp_quotas[i];

		if (r->cls == q->cls && r->subject == q->subject && r->detail == q->detail &&
		    (!q->text || strcasestr(r->text, q->text))) {
			*window_s = q->window_s;
			*what = q->what;
			return SMTP_VERDICT_QUOTA;
		}
	}
	return r->cls == 4 ? SMTP_VERDICT_TEMPORARY : SMTP_VERDICT_PERMANENT;
}
