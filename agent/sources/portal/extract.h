/* extract — pulling values out of fetched portal pages: XPath over HTML (libxml2's
 * forgiving HTML parser), a JSONPath subset over JSON (jansson), POSIX extended regular
 * expressions over text. Also the value conversions portals need: amounts in Polish
 * notation ("1 234,56 zł") and dates in a given or usual format.
 *
 * A `struct ex_page` is one response body; it parses itself lazily as HTML or JSON when an
 * extractor first needs it. A `struct ex_ctx` is where an extractor is evaluated: the whole
 * page, or one item of a list (an HTML node, a JSON value, a matched text) so that fields
 * of a table row are taken relative to the row.
 *
 * JSONPath subset: `$` (the context), `.key`, `['key']` / `["key"]`, `[n]` (negative counts
 * from the end), `[*]` and `.*` (every member), `..key` (key at any depth).
 * XPath: XPath 1.0 as libxml2 does it; a node set gives the text of each node (whitespace
 * collapsed), a string/number gives one value, a boolean gives "true" or nothing.
 *
 * Ownership: ex_page_* own the body they were given (copied) and the parsed trees; item
 * contexts borrow from their page and must not outlive it. Returned strings and lists are
 * the caller's. Errors: -1 with a message in `err` (the expression is named, page content
 * never is).
 */
#ifndef GONIEC_PORTAL_EXTRACT_H
#define GONIEC_PORTAL_EXTRACT_H

#include <jansson.h>
#include <libxml/HTMLparser.h>

#include "core/util.h"

/* EX_URL_PARAM and EX_JWT are read by the engine from the page's URL and from a token
 * (ex_url_param, ex_jwt_claim), not from the body. */
enum ex_kind { EX_XPATH, EX_JSONPATH, EX_REGEX, EX_HEADER, EX_COOKIE, EX_URL_PARAM, EX_JWT };
extern const char *const ex_kind_names[]; /* "xpath", "jsonpath", ... NULL-terminated */

struct ex_page {
	char *body;
	size_t len;
	htmlDocPtr html;   /* parsed on demand */
	json_t *json;      /* parsed on demand */
	bool html_tried, json_tried;
};

enum ex_ctx_kind { CTX_PAGE, CTX_NODE, CTX_JSON, CTX_TEXT };
struct ex_ctx {
	enum ex_ctx_kind kind;
	struct ex_page *page;  /* always set */
	xmlNodePtr node;       /* CTX_NODE */
	json_t *json;          /* CTX_JSON (borrowed) */
	char *text;            /* CTX_TEXT (owned by the item list) */
};

struct ex_items {
	struct ex_ctx *items;
	size_t len;
};

void ex_page_init(struct ex_page *p, const char *body, size_t len);
void ex_page_free(struct ex_page *p);
struct ex_ctx ex_page_ctx(struct ex_page *p);

/* Every value `expr` gives in `ctx` (EX_XPATH, EX_JSONPATH, EX_REGEX with `group`, -1 for
 * "group 1 if the pattern has one, else the whole match"). */
int ex_values(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
	      struct strlist *out, struct gerr *err);
/* The items `expr` selects, as contexts for further extraction. */
int ex_items(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
	     struct ex_items *out, struct gerr *err);
void ex_items_free(struct ex_items *items);
/* Does `expr` find anything in ctx? (XPath: a non-empty node set, a true boolean or a
 * non-empty string; JSONPath: a value other than null, false and ""; regex: a match.) */
bool ex_matches(const struct ex_ctx *ctx, enum ex_kind kind, const char *expr, int group,
		struct gerr *err);

/* Is the expression well formed? (XPath compiles, JSONPath parses, regex compiles.) */
int ex_check(enum ex_kind kind, const char *expr, struct gerr *err);

/* The value of parameter `name` in the query of `url`, else in its fragment (an OAuth2
 * redirect with response_mode=fragment), percent-decoded; NULL when absent. */
char *ex_url_param(const char *url, const char *name);
/* The claim at dotted path `claim` ("sub", "realm_access.roles") of a JWT's payload
 * (header.payload.signature, base64url; the signature is not checked — the token is the
 * portal's own, read for an id it carries). A string claim as it is, a number or boolean
 * as JSON writes it. -1 with err when the token is not a JWT or the claim is absent. */
int ex_jwt_claim(const char *token, const char *claim, char **out, struct gerr *err);
/* The first match of regex `re` in text: group 1 when the pattern has a group, else the
 * whole match; NULL when it does not match (and on a bad pattern, with err). */
char *ex_regex_first(const char *text, const char *re, struct gerr *err);

/* "1 234,56 zł" -> "1234.56" and currency "PLN" (NULL when none is written). Accepts
 * spaces and no-break spaces as thousand separators, '.' thousands with ',' decimals,
 * a plain "1234.56", a leading '-'. Returns -1 when it is not an amount. */
int ex_parse_amount(const char *text, char out[32], const char **currency);
/* A date by strptime `format` (NULL: try "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y")
 * into "YYYY-MM-DD". Returns -1 when it does not parse. */
int ex_parse_date(const char *text, const char *format, char out[11]);

#endif
