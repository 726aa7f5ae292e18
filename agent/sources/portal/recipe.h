/* recipe — a provider recipe: how to log in to a customer portal, find its consumption
 * points and invoices, and download them, described in YAML so that a new provider needs
 * no C.
 *
 * Recipes live in conf.d/providers/<provider>.yaml (the administrator's, read first) and in
 * GONIEC_DATADIR/goniec/providers/<provider>.yaml (shipped with the package). A recipe has
 * `title`, `about`, `base_url`, optional `delay` (between requests, default 1s), optional
 * `headers` (added to every request to the portal itself — same scheme, host and port as
 * base_url — once their variables are all set) and three
 * step lists: `login` (run when there is no usable session), `check` (optional: proves a
 * kept session still works) and `fetch` (points and documents). docs/portal.md is the
 * reference of the step vocabulary.
 *
 * recipe_load() parses and validates: unknown keys and steps (with a "did you mean"),
 * malformed XPath / JSONPath / regex, variables used before anything sets them, misplaced
 * steps — every problem reported as file:line:col through `diag`.
 *
 * Ownership: a recipe owns everything in it; recipe_free() releases it. The file name in
 * diagnostics positions is interned for the life of the process.
 */
#ifndef GONIEC_PORTAL_RECIPE_H
#define GONIEC_PORTAL_RECIPE_H

#include "core/confschema.h"
#include "sources/portal/extract.h"

/* Typed states a portal page can be in (fail_if: error:). */
enum portal_error {
	PE_NONE = 0,
	PE_BAD_CREDENTIALS,
	PE_CODE_NEEDED,
	PE_CAPTCHA,
	PE_ACTION_NEEDED,
	PE_SESSION_EXPIRED,
	PE_SITE_CHANGED,
	PE_UNAVAILABLE,
	PE_NEEDS_JAVASCRIPT,  /* the page shows its data only to a browser running scripts */
};
extern const char *const portal_error_names[]; /* indexed by enum; [0] = "none" */

enum rx_type { RX_TEXT, RX_DATE, RX_AMOUNT };

/* A value: extracted from the page (kind + expr) or made from a template. */
struct rx {
	bool set;
	bool is_template;
	enum ex_kind kind;
	char *expr;          /* expression or template text */
	int group;           /* regex group (-1: default) */
	enum rx_type type;
	char *format;        /* date format for RX_DATE (NULL: usual ones) */
	bool optional;       /* nothing found is fine (else: site changed) */
	char *dflt;          /* value when nothing is found */
	char *claim;         /* EX_JWT: the claim (dotted path) of the token `expr` gives */
	char *match;         /* a regex applied to what was found (group 1, else the match) */
	bool secret;         /* a captured value masked in traces (also by its name) */
	struct conf_pos pos;
};

struct capture {
	char *name;
	struct rx rx;
};
struct captures {
	struct capture *v;
	size_t len;
};

/* fail_if / expect: a condition on the current page. */
struct check {
	struct rx rx;          /* matches when it finds a non-empty value */
	long status;           /* matches on this HTTP status (0: unused) */
	char *url_contains;    /* matches when the page's URL contains this */
	char *contains;        /* matches when the body contains this */
	enum portal_error error;
	char *message;
	struct conf_pos pos;
};
struct checks {
	struct check *v;
	size_t len;
};

struct kv {
	char *key;
	char *tmpl;
};
struct kvlist {
	struct kv *v;
	size_t len;
};

struct request {
	char *method;          /* NULL: GET, or POST when there is a body */
	char *url;             /* template; relative to the page or base_url */
	struct kvlist query, form, headers;
	json_t *json;          /* a JSON body: string leaves are templates, others typed */
	char *body, *content_type;
	char *stop_at;         /* follow redirects one by one until a Location starting with
				* this (a template); that URL becomes the page, unfetched */
	bool auto_submit;      /* submit the forms a page submits by script (SAML, Keycloak) */
	struct rx base64;      /* download: the answer is JSON, the document Base64 here */
	struct conf_pos pos;
};

enum step_kind {
	ST_PAGE,       /* only captures / checks on the current page */
	ST_REQUEST,
	ST_SUBMIT,     /* fill in and send a form of the current page */
	ST_SET,
	ST_OTP,
	ST_FOREACH,
	ST_POINTS,
	ST_DOCUMENTS,
	ST_PKCE,       /* a PKCE verifier and its S256 challenge, a state and a nonce */
};
extern const char *const step_kind_names[];

struct steps {
	struct step *v;
	size_t len;
};

struct step {
	enum step_kind kind;
	char *name;                /* for messages; default "<section> step N" */
	struct conf_pos pos;
	struct request req;        /* ST_REQUEST, ST_SUBMIT (url overrides the form action) */
	char *form_xpath;          /* ST_SUBMIT */
	struct kvlist set;         /* ST_SET */
	char *otp_var, *otp_prompt;/* ST_OTP */
	int64_t otp_ttl;
	struct rx items;           /* loops: what to iterate over */
	char *as;                  /* loops: record name ("point", "doc", ...) */
	struct captures fields;    /* loops: the record's fields, relative to an item */
	struct steps body;         /* ST_FOREACH, ST_POINTS */
	struct rx next;            /* ST_DOCUMENTS: the next page's URL */
	long max_pages;
	struct request list;       /* ST_DOCUMENTS with paging: the request of each page */
	char *page_var;            /* ST_DOCUMENTS: paging by counting, until a page is empty */
	long page_from;
	struct checks empty_when;  /* loops: what shows a list that is empty on purpose */
	struct steps before;       /* ST_DOCUMENTS: steps per document before its download */
	struct request download;   /* ST_DOCUMENTS */
	bool no_download;          /* download: none — no public client shows how: listed only */
	char *only_with;           /* ST_DOCUMENTS: skip a document without this field */
	char *pkce_as;             /* ST_PKCE: the record name ("pkce") */
	struct captures captures;
	struct checks fail_if, expect;
};

/* Where a recipe's knowledge of the portal comes from (a public client or document). */
struct follow {
	char *source;              /* "vincentto13/energa24-api energa/client.py" or a URL */
	char *version;             /* a commit, release or date */
};

struct recipe {
	char *id;                  /* the provider name (file name without .yaml) */
	const char *path;          /* interned */
	char *title, *about, *base_url;
	struct follow *follows;
	size_t nfollows;
	char *checked;             /* when it was last compared with its sources (YYYY-MM-DD) */
	char *live;                /* tried against the live site: "no", or a date */
	int64_t delay_ms;
	struct kvlist headers;     /* sent with every request once their variables are set */
	struct steps login, check, fetch;
};

/* Where the recipe of `provider` is: conf.d/providers first, then the shipped directory
 * ($GONIEC_PROVIDERS_DIR when set, for running from a source tree).
 * NULL when neither has it (owned by the caller). */
char *recipe_find(const char *confdir, const char *provider);
/* Parse and validate. NULL when the file has errors (all of them are in diag). */
struct recipe *recipe_load(const char *path, struct diag *diag);
struct recipe *recipe_load_string(const char *name, const char *text, size_t len,
				  struct diag *diag);
void recipe_free(struct recipe *r);

/* A delay: "250ms" or a duration ("1s", "2m"), at most an hour. -1 otherwise. */
int recipe_parse_delay(const char *s, int64_t *ms);

/* The variables the engine sets before a recipe runs. */
extern const char *const recipe_builtin_vars[];

#endif
