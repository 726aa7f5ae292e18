/* Unit tests of what modern portal logins need, each alone: PKCE against RFC 7636's
 * example (appendix B), Base64/base64url (RFC 4648 test vectors and hostile text), a
 * JWT's payload claims, a code in a redirect's query or fragment, the json/url/base64
 * template filters on a password with '"' and '\', trace masking and replay, and through
 * a replayed trace: forms that submit themselves, a Base64 PDF inside JSON, a page that
 * needs JavaScript. */
#include "testutil.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/base64.h"
#include "core/template.h"
#include "sources/portal/extract.h"
#include "sources/portal/pkce.h"
#include "sources/portal/tools.h"
#include "sources/portal/trace.h"

static void test_pkce_rfc7636(void **state)
{
	(void)state;
	/* RFC 7636 appendix B */
	char *c = pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	assert_string_equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	free(c);
	/* the verifier's 32 bytes in RFC 7636's example, encoded as base64url */
	static const unsigned char octets[32] = {
		116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186,
		22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121};
	char *v = b64url_encode(octets, sizeof(octets));
	assert_string_equal(v, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	free(v);

	struct pkce a, b;
	struct gerr err = {0};
	assert_int_equal(pkce_new(&a, &err), 0);
	assert_int_equal(pkce_new(&b, &err), 0);
	assert_int_equal(strlen(a.verifier), 43);
	assert_true(strspn(a.verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789-_") == 43);
	assert_string_not_equal(a.verifier, b.verifier);
	assert_string_not_equal(a.state, b.state);
	c = pkce_challenge(a.verifier);
	assert_string_equal(c, a.challenge);
	free(c);
	pkce_wipe(&a);
	assert_int_equal(a.verifier[0], 0);
}

static void decodes(const char *text, const char *want)
{
	unsigned char *out;
	size_t len;
	struct gerr err = {0};
	assert_int_equal(b64_decode(text, strlen(text), &out, &len, &err), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void refuses(const char *text)
{
	unsigned char *out = (unsigned char *)"x";
	size_t len = 7;
	struct gerr err = {0};
	assert_int_equal(b64_decode(text, strlen(text), &out, &len, &err), -1);
	assert_null(out);
	assert_true(strlen(err.msg) > 0);
}

static void test_base64(void **state)
{
	(void)state;
	/* RFC 4648 section 10 */
	static const char *const vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
					     {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
					     {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < ARRAY_LEN(vec); i++) {
		char *e = b64_encode(vec[i][0], strlen(vec[i][0]));
		assert_string_equal(e, vec[i][1]);
		free(e);
		decodes(vec[i][1], vec[i][0]);
	}
	decodes("Zm9vYmE", "fooba");            /* no padding */
	decodes("Zm9v\r\nYmFy\n", "foobar");    /* wrapped lines */
	decodes("-_8", "\xfb\xff");             /* url-safe */
	decodes("+/8=", "\xfb\xff");            /* standard */
	char *u = b64url_encode("\xfb\xff", 2);
	assert_string_equal(u, "-_8");
	free(u);
	refuses("Zm9v!mFy");       /* not of the alphabet */
	refuses("Zg==Zg==");       /* text after the padding */
	refuses("Z");              /* one character is no byte */
	refuses("Zh==");           /* leftover bits that are not zero */
	refuses("-+8=");           /* both alphabets */
	refuses("Zg===");          /* too much padding */
}

/* A JWT made here: {"alg":"none"} . payload . signature */
static char *jwt(const char *payload)
{
	char *h = b64url_encode("{\"alg\":\"HS256\"}", 15), *p = b64url_encode(payload, strlen(payload));
	char *t = xasprintf("%s.%s.c2lnbmF0dXJl", h, p);
	free(h);
	free(p);
	return t;
}

static void test_jwt_claims(void **state)
{
	(void)state;
	struct gerr err = {0};
	char *v, *t = jwt("{\"sub\":\"0c6e-11\",\"username\":\"1042_7\",\"exp\":1767225600,"
			  "\"realm\":{\"roles\":[\"x\"],\"name\":\"Energa\"},\"ok\":true}");
	assert_int_equal(ex_jwt_claim(t, "sub", &v, &err), 0);
	assert_string_equal(v, "0c6e-11");
	free(v);
	assert_int_equal(ex_jwt_claim(t, "exp", &v, &err), 0);
	assert_string_equal(v, "1767225600");
	free(v);
	assert_int_equal(ex_jwt_claim(t, "realm.name", &v, &err), 0);
	assert_string_equal(v, "Energa");
	free(v);
	assert_int_equal(ex_jwt_claim(t, "ok", &v, &err), 0);
	assert_string_equal(v, "true");
	free(v);
	assert_int_equal(ex_jwt_claim(t, "nope", &v, &err), -1);
	assert_non_null(strstr(err.msg, "no claim 'nope'"));
	v = ex_regex_first("1042_7", "^([0-9]+)_", &err);
	assert_string_equal(v, "1042");
	free(v);
	free(t);
	/* not a JWT, a payload that is not Base64, not JSON, not an object */
	assert_int_equal(ex_jwt_claim("abc", "sub", &v, &err), -1);
	assert_int_equal(ex_jwt_claim("a.b.c.d", "sub", &v, &err), -1);
	assert_int_equal(ex_jwt_claim("eyJ.!!!.x", "sub", &v, &err), -1);
	t = jwt("not json");
	assert_int_equal(ex_jwt_claim(t, "sub", &v, &err), -1);
	free(t);
	t = jwt("[1,2]");
	assert_int_equal(ex_jwt_claim(t, "sub", &v, &err), -1);
	assert_null(v);
	free(t);
}

static void test_url_params(void **state)
{
	(void)state;
	char *v = ex_url_param("https://24.energa.pl/ss/#state=s1&session_state=x&code=ab%2Fc.d", "code");
	assert_string_equal(v, "ab/c.d");
	free(v);
	v = ex_url_param("https://a.example/cb?code=q1&state=s#code=f1", "code");
	assert_string_equal(v, "q1"); /* the query first */
	free(v);
	assert_null(ex_url_param("https://a.example/cb?xcode=1", "code"));
	assert_null(ex_url_param("https://a.example/cb", "code"));
	v = ex_url_param("https://a.example/cb?code=", "code");
	assert_string_equal(v, "");
	free(v);
}

static const char *lookup_pw(void *ctx, const char *name, char *scratch)
{
	(void)scratch;
	return strcmp(name, "password") == 0 ? ctx : NULL;
}

static char *filtered(const char *text, const char *value)
{
	struct gerr err = {0};
	struct tmpl *t = tmpl_compile(text, &err);
	const char *missing;
	assert_non_null(t);
	char *out = tmpl_render_with(t, lookup_pw, (void *)value, TMPL_RAW, &missing);
	assert_null(missing);
	tmpl_free(t);
	return out;
}

static void test_filters(void **state)
{
	(void)state;
	const char *pw = "p\"a\\s/s\tł";
	char *body = filtered("{{\"password\": \"{password:json}\"}}", pw);
	json_error_t je;
	json_t *o = json_loads(body, 0, &je);
	assert_non_null(o); /* the body is valid JSON ... */
	assert_string_equal(json_string_value(json_object_get(o, "password")), pw); /* ... exact */
	json_decref(o);
	free(body);
	char *u = filtered("/login?p={password:url}", "a b&c=\"d\\");
	assert_string_equal(u, "/login?p=a%20b%26c%3D%22d%5C");
	free(u);
	char *b = filtered("Basic {password:base64}", "user:pa\"ss");
	assert_string_equal(b, "Basic dXNlcjpwYSJzcw==");
	free(b);
	b = filtered("{password:base64url}", "\xfb\xff");
	assert_string_equal(b, "-_8");
	free(b);
	b = filtered("{password:sha256}", "abc"); /* FIPS 180-2's example */
	assert_string_equal(b, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(b);
}

/* A trace: recorded with secrets, written masked, replayed in order. */
static void test_trace_mask_and_replay(void **state)
{
	(void)state;
	char *dir = scratch_dir();
	struct gerr err = {0};
	struct trace *t = trace_start(dir, "demo", "https://ebok.example.pl", &err);
	char *token = jwt("{\"sub\":\"u1\"}");
	struct strlist hdrs = {0};
	char *auth = xasprintf("Authorization: Bearer %s", token);
	strlist_add(&hdrs, auth);
	const char *login_body = "{\"login\":\"jan\",\"password\":\"Tajne\\\"1\",\"pin\":\"4321\"}";
	struct http_call c1 = {.method = "POST", .url = "https://p.example/api/login",
			       .body = login_body, .body_len = strlen(login_body),
			       .content_type = "application/json"};
	struct http_response r1 = {.status = 200, .content_type = xstrdup("application/json")};
	char *answer = xasprintf("{\"accessToken\":\"%s\",\"refresh_token\":\"rt-Never-7\","
				 "\"zipCode\":\"80-001\",\"id\":\"77\",\"next\":\"/api/items?"
				 "session_code=kc7Hq2LmZx91Pa\",\"status\":\"inactive\"}", token);
	buf_puts(&r1.body, answer);
	strlist_add(&r1.headers, "Set-Cookie: SID=abc123secret; Path=/; HttpOnly");
	assert_int_equal(trace_record(t, &c1, &r1, -1, &err), 0);
	trace_secret(t, "Tajne\"1", "password");
	trace_secret(t, token, "accessToken");
	trace_secret(t, "chal-XYZ-123", "pkce.challenge");
	struct http_call c2 = {.url = "https://p.example/api/items?challenge=chal-XYZ-123&id=77"
				      "&session_code=kc7Hq2LmZx91Pa&state=inactive",
			       .headers = &hdrs};
	struct http_response r2 = {.status = 200, .content_type = xstrdup("application/pdf")};
	buf_append(&r2.body, "%PDF-1.4\0\1\2", 11);
	assert_int_equal(trace_record(t, &c2, &r2, -1, &err), 0);
	assert_int_equal(trace_finish(t, &err), 0);
	trace_free(t);

	char *path = path_join(dir, "trace.json"), *text;
	size_t len;
	assert_int_equal(read_file(path, 1 << 20, &text, &len, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_null(strstr(text, "Tajne"));          /* the password */
	assert_null(strstr(text, "4321"));           /* a pin field */
	assert_null(strstr(text, "abc123secret"));   /* a cookie */
	assert_null(strstr(text, "c2lnbmF0dXJl"));   /* the token's signature */
	assert_null(strstr(text, "chal-XYZ"));       /* the PKCE challenge */
	assert_null(strstr(text, "rt-Never-7"));     /* a refresh token no step captured */
	assert_null(strstr(text, "kc7Hq2LmZx91Pa")); /* a URL's session code, where it came from */
	assert_non_null(strstr(text, "inactive"));   /* a URL's ordinary value stays */
	assert_non_null(strstr(text, "80-001"));     /* an answer's data stays */
	assert_non_null(strstr(text, "eyJzdWIiOiJ1MSJ9.")); /* the token keeps its claims */
	assert_non_null(strstr(text, "id=77"));      /* ids stay */
	assert_non_null(strstr(text, "0002.bin"));   /* binary answers in files of their own */
	free(text);
	free(path);

	/* replay: the same requests in order; a masked value matches any */
	t = trace_load(dir, &err);
	assert_non_null(t);
	assert_string_equal(trace_base_url(t), "https://ebok.example.pl");
	assert_int_equal(strlen(trace_recorded(t)), 25);
	struct http_response got = {0};
	assert_int_equal(trace_replay(t, &c1, -1, &got, &err), 0);
	assert_int_equal(got.status, 200);
	assert_non_null(strstr(got.body.data, "accessToken"));
	struct http_call c2b = {.url = "https://p.example/api/items?challenge=OTHER&id=77"
				       "&session_code=another&state=inactive"};
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(trace_replay(t, &c2b, fd, &got, &err), 0);
	char head[8] = {0};
	assert_int_equal(pread(fd, head, 8, 0), 8);
	assert_memory_equal(head, "%PDF-1.4", 8);
	close(fd);
	assert_int_equal(trace_replay(t, &c2b, -1, &got, &err), -1);
	assert_non_null(strstr(err.msg, "the trace ends after 2 requests"));
	trace_free(t);
	t = trace_load(dir, &err);
	struct http_call wrong = {.url = "https://p.example/api/other"};
	assert_int_equal(trace_replay(t, &wrong, -1, &got, &err), -1);
	assert_non_null(strstr(err.msg, "request 1 of the trace is POST https://p.example/api/login"));
	trace_free(t);
	http_response_free(&got);
	http_response_free(&r1);
	http_response_free(&r2);
	strlist_free(&hdrs);
	free(auth);
	free(answer);
	free(token);
	rm_rf(dir);
	free(dir);
}

/* A recorded URL of many masks is matched in time, both ways (fuzz_portal_trace: trying
 * each mask's lengths in turn never ended with 24 of them). */
static void test_trace_many_masks(void **state)
{
	(void)state;
	struct buf pat = {0}, url = {0}, text = {0};
	buf_puts(&pat, "https://portal.example.pl/");
	buf_puts(&url, "https://portal.example.pl/");
	for (int i = 0; i < 40; i++) {
		buf_puts(&pat, "\xc2\xab" "masked:code\xc2\xbb" "a");
		buf_puts(&url, "aa");
	}
	buf_printf(&text, "{\"format\":\"goniec.trace/1\",\"exchanges\":[{\"method\":\"GET\","
		   "\"url\":\"%s/x\",\"status\":200,\"body\":\"ok\"}]}", pat.data);
	struct gerr err = {0};
	struct trace *t = trace_parse(text.data, text.len, NULL, &err);
	assert_non_null(t);
	struct http_response r = {0};
	char *other = xasprintf("%s/y", url.data), *same = xasprintf("%s/x", url.data);
	struct http_call c = {.method = "GET", .url = other};
	assert_int_equal(trace_replay(t, &c, -1, &r, &err), -1);
	c.url = same;
	assert_int_equal(trace_replay(t, &c, -1, &r, &err), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "ok");
	http_response_free(&r);
	trace_free(t);
	free(other);
	free(same);
	buf_free(&pat);
	buf_free(&url);
	buf_free(&text);
}

static void test_trace_hostile(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "[]", "{\"format\":\"other\",\"exchanges\":[]}",
		"{\"format\":\"goniec.trace/1\"}",
		"{\"format\":\"goniec.trace/1\",\"exchanges\":[1]}",
		"{\"format\":\"goniec.trace/1\",\"exchanges\":[{\"method\":\"GET\",\"url\":\"x\","
		"\"status\":99}]}",
		"{\"format\":\"goniec.trace/1\",\"exchanges\":[{\"method\":\"GET\",\"url\":\"x\","
		"\"status\":200,\"body_file\":\"../../etc/passwd\"}]}",
		"{\"format\":\"goniec.trace/1\",\"exchanges\":[{\"method\":\"GET\",\"url\":\"x\","
		"\"status\":200,\"headers\":[1]}]}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct gerr err = {0};
		struct trace *t = trace_parse(bad[i], strlen(bad[i]), NULL, &err);
		assert_null(t);
		assert_true(strlen(err.msg) > 0);
	}
}

/* Run the recipe text against the exchanges (a JSON array) with `goniec recipe test`'s
 * replay; what it prints is returned (owned by the caller). */
static char *replayed(const char *recipe, const char *exchanges, int *rc)
{
	char *dir = scratch_dir(), *out = NULL;
	char *rpath = xasprintf("%s/r.yaml", dir), *tpath = xasprintf("%s/trace.json", dir);
	char *trace = xasprintf("{\"format\":\"goniec.trace/1\",\"recipe\":\"r\","
				"\"recorded\":\"2026-11-30T08:00:00+01:00\",\"exchanges\":%s}", exchanges);
	size_t len = 0;
	write_text(rpath, recipe);
	write_text(tpath, trace);
	FILE *f = open_memstream(&out, &len);
	*rc = portal_recipe_test(rpath, dir, f);
	fclose(f);
	rm_rf(dir);
	free(trace);
	free(tpath);
	free(rpath);
	free(dir);
	return out;
}

/* A SAML-style page that submits its own form (auto_submit), a JSON list, and a PDF
 * delivered as Base64 inside JSON; then a page that needs JavaScript to show anything. */
static void test_replayed_steps(void **state)
{
	(void)state;
	static const char recipe[] =
		"title: replay\nbase_url: https://sso.example.pl\n"
		"login:\n"
		"  - name: SAML login\n"
		"    request: {url: /login, auto_submit: true}\n"
		"    capture: {token: {jsonpath: \"$.token\"}}\n"
		"fetch:\n"
		"  - request: /api/invoices\n"
		"  - documents:\n"
		"      items: {jsonpath: \"$.docs[*]\"}\n"
		"      fields: {id: {jsonpath: \"$.id\"}, number: {jsonpath: \"$.nr\"}}\n"
		"      download: {url: \"/api/invoices/{doc.id}/pdf\", base64: {jsonpath: \"$.content\"}}\n";
	char *pdf = b64_encode("%PDF-1.4\n%%EOF\n", 15);
	char *exchanges = xasprintf(
		"[{\"method\":\"GET\",\"url\":\"https://sso.example.pl/login\",\"status\":200,"
		"\"content_type\":\"text/html\",\"body\":\"<html><body onload=\\\"document.forms[0]"
		".submit()\\\"><form method=\\\"post\\\" action=\\\"/saml/acs\\\"><input type=\\\""
		"hidden\\\" name=\\\"SAMLResponse\\\" value=\\\"PHNhbWw+\\\"></form></body></html>\"},"
		"{\"method\":\"POST\",\"url\":\"https://sso.example.pl/saml/acs\",\"status\":200,"
		"\"content_type\":\"application/json\",\"body\":\"{\\\"token\\\":\\\"t1\\\"}\"},"
		"{\"method\":\"GET\",\"url\":\"https://sso.example.pl/api/invoices\",\"status\":200,"
		"\"content_type\":\"application/json\",\"body\":\"{\\\"docs\\\":[{\\\"id\\\":\\\"7\\\","
		"\\\"nr\\\":\\\"FV/7/2026\\\"}]}\"},"
		"{\"method\":\"GET\",\"url\":\"https://sso.example.pl/api/invoices/7/pdf\",\"status\":200,"
		"\"content_type\":\"application/json\",\"body\":\"{\\\"content\\\":\\\"%s\\\"}\"}]", pdf);
	int rc;
	char *out = replayed(recipe, exchanges, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "listed 7  number FV/7/2026\n"));
	assert_non_null(strstr(out, "document 7  number FV/7/2026: 15 bytes, a PDF"));
	assert_non_null(strstr(out, "ok: 0 point(s), 1 document(s) listed, 1 downloaded as PDFs, "
				    "0 failed; 4 of 4 requests of the trace replayed"));
	free(out);
	free(exchanges);
	free(pdf);

	static const char shell[] =
		"[{\"method\":\"GET\",\"url\":\"https://sso.example.pl/login\",\"status\":200,"
		"\"content_type\":\"text/html\",\"body\":\"<html><body><noscript>W\\u0142\\u0105cz "
		"JavaScript</noscript><div id=\\\"root\\\"></div><script src=\\\"/app.js\\\">"
		"</script></body></html>\"}]";
	static const char form_recipe[] =
		"title: replay\nbase_url: https://sso.example.pl\n"
		"login:\n  - {request: /login, expect: {xpath: \"//form\"}}\nfetch: []\n";
	out = replayed(form_recipe, shell, &rc);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "failed: needs_javascript: the page needs JavaScript"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce_rfc7636),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_jwt_claims),
		cmocka_unit_test(test_url_params),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_trace_mask_and_replay),
		cmocka_unit_test(test_trace_hostile),
		cmocka_unit_test(test_trace_many_masks),
		cmocka_unit_test(test_replayed_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
