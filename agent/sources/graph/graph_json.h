/* graph_json — parsers of the JSON answers of Microsoft Graph, and the messages a person
 * reads when it says no (the Entra ID token endpoint's are core/oauth.h's).
 *
 * Every function takes untrusted bytes (not NUL-terminated) and never trusts a field's
 * presence or type: a missing or wrongly typed field is an error naming the field, or is
 * skipped where Graph documents it as optional. Nothing here does I/O.
 *
 * Ownership: the structs filled here own their strings; release them with the matching
 * *_free(). Errors: -1 with err set (the message names what was wrong, never a secret).
 */
#ifndef GONIEC_GRAPH_JSON_H
#define GONIEC_GRAPH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "formats/grapherr.h" /* struct graph_error, graph_parse_error() */

enum graph_att_kind { GRAPH_ATT_FILE, GRAPH_ATT_ITEM, GRAPH_ATT_REFERENCE, GRAPH_ATT_OTHER };

struct graph_attachment {
	enum graph_att_kind kind;
	char *id;
	char *name;          /* may be NULL */
	char *content_type;  /* may be NULL */
	int64_t size;
	bool is_inline;
};

struct graph_message {
	char *id;
	char *internet_id;   /* Message-ID header, may be NULL */
	char *subject;       /* may be NULL */
	char *from;          /* address, may be NULL */
	char *from_name;     /* may be NULL */
	char *received;      /* receivedDateTime, ISO 8601 UTC */
	char *sent;          /* sentDateTime (the Date header), may be NULL */
	struct graph_attachment *atts;
	size_t natts;
};

/* One page of GET .../messages (with $expand=attachments). A message without an id or
 * receivedDateTime is an error: the page cannot be trusted. */
struct graph_page {
	struct graph_message *msgs;
	size_t nmsgs;
	char *next_link;     /* @odata.nextLink, NULL on the last page */
};
int graph_parse_messages(const char *body, size_t len, struct graph_page *out, struct gerr *err);
void graph_page_free(struct graph_page *p);

/* A mailFolder ({"id", "displayName"}) or a collection of them ({"value": [...]}). */
struct graph_folder {
	char *id;
	char *name;
	long children;       /* childFolderCount, 0 when not given */
	bool hidden;         /* isHidden (listed with includeHiddenFolders=true) */
};
int graph_parse_folder(const char *body, size_t len, struct graph_folder *out, struct gerr *err);
/* Every folder of a collection (entries without an id are skipped) and its nextLink. */
struct graph_folder_list {
	struct graph_folder *items;
	size_t len;
	char *next_link;
};
int graph_parse_folder_list(const char *body, size_t len, struct graph_folder_list *out,
			    struct gerr *err);
void graph_folder_list_free(struct graph_folder_list *l);
/* The first folder of a collection whose displayName equals name (case-insensitive, as
 * Exchange compares names); out->id NULL when none. */
int graph_parse_folder_find(const char *body, size_t len, const char *name,
			    struct graph_folder *out, struct gerr *err);
void graph_folder_free(struct graph_folder *f);

/* What a person should do about a failed request: a sentence naming the Azure setting to
 * fix, built from the HTTP status and the error body. `what` names the request ("token",
 * "mailbox kasia@firma.pl"). The result is owned by the caller. */
char *graph_explain(long status, const struct graph_error *e, const char *what);
/* Whether this failure needs a person (credentials, consent, mailbox) rather than a
 * retry later. */
bool graph_error_needs_person(long status, const struct graph_error *e);

#endif
