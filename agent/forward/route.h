/* route — the conf.d schema of a forwarding route (the typed part of struct route_conf)
 * and the matching of documents against it.
 *
 *   routes:
 *     - name: acme-import
 *       match:                       # every key must match (absent: everything)
 *         kind: [invoice, statement] # a pattern or a list of patterns ('*' wildcard)
 *         sender: "*@pge.pl"
 *         invoice.seller.nip: "526*" # any sidecar field by dotted path
 *       alerts: false                # also deliver the daemon's alerts (kind: alert)
 *       folder: {path: /srv/import, name: "{company}/{file}", group: ksiegowi, ...}
 *       # or
 *       email: {to: [a@b.pl], from: goniec@b.pl, server: smtp.b.pl, ...}
 *
 * Shortcut keys in `match`: source (the source's name), source_type, sender (the origin
 * mail's From), file; everything else is a sidecar path. A route in a company document
 * only sees that company's documents. Exactly one target per route.
 *
 * The config loader maps each route's YAML onto struct route with route_fields and
 * calls route_validate(), which finds the target (the key of one target type in
 * forward/target.h), maps and checks its settings (templates compiled, group resolved);
 * unknown template and match fields are reported as warnings naming them.
 *
 * Ownership: struct route belongs to its route_conf; route_release() then
 * cf_free(route_fields, r) free it (the target's settings and templates included).
 */
#ifndef GONIEC_ROUTE_H
#define GONIEC_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/confschema.h"
#include "core/oauth.h"

struct config;

struct tmpl;

struct route_match {
	char **paths;            /* sidecar field paths, e.g. "company", "invoice.number" */
	struct strlist *patterns; /* wildcards, any of which must match */
	size_t len;
};

struct route_folder_target {
	char *path;
	char *name;       /* naming template, e.g. "{company}/{file}" */
	bool sidecar;     /* also deliver the sidecar as NAME.meta.json */
	bool require_mount; /* path must be on another file system than / (a mounted share) */
	char *group;      /* owner group of created files and directories */
	char *mode, *dir_mode;
	/* set by route_validate */
	struct tmpl *name_t;
	gid_t gid;        /* (gid_t)-1: keep */
	mode_t fmode, dmode;
};

enum email_security { EMAIL_STARTTLS, EMAIL_SSL, EMAIL_PLAIN };
enum email_batch { BATCH_DOCUMENT, BATCH_RUN };

struct route_email_target {
	struct strlist to;
	char *from;
	char *server;
	long port;               /* 0: 465 for ssl, else 587 */
	int security;            /* enum email_security */
	char *user;
	struct secret password;
	struct oauth_conf oauth; /* SMTP AUTH XOAUTH2 instead of the password (oauth.client_id
				  * set); the token file in the route's state directory */
	char *ca_file;           /* extra CA bundle (else the system's) */
	char *subject, *body;
	int batch;               /* enum email_batch */
	uint64_t max_size;       /* of one message */
	int64_t timeout;
	/* set by route_validate */
	struct tmpl *subject_t, *body_t;
};

struct target_type;
struct route {
	struct route_match match;
	const struct target_type *target;  /* forward/target.h; set by route_validate */
	void *target_conf;                 /* its settings (the type's struct) */
	bool alerts;
	bool enabled;
};

extern const struct cf_field route_fields[];
extern const size_t route_conf_size;
struct route_conf;
/* Find the route's one target (a key of a target type), parse and check its settings. */
int route_validate(struct cf_ctx *ctx, yaml_node_t *node, struct route_conf *r);
/* Free what route_validate() made (the target's settings); cf_free(route_fields) the rest. */
void route_release(struct route *r);
/* The keys of the target types, which a route may hold besides route_fields. */
const char *const *route_target_keys(void);
/* Compile a template setting `key` of a target mapping (reported with cf_error; fields in
 * no sidecar are warned about). NULL when it does not compile. */
struct tmpl *route_template(struct cf_ctx *ctx, yaml_node_t *tnode, const char *key,
			    const char *text);

/* Call fn for every secret of the route (the e-mail target's password), as
 * cf_each_secret() does for a plain table (the targets are not plain structs). */
void route_each_secret(const struct route_conf *r,
		       void (*fn)(const struct secret *s, const char *key, void *arg), void *arg);

/* Does the document with this sidecar (file: its spool name) belong to the route? */
bool route_matches(const struct route_conf *r, const json_t *sidecar, const char *file);
/* Text that changes whenever the route's configuration does (for the journal's
 * routes generation). Owned by the caller. */
char *route_fingerprint(const struct route_conf *r);
/* <state>/routes/<name>: a route's own files (an OAuth token file); owned by the caller. */
char *route_state_dir(const struct config *cfg, const char *name);

#endif
