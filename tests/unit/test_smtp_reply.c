/* Unit tests of forward/smtpreply: the reply that ended an SMTP session (multi-line
 * replies, enhanced status codes, a QUIT after the failure, broken and hostile lines) and
 * what it means for a delivery (4xx retried; 5xx permanent except a class-4 enhanced code
 * and the quota table, retried after the provider's window). */
#include "testutil.h"
#include "forward/smtpreply.h"

static struct smtp_reply parse(const char *text)
{
	struct smtp_reply r;
	smtp_reply_parse(text, strlen(text), &r);
	return r;
}

static enum smtp_verdict verdict(const char *text, int64_t *window)
{
	struct smtp_reply r = parse(text);
	const char *what;
	return smtp_reply_classify(&r, window, &what);
}

static void test_gmail_daily_limit(void **state)
{
	(void)state;
	const char *s = "220 smtp.gmail.com ESMTP\r\n250-smtp.gmail.com\r\n250 SMTPUTF8\r\n"
			"550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\r\n"
			"550-5.4.5 sending limits go to\r\n"
			"550 5.4.5  https://support.google.com/a/answer/166852 x1-20020a\r\n"
			"221 2.0.0 closing connection\r\n";
	struct smtp_reply r = parse(s);
	assert_int_equal(r.code, 550);
	assert_int_equal(r.cls, 5);
	assert_int_equal(r.subject, 4);
	assert_int_equal(r.detail, 5);
	assert_string_equal(r.text, "Daily user sending limit exceeded. For more information on Gmail "
				    "sending limits go to https://support.google.com/a/answer/166852 x1-20020a");
	int64_t window = 0;
	const char *what = NULL;
	assert_int_equal(smtp_reply_classify(&r, &window, &what), SMTP_VERDICT_QUOTA);
	assert_int_equal(window, 3600);
	assert_non_null(strstr(what, "5.4.5"));
}

static void test_microsoft_quotas(void **state)
{
	(void)state;
	int64_t w = 0;
	assert_int_equal(verdict("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message\r\n", &w),
			 SMTP_VERDICT_QUOTA);
	assert_int_equal(w, 3600);
	/* the same code for another reason needs a person */
	assert_int_equal(verdict("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException\r\n", &w),
			 SMTP_VERDICT_PERMANENT);
	assert_int_equal(w, 0);
	assert_int_equal(verdict("550 5.7.233 Your message can't be sent because your tenant has exceeded its daily limit\r\n", &w),
			 SMTP_VERDICT_QUOTA);
	/* mailbox full of the sender: a person empties it */
	assert_int_equal(verdict("554 5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException\r\n", &w),
			 SMTP_VERDICT_PERMANENT);
}

static void test_classes(void **state)
{
	(void)state;
	int64_t w;
	assert_int_equal(verdict("250 2.0.0 OK queued\r\n", &w), SMTP_VERDICT_OK);
	assert_int_equal(verdict("451 4.3.0 Mail server temporarily rejected message\r\n", &w),
			 SMTP_VERDICT_TEMPORARY);
	assert_int_equal(verdict("421 4.7.0 Try again later, closing connection.\r\n", &w),
			 SMTP_VERDICT_TEMPORARY);
	/* a 5xx whose enhanced code says transient */
	assert_int_equal(verdict("550 4.7.0 temporarily deferred\r\n", &w), SMTP_VERDICT_TEMPORARY);
	assert_int_equal(verdict("550 5.1.1 The email account that you tried to reach does not exist\r\n", &w),
			 SMTP_VERDICT_PERMANENT);
	assert_int_equal(verdict("535 5.7.8 Username and Password not accepted\r\n", &w),
			 SMTP_VERDICT_PERMANENT);
	struct smtp_reply r = parse("554 Transaction failed\n");
	assert_int_equal(r.code, 554);
	assert_int_equal(r.cls, 0);
	assert_string_equal(r.text, "Transaction failed");
}

static void test_failure_wins_over_quit(void **state)
{
	(void)state;
	struct smtp_reply r = parse("250 OK\r\n452 4.5.3 Too many recipients\r\n221 Bye\r\n");
	assert_int_equal(r.code, 452);
	r = parse("250-a\r\n250 b\r\n354 go ahead\r\n250 2.0.0 queued\r\n221 bye\r\n");
	assert_int_equal(r.code, 221);
}

static void test_hostile(void **state)
{
	(void)state;
	struct smtp_reply r = parse("");
	assert_int_equal(r.code, 0);
	r = parse("5");
	assert_int_equal(r.code, 0);
	r = parse("999 nothing\r\n123 low\r\n55x\r\n550\t5.4.5 tab\r\n");
	assert_int_equal(r.code, 0);
	/* a reply cut in the middle is no reply */
	r = parse("250 OK\r\n550-5.4.5 Daily user sending limit exceeded\r\n");
	assert_int_equal(r.code, 250);
	/* a broken line ends what was open; a reply after it counts */
	r = parse("550-5.4.5 a\r\ngarbage\r\n550 5.1.1 b\r\n");
	assert_int_equal(r.code, 550);
	assert_int_equal(r.detail, 1);
	assert_string_equal(r.text, "b");
	/* lines of another code do not continue a reply */
	r = parse("550-5.4.5 a\r\n451 4.0.0 b\r\n");
	assert_int_equal(r.code, 0);
	/* malformed enhanced codes stay text */
	r = parse("550 5.4 half\r\n");
	assert_int_equal(r.cls, 0);
	assert_string_equal(r.text, "5.4 half");
	r = parse("550 5.4.5x joined\r\n");
	assert_int_equal(r.cls, 0);
	r = parse("550 5.1234.5 long\r\n");
	assert_int_equal(r.cls, 0);
	/* control characters never reach a log line; the text is bounded */
	char big[3000];
	strcpy(big, "550-5.7.1 \x1b[31mred\x07\r\n");
	for (int i = 0; i < 40; i++)
		strcat(big, "550-5.7.1 more text to make the reply long, longer than the cap\r\n");
	strcat(big, "550 5.7.1 end\r\n");
	r = parse(big);
	assert_int_equal(r.code, 550);
	assert_true(strlen(r.text) < SMTP_REPLY_TEXT_MAX);
	for (const char *c = r.text; *c; c++)
		assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	/* bytes with NUL inside are read by length */
	const char nul[] = "550 5.4.5 a\0b\r\n";
	smtp_reply_parse(nul, sizeof(nul) - 1, &r);
	assert_int_equal(r.code, 550);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gmail_daily_limit),
		cmocka_unit_test(test_microsoft_quotas),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_failure_wins_over_quit),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests_name("smtp_reply", tests, NULL, NULL);
}
