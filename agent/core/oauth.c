/* oauth — see oauth.h. */
#include "core/oauth.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "core/secret.h"
#include "core/statefile.h"

#define BODY_CAP (64 * 1024)
#define TOKEN_MARGIN 300           /* renew this long before the end */
#define BROWSER_WAIT_S 600         /* how long `goniec oauth` waits for the browser */
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

/* ---- settings --------------------------------------------------------------------------- */

static const char *const provider_names[] = {"microsoft", "google", NULL};
static const char *const flow_names[] = {"user", "app", NULL};

#define OFF(f) offsetof(struct oauth_conf, f)
const struct cf_field oauth_fields[] = {
	{.key = "provider", .type = CF_ENUM, .offset = OFF(provider), .enum_values = provider_names,
	 .dflt = "microsoft", .help = "microsoft (Microsoft 365, Outlook.com) or google (Gmail)"},
	{.key = "flow", .type = CF_ENUM, .offset = OFF(flow), .enum_values = flow_names,
	 .dflt = "user",
	 .help = "user: a person signs in once (goniec oauth NAME); app: the app registration's own credentials (Microsoft 365)"},
	{.key = "tenant", .type = CF_STRING, .offset = OFF(tenant),
	 .help = "Microsoft: the Directory (tenant) ID; consumers for Outlook.com; default common"},
	{.key = "client_id", .type = CF_STRING, .offset = OFF(client_id), .flags = CF_REQUIRED,
	 .help = "the Application (client) ID of the app registration (Google: the OAuth client ID)"},
	{.key = "client_secret", .type = CF_SECRET, .offset = OFF(client_secret),
	 .help = "the client secret (or client_secret_file / _env / _credential)"},
	{.key = "login_url", .type = CF_STRING, .offset = OFF(login_url), .dflt = OAUTH_MS_LOGIN,
	 .help = "Microsoft: the sign-in base URL (national clouds)"},
	{.key = "token_url", .type = CF_STRING, .offset = OFF(token_url),
	 .help = "the token endpoint, when not the provider's"},
	{.key = "device_url", .type = CF_STRING, .offset = OFF(device_url),
	 .help = "the device authorization endpoint, when not the provider's"},
	{.key = "authorize_url", .type = CF_STRING, .offset = OFF(authorize_url),
	 .help = "the authorization endpoint, when not the provider's"},
	{.key = "scope", .type = CF_STRING, .offset = OFF(scope),
	 .help = "the scope asked for, when not the usual one for the service"},
	{.key = "ca_file", .type = CF_STRING, .offset = OFF(ca_file),
	 .help = "PEM file of CA certificates for the sign-in service; default the system's"},
	CF_END,
};

static void check_https(struct cf_ctx *ctx, yaml_node_t *node, const char *key, const char *url,
			int *rc)
{
	if (url && !str_starts_with(url, "https://"))
		*rc = cf_error(ctx, node ? cf_get(ctx, node, key) : NULL, "oauth: %s: '%s' must start with https://",
			       key, url);
}

int oauth_validate(struct cf_ctx *ctx, yaml_node_t *node, const struct oauth_conf *c)
{
	int rc = 0;

	check_https(ctx, node, "login_url", c->login_url, &rc);
	check_https(ctx, node, "token_url", c->token_url, &rc);
	check_https(ctx, node, "device_url", c->device_url, &rc);
	check_https(ctx, node, "authorize_url", c->authorize_url, &rc);
	if (c->flow == OAUTH_FLOW_APP && c->provider != OAUTH_MICROSOFT)
		rc = cf_error(ctx, node ? cf_get(ctx, node, "flow") : NULL,
			      "oauth: flow: app is for Microsoft 365 app registrations; Gmail needs flow: user");
	if (c->flow == OAUTH_FLOW_APP && c->client_secret.kind == SECRET_NONE)
		rc = cf_error(ctx, node, "oauth: flow: app needs the app registration's client_secret");
	if (c->flow == OAUTH_FLOW_APP && c->provider == OAUTH_MICROSOFT &&
	    (!c->tenant || !strcmp(c->tenant, "common") || !strcmp(c->tenant, "organizations") ||
	     !strcmp(c->tenant, "consumers")))
		rc = cf_error(ctx, node ? (cf_get(ctx, node, "tenant") ? cf_get(ctx, node, "tenant") : node) : NULL,
			      "oauth: flow: app needs `tenant`: the Directory (tenant) ID of the organisation");
	if (c->provider == OAUTH_GOOGLE && c->client_secret.kind == SECRET_NONE)
		rc = cf_error(ctx, node, "oauth: Google needs the OAuth client's client_secret (a Desktop app client)");
	return rc;
}

/* "https://graph.microsoft.com/" means "https://graph.microsoft.com". */
static void strip_slashes(char *url)
{
	size_t n = url ? strlen(url) : 0;
	while (n > 0 && url[n - 1] == '/')
		url[--n] = 0;
}

int oauth_ms_app_validate(struct cf_ctx *ctx, yaml_node_t *node, struct oauth_ms_app *app)
{
	int rc = 0;
	strip_slashes(app->login_url);
	strip_slashes(app->graph_url);
	const char *const keys[] = {"login_url", "graph_url"};
	const char *const urls[] = {app->login_url, app->graph_url};
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (urls[i] && !str_starts_with(urls[i], "https://"))
			rc = cf_error(ctx, cf_get(ctx, node, keys[i]), "%s: '%s' must start with https://",
				      keys[i], urls[i]);
	if (app->redirect_uri && !str_starts_with(app->redirect_uri, "https://") &&
	    !str_starts_with(app->redirect_uri, "http://localhost"))
		rc = cf_error(ctx, cf_get(ctx, node, "redirect_uri"),
			      "redirect_uri: '%s' must start with https:// (or be http://localhost, as Entra ID allows)",
			      app->redirect_uri);
	return rc;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static char *b64(const void *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* base64url without padding (RFC 7636 appendix A). */
static char *b64url(const void *data, size_t len)
{
	char *s = b64(data, len);

	for (char *p = s; *p; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = 0;
			break;
		}
	}
	return s;
}

static char *random_text(size_t bytes)
{
	unsigned char r[64];

	if (bytes > sizeof(r) || RAND_bytes(r, (int)bytes) != 1) {
		log_error("oauth: no random numbers");
		abort();
	}
	return b64url(r, bytes);
}

static void sha256_hex(const char *text, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
	hex_encode(md, sizeof(md), hex);
}

/* ---- defaults ---------------------------------------------------------------------------- */

static const char *tenant_or_common(const struct oauth_conf *c)
{
	return c->tenant && *c->tenant ? c->tenant : "common";
}

static char *ms_url(const struct oauth_conf *c, const char *what)
{
	char *t = net_escape(tenant_or_common(c));
	char *u = xasprintf("%s/%s/oauth2/v2.0/%s", c->login_url ? c->login_url : OAUTH_MS_LOGIN, t,
			    what);

	free(t);
	return u;
}

static char *default_scope(const struct oauth_conf *c, enum oauth_service svc)
{
	if (c->provider == OAUTH_GOOGLE)
		return xstrdup("https://mail.google.com/");
	if (c->flow == OAUTH_FLOW_APP) /* IMAP.AccessAsApp and SMTP.SendAsApp come with it */
		return xstrdup("https://outlook.office365.com/.default");
	return xstrdup(svc == OAUTH_IMAP ? "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
					 : "https://outlook.office.com/SMTP.Send offline_access");
}

int oauth_client_from_conf(const struct oauth_conf *c, enum oauth_service svc, const char *store,
			   const char *fix, struct oauth_client *out, struct oauth_owned *own,
			   struct gerr *err)
{
	memset(out, 0, sizeof(*out));
	memset(own, 0, sizeof(*own));
	if (c->client_secret.kind != SECRET_NONE &&
	    secret_resolve(&c->client_secret, &own->secret, err) < 0) {
		gerr_prefix(err, "oauth client_secret");
		return gerr_mark(err, GERR_NEEDS_PERSON);
	}
	bool google = c->provider == OAUTH_GOOGLE;
	own->token_url = c->token_url ? xstrdup(c->token_url)
			 : google   ? xstrdup("https://oauth2.googleapis.com/token")
				    : ms_url(c, "token");
	own->device_url = c->device_url ? xstrdup(c->device_url)
			  : google    ? xstrdup("https://oauth2.googleapis.com/device/code")
				      : ms_url(c, "devicecode");
	own->authorize_url = c->authorize_url ? xstrdup(c->authorize_url)
			     : google ? xstrdup("https://accounts.google.com/o/oauth2/v2/auth")
				      : ms_url(c, "authorize");
	own->scope = c->scope ? xstrdup(c->scope) : default_scope(c, svc);
	own->fix = fix ? xstrdup(fix) : NULL;
	*out = (struct oauth_client){
		.provider = c->provider,
		.app = c->flow == OAUTH_FLOW_APP,
		.token_url = own->token_url,
		.client_id = c->client_id,
		.client_secret = own->secret,
		.scope = own->scope,
		.ca_file = c->ca_file,
		.store = store,
		.fix = own->fix,
	};
	return 0;
}

void oauth_owned_free(struct oauth_owned *own)
{
	free(own->token_url);
	free(own->device_url);
	free(own->authorize_url);
	free(own->scope);
	free(own->fix);
	free_secret(own->secret);
	memset(own, 0, sizeof(*own));
}

void oauth_ms_app_client(const struct oauth_ms_app *app, const char *secret, const char *store,
			 struct oauth_client *out, struct oauth_owned *own)
{
	memset(own, 0, sizeof(*own));
	own->token_url = xasprintf("%s/%s/oauth2/v2.0/token", app->login_url, app->tenant);
	own->scope = xasprintf("%s/.default", app->graph_url);
	*out = (struct oauth_client){
		.provider = OAUTH_MICROSOFT,
		.app = true,
		.token_url = own->token_url,
		.client_id = app->client_id,
		.client_secret = secret,
		.scope = own->scope,
		.ca_file = app->ca_file,
		.store = store,
	};
}

char *oauth_admin_consent_url(const char *login_url, const char *tenant, const char *client_id,
			      const char *redirect_uri)
{
	char *t = net_escape(tenant), *id = net_escape(client_id), *back = net_escape(redirect_uri);
	char *url = xasprintf("%s/%s/adminconsent?client_id=%s&redirect_uri=%s",
			      login_url ? login_url : OAUTH_MS_LOGIN, t, id, back);

	free(t);
	free(id);
	free(back);
	return url;
}

char *oauth_sasl_xoauth2(const char *user, const char *token)
{
	char *raw = xasprintf("user=%s\001auth=Bearer %s\001\001", user, token);
	char *out = b64(raw, strlen(raw));

	free_secret(raw);
	return out;
}

char *oauth_sasl_oauthbearer(const char *user, const char *host, long port, const char *token)
{
	struct buf gs2 = {0};

	/* RFC 5801 saslname: ',' and '=' escaped */
	for (const char *p = user; *p; p++)
		buf_puts(&gs2, *p == ',' ? "=2C" : *p == '=' ? "=3D" : (char[]){*p, 0});
	char *raw = xasprintf("n,a=%s,\001host=%s\001port=%ld\001auth=Bearer %s\001\001",
			      gs2.data ? gs2.data : "", host, port, token);
	char *out = b64(raw, strlen(raw));

	buf_free(&gs2);
	free_secret(raw);
	return out;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static json_t *load_object(const char *body, size_t len, struct gerr *err)
{
	json_error_t je;
	json_t *root = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;

	if (!root) {
		gerr_setk(err, GERR_TEMPORARY, "answer is not JSON%s%s", body ? ": " : "",
			  body ? je.text : "");
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		gerr_setk(err, GERR_TEMPORARY, "answer is not a JSON object");
		return NULL;
	}
	return root;
}

static char *opt_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? xstrdup(s) : NULL;
}

/* A number of seconds, as a number or (some servers, Microsoft's v1) a string. */
static long opt_seconds(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, 10);
	return 0;
}

int oauth_parse_token(const char *body, size_t len, struct oauth_token *out, struct gerr *err)
{
	json_t *root = load_object(body, len, err);

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	out->access_token = opt_str(root, "access_token");
	out->refresh_token = opt_str(root, "refresh_token");
	out->scope = opt_str(root, "scope");
	out->expires_in = opt_seconds(root, "expires_in");
	const char *type = json_string_value(json_object_get(root, "token_type"));
	bool bearer = !type || strcasecmp(type, "Bearer") == 0;
	json_decref(root);
	if (!out->access_token || !*out->access_token) {
		oauth_token_free(out);
		return gerr_setk(err, GERR_TEMPORARY, "token answer has no access_token");
	}
	if (!bearer) {
		oauth_token_free(out);
		return gerr_setk(err, GERR_PERMANENT, "token answer is not of type Bearer");
	}
	if (out->refresh_token && !*out->refresh_token) {
		free(out->refresh_token);
		out->refresh_token = NULL;
	}
	if (out->expires_in <= 0 || out->expires_in > 7 * 86400)
		out->expires_in = 3599;
	return 0;
}

void oauth_token_free(struct oauth_token *t)
{
	free_secret(t->access_token);
	free_secret(t->refresh_token);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

static long aadsts_of(const char *text)
{
	const char *p = text ? strstr(text, "AADSTS") : NULL;

	return p ? strtol(p + 6, NULL, 10) : 0;
}

void oauth_parse_error(const char *body, size_t len, struct oauth_error *out)
{
	struct gerr ignored;
	json_t *root = body && len ? load_object(body, len, &ignored) : NULL;
	json_t *codes;

	memset(out, 0, sizeof(*out));
	if (!root)
		return;
	out->code = opt_str(root, "error");
	out->description = opt_str(root, "error_description");
	out->trace_id = opt_str(root, "trace_id");
	codes = json_object_get(root, "error_codes");
	if (json_is_integer(json_array_get(codes, 0)))
		out->aadsts = (long)json_integer_value(json_array_get(codes, 0));
	else
		out->aadsts = aadsts_of(out->description);
	json_decref(root);
}

void oauth_error_free(struct oauth_error *e)
{
	free(e->code);
	free(e->description);
	free(e->trace_id);
	memset(e, 0, sizeof(*e));
}

int oauth_parse_device(const char *body, size_t len, struct oauth_device *out, struct gerr *err)
{
	json_t *root = load_object(body, len, err);

	memset(out, 0, sizeof(*out));
	if (!root)
		return -1;
	out->device_code = opt_str(root, "device_code");
	out->user_code = opt_str(root, "user_code");
	out->verification_uri = opt_str(root, "verification_uri");
	if (!out->verification_uri)
		out->verification_uri = opt_str(root, "verification_url"); /* Google */
	out->message = opt_str(root, "message");
	out->expires_in = opt_seconds(root, "expires_in");
	out->interval = opt_seconds(root, "interval");
	json_decref(root);
	if (!out->device_code || !out->user_code || !out->verification_uri) {
		oauth_device_free(out);
		return gerr_setk(err, GERR_TEMPORARY,
				 "device authorization answer lacks device_code, user_code or verification_uri");
	}
	if (out->expires_in <= 0 || out->expires_in > 3600)
		out->expires_in = 900;
	if (out->interval <= 0 || out->interval > 60)
		out->interval = 5;
	return 0;
}

void oauth_device_free(struct oauth_device *d)
{
	free(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->message);
	memset(d, 0, sizeof(*d));
}

/* The fix for a refusal, by AADSTS number (Microsoft identity platform error codes). */
static const char *aadsts_fix(long n, bool app)
{
	switch (n) {
	case 90002: case 90023: case 900023:
		return "tenant not found: set `tenant` to the Directory (tenant) ID from the app "
		       "registration's Overview page in Microsoft Entra ID";
	case 7000215:
		return "client secret rejected: set `client_secret` to the secret's Value (not its "
		       "Secret ID) from the app registration's Certificates & secrets page";
	case 7000222:
		return "client secret expired: create a new one under the app registration's "
		       "Certificates & secrets and update `client_secret`";
	case 700016:
		return "application not found in this tenant: check `client_id` (Application "
		       "(client) ID on the app registration's Overview page) and `tenant`";
	case 1002012: case 70011:
		return app ? "scope refused (an app's token request must use the .default scope)"
			   : "scope refused: check `scope`";
	case 500011:
		return "the service named by the scope is unknown to this sign-in service: the "
		       "service's URL (`graph_url`, `scope`) and `login_url` must belong to the same cloud";
	case 7000112:
		return "the application is disabled in this tenant";
	case 7000218:
		return "the app registration is no public client: turn on \"Allow public client "
		       "flows\" on its Authentication page, or set `client_secret`";
	case 65001:
		return "consent is missing: an administrator grants the app registration's API "
		       "permissions (admin consent), or the person signing in accepts them";
	}
	return NULL;
}

static bool error_is(const struct oauth_error *e, const char *code)
{
	return e->code && strcmp(e->code, code) == 0;
}

char *oauth_explain(const struct oauth_error *e, long status, bool app, const char *fix)
{
	const char *known = aadsts_fix(e->aadsts, app);
	struct buf b = {0};

	if (known)
		buf_puts(&b, known);
	else if (error_is(e, "invalid_grant") && !app)
		buf_printf(&b, "the sign-in has expired or was revoked (a changed password, an "
			       "administrator, months without use): sign in again with `%s`",
			   fix ? fix : "goniec oauth NAME");
	else if (error_is(e, "invalid_client") || error_is(e, "unauthorized_client"))
		buf_puts(&b, "the OAuth client was refused: check `client_id` and `client_secret`");
	else if (error_is(e, "invalid_scope"))
		buf_puts(&b, "scope refused: check `scope`");
	else if (error_is(e, "access_denied") || error_is(e, "admin_policy_enforced") ||
		 error_is(e, "consent_required") || error_is(e, "interaction_required"))
		buf_printf(&b, "the account's administrator or owner has not allowed this: %s",
			   fix ? fix : "grant the permissions, then sign in again");
	else if (status == 429 || status >= 500 || error_is(e, "temporarily_unavailable"))
		buf_puts(&b, "the sign-in service is throttling or unavailable; retrying later");
	else
		buf_printf(&b, "the sign-in service said no (HTTP %ld)", status);
	if (e->code)
		buf_printf(&b, " [%.60s]", e->code);
	if (e->description)
		buf_printf(&b, " (%.300s)", e->description);
	if (e->trace_id)
		buf_printf(&b, " trace-id %.60s", e->trace_id);
	for (char *p = b.data; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return buf_take(&b);
}

bool oauth_needs_person(const struct oauth_error *e, long status)
{
	if (status == 429 || status >= 500 || error_is(e, "temporarily_unavailable"))
		return false;
	return aadsts_fix(e->aadsts, false) || status == 400 || status == 401 || status == 403;
}

/* ---- the token endpoint ------------------------------------------------------------------ */

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	struct buf *b = userp;

	if (b->len + size * n <= BODY_CAP)
		buf_append(b, data, size * n);
	return size * n;
}

/* POST a form; a passing failure (no answer, 429, 5xx) is tried twice more. Returns 0
 * with the final status and body, or -1 when no answer came (err set, temporary unless
 * the certificate was refused). */
static int post_form(const char *url, const char *form, const char *ca_file, long *status,
		     struct buf *body, struct gerr *err)
{
	const struct net_retry retry = {.max_attempts = 3, .first_ms = 1000, .max_ms = 2000};
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc = CURLE_OK;

	for (unsigned attempt = 1;; attempt++) {
		CURL *c = curl_easy_init();
		const struct net_opts o = {.protocols = "https", .ca_file = ca_file, .timeout_s = 60};

		if (!c)
			return gerr_set(err, "cannot start libcurl");
		net_setup(c, &o);
		body->len = 0;
		errbuf[0] = 0;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		rc = curl_easy_perform(c);
		*status = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		if (rc != CURLE_OK) { /* worded while the handle still says why */
			char *what = xasprintf("sign-in service %s", url);
			net_error(err, c, rc, errbuf, what);
			free(what);
		}
		curl_easy_cleanup(c);
		if (rc == CURLE_OK ? !net_status_transient(*status) : !net_transient(rc))
			break;
		int64_t wait = net_retry_delay(&retry, attempt + 1, -1);
		if (wait < 0)
			break;
		sleep_ms(wait);
	}
	return rc == CURLE_OK ? 0 : -1;
}

/* The refusal of a token request as an error for a person. */
static int refused(const struct oauth_client *c, long status, const struct buf *body,
		   struct gerr *err)
{
	struct oauth_error e;

	oauth_parse_error(body->data, body->len, &e);
	char *msg = oauth_explain(&e, status, c->app, c->fix);
	gerr_setk(err, oauth_needs_person(&e, status) ? GERR_NEEDS_PERSON : GERR_TEMPORARY,
		  "sign-in to %s: %s", c->token_url, msg);
	free(msg);
	oauth_error_free(&e);
	return -1;
}

/* ---- the token file ------------------------------------------------------------------------ */

static void client_key(const struct oauth_client *c, char hex[65])
{
	char *all = xasprintf("%s|%s|%s|%s", c->token_url, c->client_id,
			      c->client_secret ? c->client_secret : "", c->scope);

	sha256_hex(all, hex);
	free_secret(all);
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *load_store(const struct oauth_client *c, struct gerr *err)
{
	json_t *st = NULL;

	if (!c->store)
		return json_object();
	if (statefile_load(c->store, &st, err) < 0)
		return NULL;
	return st;
}

/* Save what the token endpoint gave: the access token, and a new refresh token when the
 * provider sent one (rotation). */
static int store_answer(const struct oauth_client *c, json_t *st, const struct oauth_token *t,
			time_t now, struct gerr *err)
{
	char key[65];
	long margin = t->expires_in > 2 * TOKEN_MARGIN ? TOKEN_MARGIN : t->expires_in / 10;

	client_key(c, key);
	json_object_set_new(st, "key", json_string(key));
	json_object_set_new(st, "token_url", json_string(c->token_url));
	json_object_set_new(st, "client_id", json_string(c->client_id));
	json_object_set_new(st, "scope", json_string(c->scope));
	json_object_set_new(st, "access_token", json_string(t->access_token));
	json_object_set_new(st, "valid_until", json_integer((json_int_t)(now + t->expires_in - margin)));
	if (t->refresh_token) {
		const char *old = str_of(st, "refresh_token");
		if (old && strcmp(old, t->refresh_token))
			json_object_set_new(st, "refresh_rotated", json_integer((json_int_t)now));
		json_object_set_new(st, "refresh_token", json_string(t->refresh_token));
	}
	return c->store ? statefile_save(c->store, st, err) : 0;
}

/* The form of a refresh or client-credentials request (holds secrets: free_secret). */
static char *grant_form(const struct oauth_client *c, const char *grant, const char *extra)
{
	char *id = net_escape(c->client_id), *scope = net_escape(c->scope);
	char *sec = c->client_secret ? net_escape(c->client_secret) : NULL;
	char *form = xasprintf("grant_type=%s&client_id=%s&scope=%s%s%s%s", grant, id, scope,
			       sec ? "&client_secret=" : "", sec ? sec : "", extra ? extra : "");

	free(id);
	free(scope);
	free_secret(sec);
	return form;
}

/* Ask the token endpoint with `form`; on success save and hand out the access token. */
static int exchange(const struct oauth_client *c, json_t *st, const char *form, char **token,
		    time_t *valid_until, struct gerr *err)
{
	struct buf body = {0};
	long status = 0;
	struct oauth_token t;
	int rc;

	if (post_form(c->token_url, form, c->ca_file, &status, &body, err) < 0) {
		buf_free(&body);
		return -1;
	}
	if (status != 200) {
		rc = refused(c, status, &body, err);
		buf_free(&body);
		return rc;
	}
	rc = oauth_parse_token(body.data, body.len, &t, err);
	if (body.data)
		explicit_bzero(body.data, body.len);
	buf_free(&body);
	if (rc < 0)
		return gerr_prefix(err, "sign-in to %s", c->token_url);
	time_t now = time(NULL);
	struct gerr serr = {0};
	if (store_answer(c, st, &t, now, &serr) < 0) {
		/* the old refresh token stays valid at Microsoft and Google for a while */
		log_warn("oauth: the renewed sign-in was not saved: %s", serr.msg);
	}
	*token = xstrdup(t.access_token);
	if (valid_until)
		*valid_until = (time_t)json_integer_value(json_object_get(st, "valid_until"));
	oauth_token_free(&t);
	return 0;
}

int oauth_access_token(const struct oauth_client *c, bool fresh, char **token,
		       time_t *valid_until, struct gerr *err)
{
	json_t *st = load_store(c, err);
	char key[65];
	int rc;

	*token = NULL;
	if (!st)
		return -1;
	client_key(c, key);
	json_int_t until = json_integer_value(json_object_get(st, "valid_until"));
	const char *access = str_of(st, "access_token");
	if (!fresh && access && str_of(st, "key") && !strcmp(str_of(st, "key"), key) &&
	    until > time(NULL)) {
		*token = xstrdup(access);
		if (valid_until)
			*valid_until = (time_t)until;
		json_decref(st);
		return 0;
	}
	if (c->app) {
		char *form = grant_form(c, "client_credentials", NULL);
		rc = exchange(c, st, form, token, valid_until, err);
		free_secret(form);
	} else {
		const char *refresh = str_of(st, "refresh_token");
		const char *was_id = str_of(st, "client_id"), *was_url = str_of(st, "token_url");
		if (!refresh || !was_id || !was_url || strcmp(was_id, c->client_id) ||
		    strcmp(was_url, c->token_url)) {
			json_decref(st);
			return gerr_setk(err, GERR_NEEDS_PERSON, "%s: run `%s` once to sign in",
					 refresh ? "the sign-in was made for another client_id or sign-in service"
						 : "not signed in yet",
					 c->fix ? c->fix : "goniec oauth NAME");
		}
		char *r = net_escape(refresh);
		char *extra = xasprintf("&refresh_token=%s", r);
		char *form = grant_form(c, "refresh_token", extra);
		free_secret(r);
		free_secret(extra);
		rc = exchange(c, st, form, token, valid_until, err);
		free_secret(form);
	}
	json_decref(st);
	return rc;
}

/* ---- signing in: device code --------------------------------------------------------------- */

/* Save the first tokens of a sign-in (a refresh token must be among them). */
static int first_tokens(const struct oauth_client *c, const struct buf *body, struct gerr *err)
{
	struct oauth_token t;
	json_t *st;
	int rc;

	if (oauth_parse_token(body->data, body->len, &t, err) < 0)
		return -1;
	if (!t.refresh_token) {
		oauth_token_free(&t);
		return gerr_setk(err, GERR_NEEDS_PERSON,
				 "the sign-in gave no refresh token: the scope must allow offline access (offline_access at Microsoft; Google gives one with access_type=offline)");
	}
	st = json_object();
	json_object_set_new(st, "signed_in", json_integer((json_int_t)time(NULL)));
	rc = store_answer(c, st, &t, time(NULL), err);
	json_decref(st);
	oauth_token_free(&t);
	return rc;
}

int oauth_login_device(const struct oauth_client *c, const char *device_url, FILE *out,
		       struct gerr *err)
{
	struct oauth_device d;
	struct buf body = {0};
	long status = 0;
	char *id = net_escape(c->client_id), *scope = net_escape(c->scope);
	char *form = xasprintf("client_id=%s&scope=%s", id, scope);
	int rc = post_form(device_url, form, c->ca_file, &status, &body, err);

	free(id);
	free(scope);
	free(form);
	if (rc == 0 && status != 200)
		rc = refused(c, status, &body, err);
	if (rc == 0 && oauth_parse_device(body.data, body.len, &d, err) < 0)
		rc = gerr_prefix(err, "device authorization at %s", device_url);
	buf_free(&body);
	if (rc < 0)
		return -1;
	fprintf(out, "To sign in, open %s in a browser and enter the code %s\n"
		     "(it is valid for %ld minutes; goniec waits here).\n",
		d.verification_uri, d.user_code, (d.expires_in + 59) / 60);
	fflush(out);
	char *dc = net_escape(d.device_code);
	char *extra = xasprintf("&device_code=%s", dc);
	char *poll_form = grant_form(c, DEVICE_GRANT, extra);
	int64_t deadline = now_ms() + d.expires_in * 1000;
	long interval = d.interval;
	rc = -1;
	while (now_ms() < deadline) {
		sleep_ms(interval * 1000);
		if (post_form(c->token_url, poll_form, c->ca_file, &status, &body, err) < 0)
			break;
		if (status == 200) {
			rc = first_tokens(c, &body, err);
			break;
		}
		struct oauth_error e;
		oauth_parse_error(body.data, body.len, &e);
		bool pending = error_is(&e, "authorization_pending"), slow = error_is(&e, "slow_down");
		if (slow)
			interval += 5;
		oauth_error_free(&e);
		if (!pending && !slow) {
			if (status == 400 && body.len && strstr(body.data, "expired_token"))
				gerr_setk(err, GERR_NEEDS_PERSON, "the code expired before it was entered: run the command again");
			else
				refused(c, status, &body, err);
			break;
		}
	}
	if (rc < 0 && now_ms() >= deadline)
		gerr_setk(err, GERR_NEEDS_PERSON, "the code expired before it was entered: run the command again");
	buf_free(&body);
	free(dc);
	free(extra);
	free_secret(poll_form);
	oauth_device_free(&d);
	return rc;
}

/* ---- signing in: browser and loopback redirect ------------------------------------------------ */

/* The value of `name` in a URL's query (decoded), or NULL. */
static char *query_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?');
	size_t n = strlen(name);

	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *end = p + strcspn(p, "&# \r\n");
		if ((size_t)(end - p) > n && !strncmp(p, name, n) && p[n] == '=') {
			int len = 0;
			char *v = curl_easy_unescape(NULL, p + n + 1, (int)(end - p - (long)n - 1), &len);
			char *out = v ? xstrndup(v, (size_t)len) : NULL;
			curl_free(v);
			return out;
		}
		if (*end != '&')
			break;
		p = end + 1;
	}
	return NULL;
}

static int listen_loopback(int *port, struct gerr *err)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		gerr_sys(err, "cannot listen on 127.0.0.1 for the browser's answer");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* One request from the browser: its first line (owned), after answering it. */
static char *take_redirect(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	char req[8192];
	size_t len = 0;

	if (fd < 0)
		return NULL;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	while (len + 1 < sizeof(req) && poll(&p, 1, 5000) > 0) {
		ssize_t n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		req[len] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[len] = 0;
	static const char page[] =
		"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
		"<!doctype html><title>goniec</title><p>goniec received the answer; this page can be closed.</p>\n";
	if (write(fd, page, sizeof(page) - 1) < 0)
		log_debug("oauth: the browser went away before the answer");
	close(fd);
	return xstrndup(req, strcspn(req, "\r\n"));
}

/* Wait for the redirect: from the browser (loopback) or pasted on `in`. */
static char *await_redirect(int lfd, FILE *in, struct gerr *err)
{
	int64_t deadline = now_ms() + BROWSER_WAIT_S * 1000;
	struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = in ? fileno(in) : -1, .events = POLLIN}};

	while (now_ms() < deadline) {
		int n = poll(p, in ? 2 : 1, (int)(deadline - now_ms()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (p[0].revents & POLLIN) {
			char *line = take_redirect(lfd);
			if (line && strstr(line, "?"))
				return line;
			free(line); /* a favicon or a probe: keep waiting */
		}
		if (in && (p[1].revents & (POLLIN | POLLHUP))) {
			char buf[8192];
			if (!fgets(buf, sizeof(buf), in)) {
				p[1].fd = -1; /* end of input: only the browser can answer now */
				continue;
			}
			if (strchr(buf, '?'))
				return xstrndup(buf, strcspn(buf, "\r\n"));
		}
	}
	gerr_setk(err, GERR_NEEDS_PERSON, "no answer from the browser within %d minutes: run the command again",
		  BROWSER_WAIT_S / 60);
	return NULL;
}

int oauth_login_browser(const struct oauth_client *c, const char *authorize_url, FILE *out,
			FILE *in, struct gerr *err)
{
	int port = 0, lfd = listen_loopback(&port, err);

	if (lfd < 0)
		return -1;
	char *verifier = random_text(48), *state = random_text(16);
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(), NULL);
	char *challenge = b64url(md, sizeof(md));
	/* Google documents 127.0.0.1; Entra ID registers http://localhost (any port) */
	char *redirect = xasprintf(c->provider == OAUTH_GOOGLE ? "http://127.0.0.1:%d/" : "http://localhost:%d/",
				   port);
	char *id = net_escape(c->client_id), *scope = net_escape(c->scope), *back = net_escape(redirect);
	char *url = xasprintf("%s%cclient_id=%s&response_type=code&redirect_uri=%s&scope=%s&state=%s"
			      "&code_challenge=%s&code_challenge_method=S256%s",
			      authorize_url, strchr(authorize_url, '?') ? '&' : '?', id, back, scope, state,
			      challenge,
			      c->provider == OAUTH_GOOGLE ? "&access_type=offline&prompt=consent" : "");
	fprintf(out, "Open this address in a browser and sign in:\n\n  %s\n\n"
		     "If the browser is on another computer, it ends on an address beginning with\n"
		     "%s that does not load: paste that whole address here.\n", url, redirect);
	fflush(out);
	char *answer = await_redirect(lfd, in, err);
	close(lfd);
	int rc = -1;
	char *code = answer ? query_param(answer, "code") : NULL;
	char *got_state = answer ? query_param(answer, "state") : NULL;
	char *error = answer ? query_param(answer, "error") : NULL;
	if (!answer) {
		/* err says why */
	} else if (error) {
		char *desc = query_param(answer, "error_description");
		gerr_setk(err, GERR_NEEDS_PERSON, "the sign-in was refused: %.60s%s%.300s", error,
			  desc ? ": " : "", desc ? desc : "");
		free(desc);
	} else if (!got_state || strcmp(got_state, state)) {
		gerr_setk(err, GERR_NEEDS_PERSON, "the answer does not belong to this sign-in (state differs): run the command again");
	} else if (!code) {
		gerr_setk(err, GERR_NEEDS_PERSON, "the answer holds no code");
	} else {
		char *ecode = net_escape(code);
		char *extra = xasprintf("&code=%s&redirect_uri=%s&code_verifier=%s", ecode, back, verifier);
		char *form = grant_form(c, "authorization_code", extra);
		struct buf body = {0};
		long status = 0;
		if (post_form(c->token_url, form, c->ca_file, &status, &body, err) == 0)
			rc = status == 200 ? first_tokens(c, &body, err) : refused(c, status, &body, err);
		buf_free(&body);
		free_secret(ecode);
		free_secret(extra);
		free_secret(form);
	}
	free_secret(code);
	free(got_state);
	free(error);
	free(answer);
	free(url);
	free(id);
	free(scope);
	free(back);
	free(redirect);
	free(challenge);
	free(state);
	free_secret(verifier);
	return rc;
}
