/* libFuzzer target: the portal extraction layer on hostile pages. The input's first line
 * is used as a JSONPath, a regex and a value to parse as an amount and a date; the rest
 * is the page, run through fixed XPath / JSONPath / regex extractors the way recipes use
 * them (items, then fields relative to each item). Nothing may crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/portal/extract.h"

static const struct { enum ex_kind kind; const char *expr; } items_of[] = {
	{EX_XPATH, "//tr[td]"},
	{EX_XPATH, "//form//input[@type='hidden']"},
	{EX_JSONPATH, "$..invoices[*]"},
	{EX_JSONPATH, "$[*]"},
	{EX_REGEX, "FV/[0-9/]+"},
};
static const struct { enum ex_kind kind; const char *expr; } fields[] = {
	{EX_XPATH, "td[1]"}, {EX_XPATH, "@value"}, {EX_XPATH, "string(.//a/@href)"},
	{EX_JSONPATH, "$.id"}, {EX_JSONPATH, "$.period.from"}, {EX_REGEX, "([0-9]+),([0-9]{2})"},
};

static void eval(const struct ex_ctx *c, enum ex_kind kind, const char *expr)
{
	struct strlist v = {0};
	struct gerr err;
	ex_values(c, kind, expr, -1, &v, &err);
	for (size_t i = 0; i < v.len && i < 4; i++) {
		char amount[32], date[11];
		const char *cur;
		ex_parse_amount(v.items[i], amount, &cur);
		ex_parse_date(v.items[i], NULL, date);
	}
	strlist_free(&v);
	ex_matches(c, kind, expr, -1, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t head = nl ? (size_t)(nl - (const char *)data) : 0;
	char *line = strndup((const char *)data, head);
	struct ex_page page;
	struct ex_ctx c;
	struct gerr err;
	char amount[32], date[11];
	const char *cur;

	if (!line)
		return 0;
	ex_parse_amount(line, amount, &cur);
	ex_parse_date(line, NULL, date);
	ex_parse_date(line, "%d.%m.%Y", date);
	ex_page_init(&page, (const char *)data + (nl ? head + 1 : 0), size - (nl ? head + 1 : 0));
	c = ex_page_ctx(&page);
	if (head < 200) {
		if (ex_check(EX_JSONPATH, line, &err) == 0)
			eval(&c, EX_JSONPATH, line);
		if (head < 40 && ex_check(EX_REGEX, line, &err) == 0)
			eval(&c, EX_REGEX, line);
	}
	for (size_t i = 0; i < sizeof(items_of) / sizeof(items_of[0]); i++) {
		struct ex_items it = {0};
		if (ex_items(&c, items_of[i].kind, items_of[i].expr, -1, &it, &err) < 0)
			continue;
		for (size_t k = 0; k < it.len && k < 8; k++)
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
				eval(&it.items[k], fields[f].kind, fields[f].expr);
		ex_items_free(&it);
	}
	ex_page_free(&page);
	free(line);
	return 0;
}
