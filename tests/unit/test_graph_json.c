/* Unit tests: the Graph JSON answer parsers and the error explanations (the token
 * endpoint's are test_oauth.c's). */
#include <time.h>

#include "testutil.h"

#include "sources/graph/graph.h"
#include "sources/graph/graph_json.h"

#define PARSE(fn, text, out, err) fn(text, strlen(text), out, err)

/* The sending answers the graph target reads, as Microsoft's examples give them, and
 * hostile ones. */
static void sending_answers(void **state)
{
	const char *session = "{\"@odata.context\":\"x\",\"uploadUrl\":\"https://outlook.office.com/api/v2.0/"
			      "Users('a')/Messages('m')/AttachmentSessions('s')?authtoken=t\","
			      "\"expirationDateTime\":\"2019-09-25T01:09:30.7671707Z\",\"nextExpectedRanges\":[\"0-\"]}";
	const char *chunk = "{\"ExpirationDateTime\":\"2019-09-25T01:09:30Z\",\"nextExpectedRanges\":[\"2097152\"]}";
	const char *bad[] = {"", "[1]", "{\"nextExpectedRanges\":[]}", "{\"nextExpectedRanges\":[7]}",
			     "{\"nextExpectedRanges\":[\"-5\"]}", "{\"nextExpectedRanges\":[\"12x\"]}",
			     "{\"nextExpectedRanges\":[\"99999999999999999999999\"]}", "{\"nextExpectedRanges\":\"0-\"}",
			     "{\"uploadUrl\":1,\"uploadUrl\":2}"};
	(void)state;
	char *url = graph_answer_string(session, strlen(session), "uploadUrl");
	assert_non_null(url);
	assert_true(strncmp(url, "https://outlook.office.com/api/v2.0/", 36) == 0);
	free(url);
	assert_int_equal(graph_next_expected(session, strlen(session)), 0);
	assert_int_equal(graph_next_expected(chunk, strlen(chunk)), 2097152);
	assert_null(graph_answer_string(chunk, strlen(chunk), "uploadUrl"));
	assert_null(graph_answer_string("{\"id\": 5}", 9, "id"));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(graph_next_expected(bad[i], strlen(bad[i])), -1);
		assert_null(graph_answer_string(bad[i], strlen(bad[i]), "uploadUrl"));
	}
}

static void graph_errors(void **state)
{
	const char *denied = "{\"error\":{\"code\":\"ErrorAccessDenied\",\"message\":\"Access is denied.\","
			     "\"innerError\":{\"request-id\":\"r-1\"}}}";
	const char *user = "{\"error\":{\"code\":\"ErrorInvalidUser\",\"message\":\"The requested user 'x' is invalid.\"}}";
	struct graph_error e;
	char *msg;
	(void)state;
	graph_parse_error(denied, strlen(denied), &e);
	msg = graph_explain(403, &e, "mailbox x");
	assert_non_null(strstr(msg, "Mail.ReadWrite"));
	assert_non_null(strstr(msg, "admin consent"));
	assert_non_null(strstr(msg, "request-id r-1"));
	assert_true(graph_error_needs_person(403, &e));
	free(msg);
	graph_error_free(&e);

	graph_parse_error(user, strlen(user), &e);
	msg = graph_explain(404, &e, "mailbox x");
	assert_non_null(strstr(msg, "mailbox not found"));
	assert_true(graph_error_needs_person(404, &e));
	free(msg);
	graph_error_free(&e);

	/* throttling is no person's business; garbage bodies give empty errors */
	graph_parse_error("<html>", 6, &e);
	assert_null(e.code);
	assert_false(graph_error_needs_person(429, &e));
	msg = graph_explain(429, &e, "list");
	assert_non_null(strstr(msg, "throttling"));
	free(msg);
	graph_error_free(&e);
	graph_parse_error(NULL, 0, &e);
	assert_null(e.message);
}

static const char page_json[] =
	"{\"value\":[{\"id\":\"m1\",\"internetMessageId\":\"<a@b>\",\"subject\":\"Faktura\","
	"\"from\":{\"emailAddress\":{\"name\":\"PGE\",\"address\":\"faktury@pge.pl\"}},"
	"\"receivedDateTime\":\"2026-11-01T06:00:01Z\",\"attachments\":["
	"{\"@odata.type\":\"#microsoft.graph.fileAttachment\",\"id\":\"a1\",\"name\":\"FV.pdf\","
	"\"contentType\":\"application/pdf\",\"size\":1234,\"isInline\":true},"
	"{\"@odata.type\":\"#microsoft.graph.itemAttachment\",\"id\":\"a2\",\"name\":\"Fwd\"},"
	"{\"@odata.type\":\"#microsoft.graph.referenceAttachment\",\"id\":\"a3\"},"
	"{\"@odata.type\":\"#microsoft.graph.somethingNew\",\"id\":\"a4\"}]},"
	"{\"id\":\"m2\",\"receivedDateTime\":\"2026-11-01T06:00:02Z\"}],"
	"\"@odata.nextLink\":\"https://graph.microsoft.com/v1.0/users/x/messages?$skip=2\"}";

static void messages_page(void **state)
{
	struct graph_page p;
	struct gerr err;
	(void)state;
	assert_int_equal(PARSE(graph_parse_messages, page_json, &p, &err), 0);
	assert_int_equal(p.nmsgs, 2);
	assert_string_equal(p.msgs[0].from, "faktury@pge.pl");
	assert_string_equal(p.msgs[0].internet_id, "<a@b>");
	assert_int_equal(p.msgs[0].natts, 4);
	assert_int_equal(p.msgs[0].atts[0].kind, GRAPH_ATT_FILE);
	assert_true(p.msgs[0].atts[0].is_inline);
	assert_int_equal(p.msgs[0].atts[0].size, 1234);
	assert_int_equal(p.msgs[0].atts[1].kind, GRAPH_ATT_ITEM);
	assert_int_equal(p.msgs[0].atts[2].kind, GRAPH_ATT_REFERENCE);
	assert_int_equal(p.msgs[0].atts[3].kind, GRAPH_ATT_OTHER);
	assert_null(p.msgs[1].from);
	assert_int_equal(p.msgs[1].natts, 0);
	assert_string_equal(p.next_link, "https://graph.microsoft.com/v1.0/users/x/messages?$skip=2");
	graph_page_free(&p);
}

static void messages_hostile(void **state)
{
	static const char *const bad[] = {
		"{}", "{\"value\":{}}", "{\"value\":[1]}", "{\"value\":[{\"receivedDateTime\":\"x\"}]}",
		"{\"value\":[{\"id\":\"m\"}]}", "{\"value\":[{\"id\":\"\",\"receivedDateTime\":\"x\"}]}",
		"{\"value\":[{\"id\":\"m\",\"receivedDateTime\":\"x\",\"attachments\":{}}]}",
		"{\"value\":[{\"id\":\"m\",\"receivedDateTime\":\"x\",\"attachments\":[{\"name\":\"a\"}]}]}",
		"{\"value\":[{\"id\":\"m\",\"receivedDateTime\":\"x\"},{\"id\":7}]}",
	};
	struct graph_page p;
	struct gerr err;
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(PARSE(graph_parse_messages, bad[i], &p, &err), -1);
		assert_null(p.msgs);
	}
	/* wrong types of optional fields are ignored */
	assert_int_equal(PARSE(graph_parse_messages,
			       "{\"value\":[{\"id\":\"m\",\"receivedDateTime\":\"x\",\"from\":5,\"subject\":[]}]}",
			       &p, &err), 0);
	assert_null(p.msgs[0].from);
	assert_null(p.msgs[0].subject);
	graph_page_free(&p);
}

static void folders(void **state)
{
	const char *list = "{\"value\":[{\"id\":\"f1\",\"displayName\":\"Archiwum\"},"
			   "{\"id\":\"f2\",\"displayName\":\"eksiegowy2026\",\"isHidden\":true}]}";
	struct graph_folder f;
	struct gerr err;
	(void)state;
	assert_int_equal(graph_parse_folder_find(list, strlen(list), "EKSIEGOWY2026", &f, &err), 0);
	assert_string_equal(f.id, "f2");
	assert_true(f.hidden); /* listed with includeHiddenFolders=true */
	graph_folder_free(&f);
	assert_int_equal(graph_parse_folder_find(list, strlen(list), "nope", &f, &err), 0);
	assert_null(f.id);
	assert_int_equal(graph_parse_folder_find("{\"value\":3}", 11, "x", &f, &err), -1);
	assert_int_equal(PARSE(graph_parse_folder, "{\"id\":\"i\",\"displayName\":\"Inbox\"}", &f, &err), 0);
	assert_string_equal(f.name, "Inbox");
	assert_false(f.hidden);
	graph_folder_free(&f);
	assert_int_equal(PARSE(graph_parse_folder, "{\"displayName\":\"Inbox\"}", &f, &err), -1);
}

static void folder_list(void **state)
{
	const char *list = "{\"value\":[{\"id\":\"f1\",\"displayName\":\"Inbox\",\"childFolderCount\":2},"
			   "{\"displayName\":\"no id\"},7,{\"id\":\"f2\"}],"
			   "\"@odata.nextLink\":\"https://graph.microsoft.com/v1.0/x?$skip=3\"}";
	struct graph_folder_list l;
	struct gerr err;
	(void)state;
	assert_int_equal(graph_parse_folder_list(list, strlen(list), &l, &err), 0);
	assert_int_equal(l.len, 2);
	assert_int_equal(l.items[0].children, 2);
	assert_null(l.items[1].name);
	assert_int_equal(l.items[1].children, 0);
	assert_non_null(l.next_link);
	graph_folder_list_free(&l);
	assert_int_equal(graph_parse_folder_list("[]", 2, &l, &err), -1);
	assert_int_equal(graph_parse_folder_list("{\"value\":null}", 14, &l, &err), -1);
}

static void move_folder_name(void **state)
{
	char *n;
	(void)state;
	setenv("TZ", "Europe/Warsaw", 1);
	tzset();
	/* 2025-12-31T23:30:00Z is already 2026 in Warsaw */
	n = graph_move_folder_name("eksiegowy{year}", 1767223800);
	assert_string_equal(n, "eksiegowy2026");
	free(n);
	n = graph_move_folder_name("{year}-{year}x", 1767223800);
	assert_string_equal(n, "2026-2026x");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(graph_errors),
		cmocka_unit_test(sending_answers),
		cmocka_unit_test(messages_page),
		cmocka_unit_test(messages_hostile),
		cmocka_unit_test(folders),
		cmocka_unit_test(folder_list),
		cmocka_unit_test(move_folder_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
