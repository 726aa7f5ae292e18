/* libFuzzer target: every parser of Graph JSON answers (the graph target's sending
 * answers too), and the explanation built from an error answer. The first byte picks
 * the folder name and the member to look for. (The token endpoint's answers:
 * fuzz_oauth.c.) */
#include <stdint.h>
#include <stdlib.h>

#include "sources/graph/graph_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct graph_error e;
	struct graph_page page;
	struct graph_folder f;
	struct graph_folder_list fl;
	struct gerr err;
	char *msg;

	graph_parse_error(text, size, &e);
	msg = graph_explain(size ? data[0] + 300 : 0, &e, "fuzz");
	(void)graph_error_needs_person(403, &e);
	free(msg);
	graph_error_free(&e);
	free(graph_answer_string(text, size, size && (data[0] & 2) ? "uploadUrl" : "id"));
	(void)graph_next_expected(text, size);
	if (graph_parse_messages(text, size, &page, &err) == 0)
		graph_page_free(&page);
	if (graph_parse_folder(text, size, &f, &err) == 0)
		graph_folder_free(&f);
	if (graph_parse_folder_list(text, size, &fl, &err) == 0)
		graph_folder_list_free(&fl);
	if (graph_parse_folder_find(text, size, size && (data[0] & 1) ? "Inbox" : "eksiegowy2026",
				    &f, &err) == 0)
		graph_folder_free(&f);
	return 0;
}
