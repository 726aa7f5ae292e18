/* Unit tests of the forwarder's message builder: RFC 2047 headers (word length, UTF-8
 * boundaries, folding), RFC 2231 file names, base64 lines, stable Message-IDs, hostile
 * media types, address checks. */
#include "testutil.h"
#include "forward/mailmsg.h"

static void test_header_plain_ascii_untouched(void **state)
{
	(void)state;
	char *h = mail_encode_header("Invoice FV/1/2026", 9);
	assert_string_equal(h, "Invoice FV/1/2026");
	free(h);
}

static void test_header_utf8_words(void **state)
{
	(void)state;
	const char *subject = "Faktura — Zakład Energetyczny Łódź żółć gęślą jaźń, ąęćńóśźż ĄĘĆŃÓŚŹŻ";
	char *h = mail_encode_header(subject, 9);
	/* every line at most 76 characters with the "Subject: " prefix; every word <= 75 */
	size_t col = 9;
	for (const char *p = h; *p; p++) {
		if (*p == '\r') {
			assert_int_equal(p[1], '\n');
			assert_int_equal(p[2], ' ');
			col = 0;
			p++;
			continue;
		}
		assert_true(++col <= 76);
	}
	assert_non_null(strstr(h, "=?UTF-8?B?"));
	free(h);
	/* CR/LF in a value can never start a new header */
	h = mail_encode_header("evil\r\nBcc: victim@example.com", 9);
	assert_null(strstr(h, "\r\nBcc"));
	free(h);
}

static void test_header_never_splits_utf8(void **state)
{
	(void)state;
	/* 100 two-byte letters: each encoded word must decode to whole characters */
	char s[201];
	for (int i = 0; i < 100; i++)
		memcpy(s + 2 * i, "ż", 2);
	s[200] = '\0';
	char *h = mail_encode_header(s, 9);
	/* 39 bytes per word max -> 38 (even) bytes of "ż" per word: base64 of 38 bytes is 52 */
	for (const char *p = strstr(h, "=?UTF-8?B?"); p; p = strstr(p + 1, "=?UTF-8?B?")) {
		const char *end = strstr(p + 10, "?=");
		assert_non_null(end);
		size_t b64 = (size_t)(end - p - 10);
		assert_true(b64 <= 52);
	}
	free(h);
}

static void test_filename_params(void **state)
{
	(void)state;
	char *p = mail_filename_params("FV-1.pdf");
	assert_string_equal(p, "filename=\"FV-1.pdf\"");
	free(p);
	p = mail_filename_params("Faktura żółć \"x\".pdf");
	assert_non_null(strstr(p, "filename*0*=UTF-8''Faktura%20%C5%BC%C3%B3%C5%82%C4%87%20%22x%22.pdf"));
	assert_non_null(strstr(p, "filename=\"Faktura ____ _x_.pdf\""));
	free(p);
	/* long names are continued, never splitting a %XX */
	char longname[400];
	for (int i = 0; i < 150; i++)
		memcpy(longname + 2 * i, "ą", 2);
	strcpy(longname + 300, ".pdf");
	p = mail_filename_params(longname);
	assert_non_null(strstr(p, "filename*1*="));
	for (const char *c = strstr(p, "filename*"); c; c = strstr(c + 1, "filename*")) {
		const char *val = strchr(c, '=') + 1;
		const char *end = strchr(val, ';');
		size_t n = end ? (size_t)(end - val) : strlen(val);
		if (str_starts_with(val, "UTF-8''"))
			val += 7, n -= 7;
		assert_true(n % 3 == 0 || strchr(val, '.'));
	}
	free(p);
}

static void test_name_param(void **state)
{
	(void)state;
	char *p = mail_name_param("FV-1.pdf");
	assert_string_equal(p, "name=\"FV-1.pdf\"");
	free(p);
	p = mail_name_param("a\"b\\c.pdf"); /* never closes the quotes early */
	assert_string_equal(p, "name=\"a_b_c.pdf\"");
	free(p);
	/* "Faktura żółć.pdf" as one RFC 2047 word inside the quotes */
	p = mail_name_param("Faktura żółć.pdf");
	assert_string_equal(p, "name=\"=?UTF-8?B?RmFrdHVyYSDFvMOzxYLEhy5wZGY=?=\"");
	free(p);
	/* a long Polish name: several words, folded lines of at most 76 characters */
	char longname[400];
	for (int i = 0; i < 150; i++)
		memcpy(longname + 2 * i, "ą", 2);
	strcpy(longname + 300, ".pdf");
	p = mail_name_param(longname);
	assert_non_null(strstr(p, "?=\r\n =?UTF-8?B?"));
	size_t col = 7;
	for (const char *c = p; *c; c++)
		col = *c == '\n' ? 0 : col + 1, assert_true(col <= 78);
	assert_true(str_ends_with(p, "?=\""));
	free(p);
}

static void test_message_id_stable(void **state)
{
	(void)state;
	const char *h1[] = {"aaaa", "bbbb"}, *h2[] = {"bbbb", "aaaa"};
	char *a = mail_message_id("route", h1, 2, "goniec@biuro.pl");
	char *b = mail_message_id("route", h1, 2, "goniec@biuro.pl");
	char *c = mail_message_id("route2", h1, 2, "goniec@biuro.pl");
	char *d = mail_message_id("route", h2, 2, "goniec@biuro.pl");
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_true(str_ends_with(a, "@goniec.biuro.pl>"));
	assert_int_equal(strlen(a), 1 + 32 + strlen("@goniec.biuro.pl>"));
	free(a), free(b), free(c), free(d);
}

static void test_build_message(void **state)
{
	(void)state;
	struct strlist to = {0};
	strlist_add(&to, "a@b.pl");
	strlist_add(&to, "c@d.pl");
	unsigned char data[200];
	for (int i = 0; i < 200; i++)
		data[i] = (unsigned char)i;
	struct mail_attachment att[] = {
		{"x.pdf", "application/pdf", data, sizeof(data)},
		{"y.bin", "text/html\r\nX-Evil: 1", data, 10},
	};
	const char *h[] = {"abc"};
	char *mid = mail_message_id("r", h, 1, "me@x.pl");
	struct mail_spec m = {"me@x.pl", &to, "Temat żółw", "Treść\n", mid, 0, att, 2};
	size_t len;
	char *msg = mail_build(&m, &len);
	assert_int_equal(len, strlen(msg));
	assert_non_null(strstr(msg, "To: a@b.pl,\r\n c@d.pl\r\n"));
	assert_non_null(strstr(msg, "Message-ID: <"));
	assert_non_null(strstr(msg, "Content-Type: application/pdf;\r\n name=\"x.pdf\"\r\n"));
	assert_non_null(strstr(msg, "Content-Type: application/octet-stream;\r\n name=\"y.bin\"\r\n"));
	assert_null(strstr(msg, "X-Evil"));
	/* no bare LF, no line over 998 */
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n') {
			assert_int_equal(msg[i - 1], '\r');
			col = 0;
		} else {
			assert_true(++col <= 998);
		}
	}
	free(msg);
	free(mid);
	strlist_free(&to);
}

static void test_base64_lines(void **state)
{
	(void)state;
	struct buf b = {0};
	char in[100];
	memset(in, 'A', sizeof(in));
	mail_base64(&b, in, sizeof(in));
	assert_int_equal(b.len, 76 + 2 + 60 + 2);
	assert_memory_equal(b.data + 76, "\r\n", 2);
	buf_free(&b);
}

static void test_addresses(void **state)
{
	(void)state;
	assert_true(mail_address_ok("ksiegowa@biuro.pl"));
	static const char *const bad[] = {"", "x", "@a", "a@", "a@b@c", "a b@c", "a<b>@c", "a@b\r\n",
					  "a@b,c@d", NULL};
	for (size_t i = 0; bad[i]; i++)
		assert_false(mail_address_ok(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_plain_ascii_untouched),
		cmocka_unit_test(test_header_utf8_words),
		cmocka_unit_test(test_header_never_splits_utf8),
		cmocka_unit_test(test_filename_params),
		cmocka_unit_test(test_name_param),
		cmocka_unit_test(test_message_id_stable),
		cmocka_unit_test(test_build_message),
		cmocka_unit_test(test_base64_lines),
		cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests_name("fwd_mail", tests, NULL, NULL);
}
