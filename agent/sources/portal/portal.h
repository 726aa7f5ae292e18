/* portal — the `portal` source type: a customer portal (e-BOK) of a utility, telecom or
 * housing co-op, driven by the provider's recipe (recipe.h, engine.h).
 *
 * Service keys: provider (the recipe's name), login, password (a secret), phone, points
 * ({"<point id>": {property: "<id>"} or {enabled: false}}), and for special cases
 * base_url (another address of the same portal, e.g. a test instance), ca_file (extra
 * CA certificates), delay ("1s", "250ms"; default: the recipe's), retries, retry_delay,
 * request_timeout.
 *
 * A run: resume a login waiting for a one-time code when a person gave one (goniec otp),
 * or reuse the kept session (the recipe's `check` steps prove it works; a rejected
 * session means logging in again), else log in; then `fetch`. Each point found is
 * remembered in points.json; a new point with no mapping is reported and its documents
 * are filed marked unmapped; documents of a disabled point are not filed. The session is
 * saved after the run (0600) and reused next time.
 *
 * Ownership: as source.h. Errors: run outcomes with a message for a person in run->err.
 */
#ifndef GONIEC_PORTAL_H
#define GONIEC_PORTAL_H

#include <stdio.h>

#include "sources/source.h"

struct point_conf {
	char *id;
	char *property;    /* NULL: not mapped */
	bool enabled;
	struct conf_pos pos;
};

struct point_map {
	struct point_conf *v;
	size_t len;
};

struct portal_conf {
	char *provider;
	char *login;
	struct secret password;
	char *phone;
	struct point_map points;
	char *base_url;
	char *ca_file;
	char *delay;
	long retries;
	int64_t retry_delay;
	int64_t request_timeout;
};

extern const struct source_type source_type_portal;

/* The state directory of a source (owned by the caller). */
char *portal_state_dir(const struct config *cfg, const struct source_conf *src);
/* Print the points of a portal source: id, name, property, state. */
int portal_print_points(const struct config *cfg, const struct source_conf *src, FILE *out,
			struct gerr *err);
/* The points the portal showed that are enabled but mapped to no property, as a
 * space-separated list (owned by the caller), or NULL when there are none — for status
 * and alerts ("a new point needs a property"). */
char *portal_unmapped_points(const struct config *cfg, const struct source_conf *src);
/* Is a login of this source waiting for a one-time code that is still fresh? */
bool portal_waiting_for_code(const struct config *cfg, const struct source_conf *src);

#endif
