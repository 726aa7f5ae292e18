/* Unit tests of core/oauth: the token endpoint's answers (tokens, OAuth errors with
 * Microsoft's AADSTS codes, device authorizations) read from hostile bytes, the sentences
 * a person gets, the SASL strings, the admin-consent link, and a missing sign-in. */
#include <openssl/evp.h>

#include "testutil.h"

#include "core/oauth.h"

#define PARSE(fn, text, out, err) fn(text, strlen(text), out, err)

static void token_ok(void **state)
{
	struct oauth_token t;
	struct gerr err;
	(void)state;
	assert_int_equal(PARSE(oauth_parse_token,
			       "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"eyJ.x\","
			       "\"refresh_token\":\"M.R3\",\"scope\":\"https://mail.google.com/\"}",
			       &t, &err), 0);
	assert_string_equal(t.access_token, "eyJ.x");
	assert_string_equal(t.refresh_token, "M.R3");
	assert_string_equal(t.scope, "https://mail.google.com/");
	assert_int_equal(t.expires_in, 3599);
	oauth_token_free(&t);
	/* v1 endpoint: expires_in as a string; Google's refresh answer has no refresh_token */
	assert_int_equal(PARSE(oauth_parse_token, "{\"expires_in\":\"600\",\"access_token\":\"a\"}",
			       &t, &err), 0);
	assert_int_equal(t.expires_in, 600);
	assert_null(t.refresh_token);
	oauth_token_free(&t);
	/* lower-case bearer (RFC 6749 says case-insensitive) */
	assert_int_equal(PARSE(oauth_parse_token, "{\"token_type\":\"bearer\",\"access_token\":\"a\",\"refresh_token\":\"\"}",
			       &t, &err), 0);
	assert_null(t.refresh_token);
	oauth_token_free(&t);
}

static void token_hostile(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{", "{\"access_token\":5}", "{\"access_token\":\"\"}", "null",
		"{\"access_token\":\"a\",\"access_token\":\"b\"}",
		"{\"access_token\":\"a\",\"token_type\":\"MAC\"}",
	};
	struct oauth_token t;
	struct gerr err;
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(PARSE(oauth_parse_token, bad[i], &t, &err), -1);
	assert_int_equal(oauth_parse_token(NULL, 0, &t, &err), -1);
	/* absurd lifetimes fall back to an hour */
	assert_int_equal(PARSE(oauth_parse_token, "{\"expires_in\":-5,\"access_token\":\"a\"}", &t, &err), 0);
	assert_int_equal(t.expires_in, 3599);
	oauth_token_free(&t);
	assert_int_equal(PARSE(oauth_parse_token, "{\"expires_in\":99999999,\"access_token\":\"a\"}", &t, &err), 0);
	assert_int_equal(t.expires_in, 3599);
	oauth_token_free(&t);
}

static void errors_explained(void **state)
{
	struct oauth_error e;
	char *msg;
	(void)state;
	const char *tenant = "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90002: "
			     "Tenant 'x' not found.\",\"error_codes\":[90002],\"trace_id\":\"t1\"}";
	oauth_parse_error(tenant, strlen(tenant), &e);
	assert_string_equal(e.code, "invalid_request");
	assert_int_equal(e.aadsts, 90002);
	assert_string_equal(e.trace_id, "t1");
	msg = oauth_explain(&e, 400, true, NULL);
	assert_non_null(strstr(msg, "Directory (tenant) ID"));
	assert_true(oauth_needs_person(&e, 400));
	free(msg);
	oauth_error_free(&e);

	/* no error_codes: the number is read from the description */
	const char *sec = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret\"}";
	oauth_parse_error(sec, strlen(sec), &e);
	assert_int_equal(e.aadsts, 7000215);
	msg = oauth_explain(&e, 401, true, NULL);
	assert_non_null(strstr(msg, "secret's Value"));
	free(msg);
	oauth_error_free(&e);

	/* a revoked refresh token: sign in again, with the command */
	const char *revoked = "{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}";
	oauth_parse_error(revoked, strlen(revoked), &e);
	msg = oauth_explain(&e, 400, false, "goniec oauth acme-gmail");
	assert_non_null(strstr(msg, "sign in again with `goniec oauth acme-gmail`"));
	assert_non_null(strstr(msg, "Token has been expired or revoked."));
	assert_true(oauth_needs_person(&e, 400));
	free(msg);
	oauth_error_free(&e);

	/* a public client without "Allow public client flows" */
	const char *pub = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000218: The request body must contain 'client_assertion' or 'client_secret'.\"}";
	oauth_parse_error(pub, strlen(pub), &e);
	msg = oauth_explain(&e, 401, false, NULL);
	assert_non_null(strstr(msg, "Allow public client"));
	free(msg);
	oauth_error_free(&e);

	/* throttling and outages are no person's business; garbage gives an empty error */
	oauth_parse_error("<html>", 6, &e);
	assert_null(e.code);
	assert_false(oauth_needs_person(&e, 503));
	assert_false(oauth_needs_person(&e, 429));
	msg = oauth_explain(&e, 503, false, NULL);
	assert_non_null(strstr(msg, "retrying later"));
	free(msg);
	oauth_error_free(&e);
	oauth_parse_error(NULL, 0, &e);
	assert_null(e.description);
	/* control characters in a description never reach a log line */
	const char *ctl = "{\"error\":\"x\\u001b[2J\",\"error_description\":\"a\\nb\"}";
	oauth_parse_error(ctl, strlen(ctl), &e);
	msg = oauth_explain(&e, 400, false, NULL);
	for (const char *p = msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
	free(msg);
	oauth_error_free(&e);
}

static void device_answers(void **state)
{
	struct oauth_device d;
	struct gerr err;
	(void)state;
	/* Microsoft's form */
	assert_int_equal(PARSE(oauth_parse_device,
			       "{\"user_code\":\"DLGW-ABCD\",\"device_code\":\"DAQABAAEAAA\",\"verification_uri\":"
			       "\"https://microsoft.com/devicelogin\",\"expires_in\":900,\"interval\":5,\"message\":\"To sign in...\"}",
			       &d, &err), 0);
	assert_string_equal(d.verification_uri, "https://microsoft.com/devicelogin");
	assert_int_equal(d.interval, 5);
	oauth_device_free(&d);
	/* Google's says verification_url; a silly interval is made sane */
	assert_int_equal(PARSE(oauth_parse_device,
			       "{\"device_code\":\"4/4-GM\",\"user_code\":\"GQVQ-JKEC\",\"verification_url\":"
			       "\"https://www.google.com/device\",\"expires_in\":1800,\"interval\":0}",
			       &d, &err), 0);
	assert_string_equal(d.verification_uri, "https://www.google.com/device");
	assert_int_equal(d.interval, 5);
	oauth_device_free(&d);
	assert_int_equal(PARSE(oauth_parse_device, "{\"device_code\":\"x\"}", &d, &err), -1);
	assert_int_equal(PARSE(oauth_parse_device, "[1]", &d, &err), -1);
}

static char *unb64(const char *s)
{
	size_t n = strlen(s);
	char *out = calloc(1, n + 1);
	int len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	assert_true(len > 0);
	while (n && s[--n] == '=')
		len--;
	out[len] = 0;
	return out;
}

static void sasl(void **state)
{
	(void)state;
	char *x = oauth_sasl_xoauth2("faktury@acme.pl", "tok123");
	char *raw = unb64(x);
	assert_string_equal(raw, "user=faktury@acme.pl\001auth=Bearer tok123\001\001");
	free(raw);
	free(x);
	/* RFC 7628 example shape; ',' and '=' in the name escaped (RFC 5801) */
	x = oauth_sasl_oauthbearer("a,b=c@x.pl", "imap.gmail.com", 993, "vF9dft4qmT");
	raw = unb64(x);
	assert_string_equal(raw, "n,a=a=2Cb=3Dc@x.pl,\001host=imap.gmail.com\001port=993\001auth=Bearer vF9dft4qmT\001\001");
	free(raw);
	free(x);
}

static void consent_link(void **state)
{
	(void)state;
	char *u = oauth_admin_consent_url(NULL, "8f2a-tenant", "app 1", "http://localhost");
	assert_string_equal(u, "https://login.microsoftonline.com/8f2a-tenant/adminconsent?client_id=app%201&redirect_uri=http%3A%2F%2Flocalhost");
	free(u);
}

/* A sign-in that was never made needs a person, naming the command; nothing is asked. */
static void not_signed_in(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	char *store = path_join(dir, "oauth-token.json");
	struct oauth_conf conf = {.provider = OAUTH_GOOGLE, .flow = OAUTH_FLOW_USER,
				  .client_id = "id.apps.googleusercontent.com"};
	struct oauth_client c;
	struct oauth_owned own;
	struct gerr err = {0};
	assert_int_equal(oauth_client_from_conf(&conf, OAUTH_IMAP, store, "goniec oauth acme", &c, &own, &err), 0);
	assert_string_equal(c.token_url, "https://oauth2.googleapis.com/token");
	assert_string_equal(c.scope, "https://mail.google.com/");
	char *tok = NULL;
	assert_int_equal(oauth_access_token(&c, false, &tok, NULL, &err), -1);
	assert_null(tok);
	assert_int_equal(err.kind, GERR_NEEDS_PERSON);
	assert_non_null(strstr(err.msg, "run `goniec oauth acme`"));
	oauth_owned_free(&own);
	/* Microsoft defaults: user scopes per service, app scope, URLs from login_url + tenant */
	struct oauth_conf ms = {.provider = OAUTH_MICROSOFT, .flow = OAUTH_FLOW_USER, .client_id = "c",
				.tenant = "consumers", .login_url = "https://login.example"};
	assert_int_equal(oauth_client_from_conf(&ms, OAUTH_SMTP, store, NULL, &c, &own, &err), 0);
	assert_string_equal(c.token_url, "https://login.example/consumers/oauth2/v2.0/token");
	assert_string_equal(own.device_url, "https://login.example/consumers/oauth2/v2.0/devicecode");
	assert_string_equal(c.scope, "https://outlook.office.com/SMTP.Send offline_access");
	oauth_owned_free(&own);
	ms.flow = OAUTH_FLOW_APP;
	assert_int_equal(oauth_client_from_conf(&ms, OAUTH_IMAP, store, NULL, &c, &own, &err), 0);
	assert_string_equal(c.scope, "https://outlook.office365.com/.default");
	assert_true(c.app);
	oauth_owned_free(&own);
	free(store);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_ok),
		cmocka_unit_test(token_hostile),
		cmocka_unit_test(errors_explained),
		cmocka_unit_test(device_answers),
		cmocka_unit_test(sasl),
		cmocka_unit_test(consent_link),
		cmocka_unit_test(not_signed_in),
	};
	return cmocka_run_group_tests_name("oauth", tests, NULL, NULL);
}
