/* oauth — OAuth 2.0 sign-in (RFC 6749) for the services goniec reaches without passwords:
 * the Microsoft identity platform (Entra ID: Microsoft 365, Outlook.com) and Google
 * (Gmail). Used by the graph source, the imap source and the e-mail and graph targets.
 *
 * Two ways to hold a sign-in:
 *   app   the client-credentials grant of an app registration (Microsoft 365 only): no
 *         person signs in; the access token is asked for when needed and kept until
 *         5 minutes before it expires.
 *   user  a refresh token obtained once by a person (`goniec oauth NAME`: the device-code
 *         flow of RFC 8628, or the authorization-code flow with PKCE, RFC 7636, through a
 *         loopback redirect, RFC 8252) and renewed from then on; a provider that rotates
 *         it (Microsoft sends a new one with every refresh) gets the new one saved before
 *         the access token is used, so a crash never leaves the old one behind.
 * Both are kept in a token file (core/statefile.h: atomic, mode 0600): the access token
 * with its end, the refresh token, and what they were made for (token URL, client id,
 * scope). An access token is reused only by the same token URL, client, secret and scope.
 *
 * The token endpoint's answers are parsed here (oauth_parse_*: untrusted bytes, every
 * field checked) and explained for a person (oauth_explain: which setting to change,
 * which command to run). Requests go through core/net.h (TLS verified, the one retry
 * policy: a passing failure is tried three times).
 *
 * Ownership: strings in struct oauth_client are borrowed; results (tokens, URLs,
 * messages) belong to the caller — free tokens with free_secret().
 * Errors: -1 with err set. GERR_NEEDS_PERSON when only a person can help (a refused
 * secret, a revoked or missing sign-in, consent missing; the message says what to do,
 * naming `fix`), GERR_TEMPORARY when it may pass (no answer, throttled, server trouble).
 * No secret or token ever appears in a message.
 */
#ifndef GONIEC_CORE_OAUTH_H
#define GONIEC_CORE_OAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "core/confschema.h"
#include "core/util.h"

enum oauth_provider { OAUTH_MICROSOFT, OAUTH_GOOGLE };
enum oauth_flow { OAUTH_FLOW_USER, OAUTH_FLOW_APP };
/* What the token is for: it picks the default scope. */
enum oauth_service { OAUTH_IMAP, OAUTH_SMTP };

#define OAUTH_MS_LOGIN "https://login.microsoftonline.com"
/* The token file's name in a source's (or route's) state directory. */
#define OAUTH_TOKEN_FILE "oauth-token.json"

/* ---- settings (an `oauth:` mapping in a source or a target) -------------------------- */

struct oauth_conf {
	int provider;                /* enum oauth_provider */
	int flow;                    /* enum oauth_flow */
	char *tenant;                /* Microsoft: the tenant ID or domain; "consumers" for
				      * Outlook.com; default "common" (user), required (app) */
	char *client_id;
	struct secret client_secret; /* required for app and for Google; optional (a public
				      * client) for a Microsoft user sign-in */
	char *login_url;             /* Microsoft: OAUTH_MS_LOGIN (national clouds differ) */
	char *token_url;             /* default: the provider's */
	char *device_url;            /* default: the provider's device authorization URL */
	char *authorize_url;         /* default: the provider's authorization URL */
	char *scope;                 /* default: by provider, flow and service */
	char *ca_file;               /* PEM CAs for the sign-in service; default: the system's */
};
extern const struct cf_field oauth_fields[];
/* Check the settings of an `oauth:` mapping (node may be NULL); errors via cf_error. */
int oauth_validate(struct cf_ctx *ctx, yaml_node_t *node, const struct oauth_conf *c);

/* ---- a Microsoft app registration (the graph source's and the graph target's keys) ---- */

#define OAUTH_MS_GRAPH "https://graph.microsoft.com"

/* What conf.d says of a Microsoft app registration reaching Microsoft Graph with its own
 * credentials: one block of keys, the same in the graph source and the graph delivery
 * target (one list of keys, defaults, help and checks). */
struct oauth_ms_app {
	char *tenant;                /* the Directory (tenant) ID */
	char *client_id;             /* the Application (client) ID */
	struct secret client_secret;
	char *login_url;             /* OAUTH_MS_LOGIN (national clouds differ), no final '/' */
	char *graph_url;             /* OAUTH_MS_GRAPH, no final '/' */
	char *ca_file;               /* PEM CAs instead of the system store, or NULL */
	char *redirect_uri;          /* where the admin-consent page returns */
};
/* The block's keys as entries of a confschema table: `at` is the offset of the struct
 * oauth_ms_app in the table's struct (offsetof(struct graph_conf, app)). */
#define OAUTH_MS_APP_FIELDS(at) \
	{.key = "tenant", .type = CF_STRING, .offset = (at) + offsetof(struct oauth_ms_app, tenant), \
	 .flags = CF_REQUIRED, .help = "Directory (tenant) ID of the Microsoft 365 organisation"}, \
	{.key = "client_id", .type = CF_STRING, \
	 .offset = (at) + offsetof(struct oauth_ms_app, client_id), .flags = CF_REQUIRED, \
	 .help = "Application (client) ID of the app registration"}, \
	{.key = "client_secret", .type = CF_SECRET, \
	 .offset = (at) + offsetof(struct oauth_ms_app, client_secret), .flags = CF_REQUIRED, \
	 .help = "client secret value (or client_secret_file / _env / _credential)"}, \
	{.key = "login_url", .type = CF_STRING, \
	 .offset = (at) + offsetof(struct oauth_ms_app, login_url), .dflt = OAUTH_MS_LOGIN, \
	 .help = "Entra ID sign-in base URL (national clouds)"}, \
	{.key = "graph_url", .type = CF_STRING, \
	 .offset = (at) + offsetof(struct oauth_ms_app, graph_url), .dflt = OAUTH_MS_GRAPH, \
	 .help = "Microsoft Graph base URL (national clouds)"}, \
	{.key = "ca_file", .type = CF_STRING, .offset = (at) + offsetof(struct oauth_ms_app, ca_file), \
	 .help = "PEM file of CA certificates to trust instead of the system store"}, \
	{.key = "redirect_uri", .type = CF_STRING, \
	 .offset = (at) + offsetof(struct oauth_ms_app, redirect_uri), .dflt = "http://localhost", \
	 .help = "the app registration's redirect URI (Web platform) the admin-consent page returns to"}
/* The block's checks after cf_map() (node: the mapping holding the keys): login_url and
 * graph_url start with https:// (a final '/' is dropped), redirect_uri with https:// or
 * is http://localhost (as Entra ID allows). Reports with cf_error(); 0 or -1. */
int oauth_ms_app_validate(struct cf_ctx *ctx, yaml_node_t *node, struct oauth_ms_app *app);

/* ---- a client -------------------------------------------------------------------------- */

struct oauth_client {
	int provider;                /* enum oauth_provider, for explanations */
	bool app;                    /* client credentials, else a refresh token */
	const char *token_url;
	const char *client_id;
	const char *client_secret;   /* NULL: a public client */
	const char *scope;
	const char *ca_file;         /* NULL: the system's CAs */
	const char *store;           /* the token file; NULL: none (app only) */
	const char *fix;             /* what a person runs to sign in again, e.g.
				      * "goniec oauth acme-gmail" */
};

/* A client from settings: URLs and scope defaulted, the secret resolved. The strings
 * are owned by `own` (oauth_owned_free()). */
struct oauth_owned {
	char *token_url, *device_url, *authorize_url, *scope, *secret, *fix;
};
int oauth_client_from_conf(const struct oauth_conf *c, enum oauth_service svc, const char *store,
			   const char *fix, struct oauth_client *out, struct oauth_owned *own,
			   struct gerr *err);
void oauth_owned_free(struct oauth_owned *own);
/* The client of a Microsoft app registration reaching Microsoft Graph with the
 * client-credentials grant: the token URL <login_url>/<tenant>/oauth2/v2.0/token and the
 * scope <graph_url>/.default, owned by `own`; the other strings stay borrowed. */
void oauth_ms_app_client(const struct oauth_ms_app *app, const char *secret, const char *store,
			 struct oauth_client *out, struct oauth_owned *own);

/* A valid access token: the stored one when it has 5 minutes left (unless `fresh`: the
 * server refused it), else a new one from the token endpoint. *valid_until may be NULL. */
int oauth_access_token(const struct oauth_client *c, bool fresh, char **token,
		       time_t *valid_until, struct gerr *err);

/* `goniec oauth`: a person signs in once; the refresh token is saved in c->store.
 * Device code: prints where to go and the code, polls until done (or expired). */
int oauth_login_device(const struct oauth_client *c, const char *device_url, FILE *out,
		       struct gerr *err);
/* Browser: prints the authorization URL; the answer comes to a loopback listener on
 * 127.0.0.1, or the person pastes the address the browser was sent to on `in`. */
int oauth_login_browser(const struct oauth_client *c, const char *authorize_url, FILE *out,
			FILE *in, struct gerr *err);

/* The admin-consent link of a Microsoft app registration. */
char *oauth_admin_consent_url(const char *login_url, const char *tenant, const char *client_id,
			      const char *redirect_uri);

/* SASL initial responses, base64: XOAUTH2 (Google's and Microsoft's) and OAUTHBEARER
 * (RFC 7628; host and port as the client connected). */
char *oauth_sasl_xoauth2(const char *user, const char *token);
char *oauth_sasl_oauthbearer(const char *user, const char *host, long port, const char *token);

/* ---- the token endpoint's answers ------------------------------------------------------ */

struct oauth_token {
	char *access_token;
	char *refresh_token;         /* NULL when none was sent (Google keeps the old one) */
	char *scope;                 /* NULL when not sent */
	long expires_in;             /* seconds; 3599 when missing or absurd */
};
int oauth_parse_token(const char *body, size_t len, struct oauth_token *out, struct gerr *err);
void oauth_token_free(struct oauth_token *t);

/* {"error", "error_description", "error_codes": [AADSTS...], "trace_id"} (RFC 6749 5.2
 * with Microsoft's additions). Never fails: what cannot be read stays NULL/0. */
struct oauth_error {
	char *code;                  /* its "error": "invalid_grant", "authorization_pending", ... */
	char *description;
	char *trace_id;
	long aadsts;                 /* first of error_codes, or the number after "AADSTS" */
};
void oauth_parse_error(const char *body, size_t len, struct oauth_error *out);
void oauth_error_free(struct oauth_error *e);

/* RFC 8628 device authorization answer (Google says verification_url). */
struct oauth_device {
	char *device_code, *user_code, *verification_uri, *message;
	long expires_in, interval;
};
int oauth_parse_device(const char *body, size_t len, struct oauth_device *out, struct gerr *err);
void oauth_device_free(struct oauth_device *d);

/* A sentence for a person about a refused token request: what to change or run (`fix`
 * names the command that signs in again; may be NULL). Owned by the caller. */
char *oauth_explain(const struct oauth_error *e, long status, bool app, const char *fix);
/* Does the refusal need a person (a setting, consent, a new sign-in)? */
bool oauth_needs_person(const struct oauth_error *e, long status);

#endif
